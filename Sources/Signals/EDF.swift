// EDF: reads EDF and EDF+ (Kemp 1992; Kemp & Olivan 2003): fixed and per-signal headers checked
// against the file length, int16 records scaled to physical units as mne.io.read_raw_edf does
// (physMin + (d − digMin)·(physMax − physMin)/(digMax − digMin)), and "EDF Annotations" TALs
// (+onset[\x15duration]\x14text\x14…\x00). Leaves out BDF (24-bit), EDF+D gaps and writing.

import Foundation

/// One signal's header entry. Ordinary signals have samplesPerRecord / recordDuration Hz.
public struct EDFSignal: Sendable, Equatable {
    public var label: String
    public var transducer: String
    public var physicalDimension: String
    public var physicalMin: Double
    public var physicalMax: Double
    public var digitalMin: Int
    public var digitalMax: Int
    public var prefiltering: String
    public var samplesPerRecord: Int
    /// True for the EDF+ "EDF Annotations" signal, which holds TALs instead of samples.
    public var isAnnotations: Bool { label == "EDF Annotations" }
}

/// A parsed EDF/EDF+ file: header fields, samples of the ordinary signals, EDF+ annotations.
public struct EDFFile: Sendable {
    public var patient: String
    public var recordingID: String
    public var startDate: String
    public var startTime: String
    /// "EDF+C", "EDF+D" or "" (plain EDF).
    public var reserved: String
    public var recordCount: Int
    public var recordDuration: Double
    public var signals: [EDFSignal]
    /// Physical values of every ordinary signal, [signal][recordCount · samplesPerRecord];
    /// annotation signals get an empty array.
    public var samples: [[Double]]
    /// Every non-empty annotation of every TAL, in file order (time-keeping TALs' empty texts dropped).
    public var annotations: [Annotation]

    public var isEDFPlus: Bool { reserved.hasPrefix("EDF+") }
    public var duration: Double { Double(recordCount) * recordDuration }

    /// Sampling rate of signal `i` in Hz.
    public func sampleRate(_ i: Int) -> Double { Double(signals[i].samplesPerRecord) / recordDuration }

