// `crosstalk tagger eval` as a user runs it: seqeval's report, JSON and conlleval.pl's report on
// the same files, and one-line errors for files that do not line up or are not BIO.
import Foundation
import XCTest

final class TaggerEvalCommandTests: XCTestCase {
    /// seqeval's docstring example as two CoNLL files (TAB-separated gold, space-separated prediction).
    func writeExample(_ dir: URL) throws -> (gold: String, pred: String) {
        let gold = dir.appendingPathComponent("gold.conll"), pred = dir.appendingPathComponent("pred.conll")
        let tokens = [["The", "European", "Court", "of", "Justice", "ruled", "."], ["Peter", "Blackburn", "said"]]
        let g = [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
        let p = [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
        func render(_ tags: [[String]], _ sep: String) -> String {
            zip(tokens, tags).map { s in zip(s.0, s.1).map { "\($0)\(sep)\($1)\n" }.joined() }.joined(separator: "\n")
        }
        try Data(render(g, "\t").utf8).write(to: gold)
        try Data(render(p, " ").utf8).write(to: pred)
        return (gold.path, pred.path)
    }

    func testTextReportIsSeqevalsClassificationReport() throws {
        let dir = try CLI.tempDir()
        let (gold, pred) = try writeExample(dir)
        let expected = """
                          precision    recall  f1-score   support

                    MISC       0.00      0.00      0.00         1
                     PER       1.00      1.00      1.00         1

               micro avg       0.50      0.50      0.50         2
               macro avg       0.50      0.50      0.50         2
            weighted avg       0.50      0.50      0.50         2

            """
        for args in [["--gold", gold, "--pred", pred], ["--gold", gold, "--pred", pred, "--format", "text"]] {
            let r = try CLI.run(["tagger", "eval"] + args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdoutText, expected)
            XCTAssertEqual(r.stderr, "")
        }
    }

    func testJSONReport() throws {
        let dir = try CLI.tempDir()
        let (gold, pred) = try writeExample(dir)
        let r = try CLI.run(["tagger", "eval", "--gold", gold, "--pred", pred, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutText, #"{"micro": {"precision": 0.5, "recall": 0.5, "f1": 0.5}, "macro": {"precision": 0.5, "recall": 0.5, "f1": 0.5}, "per_type": {"MISC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}, "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}}}"# + "\n")
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        XCTAssertEqual(Set(obj.keys), ["micro", "macro", "per_type"])
    }

    func testConllevalReport() throws {
        let dir = try CLI.tempDir()
        let (gold, pred) = try writeExample(dir)
        let r = try CLI.run(["tagger", "eval", "--gold", gold, "--pred", pred, "--format", "conlleval"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdoutText, """
            processed 10 tokens with 2 phrases; found: 2 phrases; correct: 1.
            accuracy:  80.00%; precision:  50.00%; recall:  50.00%; FB1:  50.00
                         MISC: precision:   0.00%; recall:   0.00%; FB1:   0.00  1
                          PER: precision: 100.00%; recall: 100.00%; FB1: 100.00  1

            """)
    }

    func testDifferentTokenNamesBothFilesAndLines() throws {
        let dir = try CLI.tempDir()
        let (gold, _) = try writeExample(dir)
        let pred = dir.appendingPathComponent("other.conll")
        try Data("The O\nEuropean O\nCourt O\nof O\nJustice O\nruled O\n.\tO\n\nPeter B-PER\nBlackburne I-PER\nsaid O\n".utf8).write(to: pred)
        let r = try CLI.run(["tagger", "eval", "--gold", gold, "--pred", pred.path])
        assertOneLineError(r, contains: ["\(pred.path):10: found token 'Blackburne'; expected 'Blackburn', as in \(gold):10"])
        XCTAssertEqual(r.stdout.count, 0)
    }

    func testMisalignedFilesAreOneLineErrors() throws {
        let dir = try CLI.tempDir()
        let (gold, _) = try writeExample(dir)
        let fewer = dir.appendingPathComponent("fewer.conll")
        try Data("The O\nEuropean O\nCourt O\nof O\nJustice O\nruled O\n. O\n".utf8).write(to: fewer)
        assertOneLineError(try CLI.run(["tagger", "eval", "--gold", gold, "--pred", fewer.path]),
                           contains: ["\(fewer.path): found 1 sentences; expected 2, as in \(gold)"])
        let shorter = dir.appendingPathComponent("shorter.conll")
        try Data("The O\nEuropean O\nCourt O\nof O\nJustice O\nruled O\n\n. O\n".utf8).write(to: shorter)
        assertOneLineError(try CLI.run(["tagger", "eval", "--gold", gold, "--pred", shorter.path]),
                           contains: ["\(shorter.path):1: found a sentence of 6 tokens; expected 7 tokens, as in \(gold):1"])
    }

    func testBadInputFilesAreOneLineErrors() throws {
        let dir = try CLI.tempDir()
        let (gold, _) = try writeExample(dir)
        let iobes = dir.appendingPathComponent("iobes.conll")
        try Data("The O\nEuropean S-MISC\n".utf8).write(to: iobes)
        assertOneLineError(try CLI.run(["tagger", "eval", "--gold", gold, "--pred", iobes.path]),
                           contains: ["\(iobes.path):2: found tag 'S-MISC'; expected O, B-TYPE or I-TYPE"])
        let empty = dir.appendingPathComponent("empty.conll")
        try Data().write(to: empty)
        assertOneLineError(try CLI.run(["tagger", "eval", "--gold", empty.path, "--pred", gold]),
                           contains: ["\(empty.path):1: found no token lines; expected at least one sentence"])
        let missing = dir.appendingPathComponent("missing.conll").path
        assertOneLineError(try CLI.run(["tagger", "eval", "--gold", gold, "--pred", missing]),
                           contains: ["\(missing): no such file"])
        let latin1 = dir.appendingPathComponent("latin1.conll")
        try Data([0x4E, 0xE9, 0x20, 0x4F, 0x0A]).write(to: latin1)
        assertOneLineError(try CLI.run(["tagger", "eval", "--gold", latin1.path, "--pred", gold]),
                           contains: ["\(latin1.path):1: invalid UTF-8 at byte 2 of the line"])
        let r = try CLI.run(["tagger", "eval", "--gold", gold, "--pred", gold, "--format", "xml"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("xml"), r.stderr)
    }

    func testRealCorpusAgainstItselfScoresOne() throws {
        let env = ProcessInfo.processInfo.environment["CROSSTALK_DATA"]
        let root = env.map { URL(fileURLWithPath: $0) } ?? CLI.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora")
        let file = root.appendingPathComponent("europarl_ner/es-europarl.s001-300.conll02").path
        guard FileManager.default.fileExists(atPath: file) else { throw XCTSkip("skipped: corpus not found") }
        let r = try CLI.run(["tagger", "eval", "--gold", file, "--pred", file, "--format", "conlleval"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdoutText.hasPrefix("processed 8436 tokens with 263 phrases; found: 263 phrases; correct: 263.\n"), r.stdoutText)
    }
}
