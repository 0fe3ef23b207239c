// Embedder: sentence embeddings from a model directory (installed name or a Hugging Face
// directory): SentencePiece ids with bos/eos, truncation to the position table, batches of
// similar lengths padded and run through BertEncoder on several workers (one single-threaded
// BLAS per worker), mean/CLS pooling and L2 normalisation as the model's config says. Mirrors
// sentence-transformers' encode for multilingual-e5 (prefix, mean pooling, normalize). Leaves out
// WordPiece vocabularies (vocab.txt) for now: those directories are refused with a clear error.

import Foundation
import TensorCore
import Tokenization

public final class Embedder: @unchecked Sendable {
    public let directory: ModelDirectory
    public let encoder: BertEncoder
    public let tokenizer: SentencePieceProcessor
    public let pooling: Pooling
    public let normalize: Bool

    /// `model`: an installed model name (see `ModelRegistry`) or a path to a model directory.
    public init(model: String, home: String? = nil) throws {
        var isDir: ObjCBool = false
        if model.contains("/") || (FileManager.default.fileExists(atPath: model, isDirectory: &isDir) && isDir.boolValue) {
            directory = try ModelDirectory(path: model)
        } else {
            directory = try ModelDirectory.installed(model, home: home)
        }
        guard directory.tokenizerKind == .sentencePiece else {
            throw ModelError.invalid(file: directory.tokenizerPath, place: "tokenizer", found: "a WordPiece vocab.txt",
                                     expected: "a SentencePiece model (WordPiece tokenizers are not supported yet)")
        }
        tokenizer = try SentencePieceProcessor(modelPath: directory.tokenizerPath)
        let weights = try SafeTensorsFile(path: directory.weightsPath)
        // Checkpoints saved from a task model keep the encoder under "roberta." or "bert.".
        let prefix = ["", "roberta.", "bert."].first { weights.contains($0 + "embeddings.word_embeddings.weight") } ?? ""
        encoder = try BertEncoder(config: directory.config, weights: weights, prefix: prefix)
        pooling = Pooling(rawValue: directory.config.pooling ?? "mean") ?? .mean
        normalize = directory.config.normalizeEmbeddings
    }

    /// Model ids for one text: bos + pieces + eos, truncated to fit the position table.
    public func ids(for text: String) -> [Int32] {
        let c = directory.config
        let room = c.maxPositions - c.positionIdsStart - 2
        var pieces = tokenizer.encode(text)
        if pieces.count > room { pieces.removeLast(pieces.count - room) }
        return [Int32(c.bosTokenId ?? 0)] + pieces + [Int32(c.eosTokenId ?? 2)]
    }

    /// Embeddings of `texts` (with `prefix` prepended to each), in input order.
    /// - returns: [N, C]
    public func embed(_ texts: [String], prefix: String = "", batchSize: Int = 8, workers: Int = Parallel.defaultWorkers,
                      progress: ((Int) -> Void)? = nil) -> Tensor {
        let c = directory.config.hiddenSize
        let all = texts.map { ids(for: prefix + $0) }
        // Longest first, so each batch holds similar lengths and little padding.
        let order = all.indices.sorted { all[$0].count > all[$1].count }
        let batches = stride(from: 0, to: order.count, by: max(1, batchSize)).map { Array(order[$0..<min(order.count, $0 + batchSize)]) }
        let out = Tensor(zeros: [texts.count, c])
        let pad = Int32(directory.config.padTokenId)
        let lock = NSLock()
        // Fewer batches than workers (one short input): the spare workers go inside each operation.
        let inner = max(1, workers / max(1, batches.count))
        Parallel.forEach(batches.count, workers: workers) { bi in
            let rows = batches[bi]
            let t = rows.map { all[$0].count }.max() ?? 0
            let ids = rows.map { all[$0] + [Int32](repeating: pad, count: t - all[$0].count) }
            let mask = rows.map { [Int32](repeating: 1, count: all[$0].count) + [Int32](repeating: 0, count: t - all[$0].count) }
            let hidden = encoder.forward(ids: ids, mask: mask, workers: inner)
            let pooled = encoder.pool(hidden, mask: mask, pooling: pooling, normalize: normalize)
            for (j, r) in rows.enumerated() {
                (out.base + r * c).update(from: pooled.base + j * c, count: c)
            }
            if let progress { lock.lock(); progress(rows.count); lock.unlock() }
        }
        return out
    }
}
