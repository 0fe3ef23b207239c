// Gradient checks of every Autograd primitive: the Float32 forward against an independent Float64
// forward, and backward(seed: w) against central differences of Σ w·forward in Float64
// (tinygrad's test_ops, ggml's test-backend-ops; GradientCheckSupport.swift has the references).
// Edge cases from the issue: broadcast edges and rank-0 operands, every matmul transpose and batch
// layout, masked softmax with fully masked rows, layer norm at eps 1e-12 and 1e-5, GELU far into
// its tails, repeated embedding ids, cross-entropy with ignored rows, dropout masks. Then the
// tape's own rules: accumulation, shared variables, noGrad, frozen inputs.
// Leaves out speed (benchmarks) and thread counts above 2.

import Autograd
import Foundation
import TensorCore
import XCTest

final class GradientCheckTests: XCTestCase {
    override func tearDown() {
        GradMode.workers = 1
        super.tearDown()
    }

    // MARK: - GradientCheck itself

    func testCentralDifferenceOfAKnownFunction() {
        // f = x₀²·x₁ + sin x₂  →  ∇f = [2x₀x₁, x₀², cos x₂]
        let x = [0.3, -1.2, 0.7]
        let numeric = GradientCheck.centralDifference(at: x) { v in v[0] * v[0] * v[1] + sin(v[2]) }
        let exact = [2 * 0.3 * -1.2, 0.09, cos(0.7)]
        for i in 0..<3 { XCTAssertEqual(numeric[i], exact[i], accuracy: 1e-8, "component \(i)") }
    }

    func testRelativeError() {
        // Relative above 1, absolute below.
        XCTAssertEqual(GradientCheck.relativeError(analytic: [1, 2], numeric: [1, 2.5]), 0.5 / 2.5, accuracy: 1e-12)
        XCTAssertEqual(GradientCheck.relativeError(analytic: [0.25], numeric: [0.5]), 0.25)
        XCTAssertEqual(GradientCheck.relativeError(analytic: [.nan], numeric: [0]), .infinity)
        XCTAssertEqual(GradientCheck.relativeError(analytic: [1], numeric: [.infinity]), .infinity)
        XCTAssertEqual(GradientCheck.relativeError(analytic: [], numeric: []), 0)
    }

    // MARK: - Element-wise arithmetic

    /// Shape pairs (left, right): broadcast on either side, missing leading dims, rank 0.
    static let broadcastPairs: [([Int], [Int])] = [
        ([3, 1, 4], [2, 1]), ([2, 1], [3, 1, 4]), ([3, 1, 4], [4]), ([4], [3, 1, 4]),
        ([3, 1, 4], []), ([], [3, 1, 4]), ([], []), ([2, 1], [4]), ([3, 1, 4], [3, 1, 4]), ([3, 2, 4], [1, 2, 1]),
    ]

    func checkBinary(_ op: String, positiveRight: Bool = false, file: StaticString = #filePath, line: UInt = #line,
                     _ f: (Variable, Variable) -> Variable, _ ref: @escaping (Double, Double) -> Double) {
        for (i, (sa, sb)) in Self.broadcastPairs.enumerated() {
            let a = uniform(sa, seed: 100 + UInt64(i))
            let b = positiveRight ? awayFromZero(sb, seed: 200 + UInt64(i)) : uniform(sb, seed: 200 + UInt64(i))
            checkGradients("\(op) \(sa) \(sb)", [a, b], file: file, line: line) { v in f(v[0], v[1]) } reference: { x in
                Reference.broadcasting(R64(sa, x[0]), R64(sb, x[1]), ref)
            }
        }
    }

    func testAdd() { checkBinary("add", { $0 + $1 }, { $0 + $1 }) }
    func testSub() { checkBinary("sub", { $0 - $1 }, { $0 - $1 }) }
    func testMul() { checkBinary("mul", { $0 * $1 }, { $0 * $1 }) }
    /// Denominators have magnitude ≥ 0.5, so ∂b = −g·a/b² stays of order 1.
    func testDiv() { checkBinary("div", positiveRight: true, { $0 / $1 }, { $0 / $1 }) }

