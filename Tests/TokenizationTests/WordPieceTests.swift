// WordPieceTokenizer against Hugging Face tokenizers (Scripts/golden/gen_wordpiece_golden.py):
// ids for 30 lines through all-MiniLM-L6-v2's uncased vocab.txt (shipped in Resources), and
// the vocabulary errors (missing file, empty file, duplicate token naming its line).

import Foundation
import XCTest
@testable import Tokenization

final class WordPieceTests: XCTestCase {
    struct Golden: Decodable {
        struct Case: Decodable { let label: String; let text: String; let ids: [Int32]; let tokens: [String] }
        let lowercase: Bool
        let vocab_size: Int
        let cls_id: Int32, sep_id: Int32, pad_id: Int32, unk_id: Int32
        let cases: [Case]
    }

    static func resource(_ name: String, _ ext: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources")).path
    }

    func load() throws -> (Golden, WordPieceTokenizer) {
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath:
            try WordPieceTests.resource("wordpiece_golden", "json"))))
        let tokenizer = try WordPieceTokenizer(vocabPath: try WordPieceTests.resource("wordpiece_vocab", "txt"),
                                               lowercase: golden.lowercase)
        return (golden, tokenizer)
    }

    func testIdsMatchHuggingFaceTokenizers() throws {
        let (golden, tokenizer) = try load()
        XCTAssertEqual(golden.cases.count, 30)
        var mismatches = 0
        for c in golden.cases {
            let got = tokenizer.encode(c.text)
            if got != c.ids {
                mismatches += 1
                XCTFail("\(c.label): got \(tokenizer.tokenize(c.text)), expected \(c.tokens)")
            }
        }
        print("[parity] WordPiece: \(golden.cases.count - mismatches)/\(golden.cases.count) lines match tokenizers exactly")
    }

    func testSpecialIdsAndSize() throws {
        let (golden, tokenizer) = try load()
        XCTAssertEqual(tokenizer.vocabularySize, golden.vocab_size)
        XCTAssertEqual([tokenizer.clsId, tokenizer.sepId, tokenizer.padId, tokenizer.unkId],
                       [golden.cls_id, golden.sep_id, golden.pad_id, golden.unk_id])
        XCTAssertEqual(tokenizer.tokenize("Crème brûlée"), ["cr", "##eme", "br", "##ule", "##e"])
        XCTAssertEqual(tokenizer.encode(""), [])
    }

    func testCasedKeepsAccentsAndCase() throws {
        let dir = try temporaryDirectory(self)
        let vocab = dir + "/vocab.txt"
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nCrème\nb\n##rû\n##lée\n,\n".write(toFile: vocab, atomically: true, encoding: .utf8)
        let cased = try WordPieceTokenizer(vocabPath: vocab, lowercase: false)
        XCTAssertEqual(cased.encode("Crème brûlée,crème"), [4, 5, 6, 7, 8, 1])
        XCTAssertEqual([cased.padId, cased.unkId, cased.clsId, cased.sepId], [0, 1, 2, 3])
    }

    func testVocabErrorsNameTheFileAndLine() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabPath: dir + "/none.txt", lowercase: true)) {
            XCTAssertEqual("\($0)", "\(dir)/none.txt: no such file (expected a WordPiece vocab.txt, one token a line)")
        }
        try "".write(toFile: dir + "/empty.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabPath: dir + "/empty.txt", lowercase: true)) {
            XCTAssertEqual($0 as? WordPieceError, .emptyVocab(path: dir + "/empty.txt"))
        }
        try "[PAD]\n[UNK]\nhello\n[CLS]\nhello\n".write(toFile: dir + "/dup.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabPath: dir + "/dup.txt", lowercase: true)) {
            XCTAssertEqual("\($0)", "\(dir)/dup.txt: line 5: duplicate token \"hello\" (first on line 3; expected each token once)")
        }
        try "[PAD]\n[UNK]\n[CLS]\n".write(toFile: dir + "/nosep.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabPath: dir + "/nosep.txt", lowercase: true)) {
            XCTAssertEqual($0 as? WordPieceError, .missingSpecial(path: dir + "/nosep.txt", token: "[SEP]"))
        }
    }
}
