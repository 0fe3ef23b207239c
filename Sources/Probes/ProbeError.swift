// ProbeError: the one error type Probes throws at its boundary (label tables, feature matrices,
// shot counts, saved probes). Every case prints as one line "<where>: <what was found>; expected
// <what>", naming the file and line, column, tag or row. Mirrors no reference; misuse between
// internal stages (mismatched shapes) is a precondition, not a ProbeError.

/// Errors raised on user-supplied label tables, features, probes and protocol settings.
public enum ProbeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The label table has no header or no data rows.
    case emptyTable(path: String)
    /// A header that cannot be used (duplicate or empty column names, no label columns, ...).
    case badHeader(path: String, reason: String)
    /// A row with the wrong number of comma-separated fields.
    case fieldCount(path: String, line: Int, found: Int, expected: Int)
    /// A tag column holding something other than 0 or 1.
    case badTagValue(path: String, line: Int, column: String, value: String)
    /// A split column holding something other than train, test or base.
    case badSplit(path: String, line: Int, value: String)
    /// An empty class name in the label column.
    case emptyLabel(path: String, line: Int)
    /// Feature and label tables of different lengths.
    case rowCountMismatch(features: String, featureRows: Int, labels: String, labelRows: Int)
    /// A feature file that is not a readable '<f4'/'<f8' C-order .npy.
    case badNPY(path: String, reason: String)
    /// A feature array that is not a non-empty 2-D matrix.
    case notMatrix(path: String, shape: [Int])
    /// A NaN or infinite feature value (row and column 0-based, as numpy indexes them).
    case nonFinite(path: String, row: Int, column: Int)
    /// Predicting with features of the wrong width.
    case featureWidth(path: String, found: Int, expected: Int)
    /// A tag or class with too few training rows for the requested number of shots.
    case tooFewTrainingRows(name: String, found: Int, needed: Int, shots: String)
    /// A single-label class with too few training rows under --rare-tags skip (classes cannot be skipped).
    case rareClass(name: String, found: Int, needed: Int, shots: String)
    /// --rare-tags skip would leave no tag to fit for a shots value.
    case allTagsSkipped(shots: String)
    /// A tag that is positive (or negative) in every training row, so no classifier can be fitted.
    case oneClass(name: String, where: String)
    /// Fewer than two classes in a single-label table.
    case tooFewClasses(path: String, found: Int)
    /// A split with no rows.
    case emptySplit(split: String)
    /// A malformed --shots list entry.
    case badShots(value: String)
    /// 0 shots (base rows only) asked for where the table has no base rows.
    case zeroShotsWithoutBase
    /// A saved probe that cannot be read.
    case badProbe(path: String, reason: String)

    public var description: String {
        switch self {
        case .emptyTable(let p):
            return "\(p): found no data rows; expected a header line and one row per feature row"
        case .badHeader(let p, let reason):
            return "\(p):1: \(reason)"
        case .fieldCount(let p, let line, let found, let expected):
            return "\(p):\(line): found \(found) fields; expected \(expected), as in the header"
        case .badTagValue(let p, let line, let column, let value):
            return "\(p):\(line): column '\(column)' holds '\(value)'; expected 0 or 1"
        case .badSplit(let p, let line, let value):
            return "\(p):\(line): split '\(value)'; expected train, test or base"
        case .emptyLabel(let p, let line):
            return "\(p):\(line): empty label; expected a class name"
        case .rowCountMismatch(let f, let fr, let l, let lr):
            return "\(f): found \(fr) feature rows; expected \(lr), one per data row of \(l)"
        case .badNPY(let p, let reason):
            return "\(p): not a supported .npy file (\(reason))"
        case .notMatrix(let p, let shape):
            return "\(p): array of shape \(shape); expected a 2-D [rows, features] matrix with at least one row and column"
        case .nonFinite(let p, let row, let column):
            return "\(p): row \(row), column \(column) is NaN or infinite; expected finite features"
        case .featureWidth(let p, let found, let expected):
            return "\(p): found \(found) features per row; expected \(expected), as the probe was fitted"
        case .tooFewTrainingRows(let name, let found, let needed, let shots):
            return "'\(name)': found \(found) positive training rows; expected at least \(needed) for \(shots) shots"
        case .rareClass(let name, let found, let needed, let shots):
            return "'\(name)': found \(found) training rows; expected at least \(needed) for \(shots) shots "
                + "(--rare-tags skip leaves out multi-label tags only: a single-label probe chooses among every class, "
                + "so dropping one would change the task and leave its test rows unscorable; lower --shots)"
        case .allTagsSkipped(let shots):
            return "--rare-tags skip: every tag has too few training positives for \(shots) shots; expected at least one tag to fit (lower --shots)"
        case .oneClass(let name, let w):
            return "'\(name)': only one class in \(w); expected both positive and negative rows"
        case .tooFewClasses(let p, let found):
            return "\(p): found \(found) distinct label(s); expected at least 2 classes"
        case .emptySplit(let split):
            return "\(split) split: found no rows; expected at least one"
        case .badShots(let v):
            return "--shots: '\(v)' is not a shot count; expected non-negative integers or 'all', comma-separated"
        case .zeroShotsWithoutBase:
            return "--shots 0: the label table has no rows with split 'base'; expected base rows (always trained on) for a 0-shot fit"
        case .badProbe(let p, let reason):
            return "\(p): not a probe file (\(reason)); expected the probe.json written by `crosstalk probe fit`"
        }
    }
}
