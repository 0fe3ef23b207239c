// Support for the gradient checks: `Reference`, independent Float64 forwards of every Autograd
// primitive written as plain loops over C-order [Double] arrays (no Tensor, no Variable), and
// `checkGradients`, which compares a Float32 forward and backward against them:
//   forward:  max |y₃₂ − y₆₄| / max(1, max |y₆₄|)
//   gradient: L(x) = Σᵢ wᵢ·y₆₄(x)ᵢ differenced centrally in Float64 (GradientCheck), against
//             backward(seed: w) in Float32, with w fixed standard-normal weights (random, so a
//             rule that is wrong in any one output direction shows).
// Every check prints `[gradcheck] name: forward …, ∂input0 …, …` (the largest errors seen).
// Leaves out reference backward rules: the Float64 side only ever runs forwards.

import Autograd
import Foundation
import TensorCore
import XCTest

// MARK: - Float64 arrays and reference forwards

/// A Float64 array in C order and its shape: the only data type of the reference forwards.
struct R64 {
    var shape: [Int]
    var values: [Double]

    init(_ shape: [Int], _ values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "R64: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    var count: Int { values.count }
}

/// Float64 forwards of the Autograd primitives, each written from its textbook (or torch)
/// definition, independently of TensorCore's kernels.
enum Reference {
    // MARK: indexing

    static func unflatten(_ flat: Int, _ shape: [Int]) -> [Int] {
        var idx = [Int](repeating: 0, count: shape.count)
        var rest = flat
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            idx[d] = rest % shape[d]
            rest /= shape[d]
        }
        return idx
    }

    static func flatten(_ idx: [Int], _ shape: [Int]) -> Int {
        var flat = 0
        for d in 0..<shape.count { flat = flat * shape[d] + idx[d] }
        return flat
    }

    static func axis(_ a: Int, rank: Int) -> Int { a < 0 ? a + rank : a }

