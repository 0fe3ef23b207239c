// Training through libsentencepiece from Swift: unigram and BPE models train from
// corpora/multilingual into a temporary directory and load; options become pieces;
// bad options fail with errors that name the file and the fix.

import Foundation
import XCTest
@testable import Tokenization

final class TrainerTests: XCTestCase {
    func testTrainsUnigramWithUserSymbolsAndByteFallback() throws {
        let dir = try temporaryDirectory(self)
        var options = SentencePieceTrainerOptions(inputFiles: Repo.corpusFiles, modelPrefix: dir + "/uni",
                                                  vocabSize: 1200, modelType: .unigram)
        options.characterCoverage = 0.98
        options.byteFallback = true
        options.userDefinedSymbols = ["<mask>", "[SEP]"]
        options.hardVocabLimit = false
        options.numThreads = 2
        let path = try SentencePieceTrainer.train(options)
        XCTAssertEqual(path, dir + "/uni.model")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/uni.vocab"))

        let sp = try SentencePieceProcessor(modelPath: path)
        XCTAssertLessThanOrEqual(sp.vocabularySize, 1200)
        let pieces = sp.encodeAsPieces("hello <mask> world [SEP] again")
        XCTAssertTrue(pieces.contains("<mask>"), "\(pieces)")
        XCTAssertTrue(pieces.contains("[SEP]"), "\(pieces)")
        // U+13000 (Egyptian hieroglyph) is in no corpus line: its UTF-8 bytes F0 93 80 80.
        let unseen = sp.encodeAsPieces("𓀀")
        XCTAssertEqual(Array(unseen.suffix(4)), ["<0xF0>", "<0x93>", "<0x80>", "<0x80>"])
        XCTAssertEqual(try sp.decode(ids: sp.encode("𓀀 ok")), "𓀀 ok")
    }

    func testTrainsBPE() throws {
        let dir = try temporaryDirectory(self)
        var options = SentencePieceTrainerOptions(inputFiles: Repo.corpusFiles, modelPrefix: dir + "/bpe",
                                                  vocabSize: 900, modelType: .bpe)
        options.characterCoverage = 0.98
        options.userDefinedSymbols = ["<mask>"]
        options.padId = 3
        let sp = try SentencePieceProcessor(modelPath: try SentencePieceTrainer.train(options))
        XCTAssertEqual(sp.vocabularySize, 900)
        XCTAssertEqual(sp.padId, 3)
        XCTAssertEqual(sp.encodeAsPieces("a <mask> b").filter { $0 == "<mask>" }.count, 1)
        let text = "Der Fluss fließt langsam an der alten Mühle vorbei."
        XCTAssertEqual(try sp.decode(ids: sp.encode(text)), text)
    }

    func testVocabularyTooLargeNamesTheFix() throws {
        let dir = try temporaryDirectory(self)
        var options = SentencePieceTrainerOptions(inputFiles: [Repo.corpusDirectory + "/sw.txt"],
                                                  modelPrefix: dir + "/big", vocabSize: 5000)
        options.characterCoverage = 1.0
        assertThrowsSentencePieceError(try SentencePieceTrainer.train(options),
                                       mentions: [dir + "/big.model", "Vocabulary size too high", "hardVocabLimit = false"])
        options.hardVocabLimit = false
        let sp = try SentencePieceProcessor(modelPath: try SentencePieceTrainer.train(options))
        XCTAssertLessThan(sp.vocabularySize, 5000)
    }

    func testValidationErrorsNameTheFile() throws {
        let dir = try temporaryDirectory(self)
        let missing = dir + "/missing.txt"
        let options = SentencePieceTrainerOptions(inputFiles: [missing], modelPrefix: dir + "/m", vocabSize: 100)
        XCTAssertEqual(assertThrowsSentencePieceError(try SentencePieceTrainer.train(options), mentions: [missing]),
                       .trainingInputNotFound(path: missing))

        var zero = SentencePieceTrainerOptions(inputFiles: Repo.corpusFiles, modelPrefix: dir + "/m", vocabSize: 0)
        assertThrowsSentencePieceError(try SentencePieceTrainer.train(zero), mentions: [dir + "/m.model", "vocabSize = 0"])
        zero.vocabSize = 100
        zero.userDefinedSymbols = ["a,b"]
        assertThrowsSentencePieceError(try SentencePieceTrainer.train(zero), mentions: ["userDefinedSymbols"])
    }

    func testArgumentStringMatchesSpmTrainFlags() {
        var options = SentencePieceTrainerOptions(inputFiles: ["a.txt", "b.txt"], modelPrefix: "out/m",
                                                  vocabSize: 2000, modelType: .bpe)
        options.byteFallback = true
        options.seedSentencepieceSize = 50000
        options.extraArguments = ["--max_sentencepiece_length=8"]
        let args = options.arguments.split(separator: " ").map(String.init)
        for flag in ["--input=a.txt,b.txt", "--model_prefix=out/m", "--vocab_size=2000", "--model_type=bpe",
                     "--byte_fallback=true", "--seed_sentencepiece_size=50000", "--max_sentencepiece_length=8"] {
            XCTAssertTrue(args.contains(flag), flag)
        }
    }
}
