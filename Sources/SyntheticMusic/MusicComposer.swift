// Seeded composition of one synthetic clip: 1–3 instrument families (the clip's multi-label
// tags), a General MIDI program per family, tempo 70–160 bpm, a key (12 tonics × major / natural
// minor), a register shift per part, a four-chord progression and a simple pattern per part
// (block chords, arpeggios, strums, bass lines, melodic random walks, drum grooves), written as a
// format-1 Standard MIDI File at 480 ticks per quarter in 4/4. Clip i depends only on (seed, i),
// so a larger corpus with the same seed starts with the same clips. Not music theory: no voice
// leading, no form, no dynamics beyond per-note velocity jitter.

/// One instrument part of a clip.
public struct MusicPart: Sendable, Equatable {
    public let family: InstrumentFamily
    /// GM program (0-based); nil for drums (channel 10, standard kit).
    public let program: Int?
    public let channel: Int
    /// Octaves added to the family's base register.
    public let octaveShift: Int
    public let style: String
}

/// A composed clip: its labels, musical parameters and MIDI file.
public struct MusicClip: Sendable, Equatable {
    public let index: Int
    public let bpm: Int
    public let tonic: Int
    public let minor: Bool
    public let seconds: Double
    /// "train" or "test" (drawn with probability `testFraction` from a generator of its own).
    public let split: String
    public let parts: [MusicPart]
    public let midi: StandardMIDIFile

    /// "clip-0007".
    public var name: String { "clip-" + String(repeating: "0", count: max(0, 4 - String(index).count)) + String(index) }
    public var families: [InstrumentFamily] { parts.map(\.family).sorted() }
    public var keyName: String {
        ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"][tonic] + (minor ? " minor" : " major")
    }
}

public enum MusicComposer {
    public static let ticksPerQuarter = 480
    static let bar = 4 * ticksPerQuarter
    static let majorScale = [0, 2, 4, 5, 7, 9, 11], minorScale = [0, 2, 3, 5, 7, 8, 10]
    /// Scale degrees (0 = tonic) of the chord roots, one chord per bar, repeated.
    static let progressions = [[0, 4, 5, 3], [0, 5, 3, 4], [0, 3, 4, 0], [5, 3, 0, 4], [0, 3, 0, 4], [0, 4, 3, 4], [1, 4, 0, 0]]

    /// The generator of clip `index` in the corpus of `seed`.
    static func generator(seed: UInt64, index: Int, stream: UInt64) -> SplitMix64 {
        var g = SplitMix64(seed: seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03) ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        return SplitMix64(seed: g.next())
    }

    /// Clip `index` of the corpus of `seed`, `seconds` long.
    public static func clip(index: Int, seed: UInt64, seconds: Double, testFraction: Double) -> MusicClip {
        precondition(index >= 0 && seconds > 0, "clip \(index) of \(seconds) s")
        var splitRng = generator(seed: seed, index: index, stream: 1)
        let split = splitRng.unit() < testFraction ? "test" : "train"
        var g = generator(seed: seed, index: index, stream: 0)

        var pool = InstrumentFamily.allCases
        g.shuffle(&pool)
        let families = pool.prefix(g.int(in: 1...3)).sorted()
        let bpm = g.int(in: 70...160)
        let tonic = g.int(in: 0...11)
        let minor = g.int(in: 0...1) == 1
        let progression = g.pick(progressions)
        let total = Int((seconds * Double(bpm) / 60 * Double(ticksPerQuarter)).rounded(.up))

        var conductor = MIDITrack()
        conductor.name("crosstalk synthetic music clip \(index) (seed \(seed))")
        conductor.timeSignature(numerator: 4, denominatorPowerOfTwo: 2)
        conductor.tempo(bpm: Double(bpm))
        conductor.endTick = total

        var parts: [MusicPart] = [], tracks = [conductor]
        var nextChannel = 0
        for family in families {
            let channel: Int
            if family == .drums { channel = 9 } else { channel = nextChannel; nextChannel += 1 }
            let program = family == .drums ? nil : g.pick(family.programs)
            let shift = family == .bass ? g.int(in: -1...0) : g.int(in: -1...1)
            var writer = PartWriter(channel: channel, total: total, tonic: tonic,
                                    scale: minor ? minorScale : majorScale, progression: progression,
                                    velocity: g.int(in: 70...105))
            writer.track.name(family.rawValue)
            if let program { writer.track.programChange(channel: channel, program: program) }
            let style = writer.play(family, octaveShift: shift, using: &g)
            writer.track.endTick = total
            tracks.append(writer.track)
            parts.append(MusicPart(family: family, program: program, channel: channel, octaveShift: shift, style: style))
        }
        return MusicClip(index: index, bpm: bpm, tonic: tonic, minor: minor, seconds: seconds, split: split, parts: parts,
                         midi: StandardMIDIFile(format: 1, division: ticksPerQuarter, tracks: tracks))
    }
}

