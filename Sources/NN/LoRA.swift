// Low-rank adaptation (Hu et al. 2021; PEFT's LoraLayer) as a wrapping layer, and a mixture of
// LoRAs with a softmax gate (MT4CrossOIE's language-specific LoRA mixture).
//   LoRA:    y = x·Wᵀ + b + (α/r)·(x·Aᵀ)·Bᵀ,  A [r, in] ~ U(±1/√in) (PEFT's kaiming_uniform(a=√5)),
//            B [out, r] = 0, so the output at initialisation equals the base layer's; W, b frozen.
//   fused(): a plain Linear with W + (α/r)·B·A (for inference).
//   Mixture: y = x·Wᵀ + b + Σ_e g_e·(α/r)·(x·A_eᵀ)·B_eᵀ with g = softmax(x₀·W_gᵀ) [B, E] computed by
//            the owning encoder layer from its first-token hidden state and shared by every
//            mixture in that layer; optional top-k at inference keeps the k largest gates
//            (renormalised to sum to 1).
// Leaves out LoRA dropout variants other than input dropout, DoRA and rank-stabilised scaling.

import Autograd
import TensorCore

public final class LoRALinear: LinearLayer {
    public let base: Linear
    public let loraA: Variable   // [r, in]
    public let loraB: Variable   // [out, r]
    public let rank: Int
    public let alpha: Float
    public var scaling: Float { alpha / Float(rank) }

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }

    /// Wraps `base` (frozen from now on) with a rank-`rank` adapter.
    public init(base: Linear, rank: Int, alpha: Float, seed: UInt64) {
        precondition(rank > 0, "LoRA: rank \(rank) must be positive")
        base.setTrainable(false)
        self.base = base
        self.rank = rank
        self.alpha = alpha
        let bound = 1 / Float(base.inFeatures).squareRoot()
        loraA = parameter(Tensor.uniform(shape: [rank, base.inFeatures], low: -bound, high: bound, seed: seed), name: "lora_A.weight")
        loraB = parameter(Tensor(zeros: [base.outFeatures, rank]), name: "lora_B.weight")
    }

    public func callAsFunction(_ x: Variable, context: ForwardContext) -> Variable {
        let y = base(x, context: context)
        let low = linear(context.dropout(x), weight: loraA)        // [N…, r]
        return y + linear(low, weight: loraB) * scaling            // [N…, out]
    }

    public func namedParameters() -> [(name: String, variable: Variable)] {
        base.namedParameters() + [("lora_A.weight", loraA), ("lora_B.weight", loraB)]
    }

    /// W + (α/r)·B·A as a frozen Linear (bias shared).
    public func fused() -> Linear {
        let delta = TensorCore.matmul(loraB.value, loraA.value) * scaling     // [out, in]
        return Linear(weight: base.weight.value + delta, bias: base.bias?.value, trainable: false)
    }
}

/// The gate shared by the mixtures of one layer.
public final class LoRAGate: Layer {
    public let router: Linear    // [E, C], no bias
    /// Keep only the k largest gates at inference (nil: all).
    public var topK: Int?
    /// Forces every sequence onto one expert (e.g. the batch's language during language-specific
    /// training); nil lets the router decide.
    public var forcedExpert: Int?
    /// The gate of the current forward pass, [B, E].
    public internal(set) var current: Variable?

    public var expertCount: Int { router.outFeatures }

    public init(hidden: Int, experts: Int, seed: UInt64) {
        router = Linear(inFeatures: hidden, outFeatures: experts, bias: false, std: 0.02, seed: seed)
    }

