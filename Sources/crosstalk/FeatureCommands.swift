// `crosstalk features …`: log-mel and MFCC matrices of audio files as float32 .npy [frames, mels].
import ArgumentParser
import AudioFeatures
import Foundation

/// Parses a preset name with a one-line error listing the valid names.
func parsePreset(_ name: String) throws -> LogMelPreset {
    guard let p = LogMelPreset(rawValue: name) else {
        throw CLIError("unknown preset '\(name)' (expected one of: \(LogMelPreset.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return p
}

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audio features: log-mel spectrograms and MFCCs as float32 .npy [frames, mels].",
        subcommands: [LogMel.self, MFCC.self, FeatureStats.self, Info.self])
}

/// Inputs and output shared by the feature verbs.
struct FeatureIO: ParsableArguments {
    @Argument(help: "Audio files (any format libsndfile reads), directories of them, or .txt/.list files naming one audio path per line.")
    var inputs: [String]

    @Option(name: [.short, .customLong("output")], help: "Output .npy (one input) or directory (several inputs, a directory, or a list).")
    var output: String

    @Option(help: "Worker threads over files (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

struct LogMel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logmel",
        abstract: "Log-mel spectrogram with a reference preset.",
        discussion: """
        Presets: whisper (openai-whisper audio.py: 16 kHz, n_fft 400, hop 160, 80 mels, log10 clamp to max-8, (x+4)/4), \
        librosa (librosa 0.11 melspectrogram defaults at 22050 Hz + power_to_db), \
        musicnn (16 kHz, n_fft 512, hop 256, 96 mels, log10(10000x+1)), \
        kaldi-fbank (torchaudio.compliance.kaldi.fbank, 80 bins, 25/10 ms Povey, pre-emphasis 0.97, dither 0).
        """)

    @Option(help: "whisper | librosa | musicnn | kaldi-fbank")
    var preset: String = "whisper"

    @OptionGroup var io: FeatureIO

    func run() throws {
        let preset = try parsePreset(self.preset)
        try runFeatureJob(io: io, label: "logmel \(preset.rawValue)") { threadsPerFile in
            let extractor = LogMelExtractor(preset: preset, threads: threadsPerFile)
            return { try extractor.compute(path: $0) }
        }
    }
}

struct MFCC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mfcc",
        abstract: "MFCCs: DCT-II (ortho) of a log-mel preset, as librosa.feature.mfcc (defaults: librosa preset, 20 coefficients).")

    @Option(help: "Number of coefficients.")
    var nMfcc: Int = 20

    @Option(help: "Log-mel preset the DCT is taken over.")
    var preset: String = "librosa"

    @OptionGroup var io: FeatureIO

    func validate() throws {
        if nMfcc < 1 { throw ValidationError("--n-mfcc must be at least 1") }
    }

    func run() throws {
        let base = try parsePreset(preset)
        let mels = LogMelExtractor(preset: base, threads: 1).bank.nMels
        guard nMfcc <= mels else { throw CLIError("--n-mfcc \(nMfcc) exceeds the \(mels) mel bands of preset \(base.rawValue)") }
        try runFeatureJob(io: io, label: "mfcc") { _ in
            let extractor = MFCCExtractor(nMFCC: nMfcc, base: base)
            return { try extractor.compute(path: $0) }
        }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Shape and value range of .npy feature files.")

    @Argument(help: ".npy files") var files: [String]

    func run() throws {
        for file in files {
            let (shape, data) = try NPY.read(path: file)
            var lo = Float.infinity, hi = -Float.infinity, sum = 0.0
            for v in data { lo = min(lo, v); hi = max(hi, v); sum += Double(v) }
            let mean = data.isEmpty ? 0 : sum / Double(data.count)
            print("\(file)\tshape \(shape)\tmin \(lo)\tmax \(hi)\tmean \(String(format: "%.4f", mean))")
        }
    }
}

// MARK: - job runner

/// Expands directories and list files into audio paths; decides output naming.
func expandAudioInputs(_ inputs: [String]) throws -> (paths: [String], many: Bool) {
    var paths = [String]()
    var many = inputs.count > 1
    let fm = FileManager.default
    for input in inputs {
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: input, isDirectory: &isDir) else { throw CLIError("\(input): no such file") }
        if isDir.boolValue {
            many = true
            guard let items = try? fm.contentsOfDirectory(atPath: input) else { throw CLIError("\(input): cannot list directory") }
            let audio = items.filter { !$0.hasPrefix(".") && audioExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            if audio.isEmpty { throw CLIError("\(input): directory holds no audio files (expected \(audioExtensions.sorted().joined(separator: ", ")))") }
            paths += audio.map { input + "/" + $0 }
        } else if ["txt", "list", "lst"].contains((input as NSString).pathExtension.lowercased()) {
            many = true
            let bytes = try readAllInput(input)
            try validateUTF8(bytes, name: input)
            let base = (input as NSString).deletingLastPathComponent
            for (n, r) in lineRanges(bytes).enumerated() {
                let line = String(decoding: bytes[r], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                let p = line.hasPrefix("/") || base.isEmpty ? line : base + "/" + line
                guard fm.fileExists(atPath: p) else { throw CLIError("\(input):\(n + 1): \(p): no such file") }
                paths.append(p)
            }
            if paths.isEmpty { throw CLIError("\(input): list names no audio files") }
        } else {
            paths.append(input)
        }
    }
    return (paths, many)
}

let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "aif", "aiff", "au", "snd", "caf", "w64", "rf64", "opus", "mp3", "sph", "voc", "htk"]

/// Computes features for every input, spreading files over `io.threads` workers, and writes one
/// .npy per input (atomically). Either all outputs are written or the first error is reported.
/// `makeCompute(threadsPerFile)` builds the per-file function: one file uses every thread
/// inside the extractor; several files use one thread each, spread over files.
func runFeatureJob(io: FeatureIO, label: String, makeCompute: (Int) throws -> (String) throws -> FeatureMatrix) throws {
    let (paths, many) = try expandAudioInputs(io.inputs)
    let compute = try makeCompute(many ? 1 : io.threads)
    if !many {
        try NPY.write(try compute(paths[0]), to: io.output)
        return
    }
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: io.output, isDirectory: &isDir) {
        if !isDir.boolValue { throw CLIError("\(io.output): exists and is not a directory (several inputs need an output directory)") }
    } else {
        do { try FileManager.default.createDirectory(atPath: io.output, withIntermediateDirectories: true) }
        catch { throw CLIError("\(io.output): cannot create directory") }
    }
    // Output names: input base name + .npy; refuse collisions rather than overwrite silently.
    var names = Set<String>()
    var outputs = [String]()
    for p in paths {
        let name = ((p as NSString).lastPathComponent as NSString).deletingPathExtension + ".npy"
        if !names.insert(name).inserted { throw CLIError("\(p): another input also maps to \(io.output)/\(name)") }
        outputs.append(io.output + "/" + name)
    }
    let progress = Progress(label, total: paths.count)
    let lock = NSLock()
    var firstError: Error?
    var next = 0
    DispatchQueue.concurrentPerform(iterations: min(io.threads, paths.count)) { _ in
        while true {
            lock.lock()
            if firstError != nil || next >= paths.count { lock.unlock(); return }
            let i = next; next += 1
            lock.unlock()
            do {
                let m = try compute(paths[i])
                try NPY.write(m, to: outputs[i])
                progress.advance()
            } catch {
                lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                return
            }
        }
    }
    if let firstError { throw firstError }
}
