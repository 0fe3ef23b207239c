// The SMF writer against hand-computed bytes (MMA SMF 1.0 examples), and composed clips read back
// with a small independent reader: header, tracks, tempo, programs, channels, balanced notes,
// determinism per seed, and tags that agree with the programs in the MIDI bytes.
import XCTest
@testable import SyntheticMusic

/// A minimal SMF reader for the tests: chunks, delta times, status bytes (no running status, as written).
struct ParsedSMF {
    struct Event { let tick: Int; let bytes: [UInt8] }
    var format = 0, division = 0
    var tracks: [[Event]] = []

    init(_ b: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        var p = 0
        func u32() -> Int { defer { p += 4 }; return Int(b[p]) << 24 | Int(b[p + 1]) << 16 | Int(b[p + 2]) << 8 | Int(b[p + 3]) }
        func u16() -> Int { defer { p += 2 }; return Int(b[p]) << 8 | Int(b[p + 1]) }
        func vlq() -> Int { var v = 0; while true { let c = b[p]; p += 1; v = v << 7 | Int(c & 0x7F); if c < 0x80 { return v } } }
        XCTAssertEqual(Array(b[0..<4]), Array("MThd".utf8), file: file, line: line); p = 4
        XCTAssertEqual(u32(), 6, file: file, line: line)
        format = u16()
        let count = u16()
        division = u16()
        for _ in 0..<count {
            XCTAssertEqual(Array(b[p..<p + 4]), Array("MTrk".utf8), file: file, line: line); p += 4
            let end = u32() + p
            var tick = 0, events: [Event] = []
            while p < end {
                tick += vlq()
                let status = b[p]
                let start = p
                if status == 0xFF { p += 2; let n = vlq(); p += n }
                else if status & 0xF0 == 0xC0 { p += 2 }
                else if status & 0xE0 == 0x80 { p += 3 }  // 8n / 9n
                else { XCTFail("unexpected status byte \(status) at \(p)", file: file, line: line); throw CancellationError() }
                events.append(Event(tick: tick, bytes: Array(b[start..<p])))
            }
            XCTAssertEqual(p, end, "track length", file: file, line: line)
            XCTAssertEqual(events.last?.bytes, [0xFF, 0x2F, 0x00], "end of track last", file: file, line: line)
            tracks.append(events)
        }
        XCTAssertEqual(p, b.count, "trailing bytes", file: file, line: line)
    }
}

final class StandardMIDIFileTests: XCTestCase {
    func testVariableLengthQuantitiesMatchTheSpecExamples() {
        let cases: [(Int, [UInt8])] = [(0, [0x00]), (0x40, [0x40]), (0x7F, [0x7F]), (0x80, [0x81, 0x00]), (0x2000, [0xC0, 0x00]),
                                        (0x3FFF, [0xFF, 0x7F]), (0x4000, [0x81, 0x80, 0x00]), (0x1F_FFFF, [0xFF, 0xFF, 0x7F]),
                                        (0x20_0000, [0x81, 0x80, 0x80, 0x00]), (0x0FFF_FFFF, [0xFF, 0xFF, 0xFF, 0x7F])]
        for (v, bytes) in cases { XCTAssertEqual(StandardMIDIFile.variableLength(v), bytes, "0x\(String(v, radix: 16))") }
    }

    func testOneNoteFileIsByteExact() {
        var t = MIDITrack()
        t.tempo(bpm: 120)
        t.programChange(channel: 0, program: 0)
        t.note(channel: 0, key: 60, velocity: 100, start: 0, duration: 480)
        let bytes = StandardMIDIFile(format: 0, division: 480, tracks: [t]).bytes()
        let expected: [UInt8] = [
            0x4D, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0,     // MThd, 6, format 0, 1 track, 480 tpq
            0x4D, 0x54, 0x72, 0x6B, 0, 0, 0, 23,                            // MTrk, 23 bytes
            0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,                       // tempo 500000 µs/quarter
            0x00, 0xC0, 0x00,                                                // program 0, channel 1
            0x00, 0x90, 0x3C, 0x64,                                          // note on C4, velocity 100
            0x83, 0x60, 0x80, 0x3C, 0x00,                                    // +480: note off C4
            0x00, 0xFF, 0x2F, 0x00,                                          // end of track
        ]
        XCTAssertEqual(bytes, expected)
    }

    func testNoteOffPrecedesNoteOnAtTheSameTick() throws {
        var t = MIDITrack()
        t.note(channel: 2, key: 64, velocity: 90, start: 480, duration: 480)
        t.note(channel: 2, key: 64, velocity: 90, start: 0, duration: 480)
        t.endTick = 2000
        let smf = try ParsedSMF(StandardMIDIFile(format: 0, tracks: [t]).bytes())
        XCTAssertEqual(smf.tracks[0].map(\.tick), [0, 480, 480, 960, 2000])
        XCTAssertEqual(smf.tracks[0].map { $0.bytes[0] }, [0x92, 0x82, 0x92, 0x82, 0xFF])
    }

