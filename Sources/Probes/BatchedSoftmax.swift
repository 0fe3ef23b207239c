// Many K-class (softmax) L2 logistic regressions over one shared standardised matrix Z [N, D],
// solved in lockstep as BatchedLogistic.swift solves binary ones (its `solve` loop: one L-BFGS per
// problem, memory carried along a C grid): each round stacks the K weight rows of every pending
// problem into V [P·K, D] and evaluates all of them with two matrix products — U = V·Zᵀ [P·K, N]
// and G = R·Z [P·K, D] (cblas_dgemm, TensorCore's dgemm). The CV folds of a single-label table
// share Z: a fold counts its training rows only, its own standardisation is folded into the
// weights, and with Z's rows ordered by fold (N ≥ 400) the products run block by block, each
// over the folds that train on it, so held-out rows cost nothing. Same objective and optimum as LogisticRegression.Objective with K ≥ 3 (sklearn 1.x
// `HalfMultinomialLoss`), up to the stopping tolerance. θ is laid out as [W (K·D, row by row),
// b (K)] so that the penalised coordinates come first (LBFGSMinimizer.changePenalty); fits come
// back as LogisticFit's K rows. Leaves out binary problems (BatchedLogistic.swift).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// One K-class problem of a batch: the rows of Z that count, by class (the others, e.g. a CV
/// fold's held-out rows, are left out), one sample weight per class (sklearn's class_weight), C,
/// and the problem's own standardisation as an affine map of Z's columns: (Z − shift) / scale.
struct SoftmaxProblem {
    /// K lists of row indices into Z: rowsByClass[k] has target k.
    var rowsByClass: [[Int]]
    /// [K] sample weight of a row of each class (all 1 unless set).
    var classWeights: [Double]
    var C: Double
    /// [D] each, or nil for the identity.
    var shift: [Double]? = nil
    var scale: [Double]? = nil
    /// Rows of Z that never count for this problem (a CV fold's held-out rows, made contiguous):
    /// on Z of ≥ 400 rows the products leave them out.
    var skippedRows: Range<Int>? = nil
    /// θ [K·(D + 1)] in LogisticRegression.fit's layout (K rows of [w, b]) to start from, or nil
    /// for the intercept-only optimum.
    var start: [Double]? = nil

    init(rowsByClass: [[Int]], classWeights: [Double]? = nil, C: Double) {
        self.rowsByClass = rowsByClass
        self.classWeights = classWeights ?? [Double](repeating: 1, count: rowsByClass.count)
        self.C = C
    }

    var classes: Int { rowsByClass.count }
    /// S = Σ sw over the rows that count.
    var weightSum: Double { zip(rowsByClass, classWeights).reduce(0) { $0 + $1.1 * Double($1.0.count) } }
}

enum BatchedSoftmax {
    /// Fits every problem (all with the same K) at its own C to max |∇f| ≤ gtol; groups of
    /// BatchedLogistic.groupSize go to `workers` threads (results do not depend on it). Returns
    /// fits in the problems' order: weights [K, D] and bias [K] in each problem's own coordinates.
    static func fit(z: DenseMatrix, problems: [SoftmaxProblem], gtol: Double, maxIterations: Int = 20000,
                    workers: Int = 1) -> [LogisticFit] {
        BatchedLogistic.inGroups(problems, workers: workers) {
            fitGroup(z: z, problems: $0, path: nil, gtol: gtol, maxIterations: maxIterations)[0]
        }
    }

    /// Fits every problem at each C of `path` in turn, each going on from its fit (and L-BFGS
    /// memory) at the previous C, as BatchedLogistic.fitPath. Returns fits [path.count][problems.count].
    static func fitPath(z: DenseMatrix, problems: [SoftmaxProblem], path: [Double], gtol: Double, maxIterations: Int = 20000,
                        workers: Int = 1) -> [[LogisticFit]] {
        let byProblem = BatchedLogistic.inGroups(problems, workers: workers) { group -> [[LogisticFit]] in
            let fits = fitGroup(z: z, problems: group, path: path, gtol: gtol, maxIterations: maxIterations)
            return group.indices.map { p in fits.map { $0[p] } }
        }
        return path.indices.map { c in byProblem.map { $0[c] } }
    }

