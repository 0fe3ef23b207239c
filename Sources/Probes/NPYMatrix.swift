// Feature matrices from numpy .npy files for probes: a 2-D '<f4' or '<f8' array in C order
// (format versions 1.0–3.0, as numpy.lib.format writes them) read straight into a Float64
// DenseMatrix, so float64 features keep their precision (AudioFeatures' NPY narrows to Float32).
// Leaves out Fortran order, big-endian and other dtypes, other ranks, .npz and writing.
import Foundation

public enum NPYMatrix {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

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
        func bad(_ why: String) -> ProbeError { .badNPY(path: path, reason: why) }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw bad("missing the \\x93NUMPY magic; expected a numpy .npy file") }
        let headerStart: Int, headerLen: Int
        switch bytes[6] {
        case 1:
            headerStart = 10
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw bad("truncated header") }
            headerStart = 12
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw bad("format version \(bytes[6]).\(bytes[7]); expected 1.0, 2.0 or 3.0")
        }
        guard bytes.count >= headerStart + headerLen else { throw bad("truncated header") }
        let header = String(decoding: bytes[headerStart..<headerStart + headerLen], as: UTF8.self)
        func value(of key: String) -> Substring? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return header[r.upperBound...].drop(while: { $0 == " " })
        }
        guard let descrField = value(of: "descr"), descrField.first == "'",
              let end = descrField.dropFirst().firstIndex(of: "'") else { throw bad("header has no 'descr'") }
        let descr = String(descrField[descrField.index(after: descrField.startIndex)..<end])
        let width: Int
        switch descr {
        case "<f4": width = 4
        case "<f8": width = 8
        default: throw bad("dtype '\(descr)'; expected '<f4' or '<f8'")
        }
        guard let fo = value(of: "fortran_order") else { throw bad("header has no 'fortran_order'") }
        if fo.hasPrefix("True") { throw bad("fortran_order True; expected C order") }
        guard let shapeField = value(of: "shape"), shapeField.first == "(",
              let close = shapeField.firstIndex(of: ")") else { throw bad("header has no 'shape' tuple") }
        var shape = [Int]()
        for part in shapeField[shapeField.index(after: shapeField.startIndex)..<close].split(separator: ",") {
            let s = part.filter { $0 != " " }
            if s.isEmpty { continue }
            guard let d = Int(s), d >= 0 else { throw bad("shape entry '\(s)' is not a size") }
            shape.append(d)
        }
        var count = 1
        for d in shape {
            let (c, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, c <= bytes.count else { throw bad("shape \(shape) is larger than the file") }
            count = c
        }
        let start = headerStart + headerLen
        guard bytes.count - start == count * width else {
            throw bad("\(bytes.count - start) data bytes for shape \(shape) of '\(descr)'; expected \(count * width)")
        }
        guard shape.count == 2, shape[0] > 0, shape[1] > 0 else { throw ProbeError.notMatrix(path: path, shape: shape) }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let p = raw.baseAddress! + start
            if width == 4 {
                for i in 0..<count {
                    values[i] = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                }
            } else {
                for i in 0..<count {
                    values[i] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
                }
            }
        }
        return DenseMatrix(rows: shape[0], cols: shape[1], data: values)
    }
}
