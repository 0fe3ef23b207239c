// Pipeline: `crosstalk eeg features` as library code — find Muse CSVs, skip byte-identical duplicates,
// keep the EEG channels, band-pass, epoch, reject, and emit one feature row + label record (house/face,
// subjectK, sessionM, file, onset) per kept epoch. The tangent reference is fitted on every epoch given
// unless passed in (leave-subject-out must refit on training subjects). Leaves out EDF inputs and printing.

import Foundation

public enum EEGFeatureKind: String, Sendable, CaseIterable {
    case bandpower, erp, tangent
}

/// What `run` needs besides the files.
public struct PipelineOptions: Sendable {
    public var kind: EEGFeatureKind
    /// Channels kept (the four Muse EEG electrodes; Right AUX is an unconnected auxiliary input).
    public var channels: [String]
    /// Band-pass edges (Hz) and Butterworth order; nil skips filtering.
    public var band: (low: Double, high: Double)?
    public var filterOrder: Int
    public var epochs: EpochOptions
    public var bandPower: BandPowerFeatures
    public var erp: ERPFeatures
    public var covariance: CovarianceEstimator
    /// A fixed tangent-space reference [C, C]; nil fits the Riemannian mean of all epochs.
    public var reference: SymmetricMatrix?

    public init(kind: EEGFeatureKind, channels: [String] = ["TP9", "AF7", "AF8", "TP10"], band: (low: Double, high: Double)? = (1, 30),
                filterOrder: Int = 4, epochs: EpochOptions = EpochOptions(), bandPower: BandPowerFeatures = BandPowerFeatures(),
                erp: ERPFeatures = ERPFeatures(), covariance: CovarianceEstimator = CovarianceEstimator(), reference: SymmetricMatrix? = nil) {
        self.kind = kind; self.channels = channels; self.band = band; self.filterOrder = filterOrder; self.epochs = epochs
        self.bandPower = bandPower; self.erp = erp; self.covariance = covariance; self.reference = reference
    }
}

/// One kept epoch's label record (a row of Y.csv).
public struct EpochLabel: Sendable, Equatable {
    /// "house" (code 1), "face" (code 2), else "code<k>".
    public var label: String
    /// "subject<k>" from the path, or "".
    public var subject: String
    /// "session<m>" from the path, or "".
    public var session: String
    public var file: String
    /// Event time from the start of the recording, sample / fs.
    public var onset: Double

    public static func name(ofCode code: Int) -> String {
        switch code { case 1: return "house"; case 2: return "face"; default: return "code\(code)" }
    }
}

/// Per-file counts, for the CLI's summary.
public struct FileSummary: Sendable {
    public var file: String
    public var events: Int
    public var kept: Int
    public var rejected: Int
    /// Events too near the start/end for the window (dropped).
    public var outside: Int
}

public struct PipelineResult: Sendable {
    /// [E, F] one row per kept epoch.
    public var rows: [[Double]]
    public var labels: [EpochLabel]
    public var files: [FileSummary]
    /// (skipped path, the earlier path with the same bytes).
    public var duplicates: [(path: String, sameAs: String)]
    /// The tangent-space reference used (tangent features only).
    public var reference: SymmetricMatrix?
}

