// GELU (TensorCore.gelu) and its derivative.
//   erf:  y = x·Φ(x),  y' = Φ(x) + x·φ(x),  Φ(x) = ½(1 + erf(x/√2)),  φ(x) = e^(−x²/2)/√(2π)
//   tanh: y = x·s, s = σ(2u), u = √(2/π)(x + 0.044715x³),  y' = s + x·s(1 − s)·2u′,
//         u′ = √(2/π)(1 + 3·0.044715x²)

import TensorCore

public func gelu(_ x: Variable, approximation: GELUApproximation = .erf) -> Variable {
    let xc = x.value.contiguous()
    let y = TensorCore.gelu(xc, approximation: approximation)
    return record(y, [x]) { g in
        let gc = g.contiguous()
        let out = Tensor(uninitialized: xc.shape)
        let n = xc.count, xp = xc.base, gp = gc.base, op = out.base
        let w = GradMode.workers
        let per = (n + w - 1) / max(w, 1)
        Parallel.forEach(w, workers: w) { k in
            let lo = k * per, hi = min(n, lo + per)
            if lo < hi { geluDerivativeRows(xp + lo, gp + lo, op + lo, hi - lo, approximation) }
        }
        return [out]
    }
}

/// out[i] = g[i]·gelu′(x[i]) for n contiguous values.
@inline(__always)
func geluDerivativeRows(_ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                        _ n: Int, _ approximation: GELUApproximation) {
    let rx = UnsafeRawPointer(x), rg = UnsafeRawPointer(g), ro = UnsafeMutableRawPointer(out)
    var i = 0
    switch approximation {
    case .erf:
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let gv = rg.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let cdf = 0.5 * (1 + fastErf8(v * 0.70710678118654752))
            let pdf = 0.3989422804014327 * fastExp8(-0.5 * v * v)
            ro.storeBytes(of: gv * (cdf + v * pdf), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            let v = x[i]
            let cdf = 0.5 * (1 + fastErf(v * 0.70710678118654752))
            let pdf = 0.3989422804014327 * fastExp(-0.5 * v * v)
            out[i] = g[i] * (cdf + v * pdf)
            i += 1
        }
    case .tanh:
        let k: Float = 0.7978845608028654
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let gv = rg.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let s = 1 / (1 + fastExp8(-2 * k * (v + 0.044715 * v * v * v)))
            let du = k * (1 + 3 * 0.044715 * v * v)
            ro.storeBytes(of: gv * (s + v * s * (1 - s) * 2 * du), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            let v = x[i]
            let s = 1 / (1 + fastExp(-2 * k * (v + 0.044715 * v * v * v)))
            let du = k * (1 + 3 * 0.044715 * v * v)
            out[i] = g[i] * (s + v * s * (1 - s) * 2 * du)
            i += 1
        }
    }
}
