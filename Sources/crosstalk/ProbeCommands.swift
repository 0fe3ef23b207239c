// `crosstalk probe fit|predict`: few-shot linear probes on frozen features (.npy [rows, features])
// with labels from a CSV table. `fit` runs the N-shot protocol over shots × seeds per feature set
// and writes report.md, plot.svg, metrics.json and the probe fitted on all training rows into a
// report directory that appears whole or not at all; `predict` writes per-row probabilities as
// CSV. Thin commands over the Probes module; features are read with Probes' NPYMatrix (float32 or
// float64 .npy, kept at full precision and fitted in Float64).
import ArgumentParser
import Foundation
import Probes
import TensorCore

extension RareTagPolicy: ExpressibleByArgument {}

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Few-shot linear (logistic) probes on frozen features: N-shot evaluation and prediction.",
        subcommands: [ProbeFit.self, ProbePredict.self])
}

/// Reads a 2-D float32/float64 .npy as a Float64 matrix; checks finiteness and, if given, the row count.
func loadProbeFeatures(_ path: String, expectedRows: Int? = nil, labelsPath: String = "") throws -> DenseMatrix {
    let m = try NPYMatrix.read(path: path)
    if let expectedRows, m.rows != expectedRows {
        throw ProbeError.rowCountMismatch(features: path, featureRows: m.rows, labels: labelsPath, labelRows: expectedRows)
    }
    if let bad = m.firstNonFinite() { throw ProbeError.nonFinite(path: path, row: bad.row, column: bad.column) }
    return m
}

/// Writes `files` (name → bytes) into directory `path` so that it appears complete or not at all:
/// built in a hidden temporary directory beside it, then renamed into place (an existing
/// directory at `path` is replaced only after the new one is complete).
func writeDirectoryAtomically(_ path: String, files: [(String, Data)]) throws {
    let fm = FileManager.default
    let url = URL(fileURLWithPath: path).standardizedFileURL
    let parent = url.deletingLastPathComponent()
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
        throw CLIError("\(path): exists and is not a directory; expected a report directory")
    }
    let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let tmp = parent.appendingPathComponent(".\(url.lastPathComponent).tmp-\(tag)")
    do {
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        try fm.createDirectory(at: tmp, withIntermediateDirectories: false)
        for (name, data) in files { try data.write(to: tmp.appendingPathComponent(name)) }
        if fm.fileExists(atPath: url.path) {
            let old = parent.appendingPathComponent(".\(url.lastPathComponent).old-\(tag)")
            guard rename(url.path, old.path) == 0 else { throw CLIError("\(path): cannot be replaced (errno \(errno))") }
            guard rename(tmp.path, url.path) == 0 else {
                let e = errno
                _ = rename(old.path, url.path)
                throw CLIError("\(path): cannot be written (errno \(e))")
            }
            try? fm.removeItem(at: old)
        } else {
            guard rename(tmp.path, url.path) == 0 else { throw CLIError("\(path): cannot be written (errno \(errno))") }
        }
    } catch {
        try? fm.removeItem(at: tmp)
        if error is CLIError { throw error }
        throw CLIError("\(path): cannot be written (\(error.localizedDescription))")
    }
}

