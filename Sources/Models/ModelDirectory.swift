// A model directory in the Hugging Face layout (an installed model, or a BERT/XLM-R encoder a
// user brings): reads and validates config.json (transformers 4.x BertConfig /
// XLMRobertaConfig field names) and locates model.safetensors and the tokenizer file.
// Position ids: `crosstalk.position_ids_start` when present, else 0 for "bert" and
// pad_token_id + 1 for "xlm-roberta"/"roberta" (transformers' create_position_ids_from_input_ids).
// Not here: loading the weights or running the encoder (a later slice).

import Foundation

/// What an encoder needs from config.json.
public struct EncoderConfig: Equatable, Sendable {
    public var modelType: String
    /// H.
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// FF.
    public var intermediateSize: Int
    /// V.
    public var vocabularySize: Int
    /// P.
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEps: Double
    /// "gelu" (erf) as in HF's ACT2FN.
    public var hiddenAct: String
    public var padTokenId: Int
    public var bosTokenId: Int?
    public var eosTokenId: Int?
    /// Position id of the first token.
    public var positionIdsStart: Int
    /// "mean" or "cls"; nil when the config does not say.
    public var pooling: String?
    public var queryPrefix: String?
    public var passagePrefix: String?
    /// L2-normalise pooled embeddings (crosstalk.normalize_embeddings; default true, as
    /// multilingual-e5 and most sentence-embedding models are compared by cosine).
    public var normalizeEmbeddings: Bool = true
}

public struct ModelDirectory: Sendable {
    public enum TokenizerKind: String, Sendable { case sentencePiece, wordPieceVocab }

    public let path: String
    public let config: EncoderConfig
    /// `<path>/model.safetensors`.
    public let weightsPath: String
    public let tokenizerPath: String
    public let tokenizerKind: TokenizerKind

    /// Tokenizer files looked for, in order.
    public static let tokenizerFiles: [(String, TokenizerKind)] = [
        ("sentencepiece.bpe.model", .sentencePiece), ("spiece.model", .sentencePiece),
        ("tokenizer.model", .sentencePiece), ("vocab.txt", .wordPieceVocab),
    ]

    /// - Throws: `ModelError` naming the file and field when something is missing or wrong.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError.io(path: path, reason: "no such directory (expected a model directory with config.json)")
        }
        self.path = path
        config = try ModelDirectory.readConfig(path + "/config.json")
        weightsPath = path + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            let hint = FileManager.default.fileExists(atPath: path + "/pytorch_model.bin")
                ? " (pytorch_model.bin is not read; convert it to safetensors)" : ""
            throw ModelError.io(path: weightsPath, reason: "missing\(hint)")
        }
        guard let (file, kind) = ModelDirectory.tokenizerFiles.first(where: {
            FileManager.default.fileExists(atPath: path + "/" + $0.0)
        }) else {
            throw ModelError.io(path: path, reason: "no tokenizer file (expected one of "
                                + ModelDirectory.tokenizerFiles.map(\.0).joined(separator: ", ") + ")")
        }
        tokenizerPath = path + "/" + file
        tokenizerKind = kind
    }

    /// Reads and validates a config.json.
    public static func readConfig(_ file: String) throws -> EncoderConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ModelError.io(path: file, reason: "missing (expected a Hugging Face config.json)")
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalid(file: file, place: "config", found: "not a JSON object", expected: "a Hugging Face config.json")
        }
        func int(_ key: String, minimum: Int = 1) throws -> Int {
            guard let value = json[key] else {
                throw ModelError.invalid(file: file, place: "field \(key)", found: "nothing", expected: "an integer ≥ \(minimum)")
            }
            guard let n = value as? NSNumber, Double(n.intValue) == n.doubleValue, n.intValue >= minimum else {
                throw ModelError.invalid(file: file, place: "field \(key)", found: "\(value)", expected: "an integer ≥ \(minimum)")
            }
            return n.intValue
        }
        func optionalInt(_ key: String) -> Int? { (json[key] as? NSNumber)?.intValue }

        guard let modelType = json["model_type"] as? String else {
            throw ModelError.invalid(file: file, place: "field model_type", found: "nothing",
                                     expected: "\"bert\", \"xlm-roberta\" or \"roberta\"")
        }
        guard ["bert", "xlm-roberta", "roberta"].contains(modelType) else {
            throw ModelError.invalid(file: file, place: "field model_type", found: "\"\(modelType)\"",
                                     expected: "\"bert\", \"xlm-roberta\" or \"roberta\" (encoders this loader reads)")
        }
        let hidden = try int("hidden_size")
        let heads = try int("num_attention_heads")
        guard hidden % heads == 0 else {
            throw ModelError.invalid(file: file, place: "field num_attention_heads", found: "\(heads)",
                                     expected: "a divisor of hidden_size \(hidden)")
        }
        let act = json["hidden_act"] as? String ?? "gelu"
        guard ["gelu", "gelu_new", "relu", "gelu_pytorch_tanh"].contains(act) else {
            throw ModelError.invalid(file: file, place: "field hidden_act", found: "\"\(act)\"",
                                     expected: "gelu, gelu_new, gelu_pytorch_tanh or relu")
        }
        let eps = (json["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12
        guard eps > 0, eps < 1 else {
            throw ModelError.invalid(file: file, place: "field layer_norm_eps", found: "\(eps)", expected: "0 < eps < 1")
        }
        let pad = optionalInt("pad_token_id") ?? (modelType == "bert" ? 0 : 1)
        let crosstalk = json["crosstalk"] as? [String: Any] ?? [:]
        let start = (crosstalk["position_ids_start"] as? NSNumber)?.intValue ?? (modelType == "bert" ? 0 : pad + 1)
        let maxPositions = try int("max_position_embeddings")
        guard start >= 0, start < maxPositions else {
            throw ModelError.invalid(file: file, place: "field crosstalk.position_ids_start", found: "\(start)",
                                     expected: "0..<max_position_embeddings (\(maxPositions))")
        }
        return EncoderConfig(
            modelType: modelType, hiddenSize: hidden, layerCount: try int("num_hidden_layers"), headCount: heads,
            intermediateSize: try int("intermediate_size"), vocabularySize: try int("vocab_size"),
            maxPositions: maxPositions, typeVocabularySize: json["type_vocab_size"] == nil ? 2 : try int("type_vocab_size"),
            layerNormEps: eps, hiddenAct: act, padTokenId: pad,
            bosTokenId: optionalInt("bos_token_id"), eosTokenId: optionalInt("eos_token_id"),
            positionIdsStart: start, pooling: crosstalk["pooling"] as? String,
            queryPrefix: crosstalk["query_prefix"] as? String, passagePrefix: crosstalk["passage_prefix"] as? String,
            normalizeEmbeddings: crosstalk["normalize_embeddings"] as? Bool ?? true)
    }

    /// The installed registry model `name` under `home` (default cache root).
    /// - Throws: `.unknownModel`, `.notInstalled`, or config errors.
    public static func installed(_ name: String, home: String? = nil) throws -> ModelDirectory {
        let installer = ModelInstaller(home: home)
        _ = try installer.registry.entry(name)
        let dir = installer.directory(of: name)
        guard FileManager.default.fileExists(atPath: dir + "/" + ModelInstaller.installRecord) else {
            throw ModelError.notInstalled(name: name, path: dir)
        }
        return try ModelDirectory(path: dir)
    }
}
