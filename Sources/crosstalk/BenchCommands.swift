// `crosstalk bench …`: throughput measured side by side with the tool a user would otherwise pick,
// in the same run, on the same input. Not tests: they print figures and ratios for BENCHMARKS.md.
// Release builds only (`swift build -c release`); python anchors live in Scripts/bench/.
import ArgumentParser
import AudioFeatures
import CFFTW
import Foundation
import Models
import TensorCore
import Tokenization

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks measured side by side: spm_encode and python sentencepiece, librosa and whisper's front end, numpy and ONNX Runtime, scikit-learn probes.",
        subcommands: [BenchTokenize.self, BenchLogMel.self, BenchKernels.self, BenchEncoder.self, BenchTrain.self, BenchProbe.self])
}

/// Common bench options.
struct BenchOptions: ParsableArguments {
    @Option(help: "Work directory for generated inputs (default: a fresh temporary directory).")
    var workDir: String?
    @Option(help: "Python interpreter for the anchors.")
    var python: String = "python3"
    @Option(help: "Repetitions per measurement (the best is reported).")
    var repeats: Int = 3

    /// The work directory: --work-dir, else a fresh one in memory (/dev/shm) when there is one,
    /// so that disk write-back of earlier runs' outputs does not run during later timings.
    func makeWorkDir() throws -> String {
        var isDir: ObjCBool = false
        let shm = FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDir) && isDir.boolValue
        let dir = workDir ?? ((shm ? "/dev/shm/" : NSTemporaryDirectory()) + "crosstalk-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Removes a work directory this run made itself (never a --work-dir the user named).
    func cleanUp(_ dir: String) {
        if workDir == nil { try? FileManager.default.removeItem(atPath: dir) }
    }
}

// MARK: - process timing

struct ProcessRun { let seconds: Double; let stdout: String; let status: Int32 }

/// Runs `argv` (PATH lookup) with optional stdin/stdout files and returns its wall time, spawn
/// included. posix_spawn + waitpid directly: Foundation's Process.waitUntilExit polls a run loop
/// and would add tens of milliseconds to every measurement.
func timeProcess(_ argv: [String], stdin stdinPath: String? = nil, stdout stdoutPath: String? = nil) throws -> ProcessRun {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdinPath { posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0) }
    var pipeFDs: [Int32] = [-1, -1]
    if let stdoutPath {
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    } else {
        guard pipe(&pipeFDs) == 0 else { throw CLIError("pipe failed (errno \(errno))") }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
    }
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for a in cArgs { free(a) } }
    var pid: pid_t = 0
    let t0 = DispatchTime.now().uptimeNanoseconds
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
    guard rc == 0 else { throw CLIError("\(argv[0]): cannot be started (\(String(cString: strerror(rc))))") }
    var output = [UInt8]()
    if stdoutPath == nil {
        close(pipeFDs[1])
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            output += buf[0..<n]
        }
        close(pipeFDs[0])
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessRun(seconds: dt, stdout: String(decoding: output, as: UTF8.self), status: exit)
}

func bestOf(_ n: Int, _ body: () throws -> Double) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<max(1, n) { best = min(best, try body()) }
    return best
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

func jsonLines(_ s: String) -> [[String: Any]] {
    s.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

/// This executable's own path, for whole-process measurements.
func selfExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}

/// The package root: the directory holding Package.swift above this executable, or the cwd.
func packageRoot() -> String {
    var url = URL(fileURLWithPath: selfExecutable()).deletingLastPathComponent()
    for _ in 0..<6 {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        url.deleteLastPathComponent()
    }
    return FileManager.default.currentDirectoryPath
}

/// Shared corpora: --data, CROSSTALK_DATA, or ../shared/corpora beside the package.
func corporaRoot(_ explicit: String?) -> String? {
    let candidates = [explicit, ProcessInfo.processInfo.environment["CROSSTALK_DATA"],
                      packageRoot() + "/../shared/corpora"].compactMap { $0 }
    return candidates.first { FileManager.default.fileExists(atPath: $0) }
}

