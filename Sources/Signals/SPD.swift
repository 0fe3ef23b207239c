// SPD: small symmetric matrices (C ≤ ~16; EEG covariances are 4×4/5×5) — a cyclic Jacobi
// eigensolver and the spectral functions built on it (sqrtm, invsqrtm, logm, expm of symmetric
// matrices, as pyriemann.utils.base does with numpy.linalg.eigh), plus the Riemannian (affine-
// invariant) mean by pyriemann 0.12's mean_riemann fixed-point iteration. Float64. Leaves out
// general (non-symmetric) matrices, complex/HPD matrices and other metrics.

import Foundation

/// A symmetric n×n matrix, row-major [n, n].
public struct SymmetricMatrix: Sendable, Equatable {
    public var n: Int
    /// [n, n] row-major.
    public var data: [Double]

    public init(n: Int, data: [Double]) {
        precondition(data.count == n * n, "SymmetricMatrix: \(data.count) values for \(n)×\(n)")
        self.n = n; self.data = data
    }
    public static func identity(_ n: Int) -> SymmetricMatrix {
        var d = [Double](repeating: 0, count: n * n)
        for i in 0..<n { d[i * n + i] = 1 }
        return SymmetricMatrix(n: n, data: d)
    }
    public subscript(i: Int, j: Int) -> Double {
        get { data[i * n + j] }
        set { data[i * n + j] = newValue }
    }
    public var trace: Double { (0..<n).reduce(0) { $0 + self[$1, $1] } }

    /// A·B (general product; callers pass symmetric factors whose product they symmetrise).
    public static func * (a: SymmetricMatrix, b: SymmetricMatrix) -> SymmetricMatrix {
        precondition(a.n == b.n, "SymmetricMatrix *: \(a.n)×\(a.n) by \(b.n)×\(b.n)")
        let n = a.n
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for k in 0..<n { let v = a.data[i * n + k]; for j in 0..<n { out[i * n + j] += v * b.data[k * n + j] } } }
        return SymmetricMatrix(n: n, data: out)
    }
    /// (A + Aᵀ)/2 — removes rounding asymmetry after products.
    public var symmetrised: SymmetricMatrix {
        var m = self
        for i in 0..<n { for j in (i + 1)..<max(i + 1, n) { let v = (self[i, j] + self[j, i]) / 2; m[i, j] = v; m[j, i] = v } }
        return m
    }
    /// Frobenius norm.
    public var frobenius: Double { data.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// Eigen-decomposition A = V·diag(λ)·Vᵀ by cyclic Jacobi rotations (Golub & Van Loan §8.5),
    /// swept until the off-diagonal mass is below 1e-30 of the total (or 100 sweeps).
    /// Returns λ [n] ascending and V [n, n] row-major with eigenvectors in columns.
    public func eigen() -> (values: [Double], vectors: [Double]) {
        var a = data
        var v = SymmetricMatrix.identity(n).data
        let total = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off <= 1e-30 * total || off == 0 { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if apq == 0 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    // A ← Jᵀ·A·J on rows/columns p and q.
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        let values = order.map { a[$0 * n + $0] }
        var vectors = [Double](repeating: 0, count: n * n)
        for (j, src) in order.enumerated() { for i in 0..<n { vectors[i * n + j] = v[i * n + src] } }
        return (values, vectors)
    }

    /// V·diag(f(λ))·Vᵀ — f applied to the eigenvalues (pyriemann.utils.base._matrix_operator).
    public func applying(_ f: (Double) -> Double) -> SymmetricMatrix {
        let (lambda, v) = eigen()
        let fl = lambda.map(f)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in 0..<n { s += v[i * n + k] * fl[k] * v[j * n + k] }
                out[i * n + j] = s; out[j * n + i] = s
            }
        }
        return SymmetricMatrix(n: n, data: out)
    }

    public var sqrtm: SymmetricMatrix { applying { $0.squareRoot() } }
    public var invsqrtm: SymmetricMatrix { applying { 1 / $0.squareRoot() } }
    public var logm: SymmetricMatrix { applying { Foundation.log($0) } }
    public var expm: SymmetricMatrix { applying { Foundation.exp($0) } }

    /// The smallest eigenvalue (positive iff the matrix is SPD).
    public var minEigenvalue: Double { eigen().values.first ?? 0 }
}

public enum Riemann {
    /// Riemannian (affine-invariant) mean, pyriemann 0.12 mean_riemann(X, tol=10e-9, maxiter=50):
    /// M₀ = arithmetic mean; repeat J = mean_i logm(M^-½·Xᵢ·M^-½), M ← M^½·expm(ν·J)·M^½ with the
    /// step ν shrunk by 0.95 while ν·‖J‖_F decreases, else halved; stop when ‖J‖_F ≤ tol or ν ≤ tol.
    /// - matrices: [K] SPD n×n. Returns the mean and the iterations run.
    public static func mean(_ matrices: [SymmetricMatrix], tol: Double = 10e-9, maxIterations: Int = 50) -> (mean: SymmetricMatrix, iterations: Int) {
        precondition(!matrices.isEmpty, "Riemann.mean: no matrices")
        let n = matrices[0].n
        let w = 1 / Double(matrices.count)
        var m = SymmetricMatrix(n: n, data: [Double](repeating: 0, count: n * n))
        for x in matrices { for i in 0..<n * n { m.data[i] += w * x.data[i] } }
        var nu = 1.0, tau = Double.greatestFiniteMagnitude
        var iterations = 0
        for _ in 0..<maxIterations {
            iterations += 1
            let m12 = m.sqrtm, mm12 = m.invsqrtm
            var j = SymmetricMatrix(n: n, data: [Double](repeating: 0, count: n * n))
            for x in matrices {
                let t = (mm12 * x * mm12).symmetrised.logm
                for i in 0..<n * n { j.data[i] += w * t.data[i] }
            }
            var scaled = j
            for i in 0..<n * n { scaled.data[i] *= nu }
            m = (m12 * scaled.expm * m12).symmetrised
            let crit = j.frobenius
            let h = nu * crit
            if h < tau { nu *= 0.95; tau = h } else { nu *= 0.5 }
            if crit <= tol || nu <= tol { break }
        }
        return (m, iterations)
    }

    /// Tangent vector of C at Cref (pyriemann tangent_space(X, Cref, metric='riemann') = upper(logm(Cref^-½·C·Cref^-½))):
    /// the upper triangle row by row [n(n+1)/2], off-diagonal entries × √2.
    public static func tangentVector(_ c: SymmetricMatrix, referenceInvSqrt: SymmetricMatrix) -> [Double] {
        let l = (referenceInvSqrt * c * referenceInvSqrt).symmetrised.logm
        var out = [Double]()
        out.reserveCapacity(c.n * (c.n + 1) / 2)
        for i in 0..<c.n { for j in i..<c.n { out.append(i == j ? l[i, j] : 2.0.squareRoot() * l[i, j]) } }
        return out
    }
}