    func testScalarForms() {
        let x = uniform([2, 3], seed: 7)
        checkGradients("scalar x·2.5", [x]) { $0[0] * Float(2.5) } reference: { Reference.map(R64([2, 3], $0[0])) { $0 * 2.5 } }
        checkGradients("scalar 2.5·x", [x]) { Float(2.5) * $0[0] } reference: { Reference.map(R64([2, 3], $0[0])) { 2.5 * $0 } }
        checkGradients("scalar x + 0.75", [x]) { $0[0] + Float(0.75) } reference: { Reference.map(R64([2, 3], $0[0])) { $0 + 0.75 } }
        checkGradients("scalar −x", [x]) { -$0[0] } reference: { Reference.map(R64([2, 3], $0[0])) { -$0 } }
        let s = uniform([], seed: 8)
        checkGradients("scalar −(s·3) + 1, rank 0", [s]) { -($0[0] * Float(3)) + Float(1) } reference: {
            Reference.map(R64([], $0[0])) { -($0 * 3) + 1 }
        }
    }

    // MARK: - Matrix products

    /// Shapes as stored, before the transpose flags; run with GradMode.workers 1 and 2.
    func checkMatmul(_ label: String, _ sa: [Int], _ sb: [Int], transposeA: Bool = false, transposeB: Bool = false,
                     requiresGrad: [Bool]? = nil, file: StaticString = #filePath, line: UInt = #line) {
        for workers in [1, 2] {
            GradMode.workers = workers
            defer { GradMode.workers = 1 }
            let a = uniform(sa, seed: 31), b = uniform(sb, seed: 32)
            let name = "matmul \(label) \(sa)\(transposeA ? "ᵀ" : "") × \(sb)\(transposeB ? "ᵀ" : ""), workers \(workers)"
            checkGradients(name, [a, b], requiresGrad: requiresGrad, file: file, line: line) { v in
                matmul(v[0], v[1], transposeA: transposeA, transposeB: transposeB)
            } reference: { x in
                Reference.matmul(R64(sa, x[0]), R64(sb, x[1]), transposeA: transposeA, transposeB: transposeB)
            }
        }
    }

    func testMatmulTransposeCombinations() {
        checkMatmul("A·B", [3, 4], [4, 5])
        checkMatmul("Aᵀ·B", [4, 3], [4, 5], transposeA: true)
        checkMatmul("A·Bᵀ", [3, 4], [5, 4], transposeB: true)
        checkMatmul("Aᵀ·Bᵀ", [4, 3], [5, 4], transposeA: true, transposeB: true)
    }

    func testMatmulBatched() {
        checkMatmul("2-D right shared over a batch", [2, 3, 4], [4, 5])
        checkMatmul("batch against batch", [2, 3, 4], [2, 4, 5])
        checkMatmul("broadcast batch", [1, 3, 4], [2, 4, 5])
        checkMatmul("2-D left shared over a batch", [3, 4], [2, 4, 5])
        checkMatmul("4-D against 3-D", [2, 1, 3, 4], [3, 4, 5])
        checkMatmul("batched Aᵀ, shared right", [2, 4, 3], [4, 5], transposeA: true)
        checkMatmul("batched, shared right Bᵀ", [2, 3, 4], [5, 4], transposeB: true)
        checkMatmul("broadcast batch Aᵀ·Bᵀ", [2, 1, 4, 3], [1, 3, 5, 4], transposeA: true, transposeB: true)
    }

    func testMatmulOfViews() {
        // Operands that are permuted / transposed views (BLAS flags, not copies, in the forward).
        let a = uniform([4, 2, 3], seed: 41), b = uniform([5, 4], seed: 42)
        checkGradients("matmul of views [4,2,3]→[2,3,4] × [5,4]ᵀ", [a, b]) { v in
            matmul(v[0].permuted([1, 2, 0]), v[1].transposed())
        } reference: { x in
            Reference.matmul(Reference.permute(R64([4, 2, 3], x[0]), [1, 2, 0]), Reference.permute(R64([5, 4], x[1]), [1, 0]))
        }
    }

    func checkLinear(_ label: String, x sx: [Int], out: Int, bias: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let inF = sx[sx.count - 1]
        for workers in [1, 2] {
            GradMode.workers = workers
            defer { GradMode.workers = 1 }
            var inputs = [uniform(sx, seed: 51), uniform([out, inF], seed: 52)]
            if bias { inputs.append(uniform([out], seed: 53)) }
            let name = "linear \(label) x \(sx) weight [\(out), \(inF)] \(bias ? "with" : "without") bias, workers \(workers)"
            checkGradients(name, inputs, file: file, line: line) { v in
                linear(v[0], weight: v[1], bias: bias ? v[2] : nil)
            } reference: { x in
                Reference.linear(R64(sx, x[0]), R64([out, inF], x[1]), bias ? R64([out], x[2]) : nil)
            }
        }
    }

