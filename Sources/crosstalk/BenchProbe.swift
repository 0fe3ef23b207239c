// `crosstalk bench probe`: probe fitting time against scikit-learn on the same features. Times, in
// process, (a) the whole N-shot protocol of `probe fit` (draws, per-tag C chosen by stratified
// k-fold CV over the grid, final fits, test metrics) and (b) one fit on all training rows (CV
// included), then runs Scripts/bench/anchor_probe.py, which does the same work with scikit-learn
// (StandardScaler + LogisticRegression(lbfgs) per tag) on the same rows, the same CV folds and the
// same grid — crosstalk writes every run's training rows and every tag's folds to a plan file —
// and prints both times, both test ROC-AUCs (which must agree within ±0.005) and the ratio.
// Data: a seeded synthetic multi-label set, or --features X.npy --labels Y.csv.
import ArgumentParser
import Foundation
import Probes
import TensorCore

struct BenchProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe fit time (N-shot protocol with CV, and one full-data fit) against scikit-learn on the same rows, folds and C grid.",
        discussion: """
            The synthetic set: --rows rows of --dims standard-normal features; tag t is positive where a noisy \
            linear score of 5 random features is in its top 5–20 % (prevalence rising with t); every fourth row \
            is test. The anchor runs twice: with scikit-learn's default tol (1e-4) everywhere, and with the \
            tolerances crosstalk's L-BFGS stops at (max |gradient| 1e-4 in CV fits, 1e-11 in final fits).
            """)

    @OptionGroup var bench: BenchOptions
    @Option(help: "Rows of the synthetic set.") var rows = 2000
    @Option(help: "Feature dimensions of the synthetic set.") var dims = 200
    @Option(help: "Tags of the synthetic set.") var tags = 10
    @Option(help: "Seed of the synthetic set, the split and the protocol.") var seed: UInt64 = 0
    @Option(help: "Feature matrix .npy instead of the synthetic set (with --labels).") var features: String?
    @Option(help: "Label table CSV for --features (as `probe fit` reads it).") var labels: String?
    @Option(help: "Comma-separated shots per tag/class, 'all' for every training row.") var shots = "5,20,all"
    @Option(help: "Seeds (runs) per shots value.") var seeds = 3
    @Option(name: .customLong("l2"), help: "Inverse L2 strength C (default: cross-validated, as `probe fit`).") var l2: Double?
    @Option(help: "Threads: crosstalk's protocol workers, and the anchor's BLAS threads and joblib workers.") var threads = 1
    @Flag(help: "Skip the scikit-learn anchor.") var noAnchor = false

    func validate() throws {
        if (features == nil) != (labels == nil) { throw ValidationError("--features and --labels go together") }
        if rows < 40 || dims < 1 || tags < 1 { throw ValidationError("--rows ≥ 40, --dims ≥ 1 and --tags ≥ 1 expected") }
        if seeds < 1 || threads < 1 { throw ValidationError("--seeds and --threads must be at least 1") }
    }

    func run() throws {
        let work = try bench.makeWorkDir()
        defer { bench.cleanUp(work) }
        let xPath: String, yPath: String
        if let features, let labels { (xPath, yPath) = (features, labels) } else {
            (xPath, yPath) = (work + "/probe-X.npy", work + "/probe-Y.csv")
            try writeSyntheticProbeSet(x: xPath, y: yPath)
        }
        let bytes = try readAllInput(yPath)
        let table = try LabelTable.parse(String(decoding: bytes, as: UTF8.self), path: yPath)
        let x = try loadProbeFeatures(xPath, expectedRows: table.labels.count, labelsPath: yPath)
        let split = try table.splits(seed: seed)
        let options = ProbeFitOptions(C: l2, seed: seed)
        let nshot = NShotProtocol(shots: try Shots.parseList(shots), seeds: seeds, seed: seed, options: options)
        try nshot.validate(labels: table.labels, train: split.train, base: split.base)
        let multi = table.labels.isMultiLabel
        print("bench probe: \(x.rows) rows × \(x.cols) features, \(table.labels.names.count) \(multi ? "tags" : "classes") "
              + (features == nil ? "(synthetic, seed \(seed))" : "(\(xPath))") + "; train \(split.train.count), test \(split.test.count)"
              + (split.base.isEmpty ? "" : ", base \(split.base.count)"))
        print("shots \(shots) × \(seeds) seeds = \(nshot.runCount) runs; C " + (l2.map { "= \($0)" } ?? "by stratified k-fold CV over \(options.grid)")
              + "; \(threads) thread(s); best of \(bench.repeats)")

        // The plan the anchor replays: every run's rows, kept tags and per-tag CV folds, and the full fit.
        let plans = try nshot.plans(labels: table.labels, train: split.train, base: split.base)
        func fitPlan(rows: [Int], tagIndices: [Int], options: ProbeFitOptions) -> [String: Any] {
            var folds = [Any]()
            switch table.labels {
            case .multiLabel(_, let y):
                for (k, t) in tagIndices.enumerated() {
                    let yt = rows.map { y[$0][t] ? 1 : 0 }
                    folds.append(options.C != nil ? NSNull() : LinearProbe.cvFolds(y: yt, classes: 2, options: options, salt: UInt64(k)).map { $0.fold } ?? NSNull())
                }
            case .singleLabel(let classes, let y):
                let yr = rows.map { y[$0] }
                folds.append(options.C != nil ? NSNull() : LinearProbe.cvFolds(y: yr, classes: classes.count, options: options, salt: 0).map { $0.fold } ?? NSNull())
            }
            return ["rows": rows, "tags": tagIndices, "folds": folds]
        }
        let target: Any
        switch table.labels {
        case .multiLabel(_, let y): target = y.map { $0.map { $0 ? 1 : 0 } }
        case .singleLabel(_, let y): target = y
        }
        let allRows = split.allTraining
        let plan: [String: Any] = [
            "task": multi ? "multi-label" : "single-label", "classes": table.labels.names.count, "y": target,
            "test": split.test, "grid": options.grid, "default_C": options.defaultC, "C": l2 ?? NSNull(),
            "runs": plans.map { p -> [String: Any] in
                var d = fitPlan(rows: p.rows, tagIndices: p.tags, options: p.options)
                d["shots"] = p.shots.description
                return d
            },
            "full": fitPlan(rows: allRows, tagIndices: Array(table.labels.names.indices), options: options),
        ]
        let planPath = work + "/probe-plan.json"
        try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: planPath))

        // Ours, in process: the protocol as `probe fit` runs it, and the full fit + test scoring.
        var summaries = [ShotSummary]()
        let tProtocol = try bestOf(bench.repeats) {
            try seconds { summaries = try nshot.run(x: x, labels: table.labels, train: split.train, test: split.test, base: split.base, workers: threads) }
        }
        var fullAUC: Double? = nil
        let tFull = try bestOf(bench.repeats) {
            try seconds {
                var o = options
                o.workers = threads
                let probe = try LinearProbe.fit(x: x.selecting(rows: allRows), labels: table.labels.selecting(allRows), options: o)
                fullAUC = RankingMetrics.evaluate(labels: table.labels.selecting(split.test), probabilities: probe.probabilities(x.selecting(rows: split.test))).macroROCAUC
            }
        }
        let oursAUC = summaries.map { ($0.shots, $0.macroROCAUC.mean) } + [("full fit", fullAUC)]

        // The anchor, twice: sklearn's default tol, then a tolerance matched to ours.
        struct Anchor { let label: String; let protocolSeconds: Double; let fullSeconds: Double; let auc: [String: Double] }
        var anchors = [Anchor]()
        if !noAnchor {
            for (label, tol) in [("sklearn tol 1e-4 (default)", ["--tol", "1e-4"]), ("sklearn tol 1e-4 CV / 1e-11 final", ["--tol", "1e-11", "--cv-tol", "1e-4"])] {
                let r = try timeProcess([bench.python, packageRoot() + "/Scripts/bench/anchor_probe.py", "--features", xPath, "--plan", planPath,
                                         "--threads", "\(threads)", "--repeats", "\(bench.repeats)"] + tol)
                guard r.status == 0, let j = jsonLines(r.stdout).last, let tp = j["protocol_seconds"] as? Double,
                      let tf = j["full_seconds"] as? Double, let auc = j["macro_roc_auc"] as? [String: Double] else {
                    print("python anchor unavailable (status \(r.status)); it installs numpy and scikit-learn into its own venv (Scripts/pyvenv.py)")
                    break
                }
                if anchors.isEmpty { print("anchor: scikit-learn \(j["sklearn"] ?? "?"), numpy \(j["numpy"] ?? "?"), python \(j["python"] ?? "?")") }
                anchors.append(Anchor(label: label, protocolSeconds: tp, fullSeconds: tf, auc: auc))
            }
        }
        let widths = [30, 34, 11, 9, 6]
        print("")
        printRow(["work", "anchor", "crosstalk s", "sklearn s", "ratio"], widths: widths)
        let rowsOut: [(String, Double, (Anchor) -> Double)] = [("N-shot protocol (\(nshot.runCount) runs)", tProtocol, { $0.protocolSeconds }),
                                                                ("full-data fit (+ test scoring)", tFull, { $0.fullSeconds })]
        for (name, ours, theirs) in rowsOut {
            if anchors.isEmpty { printRow([name, "-", String(format: "%.3f", ours), "-", "-"], widths: widths) }
            for a in anchors {
                printRow([name, a.label, String(format: "%.3f", ours), String(format: "%.3f", theirs(a)),
                          String(format: "%.2fx", theirs(a) / ours)], widths: widths)
            }
        }
        print("")
        print("test macro ROC-AUC (mean over seeds):")
        let headWidths: [Int] = [9, 10] + anchors.map { $0.label.count } + [8]
        printRow(["shots", "crosstalk"] + anchors.map(\.label) + ["max |Δ|"], widths: headWidths)
        var worst = 0.0
        for (sh, mine) in oursAUC {
            let key = sh == "full fit" ? "full" : sh
            let theirs = anchors.map { $0.auc[key] }
            var d = 0.0
            for case let b? in theirs { if let mine { d = max(d, abs(mine - b)) } }
            worst = max(worst, d)
            func cell(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "n/a" }
            var cells: [String] = [sh, cell(mine)]
            cells += theirs.map(cell)
            cells.append(String(format: "%.4f", d))
            let w: [Int] = [9, 10] + anchors.map { $0.label.count } + [8]
            printRow(cells, widths: w)
        }
        if !anchors.isEmpty {
            print(String(format: "AUC agreement: max |Δ| %.4f — %@ (target ±0.005); target speed ≥ 5x at equal AUC", worst, worst <= 0.005 ? "equal" : "NOT equal"))
        }
    }

    /// Writes the seeded synthetic set: X [rows, dims] float64 .npy and Y.csv (split, t0…).
    func writeSyntheticProbeSet(x xPath: String, y yPath: String) throws {
        var rng = SeededGenerator(seed: seed ^ 0x0B0B_5EED)
        let x = (0..<(rows * dims)).map { _ in Double(rng.nextNormal()) }
        var y = [[Bool]](repeating: [Bool](repeating: false, count: tags), count: rows)
        for t in 0..<tags {
            let used = (0..<min(5, dims)).map { _ in rng.nextInt(below: dims) }
            let w = used.map { _ in Double(rng.nextNormal()) }
            let score = (0..<rows).map { i in zip(used, w).reduce(0.0) { $0 + x[i * dims + $1.0] * $1.1 } + 1.5 * Double(rng.nextNormal()) }
            let prevalence = 0.05 + 0.15 * Double(t) / Double(max(tags - 1, 1))
            let cut = score.sorted(by: >)[max(0, Int(prevalence * Double(rows)) - 1)]
            for i in 0..<rows where score[i] >= cut { y[i][t] = true }
        }
        var lines = ["split," + (0..<tags).map { "t\($0)" }.joined(separator: ",")]
        for i in 0..<rows { lines.append((i % 4 == 0 ? "test," : "train,") + y[i].map { $0 ? "1" : "0" }.joined(separator: ",")) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: yPath))
        var h = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(dims)), }"
        h += String(repeating: " ", count: (64 - (10 + h.utf8.count + 1) % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)] + Array(h.utf8))
        x.withUnsafeBufferPointer { out.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: $0.count * 8)) }
        try out.write(to: URL(fileURLWithPath: xPath))
    }
}
