// Embedder: sentence embeddings from a model directory (installed name or a Hugging Face
// directory): SentencePiece ids with bos/eos, or WordPiece (vocab.txt) ids with [CLS]/[SEP],
// truncation to the position table (or sentence_bert_config.json's max_seq_length), batches of
// similar lengths padded and run through BertEncoder on several workers (one single-threaded
// BLAS per worker), mean/CLS pooling and L2 normalisation as the model's files say. Mirrors
// sentence-transformers' encode (Transformer → Pooling → Normalize) for multilingual-e5 and
// all-MiniLM-L6-v2. Leaves out max / sqrt-length pooling and pair inputs.

import Foundation
import TensorCore
import Tokenization

public final class Embedder: @unchecked Sendable {
    public let directory: ModelDirectory
    public let encoder: BertEncoder
    public let tokenizer: EmbedderTokenizer
    public let pooling: Pooling
    public let normalize: Bool
    /// Longest id sequence fed to the encoder, specials included.
    public let maxLength: Int

    /// `model`: an installed model name (see `ModelRegistry`) or a path to a model directory.
    public init(model: String, home: String? = nil) throws {
        var isDir: ObjCBool = false
        if model.contains("/") || (FileManager.default.fileExists(atPath: model, isDirectory: &isDir) && isDir.boolValue) {
            directory = try ModelDirectory(path: model)
        } else {
            directory = try ModelDirectory.installed(model, home: home)
        }
        let dir = directory.path, config = directory.config
        tokenizer = try EmbedderTokenizer(directory: directory)
        let weights = try SafeTensorsFile(path: directory.weightsPath)  // int64 position_ids buffers open fine; never loaded
        // Checkpoints saved from a task model keep the encoder under "roberta." or "bert.".
        let prefix = ["", "roberta.", "bert."].first { weights.contains($0 + "embeddings.word_embeddings.weight") } ?? ""
        encoder = try BertEncoder(config: config, weights: weights, prefix: prefix)
        // sentence-transformers' modules, when the directory has them, override config.json.
        pooling = try Embedder.sentenceTransformersPooling(dir) ?? Pooling(rawValue: config.pooling ?? "mean") ?? .mean
        normalize = try Embedder.sentenceTransformersNormalize(dir) ?? config.normalizeEmbeddings
        var length = config.maxPositions - config.positionIdsStart
        if let n = try Embedder.jsonObject(dir + "/sentence_bert_config.json")?["max_seq_length"] as? Int, n >= 3 {
            length = min(length, n)
        }
        maxLength = length
    }

    /// Model ids for one text: bos + pieces + eos (SentencePiece) or [CLS] + pieces + [SEP]
    /// (WordPiece), pieces truncated so the whole fits `maxLength`.
    public func ids(for text: String) -> [Int32] {
        let c = directory.config
        let room = maxLength - 2
        var pieces = tokenizer.encode(text)
        if pieces.count > room { pieces.removeLast(pieces.count - room) }
        switch tokenizer {
        case .sentencePiece: return [Int32(c.bosTokenId ?? 0)] + pieces + [Int32(c.eosTokenId ?? 2)]
        case .wordPiece(let wp): return [wp.clsId] + pieces + [wp.sepId]
        }
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

/// The tokenizer of a model directory: SentencePiece (XLM-R style) or BERT WordPiece.
public enum EmbedderTokenizer: Sendable {
    case sentencePiece(SentencePieceProcessor)
    case wordPiece(WordPieceTokenizer)

    /// The tokenizer files of `directory` (tokenizer_config.json's do_lower_case for WordPiece).
    public init(directory: ModelDirectory) throws {
        switch directory.tokenizerKind {
        case .sentencePiece:
            self = .sentencePiece(try SentencePieceProcessor(modelPath: directory.tokenizerPath))
        case .wordPieceVocab:
            let lowercase = try Embedder.jsonObject(directory.path + "/tokenizer_config.json")?["do_lower_case"] as? Bool ?? true
            self = .wordPiece(try WordPieceTokenizer(vocabPath: directory.tokenizerPath, lowercase: lowercase))
        }
    }

    /// The unknown-token id (for a word that yields no pieces).
    public var unknownId: Int32 {
        switch self {
        case .sentencePiece(let sp): return sp.unkId
        case .wordPiece(let wp): return wp.unkId
        }
    }

    /// Start and end specials: <s> </s> (ids from config.json) or [CLS] [SEP].
    public func specials(config: EncoderConfig) -> (bos: Int32, eos: Int32) {
        switch self {
        case .sentencePiece: return (Int32(config.bosTokenId ?? 0), Int32(config.eosTokenId ?? 2))
        case .wordPiece(let wp): return (wp.clsId, wp.sepId)
        }
    }

    /// Piece ids without specials.
    public func encode(_ text: String) -> [Int32] {
        switch self {
        case .sentencePiece(let sp): return sp.encode(text)
        case .wordPiece(let wp): return wp.encode(text)
        }
    }

    public var vocabularySize: Int {
        switch self {
        case .sentencePiece(let sp): return sp.vocabularySize
        case .wordPiece(let wp): return wp.vocabularySize
        }
    }
}

// MARK: sentence-transformers files and weights

extension Embedder {
    /// A JSON file as a dictionary (for modules.json: {"modules": [...]}); nil when the file is absent.
    static func jsonObject(_ path: String) throws -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let parsed = try? JSONSerialization.jsonObject(with: data)
        if let dict = parsed as? [String: Any] { return dict }
        if let list = parsed as? [Any] { return ["modules": list] }
        throw ModelError.invalid(file: path, place: "top level", found: "not a JSON object", expected: "a JSON object")
    }

    /// Pooling from `1_Pooling/config.json` (sentence-transformers' Pooling module); nil when absent.
    static func sentenceTransformersPooling(_ dir: String) throws -> Pooling? {
        let file = dir + "/1_Pooling/config.json"
        guard let json = try jsonObject(file) else { return nil }
        if json["pooling_mode_mean_tokens"] as? Bool == true { return .mean }
        if json["pooling_mode_cls_token"] as? Bool == true { return .cls }
        let modes = json.keys.filter { $0.hasPrefix("pooling_mode_") && json[$0] as? Bool == true }.sorted()
        throw ModelError.invalid(file: file, place: "pooling mode", found: modes.isEmpty ? "none set" : modes.joined(separator: ", "),
                                 expected: "pooling_mode_mean_tokens or pooling_mode_cls_token")
    }

    /// True when modules.json lists a Normalize module, false when it lists none; nil without modules.json.
    static func sentenceTransformersNormalize(_ dir: String) throws -> Bool? {
        let file = dir + "/modules.json"
        guard let json = try jsonObject(file) else { return nil }
        guard let modules = json["modules"] as? [[String: Any]] else {
            throw ModelError.invalid(file: file, place: "modules", found: "not a list of objects", expected: "[{\"type\": ...}, ...]")
        }
        return modules.contains { ($0["type"] as? String)?.hasSuffix(".Normalize") == true }
    }

}