    func testLinear() {
        checkLinear("2-D", x: [3, 5], out: 4, bias: true)
        checkLinear("2-D", x: [3, 5], out: 4, bias: false)
        checkLinear("3-D", x: [2, 3, 5], out: 4, bias: true)
        checkLinear("3-D", x: [2, 3, 5], out: 4, bias: false)
        checkLinear("1-D", x: [5], out: 4, bias: true)
        // out ≥ 64·workers: TensorCore.linear splits the output features over the threads.
        checkLinear("3-D column blocks", x: [2, 3, 6], out: 130, bias: true)
    }

    // MARK: - Shapes

    func testReshape() {
        let x = uniform([2, 3, 4], seed: 61)
        checkGradients("reshape [2,3,4] → [4,6]", [x]) { $0[0].reshaped([4, 6]) } reference: { R64([4, 6], $0[0]) }
        // A transposed (non-contiguous) value is copied before the reshape.
        checkGradients("reshape of a transposed view", [x]) { $0[0].transposed(0, 2).reshaped([24]) } reference: {
            R64([24], Reference.permute(R64([2, 3, 4], $0[0]), [2, 1, 0]).values)
        }
        checkGradients("reshape [1] → [] (rank 0)", [uniform([1], seed: 62)]) { $0[0].reshaped([]) } reference: { R64([], $0[0]) }
    }

    func testPermuteTransposeContiguous() {
        // On a cube the wrong inverse (order itself) has the right shape, so only values tell.
        let cube = uniform([3, 3, 3], seed: 165)
        checkGradients("permute [2,0,1] of a cube", [cube]) { $0[0].permuted([2, 0, 1]) } reference: {
            Reference.permute(R64([3, 3, 3], $0[0]), [2, 0, 1])
        }
        let x = uniform([2, 3, 4], seed: 63)
        checkGradients("permute [2,0,1]", [x]) { $0[0].permuted([2, 0, 1]) } reference: {
            Reference.permute(R64([2, 3, 4], $0[0]), [2, 0, 1])
        }
        checkGradients("transposed (last two)", [x]) { $0[0].transposed() } reference: {
            Reference.permute(R64([2, 3, 4], $0[0]), [0, 2, 1])
        }
        checkGradients("transposed(0, 1).contiguous()", [x]) { $0[0].transposed(0, 1).contiguous() } reference: {
            Reference.permute(R64([2, 3, 4], $0[0]), [1, 0, 2])
        }
        // The permute's gradient reaches the product below it as a strided view.
        let w = uniform([4, 2, 3], seed: 64)
        checkGradients("(a·b).permuted([1,2,0])", [w, uniform([4, 2, 3], seed: 164)]) { v in
            (v[0] * v[1]).permuted([1, 2, 0])
        } reference: { x in
            Reference.permute(Reference.broadcasting(R64([4, 2, 3], x[0]), R64([4, 2, 3], x[1]), *), [1, 2, 0])
        }
    }

    func testSlice() {
        let x = uniform([3, 5, 2], seed: 65)
        let res = checkGradients("slice axis 1, 1..<4", [x]) { $0[0].slice(axis: 1, 1..<4) } reference: {
            Reference.slice(R64([3, 5, 2], $0[0]), axis: 1, 1..<4)
        }
        // Placement: the seed inside the range, exactly 0 outside.
        let g = res.variables[0].grad!
        for i in 0..<3 { for j in 0..<5 { for k in 0..<2 {
            XCTAssertEqual(g[i, j, k], (1..<4).contains(j) ? res.seed[i, j - 1, k] : 0, "∂x[\(i), \(j), \(k)]")
        } } }
        checkGradients("slice axis -1, 1..<2", [x]) { $0[0].slice(axis: -1, 1..<2) } reference: {
            Reference.slice(R64([3, 5, 2], $0[0]), axis: -1, 1..<2)
        }
        checkGradients("slice axis 0, whole", [x]) { $0[0].slice(axis: 0, 0..<3) } reference: {
            Reference.slice(R64([3, 5, 2], $0[0]), axis: 0, 0..<3)
        }
    }

