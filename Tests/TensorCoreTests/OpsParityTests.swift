// Every op against numpy/scipy goldens from Scripts/golden/gen_tensor_golden.py.
import Foundation
import XCTest
@testable import TensorCore

final class OpsParityTests: XCTestCase {
    func testMatmulEveryTransposeCombination() throws {
        let a = try Golden.npy("matmul_a"), b = try Golden.npy("matmul_b")
        let aT = try Golden.npy("matmul_aT"), bT = try Golden.npy("matmul_bT"), ref = try Golden.npy("matmul_out")
        assertParity("matmul NN", matmul(a, b), ref, atol: 1e-5, rtol: 1e-5)
        assertParity("matmul TN", matmul(aT, b, transposeA: true), ref, atol: 1e-5, rtol: 1e-5)
        assertParity("matmul NT", matmul(a, bT, transposeB: true), ref, atol: 1e-5, rtol: 1e-5)
        assertParity("matmul TT", matmul(aT, bT, transposeA: true, transposeB: true), ref, atol: 1e-5, rtol: 1e-5)
        // Transposed views instead of flags: same result.
        assertParity("matmul view(aT)ᵀ·view(bT)ᵀ", matmul(aT.transposed(), bT.transposed()), ref, atol: 1e-5, rtol: 1e-5)
        assertParity("matmul view flags cancel", matmul(a.transposed(), b, transposeA: true), ref, atol: 1e-5, rtol: 1e-5)
    }

    func testBatchedMatmulAndSharedWeight() throws {
        let a = try Golden.npy("bmm_a"), b = try Golden.npy("bmm_b"), w = try Golden.npy("bmm_w")
        assertParity("bmm [4,5,6]×[4,6,3]", matmul(a, b), try Golden.npy("bmm_out"), atol: 1e-5, rtol: 1e-5)
        assertParity("bmm [4,5,6]×[6,3]", matmul(a, w), try Golden.npy("bmm_w_out"), atol: 1e-5, rtol: 1e-5)
        // Batch of transposed views, and a non-collapsible batch (slice of a permuted tensor).
        let bT = b.transposed().contiguous()  // [4,3,6]
        assertParity("bmm transposeB", matmul(a, bT, transposeB: true), try Golden.npy("bmm_out"), atol: 1e-5, rtol: 1e-5)
        let aP = a.permuted([1, 0, 2]).contiguous().permuted([1, 0, 2]) // same values, batch stride 6, row stride 24
        assertParity("bmm strided batch × weight", matmul(aP, w), try Golden.npy("bmm_w_out"), atol: 1e-5, rtol: 1e-5)
        // 4-D attention-style broadcast: [2,2,M,K] × [1,2,K,P]
        let q = Tensor.normal(shape: [2, 2, 3, 4], seed: 9), k = Tensor.normal(shape: [1, 2, 4, 5], seed: 10)
        let s = matmul(q, k)
        XCTAssertEqual(s.shape, [2, 2, 3, 5])
        var expect: Float = 0
        for i in 0..<4 { expect += q[1, 1, 2, i] * k[0, 1, i, 4] }
        XCTAssertEqual(s[1, 1, 2, 4], expect, accuracy: 1e-5)
    }

    func testLinear() throws {
        let y = linear(try Golden.npy("linear_x"), weight: try Golden.npy("linear_w"), bias: try Golden.npy("linear_b"))
        assertParity("linear [2,3,8]·[5,8]ᵀ+b", y, try Golden.npy("linear_out"), atol: 1e-5, rtol: 1e-5)
        // Bias (and a residual) accumulated inside the GEMM: the same values, one and two column blocks.
        let x = try Golden.npy("linear_x"), w = try Golden.npy("linear_w"), b = try Golden.npy("linear_b")
        assertParity("linear fused, no residual", linear(x, weight: w, bias: b, residual: nil), try Golden.npy("linear_out"), atol: 1e-5, rtol: 1e-5)
        let r = Tensor.normal(shape: [2, 3, 5], seed: 4)
        assertParity("linear fused + residual", linear(x, weight: w, bias: b, residual: r), try Golden.npy("linear_out") + r, atol: 1e-5, rtol: 1e-5)
        let xb = Tensor.normal(shape: [7, 40], seed: 5), wb = Tensor.normal(shape: [300, 40], seed: 6)
        let bb = Tensor.normal(shape: [300], seed: 7), rb = Tensor.normal(shape: [7, 300], seed: 8)
        assertParity("linear fused, 2 workers", linear(xb, weight: wb, bias: bb, residual: rb, workers: 2),
                     linear(xb, weight: wb, bias: bb) + rb, atol: 1e-4, rtol: 1e-5)
    }

