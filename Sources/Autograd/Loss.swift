// Cross-entropy over class logits with an ignore index (torch.nn.functional.cross_entropy,
// reduction "mean" over the targets that are not ignored) and its gradient:
//   L = (1/N') Σ_{i: t_i ≠ ignore} (logsumexp(z_i) − z_i[t_i]),  ∂z_i = (softmax(z_i) − onehot(t_i))/N'
// (zero for ignored rows). With no target left, L = 0 and the gradient is zero (torch: NaN).

import TensorCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mean cross-entropy of `logits` against class `targets`.
/// - logits: [N, K]; targets: N class ids in 0..<K, or `ignoreIndex`
/// - returns: [] (a scalar)
public func crossEntropy(_ logits: Variable, targets: [Int], ignoreIndex: Int = -100) -> Variable {
    precondition(logits.shape.count == 2 && logits.shape[0] == targets.count,
                 "crossEntropy: logits \(logits.shape) for \(targets.count) targets")
    let k = logits.shape[1]
    let z = logits.value.contiguous()
    let probs = Tensor(uninitialized: z.shape)
    var total = 0.0
    var counted = 0
    let zp = z.base, pp = probs.base
    for (i, t) in targets.enumerated() {
        let zr = zp + i * k, pr = pp + i * k
        var m = -Float.infinity
        for j in 0..<k { m = max(m, zr[j]) }
        var s = 0.0
        for j in 0..<k { let e = exp(Double(zr[j] - m)); pr[j] = Float(e); s += e }
        for j in 0..<k { pr[j] = Float(Double(pr[j]) / s) }
        if t == ignoreIndex { continue }
        precondition(t >= 0 && t < k, "crossEntropy: target \(t) at row \(i) is outside 0..<\(k)")
        total += Double(m) + log(s) - Double(zr[t])
        counted += 1
    }
    let loss = counted == 0 ? 0 : Float(total / Double(counted))
    return record(Tensor(scalar: loss), [logits]) { g in
        let out = Tensor(zeros: z.shape)
        guard counted > 0 else { return [out] }
        let scale = g.scalars[0] / Float(counted)
        let op = out.base, pp = probs.base   // the closure keeps `probs` alive
        for (i, t) in targets.enumerated() where t != ignoreIndex {
            let pr = pp + i * k, orow = op + i * k
            for j in 0..<k { orow[j] = pr[j] * scale }
            orow[t] -= scale
        }
        return [out]
    }
}
