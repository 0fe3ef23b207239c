// SubjectSplit: other subjects are base, the target's epochs split train/test per class by the
// test fraction, the same seed gives the same split, and an absent target is a one-line error.
import XCTest
@testable import Signals

final class SubjectSplitTests: XCTestCase {
    /// 40 epochs of subject1 (25 house, 15 face) and 30 of subject2.
    static func records() -> [EpochLabel] {
        (0..<70).map { (i: Int) -> EpochLabel in
            let house: Bool = i < 25 || (i >= 40 && i % 2 == 0)
            let subject: String = i < 40 ? "subject1" : "subject2"
            return EpochLabel(label: house ? "house" : "face", subject: subject, session: "session1", file: "f\(i / 20).csv", onset: Double(i))
        }
    }

    func testOtherSubjectsAreBaseAndTheTargetSplitsPerClass() throws {
        let labels = Self.records()
        let split = try SubjectSplit.assign(labels, target: "subject1", testFraction: 0.5, seed: 3)
        XCTAssertEqual(split.count, 70)
        XCTAssertTrue(split[40...].allSatisfy { $0 == "base" })
        XCTAssertFalse(split[..<40].contains("base"))
        func count(_ label: String, _ s: String) -> Int { (0..<40).filter { labels[$0].label == label && split[$0] == s }.count }
        XCTAssertEqual(count("house", "test"), 13, "round(25 · 0.5) = 12.5 → 13 (ties away from zero)")
        XCTAssertEqual(count("house", "train"), 12)
        XCTAssertEqual(count("face", "test"), 8)
        XCTAssertEqual(count("face", "train"), 7)
        XCTAssertEqual(try SubjectSplit.assign(labels, target: "subject1", testFraction: 0.5, seed: 3), split, "same seed, same split")
        XCTAssertNotEqual(try SubjectSplit.assign(labels, target: "subject1", testFraction: 0.5, seed: 4), split)
        let small = try SubjectSplit.assign(labels, target: "subject2", testFraction: 0.01, seed: 0)
        XCTAssertTrue(small[..<40].allSatisfy { $0 == "base" })
        XCTAssertEqual((40..<70).filter { small[$0] == "test" }.count, 2, "at least one test epoch per class")
    }

    func testAnAbsentTargetIsAnError() {
        XCTAssertThrowsError(try SubjectSplit.assign(Self.records(), target: "subject9", testFraction: 0.5, seed: 0)) {
            XCTAssertEqual("\($0)", "--split-target subject9: no kept epoch of that subject; expected one of subject1, subject2")
        }
    }
}
