// A labelled synthetic music corpus on disk: N composed clips (MusicComposer) as MIDI, rendered
// to WAV with fluidsynth, a tags.csv of 0/1 instrument-family columns (the Y.csv `crosstalk probe
// fit` reads), clips.csv with each clip's programs, tempo and key, files.txt (the audio list in
// tags.csv order, for `tag-audio` and `features stats`) and a README saying the data are
// synthetic and how they were made. The directory appears complete or not at all (built in a
// hidden sibling, then renamed). Leaves out mixing, effects and any audio post-processing.
import Foundation

public struct MusicCorpus: Sendable {
    public let clips: Int
    public let seed: UInt64
    public let seconds: Double
    public let testFraction: Double

    public init(clips: Int, seed: UInt64, seconds: Double = 10, testFraction: Double = 0.25) {
        precondition(clips >= 1 && seconds > 0 && (0..<1).contains(testFraction), "corpus of \(clips) clips, \(seconds) s, test fraction \(testFraction)")
        self.clips = clips
        self.seed = seed
        self.seconds = seconds
        self.testFraction = testFraction
    }

    public func composed() -> [MusicClip] {
        (0..<clips).map { MusicComposer.clip(index: $0, seed: seed, seconds: seconds, testFraction: testFraction) }
    }

    /// tags.csv: `file,split,piano,…,drums`, one row per clip, 0/1 per family (`split` omitted when testFraction is 0).
    public func tagsCSV(_ composed: [MusicClip], audio: Bool) -> String {
        let withSplit = testFraction > 0
        var s = (["file"] + (withSplit ? ["split"] : []) + InstrumentFamily.allCases.map(\.rawValue)).joined(separator: ",") + "\n"
        for c in composed {
            let file = audio ? "audio/\(c.name).wav" : "midi/\(c.name).mid"
            let tags = InstrumentFamily.allCases.map { c.families.contains($0) ? "1" : "0" }
            s += ([file] + (withSplit ? [c.split] : []) + tags).joined(separator: ",") + "\n"
        }
        return s
    }

    /// clips.csv: per clip its MIDI file, families and GM programs (`;`-separated, family:program), tempo, key, styles.
    public func clipsCSV(_ composed: [MusicClip]) -> String {
        var s = "name,midi,families,programs,bpm,key,seconds,styles\n"
        for c in composed {
            let programs = c.parts.map { "\($0.family.rawValue):\($0.program.map(String.init) ?? "ch10")" }.joined(separator: ";")
            let styles = c.parts.map { "\($0.family.rawValue):\($0.style)" }.joined(separator: ";")
            s += [c.name, "midi/\(c.name).mid", c.families.map(\.rawValue).joined(separator: ";"), programs, String(c.bpm), c.keyName,
                  String(c.seconds), styles].joined(separator: ",") + "\n"
        }
        return s
    }

    func readme(_ composed: [MusicClip], renderer: FluidSynth?, command: String) -> String {
        let counts = InstrumentFamily.allCases.map { f in composed.filter { $0.families.contains(f) }.count }
        let test = composed.filter { $0.split == "test" }.count
        var s = """
        # Synthetic music corpus (rendered, not recorded)

        **These data are synthetic.** Every clip was composed by a seeded program (Crosstalk's
        `SyntheticMusic` module) as a Standard MIDI File and rendered with a General MIDI soundfont.
        They are not recordings of musicians; results on them say how well features separate
        General MIDI instrument families as rendered by one soundfont, not how they do on real music.

        - generator: `\(command)`
        - seed: \(seed); clips: \(clips); seconds per clip: \(seconds); test fraction: \(testFraction) (\(test) test, \(clips - test) train)

        """
        if let r = renderer {
            s += """
            - renderer: fluidsynth \(r.version()) (`fluidsynth \(r.arguments(midi: "midi/NAME.mid", wav: "audio/NAME.wav").joined(separator: " "))`)
            - soundfont: `\(r.soundfont)`, licence: \(FluidSynth.licence(of: r.soundfont))
            - audio: 16-bit PCM stereo WAV, \(r.sampleRate) Hz, fluidsynth's default reverb and chorus

            """
        } else {
            s += "- MIDI only (rendered with `--midi-only`: no audio)\n"
        }
        s += """

        ## Files

        - `tags.csv`: `file`, `split` (train/test), then one 0/1 column per instrument family; the label table of `crosstalk probe fit --labels`
        - `files.txt`: the audio files in tags.csv order (input of `crosstalk tag-audio` and `crosstalk features stats`)
        - `clips.csv`: per clip its GM programs, tempo (bpm), key and pattern styles
        - `midi/`, `audio/`: the clips

        Each clip has 1–3 instrument families (multi-label), a tempo of 70–160 bpm, one of 24 keys,
        a register shift of −1…+1 octave per part and a four-chord progression.

        ## Tags (General MIDI programs, 0-based)

        | tag | programs | clips |
        |---|---|---|

        """
        for (f, n) in zip(InstrumentFamily.allCases, counts) { s += "| \(f.rawValue) | \(f.programRange) | \(n) |\n" }
        return s
    }

