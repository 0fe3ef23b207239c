// `crosstalk bench train`: training throughput of the tagger's step (forward, cross-entropy,
// backward, clipping, AdamW) on e5-small at batch 16 × 64 tokens, full fine-tuning and LoRA, on
// the given threads, next to the JAX anchor (Scripts/bench/anchor_train.py: the same model,
// weights, batch and regime, jit-compiled) measured in the same run.
import ArgumentParser
import Autograd
import Foundation
import NN
import Tagging
import TensorCore

struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Tagger training steps per second (tokens/s) for full fine-tuning and LoRA, against JAX on the same weights and batch.")

    @OptionGroup var bench: BenchOptions
    @Option(help: "Installed model name or model directory.") var model: String = "e5-small"
    @Option(help: "Sequences per batch.") var batch = 16
    @Option(help: "Tokens per sequence.") var tokens = 64
    @Option(help: "Timed optimiser steps (after 2 warm-up steps).") var steps = 10
    @Option(help: "Threads.") var threads = 2
    @Flag(help: "Skip the JAX anchor.") var noAnchor = false

    func run() throws {
        print("bench train: \(model), batch \(batch) × \(tokens) tokens, \(threads) threads, dropout 0.1, AdamW, clip 1.0; BLAS \(blasConfiguration)")
        printRow(["method", "trainable", "tokens/s", "s/step", "JAX tokens/s", "ratio"], widths: [6, 10, 9, 7, 12, 6])
        for method in [TuningMethod.full, .lora] {
            var config = TaggerConfig(model: model, method: method, labels: LabelSet(types: ["LOC", "MISC", "ORG", "PER"]).labels)
            config.maxLength = tokens
            let classifier = try TokenClassifier(config: config)
            setThreads(threads)
            var g = SeededGenerator(seed: 11)
            let vocab = classifier.directory.config.vocabularySize
            var windows: [TaggingWindow] = []
            let pieceRange = min(vocab - 5, 20000)
            for i in 0..<batch {
                var ids: [Int32] = [classifier.specials.bos]
                var labels: [Int] = [-100]
                for _ in 0..<(tokens - 2) {
                    ids.append(Int32(5 + g.nextInt(below: pieceRange)))
                    labels.append(g.nextInt(below: classifier.labels.count))
                }
                ids.append(classifier.specials.eos)
                labels.append(-100)
                windows.append(TaggingWindow(sentence: i, ids: ids, labels: labels, wordStarts: [], owned: 0..<0))
            }
            let params = classifier.namedParameters().filter { $0.variable.requiresGrad }
            let optimizer = AdamW(parameters: params, learningRate: method == .full ? 5e-5 : 5e-4)
            let context = ForwardContext(training: true, dropout: 0.1, seed: 3)
            func step() {
                let (logits, t) = classifier.logits(windows, context: context)
                var targets = [Int](repeating: -100, count: windows.count * t)
                for (i, w) in windows.enumerated() { for (j, l) in w.labels.enumerated() { targets[i * t + j] = l } }
                crossEntropy(logits, targets: targets).backward()
                clipGradients(params, maxNorm: 1)
                optimizer.update()
            }
            step(); step()
            let s = seconds { for _ in 0..<steps { step() } } / Double(steps)
            let tps = Double(batch * tokens) / s
            var cells = ["-", "-"]
            if !noAnchor {
                let r = try timeProcess([bench.python, packageRoot() + "/Scripts/bench/anchor_train.py", "--model-dir", classifier.directory.path,
                                         "--method", method.rawValue, "--batch", "\(batch)", "--tokens", "\(tokens)",
                                         "--threads", "\(threads)", "--steps", "\(steps)"])
                if r.status == 0, let j = jsonLines(r.stdout).last, let jt = j["tokens_per_s"] as? Double {
                    cells = [String(format: "%.0f", jt), String(format: "%.2fx", tps / jt)]
                }
            }
            printRow([method.rawValue, "\(classifier.trainableCount)", String(format: "%.0f", tps), String(format: "%.3f", s)] + cells,
                     widths: [6, 10, 9, 7, 12, 6])
        }
    }
}
