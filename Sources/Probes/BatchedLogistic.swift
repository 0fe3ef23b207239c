// Many binary L2 logistic regressions over one shared standardised matrix Z [N, D], solved in
// lockstep: every problem runs its own L-BFGS (LBFGS.swift), and each round evaluates all pending
// points with two matrix products — U = V·Zᵀ [P, N] and G = R·Z [P, D] (cblas_dgemm,
// TensorCore's dgemm) — instead of P separate passes over Z. One-vs-rest tags share Z; so do the CV
// folds of a tag: a fold counts its training rows only (the products still run over all N), and
// its own standardisation, fitted on those rows, is applied to the weights rather than to Z. Along
// a C grid each problem keeps its L-BFGS memory (`fitPath`). Memory 10 (scipy's L-BFGS-B default,
// which sklearn's lbfgs uses), not the per-problem path's 20: with products this cheap the
// two-loop recursion is a fair share of an iteration. Same objective and optimum as
// LogisticRegression.Objective with K′ = 1 (sklearn 1.x `HalfBinomialLoss`), up to the stopping
// tolerance. Softmax (K ≥ 3 classes) is BatchedSoftmax.swift, on the same lockstep loop (`solve`).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TensorCore

/// A problem's own standardisation (Z − shift)/scale folded into one weight row: writes
/// v = w / scale (d values) and returns c = b − shift·v, so that ((Z − shift)/scale)·w + b = Z·v + c.
/// nil shift/scale: Z itself (v = w, c = b).
@inline(__always)
func foldStandardisation(_ w: UnsafePointer<Double>, bias: Double, shift: [Double]?, scale: [Double]?, d: Int,
                         into v: UnsafeMutablePointer<Double>) -> Double {
    var c = bias
    for j in 0..<d {
        let vj = scale.map { w[j] / $0[j] } ?? w[j]
        v[j] = vj
        if let shift { c -= shift[j] * vj }
    }
    return c
}

/// One binary problem of a batch: the rows of Z that count, by class (the others, e.g. a CV
/// fold's held-out rows, are left out), one sample weight per class (sklearn's class_weight:
/// n / (2·countₖ) for "balanced", else 1), C, and the problem's own standardisation as an affine
/// map of Z's columns: its features are (Z − shift) / scale (nil: Z itself).
struct BinaryProblem {
    /// Row indices into Z with target 0 and with target 1.
    var negatives: [Int]
    var positives: [Int]
    /// Sample weight of a negative and of a positive row.
    var negativeWeight = 1.0
    var positiveWeight = 1.0
    var C: Double
    /// [D] each, or nil for the identity.
    var shift: [Double]? = nil
    var scale: [Double]? = nil
    /// θ [D + 1] (w then b) to start from, or nil for zeros.
    var start: [Double]? = nil

    /// S = Σ sw over the rows that count.
    var weightSum: Double { negativeWeight * Double(negatives.count) + positiveWeight * Double(positives.count) }
}

enum BatchedLogistic {
    /// Problems solved per lockstep group: groups are fixed by the problems' order alone (never by
    /// the thread count), so results do not depend on `workers`; a group's products are wide
    /// enough for dgemm to amortise packing Z.
    static let groupSize = 64

    /// Fits every problem at its own C to max |∇f| ≤ gtol (or maxIterations) on Z [N, D]; groups
    /// of `groupSize` go to `workers` threads. Returns fits in the problems' order, with weights
    /// [1, D] and bias in each problem's own standardised coordinates.
    static func fit(z: DenseMatrix, problems: [BinaryProblem], gtol: Double, maxIterations: Int = 20000,
                    workers: Int = 1) -> [LogisticFit] {
        inGroups(problems, workers: workers) { fitGroup(z: z, problems: $0, path: nil, gtol: gtol, maxIterations: maxIterations)[0] }
    }

