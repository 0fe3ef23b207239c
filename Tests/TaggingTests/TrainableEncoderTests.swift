// The trainable encoder against the inference encoder on real weights (e5-small-enpt), LoRA
// invariants on the encoder, and the token classifier's window planning.
import XCTest
import Autograd
import Models
import NN
import TensorCore

func installedModel(_ name: String) throws -> ModelDirectory {
    do { return try ModelDirectory.installed(name) } catch {
        throw XCTSkip("skipped: model \(name) not installed (bash Scripts/setup installs it)")
    }
}

final class TrainableEncoderTests: XCTestCase {
    func loadBoth() throws -> (BertEncoder, TrainableEncoder) {
        let dir = try installedModel("e5-small-enpt")
        let w = try SafeTensorsFile(path: dir.weightsPath)
        return (try BertEncoder(config: dir.config, weights: w), try TrainableEncoder(config: dir.config, weights: w))
    }

    let ids: [[Int32]] = [[0, 35377, 8, 1176, 2], [0, 581, 9, 2, 1]]
    let mask: [[Int32]] = [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]

    func maxRelative(_ a: Tensor, _ b: Tensor) -> Float {
        let x = a.scalars, y = b.scalars
        let scale = max(1e-6, y.map(abs).max() ?? 1)
        return zip(x, y).map { abs($0 - $1) }.max()! / scale
    }

    func testInferenceForwardEqualsBertEncoder() throws {
        let (frozen, trainable) = try loadBoth()
        let ref = frozen.forward(ids: ids, mask: mask)
        let got = trainable(ids: ids, mask: mask, context: .inference).value
        XCTAssertEqual(got.shape, ref.shape)
        XCTAssertFalse(got.scalars.contains { $0.isNaN })
        XCTAssertLessThan(maxRelative(got, ref), 1e-5)
    }

    func testLoRAAtInitEqualsBaseAndOnlyAdaptersGetGradients() throws {
        let (frozen, trainable) = try loadBoth()
        let n = trainable.applyLoRA(rank: 4, alpha: 8, targets: ["query", "value"], seed: 3)
        XCTAssertEqual(n, 2 * trainable.config.layerCount)
        let ref = frozen.forward(ids: ids, mask: mask)
        let out = trainable(ids: ids, mask: mask, context: .inference)
        XCTAssertLessThan(maxRelative(out.value, ref), 1e-5)
        out.sum().backward()
        for p in trainable.namedParameters() {
            if p.name.contains("lora_") {
                XCTAssertTrue(p.variable.requiresGrad, p.name)
                XCTAssertNotNil(p.variable.grad, p.name)
            } else {
                XCTAssertFalse(p.variable.requiresGrad, p.name)
                XCTAssertNil(p.variable.grad, p.name)
            }
        }
        // lora_A gets no gradient signal through B = 0, lora_B does.
        let b = trainable.namedParameters().first { $0.name.hasSuffix("query.lora_B.weight") }!.variable
        XCTAssertGreaterThan(b.grad!.scalars.map(abs).max()!, 0)
    }

    func testFusedLoRAEqualsUnfused() throws {
        let (_, trainable) = try loadBoth()
        trainable.applyLoRA(rank: 4, alpha: 8, targets: ["query", "dense"], seed: 5)
        // Give the adapters non-zero B so the update matters.
        for p in trainable.namedParameters() where p.name.hasSuffix("lora_B.weight") {
            let r = Tensor.normal(shape: p.variable.shape, std: 0.05, seed: UInt64(p.name.count))
            p.variable.value.base.update(from: r.base, count: r.count)
        }
        let unfused = trainable(ids: ids, mask: mask, context: .inference).value
        trainable.fuseLoRA()
        let fused = trainable(ids: ids, mask: mask, context: .inference).value
        XCTAssertLessThan(maxRelative(fused, unfused), 1e-5)
    }

    func testMixtureOfLoRAInvariants() throws {
        let (frozen, trainable) = try loadBoth()
        let n = trainable.applyMixtureOfLoRA(experts: 3, rank: 2, alpha: 4, targets: ["query", "value"], seed: 9)
        XCTAssertEqual(n, 2 * trainable.config.layerCount)
        // At initialisation every B is zero: the output is the base encoder's.
        let ref = frozen.forward(ids: ids, mask: mask)
        let out = trainable(ids: ids, mask: mask, context: .inference)
        XCTAssertLessThan(maxRelative(out.value, ref), 1e-5)
        // Gates are softmax rows from the first-token state of each layer: [B, E], rows sum to 1.
        for l in trainable.layers {
            let g = l.gate!.current!.value
            XCTAssertEqual(g.shape, [2, 3])
            for b in 0..<2 { XCTAssertEqual((0..<3).map { g[b, $0] }.reduce(0, +), 1, accuracy: 1e-5) }
        }
        out.sum().backward()
        for p in trainable.namedParameters() {
            let adapter = p.name.contains(".experts.") || p.name.contains("lora_gate")
            XCTAssertEqual(p.variable.requiresGrad, adapter, p.name)
            if !adapter { XCTAssertNil(p.variable.grad, p.name) }
        }
        XCTAssertTrue(trainable.namedParameters().contains { $0.name.hasSuffix("experts.2.lora_B.weight") && $0.variable.grad != nil })

        // With non-zero experts: fused with the gate of a sequence equals the mixture for it, and
        // top-1 at inference equals the single chosen expert fused.
        for p in trainable.namedParameters() where p.name.hasSuffix("lora_B.weight") {
            let r = Tensor.normal(shape: p.variable.shape, std: 0.05, seed: UInt64(p.name.count * 31))
            p.variable.value.base.update(from: r.base, count: r.count)
        }
        let one: [[Int32]] = [ids[0]], oneMask: [[Int32]] = [mask[0]]
        for l in trainable.layers { l.gate!.topK = 1 }
        let top1 = trainable(ids: one, mask: oneMask, context: .inference).value
        let chosen = trainable.layers.map { l -> Int in
            let g = l.gate!.current!.value
            XCTAssertEqual((0..<3).filter { g[0, $0] != 0 }.count, 1, "top-1 keeps one expert")
            return (0..<3).first { g[0, $0] != 0 }!
        }
        for (l, e) in zip(trainable.layers, chosen) { l.gate!.forcedExpert = e }
        let forced = trainable(ids: one, mask: oneMask, context: .inference).value
        XCTAssertLessThan(maxRelative(top1, forced), 1e-6)
        for l in trainable.layers { l.gate!.topK = nil; l.gate!.forcedExpert = nil }
    }
}