    func testSelect() {
        let x = uniform([3, 4, 2], seed: 66)
        let res = checkGradients("select axis 1, index 2", [x]) { $0[0].select(axis: 1, 2) } reference: {
            Reference.select(R64([3, 4, 2], $0[0]), axis: 1, 2)
        }
        let g = res.variables[0].grad!
        for i in 0..<3 { for j in 0..<4 { for k in 0..<2 {
            XCTAssertEqual(g[i, j, k], j == 2 ? res.seed[i, k] : 0, "∂x[\(i), \(j), \(k)]")
        } } }
        checkGradients("select axis 0, index 0", [x]) { $0[0].select(axis: 0, 0) } reference: {
            Reference.select(R64([3, 4, 2], $0[0]), axis: 0, 0)
        }
        checkGradients("select axis -1, index 1", [x]) { $0[0].select(axis: -1, 1) } reference: {
            Reference.select(R64([3, 4, 2], $0[0]), axis: -1, 1)
        }
    }

    func testConcatenate() {
        let shapes = [[2, 1, 3], [2, 3, 3], [2, 2, 3]]
        let parts = shapes.enumerated().map { uniform($0.element, seed: 67 + UInt64($0.offset)) }
        let res = checkGradients("concatenate axis 1", parts) { concatenate($0, axis: 1) } reference: { x in
            Reference.concatenate(x.indices.map { R64(shapes[$0], x[$0]) }, axis: 1)
        }
        // Placement: part k's gradient is the seed's k-th block, bit for bit.
        XCTAssertEqual(res.variables[0].grad!.scalars, res.seed.slice(axis: 1, 0..<1).scalars)
        XCTAssertEqual(res.variables[1].grad!.scalars, res.seed.slice(axis: 1, 1..<4).scalars)
        XCTAssertEqual(res.variables[2].grad!.scalars, res.seed.slice(axis: 1, 4..<6).scalars)
        let a = uniform([2, 2, 3], seed: 70), b = uniform([2, 2, 1], seed: 71)
        checkGradients("concatenate axis -1", [a, b]) { concatenate($0, axis: -1) } reference: { x in
            Reference.concatenate([R64([2, 2, 3], x[0]), R64([2, 2, 1], x[1])], axis: -1)
        }
        checkGradients("concatenate axis 0", [a, a]) { concatenate($0, axis: 0) } reference: { x in
            Reference.concatenate([R64([2, 2, 3], x[0]), R64([2, 2, 3], x[1])], axis: 0)
        }
    }

    // MARK: - Reductions

    func testSumAndMean() {
        let x = uniform([2, 3, 4], seed: 72)
        checkGradients("sum, backward()", [x], scalarLoss: true) { $0[0].sum() } reference: { Reference.sum(R64([2, 3, 4], $0[0])) }
        checkGradients("sum, seeded", [x]) { $0[0].sum() } reference: { Reference.sum(R64([2, 3, 4], $0[0])) }
        checkGradients("mean, backward()", [x], scalarLoss: true) { $0[0].mean() } reference: {
            R64([], [$0[0].reduce(0, +) / 24])
        }
        checkGradients("mean, seeded", [x]) { $0[0].mean() } reference: { R64([], [$0[0].reduce(0, +) / 24]) }
        let s = uniform([], seed: 73)
        checkGradients("sum of rank 0", [s]) { $0[0].sum() } reference: { R64([], $0[0]) }
        checkGradients("mean of rank 0", [s]) { $0[0].mean() } reference: { R64([], $0[0]) }
    }

    func testSumAlongAxis() {
        let x = uniform([2, 3, 4], seed: 74)
        for axis in [0, 1, 2, -1, -3] {
            checkGradients("sum(axis: \(axis))", [x]) { $0[0].sum(axis: axis) } reference: {
                Reference.sum(R64([2, 3, 4], $0[0]), axis: axis)
            }
        }
        checkGradients("sum(axis: 0) of [5] → rank 0", [uniform([5], seed: 75)]) { $0[0].sum(axis: 0) } reference: {
            Reference.sum(R64([5], $0[0]), axis: 0)
        }
    }

    // MARK: - Softmax family

    func testSoftmax() {
        let x = uniform([2, 3, 5], seed: 81, low: -3, high: 3)
        checkGradients("softmax [2,3,5]", [x]) { softmax($0[0]) } reference: { Reference.softmax(R64([2, 3, 5], $0[0])) }
        // Rows of 11: SIMD8 body and scalar tail; a row with a wide spread of values.
        let wide = Tensor(uniform([3, 11], seed: 82, low: -2, high: 2).scalars.enumerated().map { $0.offset < 11 ? $0.element * 10 : $0.element },
                          shape: [3, 11])
        checkGradients("softmax [3,11], one row spread ×10", [wide]) { softmax($0[0]) } reference: {
            Reference.softmax(R64([3, 11], $0[0]))
        }
    }

