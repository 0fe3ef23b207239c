// Feature matrices from numpy .npy files for probes: a 2-D '<f4' or '<f8' array in C order read
// into a Float64 DenseMatrix, so float64 features keep their precision. Parsing and validation are
// AudioFeatures' NPY (format versions 1.0–3.0); errors are re-labelled as probe errors.
import Foundation
import AudioFeatures

public enum NPYMatrix {
    /// Reads `path` as [rows, cols] Float64.
    public static func read(path: String) throws -> DenseMatrix {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbeError.badNPY(path: path, reason: "cannot be read")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Parses .npy bytes; `path` labels errors. Throws `notMatrix` for a rank other than 2 or an
    /// empty dimension.
    public static func decode(_ bytes: [UInt8], path: String = "<bytes>") throws -> DenseMatrix {
        let shape: [Int], values: [Double]
        do {
            (shape, values) = try NPY.decodeFloat64(bytes, path: path)
        } catch AudioError.badNPY(let p, let reason) {
            throw ProbeError.badNPY(path: p, reason: reason)
        }
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else { throw ProbeError.notMatrix(path: path, shape: shape) }
        return DenseMatrix(rows: shape[0], cols: shape[1], data: values)
    }
}
