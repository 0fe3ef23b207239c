// `crosstalk tagger eval`: span-level scores of a predicted CoNLL file against a gold one, as
// seqeval 1.2.2 reports them (text table or JSON), or conlleval.pl's report. Both files must hold
// the same tokens in the same sentences. A thin command over Corpora.CoNLLReader and
// Evaluation.SpanEvaluation; registered under the `tagger` group in Crosstalk.swift.
import ArgumentParser
import Corpora
import Evaluation

enum TaggerEvalFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, conlleval
}

struct TaggerEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Span precision, recall and F1 of predicted BIO tags against gold (seqeval-compatible).",
        discussion: """
            Both files are CoNLL: token in the first column, BIO (IOB2) tag in the last, a blank line between \
            sentences. text: seqeval's classification_report; json: {"micro", "macro", "per_type"}; \
            conlleval: conlleval.pl's report.
            """)

    @Option(help: "Gold CoNLL file.")
    var gold: String
    @Option(help: "Predicted CoNLL file with the same tokens in the same order.")
    var pred: String
    @Option(help: "text | json | conlleval")
    var format: TaggerEvalFormat = .text

    func run() throws {
        let goldSentences = try CoNLLReader.read(path: gold)
        let predSentences = try CoNLLReader.read(path: pred)
        try SpanEvaluation.checkAligned(gold: goldSentences, goldFile: gold, predicted: predSentences, predictedFile: pred)
        let g = goldSentences.map(\.tags), p = predSentences.map(\.tags)
        let out: String
        switch format {
        case .text: out = try SpanEvaluation.evaluate(gold: g, predicted: p).text()
        case .json: out = try SpanEvaluation.evaluate(gold: g, predicted: p).json() + "\n"
        case .conlleval: out = try SpanEvaluation.conlleval(gold: g, predicted: p).text()
        }
        try withOutput(nil) { $0.write(out) }
    }
}
