// Byte-exact parity with python sentencepiece on the shipped models: ids, pieces,
// normalized text, decode, n-best and vocabulary queries, from tokenizer_golden.json.

import XCTest
@testable import Tokenization

final class GoldenParityTests: XCTestCase {
    private func models() -> [(String, SentencePieceProcessor, Golden.Model)] {
        let g = Golden.shared
        return [("unigram", Repo.unigram, g.models["unigram"]!), ("bpe", Repo.bpe, g.models["bpe"]!)]
    }

    func testGoldenRecordsItsGenerator() {
        XCTAssertTrue(Golden.shared.generator.contains("gen_tokenizer_golden.py"))
        XCTAssertFalse(Golden.shared.sentencepiece.isEmpty)
        XCTAssertGreaterThanOrEqual(Golden.shared.models["unigram"]!.cases.count, 20)
    }

    func testIdsAndPiecesMatchPython() {
        for (key, sp, golden) in models() {
            for c in golden.cases {
                XCTAssertEqual(sp.encode(c.text), c.ids, "\(key) ids: \(c.label)")
                XCTAssertEqual(sp.encodeAsPieces(c.text), c.pieces, "\(key) pieces: \(c.label)")
            }
        }
    }

    func testFastPathMatchesPython() {
        for (key, sp, golden) in models() {
            var ids: [Int32] = [99]
            for c in golden.cases {
                var text = c.text
                text.withUTF8 { sp.encode(utf8: $0, into: &ids) }
                XCTAssertEqual(ids, c.ids, "\(key) fast path: \(c.label)")
            }
        }
    }

    func testNormalizeAndDecodeMatchPython() throws {
        for (key, sp, golden) in models() {
            for c in golden.cases {
                XCTAssertEqual(sp.normalize(c.text), c.normalized, "\(key) normalize: \(c.label)")
                XCTAssertEqual(try sp.decode(ids: c.ids), c.decoded, "\(key) decode(ids): \(c.label)")
                XCTAssertEqual(sp.decode(pieces: c.pieces), c.decoded_pieces, "\(key) decode(pieces): \(c.label)")
            }
        }
    }

    func testDecodeOfEncodeIsNormalizedText() throws {
        // With byte fallback nothing is lost; the BPE model (no byte fallback) maps unseen
        // characters to <unk>, so it is checked on lines without them.
        for c in Golden.shared.models["unigram"]!.cases {
            let sp = Repo.unigram
            XCTAssertEqual(try sp.decode(ids: sp.encode(c.text)), denormalized(sp.normalize(c.text)), c.label)
        }
        for c in Golden.shared.models["bpe"]!.cases where !c.ids.contains(Repo.bpe.unkId) {
            let sp = Repo.bpe
            XCTAssertEqual(try sp.decode(ids: sp.encode(c.text)), denormalized(sp.normalize(c.text)), c.label)
        }
    }

    func testNBestMatchesPython() {
        let golden = Golden.shared.models["unigram"]!
        XCTAssertFalse(golden.nbest!.isEmpty)
        for entry in golden.nbest! {
            XCTAssertEqual(Repo.unigram.nbestEncode(entry.text, n: entry.n), entry.ids, entry.text)
        }
    }

    func testVocabularyQueriesMatchPython() {
        for (key, sp, golden) in models() {
            XCTAssertEqual(sp.vocabularySize, golden.piece_size, key)
            XCTAssertEqual(sp.bosId ?? -1, golden.bos_id, key)
            XCTAssertEqual(sp.eosId ?? -1, golden.eos_id, key)
            XCTAssertEqual(sp.padId ?? -1, golden.pad_id, key)
            XCTAssertEqual(sp.unkId, golden.unk_id, key)
            for v in golden.vocab {
                XCTAssertEqual(sp.idToPiece(v.id), v.piece, "\(key) id \(v.id)")
                XCTAssertEqual(sp.score(v.id), Float(v.score), "\(key) score \(v.id)")
                XCTAssertEqual(sp.isControl(v.id), v.is_control, "\(key) control \(v.id)")
                XCTAssertEqual(sp.isUnknown(v.id), v.is_unknown, "\(key) unknown \(v.id)")
                XCTAssertEqual(sp.isUnused(v.id), v.is_unused, "\(key) unused \(v.id)")
                XCTAssertEqual(sp.isByte(v.id), v.is_byte, "\(key) byte \(v.id)")
            }
            for (piece, id) in golden.piece_to_id {
                XCTAssertEqual(sp.pieceToId(piece), id, "\(key) pieceToId(\(piece))")
            }
        }
    }
}
