// The 14 real eeg_notebooks recordings read with the README's sample and event counts, the
// duplicate recording found by content, the pipeline's file discovery/labels, and every kind
// of malformed CSV rejected with file, line and expectation.
import Foundation
import XCTest
@testable import Signals

final class MuseCSVTests: XCTestCase {
    /// corpora/eeg_notebooks/README.md: file, samples, events, house (1), face (2).
    static let readme: [(String, Int, Int, Int, Int)] = [
        ("N170/subject1/session1/data_2017-09-13-15.30.01.csv", 30732, 197, 108, 89),
        ("N170/subject1/session1/data_2017-09-13-15.32.50.csv", 30732, 195, 93, 102),
        ("N170/subject1/session1/data_2017-09-13-15.35.26.csv", 30732, 195, 104, 91),
        ("N170/subject1/session1/data_2017-09-13-15.40.17.csv", 30732, 194, 95, 99),
        ("N170/subject1/session1/data_2017-09-13-15.42.33.csv", 30720, 194, 96, 98),
        ("N170/subject1/session1/data_2017-09-13-15.45.08.csv", 30732, 199, 95, 104),
        ("N170/subject2/session1/data_2018-04-15-21.18.48.csv", 30732, 197, 94, 103),
        ("N170/subject2/session1/data_2018-04-15-21.21.20.csv", 30732, 198, 106, 92),
        ("N170/subject3/session1/data_2018-05-14-19.14.37.csv", 30720, 194, 104, 90),
        ("N170/subject3/session1/data_2018-05-14-19.38.10.csv", 30732, 196, 100, 96),
        ("N170/subject3/session2/data_2018-05-14-19.35.55.csv", 30720, 199, 101, 98),
        ("N170/subject3/session2/data_2018-05-14-19.38.10.csv", 30732, 196, 100, 96),
        ("N170/subject3/session3/recording_2018-05-29-20.14.04.csv.csv", 30564, 199, 107, 92),
        ("N170/subject3/session3/recording_2018-05-31-16.03.39.csv.csv", 30552, 7, 4, 3),
    ]

    func testAllFourteenRecordingsMatchTheReadme() throws {
        let root = try Corpus.eegNotebooks()
        var events = 0, house = 0, face = 0
        for (file, samples, n, h, f) in Self.readme {
            let r = try MuseCSV.read(path: root + "/" + file)
            XCTAssertEqual(r.channels, ["TP9", "AF7", "AF8", "TP10", "Right AUX"], file)
            XCTAssertEqual(r.sampleRate, 256)
            XCTAssertEqual(r.samples, samples, file)
            XCTAssertEqual(r.events.count, n, file)
            XCTAssertEqual(r.events.filter { $0.code == 1 }.count, h, "\(file) house")
            XCTAssertEqual(r.events.filter { $0.code == 2 }.count, f, "\(file) face")
            XCTAssertEqual(Set(r.events.map(\.code)), [1, 2], file)
            events += n; house += h; face += f
        }
        XCTAssertEqual([events, house, face], [2560, 1307, 1253])
    }

    func testDuplicateRecordingIsSkippedByContent() throws {
        let root = try Corpus.eegNotebooks()
        let files = try EEGPipeline.discover([root])
        XCTAssertEqual(files.count, 14)
        let (unique, dups) = try EEGPipeline.deduplicate(files)
        XCTAssertEqual(unique.count, 13)
        XCTAssertEqual(dups.count, 1)
        XCTAssertTrue(dups[0].path.hasSuffix("subject3/session2/data_2018-05-14-19.38.10.csv"), dups[0].path)
        XCTAssertTrue(dups[0].sameAs.hasSuffix("subject3/session1/data_2018-05-14-19.38.10.csv"), dups[0].sameAs)
        let (subject, session) = EEGPipeline.subjectAndSession(unique[0].path)
        XCTAssertEqual([subject, session], ["subject1", "session1"])
    }

    func testEpochCountsOnTheWholeCorpus() throws {
        let root = try Corpus.eegNotebooks()
        let result = try EEGPipeline.run(inputs: [root], options: PipelineOptions(kind: .erp))
        let events = result.files.reduce(0) { $0 + $1.events }, kept = result.files.reduce(0) { $0 + $1.kept }
        XCTAssertEqual(events, 2560 - 196, "the duplicate recording counts once")
        XCTAssertEqual(result.rows.count, kept)
        XCTAssertEqual(result.labels.count, kept)
        XCTAssertEqual(result.rows.first?.count, 4 * (232 / 8))
        XCTAssertEqual(Set(result.labels.map(\.label)), ["house", "face"])
        let rejected = result.files.reduce(0) { $0 + $1.rejected }, outside = result.files.reduce(0) { $0 + $1.outside }
        print("corpus epochs: \(events) events, \(kept) kept, \(rejected) rejected (ptp > 100 µV, 1–30 Hz, −0.1…0.8 s), \(outside) at the edge")
        for f in result.files { print("  \(f.file): \(f.events) events, \(f.kept) kept, \(f.rejected) rejected, \(f.outside) at the edge") }
        XCTAssertEqual(result.files.reduce(0) { $0 + $1.kept + $1.rejected + $1.outside }, events)
    }

    // MARK: malformed input