    /// Fits every problem at each C of `path` in turn (the problems' own C is not used): at each C
    /// a problem goes on from its fit at the previous one, its L-BFGS memory carried over
    /// (LBFGSMinimizer.changePenalty), as a warm start along sklearn's C grid but without
    /// re-learning the curvature. Returns fits [path.count][problems.count].
    static func fitPath(z: DenseMatrix, problems: [BinaryProblem], path: [Double], gtol: Double, maxIterations: Int = 20000,
                        workers: Int = 1) -> [[LogisticFit]] {
        let byProblem = inGroups(problems, workers: workers) { group -> [[LogisticFit]] in
            let fits = fitGroup(z: z, problems: group, path: path, gtol: gtol, maxIterations: maxIterations)
            return group.indices.map { p in fits.map { $0[p] } }
        }
        return path.indices.map { c in byProblem.map { $0[c] } }
    }

    /// θ [d1] with w = 0 and b = log(S₁ / S₀), the optimum of the intercept alone (σ(b) = the
    /// weighted share of positives): a cold start one or two iterations nearer than zeros.
    static func interceptOnlyStart(_ p: BinaryProblem, _ d1: Int) -> [Double] {
        var theta = [Double](repeating: 0, count: d1)
        let s0 = p.negativeWeight * Double(p.negatives.count), s1 = p.positiveWeight * Double(p.positives.count)
        if s0 > 0 && s1 > 0 { theta[d1 - 1] = logD(s1 / s0) }
        return theta
    }

    /// `body` on consecutive groups of `groupSize` problems, on `workers` threads; results concatenated.
    static func inGroups<Problem, R>(_ problems: [Problem], workers: Int, _ body: ([Problem]) -> [R]) -> [R] {
        let groups = stride(from: 0, to: problems.count, by: groupSize).map { $0 ..< min($0 + groupSize, problems.count) }
        return Parallel.map(groups.count, workers: workers) { body(Array(problems[groups[$0]])) }.flatMap { $0 }
    }

    /// One lockstep group, at each C of `path` (or once at the problems' own C): each round
    /// evaluates f and ∇f at every unfinished problem's trial point. Returns fits [C][problem].
    static func fitGroup(z: DenseMatrix, problems: [BinaryProblem], path: [Double]?, gtol: Double, maxIterations: Int) -> [[LogisticFit]] {
        let d = z.cols, d1 = d + 1
        for p in problems {
            precondition((p.negatives + p.positives).allSatisfy { $0 >= 0 && $0 < z.rows } && (p.start?.count ?? d1) == d1
                         && (p.shift?.count ?? d) == d && (p.scale?.count ?? d) == d && p.weightSum > 0,
                         "BatchedLogistic: problem with rows outside 0..<\(z.rows), start \(p.start?.count ?? d1), "
                         + "shift \(p.shift?.count ?? d) or scale \(p.scale?.count ?? d) for Z [\(z.rows), \(d)], or weight sum \(p.weightSum)")
        }
        return solve(BatchedBinaryObjective(z: z, problems: problems), starts: problems.map { $0.start ?? interceptOnlyStart($0, d1) },
                     path: path, gtol: gtol, maxIterations: maxIterations)
    }

