// `crosstalk tagger …`: train, predict, eval (TaggerEval.swift) and eval-transfer — thin commands
// over Tagging (TokenClassifier, TaggerTrainer), Corpora (CoNLL) and Evaluation (span F1).
import ArgumentParser
import Corpora
import Evaluation
import Foundation
import NN
import Tagging

struct Tagger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tagger",
        abstract: "Train a token classifier (NER, BIO tags) on one language and apply it to others.",
        subcommands: [Train.self, Predict.self, TaggerEval.self, EvalTransfer.self])
}

enum MethodArgument: String, ExpressibleByArgument, CaseIterable {
    case full, lora, lpft, head, molora
    var method: TuningMethod { TuningMethod(rawValue: rawValue)! }
}

extension LRSchedule.Decay: ExpressibleByArgument {}

/// Reads CoNLL files, turns tags of `drop` types into O, and returns their sentences.
func readTagged(_ paths: [String], drop: Set<String>) throws -> [CoNLLSentence] {
    var out: [CoNLLSentence] = []
    for p in paths {
        guard FileManager.default.fileExists(atPath: p) else { throw CLIError("\(p): no such file") }
        var s = try CoNLLReader.read(path: p)
        if !drop.isEmpty {
            for i in s.indices { s[i].tags = s[i].tags.map { t in BIO.type(of: t).map { drop.contains(String($0)) ? "O" : t } ?? t } }
        }
        out += s
    }
    return out
}

func entityTypes(_ sentences: [CoNLLSentence]) -> Set<String> {
    var types = Set<String>()
    for s in sentences { for t in s.tags { if let ty = BIO.type(of: t) { types.insert(String(ty)) } } }
    return types
}

func writeJSONAtomically<T: Encodable>(_ value: T, to path: String) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data = try enc.encode(value)
    try withOutput(path) { $0.write([UInt8](data) + [10]) }
}

