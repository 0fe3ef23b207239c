// Matrix products through OpenBLAS cblas_sgemm (one BLAS thread per caller): 2-D, batched
// N-D with numpy-broadcast batch dims (numpy.matmul semantics), and linear = x·Wᵀ + b
// (torch.nn.functional.linear). Transposed or strided views go to BLAS as flags and leading
// dimensions, so no copy is made when the last or second-to-last dim is unit-stride.
// Leaves out 1-D operands (use reshape), integer GEMM and multi-threaded BLAS.

import COpenBLAS

/// How one matrix operand is handed to BLAS without copying.
struct BLASOperand {
    let tensor: Tensor   // the (possibly copied) tensor whose last two dims are the matrix
    let transposed: Bool // BLAS trans flag for row-major storage
    let ld: Int
}

/// Plans the last two dims of `t` (logical [R, S], already logically transposed if `transpose`)
/// as a row-major BLAS operand. Copies only when neither of the last two dims is unit-stride.
func blasOperand(_ t: Tensor, transpose: Bool) -> BLASOperand {
    let r = t.rank
    let rows = t.shape[r - 2], cols = t.shape[r - 1]
    let s0 = t.strides[r - 2], s1 = t.strides[r - 1]
    // Row-major: unit stride along the last dim, ld ≥ cols.
    if s1 == 1 || cols == 1, rows == 1 || s0 >= max(cols, 1) {
        return BLASOperand(tensor: t, transposed: transpose, ld: max(rows == 1 ? max(cols, 1) : s0, 1))
    }
    // Column-major view (e.g. a transposed contiguous matrix): BLAS sees its transpose.
    if s0 == 1 || rows == 1, cols == 1 || s1 >= max(rows, 1) {
        return BLASOperand(tensor: t, transposed: !transpose, ld: max(cols == 1 ? max(rows, 1) : s1, 1))
    }
    CopyCounter.shared.increment()
    let c = t.copy()
    return BLASOperand(tensor: c, transposed: transpose, ld: max(cols, 1))
}

/// C = op(a)·op(b), op = transpose of the last two dims when the flag is set.
/// - a: [M, K] (or [K, M] with transposeA), optionally with leading batch dims [N…, M, K]
/// - b: [K, P] (or [P, K] with transposeB), leading batch dims broadcast against a's
///   (a 2-D weight is shared by every batch item)
/// - workers: batch items are spread over this many threads (one BLAS thread each)
/// - returns: [N…, M, P], contiguous
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false, workers: Int = 1) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul: operands need rank ≥ 2, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
    let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
    let p = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    precondition(k == kb, "matmul: inner dims differ: a \(a.shape)\(transposeA ? "ᵀ" : "") × b \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
    let batch = broadcastShapes(batchA, batchB)
    let out = Tensor(uninitialized: batch + [m, p])  // every element written: gemm with beta 0, or zeros when k = 0
    if out.count == 0 { return out }

    // A 2-D weight shared over a batch whose rows are evenly spaced → one GEMM with N·M rows.
    if b.rank == 2, a.rank > 2, !transposeA {
        let flat = a.rank - 1
        var ok = true
        var expect = a.strides[flat - 1]
        for d in stride(from: flat - 2, through: 0, by: -1) where a.shape[d] != 1 {
            expect *= a.shape[d + 1]
            if a.strides[d] != expect { ok = false; break }
        }
        if ok && k > 0 && (a.strides[flat] == 1 || k == 1) && (a.strides[flat - 1] >= k || a.count == k) {
            let rows = a.count / max(k, 1)
            let a2 = Tensor(storage: a.storage, shape: [rows, k], strides: [rows == 1 ? k : a.strides[flat - 1], 1], offset: a.offset)
            let o2 = out.reshaped([rows, p])
            gemmRows(blasOperand(a2, transpose: false), blasOperand(b, transpose: transposeB), into: o2, m: rows, n: p, k: k,
                     offsets: nil, workers: workers)
            return out
        }
    }

    let aB = a.broadcast(to: batch + Array(a.shape.suffix(2)))
    let bB = b.broadcast(to: batch + Array(b.shape.suffix(2)))
    let opA = blasOperand(aB, transpose: transposeA)
    let opB = blasOperand(bB, transpose: transposeB)
    let batchCount = batch.reduce(1, *)
    if batchCount == 1 {
        gemmRows(opA, opB, into: out, m: m, n: p, k: k, offsets: (opA.tensor.offset, opB.tensor.offset, out.offset),
                 workers: workers)
        return out
    }
    let rowShape = batch + [1]
    var offsets: [(Int, Int, Int)] = []
    offsets.reserveCapacity(batchCount)
    forEachRow(shape: rowShape,
               strides: [Array(opA.tensor.strides.dropLast(2)) + [0], Array(opB.tensor.strides.dropLast(2)) + [0],
                         Array(out.strides.dropLast(2)) + [0]],
               offsets: [opA.tensor.offset, opB.tensor.offset, out.offset]) { o in offsets.append((o[0], o[1], o[2])) }
    if workers > 1 && offsets.count > 1 {
        Parallel.forEach(offsets.count, workers: workers) { gemm(opA, opB, into: out, m: m, n: p, k: k, offsets: offsets[$0]) }
    } else {
        for o in offsets { gemm(opA, opB, into: out, m: m, n: p, k: k, offsets: o) }
    }
    return out
}

