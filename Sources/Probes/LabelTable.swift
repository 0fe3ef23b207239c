// Label tables for probes (Y.csv): a header line, then one comma-separated row per feature row.
// Columns: an optional `split` (train/test/base); then either one `label` column of class names
// (single-label, classes sorted by code point as numpy.unique sorts them; every other column is
// metadata and ignored, as `crosstalk eeg features` writes subject,session,file,onset_s) or one
// 0/1 column per tag (multi-label; columns named id, subject, group, file, path or name, any case,
// and those the caller names are ignored). Leaves out quoted fields with commas inside and other
// separators.
import TensorCore

/// Targets of N rows: T tags (multi-label, y[i][t]) or one of K classes per row (single-label).
public enum ProbeLabels: Equatable, Sendable {
    case multiLabel(tags: [String], y: [[Bool]])
    case singleLabel(classes: [String], y: [Int])

    public var names: [String] {
        switch self {
        case .multiLabel(let t, _): return t
        case .singleLabel(let c, _): return c
        }
    }

    public var count: Int {
        switch self {
        case .multiLabel(_, let y): return y.count
        case .singleLabel(_, let y): return y.count
        }
    }

    public var isMultiLabel: Bool { if case .multiLabel = self { return true } else { return false } }

    /// One-hot / multi-hot targets [N, T or K], as the ranking metrics score them.
    public var indicator: [[Bool]] {
        switch self {
        case .multiLabel(_, let y): return y
        case .singleLabel(let c, let y): return y.map { k in (0..<c.count).map { $0 == k } }
        }
    }

    /// The rows at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> ProbeLabels {
        switch self {
        case .multiLabel(let t, let y): return .multiLabel(tags: t, y: indices.map { y[$0] })
        case .singleLabel(let c, let y): return .singleLabel(classes: c, y: indices.map { y[$0] })
        }
    }

    /// Multi-label: only the tags at `tags` (column indices, in that order). Single-label: unchanged
    /// (classes are never dropped).
    public func selectingTags(_ tags: [Int]) -> ProbeLabels {
        switch self {
        case .multiLabel(let t, let y): return .multiLabel(tags: tags.map { t[$0] }, y: y.map { row in tags.map { row[$0] } })
        case .singleLabel: return self
        }
    }

    /// Positive rows per tag, or rows per class, among `indices`.
    public func counts(in indices: [Int]) -> [Int] {
        var out = [Int](repeating: 0, count: names.count)
        switch self {
        case .multiLabel(_, let y): for i in indices { for t in 0..<out.count where y[i][t] { out[t] += 1 } }
        case .singleLabel(_, let y): for i in indices { out[y[i]] += 1 }
        }
        return out
    }
}

/// A row's role: `train` rows are the pool N shots are drawn from, `test` rows are scored,
/// `base` rows join every training set (never sampled, never scored) — e.g. other subjects'
/// epochs in a leave-subjects-out protocol.
public enum SplitName: String, Sendable { case train, test, base }

/// Row indices of the three roles, each sorted.
public struct ProbeSplits: Equatable, Sendable {
    public var base: [Int]
    public var train: [Int]
    public var test: [Int]

    public init(base: [Int] = [], train: [Int], test: [Int]) {
        self.base = base
        self.train = train
        self.test = test
    }

    /// Every row a full ("all") fit trains on: base then train, sorted.
    public var allTraining: [Int] { (base + train).sorted() }
}

/// A parsed Y.csv.
public struct LabelTable: Sendable {
    public var labels: ProbeLabels
    /// Per row, when the table has a `split` column.
    public var split: [SplitName]?
    /// Header names of the columns that were read and ignored.
    public var ignoredColumns: [String]

    public static let ignoredNames: Set<String> = ["id", "subject", "group", "file", "path", "name"]

