// L-BFGS (Nocedal & Wright, Algorithm 7.4/7.5, memory 20) for smooth convex objectives in Float64,
// written as a state machine that asks for f and ∇f at one point at a time (reverse
// communication), so that one problem (`minimizeLBFGS`) and many problems in lockstep
// (BatchedLogistic.swift: one matrix product evaluates every pending point) take the same steps.
// Line search: backtracking from step 1, accepting by the Armijo rule or — once f's decrease is
// below Float64 resolution — by a drop in |∇f·d|, so the gradient can still be driven to ~1e-12.
// The curvature pairs live in two contiguous ring buffers [memory, n].
// Leaves out bounds, Wolfe-curvature line searches and scipy's L-BFGS-B stopping rules.

/// One minimisation in progress. Loop: evaluate f and ∇f at `trial`, hand them to `receive`,
/// until `done`. Stops when max |∇f| ≤ gtol, after maxIterations, or when 60 halvings of the
/// step make no progress.
struct LBFGSMinimizer {
    let gtol: Double, maxIterations: Int, memory: Int
    /// The current iterate, its f and ∇f (valid after the first `receive`).
    private(set) var x: [Double]
    private(set) var f = 0.0
    private(set) var g: [Double]
    private(set) var iterations = 0
    /// Where f and ∇f are wanted next (unused once `done`).
    private(set) var trial: [Double]
    private(set) var done = false

    private var started = false
    /// The search direction, ∇f·d, the step tried and how often it was halved.
    private var d: [Double], gd = 0.0, step = 1.0, halvings = 0
    /// Pairs sⱼ = Δx, yⱼ = Δ∇f, ρⱼ = 1/(sⱼ·yⱼ), oldest to newest: pair j (0..<pairs) is in slot
    /// (newest − pairs + 1 + j) mod memory of the ring buffers.
    private var s: [Double], y: [Double], rho: [Double]
    private var pairs = 0, newest = -1
    /// Scratch: the two-loop recursion's coefficients, and a candidate pair.
    private var alpha: [Double], sNew: [Double], yNew: [Double]

    init(start: [Double], gtol: Double, maxIterations: Int, memory: Int = 20) {
        self.gtol = gtol
        self.maxIterations = maxIterations
        self.memory = memory
        x = start
        trial = start
        g = [Double](repeating: 0, count: start.count)
        d = g
        s = [Double](repeating: 0, count: memory * start.count)
        y = s
        rho = [Double](repeating: 0, count: memory)
        alpha = rho
        sNew = d
        yNew = d
    }

    /// max |∇f| at the current iterate.
    var gradientMax: Double { g.reduce(0) { max($0, abs($1)) } }

    /// f and ∇f at `trial`: the first call takes the start point; later ones accept or halve the step.
    mutating func receive(f fNew: Double, gradient gNew: [Double]) {
        precondition(!done && gNew.count == x.count, "LBFGSMinimizer.receive: done \(done), gradient \(gNew.count) for \(x.count)")
        if !started {
            started = true
            f = fNew
            g = gNew
            beginIteration()
            return
        }
        let n = x.count
        if fNew.isFinite && (fNew <= f + 1e-4 * step * gd
                             || (fNew - f <= 1e-13 * max(abs(f), 1) && abs(Self.dot(gNew, 0, d, 0, n)) <= 0.9 * abs(gd))) {
            // The new pair replaces the oldest (when the memory is full) only if s·y > 0.
            for i in 0..<n {
                sNew[i] = trial[i] - x[i]
                yNew[i] = gNew[i] - g[i]
            }
            let sy = Self.dot(sNew, 0, yNew, 0, n)
            if sy > 1e-300 {
                newest = (newest + 1) % memory
                for i in 0..<n {
                    s[newest * n + i] = sNew[i]
                    y[newest * n + i] = yNew[i]
                }
                rho[newest] = 1 / sy
                pairs = min(pairs + 1, memory)
            }
            swap(&x, &trial)
            g = gNew
            f = fNew
            beginIteration()
            return
        }
        step *= 0.5
        halvings += 1
        if halvings == 60 { done = true; return }
        setTrial()
    }