public enum EEGPipeline {
    /// Muse CSV paths from files and folders (searched recursively for *.csv), sorted per folder.
    /// Returns (path, name shown in Y.csv: relative to the folder given, or the path as given).
    public static func discover(_ inputs: [String]) throws -> [(path: String, name: String)] {
        var out = [(String, String)]()
        let fm = FileManager.default
        for input in inputs {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: input, isDirectory: &isDir) else { throw SignalsError.cannotRead(path: input, reason: "no such file or directory") }
            if isDir.boolValue {
                guard let walker = fm.enumerator(atPath: input) else { throw SignalsError.cannotRead(path: input, reason: "cannot list directory") }
                var found = [String]()
                for case let rel as String in walker where rel.lowercased().hasSuffix(".csv") && !(rel as NSString).lastPathComponent.hasPrefix(".") {
                    found.append(rel)
                }
                if found.isEmpty { throw SignalsError.cannotRead(path: input, reason: "no .csv recordings under this folder; expected Muse CSVs (\(MuseCSV.expectedHeader.joined(separator: ",")))") }
                let base = input.hasSuffix("/") ? String(input.dropLast()) : input
                out += found.sorted().map { (base + "/" + $0, $0) }
            } else {
                if input.lowercased().hasSuffix(".edf") {
                    throw SignalsError.badParameter("\(input): EDF recordings carry no stimulus codes for epoching here; expected Muse .csv recordings (use `eeg info` for EDF)")
                }
                out.append((input, input))
            }
        }
        return out
    }

    /// Drops files whose bytes equal an earlier file's (64-bit FNV-1a, then a byte comparison).
    public static func deduplicate(_ files: [(path: String, name: String)]) throws -> (unique: [(path: String, name: String, bytes: [UInt8])], duplicates: [(path: String, sameAs: String)]) {
        var seen = [UInt64: [Int]]()
        var unique = [(path: String, name: String, bytes: [UInt8])]()
        var dups = [(path: String, sameAs: String)]()
        for f in files {
            guard let data = FileManager.default.contents(atPath: f.path) else { throw SignalsError.cannotRead(path: f.path, reason: "cannot be read") }
            let bytes = [UInt8](data)
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            if let prior = seen[h]?.first(where: { unique[$0].bytes == bytes }) {
                dups.append((f.path, unique[prior].path))
                continue
            }
            seen[h, default: []].append(unique.count)
            unique.append((f.path, f.name, bytes))
        }
        return (unique, dups)
    }

    /// "subject<k>" and "session<m>" path components, or "".
    public static func subjectAndSession(_ path: String) -> (String, String) {
        let parts = path.split(separator: "/").map(String.init)
        func find(_ prefix: String) -> String {
            parts.last { $0.hasPrefix(prefix) && $0.count > prefix.count && $0.dropFirst(prefix.count).allSatisfy(\.isNumber) } ?? ""
        }
        return (find("subject"), find("session"))
    }

    /// Runs the whole flow; every input problem throws before anything is returned.
    public static func run(inputs: [String], options: PipelineOptions, progress: ((Int, Int) -> Void)? = nil) throws -> PipelineResult {
        let (unique, duplicates) = try deduplicate(try discover(inputs))
        var rows = [[Double]](), labels = [EpochLabel](), summaries = [FileSummary]()
        var covariances = [SymmetricMatrix]()
        var welch: Welch? = nil
        for (k, f) in unique.enumerated() {
            var rec = try MuseCSV.parse(f.bytes, path: f.path).recording.selecting(channels: options.channels, path: f.path)
            if let band = options.band {
                rec = try BandPassFilter(low: band.low, high: band.high, order: options.filterOrder, sampleRate: rec.sampleRate).apply(rec)
            }
            let times = options.epochs.offsets(sampleRate: rec.sampleRate).count
            let needed = options.kind == .erp ? max(2, options.erp.binSize) : 2
            guard times >= needed else {
                throw SignalsError.badParameter("epoch window --tmin \(options.epochs.tmin) --tmax \(options.epochs.tmax) holds \(times) sample(s) at \(rec.sampleRate) Hz; "
                                                + "expected at least \(needed) for \(options.kind.rawValue) features")
            }
            let set = try makeEpochs(rec, options: options.epochs, path: f.path)
            let (subject, session) = subjectAndSession(f.path)
            for e in set.kept {
                switch options.kind {
                case .bandpower:
                    let n = options.bandPower.segmentLength(times: e.times)
                    if welch == nil || welch!.nperseg != n || welch!.sampleRate != rec.sampleRate { welch = Welch(nperseg: n, sampleRate: rec.sampleRate) }
                    rows.append(options.bandPower.features(e, welch: welch!))
                case .erp:
                    rows.append(options.erp.features(e))
                case .tangent:
                    let c = options.covariance.covariance(e)
                    guard c.minEigenvalue > 0 else {
                        throw SignalsError.badParameter("\(f.path): covariance of the epoch at sample \(e.event.sample) is not positive definite "
                                                        + "(flat or duplicated channel?); expected SPD — raise --shrinkage or drop the channel")
                    }
                    covariances.append(c)
                }
                labels.append(EpochLabel(label: EpochLabel.name(ofCode: e.event.code), subject: subject, session: session,
                                         file: f.name, onset: Double(e.event.sample) / rec.sampleRate))
            }
            summaries.append(FileSummary(file: f.name, events: rec.events.count, kept: set.kept.count, rejected: set.rejected.count, outside: set.outside.count))
            progress?(k + 1, unique.count)
        }
        var reference: SymmetricMatrix? = nil
        if options.kind == .tangent {
            if let r = options.reference {
                guard r.n == options.channels.count else {
                    throw SignalsError.badParameter("tangent-space reference is \(r.n)×\(r.n); expected \(options.channels.count)×\(options.channels.count) for channels \(options.channels.joined(separator: ","))")
                }
                guard r.minEigenvalue > 0 else { throw SignalsError.badParameter("tangent-space reference is not positive definite") }
                reference = r
            } else if !covariances.isEmpty {
                reference = Riemann.mean(covariances).mean
            }
            if let reference {
                let ts = TangentSpace(reference: reference)
                rows = covariances.map { ts.transform($0) }
            }
        }
        return PipelineResult(rows: rows, labels: labels, files: summaries, duplicates: duplicates, reference: reference)
    }

    /// Feature-vector width for `options` and epochs of `times` samples.
    public static func width(_ options: PipelineOptions, times: Int) -> Int {
        let c = options.channels.count
        switch options.kind {
        case .bandpower: return c * options.bandPower.bands.count
        case .erp: return c * (times / options.erp.binSize)
        case .tangent: return c * (c + 1) / 2
        }
    }
}