func printRow(_ cols: [String], widths: [Int]) {
    var s = ""
    for (c, w) in zip(cols, widths) { s += c.padding(toLength: max(w, c.count), withPad: " ", startingAt: 0) + "  " }
    print(s)
}

// MARK: - tokenize

struct BenchTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode ~10 MB of multilingual text: crosstalk vs spm_encode and python sentencepiece.")

    @OptionGroup var bench: BenchOptions
    @Option(help: "SentencePiece model (default: an 8k unigram model trained here on the benchmark text).")
    var model: String?
    @Option(help: "Corpora root (default: CROSSTALK_DATA or ../shared/corpora).")
    var data: String?
    @Option(help: "Megabytes of text.")
    var megabytes: Double = 10
    @Option(help: "A second python whose sentencepiece has the C++ core generation of Debian's libsentencepiece (0.1.9x), for a same-core comparison.")
    var legacyPython: String?

    func run() throws {
        let root = packageRoot()
        let dir = try bench.makeWorkDir()
        defer { bench.cleanUp(dir) }
        let textPath = dir + "/bench-text.txt"
        let (lines, source) = try benchSentences(data: data, root: root)
        var text = [UInt8]()
        let target = Int(megabytes * 1_000_000)
        var nLines = 0
        while text.count < target {
            for l in lines { text.append(contentsOf: l.utf8); text.append(0x0A); nLines += 1; if text.count >= target { break } }
        }
        _ = FileManager.default.createFile(atPath: textPath, contents: Data(text))
        var modelPath = model ?? ""
        if model == nil {
            // A realistic multilingual vocabulary: 8k unigram pieces trained on the unique sentences.
            let trainPath = dir + "/bench-train.txt"
            try lines.joined(separator: "\n").write(toFile: trainPath, atomically: true, encoding: .utf8)
            var options = SentencePieceTrainerOptions(inputFiles: [trainPath], modelPrefix: dir + "/bench-unigram-8k", vocabSize: 8000)
            options.characterCoverage = 0.9995
            options.inputSentenceSize = 200_000
            options.hardVocabLimit = false
            options.maxSentenceLength = 1 << 16
            options.logLevel = 2
            try SentencePieceTrainer.train(options)
            modelPath = dir + "/bench-unigram-8k.model"
        }
        let sp = try SentencePieceProcessor(modelPath: modelPath)
        print("bench tokenize: \(nLines) lines, \(String(format: "%.1f", Double(text.count) / 1e6)) MB from \(source); model \(modelPath) (\(sp.vocabularySize) pieces)")

        let me = selfExecutable()
        let ref = dir + "/spm.ids", mine = dir + "/crosstalk.ids"
        let spmTime = try bestOf(bench.repeats) {
            let r = try timeProcess(["spm_encode", "--model=\(modelPath)", "--output_format=id"], stdin: textPath, stdout: ref)
            guard r.status == 0 else { throw CLIError("spm_encode failed (status \(r.status))") }
            return r.seconds
        }
        var rows = [(String, Double)]()
        rows.append(("spm_encode (Debian, 1 thread, whole process)", spmTime))
        for threads in [1, 2] {
            let t = try bestOf(bench.repeats) {
                let r = try timeProcess([me, "spm", "encode", "--model", modelPath, "--threads", "\(threads)", "--input", textPath], stdout: mine)
                guard r.status == 0 else { throw CLIError("crosstalk spm encode failed (status \(r.status))") }
                return r.seconds
            }
            guard FileManager.default.contentsEqual(atPath: ref, andPath: mine) else {
                throw CLIError("\(mine): output differs from spm_encode's \(ref)")
            }
            rows.append(("crosstalk spm encode (\(threads) thread\(threads > 1 ? "s" : ""), whole process)", t))
        }
        // In-process library throughput (what a Swift caller gets), 2 threads.
        let ranges = lineRanges(text)
        let lib = bestOf(bench.repeats) {
            seconds { _ = encodeChunks(text: text, lines: ranges, workers: 2) { line, out, ids in sp.encode(utf8: line, into: &ids); out.append(UInt8(truncatingIfNeeded: ids.count)) } }
        }
        rows.append(("crosstalk library encode (2 threads, in-process)", lib))
        var pyRows = [(String, Double)]()
        var pythons = [bench.python]
        if let legacyPython { pythons.append(legacyPython) }
        for python in pythons {
          for threads in [1, 2] {
            let r = try timeProcess([python, root + "/Scripts/bench/anchor_tokenize.py", modelPath, textPath, "\(threads)"])
            if r.status == 0, let j = jsonLines(r.stdout).first, let s = j["seconds"] as? Double {
                pyRows.append(("python sentencepiece \(j["version"] ?? "?") encode(list, num_threads=\(threads)), in-process", s))
            } else {
                print("python anchor \(python) unavailable (status \(r.status)); install with: pip install sentencepiece")
            }
          }
        }
        rows += pyRows
        print("")
        printRow(["measurement", "seconds", "sentences/s", "MB/s"], widths: [66, 9, 12, 8])
        for (name, s) in rows {
            printRow([name, String(format: "%.3f", s), String(format: "%.0f", Double(nLines) / s), String(format: "%.1f", Double(text.count) / 1e6 / s)], widths: [66, 9, 12, 8])
        }
        let best = min(rows[1].1, rows[2].1)
        print("")
        print(String(format: "ratio vs spm_encode (1 thread):                 %.2fx  (crosstalk 1 thread)  %.2fx  (crosstalk 2 threads)   target >= 2x", spmTime / rows[1].1, spmTime / rows[2].1))
        for (name, s) in pyRows where name.contains("num_threads=2") {
            let version = name.split(separator: " ").dropFirst(2).first.map(String.init) ?? "?"
            print(String(format: "ratio vs python sentencepiece %@ (2 threads): %.2fx  (crosstalk whole process, best)  %.2fx  (library)   target >= 1x",
                         version, s / best, s / lib))
        }
        print("libsentencepiece here: Debian \(debianSentencepieceVersion()) (the C++ core crosstalk calls)")
    }
}