    func testSoftmaxWithMask() {
        // Attention scores [B, H, T, T] = [2, 2, 3, 4] with an extended padding mask [B, 1, 1, T]:
        // batch 0 drops key 2, batch 1 drops every key (each of its rows is fully masked).
        let inf = -Float.infinity
        let mask = Tensor([0, 0, inf, 0, inf, inf, inf, inf], shape: [2, 1, 1, 4])
        let mask64 = R64([2, 1, 1, 4], mask.scalars.map(Double.init))
        let x = uniform([2, 2, 3, 4], seed: 83, low: -3, high: 3)
        let res = checkGradients("softmax, mask [B,1,1,T] with −∞ and fully masked rows", [x]) { softmax($0[0], mask: mask) } reference: {
            Reference.softmax(R64([2, 2, 3, 4], $0[0]), mask: mask64)
        }
        let y = res.output.value, g = res.variables[0].grad!
        for h in 0..<2 { for i in 0..<3 { for j in 0..<4 {
            // Fully masked rows: output and gradient exactly 0.
            XCTAssertEqual(y[1, h, i, j], 0, "y[1, \(h), \(i), \(j)]")
            XCTAssertEqual(g[1, h, i, j], 0, "∂x[1, \(h), \(i), \(j)]")
        } } }
        // A masked key in a live row: weight and gradient vanish (fastExp floors e^−∞ at ≈ 1e-38).
        for h in 0..<2 { for i in 0..<3 {
            XCTAssertEqual(y[0, h, i, 2], 0, accuracy: 1e-30)
            XCTAssertEqual(g[0, h, i, 2], 0, accuracy: 1e-30)
        } }

        // A causal mask [1, 1, T, T] (first row keeps one key) plus a large finite negative entry.
        let t = 4
        let causal = Tensor((0..<(t * t)).map { k in k % t > k / t ? inf : (k == 12 ? -1e9 : 0) }, shape: [1, 1, t, t])
        let causal64 = R64([1, 1, t, t], causal.scalars.map(Double.init))
        let xs = uniform([2, 2, t, t], seed: 84, low: -3, high: 3)
        checkGradients("softmax, causal mask [1,1,T,T]", [xs]) { softmax($0[0], mask: causal) } reference: {
            Reference.softmax(R64([2, 2, t, t], $0[0]), mask: causal64)
        }
    }

    func testLogSoftmax() {
        let x = uniform([2, 3, 5], seed: 85, low: -3, high: 3)
        checkGradients("logSoftmax [2,3,5]", [x]) { logSoftmax($0[0]) } reference: { Reference.logSoftmax(R64([2, 3, 5], $0[0])) }
        let spread = Tensor([-20, -3, 0, 4, 20, 7, -7, 0.5, 0.25, -0.25, 1], shape: [1, 11])
        checkGradients("logSoftmax [1,11], values ±20", [spread]) { logSoftmax($0[0]) } reference: {
            Reference.logSoftmax(R64([1, 11], $0[0]))
        }
    }

    // MARK: - Layer norm, GELU, embedding

    func testLayerNorm() {
        let c = 13   // SIMD8 body and scalar tail in the forward's row sums
        let gamma = uniform([c], seed: 92, low: 0.5, high: 1.5), beta = uniform([c], seed: 93)
        for eps: Float in [1e-12, 1e-5] {
            let x = uniform([2, 3, c], seed: 91, low: -2, high: 2)
            checkGradients("layerNorm [2,3,\(c)], eps \(eps)", [x, gamma, beta]) { v in
                layerNorm(v[0], gamma: v[1], beta: v[2], eps: eps)
            } reference: { x in
                Reference.layerNorm(R64([2, 3, c], x[0]), gamma: x[1], beta: x[2], eps: Double(eps))
            }
            // Rows on scales 0.01, 1 and 30: x̂ is scale-free while ∂x grows as 1/σ.
            let scales: [Float] = [0.01, 1, 30]
            let scaled = Tensor(uniform([3, c], seed: 94).scalars.enumerated().map { $0.element * scales[$0.offset / c] }, shape: [3, c])
            checkGradients("layerNorm rows scaled 0.01/1/30, eps \(eps)", [scaled, gamma, beta]) { v in
                layerNorm(v[0], gamma: v[1], beta: v[2], eps: eps)
            } reference: { x in
                Reference.layerNorm(R64([3, c], x[0]), gamma: x[1], beta: x[2], eps: Double(eps))
            }
        }
        // A constant row (σ = 0): at eps 1e-5 the function is smooth there and 1/√ε ≈ 316 bounds ∂x.
        // (At eps 1e-12 a constant row is a kink of size 1e6, which no finite difference resolves.)
        let constant = Tensor([Float](repeating: 0.5, count: c) + uniform([c], seed: 95).scalars, shape: [2, c])
        checkGradients("layerNorm with a constant row, eps 1e-5", [constant, gamma, beta]) { v in
            layerNorm(v[0], gamma: v[1], beta: v[2], eps: 1e-5)
        } reference: { x in
            Reference.layerNorm(R64([2, c], x[0]), gamma: x[1], beta: x[2], eps: Double(Float(1e-5)))
        }
    }

