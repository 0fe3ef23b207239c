// Sum reductions: the sum of all elements, sums along one axis, and the reduction of a
// broadcast result back to an operand's shape (numpy: x.sum(axis=…, keepdims=True) over every
// axis the operand broadcast along) — the gradient of a broadcast. Float32 accumulation in
// SIMD-friendly row loops, rows visited in C order (deterministic).
// Leaves out max/argmax reductions (Softmax keeps its own) and pairwise summation.

/// Σ of every element, accumulated in Double (used for losses and norms).
public func sumAll(_ x: Tensor) -> Double {
    if x.count == 0 { return 0 }
    let c = x.contiguous()
    var acc = 0.0
    let n = c.count, p = c.base
    var i = 0
    while i < n {
        let m = min(4096, n - i)
        acc += Double(rowSum(p + i, m))
        i += m
    }
    return acc
}

/// Sums `x` down to `shape`, which x's shape broadcasts from (numpy rules: `shape` may have
/// fewer leading dims; a dim of 1 in `shape` is summed over).
/// - x: [N…]; shape: broadcastable to x.shape
/// - returns: `shape`, contiguous (x itself when the shapes are equal and x is contiguous)
public func reduceSum(_ x: Tensor, to shape: [Int]) -> Tensor {
    if x.shape == shape { return x.contiguous() }
    precondition(broadcastShapes(shape, x.shape) == x.shape, "reduceSum: \(x.shape) does not reduce to \(shape)")
    let out = Tensor(zeros: shape)
    if x.count == 0 || out.count == 0 { return out }
    // out viewed with x's rank: stride 0 on every summed (or missing leading) dim.
    let r = x.rank, lead = r - shape.count
    let oStrides = Tensor.contiguousStrides(shape)
    var viewStrides = [Int](repeating: 0, count: r)
    for d in 0..<shape.count where shape[d] == x.shape[lead + d] { viewStrides[lead + d] = oStrides[d] }
    let xc = x.contiguous()
    let n = x.shape.last ?? 1
    let so = viewStrides.last ?? 1
    let xp = xc.storage.pointer, op = out.storage.pointer
    forEachRow(shape: x.shape, strides: [xc.strides, viewStrides], offsets: [xc.offset, 0]) { o in
        let src = xp + o[0], dst = op + o[1]
        if so == 0 {
            dst[0] += rowSum(src, n)
        } else {
            for i in 0..<n { dst[i] += src[i] }
        }
    }
    return out
}

/// Sum along `axis`, the axis removed (keepDims false) or kept as 1.
/// - x: [N…]
public func sum(_ x: Tensor, axis: Int, keepDims: Bool = false) -> Tensor {
    let a = axis < 0 ? axis + x.rank : axis
    precondition(a >= 0 && a < x.rank, "sum: axis \(axis) out of range for shape \(x.shape)")
    var kept = x.shape
    kept[a] = 1
    let out = reduceSum(x, to: kept)
    if keepDims { return out }
    var dropped = x.shape
    dropped.remove(at: a)
    return out.reshaped(dropped)
}