/// Sentences for the tokenizer benchmark: the CoNLL/MasakhaNER/Europarl corpora (many languages)
/// when the shared corpora are present, else the project's own corpora/multilingual text.
func benchSentences(data: String?, root: String) throws -> ([String], String) {
    var lines = [String]()
    if let corpora = corporaRoot(data) {
        let fm = FileManager.default
        let dirs = ["conll_ner", "masakhaner", "europarl_ner", "crossner"]
        for d in dirs {
            guard let e = fm.enumerator(atPath: corpora + "/" + d) else { continue }
            for case let rel as String in e where !rel.hasSuffix(".md") && !rel.hasSuffix(".json") {
                let path = corpora + "/" + d + "/" + rel
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                      let s = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                var words = [Substring]()
                for raw in s.split(separator: "\n", omittingEmptySubsequences: false) {
                    let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                    if line.isEmpty {
                        if !words.isEmpty { lines.append(words.joined(separator: " ")); words.removeAll() }
                    } else if !line.hasPrefix("-DOCSTART-") {
                        if let w = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first { words.append(w) }
                    }
                }
                if !words.isEmpty { lines.append(words.joined(separator: " ")) }
            }
        }
        if !lines.isEmpty { return (lines, "\(corpora) (\(dirs.joined(separator: ", ")))") }
    }
    let own = root + "/corpora/multilingual"
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: own)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    for f in files { lines += ((try? String(contentsOfFile: own + "/" + f, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
    guard !lines.isEmpty else { throw CLIError("\(own): no text for the benchmark") }
    return (lines, own)
}

// MARK: - logmel

struct BenchLogMel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logmel",
        abstract: "Whisper log-mel of 10 minutes of 16 kHz audio: crosstalk vs librosa, whisper's numpy front end, and this machine's bound.")

    @OptionGroup var bench: BenchOptions
    @Option(help: "Minutes of audio.")
    var minutes: Double = 10

    func run() throws {
        let root = packageRoot()
        let dir = try bench.makeWorkDir()
        defer { bench.cleanUp(dir) }
        let wav = dir + "/bench-audio.wav"
        let n = Int(minutes * 60 * 16000)
        // Deterministic test signal: a few drifting tones plus seeded noise (generated, not speech).
        var rng = UInt64(0x9E37_79B9_7F4A_7C15)
        var samples = [Float](repeating: 0, count: n)
        for i in 0..<n {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let noise = Float(Int64(bitPattern: rng) >> 40) / Float(1 << 23)
            let t = Float(i) / 16000
            samples[i] = 0.2 * sinf(2 * .pi * (220 + 30 * sinf(0.1 * t)) * t) + 0.1 * sinf(2 * .pi * 1250 * t) + 0.02 * noise
        }
        try AudioFile.write(samples, sampleRate: 16000, to: wav, format: .wavPCM16)
        sync()
        print("bench logmel: \(String(format: "%.1f", minutes)) min of generated 16 kHz audio (tones + seeded noise), preset whisper")

        let me = selfExecutable()
        // Each run writes a new file, as a user's run does; the previous one is removed untimed
        // (replacing an existing 19 MB file makes rename(2) free its pages inside the timing).
        var run = 0
        let process = try bestOf(bench.repeats) {
            run += 1
            let out = dir + "/bench-\(run).npy"
            try? FileManager.default.removeItem(atPath: dir + "/bench-\(run - 1).npy")
            let r = try timeProcess([me, "features", "logmel", "--preset", "whisper", wav, "-o", out])
            guard r.status == 0 else { throw CLIError("crosstalk features logmel failed (status \(r.status))") }
            return r.seconds
        }
        let audio = try AudioFile.read(path: wav)
        let extractor = LogMelExtractor(preset: .whisper)
        var frames = 0
        let inProcess = try bestOf(bench.repeats) {
            try seconds { frames = try extractor.compute(samples: audio.samples, sampleRate: 16000).rows }
        }
        let bound = bestOf(bench.repeats) { machineBound(samples: audio.samples) }

        var rows: [(String, Double)] = [
            ("crosstalk features logmel --preset whisper (whole process)", process),
            ("crosstalk LogMelExtractor (in-process)", inProcess),
            ("bound: FFTW r2c n=400 of every frame + filter-bank sgemm, 2 threads", bound),
        ]
        let r = try timeProcess([bench.python, root + "/Scripts/bench/anchor_logmel.py", wav])
        var anchors = [String: Double]()
        if r.status == 0 {
            for j in jsonLines(r.stdout) {
                guard let tool = j["tool"] as? String, let key = j["key"] as? String, let s = j["seconds"] as? Double else { continue }
                rows.append(("\(tool), \(j["version"] ?? "") (in-process)", s))
                anchors[key] = s
            }
        } else {
            print("python anchors unavailable (status \(r.status)); install with: pip install librosa soundfile")
        }
        let audioSeconds = minutes * 60
        print("frames: \(frames)\n")
        printRow(["measurement", "seconds", "x real time"], widths: [92, 9, 12])
        for (name, s) in rows { printRow([name, String(format: "%.4f", s), String(format: "%.0f", audioSeconds / s)], widths: [92, 9, 12]) }
        print("")
        // Ratios: the crosstalk figure is the WHOLE process (start-up, decode, features, .npy
        // write); the anchors' figures are in-process compute on audio already decoded.
        if let a = anchors["librosa_defaults"] {
            print(String(format: "ratio vs librosa melspectrogram, its defaults:            %.2fx   target >= 5x (whole crosstalk process)", a / process))
        }
        if let a = anchors["librosa_whisper"] {
            print(String(format: "ratio vs librosa melspectrogram, Whisper's analysis:      %.2fx", a / process))
        }
        if let a = anchors["whisper_numpy"] {
            print(String(format: "ratio vs whisper's log_mel_spectrogram (numpy port):      %.2fx", a / process))
        }
        print(String(format: "in-process time / machine bound:                       %.2fx   target <= 2x", inProcess / bound))
        print(String(format: "whole process / machine bound:                         %.2fx", process / bound))
    }
}

/// Machine bound for the whisper front end on both cores: frames split in two halves, each on its
/// own thread with its own buffers — one FFTW r2c (n=400) per windowed frame, |X|², then the
/// [frames, 201] × [201, 80] filter-bank product as one dense sgemm (TensorCore's matmul: one BLAS
/// thread per worker). Reflect padding, log and normalisation are left out, so this is a lower
/// bound on any implementation's time.
func machineBound(samples: [Float]) -> Double {
    let nFFT = 400, hop = 160, bins = 201, mels = 80
    let frames = samples.count / hop + 1
    let window = (0..<nFFT).map { 0.5 - 0.5 * cosf(2 * .pi * Float($0) / Float(nFFT)) }
    let filters = Tensor(filled: 0.01, shape: [bins, mels])
    let workers = 2
    struct Scratch { let input: UnsafeMutablePointer<Float>; let output: UnsafeMutablePointer<fftwf_complex>; let power: Tensor }
    let scratch = (0..<workers).map { w in
        Scratch(input: fftwf_alloc_real(nFFT)!, output: fftwf_alloc_complex(bins)!,
                power: Tensor(zeros: [frames * (w + 1) / workers - frames * w / workers, bins]))
    }
    defer { for s in scratch { fftwf_free(s.input); fftwf_free(s.output) } }
    let plan = fftwf_plan_dft_r2c_1d(Int32(nFFT), scratch[0].input, scratch[0].output, UInt32(FFTW_ESTIMATE))!
    defer { fftwf_destroy_plan(plan) }
    _ = matmul(scratch[0].power, filters)  // loads BLAS outside the timing
    return seconds {
        samples.withUnsafeBufferPointer { x in
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let lo = frames * w / workers, hi = frames * (w + 1) / workers
                let input = scratch[w].input, output = scratch[w].output, pw = scratch[w].power.base
                for f in lo..<hi {
                    let start = f * hop - nFFT / 2
                    for k in 0..<nFFT {
                        let j = start + k
                        input[k] = (j >= 0 && j < x.count ? x[j] : 0) * window[k]
                    }
                    fftwf_execute_dft_r2c(plan, input, output)
                    let c = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
                    let row = (f - lo) * bins
                    for b in 0..<bins { pw[row + b] = c[2 * b] * c[2 * b] + c[2 * b + 1] * c[2 * b + 1] }
                }
                _ = matmul(scratch[w].power, filters)   // [frames/2, 201] · [201, 80]
            }
        }
    }
}

