// Softmax over the last axis with an optional additive mask (TensorCore.softmax) and its
// gradient: with y = softmax(x + m), ∂x = y ⊙ (∂y − Σ_j ∂y_j·y_j) row by row. The mask is a
// constant. Fully masked rows have y = 0 and so a zero gradient.
// Also log-softmax (for losses): ∂x = ∂y − softmax(x)·Σ_j ∂y_j.

import TensorCore

/// softmax(x + mask) along the last axis.
/// - x: [N…, T]; mask: additive constant broadcastable to x (e.g. [B, 1, 1, T])
public func softmax(_ x: Variable, mask: Tensor? = nil) -> Variable {
    let y = TensorCore.softmax(x.value, mask: mask)
    return record(y, [x]) { g in
        let gc = g.contiguous()
        let n = y.shape.last ?? 1
        let out = Tensor(uninitialized: y.shape)
        let rows = n == 0 ? 0 : y.count / n
        let yp = y.base, gp = gc.base, op = out.base
        for r in 0..<rows {
            let yr = yp + r * n, gr = gp + r * n, orow = op + r * n
            var dot: Float = 0
            for j in 0..<n { dot += gr[j] * yr[j] }
            for j in 0..<n { orow[j] = yr[j] * (gr[j] - dot) }
        }
        return [out]
    }
}

/// log(softmax(x)) along the last axis, computed as x − max − log Σ exp(x − max).
/// - x: [N…, K]
public func logSoftmax(_ x: Variable) -> Variable {
    let xc = x.value.contiguous()
    let n = xc.shape.last ?? 1
    let rows = n == 0 ? 0 : xc.count / n
    let y = Tensor(uninitialized: xc.shape)
    let xp = xc.base, yp = y.base
    for r in 0..<rows {
        let xr = xp + r * n, yr = yp + r * n
        var m = -Float.infinity
        for j in 0..<n { m = max(m, xr[j]) }
        var s: Double = 0
        for j in 0..<n { s += Double(fastExp(xr[j] - m)) }
        let lse = m + Float(log(s))
        for j in 0..<n { yr[j] = xr[j] - lse }
    }
    return record(y, [x]) { g in
        let gc = g.contiguous()
        let out = Tensor(uninitialized: y.shape)
        let gp = gc.base, op = out.base
        for r in 0..<rows {
            let yr = yp + r * n, gr = gp + r * n, orow = op + r * n
            var s: Float = 0
            for j in 0..<n { s += gr[j] }
            for j in 0..<n { orow[j] = gr[j] - fastExp(yr[j]) * s }
        }
        return [out]
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
