// NN: LoRA on a plain Linear, the schedules against transformers' formulas, clipping as
// torch.nn.utils.clip_grad_norm_, one AdamW step against its closed form, and checkpoints that
// round-trip and never exist half-written.
import Foundation
import XCTest
import Autograd
import NN
import TensorCore

final class NNTests: XCTestCase {
    func testLoRALinearInvariants() {
        let base = Linear(inFeatures: 6, outFeatures: 4, seed: 1)
        let w0 = base.weight.value.scalars
        let lora = LoRALinear(base: base, rank: 2, alpha: 4, seed: 2)
        let x = Variable(Tensor.normal(shape: [3, 6], seed: 3))
        let ctx = ForwardContext.inference
        XCTAssertEqual(lora(x, context: ctx).value.scalars, linear(x, weight: Variable(base.weight.value), bias: Variable(base.bias!.value)).value.scalars,
                       "B = 0: output equals the base layer")
        lora(x, context: ctx).sum().backward()
        XCTAssertNil(base.weight.grad)
        XCTAssertNil(base.bias!.grad)
        XCTAssertNotNil(lora.loraB.grad)
        XCTAssertEqual(lora.trainableParameters().map(\.name), ["lora_A.weight", "lora_B.weight"])
        let r = Tensor.normal(shape: [4, 2], std: 0.3, seed: 4)
        lora.loraB.value.base.update(from: r.base, count: r.count)
        let unfused = lora(x, context: ctx).value.scalars
        let fused = lora.fused()(x, context: ctx).value.scalars
        for (a, b) in zip(unfused, fused) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(base.weight.value.scalars, w0, "fusing leaves the base weight unchanged")
    }

    func testSchedulesMatchTransformers() {
        // get_linear_schedule_with_warmup(num_warmup_steps=2, num_training_steps=10)
        let lin = LRSchedule(warmupSteps: 2, totalSteps: 10, decay: .linear)
        XCTAssertEqual((0..<11).map { lin.multiplier(step: $0) }, [0, 0.5, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0])
        // get_cosine_schedule_with_warmup(2, 10): 0.5·(1 + cos(π·(s−2)/8))
        let cosine = LRSchedule(warmupSteps: 2, totalSteps: 10, decay: .cosine)
        for s in 2...10 {
            XCTAssertEqual(Double(cosine.multiplier(step: s)), 0.5 * (1 + cos(Double.pi * Double(s - 2) / 8)), accuracy: 1e-6)
        }
    }

    func testClipGradientsByGlobalNorm() {
        let a = Variable(Tensor([1, 2], shape: [2]), requiresGrad: true, name: "a")
        let b = Variable(Tensor([2], shape: [1]), requiresGrad: true, name: "b")
        a.grad = Tensor([3, 0], shape: [2]); b.grad = Tensor([4], shape: [1])
        let norm = clipGradients([("a", a), ("b", b)], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-12)
        let f = Float(1 / (5 + 1e-6))
        XCTAssertEqual(a.grad!.scalars[0], 3 * f, accuracy: 1e-7)
        XCTAssertEqual(b.grad!.scalars[0], 4 * f, accuracy: 1e-7)
        XCTAssertEqual(clipGradients([("a", a), ("b", b)], maxNorm: 10), 1, accuracy: 1e-5, "below the bound nothing changes")
    }

    func testAdamWStepClosedForm() {
        let w = Variable(Tensor([1, -2], shape: [2]), requiresGrad: true, name: "dense.weight")
        let b = Variable(Tensor([0.5], shape: [1]), requiresGrad: true, name: "dense.bias")
        let opt = AdamW(parameters: [("dense.weight", w), ("dense.bias", b)], learningRate: 0.1, weightDecay: 0.5)
        w.grad = Tensor([0.2, -0.4], shape: [2]); b.grad = Tensor([1], shape: [1])
        opt.update()
        // Step 1: m̂ = g, v̂ = g², update = lr·g/(|g| + ε) ≈ lr·sign(g); decay only on the weight.
        XCTAssertEqual(w.value.scalars[0], 1 * (1 - 0.1 * 0.5) - 0.1 * 0.2 / (0.2 + 1e-8), accuracy: 1e-6)
        XCTAssertEqual(w.value.scalars[1], -2 * (1 - 0.1 * 0.5) + 0.1 * 0.4 / (0.4 + 1e-8), accuracy: 1e-6)
        XCTAssertEqual(b.value.scalars[0], 0.5 - 0.1, accuracy: 1e-6)
        XCTAssertNil(w.grad, "update clears the gradients")
        XCTAssertFalse(AdamW.decays("encoder.layer.0.attention.output.LayerNorm.weight"))
        XCTAssertTrue(AdamW.decays("classifier.weight"))
    }

    func testCheckpointRoundTripAndAtomicity() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nn-ckpt-\(UUID().uuidString)").path
        let p = Variable(Tensor([1, 2, 3, 4], shape: [2, 2]), requiresGrad: true, name: "w")
        let opt = AdamW(parameters: [("w", p)], learningRate: 0.01)
        p.grad = Tensor([1, 1, 1, 1], shape: [2, 2])
        opt.update()
        var g = SeededGenerator(seed: 5)
        _ = g.nextNormal()
        try Checkpoint.write(to: dir + "/last", files: ["weights.safetensors": [("w", p.value)], "optimizer.safetensors": opt.stateTensors()],
                             state: ["step": opt.step, "generator": g.state.map(String.init)])
        let state = try Checkpoint.readState(dir + "/last")
        XCTAssertEqual(state["step"] as? Int, 1)
        var restored = SeededGenerator(state: (state["generator"] as! [String]).compactMap { UInt64($0) })!
        XCTAssertEqual(restored.nextNormal(), g.nextNormal(), "the spare normal survives")
        XCTAssertEqual(restored.next(), g.next())
        let q = Variable(Tensor(zeros: [2, 2]), requiresGrad: true, name: "w")
        try Checkpoint.load(try Checkpoint.readTensors(dir + "/last/weights.safetensors"), into: [("w", q)], file: "weights")
        XCTAssertEqual(q.value.scalars, p.value.scalars)
        let opt2 = AdamW(parameters: [("w", q)], learningRate: 0.01)
        try opt2.restore(step: 1, tensors: try Checkpoint.readTensors(dir + "/last/optimizer.safetensors"), file: "optimizer")
        XCTAssertEqual(opt2.stateTensors().map(\.tensor.scalars), opt.stateTensors().map(\.tensor.scalars))
        // A shape mismatch is named; a failed write leaves the old checkpoint whole.
        let wrong = Variable(Tensor(zeros: [4]), requiresGrad: true, name: "w")
        XCTAssertThrowsError(try Checkpoint.load(try Checkpoint.readTensors(dir + "/last/weights.safetensors"), into: [("w", wrong)], file: "weights")) {
            XCTAssertTrue("\($0)".contains("w with shape [2, 2]"), "\($0)")
        }
        XCTAssertThrowsError(try Checkpoint.write(to: dir + "/last", files: ["weights.safetensors": [("w", p.value), ("w", p.value)]], state: [:]))
        XCTAssertEqual(try Checkpoint.readState(dir + "/last")["step"] as? Int, 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["last"], "no temporary directory left")
        XCTAssertThrowsError(try Checkpoint.readState(dir)) { XCTAssertTrue("\($0)".contains("state.json"), "\($0)") }
    }
}
