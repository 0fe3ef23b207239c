// The report of a probe run: metrics.json (JSONEncoder, sorted keys), report.md (a Markdown table
// of shots × metric, mean ± std over seeds, per feature set, and the tags --rare-tags skip left
// out) and plot.svg (macro ROC-AUC, macro PR-AUC and balanced accuracy against shots, one line per
// feature set, ±std bars; hand-written SVG 1.1). Mirrors no reference. Leaves out per-tag tables
// and confidence intervals.
import Foundation

/// The protocol's results for one named feature matrix.
public struct FeatureSetResult: Codable, Equatable, Sendable {
    public var name: String
    public var features: String
    public var summaries: [ShotSummary]

    public init(name: String, features: String, summaries: [ShotSummary]) {
        self.name = name
        self.features = features
        self.summaries = summaries
    }
}

/// Everything metrics.json holds.
public struct ProbeReport: Codable, Equatable, Sendable {
    public var task: String
    public var labels: [String]
    public var shots: [String]
    public var seeds: Int
    public var seed: UInt64
    public var classWeight: String
    /// "given C" or the cross-validation rule.
    public var regularisation: String
    /// Rows of the `train` pool (the shots are drawn from it).
    public var trainRows: Int
    public var testRows: Int
    /// Rows in every training set (split `base`); 0 without them.
    public var baseRows: Int
    public var splitSource: String
    public var negatives: String
    /// "fail" or "skip" (--rare-tags).
    public var rareTags: String
    /// shots → tags left out of that shots value's fits and metrics (only shots with some).
    public var skippedTags: [String: [String]]
    /// feature set name → shots → summary.
    public var featureSets: [String: [String: ShotSummary]]
    /// Feature set names in command-line order (JSON objects are sorted).
    public var featureSetOrder: [String]

    enum CodingKeys: String, CodingKey {
        case task, labels, shots, seeds, seed, classWeight = "class_weight", regularisation,
             trainRows = "train_rows", testRows = "test_rows", baseRows = "base_rows", splitSource = "split", negatives,
             rareTags = "rare_tags", skippedTags = "skipped_tags",
             featureSets = "feature_sets", featureSetOrder = "feature_set_order"
    }

