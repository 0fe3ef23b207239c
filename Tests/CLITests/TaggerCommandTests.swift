// `crosstalk tagger train / predict / eval-transfer` as a user runs them, on e5-small-enpt and a
// small corpus written for these tests: a run directory with tagger.json, best/, last/ and
// history.json; predictions that keep the tokens and form valid BIO; an interrupted and resumed
// run that ends with the same bytes as an uninterrupted one; and every kind of bad input
// (malformed CoNLL, a tag outside BIO, an empty file, train/dev label sets that differ, resuming
// another model's run) answered with one line, a non-zero exit and nothing half-written.
import Foundation
import XCTest

final class TaggerCommandTests: XCTestCase {
    /// 24 short sentences written for these tests (CC0), PER / LOC / ORG in IOB2.
    static let sentences: [[(String, String)]] = {
        let people = [["Ana", "Torres"], ["Jan", "de", "Vries"], ["Amina", "Okafor"], ["Luis"], ["Marta", "Ruiz"], ["Kofi"]]
        let places = [["Madrid"], ["Buenos", "Aires"], ["Lagos"], ["Utrecht"], ["Nairobi"], ["Sevilla"]]
        let orgs = [["Banco", "Central"], ["Naciones", "Unidas"], ["Cruz", "Roja"], ["Universidad", "de", "Lima"]]
        var out: [[(String, String)]] = []
        func span(_ words: [String], _ type: String) -> [(String, String)] {
            words.enumerated().map { ($1, ($0 == 0 ? "B-" : "I-") + type) }
        }
        for i in 0..<24 {
            let p = people[i % people.count], l = places[(i * 5) % places.count], o = orgs[(i * 3) % orgs.count]
            switch i % 3 {
            case 0: out.append(span(p, "PER") + [("vive", "O"), ("en", "O")] + span(l, "LOC") + [(".", "O")])
            case 1: out.append([("La", "O")] + span(o, "ORG") + [("abrió", "O"), ("una", "O"), ("oficina", "O"), ("en", "O")] + span(l, "LOC") + [(".", "O")])
            default: out.append(span(p, "PER") + [("trabaja", "O"), ("para", "O"), ("la", "O")] + span(o, "ORG") + [(".", "O")])
            }
        }
        return out
    }()

    static func conll(_ s: [[(String, String)]], separator: String = " ") -> String {
        s.map { $0.map { "\($0.0)\(separator)\($0.1)" }.joined(separator: "\n") + "\n" }.joined(separator: "\n")
    }

    func requireModel() throws { try CLI.requireModel("e5-small-enpt") }

    func writeCorpus(_ dir: URL) throws -> (train: String, dev: String) {
        let train = dir.appendingPathComponent("train.conll"), dev = dir.appendingPathComponent("dev.conll")
        try Self.conll(Array(Self.sentences[0..<18])).write(to: train, atomically: true, encoding: .utf8)
        try Self.conll(Array(Self.sentences[18...]), separator: "\t").write(to: dev, atomically: true, encoding: .utf8)
        return (train.path, dev.path)
    }

    static let small = ["--batch-size", "4", "--max-length", "24", "--threads", "2", "--seed", "3"]

