// A linear probe on frozen features: standardisation fitted on the training rows, then L2
// logistic regression — one-vs-rest binary fits per tag (multi-label, as scikit-learn 1.x's
// OneVsRestClassifier(LogisticRegression)) or one softmax fit (single-label, binary when K = 2, as
// LogisticRegression). C is given, or chosen per fit by stratified k-fold cross-validation
// (mean held-out log loss over a grid; CV fits stop at sklearn's default tol 1e-4, final fits at
// 1e-11) when every class has ≥ 3 rows per fold, else 1.0. Binary fits (every tag, or K = 2) are
// solved together: all CV fits of all tags in one lockstep batch, then all final fits in another
// (BatchedLogistic.swift); a softmax probe's CV folds likewise, then its final fit
// (BatchedSoftmax.swift). Leaves out matching sklearn's LogisticRegressionCV folds and scoring,
// and grouped CV.
import TensorCore

/// scikit-learn's class_weight: "balanced" (n / (K · countₖ)) or none (all 1).
public enum ClassWeight: String, Codable, Sendable, CaseIterable { case balanced, none }

/// How probes are fitted.
public struct ProbeFitOptions: Sendable {
    /// Inverse L2 strength as sklearn's C; nil chooses it by cross-validation.
    public var C: Double?
    public var classWeight: ClassWeight
    /// C values tried by cross-validation.
    public var grid: [Double] = [1e-3, 1e-2, 1e-1, 1, 10, 100]
    /// C when there are too few rows to cross-validate.
    public var defaultC = 1.0
    public var maxFolds = 5
    /// Cross-validate only when every class has this many rows per fold (k ≥ 2).
    public var minPerClassPerFold = 3
    /// Seeds the fold assignment.
    public var seed: UInt64 = 0
    /// Threads for a probe's lockstep groups of binary fits (BatchedLogistic.groupSize problems
    /// each; results do not depend on it).
    public var workers = 1

    public init(C: Double? = nil, classWeight: ClassWeight = .none, seed: UInt64 = 0) {
        self.C = C
        self.classWeight = classWeight
        self.seed = seed
    }
}

/// A fitted probe, saved as probe.json. p = σ(w·z + b) per tag, or softmax over classes, where
/// z = (x − mean) / scale; `weights` [K′, D] (K′ = tags, 1 for two classes, or K classes).
public struct LinearProbe: Codable, Equatable, Sendable {
    public static let formatName = "crosstalk-linear-probe/1"
    public var format: String = LinearProbe.formatName
    /// "multi-label" or "single-label".
    public var task: String
    /// Tag names (multi-label) or class names (single-label); output columns in this order.
    public var names: [String]
    public var mean: [Double]
    public var scale: [Double]
    public var weights: [[Double]]
    public var bias: [Double]
    /// C of each weight row's fit (one per tag; one value for single-label).
    public var C: [Double]
    /// How each C was set: "given", "cv" or "default".
    public var cSource: [String]
    public var classWeight: String

    enum CodingKeys: String, CodingKey {
        case format, task, names, mean, scale, weights, bias, C, cSource = "c_source", classWeight = "class_weight"
    }

    public var featureCount: Int { mean.count }