extension Tagger {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fine-tune an encoder + linear head on CoNLL/BIO files; dev F1 each epoch, best epoch kept in RUN/best.",
            discussion: """
                RUN/ gets tagger.json (model, method, labels), best/ (weights of the best dev epoch), last/ (resumable \
                checkpoint: weights, AdamW moments, step, generator state) and history.json. --resume continues from \
                RUN/last with identical numbers. full fine-tuning keeps the word-embedding table frozen unless \
                --train-embeddings (250k×384 floats for e5: its AdamW update would dominate each step).
                """)
        @Option(parsing: .upToNextOption, help: "Training CoNLL files (token first column, BIO tag last).") var train: [String]
        @Option(help: "Development CoNLL file (F1 each epoch, best epoch kept).") var dev: String?
        @Option(help: "Installed model name or model directory.") var model = "e5-small"
        @Option(help: "Start from a trained tagger RUN/ (its model, method and labels; e.g. few-shot target adaptation).") var initFrom: String?
        @Option(help: "full | lora | lpft | head | molora") var method: MethodArgument = .full
        @Option(help: "Epochs (fine-tuning epochs for lpft).") var epochs = 3
        @Option(help: "Peak learning rate (default 5e-5 full/lpft, 5e-4 lora/molora, 1e-3 head).") var lr: Float?
        @Option(help: "Sentences (windows) per batch.") var batchSize = 16
        @Option(help: "Tokens per window including <s> and </s>; longer sentences are split.") var maxLength = 128
        @Option(help: "Random seed (batch order, dropout, new weights).") var seed: UInt64 = 0
        @Option(name: .shortAndLong, help: "Run directory.") var output: String
        @Flag(help: "Continue from RUN/last.") var resume = false
        @Option(help: "Linear warm-up as a fraction of the steps.") var warmupRatio: Float = 0.1
        @Option(help: "AdamW decoupled weight decay.") var weightDecay: Float = 0.01
        @Option(help: "Clip gradients to this global L2 norm (0: off).") var maxGradNorm: Float = 1.0
        @Option(help: "Batches per optimiser step.") var gradAccum = 1
        @Option(help: "linear | cosine | constant decay after warm-up.") var schedule: LRSchedule.Decay = .linear
        @Option(help: "Dropout probability (hidden states, attention, head input).") var dropout: Float = 0.1
        @Option(help: "LoRA rank.") var loraRank = 8
        @Option(help: "LoRA alpha (scaling alpha/rank).") var loraAlpha: Float = 16
        @Option(help: "Comma-separated projections for LoRA (query,key,value,dense = all).") var loraTargets = "query,key,value,dense"
        @Option(help: "Experts per layer for molora.") var experts = 4
        @Option(help: "lpft: head-only epochs before fine-tuning.") var probeEpochs = 1
        @Option(help: "lpft: learning rate of the head-only phase.") var probeLr: Float = 1e-3
        @Flag(help: "full/lpft: train the embedding tables too.") var trainEmbeddings = false
        @Option(help: "Comma-separated entity types turned into O in train and dev (e.g. DATE).") var dropTypes = ""
        @Option(help: "Use only the first N training sentences (few-shot).") var limit: Int?
        @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Write RUN/last every N optimiser steps (0: epoch ends only).") var saveEvery = 0
        @Option(help: "Stop after N optimiser steps, checkpoint written (as if interrupted).") var stopAfterSteps: Int?

        func validate() throws {
            guard epochs >= 0 else { throw ValidationError("--epochs must be ≥ 0") }
            guard batchSize >= 1, gradAccum >= 1 else { throw ValidationError("--batch-size and --grad-accum must be ≥ 1") }
            guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1)") }
            guard loraRank >= 1, experts >= 1 else { throw ValidationError("--lora-rank and --experts must be ≥ 1") }
            if let limit { guard limit >= 1 else { throw ValidationError("--limit must be ≥ 1") } }
        }

        func run() throws {
            let drop = Set(dropTypes.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            var trainSentences = try readTagged(train, drop: drop)
            if let limit { trainSentences = Array(trainSentences.prefix(limit)) }
            let devSentences = try dev.map { try readTagged([$0], drop: drop) }
            let trainTypes = entityTypes(trainSentences)
            var config: TaggerConfig
            var initWeights: String? = nil
            if let initFrom {
                config = try loadTaggerConfig(initFrom)
                config.method = method.method == .full && config.method != .full ? config.method : method.method
                initWeights = initFrom + "/best/weights.safetensors"
                let known = Set(config.labels.compactMap { BIO.type(of: $0).map(String.init) })
                let unknown = trainTypes.union(devSentences.map(entityTypes) ?? []).subtracting(known)
                guard unknown.isEmpty else {
                    throw CLIError("\(train[0]): entity types \(unknown.sorted()) are not in \(initFrom)'s labels \(known.sorted()); use --drop-types \(unknown.sorted().joined(separator: ","))")
                }
            } else {
                if let devSentences {
                    let devTypes = entityTypes(devSentences)
                    guard devTypes == trainTypes else {
                        let onlyTrain = trainTypes.subtracting(devTypes).sorted(), onlyDev = devTypes.subtracting(trainTypes).sorted()
                        throw CLIError("\(dev!): label set differs from the training files' (only in train: \(onlyTrain), only in dev: \(onlyDev)); use --drop-types to leave types out")
                    }
                }
                guard !trainTypes.isEmpty else { throw CLIError("\(train[0]): no entity tags (B-/I-) in the training data") }
                config = TaggerConfig(model: model, method: method.method, labels: LabelSet(types: Array(trainTypes)).labels)
            }
            config.maxLength = maxLength
            config.dropout = dropout
            config.trainEmbeddings = trainEmbeddings
            config.loraRank = loraRank
            config.loraAlpha = loraAlpha
            config.loraTargets = loraTargets.split(separator: ",").map(String.init)
            config.experts = experts
            config.seed = seed

            let fm = FileManager.default
            let taggerFile = output + "/tagger.json"
            let existing = fm.fileExists(atPath: taggerFile) ? try loadTaggerConfig(output) : nil
            if let existing {
                guard resume else { throw CLIError("\(output): already holds a run; pass --resume to continue it or choose another -o") }
                guard existing == config else {
                    throw CLIError("\(taggerFile): the run was made with another model, method, labels or settings; cannot resume it with these options")
                }
            }
            // The model loads (or fails) before anything is written.
            let classifier = try TokenClassifier(config: config)
            if existing == nil {
                try fm.createDirectory(atPath: output, withIntermediateDirectories: true)
                try writeJSONAtomically(config, to: taggerFile)
            }
            if let initWeights, !(resume && fm.fileExists(atPath: output + "/last/state.json")) {
                try classifier.load(weightsFile: initWeights)
            }
            var options = TrainingOptions()
            options.epochs = epochs
            options.batchSize = batchSize
            options.learningRate = lr ?? { switch config.method { case .full, .lpft: return 5e-5; case .lora, .molora: return 5e-4; case .head: return 1e-3 } }()
            options.probeLearningRate = probeLr
            options.probeEpochs = probeEpochs
            options.warmupRatio = warmupRatio
            options.weightDecay = weightDecay
            options.maxGradNorm = maxGradNorm
            options.gradientAccumulation = gradAccum
            options.decay = schedule
            options.seed = seed
            options.saveEverySteps = saveEvery
            options.stopAfterSteps = stopAfterSteps
            options.workers = max(1, threads)
            let trainer = try TaggerTrainer(model: classifier, options: options,
                                            train: trainSentences.map { ($0.tokens, $0.tags) },
                                            dev: devSentences.map { ($0.map(\.tokens), $0.map(\.tags)) })
            let stderr = FileHandle.standardError
            func note(_ s: String) { stderr.write(Data((s + "\n").utf8)) }
            note("tagger: \(config.model), \(config.method.rawValue), \(classifier.trainableCount) trainable parameters, labels \(config.labels.count), \(trainSentences.count) sentences → \(trainer.windowCount) windows")
            let tty = isatty(2) != 0 || ProcessInfo.processInfo.environment["CROSSTALK_PROGRESS"] == "1"
            var lastDraw = Date.distantPast
            let summary = try trainer.run(runDirectory: output, resume: resume) { event in
                switch event {
                case let .step(epoch, epochs, batch, batches, loss, tps, elapsed):
                    guard tty, Date().timeIntervalSince(lastDraw) > 0.2 || batch == batches else { return }
                    lastDraw = Date()
                    let frac = Double(batch) / Double(max(1, batches))
                    let bar = String(repeating: "#", count: Int(frac * 24)) + String(repeating: ".", count: 24 - Int(frac * 24))
                    let eta = frac > 0 ? elapsed * (1 - frac) / frac : 0
                    stderr.write(Data(String(format: "\repoch %d/%d [%@] %d/%d  loss %.4f  %.0f tok/s  ETA %.0fs ", epoch + 1, epochs, bar, batch, batches, loss, tps, eta).utf8))
                    if batch == batches { stderr.write(Data("\n".utf8)) }
                case let .epochEnd(epoch, loss, f1, best, seconds):
                    note(String(format: "epoch %d: loss %.4f  dev F1 %@  %.0fs%@", epoch, loss, f1.map { String(format: "%.4f", $0) } ?? "–", seconds, best ? "  (best)" : ""))
                case let .resumed(epoch, batch, step):
                    note("resumed from \(output)/last: epoch \(epoch + 1), batch \(batch), step \(step)")
                case let .stopped(step):
                    note("stopped after step \(step); checkpoint in \(output)/last")
                }
            }
            try writeJSONAtomically(summary.history, to: output + "/history.json")
            if let f = summary.bestF1, let e = summary.bestEpoch {
                print(String(format: "best dev F1 %.4f (epoch %d); weights in %@/best", f, e, output))
            } else if !summary.interrupted {
                print("trained \(summary.steps) steps; weights in \(output)/best")
            }
        }
    }
}

