// FeatureMatrix: the row-major Float32 matrix every stage hands to the next ([frames, bins],
// [frames, mels], [frames, coefficients]). Rows are time frames T, columns are features F.
// Mirrors numpy's C-ordered float32 array of shape (T, F), which is what NPY.write stores.
// Leaves out strides, other dtypes and arithmetic (TensorCore's job).

/// A [rows, cols] row-major Float32 matrix; element (t, f) lives at data[t·cols + f].
public struct FeatureMatrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    public var data: [Float]

    public init(rows: Int, cols: Int, data: [Float]) {
        precondition(rows >= 0 && cols >= 0 && data.count == rows * cols,
                     "FeatureMatrix: data has \(data.count) elements, expected \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        self.init(rows: rows, cols: cols, data: [Float](repeating: value, count: rows * cols))
    }

    public subscript(row: Int, col: Int) -> Float {
        get { data[row * cols + col] }
        set { data[row * cols + col] = newValue }
    }

    /// Row `t` as an array [cols].
    public func row(_ t: Int) -> [Float] { Array(data[t * cols..<(t + 1) * cols]) }
}
