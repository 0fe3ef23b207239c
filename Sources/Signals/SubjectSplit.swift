// SubjectSplit: the split column of a leave-subjects-out few-shot protocol, per kept epoch —
// `base` for every subject but the target (always trained on), and for the target subject a seeded
// split stratified by label: round(testFraction · n) epochs of each class are `test`, the rest
// `train` (the pool few-shot draws come from; at least one of each when a class has two epochs).
// Shuffle: Fisher–Yates driven by SplitMix64 (Steele et al. 2014), so a seed gives the same split
// on every platform. Mirrors no library; leaves out time-blocked and per-session splits.

public enum SubjectSplit {
    public static let base = "base", train = "train", test = "test"

    /// One of "base", "train", "test" per label record, in order.
    /// Throws when no record belongs to `target`.
    public static func assign(_ labels: [EpochLabel], target: String, testFraction: Double, seed: UInt64) throws -> [String] {
        precondition(testFraction > 0 && testFraction < 1, "SubjectSplit: test fraction \(testFraction) outside (0, 1)")
        var out = [String](repeating: base, count: labels.count)
        var byClass = [String: [Int]]()
        for (i, l) in labels.enumerated() where l.subject == target { byClass[l.label, default: []].append(i) }
        guard !byClass.isEmpty else {
            let subjects = Set(labels.map(\.subject)).sorted().map { $0.isEmpty ? "(none)" : $0 }
            throw SignalsError.badParameter("--split-target \(target): no kept epoch of that subject; expected one of \(subjects.joined(separator: ", "))")
        }
        var state = seed
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for key in byClass.keys.sorted() {
            var rows = byClass[key]!
            if rows.count > 1 {
                for i in stride(from: rows.count - 1, to: 0, by: -1) {
                    let j = Int(next() % UInt64(i + 1))
                    rows.swapAt(i, j)
                }
            }
            var nTest = Int((Double(rows.count) * testFraction).rounded())
            nTest = rows.count >= 2 ? min(max(nTest, 1), rows.count - 1) : 0
            for (k, i) in rows.enumerated() { out[i] = k < nTest ? test : train }
        }
        return out
    }
}