    /// One lockstep group, at each C of `path` (or once at the problems' own C). Returns fits [C][problem].
    static func fitGroup(z: DenseMatrix, problems: [SoftmaxProblem], path: [Double]?, gtol: Double, maxIterations: Int) -> [[LogisticFit]] {
        let d = z.cols, k = problems.first?.classes ?? 0, size = k * (d + 1)
        for p in problems {
            precondition(p.classes == k && k >= 2 && p.classWeights.count == k
                         && p.rowsByClass.joined().allSatisfy { $0 >= 0 && $0 < z.rows && !(p.skippedRows?.contains($0) ?? false) }
                         && (p.start?.count ?? size) == size && (p.shift?.count ?? d) == d && (p.scale?.count ?? d) == d && p.weightSum > 0,
                         "BatchedSoftmax: problem of \(p.classes) classes (group: \(k)), \(p.classWeights.count) class weights, "
                         + "rows outside 0..<\(z.rows) or in its skipped rows \(p.skippedRows.map { "\($0)" } ?? "none"), "
                         + "start \(p.start?.count ?? size) (expected \(size)), shift \(p.shift?.count ?? d) or scale \(p.scale?.count ?? d) for Z [\(z.rows), \(d)], or weight sum \(p.weightSum)")
        }
        let starts = problems.map { p in p.start.map { packed($0, classes: k) } ?? interceptOnlyStart(p, d) }
        // L-BFGS memory: the two-loop recursion costs ~m·K·D per iteration against the products'
        // ~K·N·D; memory 20 saves ~15 % of the iterations on 1200 rows (K = 5) but costs more
        // than it saves on few-shot tables (N ≲ 100). Fixed by Z alone, not by the thread count.
        return BatchedLogistic.solve(BatchedSoftmaxObjective(z: z, problems: problems), starts: starts, path: path,
                                     gtol: gtol, maxIterations: maxIterations, memory: z.rows >= 400 ? 20 : 10)
    }

    /// θ in LogisticRegression's layout (K rows of [w (D), b]) → [W (K·D), b (K)].
    static func packed(_ rows: [Double], classes k: Int) -> [Double] {
        let d = rows.count / k - 1
        var out = [Double](repeating: 0, count: rows.count)
        for r in 0..<k {
            for j in 0..<d { out[r * d + j] = rows[r * (d + 1) + j] }
            out[k * d + r] = rows[r * (d + 1) + d]
        }
        return out
    }

    /// W = 0 and b_r = log S_r − mean log S (softmax(b) = the weighted class shares), the optimum
    /// of the intercepts alone; zeros when a class has no weight.
    static func interceptOnlyStart(_ p: SoftmaxProblem, _ d: Int) -> [Double] {
        let k = p.classes
        var theta = [Double](repeating: 0, count: k * (d + 1))
        let shares = zip(p.rowsByClass, p.classWeights).map { $0.1 * Double($0.0.count) }
        if shares.allSatisfy({ $0 > 0 }) {
            let logs = shares.map { logD($0) }, mean = logs.reduce(0, +) / Double(k)
            for r in 0..<k { theta[k * d + r] = logs[r] - mean }
        }
        return theta
    }
}

/// f_p(θ) = Σᵢ swᵢ·(logΣᵣ e^{uᵢᵣ} − u_{i,yᵢ}) / S + ‖W‖² / (2·C·S), S = Σ sw, for a set of K-class
/// problems over Z; as LogisticRegression.Objective (K ≥ 3), with each problem's standardisation
/// folded into its weights: uᵢᵣ = ((Zᵢ − shift)/scale)·wᵣ + bᵣ = Zᵢ·vᵣ + cᵣ, vᵣ = wᵣ / scale,
/// cᵣ = bᵣ − shift·vᵣ, and ∂f/∂wᵣⱼ = (Σᵢ Rᵢᵣ·Zᵢⱼ − shiftⱼ·Σᵢ Rᵢᵣ) / scaleⱼ (before the 1/S and the
/// penalty), Rᵢᵣ = swᵢ·(softmax(uᵢ)ᵣ − [r = yᵢ]). Per row: K − 1 exps (e^{uᵢᵣ − maxᵣ uᵢᵣ}, the top
/// class's being 1), and the logs of the row sums taken as the log of their running product
/// (each sum is in [1, K]), flushed before it could overflow.
struct BatchedSoftmaxObjective: LockstepObjective {
    let z: DenseMatrix
    let problems: [SoftmaxProblem]
    let swSum: [Double]
    /// K, the same for every problem.
    let k: Int
    var C: [Double]
    /// Consecutive row ranges of Z cut at every problem's skipped rows (one range, all of Z, when
    /// none skips any or Z has < 400 rows, where one product per round is cheaper than several).
    let blocks: [Range<Int>]

