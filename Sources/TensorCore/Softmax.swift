// Softmax over the last axis, numerically stable (subtract the row max), with an optional
// additive mask broadcast to the input (torch.softmax(x + mask, dim=-1), as in HF BERT/XLM-R
// attention with an extended mask [B, 1, 1, T]). A row whose every entry is -inf after
// masking yields all zeros (torch gives NaN): a fully padded query attends to nothing.
// Leaves out log-softmax, temperature and other axes (permute first).

/// softmax(x + mask) along the last axis.
/// - x: [N…, T]
/// - mask: additive, broadcastable to x (e.g. [B, 1, 1, T] for x [B, H, T, T]); 0 keeps, -inf or a
///   large negative drops
/// - returns: same shape as x, contiguous
public func softmax(_ x: Tensor, mask: Tensor? = nil) -> Tensor {
    let out = Tensor(uninitialized: x.shape)  // filled by copyStrided next
    if x.count == 0 { return out }
    copyStrided(from: x, to: out)
    if let mask {
        precondition(broadcastShapes(x.shape, mask.shape) == x.shape,
                     "softmax: mask \(mask.shape) does not broadcast to x \(x.shape)")
        binaryInPlace(.add, out, mask)
    }
    softmaxRowsInPlace(out.base, rows: out.count / max(x.shape.last ?? 1, 1), length: x.shape.last ?? 1)
    return out
}

/// Softmax of `rows` contiguous rows of `length` floats, in place.
@inlinable
public func softmaxRowsInPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, length n: Int) {
    if n == 0 { return }
    for r in 0..<rows {
        let row = p + r * n
        let m = rowMax(row, n)
        if m == -.infinity { row.update(repeating: 0, count: n); continue }
        var i = 0
        let raw = UnsafeMutableRawPointer(row)
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            raw.storeBytes(of: fastExp8(v - m), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { row[i] = fastExp(row[i] - m); i += 1 }
        let s = rowSum(row, n)
        let inv = 1 / s
        for j in 0..<n { row[j] *= inv }
    }
}