    /// The lockstep loop for any batched objective: one L-BFGS per problem from `starts`, at each
    /// C of `path` (or once at the objective's own C); each round evaluates every unfinished
    /// problem's trial point in one `evaluate`. Returns fits [C][problem].
    static func solve<O: LockstepObjective>(_ objective: O, starts: [[Double]], path: [Double]?, gtol: Double, maxIterations: Int,
                                            memory: Int = 10) -> [[LogisticFit]] {
        var objective = objective
        var solvers = starts.map { LBFGSMinimizer(start: $0, gtol: gtol, maxIterations: maxIterations, memory: memory) }
        // Each problem walks the path on its own: once done at one C it moves on to the next, so
        // the products stay wide until the last problems finish. position[p]: its current step.
        let steps = path?.count ?? 1
        var out = [[LogisticFit?]](repeating: [LogisticFit?](repeating: nil, count: starts.count), count: steps)
        var position = [Int](repeating: 0, count: starts.count)
        if let path { for p in starts.indices { objective.C[p] = path[0] } }
        var f = [Double](), g = [[Double]]()
        while true {
            for p in solvers.indices {
                while solvers[p].done && position[p] < steps {
                    let s = solvers[p]
                    out[position[p]][p] = objective.fit(s.x, iterations: s.iterations, gradientNorm: s.gradientMax)
                    position[p] += 1
                    if let path, position[p] < steps {
                        // The penalty ‖W‖²/(2·C·S) at the next C: its coefficient changes by 1/(C·S) − 1/(C_old·S).
                        let c = path[position[p]]
                        solvers[p].changePenalty(by: (1 / c - 1 / objective.C[p]) / objective.swSum[p], over: objective.penalised)
                        objective.C[p] = c
                    }
                }
            }
            let active = solvers.indices.filter { position[$0] < steps }
            if active.isEmpty { break }
            objective.evaluate(active, thetas: active.map { solvers[$0].trial }, f: &f, g: &g)
            for (a, p) in active.enumerated() { solvers[p].receive(f: f[a], gradient: g[a]) }
        }
        return out.map { $0.map { $0! } }
    }
}

/// A set of problems whose f and ∇f are evaluated together (BatchedBinaryObjective,
/// BatchedSoftmaxObjective): θ's first `penalised` coordinates carry the L2 penalty
/// ‖·‖²/(2·C·S), the rest (the intercepts) none.
protocol LockstepObjective {
    /// Each problem's C, and S = Σ sw over its rows.
    var C: [Double] { get set }
    var swSum: [Double] { get }
    var penalised: Int { get }
    /// f and ∇f of problems `active` at `thetas`; f [P] and g [P][θ] in that order.
    func evaluate(_ active: [Int], thetas: [[Double]], f: inout [Double], g: inout [[Double]])
    /// θ as a fit.
    func fit(_ theta: [Double], iterations: Int, gradientNorm: Double) -> LogisticFit
}

/// f_p(θ) = Σᵢ swᵢ·lossᵢ / S + ‖w‖² / (2·C·S), S = Σ sw, for a set of problems over Z; as
/// LogisticRegression.Objective (K′ = 1), with each problem's standardisation folded into its
/// weights: u = ((Z − shift)/scale)·w + b = Z·v + c, v = w / scale, c = b − shift·v, and
/// ∂f/∂wⱼ = (Σᵢ rᵢ·Zᵢⱼ − shiftⱼ·Σᵢ rᵢ) / scaleⱼ (before the 1/S and the penalty), rᵢ = swᵢ·(σ(uᵢ) − yᵢ).
/// Per row, with t = u (negatives) or −u (positives): lossᵢ = softplus(t) = max(t, 0) + log1p(e^−|t|)
/// and rᵢ = ±swᵢ·σ(t), one exp each; the log1p terms of a class are summed as the log of the
/// product of their (1 + e^−|t|) ∈ (1, 2], one log per 512 rows.
struct BatchedBinaryObjective: LockstepObjective {
    let z: DenseMatrix
    let problems: [BinaryProblem]
    let swSum: [Double]
    /// Each problem's C (the problems' own, until changed).
    var C: [Double]

    init(z: DenseMatrix, problems: [BinaryProblem]) {
        self.z = z
        self.problems = problems
        swSum = problems.map(\.weightSum)
        C = problems.map(\.C)
    }

    var penalised: Int { z.cols }

    func fit(_ theta: [Double], iterations: Int, gradientNorm: Double) -> LogisticFit {
        LogisticFit(weights: [Array(theta[0..<z.cols])], bias: [theta[z.cols]], iterations: iterations, gradientNorm: gradientNorm)
    }