    public static func read(path: String) throws -> EDFFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SignalsError.cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file")
        }
        return try parse([UInt8](data), path: path)
    }

    /// Parses EDF bytes; `path` only labels errors.
    public static func parse(_ bytes: [UInt8], path: String) throws -> EDFFile {
        func bad(_ place: String, _ why: String) -> SignalsError { .badEDF(path: path, place: place, reason: why) }
        guard bytes.count >= 256 else {
            throw bad("header", "truncated: \(bytes.count) bytes; expected at least the 256-byte fixed header")
        }
        if bytes[0] == 0xFF { throw bad("header", "BDF (24-bit) file; expected EDF (version \"0\")") }
        /// Field `name` at [offset, offset+len): printable ASCII, trailing spaces trimmed.
        func field(_ offset: Int, _ len: Int, _ name: String) throws -> String {
            for (k, b) in bytes[offset..<offset + len].enumerated() where b < 0x20 || b > 0x7E {
                throw bad("header field '\(name)'", "byte \(k + 1) is 0x\(String(b, radix: 16, uppercase: true)); expected printable ASCII (EDF spec)")
            }
            return String(decoding: bytes[offset..<offset + len], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
        func int(_ offset: Int, _ len: Int, _ name: String) throws -> Int {
            let s = try field(offset, len, name)
            guard let v = Int(s) else { throw bad("header field '\(name)'", "'\(s)'; expected an integer") }
            return v
        }
        func real(_ offset: Int, _ len: Int, _ name: String) throws -> Double {
            let s = try field(offset, len, name)
            guard let v = Double(s), v.isFinite else { throw bad("header field '\(name)'", "'\(s)'; expected a number") }
            return v
        }
        let version = try field(0, 8, "version")
        guard version == "0" else { throw bad("header field 'version'", "'\(version)'; expected \"0\"") }
        let patient = try field(8, 80, "patient")
        let recordingID = try field(88, 80, "recording")
        let startDate = try field(168, 8, "startdate")
        let startTime = try field(176, 8, "starttime")
        let headerBytes = try int(184, 8, "number of bytes in header")
        let reserved = try field(192, 44, "reserved")
        var recordCount = try int(236, 8, "number of data records")
        let recordDuration = try real(244, 8, "duration of a data record")
        let ns = try int(252, 4, "number of signals")
        guard ns > 0, ns <= 4096 else { throw bad("header field 'number of signals'", "\(ns); expected 1...4096") }
        guard headerBytes == 256 * (ns + 1) else {
            throw bad("header field 'number of bytes in header'", "\(headerBytes); expected 256 × (1 + \(ns) signals) = \(256 * (ns + 1))")
        }
        guard bytes.count >= headerBytes else {
            throw bad("header", "truncated: \(bytes.count) bytes; expected \(headerBytes) header bytes for \(ns) signals")
        }
        guard recordDuration >= 0 else { throw bad("header field 'duration of a data record'", "\(recordDuration); expected ≥ 0") }

        // Signal headers: each field is ns consecutive entries.
        var offset = 256
        func column(_ len: Int, _ name: String) throws -> [String] {
            defer { offset += len * ns }
            return try (0..<ns).map { try field(offset + $0 * len, len, "\(name) of signal \($0 + 1)") }
        }
        let labels = try column(16, "label"), transducers = try column(80, "transducer type")
        let dims = try column(8, "physical dimension")
        let pmin = try column(8, "physical minimum"), pmax = try column(8, "physical maximum")
        let dmin = try column(8, "digital minimum"), dmax = try column(8, "digital maximum")
        let prefilter = try column(80, "prefiltering"), spr = try column(8, "nr of samples in each data record")
        _ = try column(32, "reserved")
        var signals = [EDFSignal]()
        for i in 0..<ns {
            let place = "signal \(i + 1) ('\(labels[i])')"
            guard let p0 = Double(pmin[i]), let p1 = Double(pmax[i]), p0.isFinite, p1.isFinite, p0 != p1 else {
                throw bad(place, "physical minimum/maximum '\(pmin[i])'/'\(pmax[i])'; expected two different numbers")
            }
            guard let d0 = Int(dmin[i]), let d1 = Int(dmax[i]), d0 < d1, d0 >= -32768, d1 <= 32767 else {
                throw bad(place, "digital minimum/maximum '\(dmin[i])'/'\(dmax[i])'; expected integers with -32768 ≤ min < max ≤ 32767")
            }
            guard let n = Int(spr[i]), n > 0, n <= 1 << 24 else {
                throw bad(place, "samples per data record '\(spr[i])'; expected a positive integer")
            }
            signals.append(EDFSignal(label: labels[i], transducer: transducers[i], physicalDimension: dims[i], physicalMin: p0, physicalMax: p1,
                                     digitalMin: d0, digitalMax: d1, prefiltering: prefilter[i], samplesPerRecord: n))
        }
        let recordBytes = signals.reduce(0) { $0 + 2 * $1.samplesPerRecord }
        let dataBytes = bytes.count - headerBytes
        if recordCount == -1 {
            // "-1" means "unknown, still recording" (EDF spec): accept whole records only.
            guard dataBytes % recordBytes == 0 else {
                throw bad("data records", "\(dataBytes) data bytes with the record count unknown (-1); expected a multiple of the \(recordBytes)-byte record")
            }
            recordCount = dataBytes / recordBytes
        }
        guard recordCount >= 0 else { throw bad("header field 'number of data records'", "\(recordCount); expected ≥ 0") }
        let (declared, overflow) = recordCount.multipliedReportingOverflow(by: recordBytes)
        guard !overflow, dataBytes == declared else {
            let product = overflow ? "more than the file system holds" : "\(declared)"
            throw bad("data records", "file holds \(dataBytes) data bytes; header declares \(recordCount) records × \(recordBytes) bytes = \(product)"
                      + (overflow || dataBytes < declared ? " (truncated file?)" : ""))
        }
        let hasOrdinary = signals.contains { !$0.isAnnotations }
        if hasOrdinary && recordDuration <= 0 {
            throw bad("header field 'duration of a data record'", "\(recordDuration); expected > 0 for a file with ordinary signals")
        }

        // Data records.
        var samples = signals.map { $0.isAnnotations ? [Double]() : [Double](repeating: 0, count: recordCount * $0.samplesPerRecord) }
        var annotations = [Annotation]()
        var position = headerBytes
        for r in 0..<recordCount {
            for (i, s) in signals.enumerated() {
                let n = s.samplesPerRecord
                if s.isAnnotations {
                    try parseTALs(bytes[position..<position + 2 * n], record: r, path: path, into: &annotations)
                } else {
                    let gain = (s.physicalMax - s.physicalMin) / Double(s.digitalMax - s.digitalMin)
                    let base = r * n
                    for k in 0..<n {
                        let lo = UInt16(bytes[position + 2 * k]), hi = UInt16(bytes[position + 2 * k + 1])
                        let d = Int16(bitPattern: lo | hi << 8)
                        samples[i][base + k] = s.physicalMin + (Double(d) - Double(s.digitalMin)) * gain
                    }
                }
                position += 2 * n
            }
        }
        return EDFFile(patient: patient, recordingID: recordingID, startDate: startDate, startTime: startTime, reserved: reserved,
                       recordCount: recordCount, recordDuration: recordDuration, signals: signals, samples: samples, annotations: annotations)
    }

    /// Parses the TALs in one record's annotation bytes: "+onset[\x15duration]\x14[text\x14]*\x00", then
    /// zero padding. Empty texts (the time-keeping TAL's) are dropped.
    static func parseTALs(_ raw: ArraySlice<UInt8>, record: Int, path: String, into out: inout [Annotation]) throws {
        let b = Array(raw)
        var i = 0
        func bad(_ at: Int, _ why: String) -> SignalsError { .badAnnotation(path: path, record: record, offset: at, reason: why) }
        /// A signed (onset) or unsigned (duration) decimal number up to one of `terminators`.
        func number(signed: Bool, what: String) throws -> Double {
            let start = i
            if signed {
                guard i < b.count, b[i] == 0x2B || b[i] == 0x2D else {
                    throw bad(i, "\(what) starts with \(i < b.count ? "0x" + String(b[i], radix: 16) : "the end of the record"); expected '+' or '-'")
                }
                i += 1
            }
            var digits = 0, dots = 0
            while i < b.count, (b[i] >= 0x30 && b[i] <= 0x39) || b[i] == 0x2E {
                if b[i] == 0x2E { dots += 1 } else { digits += 1 }
                i += 1
            }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            guard digits > 0, dots <= 1, let v = Double(text) else {
                throw bad(start, "\(what) '\(text)'; expected a decimal number of seconds\(signed ? " with a leading sign" : "")")
            }
            return v
        }
        while i < b.count {
            if b[i] == 0 { i += 1; continue }  // padding between/after TALs
            let onset = try number(signed: true, what: "onset")
            var duration: Double? = nil
            if i < b.count && b[i] == 0x15 {
                i += 1
                duration = try number(signed: false, what: "duration")
            }
            guard i < b.count, b[i] == 0x14 else {
                throw bad(i, "after the onset/duration found \(i < b.count ? "0x" + String(b[i], radix: 16) : "the end of the record"); expected 0x14")
            }
            i += 1
            // Annotation texts, each ended by 0x14, the TAL by 0x00.
            while true {
                guard i < b.count else { throw bad(i, "TAL not terminated; expected 0x14 then 0x00 before the end of the record") }
                if b[i] == 0 { i += 1; break }
                let start = i
                while i < b.count && b[i] != 0x14 && b[i] != 0 { i += 1 }
                guard i < b.count, b[i] == 0x14 else { throw bad(i, "annotation text not ended by 0x14") }
                guard let text = String(validatingUTF8: b[start..<i].map { CChar(bitPattern: $0) } + [0]) else {
                    throw bad(start, "annotation text is not UTF-8 (EDF+ requires UTF-8)")
                }
                i += 1
                if !text.isEmpty { out.append(Annotation(onset: onset, duration: duration, text: text)) }
            }
        }
    }

    /// The ordinary signals as one Recording; throws unless they share one rate.
    /// Annotations are carried along; events are empty (annotation texts have no integer code).
    public func recording(path: String) throws -> Recording {
        let idx = signals.indices.filter { !signals[$0].isAnnotations }
        guard let first = idx.first else { throw SignalsError.badEDF(path: path, place: "signals", reason: "only annotations; expected at least one ordinary signal") }
        let rate = sampleRate(first)
        for i in idx where signals[i].samplesPerRecord != signals[first].samplesPerRecord {
            throw SignalsError.badEDF(path: path, place: "signal \(i + 1) ('\(signals[i].label)')",
                                      reason: "\(sampleRate(i)) Hz; expected every signal at \(rate) Hz like '\(signals[first].label)'")
        }
        return Recording(channels: idx.map { signals[$0].label }, sampleRate: rate, data: idx.map { samples[$0] }, annotations: annotations)
    }
}
