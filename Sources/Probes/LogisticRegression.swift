// L2-penalised logistic regression solved to convergence with L-BFGS in Float64, minimising
// scikit-learn 1.x `LogisticRegression`'s objective 0.5·‖W‖² + C·Σᵢ swᵢ·loglossᵢ (intercept not
// penalised; evaluated as sklearn's `LinearModelLoss` does, divided by C·Σ sw): binary problems
// fit one weight row for class 1 (`HalfBinomialLoss`), K ≥ 3 classes fit K rows with softmax
// (`HalfMultinomialLoss`). class_weight="balanced" = n / (K · countₖ) (`compute_class_weight`).
// Dot products and axpys over a row are SIMD (four-wide, fixed summation order: deterministic).
// Leaves out L1/elastic-net, dual solvers, sparse input and the 'ovr' multi_class mode.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// Weights of a fitted logistic model: `weights` [K′, D] and `bias` [K′], K′ = 1 for binary.
public struct LogisticFit: Equatable, Sendable {
    public var weights: [[Double]]
    public var bias: [Double]
    /// L-BFGS iterations used, and the final max |∂f/∂θ| of the scaled objective.
    public var iterations: Int
    public var gradientNorm: Double
}

public enum LogisticRegression {
    /// sample weights for class_weight="balanced": n / (K · count[yᵢ]), K = classes present.
    public static func balancedWeights(y: [Int], classes: Int) -> [Double] {
        var count = [Double](repeating: 0, count: classes)
        for c in y { count[c] += 1 }
        let present = Double(count.filter { $0 > 0 }.count)
        return y.map { Double(y.count) / (present * count[$0]) }
    }

    /// Fits on standardised rows.
    /// - x: [N, D]; y: [N] class indices in 0..<classes (classes ≥ 2); sampleWeight: [N]
    /// - initial: a previous fit's flattened θ (warm start along a C grid), or zeros.
    /// - Returns weights [1, D] (classes == 2) or [classes, D], and bias.
    public static func fit(x: DenseMatrix, y: [Int], classes: Int, sampleWeight: [Double]? = nil, C: Double,
                           initial: LogisticFit? = nil, gtol: Double = 1e-11, maxIterations: Int = 20000) -> LogisticFit {
        precondition(y.count == x.rows, "LogisticRegression.fit: \(y.count) labels for \(x.rows) rows")
        precondition(classes >= 2 && C > 0, "LogisticRegression.fit: classes \(classes), C \(C)")
        let sw = sampleWeight ?? [Double](repeating: 1, count: x.rows)
        let k = classes == 2 ? 1 : classes
        let objective = Objective(x: x, y: y, k: k, sw: sw, C: C)
        var theta = [Double](repeating: 0, count: k * (x.cols + 1))
        if let initial, initial.weights.count == k {
            for r in 0..<k {
                for j in 0..<x.cols { theta[r * (x.cols + 1) + j] = initial.weights[r][j] }
                theta[r * (x.cols + 1) + x.cols] = initial.bias[r]
            }
        }
        let (iters, gnorm) = minimizeLBFGS(&theta, gtol: gtol, maxIterations: maxIterations, objective.valueAndGradient)
        let d1 = x.cols + 1
        return LogisticFit(weights: (0..<k).map { Array(theta[$0 * d1 ..< $0 * d1 + x.cols]) },
                           bias: (0..<k).map { theta[$0 * d1 + x.cols] }, iterations: iters, gradientNorm: gnorm)
    }

    /// Class probabilities [N, classes] of standardised rows x [N, D] under `weights` [K′, D].
    public static func probabilities(x: DenseMatrix, weights: [[Double]], bias: [Double]) -> [[Double]] {
        let k = weights.count
        return (0..<x.rows).map { i in
            let row = x.row(i)
            var z = (0..<k).map { r -> Double in
                var s = bias[r]
                for (j, v) in zip(row.indices, weights[r]) { s += row[j] * v }
                return s
            }
            if k == 1 { let p = sigmoid(z[0]); return [1 - p, p] }
            let m = z.max()!
            var total = 0.0
            for r in 0..<k { z[r] = expD(z[r] - m); total += z[r] }
            return z.map { $0 / total }
        }
    }

    /// Mean negative log-likelihood of `y` under `probabilities` (clipped at 1e-15, as sklearn's log_loss).
    public static func logLoss(y: [Int], probabilities: [[Double]]) -> Double {
        var s = 0.0
        for (c, p) in zip(y, probabilities) { s -= logD(min(max(p[c], 1e-15), 1 - 1e-15)) }
        return s / Double(max(y.count, 1))
    }

    // MARK: objective

