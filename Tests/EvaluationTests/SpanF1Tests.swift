// Span F1 against python seqeval 1.2.2 and conlleval.pl (golden file from
// Scripts/golden/gen_seqeval_golden.py), hand-checked small cases, and input errors.
import Corpora
import Evaluation
import Foundation
import XCTest

final class SpanF1Tests: XCTestCase {
    // MARK: golden parity

    struct GoldenCase {
        let name: String
        let gold: [[String]], pred: [[String]]
        let seqeval: [String: Any]
        let conlleval: String?
    }

    static func sentences(_ any: Any?) -> [[String]] {
        ((any as? [String]) ?? []).map { $0.isEmpty ? [] : $0.split(separator: " ", omittingEmptySubsequences: false).map(String.init) }
    }

    func loadGolden(file: StaticString = #filePath, line: UInt = #line) throws -> (header: [String: Any], cases: [GoldenCase]) {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "seqeval_golden", withExtension: "json", subdirectory: "Resources"),
                                "seqeval_golden.json missing: run Scripts/golden/gen_seqeval_golden.py", file: file, line: line)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let header = try XCTUnwrap(root["header"] as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]]).map { c in
            GoldenCase(name: c["name"] as? String ?? "?", gold: Self.sentences(c["gold"]), pred: Self.sentences(c["pred"]),
                       seqeval: c["seqeval"] as? [String: Any] ?? [:], conlleval: c["conlleval"] as? String)
        }
        return (header, cases)
    }

    /// [precision, recall, f1, support] with null (seqeval's NaN) read as nil.
    func quad(_ any: Any?) -> (p: Double?, r: Double?, f: Double?, support: Int)? {
        guard let a = any as? [Any], a.count == 4 else { return nil }
        func d(_ x: Any) -> Double? { (x as? NSNumber)?.doubleValue }
        return (d(a[0]), d(a[1]), d(a[2]), (a[3] as? NSNumber)?.intValue ?? -1)
    }

    func assertClose(_ mine: SpanScores, _ ref: (p: Double?, r: Double?, f: Double?, support: Int)?, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let ref else { return XCTFail("\(what): golden entry missing", file: file, line: line) }
        // seqeval gives NaN for the macro mean over no type at all; SpanReport documents 0 instead.
        for (name, m, r) in [("precision", mine.precision, ref.p), ("recall", mine.recall, ref.r), ("f1", mine.f1, ref.f)] {
            let expected = r ?? 0
            XCTAssertLessThanOrEqual(abs(m - expected), 1e-9, "\(what) \(name): \(m) vs seqeval \(expected)", file: file, line: line)
        }
        XCTAssertEqual(mine.support, ref.support, "\(what) support", file: file, line: line)
    }

    func testGoldenHeaderRecordsVersions() throws {
        let (header, cases) = try loadGolden()
        XCTAssertEqual(header["seqeval"] as? String, "1.2.2")
        XCTAssertNotNil(header["numpy"] as? String)
        XCTAssertNotNil(header["python"] as? String)
        XCTAssertGreaterThanOrEqual(cases.count, 200)
        let conlleval = try XCTUnwrap(header["conlleval"] as? [String: Any])
        XCTAssertNotNil(conlleval["reference"] as? String, "golden was generated without conlleval.pl: \(conlleval)")
    }

    func testSeqevalParityOnEveryGoldenCase() throws {
        let (_, cases) = try loadGolden()
        var reports = 0
        for c in cases {
            let r = try SpanEvaluation.evaluate(gold: c.gold, predicted: c.pred)
            let types = c.seqeval["types"] as? [String] ?? []
            XCTAssertEqual(r.types, types, c.name)
            let perType = c.seqeval["per_type"] as? [String: Any] ?? [:]
            for t in types {
                guard let mine = r.perType[t] else { XCTFail("\(c.name): type \(t) missing"); continue }
                assertClose(mine, quad(perType[t]), "\(c.name) \(t)")
            }
            assertClose(r.micro, quad(c.seqeval["micro"]), "\(c.name) micro")
            assertClose(r.macro, quad(c.seqeval["macro"]), "\(c.name) macro")
            assertClose(r.weighted, quad(c.seqeval["weighted"]), "\(c.name) weighted")
            if let report = c.seqeval["report"] as? String {
                XCTAssertEqual(r.text(), report, c.name)
                reports += 1
            }
        }
        XCTAssertGreaterThanOrEqual(reports, 40, "classification_report texts compared")
    }

    func testConllevalParityOnEveryGoldenCase() throws {
        let (_, cases) = try loadGolden()
        var compared = 0
        for c in cases {
            guard let reference = c.conlleval else { continue }
            let r = try SpanEvaluation.conlleval(gold: c.gold, predicted: c.pred)
            XCTAssertEqual(r.text(), reference, c.name)
            compared += 1
        }
        XCTAssertEqual(compared, cases.count, "every golden case carries conlleval.pl's output")
    }

    /// On IOB2 input conlleval and seqeval count the same phrases.
    func testConllevalAndSeqevalAgreeOnCountsForBIO() throws {
        let (_, cases) = try loadGolden()
        for c in cases where !c.name.hasPrefix("iobes") && c.name != "bare-prefixes" {
            let s = try SpanEvaluation.evaluate(gold: c.gold, predicted: c.pred)
            let k = try SpanEvaluation.conlleval(gold: c.gold, predicted: c.pred)
            let total = s.counts.values.reduce(into: SpanCounts(gold: 0, predicted: 0, correct: 0)) {
                $0.gold += $1.gold; $0.predicted += $1.predicted; $0.correct += $1.correct
            }
            XCTAssertEqual(k.overall, total, c.name)
            XCTAssertEqual(k.types, s.types, c.name)
            for t in s.types { XCTAssertEqual(k.perType[t], s.counts[t], "\(c.name) \(t)") }
        }
    }

    // MARK: hand-checked

    func testSeqevalDocstringExample() throws {
        let gold = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
        let pred = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
        let r = try SpanEvaluation.evaluate(gold: gold, predicted: pred)
        XCTAssertEqual(r.types, ["MISC", "PER"])
        XCTAssertEqual(r.perType["MISC"], SpanScores(precision: 0, recall: 0, f1: 0, support: 1))
        XCTAssertEqual(r.perType["PER"], SpanScores(precision: 1, recall: 1, f1: 1, support: 1))
        XCTAssertEqual(r.micro, SpanScores(precision: 0.5, recall: 0.5, f1: 0.5, support: 2))
        XCTAssertEqual(r.macro, SpanScores(precision: 0.5, recall: 0.5, f1: 0.5, support: 2))
        XCTAssertEqual(r.json(), #"{"micro": {"precision": 0.5, "recall": 0.5, "f1": 0.5}, "macro": {"precision": 0.5, "recall": 0.5, "f1": 0.5}, "per_type": {"MISC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}, "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}}}"#)
        XCTAssertEqual(r.text(), """
                          precision    recall  f1-score   support

                    MISC       0.00      0.00      0.00         1
                     PER       1.00      1.00      1.00         1

               micro avg       0.50      0.50      0.50         2
               macro avg       0.50      0.50      0.50         2
            weighted avg       0.50      0.50      0.50         2

            """)
    }

    func testIllegalIStartsASpanAsInSeqevalAndConlleval() throws {
        // I-PER I-PER is one PER span; I-LOC after B-PER starts a LOC span.
        let r = try SpanEvaluation.evaluate(gold: [["I-PER", "I-PER", "O", "B-PER", "I-LOC"]],
                                            predicted: [["B-PER", "I-PER", "O", "B-PER", "B-LOC"]])
        XCTAssertEqual(r.counts["PER"], SpanCounts(gold: 2, predicted: 2, correct: 2))
        XCTAssertEqual(r.counts["LOC"], SpanCounts(gold: 1, predicted: 1, correct: 1))
        XCTAssertEqual(r.micro.f1, 1)
    }

    func testAdjacentSpansAndPartialMatches() throws {
        // gold: PER[0], PER[1..2], ORG[4..5]; pred: PER[0..2], ORG[4], ORG[5].
        let r = try SpanEvaluation.evaluate(gold: [["B-PER", "B-PER", "I-PER", "O", "B-ORG", "I-ORG"]],
                                            predicted: [["B-PER", "I-PER", "I-PER", "O", "B-ORG", "B-ORG"]])
        XCTAssertEqual(r.counts["PER"], SpanCounts(gold: 2, predicted: 1, correct: 0))
        XCTAssertEqual(r.counts["ORG"], SpanCounts(gold: 1, predicted: 2, correct: 0))
        XCTAssertEqual(r.micro, SpanScores(precision: 0, recall: 0, f1: 0, support: 3))
    }

    func testMicroMacroWeightedByHand() throws {
        // PER: gold 3, pred 2, correct 2 → P 1, R 2/3, F 0.8. LOC: gold 1, pred 2, correct 1 → P 0.5, R 1, F 2/3.
        let gold = [["B-PER", "O", "B-PER", "O", "B-PER", "B-LOC"]]
        let pred = [["B-PER", "O", "B-PER", "O", "B-LOC", "B-LOC"]]
        let r = try SpanEvaluation.evaluate(gold: gold, predicted: pred)
        XCTAssertEqual(r.counts["PER"], SpanCounts(gold: 3, predicted: 2, correct: 2))
        XCTAssertEqual(r.counts["LOC"], SpanCounts(gold: 1, predicted: 2, correct: 1))
        XCTAssertEqual(r.micro.precision, 0.75, accuracy: 1e-15)
        XCTAssertEqual(r.micro.recall, 0.75, accuracy: 1e-15)
        XCTAssertEqual(r.macro.precision, 0.75, accuracy: 1e-15)
        XCTAssertEqual(r.macro.recall, (2.0 / 3 + 1) / 2, accuracy: 1e-15)
        XCTAssertEqual(r.macro.f1, (0.8 + 2.0 / 3) / 2, accuracy: 1e-15)
        XCTAssertEqual(r.weighted.precision, (1 * 3 + 0.5 * 1) / 4, accuracy: 1e-15)
        XCTAssertEqual(r.weighted.f1, (0.8 * 3 + 2.0 / 3 * 1) / 4, accuracy: 1e-15)
    }

    func testZeroDivisionGivesZero() throws {
        // Type only predicted: recall 0/0 → 0; type only in gold: precision 0/0 → 0.
        let r = try SpanEvaluation.evaluate(gold: [["B-PER", "O"]], predicted: [["O", "B-LOC"]])
        XCTAssertEqual(r.perType["LOC"], SpanScores(precision: 0, recall: 0, f1: 0, support: 0))
        XCTAssertEqual(r.perType["PER"], SpanScores(precision: 0, recall: 0, f1: 0, support: 1))
        // No entity anywhere: everything 0 (seqeval's macro would be NaN), no type rows, valid JSON.
        for (gold, pred) in [([[String]](), [[String]]()), ([["O", "O"]], [["O", "O"]])] {
            let empty = try SpanEvaluation.evaluate(gold: gold, predicted: pred)
            XCTAssertEqual(empty.types, [])
            for s in [empty.micro, empty.macro, empty.weighted] { XCTAssertEqual(s, SpanScores(precision: 0, recall: 0, f1: 0, support: 0)) }
            XCTAssertEqual(empty.json(), #"{"micro": {"precision": 0.0, "recall": 0.0, "f1": 0.0}, "macro": {"precision": 0.0, "recall": 0.0, "f1": 0.0}, "per_type": {}}"#)
            XCTAssertTrue(empty.text().hasPrefix("              precision    recall  f1-score   support\n\n\n   micro avg"), empty.text())
        }
    }

    func testJSONIsValidWithExactlyTheSpecifiedKeys() throws {
        let r = try SpanEvaluation.evaluate(gold: [["B-PER", "I-PER", "O", "B-\"Q\\"]], predicted: [["B-PER", "O", "O", "B-\"Q\\"]])
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.json().utf8)) as? [String: Any])
        XCTAssertEqual(Set(obj.keys), ["micro", "macro", "per_type"])
        XCTAssertEqual(Set((obj["micro"] as? [String: Any])?.keys ?? [:].keys), ["precision", "recall", "f1"])
        let perType = try XCTUnwrap(obj["per_type"] as? [String: [String: Any]])
        XCTAssertEqual(Set(perType.keys), ["PER", "\"Q\\"])
        XCTAssertEqual(Set(perType["PER"]?.keys ?? [:].keys), ["precision", "recall", "f1", "support"])
        XCTAssertEqual((perType["PER"]?["recall"] as? NSNumber)?.doubleValue, 0)
        XCTAssertEqual((perType["PER"]?["support"] as? NSNumber)?.intValue, 1)
    }

    func testConllevalTextByHand() throws {
        let r = try SpanEvaluation.conlleval(gold: [["B-PER", "I-PER", "O"], ["B-ORG"]], predicted: [["B-PER", "I-PER", "B-LOC"], ["O"]])
        XCTAssertEqual(r.tokens, 4)
        XCTAssertEqual(r.correctTags, 2)
        XCTAssertEqual(r.overall, SpanCounts(gold: 2, predicted: 2, correct: 1))
        XCTAssertEqual(r.text(), """
            processed 4 tokens with 2 phrases; found: 2 phrases; correct: 1.
            accuracy:  50.00%; precision:  50.00%; recall:  50.00%; FB1:  50.00
                          LOC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
                          ORG: precision:   0.00%; recall:   0.00%; FB1:   0.00  0
                          PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1

            """)
        XCTAssertEqual(try SpanEvaluation.conlleval(gold: [], predicted: []).text(),
                       "processed 0 tokens with 0 phrases; found: 0 phrases; correct: 0.\n")
    }

    // MARK: errors

    func testMismatchedInputsThrowNamingSentenceAndLengths() {
        XCTAssertThrowsError(try SpanEvaluation.evaluate(gold: [["O"], ["O"]], predicted: [["O"]])) {
            XCTAssertEqual($0 as? SpanEvaluationError, .sentenceCount(gold: 2, predicted: 1))
            XCTAssertEqual("\($0)", "prediction: found 1 sentences; expected 2, as in the gold data")
        }
        XCTAssertThrowsError(try SpanEvaluation.evaluate(gold: [["O"], ["O", "B-X", "O"]], predicted: [["O"], ["O", "B-X"]])) {
            XCTAssertEqual($0 as? SpanEvaluationError, .tagCount(sentence: 2, gold: 3, predicted: 2))
            XCTAssertEqual("\($0)", "prediction: sentence 2 has 2 tags; expected 3, as in the gold data")
        }
        XCTAssertThrowsError(try SpanEvaluation.conlleval(gold: [["O", "O"]], predicted: [["O"]])) {
            XCTAssertEqual($0 as? SpanEvaluationError, .tagCount(sentence: 1, gold: 2, predicted: 1))
        }
        XCTAssertThrowsError(try SpanEvaluation.evaluate(gold: [["O", ""]], predicted: [["O", "O"]])) {
            XCTAssertEqual("\($0)", "gold: sentence 1, tag 2 is empty; expected O, B-TYPE or I-TYPE")
        }
    }

    func testCheckAlignedNamesBothFilesAndLines() throws {
        let gold = try CoNLLReader.parse(bytes: Array("a O\nb B-X\n\nc O\nd O\n".utf8), name: "g.conll")
        let same = try CoNLLReader.parse(bytes: Array("a B-X\nb B-X\n\n\nc O\nd O\n".utf8), name: "p.conll")
        XCTAssertNoThrow(try SpanEvaluation.checkAligned(gold: gold, goldFile: "g.conll", predicted: same, predictedFile: "p.conll"))

        let differs = try CoNLLReader.parse(bytes: Array("a O\nb B-X\n\n\nc O\nD O\n".utf8), name: "p.conll")
        XCTAssertThrowsError(try SpanEvaluation.checkAligned(gold: gold, goldFile: "g.conll", predicted: differs, predictedFile: "p.conll")) {
            XCTAssertEqual("\($0)", "p.conll:6: found token 'D'; expected 'd', as in g.conll:5")
        }
        let shorter = try CoNLLReader.parse(bytes: Array("a O\nb B-X\n\nc O\n".utf8), name: "p.conll")
        XCTAssertThrowsError(try SpanEvaluation.checkAligned(gold: gold, goldFile: "g.conll", predicted: shorter, predictedFile: "p.conll")) {
            XCTAssertEqual("\($0)", "p.conll:4: found a sentence of 1 tokens; expected 2 tokens, as in g.conll:4")
        }
        let fewer = try CoNLLReader.parse(bytes: Array("a O\nb B-X\n".utf8), name: "p.conll")
        XCTAssertThrowsError(try SpanEvaluation.checkAligned(gold: gold, goldFile: "g.conll", predicted: fewer, predictedFile: "p.conll")) {
            XCTAssertEqual("\($0)", "p.conll: found 1 sentences; expected 2, as in g.conll")
        }
    }
}
