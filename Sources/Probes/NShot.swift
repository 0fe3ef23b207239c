// The N-shot protocol: for each shots value N and seed s, draw N training rows per class
// (single-label) or, multi-label, a union of per-tag draws holding exactly N positives of every
// tag where co-occurrence allows, plus a matched number of rows with no tag as extra negatives;
// draws come from the `train` pool only, and `base` rows (if any) join every training set; fit a
// probe, score macro/micro ROC-AUC and PR-AUC and balanced accuracy on the fixed test split;
// report mean ± std (numpy.std, ddof 0) over seeds. "all" = one fit on base + every train row;
// 0 = one fit on the base rows alone (zero-shot transfer, e.g. cross-subject). A multi-label tag
// with fewer pool positives than N fails the run, or (RareTagPolicy.skip) is left out of that
// shots value's fits and metrics. Mirrors no library.
import Foundation
import TensorCore

/// A --shots entry: N examples per tag/class (0: base rows only), or all training rows.
public enum Shots: Hashable, Sendable, CustomStringConvertible {
    case count(Int)
    case all

    public var description: String {
        switch self {
        case .count(let n): return String(n)
        case .all: return "all"
        }
    }

    /// True for the values fitted once, not once per seed: "all" and 0 (nothing is drawn).
    public var isDeterministicDraw: Bool { self == .all || self == .count(0) }

    /// Parses "1,5,10,all"; a repeated value is kept once, in first-seen order.
    public static func parseList(_ text: String) throws -> [Shots] {
        var out = [Shots]()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let s = part.trimmingCharacters(in: .whitespaces)
            let shots: Shots
            if s == "all" { shots = .all } else {
                guard let n = Int(s), n >= 0 else { throw ProbeError.badShots(value: s) }
                shots = .count(n)
            }
            if !out.contains(shots) { out.append(shots) }
        }
        return out
    }
}

/// What to do with a tag that has fewer training positives than a shots value needs.
/// `skip` applies to multi-label tags only; a single-label class is never dropped (see ProbeError.rareClass).
public enum RareTagPolicy: String, Codable, Sendable, CaseIterable { case fail, skip }

public enum NShotSampler {
    /// Training rows of one N-shot draw from `pool` (row indices into `labels`), sorted.
    ///
    /// Single-label: N rows of each class, uniformly without replacement.
    /// Multi-label: tags in order of increasing pool frequency; for each, shuffled pool rows
    /// positive for it are added while no tag of the row would exceed N positives, until the tag
    /// has N. If co-occurrence makes that impossible, the tag is topped up anyway (others then
    /// exceed N; `exact` is false). Then min(|sample|, available) pool rows with no positive tag
    /// are added as negatives ("matched number").
    /// Throws when a tag/class has fewer than N pool rows, or a tag has no negative in the sample
    /// and in `base` (rows that will be trained on beside it; not part of the returned rows).
    public static func sample(labels: ProbeLabels, pool: [Int], shots n: Int, base: [Int] = [],
                              using rng: inout SeededGenerator) throws -> (rows: [Int], exact: Bool) {
        let counts = labels.counts(in: pool)
        for (t, c) in counts.enumerated() where c < n {
            throw ProbeError.tooFewTrainingRows(name: labels.names[t], found: c, needed: n, shots: String(n))
        }
        switch labels {
        case .singleLabel(let classes, let y):
            var out = [Int]()
            for k in 0..<classes.count {
                var rows = pool.filter { y[$0] == k }
                rng.shuffle(&rows)
                out += rows[..<n]
            }
            return (out.sorted(), true)
        case .multiLabel(let tags, let y):
            var selected = Set<Int>(), have = [Int](repeating: 0, count: tags.count), exact = true
            let order = tags.indices.sorted { counts[$0] != counts[$1] ? counts[$0] < counts[$1] : $0 < $1 }
            func add(_ i: Int) {
                selected.insert(i)
                for u in 0..<tags.count where y[i][u] { have[u] += 1 }
            }
            for t in order where have[t] < n {
                var candidates = pool.filter { y[$0][t] && !selected.contains($0) }
                rng.shuffle(&candidates)
                var rest = [Int]()
                for i in candidates where have[t] < n {
                    if (0..<tags.count).allSatisfy({ !y[i][$0] || have[$0] < n }) { add(i) } else { rest.append(i) }
                }
                for i in rest where have[t] < n { add(i); exact = false }
            }
            var negatives = pool.filter { i in !y[i].contains(true) }
            rng.shuffle(&negatives)
            let positives = selected.count
            for i in negatives.prefix(positives) { selected.insert(i) }
            let rows = selected.sorted()
            for t in 0..<tags.count where rows.allSatisfy({ y[$0][t] }) && base.allSatisfy({ y[$0][t] }) {
                throw ProbeError.oneClass(name: tags[t], where: "the \(n)-shot training sample (no row without it to serve as a negative)")
            }
            return (rows, exact)
        }
    }
}

