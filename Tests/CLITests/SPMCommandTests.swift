// `crosstalk spm …` against Debian's spm_encode / spm_decode / spm_train on the same model and input.
import Foundation
import XCTest

final class SPMCommandTests: XCTestCase {
    /// Multilingual lines with the edge cases spm_encode must agree on.
    static let tricky = [
        "Crosstalk carries spans across languages.", "", "   leading and   inner   runs   ",
        "Ça déçoit? Ñandú, Ærøskøbing, Łódź.", "Съешь же ещё этих мягких французских булок.",
        "Ελληνικά γράμματα και τόνοι.", "مرحبا بالعالم العربي", "नमस्ते दुनिया, हिन्दी पाठ।",
        "机器翻译和跨语言迁移。", "日本語のテキストです。", "ภาษาไทยไม่มีช่องว่าง", "ሰላም ለዓለም።",
        "Emoji 🙂👍🏽 and 🇪🇸 flags", "ＡＢＣ１２３ full-width", "e\u{301} combining vs é", "\ttab\tseparated\t",
        "123 4567 89.5%",
    ]

    func testCorpus() throws -> Data {
        let sample = CLI.packageRoot.appendingPathComponent("corpora/demo/sample.txt")
        var text = (try? Data(contentsOf: sample)) ?? Data()
        text.append((Self.tricky.joined(separator: "\n") + "\n").data(using: .utf8)!)
        return text
    }

    var shippedModel: String { CLI.packageRoot.appendingPathComponent("tokenizers/crosstalk-multi-unigram-2k.model").path }

    func testEncodeIdsAndPiecesAreByteIdenticalToSpmEncode() throws {
        let spm = try CLI.tool("spm_encode")
        let text = try testCorpus()
        for format in ["id", "piece", "nbest_id", "nbest_piece"] {
            let ref = try CLI.runExecutable(spm, ["--model=\(shippedModel)", "--output_format=\(format)", "--nbest_size=3"], stdin: text)
            XCTAssertEqual(ref.status, 0, ref.stderr)
            var args = ["spm", "encode", "--model", shippedModel, "--output-format", format]
            if format.hasPrefix("nbest") { args += ["--nbest-size", "3"] }
            let mine = try CLI.run(args, stdin: text)
            XCTAssertEqual(mine.status, 0, mine.stderr)
            XCTAssertFalse(ref.stdout.isEmpty)
            XCTAssertEqual(mine.stdoutText, ref.stdoutText, "format \(format)")
        }
    }

    func testSamplingWithSeedMatchesSpmEncodeRandomSeed() throws {
        let spm = try CLI.tool("spm_encode")
        let text = try testCorpus()
        for (format, nbest, alpha) in [("sample_id", -1, 0.1), ("sample_piece", 8, 0.5)] {
            let ref = try CLI.runExecutable(spm, ["--model=\(shippedModel)", "--output_format=\(format)", "--nbest_size=\(nbest)",
                                                  "--alpha=\(alpha)", "--random_seed=7"], stdin: text)
            let mine = try CLI.run(["spm", "encode", "--model", shippedModel, "--output-format", format, "--nbest-size=\(nbest)",
                                    "--alpha", "\(alpha)", "--seed", "7"], stdin: text)
            XCTAssertEqual(mine.status, 0, mine.stderr)
            XCTAssertEqual(mine.stdoutText, ref.stdoutText, format)
            let again = try CLI.run(["spm", "encode", "--model", shippedModel, "--output-format", format, "--nbest-size", "\(nbest)",
                                     "--alpha", "\(alpha)", "--seed", "7"], stdin: text)
            XCTAssertEqual(again.stdout, mine.stdout, "same seed, same samples")
        }
    }

