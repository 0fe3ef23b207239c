// `crosstalk corpus music`: the recipe of the synthetic music corpus (Scripts/bench/music_fewshot.sh runs it):
// seeded MIDI composition and fluidsynth rendering in the SyntheticMusic module, labels as a
// tags.csv for `crosstalk probe fit`. Thin: checks inputs, shows progress, turns errors into one line.
import ArgumentParser
import Foundation
import SyntheticMusic

struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Corpora the project makes itself.",
        subcommands: [MusicCorpusCommand.self])
}

struct MusicCorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "music",
        abstract: "Render a labelled synthetic music corpus: seeded MIDI clips of 1–3 General MIDI instrument families, rendered with fluidsynth.",
        discussion: """
            Writes DIR/ with midi/, audio/ (16-bit WAV), tags.csv (file, split, then one 0/1 column per family: \
            \(InstrumentFamily.allCases.map(\.rawValue).joined(separator: ", "))), clips.csv (programs, tempo, key), \
            files.txt (the audio in tags.csv order) and README.md (synthetic, how it was made, soundfont licence). \
            The MIDI bytes depend only on --seed, --seconds and the clip index. Needs the fluidsynth executable and a \
            General MIDI soundfont (default: the first of \(FluidSynth.defaultSoundfonts.joined(separator: ", ")) \
            that exists); --midi-only needs neither. The directory appears complete or not at all.
            """)

    @Option(help: "Output corpus directory (must not exist).") var out: String
    @Option(help: "Number of clips.") var clips: Int = 400
    @Option(help: "Seed of the composition and the train/test split.") var seed: UInt64 = 0
    @Option(help: "Seconds per clip.") var seconds: Double = 10
    @Option(help: "General MIDI soundfont (.sf2/.sf3).") var soundfont: String?
    @Option(help: "Sample rate of the rendered WAV files.") var sampleRate: Int = 22050
    @Option(help: "fluidsynth master gain (-g).") var gain: Double = 0.6
    @Option(help: "Fraction of clips marked split=test (0: no split column).") var testFraction: Double = 0.25
    @Flag(help: "Write MIDI, tags and metadata only; do not render audio.") var midiOnly = false
    @Option(help: "fluidsynth processes run at once.") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        // Checked here rather than in validate() so that each failure is one line on stderr.
        guard clips >= 1 else { throw CLIError("--clips \(clips): expected at least 1 clip") }
        guard clips <= 100_000 else { throw CLIError("--clips \(clips): expected at most 100000 clips") }
        guard seconds > 0 && seconds <= 600 else { throw CLIError("--seconds \(seconds): expected a length in (0, 600]") }
        guard (8000...192_000).contains(sampleRate) else { throw CLIError("--sample-rate \(sampleRate): expected 8000…192000 Hz") }
        guard gain > 0 && gain < 10 else { throw CLIError("--gain \(gain): expected 0 < gain < 10 (fluidsynth's range)") }
        guard testFraction >= 0 && testFraction < 1 else { throw CLIError("--test-fraction \(testFraction): expected 0 ≤ fraction < 1") }
        guard jobs >= 1 else { throw CLIError("--jobs \(jobs): expected at least 1") }
        do {
            let renderer = midiOnly ? nil : try FluidSynth(soundfont: soundfont, sampleRate: sampleRate, gain: gain)
            let corpus = MusicCorpus(clips: clips, seed: seed, seconds: seconds, testFraction: testFraction)
            var command = "crosstalk corpus music --out \((out as NSString).lastPathComponent) --clips \(clips) --seed \(seed) --seconds \(seconds)"
            if let soundfont { command += " --soundfont \(soundfont)" }
            if sampleRate != 22050 { command += " --sample-rate \(sampleRate)" }
            if gain != 0.6 { command += " --gain \(gain)" }
            if testFraction != 0.25 { command += " --test-fraction \(testFraction)" }
            if midiOnly { command += " --midi-only" }
            let bar = Progress("corpus music", total: clips)
            try corpus.write(to: out, renderer: renderer, jobs: jobs, command: command, progress: { _, _ in bar.advance() })
        } catch let e as MusicCorpusError {
            throw CLIError(e.description)
        }
    }
}