/// One cblas_sgemm: out[m, n] (row-major, ld = n) = op(A)[m, k] · op(B)[k, n].
func gemm(_ a: BLASOperand, _ b: BLASOperand, into out: Tensor, m: Int, n: Int, k: Int,
          offsets: (Int, Int, Int)? = nil) {
    let (oa, ob, oc) = offsets ?? (a.tensor.offset, b.tensor.offset, out.offset)
    if k == 0 { (out.storage.pointer + oc).update(repeating: 0, count: m * n); return }
    sgemm(CblasRowMajor,
                a.transposed ? CblasTrans : CblasNoTrans,
                b.transposed ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), 1,
                a.tensor.storage.pointer + oa, blasint(a.ld),
                b.tensor.storage.pointer + ob, blasint(b.ld),
                0, out.storage.pointer + oc, blasint(n))
}

/// One product split into row blocks of op(A) (and of C) over `workers` threads, one GEMM each:
/// the parallelism for a single large product (training's [B·T, C] activations and weight
/// gradients). Row blocks are multiples of 8 rows; below 64 rows per worker it is one GEMM.
func gemmRows(_ a: BLASOperand, _ b: BLASOperand, into out: Tensor, m: Int, n: Int, k: Int,
              offsets: (Int, Int, Int)?, workers: Int) {
    let (oa, ob, oc) = offsets ?? (a.tensor.offset, b.tensor.offset, out.offset)
    guard workers > 1, m >= 64 * workers, k > 0 else {
        gemm(a, b, into: out, m: m, n: n, k: k, offsets: (oa, ob, oc))
        return
    }
    let per = ((m + workers - 1) / workers + 7) / 8 * 8
    Parallel.forEach(workers, workers: workers) { w in
        let r0 = w * per, r1 = min(m, r0 + per)
        guard r0 < r1 else { return }
        // Row r of op(A): row r of the stored matrix, or its column r when BLAS transposes it.
        let aOffset = a.transposed ? oa + r0 : oa + r0 * a.ld
        gemm(a, b, into: out, m: r1 - r0, n: n, k: k, offsets: (aOffset, ob, oc + r0 * n))
    }
}

/// x·Wᵀ + b (torch.nn.functional.linear): W has shape [out, in].
/// - x: [N…, in] (any leading dims, e.g. [B, T, C])
/// - weight: [out, in]
/// - bias: [out] or nil
/// - workers: with more than one, the output features are split into column blocks computed by
///   one GEMM each on that many threads (one BLAS thread each): parallelism inside one product,
///   for batches too small to split (a single short sentence)
/// - returns: [N…, out]
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, workers: Int = 1) -> Tensor {
    precondition(weight.rank == 2 && x.rank >= 1 && x.shape.last == weight.shape[1],
                 "linear: x \(x.shape) does not match weight [out, in] \(weight.shape)")
    if let bias { precondition(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape), expected [\(weight.shape[0])]") }
    let lead = Array(x.shape.dropLast())
    let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
    if workers > 1 && outFeatures >= 64 * workers && inFeatures > 0 {
        let xc = x.contiguous(), wc = weight.contiguous()
        let rows = xc.count / inFeatures
        let y = Tensor(uninitialized: lead + [outFeatures])  // column blocks cover every column, beta 0
        forEachColumnBlock(outFeatures, blocks: workers) { n0, n1 in
            guard rows > 0 else { return }
            sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rows), blasint(n1 - n0), blasint(inFeatures), 1,
                  xc.base, blasint(inFeatures), wc.base + n0 * inFeatures, blasint(inFeatures),
                  0, y.base + n0, blasint(outFeatures))
        }
        if let bias { addRowBias(y, bias) }
        return y
    }
    let x3 = x.rank == 1 ? x.contiguous().reshaped([1, x.shape[0]]) : x
    let y = matmul(x3, weight, transposeB: true)
    if let bias { addRowBias(y, bias) }
    return x.rank == 1 ? y.reshaped([weight.shape[0]]) : y.reshaped(lead + [weight.shape[0]])
}

