// A token-classification model: a TrainableEncoder, dropout and a linear head over the hidden
// state of each word's first piece (HF XLMRobertaForTokenClassification), plus the run
// description (tagger.json) that rebuilds it: base model, labels, fine-tuning regime.
// Leaves out CRF decoding (BIO validity is restored by repair instead).

import Foundation
import Autograd
import Corpora
import Models
import NN
import TensorCore
import Tokenization

/// How a tagger is fine-tuned.
public enum TuningMethod: String, Codable, Sendable, CaseIterable {
    /// every encoder weight (the word-embedding table only with trainEmbeddings) and the head
    case full
    /// LoRA adapters on the target projections and the head; the encoder is frozen
    case lora
    /// linear probe (frozen encoder, head only) for probeEpochs, then full fine-tuning
    case lpft
    /// frozen encoder, head only
    case head
    /// a mixture of LoRAs per layer with a softmax gate (MT4CrossOIE); the encoder is frozen
    case molora
}

/// Everything needed to rebuild a tagger (written as RUN/tagger.json).
public struct TaggerConfig: Codable, Equatable, Sendable {
    public var model: String
    public var method: TuningMethod
    public var labels: [String]
    public var maxLength: Int = 128
    public var dropout: Float = 0.1
    public var trainEmbeddings = false
    public var loraRank = 8
    public var loraAlpha: Float = 16
    public var loraTargets = ["query", "key", "value", "dense"]
    public var experts = 4
    public var seed: UInt64 = 0

    public init(model: String, method: TuningMethod, labels: [String]) {
        self.model = model
        self.method = method
        self.labels = labels
    }
}

public enum TaggingError: Error, CustomStringConvertible, Equatable {
    case invalid(file: String, found: String, expected: String)

    public var description: String {
        switch self {
        case let .invalid(file, found, expected): return "\(file): \(found); expected \(expected)"
        }
    }
}

public final class TokenClassifier: Layer {
    public let config: TaggerConfig
    public let directory: ModelDirectory
    public let tokenizer: EmbedderTokenizer
    public let encoder: TrainableEncoder
    public let head: Linear
    public let labels: LabelSet
    public let specials: (bos: Int32, eos: Int32)
    public let pad: Int32

    /// Loads the base model named in `config` and sets up the regime's adapters (weights of a
    /// trained run are loaded afterwards with `load(weights:)`).
    /// - home: model cache (CROSSTALK_HOME) for installed names
    public init(config: TaggerConfig, home: String? = nil) throws {
        self.config = config
        var isDir: ObjCBool = false
        if config.model.contains("/") || (FileManager.default.fileExists(atPath: config.model, isDirectory: &isDir) && isDir.boolValue) {
            directory = try ModelDirectory(path: config.model)
        } else {
            directory = try ModelDirectory.installed(config.model, home: home)
        }
        tokenizer = try EmbedderTokenizer(directory: directory)
        let weights = try SafeTensorsFile(path: directory.weightsPath)
        let prefix = ["", "roberta.", "bert."].first { weights.contains($0 + "embeddings.word_embeddings.weight") } ?? ""
        encoder = try TrainableEncoder(config: directory.config, weights: weights, prefix: prefix)
        labels = LabelSet(types: config.labels.filter { $0.hasPrefix("B-") }.map { String($0.dropFirst(2)) })
        guard labels.labels == config.labels else {
            throw TaggingError.invalid(file: "tagger.json", found: "labels \(config.labels)", expected: "O then B-/I- pairs in sorted type order (\(labels.labels))")
        }
        head = Linear(inFeatures: directory.config.hiddenSize, outFeatures: labels.count, std: 0.02, seed: config.seed &+ 17)
        specials = tokenizer.specials(config: directory.config)
        pad = Int32(directory.config.padTokenId)
        let room = directory.config.maxPositions - directory.config.positionIdsStart
        guard config.maxLength >= 3, config.maxLength <= room else {
            throw TaggingError.invalid(file: "tagger.json", found: "max length \(config.maxLength)", expected: "3…\(room) for \(config.model)")
        }
        switch config.method {
        case .full, .lpft: encoder.setBaseTrainable(true, embeddings: config.trainEmbeddings)
        case .head: encoder.setBaseTrainable(false)
        case .lora:
            let n = encoder.applyLoRA(rank: config.loraRank, alpha: config.loraAlpha, targets: config.loraTargets, seed: config.seed &+ 101)
            guard n > 0 else { throw TaggingError.invalid(file: "tagger.json", found: "LoRA targets \(config.loraTargets) match no projection", expected: "some of \(TrainableEncoderLayer.projectionNames)") }
        case .molora:
            let n = encoder.applyMixtureOfLoRA(experts: config.experts, rank: config.loraRank, alpha: config.loraAlpha,
                                               targets: config.loraTargets, seed: config.seed &+ 101)
            guard n > 0 else { throw TaggingError.invalid(file: "tagger.json", found: "LoRA targets \(config.loraTargets) match no projection", expected: "some of \(TrainableEncoderLayer.projectionNames)") }
        }
    }

