// Ranking metrics of scores against binary labels, as scikit-learn 1.x computes them:
// `roc_auc_score` (trapezoidal area under `roc_curve`, one point per distinct score, so tied
// scores count half) and `average_precision_score` (Σ (Rₖ − Rₖ₋₁)·Pₖ over distinct thresholds,
// no interpolation); multi-label "macro" = mean over columns, "micro" = the flattened matrix.
// Leaves out max_fpr, sample weights, multi-class 'ovo'; undefined columns (one class only —
// sklearn raises) return nil and are left out of macro means.

public enum RankingMetrics {
    /// Cumulative (true positives, false positives) at each distinct score, highest first.
    static func curve(labels: [Bool], scores: [Double]) -> [(tp: Double, fp: Double)] {
        precondition(labels.count == scores.count, "RankingMetrics: \(labels.count) labels, \(scores.count) scores")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points = [(tp: Double, fp: Double)]()
        var tp = 0.0, fp = 0.0
        for (k, i) in order.enumerated() {
            if labels[i] { tp += 1 } else { fp += 1 }
            if k == order.count - 1 || scores[order[k + 1]] != scores[i] { points.append((tp, fp)) }
        }
        return points
    }

    /// sklearn.metrics.roc_auc_score(y, s) for binary y; nil when y holds one class only.
    public static func rocAUC(labels: [Bool], scores: [Double]) -> Double? {
        let pts = curve(labels: labels, scores: scores)
        guard let last = pts.last, last.tp > 0, last.fp > 0 else { return nil }
        var area = 0.0, prevTP = 0.0, prevFP = 0.0
        for p in pts {
            area += (p.fp - prevFP) * (p.tp + prevTP) / 2
            prevTP = p.tp; prevFP = p.fp
        }
        return area / (last.tp * last.fp)
    }

    /// sklearn.metrics.average_precision_score(y, s) for binary y; nil when y has no positive.
    public static func averagePrecision(labels: [Bool], scores: [Double]) -> Double? {
        let pts = curve(labels: labels, scores: scores)
        guard let last = pts.last, last.tp > 0 else { return nil }
        var ap = 0.0, prevTP = 0.0
        for p in pts {
            ap += (p.tp - prevTP) / last.tp * (p.tp / (p.tp + p.fp))
            prevTP = p.tp
        }
        return ap
    }

    /// Macro and micro averages over the columns of [N, T] labels and scores.
    public struct Averages: Equatable, Sendable, Codable {
        public var macroROCAUC: Double?
        public var microROCAUC: Double?
        public var macroAP: Double?
        public var microAP: Double?
        /// Balanced accuracy of the hard predictions (BalancedAccuracy.swift); set by `evaluate`.
        public var balancedAccuracy: Double? = nil
    }

    /// roc_auc_score / average_precision_score with average="macro" and "micro" on [N, T]
    /// (labels[i][t], scores[i][t]). Macro means skip columns where the metric is undefined.
    public static func averages(labels: [[Bool]], scores: [[Double]]) -> Averages {
        precondition(labels.count == scores.count, "RankingMetrics: \(labels.count) label rows, \(scores.count) score rows")
        let t = labels.first?.count ?? 0
        var aucs = [Double](), aps = [Double]()
        for c in 0..<t {
            let y = labels.map { $0[c] }, s = scores.map { $0[c] }
            if let a = rocAUC(labels: y, scores: s) { aucs.append(a) }
            if let a = averagePrecision(labels: y, scores: s) { aps.append(a) }
        }
        let fy = labels.flatMap { $0 }, fs = scores.flatMap { $0 }
        func mean(_ v: [Double]) -> Double? { v.isEmpty ? nil : v.reduce(0, +) / Double(v.count) }
        return Averages(macroROCAUC: mean(aucs), microROCAUC: rocAUC(labels: fy, scores: fs),
                        macroAP: mean(aps), microAP: averagePrecision(labels: fy, scores: fs))
    }
}