    /// Writes the corpus to `out` (which must not exist). `progress(done, total)` is called from
    /// worker threads as clips finish rendering; `jobs` fluidsynth processes run at once.
    public func write(to out: String, renderer: FluidSynth?, jobs: Int, command: String,
                      progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws {
        let fm = FileManager.default
        let url = URL(fileURLWithPath: out).standardizedFileURL
        if fm.fileExists(atPath: url.path) { throw MusicCorpusError.outputExists(path: out) }
        let parent = url.deletingLastPathComponent()
        let tmp = parent.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            try? fm.removeItem(at: tmp)
            try fm.createDirectory(at: tmp.appendingPathComponent("midi"), withIntermediateDirectories: true)
            let composed = composed()
            for c in composed {
                try Data(c.midi.bytes()).write(to: tmp.appendingPathComponent("midi/\(c.name).mid"))
            }
            if let renderer {
                try fm.createDirectory(at: tmp.appendingPathComponent("audio"), withIntermediateDirectories: false)
                try render(composed, in: tmp.path, renderer: renderer, jobs: jobs, progress: progress)
                let list = composed.map { "audio/\($0.name).wav\n" }.joined()
                try Data(list.utf8).write(to: tmp.appendingPathComponent("files.txt"))
            }
            try Data(tagsCSV(composed, audio: renderer != nil).utf8).write(to: tmp.appendingPathComponent("tags.csv"))
            try Data(clipsCSV(composed).utf8).write(to: tmp.appendingPathComponent("clips.csv"))
            try Data(readme(composed, renderer: renderer, command: command).utf8).write(to: tmp.appendingPathComponent("README.md"))
            guard rename(tmp.path, url.path) == 0 else { throw MusicCorpusError.cannotWrite(path: out, reason: String(cString: strerror(errno))) }
        } catch {
            try? fm.removeItem(at: tmp)
            if error is MusicCorpusError { throw error }
            throw MusicCorpusError.cannotWrite(path: out, reason: error.localizedDescription)
        }
    }

    func render(_ composed: [MusicClip], in dir: String, renderer: FluidSynth, jobs: Int,
                progress: @escaping @Sendable (Int, Int) -> Void) throws {
        final class State: @unchecked Sendable {
            let lock = NSLock()
            var error: Error?
            var done = 0
        }
        let state = State()
        let workers = max(1, min(jobs, composed.count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for i in stride(from: w, to: composed.count, by: workers) {
                state.lock.lock(); let failed = state.error != nil; state.lock.unlock()
                if failed { return }
                let name = composed[i].name
                do {
                    try renderer.render(midi: dir + "/midi/\(name).mid", wav: dir + "/audio/\(name).wav")
                } catch {
                    state.lock.lock(); if state.error == nil { state.error = error }; state.lock.unlock()
                    return
                }
                state.lock.lock(); state.done += 1; let d = state.done; state.lock.unlock()
                progress(d, composed.count)
            }
        }
        if let e = state.error {
            // Name the clip by its place in the final corpus, not the hidden temporary directory.
            if case .renderFailed(let m, let s, let msg) = e as? MusicCorpusError {
                throw MusicCorpusError.renderFailed(midi: "midi/" + (m as NSString).lastPathComponent, status: s, message: msg)
            }
            throw e
        }
    }
}