/// Mean and population standard deviation of a metric over runs; nil where no run defined it.
public struct MeanStd: Codable, Equatable, Sendable {
    public var mean: Double?
    public var std: Double?

    public init(_ values: [Double?]) {
        let v = values.compactMap { $0 }
        guard !v.isEmpty else { mean = nil; std = nil; return }
        let m = v.reduce(0, +) / Double(v.count)
        mean = m
        std = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
    }

    enum CodingKeys: String, CodingKey { case mean, std }

    /// Writes null (not nothing) for an undefined metric, so both keys are always present.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mean, forKey: .mean)
        try c.encode(std, forKey: .std)
    }
}

/// One row of the report: a shots value's metrics over its runs.
public struct ShotSummary: Codable, Equatable, Sendable {
    public var shots: String
    public var runs: Int
    public var macroROCAUC: MeanStd
    public var microROCAUC: MeanStd
    public var macroPRAUC: MeanStd
    public var microPRAUC: MeanStd
    /// sklearn balanced_accuracy_score of argmax predictions (single-label), or its mean over tags
    /// at p > 0.5 (multi-label); see BalancedAccuracy.swift.
    public var balancedAccuracy: MeanStd
    /// Training rows per run (mean over runs).
    public var trainRows: Double
    /// Tags left out of this shots value's fits and metrics (RareTagPolicy.skip); empty otherwise.
    public var skippedTags: [String]

    enum CodingKeys: String, CodingKey {
        case shots, runs, macroROCAUC = "macro_roc_auc", microROCAUC = "micro_roc_auc",
             macroPRAUC = "macro_pr_auc", microPRAUC = "micro_pr_auc", balancedAccuracy = "balanced_accuracy",
             trainRows = "train_rows", skippedTags = "skipped_tags"
    }
}

/// One protocol run's training set, before fitting: what `NShotProtocol.plan` returns.
public struct RunPlan: Sendable {
    public var shots: Shots
    public var seedIndex: Int
    /// Training rows (base + drawn), sorted.
    public var rows: [Int]
    /// Tag columns fitted and scored (every column unless RareTagPolicy.skip left some out).
    public var tags: [Int]
    /// The fit options of this run (its CV fold seed included).
    public var options: ProbeFitOptions
}

/// Runs the protocol over shots × seeds for one feature matrix.
public struct NShotProtocol: Sendable {
    public var shots: [Shots]
    public var seeds: Int
    public var seed: UInt64
    public var options: ProbeFitOptions
    public var rareTags: RareTagPolicy

    public init(shots: [Shots], seeds: Int, seed: UInt64, options: ProbeFitOptions, rareTags: RareTagPolicy = .fail) {
        self.shots = shots
        self.seeds = seeds
        self.seed = seed
        self.options = options
        self.rareTags = rareTags
    }

    /// Number of fits `run` performs (for progress).
    public var runCount: Int { shots.reduce(0) { $0 + ($1.isDeterministicDraw ? 1 : seeds) } }

