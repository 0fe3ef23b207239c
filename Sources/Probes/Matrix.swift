// Dense row-major Float64 matrices for probes, and feature standardisation as scikit-learn 1.x's
// `StandardScaler` (with_mean, with_std): mean and population standard deviation (ddof 0) per
// column, a scale of 1 for constant columns (`_is_constant_feature`'s bound). Fitted on training
// rows only. Leaves out sparse input, sample weights and partial_fit.

/// A [N, D] matrix: N rows (examples), D columns (features), row-major.
public struct DenseMatrix: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    public var data: [Double]

    public init(rows: Int, cols: Int, data: [Double]) {
        precondition(data.count == rows * cols, "DenseMatrix: \(data.count) values for [\(rows), \(cols)]")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    /// From an array of rows (all of the same length).
    public init(_ rowArrays: [[Double]]) {
        let c = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == c }, "DenseMatrix: ragged rows")
        self.init(rows: rowArrays.count, cols: c, data: rowArrays.flatMap { $0 })
    }

    public subscript(r: Int, c: Int) -> Double {
        get { data[r * cols + c] }
        set { data[r * cols + c] = newValue }
    }

    public func row(_ r: Int) -> ArraySlice<Double> { data[r * cols ..< (r + 1) * cols] }

    /// The rows at `indices`, in that order: [indices.count, D].
    public func selecting(rows indices: [Int]) -> DenseMatrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * cols)
        for i in indices { out += row(i) }
        return DenseMatrix(rows: indices.count, cols: cols, data: out)
    }

    /// The first (row, column) holding NaN or ±∞, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        for (k, v) in data.enumerated() where !v.isFinite { return (k / cols, k % cols) }
        return nil
    }
}

/// Per-column (x − mean) / scale, as sklearn.preprocessing.StandardScaler.
public struct Standardizer: Codable, Equatable, Sendable {
    public var mean: [Double]
    public var scale: [Double]

    public init(mean: [Double], scale: [Double]) {
        self.mean = mean
        self.scale = scale
    }

    /// Fits on the rows of `x` (N ≥ 1): mean, and sqrt of the ddof-0 variance (1 where constant).
    public init(fitting x: DenseMatrix) {
        self.init(fitting: x, rows: Array(0..<x.rows))
    }

    /// Fits on the rows `rows` of `x` (at least one), summed in that order: the same numbers as
    /// fitting `x.selecting(rows: rows)`, without the copy.
    public init(fitting x: DenseMatrix, rows: [Int]) {
        precondition(!rows.isEmpty && rows.allSatisfy { $0 >= 0 && $0 < x.rows }, "Standardizer: rows \(rows.count), not all in 0..<\(x.rows)")
        let n = Double(rows.count), d = x.cols
        var mean = [Double](repeating: 0, count: d), varc = mean
        x.data.withUnsafeBufferPointer { xp in
            mean.withUnsafeMutableBufferPointer { m in
                for r in rows { let row = xp.baseAddress! + r * d; for c in 0..<d { m[c] += row[c] } }
                for c in 0..<d { m[c] /= n }
            }
            varc.withUnsafeMutableBufferPointer { v in
                for r in rows { let row = xp.baseAddress! + r * d; for c in 0..<d { let dev = row[c] - mean[c]; v[c] += dev * dev } }
            }
        }
        let eps = Double.ulpOfOne
        self.mean = mean
        scale = (0..<x.cols).map { c in
            let v = varc[c] / n
            // sklearn.preprocessing._data._is_constant_feature: var <= n·eps·var + (n·mean·eps)²
            let bound = n * eps * v + (n * mean[c] * eps) * (n * mean[c] * eps)
            return v <= bound ? 1 : v.squareRoot()
        }
    }

    /// (x − mean) / scale, column by column: [N, D] → [N, D].
    public func transform(_ x: DenseMatrix) -> DenseMatrix {
        precondition(x.cols == mean.count, "Standardizer: \(x.cols) columns, fitted on \(mean.count)")
        var out = x
        for r in 0..<x.rows { for c in 0..<x.cols { out[r, c] = (x[r, c] - mean[c]) / scale[c] } }
        return out
    }
}