/// Writes one part's notes into a track, clipped to the clip's length.
struct PartWriter {
    let channel: Int, total: Int, tonic: Int, scale: [Int], progression: [Int], velocity: Int
    var track = MIDITrack()
    static let bar = MusicComposer.bar, beat = MusicComposer.ticksPerQuarter

    /// MIDI key of scale degree `degree` (any integer; 7 = the tonic an octave up) in `octave` (C4 = 60).
    func key(_ degree: Int, octave: Int) -> Int {
        let o = degree >= 0 ? degree / 7 : (degree - 6) / 7
        return min(max(12 * (octave + 1 + o) + tonic + scale[degree - 7 * o], 0), 127)
    }

    /// Root degree of the chord sounding at `tick`.
    func root(at tick: Int) -> Int { progression[(tick / Self.bar) % progression.count] }

    mutating func note(_ key: Int, start: Int, duration: Int, using g: inout SplitMix64, accent: Int = 0) {
        guard start < total else { return }
        let d = min(duration, total - start)
        guard d > 0 else { return }
        let v = min(max(velocity + accent + g.int(in: -8...8), 1), 127)
        track.note(channel: channel, key: key, velocity: v, start: start, duration: d)
    }

    /// Plays the family's part; returns the style's name.
    mutating func play(_ family: InstrumentFamily, octaveShift s: Int, using g: inout SplitMix64) -> String {
        switch family {
        case .piano:
            if g.int(in: 0...1) == 0 { chords(octave: 4 + s, rhythm: g.pick([[0, 960], [0, 480, 960, 1440], [0, 720, 1200]]), using: &g); return "chords" }
            arpeggio(octave: 4 + s, step: Self.beat / 2, using: &g); return "arpeggio"
        case .organ:
            chords(octave: 4 + s, rhythm: g.pick([[0], [0, 960]]), using: &g); return "sustained chords"
        case .guitar:
            if g.int(in: 0...1) == 0 { strum(octave: 3 + s, rhythm: g.pick([[0, 480, 960, 1440], [0, 720, 960, 1440], [0, 960]]), using: &g); return "strum" }
            arpeggio(octave: 3 + s, step: Self.beat / 2, using: &g); return "arpeggio"
        case .bass:
            bassLine(octave: 2 + s, using: &g); return "bass line"
        case .strings:
            if g.int(in: 0...1) == 0 { chords(octave: 4 + s, rhythm: [0], using: &g); return "pad" }
            melody(octave: 4 + s, cells: [[960], [1920], [480, 480]], using: &g); return "slow melody"
        case .brass:
            if g.int(in: 0...1) == 0 { chords(octave: 4 + s, rhythm: g.pick([[240, 720, 1200], [480, 1440], [0, 1200]]), length: 200, using: &g); return "stabs" }
            melody(octave: 4 + s, cells: [[480], [240, 240], [960], [720, 240]], using: &g); return "melody"
        case .woodwind:
            melody(octave: 5 + s, cells: [[480], [240, 240], [960], [720, 240], [240, 240, 480]], using: &g); return "melody"
        case .voice:
            melody(octave: 4 + s, cells: [[960], [1920], [480, 480, 960]], using: &g); return "sung melody"
        case .drums:
            return drums(using: &g)
        }
    }

    /// Root-position triads at bar offsets `rhythm`, each held to the next onset (or `length`).
    mutating func chords(octave: Int, rhythm: [Int], length: Int? = nil, using g: inout SplitMix64) {
        for barStart in stride(from: 0, to: total, by: Self.bar) {
            for (i, onset) in rhythm.enumerated() {
                let start = barStart + onset
                let next = i + 1 < rhythm.count ? rhythm[i + 1] : Self.bar
                let r = root(at: start)
                for d in [r, r + 2, r + 4] {
                    note(key(d, octave: octave), start: start, duration: length ?? (next - onset - 20), using: &g, accent: i == 0 ? 6 : 0)
                }
            }
        }
    }

