// The Jacobi eigensolver and the matrix functions built on it: A = VΛVᵀ, VᵀV = I, expm∘logm = id,
// sqrtm² = A, invsqrtm·A·invsqrtm = I; the Riemannian mean of commuting matrices is their
// geometric mean; tangent vectors at the mean sum to zero.
import Foundation
import XCTest
@testable import Signals

final class SPDTests: XCTestCase {
    func randomSPD(_ n: Int, seed: UInt64) -> SymmetricMatrix {
        var state = seed
        func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) - 0.5 }
        var b = [Double](repeating: 0, count: n * n)
        for i in 0..<n * n { b[i] = next() }
        var a = SymmetricMatrix(n: n, data: [Double](repeating: 0, count: n * n))
        for i in 0..<n { for j in 0..<n { var s = 0.0; for k in 0..<n { s += b[i * n + k] * b[j * n + k] }; a[i, j] = s + (i == j ? 0.1 : 0) } }
        return a
    }

    func testEigenDecompositionReconstructs() {
        for n in [1, 2, 4, 5, 8] {
            let a = randomSPD(n, seed: UInt64(n))
            let (lambda, v) = a.eigen()
            XCTAssertEqual(lambda, lambda.sorted())
            for i in 0..<n {
                for j in 0..<n {
                    var r = 0.0, o = 0.0
                    for k in 0..<n { r += v[i * n + k] * lambda[k] * v[j * n + k]; o += v[k * n + i] * v[k * n + j] }
                    XCTAssertEqual(r, a[i, j], accuracy: 1e-12)
                    XCTAssertEqual(o, i == j ? 1 : 0, accuracy: 1e-12)
                }
            }
        }
    }

    func testMatrixFunctionsAreConsistent() {
        let a = randomSPD(5, seed: 7)
        let back = a.logm.expm
        for i in 0..<25 { XCTAssertEqual(back.data[i], a.data[i], accuracy: 1e-11) }
        let s = a.sqrtm
        let sq = s * s
        for i in 0..<25 { XCTAssertEqual(sq.data[i], a.data[i], accuracy: 1e-11) }
        let w = a.invsqrtm * a * a.invsqrtm
        for i in 0..<5 { for j in 0..<5 { XCTAssertEqual(w[i, j], i == j ? 1 : 0, accuracy: 1e-10) } }
    }

    func testRiemannianMeanOfDiagonalMatricesIsGeometric() {
        let a = SymmetricMatrix(n: 2, data: [1, 0, 0, 4]), b = SymmetricMatrix(n: 2, data: [4, 0, 0, 9])
        let (m, _) = Riemann.mean([a, b])
        XCTAssertEqual(m[0, 0], 2, accuracy: 1e-9)
        XCTAssertEqual(m[1, 1], 6, accuracy: 1e-9)
        XCTAssertEqual(m[0, 1], 0, accuracy: 1e-12)
    }

    func testTangentVectorsAtTheMeanSumToZero() {
        let covs = (0..<6).map { randomSPD(4, seed: 100 + UInt64($0)) }
        let ts = TangentSpace(fitting: covs)
        let vs = covs.map { ts.transform($0) }
        XCTAssertEqual(vs[0].count, 10)
        for k in 0..<10 { XCTAssertEqual(vs.reduce(0) { $0 + $1[k] }, 0, accuracy: 1e-7) }
        // At the reference itself the tangent vector is zero; off-diagonals carry √2.
        XCTAssertEqual(ts.transform(ts.reference).reduce(0) { max($0, abs($1)) }, 0, accuracy: 1e-12)
        let id = TangentSpace(reference: .identity(2))
        let t = id.transform(SymmetricMatrix(n: 2, data: [2, 0, 0, 3]))
        XCTAssertEqual(t[0], log(2), accuracy: 1e-14); XCTAssertEqual(t[1], 0, accuracy: 1e-14); XCTAssertEqual(t[2], log(3), accuracy: 1e-14)
    }
}