    /// Goes on minimising f′(θ) = f(θ) + ½·Δ·Σ_{j<m} θⱼ² — the same objective with its L2
    /// penalty on the first m coordinates changed by Δ (a new C along a grid) — from the current
    /// iterate, with no evaluation: f and ∇f at x are updated exactly, and so is every stored
    /// curvature pair (y′ = y + Δ·s on those coordinates), so the memory carries over (pairs
    /// older than one whose s·y′ is no longer positive are dropped). Iterations count from 0 again.
    mutating func changePenalty(by delta: Double, over m: Int) {
        precondition(started && m <= x.count, "LBFGSMinimizer.changePenalty: started \(started), \(m) of \(x.count) coordinates")
        let n = x.count
        for j in 0..<m {
            f += 0.5 * delta * x[j] * x[j]
            g[j] += delta * x[j]
        }
        var kept = 0
        for age in 0..<pairs {
            let slot = (newest - age + memory) % memory
            for j in 0..<m { y[slot * n + j] += delta * s[slot * n + j] }
            let sy = Self.dot(s, slot * n, y, slot * n, n)
            if !(sy > 1e-300) { break }
            rho[slot] = 1 / sy
            kept += 1
        }
        pairs = kept
        done = false
        iterations = 0
        beginIteration()
    }

    /// Stops, or computes the direction d = −H·g by the two-loop recursion and proposes step 1.
    private mutating func beginIteration() {
        if iterations >= maxIterations || gradientMax <= gtol { done = true; return }
        iterations += 1
        let n = x.count
        for i in 0..<n { d[i] = g[i] }   // q
        let oldest = newest - pairs + 1 + memory
        for j in stride(from: pairs - 1, through: 0, by: -1) {
            let slot = (oldest + j) % memory
            alpha[j] = rho[slot] * Self.dot(s, slot * n, d, 0, n)
            Self.axpy(-alpha[j], y, slot * n, &d, n)
        }
        var gamma = 1.0
        if pairs > 0 { gamma = Self.dot(s, newest * n, y, newest * n, n) / Self.dot(y, newest * n, y, newest * n, n) }
        else { gamma = 1 / max(Self.dot(g, 0, g, 0, n).squareRoot(), 1) }
        for i in 0..<n { d[i] *= gamma }
        for j in 0..<pairs {
            let slot = (oldest + j) % memory
            let beta = rho[slot] * Self.dot(y, slot * n, d, 0, n)
            Self.axpy(alpha[j] - beta, s, slot * n, &d, n)
        }
        for i in 0..<n { d[i] = -d[i] }
        gd = Self.dot(g, 0, d, 0, n)
        if !(gd < 0) {
            pairs = 0
            for i in 0..<n { d[i] = -g[i] }
            gd = Self.dot(g, 0, d, 0, n)
        }
        step = 1
        halvings = 0
        setTrial()
    }

    private mutating func setTrial() {
        for i in trial.indices { trial[i] = x[i] + step * d[i] }
    }

    /// a[ao ..< ao+n] · b[bo ..< bo+n].
    private static func dot(_ a: [Double], _ ao: Int, _ b: [Double], _ bo: Int, _ n: Int) -> Double {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dotD(pa.baseAddress! + ao, pb.baseAddress! + bo, n) } }
    }

    /// y[0..<n] += alpha·x[xo ..< xo+n].
    private static func axpy(_ alpha: Double, _ x: [Double], _ xo: Int, _ y: inout [Double], _ n: Int) {
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in axpyD(alpha, px.baseAddress! + xo, py.baseAddress!, n) } }
    }
}

/// Minimises f from `x` (overwritten with the minimiser) by LBFGSMinimizer; `fg(θ, &g)` returns
/// f(θ) and writes ∇f(θ) into g.
/// - Returns: iterations and the final max |∇f|.
func minimizeLBFGS(_ x: inout [Double], gtol: Double, maxIterations: Int, memory: Int = 20,
                   _ fg: ([Double], inout [Double]) -> Double) -> (Int, Double) {
    var m = LBFGSMinimizer(start: x, gtol: gtol, maxIterations: maxIterations, memory: memory)
    var g = [Double](repeating: 0, count: x.count)
    while !m.done {
        let f = fg(m.trial, &g)
        m.receive(f: f, gradient: g)
    }
    x = m.x
    return (m.iterations, m.gradientMax)
}