    func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try MuseCSV.parse(Array(text.utf8), path: "bad.csv")
            XCTFail("expected an error for \(text.debugDescription)", file: file, line: line)
            return ""
        } catch let e as SignalsError {
            let d = e.description
            XCTAssertFalse(d.contains("\n"), d, file: file, line: line)
            return d
        } catch {
            XCTFail("untyped error \(error)", file: file, line: line)
            return ""
        }
    }

    static let header = "timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0\n"

    func testBadCSVsNameFileLineAndExpectation() {
        XCTAssertTrue(parseError("").hasPrefix("bad.csv:1: empty file"))
        let h = parseError("time,TP9,AF7\n1,2,3\n")
        XCTAssertTrue(h.hasPrefix("bad.csv:1: header time,TP9,AF7; expected timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0"), h)
        let few = parseError(Self.header + "1,2,3,4,5,6,0\n1,2,3\n")
        XCTAssertTrue(few.hasPrefix("bad.csv:3: 3 fields; expected 7"), few)
        let many = parseError(Self.header + "1,2,3,4,5,6,0,9\n")
        XCTAssertTrue(many.hasPrefix("bad.csv:2: more than 7 fields"), many)
        let nan = parseError(Self.header + "1,2,3,4,5,6,0\n1,2,x3,4,5,6,0\n")
        XCTAssertEqual(nan, "bad.csv:3: field 3 (AF7) is 'x3'; expected a finite number")
        XCTAssertTrue(parseError(Self.header + "1,2,3,nan,5,6,0\n").contains("field 4 (AF8) is 'nan'"))
        XCTAssertTrue(parseError(Self.header + "1,2,3,4,5,6,1.5\n").contains("Marker0 is 1.5; expected a non-negative integer code"))
        XCTAssertTrue(parseError(Self.header + "1,2,3,4,5,6,0\n\n1,2,3,4,5,6,0\n").hasPrefix("bad.csv:3: empty line"))
        XCTAssertTrue(parseError(Self.header).contains("no samples after the header"))
    }

    func testCRLFAndTrailingNewlineAreAccepted() throws {
        let text = Self.header.replacingOccurrences(of: "\n", with: "\r\n") + "0.5,1,2,3,4,5,0\r\n0.6,1,2,3,4,5,2\r\n"
        let (r, ts) = try MuseCSV.parse(Array(text.utf8), path: "ok.csv")
        XCTAssertEqual(r.samples, 2)
        XCTAssertEqual(ts, [0.5, 0.6])
        XCTAssertEqual(r.events, [Event(sample: 1, code: 2)])
        XCTAssertEqual(r.data[4], [5, 5])
    }

    func testEpochWindowOutsideRecording() throws {
        var rows = Self.header
        for i in 0..<400 { rows += "\(i),\(i),0,0,0,0,\(i == 10 || i == 100 ? 1 : 0)\n" }
        let (r, _) = try MuseCSV.parse(Array(rows.utf8), path: "short.csv")
        // Dropped and counted by default (MNE's behaviour) …
        let set = try makeEpochs(r, options: EpochOptions(reject: nil), path: "short.csv")
        XCTAssertEqual(set.kept.map(\.event.sample), [100])
        XCTAssertEqual(set.outside.map(\.sample), [10])
        // … an error on request, and always when no event has room.
        XCTAssertThrowsError(try makeEpochs(r, options: EpochOptions(edge: .error), path: "short.csv")) { e in
            XCTAssertEqual((e as? SignalsError)?.description,
                           "short.csv: event 1 at sample 10: epoch samples -16...215 fall outside the recording (0...399); expected a window inside it (narrow --tmin/--tmax)")
        }
        XCTAssertThrowsError(try makeEpochs(r, options: EpochOptions(tmin: -0.1, tmax: 2), path: "short.csv")) { e in
            XCTAssertTrue((e as? SignalsError)?.description.hasPrefix("short.csv: event 1 at sample 10: epoch samples -16...522 fall outside") ?? false, "\(e)")
        }
        XCTAssertThrowsError(try makeEpochs(r, options: EpochOptions(tmin: 0.5, tmax: 0.2), path: "x"))
    }

    func testBaselineAndRejection() throws {
        // One channel: 100 at t < 0, a 150 µV step after onset → ptp 150 rejected at 100, kept at 200.
        var rows = Self.header
        for i in 0..<400 { rows += "\(i),\(i >= 100 ? 250 : 100),0,0,0,0,\(i == 100 ? 2 : 0)\n" }
        let (r, _) = try MuseCSV.parse(Array(rows.utf8), path: "step.csv")
        let rejected = try makeEpochs(r, options: EpochOptions(reject: 100), path: "step.csv")
        XCTAssertEqual(rejected.kept.count, 0); XCTAssertEqual(rejected.rejected.count, 1)
        let kept = try makeEpochs(r, options: EpochOptions(reject: 200), path: "step.csv")
        let e = try XCTUnwrap(kept.kept.first)
        XCTAssertEqual(e.times, 232)
        // Baseline = samples −26…0: 26 at 100 and the onset sample at 250 → mean 100 + 150/27.
        XCTAssertEqual(e.data[0], -150.0 / 27, accuracy: 1e-12)
        XCTAssertEqual(e.data[231], 150 - 150.0 / 27, accuracy: 1e-12)
        // |x| after baseline: 150 − 150/27 ≈ 144.4.
        XCTAssertEqual(try makeEpochs(r, options: EpochOptions(reject: 145, rejection: .absolute), path: "step.csv").kept.count, 1)
        XCTAssertEqual(try makeEpochs(r, options: EpochOptions(reject: 144, rejection: .absolute), path: "step.csv").kept.count, 0)
    }
}