    /// f(θ) = Σ swᵢ·lossᵢ / S + ‖W‖² / (2·C·S), S = Σ sw; θ = K′ rows of [w (D), b].
    struct Objective {
        let x: DenseMatrix, y: [Int], k: Int, sw: [Double], C: Double
        let swSum: Double

        init(x: DenseMatrix, y: [Int], k: Int, sw: [Double], C: Double) {
            self.x = x; self.y = y; self.k = k; self.sw = sw; self.C = C
            swSum = sw.reduce(0, +)
        }

        func valueAndGradient(_ theta: [Double], _ grad: inout [Double]) -> Double {
            let d = x.cols, d1 = d + 1
            for i in grad.indices { grad[i] = 0 }
            var f = 0.0
            var z = [Double](repeating: 0, count: k)
            x.data.withUnsafeBufferPointer { xp in
                theta.withUnsafeBufferPointer { tp in
                    grad.withUnsafeMutableBufferPointer { gp in
                        for i in 0..<x.rows {
                            let xi = xp.baseAddress! + i * d
                            for r in 0..<k { z[r] = tp[r * d1 + d] + dotD(tp.baseAddress! + r * d1, xi, d) }
                            let w = sw[i]
                            if k == 1 {
                                let zz = z[0], yy = y[i] == 1 ? 1.0 : 0.0
                                // One exp for both: e = e^(−|z|); softplus = max(z, 0) + log1p(e), σ = 1/(1+e) or e/(1+e).
                                let e = expD(-abs(zz))
                                f += w * (max(zz, 0) + log1p(e) - yy * zz)
                                z[0] = w * ((zz >= 0 ? 1 / (1 + e) : e / (1 + e)) - yy)
                            } else {
                                let m = z.max()!
                                var total = 0.0
                                for r in 0..<k { total += expD(z[r] - m) }
                                let lse = m + logD(total)
                                f += w * (lse - z[y[i]])
                                for r in 0..<k { z[r] = w * (expD(z[r] - lse) - (r == y[i] ? 1 : 0)) }
                            }
                            for r in 0..<k {
                                let dz = z[r]
                                if dz == 0 { continue }
                                let g = gp.baseAddress! + r * d1
                                axpyD(dz, xi, g, d)
                                g[d] += dz
                            }
                        }
                    }
                }
            }
            let invS = 1 / swSum, invCS = 1 / (C * swSum)
            f *= invS
            for r in 0..<k {
                for j in 0..<d {
                    let t = theta[r * d1 + j]
                    f += 0.5 * invCS * t * t
                    grad[r * d1 + j] = grad[r * d1 + j] * invS + invCS * t
                }
                grad[r * d1 + d] *= invS
            }
            return f
        }
    }
}

// MARK: vector helpers (Float64, SIMD: four independent partial sums break the add chain)

/// Σⱼ a[j]·b[j] over n values, summed as 8 interleaved partial sums (order fixed, so results do
/// not depend on the thread or the call).
@inline(__always) func dotD(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var acc0 = SIMD4<Double>(), acc1 = SIMD4<Double>()
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    var j = 0
    while j + 8 <= n {
        acc0 += ra.loadUnaligned(fromByteOffset: 8 * j, as: SIMD4<Double>.self) * rb.loadUnaligned(fromByteOffset: 8 * j, as: SIMD4<Double>.self)
        acc1 += ra.loadUnaligned(fromByteOffset: 8 * j + 32, as: SIMD4<Double>.self) * rb.loadUnaligned(fromByteOffset: 8 * j + 32, as: SIMD4<Double>.self)
        j += 8
    }
    var s = (acc0 + acc1).sum()
    while j < n { s += a[j] * b[j]; j += 1 }
    return s
}

/// y[j] += alpha·x[j] for j in 0..<n.
@inline(__always) func axpyD(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
    let va = SIMD4<Double>(repeating: alpha)
    var j = 0
    while j + 4 <= n {
        let v = ry.loadUnaligned(fromByteOffset: 8 * j, as: SIMD4<Double>.self) + va * rx.loadUnaligned(fromByteOffset: 8 * j, as: SIMD4<Double>.self)
        ry.storeBytes(of: v, toByteOffset: 8 * j, as: SIMD4<Double>.self)
        j += 4
    }
    while j < n { y[j] += alpha * x[j]; j += 1 }
}

// MARK: scalar helpers (Float64, from the C library)

@inline(__always) func expD(_ x: Double) -> Double { exp(x) }
@inline(__always) func logD(_ x: Double) -> Double { log(x) }
/// log(1 + eˣ) without overflow.
@inline(__always) func softplus(_ z: Double) -> Double { z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)) }
/// 1 / (1 + e⁻ᶻ) without overflow.
@inline(__always) func sigmoid(_ z: Double) -> Double {
    if z >= 0 { return 1 / (1 + exp(-z)) }
    let e = exp(z)
    return e / (1 + e)
}
