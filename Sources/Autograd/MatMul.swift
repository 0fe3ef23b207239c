// Matrix products and their gradients (cblas_sgemm through TensorCore.matmul; transposes are
// BLAS flags in the backward products too). With A' = op(A), B' = op(B), C = A'·B':
//   ∂A' = ∂C·B'ᵀ,  ∂B' = A'ᵀ·∂C,  and ∂A = (∂A')ᵀ when A was transposed (likewise B);
// gradients of broadcast batch dims are summed back (a 2-D weight shared over a batch).
// linear (x·Wᵀ + b, torch.nn.functional.linear): ∂x = ∂y·W, ∂W = ∂yᵀ·x, ∂b = Σ_rows ∂y.

import TensorCore

/// op(a)·op(b) with numpy-broadcast batch dims (see TensorCore.matmul).
/// - a: [N…, M, K] (or [N…, K, M] with transposeA); b: [N…, K, P] (or [N…, P, K] with transposeB)
/// - returns: [N…, M, P]
public func matmul(_ a: Variable, _ b: Variable, transposeA: Bool = false, transposeB: Bool = false) -> Variable {
    let av = a.value, bv = b.value
    let w = GradMode.workers
    let y = TensorCore.matmul(av, bv, transposeA: transposeA, transposeB: transposeB, workers: w)
    let ra = a.requiresGrad, rb = b.requiresGrad
    return record(y, [a, b]) { g in
        var ga: Tensor? = nil, gb: Tensor? = nil
        if ra {
            // ∂A = ∂C·B'ᵀ, or its transpose B'·∂Cᵀ when A was transposed.
            let full = transposeA
                ? TensorCore.matmul(bv, g, transposeA: transposeB, transposeB: true, workers: w)
                : TensorCore.matmul(g, bv, transposeB: !transposeB, workers: w)
            ga = reduceSum(full, to: av.shape)
        }
        if rb {
            // ∂B = A'ᵀ·∂C, or its transpose ∂Cᵀ·A' when B was transposed.
            let full = transposeB
                ? TensorCore.matmul(g, av, transposeA: true, transposeB: transposeA, workers: w)
                : TensorCore.matmul(av, g, transposeA: !transposeA, workers: w)
            gb = reduceSum(full, to: bv.shape)
        }
        return [ga, gb]
    }
}

/// x·Wᵀ + b.
/// - x: [N…, in]; weight: [out, in]; bias: [out] or nil
/// - returns: [N…, out]
public func linear(_ x: Variable, weight: Variable, bias: Variable? = nil) -> Variable {
    let xv = x.value, wv = weight.value
    let w = GradMode.workers
    let y = TensorCore.linear(xv, weight: wv, bias: bias?.value, workers: w)
    let inF = wv.shape[1], outF = wv.shape[0]
    let rx = x.requiresGrad, rw = weight.requiresGrad, rb = bias?.requiresGrad ?? false
    var inputs = [x, weight]
    if let bias { inputs.append(bias) }
    return record(y, inputs) { g in
        let g2 = g.contiguous().reshaped([g.count / max(outF, 1), outF])       // [R, out]
        var grads: [Tensor?] = []
        grads.append(rx ? TensorCore.matmul(g2, wv, workers: w).reshaped(xv.shape) : nil)             // [R, in]
        if rw {
            let x2 = xv.contiguous().reshaped([xv.count / max(inF, 1), inF])  // [R, in]
            grads.append(TensorCore.matmul(g2, x2, transposeA: true, workers: w))                      // [out, in]
        } else {
            grads.append(nil)
        }
        if inputs.count == 3 { grads.append(rb ? TensorCore.sum(g2, axis: 0) : nil) }
        return grads
    }
}