    public init(task: String, labels: [String], shots: [Shots], seeds: Int, seed: UInt64, classWeight: ClassWeight,
                C: Double?, trainRows: Int, testRows: Int, baseRows: Int = 0, splitSource: String, rareTags: RareTagPolicy = .fail,
                results: [FeatureSetResult]) {
        self.task = task
        self.labels = labels
        self.shots = shots.map(\.description)
        self.seeds = seeds
        self.seed = seed
        self.classWeight = classWeight.rawValue
        regularisation = C.map { "C = \($0) (given)" }
            ?? "C by stratified k-fold CV (k = min(5, rows of the rarest class / 3), mean held-out log loss) over 1e-3…1e2; C = 1.0 when k < 2"
        self.trainRows = trainRows
        self.testRows = testRows
        self.baseRows = baseRows
        self.splitSource = splitSource
        negatives = (task == "multi-label"
            ? "union of per-tag draws with N positives per tag, plus as many rows with no tag (all of them if fewer)"
            : "N rows per class") + (baseRows > 0 ? " from the train pool, plus all \(baseRows) base rows (0 shots: base rows only)" : "")
        self.rareTags = rareTags.rawValue
        // The same in every feature set (it depends on the labels only).
        skippedTags = Dictionary(uniqueKeysWithValues: (results.first?.summaries ?? []).filter { !$0.skippedTags.isEmpty }.map { ($0.shots, $0.skippedTags) })
        featureSets = Dictionary(uniqueKeysWithValues: results.map { r in
            (r.name, Dictionary(uniqueKeysWithValues: r.summaries.map { ($0.shots, $0) }))
        })
        featureSetOrder = results.map(\.name)
    }

    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try enc.encode(self)
    }

    static func cell(_ m: MeanStd) -> String {
        guard let mean = m.mean, let std = m.std else { return "n/a" }
        return String(format: "%.3f ± %.3f", mean, std)
    }

    public func markdown() -> String {
        var s = "# Linear probes: \(task), \(labels.count) \(task == "multi-label" ? "tags" : "classes")\n\n"
        s += (baseRows > 0 ? "Train (shot pool) rows: \(trainRows), test rows: \(testRows), base rows (always trained on): \(baseRows)"
                            : "Train rows: \(trainRows), test rows: \(testRows)")
        s += " (\(splitSource)). Seeds: \(seeds) (base seed \(seed)); "
        s += "\"all\" is one fit on every training row" + (baseRows > 0 ? ", 0 one fit on the base rows alone" : "") + ". Class weight: \(classWeight). Regularisation: \(regularisation). "
        s += "Training sample: \(negatives). Metrics on the fixed test split, mean ± std (ddof 0) over seeds; "
        s += "macro = mean over \(task == "multi-label" ? "tags" : "classes (one-vs-rest)") with both classes in test, micro = flattened. "
        s += task == "multi-label"
            ? "Balanced accuracy: per tag sklearn balanced_accuracy_score at p > 0.5, mean over tags with both classes in test.\n"
            : "Balanced accuracy: sklearn balanced_accuracy_score of the argmax class (mean recall over classes).\n"
        if !skippedTags.isEmpty {
            s += "\nLeft out (--rare-tags skip: fewer training positives than the shots need), per shots value: "
            s += shots.compactMap { sh in skippedTags[sh].map { "\(sh): \($0.joined(separator: ", "))" } }.joined(separator: "; ") + ".\n"
        }
        for name in featureSetOrder {
            s += "\n## \(name)\n\n| shots | runs | train rows | macro ROC-AUC | micro ROC-AUC | macro PR-AUC | micro PR-AUC | balanced accuracy |\n"
            s += "|---|---|---|---|---|---|---|---|\n"
            for sh in shots {
                guard let r = featureSets[name]?[sh] else { continue }
                s += "| \(sh) | \(r.runs) | \(String(format: "%.1f", r.trainRows)) | \(Self.cell(r.macroROCAUC)) | \(Self.cell(r.microROCAUC)) | \(Self.cell(r.macroPRAUC)) | \(Self.cell(r.microPRAUC)) | \(Self.cell(r.balancedAccuracy)) |\n"
            }
        }
        return s
    }

    /// Three panels (macro ROC-AUC, macro PR-AUC, balanced accuracy); x: shots values equally spaced; y: 0…1.
    public func svg() -> String {
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
        let panels: [(String, KeyPath<ShotSummary, MeanStd>)] = [("macro ROC-AUC", \.macroROCAUC), ("macro PR-AUC", \.macroPRAUC),
                                                                  ("balanced accuracy", \.balancedAccuracy)]
        let pw = 360.0, ph = 260.0, left = 50.0, top = 40.0, gap = 70.0
        let width = left + Double(panels.count) * pw + Double(panels.count - 1) * gap + 20
        let height = top + ph + 50 + 18 * Double(featureSetOrder.count)
        func esc(_ t: String) -> String {
            t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (p, (title, key)) in panels.enumerated() {
            let x0 = left + Double(p) * (pw + gap), y0 = top
            func px(_ k: Int) -> Double { shots.count == 1 ? x0 + pw / 2 : x0 + 20 + Double(k) * (pw - 40) / Double(shots.count - 1) }
            func py(_ v: Double) -> Double { y0 + ph - min(max(v, 0), 1) * ph }
            s += "<text x=\"\(f(x0 + pw / 2))\" y=\"\(f(y0 - 12))\" text-anchor=\"middle\" font-weight=\"bold\">\(title) vs shots</text>\n"
            s += "<rect x=\"\(f(x0))\" y=\"\(f(y0))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"black\"/>\n"
            for tick in stride(from: 0.0, through: 1.0001, by: 0.2) {
                s += "<line x1=\"\(f(x0))\" y1=\"\(f(py(tick)))\" x2=\"\(f(x0 + pw))\" y2=\"\(f(py(tick)))\" stroke=\"#ddd\"/>\n"
                s += "<text x=\"\(f(x0 - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(String(format: "%.1f", tick))</text>\n"
            }
            for (k, sh) in shots.enumerated() {
                s += "<text x=\"\(f(px(k)))\" y=\"\(f(y0 + ph + 16))\" text-anchor=\"middle\">\(esc(sh))</text>\n"
            }
            s += "<text x=\"\(f(x0 + pw / 2))\" y=\"\(f(y0 + ph + 34))\" text-anchor=\"middle\">shots per \(task == "multi-label" ? "tag" : "class")</text>\n"
            for (c, name) in featureSetOrder.enumerated() {
                let color = colors[c % colors.count]
                var pts = [String]()
                for (k, sh) in shots.enumerated() {
                    guard let m = featureSets[name]?[sh]?[keyPath: key], let mean = m.mean else { continue }
                    let x = px(k)
                    pts.append("\(f(x)),\(f(py(mean)))")
                    if let sd = m.std, sd > 0 {
                        s += "<line x1=\"\(f(x))\" y1=\"\(f(py(mean - sd)))\" x2=\"\(f(x))\" y2=\"\(f(py(mean + sd)))\" stroke=\"\(color)\"/>\n"
                    }
                    s += "<circle cx=\"\(f(x))\" cy=\"\(f(py(mean)))\" r=\"3\" fill=\"\(color)\"/>\n"
                }
                if pts.count > 1 { s += "<polyline points=\"\(pts.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n" }
            }
        }
        for (c, name) in featureSetOrder.enumerated() {
            let y = top + ph + 52 + 18 * Double(c)
            s += "<rect x=\"\(f(left))\" y=\"\(f(y - 10))\" width=\"12\" height=\"12\" fill=\"\(colors[c % colors.count])\"/>"
            s += "<text x=\"\(f(left + 18))\" y=\"\(f(y))\">\(esc(name))</text>\n"
        }
        return s + "</svg>\n"
    }
}