struct ProbeFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "N-shot linear-probe evaluation of one or more feature sets; writes a report directory.",
        discussion: """
            Y.csv: a header, then one row per feature row. Optional column `split`: train (the pool the shots are \
            drawn from), test (scored) or base (in every training set, never drawn, never scored — e.g. the other \
            subjects in a leave-subjects-out protocol); without it a seeded stratified split puts --test-fraction of \
            the rows in test. Then either one `label` column of class names (single-label: softmax logistic \
            regression; every other column is metadata and ignored, as the subject,session,file,onset_s that \
            `crosstalk eeg features` writes) or one 0/1 column per tag (multi-label: one-vs-rest logistic \
            regression; columns id, subject, group, file, path, name and those of --ignore-columns are ignored). \
            For each shots value N and each of --seeds seeds: multi-label draws, per tag, positives until every tag \
            has exactly N (where co-occurrence allows) and adds as many rows with no tag as negatives; \
            single-label draws N rows per class; the draw comes from the train rows and the base rows are added. \
            "all" is one fit on base + every train row; 0 (only with base rows) is one fit on the base rows alone \
            (zero-shot transfer). Features are \
            standardised on the training rows. C (sklearn's LogisticRegression C) is --l2, or chosen by stratified \
            k-fold CV over 1e-3…1e2 when each class has ≥ 3 rows per fold, else 1.0. The report directory gets \
            report.md, plot.svg, metrics.json and probe.json (probe-NAME.json per set when there are several), \
            the probe being fitted on all training rows (base + train). Metrics: macro/micro ROC-AUC and PR-AUC, and \
            balanced accuracy (single-label: of the argmax class; multi-label: per tag at p > 0.5, mean over tags). \
            A tag with fewer training (pool) positives than a shots value fails the run (--rare-tags fail), or with \
            --rare-tags skip is left out of that shots value's fits and metrics, with a note on stderr and in \
            report.md/metrics.json (skipped_tags); rows positive only for left-out tags then count as rows with no tag. \
            Single-label classes are never skipped.
            """)

    @Option(help: "Feature matrix .npy [rows, features] (float32 or float64); repeat for several feature sets.")
    var features: [String]
    @Option(name: .customLong("name"), help: "A name per --features, in the same order (default: the file name).")
    var names: [String] = []
    @Option(help: "Label table (CSV), one data row per feature row.")
    var labels: String
    @Option(help: "Comma-separated metadata columns to ignore in a multi-label table (beside the built-in id, subject, group, file, path, name).")
    var ignoreColumns: String?
    @Option(help: "Comma-separated shots per tag/class, 'all' for every training row, 0 for base rows only.")
    var shots: String = "1,5,10,20,all"
    @Option(help: "Seeds (runs) per shots value.")
    var seeds: Int = 10
    @Option(name: .customLong("l2"), help: "Inverse L2 strength C, as scikit-learn's (default: cross-validated).")
    var l2: Double?
    @Option(help: "balanced | none")
    var classWeight: String = "none"
    @Option(help: "Base seed for splits, draws and folds.")
    var seed: UInt64 = 0
    @Option(help: "Test fraction of the seeded stratified split when Y.csv has no split column.")
    var testFraction: Double = 0.25
    @Option(help: "Report directory (replaced if it exists).")
    var report: String
    @Option(help: "fail | skip: a multi-label tag with fewer training positives than the shots fails the run, or is left out of that shots value.")
    var rareTags: RareTagPolicy = .fail

    func validate() throws {
        if !names.isEmpty && names.count != features.count {
            throw ValidationError("--name given \(names.count) times for \(features.count) --features; expected one per feature set")
        }
        if seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        if let l2, !(l2 > 0 && l2.isFinite) { throw ValidationError("--l2 must be a positive number") }
        if ClassWeight(rawValue: classWeight) == nil { throw ValidationError("--class-weight '\(classWeight)'; expected balanced or none") }
        if !(testFraction > 0 && testFraction < 1) { throw ValidationError("--test-fraction must be between 0 and 1") }
    }

    func run() throws {
        let setNames = names.isEmpty ? features.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } : names
        if Set(setNames).count != setNames.count {
            throw CLIError("feature set names \(setNames) repeat; expected distinct names (use --name)")
        }
        let shotList = try Shots.parseList(shots)
        let bytes = try readAllInput(labels)
        try validateUTF8(bytes, name: labels)
        let ignoring = (ignoreColumns ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let table = try LabelTable.parse(String(decoding: bytes, as: UTF8.self), path: labels, ignoring: ignoring)
        let matrices = try features.map { try loadProbeFeatures($0, expectedRows: table.labels.count, labelsPath: labels) }
        let split = try table.splits(testFraction: testFraction, seed: seed)
        let (base, train, test) = (split.base, split.train, split.test)
        let options = ProbeFitOptions(C: l2, classWeight: ClassWeight(rawValue: classWeight)!, seed: seed)
        let nshot = NShotProtocol(shots: shotList, seeds: seeds, seed: seed, options: options, rareTags: rareTags)
        try nshot.validate(labels: table.labels, train: train, base: base)
        if !table.ignoredColumns.isEmpty {  // once, after every input check
            FileHandle.standardError.write(Data("note: \(labels): ignoring metadata column(s) \(table.ignoredColumns.joined(separator: ", "))\n".utf8))
        }
        for sh in shotList + (shotList.contains(.all) ? [] : [.all]) {
            let skipped = nshot.skippedTags(labels: table.labels, train: train, base: base, shots: sh)
            if skipped.isEmpty { continue }
            let list = skipped.map { "'\(table.labels.names[$0.tag])' (\($0.reason))" }.joined(separator: ", ")
            let what = shotList.contains(sh) ? "\(sh) shots" : "the probe fitted on all training rows"
            FileHandle.standardError.write(Data("note: --rare-tags skip: leaving out of \(what): \(list)\n".utf8))
        }
        let finalTags = nshot.keptTags(labels: table.labels, train: train, base: base, shots: .all)
        let finalLabels = finalTags.count == table.labels.names.count ? table.labels : table.labels.selectingTags(finalTags)

        let progress = Progress("probe fit", total: nshot.runCount * matrices.count)
        var results = [FeatureSetResult](), probes = [LinearProbe]()
        for (k, x) in matrices.enumerated() {
            let summaries = try nshot.run(x: x, labels: table.labels, train: train, test: test, base: base) { progress.advance(note: setNames[k]) }
            results.append(FeatureSetResult(name: setNames[k], features: features[k], summaries: summaries))
            // The saved probe is the "all" run itself: the same rows and the same CV fold seed, so
            // `probe predict` on the test rows reproduces the "all" line of the report exactly.
            let allRun = try nshot.plan(labels: table.labels, train: train, base: base, shots: .all, seedIndex: 0)
            var final = allRun.options
            final.workers = Parallel.defaultWorkers
            probes.append(try LinearProbe.fit(x: x.selecting(rows: allRun.rows), labels: finalLabels.selecting(allRun.rows), options: final))
        }
        let rep = ProbeReport(task: table.labels.isMultiLabel ? "multi-label" : "single-label", labels: table.labels.names,
                              shots: shotList, seeds: seeds, seed: seed, classWeight: options.classWeight, C: l2,
                              trainRows: train.count, testRows: test.count, baseRows: base.count,
                              splitSource: table.split == nil ? "seeded stratified split, test fraction \(testFraction)" : "split column",
                              rareTags: rareTags, results: results)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var files: [(String, Data)] = [("metrics.json", try rep.json()), ("report.md", Data(rep.markdown().utf8)),
                                       ("plot.svg", Data(rep.svg().utf8))]
        for (k, p) in probes.enumerated() {
            let file = probes.count == 1 ? "probe.json" : "probe-\(setNames[k].replacingOccurrences(of: "/", with: "_")).json"
            files.append((file, try enc.encode(p)))
        }
        try writeDirectoryAtomically(report, files: files)
    }
}

struct ProbePredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Per-row probabilities of a fitted probe as CSV (a header of tag/class names, one row per feature row).")

    @Option(help: "probe.json written by `crosstalk probe fit`.")
    var probe: String
    @Option(help: "Feature matrix .npy [rows, features].")
    var features: String
    @Option(name: [.short, .customLong("output")], help: "Output CSV (default: standard output).")
    var output: String?

    func run() throws {
        let bytes = try readAllInput(probe)
        let model: LinearProbe
        do {
            model = try JSONDecoder().decode(LinearProbe.self, from: Data(bytes))
        } catch {
            throw ProbeError.badProbe(path: probe, reason: "invalid JSON or missing fields")
        }
        try model.validate(path: probe)
        let x = try loadProbeFeatures(features)
        guard x.cols == model.featureCount else {
            throw ProbeError.featureWidth(path: features, found: x.cols, expected: model.featureCount)
        }
        let p = model.probabilities(x)
        try withOutput(output) { out in
            out.write(model.names.joined(separator: ",") + "\n")
            for row in p { out.write(row.map { String(format: "%.8g", $0) }.joined(separator: ",") + "\n") }
        }
    }
}