    /// numpy broadcasting of two shapes.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
        let r = max(a.count, b.count)
        return (0..<r).map { i in
            let x = i < r - a.count ? 1 : a[i - (r - a.count)]
            let y = i < r - b.count ? 1 : b[i - (r - b.count)]
            precondition(x == y || x == 1 || y == 1, "Reference: shapes \(a) and \(b) do not broadcast")
            return x == 1 ? y : x
        }
    }

    /// Flat index into `shape` of the element that index `idx` of a broadcast result reads.
    static func sourceIndex(_ idx: [Int], from shape: [Int]) -> Int {
        let lead = idx.count - shape.count
        var flat = 0
        for d in 0..<shape.count { flat = flat * shape[d] + (shape[d] == 1 ? 0 : idx[lead + d]) }
        return flat
    }

    // MARK: element-wise

    static func broadcasting(_ a: R64, _ b: R64, _ op: (Double, Double) -> Double) -> R64 {
        let shape = broadcastShape(a.shape, b.shape)
        let n = shape.reduce(1, *)
        let values = (0..<n).map { o -> Double in
            let idx = unflatten(o, shape)
            return op(a.values[sourceIndex(idx, from: a.shape)], b.values[sourceIndex(idx, from: b.shape)])
        }
        return R64(shape, values)
    }

    static func map(_ x: R64, _ f: (Double) -> Double) -> R64 { R64(x.shape, x.values.map(f)) }

    // MARK: products

    /// op(a)·op(b) with numpy-broadcast batch dims (numpy.matmul).
    static func matmul(_ a: R64, _ b: R64, transposeA: Bool = false, transposeB: Bool = false) -> R64 {
        let ra = a.shape.count, rb = b.shape.count
        let a0 = a.shape[ra - 2], a1 = a.shape[ra - 1], b0 = b.shape[rb - 2], b1 = b.shape[rb - 1]
        let m = transposeA ? a1 : a0, k = transposeA ? a0 : a1
        let p = transposeB ? b0 : b1
        precondition(k == (transposeB ? b1 : b0), "Reference.matmul: \(a.shape) × \(b.shape)")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = broadcastShape(batchA, batchB)
        let items = batch.reduce(1, *)
        var out = [Double](repeating: 0, count: items * m * p)
        for item in 0..<items {
            let idx = unflatten(item, batch)
            let baseA = sourceIndex(idx, from: batchA) * a0 * a1
            let baseB = sourceIndex(idx, from: batchB) * b0 * b1
            for i in 0..<m {
                for j in 0..<p {
                    var s = 0.0
                    for kk in 0..<k {
                        let av = transposeA ? a.values[baseA + kk * a1 + i] : a.values[baseA + i * a1 + kk]
                        let bv = transposeB ? b.values[baseB + j * b1 + kk] : b.values[baseB + kk * b1 + j]
                        s += av * bv
                    }
                    out[(item * m + i) * p + j] = s
                }
            }
        }
        return R64(batch + [m, p], out)
    }

    /// x·Wᵀ + b (torch.nn.functional.linear); x: [N…, in], w: [out, in], b: [out].
    static func linear(_ x: R64, _ w: R64, _ b: R64?) -> R64 {
        let inF = w.shape[1], outF = w.shape[0]
        let rows = x.count / inF
        var out = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            for o in 0..<outF {
                var s = b?.values[o] ?? 0
                for i in 0..<inF { s += x.values[r * inF + i] * w.values[o * inF + i] }
                out[r * outF + o] = s
            }
        }
        return R64(Array(x.shape.dropLast()) + [outF], out)
    }

    // MARK: shapes

    /// Result axis d is input axis order[d].
    static func permute(_ x: R64, _ order: [Int]) -> R64 {
        let shape = order.map { x.shape[$0] }
        let values = (0..<x.count).map { o -> Double in
            let out = unflatten(o, shape)
            var src = [Int](repeating: 0, count: order.count)
            for d in 0..<order.count { src[order[d]] = out[d] }
            return x.values[flatten(src, x.shape)]
        }
        return R64(shape, values)
    }

    static func slice(_ x: R64, axis: Int, _ range: Range<Int>) -> R64 {
        let a = self.axis(axis, rank: x.shape.count)
        var shape = x.shape
        shape[a] = range.count
        let values = (0..<shape.reduce(1, *)).map { o -> Double in
            var idx = unflatten(o, shape)
            idx[a] += range.lowerBound
            return x.values[flatten(idx, x.shape)]
        }
        return R64(shape, values)
    }

    static func select(_ x: R64, axis: Int, _ i: Int) -> R64 {
        let a = self.axis(axis, rank: x.shape.count)
        var shape = x.shape
        shape.remove(at: a)
        let values = (0..<shape.reduce(1, *)).map { o -> Double in
            var idx = unflatten(o, shape)
            idx.insert(i, at: a)
            return x.values[flatten(idx, x.shape)]
        }
        return R64(shape, values)
    }

    static func concatenate(_ parts: [R64], axis: Int) -> R64 {
        let a = self.axis(axis, rank: parts[0].shape.count)
        var shape = parts[0].shape
        shape[a] = parts.map { $0.shape[a] }.reduce(0, +)
        let values = (0..<shape.reduce(1, *)).map { o -> Double in
            var idx = unflatten(o, shape)
            var part = 0
            while idx[a] >= parts[part].shape[a] { idx[a] -= parts[part].shape[a]; part += 1 }
            return parts[part].values[flatten(idx, parts[part].shape)]
        }
        return R64(shape, values)
    }

    // MARK: reductions

    static func sum(_ x: R64) -> R64 { R64([], [x.values.reduce(0, +)]) }

    static func sum(_ x: R64, axis: Int) -> R64 {
        let a = self.axis(axis, rank: x.shape.count)
        var shape = x.shape
        shape.remove(at: a)
        var out = [Double](repeating: 0, count: shape.reduce(1, *))
        for i in 0..<x.count {
            var idx = unflatten(i, x.shape)
            idx.remove(at: a)
            out[flatten(idx, shape)] += x.values[i]
        }
        return R64(shape, out)
    }

    // MARK: softmax family

    /// Applies `row` to each run of `shape.last` values.
    static func rows(_ x: R64, _ row: ([Double]) -> [Double]) -> R64 {
        let n = x.shape.last ?? 1
        var out: [Double] = []
        out.reserveCapacity(x.count)
        for r in 0..<(x.count / n) { out += row(Array(x.values[(r * n)..<(r * n + n)])) }
        return R64(x.shape, out)
    }

    /// softmax(x + mask) over the last axis; a row that is −∞ everywhere gives zeros (as TensorCore).
    static func softmax(_ x: R64, mask: R64? = nil) -> R64 {
        let z = mask.map { broadcasting(x, $0, +) } ?? x
        return rows(z) { row in
            let m = row.max() ?? 0
            if m == -.infinity { return row.map { _ in 0 } }
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            return e.map { $0 / s }
        }
    }

    static func logSoftmax(_ x: R64) -> R64 {
        rows(x) { row in
            let m = row.max() ?? 0
            let lse = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            return row.map { $0 - lse }
        }
    }

    // MARK: normalisation, activations, lookups, losses

    /// (x − μ)/√(σ² + ε)·γ + β over the last axis, biased variance (torch.nn.functional.layer_norm).
    static func layerNorm(_ x: R64, gamma: [Double], beta: [Double], eps: Double) -> R64 {
        rows(x) { row in
            let n = Double(row.count)
            let mean = row.reduce(0, +) / n
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n
            let rstd = 1 / (variance + eps).squareRoot()
            return row.indices.map { (row[$0] - mean) * rstd * gamma[$0] + beta[$0] }
        }
    }

    /// torch.nn.functional.gelu(approximate='none') and (approximate='tanh').
    static func gelu(_ x: Double, approximation: GELUApproximation) -> Double {
        switch approximation {
        case .erf: return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .tanh: return 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
    }

    static func embedding(_ table: R64, ids: [Int], idsShape: [Int]) -> R64 {
        let c = table.shape[1]
        return R64(idsShape + [c], ids.flatMap { table.values[($0 * c)..<($0 * c + c)] })
    }

    /// torch.nn.functional.cross_entropy(reduction='mean', ignore_index=…), 0 when every row is ignored.
    static func crossEntropy(_ logits: R64, targets: [Int], ignoreIndex: Int) -> R64 {
        let logp = logSoftmax(logits)
        let k = logits.shape[1]
        var total = 0.0, counted = 0
        for (i, t) in targets.enumerated() where t != ignoreIndex {
            total -= logp.values[i * k + t]
            counted += 1
        }
        return R64([], [counted == 0 ? 0 : total / Double(counted)])
    }
}