    init(z: DenseMatrix, problems: [SoftmaxProblem]) {
        self.z = z
        self.problems = problems
        swSum = problems.map(\.weightSum)
        k = problems.first?.classes ?? 0
        C = problems.map(\.C)
        let cuts = z.rows < 400 ? [0, z.rows]
            : Array(Set([0, z.rows] + problems.flatMap { $0.skippedRows.map { [$0.lowerBound, $0.upperBound] } ?? [] })).sorted()
        blocks = zip(cuts, cuts.dropFirst()).map { $0 ..< $1 }.filter { !$0.isEmpty }
    }

    /// Indices into `active` of the problems that count rows of `block`.
    func users(of block: Range<Int>, _ active: [Int]) -> [Int] {
        active.indices.filter { a in
            guard let skip = problems[active[a]].skippedRows else { return true }
            return !(skip.lowerBound <= block.lowerBound && block.upperBound <= skip.upperBound)
        }
    }

    var penalised: Int { k * z.cols }

    func fit(_ theta: [Double], iterations: Int, gradientNorm: Double) -> LogisticFit {
        let d = z.cols
        return LogisticFit(weights: (0..<k).map { Array(theta[$0 * d ..< ($0 + 1) * d]) }, bias: Array(theta[k * d ..< k * (d + 1)]),
                           iterations: iterations, gradientNorm: gradientNorm)
    }