    func testGELU() {
        // Far tails (erf clamps at |x/√2| = 4, exp saturates) and a dense middle; 37 values split
        // into 19 + 18 for two workers, each with a SIMD8 body and a scalar tail.
        let tails: [Float] = [-30, -12, -6, -4.5, -3, -1.5, -0.5, 0, 0.25, 1, 2.5, 4, 5.5, 9, 30]
        let x = Tensor(tails + uniform([22], seed: 96, low: -3, high: 3).scalars, shape: [37])
        for approximation in [GELUApproximation.erf, .tanh] {
            for workers in [1, 2] {
                GradMode.workers = workers
                defer { GradMode.workers = 1 }
                checkGradients("gelu \(approximation), workers \(workers)", [x]) { gelu($0[0], approximation: approximation) } reference: {
                    Reference.map(R64([37], $0[0])) { Reference.gelu($0, approximation: approximation) }
                }
            }
            // Beyond float exp's range (e^−x²/2 and e^−2u saturate): y′ must still be 0 or 1.
            let far = Tensor([-1e4, -1e3, -100, 100, 1e3, 1e4], shape: [6])
            checkGradients("gelu \(approximation), |x| up to 1e4", [far]) { gelu($0[0], approximation: approximation) } reference: {
                Reference.map(R64([6], $0[0])) { Reference.gelu($0, approximation: approximation) }
            }
            // A transposed (non-contiguous) input.
            let m = uniform([3, 5], seed: 97, low: -4, high: 4)
            checkGradients("gelu \(approximation) of a transposed view", [m]) { gelu($0[0].transposed(), approximation: approximation) } reference: {
                Reference.map(Reference.permute(R64([3, 5], $0[0]), [1, 0])) { Reference.gelu($0, approximation: approximation) }
            }
        }
    }

    func testEmbedding() {
        let table = uniform([5, 4], seed: 101)
        let ids = [1, 3, 1, 0, 1, 3], idsShape = [2, 3]
        let res = checkGradients("embedding [2,3] ids, repeated", [table]) { embedding($0[0], ids: ids, idsShape: idsShape) } reference: {
            Reference.embedding(R64([5, 4], $0[0]), ids: ids, idsShape: idsShape)
        }
        // Rows never looked up get exactly 0; row 1 (three uses) the sum of its three seed rows.
        let g = res.variables[0].grad!, s = res.seed
        for j in 0..<4 {
            XCTAssertEqual(g[2, j], 0)
            XCTAssertEqual(g[4, j], 0)
            XCTAssertEqual(g[1, j], s[0, 0, j] + s[0, 2, j] + s[1, 1, j], accuracy: 1e-6)
        }
        checkGradients("embedding [6] ids", [table]) { embedding($0[0], ids: [4, 4, 0, 2, 4, 1], idsShape: [6]) } reference: {
            Reference.embedding(R64([5, 4], $0[0]), ids: [4, 4, 0, 2, 4, 1], idsShape: [6])
        }
    }

    // MARK: - Losses and dropout

