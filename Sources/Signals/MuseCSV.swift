// MuseCSV: the eeg-notebooks Muse recordings (header `timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0`,
// marker 1 = house, 2 = face), as eeg-notebooks' utils.load_muse_csv_as_raw reads them: the declared
// 256 Hz, samples indexed by row (timestamp jitter ignored), events = rows with a non-zero marker.
// Every malformed line is an error naming file, line and field. Leaves out quoted fields and resampling.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum MuseCSV {
    /// The header the eeg-notebooks Muse recorder writes.
    public static let expectedHeader = ["timestamps", "TP9", "AF7", "AF8", "TP10", "Right AUX", "Marker0"]
    /// Muse 2016 sampling rate (Hz).
    public static let museRate = 256.0

    /// Reads `path`: channels TP9, AF7, AF8, TP10, Right AUX [5][N] in µV; events from Marker0.
    public static func read(path: String, sampleRate: Double = museRate) throws -> Recording {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SignalsError.cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file")
        }
        return try parse([UInt8](data), path: path, sampleRate: sampleRate).recording
    }

    /// Parses CSV bytes; `path` only labels errors. Also returns the timestamps [N] (seconds).
    public static func parse(_ bytes: [UInt8], path: String, sampleRate: Double = museRate) throws -> (recording: Recording, timestamps: [Double]) {
        let columns = expectedHeader.count
        let channelCount = columns - 2
        var lineNo = 0
        var start = 0
        var channels = [[Double]](repeating: [], count: channelCount)
        var timestamps = [Double]()
        var events = [Event]()
        var sawHeader = false
        let n = bytes.count
        for c in 0..<channelCount { channels[c].reserveCapacity(n / 48) }
        try bytes.withUnsafeBufferPointer { p in
            while start < n {
                var end = start
                while end < n && p[end] != 0x0A { end += 1 }
                lineNo += 1
                var stop = end
                if stop > start && p[stop - 1] == 0x0D { stop -= 1 }
                defer { start = end + 1 }
                if !sawHeader {
                    let header = String(decoding: UnsafeBufferPointer(rebasing: p[start..<stop]), as: UTF8.self)
                    let names = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    let shown = names.count > 1 ? header : "'\(header)'"
                    guard names == expectedHeader else {
                        throw SignalsError.badCSV(path: path, line: lineNo,
                                                  reason: "header \(shown); expected \(expectedHeader.joined(separator: ","))")
                    }
                    sawHeader = true
                    continue
                }
                if stop == start {
                    // A blank line is allowed only at the very end.
                    if end + 1 >= n { continue }
                    throw SignalsError.badCSV(path: path, line: lineNo, reason: "empty line; expected \(columns) comma-separated numbers")
                }
                var field = 0
                var fs = start
                var values = (0.0, 0.0)
                while true {
                    var fe = fs
                    while fe < stop && p[fe] != 0x2C { fe += 1 }
                    if field >= columns {
                        throw SignalsError.badCSV(path: path, line: lineNo, reason: "more than \(columns) fields; expected \(columns) (\(expectedHeader.joined(separator: ",")))")
                    }
                    guard let v = parseDouble(p, fs, fe) else {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: p[fs..<fe]), as: UTF8.self)
                        throw SignalsError.badCSV(path: path, line: lineNo,
                                                  reason: "field \(field + 1) (\(expectedHeader[field])) is '\(text)'; expected a finite number")
                    }
                    if field == 0 { values.0 = v }
                    else if field <= channelCount { channels[field - 1].append(v) }
                    else { values.1 = v }
                    field += 1
                    if fe >= stop { break }
                    fs = fe + 1
                }
                guard field == columns else {
                    throw SignalsError.badCSV(path: path, line: lineNo, reason: "\(field) fields; expected \(columns) (\(expectedHeader.joined(separator: ",")))")
                }
                let marker = values.1
                guard marker == marker.rounded(), marker >= 0, marker < 1e9 else {
                    throw SignalsError.badCSV(path: path, line: lineNo, reason: "Marker0 is \(marker); expected a non-negative integer code")
                }
                if marker != 0 { events.append(Event(sample: timestamps.count, code: Int(marker))) }
                timestamps.append(values.0)
            }
        }
        guard sawHeader else { throw SignalsError.badCSV(path: path, line: 1, reason: "empty file; expected the header \(expectedHeader.joined(separator: ","))") }
        guard !timestamps.isEmpty else { throw SignalsError.badCSV(path: path, line: 2, reason: "no samples after the header; expected at least one row") }
        let rec = Recording(channels: Array(expectedHeader[1...channelCount]), sampleRate: sampleRate, data: channels, events: events)
        return (rec, timestamps)
    }

    /// strtod over p[from..<to]; nil unless the whole field is one finite number.
    @inline(__always)
    static func parseDouble(_ p: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Double? {
        let len = to - from
        guard len > 0, len < 63 else { return nil }
        let first = p[from]
        // strtod skips leading blanks and reads "inf"/"nan"/hex; only plain decimals are allowed here.
        guard (first >= 0x30 && first <= 0x39) || first == 0x2D || first == 0x2B || first == 0x2E else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Double? in
            for i in 0..<len { buf[i] = CChar(bitPattern: p[from + i]) }
            buf[len] = 0
            var endp: UnsafeMutablePointer<CChar>?
            let v = strtod(buf.baseAddress!, &endp)
            guard let endp, endp - buf.baseAddress! == len, v.isFinite else { return nil }
            for i in 0..<len where p[from + i] == 0x78 || p[from + i] == 0x58 { return nil }  // no hex floats
            return v
        }
    }
}