    /// Parses the text of a label table; `path` labels errors ("path:line: ...").
    /// `ignoring` names more columns to skip (an error if one is not in the header).
    public static func parse(_ text: String, path: String, ignoring extraIgnored: [String] = []) throws -> LabelTable {
        // "\r\n" is one Character in Swift, so both line ends are separators.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        while let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.removeLast() }
        guard lines.count >= 2 else { throw ProbeError.emptyTable(path: path) }
        func fields(_ line: Substring) -> [String] {
            line.split(separator: ",", omittingEmptySubsequences: false).map { f in
                var s = f.trimmingCharacters(in: " \t")
                if s.count >= 2, s.first == "\"", s.last == "\"" { s = String(s.dropFirst().dropLast()) }
                return s
            }
        }
        let header = fields(lines[0])
        var seen = Set<String>()
        for h in header {
            if h.isEmpty { throw ProbeError.badHeader(path: path, reason: "empty column name; expected a name for every column") }
            if !seen.insert(h).inserted { throw ProbeError.badHeader(path: path, reason: "column '\(h)' appears twice; expected unique names") }
        }
        let splitCol = header.firstIndex(of: "split")
        let labelCol = header.firstIndex(of: "label")
        for name in extraIgnored where !header.contains(name) {
            throw ProbeError.badHeader(path: path, reason: "no column '\(name)' to ignore; expected one of \(header.joined(separator: ","))")
        }
        for name in extraIgnored where name == "split" || name == "label" {
            throw ProbeError.badHeader(path: path, reason: "column '\(name)' cannot be ignored; expected metadata column names")
        }
        var ignored = [String](), tagCols = [Int]()
        for (c, h) in header.enumerated() where c != splitCol && c != labelCol {
            // Beside a `label` column every other column is metadata.
            if labelCol != nil || ignoredNames.contains(h.lowercased()) || extraIgnored.contains(h) { ignored.append(h) } else { tagCols.append(c) }
        }
        if labelCol == nil && tagCols.isEmpty {
            throw ProbeError.badHeader(path: path, reason: "no label columns; expected one 0/1 column per tag or a 'label' column")
        }
        var split: [SplitName]? = splitCol == nil ? nil : []
        var multi = [[Bool]](), names = [String]()
        for (k, line) in lines.dropFirst().enumerated() {
            let lineNo = k + 2
            let f = fields(line)
            guard f.count == header.count else {
                throw ProbeError.fieldCount(path: path, line: lineNo, found: f.count, expected: header.count)
            }
            if let splitCol {
                guard let s = SplitName(rawValue: f[splitCol].lowercased()) else {
                    throw ProbeError.badSplit(path: path, line: lineNo, value: f[splitCol])
                }
                split!.append(s)
            }
            if let labelCol {
                guard !f[labelCol].isEmpty else { throw ProbeError.emptyLabel(path: path, line: lineNo) }
                names.append(f[labelCol])
            } else {
                multi.append(try tagCols.map { c -> Bool in
                    switch f[c] {
                    case "0": return false
                    case "1": return true
                    default: throw ProbeError.badTagValue(path: path, line: lineNo, column: header[c], value: f[c])
                    }
                })
            }
        }
        let labels: ProbeLabels
        if labelCol != nil {
            let classes = Set(names).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            guard classes.count >= 2 else { throw ProbeError.tooFewClasses(path: path, found: classes.count) }
            let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
            labels = .singleLabel(classes: classes, y: names.map { index[$0]! })
        } else {
            labels = .multiLabel(tags: tagCols.map { header[$0] }, y: multi)
        }
        return LabelTable(labels: labels, split: split, ignoredColumns: ignored)
    }

    /// Base, train and test rows: from the `split` column, or else (no base rows) a seeded
    /// stratified split as `trainTest` describes.
    public func splits(testFraction: Double = 0.25, seed: UInt64) throws -> ProbeSplits {
        guard let split else {
            let (train, test) = try trainTest(testFraction: testFraction, seed: seed)
            return ProbeSplits(train: train, test: test)
        }
        var out = ProbeSplits(train: [], test: [])
        for (i, s) in split.enumerated() {
            switch s {
            case .base: out.base.append(i)
            case .train: out.train.append(i)
            case .test: out.test.append(i)
            }
        }
        if out.train.isEmpty && out.base.isEmpty { throw ProbeError.emptySplit(split: "train") }
        if out.test.isEmpty { throw ProbeError.emptySplit(split: "test") }
        return out
    }

    /// Train and test row indices (base rows count as train): from the `split` column, or else a seeded stratified split
    /// with round(testFraction · n) rows of each stratum in test (at least one when the stratum
    /// has two or more rows, never all of it). Strata: the class (single-label), or the row's
    /// rarest positive tag (multi-label; rows with no tag form one more stratum).
    public func trainTest(testFraction: Double = 0.25, seed: UInt64) throws -> (train: [Int], test: [Int]) {
        var train = [Int](), test = [Int]()
        if let split {
            for (i, s) in split.enumerated() { if s == .test { test.append(i) } else { train.append(i) } }
        } else {
            let n = labels.count
            var stratum = [Int](repeating: -1, count: n)
            switch labels {
            case .singleLabel(_, let y): stratum = y
            case .multiLabel(let tags, let y):
                let freq = labels.counts(in: Array(0..<n))
                for i in 0..<n {
                    var best = -1
                    for t in 0..<tags.count where y[i][t] && (best < 0 || freq[t] < freq[best]) { best = t }
                    stratum[i] = best
                }
            }
            var groups = [Int: [Int]]()
            for i in 0..<n { groups[stratum[i], default: []].append(i) }
            var rng = SeededGenerator(seed: seed ^ 0x5EED_5B11_7000_0000)
            for key in groups.keys.sorted() {
                var rows = groups[key]!
                rng.shuffle(&rows)
                var nTest = Int((Double(rows.count) * testFraction).rounded())
                if rows.count >= 2 { nTest = min(max(nTest, 1), rows.count - 1) } else { nTest = 0 }
                test += rows[..<nTest]
                train += rows[nTest...]
            }
            train.sort(); test.sort()
        }
        if train.isEmpty { throw ProbeError.emptySplit(split: "train") }
        if test.isEmpty { throw ProbeError.emptySplit(split: "test") }
        return (train, test)
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
