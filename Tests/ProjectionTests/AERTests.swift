// AER, precision and recall on hand-made links with known values (Och & Ney 2003 §5, as
// awesome-align tools/aer.py sums them over a corpus), and the readers' one-line errors.
import Foundation
import XCTest
@testable import Projection

final class AERTests: XCTestCase {
    func links(_ pairs: [(Int, Int)]) -> Set<AlignmentLink> { Set(pairs.map { AlignmentLink($0.0, $0.1) }) }

    func testKnownValues() {
        // S = {0-0, 1-1}, P = S ∪ {1-2}; A = {0-0, 1-2, 2-2}:
        // |A∩S| = 1, |A∩P| = 2 → precision 2/3, recall 1/2, AER = 1 − 3/5 = 0.4.
        let gold = [GoldAlignment(sure: links([(0, 0), (1, 1)]), possible: links([(1, 2)]))]
        let s = AER.score(gold: gold, predicted: [links([(0, 0), (1, 2), (2, 2)])])
        XCTAssertEqual(s.predicted, 3); XCTAssertEqual(s.sure, 2)
        XCTAssertEqual(s.predictedSure, 1); XCTAssertEqual(s.predictedPossible, 2)
        XCTAssertEqual(s.precision, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(s.recall, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.aer, 0.4, accuracy: 1e-12)
    }

    func testPerfectDisjointAndEmpty() {
        let g = [GoldAlignment(sure: links([(0, 0), (1, 1)]), possible: [])]
        XCTAssertEqual(AER.score(gold: g, predicted: [links([(0, 0), (1, 1)])]).aer, 0)
        let disjoint = AER.score(gold: g, predicted: [links([(0, 1)])])
        XCTAssertEqual(disjoint.aer, 1); XCTAssertEqual(disjoint.precision, 0); XCTAssertEqual(disjoint.recall, 0)
        // Predicting only possible links: precision 1, recall 0, AER = 1 − 1/(1 + 2).
        let onlyPossible = AER.score(gold: [GoldAlignment(sure: links([(0, 0), (1, 1)]), possible: links([(0, 1)]))],
                                     predicted: [links([(0, 1)])])
        XCTAssertEqual(onlyPossible.precision, 1); XCTAssertEqual(onlyPossible.recall, 0)
        XCTAssertEqual(onlyPossible.aer, 1 - 1.0 / 3, accuracy: 1e-12)
        // Nothing predicted, nothing gold: all defined as 0.
        let none = AER.score(gold: [GoldAlignment(sure: [], possible: [])], predicted: [[]])
        XCTAssertEqual(none.aer, 0); XCTAssertEqual(none.precision, 0); XCTAssertEqual(none.recall, 0)
    }

    func testCountsAreSummedOverTheCorpusNotAveraged() {
        // Sentence 1: 1 of 1 right; sentence 2: 0 of 3 right. Per-sentence mean AER would be 0.5;
        // corpus AER = 1 − (1 + 1)/(4 + 4) = 0.75.
        let gold = [GoldAlignment(sure: links([(0, 0)]), possible: []),
                    GoldAlignment(sure: links([(0, 0), (1, 1), (2, 2)]), possible: [])]
        let s = AER.score(gold: gold, predicted: [links([(0, 0)]), links([(0, 1), (1, 2), (2, 0)])])
        XCTAssertEqual(s.aer, 0.75, accuracy: 1e-12)
        XCTAssertEqual(s.precision, 0.25, accuracy: 1e-12)
    }

    func testSureLinksAreAlsoPossible() {
        let g = GoldAlignment(sure: links([(0, 0)]), possible: links([(1, 1)]))
        XCTAssertEqual(g.possible, links([(0, 0), (1, 1)]))
    }

    // MARK: readers

    func lines(_ s: String) throws -> [Substring] { try AlignmentFiles.lines(bytes: Array(s.utf8), name: "f") }

    func testGoldIsOneBasedWithPossibleLinks() throws {
        let pairs = try AlignmentFiles.parsePairs(lines("a b c ||| x y\n  2 .   ||| 2 .  \n"), name: "p")
        XCTAssertEqual(pairs, [SentencePair(source: ["a", "b", "c"], target: ["x", "y"]),
                               SentencePair(source: ["2", "."], target: ["2", "."])])
        let gold = try AlignmentFiles.parseGold(lines("1-1 3p2\n\n"), name: "g", pairs: [pairs[0], pairs[1]])
        XCTAssertEqual(gold[0].sure, links([(0, 0)]))
        XCTAssertEqual(gold[0].possible, links([(0, 0), (2, 1)]))
        XCTAssertEqual(gold[1], GoldAlignment(sure: [], possible: []))
    }

    func testPharaohIsZeroBasedAndRoundTrips() throws {
        let text = AlignmentFiles.pharaoh([links([(2, 1), (0, 0), (0, 3)]), []])
        XCTAssertEqual(text, "0-0 0-3 2-1\n\n")
        XCTAssertEqual(try AlignmentFiles.parsePharaoh(lines(text), name: "p"), [links([(0, 0), (0, 3), (2, 1)]), []])
        XCTAssertEqual(AlignmentFiles.pharaoh([links([(0, 0)])], base: 1), "1-1\n")
        XCTAssertEqual(try AlignmentFiles.parsePharaoh(lines("1-1\r\n"), name: "p", base: 1), [links([(0, 0)])])
    }

    func assertError(_ body: @autoclosure () throws -> Any, _ expected: AlignmentFileError, contains fragments: [String],
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? AlignmentFileError, expected, file: file, line: line)
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "error must be one line: \(text)", file: file, line: line)
            for f in fragments { XCTAssertTrue(text.contains(f), "'\(text)' lacks '\(f)'", file: file, line: line) }
        }
    }

    func testMalformedLinks() throws {
        let g = { (s: String) in try AlignmentFiles.parseGold(self.lines(s), name: "g.gold") }
        assertError(try g("1-1\n1_2\n"), .malformedLink(file: "g.gold", line: 2, token: "1_2", expected: "i-j (sure) or ipj (possible), 1-based non-negative integers"),
                    contains: ["g.gold:2:", "'1_2'", "1-based"])
        assertError(try g("a-b"), .malformedLink(file: "g.gold", line: 1, token: "a-b", expected: "i-j (sure) or ipj (possible), 1-based non-negative integers"), contains: ["g.gold:1:"])
        assertError(try g("3-"), .malformedLink(file: "g.gold", line: 1, token: "3-", expected: "i-j (sure) or ipj (possible), 1-based non-negative integers"), contains: ["'3-'"])
        // 0 is not a 1-based index.
        assertError(try g("0-1"), .malformedLink(file: "g.gold", line: 1, token: "0-1", expected: "i-j (sure) or ipj (possible), 1-based non-negative integers"), contains: ["'0-1'"])
        // Predictions are Pharaoh: no possible links, negative indices rejected.
        assertError(try AlignmentFiles.parsePharaoh(lines("0-0 1p1"), name: "p.align"),
                    .malformedLink(file: "p.align", line: 1, token: "1p1", expected: "i-j with 0-based non-negative integers (Pharaoh format)"),
                    contains: ["p.align:1:", "Pharaoh"])
        assertError(try AlignmentFiles.parsePharaoh(lines("-1-0"), name: "p.align"),
                    .malformedLink(file: "p.align", line: 1, token: "-1-0", expected: "i-j with 0-based non-negative integers (Pharaoh format)"), contains: ["'-1-0'"])
    }

    func testIndexBeyondTheSentence() throws {
        let pairs = [SentencePair(source: ["a", "b"], target: ["x", "y", "z"])]
        assertError(try AlignmentFiles.parseGold(lines("1-1 3-1"), name: "g.gold", pairs: pairs),
                    .indexOutOfRange(file: "g.gold", line: 1, token: "3-1", side: "source", index: 3, length: 2, base: 1),
                    contains: ["g.gold:1:", "'3-1'", "source index 3", "1…2", "1-based"])
        assertError(try AlignmentFiles.parsePharaoh(lines("1-3"), name: "p.align", pairs: pairs),
                    .indexOutOfRange(file: "p.align", line: 1, token: "1-3", side: "target", index: 3, length: 3, base: 0),
                    contains: ["p.align:1:", "target index 3", "0…2", "0-based"])
    }

    func testLineCountMismatch() throws {
        let pairs = [SentencePair(source: ["a"], target: ["x"]), SentencePair(source: ["b"], target: ["y"])]
        assertError(try AlignmentFiles.parseGold(lines("1-1\n"), name: "g.gold", pairs: pairs, pairsFile: "p.src-tgt"),
                    .lineCount(file: "g.gold", found: 1, otherFile: "p.src-tgt", expected: 2),
                    contains: ["g.gold: found 1 lines; expected 2", "p.src-tgt"])
    }

    func testMalformedPairsAndEncoding() throws {
        assertError(try AlignmentFiles.parsePairs(lines("a ||| b\nno separator\n"), name: "p.src-tgt"),
                    .malformedPair(file: "p.src-tgt", line: 2, found: "no separator"), contains: ["p.src-tgt:2:", "|||"])
        assertError(try AlignmentFiles.parsePairs(lines("a ||| \n"), name: "p.src-tgt"),
                    .malformedPair(file: "p.src-tgt", line: 1, found: "a ||| "), contains: ["both sides"])
        assertError(try AlignmentFiles.lines(bytes: Array(Array("ok\nbad \u{e9}".utf8).dropLast(1)) + [0xFF], name: "x"),
                    .invalidUTF8(file: "x", line: 2), contains: ["x:2:"])
        assertError(try AlignmentFiles.readPairs(path: "/nonexistent/p.src-tgt"),
                    .unreadable(file: "/nonexistent/p.src-tgt", reason: "no such file"), contains: ["no such file"])
    }
}
