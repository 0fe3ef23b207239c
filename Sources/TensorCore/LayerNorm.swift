// Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) · gamma + beta with the
// biased variance, mirroring torch.nn.functional.layer_norm (two-pass mean/variance in Float32,
// SIMD8 accumulators). Leaves out RMSNorm, normalising over several trailing axes and the
// backward pass (Autograd).

/// LayerNorm over the last axis.
/// - x: [N…, C] (e.g. [B, T, C])
/// - gamma, beta: [C] (nil means 1 and 0)
/// - eps: 1e-5 in torch's default, 1e-12 in BERT / XLM-R
/// - returns: [N…, C], contiguous
public func layerNorm(_ x: Tensor, gamma: Tensor? = nil, beta: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
    let c = x.shape.last ?? 1
    if let gamma { precondition(gamma.shape == [c], "layerNorm: gamma \(gamma.shape), expected [\(c)] for x \(x.shape)") }
    if let beta { precondition(beta.shape == [c], "layerNorm: beta \(beta.shape), expected [\(c)] for x \(x.shape)") }
    let xc = x.contiguous()
    let out = Tensor(uninitialized: x.shape)  // every row written below (or empty)
    if x.count == 0 || c == 0 { return out }
    let g = gamma?.contiguous(), b = beta?.contiguous()
    layerNormRows(xc.base, out.base, rows: x.count / c, length: c, gamma: g?.base, beta: b?.base, eps: eps)
    return out
}

@inlinable
public func layerNormRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, length n: Int,
                          gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float) {
    for r in 0..<rows {
        let xr = x + r * n, yr = y + r * n
        let mean = rowSum(xr, n) / Float(n)
        let variance = rowSumSquaredDeviation(xr, n, mean) / Float(n)
        let rstd = 1 / (variance + eps).squareRoot()
        switch (gamma, beta) {
        case let (g?, b?): for i in 0..<n { yr[i] = (xr[i] - mean) * rstd * g[i] + b[i] }
        case let (g?, nil): for i in 0..<n { yr[i] = (xr[i] - mean) * rstd * g[i] }
        case let (nil, b?): for i in 0..<n { yr[i] = (xr[i] - mean) * rstd + b[i] }
        case (nil, nil): for i in 0..<n { yr[i] = (xr[i] - mean) * rstd }
        }
    }
}