    /// Fits on all rows of `x` [N, D] with targets `labels` (N rows). Throws when a tag or the
    /// table has only one class among the rows.
    public static func fit(x: DenseMatrix, labels: ProbeLabels, options: ProbeFitOptions) throws -> LinearProbe {
        precondition(x.rows == labels.count, "LinearProbe.fit: \(x.rows) rows, \(labels.count) labels")
        let scaler = Standardizer(fitting: x)
        let z = scaler.transform(x)
        var weights = [[Double]](), bias = [Double](), cs = [Double](), sources = [String]()
        switch labels {
        case .multiLabel(let tags, let y):
            for (t, tag) in tags.enumerated() {
                let pos = y.reduce(0) { $0 + ($1[t] ? 1 : 0) }
                if pos == 0 || pos == y.count { throw ProbeError.oneClass(name: tag, where: "the training rows") }
            }
            let fits = fitBinary(x: x, z: z, scaler: scaler, targets: tags.indices.map { t in y.map { $0[t] ? 1 : 0 } }, options: options)
            for (f, c, source) in fits { weights.append(f.weights[0]); bias.append(f.bias[0]); cs.append(c); sources.append(source) }
        case .singleLabel(let classes, let y):
            let counts = labels.counts(in: Array(0..<y.count))
            if let missing = counts.firstIndex(of: 0) {
                throw ProbeError.tooFewTrainingRows(name: classes[missing], found: 0, needed: 1, shots: "all")
            }
            if classes.count == 2 {
                let (f, c, source) = fitBinary(x: x, z: z, scaler: scaler, targets: [y], options: options)[0]
                return LinearProbe(task: "single-label", names: labels.names, mean: scaler.mean, scale: scaler.scale,
                                   weights: f.weights, bias: f.bias, C: [c], cSource: [source], classWeight: options.classWeight.rawValue)
            }
            let (f, c, source) = fitSoftmax(x: x, z: z, scaler: scaler, y: y, classes: classes.count, options: options)
            weights = f.weights; bias = f.bias; cs = [c]; sources = [source]
        }
        return LinearProbe(task: labels.isMultiLabel ? "multi-label" : "single-label", names: labels.names,
                           mean: scaler.mean, scale: scaler.scale, weights: weights, bias: bias, C: cs,
                           cSource: sources, classWeight: options.classWeight.rawValue)
    }

    /// Probabilities [N, names.count] of raw feature rows x [N, D].
    public func probabilities(_ x: DenseMatrix) -> [[Double]] {
        precondition(x.cols == featureCount, "LinearProbe: \(x.cols) features, fitted on \(featureCount)")
        let z = Standardizer(mean: mean, scale: scale).transform(x)
        if task == "multi-label" {
            return (0..<z.rows).map { i in
                let row = z.row(i)
                return (0..<weights.count).map { t in
                    var s = bias[t]
                    for (j, w) in zip(row.indices, weights[t]) { s += row[j] * w }
                    return sigmoid(s)
                }
            }
        }
        return LogisticRegression.probabilities(x: z, weights: weights, bias: bias)
    }