    public func namedParameters() -> [(name: String, variable: Variable)] {
        scoped("roberta", encoder) + scoped("classifier", head)
    }

    /// Tokens available for pieces in one window (specials excluded).
    public var room: Int { config.maxLength - 2 }

    /// Each word's piece ids (a word with no pieces gets the unknown id).
    public func align(_ words: [String]) -> AlignedSentence {
        AlignedSentence(pieces: words.map { w in
            let p = tokenizer.encode(w)
            return p.isEmpty ? [tokenizer.unknownId] : p
        })
    }

    /// Logits of every position of a padded batch of windows.
    /// - returns: [B·T, K] (rows in window-major order) and T
    public func logits(_ windows: [TaggingWindow], context: ForwardContext) -> (Variable, Int) {
        let t = windows.map(\.ids.count).max() ?? 0
        let ids = windows.map { $0.ids + [Int32](repeating: pad, count: t - $0.ids.count) }
        let mask = windows.map { [Int32](repeating: 1, count: $0.ids.count) + [Int32](repeating: 0, count: t - $0.ids.count) }
        let hidden = encoder(ids: ids, mask: mask, context: context)                          // [B, T, C]
        let out = head(context.dropout(hidden), context: context)                              // [B, T, K]
        return (out.reshaped([windows.count * t, labels.count]), t)
    }

    /// What a run saves: every parameter the regime may change — the head; adapters and gates
    /// (lora, molora); the encoder weights except frozen embedding tables (full, lpft).
    public func savedParameters() -> [(name: String, variable: Variable)] {
        namedParameters().filter { p in
            if p.name.hasPrefix("classifier.") { return true }
            switch config.method {
            case .head: return false
            case .lora, .molora: return p.name.contains("lora_") || p.name.contains(".experts.")
            case .full, .lpft: return config.trainEmbeddings || !p.name.contains("_embeddings.")
            }
        }
    }

    /// Loads a run's saved weights (every saved parameter must be present with its shape).
    public func load(weightsFile path: String) throws {
        try Checkpoint.load(try Checkpoint.readTensors(path), into: savedParameters(), file: path)
    }

    /// Tags for each sentence: argmax over the first piece of every word, windows overlapping for
    /// long sentences, BIO repaired. Runs without recording gradients.
    /// - sentences: words per sentence → tags per sentence (same lengths)
    public func predict(_ sentences: [[String]], batchSize: Int = 16, progress: ((_ done: Int, _ total: Int) -> Void)? = nil) -> [[String]] {
        predictWithConfidence(sentences, batchSize: batchSize, progress: progress).tags
    }

    /// `predict`'s tags and, per word, the softmax probability of the label chosen for it (before
    /// BIO repair).
    public func predictWithConfidence(_ sentences: [[String]], batchSize: Int = 16,
                                      progress: ((_ done: Int, _ total: Int) -> Void)? = nil) -> (tags: [[String]], confidence: [[Float]]) {
        var windows: [TaggingWindow] = []
        for (i, words) in sentences.enumerated() {
            let a = align(words)
            for w in WindowPlanner.predictionWindows(a, room: room) {
                windows.append(WindowPlanner.window(a, index: i, words: w.words, owned: w.owned, room: room,
                                                    labels: nil, bos: specials.bos, eos: specials.eos))
            }
        }
        var out = sentences.map { [String](repeating: "O", count: $0.count) }
        var confidence = sentences.map { [Float](repeating: 0, count: $0.count) }
        let order = windows.indices.sorted { windows[$0].ids.count > windows[$1].ids.count }
        let k = labels.count
        let context = ForwardContext.inference
        GradMode.noGrad {
            for start in stride(from: 0, to: order.count, by: max(1, batchSize)) {
                let batch = order[start..<min(order.count, start + batchSize)].map { windows[$0] }
                let (logits, t) = self.logits(batch, context: context)
                let v = logits.value.contiguous()
                for (bi, w) in batch.enumerated() {
                    for (pos, word) in w.wordStarts where w.owned.contains(word) {
                        let row = v.base + (bi * t + pos) * k
                        var best = 0
                        for j in 1..<k where row[j] > row[best] { best = j }
                        var z: Float = 0
                        for j in 0..<k { z += exp(row[j] - row[best]) }
                        out[w.sentence][word] = labels.labels[best]
                        confidence[w.sentence][word] = 1 / z
                    }
                }
                progress?(min(order.count, start + batchSize), order.count)
            }
        }
        return (out.map { BIO.repair($0) }, confidence)
    }
}
