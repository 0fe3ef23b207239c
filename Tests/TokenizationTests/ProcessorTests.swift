// SentencePieceProcessor behaviour beyond the golden file: loading from bytes, bad
// input errors, sampling reproducibility, batch encoding equal to sequential.

import Foundation
import XCTest
@testable import Tokenization

final class ProcessorTests: XCTestCase {
    private var corpusLines: [String] {
        Repo.corpusFiles.flatMap { file -> [String] in
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
    }

    func testLoadFromBytesEqualsLoadFromFile() throws {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Repo.unigramPath)))
        let sp = try SentencePieceProcessor(modelData: data, name: "in-memory.model")
        XCTAssertEqual(sp.vocabularySize, Repo.unigram.vocabularySize)
        for line in corpusLines.prefix(50) {
            XCTAssertEqual(sp.encode(line), Repo.unigram.encode(line))
        }
    }

    func testMissingModelFileNamesThePath() {
        let path = Repo.path("tokenizers/no-such.model")
        let error = assertThrowsSentencePieceError(try SentencePieceProcessor(modelPath: path),
                                                   mentions: [path, "no such file"])
        XCTAssertEqual(error, .modelNotFound(path: path))
    }

    func testTextFileIsNotAModel() {
        let path = Repo.path("corpora/multilingual/en.txt")
        assertThrowsSentencePieceError(try SentencePieceProcessor(modelPath: path),
                                       mentions: [path, "not a SentencePiece model"])
        assertThrowsSentencePieceError(try SentencePieceProcessor(modelData: Array("hello\n".utf8), name: "model.bin"),
                                       mentions: ["model.bin: not a SentencePiece model"])
    }

    func testDecodeOutOfRangeIdThrows() {
        let sp = Repo.unigram
        let size = Int32(sp.vocabularySize)
        let error = assertThrowsSentencePieceError(try sp.decode(ids: [5, size]),
                                                   mentions: [Repo.unigramPath, "id \(size) at position 1"])
        XCTAssertEqual(error, .idOutOfRange(model: sp.name, id: size, position: 1, vocabularySize: Int(size)))
        assertThrowsSentencePieceError(try sp.decode(ids: [-1]), mentions: ["id -1"])
    }

    func testSeededSamplingIsReproducibleAndDecodesToNormalizedText() throws {
        let sp = Repo.unigram
        let text = "The children counted the stars from the roof."
        let expected = denormalized(sp.normalize(text))
        var seen = Set<[Int32]>()
        for seed: UInt32 in 0..<12 {
            let a = sp.sampleEncode(text, nbestSize: -1, alpha: 0.1, seed: seed)
            let b = sp.sampleEncode(text, nbestSize: -1, alpha: 0.1, seed: seed)
            XCTAssertEqual(a, b, "seed \(seed)")
            XCTAssertEqual(try sp.decode(ids: a), expected)
            seen.insert(a)
        }
        XCTAssertGreaterThan(seen.count, 1, "sampling at alpha 0.1 should vary with the seed")
        // nbest-based sampling and BPE-dropout go through the same path.
        XCTAssertEqual(sp.sampleEncode(text, nbestSize: 8, alpha: 0.5, seed: 3),
                       sp.sampleEncode(text, nbestSize: 8, alpha: 0.5, seed: 3))
        let bpe = Repo.bpe
        XCTAssertEqual(bpe.sampleEncode(text, nbestSize: 0, alpha: 0.3, seed: 9),
                       bpe.sampleEncode(text, nbestSize: 0, alpha: 0.3, seed: 9))
        XCTAssertEqual(try bpe.decode(ids: bpe.sampleEncode(text, nbestSize: 0, alpha: 0.3, seed: 9)),
                       denormalized(bpe.normalize(text)))
    }

    func testGlobalSeedMakesSampleSequencesReproducible() throws {
        let sp = Repo.unigram
        let lines = Array(corpusLines.prefix(8))
        SentencePieceProcessor.setRandomSeed(7)
        let first = lines.map { sp.sampleEncode($0, nbestSize: -1, alpha: 0.2) }
        SentencePieceProcessor.setRandomSeed(7)
        let second = lines.map { sp.sampleEncode($0, nbestSize: -1, alpha: 0.2) }
        SentencePieceProcessor.setRandomSeed(nil)
        XCTAssertEqual(first, second)
        for (line, ids) in zip(lines, first) {
            XCTAssertEqual(try sp.decode(ids: ids), denormalized(sp.normalize(line)))
        }
        // Unseeded sampling still returns valid segmentations.
        XCTAssertEqual(try sp.decode(ids: sp.sampleEncode(lines[0], nbestSize: -1, alpha: 0.2)),
                       denormalized(sp.normalize(lines[0])))
    }

    func testBatchEncodeEqualsSequential() {
        let sp = Repo.unigram
        let lines = corpusLines + ["", "   ", "ＡＢＣ１２３", "e\u{301}"]
        let sequential = lines.map(sp.encode)
        XCTAssertEqual(sp.encodeBatch(lines, threads: 2), sequential)
        XCTAssertEqual(sp.encodeBatch(lines, threads: 1), sequential)
        XCTAssertEqual(sp.encodeBatch([], threads: 2), [])
    }

    func testByteLevelBatchEqualsSequential() {
        let sp = Repo.bpe
        let lines = corpusLines.filter { !$0.isEmpty } + ["", "tab\there"]
        let buffer = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        let ranges = SentencePieceProcessor.lineRanges(in: buffer)
        XCTAssertEqual(ranges.count, lines.count)
        let flat = sp.encodeBatch(utf8: buffer, lines: ranges, threads: 2)
        XCTAssertEqual(flat.count, lines.count)
        XCTAssertEqual(flat.lines, lines.map(sp.encode))
        XCTAssertEqual(flat.offsets.first, 0)
        XCTAssertEqual(flat.offsets.last, flat.ids.count)
        XCTAssertEqual(sp.encodeBatch(utf8: buffer, lines: ranges, threads: 1), flat)
    }

    func testLineRangesFollowGetline() {
        XCTAssertEqual(SentencePieceProcessor.lineRanges(in: Array("a\nbc\n".utf8)), [0..<1, 2..<4])
        XCTAssertEqual(SentencePieceProcessor.lineRanges(in: Array("a\n\nbc".utf8)), [0..<1, 2..<2, 3..<5])
        XCTAssertEqual(SentencePieceProcessor.lineRanges(in: []), [])
    }

    func testReservedIdsAndPieceRoundTrip() {
        let sp = Repo.unigram
        XCTAssertEqual(sp.unkId, 0)
        XCTAssertEqual(sp.bosId, 1)
        XCTAssertEqual(sp.eosId, 2)
        XCTAssertNil(sp.padId)
        for id in Int32(0)..<Int32(sp.vocabularySize) where !sp.isByte(id) && !sp.isControl(id) && !sp.isUnknown(id) {
            XCTAssertEqual(sp.pieceToId(sp.idToPiece(id)), id)
        }
        XCTAssertEqual(sp.pieceToId("no-such-piece"), sp.unkId)
    }
}
