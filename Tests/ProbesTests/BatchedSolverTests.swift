// The lockstep binary solver (BatchedLogistic.swift) against the per-problem path: dgemm against
// plain loops, the batched objective's gradient (with a fold's standardisation folded into the
// weights) against central differences, batched fits against LogisticRegression.fit on the
// fold's own standardised rows, LinearProbe's batched CV against the per-problem reference
// (chooseC + fit per tag, at the end of this file), and results that do not depend on the worker
// count; the same for the K-class (softmax) solver
// (BatchedSoftmax.swift).
@testable import Probes
import TensorCore
import XCTest

final class BatchedSolverTests: XCTestCase {
    func randomMatrix(_ rows: Int, _ cols: Int, seed: UInt64, offset: Double = 0) -> DenseMatrix {
        var rng = SeededGenerator(seed: seed)
        return DenseMatrix(rows: rows, cols: cols, data: (0..<rows * cols).map { _ in Double(rng.nextNormal()) + offset })
    }

    /// 0/1 targets that depend on x's first columns, with noise.
    func targets(_ x: DenseMatrix, count: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { t in
            (0..<x.rows).map { i in x[i, t % x.cols] + 0.8 * Double(rng.nextNormal()) > 0.6 ? 1 : 0 }
        }
    }

    func maxAbsDiff(_ a: LogisticFit, _ b: LogisticFit) -> Double {
        zip(a.weights[0] + a.bias, b.weights[0] + b.bias).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    func testDgemmMatchesLoops() {
        let a = randomMatrix(7, 5, seed: 1), bt = randomMatrix(9, 5, seed: 2), b = randomMatrix(5, 9, seed: 3)
        for transB in [true, false] {
            var c = [Double](repeating: .nan, count: 7 * 9)
            let bm = transB ? bt : b
            a.data.withUnsafeBufferPointer { ap in bm.data.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                dgemm(m: 7, n: 9, k: 5, ap.baseAddress!, bp.baseAddress!, transB: transB, cp.baseAddress!)
            } } }
            var worst = 0.0
            for i in 0..<7 {
                for j in 0..<9 {
                    let ref = (0..<5).reduce(0.0) { $0 + a[i, $1] * (transB ? bt[j, $1] : b[$1, j]) }
                    worst = max(worst, abs(c[i * 9 + j] - ref))
                }
            }
            XCTAssertLessThan(worst, 1e-12, "transB \(transB)")
        }
    }

    /// A problem over the rows `rows` of targets `y`, weighted per class.
    func problem(_ y: [Int], rows: [Int], weights: (Double, Double) = (1, 1), C: Double) -> BinaryProblem {
        BinaryProblem(negatives: rows.filter { y[$0] == 0 }, positives: rows.filter { y[$0] == 1 },
                      negativeWeight: weights.0, positiveWeight: weights.1, C: C)
    }

    func testBatchedGradientMatchesCentralDifferences() {
        let z = randomMatrix(30, 4, seed: 4)
        let y = targets(z, count: 1, seed: 5)[0]
        let rows = (0..<30).filter { $0 % 5 != 0 }
        var shifted = problem(y, rows: rows, weights: (0.6, 1.7), C: 3)
        shifted.shift = [0.1, -0.2, 0.05, 0]
        shifted.scale = [1.1, 0.9, 1.3, 0.7]
        let obj = BatchedBinaryObjective(z: z, problems: [problem(y, rows: rows, C: 0.7), shifted])
        var rng = SeededGenerator(seed: 6)
        let theta = (0..<5).map { _ in Double(rng.nextNormal()) * 0.5 }
        var f = [Double](), g = [[Double]](), fp = [Double](), fm = [Double](), scratch = [[Double]]()
        obj.evaluate([0, 1], thetas: [theta, theta], f: &f, g: &g)
        for p in 0..<2 {
            var worst = 0.0
            for i in theta.indices {
                var tp = theta, tm = theta
                tp[i] += 1e-6; tm[i] -= 1e-6
                obj.evaluate([p], thetas: [tp], f: &fp, g: &scratch)
                obj.evaluate([p], thetas: [tm], f: &fm, g: &scratch)
                worst = max(worst, abs((fp[0] - fm[0]) / 2e-6 - g[p][i]))
            }
            XCTAssertLessThan(worst, 1e-7, "problem \(p): max |analytic − numeric| \(worst)")
        }
    }

    /// A CV fold in the batch (held-out rows left out, the fold's standardisation folded into the
    /// weights) has LogisticRegression.Objective's f and ∇f on the fold's own standardised rows,
    /// and the batch and LogisticRegression.fit reach the same optima.
    func testBatchMatchesPerProblemObjectiveAndFits() {
        let x = randomMatrix(1100, 5, seed: 7, offset: 2)   // > 512 rows per class: several partial products
        let ys = targets(x, count: 3, seed: 8)
        let scaler = Standardizer(fitting: x)
        let z = scaler.transform(x)
        var problems = [BinaryProblem](), references = [LogisticFit]()
        for (t, yt) in ys.enumerated() {
            let balanced = LogisticRegression.balancedWeights(y: yt, classes: 2)
            let C = [0.05, 1, 30][t]
            problems.append(problem(yt, rows: Array(0..<x.rows), weights: (balanced[yt.firstIndex(of: 0)!], balanced[yt.firstIndex(of: 1)!]), C: C))
            references.append(LogisticRegression.fit(x: z, y: yt, classes: 2, sampleWeight: balanced, C: C))
            // Fold: every third row held out (starting at t).
            let train = yt.indices.filter { $0 % 3 != t }
            let fs = Standardizer(fitting: x, rows: train)
            var fold = problem(yt, rows: train, C: C)
            fold.shift = (0..<5).map { (fs.mean[$0] - scaler.mean[$0]) / scaler.scale[$0] }
            fold.scale = (0..<5).map { fs.scale[$0] / scaler.scale[$0] }
            problems.append(fold)
            let zf = fs.transform(x.selecting(rows: train)), yf = train.map { yt[$0] }
            references.append(LogisticRegression.fit(x: zf, y: yf, classes: 2, C: C))
            // Objective values at one point.
            let theta = (0..<6).map { 0.3 * Double($0) - 0.7 }
            var gRef = [Double](repeating: 0, count: 6), f = [Double](), g = [[Double]]()
            let fRef = LogisticRegression.Objective(x: zf, y: yf, k: 1, sw: [Double](repeating: 1, count: train.count), C: C)
                .valueAndGradient(theta, &gRef)
            BatchedBinaryObjective(z: z, problems: [fold]).evaluate([0], thetas: [theta], f: &f, g: &g)
            XCTAssertEqual(f[0], fRef, accuracy: 1e-13 * abs(fRef), "target \(t): f")
            for (a, b) in zip(g[0], gRef) { XCTAssertEqual(a, b, accuracy: 1e-13, "target \(t): ∇f") }
        }
        let fits = BatchedLogistic.fit(z: z, problems: problems, gtol: 1e-11)
        for (i, (fit, ref)) in zip(fits, references).enumerated() {
            XCTAssertLessThanOrEqual(fit.gradientNorm, 1e-11, "problem \(i)")
            XCTAssertLessThan(maxAbsDiff(fit, ref), 1e-8, "problem \(i): batched vs per-problem θ")
        }
        // The same problems along a C path (L-BFGS memory carried over) end where fresh fits do.
        let path = BatchedLogistic.fitPath(z: z, problems: problems, path: [0.01, 0.3, 30], gtol: 1e-11)
        for (c, C) in [0.01, 0.3, 30].enumerated() {
            var fresh = problems
            for i in fresh.indices { fresh[i].C = C }
            for (i, (a, b)) in zip(path[c], BatchedLogistic.fit(z: z, problems: fresh, gtol: 1e-11)).enumerated() {
                XCTAssertLessThan(maxAbsDiff(a, b), 1e-8, "C \(C), problem \(i): path vs fresh")
            }
        }
    }

    /// The subset standardiser gives exactly the numbers of fitting the selected rows.
    func testStandardizerOnRowsEqualsSelectedRows() {
        let x = randomMatrix(40, 3, seed: 9, offset: 5)
        let rows = [3, 1, 17, 22, 39, 0, 8]
        XCTAssertEqual(Standardizer(fitting: x, rows: rows), Standardizer(fitting: x.selecting(rows: rows)))
    }

    /// LinearProbe's batched CV picks the C that chooseC picks per tag, and its final fits match
    /// LogisticRegression.fit from chooseC's warm start; single-label two-class likewise.
    func testProbeFitMatchesPerTagReference() throws {
        let (x, labels) = NShotTests.multiLabelData(rows: 200, features: 6, tags: 4, seed: 11)
        guard case .multiLabel(let tags, let y) = labels else { return XCTFail() }
        let z = Standardizer(fitting: x).transform(x)
        for weighting in [ClassWeight.none, .balanced] {
            var options = ProbeFitOptions(classWeight: weighting, seed: 3)
            options.workers = 2
            let probe = try LinearProbe.fit(x: x, labels: labels, options: options)
            for t in tags.indices {
                let yt = y.map { $0[t] ? 1 : 0 }
                let (c, source, start) = LinearProbe.chooseC(x: x, y: yt, classes: 2, options: options, salt: UInt64(t))
                let ref = LogisticRegression.fit(x: z, y: yt, classes: 2, sampleWeight: LinearProbe.weightsFor(yt, 2, options), C: c, initial: start)
                XCTAssertEqual(probe.C[t], c, "\(weighting) tag \(t)")
                XCTAssertEqual(probe.cSource[t], source)
                let mine = LogisticFit(weights: [probe.weights[t]], bias: [probe.bias[t]], iterations: 0, gradientNorm: 0)
                XCTAssertLessThan(maxAbsDiff(mine, ref), 1e-8, "\(weighting) tag \(t)")
            }
        }
        let y0 = y.map { $0[0] ? 1 : 0 }
        let single = try LinearProbe.fit(x: x, labels: .singleLabel(classes: ["no", "yes"], y: y0), options: ProbeFitOptions(seed: 3))
        let (c, _, start) = LinearProbe.chooseC(x: x, y: y0, classes: 2, options: ProbeFitOptions(seed: 3), salt: 0)
        let ref = LogisticRegression.fit(x: z, y: y0, classes: 2, C: c, initial: start)
        XCTAssertEqual(single.C, [c])
        XCTAssertLessThan(maxAbsDiff(LogisticFit(weights: single.weights, bias: single.bias, iterations: 0, gradientNorm: 0), ref), 1e-8)
    }

    /// 15 tags × 5 folds = 75 CV problems: two lockstep groups, fixed by the problems alone.
    func testResultsDoNotDependOnWorkers() throws {
        let (x, labels) = NShotTests.multiLabelData(rows: 300, features: 8, tags: 15, seed: 12)
        var one = ProbeFitOptions(seed: 1), four = one
        one.workers = 1
        four.workers = 4
        XCTAssertGreaterThan(15 * 5, BatchedLogistic.groupSize)
        XCTAssertEqual(try LinearProbe.fit(x: x, labels: labels, options: one), try LinearProbe.fit(x: x, labels: labels, options: four))
    }

    // MARK: K-class (softmax)

    /// Classes 0..<k: the argmax of x's first k columns plus noise.
    func classes(_ x: DenseMatrix, k: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed)
        return (0..<x.rows).map { i in
            let s = (0..<k).map { x[i, $0 % x.cols] + 0.9 * Double(rng.nextNormal()) }
            return s.indices.max { s[$0] < s[$1] }!
        }
    }

    /// A K-class problem over the rows `rows` of `y`, with per-class weights.
    func softmaxProblem(_ y: [Int], k: Int, rows: [Int], weights: [Double]? = nil, C: Double) -> SoftmaxProblem {
        SoftmaxProblem(rowsByClass: (0..<k).map { c in rows.filter { y[$0] == c } }, classWeights: weights, C: C)
    }

    func maxAbsDiffRows(_ a: LogisticFit, _ b: LogisticFit) -> Double {
        var worst = 0.0
        for (wa, wb) in zip(a.weights, b.weights) { for (p, q) in zip(wa, wb) { worst = max(worst, abs(p - q)) } }
        for (p, q) in zip(a.bias, b.bias) { worst = max(worst, abs(p - q)) }
        return worst
    }

    /// A CV fold of a K-class table in the batch (held-out rows left out, the fold's
    /// standardisation folded into the weights, balanced class weights) has
    /// LogisticRegression.Objective's f and ∇f on the fold's own standardised rows; batched fits
    /// (at one C, and along a C path) reach LogisticRegression.fit's optima.
    func testSoftmaxBatchMatchesPerProblemObjectiveAndFits() {
        let x = randomMatrix(1300, 6, seed: 21, offset: 1.5)
        let scaler = Standardizer(fitting: x)
        let z = scaler.transform(x)
        var problems = [SoftmaxProblem](), references = [LogisticFit]()
        for (t, k) in [3, 5].enumerated() {
            let y = classes(x, k: k, seed: 22 + UInt64(k))
            let C = [0.08, 20][t]
            problems.append(softmaxProblem(y, k: k, rows: Array(0..<x.rows), C: C))
            references.append(LogisticRegression.fit(x: z, y: y, classes: k, C: C))
            // Fold: every fourth row held out, balanced weights on the training rows.
            let train = y.indices.filter { $0 % 4 != t }
            let fs = Standardizer(fitting: x, rows: train)
            let yf = train.map { y[$0] }, sw = LogisticRegression.balancedWeights(y: yf, classes: k)
            let classWeights = (0..<k).map { c in sw[yf.firstIndex(of: c)!] }
            var fold = softmaxProblem(y, k: k, rows: train, weights: classWeights, C: C)
            fold.shift = (0..<6).map { (fs.mean[$0] - scaler.mean[$0]) / scaler.scale[$0] }
            fold.scale = (0..<6).map { fs.scale[$0] / scaler.scale[$0] }
            let zf = fs.transform(x.selecting(rows: train))
            references.append(LogisticRegression.fit(x: zf, y: yf, classes: k, sampleWeight: sw, C: C))
            // Objective values at one point (θ as LogisticRegression lays it out, then packed).
            let theta = (0..<(k * 7)).map { 0.17 * Double($0 % 9) - 0.6 }
            var gRef = [Double](repeating: 0, count: k * 7), f = [Double](), g = [[Double]]()
            let fRef = LogisticRegression.Objective(x: zf, y: yf, k: k, sw: sw, C: C).valueAndGradient(theta, &gRef)
            BatchedSoftmaxObjective(z: z, problems: [fold]).evaluate([0], thetas: [BatchedSoftmax.packed(theta, classes: k)], f: &f, g: &g)
            XCTAssertEqual(f[0], fRef, accuracy: 1e-12 * abs(fRef), "K \(k): f")
            for (a, b) in zip(g[0], BatchedSoftmax.packed(gRef, classes: k)) { XCTAssertEqual(a, b, accuracy: 1e-12, "K \(k): ∇f") }
            problems.append(fold)
        }
        // Problems of one batch share K: fit each K's pair together.
        for (t, pair) in [Array(problems[0..<2]), Array(problems[2..<4])].enumerated() {
            let fits = BatchedSoftmax.fit(z: z, problems: pair, gtol: 1e-11)
            for (i, fit) in fits.enumerated() {
                XCTAssertLessThanOrEqual(fit.gradientNorm, 1e-11, "K set \(t), problem \(i)")
                XCTAssertLessThan(maxAbsDiffRows(fit, references[2 * t + i]), 1e-8, "K set \(t), problem \(i): batched vs per-problem θ")
            }
            // Along a C path (L-BFGS memory carried over) they end where fresh fits do, to what
            // max |∇f| ≤ 1e-11 pins θ to over K·(D + 1) coordinates at curvature ≥ 1/(C·S) (the
            // binary test's 1e-8 is too tight here: up to 8e-8 seen).

            let path = BatchedSoftmax.fitPath(z: z, problems: pair, path: [0.01, 0.3, 30], gtol: 1e-11)
            for (c, C) in [0.01, 0.3, 30].enumerated() {
                var fresh = pair
                for i in fresh.indices { fresh[i].C = C }
                for (i, (a, b)) in zip(path[c], BatchedSoftmax.fit(z: z, problems: fresh, gtol: 1e-11)).enumerated() {
                    XCTAssertLessThan(maxAbsDiffRows(a, b), 3e-7, "K set \(t), C \(C), problem \(i): path vs fresh")
                }
            }
        }
    }

    /// Products block by block, leaving out each problem's skipped rows (Z of ≥ 400 rows), give
    /// the f and ∇f of one product over all rows.
    func testSoftmaxSkippedRowsMatchWholeProducts() {
        let z = randomMatrix(500, 4, seed: 51)
        let y = classes(z, k: 3, seed: 52)
        var problems = [SoftmaxProblem]()
        for (f, held) in [0 ..< 100, 100 ..< 230, 230 ..< 500].enumerated() {
            var p = softmaxProblem(y, k: 3, rows: y.indices.filter { !held.contains($0) }, C: [0.1, 1, 10][f])
            p.shift = [0.1 * Double(f), -0.2, 0.05, 0]
            p.scale = [1.1, 0.9, 1.3 - 0.1 * Double(f), 0.7]
            problems.append(p)
        }
        var skipping = problems
        for (i, held) in [0 ..< 100, 100 ..< 230, 230 ..< 500].enumerated() { skipping[i].skippedRows = held }
        let whole = BatchedSoftmaxObjective(z: z, problems: problems), blocked = BatchedSoftmaxObjective(z: z, problems: skipping)
        XCTAssertEqual(whole.blocks, [0 ..< 500])
        XCTAssertEqual(blocked.blocks, [0 ..< 100, 100 ..< 230, 230 ..< 500])
        let thetas = (0..<3).map { p in (0..<15).map { 0.11 * Double(($0 + p) % 7) - 0.3 } }
        var f1 = [Double](), g1 = [[Double]](), f2 = [Double](), g2 = [[Double]]()
        whole.evaluate([0, 1, 2], thetas: thetas, f: &f1, g: &g1)
        blocked.evaluate([0, 1, 2], thetas: thetas, f: &f2, g: &g2)
        for p in 0..<3 {
            XCTAssertEqual(f1[p], f2[p], accuracy: 1e-13 * abs(f1[p]), "problem \(p): f")
            for (a, b) in zip(g1[p], g2[p]) { XCTAssertEqual(a, b, accuracy: 1e-13, "problem \(p): ∇f") }
        }
    }

    /// A single-label probe of K ≥ 3 classes picks the C that chooseC picks, and its final fit
    /// matches LogisticRegression.fit from chooseC's warm start (480 rows: the CV products skip
    /// each fold's held-out rows).
    func testSoftmaxProbeFitMatchesChooseC() throws {
        let x = randomMatrix(480, 7, seed: 31)
        let z = Standardizer(fitting: x).transform(x)
        for k in [3, 5] {
            let y = classes(x, k: k, seed: 32)
            let labels = ProbeLabels.singleLabel(classes: (0..<k).map { "c\($0)" }, y: y)
            for weighting in [ClassWeight.none, .balanced] {
                let options = ProbeFitOptions(classWeight: weighting, seed: 4)
                let probe = try LinearProbe.fit(x: x, labels: labels, options: options)
                let (c, source, start) = LinearProbe.chooseC(x: x, y: y, classes: k, options: options, salt: 0)
                let ref = LogisticRegression.fit(x: z, y: y, classes: k, sampleWeight: LinearProbe.weightsFor(y, k, options), C: c, initial: start)
                XCTAssertEqual(probe.C, [c], "K \(k), \(weighting)")
                XCTAssertEqual(probe.cSource, [source], "K \(k), \(weighting)")
                let mine = LogisticFit(weights: probe.weights, bias: probe.bias, iterations: 0, gradientNorm: 0)
                XCTAssertLessThan(maxAbsDiffRows(mine, ref), 1e-8, "K \(k), \(weighting)")
            }
        }
    }

    /// 70 K-class problems: two lockstep groups, fixed by the problems alone; and a probe's fit.
    func testSoftmaxResultsDoNotDependOnWorkers() throws {
        let x = randomMatrix(150, 5, seed: 41)
        let z = Standardizer(fitting: x).transform(x)
        let y = classes(x, k: 4, seed: 42)
        let problems = (0..<70).map { p in softmaxProblem(y, k: 4, rows: y.indices.filter { $0 % 7 != p % 7 }, C: [0.1, 1, 10][p % 3]) }
        XCTAssertGreaterThan(problems.count, BatchedLogistic.groupSize)
        XCTAssertEqual(BatchedSoftmax.fitPath(z: z, problems: problems, path: [0.01, 1], gtol: 1e-6, workers: 1),
                       BatchedSoftmax.fitPath(z: z, problems: problems, path: [0.01, 1], gtol: 1e-6, workers: 4))
        var one = ProbeFitOptions(seed: 2), four = one
        one.workers = 1
        four.workers = 4
        let labels = ProbeLabels.singleLabel(classes: ["a", "b", "c", "d"], y: y)
        XCTAssertEqual(try LinearProbe.fit(x: x, labels: labels, options: one), try LinearProbe.fit(x: x, labels: labels, options: four))
    }
}

