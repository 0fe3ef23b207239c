// safetensors reader (format of huggingface/safetensors 0.4, see SafeTensorsWriter.swift):
// memory-maps the file read-only and validates the whole header BEFORE any tensor is touched
// (sizes, UTF-8 JSON, dtypes, shapes × dtype size = byte span, spans inside the data region and
// non-overlapping), so a hostile file gives a SafeTensorsError, never an out-of-bounds read.
// Every safetensors dtype is understood in the header (so files that carry, say, transformers'
// int64 `position_ids` buffer open fine); F32 is copied out, F16/BF16/F64 are converted to F32 on
// load, and loading an integer or 8-bit-float tensor is an error naming it. Leaves out writing and
// zero-copy views into the mapping.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The element types of the safetensors format (huggingface/safetensors `Dtype`).
public enum SafeTensorsDType: String, Sendable, Equatable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .f8e4m3, .f8e5m2, .i8, .u8, .bool: return 1
        }
    }

    /// Whether `tensor(_:)` converts this type to Float32.
    public var isLoadable: Bool { [.f64, .f32, .f16, .bf16].contains(self) }
}

/// A validated, memory-mapped safetensors file. Thread-safe for reading.
public final class SafeTensorsFile: @unchecked Sendable {
    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Equatable {
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// Byte range inside the data region.
        public let dataOffsets: Range<Int>
    }

    /// Largest header accepted (the format itself caps it at 100 MB).
    public static let maxHeaderBytes = 100_000_000

    public let path: String
    /// Tensor names in the order of their data.
    public let names: [String]
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    private let entries: [String: TensorInfo]
    private let mapping: UnsafeMutableRawPointer?
    private let mappedBytes: Int
    private let dataStart: Int

    /// Maps and validates `path`; throws `SafeTensorsError` naming the file and what is wrong.
    public init(path: String) throws {
        self.path = path
        func bad(_ place: String, _ found: String, _ expected: String) -> SafeTensorsError {
            .invalid(path: path, place: place, found: found, expected: expected)
        }
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw SafeTensorsError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw SafeTensorsError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(st.st_size)
        if (st.st_mode & S_IFMT) != S_IFREG { throw SafeTensorsError.unreadable(path: path, reason: "not a regular file") }
        guard size >= 8 else { throw bad("file size", "\(size) bytes", "at least 8 bytes (u64 header length)") }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw SafeTensorsError.unreadable(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        var ok = false
        defer { if !ok { munmap(m, size) } }

        let headerLength = UInt64(littleEndian: m.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(size - 8) else {
            throw bad("header length", "\(headerLength) bytes", "at most \(size - 8) (file is \(size) bytes)")
        }
        guard headerLength <= UInt64(SafeTensorsFile.maxHeaderBytes) else {
            throw bad("header length", "\(headerLength) bytes", "at most \(SafeTensorsFile.maxHeaderBytes)")
        }
        let n = Int(headerLength)
        let headerBytes = UnsafeRawBufferPointer(start: m + 8, count: n)
        guard let text = String(validating: headerBytes, as: UTF8.self) else {
            throw bad("header", "bytes that are not UTF-8", "a UTF-8 JSON object")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: []) } catch {
            let head = text.prefix(40).replacingOccurrences(of: "\n", with: " ")
            throw bad("header", "text that is not JSON (\"\(head)\(text.count > 40 ? "…" : "")\")", "a JSON object")
        }
        guard let object = parsed as? [String: Any] else { throw bad("header", "a JSON \(type(of: parsed))", "a JSON object") }

        let dataSize = size - 8 - n
        var infos: [String: TensorInfo] = [:]
        var meta: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else { throw bad("__metadata__", "\(type(of: value))", "an object of strings") }
                for (k, v) in dict {
                    guard let s = v as? String else { throw bad("__metadata__ key \(k)", "a non-string value", "a string") }
                    meta[k] = s
                }
                continue
            }
            let place = "tensor \(name)"
            guard let entry = value as? [String: Any] else { throw bad(place, "\(type(of: value))", "an object {dtype, shape, data_offsets}") }
            guard let dtypeName = entry["dtype"] as? String else { throw bad(place, "no dtype string", "a safetensors dtype (F32, F16, BF16, …)") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw SafeTensorsError.unsupportedDtype(path: path, tensor: name, dtype: dtypeName)
            }
            guard let shapeAny = entry["shape"] as? [Any], let shape = SafeTensorsFile.integers(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw bad(place + " shape", "\(String(describing: entry["shape"] ?? "nothing"))", "a list of non-negative integers")
            }
            guard let offAny = entry["data_offsets"] as? [Any], let off = SafeTensorsFile.integers(offAny), off.count == 2 else {
                throw bad(place + " data_offsets", "\(String(describing: entry["data_offsets"] ?? "nothing"))", "[begin, end] integers")
            }
            let (begin, end) = (off[0], off[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw bad(place + " data_offsets", "[\(begin), \(end)]", "0 ≤ begin ≤ end ≤ \(dataSize) (data region size)")
            }
            var elements = 1, overflow = false
            for d in shape where !overflow { (elements, overflow) = elements.multipliedReportingOverflow(by: d) }
            let (bytes, o2) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, !o2, bytes == end - begin else {
                throw bad(place, "shape \(shape) × \(dtype.byteSize) bytes ≠ \(end - begin) bytes of data_offsets [\(begin), \(end)]",
                          "element count × dtype size = end − begin")
            }
            infos[name] = TensorInfo(dtype: dtype, shape: shape, dataOffsets: begin..<end)
        }
        let ordered = infos.sorted { ($0.value.dataOffsets.lowerBound, $0.key) < ($1.value.dataOffsets.lowerBound, $1.key) }
        var previousEnd = 0, previousName = ""
        for (name, info) in ordered where !info.dataOffsets.isEmpty {
            guard info.dataOffsets.lowerBound >= previousEnd else {
                throw bad("tensor \(name) data_offsets", "[\(info.dataOffsets.lowerBound), \(info.dataOffsets.upperBound)] overlapping \(previousName) (ends at \(previousEnd))",
                          "non-overlapping byte ranges")
            }
            previousEnd = info.dataOffsets.upperBound
            previousName = name
        }
        ok = true
        mapping = m
        mappedBytes = size
        dataStart = 8 + n
        entries = infos
        names = ordered.map(\.key)
        metadata = meta
    }