/// The installed Debian libsentencepiece version, from dpkg.
func debianSentencepieceVersion() -> String {
    let r = try? timeProcess(["dpkg-query", "-W", "-f=${Version}", "libsentencepiece0"])
    return r.map { $0.stdout.isEmpty ? "unknown" : $0.stdout } ?? "unknown"
}

// MARK: - kernels

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "TensorCore element-wise kernels (ns per element over 1M floats) and single-threaded sgemm GFLOP/s.")

    @Option(help: "Elements per kernel run.")
    var elements: Int = 1 << 20
    @Option(help: "Repetitions (the best is reported).")
    var repeats: Int = 5

    func run() throws {
        print("bench kernels: \(elements) floats, best of \(repeats), one thread; BLAS: \(blasConfiguration)")
        for r in KernelBenchmark.run(elements: elements, repeats: repeats) {
            if r.name.hasPrefix("sgemm") {
                print(r.name.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%8.1f", r.nsPerElement))
            } else {
                print((r.name + " ns/element").padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%8.2f", r.nsPerElement))
            }
        }
    }
}

// MARK: - encoder

struct BenchEncoder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encoder",
        abstract: "e5-small forward passes: sequences/s at batch 8 × 128 and 1 × 32 tokens on 1 and 2 threads, GFLOP/s against the measured sgemm peak, numpy and ONNX Runtime on the same weights.")

    @OptionGroup var bench: BenchOptions
    @Option(help: "Installed model name or model directory.") var model: String = "e5-small"

    func run() throws {
        let embedder = try Embedder(model: model)
        let encoder = embedder.encoder
        let cfg = embedder.directory.config
        let c = Double(cfg.hiddenSize), f = Double(cfg.intermediateSize), layers = Double(cfg.layerCount)
        // Single-threaded sgemm peak on an encoder-shaped product, measured now.
        let peak = KernelBenchmark.run(elements: 1 << 16, repeats: 5).filter { $0.name.hasPrefix("sgemm") }.map(\.nsPerElement).max() ?? 80
        print("bench encoder: \(model), \(cfg.layerCount) layers, hidden \(cfg.hiddenSize), FFN \(cfg.intermediateSize); BLAS \(blasConfiguration)")
        print(String(format: "single-thread sgemm peak (best of 128×384×384, 128×1536×384, 1024×384×384): %.1f GFLOP/s; two-core peak taken as %.1f", peak, 2 * peak))
        printRow(["shape", "threads", "seq/s", "GFLOP/s", "% of peak", "numpy seq/s", "ratio", "ORT seq/s", "ratio"],
                 widths: [10, 7, 8, 8, 9, 11, 6, 9, 6])
        var seed: UInt64 = 7
        for (b, t) in [(8, 128), (1, 32)] {
            var ids = [[Int32]]()
            for _ in 0..<b {
                var row = [Int32]()
                for _ in 0..<t {
                    seed = seed &* 6364136223846793005 &+ 1442695040888963407
                    row.append(Int32(5 + Int(seed >> 33) % min(cfg.vocabularySize - 5, 20000)))
                }
                ids.append(row)
            }
            let mask = ids.map { $0.map { _ in Int32(1) } }
            let perToken = 2 * layers * (4 * c * c + 2 * c * f)
            let attention = Double(b) * layers * 4 * Double(t * t) * c
            let flops = Double(b * t) * perToken + attention
            for threads in [1, 2] {
                // Two threads: the batch split in halves, one worker each (one BLAS thread per worker);
                // a batch of one runs its operations on both threads instead (column blocks, heads).
                let parts = threads == 2 && b > 1 ? [Array(0..<(b / 2)), Array((b / 2)..<b)] : [Array(0..<b)]
                let inner = threads == 2 && b == 1 ? 2 : 1
                _ = encoder.forward(ids: ids, mask: mask)
                let s = bestOf(bench.repeats) {
                    seconds {
                        Parallel.forEach(parts.count, workers: threads) { p in
                            _ = encoder.forward(ids: parts[p].map { ids[$0] }, mask: parts[p].map { mask[$0] }, workers: inner)
                        }
                    }
                }
                let gflops = flops / s / 1e9
                // Anchors on the same weights, same shape, same thread count: numpy and ONNX Runtime.
                var cells = [String]()
                for script in ["anchor_encoder.py", "anchor_encoder_ort.py"] {
                    let r = try timeProcess([bench.python, packageRoot() + "/Scripts/bench/" + script,
                                             embedder.directory.path, "\(b)", "\(t)", "\(threads)"])
                    if r.status == 0, let j = jsonLines(r.stdout).first, let sps = j["sequences_per_second"] as? Double {
                        cells += [String(format: "%.1f", sps), String(format: "%.2fx", Double(b) / s / sps)]
                    } else {
                        cells += ["-", "-"]
                    }
                }
                printRow(["\(b)×\(t)", "\(threads)", String(format: "%.1f", Double(b) / s), String(format: "%.1f", gflops),
                          String(format: "%.0f%%", 100 * gflops / (Double(threads) * peak))] + cells,
                         widths: [10, 7, 8, 8, 9, 11, 6, 9, 6])
            }
        }
    }
}
