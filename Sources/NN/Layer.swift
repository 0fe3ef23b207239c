// Layers: objects that own named parameters (Variables) and a forward pass over Autograd.
// Names are dotted paths in the Hugging Face convention (`encoder.layer.0.attention.self.query.weight`)
// so weights load from and save to the checkpoints users already have.
// Leaves out buffers that are not parameters, hooks and device placement.

import Autograd
import TensorCore

/// Something with parameters.
public protocol Layer: AnyObject {
    /// Every parameter (trainable or frozen) with its dotted name, in a fixed order.
    func namedParameters() -> [(name: String, variable: Variable)]
}

extension Layer {
    /// Parameters that receive gradients.
    public func trainableParameters() -> [(name: String, variable: Variable)] {
        namedParameters().filter { $0.variable.requiresGrad }
    }

    public func zeroGrad() { for p in namedParameters() { p.variable.zeroGrad() } }

    /// Number of scalars in trainable parameters.
    public var trainableCount: Int { trainableParameters().reduce(0) { $0 + $1.variable.value.count } }
}

/// Prefixes every name of `layer` with `prefix` + ".".
public func scoped(_ prefix: String, _ layer: Layer) -> [(name: String, variable: Variable)] {
    layer.namedParameters().map { (prefix.isEmpty ? $0.name : prefix + "." + $0.name, $0.variable) }
}

/// Whether a forward pass trains (dropout on, its generator advancing) or infers.
public final class ForwardContext {
    public var training: Bool
    public var dropout: Float
    public var generator: SeededGenerator

    public init(training: Bool, dropout: Float = 0.1, seed: UInt64 = 0) {
        self.training = training
        self.dropout = dropout
        self.generator = SeededGenerator(seed: seed)
    }

    public static var inference: ForwardContext { ForwardContext(training: false, dropout: 0) }

    /// Dropout with this context's probability when training; identity otherwise.
    public func dropout(_ x: Variable) -> Variable {
        guard training, dropout > 0 else { return x }
        return applyDropout(x, p: dropout, generator: &generator)
    }
}

/// A trainable parameter leaf.
public func parameter(_ value: Tensor, name: String, trainable: Bool = true) -> Variable {
    Variable(value, requiresGrad: trainable, name: name)
}

/// The same tensor as a leaf with `trainable` changed (Variables fix requiresGrad at creation).
public func retagged(_ v: Variable, trainable: Bool) -> Variable {
    v.requiresGrad == trainable ? v : Variable(v.value, requiresGrad: trainable, name: v.name)
}

/// Autograd's dropout under another name (ForwardContext.dropout(_:) shadows it inside the class).
private func applyDropout(_ x: Variable, p: Float, generator: inout SeededGenerator) -> Variable {
    dropout(x, p: p, generator: &generator)
}

/// Threads each recorded operation may use (Autograd's setting, for callers outside NN).
public func setThreads(_ n: Int) { GradMode.workers = max(1, n) }
