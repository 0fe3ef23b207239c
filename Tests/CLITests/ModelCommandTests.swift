// `crosstalk models / embed / similarity` as a user runs them: embeddings equal the encoder golden,
// and every kind of bad input (unknown model, missing directory, corrupt or mismatched weights,
// invalid UTF-8, mismatched .npy shapes) gets one line naming the thing, a non-zero exit and no
// output file.
import AudioFeatures
import Foundation
import XCTest

final class ModelCommandTests: XCTestCase {
    static let goldens = CLI.packageRoot.appendingPathComponent("Tests/ModelsTests/Resources")

    /// The installed e5-small-enpt directory (CROSSTALK_HOME or ~/.cache/crosstalk), or a skip.
    func enpt() throws -> String {
        let home = ProcessInfo.processInfo.environment["CROSSTALK_HOME"]
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/crosstalk").path
        let dir = home + "/models/e5-small-enpt"
        guard FileManager.default.fileExists(atPath: dir + "/crosstalk-install.json") else {
            throw XCTSkip("skipped: model e5-small-enpt not installed (Scripts/setup installs it)")
        }
        return dir
    }

    func testEmbedMatchesTheEncoderGolden() throws {
        _ = try enpt()
        struct Golden: Decodable { let sentences: [String] }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.goldens.appendingPathComponent("encoder_golden.json")))
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("emb.npy").path
        // The golden sentences carry their own prefixes.
        let r = try CLI.run(["embed", "--model", "e5-small-enpt", "--prefix", "none", "-o", out, "--batch-size", "4"],
                            stdin: Data((golden.sentences.joined(separator: "\n") + "\n").utf8))
        XCTAssertEqual(r.status, 0, r.stderr)
        let (shape, got) = try NPY.read(path: out)
        let (wantShape, want) = try NPY.read(path: Self.goldens.appendingPathComponent("encoder_embedding.npy").path)
        XCTAssertEqual(shape, wantShape)
        var worst: Float = 0
        for (a, b) in zip(got, want) { worst = max(worst, abs(a - b)) }
        print("[parity] crosstalk embed vs numpy golden: max|Δ| = \(worst)")
        XCTAssertLessThan(worst, 1e-5)

        // similarity: every sentence is its own nearest neighbour.
        let s = try CLI.run(["similarity", out, out, "--aligned"])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stdoutText.contains("top-1 retrieval accuracy: 1.0000 (22 of 22)"), s.stdoutText)
    }

    /// A line longer than the position table is truncated (bos + 510 pieces + eos), not a crash;
    /// empty lines embed too (bos + eos only).
    func testLongAndEmptyLinesEmbed() throws {
        _ = try enpt()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("e.npy").path
        let long = Array(repeating: "the European Parliament adopted the resolution", count: 200).joined(separator: " ")
        let r = try CLI.run(["embed", "--model", "e5-small-enpt", "-o", out], stdin: Data((long + "\n\nshort line\n").utf8))
        XCTAssertEqual(r.status, 0, r.stderr)
        let (shape, data) = try NPY.read(path: out)
        XCTAssertEqual(shape, [3, 384])
        XCTAssertTrue(data.allSatisfy { $0.isFinite })
        for row in 0..<3 {
            let norm = (0..<384).reduce(Float(0)) { $0 + data[row * 384 + $1] * data[row * 384 + $1] }
            XCTAssertEqual(norm, 1, accuracy: 1e-4, "row \(row) is L2-normalised")
        }
    }

    func testUnknownModelAndMissingDirectory() throws {
        let r = try CLI.run(["models", "install", "no-such-model"])
        assertOneLineError(r, contains: ["no-such-model", "e5-small"])
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("e.npy").path
        let r2 = try CLI.run(["embed", "--model", "/no/such/dir", "-o", out], stdin: Data("hello\n".utf8))
        assertOneLineError(r2, contains: ["/no/such/dir"])
        let r3 = try CLI.run(["embed", "--model", "no-such-model", "-o", out], stdin: Data("hello\n".utf8))
        assertOneLineError(r3, contains: ["no-such-model"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// A model directory whose files are broken in the ways a user's copy can be.
    func testBrokenModelDirectories() throws {
        let source = try enpt()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func copyModel(_ name: String) throws -> String {
            let m = dir.appendingPathComponent(name).path
            try FileManager.default.createDirectory(atPath: m, withIntermediateDirectories: true)
            for f in ["config.json", "sentencepiece.bpe.model"] {
                try FileManager.default.copyItem(atPath: source + "/" + f, toPath: m + "/" + f)
            }
            return m
        }
        let out = dir.appendingPathComponent("e.npy").path
        let input = Data("hello\n".utf8)

        // Truncated safetensors.
        let truncated = try copyModel("truncated")
        let weights = try Data(contentsOf: URL(fileURLWithPath: source + "/model.safetensors"))
        try weights.prefix(4096).write(to: URL(fileURLWithPath: truncated + "/model.safetensors"))
        assertOneLineError(try CLI.run(["embed", "--model", truncated, "-o", out], stdin: input),
                           contains: ["truncated/model.safetensors"])

        // Config that disagrees with the weights: the tensor, got and expected are named.
        let mismatched = try copyModel("mismatched")
        try FileManager.default.createSymbolicLink(atPath: mismatched + "/model.safetensors", withDestinationPath: source + "/model.safetensors")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: mismatched + "/config.json"))) as! [String: Any]
        config["intermediate_size"] = 1024
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: mismatched + "/config.json"))
        assertOneLineError(try CLI.run(["embed", "--model", mismatched, "-o", out], stdin: input),
                           contains: ["intermediate.dense.weight", "1536", "1024"])

        // Missing tensors are all listed.
        let missing = try copyModel("missing")
        try FileManager.default.createSymbolicLink(atPath: missing + "/model.safetensors", withDestinationPath: source + "/model.safetensors")
        config["intermediate_size"] = 1536
        config["num_hidden_layers"] = 14
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: missing + "/config.json"))
        assertOneLineError(try CLI.run(["embed", "--model", missing, "-o", out], stdin: input),
                           contains: ["encoder.layer.12.", "encoder.layer.13."])

        // Config that is not JSON.
        let badConfig = try copyModel("badconfig")
        try FileManager.default.createSymbolicLink(atPath: badConfig + "/model.safetensors", withDestinationPath: source + "/model.safetensors")
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: badConfig + "/config.json"))
        assertOneLineError(try CLI.run(["embed", "--model", badConfig, "-o", out], stdin: input),
                           contains: ["badconfig/config.json"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no output on any failure")
    }

    func testEmbedRejectsInvalidUTF8AndSimilarityRejectsMismatchedShapes() throws {
        _ = try enpt()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("e.npy").path
        let r = try CLI.run(["embed", "--model", "e5-small-enpt", "-o", out], stdin: Data([0x68, 0x69, 0x0A, 0xC3, 0x28, 0x0A]))
        assertOneLineError(r, contains: ["stdin:2", "invalid UTF-8"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let a = dir.appendingPathComponent("a.npy").path, b = dir.appendingPathComponent("b.npy").path
        try NPY.write(FeatureMatrix(rows: 2, cols: 3, data: [1, 0, 0, 0, 1, 0]), to: a)
        try NPY.write(FeatureMatrix(rows: 2, cols: 4, data: [Float](repeating: 1, count: 8)), to: b)
        assertOneLineError(try CLI.run(["similarity", a, b]), contains: ["b.npy", "[2, 4]", "[2, 3]"])
    }
}