    /// Chord tones up (or up and down) in steps of `step` ticks.
    mutating func arpeggio(octave: Int, step: Int, using g: inout SplitMix64) {
        let shape = g.pick([[0, 2, 4, 7], [0, 2, 4, 7, 4, 2], [0, 4, 7, 9, 7, 4]])
        var i = 0
        for start in stride(from: 0, to: total, by: step) {
            note(key(root(at: start) + shape[i % shape.count], octave: octave), start: start, duration: step * 3 / 2, using: &g,
                 accent: start % Self.beat == 0 ? 6 : 0)
            i += 1
        }
    }

    /// Four-note chords (root an octave down) with 15 ticks between strings.
    mutating func strum(octave: Int, rhythm: [Int], using g: inout SplitMix64) {
        for barStart in stride(from: 0, to: total, by: Self.bar) {
            for (i, onset) in rhythm.enumerated() {
                let start = barStart + onset
                let next = i + 1 < rhythm.count ? rhythm[i + 1] : Self.bar
                let r = root(at: start)
                for (j, d) in [r - 7, r, r + 2, r + 4].enumerated() {
                    note(key(d, octave: octave), start: start + 15 * j, duration: next - onset - 15 * j, using: &g)
                }
            }
        }
    }

    mutating func bassLine(octave: Int, using g: inout SplitMix64) {
        let pattern = g.pick([[(0, 0), (960, 0)], [(0, 0), (480, 4), (960, 0), (1440, 4)], [(0, 0), (720, 0), (960, 4), (1440, 7)],
                              [(0, 0), (240, 0), (480, 0), (720, 0), (960, 0), (1200, 0), (1440, 0), (1680, 0)]])
        for barStart in stride(from: 0, to: total, by: Self.bar) {
            for (i, (onset, interval)) in pattern.enumerated() {
                let next = i + 1 < pattern.count ? pattern[i + 1].0 : Self.bar
                note(key(root(at: barStart) + interval, octave: octave), start: barStart + onset, duration: next - onset - 20, using: &g)
            }
        }
    }

    /// A random walk over the scale (steps −2…+2), landing on a chord tone at each bar line.
    mutating func melody(octave: Int, cells: [[Int]], using g: inout SplitMix64) {
        var degree = g.pick([0, 2, 4])
        var t = 0
        while t < total {
            let cell = g.pick(cells)
            for length in cell where t < total {
                if t % Self.bar == 0 {
                    let r = root(at: t)
                    degree = [r, r + 2, r + 4, r + 7].min { abs($0 - degree) < abs($1 - degree) }!
                } else {
                    degree += g.pick([-2, -1, -1, 0, 1, 1, 2])
                }
                degree = min(max(degree, -2), 11)
                note(key(degree, octave: octave), start: t, duration: length - 10, using: &g, accent: t % Self.bar == 0 ? 6 : 0)
                t += length
            }
        }
    }

    /// GM percussion keys: 36 kick, 38 snare, 42 closed hat, 46 open hat, 49 crash, 51 ride, 45/48 toms.
    mutating func drums(using g: inout SplitMix64) -> String {
        let grooves: [(String, [(Int, Int)])] = [
            ("rock", [(0, 36), (960, 36), (480, 38), (1440, 38)] + stride(from: 0, to: 1920, by: 240).map { ($0, 42) }),
            ("four on the floor", [(0, 36), (480, 36), (960, 36), (1440, 36), (480, 38), (1440, 38)] + [240, 720, 1200, 1680].map { ($0, 46) }),
            ("half time", [(0, 36), (960, 38)] + stride(from: 0, to: 1920, by: 480).map { ($0, 51) }),
            ("funk", [(0, 36), (720, 36), (1200, 36), (480, 38), (1440, 38), (1680, 38)] + stride(from: 0, to: 1920, by: 240).map { ($0, 42) }),
        ]
        let (name, groove) = g.pick(grooves)
        note(49, start: 0, duration: 480, using: &g, accent: 10)
        for barStart in stride(from: 0, to: total, by: Self.bar) {
            for (onset, k) in groove { note(k, start: barStart + onset, duration: 120, using: &g, accent: k == 36 || k == 38 ? 8 : -10) }
            if (barStart / Self.bar) % 4 == 3 {  // a tom fill on the last beat of every fourth bar
                for (j, k) in [48, 48, 45, 45].enumerated() { note(k, start: barStart + 1440 + 120 * j, duration: 100, using: &g) }
            }
        }
        return name
    }
}
