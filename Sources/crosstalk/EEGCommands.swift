// `crosstalk eeg …`: EEG recordings (Muse CSVs of eeg-notebooks, EDF/EDF+) to probe-ready feature
// matrices. `eeg features` writes X.npy [epochs, features] (float32) and Y.csv (label, subject,
// session, file, onset_s, and split with --split-target) — the input of `crosstalk probe fit`;
// `eeg info` describes files.
// All signal processing lives in the Signals module; this file parses options and reports.
import ArgumentParser
import AudioFeatures
import Foundation
import Signals

extension EEGFeatureKind: ExpressibleByArgument {}
extension EpochOptions.Rejection: ExpressibleByArgument {}
extension EpochOptions.EdgePolicy: ExpressibleByArgument {}

struct EEG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eeg",
        abstract: "EEG: features per stimulus epoch (band powers, ERP bins, Riemannian tangent space) and file summaries.",
        subcommands: [EEGFeaturesCommand.self, EEGInfoCommand.self])
}

struct EEGFeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "One feature row per kept stimulus epoch of Muse CSV recordings → X.npy [epochs, features] + Y.csv.",
        discussion: """
        Pipeline: channels (default TP9,AF7,AF8,TP10) → zero-phase Butterworth band-pass (scipy butter(order, band, 'band', \
        output='sos') + sosfiltfilt, default 1–30 Hz, order 4) → epochs round(tmin·fs)…round(tmax·fs) around each marker \
        (default −0.1…0.8 s = 232 samples at 256 Hz) → baseline: mean of samples with t ≤ 0 subtracted per channel → \
        rejection when any channel's peak-to-peak (or |x| with --reject-mode abs) exceeds --reject µV (default 100). \
        Events whose window leaves the recording are dropped and counted (--edge error makes them an error).
        Features: bandpower = Welch PSD (hann, nperseg min(--nperseg, T), 50 % overlap, constant detrend, density) summed \
        over delta 1–4, theta 4–8, alpha 8–13, beta 13–30, gamma 30–45 Hz × Δf, per channel [C·5] (log10 with --log); \
        erp = the baseline-corrected epoch averaged in bins of --erp-bin samples [C·⌊T/bin⌋]; tangent = per-epoch \
        covariance with shrinkage --shrinkage (default 0.01) mapped to the Riemannian tangent space at the Riemannian mean \
        of ALL epochs given [C(C+1)/2] — for a leave-subject-out protocol refit the reference on the training subjects \
        (--reference-out on them, --reference-from for the rest).
        Y.csv columns: label (house = marker 1, face = marker 2), subject, session (subjectK/sessionM from the path), \
        file, onset_s. Byte-identical files are read once (note on stderr).
        Leave-subjects-out few-shot protocol: --split-target subjectK adds a split column for `crosstalk probe fit` — \
        base for every other subject (always trained on), and for subjectK a seeded split stratified by label \
        (--test-fraction of each class in test, the rest train, the pool the N shots are drawn from; --split-seed). \
        With tangent features, fit the reference without the target subject (--reference-out on the other subjects' \
        files, then --reference-from here) so that no test epoch shapes the features.
        """)

    @Option(name: .customLong("data"), help: "A folder searched recursively for Muse .csv recordings, or a file (repeatable).")
    var data: [String] = []

    @Argument(help: "More recording files or folders.")
    var inputs: [String] = []

    @Option(name: .customLong("features"), help: "bandpower | erp | tangent")
    var kind: EEGFeatureKind

    @Option(help: "Channels to keep, comma-separated.")
    var channels: String = "TP9,AF7,AF8,TP10"

    @Option(help: "Band-pass edges in Hz 'LOW,HIGH', or 'none'.")
    var band: String = "1,30"

    @Option(help: "Butterworth order of the band-pass (the zero-phase result has twice the attenuation).")
    var order: Int = 4

    @Option(parsing: .unconditional, help: "Epoch start relative to the marker (s).")
    var tmin: Double = -0.1

    @Option(parsing: .unconditional, help: "Epoch end relative to the marker (s), inclusive.")
    var tmax: Double = 0.8

    @Option(help: "Rejection threshold in µV; 0 keeps every epoch.")
    var reject: Double = 100

    @Option(help: "ptp (peak-to-peak, as MNE's reject=) | abs (|x| after baseline correction)")
    var rejectMode: EpochOptions.Rejection = .peakToPeak

    @Option(help: "Events too close to the start/end for the window: drop | error")
    var edge: EpochOptions.EdgePolicy = .drop

    @Option(help: "Welch segment length for bandpower (shrunk to the epoch length).")
    var nperseg: Int = 128

    @Flag(help: "log10 of the band powers.")
    var log: Bool = false

    @Option(help: "Samples averaged per ERP bin.")
    var erpBin: Int = 8

    @Option(help: "Covariance shrinkage γ for tangent: (1−γ)·S + γ·tr(S)/C·I.")
    var shrinkage: Double = 0.01

    @Option(help: "Tangent-space reference [C, C] .npy to use instead of fitting one.")
    var referenceFrom: String?

    @Option(help: "Write the tangent-space reference used to this .npy [C, C].")
    var referenceOut: String?

    @Option(help: "Subject (as in Y.csv's subject column, e.g. subject1) whose epochs are split train/test; every other subject's are base.")
    var splitTarget: String?

    @Option(help: "Fraction of the target subject's epochs of each class put in test (with --split-target).")
    var testFraction: Double = 0.5

    @Option(help: "Seed of the target subject's train/test split (with --split-target).")
    var splitSeed: UInt64 = 0

    @Option(name: [.short, .customLong("output")], help: "Output features .npy [epochs, features], float32.")
    var output: String

    @Option(help: "Output labels .csv (label,subject,session,file,onset_s[,split]).")
    var labels: String

    func validate() throws {
        if data.isEmpty && inputs.isEmpty { throw ValidationError("give recordings with --data DIR (or as arguments)") }
        if order < 1 || order > 20 { throw ValidationError("--order must be 1...20") }
        if reject < 0 { throw ValidationError("--reject must be ≥ 0 (0 keeps every epoch)") }
        if nperseg < 2 { throw ValidationError("--nperseg must be at least 2") }
        if erpBin < 1 { throw ValidationError("--erp-bin must be at least 1") }
        if !(shrinkage >= 0 && shrinkage < 1) { throw ValidationError("--shrinkage must be in [0, 1)") }
        if (referenceFrom != nil || referenceOut != nil) && kind != .tangent {
            throw ValidationError("--reference-from/--reference-out apply to --features tangent only")
        }
        if output == labels { throw ValidationError("-o and --labels must be different files") }
        if !(testFraction > 0 && testFraction < 1) { throw ValidationError("--test-fraction must be between 0 and 1 (exclusive)") }
        if let t = splitTarget, t.isEmpty || t.contains(",") { throw ValidationError("--split-target '\(t)': expected a subject name such as subject1") }
    }

    func parseBand() throws -> (low: Double, high: Double)? {
        if band.lowercased() == "none" { return nil }
        let parts = band.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1] else {
            throw CLIError("--band '\(band)': expected LOW,HIGH in Hz (e.g. 1,30) or none")
        }
        return (lo, hi)
    }

    func run() throws {
        var options = PipelineOptions(kind: kind)
        options.channels = channels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !options.channels.isEmpty, !options.channels.contains(""), Set(options.channels).count == options.channels.count else {
            throw CLIError("--channels '\(channels)': expected distinct comma-separated channel names")
        }
        options.band = try parseBand()
        if let b = options.band {  // checks the band against 256 Hz before any file is read
            _ = try Butterworth.bandPass(order: order, low: b.low, high: b.high, sampleRate: MuseCSV.museRate)
        }
        options.filterOrder = order
        options.epochs = EpochOptions(tmin: tmin, tmax: tmax, baseline: true, reject: reject > 0 ? reject : nil, rejection: rejectMode, edge: edge)
        try options.epochs.validate()
        options.bandPower = BandPowerFeatures(nperseg: nperseg, log10: log)
        options.erp = ERPFeatures(binSize: erpBin)
        options.covariance = CovarianceEstimator(shrinkage: shrinkage)
        if let path = referenceFrom {
            let (shape, values) = try NPY.read(path: path)
            guard shape.count == 2, shape[0] == shape[1], shape[0] == options.channels.count else {
                throw CLIError("\(path): shape \(shape); expected [\(options.channels.count), \(options.channels.count)] for channels \(options.channels.joined(separator: ","))")
            }
            options.reference = SymmetricMatrix(n: shape[0], data: values.map(Double.init)).symmetrised
        }
        try checkOutputDirectory(output)
        try checkOutputDirectory(labels)
        if let r = referenceOut { try checkOutputDirectory(r) }

        let inputs = data + self.inputs
        var progress: Progress? = nil
        let result = try EEGPipeline.run(inputs: inputs, options: options) { _, count in
            if progress == nil { progress = Progress("eeg features \(kind.rawValue)", total: count) }
            progress?.advance()
        }
        for d in result.duplicates {
            FileHandle.standardError.write("note: skipping \(d.path): byte-identical to \(d.sameAs)\n".data(using: .utf8)!)
        }
        let kept = result.labels.count
        guard kept > 0, let width = result.rows.first?.count else {
            throw CLIError("\(inputs.joined(separator: " ")): no epoch kept (\(result.files.reduce(0) { $0 + $1.rejected }) rejected); expected at least one (raise --reject or widen the data)")
        }
        var values = [Float]()
        values.reserveCapacity(kept * width)
        for row in result.rows { values += row.map(Float.init) }
        let matrix = FeatureMatrix(rows: kept, cols: width, data: values)

        let split = try splitTarget.map { try SubjectSplit.assign(result.labels, target: $0, testFraction: testFraction, seed: splitSeed) }
        var csv = "label,subject,session,file,onset_s" + (split == nil ? "" : ",split") + "\n"
        for (i, l) in result.labels.enumerated() {
            csv += [l.label, l.subject, l.session, l.file].map(csvField).joined(separator: ",") + "," + String(format: "%.6f", l.onset)
            csv += (split.map { "," + $0[i] } ?? "") + "\n"
        }
        // Y.csv waits as a temporary until X.npy is in place; a failure leaves neither.
        let sink = try OutputSink(path: labels)
        sink.write(csv)
        do {
            try NPY.write(matrix, to: output)
        } catch {
            sink.abandon()
            throw error
        }
        do { try sink.commit() } catch { unlink(output); throw error }
        if let r = referenceOut, let ref = result.reference {
            try NPY.write(FeatureMatrix(rows: ref.n, cols: ref.n, data: ref.data.map(Float.init)), to: r)
        }
        let events = result.files.reduce(0) { $0 + $1.events }
        let rejected = result.files.reduce(0) { $0 + $1.rejected }, outside = result.files.reduce(0) { $0 + $1.outside }
        let message = "eeg features \(kind.rawValue): \(result.files.count) files, \(events) events, \(kept) kept, \(rejected) rejected, "
            + "\(outside) too near the edge → \(output) [\(kept), \(width)], \(labels)\n"
        FileHandle.standardError.write(message.data(using: .utf8)!)
        if let split, let target = splitTarget {
            let count = { (s: String) in split.filter { $0 == s }.count }
            FileHandle.standardError.write(Data("split: \(target) \(count(SubjectSplit.train)) train, \(count(SubjectSplit.test)) test; \(count(SubjectSplit.base)) base (other subjects)\n".utf8))
        }
    }
}

