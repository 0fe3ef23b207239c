// The logistic objective's gradient against central differences (Float64), convergence of the
// L-BFGS fits, balanced class weights as sklearn's compute_class_weight, and the multi-label
// sampler's documented fallback when co-occurrence rules out exactly N positives per tag.
@testable import Probes
import TensorCore
import XCTest

final class SolverTests: XCTestCase {
    func data(rows n: Int, cols d: Int, classes k: Int, seed: UInt64) -> (DenseMatrix, [Int]) {
        var rng = SeededGenerator(seed: seed)
        let y = (0..<n).map { _ in rng.nextInt(below: k) }
        let x = (0..<n * d).map { i in Double(rng.nextNormal()) + Double(y[i / d] == i % d ? 1 : 0) }
        return (DenseMatrix(rows: n, cols: d, data: x), y)
    }

    func testGradientMatchesCentralDifferences() {
        for (k, weighted) in [(2, false), (2, true), (3, false), (4, true)] {
            let (x, y) = data(rows: 25, cols: 3, classes: k, seed: UInt64(k))
            let sw = weighted ? LogisticRegression.balancedWeights(y: y, classes: k) : [Double](repeating: 1, count: 25)
            let kk = k == 2 ? 1 : k
            let obj = LogisticRegression.Objective(x: x, y: y, k: kk, sw: sw, C: 0.7)
            var rng = SeededGenerator(seed: 99)
            let theta = (0..<kk * 4).map { _ in Double(rng.nextNormal()) * 0.5 }
            var g = [Double](repeating: 0, count: theta.count), scratch = g
            _ = obj.valueAndGradient(theta, &g)
            var worst = 0.0
            for i in theta.indices {
                var p = theta, m = theta
                p[i] += 1e-6; m[i] -= 1e-6
                let numeric = (obj.valueAndGradient(p, &scratch) - obj.valueAndGradient(m, &scratch)) / 2e-6
                worst = max(worst, abs(numeric - g[i]))
            }
            XCTAssertLessThan(worst, 1e-7, "classes \(k), weighted \(weighted): max |analytic − numeric| \(worst)")
        }
    }

    func testFitsConverge() {
        for (k, c) in [(2, 0.01), (2, 100.0), (3, 1.0), (5, 100.0)] {
            let (x, y) = data(rows: 60, cols: 4, classes: k, seed: UInt64(10 + k))
            let fit = LogisticRegression.fit(x: Standardizer(fitting: x).transform(x), y: y, classes: k, C: c)
            XCTAssertLessThanOrEqual(fit.gradientNorm, 1e-9, "classes \(k), C \(c): \(fit.iterations) iterations")
            XCTAssertLessThan(fit.iterations, 20000)
            XCTAssertEqual(fit.weights.count, k == 2 ? 1 : k)
        }
    }

    func testBalancedWeightsAsSklearn() {
        // compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,1,2,2]) = [6/9, 6/3, 6/6]
        let w = LogisticRegression.balancedWeights(y: [0, 0, 0, 1, 2, 2], classes: 3)
        for (a, b) in zip(w, [2.0 / 3, 2.0 / 3, 2.0 / 3, 2, 1, 1]) { XCTAssertEqual(a, b, accuracy: 1e-15) }
    }

    func testStandardizerAsStandardScaler() {
        let s = Standardizer(fitting: DenseMatrix([[1, 5], [3, 5], [5, 5]]))
        XCTAssertEqual(s.mean, [3, 5])
        XCTAssertEqual(s.scale[0], (8.0 / 3).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(s.scale[1], 1, "constant column → scale 1")
    }

    func testCoOccurrenceFallbackTopsUpAndSaysSo() throws {
        // Rows of a, b, c carry two of the three tags, so one row each cannot give exactly 1 per tag.
        let y = [[true, true, false, false], [false, true, true, false], [true, false, true, false], [false, false, false, true]]
            .flatMap { [$0, $0, $0] }
        let labels = ProbeLabels.multiLabel(tags: ["a", "b", "c", "d"], y: y)
        var rng = SeededGenerator(seed: 4)
        let (rows, exact) = try NShotSampler.sample(labels: labels, pool: Array(0..<12), shots: 1, using: &rng)
        XCTAssertFalse(exact)
        XCTAssertTrue(labels.counts(in: rows).allSatisfy { $0 >= 1 })
    }
}
