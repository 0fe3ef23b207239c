// Views share storage; transposed views feed BLAS without copies; contiguity rules.
import XCTest
@testable import TensorCore

final class TensorViewTests: XCTestCase {
    func testInitialisersAndElementAccess() {
        XCTAssertEqual(Tensor(zeros: [2, 3]).scalars, [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Tensor(filled: 2, shape: [2]).scalars, [2, 2])
        XCTAssertEqual(Tensor.arange(0, 5).scalars, [0, 1, 2, 3, 4])
        XCTAssertEqual(Tensor.arange(1, 2, step: 0.25).scalars, [1, 1.25, 1.5, 1.75])
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(t[1, 2], 6)
        XCTAssertEqual(t.strides, [3, 1])
        XCTAssertTrue(t.isContiguous)
        XCTAssertEqual(Tensor(scalar: 4).item, 4)
        XCTAssertEqual(Int(bitPattern: t.storage.pointer) % 64, 0, "64-byte aligned")
        let big = Tensor(zeros: [1 << 21])
        XCTAssertEqual(Int(bitPattern: big.storage.pointer) % 64, 0)
    }

    func testViewsShareStorage() {
        let t = Tensor.arange(0, 24).reshaped([2, 3, 4])
        let r = t.reshaped([6, 4]), tr = t.transposed(0, 2), p = t.permuted([2, 0, 1]), s = t.slice(axis: 1, 1..<3)
        for v in [r, tr, p, s] { XCTAssertTrue(v.storage === t.storage) }
        XCTAssertEqual(tr.shape, [4, 3, 2])
        XCTAssertEqual(tr.strides, [1, 4, 12])
        XCTAssertFalse(tr.isContiguous)
        XCTAssertFalse(s.isContiguous)
        XCTAssertEqual(s.shape, [2, 2, 4])
        XCTAssertEqual(s[0, 0, 0], 4)
        tr[3, 2, 1] = -1            // = t[1, 2, 3]
        XCTAssertEqual(t[1, 2, 3], -1)
        XCTAssertEqual(r[5, 3], -1)
        s[1, 0, 0] = -2             // = t[1, 1, 0]
        XCTAssertEqual(t[1, 1, 0], -2)
        XCTAssertEqual(p[0, 1, 1], -2)
        XCTAssertEqual(t.select(axis: 0, 1)[1, 0], -2)
        // contiguous() of a contiguous tensor is the same storage; of a view, a copy in C order.
        XCTAssertTrue(t.contiguous().storage === t.storage)
        let c = tr.contiguous()
        XCTAssertFalse(c.storage === t.storage)
        XCTAssertTrue(c.isContiguous)
        XCTAssertEqual(c.scalars, tr.scalars)
        XCTAssertEqual(tr.copy()[3, 2, 1], -1)
        XCTAssertEqual(t.reshaped([-1, 8]).shape, [3, 8])
        // Broadcast views have stride 0 on repeated dims.
        let b = Tensor([1, 2, 3], shape: [3]).broadcast(to: [2, 3])
        XCTAssertEqual(b.strides, [0, 1])
        XCTAssertEqual(b.scalars, [1, 2, 3, 1, 2, 3])
    }

    func testTransposedViewsFeedMatmulWithoutCopies() {
        let a = Tensor.normal(shape: [7, 5], seed: 1), b = Tensor.normal(shape: [6, 7], seed: 2)
        let aT = a.transposed(), bT = b.transposed()          // [5, 7], [7, 6]: column-major views
        XCTAssertFalse(aT.isContiguous)
        let before = CopyCounter.shared.count
        let y = matmul(aT, bT)                                   // [5, 6]
        let y2 = matmul(a, b, transposeA: true, transposeB: true)
        let slicedRows = matmul(Tensor.normal(shape: [10, 7], seed: 3).slice(axis: 0, 2..<7).transposed(), bT.slice(axis: 0, 0..<5).slice(axis: 1, 1..<4))
        let q = Tensor.normal(shape: [2, 4, 3, 8], seed: 4)      // [B, T, H, D] → [B, H, T, D] view
        let qh = q.permuted([0, 2, 1, 3])
        let scores = matmul(qh, qh, transposeB: true)            // [B, H, T, T]
        XCTAssertEqual(CopyCounter.shared.count, before, "matmul copied a strided view")
        XCTAssertEqual(slicedRows.shape, [7, 3])
        assertParity("matmul(transposed views)", y, y2, atol: 1e-5)
        for i in 0..<5 { for j in 0..<6 {
            var s: Float = 0
            for k in 0..<7 { s += a[k, i] * b[j, k] }
            XCTAssertEqual(y[i, j], s, accuracy: 1e-4)
        } }
        var s: Float = 0
        for d in 0..<8 { s += q[1, 2, 0, d] * q[1, 3, 0, d] }
        XCTAssertEqual(scores[1, 0, 2, 3], s, accuracy: 1e-4)
        // A view with neither of its last two dims unit-stride does get copied (and is still right).
        let every2nd = Tensor.normal(shape: [4, 8], seed: 5).reshaped([4, 4, 2]).select(axis: 2, 0) // strides [8, 2]
        let m = matmul(every2nd, Tensor(filled: 1, shape: [4, 1]))
        XCTAssertEqual(CopyCounter.shared.count, before + 1)
        XCTAssertEqual(m[2, 0], every2nd.select(axis: 0, 2).scalars.reduce(0, +), accuracy: 1e-5)
    }
}