    /// f and ∇f of problems `active` at `thetas` (each [D + 1]); f [P] and g [P][D + 1] in that order.
    func evaluate(_ active: [Int], thetas: [[Double]], f: inout [Double], g: inout [[Double]]) {
        let n = z.rows, d = z.cols, d1 = d + 1, pa = active.count
        var v = [Double](repeating: 0, count: pa * d), c = [Double](repeating: 0, count: pa)
        v.withUnsafeMutableBufferPointer { vp in
            for (a, p) in active.enumerated() {
                let pr = problems[p]
                c[a] = thetas[a].withUnsafeBufferPointer {
                    foldStandardisation($0.baseAddress!, bias: $0[d], shift: pr.shift, scale: pr.scale, d: d, into: vp.baseAddress! + a * d)
                }
            }
        }
        // U = V·Zᵀ [pa, N]: every problem's scores in one pass over Z.
        var u = [Double](unsafeUninitializedCapacity: pa * n) { _, count in count = pa * n }   // dgemm writes every element
        v.withUnsafeBufferPointer { vp in z.data.withUnsafeBufferPointer { zp in u.withUnsafeMutableBufferPointer { up in
            dgemm(m: pa, n: n, k: d, vp.baseAddress!, zp.baseAddress!, transB: true, up.baseAddress!)
        } } }
        // Loss, and R = sw·(σ(u) − y) [pa, N] (0 on rows that do not count).
        f = [Double](repeating: 0, count: pa)
        var rSum = [Double](repeating: 0, count: pa)
        var r = [Double](repeating: 0, count: pa * n)
        u.withUnsafeBufferPointer { up in r.withUnsafeMutableBufferPointer { rp in
            for (a, p) in active.enumerated() {
                let pr = problems[p], scores = up.baseAddress! + a * n, out = rp.baseAddress! + a * n, ca = c[a]
                for (rows, sign, w) in [(pr.negatives, 1.0, pr.negativeWeight), (pr.positives, -1.0, pr.positiveWeight)] {
                    var hinge = 0.0, logs = 0.0, product = 1.0, sigmas = 0.0
                    for (k, i) in rows.enumerated() {
                        let t = sign * (scores[i] + ca)
                        let e = expD(-abs(t)), onePlus = 1 + e
                        hinge += max(t, 0)
                        product *= onePlus
                        if k & 511 == 511 { logs += logD(product); product = 1 }
                        let s = (t >= 0 ? 1 : e) / onePlus
                        sigmas += s
                        out[i] = sign * w * s
                    }
                    f[a] += w * (hinge + (logs + logD(product)))
                    rSum[a] += sign * w * sigmas
                }
            }
        } }
        // G = R·Z [pa, D]: every problem's gradient in one more pass.
        var gz = [Double](unsafeUninitializedCapacity: pa * d) { _, count in count = pa * d }
        r.withUnsafeBufferPointer { rp in z.data.withUnsafeBufferPointer { zp in gz.withUnsafeMutableBufferPointer { gp in
            dgemm(m: pa, n: d, k: n, rp.baseAddress!, zp.baseAddress!, transB: false, gp.baseAddress!)
        } } }
        g = [[Double]](repeating: [], count: pa)
        for (a, p) in active.enumerated() {
            let theta = thetas[a], pr = problems[p]
            let invS = 1 / swSum[p], invCS = 1 / (C[p] * swSum[p])
            var grad = [Double](repeating: 0, count: d1)
            var fa = f[a] * invS
            for j in 0..<d {
                var gj = gz[a * d + j]
                if let shift = pr.shift { gj -= shift[j] * rSum[a] }
                if let scale = pr.scale { gj /= scale[j] }
                let t = theta[j]
                fa += 0.5 * invCS * t * t
                grad[j] = gj * invS + invCS * t
            }
            grad[d] = rSum[a] * invS
            f[a] = fa
            g[a] = grad
        }
    }
}