    func testCrossEntropy() {
        let logits = uniform([5, 4], seed: 111, low: -2, high: 2)
        func check(_ name: String, _ targets: [Int], ignoreIndex: Int = -100, scalarLoss: Bool = true,
                   line: UInt = #line) -> GradientCheckResult {
            checkGradients("crossEntropy, \(name)", [logits], scalarLoss: scalarLoss, line: line) {
                crossEntropy($0[0], targets: targets, ignoreIndex: ignoreIndex)
            } reference: {
                Reference.crossEntropy(R64([5, 4], $0[0]), targets: targets, ignoreIndex: ignoreIndex)
            }
        }
        let some = check("rows 1 and 4 ignored", [2, -100, 0, 3, -100])
        // Ignored rows: exactly zero gradient.
        XCTAssertEqual(some.variables[0].grad!.select(axis: 0, 1).scalars, [0, 0, 0, 0])
        XCTAssertEqual(some.variables[0].grad!.select(axis: 0, 4).scalars, [0, 0, 0, 0])
        _ = check("rows 1 and 4 ignored, seeded", [2, -100, 0, 3, -100], scalarLoss: false)
        _ = check("nothing ignored", [2, 1, 0, 3, 3])
        _ = check("ignoreIndex 0", [0, 1, 0, 2, 3], ignoreIndex: 0)
        // The pullback owns the probabilities it reads: buffers freed and reused between forward
        // and backward (here filled with NaN) must not reach the gradient.
        let z = Variable(logits, requiresGrad: true)
        let loss = crossEntropy(z, targets: [2, -100, 0, 3, -100])
        let reused = (0..<64).map { _ in Tensor(filled: .nan, shape: [5, 4]) }
        loss.backward()
        XCTAssertEqual(z.grad!.scalars, some.variables[0].grad!.scalars)
        XCTAssertEqual(reused.count, 64)
        // Every row ignored: loss 0 and gradient 0 (torch gives NaN).
        let none = check("all rows ignored", [-100, -100, -100, -100, -100])
        XCTAssertEqual(none.output.value.item, 0)
        XCTAssertEqual(none.variables[0].grad!.scalars, [Float](repeating: 0, count: 20))
    }

    func testDropout() {
        let x = uniform([4, 9], seed: 121)
        let p: Float = 0.3, scale = 1 / (1 - p)
        // The mask a generator with seed 7 draws: one uniform per element, dropped below p.
        var replay = SeededGenerator(seed: 7)
        let mask: [Float] = (0..<36).map { _ in replay.nextUniform() < p ? 0 : scale }
        XCTAssert(mask.contains(0) && mask.contains(scale), "the mask keeps and drops")
        let res = checkGradients("dropout p 0.3", [x]) { v in
            var generator = SeededGenerator(seed: 7)
            return dropout(v[0], p: p, generator: &generator)
        } reference: { x in
            R64([4, 9], zip(x[0], mask).map { $0 * Double($1) })
        }
        // The gradient is the seed scaled by the same mask, bit for bit.
        XCTAssertEqual(res.variables[0].grad!.scalars, zip(res.seed.scalars, mask).map { $0 * $1 })

        // p = 0: x itself, no numbers drawn, gradient = seed.
        let v = Variable(x, requiresGrad: true)
        var g0 = SeededGenerator(seed: 7)
        let before = g0.state
        let y0 = dropout(v, p: 0, generator: &g0)
        XCTAssert(y0 === v)
        XCTAssertEqual(g0.state, before)
        let seed = uniform([4, 9], seed: 122)
        y0.backward(seed: seed)
        XCTAssertEqual(v.grad!.scalars, seed.scalars)

        // Same seed → same mask; another seed, or the next draw of one generator → another mask.
        let ones = Variable(Tensor(filled: 1, shape: [64]), requiresGrad: true)
        var g1 = SeededGenerator(seed: 99), g2 = SeededGenerator(seed: 99), g3 = SeededGenerator(seed: 100)
        let m1 = dropout(ones, p: 0.5, generator: &g1).value.scalars
        XCTAssertEqual(m1, dropout(ones, p: 0.5, generator: &g2).value.scalars)
        XCTAssertNotEqual(m1, dropout(ones, p: 0.5, generator: &g3).value.scalars)
        XCTAssertNotEqual(m1, dropout(ones, p: 0.5, generator: &g1).value.scalars)
    }

    // MARK: - The tape

    func testGradientsAccumulateAcrossBackwardCalls() {
        let x = Variable(uniform([2, 3], seed: 131), requiresGrad: true)
        let w = Variable(uniform([2, 3], seed: 132))
        (x * w).sum().backward()
        XCTAssertEqual(x.grad!.scalars, w.value.scalars)
        (x * w).sum().backward()
        XCTAssertEqual(x.grad!.scalars, w.value.scalars.map { 2 * $0 })
        x.zeroGrad()
        XCTAssertNil(x.grad)
        // A leaf owns its gradient: a later write to the seed (here reaching x through a view) leaves it alone.
        let seed = uniform([3, 2], seed: 133)
        let expected = seed.transposed().scalars
        x.transposed().backward(seed: seed)
        XCTAssertEqual(x.grad!.scalars, expected)
        seed[0, 0] = 99
        XCTAssertEqual(x.grad!.scalars, expected)
    }