    /// Tags (column indices, ascending) left out of `shots`' fits and metrics, each with why:
    /// under RareTagPolicy.skip and multi-label only, tags with fewer than N positives in the
    /// `train` pool (N shots), or without positives or negatives among the training rows ("all":
    /// base + train; 0: base). Empty under `.fail` and for single-label tables.
    public func skippedTags(labels: ProbeLabels, train: [Int], base: [Int] = [], shots sh: Shots) -> [(tag: Int, reason: String)] {
        guard rareTags == .skip, labels.isMultiLabel else { return [] }
        if case .count(let n) = sh, n > 0 {
            let c = labels.counts(in: train)
            return c.indices.filter { c[$0] < n }.map { ($0, "\(c[$0]) positive training rows, \(n) needed") }
        }
        let rows = sh == .all ? base + train : base
        let c = labels.counts(in: rows)
        return c.indices.filter { c[$0] == 0 || c[$0] == rows.count }.map {
            ($0, c[$0] == 0 ? "no positive among the \(rows.count) training rows" : "no negative among the \(rows.count) training rows")
        }
    }

    /// The tag columns `shots` fits and scores: every column but the skipped ones.
    public func keptTags(labels: ProbeLabels, train: [Int], base: [Int] = [], shots sh: Shots) -> [Int] {
        let skipped = Set(skippedTags(labels: labels, train: train, base: base, shots: sh).map(\.tag))
        return labels.names.indices.filter { !skipped.contains($0) }
    }

    /// Throws before any fit when a tag/class has fewer pool (train) rows than a shots value
    /// needs, when 0 shots are asked for without base rows, or when a fit's training rows
    /// (base + pool for "all", base alone for 0) lack a class, or (multi-label) a tag's positives
    /// or negatives. Under RareTagPolicy.skip such multi-label tags are left out instead (an error
    /// only when no tag is left); single-label classes still fail (ProbeError.rareClass).
    public func validate(labels: ProbeLabels, train: [Int], base: [Int] = []) throws {
        let counts = labels.counts(in: train)
        let largest = shots.compactMap { if case .count(let n) = $0 { return n } else { return nil } }.max() ?? 0
        let skipping = rareTags == .skip && labels.isMultiLabel
        if !skipping {
            for (t, c) in counts.enumerated() where c < largest {
                if rareTags == .skip { throw ProbeError.rareClass(name: labels.names[t], found: c, needed: largest, shots: String(largest)) }
                throw ProbeError.tooFewTrainingRows(name: labels.names[t], found: c, needed: largest, shots: String(largest))
            }
        }
        if shots.contains(.count(0)) && base.isEmpty { throw ProbeError.zeroShotsWithoutBase }
        for sh in shots where keptTags(labels: labels, train: train, base: base, shots: sh).isEmpty {
            throw ProbeError.allTagsSkipped(shots: sh.description)
        }
        func check(_ rows: [Int], _ sh: Shots, _ place: String) throws {
            let kept = Set(keptTags(labels: labels, train: train, base: base, shots: sh))
            let c = labels.counts(in: rows)
            for (t, k) in c.enumerated() where k == 0 && kept.contains(t) {
                throw ProbeError.tooFewTrainingRows(name: labels.names[t], found: 0, needed: 1, shots: sh.description)
            }
            if labels.isMultiLabel {
                for (t, k) in c.enumerated() where k == rows.count && kept.contains(t) { throw ProbeError.oneClass(name: labels.names[t], where: place) }
            }
        }
        // The final probe fits every training row, whether or not "all" is among the shots.
        if keptTags(labels: labels, train: train, base: base, shots: .all).isEmpty { throw ProbeError.allTagsSkipped(shots: "all") }
        try check(base + train, .all, "the training split")
        if shots.contains(.count(0)) { try check(base, .count(0), "the base rows") }
    }

    /// The seed of run (shots, s): a fixed mix of the base seed, N and s.
    func runSeed(_ shots: Shots, _ s: Int) -> UInt64 {
        let n: UInt64 = { if case .count(let n) = shots { return UInt64(n) } else { return 0 } }()
        return seed &* 0x9E37_79B9_7F4A_7C15 ^ (n &* 0xBF58_476D_1CE4_E5B9) ^ (UInt64(s) &* 0x94D0_49BB_1331_11EB)
    }

