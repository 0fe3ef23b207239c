// Linear layers: x·Wᵀ + b with W [out, in] (torch.nn.Linear), and the protocol that lets a LoRA
// or mixture-of-LoRA wrapper stand wherever a Linear does.
// Initialisation: normal(0, std) weights and zero bias, as Hugging Face initialises new heads
// (initializer_range 0.02); pretrained weights are passed in.

import Autograd
import TensorCore

/// Anything that maps [N…, in] → [N…, out] like a Linear.
public protocol LinearLayer: Layer {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// - x: [N…, in] → [N…, out]
    func callAsFunction(_ x: Variable, context: ForwardContext) -> Variable
}

public final class Linear: LinearLayer {
    public var weight: Variable
    public var bias: Variable?

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// Pretrained weights. - weight: [out, in]; bias: [out]
    public init(weight: Tensor, bias: Tensor?, trainable: Bool = true) {
        precondition(weight.rank == 2, "Linear: weight \(weight.shape) is not [out, in]")
        if let bias { precondition(bias.shape == [weight.shape[0]], "Linear: bias \(bias.shape) for weight \(weight.shape)") }
        self.weight = parameter(weight, name: "weight", trainable: trainable)
        self.bias = bias.map { parameter($0, name: "bias", trainable: trainable) }
    }

    /// New weights: normal(0, std), zero bias.
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, std: Float = 0.02, seed: UInt64) {
        weight = parameter(Tensor.normal(shape: [outFeatures, inFeatures], std: std, seed: seed), name: "weight")
        self.bias = bias ? parameter(Tensor(zeros: [outFeatures]), name: "bias") : nil
    }

    public func callAsFunction(_ x: Variable, context: ForwardContext) -> Variable {
        linear(x, weight: weight, bias: bias)
    }

    public func namedParameters() -> [(name: String, variable: Variable)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    /// Freezes or unfreezes both tensors.
    public func setTrainable(_ trainable: Bool) {
        weight = retagged(weight, trainable: trainable)
        bias = bias.map { retagged($0, trainable: trainable) }
    }
}

/// LayerNorm over the last axis with learned γ, β (torch.nn.LayerNorm).
public final class LayerNormLayer: Layer {
    public var gamma: Variable
    public var beta: Variable
    public let eps: Float

    /// - gamma, beta: [C]
    public init(gamma: Tensor, beta: Tensor, eps: Float, trainable: Bool = true) {
        self.gamma = parameter(gamma, name: "weight", trainable: trainable)
        self.beta = parameter(beta, name: "bias", trainable: trainable)
        self.eps = eps
    }

    /// - x: [N…, C] → [N…, C]
    public func callAsFunction(_ x: Variable) -> Variable { layerNorm(x, gamma: gamma, beta: beta, eps: eps) }

    public func namedParameters() -> [(name: String, variable: Variable)] { [("weight", gamma), ("bias", beta)] }

    public func setTrainable(_ trainable: Bool) {
        gamma = retagged(gamma, trainable: trainable)
        beta = retagged(beta, trainable: trainable)
    }
}

/// A lookup table (torch.nn.Embedding).
public final class EmbeddingLayer: Layer {
    public var table: Variable

    /// - table: [V, C]
    public init(table: Tensor, trainable: Bool = true) { self.table = parameter(table, name: "weight", trainable: trainable) }

    /// - ids: C order for idsShape → idsShape + [C]
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Variable { embedding(table, ids: ids, idsShape: shape) }

    public func namedParameters() -> [(name: String, variable: Variable)] { [("weight", table)] }

    public func setTrainable(_ trainable: Bool) { table = retagged(table, trainable: trainable) }
}
