// Reverse-mode automatic differentiation over TensorCore (the define-by-run tape of
// torch.autograd / micrograd): every differentiable operation returns a `Variable` that
// remembers its inputs and a closure mapping the output's gradient to the inputs' gradients.
// `backward()` visits the graph in reverse topological order and accumulates into `.grad` of
// every leaf that requires it (so several backward calls add up: gradient accumulation).
// Leaves out higher-order gradients, in-place ops on recorded values and hooks.

import TensorCore

/// A tensor in the graph: a leaf (parameter or input) or the result of a recorded operation.
public final class Variable {
    /// The forward value. Optimisers update a parameter's value in place.
    public var value: Tensor
    /// Σ of gradients from every `backward()` since the last `zeroGrad()` (leaves only).
    public var grad: Tensor?
    /// Whether gradients flow to (or through) this variable.
    public let requiresGrad: Bool
    /// A name for error messages and checkpoints (parameters carry their weight name).
    public var name: String

    let inputs: [Variable]
    /// Maps ∂L/∂output to ∂L/∂input for each input (nil for inputs that need none).
    let pullback: ((Tensor) -> [Tensor?])?

    public var shape: [Int] { value.shape }
    public var isLeaf: Bool { pullback == nil }

    /// A leaf: a constant input (requiresGrad false) or a trainable parameter.
    public init(_ value: Tensor, requiresGrad: Bool = false, name: String = "") {
        self.value = value
        self.requiresGrad = requiresGrad
        self.name = name
        self.inputs = []
        self.pullback = nil
    }

    init(value: Tensor, inputs: [Variable], pullback: @escaping (Tensor) -> [Tensor?]) {
        self.value = value
        self.requiresGrad = true
        self.name = ""
        self.inputs = inputs
        self.pullback = pullback
    }

    public func zeroGrad() { grad = nil }

    /// Back-propagates from this variable. A scalar (one element) is seeded with 1; anything else
    /// needs `seed` of the same shape (∂L/∂self for some outer L).
    public func backward(seed: Tensor? = nil) {
        guard requiresGrad else { return }
        let start = seed ?? Tensor(filled: 1, shape: value.shape)
        precondition(seed != nil || value.count == 1, "backward: \(value.shape) is not a scalar; pass seed")
        precondition(start.shape == value.shape, "backward: seed \(start.shape) for value \(value.shape)")
        // Reverse topological order by iterative depth-first search.
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Bool)] = [(self, false)]
        while let (v, expanded) = stack.popLast() {
            if expanded { order.append(v); continue }
            if !visited.insert(ObjectIdentifier(v)).inserted { continue }
            stack.append((v, true))
            for i in v.inputs where i.requiresGrad && !visited.contains(ObjectIdentifier(i)) { stack.append((i, false)) }
        }
        var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): start]
        for v in order.reversed() {
            guard let g = pending.removeValue(forKey: ObjectIdentifier(v)) else { continue }
            guard let pullback = v.pullback else {
                // A leaf owns its gradient storage (pending gradients may be views of shared buffers).
                if let old = v.grad { old.addInPlace(g) } else { v.grad = g.copy() }
                continue
            }
            let grads = pullback(g)
            precondition(grads.count == v.inputs.count, "backward: pullback returned \(grads.count) gradients for \(v.inputs.count) inputs")
            for (input, gi) in zip(v.inputs, grads) where input.requiresGrad {
                guard let gi else { continue }
                precondition(gi.shape == input.value.shape, "backward: gradient \(gi.shape) for input \(input.value.shape) (\(input.name))")
                let key = ObjectIdentifier(input)
                if let acc = pending[key] { pending[key] = acc + gi } else { pending[key] = gi }
            }
        }
    }
}

/// Global switches for graph recording.
public enum GradMode {
    /// Threads each recorded operation may use inside one product (set once by a trainer).
    nonisolated(unsafe) public static var workers = 1
    nonisolated(unsafe) static var recording = true

    /// Runs `body` without recording (inference: results are plain leaves, no closures kept).
    public static func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        let old = recording
        recording = false
        defer { recording = old }
        return try body()
    }
}

/// The result of an operation: recorded when any input requires a gradient and recording is on.
@inline(__always)
func record(_ value: Tensor, _ inputs: [Variable], _ pullback: @escaping (Tensor) -> [Tensor?]) -> Variable {
    if GradMode.recording && inputs.contains(where: { $0.requiresGrad }) {
        return Variable(value: value, inputs: inputs, pullback: pullback)
    }
    return Variable(value)
}