    deinit { if let mapping { munmap(mapping, mappedBytes) } }

    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let num = v as? NSNumber else { return nil }
            let d = num.doubleValue
            guard d.isFinite, d == d.rounded(), abs(d) < 9.0e15 else { return nil }
            out.append(num.intValue)
        }
        return out
    }

    // MARK: lookup

    /// dtype, shape and byte range of `name`.
    public func info(_ name: String) throws -> TensorInfo {
        guard let i = entries[name] else { throw SafeTensorsError.missingTensors(path: path, names: [name]) }
        return i
    }

    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// Throws one error listing every name in `names` that the file lacks.
    public func require(_ names: [String]) throws {
        let missing = names.filter { entries[$0] == nil }
        if !missing.isEmpty { throw SafeTensorsError.missingTensors(path: path, names: missing) }
    }

    /// The tensor `name` as Float32 (F16 / BF16 widened), contiguous, owning its data.
    public func tensor(_ name: String) throws -> Tensor {
        let info = try info(name)
        guard info.dtype.isLoadable else {
            throw SafeTensorsError.unsupportedDtype(path: path, tensor: name, dtype: info.dtype.rawValue)
        }
        let out = Tensor(zeros: info.shape)
        let count = out.count
        if count == 0 { return out }
        let src = UnsafeRawPointer(mapping!) + dataStart + info.dataOffsets.lowerBound
        let dst = out.base
        switch info.dtype {
        case .f32:
            #if _endian(little)
            memcpy(dst, src, count * 4)
            #else
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            #endif
        case .f16:
            for i in 0..<count { dst[i] = halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<count { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
        case .f64:
            for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
        default:
            preconditionFailure("checked by isLoadable above")
        }
        return out
    }

    /// The tensor `name`, which must have `expectedShape`; the error names the tensor, got and expected.
    public func tensor(_ name: String, expectedShape: [Int]) throws -> Tensor {
        let info = try info(name)
        guard info.shape == expectedShape else {
            throw SafeTensorsError.shapeMismatch(path: path, tensor: name, got: info.shape, expected: expectedShape)
        }
        return try tensor(name)
    }
}

/// IEEE 754 binary16 bits → Float (subnormals, infinities and NaN preserved).
@inlinable
public func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = UInt32(h >> 10) & 0x1F
    let mant = UInt32(h & 0x3FF)
    if exp == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mant << 13)) }
    if exp == 0 {
        // ±0 or subnormal: mant · 2^-24
        let v = Float(mant) * 0x1p-24
        return sign != 0 ? -v : v
    }
    return Float(bitPattern: sign | ((exp + 112) << 23) | (mant << 13))
}