/// y[r, j] += bias[j] for a contiguous y [R…, N] and bias [N] (the generic broadcast path walks
/// strides element by element; this is a plain vectorisable loop per row).
func addRowBias(_ y: Tensor, _ bias: Tensor) {
    let n = bias.count
    guard y.isContiguous, n > 0, y.shape.last == n else { binaryInPlace(.add, y, bias); return }
    let b = bias.contiguous()
    let rows = y.count / n, yp = y.base, bp = UnsafePointer(b.base)
    for r in 0..<rows {
        let row = yp + r * n
        for j in 0..<n { row[j] += bp[j] }
    }
}

/// y = x·Wᵀ + b (+ residual) with the bias, and the residual when given, written into the output
/// first and the product accumulated onto them by one GEMM with beta 1: no zeroing pass, no bias
/// pass and no residual pass afterwards (OpenBLAS skips its beta pass when beta is 1). Equal to
/// `linear(x, weight:bias:) + residual` up to float summation order.
/// - x: [R…, in]; weight: [out, in]; bias: [out]; residual: [R…, out] or nil
/// - workers: column blocks of the output on this many threads (one BLAS thread each)
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor, residual: Tensor?, workers: Int = 1) -> Tensor {
    precondition(weight.rank == 2 && x.rank >= 1 && x.shape.last == weight.shape[1],
                 "linear: x \(x.shape) does not match weight [out, in] \(weight.shape)")
    precondition(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape), expected [\(weight.shape[0])]")
    let lead = Array(x.shape.dropLast())
    let outFeatures = weight.shape[0], inFeatures = weight.shape[1]
    if let residual { precondition(residual.shape == lead + [outFeatures], "linear: residual \(residual.shape), expected \(lead + [outFeatures])") }
    let xc = x.contiguous(), wc = weight.contiguous(), bc = bias.contiguous(), rc = residual?.contiguous()
    let rows = inFeatures > 0 ? xc.count / inFeatures : lead.reduce(1, *)
    let y = Tensor(uninitialized: lead + [outFeatures])  // every element: bias (+ residual), then += x·Wᵀ
    let blocks = workers > 1 && outFeatures >= 64 * workers ? workers : 1
    let yp = y.base, bp = UnsafePointer(bc.base), rp = rc.map { UnsafePointer($0.base) }
    forEachColumnBlock(outFeatures, blocks: blocks) { n0, n1 in
        guard rows > 0 else { return }
        for r in 0..<rows {
            let row = yp + r * outFeatures
            if let rp {
                let res = rp + r * outFeatures
                for j in n0..<n1 { row[j] = res[j] + bp[j] }
            } else {
                for j in n0..<n1 { row[j] = bp[j] }
            }
        }
        guard inFeatures > 0 else { return }
        sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rows), blasint(n1 - n0), blasint(inFeatures), 1,
              xc.base, blasint(inFeatures), wc.base + n0 * inFeatures, blasint(inFeatures),
              1, yp + n0, blasint(outFeatures))
    }
    return y
}

/// Calls `body(n0, n1)` for each of `blocks` column blocks of `columns`, one thread each; blocks
/// are rounded to 16 floats so that every block starts on a 64-byte boundary (empty ones skipped).
func forEachColumnBlock(_ columns: Int, blocks: Int, _ body: (Int, Int) -> Void) {
    let per = ((columns + blocks - 1) / blocks + 15) / 16 * 16
    Parallel.forEach(blocks, workers: blocks) { c in
        let n0 = c * per, n1 = min(columns, n0 + per)
        if n0 < n1 { body(n0, n1) }
    }
}