    /// Computes g = softmax(x[:, 0, :]·W_gᵀ) for this forward pass.
    /// - x: [B, T, C] (the layer's input hidden states) → [B, E]
    @discardableResult
    public func update(from x: Variable, context: ForwardContext) -> Variable {
        let b = x.shape[0], e = expertCount
        if let forced = forcedExpert {
            precondition(forced >= 0 && forced < e, "LoRAGate: forced expert \(forced) outside 0..<\(e)")
            var oneHot = [Float](repeating: 0, count: b * e)
            for i in 0..<b { oneHot[i * e + forced] = 1 }
            current = Variable(Tensor(oneHot, shape: [b, e]))
            return current!
        }
        var g = softmax(router(x.select(axis: 1, 0), context: context))   // [B, E]
        if !context.training, let k = topK, k < e {
            // Top-k: a constant 0/1 mask, renormalised; gradients are not needed at inference.
            let gv = g.value.contiguous()
            var kept = [Float](repeating: 0, count: b * e)
            for i in 0..<b {
                let row = (0..<e).map { gv.base[i * e + $0] }
                let top = row.indices.sorted { row[$0] > row[$1] }.prefix(k)
                let s = top.reduce(Float(0)) { $0 + row[$1] }
                for j in top { kept[i * e + j] = row[j] / max(s, .leastNormalMagnitude) }
            }
            g = Variable(Tensor(kept, shape: [b, e]))
        }
        current = g
        return g
    }

    public func namedParameters() -> [(name: String, variable: Variable)] { scoped("router", router) }
}

public final class MixtureOfLoRALinear: LinearLayer {
    public let base: Linear
    public let experts: [(a: Variable, b: Variable)]
    public let gate: LoRAGate
    public let rank: Int
    public let alpha: Float
    public var scaling: Float { alpha / Float(rank) }

    public var inFeatures: Int { base.inFeatures }
    public var outFeatures: Int { base.outFeatures }

    public init(base: Linear, gate: LoRAGate, rank: Int, alpha: Float, seed: UInt64) {
        precondition(rank > 0, "MixtureOfLoRA: rank \(rank) must be positive")
        base.setTrainable(false)
        self.base = base
        self.gate = gate
        self.rank = rank
        self.alpha = alpha
        let bound = 1 / Float(base.inFeatures).squareRoot()
        experts = (0..<gate.expertCount).map { e in
            (parameter(Tensor.uniform(shape: [rank, base.inFeatures], low: -bound, high: bound, seed: seed &+ UInt64(e) &* 7919),
                       name: "experts.\(e).lora_A.weight"),
             parameter(Tensor(zeros: [base.outFeatures, rank]), name: "experts.\(e).lora_B.weight"))
        }
    }

    /// - x: [B, T, in] → [B, T, out]; the gate must have been updated for this batch.
    public func callAsFunction(_ x: Variable, context: ForwardContext) -> Variable {
        guard let g = gate.current else { preconditionFailure("MixtureOfLoRA: gate not computed for this forward pass") }
        let bsz = x.shape[0]
        precondition(g.shape == [bsz, experts.count], "MixtureOfLoRA: gate \(g.shape) for x \(x.shape)")
        var y = base(x, context: context)
        let xd = context.dropout(x)
        let lead = Array(repeating: 1, count: max(0, x.shape.count - 2))
        for (e, ex) in experts.enumerated() {
            let delta = linear(linear(xd, weight: ex.a), weight: ex.b)                  // [B, T, out]
            let ge = g.slice(axis: 1, e..<(e + 1)).reshaped([bsz] + lead + [1])        // [B, 1, 1]
            y = y + delta * (ge * scaling)
        }
        return y
    }

    public func namedParameters() -> [(name: String, variable: Variable)] {
        base.namedParameters() + experts.flatMap { [($0.a.name, $0.a), ($0.b.name, $0.b)] }
    }

    /// The base weight plus every expert's update weighted by fixed gates `weights` [E].
    public func fused(weights: [Float]) -> Linear {
        precondition(weights.count == experts.count, "MixtureOfLoRA: \(weights.count) weights for \(experts.count) experts")
        var w = base.weight.value.copy()
        for (e, ex) in experts.enumerated() where weights[e] != 0 {
            w += TensorCore.matmul(ex.b.value, ex.a.value) * (scaling * weights[e])
        }
        return Linear(weight: w, bias: base.bias?.value, trainable: false)
    }
}