// MARK: - Inputs

/// Uniform in [low, high) from a fixed seed.
func uniform(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    Tensor.uniform(shape: shape, low: low, high: high, seed: seed)
}

/// Magnitudes in [0.5, 1.5) with random signs: safe denominators.
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    var g = SeededGenerator(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor((0..<n).map { _ in (0.5 + g.nextUniform()) * (g.nextUniform() < 0.5 ? -1 : 1) }, shape: shape)
}

/// FNV-1a of the check's name: each check gets its own fixed output weights.
func seed(for name: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

// MARK: - The check

/// What one gradient check saw, for tests that assert more (exact zeros, placement).
struct GradientCheckResult {
    let variables: [Variable]
    let output: Variable
    /// The seed handed to backward (all ones for `scalarLoss`).
    let seed: Tensor
    let forwardError: Double
    /// One per input; nil where the input does not require a gradient.
    let gradientErrors: [Double?]
}

/// Checks `forward` (Float32, through Autograd) against `reference` (Float64) at `inputs`:
/// the forward values, then every gradient against central differences of Σ w·reference.
/// - requiresGrad: per input (default all true); inputs without it must end with grad nil
/// - scalarLoss: the output is a scalar loss and is seeded by `backward()` itself (w = 1)
/// - gradTolerance: on GradientCheck.relativeError; 1e-4 covers Float32 rounding of sums of a few
///   dozen terms (≈ 1e-6 relative) with margin, while any wrong rule errs by O(1)
@discardableResult
func checkGradients(_ name: String, _ inputs: [Tensor], requiresGrad: [Bool]? = nil, scalarLoss: Bool = false,
                    gradTolerance: Double = 1e-4, forwardTolerance: Double = 1e-5, eps: Double = 1e-6,
                    file: StaticString = #filePath, line: UInt = #line,
                    forward: ([Variable]) -> Variable, reference: ([[Double]]) -> R64) -> GradientCheckResult {
    let flags = requiresGrad ?? inputs.map { _ in true }
    precondition(flags.count == inputs.count, "checkGradients: \(flags.count) flags for \(inputs.count) inputs")
    let variables = inputs.indices.map { Variable(inputs[$0], requiresGrad: flags[$0], name: "input\($0)") }
    let y = forward(variables)
    let x64 = inputs.map { $0.scalars.map(Double.init) }
    let ref = reference(x64)

    // Forward.
    XCTAssertEqual(y.shape, ref.shape, "\(name): output shape", file: file, line: line)
    let forwardError = y.shape == ref.shape ? GradientCheck.relativeError(analytic: y.value.scalars, numeric: ref.values) : .infinity
    XCTAssertLessThanOrEqual(forwardError, forwardTolerance,
                             "\(name): forward differs from the Float64 reference (\(worst(y.value.scalars, ref.values)))",
                             file: file, line: line)

    // Backward.
    let w: [Float]
    if scalarLoss {
        precondition(y.value.count == 1, "checkGradients: \(name) scalarLoss with output \(y.shape)")
        w = [1]
        y.backward()
    } else {
        var g = SeededGenerator(seed: seed(for: name))
        w = (0..<y.value.count).map { _ in g.nextNormal() }
        y.backward(seed: Tensor(w, shape: y.shape))
    }
    let w64 = w.map(Double.init)
    var errors: [Double?] = []
    for k in inputs.indices {
        guard flags[k] else {
            XCTAssertNil(variables[k].grad, "\(name): input \(k) does not require a gradient but got one", file: file, line: line)
            errors.append(nil)
            continue
        }
        guard let grad = variables[k].grad else {
            XCTFail("\(name): input \(k) got no gradient", file: file, line: line)
            errors.append(.infinity)
            continue
        }
        XCTAssertEqual(grad.shape, inputs[k].shape, "\(name): ∂input\(k) shape", file: file, line: line)
        let numeric = GradientCheck.centralDifference(at: x64[k], eps: eps) { xk in
            var xs = x64
            xs[k] = xk
            let r = reference(xs).values
            var l = 0.0
            for i in r.indices { l += w64[i] * r[i] }
            return l
        }
        let analytic = grad.scalars
        let e = GradientCheck.relativeError(analytic: analytic, numeric: numeric)
        XCTAssertLessThanOrEqual(e, gradTolerance, "\(name): ∂input\(k) (\(worst(analytic, numeric)))", file: file, line: line)
        errors.append(e)
    }
    let parts = ["forward \(format(forwardError))"] + errors.enumerated().compactMap { k, e in e.map { "∂input\(k) \(format($0))" } }
    print("[gradcheck] \(name): \(parts.joined(separator: ", "))")
    let seedTensor = Tensor(w, shape: y.shape)
    return GradientCheckResult(variables: variables, output: y, seed: seedTensor, forwardError: forwardError, gradientErrors: errors)
}

/// "worst |Δ| = … at flat index i: analytic a, reference n" for failure messages.
func worst(_ analytic: [Float], _ numeric: [Double]) -> String {
    guard analytic.count == numeric.count, !analytic.isEmpty else { return "\(analytic.count) vs \(numeric.count) values" }
    var at = 0, d = -1.0
    for i in analytic.indices {
        let di = abs(Double(analytic[i]) - numeric[i])
        if di.isNaN { d = di; at = i; break }
        if di > d { d = di; at = i }
    }
    return "worst |Δ| = \(format(d)) at flat index \(at): analytic \(analytic[at]), reference \(numeric[at])"
}

func format(_ x: Double) -> String { String(format: "%.2e", x) }