    func testTrainPredictAndEvalTransfer() throws {
        try requireModel()
        let dir = try CLI.tempDir()
        let (train, dev) = try writeCorpus(dir)
        let run = dir.appendingPathComponent("run").path
        let r = try CLI.run(["tagger", "train", "--train", train, "--dev", dev, "--method", "lora", "--epochs", "2", "--lr", "3e-3", "-o", run, "--model", "e5-small-enpt"] + Self.small)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdoutText.contains("best dev F1"), r.stdoutText)
        for f in ["tagger.json", "best/weights.safetensors", "best/state.json", "last/weights.safetensors",
                  "last/optimizer.safetensors", "last/state.json", "history.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/" + f), f)
        }
        let history = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/history.json"))) as! [[String: Any]]
        XCTAssertEqual(history.count, 2)
        XCTAssertLessThan(history[1]["loss"] as! Double, history[0]["loss"] as! Double, "training loss should fall")

        // Predict on a CoNLL file: same tokens, valid BIO, labels from the run.
        let out = dir.appendingPathComponent("pred.conll").path
        let p = try CLI.run(["tagger", "predict", "--model", run, "--input", dev, "-o", out, "--threads", "2"])
        XCTAssertEqual(p.status, 0, p.stderr)
        let predLines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let goldLines = try String(contentsOfFile: dev, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(predLines.filter { !$0.isEmpty }.map { $0.split(separator: "\t")[0] },
                       goldLines.filter { !$0.isEmpty }.map { $0.split(separator: "\t")[0] })
        var previous = "O"
        for l in predLines {
            guard !l.isEmpty else { previous = "O"; continue }
            let tag = String(l.split(separator: "\t")[1])
            XCTAssertTrue(["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"].contains(tag), tag)
            if tag.hasPrefix("I-") { XCTAssertEqual(previous.dropFirst(2), tag.dropFirst(2), "I- must continue a span: \(l)") }
            previous = tag
        }
        // Raw text on stdin.
        let raw = try CLI.run(["tagger", "predict", "--model", run, "--threads", "1"], stdin: Data("Ana Torres vive en Madrid.\n".utf8))
        XCTAssertEqual(raw.status, 0, raw.stderr)
        XCTAssertEqual(raw.stdoutText.split(separator: "\n").map { $0.split(separator: "\t")[0] }, ["Ana", "Torres", "vive", "en", "Madrid", "."])

        // The scores of eval on the prediction equal eval-transfer's row for the same file.
        let corpus = dir.appendingPathComponent("corpus/xx")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dev, toPath: corpus.appendingPathComponent("dev.txt").path)
        let e = try CLI.run(["tagger", "eval", "--gold", dev, "--pred", out, "--format", "json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let micro = (try JSONSerialization.jsonObject(with: e.stdout) as! [String: Any])["micro"] as! [String: Double]
        let t = try CLI.run(["tagger", "eval-transfer", "--model", run, "--data", dir.appendingPathComponent("corpus").path, "--format", "json"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let rows = (try JSONSerialization.jsonObject(with: t.stdout) as! [String: Any])["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0]["language"] as? String, "xx")
        XCTAssertEqual(rows[0]["sentences"] as? Int, 6)
        XCTAssertEqual(rows[0]["f1"] as! Double, micro["f1"]!, accuracy: 1e-12)
    }

    func testInterruptedAndResumedRunEqualsUninterrupted() throws {
        try requireModel()
        let dir = try CLI.tempDir()
        let (train, dev) = try writeCorpus(dir)
        let common = ["tagger", "train", "--train", train, "--dev", dev, "--method", "full", "--epochs", "2", "--model", "e5-small-enpt"] + Self.small
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        let ra = try CLI.run(common + ["-o", a])
        XCTAssertEqual(ra.status, 0, ra.stderr)
        // 18 sentences / batch 4 = 5 steps per epoch: stop inside the first epoch, then resume.
        let rb1 = try CLI.run(common + ["-o", b, "--stop-after-steps", "3"])
        XCTAssertEqual(rb1.status, 0, rb1.stderr)
        XCTAssertTrue(rb1.stderr.contains("stopped after step 3"), rb1.stderr)
        let rb2 = try CLI.run(common + ["-o", b, "--resume"])
        XCTAssertEqual(rb2.status, 0, rb2.stderr)
        XCTAssertTrue(rb2.stderr.contains("resumed from"), rb2.stderr)
        for f in ["last/weights.safetensors", "last/optimizer.safetensors", "best/weights.safetensors"] {
            let da = try Data(contentsOf: URL(fileURLWithPath: a + "/" + f)), db = try Data(contentsOf: URL(fileURLWithPath: b + "/" + f))
            XCTAssertEqual(da, db, "\(f) differs between the uninterrupted and the resumed run")
        }
        let ha = try String(contentsOfFile: a + "/history.json", encoding: .utf8)
        let hb = try String(contentsOfFile: b + "/history.json", encoding: .utf8)
        // Same losses and F1 (the seconds and tokens/s differ).
        func numbers(_ s: String, _ key: String) -> [String] {
            s.split(separator: "\n").filter { $0.contains("\"\(key)\"") }.map(String.init)
        }
        XCTAssertEqual(numbers(ha, "loss"), numbers(hb, "loss"))
        XCTAssertEqual(numbers(ha, "devF1"), numbers(hb, "devF1"))
    }

    func testBadInputGetsOneLineAndNoRun() throws {
        try requireModel()
        let dir = try CLI.tempDir()
        let (train, dev) = try writeCorpus(dir)
        func attempt(_ args: [String], _ fragments: [String], run name: String) throws {
            let run = dir.appendingPathComponent(name).path
            let model = args.contains("--model") ? [] : ["--model", "e5-small-enpt"]
            let r = try CLI.run(["tagger", "train"] + args + model + ["-o", run, "--epochs", "1"] + Self.small)
            assertOneLineError(r, contains: fragments)
            XCTAssertFalse(FileManager.default.fileExists(atPath: run), "\(name): a run directory was left behind")
        }
        let bad = dir.appendingPathComponent("bad.conll")
        try "Ana B-PER\nTorres I-PER extra\n".write(to: bad, atomically: true, encoding: .utf8)
        try attempt(["--train", bad.path], [bad.path + ":2"], run: "columns")
        let badTag = dir.appendingPathComponent("badtag.conll")
        try "Ana B-PER\nvive X-LOC\n".write(to: badTag, atomically: true, encoding: .utf8)
        try attempt(["--train", badTag.path], [badTag.path + ":2", "X-LOC"], run: "tag")
        let empty = dir.appendingPathComponent("empty.conll")
        try "".write(to: empty, atomically: true, encoding: .utf8)
        try attempt(["--train", empty.path], [empty.path], run: "empty")
        let otherDev = dir.appendingPathComponent("other.conll")
        try "Ana B-PER\nvive O\nen O\nMayo B-DATE\n".write(to: otherDev, atomically: true, encoding: .utf8)
        try attempt(["--train", train, "--dev", otherDev.path], [otherDev.path, "label set", "DATE"], run: "labels")
        try attempt(["--train", train, "--model", "no-such-model"], ["no-such-model"], run: "model")

        // Resuming a run with another model or method is refused and leaves the run as it was.
        let run = dir.appendingPathComponent("run").path
        XCTAssertEqual(try CLI.run(["tagger", "train", "--train", train, "--dev", dev, "-o", run, "--epochs", "1", "--model", "e5-small-enpt"] + Self.small).status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: run + "/last/weights.safetensors"))
        let r = try CLI.run(["tagger", "train", "--train", train, "--dev", dev, "-o", run, "--epochs", "1", "--resume", "--method", "lora", "--model", "e5-small-enpt"] + Self.small)
        assertOneLineError(r, contains: [run + "/tagger.json", "another"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: run + "/last/weights.safetensors")), before)
        let again = try CLI.run(["tagger", "train", "--train", train, "--dev", dev, "-o", run, "--epochs", "1", "--model", "e5-small-enpt"] + Self.small)
        assertOneLineError(again, contains: [run, "--resume"])
        // Predicting with a directory that is not a run.
        let p = try CLI.run(["tagger", "predict", "--model", dir.path], stdin: Data("x\n".utf8))
        assertOneLineError(p, contains: [dir.path + "/tagger.json"])
    }

    func testEveryRegimeTrainsAndPredicts() throws {
        try requireModel()
        let dir = try CLI.tempDir()
        let (train, dev) = try writeCorpus(dir)
        for (method, extra, phases) in [("lpft", ["--probe-epochs", "1"], ["probe", "fine-tune"]), ("head", [], ["head"]),
                                        ("molora", ["--experts", "2", "--lora-targets", "query,value"], ["molora"])] {
            let run = dir.appendingPathComponent(method).path
            let r = try CLI.run(["tagger", "train", "--train", train, "--dev", dev, "--method", method, "--epochs", "1",
                                 "--grad-accum", "2", "--schedule", "cosine", "-o", run, "--model", "e5-small-enpt"] + extra + Self.small)
            XCTAssertEqual(r.status, 0, "\(method): \(r.stderr)")
            let history = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/history.json"))) as! [[String: Any]]
            XCTAssertEqual(history.map { $0["phase"] as! String }, phases, method)
            let p = try CLI.run(["tagger", "predict", "--model", run, "--tokenized"], stdin: Data("Kofi vive en Lagos .\n".utf8))
            XCTAssertEqual(p.status, 0, "\(method): \(p.stderr)")
            XCTAssertEqual(p.stdoutText.split(separator: "\n").count, 5, p.stdoutText)
        }
        // The head-only run saved only the head; the LoRA mixture saved adapters and gates, not the encoder.
        let head = try String(decoding: Data(contentsOf: URL(fileURLWithPath: dir.appendingPathComponent("head/best/weights.safetensors").path)).prefix(4096), as: UTF8.self)
        XCTAssertTrue(head.contains("classifier.weight"))
        XCTAssertFalse(head.contains("roberta."))
        let mix = try String(decoding: Data(contentsOf: URL(fileURLWithPath: dir.appendingPathComponent("molora/best/weights.safetensors").path)).prefix(65536), as: UTF8.self)
        XCTAssertTrue(mix.contains("lora_gate.router.weight") && mix.contains("experts.1.lora_B.weight"))
        XCTAssertFalse(mix.contains("query.weight\""))
    }
}
