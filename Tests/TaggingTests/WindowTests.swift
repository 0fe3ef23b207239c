// Word windows: training runs cover every word once within the room; prediction windows
// overlap and give every word to exactly one window, preferring the one where it is most
// central; labels sit on first pieces only. And the label vocabulary's fixed order.
import XCTest
import Tagging

final class WindowTests: XCTestCase {
    func sentence(_ lengths: [Int]) -> AlignedSentence {
        AlignedSentence(pieces: lengths.enumerated().map { w, n in (0..<n).map { Int32(100 + w * 10 + $0) } })
    }

    func testTrainingRunsCoverEveryWordOnceWithinRoom() {
        let s = sentence([1, 3, 2, 5, 1, 1, 4, 2, 2, 1, 3])
        let runs = WindowPlanner.trainingRuns(s, room: 6)
        XCTAssertEqual(runs.flatMap { Array($0) }, Array(0..<11))
        for r in runs { XCTAssertLessThanOrEqual(r.map { s.pieces[$0].count }.reduce(0, +), 6, "\(r)") }
        // A word longer than the room gets a run of its own, cut to the room.
        let long = sentence([2, 9, 1])
        let lr = WindowPlanner.trainingRuns(long, room: 4)
        XCTAssertEqual(lr, [0..<1, 1..<2, 2..<3])
        let w = WindowPlanner.window(long, index: 0, words: 1..<2, owned: 1..<2, room: 4, labels: [1, 2, 0], bos: 0, eos: 2)
        XCTAssertEqual(w.ids, [0, 110, 111, 112, 113, 2])
        XCTAssertEqual(w.labels, [-100, 2, -100, -100, -100, -100])
    }

    func testPredictionWindowsOverlapAndOwnEachWordOnce() {
        let s = sentence(Array(repeating: 2, count: 40))   // 80 pieces, room 20 → overlapping windows
        let wins = WindowPlanner.predictionWindows(s, room: 20)
        XCTAssertGreaterThan(wins.count, 4)
        var owner = [Int](repeating: 0, count: 40)
        for w in wins {
            XCTAssertLessThanOrEqual(w.words.count * 2, 20)
            XCTAssertTrue(w.words.contains(w.owned.lowerBound) || w.owned.isEmpty)
            for i in w.owned { owner[i] += 1 }
        }
        XCTAssertEqual(owner, Array(repeating: 1, count: 40), "every word predicted by exactly one window")
        // Consecutive windows overlap; an owned word is never at the very edge of an inner window.
        for (a, b) in zip(wins, wins.dropFirst()) { XCTAssertLessThan(b.words.lowerBound, a.words.upperBound) }
        let inner = wins[1]
        XCTAssertGreaterThan(inner.owned.lowerBound, inner.words.lowerBound)
        XCTAssertLessThan(inner.owned.upperBound, inner.words.upperBound)
        // A sentence that fits is one window owning everything.
        let short = WindowPlanner.predictionWindows(sentence([1, 2, 3]), room: 20)
        XCTAssertEqual(short.count, 1)
        XCTAssertEqual(short[0].owned, 0..<3)
    }

    func testLabelSetOrder() {
        let l = LabelSet(tags: [["B-PER", "I-PER", "O"], ["B-LOC", "B-ORG", "I-ORG"]])
        XCTAssertEqual(l.labels, ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"])
        XCTAssertEqual(l.types, ["LOC", "ORG", "PER"])
        XCTAssertEqual(l.id("I-ORG"), 4)
        XCTAssertNil(l.id("B-MISC"))
    }
}
