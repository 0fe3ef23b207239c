// The token-classification training loop (the HF run_ner recipe): length-grouped shuffled
// batches, cross-entropy on first pieces, AdamW with linear warm-up and linear/cosine decay,
// clipping by global norm, gradient accumulation, dropout from a seeded generator; dev span F1
// after each epoch, the best epoch's weights kept in RUN/best, and a resumable checkpoint
// (weights, AdamW moments, step, epoch, batch position, generator state) in RUN/last written at
// every epoch end and every `saveEverySteps` optimiser steps. Resuming replays the same batch
// order and dropout masks, so an interrupted run ends with the same numbers as an
// uninterrupted one. LP-FT trains the head alone for `probeEpochs`, then everything.

import Foundation
import Autograd
import Corpora
import Evaluation
import NN
import TensorCore

public struct TrainingOptions: Sendable {
    public var epochs = 3
    public var batchSize = 16
    public var learningRate: Float = 5e-5
    public var probeLearningRate: Float = 1e-3
    public var probeEpochs = 1
    public var warmupRatio: Float = 0.1
    public var weightDecay: Float = 0.01
    public var maxGradNorm: Float = 1.0
    public var gradientAccumulation = 1
    public var decay: LRSchedule.Decay = .linear
    public var seed: UInt64 = 0
    public var saveEverySteps = 0
    /// Stop (after writing the checkpoint) once this many optimiser steps are done: a
    /// deterministic stand-in for an interrupted run.
    public var stopAfterSteps: Int?
    public var workers = 1
    public init() {}
}

/// What the CLI shows while training.
public enum TrainingEvent {
    case step(epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Double, tokensPerSecond: Double, elapsed: Double)
    case epochEnd(epoch: Int, loss: Double, devF1: Double?, best: Bool, seconds: Double)
    case resumed(epoch: Int, batch: Int, step: Int)
    case stopped(step: Int)
}

public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var phase: String
    public var loss: Double
    public var devF1: Double?
    public var tokensPerSecond: Double
    public var seconds: Double
}

public struct TrainingSummary: Sendable {
    public var history: [EpochRecord]
    public var bestEpoch: Int?
    public var bestF1: Double?
    public var interrupted: Bool
    public var steps: Int
}

public final class TaggerTrainer {
    public let model: TokenClassifier
    public let options: TrainingOptions
    let train: [TaggingWindow]
    let dev: (words: [[String]], tags: [[String]])?

    /// - train: sentences (words, tags); tags must all be in the model's label set
    /// - dev: optional development sentences for per-epoch F1 and best-epoch selection
    public init(model: TokenClassifier, options: TrainingOptions, train: [(words: [String], tags: [String])],
                dev: (words: [[String]], tags: [[String]])?) throws {
        self.model = model
        self.options = options
        var windows: [TaggingWindow] = []
        for (i, s) in train.enumerated() {
            let ids = try s.tags.enumerated().map { j, t -> Int in
                guard let id = model.labels.id(t) else {
                    throw TaggingError.invalid(file: "training data", found: "tag \(t) (sentence \(i + 1), word \(j + 1))",
                                               expected: "one of \(model.labels.labels)")
                }
                return id
            }
            let a = model.align(s.words)
            for run in WindowPlanner.trainingRuns(a, room: model.room) where !run.isEmpty {
                windows.append(WindowPlanner.window(a, index: i, words: run, owned: run, room: model.room, labels: ids,
                                                    bos: model.specials.bos, eos: model.specials.eos))
            }
        }
        self.train = windows
        self.dev = dev
    }

    public var windowCount: Int { train.count }

    /// Batches of window indices for `epoch`: shuffled with the epoch's generator, sorted by
    /// length within groups of 50 batches (little padding), then the batches shuffled.
    func batches(epoch: Int) -> [[Int]] {
        var g = SeededGenerator(seed: options.seed &* 1_000_003 &+ UInt64(epoch) &+ 1)
        var order = Array(train.indices)
        g.shuffle(&order)
        let group = options.batchSize * 50
        var out: [[Int]] = []
        for start in stride(from: 0, to: order.count, by: group) {
            let chunk = order[start..<min(order.count, start + group)].sorted { train[$0].ids.count > train[$1].ids.count }
            for b in stride(from: 0, to: chunk.count, by: options.batchSize) {
                out.append(Array(chunk[b..<min(chunk.count, b + options.batchSize)]))
            }
        }
        g.shuffle(&out)
        return out
    }

    struct Phase {
        let name: String
        let epochs: Range<Int>
        let learningRate: Float
        let headOnly: Bool
    }

    var phases: [Phase] {
        switch model.config.method {
        case .lpft:
            let p = max(0, options.probeEpochs)
            return [Phase(name: "probe", epochs: 0..<p, learningRate: options.probeLearningRate, headOnly: true),
                    Phase(name: "fine-tune", epochs: p..<(p + options.epochs), learningRate: options.learningRate, headOnly: false)]
        default:
            return [Phase(name: model.config.method.rawValue, epochs: 0..<options.epochs, learningRate: options.learningRate,
                          headOnly: model.config.method == .head)]
        }
    }