func loadTaggerConfig(_ run: String) throws -> TaggerConfig {
    let file = run + "/tagger.json"
    guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): no such file (not a tagger run directory)") }
    do { return try JSONDecoder().decode(TaggerConfig.self, from: data) } catch {
        throw CLIError("\(file): not a tagger configuration (\(error))")
    }
}

/// A trained tagger from RUN/ (tagger.json + best/weights.safetensors).
func loadTagger(_ run: String) throws -> TokenClassifier {
    let config = try loadTaggerConfig(run)
    let weights = run + "/best/weights.safetensors"
    guard FileManager.default.fileExists(atPath: weights) else { throw CLIError("\(weights): no such file (the run has no finished epoch)") }
    let c = try TokenClassifier(config: config)
    try c.load(weightsFile: weights)
    return c
}

/// Splits raw text into tokens: whitespace, and every punctuation or symbol character on its own.
func simpleTokens(_ line: String) -> [String] {
    var out: [String] = []
    var cur = ""
    for ch in line {
        if ch.isWhitespace { if !cur.isEmpty { out.append(cur); cur = "" }; continue }
        if ch.isPunctuation || ch.isSymbol {
            if !cur.isEmpty { out.append(cur); cur = "" }
            out.append(String(ch))
            continue
        }
        cur.append(ch)
    }
    if !cur.isEmpty { out.append(cur) }
    return out
}

