// safetensors writer (format of huggingface/safetensors 0.4: u64 little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}
// padded with spaces to a multiple of 8 bytes, then the tensors' bytes back to back in header
// order). Writes F32 only, atomically (temporary file in the same directory, then rename).
// Reading, validation and F16/BF16 conversion live in SafeTensorsReader.swift.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public enum SafeTensors {
    /// One tensor to write: `data` holds shape.reduce(1, *) floats in C order.
    public struct Entry: Sendable {
        public var name: String
        public var shape: [Int]
        public var data: [Float]
        public init(name: String, shape: [Int], data: [Float]) {
            precondition(shape.reduce(1, *) == data.count,
                         "SafeTensors.Entry \(name): shape \(shape) holds \(shape.reduce(1, *)) values, data has \(data.count)")
            self.name = name
            self.shape = shape
            self.data = data
        }
    }

    /// Writes `tensors` (names must be unique) as F32 with `metadata`, so that either the whole
    /// file exists at `path` or nothing new does.
    public static func write(_ tensors: [Entry], metadata: [String: String] = [:], to path: String) throws {
        var names = Set<String>()
        for t in tensors where !names.insert(t.name).inserted {
            throw SafeTensorsError.duplicateName(path: path, name: t.name)
        }
        var header: [String: Any] = [:]
        var offset = 0
        for t in tensors {
            let bytes = t.data.count * 4
            header[t.name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        while json.count % 8 != 0 { json.append(0x20) }
        var prefix = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: json)

        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/." + (path as NSString).lastPathComponent + ".\(getpid()).tmp"
        guard let f = fopen(tmp, "wb") else {
            throw SafeTensorsError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        var ok = fwrite(prefix, 1, prefix.count, f) == prefix.count
        for t in tensors where ok {
            #if _endian(little)
            ok = t.data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
            #else
            let le = t.data.map { $0.bitPattern.littleEndian }
            ok = le.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) == $0.count }
            #endif
        }
        ok = fflush(f) == 0 && ok
        fclose(f)
        guard ok, rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw SafeTensorsError.writeFailed(path: path, reason: reason)
        }
    }
}

/// What can go wrong with a safetensors file; `description` is one line naming the file.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    case duplicateName(path: String, name: String)
    case writeFailed(path: String, reason: String)
    /// A malformed or hostile file: `place` says where (e.g. "header", "tensor emb.word").
    case invalid(path: String, place: String, found: String, expected: String)
    case missingTensors(path: String, names: [String])
    /// A tensor stored in a dtype the reader does not convert (e.g. F64, I64).
    case unsupportedDtype(path: String, tensor: String, dtype: String)
    /// A tensor whose stored shape is not the one the caller needs.
    case shapeMismatch(path: String, tensor: String, got: [Int], expected: [Int])
    /// The file cannot be opened or mapped.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .duplicateName(path, name): return "\(path): tensor name \(name) appears twice"
        case let .writeFailed(path, reason): return "\(path): cannot be written (\(reason))"
        case let .invalid(path, place, found, expected): return "\(path): \(place): found \(found), expected \(expected)"
        case let .missingTensors(path, names): return "\(path): missing tensors \(names.joined(separator: ", "))"
        case let .unsupportedDtype(path, tensor, dtype):
            return "\(path): unsupported dtype \(dtype) for tensor \(tensor) (expected F32, F16 or BF16)"
        case let .shapeMismatch(path, tensor, got, expected):
            return "\(path): tensor \(tensor) has wrong shape: got \(got), expected \(expected)"
        case let .unreadable(path, reason): return "\(path): cannot be read (\(reason))"
        }
    }
}
