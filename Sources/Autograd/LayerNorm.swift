// Layer normalisation over the last axis (TensorCore.layerNorm, torch.nn.functional.layer_norm)
// and its gradient. Per row of n values, x̂ = (x − μ)·r with r = 1/√(σ² + ε), y = x̂·γ + β:
//   ∂x = r/n · (n·∂x̂ − Σ∂x̂ − x̂·Σ(∂x̂·x̂)),  ∂x̂ = ∂y·γ,  ∂γ = Σ_rows ∂y·x̂,  ∂β = Σ_rows ∂y.

import TensorCore

/// LayerNorm(x)·γ + β over the last axis.
/// - x: [N…, C]; gamma, beta: [C]
public func layerNorm(_ x: Variable, gamma: Variable, beta: Variable, eps: Float) -> Variable {
    let xc = x.value.contiguous()
    let c = xc.shape.last ?? 1
    let gv = gamma.value.contiguous()
    let y = TensorCore.layerNorm(xc, gamma: gv, beta: beta.value, eps: eps)
    let rx = x.requiresGrad, rg = gamma.requiresGrad, rb = beta.requiresGrad
    return record(y, [x, gamma, beta]) { g in
        let gc = g.contiguous()
        let rows = c == 0 ? 0 : xc.count / c
        let dx = Tensor(uninitialized: xc.shape)
        let dGamma = Tensor(zeros: [c]), dBeta = Tensor(zeros: [c])
        let xp = xc.base, gp = gc.base, dp = dx.base, gam = gv.base, dg = dGamma.base, db = dBeta.base
        var xhat = [Float](repeating: 0, count: c), dxhat = [Float](repeating: 0, count: c)
        let inv = 1 / Float(c)
        for r in 0..<rows {
            let xr = xp + r * c, gr = gp + r * c, dr = dp + r * c
            var mean: Float = 0
            for i in 0..<c { mean += xr[i] }
            mean *= inv
            var v: Float = 0
            for i in 0..<c { let d = xr[i] - mean; v += d * d }
            let rstd = 1 / (v * inv + eps).squareRoot()
            var sumD: Float = 0, sumDX: Float = 0
            for i in 0..<c {
                let xh = (xr[i] - mean) * rstd
                let d = gr[i] * gam[i]
                xhat[i] = xh; dxhat[i] = d
                sumD += d; sumDX += d * xh
                dg[i] += gr[i] * xh
                db[i] += gr[i]
            }
            for i in 0..<c { dr[i] = rstd * inv * (Float(c) * dxhat[i] - sumD - xhat[i] * sumDX) }
        }
        return [rx ? dx : nil, rg ? dGamma : nil, rb ? dBeta : nil]
    }
}