    func testVariableUsedOnSeveralPathsGetsTheSum() {
        let x = uniform([2, 3], seed: 134)
        let twice = checkGradients("x + x", [x]) { $0[0] + $0[0] } reference: { Reference.map(R64([2, 3], $0[0])) { 2 * $0 } }
        XCTAssertEqual(twice.variables[0].grad!.scalars, twice.seed.scalars.map { 2 * $0 })
        checkGradients("x·x + 3x", [x]) { $0[0] * $0[0] + $0[0] * Float(3) } reference: {
            Reference.map(R64([2, 3], $0[0])) { $0 * $0 + 3 * $0 }
        }
        // A diamond: h = a·b feeds both a row sum and the product with it.
        let b = uniform([2, 3], seed: 135)
        checkGradients("diamond (Σ_row h)·h, h = a·b", [x, b]) { v in
            let h = v[0] * v[1]
            return h.sum(axis: 1).reshaped([2, 1]) * h
        } reference: { x in
            let h = Reference.broadcasting(R64([2, 3], x[0]), R64([2, 3], x[1]), *)
            return Reference.broadcasting(R64([2, 1], Reference.sum(h, axis: 1).values), h, *)
        }
    }

    func testNoGradRecordsNothing() {
        let x = Variable(uniform([2, 3], seed: 136), requiresGrad: true)
        let y = GradMode.noGrad { (x * x).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(y.isLeaf)
        y.backward()
        XCTAssertNil(x.grad)
        // Recording resumes afterwards, also when the body throws.
        struct Stop: Error {}
        XCTAssertThrowsError(try GradMode.noGrad { () throws -> Void in throw Stop() })
        let z = (x * x).sum()
        XCTAssertTrue(z.requiresGrad)
        XCTAssertFalse(z.isLeaf)
    }

    func testFrozenInputsGetNoGradient() {
        let a = uniform([2, 3], seed: 137), b = awayFromZero([2, 3], seed: 138)
        let mul = { (x: [[Double]]) in Reference.broadcasting(R64([2, 3], x[0]), R64([2, 3], x[1]), *) }
        checkGradients("mul, frozen right", [a, b], requiresGrad: [true, false]) { $0[0] * $0[1] } reference: { mul($0) }
        checkGradients("mul, frozen left", [a, b], requiresGrad: [false, true]) { $0[0] * $0[1] } reference: { mul($0) }
        checkGradients("div, frozen numerator", [a, b], requiresGrad: [false, true]) { $0[0] / $0[1] } reference: { x in
            Reference.broadcasting(R64([2, 3], x[0]), R64([2, 3], x[1]), /)
        }
        checkMatmul("frozen left", [2, 3, 4], [4, 5], requiresGrad: [false, true])
        checkMatmul("frozen right", [2, 3, 4], [4, 5], requiresGrad: [true, false])

        let x = uniform([2, 3, 5], seed: 139), w = uniform([4, 5], seed: 140), bias = uniform([4], seed: 141)
        let lin = { (v: [[Double]]) in Reference.linear(R64([2, 3, 5], v[0]), R64([4, 5], v[1]), R64([4], v[2])) }
        checkGradients("linear, frozen weight", [x, w, bias], requiresGrad: [true, false, true]) { v in
            linear(v[0], weight: v[1], bias: v[2])
        } reference: { lin($0) }
        checkGradients("linear, only the weight trains", [x, w, bias], requiresGrad: [false, true, false]) { v in
            linear(v[0], weight: v[1], bias: v[2])
        } reference: { lin($0) }

        let gamma = uniform([5], seed: 142, low: 0.5, high: 1.5), beta = uniform([5], seed: 143)
        let ln = { (v: [[Double]]) in Reference.layerNorm(R64([2, 3, 5], v[0]), gamma: v[1], beta: v[2], eps: Double(Float(1e-5))) }
        checkGradients("layerNorm, frozen gamma and beta", [x, gamma, beta], requiresGrad: [true, false, false]) { v in
            layerNorm(v[0], gamma: v[1], beta: v[2], eps: 1e-5)
        } reference: { ln($0) }
        checkGradients("layerNorm, only gamma trains", [x, gamma, beta], requiresGrad: [false, true, false]) { v in
            layerNorm(v[0], gamma: v[1], beta: v[2], eps: 1e-5)
        } reference: { ln($0) }

        checkGradients("concatenate, frozen middle part", [a, b, a], requiresGrad: [true, false, true]) { concatenate($0, axis: 0) } reference: { x in
            Reference.concatenate(x.map { R64([2, 3], $0) }, axis: 0)
        }
        // Nothing requires a gradient: no graph at all.
        let y = Variable(a) * Variable(b)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(y.isLeaf)
    }
}