    func testComposedClipsReadBackWithTheirTempoProgramsAndChannels() throws {
        for index in 0..<40 {
            let clip = MusicComposer.clip(index: index, seed: 7, seconds: 6, testFraction: 0.25)
            let smf = try ParsedSMF(clip.midi.bytes())
            XCTAssertEqual(smf.format, 1)
            XCTAssertEqual(smf.division, 480)
            XCTAssertEqual(smf.tracks.count, clip.parts.count + 1)
            XCTAssertTrue((1...3).contains(clip.parts.count))
            XCTAssertTrue((70...160).contains(clip.bpm))
            let tempo = try XCTUnwrap(smf.tracks[0].first { $0.bytes.starts(with: [0xFF, 0x51]) })
            let us = Int(tempo.bytes[3]) << 16 | Int(tempo.bytes[4]) << 8 | Int(tempo.bytes[5])
            XCTAssertEqual(us, Int((60_000_000 / Double(clip.bpm)).rounded()))
            let end = Int((6 * Double(clip.bpm) / 60 * 480).rounded(.up))
            for (part, events) in zip(clip.parts, smf.tracks.dropFirst()) {
                XCTAssertEqual(events.last?.tick, end, "every track ends at the clip's length")
                let programs = events.filter { $0.bytes[0] & 0xF0 == 0xC0 }.map { Int($0.bytes[1]) }
                let channels = Set(events.filter { $0.bytes[0] < 0xF0 }.map { Int($0.bytes[0] & 0x0F) })
                XCTAssertEqual(channels, [part.channel])
                if part.family == .drums {
                    XCTAssertEqual(part.channel, 9)
                    XCTAssertEqual(programs, [])
                } else {
                    XCTAssertNotEqual(part.channel, 9)
                    XCTAssertEqual(programs.count, 1)
                    XCTAssertTrue(part.family.programs.contains(programs[0]), "\(part.family) program \(programs)")
                }
                // Every note on is released on the same key, none is left sounding.
                var sounding: [Int: Int] = [:]
                var notes = 0
                for e in events where e.bytes[0] & 0xE0 == 0x80 {
                    let key = Int(e.bytes[1])
                    if e.bytes[0] & 0xF0 == 0x90 { sounding[key, default: 0] += 1; notes += 1 } else { sounding[key, default: 0] -= 1 }
                    XCTAssertGreaterThanOrEqual(sounding[key]!, 0)
                }
                XCTAssertTrue(sounding.values.allSatisfy { $0 == 0 })
                XCTAssertGreaterThanOrEqual(notes, 2, "\(part.family) plays")
            }
        }
    }

    func testTagsAgreeWithTheProgramsInTheMIDIBytes() throws {
        let corpus = MusicCorpus(clips: 60, seed: 3, seconds: 4)
        let clips = corpus.composed()
        let rows = corpus.tagsCSV(clips, audio: true).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows[0], ["file", "split", "piano", "organ", "guitar", "bass", "strings", "brass", "woodwind", "voice", "drums"])
        XCTAssertEqual(rows.count, 61)
        for (clip, row) in zip(clips, rows.dropFirst()) {
            XCTAssertEqual(row[0], "audio/\(clip.name).wav")
            XCTAssertEqual(row[1], clip.split)
            let smf = try ParsedSMF(clip.midi.bytes())
            var fromMIDI = Set<InstrumentFamily>()
            for e in smf.tracks.joined() {
                if e.bytes[0] & 0xF0 == 0xC0 {
                    fromMIDI.insert(try XCTUnwrap(InstrumentFamily.allCases.first { $0.programs.contains(Int(e.bytes[1])) }))
                }
                if e.bytes[0] == 0x99 { fromMIDI.insert(.drums) }
            }
            let tagged = Set(InstrumentFamily.allCases.enumerated().filter { row[$0.offset + 2] == "1" }.map(\.element))
            XCTAssertEqual(tagged, fromMIDI, clip.name)
        }
        // Every family and both splits occur in 60 clips.
        for (i, f) in InstrumentFamily.allCases.enumerated() { XCTAssertTrue(rows.dropFirst().contains { $0[i + 2] == "1" }, "\(f)") }
        XCTAssertEqual(Set(rows.dropFirst().map { $0[1] }), ["train", "test"])
    }

    func testCompositionIsDeterministicPerSeedAndIndependentOfCorpusSize() {
        let a = MusicCorpus(clips: 12, seed: 42).composed().map { $0.midi.bytes() }
        let b = MusicCorpus(clips: 12, seed: 42).composed().map { $0.midi.bytes() }
        let c = MusicCorpus(clips: 5, seed: 42).composed().map { $0.midi.bytes() }
        let d = MusicCorpus(clips: 12, seed: 43).composed().map { $0.midi.bytes() }
        XCTAssertEqual(a, b)
        XCTAssertEqual(Array(a.prefix(5)), c)
        XCTAssertNotEqual(a, d)
        XCTAssertEqual(Set(a).count, a.count, "clips differ from one another")
        // The split has a generator of its own: changing the test fraction leaves the music alone.
        let e = MusicCorpus(clips: 12, seed: 42, testFraction: 0.5).composed().map { $0.midi.bytes() }
        XCTAssertEqual(a, e)
    }

    func testSeededGeneratorIsPinned() {
        // SplitMix64 reference outputs for seed 0 (Vigna's splitmix64.c).
        var g = SplitMix64(seed: 0)
        XCTAssertEqual([g.next(), g.next(), g.next()], [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var h = SplitMix64(seed: 1)
        for _ in 0..<1000 { XCTAssertTrue((3...5).contains(h.int(in: 3...5))) }
    }
}
