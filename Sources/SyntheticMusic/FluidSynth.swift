// Rendering MIDI to audio with the `fluidsynth` command-line synthesiser (Debian bookworm:
// fluidsynth 2.3.1) in fast-render mode: `fluidsynth -n -i -q -g GAIN -r RATE -T wav -O s16
// -F OUT.wav SOUNDFONT IN.mid` — no MIDI driver, no shell, no audio device; 16-bit PCM stereo
// WAV at RATE, rendered until the MIDI file's end-of-track. Reverb and chorus keep fluidsynth's
// defaults. Leaves out libfluidsynth's C API (the executable needs no system-library target).
import Foundation

public enum MusicCorpusError: Error, CustomStringConvertible, Equatable {
    case fluidsynthMissing
    case soundfontMissing(path: String)
    case notASoundfont(path: String)
    case noSoundfont(searched: [String])
    case renderFailed(midi: String, status: Int32, message: String)
    case emptyRender(wav: String)
    case outputExists(path: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .fluidsynthMissing:
            return "fluidsynth: not found on PATH; expected the fluidsynth executable (Scripts/setup installs it, or use --midi-only)"
        case .soundfontMissing(let p):
            return "--soundfont \(p): no such file; expected a General MIDI .sf2/.sf3 soundfont"
        case .notASoundfont(let p):
            return "--soundfont \(p): not a SoundFont (expected a RIFF file of form 'sfbk', as .sf2/.sf3 are)"
        case .noSoundfont(let s):
            return "no General MIDI soundfont found (looked for \(s.joined(separator: ", "))); install timgm6mb-soundfont (Scripts/setup) or pass --soundfont"
        case .renderFailed(let m, let s, let msg):
            return "\(m): fluidsynth exited with status \(s)\(msg.isEmpty ? "" : ": " + msg)"
        case .emptyRender(let w):
            return "\(w): fluidsynth wrote no audio; expected a non-empty WAV"
        case .outputExists(let p):
            return "\(p): already exists; expected a new corpus directory (remove it or choose another --out)"
        case .cannotWrite(let p, let r):
            return "\(p): cannot be written (\(r))"
        }
    }
}

public struct FluidSynth: Sendable {
    public let executable: String
    public let soundfont: String
    public var sampleRate: Int = 22050
    public var gain: Double = 0.6

    /// Soundfonts tried, in order, when none is given: Debian's timgm6mb-soundfont (6 MB, GPL-2) and
    /// fluid-soundfont-gm (FluidR3, 140 MB, MIT).
    public static let defaultSoundfonts = ["/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/sounds/sf2/FluidR3_GM.sf2",
                                           "/usr/share/sounds/sf3/MuseScore_General.sf3"]

    /// Finds `fluidsynth` on PATH and checks (or finds) the soundfont.
    public init(soundfont: String?, sampleRate: Int = 22050, gain: Double = 0.6) throws {
        guard let exe = Self.which("fluidsynth") else { throw MusicCorpusError.fluidsynthMissing }
        executable = exe
        self.soundfont = try Self.resolveSoundfont(soundfont)
        self.sampleRate = sampleRate
        self.gain = gain
    }

    public static func resolveSoundfont(_ path: String?) throws -> String {
        let fm = FileManager.default
        if let path {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { throw MusicCorpusError.soundfontMissing(path: path) }
            // fluidsynth renders silence and exits 0 when the soundfont is not one; check the RIFF form first.
            var head: [UInt8] = []
            if let h = FileHandle(forReadingAtPath: path) {
                head = [UInt8](h.readData(ofLength: 12))
                try? h.close()
            }
            guard head.count == 12, Array(head[0..<4]) == Array("RIFF".utf8), Array(head[8..<12]) == Array("sfbk".utf8) else {
                throw MusicCorpusError.notASoundfont(path: path)
            }
            return path
        }
        guard let found = defaultSoundfonts.first(where: { fm.fileExists(atPath: $0) }) else {
            throw MusicCorpusError.noSoundfont(searched: defaultSoundfonts)
        }
        return found
    }

    /// The licence of a soundfont the project knows (the Debian package's copyright file), else a hint.
    public static func licence(of soundfont: String) -> String {
        switch (soundfont as NSString).lastPathComponent {
        case "TimGM6mb.sf2": return "GPL-2 (Tim Brechbill 2004, David Bolton 2010; Debian package timgm6mb-soundfont)"
        case "FluidR3_GM.sf2": return "MIT (Frank Wen; Debian package fluid-soundfont-gm)"
        case "MuseScore_General.sf3": return "MIT (S. Christian Collins; Debian package musescore-general-soundfont)"
        default: return "unknown — check the soundfont's own licence before sharing rendered audio"
        }
    }

    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = String(dir) + "/" + name
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// "2.3.1" from `fluidsynth --version` ("FluidSynth runtime version 2.3.1"), or "unknown".
    public func version() -> String {
        guard let (status, out) = try? run(["--version"]), status == 0 else { return "unknown" }
        for line in out.split(separator: "\n") where line.contains("version") {
            if let v = line.split(separator: " ").last { return String(v) }
        }
        return "unknown"
    }

    /// The argument list of one render (documented in the README the corpus carries).
    public func arguments(midi: String, wav: String) -> [String] {
        ["-n", "-i", "-q", "-g", String(gain), "-r", String(sampleRate), "-T", "wav", "-O", "s16", "-F", wav, soundfont, midi]
    }

    /// Renders `midi` to `wav`; throws with fluidsynth's first output line on failure.
    public func render(midi: String, wav: String) throws {
        let (status, out) = try run(arguments(midi: midi, wav: wav))
        let lines = out.split(separator: "\n").map(String.init)
        let firstLine = lines.first { $0.contains("error") } ?? lines.first ?? ""
        // fluidsynth reports some failures (an unreadable soundfont or MIDI file) only as "fluidsynth: error:" lines.
        guard status == 0, !out.contains("fluidsynth: error") else { throw MusicCorpusError.renderFailed(midi: midi, status: status, message: firstLine) }
        let size = (try? FileManager.default.attributesOfItem(atPath: wav)[.size] as? Int) ?? 0
        guard size > 44 else { throw MusicCorpusError.emptyRender(wav: wav) }
    }

    /// Runs fluidsynth with stdin closed; returns its status and combined stdout + stderr.
    func run(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