    func testThreadsDoNotChangeOutput() throws {
        var text = Data()
        let one = try testCorpus()
        for _ in 0..<200 { text.append(one) }  // enough lines to be split across workers
        let a = try CLI.run(["spm", "encode", "--model", shippedModel, "--threads", "1"], stdin: text)
        let b = try CLI.run(["spm", "encode", "--model", shippedModel, "--threads", "2"], stdin: text)
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertEqual(a.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).count,
                       String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).count)
    }

    func testDecodeMatchesSpmDecode() throws {
        let spmEncode = try CLI.tool("spm_encode"), spmDecode = try CLI.tool("spm_decode")
        let text = try testCorpus()
        for format in ["id", "piece"] {
            let encoded = try CLI.runExecutable(spmEncode, ["--model=\(shippedModel)", "--output_format=\(format)"], stdin: text)
            let ref = try CLI.runExecutable(spmDecode, ["--model=\(shippedModel)", "--input_format=\(format)"], stdin: encoded.stdout)
            let mine = try CLI.run(["spm", "decode", "--model", shippedModel, "--input-format", format], stdin: encoded.stdout)
            XCTAssertEqual(mine.status, 0, mine.stderr)
            XCTAssertEqual(mine.stdoutText, ref.stdoutText, format)
        }
        // decode(encode(x)) == normalize(x), line by line.
        let ids = try CLI.run(["spm", "encode", "--model", shippedModel], stdin: text)
        let back = try CLI.run(["spm", "decode", "--model", shippedModel], stdin: ids.stdout)
        let norm = try CLI.run(["spm", "normalize", "--model", shippedModel], stdin: text)
        XCTAssertEqual(back.stdoutText, norm.stdoutText)
    }

    func testTrainThenEncodeAgreesWithSpmEncode() throws {
        let spm = try CLI.tool("spm_encode")
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = CLI.packageRoot.appendingPathComponent("corpora/multilingual")
        let train = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasSuffix(".txt") }.sorted()
            .map { corpus.appendingPathComponent($0).path }
        XCTAssertGreaterThan(train.count, 10)
        for type in ["unigram", "bpe"] {
            let prefix = dir.appendingPathComponent("m-\(type)").path
            let r = try CLI.run(["spm", "train", "--input"] + train + ["--model-prefix", prefix, "--vocab-size", "1500",
                                 "--model-type", type, "--byte-fallback", "--user-defined-symbols", "<ent>,</ent>", "--seed", "3",
                                 "--character-coverage", "0.98"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + ".model"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: prefix + ".vocab"))
            let text = try testCorpus() + "an <ent>entity</ent> marker\n".data(using: .utf8)!
            let ref = try CLI.runExecutable(spm, ["--model=\(prefix).model", "--output_format=piece"], stdin: text)
            let mine = try CLI.run(["spm", "encode", "--model", prefix + ".model", "--output-format", "piece"], stdin: text)
            XCTAssertEqual(mine.stdoutText, ref.stdoutText, type)
            XCTAssertTrue(mine.stdoutText.contains("<ent>"), "user-defined symbol kept whole")
            let vocab = try CLI.run(["spm", "vocab", "--model", prefix + ".model"])
            XCTAssertEqual(vocab.stdoutText.split(separator: "\n").count, 1500)
        }
    }

    func testTrainingIsReproducible() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let corpus = CLI.packageRoot.appendingPathComponent("corpora/multilingual")
        let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasSuffix(".txt") }.sorted()
            .map { corpus.appendingPathComponent($0).path }
        // The prefix is recorded inside the model, so every run uses the same one.
        let prefix = dir.appendingPathComponent("m").path
        func train(seed: Int) throws -> Data {
            let r = try CLI.run(["spm", "train", "--input"] + inputs + ["--model-prefix", prefix, "--vocab-size", "1200",
                                 "--character-coverage", "0.98", "--input-sentence-size", "600", "--seed", "\(seed)"])
            XCTAssertEqual(r.status, 0, r.stderr)
            return try Data(contentsOf: URL(fileURLWithPath: prefix + ".model"))
        }
        // Sentence sampling (--input-sentence-size) included: same seed and input, same bytes.
        let first = try train(seed: 11), again = try train(seed: 11)
        XCTAssertGreaterThan(first.count, 10_000)
        XCTAssertEqual(first, again, "same seed and input, same model bytes")
    }

    // MARK: bad input

    func testMissingModel() throws {
        let r = try CLI.run(["spm", "encode", "--model", "/nonexistent/x.model"], stdin: Data("hi\n".utf8))
        assertOneLineError(r, contains: ["/nonexistent/x.model"])
        XCTAssertTrue(r.stdout.isEmpty)
    }

    func testFileThatIsNotAModel() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bogus = dir.appendingPathComponent("bogus.model")
        try Data("this is a text file, not a model\n".utf8).write(to: bogus)
        let r = try CLI.run(["spm", "encode", "--model", bogus.path], stdin: Data("hi\n".utf8))
        assertOneLineError(r, contains: ["bogus.model"])
    }

    func testInvalidUTF8NamesLineAndLeavesNoOutput() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.txt")
        try Data([0x6F, 0x6B, 0x0A, 0x61, 0x62, 0xFF, 0x63, 0x0A]).write(to: input)
        let out = dir.appendingPathComponent("out.ids")
        let r = try CLI.run(["spm", "encode", "--model", shippedModel, "--input", input.path, "-o", out.path])
        assertOneLineError(r, contains: ["in.txt:2", "invalid UTF-8", "byte 3"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "no partial output")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["in.txt"], "no temporary left behind")
        let stdinRun = try CLI.run(["spm", "encode", "--model", shippedModel], stdin: Data([0x61, 0xC3, 0x28, 0x0A]))
        assertOneLineError(stdinRun, contains: ["stdin:1", "invalid UTF-8"])
        XCTAssertTrue(stdinRun.stdout.isEmpty)
    }

    func testDecodeRejectsNonIdsAndOutOfRangeIds() throws {
        let r1 = try CLI.run(["spm", "decode", "--model", shippedModel], stdin: Data("5 6\n7 x 8\n".utf8))
        assertOneLineError(r1, contains: ["stdin:2", "'x' is not an id"])
        let r2 = try CLI.run(["spm", "decode", "--model", shippedModel], stdin: Data("5 999999\n".utf8))
        assertOneLineError(r2, contains: ["stdin:1", "999999", "out of range"])
    }

    func testTrainErrors() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["spm", "train", "--input", "/nonexistent.txt", "--model-prefix", dir.path + "/m", "--vocab-size", "100"])
        assertOneLineError(r, contains: ["/nonexistent.txt"])
        let tiny = dir.appendingPathComponent("tiny.txt")
        try Data("one line only\n".utf8).write(to: tiny)
        let r2 = try CLI.run(["spm", "train", "--input", tiny.path, "--model-prefix", dir.path + "/m", "--vocab-size", "5000"])
        XCTAssertNotEqual(r2.status, 0)
        XCTAssertTrue(r2.stderr.contains("vocab"), r2.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/m.model"))
    }
}
