// `crosstalk project fit`, `project run --method tprojection`, resumable chunked output and
// `project translate` (Apertium markup) as a user runs them, on e5-small-enpt (skipped when not
// installed) and Apertium (skipped when not installed): weights written and reloaded, held-out
// F1 printed, projections scored, an interrupted run resumed to the same bytes, and one-line
// errors with nothing left behind for bad input.
import Foundation
import XCTest

final class ProjectCommandTests: XCTestCase {
    func requireModel() throws { try CLI.requireModel("e5-small-enpt") }

    func write(_ text: String, _ name: String, in dir: URL) throws -> String { try CLI.write(text, name, in: dir) }

    /// English sentences with names and their Portuguese translations, gold-tagged.
    static let english: [(String, String)] = [
        ("John Smith lives in Lisbon .", "B-PER I-PER O O B-LOC O"),
        ("The European Commission met in Brussels .", "O B-ORG I-ORG O O B-LOC O"),
        ("Maria visited Porto with Pedro .", "B-PER O B-LOC O B-PER O"),
        ("The United Nations condemned the attack .", "O B-ORG I-ORG O O O O"),
        ("Ana Costa works for Google in Madrid .", "B-PER I-PER O O B-ORG O B-LOC O"),
        ("Paris is the capital of France .", "B-LOC O O O O B-LOC O"),
    ]
    static let portuguese: [(String, String)] = [
        ("John Smith vive em Lisboa .", "B-PER I-PER O O B-LOC O"),
        ("A Comissão Europeia reuniu-se em Bruxelas .", "O B-ORG I-ORG O O B-LOC O"),
        ("Maria visitou o Porto com Pedro .", "B-PER O O B-LOC O B-PER O"),
        ("As Nações Unidas condenaram o ataque .", "O B-ORG I-ORG O O O O"),
        ("Ana Costa trabalha para a Google em Madrid .", "B-PER I-PER O O O B-ORG O B-LOC O"),
        ("Paris é a capital da França .", "B-LOC O O O O B-LOC O"),
    ]

    static func conll(_ rows: [(String, String)]) -> String {
        rows.map { words, tags in
            zip(words.split(separator: " "), tags.split(separator: " ")).map { "\($0)\t\($1)\n" }.joined() + "\n"
        }.joined()
    }