/// Fails early, with one line, when an output's directory is missing.
private func checkOutputDirectory(_ path: String) throws {
    let dir = (path as NSString).deletingLastPathComponent
    var isDir: ObjCBool = false
    if !dir.isEmpty && !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) {
        throw CLIError("\(path): directory \(dir) does not exist")
    }
}

/// RFC 4180 quoting when a field holds a comma, quote or newline.
private func csvField(_ s: String) -> String {
    if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return s
}

struct EEGInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Channels, sampling rate, duration and events per code (CSV) or per annotation text (EDF+) of recordings.")

    @Argument(help: "Muse .csv or .edf files.")
    var files: [String]

    func run() throws {
        var out = ""
        for file in files {
            guard FileManager.default.fileExists(atPath: file) else { throw CLIError("\(file): no such file") }
            if file.lowercased().hasSuffix(".edf") {
                let f = try EDFFile.read(path: file)
                out += "\(file)\n  format: \(f.isEDFPlus ? f.reserved : "EDF")\n"
                let ordinary = f.signals.indices.filter { !f.signals[$0].isAnnotations }
                out += "  channels: \(ordinary.count) (" + ordinary.map { i in
                    "\(f.signals[i].label) \(formatNumber(f.sampleRate(i))) Hz\(f.signals[i].physicalDimension.isEmpty ? "" : " " + f.signals[i].physicalDimension)"
                }.joined(separator: ", ") + ")\n"
                let rates = Set(ordinary.map { f.sampleRate($0) })
                if rates.count == 1 { out += "  rate: \(formatNumber(rates.first!)) Hz\n" }
                out += "  records: \(f.recordCount) × \(formatNumber(f.recordDuration)) s\n"
                out += "  duration: \(formatNumber(f.duration)) s\n"
                var counts = [String: Int]()
                for a in f.annotations { counts[a.text, default: 0] += 1 }
                out += "  annotations: \(f.annotations.count)" + (counts.isEmpty ? "" : " (" + counts.keys.sorted().map { "\($0): \(counts[$0]!)" }.joined(separator: ", ") + ")") + "\n"
            } else {
                let r = try MuseCSV.read(path: file)
                out += "\(file)\n  format: Muse CSV (eeg-notebooks)\n"
                out += "  channels: \(r.channels.count) (\(r.channels.joined(separator: ", ")))\n"
                out += "  rate: \(formatNumber(r.sampleRate)) Hz\n"
                out += "  samples: \(r.samples)\n"
                out += "  duration: \(String(format: "%.3f", r.duration)) s\n"
                out += "  events: \(r.events.count)" + (r.events.isEmpty ? "" : " (" + r.eventCounts.map { "\($0.code) \(EpochLabel.name(ofCode: $0.code)): \($0.count)" }.joined(separator: ", ") + ")") + "\n"
            }
        }
        FileHandle.standardOutput.write(out.data(using: .utf8)!)
    }
}

private func formatNumber(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