    func testBroadcastingEdgeCases() throws {
        let x = try Golden.npy("bc_x"), c = try Golden.npy("bc_c"), col = try Golden.npy("bc_col")
        let row = try Golden.npy("bc_row"), one = try Golden.npy("bc_one")
        assertParity("add [2,3,4]+[4]", x + c, try Golden.npy("bc_add_x_c"), atol: 1e-6)
        assertParity("mul [2,3,4]*[4]", x * c, try Golden.npy("bc_mul_x_c"), atol: 1e-6)
        assertParity("add [3,1]+[1,5]", col + row, try Golden.npy("bc_add_col_row"), atol: 1e-6)
        assertParity("mul [3,1]*[1,5]", col * row, try Golden.npy("bc_mul_col_row"), atol: 1e-6)
        assertParity("add [2,3,4]+[1]", x + one, try Golden.npy("bc_add_x_one"), atol: 1e-6)
        assertParity("add [1]+[2,3,4]", one + x, try Golden.npy("bc_add_x_one"), atol: 1e-6)
        assertParity("mul [2,3,4]*2.5", x * 2.5, try Golden.npy("bc_mul_x_scalar"), atol: 1e-6)
        assertParity("mul 2.5*[2,3,4]", 2.5 * x, try Golden.npy("bc_mul_x_scalar"), atol: 1e-6)
        // sub/div against identities; in-place seen through a view.
        assertParity("sub", (x + c) - c, x, atol: 1e-6)
        assertParity("div", (x * 2.5) / 2.5, x, atol: 1e-6)
        var y = x.copy()
        let view = y.transposed(0, 2)
        y += c
        assertParity("in-place += [4]", y, try Golden.npy("bc_add_x_c"), atol: 1e-6)
        XCTAssertEqual(view[3, 2, 1], y[1, 2, 3])
        // Non-contiguous operands (transposed view + broadcast).
        assertParity("add transposed view", (x.transposed(0, 2) + c.reshaped([4, 1, 1])).transposed(0, 2),
                     (x + c), atol: 1e-6)
    }

    func testSoftmaxWithMaskAndFullyMaskedRow() throws {
        let x = try Golden.npy("softmax_x"), mask = try Golden.npy("softmax_mask")
        let y = softmax(x, mask: mask)
        assertParity("softmax masked [2,2,3,5]+[2,1,1,5]", y, try Golden.npy("softmax_out"), atol: 1e-6)
        // Fully masked batch 1: all zeros, no NaN.
        for h in 0..<2 { for t in 0..<3 { for j in 0..<5 { XCTAssertEqual(y[1, h, t, j], 0) } } }
        assertParity("softmax [4,37]·10", softmax(try Golden.npy("softmax_big_x")), try Golden.npy("softmax_big_out"), atol: 1e-6)
        // Rows sum to 1.
        let r = softmax(Tensor.normal(shape: [3, 1000], std: 20, seed: 3))
        for i in 0..<3 { XCTAssertEqual(r.select(axis: 0, i).scalars.reduce(0, +), 1, accuracy: 1e-5) }
    }

    func testLayerNorm() throws {
        let y = layerNorm(try Golden.npy("ln_x"), gamma: try Golden.npy("ln_gamma"), beta: try Golden.npy("ln_beta"), eps: 1e-5)
        assertParity("layerNorm [3,4,19]", y, try Golden.npy("ln_out"), atol: 1e-5)
    }