    func testFitRunResumeAndEval() throws {
        try requireModel()
        let dir = try CLI.tempDir()
        let source = try write(Self.conll(Self.english), "en.conll", in: dir)
        let gold = try write(Self.conll(Self.portuguese), "pt.conll", in: dir)
        let weights = dir.appendingPathComponent("w.json").path
        let common = ["--model", "e5-small-enpt", "--threads", "2", "--mt", "none"]
        let fit = try CLI.run(["project", "fit", "--source", source, "--target", gold, "--holdout", "2", "-o", weights] + common)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertTrue(fit.stdoutText.contains("held-out (2 folds per pair)"), fit.stdoutText)
        XCTAssertTrue(fit.stdoutText.contains("chosen threshold"), fit.stdoutText)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: weights))) as! [String: Any]
        XCTAssertEqual((json["features"] as! [String]).count, (json["weights"] as! [Double]).count)
        XCTAssertEqual(json["usedTagger"] as? Bool, false)

        // A full run, then one stopped after 2 of 6 chunks and resumed: the same bytes.
        let full = dir.appendingPathComponent("full.conll").path, report = dir.appendingPathComponent("r.md").path
        let run = try CLI.run(["project", "--source", source, "--target", gold, "--weights", weights, "-o", full,
                               "--report", report, "--chunk", "1"] + common)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(try String(contentsOfFile: report, encoding: .utf8).contains("| source spans | 13 |"))
        let eval = try CLI.run(["project", "eval", "--gold", gold, "--pred", full, "--format", "json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let scores = try JSONSerialization.jsonObject(with: eval.stdout) as! [String: Any]
        let f1 = (scores["micro"] as! [String: Double])["f1"]!
        XCTAssertGreaterThan(f1, 0.8, "names that cross unchanged must project: \(eval.stdoutText)")

        let resumed = dir.appendingPathComponent("resumed.conll").path
        let args = ["project", "--source", source, "--target", gold, "--weights", weights, "-o", resumed, "--chunk", "1"] + common
        let stopped = try CLI.run(args + ["--stop-after-chunks", "2"])
        XCTAssertNotEqual(stopped.status, 0)
        XCTAssertTrue(stopped.stderr.contains("--resume"), stopped.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: resumed))
        let parts = try FileManager.default.contentsOfDirectory(atPath: resumed + ".parts").filter { $0.hasPrefix("chunk-") }
        XCTAssertEqual(parts.sorted(), ["chunk-000000.conll", "chunk-000001.conll"])
        assertOneLineError(try CLI.run(args), contains: ["resumed.conll.parts", "--resume"])
        assertOneLineError(try CLI.run(args.map { $0 == weights ? weights : $0 } + ["--resume", "--max-ngram", "3"]),
                           contains: ["settings.txt", "other settings"])
        let finish = try CLI.run(args + ["--resume"])
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertTrue(finish.stderr.contains("2 of 6 chunks already done"), finish.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: resumed)), try Data(contentsOf: URL(fileURLWithPath: full)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: resumed + ".parts"))

        // The shipped weights need no file.
        let shipped = dir.appendingPathComponent("shipped.conll").path
        let s = try CLI.run(["project", "--source", source, "--target", gold, "-o", shipped] + common)
        XCTAssertEqual(s.status, 0, s.stderr)

        // Bad input: weights for other features, a tag column past the line, a single pair held out by pairs.
        let bad = try write(#"{"features": ["x"], "mean": [0], "scale": [1], "weights": [1], "bias": 0, "threshold": 0.5, "fittedOn": ""}"#,
                            "bad.json", in: dir)
        let out = dir.appendingPathComponent("never.conll").path
        assertOneLineError(try CLI.run(["project", "--source", source, "--target", gold, "--weights", bad, "-o", out] + common),
                           contains: ["bad.json", "expected features"])
        assertOneLineError(try CLI.run(["project", "fit", "--source", source, "--target", gold, "--tag-column", "5", "-o", out] + common),
                           contains: ["pt.conll:1:", "column 5"])
        assertOneLineError(try CLI.run(["project", "fit", "--source", source, "--target", gold, "--holdout", "pairs", "-o", out] + common),
                           contains: ["--holdout pairs needs at least two pairs"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".parts"))
    }

    func testTranslateWithMarkup() throws {
        let probe = try CLI.run(["project", "translate", "--help"])
        XCTAssertEqual(probe.status, 0, probe.stderr)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/apertium"),
              FileManager.default.fileExists(atPath: "/usr/share/apertium/modes/eng-spa.mode") else {
            throw XCTSkip("skipped: apertium with apertium-eng-spa not installed (Scripts/setup installs it)")
        }
        let dir = try CLI.tempDir()
        let source = try write(Self.conll(Self.english), "en.conll", in: dir)
        let out = dir.appendingPathComponent("es.conll").path, report = dir.appendingPathComponent("r.md").path
        let r = try CLI.run(["project", "translate", "--source", source, "--pair", "eng-spa", "-o", out, "--report", report])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(text.contains("Lisboa\tB-LOC"), text)
        XCTAssertTrue(text.contains("Bruselas\tB-LOC"), text)
        let md = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(md.contains("| source spans | 13 |"), md)
        XCTAssertTrue(md.contains("Apertium eng-spa"), md)
        assertOneLineError(try CLI.run(["project", "translate", "--source", source, "--pair", "en-xx", "-o", out + "2"]),
                           contains: ["no mode translates en into xx", "no Debian package for the pair was found"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "2"))
        // A pair Debian has but this machine lacks: the error names the package to install, as apt-cache knows it.
        if !FileManager.default.fileExists(atPath: "/usr/share/apertium/modes/eng-cat.mode") {
            let apt = Process()
            apt.executableURL = URL(fileURLWithPath: "/usr/bin/apt-cache")
            apt.arguments = ["show", "apertium-eng-cat"]
            apt.standardOutput = FileHandle.nullDevice; apt.standardError = FileHandle.nullDevice
            let known = (try? apt.run()).map { apt.waitUntilExit(); return apt.terminationStatus == 0 } ?? false
            assertOneLineError(try CLI.run(["project", "translate", "--source", source, "--pair", "en-ca", "-o", out + "2"]),
                               contains: ["no mode translates en into ca", known ? "apt-get install -y" : "no Debian package", known ? "apertium-eng-cat" : "apt-cache search"])
        }
    }

    /// Input checks that come before any model or MT is loaded: a span running on into the next sentence.
    func testSpanAcrossASentenceBoundaryIsRefused() throws {
        let dir = try CLI.tempDir()
        let source = try write("Mr\tO\nJohn\tB-PER\n\nSmith\tI-PER\nspoke\tO\n\n", "en.conll", in: dir)
        let target = try write("Herr John\nSmith sprach\n", "de.txt", in: dir)
        let out = dir.appendingPathComponent("out.conll").path
        for args in [["project", "--source", source, "--target", target, "-o", out],
                     ["project", "translate", "--source", source, "--pair", "en-es", "-o", out]] {
            assertOneLineError(try CLI.run(args), contains: ["\(source):4: sentence 2 begins with I-PER", "crosses a sentence boundary"])
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
        // The same type after an O, or another type, is a sentence-initial I- the BIO rules repair, not a crossing.
        let ok = try write("John\tB-PER\nspoke\tO\n\nSmith\tI-PER\n\n", "ok.conll", in: dir)
        let r = try CLI.run(["project", "--source", ok, "--target", try write("John sprach\n\n", "bad.txt", in: dir), "-o", out])
        XCTAssertFalse(r.stderr.contains("crosses"), r.stderr)
    }
}