    /// f and ∇f of problems `active` at `thetas` (each [K·D + K], W then b); f [P] and g [P][K·D + K].
    func evaluate(_ active: [Int], thetas: [[Double]], f: inout [Double], g: inout [[Double]]) {
        let n = z.rows, d = z.cols, kd = k * d, pa = active.count, m = pa * k
        // V [P·K, D] and c [P·K]: problem a's class r is row a·K + r.
        var v = [Double](repeating: 0, count: m * d), c = [Double](repeating: 0, count: m)
        v.withUnsafeMutableBufferPointer { vp in
            for (a, p) in active.enumerated() {
                let pr = problems[p]
                thetas[a].withUnsafeBufferPointer { tp in
                    for r in 0..<k {
                        c[a * k + r] = foldStandardisation(tp.baseAddress! + r * d, bias: tp[kd + r], shift: pr.shift, scale: pr.scale,
                                                           d: d, into: vp.baseAddress! + (a * k + r) * d)
                    }
                }
            }
        }
        // U = V·Zᵀ [P·K, N]: every class score of every problem in one pass over Z, or one pass
        // per block over the problems that count its rows (U is left unset where they do not).
        var u = [Double](unsafeUninitializedCapacity: m * n) { _, count in count = m * n }   // dgemm writes what is read
        v.withUnsafeBufferPointer { vp in z.data.withUnsafeBufferPointer { zp in u.withUnsafeMutableBufferPointer { up in
            if blocks.count == 1 { return dgemm(m: m, n: n, k: d, vp.baseAddress!, zp.baseAddress!, transB: true, up.baseAddress!) }
            for block in blocks {
                let users = users(of: block, active), mb = users.count * k, nb = block.count
                if users.isEmpty { continue }
                var vb = [Double](repeating: 0, count: mb * d), ub = [Double](repeating: 0, count: mb * nb)
                for (b, a) in users.enumerated() { for q in 0..<k { for j in 0..<d { vb[(b * k + q) * d + j] = vp[(a * k + q) * d + j] } } }
                vb.withUnsafeBufferPointer { vbp in ub.withUnsafeMutableBufferPointer { ubp in
                    dgemm(m: mb, n: nb, k: d, vbp.baseAddress!, zp.baseAddress! + block.lowerBound * d, transB: true, ubp.baseAddress!)
                    for (b, a) in users.enumerated() {
                        for q in 0..<k {
                            (up.baseAddress! + (a * k + q) * n + block.lowerBound).update(from: ubp.baseAddress! + (b * k + q) * nb, count: nb)
                        }
                    }
                } }
            }
        } } }
        // Loss, and R [P·K, N] (0 on rows that do not count).
        f = [Double](repeating: 0, count: pa)
        var rSum = [Double](repeating: 0, count: m)
        var r = [Double](repeating: 0, count: m * n)
        // Scratch [3·K]: a row's scores, then its exps; the problem's c; the class's Σᵢ Rᵢ.
        var scratch = [Double](repeating: 0, count: 3 * k)
        u.withUnsafeBufferPointer { up in r.withUnsafeMutableBufferPointer { rp in scratch.withUnsafeMutableBufferPointer { sp in
            let ep = sp.baseAddress!, ca = ep + k, classSum = ep + 2 * k
            for (a, p) in active.enumerated() {
                let pr = problems[p], scores = up.baseAddress! + a * k * n, out = rp.baseAddress! + a * k * n
                for q in 0..<k { ca[q] = c[a * k + q] }
                for (cls, rows) in pr.rowsByClass.enumerated() {
                    let w = pr.classWeights[cls]
                    var margin = 0.0, logs = 0.0, product = 1.0
                    for q in 0..<k { classSum[q] = 0 }
                    for i in rows {
                        var top = -Double.infinity, at = 0
                        for q in 0..<k { let s = scores[q * n + i] + ca[q]; ep[q] = s; if s > top { top = s; at = q } }
                        margin += top - ep[cls]
                        // e^0 = 1 exactly for the top class: K − 1 exps.
                        var total = 0.0
                        for q in 0..<k { let x = q == at ? 1 : expD(ep[q] - top); ep[q] = x; total += x }
                        product *= total
                        if product > 1e280 { logs += logD(product); product = 1 }
                        let scaleW = w / total
                        for q in 0..<k {
                            let rv = ep[q] * scaleW
                            out[q * n + i] = rv
                            classSum[q] += rv
                        }
                        out[cls * n + i] -= w
                    }
                    classSum[cls] -= w * Double(rows.count)
                    f[a] += w * (margin + (logs + logD(product)))
                    for q in 0..<k { rSum[a * k + q] += classSum[q] }
                }
            }
        } } }
        // G = R·Z [P·K, D]: every gradient row in one more pass (or block by block, summed in
        // block order).
        var gz = [Double](repeating: 0, count: m * d)
        r.withUnsafeBufferPointer { rp in z.data.withUnsafeBufferPointer { zp in gz.withUnsafeMutableBufferPointer { gp in
            if blocks.count == 1 { return dgemm(m: m, n: d, k: n, rp.baseAddress!, zp.baseAddress!, transB: false, gp.baseAddress!) }
            for block in blocks {
                let users = users(of: block, active), mb = users.count * k, nb = block.count
                if users.isEmpty { continue }
                var rb = [Double](repeating: 0, count: mb * nb), gb = [Double](repeating: 0, count: mb * d)
                rb.withUnsafeMutableBufferPointer { rbp in gb.withUnsafeMutableBufferPointer { gbp in
                    for (b, a) in users.enumerated() {
                        for q in 0..<k {
                            (rbp.baseAddress! + (b * k + q) * nb).update(from: rp.baseAddress! + (a * k + q) * n + block.lowerBound, count: nb)
                        }
                    }
                    dgemm(m: mb, n: d, k: nb, rbp.baseAddress!, zp.baseAddress! + block.lowerBound * d, transB: false, gbp.baseAddress!)
                    for (b, a) in users.enumerated() {
                        for t in 0..<(k * d) { gp[a * k * d + t] += gbp[b * k * d + t] }
                    }
                } }
            }
        } } }
        g = [[Double]](repeating: [], count: pa)
        for (a, p) in active.enumerated() {
            let theta = thetas[a], pr = problems[p]
            let invS = 1 / swSum[p], invCS = 1 / (C[p] * swSum[p])
            var grad = [Double](repeating: 0, count: kd + k)
            var fa = f[a] * invS
            for q in 0..<k {
                let row = a * k + q
                for j in 0..<d {
                    var gj = gz[row * d + j]
                    if let shift = pr.shift { gj -= shift[j] * rSum[row] }
                    if let scale = pr.scale { gj /= scale[j] }
                    let t = theta[q * d + j]
                    fa += 0.5 * invCS * t * t
                    grad[q * d + j] = gj * invS + invCS * t
                }
                grad[kd + q] = rSum[row] * invS
            }
            f[a] = fa
            g[a] = grad
        }
    }
}
