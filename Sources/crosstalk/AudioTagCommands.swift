// `crosstalk tag-audio`: music auto-tagging with musicnn (Models.Musicnn) on the musicnn log-mel
// preset (AudioFeatures), mirroring musicnn 0.1.0 extractor.py (float16 mel power, 187-frame
// patches without overlap, taggram averaged over patches) and its "penultimate" features as clip
// embeddings for linear probes. Thin: decoding, features and the network live in the libraries.
// Leaves out the vgg models and per-patch outputs on the command line.
import ArgumentParser
import AudioFeatures
import Foundation
import Models

struct TagAudio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag-audio",
        abstract: "Top music tags per audio file with musicnn; optionally the mean 200-d penultimate embeddings and tag probabilities as .npy.",
        discussion: """
        Prints one line per file: the path, then the top tags as tag=probability, tab-separated. \
        Log-mel: 16 kHz, n_fft 512, hop 256, 96 Slaney mels, log10(10000·x + 1) of the float16-rounded power \
        (musicnn 0.1.0 extractor.py); 3 s patches (187 frames) without overlap, probabilities and embeddings \
        averaged over patches. Audio shorter than one patch is repeat-padded (the checkpoints' pad_short setting). \
        Either every output is written or, on the first bad file, none is.
        """)

    @Argument(help: "Audio files (any format libsndfile reads), directories of them, or .txt/.list files naming one audio path per line.")
    var inputs: [String]

    @Option(help: "musicnn-mtt | musicnn-msd (installed with `crosstalk models install`) or a converted model directory.")
    var model: String = "musicnn-mtt"

    @Option(help: "Tags printed per file.")
    var top: Int = 5

    @Option(help: "Write the mean penultimate embeddings, float32 .npy [files, 200].")
    var embeddings: String?

    @Option(help: "Write the mean tag probabilities, float32 .npy [files, 50] (columns in the model's tag order).")
    var taggram: String?

    @Option(help: "Worker threads (patches of a file run in parallel, one BLAS thread each).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if top < 1 || top > 50 { throw ValidationError("--top must be in 1...50") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let paths = try expandAudioInputs(inputs).paths
        let network = try loadMusicnn(model)
        let extractor = LogMelExtractor(preset: .musicnn, threads: threads)
        let progress = Progress("tag-audio", total: paths.count)
        var clips: [MusicnnClipOutput] = []
        var notes: [String] = []  // printed only once every file has succeeded (an error stays one line)
        for path in paths {
            let m = try extractor.compute(path: path)
            guard m.rows > 0 else { throw CLIError("\(path): no audio frames (expected at least one 256-sample hop at 16 kHz)") }
            var logMel = m.data
            Musicnn.roundPowerToFloat16(&logMel)
            let clip = network.analyze(logMel: logMel, frames: m.rows, workers: threads)
            if clip.padded {
                notes.append(String(format: "%@: %.2f s is shorter than one 3 s patch; repeat-padded", path, Double(m.rows - 1) * 256 / 16000))
            }
            clips.append(clip)
            progress.advance()
        }
        var written: [String] = []
        do {
            if let embeddings {
                try NPY.write(FeatureMatrix(rows: clips.count, cols: 200, data: clips.flatMap(\.embedding)), to: embeddings)
                written.append(embeddings)
            }
            if let taggram {
                try NPY.write(FeatureMatrix(rows: clips.count, cols: 50, data: clips.flatMap(\.tagProbabilities)), to: taggram)
                written.append(taggram)
            }
        } catch {
            for w in written { try? FileManager.default.removeItem(atPath: w) }
            throw error
        }
        for note in notes { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        let tags = network.config.tags
        for (path, clip) in zip(paths, clips) {
            let order = clip.tagProbabilities.indices.sorted { clip.tagProbabilities[$0] > clip.tagProbabilities[$1] }
            let best = order.prefix(top).map { "\(tags[$0])=\(String(format: "%.3f", clip.tagProbabilities[$0]))" }
            print(([path] + best).joined(separator: "\t"))
        }
    }
}

