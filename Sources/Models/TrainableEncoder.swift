// TrainableEncoder: the BERT / XLM-R encoder of BertEncoder rebuilt from NN layers so that it can
// be fine-tuned — the same computation (HF BertModel / XLMRobertaModel 4.x, post-LN, GELU,
// absolute positions, additive padding mask) recorded on the Autograd tape, with dropout
// (hidden and attention probabilities, p = hidden_dropout_prob, 0.1 for e5) in training mode.
// Any of the six projections of every layer can be wrapped by a LoRA or a mixture of LoRAs; the
// mixture's gate lives in each layer and reads that layer's first-token input state.
// Parameter names are the Hugging Face ones, so weights round-trip with model.safetensors.
// Leaves out gradient checkpointing, relative positions and cross-attention.

import Autograd
import NN
import TensorCore

public final class TrainableEncoderLayer: Layer {
    public var query, key, value, attentionOutput, intermediate, output: LinearLayer
    public let attentionNorm, outputNorm: LayerNormLayer
    public var gate: LoRAGate?

    init(query: LinearLayer, key: LinearLayer, value: LinearLayer, attentionOutput: LinearLayer,
         intermediate: LinearLayer, output: LinearLayer, attentionNorm: LayerNormLayer, outputNorm: LayerNormLayer) {
        self.query = query; self.key = key; self.value = value
        self.attentionOutput = attentionOutput; self.intermediate = intermediate; self.output = output
        self.attentionNorm = attentionNorm; self.outputNorm = outputNorm
    }

    /// The projections by their HF path inside a layer.
    public static let projectionNames = ["attention.self.query", "attention.self.key", "attention.self.value",
                                         "attention.output.dense", "intermediate.dense", "output.dense"]

    var projections: [LinearLayer] { [query, key, value, attentionOutput, intermediate, output] }

    func setProjection(_ i: Int, _ l: LinearLayer) {
        switch i {
        case 0: query = l
        case 1: key = l
        case 2: value = l
        case 3: attentionOutput = l
        case 4: intermediate = l
        default: output = l
        }
    }

    public func namedParameters() -> [(name: String, variable: Variable)] {
        var out: [(name: String, variable: Variable)] = []
        for (n, p) in zip(Self.projectionNames, projections) { out += scoped(n, p) }
        out += scoped("attention.output.LayerNorm", attentionNorm) + scoped("output.LayerNorm", outputNorm)
        if let gate { out += scoped("lora_gate", gate) }
        return out
    }
}

public final class TrainableEncoder: Layer {
    public let config: EncoderConfig
    public let activation: GELUApproximation
    public let word, position, tokenType: EmbeddingLayer
    public let embeddingNorm: LayerNormLayer
    public let layers: [TrainableEncoderLayer]

    /// Loads (and shape-checks) every encoder weight, as BertEncoder does.
    public init(config: EncoderConfig, weights: SafeTensorsFile, prefix: String = "") throws {
        let frozen = try BertEncoder(config: config, weights: weights, prefix: prefix)
        self.config = config
        activation = frozen.activation
        word = EmbeddingLayer(table: frozen.word)
        position = EmbeddingLayer(table: frozen.position)
        tokenType = EmbeddingLayer(table: frozen.tokenType)
        embeddingNorm = LayerNormLayer(gamma: frozen.embNorm.g, beta: frozen.embNorm.b, eps: frozen.eps)
        layers = frozen.layers.map { l in
            TrainableEncoderLayer(
                query: Linear(weight: l.q.w, bias: l.q.b), key: Linear(weight: l.k.w, bias: l.k.b),
                value: Linear(weight: l.v.w, bias: l.v.b), attentionOutput: Linear(weight: l.attnOut.w, bias: l.attnOut.b),
                intermediate: Linear(weight: l.inter.w, bias: l.inter.b), output: Linear(weight: l.out.w, bias: l.out.b),
                attentionNorm: LayerNormLayer(gamma: l.attnNorm.g, beta: l.attnNorm.b, eps: frozen.eps),
                outputNorm: LayerNormLayer(gamma: l.outNorm.g, beta: l.outNorm.b, eps: frozen.eps))
        }
    }

    public func namedParameters() -> [(name: String, variable: Variable)] {
        var out = scoped("embeddings.word_embeddings", word) + scoped("embeddings.position_embeddings", position)
            + scoped("embeddings.token_type_embeddings", tokenType) + scoped("embeddings.LayerNorm", embeddingNorm)
        for (i, l) in layers.enumerated() { out += scoped("encoder.layer.\(i)", l) }
        return out
    }

    // MARK: regimes