extension Tagger {
    struct Predict: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tag raw text (one sentence per line, from a file or stdin) or a CoNLL file; writes CoNLL with predicted BIO tags.")
        @Option(help: "Tagger run directory.") var model: String
        @Option(help: "A CoNLL file whose tokens are tagged (its tags are ignored).") var input: String?
        @Argument(help: "Raw text file (default: stdin) when --input is not given.") var text: String?
        @Flag(help: "Raw text is already tokenised (split on whitespace only).") var tokenized = false
        @Option(name: .shortAndLong, help: "Output CoNLL (default: stdout).") var output: String?
        @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Windows per batch.") var batchSize = 16

        func run() throws {
            var sentences: [[String]]
            if let input {
                guard FileManager.default.fileExists(atPath: input) else { throw CLIError("\(input): no such file") }
                sentences = try CoNLLReader.read(path: input, requireTags: false, readTags: false).map(\.tokens)
            } else {
                let bytes = try readAllInput(text)
                let name = text ?? "stdin"
                try validateUTF8(bytes, name: name)
                sentences = lineRanges(bytes).map { r in
                    let line = String(decoding: bytes[r], as: UTF8.self)
                    return tokenized ? line.split(whereSeparator: { $0.isWhitespace }).map(String.init) : simpleTokens(line)
                }.filter { !$0.isEmpty }
            }
            let tagger = try loadTagger(model)
            NN.setThreads(max(1, threads))
            var progress: Progress? = nil
            var reported = 0
            let tags = tagger.predict(sentences, batchSize: batchSize) { done, total in
                if progress == nil { progress = Progress("predict", total: total) }
                progress?.advance(by: done - reported)
                reported = done
            }
            let out = zip(sentences, tags).map { CoNLLSentence(tokens: $0, tags: $1) }
            let bytes = try CoNLLWriter.render(out, separator: .tab, name: output ?? "stdout")
            try withOutput(output) { $0.write(bytes) }
        }
    }

    struct EvalTransfer: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eval-transfer",
            abstract: "Evaluate one tagger on every language's dev file of a corpus folder: language, sentences, P, R, F1.",
            discussion: """
                Languages are the subfolders of --data (masakhaner/, conll_ner/): in each, the file whose name contains \
                --split (default dev). Or the CoNLL files directly in --data (the language is the name up to the first \
                '-' or '.'). Only entity types both the tagger and a language's gold use are scored: other gold types \
                (e.g. MasakhaNER's DATE for a CoNLL-trained tagger) become O in the gold and other predicted types O \
                in the prediction; the table says which types were scored.
                """)
        @Option(help: "Tagger run directory.") var model: String
        @Option(help: "Corpus folder (default: CROSSTALK_DATA or ../shared/corpora joined with this name).") var data: String
        @Option(help: "Split name matched in file names.") var split = "dev"
        @Option(help: "Only these languages (comma-separated).") var languages: String?
        @Option(help: "text | json | markdown") var format: TableFormat = .text
        @Option(help: "Threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Write per-language predictions (CoNLL) into this folder.") var predictions: String?

        enum TableFormat: String, ExpressibleByArgument { case text, json, markdown }

        func run() throws {
            let root = resolveCorpus(data)
            let files = try transferFiles(root, split: split, only: languages.map { Set($0.split(separator: ",").map(String.init)) })
            let tagger = try loadTagger(model)
            NN.setThreads(max(1, threads))
            let known = Set(tagger.labels.types)
            struct Row: Encodable { let language: String; let sentences: Int; let types: [String]; let precision: Double; let recall: Double; let f1: Double }
            var rows: [Row] = []
            let progress = Progress("eval-transfer", total: files.count)
            for (lang, file) in files {
                let gold = try CoNLLReader.read(path: file)
                let goldTypes = entityTypes(gold)
                let scored = known.intersection(goldTypes)
                func keep(_ tags: [String]) -> [String] { tags.map { t in BIO.type(of: t).map { scored.contains(String($0)) ? t : "O" } ?? t } }
                let pred = tagger.predict(gold.map(\.tokens))
                let g = gold.map { BIO.repair(keep($0.tags)) }, p = pred.map { BIO.repair(keep($0)) }
                let r = try SpanEvaluation.evaluate(gold: g, predicted: p)
                rows.append(Row(language: lang, sentences: gold.count, types: scored.sorted(), precision: r.micro.precision, recall: r.micro.recall, f1: r.micro.f1))
                if let predictions {
                    try FileManager.default.createDirectory(atPath: predictions, withIntermediateDirectories: true)
                    try CoNLLWriter.write(zip(gold, pred).map { CoNLLSentence(tokens: $0.tokens, tags: $1) }, to: predictions + "/\(lang).conll")
                }
                progress.advance()
            }
            let mean = rows.isEmpty ? 0 : rows.map(\.f1).reduce(0, +) / Double(rows.count)
            var out = ""
            switch format {
            case .json:
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                struct Table: Encodable { let model: String; let rows: [Row]; let mean_f1: Double }
                out = String(decoding: try enc.encode(Table(model: model, rows: rows, mean_f1: mean)), as: UTF8.self) + "\n"
            case .markdown:
                out = "| language | sentences | P | R | F1 | types |\n|---|---:|---:|---:|---:|---|\n"
                for r in rows { out += String(format: "| %@ | %d | %.1f | %.1f | %.1f | %@ |\n", r.language, r.sentences, 100 * r.precision, 100 * r.recall, 100 * r.f1, r.types.joined(separator: " ")) }
                out += String(format: "| mean | | | | %.1f | |\n", 100 * mean)
            case .text:
                out = "language  sentences      P      R     F1  types\n"
                for r in rows { out += String(format: "%-8@ %10d %6.1f %6.1f %6.1f  %@\n", r.language, r.sentences, 100 * r.precision, 100 * r.recall, 100 * r.f1, r.types.joined(separator: " ")) }
                out += String(format: "%-8@ %10@ %6@ %6@ %6.1f\n", "mean", "", "", "", 100 * mean)
            }
            try withOutput(nil) { $0.write(out) }
        }
    }
}