/// The straightforward path the batched solvers replaced, kept as their reference: each CV fold
/// copied and standardised on its own, one `LogisticRegression.fit` per fold and C.
extension LinearProbe {
    static func weightsFor(_ y: [Int], _ classes: Int, _ options: ProbeFitOptions) -> [Double]? {
        options.classWeight == .balanced ? LogisticRegression.balancedWeights(y: y, classes: classes) : nil
    }

    /// The per-problem reference of the C choice the batched paths implement: options.C if given;
    /// else the grid value with the least mean held-out log loss over k = min(maxFolds, minCount / minPerClassPerFold) stratified folds (each fold standardised
    /// on its own training part); else defaultC when k < 2. The CV fits stop at max |∇f| ≤ 1e-4 —
    /// scikit-learn's default tol, the one its LogisticRegressionCV fits use: they only rank the C
    /// values (the final fit is solved to 1e-11). Also returns the last fold's fit at the chosen C,
    /// a warm start for the final fit (which converges to the same optimum from any start).
    static func chooseC(x: DenseMatrix, y: [Int], classes: Int, options: ProbeFitOptions, salt: UInt64) -> (Double, String, LogisticFit?) {
        if let c = options.C { return (c, "given", nil) }
        guard let (k, fold) = cvFolds(y: y, classes: classes, options: options, salt: salt) else { return (options.defaultC, "default", nil) }
        var last = [LogisticFit?](repeating: nil, count: options.grid.count)
        var loss = [Double](repeating: 0, count: options.grid.count)
        let grid = options.grid.sorted()
        for f in 0..<k {
            let trainRows = y.indices.filter { fold[$0] != f }, valRows = y.indices.filter { fold[$0] == f }
            let xt = x.selecting(rows: trainRows), yt = trainRows.map { y[$0] }
            let scaler = Standardizer(fitting: xt)
            let zt = scaler.transform(xt), zv = scaler.transform(x.selecting(rows: valRows))
            let yv = valRows.map { y[$0] }
            var warm: LogisticFit? = nil
            for (g, c) in grid.enumerated() {
                let fit = LogisticRegression.fit(x: zt, y: yt, classes: classes, sampleWeight: weightsFor(yt, classes, options),
                                                 C: c, initial: warm, gtol: 1e-4)
                warm = fit
                last[g] = fit
                loss[g] += LogisticRegression.logLoss(y: yv, probabilities: LogisticRegression.probabilities(x: zv, weights: fit.weights, bias: fit.bias))
            }
        }
        let best = loss.indices.min { loss[$0] < loss[$1] }!
        return (grid[best], "cv", last[best])
    }
}