    /// Checks a decoded probe's shapes; `path` labels the error.
    public func validate(path: String) throws {
        func bad(_ why: String) -> ProbeError { .badProbe(path: path, reason: why) }
        guard format == Self.formatName else { throw bad("format '\(format)'") }
        guard task == "multi-label" || task == "single-label" else { throw bad("task '\(task)'") }
        let d = mean.count
        guard d > 0, scale.count == d, scale.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw bad("mean/scale sizes or values") }
        let rowsExpected = task == "multi-label" ? names.count : (names.count == 2 ? 1 : names.count)
        guard names.count >= (task == "multi-label" ? 1 : 2), weights.count == rowsExpected, bias.count == rowsExpected,
              weights.allSatisfy({ $0.count == d }) else {
            throw bad("\(weights.count) weight rows of \(weights.first?.count ?? 0) for \(names.count) names and \(d) features")
        }
    }

    // MARK: fitting helpers

    /// The stratified folds the choice of C cross-validates over: k and each row's fold in 0..<k (per
    /// class, a seeded shuffle dealt round-robin); nil when k = min(maxFolds, minCount /
    /// minPerClassPerFold) < 2. `salt` is the tag index of a multi-label fit (0 for single-label);
    /// `options.seed` is the fit's seed. Public so that benchmarks can hand the same folds to sklearn.
    public static func cvFolds(y: [Int], classes: Int, options: ProbeFitOptions, salt: UInt64) -> (k: Int, fold: [Int])? {
        var byClass = [[Int]](repeating: [], count: classes)
        for (i, c) in y.enumerated() { byClass[c].append(i) }
        let minCount = byClass.map(\.count).min() ?? 0
        let k = min(options.maxFolds, minCount / options.minPerClassPerFold)
        if k < 2 { return nil }
        var rng = SeededGenerator(seed: options.seed &* 0x9E37_79B9_7F4A_7C15 &+ salt &+ 0xC5)
        var fold = [Int](repeating: 0, count: y.count)
        for var rows in byClass {
            rng.shuffle(&rows)
            for (p, i) in rows.enumerated() { fold[i] = p % k }
        }
        return (k, fold)
    }

    /// Binary fits of 0/1 `targets` (each [N]) over the rows of x [N, D] (z: x standardised by
    /// `scaler`): the one-vs-rest tags of a multi-label probe (target t's folds salted with t), or
    /// the one target of a two-class single-label probe. C and its source per target: options.C
    /// if given; else the sorted grid value with the least mean held-out log loss over the
    /// `cvFolds` folds, each fold standardised on its own training part (CV fits stop at
    /// max |∇f| ≤ 1e-4, scikit-learn's default tol: they only rank the C values), and the final
    /// fit (to 1e-11) warm-started from the last fold's fit at the chosen C; else defaultC when
    /// there are fewer than two folds. Solved in batches over z (BatchedLogistic.swift): every
    /// (target, fold) CV problem walks the sorted grid with its L-BFGS memory carried from one C
    /// to the next (fold f of target t counts its training rows only, its standardisation
    /// referred to `scaler`), then all final fits at once. The tests hold this against a
    /// per-problem reference (fold copies, one `LogisticRegression.fit` per fold and C).
    static func fitBinary(x: DenseMatrix, z: DenseMatrix, scaler: Standardizer, targets: [[Int]],
                          options: ProbeFitOptions) -> [(LogisticFit, Double, String)] {
        let d = x.cols
        var chosen = [(c: Double, source: String)](repeating: (options.defaultC, "default"), count: targets.count)
        var starts = [[Double]?](repeating: nil, count: targets.count)
        /// The rows of `rows` by target, with class_weight="balanced" weights n / (2·countₖ) on those rows.
        func problem(_ yt: [Int], rows: [Int]) -> BinaryProblem {
            let negatives = rows.filter { yt[$0] == 0 }, positives = rows.filter { yt[$0] == 1 }
            var p = BinaryProblem(negatives: negatives, positives: positives, C: options.defaultC)
            if options.classWeight == .balanced {
                let n = Double(rows.count)
                p.negativeWeight = n / (2 * Double(negatives.count))
                p.positiveWeight = n / (2 * Double(positives.count))
            }
            return p
        }
        // CV problems, target by target and fold by fold (the order the held-out losses are summed in).
        var problems = [BinaryProblem](), owner = [(target: Int, fold: Int)](), heldOut = [[Int]]()
        var folds = [Int](repeating: 0, count: targets.count)
        for (t, yt) in targets.enumerated() {
            if let c = options.C { chosen[t] = (c, "given"); continue }
            guard let (k, fold) = cvFolds(y: yt, classes: 2, options: options, salt: UInt64(t)) else { continue }
            folds[t] = k
            for f in 0..<k {
                let trainRows = yt.indices.filter { fold[$0] != f }
                let fs = Standardizer(fitting: x, rows: trainRows)
                var p = problem(yt, rows: trainRows)
                p.shift = (0..<d).map { (fs.mean[$0] - scaler.mean[$0]) / scaler.scale[$0] }
                p.scale = (0..<d).map { fs.scale[$0] / scaler.scale[$0] }
                problems.append(p)
                owner.append((t, f))
                heldOut.append(yt.indices.filter { fold[$0] == f })
            }
        }
        if !problems.isEmpty {
            let grid = options.grid.sorted()
            var loss = [[Double]](repeating: [Double](repeating: 0, count: grid.count), count: targets.count)
            var lastFold = [[[Double]]](repeating: [], count: targets.count)
            let fits = BatchedLogistic.fitPath(z: z, problems: problems, path: grid, gtol: 1e-4, workers: options.workers)
            for (g, fitsAtC) in fits.enumerated() {
                for (i, fit) in fitsAtC.enumerated() {
                    let (t, f) = owner[i]
                    let theta = fit.weights[0] + fit.bias
                    loss[t][g] += heldOutLogLoss(z: z, rows: heldOut[i], y: targets[t], theta: theta, problem: problems[i])
                    if f == folds[t] - 1 { lastFold[t].append(theta) }
                }
            }
            for t in targets.indices where folds[t] >= 2 {
                let best = loss[t].indices.min { loss[t][$0] < loss[t][$1] }!
                chosen[t] = (grid[best], "cv")
                starts[t] = lastFold[t][best]
            }
        }
        let finals = targets.indices.map { t in
            var p = problem(targets[t], rows: Array(0..<x.rows))
            p.C = chosen[t].c
            p.start = starts[t]
            return p
        }
        let fits = BatchedLogistic.fit(z: z, problems: finals, gtol: 1e-11, workers: options.workers)
        return targets.indices.map { (fits[$0], chosen[$0].c, chosen[$0].source) }
    }

    /// The softmax fit of a single-label table of K ≥ 3 classes (targets `y` [N] over the rows of
    /// x [N, D]; z: x standardised by `scaler`), with C and its source by `fitBinary`'s rule — the
    /// same folds (salt 0), fold standardisation, sorted grid, stopping tolerances, selection and
    /// warm start of the final fit from the last fold's fit at the chosen C — solved in
    /// lockstep over z (BatchedSoftmax.swift): the k CV problems walk the grid together, each with
    /// its L-BFGS memory carried from one C to the next, then the final fit.
    static func fitSoftmax(x: DenseMatrix, z: DenseMatrix, scaler: Standardizer, y: [Int], classes: Int,
                           options: ProbeFitOptions) -> (LogisticFit, Double, String) {
        let d = x.cols
        /// The rows `rows` by class of `labels`, with class_weight="balanced" weights
        /// (`LogisticRegression.balancedWeights`' rule) on those rows.
        func problem(_ labels: [Int], rows: [Int]) -> SoftmaxProblem {
            var byClass = [[Int]](repeating: [], count: classes)
            for i in rows { byClass[labels[i]].append(i) }
            var p = SoftmaxProblem(rowsByClass: byClass, C: options.defaultC)
            if options.classWeight == .balanced {
                let present = Double(byClass.filter { !$0.isEmpty }.count), n = Double(rows.count)
                p.classWeights = byClass.map { $0.isEmpty ? 1 : n / (present * Double($0.count)) }
            }
            return p
        }
        var chosen = (c: options.defaultC, source: "default"), start: [Double]? = nil
        if let c = options.C {
            chosen = (c, "given")
        } else if let (k, fold) = cvFolds(y: y, classes: classes, options: options, salt: 0) {
            // The CV problems run over z's rows ordered by fold, so that each fold's held-out rows
            // are one range the products can leave out (SoftmaxProblem.skippedRows).
            let order = (0..<k).flatMap { f in y.indices.filter { fold[$0] == f } }
            let zf = z.selecting(rows: order), yf = order.map { y[$0] }
            var problems = [SoftmaxProblem](), heldOut = [Range<Int>](), begin = 0
            for f in 0..<k {
                let trainRows = y.indices.filter { fold[$0] != f }, held = begin ..< begin + (y.count - trainRows.count)
                begin = held.upperBound
                let fs = Standardizer(fitting: x, rows: trainRows)
                var p = problem(yf, rows: yf.indices.filter { !held.contains($0) })
                p.shift = (0..<d).map { (fs.mean[$0] - scaler.mean[$0]) / scaler.scale[$0] }
                p.scale = (0..<d).map { fs.scale[$0] / scaler.scale[$0] }
                p.skippedRows = held
                problems.append(p)
                heldOut.append(held)
            }
            let grid = options.grid.sorted()
            let fits = BatchedSoftmax.fitPath(z: zf, problems: problems, path: grid, gtol: 1e-4, workers: options.workers)
            // Summed fold by fold.
            let loss = fits.map { fitsAtC in
                fitsAtC.indices.reduce(0.0) { $0 + heldOutLogLoss(z: zf, rows: Array(heldOut[$1]), y: yf, fit: fitsAtC[$1], problem: problems[$1]) }
            }
            let best = loss.indices.min { loss[$0] < loss[$1] }!
            chosen = (grid[best], "cv")
            let last = fits[best][k - 1]
            start = (0..<classes).flatMap { last.weights[$0] + [last.bias[$0]] }
        }
        var final = problem(y, rows: Array(0..<x.rows))
        final.C = chosen.c
        final.start = start
        return (BatchedSoftmax.fit(z: z, problems: [final], gtol: 1e-11)[0], chosen.c, chosen.source)
    }

    /// Mean held-out log loss of a K-class CV problem, as `LogisticRegression.logLoss` of
    /// `LogisticRegression.probabilities` on the fold's standardised held-out rows: here the rows of
    /// z, with the fold's standardisation folded into the fit's weights (see BatchedSoftmaxObjective).
    static func heldOutLogLoss(z: DenseMatrix, rows: [Int], y: [Int], fit: LogisticFit, problem: SoftmaxProblem) -> Double {
        let d = z.cols, k = fit.weights.count
        var v = [Double](repeating: 0, count: k * d), c = fit.bias
        v.withUnsafeMutableBufferPointer { vp in
            for r in 0..<k {
                c[r] = fit.weights[r].withUnsafeBufferPointer {
                    foldStandardisation($0.baseAddress!, bias: fit.bias[r], shift: problem.shift, scale: problem.scale, d: d, into: vp.baseAddress! + r * d)
                }
            }
        }
        var s = 0.0, e = [Double](repeating: 0, count: k)
        z.data.withUnsafeBufferPointer { zp in v.withUnsafeBufferPointer { vp in
            for i in rows {
                for r in 0..<k { e[r] = c[r] + dotD(zp.baseAddress! + i * d, vp.baseAddress! + r * d, d) }
                let top = e.max()!
                var total = 0.0
                for r in 0..<k { e[r] = expD(e[r] - top); total += e[r] }
                s -= logD(min(max(e[y[i]] / total, 1e-15), 1 - 1e-15))
            }
        } }
        return s / Double(max(rows.count, 1))
    }

    /// Mean held-out log loss of a CV problem, as `LogisticRegression.logLoss` of
    /// `LogisticRegression.probabilities` on the fold's standardised held-out rows: here the rows
    /// of z, with the fold's standardisation folded into θ [D + 1] (see BatchedBinaryObjective).
    static func heldOutLogLoss(z: DenseMatrix, rows: [Int], y: [Int], theta: [Double], problem: BinaryProblem) -> Double {
        let d = z.cols
        var v = [Double](repeating: 0, count: d)
        let c = v.withUnsafeMutableBufferPointer { vp in
            theta.withUnsafeBufferPointer { foldStandardisation($0.baseAddress!, bias: theta[d], shift: problem.shift, scale: problem.scale, d: d, into: vp.baseAddress!) }
        }
        var s = 0.0
        z.data.withUnsafeBufferPointer { zp in v.withUnsafeBufferPointer { vp in
            for i in rows {
                let p = sigmoid(c + dotD(zp.baseAddress! + i * d, vp.baseAddress!, d))
                s -= logD(min(max(y[i] == 1 ? p : 1 - p, 1e-15), 1 - 1e-15))
            }
        } }
        return s / Double(max(rows.count, 1))
    }
}
