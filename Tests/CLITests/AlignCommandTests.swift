// `crosstalk align`, `align eval`, `project` and `project eval` as a user runs them: AER on
// hand-made links, Pharaoh output on real weights (e5-small-enpt), projection onto text and CoNLL
// targets, span F1 of the projection, and one-line errors with a non-zero exit for bad input
// (malformed links, indices past the sentence, files that do not line up, empty target sentences).
import Foundation
import XCTest

final class AlignCommandTests: XCTestCase {
    /// The commands must be registered in Crosstalk.swift (a failure, never a skip).
    func requireCommands() throws {
        let r = try CLI.run(["--help"])
        XCTAssertTrue(r.stdoutText.contains("align") && r.stdoutText.contains("project"), "align/project not registered: \(r.stdoutText)")
    }

    func requireModel() throws { try CLI.requireModel("e5-small-enpt") }

    func write(_ text: String, _ name: String, in dir: URL) throws -> String { try CLI.write(text, name, in: dir) }

    // MARK: align eval

    func testAlignEvalKnownValues() throws {
        try requireCommands()
        let dir = try CLI.tempDir()
        // Gold (1-based): S = {0-0, 1-1}, P adds 1-2; predicted (0-based) {0-0, 1-2, 2-2}:
        // precision 2/3, recall 1/2, AER 0.4; second sentence: 1 of 1.
        let gold = try write("1-1 2-2 2p3\n1-1\n", "g.gold", in: dir)
        let pred = try write("0-0 1-2 2-2\n0-0\n", "p.align", in: dir)
        let r = try CLI.run(["align", "eval", "--gold", gold, "--pred", pred])
        XCTAssertEqual(r.status, 0, r.stderr)
        // |A| 4, |S| 3, |A∩S| 2, |A∩P| 3: AER 1 − 5/7, precision 3/4, recall 2/3.
        XCTAssertEqual(r.stdoutText, """
            AER         28.57%
            precision   75.00%
            recall      66.67%
            links      predicted 4, sure 3, predicted∩sure 2, predicted∩possible 3, sentences 2

            """)
        let j = try CLI.run(["align", "eval", "--gold", gold, "--pred", pred, "--format", "json"])
        XCTAssertEqual(j.status, 0, j.stderr)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: j.stdout) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(obj["aer"] as? Double), 2.0 / 7, accuracy: 1e-6)
        XCTAssertEqual(obj["predicted"] as? Int, 4)
    }

    func testAlignEvalErrors() throws {
        try requireCommands()
        let dir = try CLI.tempDir()
        let pairs = try write("a b ||| x y\nc ||| z\n", "p.src-tgt", in: dir)
        let gold = try write("1-1 2-2\n1-1\n", "g.gold", in: dir)
        let badLink = try write("0-0 1_1\n0-0\n", "bad.align", in: dir)
        assertOneLineError(try CLI.run(["align", "eval", "--gold", gold, "--pred", badLink]),
                           contains: ["bad.align:1:", "'1_1'", "Pharaoh"])
        let short = try write("0-0\n", "short.align", in: dir)
        assertOneLineError(try CLI.run(["align", "eval", "--gold", gold, "--pred", short]),
                           contains: ["short.align: found 1 lines; expected 2", "g.gold"])
        let beyond = try write("0-0 1-1\n0-3\n", "beyond.align", in: dir)
        assertOneLineError(try CLI.run(["align", "eval", "--gold", gold, "--pred", beyond, "--pairs", pairs]),
                           contains: ["beyond.align:2:", "target index 3", "0-based", "1 words"])
        let goldBeyond = try write("1-1 3-2\n1-1\n", "g2.gold", in: dir)
        assertOneLineError(try CLI.run(["align", "eval", "--gold", goldBeyond, "--pred", short, "--pairs", pairs]),
                           contains: ["g2.gold:1:", "source index 3", "1-based"])
    }

    // MARK: align (real weights)

    func testAlignWritesZeroBasedPharaoh() throws {
        try requireCommands()
        try requireModel()
        let dir = try CLI.tempDir()
        let pairs = try write("2 . ||| 2 .\nthe house is small . ||| a casa é pequena .\n", "p.src-tgt", in: dir)
        let out = dir.appendingPathComponent("out.align").path
        for method in ["argmax", "itermax", "softmax"] {
            let r = try CLI.run(["align", "--model", "e5-small-enpt", "--input", pairs, "--method", method, "--threads", "2", "-o", out])
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines.count, 3, "two lines and a final newline")
            XCTAssertEqual(lines[0], "0-0 1-1", method)
            let links = lines[1].split(separator: " ").map { $0.split(separator: "-").map { Int($0)! } }
            XCTAssertTrue(links.allSatisfy { $0[0] < 5 && $0[1] < 5 }, "\(method): \(lines[1])")
            XCTAssertTrue(links.contains([1, 1]) && links.contains([4, 4]), "\(method): casa/house and ./. expected in \(lines[1])")
        }
        // The file the aligner wrote scores against 1-based gold (identity links here).
        let gold = try write("1-1 2-2\n1-1 2-2 3-3 4-4 5-5\n", "g.gold", in: dir)
        let e = try CLI.run(["align", "eval", "--gold", gold, "--pred", out, "--pairs", pairs])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdoutText.hasPrefix("AER"), e.stdoutText)
        // A bad layer and a missing separator are one-line errors.
        assertOneLineError(try CLI.run(["align", "--model", "e5-small-enpt", "--input", pairs, "--layer", "13", "-o", out]),
                           contains: ["layer", "13", "0…12"])
        let bad = try write("no separator here\n", "bad.src-tgt", in: dir)
        assertOneLineError(try CLI.run(["align", "--model", "e5-small-enpt", "--input", bad, "-o", out]),
                           contains: ["bad.src-tgt:1:", "|||"])
    }

    // MARK: project

    func testProjectOntoTextAndCoNLLAndEval() throws {
        try requireCommands()
        try requireModel()
        let dir = try CLI.tempDir()
        let source = try write("""
            John\tB-PER
            Smith\tI-PER
            lives\tO
            in\tO
            Lisbon\tB-LOC
            .\tO

            The\tO
            European\tB-ORG
            Commission\tI-ORG
            met\tO
            .\tO

            """, "en.conll", in: dir)
        let targetText = try write("John Smith vive em Lisboa .\nA Comissão Europeia reuniu-se .\n", "pt.txt", in: dir)
        let goldTarget = try write("""
            John\tB-PER
            Smith\tI-PER
            vive\tO
            em\tO
            Lisboa\tB-LOC
            .\tO

            A\tO
            Comissão\tB-ORG
            Europeia\tI-ORG
            reuniu-se\tO
            .\tO

            """, "pt.conll", in: dir)
        let out = dir.appendingPathComponent("out.conll").path, report = dir.appendingPathComponent("r.md").path
        for target in [targetText, goldTarget] {
            let r = try CLI.run(["project", "--source", source, "--target", target, "--method", "align", "--model", "e5-small-enpt",
                                 "--threads", "2", "-o", out, "--report", report])
            XCTAssertEqual(r.status, 0, r.stderr)
            let written = try String(contentsOfFile: out, encoding: .utf8)
            XCTAssertTrue(written.hasPrefix("John\t"), written)
            let e = try CLI.run(["project", "eval", "--gold", goldTarget, "--pred", out])
            XCTAssertEqual(e.status, 0, e.stderr)
            XCTAssertTrue(e.stdoutText.contains("micro avg"), e.stdoutText)
            XCTAssertTrue(e.stdoutText.contains("PER       1.00      1.00      1.00         1"), e.stdoutText)
            let md = try String(contentsOfFile: report, encoding: .utf8)
            XCTAssertTrue(md.contains("| source spans | 3 |"), md)
        }
        // Bad input: sentence counts differ, an empty target line, an eval on files that do not line up.
        let one = try write("John Smith vive em Lisboa .\n", "one.txt", in: dir)
        assertOneLineError(try CLI.run(["project", "--source", source, "--target", one, "--model", "e5-small-enpt", "-o", out]),
                           contains: ["one.txt: found 1 sentences; expected 2", "diverge at sentence 2, which starts at \(source):8"])
        let empty = try write("John Smith vive em Lisboa .\n\n", "empty.txt", in: dir)
        assertOneLineError(try CLI.run(["project", "--source", source, "--target", empty, "--model", "e5-small-enpt", "-o", out]),
                           contains: ["empty.txt:2:", "empty sentence"])
        assertOneLineError(try CLI.run(["project", "eval", "--gold", goldTarget, "--pred", source]),
                           contains: [goldTarget, source])
    }
}