    /// The training set of run (shots, s): base rows plus a draw from the `train` pool (every
    /// pool row for .all, none for 0) over the kept tags, and the fit options (fold seed).
    public func plan(labels: ProbeLabels, train: [Int], base: [Int] = [], shots: Shots, seedIndex s: Int) throws -> RunPlan {
        var rng = SeededGenerator(seed: runSeed(shots, s))
        let tags = keptTags(labels: labels, train: train, base: base, shots: shots)
        let fitted = tags.count == labels.names.count ? labels : labels.selectingTags(tags)
        let drawn: [Int]
        switch shots {
        case .all: drawn = train
        case .count(0): drawn = []
        case .count(let n): drawn = try NShotSampler.sample(labels: fitted, pool: train, shots: n, base: base, using: &rng).rows
        }
        var opts = options
        opts.seed = rng.next()
        opts.workers = 1
        return RunPlan(shots: shots, seedIndex: s, rows: (base + drawn).sorted(), tags: tags, options: opts)
    }

    /// Every run of the protocol, in `run`'s order (shots, then seed).
    public func plans(labels: ProbeLabels, train: [Int], base: [Int] = []) throws -> [RunPlan] {
        try shots.flatMap { sh in try (0..<(sh.isDeterministicDraw ? 1 : seeds)).map { try plan(labels: labels, train: train, base: base, shots: sh, seedIndex: $0) } }
    }

    /// One run: `plan`, fit, score on `test` over the kept tags. Returns the metrics and training rows.
    public func runOnce(x: DenseMatrix, labels: ProbeLabels, train: [Int], test: [Int], base: [Int] = [], shots: Shots,
                        seedIndex s: Int) throws -> (metrics: RankingMetrics.Averages, trainRows: [Int]) {
        let p = try plan(labels: labels, train: train, base: base, shots: shots, seedIndex: s)
        let fitted = p.tags.count == labels.names.count ? labels : labels.selectingTags(p.tags)
        let probe = try LinearProbe.fit(x: x.selecting(rows: p.rows), labels: fitted.selecting(p.rows), options: p.options)
        let probabilities = probe.probabilities(x.selecting(rows: test))
        return (RankingMetrics.evaluate(labels: fitted.selecting(test), probabilities: probabilities), p.rows)
    }

    /// Every shots value: `seeds` runs (one for "all" and 0), summarised. Runs are independent and
    /// go to `workers` threads; results do not depend on the thread count. `progress` is called
    /// after each run (from worker threads).
    public func run(x: DenseMatrix, labels: ProbeLabels, train: [Int], test: [Int], base: [Int] = [],
                    workers: Int = Parallel.defaultWorkers, progress: (() -> Void)? = nil) throws -> [ShotSummary] {
        try validate(labels: labels, train: train, base: base)
        var jobs = [(Int, Int)]()
        for (k, sh) in shots.enumerated() { for s in 0..<(sh.isDeterministicDraw ? 1 : seeds) { jobs.append((k, s)) } }
        let outcomes = Parallel.map(jobs.count, workers: workers) { j -> Result<(RankingMetrics.Averages, Int), Error> in
            let (k, s) = jobs[j]
            defer { progress?() }
            return Result { let r = try runOnce(x: x, labels: labels, train: train, test: test, base: base, shots: shots[k], seedIndex: s)
                            return (r.metrics, r.trainRows.count) }
        }
        return try shots.indices.map { k in
            let mine = try jobs.indices.filter { jobs[$0].0 == k }.map { try outcomes[$0].get() }
            let results = mine.map(\.0), sizes = mine.map { Double($0.1) }
            return ShotSummary(shots: shots[k].description, runs: results.count,
                               macroROCAUC: MeanStd(results.map(\.macroROCAUC)), microROCAUC: MeanStd(results.map(\.microROCAUC)),
                               macroPRAUC: MeanStd(results.map(\.macroAP)), microPRAUC: MeanStd(results.map(\.microAP)),
                               balancedAccuracy: MeanStd(results.map(\.balancedAccuracy)),
                               trainRows: sizes.reduce(0, +) / Double(sizes.count),
                               skippedTags: skippedTags(labels: labels, train: train, base: base, shots: shots[k]).map { labels.names[$0.tag] })
        }
    }
}
