// Sentence-level reductions: masked mean pooling over tokens (sentence-transformers' Pooling
// with pooling_mode_mean_tokens: sum(x·mask) / clamp(sum(mask), min 1e-9)) and L2
// normalisation (torch.nn.functional.normalize(p=2, eps=1e-12)). A row whose mask is all zero
// pools to zeros. Leaves out CLS / max pooling (slice or reduce yourself) and weighted masks' gradients.

/// Mean of x over T, counting only positions where mask ≠ 0 (weights are mask values).
/// - x: [B, T, C]
/// - mask: [B, T] (1 = token, 0 = padding)
/// - returns: [B, C]
public func meanPool(_ x: Tensor, mask: Tensor) -> Tensor {
    precondition(x.rank == 3 && mask.shape == [x.shape[0], x.shape[1]],
                 "meanPool: x \(x.shape) must be [B, T, C] and mask \(mask.shape) [B, T]")
    let b = x.shape[0], t = x.shape[1], c = x.shape[2]
    let xc = x.contiguous(), mc = mask.contiguous()
    let out = Tensor(zeros: [b, c])
    for bi in 0..<b {
        let o = out.base + bi * c
        var total: Float = 0
        for ti in 0..<t {
            let w = mc.base[bi * t + ti]
            if w == 0 { continue }
            total += w
            let row = xc.base + (bi * t + ti) * c
            for i in 0..<c { o[i] += w * row[i] }
        }
        let inv = 1 / Swift.max(total, 1e-9)
        for i in 0..<c { o[i] *= inv }
    }
    return out
}

/// x / max(‖x‖₂, eps) along the last axis.
/// - x: [N…, C]
/// - returns: same shape, contiguous
public func l2Normalize(_ x: Tensor, eps: Float = 1e-12) -> Tensor {
    let out = x.copy()
    let c = x.shape.last ?? 1
    if out.count == 0 || c == 0 { return out }
    for r in 0..<(out.count / c) {
        let row = out.base + r * c
        let inv = 1 / Swift.max(rowSumSquares(row, c).squareRoot(), eps)
        for i in 0..<c { row[i] *= inv }
    }
    return out
}
