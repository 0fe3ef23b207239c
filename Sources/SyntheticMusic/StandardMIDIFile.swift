// Standard MIDI File writer (SMF 1.0, the MMA "Standard MIDI Files 1.0" spec): an MThd header
// chunk, one MTrk chunk per track, delta times as variable-length quantities, channel messages
// (note on/off, program change) and the meta events a renderer needs (tempo, time signature,
// track name, end of track). Events are kept with absolute ticks and sorted on write; running
// status is not used, so every event carries its status byte. Leaves out reading, SMPTE time
// division, system-exclusive and every other meta event.

/// A track: events at absolute ticks; `bytes()` sorts them and writes delta times.
public struct MIDITrack: Sendable, Equatable {
    /// Order among events at the same tick: meta and program changes, then note offs, then note ons
    /// (so a repeated note is released before it is struck again).
    enum Priority: Int, Sendable { case setup = 0, noteOff = 1, noteOn = 2 }

    struct Event: Sendable, Equatable {
        var tick: Int
        var priority: Priority
        var bytes: [UInt8]
    }

    var events: [Event] = []
    /// The tick of the end-of-track event (at least the last event's tick).
    public var endTick: Int = 0

    public init() {}

    mutating func append(_ tick: Int, _ priority: Priority, _ bytes: [UInt8]) {
        precondition(tick >= 0, "MIDI event at negative tick \(tick)")
        events.append(Event(tick: tick, priority: priority, bytes: bytes))
        endTick = max(endTick, tick)
    }

    /// Meta event FF 03: the track name (ASCII/UTF-8 text).
    public mutating func name(_ text: String, at tick: Int = 0) {
        let t = Array(text.utf8)
        append(tick, .setup, [0xFF, 0x03] + StandardMIDIFile.variableLength(t.count) + t)
    }

    /// Meta event FF 51 03 tt tt tt: microseconds per quarter note = round(60 000 000 / bpm).
    public mutating func tempo(bpm: Double, at tick: Int = 0) {
        precondition(bpm > 0, "tempo \(bpm) bpm; expected > 0")
        let us = min(Int((60_000_000 / bpm).rounded()), 0xFF_FFFF)
        append(tick, .setup, [0xFF, 0x51, 0x03, UInt8(us >> 16), UInt8((us >> 8) & 0xFF), UInt8(us & 0xFF)])
    }

    /// Meta event FF 58 04 nn dd cc bb: numerator / 2^dd, 24 MIDI clocks per metronome click, 8 32nds per quarter.
    public mutating func timeSignature(numerator: Int, denominatorPowerOfTwo: Int, at tick: Int = 0) {
        append(tick, .setup, [0xFF, 0x58, 0x04, UInt8(numerator), UInt8(denominatorPowerOfTwo), 24, 8])
    }

    /// Cn pp: program change (General MIDI program 0...127) on channel 0...15.
    public mutating func programChange(channel: Int, program: Int, at tick: Int = 0) {
        precondition((0..<16).contains(channel) && (0..<128).contains(program), "program change channel \(channel) program \(program)")
        append(tick, .setup, [0xC0 | UInt8(channel), UInt8(program)])
    }

    /// 9n kk vv at `start`, 8n kk 00 at `start + duration`.
    public mutating func note(channel: Int, key: Int, velocity: Int, start: Int, duration: Int) {
        precondition((0..<16).contains(channel) && (0..<128).contains(key) && (1..<128).contains(velocity) && duration > 0,
                     "note channel \(channel) key \(key) velocity \(velocity) duration \(duration)")
        append(start, .noteOn, [0x90 | UInt8(channel), UInt8(key), UInt8(velocity)])
        append(start + duration, .noteOff, [0x80 | UInt8(channel), UInt8(key), 0])
    }

    /// The MTrk chunk: "MTrk", 32-bit big-endian length, delta-timed events, FF 2F 00 at `endTick`.
    public func bytes() -> [UInt8] {
        let sorted = events.enumerated().sorted {
            ($0.element.tick, $0.element.priority.rawValue, $0.offset) < ($1.element.tick, $1.element.priority.rawValue, $1.offset)
        }.map(\.element)
        var body = [UInt8]()
        var now = 0
        for e in sorted {
            body += StandardMIDIFile.variableLength(e.tick - now) + e.bytes
            now = e.tick
        }
        body += StandardMIDIFile.variableLength(max(endTick - now, 0)) + [0xFF, 0x2F, 0x00]
        return Array("MTrk".utf8) + StandardMIDIFile.bigEndian32(body.count) + body
    }
}

/// A whole file: format 0 (one track) or 1 (simultaneous tracks, the first holding tempo),
/// `division` ticks per quarter note.
public struct StandardMIDIFile: Sendable, Equatable {
    public var format: Int
    public var division: Int
    public var tracks: [MIDITrack]

    public init(format: Int, division: Int = 480, tracks: [MIDITrack]) {
        precondition(format == 0 ? tracks.count == 1 : format == 1, "SMF format \(format) with \(tracks.count) tracks")
        precondition((1..<0x8000).contains(division), "division \(division) ticks per quarter; expected 1...32767")
        self.format = format
        self.division = division
        self.tracks = tracks
    }

    /// "MThd" 00 00 00 06, format, track count, division (16-bit big-endian each), then the tracks.
    public func bytes() -> [UInt8] {
        var out = Array("MThd".utf8) + Self.bigEndian32(6)
        out += Self.bigEndian16(format) + Self.bigEndian16(tracks.count) + Self.bigEndian16(division)
        for t in tracks { out += t.bytes() }
        return out
    }

    /// Variable-length quantity: 7 bits per byte, most significant group first, bit 7 set on all
    /// but the last byte (0x80 → 81 00, 0x0FFFFFFF → FF FF FF 7F).
    public static func variableLength(_ value: Int) -> [UInt8] {
        precondition((0...0x0FFF_FFFF).contains(value), "variable-length quantity \(value) outside 0...0x0FFFFFFF")
        var groups = [UInt8(value & 0x7F)]
        var v = value >> 7
        while v > 0 {
            groups.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        return groups.reversed()
    }

    static func bigEndian32(_ v: Int) -> [UInt8] { [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    static func bigEndian16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
