// NPY: read and write numpy .npy files (format versions 1.0-3.0 read, 1.0 written). Writes
// FeatureMatrix as '<f4', C order, shape (rows, cols), header padded with spaces to a multiple of
// 64 bytes and ending in '\n' (numpy.lib.format.write_array, numpy ≥ 1.x), atomically (temporary
// file + rename). Reads '<f4' and '<f8' (converted to Float32), C order, any rank. Leaves out
// Fortran order, big-endian, other dtypes, object arrays and .npz.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// The complete bytes of a v1.0 .npy holding `m` as float32 [rows, cols].
    public static func encode(_ m: FeatureMatrix) -> [UInt8] {
        var bytes = header(m)
        #if _endian(little)
        m.data.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in m.data { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
        return bytes
    }

    /// The v1.0 header (magic, version, length, dict padded to 64 bytes) for float32 [rows, cols].
    static func header(_ m: FeatureMatrix) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(m.rows), \(m.cols)), }"
        let fixed = magic.count + 2 + 2  // magic, version, header length
        let total = ((fixed + header.utf8.count + 1 + 63) / 64) * 64
        header += String(repeating: " ", count: total - fixed - header.utf8.count - 1) + "\n"
        var bytes = magic + [1, 0]
        let hlen = UInt16(header.utf8.count)
        bytes += [UInt8(hlen & 0xff), UInt8(hlen >> 8)]
        bytes += Array(header.utf8)
        return bytes
    }

    /// Writes `m` to `path` as float32 (rows, cols). A temporary in the same directory is renamed
    /// onto `path`, so either the whole file exists or nothing new does.
    public static func write(_ m: FeatureMatrix, to path: String) throws {
        #if _endian(little)
        // Header, then the floats straight from the matrix: no 4·rows·cols copy.
        let head = header(m)
        try head.withUnsafeBytes { h in
            try m.data.withUnsafeBytes { d in try AtomicFile.write(parts: [h, d], to: path) }
        }
        #else
        try AtomicFile.write(bytes: encode(m), to: path)
        #endif
    }

    /// Reads a '<f4' or '<f8' C-ordered .npy; returns its shape and the values as Float32.
    public static func read(path: String) throws -> (shape: [Int], data: [Float]) {
        guard let f = fopen(path, "rb") else {
            throw AudioError.badNPY(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return try decode(bytes, path: path)
    }

    /// Parses .npy bytes; `path` only labels errors.
    public static func decode(_ bytes: [UInt8], path: String = "<bytes>") throws -> (shape: [Int], data: [Float]) {
        try elements(bytes, path: path, fromFloat: { $0 }, fromDouble: { Float($0) })
    }

    /// Parses .npy bytes keeping float64 precision ('<f4' values widened, '<f8' kept).
    public static func decodeFloat64(_ bytes: [UInt8], path: String = "<bytes>") throws -> (shape: [Int], data: [Double]) {
        try elements(bytes, path: path, fromFloat: { Double($0) }, fromDouble: { $0 })
    }

    /// The values of a validated .npy, each converted from its stored width.
    static func elements<T: Numeric>(_ bytes: [UInt8], path: String, fromFloat: (Float) -> T,
                                     fromDouble: (Double) -> T) throws -> (shape: [Int], data: [T]) {
        let (shape, width, start) = try layout(bytes, path: path)
        let count = shape.reduce(1, *)
        var data = [T](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let p = raw.baseAddress! + start
            if width == 4 {
                for i in 0..<count {
                    data[i] = fromFloat(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
                }
            } else {
                for i in 0..<count {
                    data[i] = fromDouble(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            }
        }
        return (shape, data)
    }

    /// The validated header: shape, element width (4 or 8) and where the data starts; the data
    /// length is checked against the shape, so decoders may read `shape.product × width` bytes.
    static func layout(_ bytes: [UInt8], path: String) throws -> (shape: [Int], width: Int, start: Int) {
        func bad(_ why: String) -> AudioError { .badNPY(path: path, reason: why) }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw bad("missing the \\x93NUMPY magic; expected a numpy .npy file")
        }
        let major = bytes[6]
        let headerStart: Int, headerLen: Int
        switch major {
        case 1:
            headerStart = 10
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw bad("truncated header") }
            headerStart = 12
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw bad("format version \(major).\(bytes[7]); expected 1.0, 2.0 or 3.0")
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
            let s = part.trimmingCharacters(in: " ")
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
        return (shape, width, start)
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        String(drop(while: { $0 == set }).reversed().drop(while: { $0 == set }).reversed())
    }
}