    /// Sets requiresGrad on every base weight (embeddings, projections, norms); adapters keep theirs.
    /// `embeddings: false` keeps the word/position/type tables frozen even when the rest trains.
    public func setBaseTrainable(_ trainable: Bool, embeddings: Bool = true) {
        word.setTrainable(trainable && embeddings)
        position.setTrainable(trainable && embeddings)
        tokenType.setTrainable(trainable && embeddings)
        embeddingNorm.setTrainable(trainable)
        for l in layers {
            for p in l.projections {
                if let lin = p as? Linear { lin.setTrainable(trainable) }
            }
            l.attentionNorm.setTrainable(trainable)
            l.outputNorm.setTrainable(trainable)
        }
    }

    /// Wraps the projections whose HF path ends with one of `targets` (e.g. "query", "value",
    /// "dense") in LoRA adapters; every base weight is frozen.
    /// - returns: how many projections were wrapped
    @discardableResult
    public func applyLoRA(rank: Int, alpha: Float, targets: [String], seed: UInt64) -> Int {
        setBaseTrainable(false)
        var wrapped = 0
        for (li, l) in layers.enumerated() {
            for (pi, name) in TrainableEncoderLayer.projectionNames.enumerated() where Self.matches(name, targets) {
                guard let base = l.projections[pi] as? Linear else { continue }
                l.setProjection(pi, LoRALinear(base: base, rank: rank, alpha: alpha, seed: seed &+ UInt64(li * 16 + pi)))
                wrapped += 1
            }
        }
        return wrapped
    }

    /// Mixture of `experts` LoRAs on the target projections, one softmax gate per layer.
    @discardableResult
    public func applyMixtureOfLoRA(experts: Int, rank: Int, alpha: Float, targets: [String], seed: UInt64) -> Int {
        setBaseTrainable(false)
        var wrapped = 0
        for (li, l) in layers.enumerated() {
            let gate = LoRAGate(hidden: config.hiddenSize, experts: experts, seed: seed &+ UInt64(1000 + li))
            l.gate = gate
            for (pi, name) in TrainableEncoderLayer.projectionNames.enumerated() where Self.matches(name, targets) {
                guard let base = l.projections[pi] as? Linear else { continue }
                l.setProjection(pi, MixtureOfLoRALinear(base: base, gate: gate, rank: rank, alpha: alpha,
                                                        seed: seed &+ UInt64(li * 16 + pi)))
                wrapped += 1
            }
        }
        return wrapped
    }

    /// Folds every LoRA into its base weight (inference); mixtures are left as they are.
    public func fuseLoRA() {
        for l in layers {
            for (pi, p) in l.projections.enumerated() {
                if let lora = p as? LoRALinear { l.setProjection(pi, lora.fused()) }
            }
        }
    }

    static func matches(_ name: String, _ targets: [String]) -> Bool {
        targets.contains { t in name == t || name.hasSuffix("." + t) || name.hasSuffix(t) }
    }

    // MARK: forward

    /// Last hidden state. - ids, mask: [B][T] → [B, T, C]
    public func callAsFunction(ids: [[Int32]], mask: [[Int32]], context: ForwardContext) -> Variable {
        let b = ids.count, t = ids.first?.count ?? 0, c = config.hiddenSize
        let h = config.headCount, d = c / h
        precondition(t + config.positionIdsStart <= config.maxPositions,
                     "TrainableEncoder: \(t) tokens exceed max positions \(config.maxPositions)")
        let flat = ids.flatMap { $0.map { Int($0) } }
        var x = word(flat, shape: [b, t])
        x = x + position(BertEncoder.positionIds(mask: mask, start: config.positionIdsStart), shape: [b, t])
        x = x + tokenType([Int](repeating: 0, count: b * t), shape: [b, t])
        x = context.dropout(embeddingNorm(x))
        let padded = mask.contains { $0.contains(0) }
        let additive: Tensor? = padded
            ? Tensor(mask.flatMap { $0.map { $0 != 0 ? Float(0) : -Float.infinity } }, shape: [b, 1, 1, t]) : nil
        let scale = 1 / Float(d).squareRoot()
        for l in layers {
            l.gate?.update(from: x, context: context)
            let q = l.query(x, context: context).reshaped([b, t, h, d]).permuted([0, 2, 1, 3])    // [B, H, T, D]
            let k = l.key(x, context: context).reshaped([b, t, h, d]).permuted([0, 2, 1, 3])
            let v = l.value(x, context: context).reshaped([b, t, h, d]).permuted([0, 2, 1, 3])
            let scores = matmul(q, k, transposeB: true) * scale                                     // [B, H, T, T]
            let probs = context.dropout(softmax(scores, mask: additive))
            let ctx = matmul(probs, v).permuted([0, 2, 1, 3]).reshaped([b, t, c])                  // [B, T, C]
            x = l.attentionNorm(context.dropout(l.attentionOutput(ctx, context: context)) + x)
            let inner = gelu(l.intermediate(x, context: context), approximation: activation)      // [B, T, F]
            x = l.outputNorm(context.dropout(l.output(inner, context: context)) + x)
        }
        return x
    }
}
