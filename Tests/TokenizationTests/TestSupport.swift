// Shared helpers for the Tokenization tests: repository paths found from #filePath,
// the golden file written by Scripts/golden/gen_tokenizer_golden.py, and the shipped
// models. Helpers forward file/line so failures point at the calling test.

import Foundation
import XCTest
@testable import Tokenization

enum Repo {
    /// The package root: Tests/TokenizationTests/<this file> up three levels.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static let unigramPath = path("tokenizers/crosstalk-multi-unigram-2k.model")
    static let bpePath = path("tokenizers/crosstalk-multi-bpe-1k.model")
    static let corpusDirectory = path("corpora/multilingual")

    static var corpusFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted().map { corpusDirectory + "/" + $0 }
    }

    static let unigram: SentencePieceProcessor = try! SentencePieceProcessor(modelPath: unigramPath)
    static let bpe: SentencePieceProcessor = try! SentencePieceProcessor(modelPath: bpePath)
}

struct Golden: Decodable {
    struct Case: Decodable {
        let label: String
        let text: String
        let ids: [Int32]
        let pieces: [String]
        let normalized: String
        let decoded: String
        let decoded_pieces: String
    }
    struct Vocab: Decodable {
        let id: Int32
        let piece: String
        let score: Double
        let is_control: Bool
        let is_unknown: Bool
        let is_unused: Bool
        let is_byte: Bool
    }
    struct NBest: Decodable {
        let text: String
        let n: Int
        let ids: [[Int32]]
    }
    struct Model: Decodable {
        let path: String
        let piece_size: Int
        let bos_id: Int32
        let eos_id: Int32
        let pad_id: Int32
        let unk_id: Int32
        let cases: [Case]
        let vocab: [Vocab]
        let piece_to_id: [String: Int32]
        let nbest: [NBest]?
    }
    let generator: String
    let python: String
    let sentencepiece: String
    let models: [String: Model]

    static let shared: Golden = {
        let url = Bundle.module.url(forResource: "tokenizer_golden", withExtension: "json",
                                    subdirectory: "Resources")!
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()
}

/// decode(encode(x)) as sentencepiece defines it: the normalized text with U+2581 as
/// space and the dummy-prefix space removed.
func denormalized(_ normalized: String) -> String {
    var s = normalized.replacingOccurrences(of: "\u{2581}", with: " ")
    if s.hasPrefix(" ") { s.removeFirst() }
    return s
}

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("crosstalk-tok-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
}

/// Asserts that `body` throws a SentencePieceError whose description contains every
/// string in `mentions`; returns the error.
@discardableResult
func assertThrowsSentencePieceError<T>(_ body: @autoclosure () throws -> T, mentions: [String],
                                       file: StaticString = #filePath, line: UInt = #line) -> SentencePieceError? {
    do {
        _ = try body()
        XCTFail("expected a SentencePieceError", file: file, line: line)
        return nil
    } catch let error as SentencePieceError {
        for m in mentions {
            XCTAssertTrue(error.description.contains(m), "\"\(error)\" does not mention \"\(m)\"",
                          file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected a SentencePieceError, got \(error)", file: file, line: line)
        return nil
    }
}