    func testGELUAndErf() throws {
        let x = try Golden.npy("gelu_x")
        assertParity("gelu erf (scipy.special.erf)", gelu(x, approximation: .erf), try Golden.npy("gelu_erf_out"), atol: 1e-6, rtol: 1e-6)
        assertParity("gelu tanh", gelu(x, approximation: .tanh), try Golden.npy("gelu_tanh_out"), atol: 1e-6, rtol: 1e-6)
        let erfRef = try Golden.npy("erf_out")
        let erfGot = Tensor(x.scalars.map(fastErf), shape: x.shape)
        assertParity("fastErf vs scipy.special.erf", erfGot, erfRef, atol: 1.5e-7)
        // Dense sweep against libm's Double erf.
        let xs = (0...120_000).map { Float($0) * 1e-4 - 6 }
        assertParity("fastErf dense [-6, 6] vs libm erf", Tensor(xs.map(fastErf), shape: [xs.count]),
                     Tensor(xs.map { Float(Foundation.erf(Double($0))) }, shape: [xs.count]), atol: 1.5e-7)
        let e = Tensor((0..<2001).map { fastExp(Float($0) * 0.094 - 100) }, shape: [2001])
        let eRef = Tensor((0..<2001).map { Float(Foundation.exp(Double(Float($0) * 0.094 - 100))) }, shape: [2001])
        assertParity("fastExp [-100, 88] relative", e, eRef, atol: 1.2e-38, rtol: 3e-7)
        let inplace = x.copy()
        geluInPlace(inplace)
        assertParity("geluInPlace", inplace, try Golden.npy("gelu_erf_out"), atol: 1e-6, rtol: 1e-6)
    }

    func testMeanPoolAndL2Norm() throws {
        let pooled = meanPool(try Golden.npy("pool_x"), mask: try Golden.npy("pool_mask"))
        assertParity("meanPool [3,5,6] (all-padding row → 0)", pooled, try Golden.npy("pool_out"), atol: 1e-6)
        assertParity("l2Normalize [4,9] (zero row → 0)", l2Normalize(try Golden.npy("l2_x")), try Golden.npy("l2_out"), atol: 1e-6)
    }

    func testEmbeddingMaskedFillConcat() {
        let table = Tensor.arange(0, 12).reshaped([4, 3])
        let e = embedding(table, ids: [3, 0, 1, 3], idsShape: [2, 2])
        XCTAssertEqual(e.shape, [2, 2, 3])
        XCTAssertEqual(e.scalars, [9, 10, 11, 0, 1, 2, 3, 4, 5, 9, 10, 11])
        let f = maskedFill(Tensor.arange(0, 6).reshaped([2, 3]), mask: Tensor([1, 0, 1], shape: [3]), value: -1)
        XCTAssertEqual(f.scalars, [-1, 1, -1, -1, 4, -1])
        let a = Tensor.arange(0, 6).reshaped([2, 3]), b = Tensor.arange(6, 8).reshaped([2, 1])
        let cat = concatenate([a, b], axis: 1)
        XCTAssertEqual(cat.shape, [2, 4])
        XCTAssertEqual(cat.scalars, [0, 1, 2, 6, 3, 4, 5, 7])
        XCTAssertEqual(concatenate([a, a], axis: 0).shape, [4, 3])
        XCTAssertEqual(cat.sliced(axis: 1, 1..<3).scalars, [1, 2, 4, 5])
    }

    func testParallelForEachRunsEveryItemOnceWithSerialBLAS() {
        let ws = (0..<8).map { Tensor.normal(shape: [16, 16], seed: UInt64($0)) }
        let results = Parallel.map(8, workers: 2) { i in matmul(ws[i], ws[i]) }
        for i in 0..<8 { assertParity("parallel matmul \(i)", results[i], matmul(ws[i], ws[i]), atol: 0) }
        let seen = Parallel.map(100, workers: 3) { $0 * 2 }
        XCTAssertEqual(seen, (0..<100).map { $0 * 2 })
    }
}