/// An installed musicnn model by registry name, or a directory holding config.json + model.safetensors.
func loadMusicnn(_ name: String) throws -> Musicnn {
    var isDirectory: ObjCBool = false
    if name.contains("/"), FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), isDirectory.boolValue {
        return try Musicnn(directory: name)
    }
    guard name.hasPrefix("musicnn") else {
        throw CLIError("--model \(name): not a musicnn model (expected musicnn-mtt, musicnn-msd or a converted model directory)")
    }
    return try Musicnn.installed(name)
}

/// `crosstalk features stats`: the baseline clip features for probes — per file, the mean and the
/// (population, numpy ddof=0) standard deviation over frames of a log-mel preset or of MFCCs.
struct FeatureStats: ParsableCommand {
    enum Kind: String, ExpressibleByArgument, CaseIterable { case logmel, mfcc }

    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Mean and standard deviation over frames of log-mel or MFCC features, one row per file: float32 .npy [files, 2·C].",
        discussion: "Columns: the C per-band (or per-coefficient) means, then the C standard deviations (ddof 0). Defaults: logmel uses the musicnn preset (C = 96); mfcc uses librosa.feature.mfcc defaults (librosa preset, C = 20).")

    @Option(help: "logmel | mfcc") var kind: Kind = .logmel
    @Option(help: "Log-mel preset (default: musicnn for logmel, librosa for mfcc).") var preset: String?
    @Option(help: "MFCC coefficients (mfcc only).") var nMfcc: Int = 20
    @Argument(help: "Audio files (any format libsndfile reads), directories of them, or .txt/.list files naming one audio path per line.")
    var inputs: [String]
    @Option(name: [.short, .customLong("output")], help: "Output .npy [files, 2·C].") var output: String
    @Option(help: "Worker threads inside each file's analysis.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if nMfcc < 1 { throw ValidationError("--n-mfcc must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let paths = try expandAudioInputs(inputs).paths
        let base = try parsePreset(preset ?? (kind == .logmel ? "musicnn" : "librosa"))
        let compute: (String) throws -> FeatureMatrix
        switch kind {
        case .logmel:
            let extractor = LogMelExtractor(preset: base, threads: threads)
            compute = { try extractor.compute(path: $0) }
        case .mfcc:
            let mels = LogMelExtractor(preset: base, threads: 1).bank.nMels
            guard nMfcc <= mels else { throw CLIError("--n-mfcc \(nMfcc) exceeds the \(mels) mel bands of preset \(base.rawValue)") }
            let extractor = MFCCExtractor(nMFCC: nMfcc, base: base, threads: threads)
            compute = { try extractor.compute(path: $0) }
        }
        let progress = Progress("features stats", total: paths.count)
        var rows: [Float] = []
        var cols = 0
        for path in paths {
            let m = try compute(path)
            guard m.rows > 0 else { throw CLIError("\(path): no frames (audio too short for one analysis frame)") }
            rows += meanAndStd(m)
            cols = 2 * m.cols
            progress.advance()
        }
        try NPY.write(FeatureMatrix(rows: paths.count, cols: cols, data: rows), to: output)
    }
}

/// [T, C] → [2C]: per-column mean, then per-column standard deviation (ddof 0), accumulated in Double.
func meanAndStd(_ m: FeatureMatrix) -> [Float] {
    var sum = [Double](repeating: 0, count: m.cols), sq = [Double](repeating: 0, count: m.cols)
    for r in 0..<m.rows {
        for c in 0..<m.cols {
            let v = Double(m.data[r * m.cols + c])
            sum[c] += v
            sq[c] += v * v
        }
    }
    let n = Double(m.rows)
    let mean = sum.map { $0 / n }
    let std = (0..<m.cols).map { max(sq[$0] / n - mean[$0] * mean[$0], 0).squareRoot() }
    return mean.map(Float.init) + std.map(Float.init)
}