    /// Trains into `runDirectory` (tagger.json must already be there), resuming from
    /// RUN/last when `resume` is set and a checkpoint exists.
    public func run(runDirectory run: String, resume: Bool, onEvent: (TrainingEvent) -> Void) throws -> TrainingSummary {
        let last = run + "/last", best = run + "/best"
        var history: [EpochRecord] = []
        var bestF1: Double? = nil, bestEpoch: Int? = nil
        var startEpoch = 0, startBatch = 0, startStep = 0
        var dropoutState: [UInt64]? = nil
        var restoredMoments: [String: Tensor]? = nil
        var restoredPhase = "", restoredOptimizerStep = 0
        var partial = (loss: 0.0, count: 0, tokens: 0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]   // the same bytes in every process
        let savedConfig = try encoder.encode(model.config)
        if resume, FileManager.default.fileExists(atPath: last + "/state.json") {
            let state = try Checkpoint.readState(last)
            guard let cfg = state["tagger"] as? String, cfg == String(decoding: savedConfig, as: UTF8.self) else {
                throw TaggingError.invalid(file: last + "/state.json", found: "a checkpoint of another tagger (model, labels or method differ)",
                                           expected: "the configuration in \(run)/tagger.json")
            }
            startEpoch = state["epoch"] as? Int ?? 0
            startBatch = state["batch"] as? Int ?? 0
            startStep = state["step"] as? Int ?? 0
            dropoutState = (state["generator"] as? [String])?.compactMap { UInt64($0) }
            if let h = state["history"] as? String { history = try JSONDecoder().decode([EpochRecord].self, from: Data(h.utf8)) }
            restoredPhase = state["phase"] as? String ?? ""
            partial = (state["epoch_loss_sum"] as? Double ?? 0, state["epoch_loss_count"] as? Int ?? 0, state["epoch_tokens"] as? Int ?? 0)
            restoredOptimizerStep = state["optimizer_step"] as? Int ?? 0
            bestF1 = state["best_f1"] as? Double
            bestEpoch = state["best_epoch"] as? Int
            try model.load(weightsFile: last + "/weights.safetensors")
            restoredMoments = try Checkpoint.readTensors(last + "/optimizer.safetensors")
            onEvent(.resumed(epoch: startEpoch, batch: startBatch, step: startStep))
        }
        let context = ForwardContext(training: true, dropout: model.config.dropout, seed: options.seed &+ 7)
        if let s = dropoutState {
            guard let g = SeededGenerator(state: s) else {
                throw TaggingError.invalid(file: last + "/state.json", found: "a malformed generator state", expected: "5 integers")
            }
            context.generator = g
        }
        GradMode.workers = max(1, options.workers)
        var globalStep = startStep

        for phase in phases where phase.epochs.upperBound > startEpoch {
            if phase.headOnly { model.encoder.setBaseTrainable(false) }
            else if model.config.method == .lpft { model.encoder.setBaseTrainable(true, embeddings: model.config.trainEmbeddings) }
            let params = model.namedParameters().filter { $0.variable.requiresGrad }
            let optimizer = AdamW(parameters: params, learningRate: phase.learningRate, weightDecay: options.weightDecay)
            let perEpoch = (batches(epoch: phase.epochs.lowerBound).count + options.gradientAccumulation - 1) / options.gradientAccumulation
            let schedule = LRSchedule(warmupSteps: Int((Float(perEpoch * phase.epochs.count) * options.warmupRatio).rounded()),
                                      totalSteps: perEpoch * phase.epochs.count, decay: options.decay)
            // The checkpoint's moments belong to this phase unless it was written at the end of the
            // previous one (LP-FT's fine-tuning then starts with a fresh optimiser, as uninterrupted).
            if let moments = restoredMoments, phase.epochs.contains(startEpoch), restoredPhase == phase.name {
                try optimizer.restore(step: restoredOptimizerStep, tensors: moments, file: last + "/optimizer.safetensors")
            }
            restoredMoments = nil
            for epoch in max(phase.epochs.lowerBound, startEpoch)..<phase.epochs.upperBound {
                let all = batches(epoch: epoch)
                let firstBatch = epoch == startEpoch ? startBatch : 0
                let t0 = Date()
                // A resumed epoch continues its running loss (the figure an uninterrupted run reports).
                var (lossSum, lossCount, tokens) = epoch == startEpoch && firstBatch > 0 ? partial : (0.0, 0, 0)
                var micro = 0
                var b = firstBatch
                while b < all.count {
                    let windows = all[b].map { train[$0] }
                    let (logits, t) = model.logits(windows, context: context)
                    var targets = [Int](repeating: -100, count: windows.count * t)
                    for (i, w) in windows.enumerated() { for (j, l) in w.labels.enumerated() { targets[i * t + j] = l } }
                    var loss = crossEntropy(logits, targets: targets)
                    if options.gradientAccumulation > 1 { loss = loss * (1 / Float(options.gradientAccumulation)) }
                    loss.backward()
                    lossSum += Double(loss.value.scalars[0]) * Double(options.gradientAccumulation); lossCount += 1
                    tokens += windows.reduce(0) { $0 + $1.ids.count }
                    micro += 1
                    b += 1
                    if micro == options.gradientAccumulation || b == all.count {
                        micro = 0
                        if options.maxGradNorm > 0 { clipGradients(params, maxNorm: options.maxGradNorm) }
                        optimizer.learningRate = phase.learningRate * schedule.multiplier(step: optimizer.step)
                        optimizer.update()
                        globalStep += 1
                        let elapsed = Date().timeIntervalSince(t0)
                        onEvent(.step(epoch: epoch, epochs: phases.last!.epochs.upperBound, batch: b, batches: all.count,
                                      loss: lossSum / Double(max(1, lossCount)), tokensPerSecond: Double(tokens) / max(elapsed, 1e-9),
                                      elapsed: elapsed))
                        let stopping = options.stopAfterSteps.map { globalStep >= $0 } ?? false
                        if stopping || (options.saveEverySteps > 0 && globalStep % options.saveEverySteps == 0 && b < all.count) {
                            try writeLast(last, epoch: epoch, batch: b, step: globalStep, phase: phase.name, context: context, optimizer: optimizer,
                                          history: history, bestF1: bestF1, bestEpoch: bestEpoch, config: savedConfig,
                                          partial: (lossSum, lossCount, tokens))
                        }
                        if stopping {
                            onEvent(.stopped(step: globalStep))
                            return TrainingSummary(history: history, bestEpoch: bestEpoch, bestF1: bestF1, interrupted: true, steps: globalStep)
                        }
                    }
                }
                let seconds = Date().timeIntervalSince(t0)
                var f1: Double? = nil
                if let dev {
                    let predicted = model.predict(dev.words, batchSize: options.batchSize * 2)
                    f1 = try SpanEvaluation.evaluate(gold: dev.tags, predicted: predicted).micro.f1
                }
                let record = EpochRecord(epoch: epoch + 1, phase: phase.name, loss: lossSum / Double(max(1, lossCount)), devF1: f1,
                                         tokensPerSecond: Double(tokens) / max(seconds, 1e-9), seconds: seconds)
                history.append(record)
                // Best = highest dev F1 (the last epoch when there is no dev set).
                let improved = dev == nil || (f1 ?? 0) > (bestF1 ?? -1)
                if improved {
                    bestF1 = f1; bestEpoch = epoch + 1
                    try Checkpoint.write(to: best, files: ["weights.safetensors": model.savedParameters().map { ($0.name, $0.variable.value) }],
                                         state: ["epoch": epoch + 1, "dev_f1": f1 ?? NSNull(), "phase": phase.name])
                }
                onEvent(.epochEnd(epoch: epoch + 1, loss: record.loss, devF1: f1, best: improved, seconds: seconds))
                try writeLast(last, epoch: epoch + 1, batch: 0, step: globalStep, phase: phase.name, context: context, optimizer: optimizer,
                              history: history, bestF1: bestF1, bestEpoch: bestEpoch, config: savedConfig)
            }
            startEpoch = phase.epochs.upperBound
            startBatch = 0
        }
        return TrainingSummary(history: history, bestEpoch: bestEpoch, bestF1: bestF1, interrupted: false, steps: globalStep)
    }

    func writeLast(_ dir: String, epoch: Int, batch: Int, step: Int, phase: String, context: ForwardContext, optimizer: AdamW,
                   history: [EpochRecord], bestF1: Double?, bestEpoch: Int?, config: Data,
                   partial: (Double, Int, Int) = (0, 0, 0)) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let h = String(decoding: try enc.encode(history), as: UTF8.self)
        var state: [String: Any] = ["epoch": epoch, "batch": batch, "step": step, "phase": phase, "optimizer_step": optimizer.step,
                                    "generator": context.generator.state.map(String.init),
                                    "history": h, "tagger": String(decoding: config, as: UTF8.self)]
        state["epoch_loss_sum"] = partial.0
        state["epoch_loss_count"] = partial.1
        state["epoch_tokens"] = partial.2
        if let bestF1 { state["best_f1"] = bestF1 }
        if let bestEpoch { state["best_epoch"] = bestEpoch }
        try Checkpoint.write(to: dir, files: [
            "weights.safetensors": model.savedParameters().map { ($0.name, $0.variable.value) },
            "optimizer.safetensors": optimizer.stateTensors(),
        ], state: state)
    }
}
