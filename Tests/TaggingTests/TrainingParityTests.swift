// Five optimiser steps of the tagger's recipe (Sources/Tagging/Trainer.swift: linear head over
// TrainableEncoder, crossEntropy with ignore index −100, clipGradients at 1.0, AdamW, linear
// warm-up/decay LRSchedule) on a tiny random XLM-R-style encoder, against the float64 JAX
// reference written by Scripts/golden/gen_training_golden.py (losses, pre-clip gradient norms,
// step-1 gradients, final parameters). Also: GradMode.workers = 2 against 1 — bitwise on the tiny
// model, within rounding on e5-small-enpt, where OpenBLAS blocks split over workers round differently.
// Resources are found through #filePath (TaggingTests declares no resources in Package.swift).
// Not here: dropout (0 in the reference), gradient accumulation, LoRA.
import XCTest
import Foundation
import Autograd
import Models
import NN
import TensorCore

/// Resources/training_golden/golden.json.
struct TrainingGolden: Decodable {
    struct Hyper: Decodable {
        var steps: Int, lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double
        var maxGradNorm: Double, warmupSteps: Int, totalSteps: Int
    }
    struct Batch: Decodable { var ids: [[Int32]], mask: [[Int32]], labels: [[Int]] }
    struct Step: Decodable { var step: Int, lr: Double, loss: Double, gradNorm: Double, clipped: Bool }
    struct Values: Decodable { var shape: [Int], values: [Double] }
    var hyper: Hyper
    var batch: Batch
    var parameters: [String]
    var noDecay: [String]
    var steps: [Step]
    var gradsStep1: [String: Values]
    var gradNormsStep1: [String: Double]
    var final: [String: Values]
    var finalDeltaNorms: [String: Double]
}

/// What one Swift run produced.
struct TrainingRun {
    var lrs: [Double] = [], losses: [Double] = [], gradNorms: [Double] = []
    /// Every gradient after the first backward, before clipping.
    var gradsStep1: [String: [Float]] = [:]
    var initial: [String: [Float]] = [:], final: [String: [Float]] = [:]
}

