// The EDF/EDF+ reader on files written here byte by byte (EDFTestWriter): header fields,
// physical scaling, EDF+ annotations (TALs with and without duration, several texts per TAL,
// time-keeping TALs), and every header/record/TAL defect rejected with one line naming the place.
import Foundation
import XCTest
@testable import Signals

/// Writes EDF(+) bytes for tests only: ordinary signals as digital int16 per record, plus an
/// optional "EDF Annotations" signal whose per-record bytes are given verbatim.
struct EDFTestWriter {
    struct Signal {
        var label: String
        var physMin = -3276.8, physMax = 3276.7
        var digMin = -32768, digMax = 32767
        var samplesPerRecord: Int
        /// [records · samplesPerRecord]
        var digital: [Int16]
    }
    var signals: [Signal]
    var records: Int
    var recordDuration: Double = 1
    var reserved = "EDF+C"
    /// Per-record TAL bytes for an annotation signal of `annotationSamples` samples (nil: plain EDF).
    var annotations: [[UInt8]]? = nil
    var annotationSamples = 30
    var declaredRecords: String? = nil
    var declaredHeaderBytes: String? = nil
    var patient = "X X X X"

    func pad(_ s: String, _ n: Int) -> [UInt8] { Array((s + String(repeating: " ", count: max(0, n - s.utf8.count))).utf8.prefix(n)) }

    func bytes() -> [UInt8] {
        var all = signals.map { ($0.label, $0.physMin, $0.physMax, $0.digMin, $0.digMax, $0.samplesPerRecord, "uV") }
        if annotations != nil { all.append(("EDF Annotations", -1, 1, -32768, 32767, annotationSamples, "")) }
        let ns = all.count
        var h = pad("0", 8) + pad(patient, 80) + pad("Startdate 22-NOV-2026 X X X", 80) + pad("22.11.26", 8) + pad("06.00.00", 8)
        h += pad(declaredHeaderBytes ?? String(256 * (ns + 1)), 8) + pad(reserved, 44) + pad(declaredRecords ?? String(records), 8)
        h += pad(String(recordDuration), 8) + pad(String(ns), 4)
        for s in all { h += pad(s.0, 16) }
        for _ in all { h += pad("AgAgCl electrode", 80) }
        for s in all { h += pad(s.6, 8) }
        for s in all { h += pad(String(s.1), 8) }
        for s in all { h += pad(String(s.2), 8) }
        for s in all { h += pad(String(s.3), 8) }
        for s in all { h += pad(String(s.4), 8) }
        for _ in all { h += pad("HP:0.1Hz", 80) }
        for s in all { h += pad(String(s.5), 8) }
        for _ in all { h += pad("", 32) }
        for r in 0..<records {
            for s in signals {
                for k in 0..<s.samplesPerRecord {
                    let v = UInt16(bitPattern: s.digital[r * s.samplesPerRecord + k])
                    h += [UInt8(v & 0xff), UInt8(v >> 8)]
                }
            }
            if let a = annotations {
                var tal = a[r]
                tal += [UInt8](repeating: 0, count: 2 * annotationSamples - tal.count)
                h += tal
            }
        }
        return h
    }

    /// "+onset[\x15duration]\x14text\x14…\x00"
    static func tal(_ onset: String, duration: String? = nil, _ texts: [String]) -> [UInt8] {
        var b = Array(onset.utf8)
        if let duration { b += [0x15] + Array(duration.utf8) }
        b += [0x14]
        for t in texts { b += Array(t.utf8) + [0x14] }
        return b + [0]
    }
}

final class EDFTests: XCTestCase {
    func sample(records: Int = 3) -> EDFTestWriter {
        let a = EDFTestWriter.Signal(label: "Fz", samplesPerRecord: 4, digital: (0..<(4 * records)).map { Int16($0 * 10 - 20) })
        let b = EDFTestWriter.Signal(label: "Cz", physMin: -100, physMax: 100, digMin: -2048, digMax: 2047, samplesPerRecord: 4,
                                     digital: (0..<(4 * records)).map { Int16(2047 - $0) })
        var w = EDFTestWriter(signals: [a, b], records: records)
        w.annotations = (0..<records).map { r in
            var t = EDFTestWriter.tal("+\(r)", [""])  // time-keeping TAL
            if r == 0 { t += EDFTestWriter.tal("+0.5", duration: "0.25", ["house"]) }
            if r == 1 { t += EDFTestWriter.tal("+1.25", ["face", "second text ü"]) }
            if r == 2 { t += EDFTestWriter.tal("-0.5", duration: "1", ["house"]) }
            return t
        }
        return w
    }

    func testReadsHeaderSamplesAndAnnotations() throws {
        let f = try EDFFile.parse(sample().bytes(), path: "t.edf")
        XCTAssertTrue(f.isEDFPlus)
        XCTAssertEqual(f.recordCount, 3)
        XCTAssertEqual(f.signals.map(\.label), ["Fz", "Cz", "EDF Annotations"])
        XCTAssertEqual(f.sampleRate(0), 4)
        XCTAssertEqual(f.duration, 3)
        XCTAssertEqual(f.patient, "X X X X")
        // Fz: gain 0.1 µV per unit (physical −3276.8…3276.7 over −32768…32767).
        for (k, v) in f.samples[0].enumerated() { XCTAssertEqual(v, Double(k * 10 - 20) * 0.1, accuracy: 1e-9) }
        // Cz: −100 + (d + 2048)·200/4095.
        XCTAssertEqual(f.samples[1][0], 100, accuracy: 1e-9)
        XCTAssertEqual(f.samples[1][5], -100 + Double(2047 - 5 + 2048) * 200 / 4095, accuracy: 1e-9)
        XCTAssertEqual(f.annotations, [
            Annotation(onset: 0.5, duration: 0.25, text: "house"),
            Annotation(onset: 1.25, duration: nil, text: "face"),
            Annotation(onset: 1.25, duration: nil, text: "second text ü"),
            Annotation(onset: -0.5, duration: 1, text: "house"),
        ])
        let rec = try f.recording(path: "t.edf")
        XCTAssertEqual(rec.channels, ["Fz", "Cz"])
        XCTAssertEqual(rec.samples, 12)
        XCTAssertEqual(rec.annotations.count, 4)
    }

