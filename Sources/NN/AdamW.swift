// AdamW (Loshchilov & Hutter 2019) exactly as torch.optim.AdamW (torch 2.x, amsgrad off):
//   p ← p − lr·λ·p;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
//   p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)
// with decoupled weight decay λ applied only to parameters named for decay (not biases or
// LayerNorm weights, the Hugging Face Trainer's grouping). Gradient clipping by global L2 norm
// (torch.nn.utils.clip_grad_norm_). Moments are checkpointable by parameter name.
// Leaves out amsgrad, maximize, fused/foreach kernels and per-group learning rates.

import Autograd
import TensorCore

public final class AdamW {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public let weightDecay: Float
    /// Optimiser steps taken (t in the bias corrections).
    public private(set) var step = 0
    public let parameters: [(name: String, variable: Variable)]
    let decays: [Bool]
    var m: [Tensor], v: [Tensor]

    /// - parameters: the trainable parameters, by name (names must be unique)
    public init(parameters: [(name: String, variable: Variable)], learningRate: Float, beta1: Float = 0.9,
                beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        precondition(Set(parameters.map(\.name)).count == parameters.count, "AdamW: duplicate parameter names")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay
        decays = parameters.map { AdamW.decays($0.name) }
        m = parameters.map { Tensor(zeros: $0.variable.shape) }
        v = parameters.map { Tensor(zeros: $0.variable.shape) }
    }

    /// Hugging Face's rule: no weight decay for biases and normalisation weights.
    public static func decays(_ name: String) -> Bool {
        !(name.hasSuffix("bias") || name.contains("LayerNorm") || name.contains("layer_norm") || name.contains("norm."))
    }

    /// One update from the accumulated `.grad`s (parameters without a gradient are skipped, as
    /// torch skips p.grad is None), then the gradients are cleared.
    public func update() {
        step += 1
        let lr = learningRate
        let bc1 = 1 - pow(beta1, Float(step)), bc2 = 1 - pow(beta2, Float(step))
        let stepSize = lr / bc1, bc2Root = bc2.squareRoot()
        let b1 = beta1, b2 = beta2, e = eps
        let work = parameters.indices.filter { parameters[$0].variable.grad != nil }
        Parallel.forEach(work.count, workers: min(GradMode.workers, max(1, work.count))) { wi in
            let i = work[wi]
            let p = parameters[i].variable
            let g = p.grad!.contiguous()
            precondition(p.value.isContiguous, "AdamW: parameter \(parameters[i].name) is not contiguous")
            let n = p.value.count
            let pp = p.value.base, gp = g.base, mp = m[i].base, vp = v[i].base
            let decay = decays[i] ? 1 - lr * weightDecay : 1
            for j in 0..<n {
                let gj = gp[j]
                let mj = b1 * mp[j] + (1 - b1) * gj
                let vj = b2 * vp[j] + (1 - b2) * gj * gj
                mp[j] = mj; vp[j] = vj
                pp[j] = pp[j] * decay - stepSize * mj / (vj.squareRoot() / bc2Root + e)
            }
        }
        for p in parameters { p.variable.zeroGrad() }
    }

    /// Moments by name (`m.NAME`, `v.NAME`) for a checkpoint.
    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        parameters.indices.flatMap { [("m." + parameters[$0].name, m[$0]), ("v." + parameters[$0].name, v[$0])] }
    }

    /// Restores moments and the step count saved by `stateTensors()`.
    /// - Throws: `CheckpointError.mismatch` naming the first absent or differently shaped moment.
    public func restore(step: Int, tensors: [String: Tensor], file: String) throws {
        for (i, p) in parameters.enumerated() {
            for (key, dst) in [("m." + p.name, m[i]), ("v." + p.name, v[i])] {
                guard let t = tensors[key] else {
                    throw CheckpointError.mismatch(file: file, found: "no tensor \(key)", expected: "optimizer state for every trainable parameter")
                }
                guard t.shape == dst.shape else {
                    throw CheckpointError.mismatch(file: file, found: "\(key) with shape \(t.shape)", expected: "shape \(dst.shape)")
                }
                dst.base.update(from: t.contiguous().base, count: t.count)
            }
        }
        self.step = step
    }
}

/// Scales every gradient so their global L2 norm is at most `maxNorm` (torch.nn.utils.
/// clip_grad_norm_: factor maxNorm / (norm + 1e-6) when the norm exceeds it).
/// - returns: the norm before clipping
@discardableResult
public func clipGradients(_ parameters: [(name: String, variable: Variable)], maxNorm: Float) -> Double {
    var total = 0.0
    for p in parameters {
        guard let g = p.variable.grad else { continue }
        let gc = g.contiguous()
        var s = 0.0
        let gp = gc.base
        var i = 0
        while i < gc.count {
            let hi = min(gc.count, i + 4096)
            var acc: Float = 0
            for j in i..<hi { acc += gp[j] * gp[j] }
            s += Double(acc)
            i = hi
        }
        total += s
    }
    let norm = total.squareRoot()
    if maxNorm > 0, norm > Double(maxNorm) {
        let factor = Float(Double(maxNorm) / (norm + 1e-6))
        for p in parameters { if var g = p.variable.grad { g *= factor } }
    }
    return norm
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
