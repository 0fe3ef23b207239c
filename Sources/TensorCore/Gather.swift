// Embedding gather (torch.nn.functional.embedding) and masked fill (torch.Tensor.masked_fill).
// Ids arrive as Swift integers with their own shape, since Tensor holds Float32 only.
// An out-of-range id is a precondition failure naming the id, its position and the table shape.
// Leaves out padding_idx, max_norm and scatter.

/// Rows of `table` picked by `ids`.
/// - table: [V, C]
/// - ids: idsShape.reduce(1, *) values in C order, each in 0..<V (e.g. idsShape [B, T])
/// - returns: idsShape + [C] (e.g. [B, T, C]), contiguous
public func embedding(_ table: Tensor, ids: [Int], idsShape: [Int]) -> Tensor {
    precondition(table.rank == 2, "embedding: table \(table.shape) is not [V, C]")
    precondition(ids.count == idsShape.reduce(1, *), "embedding: \(ids.count) ids for shape \(idsShape)")
    let v = table.shape[0], c = table.shape[1]
    let t = table.contiguous()
    let out = Tensor(zeros: idsShape + [c])
    let src = t.base, dst = out.base
    for (i, id) in ids.enumerated() {
        precondition(id >= 0 && id < v, "embedding: id \(id) at position \(i) is outside table [V, C] = \(table.shape)")
        (dst + i * c).update(from: src + id * c, count: c)
    }
    return out
}

/// x with `value` wherever `mask` is non-zero.
/// - x: [N…]
/// - mask: broadcastable to x (non-zero = fill)
/// - returns: x's shape, contiguous
public func maskedFill(_ x: Tensor, mask: Tensor, value: Float) -> Tensor {
    precondition(broadcastShapes(x.shape, mask.shape) == x.shape, "maskedFill: mask \(mask.shape) does not broadcast to x \(x.shape)")
    let out = x.copy()
    let m = mask.broadcast(to: x.shape)
    let n = x.shape.last ?? 1
    let sm = m.strides.last ?? 1
    let mp = m.storage.pointer, op = out.storage.pointer
    forEachRow(shape: x.shape, strides: [m.strides, out.strides], offsets: [m.offset, out.offset]) { o in
        let mr = mp + o[0], orow = op + o[1]
        for i in 0..<n { orow[i] = mr[i * sm] != 0 ? value : orow[i] }
    }
    return out
}
