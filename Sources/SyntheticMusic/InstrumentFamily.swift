// The tag vocabulary of the synthetic music corpus: General MIDI (GM 1, MMA 1991) instrument
// families and the program numbers (0-based) each may be drawn from. Drums are not a program but
// channel 10 (index 9), the GM percussion key map. Ranges leave out the GM programs whose family is
// ambiguous (harp, timpani, accordion, harmonica, synth leads/pads, ethnic, sound effects).

/// One tag of the corpus; `allCases` is the column order of tags.csv.
public enum InstrumentFamily: String, CaseIterable, Sendable, Comparable {
    case piano, organ, guitar, bass, strings, brass, woodwind, voice, drums

    /// GM programs drawn for this family (empty for drums, which play on channel 10).
    public var programs: [Int] {
        switch self {
        case .piano: return Array(0...7)          // acoustic grand … clavinet
        case .organ: return Array(16...20)        // drawbar … church, reed organ
        case .guitar: return Array(24...31)       // nylon … guitar harmonics
        case .bass: return Array(32...39)         // acoustic … synth bass 2
        case .strings: return Array(40...44) + Array(48...51)  // violin … tremolo; string/synth ensembles
        case .brass: return Array(56...63)        // trumpet … synth brass 2
        case .woodwind: return Array(64...79)     // saxes, double reeds, clarinet, flutes, ocarina
        case .voice: return Array(52...54)        // choir aahs, voice oohs, synth voice
        case .drums: return []
        }
    }

    public var programRange: String {
        switch self {
        case .strings: return "40–44, 48–51"
        case .drums: return "channel 10 (GM percussion), standard kit"
        default: return "\(programs.first!)–\(programs.last!)"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}
