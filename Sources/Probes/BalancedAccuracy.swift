// Balanced accuracy of hard predictions, as scikit-learn 1.x's `balanced_accuracy_score`
// (sklearn/metrics/_classification.py, adjusted=False, no sample weights): the mean over the
// classes present in y_true of their recall, diag(C) / C.sum(axis=1) of the confusion matrix;
// a class that is only predicted (never true) is dropped, as sklearn drops its NaN recall.
// Predictions: single-label = argmax of the class probabilities (first maximum, as np.argmax and
// LogisticRegression.predict); multi-label = per tag p > 0.5 (sklearn's predict: decision > 0),
// then the mean over tags with both classes in the test rows of each tag's binary balanced
// accuracy (tags with one class are left out, as from the macro ROC-AUC). Leaves out
// adjusted=True (chance-corrected) and sample weights.

public extension RankingMetrics {
    /// sklearn.metrics.balanced_accuracy_score(truth, predicted): mean recall over the classes
    /// that occur in `truth`. nil when `truth` is empty.
    static func balancedAccuracy(truth: [Int], predicted: [Int]) -> Double? {
        precondition(truth.count == predicted.count, "balancedAccuracy: \(truth.count) labels, \(predicted.count) predictions")
        var total = [Int: Int](), correct = [Int: Int]()
        for (t, p) in zip(truth, predicted) {
            total[t, default: 0] += 1
            if t == p { correct[t, default: 0] += 1 }
        }
        guard !total.isEmpty else { return nil }
        let recalls = total.keys.sorted().map { Double(correct[$0] ?? 0) / Double(total[$0]!) }
        return recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Binary balanced accuracy of `scores` thresholded at p > `threshold` against `labels`:
    /// (TPR + TNR) / 2; nil when `labels` hold one class only (left out of macro means).
    static func binaryBalancedAccuracy(labels: [Bool], scores: [Double], threshold: Double = 0.5) -> Double? {
        precondition(labels.count == scores.count, "binaryBalancedAccuracy: \(labels.count) labels, \(scores.count) scores")
        guard labels.contains(true), labels.contains(false) else { return nil }
        return balancedAccuracy(truth: labels.map { $0 ? 1 : 0 }, predicted: scores.map { $0 > threshold ? 1 : 0 })
    }

    /// Index of the first largest value (np.argmax).
    static func argmax(_ row: [Double]) -> Int {
        precondition(!row.isEmpty, "argmax of an empty row")
        var best = 0
        for k in row.indices.dropFirst() where row[k] > row[best] { best = k }
        return best
    }

    /// Single-label: balanced_accuracy_score(truth, argmax(probabilities)) over rows
    /// `probabilities` [N, K] and class indices `truth` [N].
    static func balancedAccuracy(truth: [Int], probabilities: [[Double]]) -> Double? {
        balancedAccuracy(truth: truth, predicted: probabilities.map(argmax))
    }

    /// Multi-label: mean over the columns of [N, T] `labels` / `scores` with both classes of
    /// binaryBalancedAccuracy at p > 0.5; nil when no column has both classes.
    static func macroBalancedAccuracy(labels: [[Bool]], scores: [[Double]]) -> Double? {
        precondition(labels.count == scores.count, "macroBalancedAccuracy: \(labels.count) label rows, \(scores.count) score rows")
        let t = labels.first?.count ?? 0
        let values = (0..<t).compactMap { c in binaryBalancedAccuracy(labels: labels.map { $0[c] }, scores: scores.map { $0[c] }) }
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The protocol's test metrics of probe `probabilities` [N, names.count] against `labels`
    /// (N rows): macro/micro ROC-AUC and PR-AUC on the one-vs-rest indicator, and balanced accuracy
    /// (argmax for single-label, mean over tags at p > 0.5 for multi-label).
    static func evaluate(labels: ProbeLabels, probabilities p: [[Double]]) -> Averages {
        var a = averages(labels: labels.indicator, scores: p)
        switch labels {
        case .singleLabel(_, let y): a.balancedAccuracy = balancedAccuracy(truth: y, probabilities: p)
        case .multiLabel(_, let y): a.balancedAccuracy = macroBalancedAccuracy(labels: y, scores: p)
        }
        return a
    }
}