    func testPlainEDFWithoutAnnotationsRoundTripsFromDisk() throws {
        var w = sample()
        w.annotations = nil
        w.reserved = ""
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("signals-edf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("plain.edf").path
        try Data(w.bytes()).write(to: URL(fileURLWithPath: path))
        let f = try EDFFile.read(path: path)
        XCTAssertFalse(f.isEDFPlus)
        XCTAssertEqual(f.signals.count, 2)
        XCTAssertTrue(f.annotations.isEmpty)
    }

    func error(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try EDFFile.parse(bytes, path: "bad.edf")
            XCTFail("expected an error", file: file, line: line)
        } catch let e as SignalsError {
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
            return e.description
        } catch { XCTFail("untyped error \(error)", file: file, line: line) }
        return ""
    }

    func testTruncatedHeaderAndRecordsAreRejected() {
        let good = sample().bytes()
        XCTAssertEqual(error(Array(good.prefix(100))), "bad.edf: header: truncated: 100 bytes; expected at least the 256-byte fixed header")
        XCTAssertTrue(error(Array(good.prefix(600))).contains("header: truncated: 600 bytes; expected 1024 header bytes for 3 signals"))
        let short = error(Array(good.dropLast(7)))
        XCTAssertTrue(short.hasPrefix("bad.edf: data records: file holds"), short)
        XCTAssertTrue(short.contains("header declares 3 records × 76 bytes = 228 (truncated file?)"), short)
        var w = sample(); w.declaredRecords = "5"
        XCTAssertTrue(error(w.bytes()).contains("header declares 5 records × 76 bytes = 380"))
        var extra = good; extra += [0, 0]
        XCTAssertTrue(error(extra).contains("file holds 230 data bytes"))
        var hb = sample(); hb.declaredHeaderBytes = "768"
        XCTAssertTrue(error(hb.bytes()).contains("'number of bytes in header': 768; expected 256 × (1 + 3 signals) = 1024"))
        var unknown = sample(); unknown.declaredRecords = "-1"
        XCTAssertEqual(try EDFFile.parse(unknown.bytes(), path: "u.edf").recordCount, 3)
    }

    func testNonASCIIHeaderFieldsAreRejected() {
        var w = sample(); w.patient = "Zoë"
        let e = error(w.bytes())
        XCTAssertTrue(e.hasPrefix("bad.edf: header field 'patient': byte 3 is 0xC3; expected printable ASCII"), e)
        var bytes = sample().bytes()
        bytes[256 + 3] = 0x07  // inside the first label
        XCTAssertTrue(error(bytes).contains("header field 'label of signal 1': byte 4 is 0x7"))
        var num = sample().bytes()
        num[236] = UInt8(ascii: "x")
        XCTAssertTrue(error(num).contains("'number of data records': 'x'; expected an integer"))
    }

    func testInvalidTALsAreRejected() {
        func withTAL(_ tal: [UInt8]) -> [UInt8] {
            var w = sample(records: 1)
            w.annotations = [EDFTestWriter.tal("+0", [""]) + tal]
            return w.bytes()
        }
        XCTAssertEqual(error(withTAL(Array("0.5\u{14}x\u{14}\u{0}".utf8))),
                       "bad.edf: EDF Annotations, data record 0, byte 5: onset starts with 0x30; expected '+' or '-'")
        XCTAssertTrue(error(withTAL(Array("+0.5.1\u{14}x\u{14}\u{0}".utf8))).contains("onset '+0.5.1'; expected a decimal number"))
        XCTAssertTrue(error(withTAL(Array("+1\u{15}abc\u{14}x\u{14}\u{0}".utf8))).contains("duration ''; expected a decimal number"))
        XCTAssertTrue(error(withTAL(Array("+1 x\u{14}\u{0}".utf8))).contains("found 0x20; expected 0x14"))
        // Unterminated: fills the whole annotation signal without a 0x00.
        var w = sample(records: 1)
        w.annotations = [EDFTestWriter.tal("+0", [""]) + Array("+1\u{14}".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 60 - 8)]
        XCTAssertTrue(error(w.bytes()).contains("not ended by 0x14") || error(w.bytes()).contains("not terminated"))
        XCTAssertTrue(error(withTAL([UInt8(ascii: "+"), UInt8(ascii: "1"), 0x14, 0xFF, 0xFE, 0x14, 0])).contains("not UTF-8"))
    }

    func testSignalsWithDifferentRatesCannotFormOneRecording() throws {
        var w = sample()
        w.signals[1] = EDFTestWriter.Signal(label: "Cz", samplesPerRecord: 2, digital: [Int16](repeating: 0, count: 6))
        let f = try EDFFile.parse(w.bytes(), path: "r.edf")
        XCTAssertThrowsError(try f.recording(path: "r.edf")) { e in
            XCTAssertEqual((e as? SignalsError)?.description, "r.edf: signal 2 ('Cz'): 2.0 Hz; expected every signal at 4.0 Hz like 'Fz'")
        }
    }
}
