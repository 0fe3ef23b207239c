// `crosstalk align …`: word alignment from e5 contextual embeddings
// (SimAlign/awesome-align-style) and its AER against gold links; the options shared with
// `project` (ProjectCommands.swift). Thin commands over Projection (ContextualWordEmbedder,
// WordAligner, AlignmentFiles, AER, AlignmentProjection), Corpora (CoNLL) and Evaluation (span F1).
// Registered as the top-level groups `AlignCommand` and `ProjectCommand` in Crosstalk.swift.
import ArgumentParser
import Corpora
import Evaluation
import Foundation
import Models
import Projection

extension AlignmentMethod: ExpressibleByArgument {}
extension AlignmentLevel: ExpressibleByArgument {}

/// Options shared by `align` and `project`: the encoder, its layer and the run's resources.
struct AlignerOptions: ParsableArguments {
    @Option(help: "An installed model name (crosstalk models list) or a Hugging Face model directory.")
    var model: String = "e5-small"
    @Option(help: "Hidden layer (0 = embeddings, N = last; default 7/12 of the depth: 7 for e5-small).")
    var layer: Int?
    @Option(help: "subword: pieces aligned, a word pair linked if any pieces are | word: mean-pooled word vectors (default: subword for align, word for project).")
    var level: AlignmentLevel?
    @Option(help: "softmax: probability both ways must exceed this.")
    var softmaxThreshold: Float = 1e-3
    @Option(help: "Sentences (windows) per forward pass.")
    var batchSize: Int = 16
    @Option(help: "Worker threads (one BLAS thread each).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if !(softmaxThreshold > 0 && softmaxThreshold < 1) { throw ValidationError("--softmax-threshold must be in (0, 1)") }
    }

    func embedder() throws -> ContextualWordEmbedder {
        try ContextualWordEmbedder(embedder: Embedder(model: model), layer: layer)
    }
}

// MARK: align

struct AlignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "align",
        abstract: "Word alignment from contextual embeddings (SimAlign argmax/itermax, awesome-align softmax), and its AER.",
        subcommands: [AlignRun.self, AlignEval.self],
        defaultSubcommand: AlignRun.self)
}

struct AlignRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Align the words of each `source ||| target` line; writes Pharaoh links `i-j`, 0-based (as fast_align and awesome-align do).",
        discussion: """
            Input: one sentence pair per line, `source words ||| target words`, pre-tokenised (split on spaces). \
            Each sentence is encoded on its own; each word on its own into pieces. argmax: mutual best match; \
            itermax: SimAlign's IterMax (2 rounds, α = 0.9); softmax: awesome-align's bidirectional softmax over \
            dot products with a threshold. Defaults (subword argmax, layer 7 of 12) have the lowest mean AER on \
            align_gold with e5-small. `crosstalk align --input …` runs this verb.
            """)

    @OptionGroup var options: AlignerOptions
    @Option(help: "Sentence pairs, `source ||| target` per line.") var input: String
    @Option(help: "argmax | itermax | softmax") var method: AlignmentMethod = .argmax
    @Option(name: [.short, .customLong("output")], help: "Output links, one line per pair (default: standard output).") var output: String?

    func run() throws {
        let pairs = try AlignmentFiles.readPairs(path: input)
        guard !pairs.isEmpty else { throw CLIError("\(input): no sentence pairs") }
        let embedder = try options.embedder()
        let aligner = WordAligner(method: method, level: options.level ?? .subword, softmaxThreshold: options.softmaxThreshold)
        let progress = Progress("align", total: 2 * pairs.count)
        let links = aligner.align(pairs, embedder: embedder, batchSize: options.batchSize, workers: options.threads) {
            progress.advance(by: $0)
        }
        try withOutput(output) { $0.write(AlignmentFiles.pharaoh(links)) }
    }
}

enum ScoreFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct AlignEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "AER, precision and recall of predicted links against gold sure/possible links (Och & Ney 2003).",
        discussion: """
            Gold: `i-j` (sure) and `ipj` (possible), 1-based by default (align_gold, lilt/alignment-scripts). \
            Predictions: Pharaoh `i-j`, 0-based by default (what `crosstalk align`, fast_align and awesome-align write). \
            Counts are summed over all sentences (awesome-align tools/aer.py). With --pairs, every index is checked \
            against its sentence.
            """)

    @Option(help: "Gold links, one line per sentence pair.") var gold: String
    @Option(help: "Predicted links, one line per sentence pair.") var pred: String
    @Option(help: "The `source ||| target` file both refer to (checks line counts and indices).") var pairs: String?
    @Option(help: "Index base of the gold file (0 or 1).") var goldBase: Int = 1
    @Option(help: "Index base of the prediction file (0 or 1).") var predBase: Int = 0
    @Option(help: "text | json") var format: ScoreFormat = .text

    func validate() throws {
        guard [0, 1].contains(goldBase), [0, 1].contains(predBase) else { throw ValidationError("--gold-base and --pred-base must be 0 or 1") }
    }

    func run() throws {
        let sentences = try pairs.map { try AlignmentFiles.readPairs(path: $0) }
        let g = try AlignmentFiles.readGold(path: gold, base: goldBase, pairs: sentences, pairsFile: pairs)
        let p = try AlignmentFiles.readPharaoh(path: pred, base: predBase, pairs: sentences, pairsFile: pairs)
        guard g.count == p.count else {
            throw AlignmentFileError.lineCount(file: pred, found: p.count, otherFile: gold, expected: g.count)
        }
        let s = AER.score(gold: g, predicted: p)
        let out: String
        switch format {
        case .text:
            out = String(format: "AER        %6.2f%%\nprecision  %6.2f%%\nrecall     %6.2f%%\n", 100 * s.aer, 100 * s.precision, 100 * s.recall)
                + "links      predicted \(s.predicted), sure \(s.sure), predicted∩sure \(s.predictedSure), predicted∩possible \(s.predictedPossible), sentences \(g.count)\n"
        case .json:
            out = String(format: #"{"aer": %.6f, "precision": %.6f, "recall": %.6f, "#, s.aer, s.precision, s.recall)
                + #""predicted": \#(s.predicted), "sure": \#(s.sure), "predicted_sure": \#(s.predictedSure), "predicted_possible": \#(s.predictedPossible), "sentences": \#(g.count)}"# + "\n"
        }
        try withOutput(nil) { $0.write(out) }
    }
}