final class TrainingParityTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Resources/training_golden")

    // Tolerances (float32 against float64). Every tensor check is max|got − ref| ≤ rtol·max|ref|.
    static let lossRtol = 1e-4
    static let normRtol = 1e-4
    static let gradRtol = 1e-4
    static let paramRtol = 1e-4
    /// The update p − p₀ of the fully recorded tensors, against the reference update's scale: the
    /// update is ~1e-3 of a value, and float32 storage rounds each value to ~6e-8, so ~1e-4 of an
    /// element's update is rounding alone.
    static let updateRtol = 1e-3
    /// ‖p − p₀‖ of every parameter (key biases excepted), relative.
    static let deltaRtol = 1e-4
    /// attention.self.key.bias has a true gradient of 0 (softmax is shift-invariant); only rounding.
    static let keyBiasGradAtol: Float = 1e-6

    func golden() throws -> TrainingGolden {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("golden.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(TrainingGolden.self, from: data)
    }

    /// Runs `steps` steps of the trainer's inner loop from the golden weights.
    func train(_ g: TrainingGolden, steps: Int, workers: Int) throws -> TrainingRun {
        let config = try ModelDirectory.readConfig(Self.directory.appendingPathComponent("config.json").path)
        let weights = try SafeTensorsFile(path: Self.directory.appendingPathComponent("model.safetensors").path)
        let encoder = try TrainableEncoder(config: config, weights: weights)
        let k = try weights.tensor("classifier.bias").count
        let head = Linear(weight: try weights.tensor("classifier.weight", expectedShape: [k, config.hiddenSize]),
                          bias: try weights.tensor("classifier.bias", expectedShape: [k]))
        let params = (encoder.namedParameters() + scoped("classifier", head)).filter { $0.variable.requiresGrad }
        XCTAssertEqual(params.map(\.name), g.parameters, "parameter names and order")
        XCTAssertEqual(params.filter { !AdamW.decays($0.name) }.map(\.name), g.noDecay, "weight-decay grouping")
        return Self.steps(steps, encoder: encoder, head: head, params: params, ids: g.batch.ids, mask: g.batch.mask,
                          targets: g.batch.labels.flatMap { $0 }, hyper: g.hyper, workers: workers)
    }

    /// The trainer's inner loop (Trainer.run without batching, accumulation or checkpoints):
    /// forward, crossEntropy, backward, clipGradients, lr·λ(step), AdamW.update.
    static func steps(_ n: Int, encoder: TrainableEncoder, head: Linear, params: [(name: String, variable: Variable)],
                      ids: [[Int32]], mask: [[Int32]], targets: [Int], hyper h: TrainingGolden.Hyper, workers: Int) -> TrainingRun {
        let old = GradMode.workers
        GradMode.workers = workers
        defer { GradMode.workers = old }
        let optimizer = AdamW(parameters: params, learningRate: Float(h.lr), beta1: Float(h.beta1), beta2: Float(h.beta2),
                              eps: Float(h.eps), weightDecay: Float(h.weightDecay))
        let schedule = LRSchedule(warmupSteps: h.warmupSteps, totalSteps: h.totalSteps, decay: .linear)
        let context = ForwardContext(training: true, dropout: 0, seed: 0)
        let b = ids.count, t = ids[0].count, k = head.outFeatures

        var run = TrainingRun()
        for p in params { run.initial[p.name] = p.variable.value.scalars }
        for _ in 0..<n {
            let hidden = encoder(ids: ids, mask: mask, context: context)                    // [B, T, C]
            let logits = head(hidden, context: context).reshaped([b * t, k])                 // [B·T, K]
            let loss = crossEntropy(logits, targets: targets)
            loss.backward()
            if run.gradsStep1.isEmpty {
                for p in params { run.gradsStep1[p.name] = p.variable.grad?.scalars ?? [] }
            }
            run.losses.append(Double(loss.value.scalars[0]))
            run.gradNorms.append(clipGradients(params, maxNorm: Float(h.maxGradNorm)))
            optimizer.learningRate = Float(h.lr) * schedule.multiplier(step: optimizer.step)
            run.lrs.append(Double(optimizer.learningRate))
            optimizer.update()
        }
        for p in params { run.final[p.name] = p.variable.value.scalars }
        return run
    }

    /// max|got − ref| and its index, and max|ref|.
    static func difference(_ got: [Double], _ ref: [Double]) -> (error: Double, at: Int, scale: Double) {
        precondition(got.count == ref.count, "difference: \(got.count) values for \(ref.count)")
        var error = 0.0, at = 0, scale = 0.0
        for i in ref.indices {
            let e = abs(got[i] - ref[i])
            if e > error { error = e; at = i }
            scale = max(scale, abs(ref[i]))
        }
        return (error, at, scale)
    }

    /// Asserts max|got − ref| ≤ rtol·max|ref| and returns the ratio error / max|ref|.
    @discardableResult
    func assertTensor(_ got: [Float]?, _ ref: TrainingGolden.Values, rtol: Double, _ what: String,
                      file: StaticString = #filePath, line: UInt = #line) -> Double {
        guard let got else { XCTFail("\(what): no values", file: file, line: line); return .infinity }
        XCTAssertEqual(got.count, ref.values.count, "\(what): \(got.count) values, expected shape \(ref.shape)", file: file, line: line)
        guard got.count == ref.values.count else { return .infinity }
        let d = Self.difference(got.map(Double.init), ref.values)
        let ratio = d.error / max(d.scale, .leastNormalMagnitude)
        XCTAssertLessThanOrEqual(ratio, rtol, "\(what): max |Δ| \(d.error) at flat index \(d.at) "
                                 + "(got \(got[d.at]), expected \(ref.values[d.at])), max |ref| \(d.scale)", file: file, line: line)
        return ratio
    }

    static func relative(_ got: Double, _ ref: Double) -> Double { abs(got - ref) / max(abs(ref), .leastNormalMagnitude) }

    func testFiveStepsMatchJAXReference() throws {
        let g = try golden()
        let run = try train(g, steps: g.hyper.steps, workers: 1)
        var report: [String] = []

        // Per step: rate, loss, pre-clip norm.
        var worstLoss = 0.0, worstNorm = 0.0
        for (i, s) in g.steps.enumerated() {
            XCTAssertEqual(run.lrs[i], s.lr, accuracy: 1e-9, "learning rate of step \(s.step)")
            let lossRel = Self.relative(run.losses[i], s.loss), normRel = Self.relative(run.gradNorms[i], s.gradNorm)
            XCTAssertLessThanOrEqual(lossRel, Self.lossRtol, "loss of step \(s.step): \(run.losses[i]), expected \(s.loss)")
            XCTAssertLessThanOrEqual(normRel, Self.normRtol, "grad norm of step \(s.step): \(run.gradNorms[i]), expected \(s.gradNorm)")
            worstLoss = max(worstLoss, lossRel); worstNorm = max(worstNorm, normRel)
        }
        report.append(String(format: "loss rel %.2e, grad norm rel %.2e", worstLoss, worstNorm))

        // Step-1 gradients: chosen tensors in full, every tensor's norm.
        var worstGrad = 0.0
        for (name, ref) in g.gradsStep1.sorted(by: { $0.key < $1.key }) {
            if name.hasSuffix("attention.self.key.bias") {
                let m = run.gradsStep1[name]?.map(abs).max() ?? .infinity
                XCTAssertLessThanOrEqual(m, Self.keyBiasGradAtol, "\(name): gradient should be ~0 (softmax shift invariance), max |g| \(m)")
                report.append(String(format: "%@ grad max |g| %.2e (true value 0)", name, Double(m)))
                continue
            }
            worstGrad = max(worstGrad, assertTensor(run.gradsStep1[name], ref, rtol: Self.gradRtol, "step-1 gradient of \(name)"))
        }
        var worstGradNorm = 0.0
        for (name, ref) in g.gradNormsStep1 where !name.hasSuffix("attention.self.key.bias") {
            let got = (run.gradsStep1[name] ?? []).reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let rel = Self.relative(got, ref)
            XCTAssertLessThanOrEqual(rel, Self.normRtol, "step-1 gradient norm of \(name): \(got), expected \(ref)")
            worstGradNorm = max(worstGradNorm, rel)
        }
        report.append(String(format: "step-1 grads max|Δ|/max|ref| %.2e, per-tensor grad norms rel %.2e", worstGrad, worstGradNorm))

        // Final parameters.
        var worstParam = 0.0, worstUpdate = 0.0
        for (name, ref) in g.final.sorted(by: { $0.key < $1.key }) {
            worstParam = max(worstParam, assertTensor(run.final[name], ref, rtol: Self.paramRtol, "final \(name)"))
            // The update itself (≈ 1e-3 of the value, so the check above barely sees it).
            guard let a = run.final[name], let b = run.initial[name], a.count == ref.values.count else { continue }
            let d = Self.difference(zip(a, b).map { Double($0) - Double($1) }, zip(ref.values, b).map { $0 - Double($1) })
            let ratio = d.error / max(d.scale, .leastNormalMagnitude)
            XCTAssertLessThanOrEqual(ratio, Self.updateRtol, "final − initial of \(name): max |Δ| \(d.error) at flat index \(d.at), "
                                     + "max |ref update| \(d.scale)")
            worstUpdate = max(worstUpdate, ratio)
        }
        var worstDelta = 0.0, worstDeltaName = ""
        for (name, ref) in g.finalDeltaNorms {
            guard let a = run.final[name], let b = run.initial[name] else { XCTFail("no parameter \(name)"); continue }
            let got = zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            let rel = Self.relative(got, ref)
            XCTAssertLessThanOrEqual(rel, Self.deltaRtol, "‖final − initial‖ of \(name): \(got), expected \(ref)")
            if rel > worstDelta { worstDelta = rel; worstDeltaName = name }
        }
        report.append(String(format: "final params max|Δ|/max|ref| %.2e, updates max|Δ|/max|ref update| %.2e, ‖p − p₀‖ rel %.2e (%@)",
                             worstParam, worstUpdate, worstDelta, worstDeltaName))
        print("[training parity] " + report.joined(separator: "; "))
    }

    /// Asserts two runs are bitwise equal; on failure names the tensor, the largest difference and where.
    func assertIdentical(_ one: TrainingRun, _ two: TrainingRun, names: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(one.losses, two.losses, "losses", file: file, line: line)
        XCTAssertEqual(one.gradNorms, two.gradNorms, "pre-clip gradient norms", file: file, line: line)
        for name in names {
            for (what, a, b) in [("step-1 gradient", one.gradsStep1[name], two.gradsStep1[name]),
                                 ("final value", one.final[name], two.final[name])] {
                guard let a, let b, a != b else { continue }
                let d = Self.difference(a.map(Double.init), b.map(Double.init))
                XCTFail("\(what) of \(name) differs between 1 and 2 workers: max |Δ| \(d.error) at flat index \(d.at)", file: file, line: line)
            }
        }
    }

    /// The tiny golden model: bitwise. Its products are too small for TensorCore to split (rows
    /// < 128, outputs < 128), so what runs on two threads is whole per-head attention GEMMs, GELU's
    /// derivative in chunks and AdamW's per-parameter updates, none of which changes a rounding.
    func testTwoWorkersReproduceOneBitwiseOnTinyModel() throws {
        let g = try golden()
        let one = try train(g, steps: 2, workers: 1)
        let two = try train(g, steps: 2, workers: 2)
        assertIdentical(one, two, names: g.parameters)
    }

    /// e5-small-enpt (skipped when not installed): 150 rows and 384/1536 features, so the row
    /// blocks of matmul and the column blocks of linear are split over two workers. Not bitwise:
    /// OpenBLAS 0.3.21's sgemm on a row or column block does not round like the same entries of
    /// the whole product (measured: x·Wᵀ [150,384]·[384,1536] differs in the last bit on both
    /// splits), so gradients differ by rounding (≈ 3e-8 against a norm of 0.54) and Adam turns
    /// that into parameter differences of ≈ 4e-6 of a tensor's scale after two steps.
    func testTwoWorkersReproduceOneWithinRoundingOnInstalledModel() throws {
        let dir = try installedModel("e5-small-enpt")
        let weights = try SafeTensorsFile(path: dir.weightsPath)
        var rng = SeededGenerator(seed: 11)
        let t = 50, k = 5
        var ids = [[Int32]](), mask = [[Int32]](), targets = [Int]()
        for len in [50, 41, 23] {
            let real = (0..<len).map { i -> Int32 in
                i == 0 ? 0 : i == len - 1 ? 2 : Int32.random(in: 5..<Int32(dir.config.vocabularySize), using: &rng)
            }
            ids.append(real + [Int32](repeating: 1, count: t - len))
            mask.append([Int32](repeating: 1, count: len) + [Int32](repeating: 0, count: t - len))
            targets += (0..<t).map { i in i == 0 || i >= len - 1 ? -100 : Int.random(in: 0..<k, using: &rng) }
        }
        let hyper = TrainingGolden.Hyper(steps: 2, lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01,
                                         maxGradNorm: 1, warmupSteps: 0, totalSteps: 4)
        func run(workers: Int) throws -> TrainingRun {
            let encoder = try TrainableEncoder(config: dir.config, weights: weights)
            let head = Linear(inFeatures: dir.config.hiddenSize, outFeatures: k, seed: 17)
            let params = (encoder.namedParameters() + scoped("classifier", head)).filter { $0.variable.requiresGrad }
            return Self.steps(2, encoder: encoder, head: head, params: params, ids: ids, mask: mask, targets: targets,
                              hyper: hyper, workers: workers)
        }
        let one = try run(workers: 1), two = try run(workers: 2)
        for i in one.losses.indices {
            XCTAssertLessThanOrEqual(Self.relative(two.losses[i], one.losses[i]), 1e-6, "loss of step \(i + 1)")
            XCTAssertLessThanOrEqual(Self.relative(two.gradNorms[i], one.gradNorms[i]), 1e-6, "gradient norm of step \(i + 1)")
        }
        var worstGrad = 0.0, worstParam = 0.0, worstUpdate = 0.0, worstParamName = "", worstUpdateName = ""
        for name in one.final.keys.sorted() {
            guard let g1 = one.gradsStep1[name], let g2 = two.gradsStep1[name],
                  let p1 = one.final[name], let p2 = two.final[name], let p0 = one.initial[name] else {
                XCTFail("\(name): missing values"); continue
            }
            // Gradients: every element within 1e-6 of the global gradient norm.
            let g = Self.difference(g2.map(Double.init), g1.map(Double.init))
            XCTAssertLessThanOrEqual(g.error, 1e-6 * one.gradNorms[0], "step-1 gradient of \(name): max |Δ| \(g.error) at \(g.at)")
            worstGrad = max(worstGrad, g.error / one.gradNorms[0])
            // Parameters: within 3e-5 of the tensor's scale; the update p − p₀ within 2e-3 in norm
            // (key biases excepted: their true gradient is 0, so their update is rounding noise).
            let p = Self.difference(p2.map(Double.init), p1.map(Double.init))
            XCTAssertLessThanOrEqual(p.error, 3e-5 * p.scale, "\(name) after 2 steps: max |Δ| \(p.error) at \(p.at), scale \(p.scale)")
            if p.error / p.scale > worstParam { worstParam = p.error / p.scale; worstParamName = name }
            if name.hasSuffix("attention.self.key.bias") { continue }
            var du = 0.0, u = 0.0
            for j in p0.indices {
                let a = Double(p1[j]) - Double(p0[j]), b = Double(p2[j]) - Double(p0[j])
                du += (a - b) * (a - b); u += a * a
            }
            let rel = (du / max(u, .leastNormalMagnitude)).squareRoot()
            XCTAssertLessThanOrEqual(rel, 2e-3, "update of \(name): ‖Δ₂ − Δ₁‖/‖Δ₁‖ = \(rel)")
            if rel > worstUpdate { worstUpdate = rel; worstUpdateName = name }
        }
        print(String(format: "[training workers] 2 vs 1 worker on e5-small-enpt: gradients max|Δ|/‖g‖ %.2e, "
                     + "params max|Δ|/scale %.2e (%@), updates ‖Δ₂ − Δ₁‖/‖Δ₁‖ %.2e (%@)",
                     worstGrad, worstParam, worstParamName, worstUpdate, worstUpdateName))
    }
}