/// A corpus folder as given, or under CROSSTALK_DATA / ../shared/corpora when it is a bare name.
func resolveCorpus(_ name: String) -> String {
    if FileManager.default.fileExists(atPath: name) { return name }
    if let env = ProcessInfo.processInfo.environment["CROSSTALK_DATA"], FileManager.default.fileExists(atPath: env + "/" + name) { return env + "/" + name }
    return name
}

/// (language, file) pairs of a corpus folder, sorted by language.
func transferFiles(_ root: String, split: String, only: Set<String>?) throws -> [(String, String)] {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else { throw CLIError("\(root): no such corpus folder") }
    var out: [(String, String)] = []
    let entries = try fm.contentsOfDirectory(atPath: root).sorted()
    for e in entries where !e.hasPrefix(".") {
        let path = root + "/" + e
        var d: ObjCBool = false
        _ = fm.fileExists(atPath: path, isDirectory: &d)
        if d.boolValue {
            let files = (try fm.contentsOfDirectory(atPath: path)).sorted().filter { $0.contains(split) && !$0.hasSuffix(".md") }
            if let f = files.first { out.append((e, path + "/" + f)) }
        } else if e.contains(split) || e.hasSuffix(".conll") || e.hasSuffix(".conll02") {
            if e.hasSuffix(".md") || e.hasSuffix(".json") { continue }
            let lang = String(e.prefix { $0 != "-" && $0 != "." && $0 != "_" })
            out.append((lang, path))
        }
    }
    if let only { out = out.filter { only.contains($0.0) } }
    guard !out.isEmpty else { throw CLIError("\(root): no CoNLL files matching '\(split)' (expected LANG/…\(split)… files)") }
    return out
}
