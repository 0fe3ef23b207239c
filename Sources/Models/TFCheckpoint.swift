// TFCheckpoint: reads a TensorFlow tensor bundle (a TF1/TF2 checkpoint: `PREFIX.index` +
// `PREFIX.data-00000-of-00001`) without TensorFlow. The index is an SSTable (LevelDB table format,
// leveldb/table/format.cc + block.cc: footer with metaindex/index handles and magic
// 0xdb4775248b80fb57, blocks of prefix-compressed keys with restart points, 5-byte trailers with a
// compression byte and a masked CRC-32C; Snappy blocks are decompressed) whose values are
// BundleHeaderProto (key "") and BundleEntryProto (tensorflow/core/protobuf/tensor_bundle.proto).
// Every length, offset and CRC is checked against the files. Leaves out multi-shard bundles,
// partitioned (sliced) variables, big-endian bundles and dtypes other than float32 for reading
// values (other dtypes are listed but not decoded).

import Foundation

/// One tensor of a bundle (BundleEntryProto).
public struct TFBundleEntry: Equatable, Sendable {
    public var name: String
    /// tensorflow DataType enum (1 = DT_FLOAT, 9 = DT_INT64, …).
    public var dtype: Int
    public var shape: [Int]
    public var shardID: Int
    /// Byte offset and size in the data file.
    public var offset: Int
    public var size: Int
    /// Masked CRC-32C of the tensor's bytes (crc32c::Mask, as tensor_bundle.cc stores it), when recorded.
    public var crc32c: UInt32?

    public static let dtFloat = 1
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A single-shard tensor bundle.
public struct TFCheckpoint: Sendable {
    public let indexPath: String
    public let dataPath: String
    /// Name → entry, for every tensor in the bundle (model variables and optimizer slots alike).
    public let entries: [String: TFBundleEntry]
    /// Names in the index's (sorted) order.
    public let names: [String]
    let data: Data

    /// Opens `prefix.index` and `prefix.data-00000-of-00001` (musicnn's prefix is "MTT_musicnn/",
    /// so its files are `MTT_musicnn/.index` …).
    /// - Throws: `ModelError` naming the file, the place and what was expected.
    public init(prefix: String) throws {
        indexPath = prefix + ".index"
        dataPath = prefix + ".data-00000-of-00001"
        guard let index = FileManager.default.contents(atPath: indexPath) else {
            throw ModelError.io(path: indexPath, reason: "cannot read (expected a TensorFlow checkpoint index)")
        }
        guard let data = FileManager.default.contents(atPath: dataPath) else {
            throw ModelError.io(path: dataPath, reason: "cannot read (expected the checkpoint's single data shard)")
        }
        self.data = data
        let table = try SSTable(bytes: [UInt8](index), file: indexPath)
        var entries: [String: TFBundleEntry] = [:]
        var names: [String] = []
        var sawHeader = false
        for (key, value) in try table.entries() {
            if key.isEmpty {
                try TFCheckpoint.checkHeader(value, file: indexPath)
                sawHeader = true
                continue
            }
            let name = String(decoding: key, as: UTF8.self)
            let entry = try TFCheckpoint.parseEntry(value, name: name, file: indexPath)
            guard entry.shardID == 0 else {
                throw ModelError.invalid(file: indexPath, place: "tensor \(name) shard_id", found: "\(entry.shardID)",
                                         expected: "0 (single-shard bundle)")
            }
            guard entry.offset >= 0, entry.size >= 0, entry.size <= data.count, entry.offset <= data.count - entry.size else {
                throw ModelError.truncated(file: dataPath, place: "tensor \(name)", needed: entry.size, offset: entry.offset,
                                           fileSize: data.count)
            }
            if entry.dtype == TFBundleEntry.dtFloat, entry.size != entry.elementCount * 4 {
                throw ModelError.invalid(file: indexPath, place: "tensor \(name) size", found: "\(entry.size) bytes",
                                         expected: "\(entry.elementCount * 4) (float32 \(entry.shape))")
            }
            entries[name] = entry
            names.append(name)
        }
        guard sawHeader else {
            throw ModelError.invalid(file: indexPath, place: "bundle header", found: "no entry with the empty key",
                                     expected: "a BundleHeaderProto")
        }
        self.entries = entries
        self.names = names
    }

    /// The float32 values of `name`, C order, after checking the entry's CRC-32C.
    /// - Throws: `.invalid` for an unknown name, another dtype or a CRC mismatch.
    public func floats(_ name: String) throws -> [Float] {
        guard let e = entries[name] else {
            throw ModelError.invalid(file: indexPath, place: "tensor \(name)", found: "nothing", expected: "a tensor of that name")
        }
        guard e.dtype == TFBundleEntry.dtFloat else {
            throw ModelError.invalid(file: indexPath, place: "tensor \(name) dtype", found: "\(e.dtype)", expected: "1 (DT_FLOAT)")
        }
        let bytes = data.subdata(in: (data.startIndex + e.offset)..<(data.startIndex + e.offset + e.size))
        if let crc = e.crc32c {
            let got = CRC32C.mask(bytes.withUnsafeBytes { CRC32C.checksum($0) })
            guard got == crc else {
                throw ModelError.invalid(file: dataPath, place: "tensor \(name) at \(e.offset)",
                                         found: String(format: "masked CRC-32C %08x", got), expected: String(format: "%08x (recorded in the index)", crc))
            }
        }
        var out = [Float](repeating: 0, count: e.elementCount)
        out.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { dst.copyMemory(from: $0) } }
        #if _endian(big)
        out = out.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #endif
        return out
    }

    /// The float32 values of `name`, checking its shape.
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let e = entries[name] else {
            throw ModelError.invalid(file: indexPath, place: "tensor \(name)", found: "nothing", expected: "a tensor of shape \(shape)")
        }
        guard e.shape == shape else {
            throw ModelError.invalid(file: indexPath, place: "tensor \(name) shape", found: "\(e.shape)", expected: "\(shape)")
        }
        return try floats(name)
    }

    // MARK: protobufs (tensor_bundle.proto)

    /// BundleHeaderProto: num_shards = 1, endianness = 2 (LITTLE = 0), version = 3.
    static func checkHeader(_ value: [UInt8], file: String) throws {
        for f in try protobufFields(value, name: file + " bundle header") {
            if f.number == 1, let n = f.varint, n != 1 {
                throw ModelError.invalid(file: file, place: "bundle header num_shards", found: "\(n)", expected: "1 (single-shard bundle)")
            }
            if f.number == 2, let e = f.varint, e != 0 {
                throw ModelError.invalid(file: file, place: "bundle header endianness", found: "\(e)", expected: "0 (LITTLE)")
            }
        }
    }

    /// BundleEntryProto: dtype 1, shape 2 (TensorShapeProto: dim 2 {size 1}), shard_id 3,
    /// offset 4, size 5, crc32c 6 (fixed32), slices 7.
    static func parseEntry(_ value: [UInt8], name: String, file: String) throws -> TFBundleEntry {
        var e = TFBundleEntry(name: name, dtype: 0, shape: [], shardID: 0, offset: 0, size: 0, crc32c: nil)
        let place = file + " entry " + name
        func int(_ v: UInt64?, _ what: String) throws -> Int {
            guard let v, v <= UInt64(Int32.max) * 16 else {
                throw ModelError.invalid(file: file, place: "tensor \(name) \(what)", found: "\(v.map(String.init) ?? "a non-varint")",
                                         expected: "a non-negative integer below 2^35")
            }
            return Int(v)
        }
        for f in try protobufFields(value, name: place) {
            switch f.number {
            case 1: e.dtype = try int(f.varint, "dtype")
            case 2:
                guard let shape = f.bytes else {
                    throw ModelError.invalid(file: file, place: "tensor \(name) shape", found: "wire type", expected: "a TensorShapeProto")
                }
                for d in try protobufFields(shape, name: place + " shape") where d.number == 2 {
                    guard let dim = d.bytes else { continue }
                    var size = 0
                    for s in try protobufFields(dim, name: place + " dim") where s.number == 1 {
                        size = try int(s.varint, "dim size")
                    }
                    e.shape.append(size)
                }
            case 3: e.shardID = try int(f.varint, "shard_id")
            case 4: e.offset = try int(f.varint, "offset")
            case 5: e.size = try int(f.varint, "size")
            case 6:
                guard case let .fixed32(c) = f.value else {
                    throw ModelError.invalid(file: file, place: "tensor \(name) crc32c", found: "wire type", expected: "fixed32")
                }
                e.crc32c = c
            case 7:
                throw ModelError.invalid(file: file, place: "tensor \(name)", found: "slices (a partitioned variable)",
                                         expected: "whole tensors")
            default: continue
            }
        }
        var count = 1, fits = e.shape.count <= 8
        for d in e.shape where fits {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            fits = !overflow && p <= 1 << 32
            count = p
        }
        guard fits else {
            throw ModelError.invalid(file: file, place: "tensor \(name) shape", found: "\(e.shape)", expected: "at most 8 dims, 2^32 elements")
        }
        return e
    }
}

// MARK: - SSTable (LevelDB table format)

/// A LevelDB table held in memory: footer → index block → data blocks.
struct SSTable {
    static let magic: UInt64 = 0xdb47_7524_8b80_fb57
    static let footerSize = 48
    let bytes: [UInt8]
    let file: String
    let indexHandle: (offset: Int, size: Int)

    init(bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        self.file = file
        guard bytes.count >= SSTable.footerSize else {
            throw ModelError.truncated(file: file, place: "SSTable footer", needed: SSTable.footerSize, offset: 0, fileSize: bytes.count)
        }
        let footer = bytes.count - SSTable.footerSize
        var magic: UInt64 = 0
        for i in 0..<8 { magic |= UInt64(bytes[bytes.count - 8 + i]) << (8 * UInt64(i)) }
        guard magic == SSTable.magic else {
            throw ModelError.invalid(file: file, place: "SSTable magic", found: String(format: "0x%016llx", magic),
                                     expected: "0xdb4775248b80fb57 (a LevelDB table)")
        }
        var cursor = ByteCursor(bytes: bytes, position: footer, end: bytes.count - 8, file: file, what: "SSTable footer")
        _ = try cursor.varint()  // metaindex offset
        _ = try cursor.varint()  // metaindex size
        indexHandle = (try cursor.int(), try cursor.int())
    }

    /// The uncompressed contents of the block at `handle`, after its trailer's CRC is checked.
    func block(_ handle: (offset: Int, size: Int), what: String) throws -> [UInt8] {
        let (offset, size) = handle
        guard offset >= 0, size >= 0, size <= bytes.count, offset <= bytes.count - size - 5 else {
            throw ModelError.truncated(file: file, place: what, needed: size + 5, offset: offset, fileSize: bytes.count)
        }
        let type = bytes[offset + size]
        var stored: UInt32 = 0
        for i in 0..<4 { stored |= UInt32(bytes[offset + size + 1 + i]) << (8 * UInt32(i)) }
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + size + 1)])) }
        guard CRC32C.mask(crc) == stored else {
            throw ModelError.invalid(file: file, place: "\(what) at \(offset) checksum", found: String(format: "%08x", stored),
                                     expected: String(format: "%08x (masked CRC-32C of the block)", CRC32C.mask(crc)))
        }
        let raw = Array(bytes[offset..<(offset + size)])
        switch type {
        case 0: return raw
        case 1: return try Snappy.decompress(raw, file: file, what: "\(what) at \(offset)")
        default:
            throw ModelError.invalid(file: file, place: "\(what) at \(offset) compression", found: "\(type)",
                                     expected: "0 (none) or 1 (Snappy)")
        }
    }

    /// Every (key, value) of the table in order.
    func entries() throws -> [([UInt8], [UInt8])] {
        var out: [([UInt8], [UInt8])] = []
        let index = try block(indexHandle, what: "index block")
        for (_, handle) in try SSTable.blockEntries(index, file: file, what: "index block") {
            var c = ByteCursor(bytes: handle, position: 0, end: handle.count, file: file, what: "block handle")
            let h = (try c.int(), try c.int())
            out += try SSTable.blockEntries(try block(h, what: "data block"), file: file, what: "data block at \(h.0)")
        }
        return out
    }

    /// Entries of one block: shared/non-shared/value-length varints, key suffix, value; the
    /// restart array (u32 each) and its count (u32) end the block.
    static func blockEntries(_ block: [UInt8], file: String, what: String) throws -> [([UInt8], [UInt8])] {
        guard block.count >= 4 else {
            throw ModelError.truncated(file: file, place: what, needed: 4, offset: 0, fileSize: block.count)
        }
        var restarts = 0
        for i in 0..<4 { restarts |= Int(block[block.count - 4 + i]) << (8 * i) }
        guard restarts <= (block.count - 4) / 4 else {
            throw ModelError.invalid(file: file, place: "\(what) restart count", found: "\(restarts)",
                                     expected: "at most \((block.count - 4) / 4) for a \(block.count)-byte block")
        }
        let end = block.count - 4 - 4 * restarts
        var c = ByteCursor(bytes: block, position: 0, end: end, file: file, what: what)
        var key: [UInt8] = []
        var out: [([UInt8], [UInt8])] = []
        while c.position < end {
            let shared = try c.int(), nonShared = try c.int(), valueLength = try c.int()
            guard shared <= key.count else {
                throw ModelError.invalid(file: file, place: "\(what) entry at \(c.position)", found: "shared prefix \(shared)",
                                         expected: "at most the previous key's \(key.count) bytes")
            }
            key = Array(key[0..<shared]) + (try c.take(nonShared))
            out.append((key, try c.take(valueLength)))
        }
        return out
    }
}

/// Bounds-checked reading of varints and byte runs from [position, end).
struct ByteCursor {
    let bytes: [UInt8]
    var position: Int
    let end: Int
    let file: String
    let what: String

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard position < end else {
                throw ModelError.truncated(file: file, place: "\(what) varint", needed: 1, offset: position, fileSize: end)
            }
            let b = bytes[position]
            position += 1
            guard shift < 64 else {
                throw ModelError.invalid(file: file, place: "\(what) varint at \(position)", found: "more than 10 bytes", expected: "a varint")
            }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    mutating func int() throws -> Int {
        let v = try varint()
        guard v <= UInt64(Int32.max) else {
            throw ModelError.invalid(file: file, place: "\(what) at \(position)", found: "\(v)", expected: "a length below 2^31")
        }
        return Int(v)
    }

    mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= end - position else {
            throw ModelError.truncated(file: file, place: what, needed: n, offset: position, fileSize: end)
        }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }
}

// MARK: - CRC-32C and Snappy

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as leveldb/util/crc32c.h and
/// tensorflow/core/lib/hash/crc32c.h; `mask` is their Mask().
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }

    static func mask(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }
}

/// Snappy raw-format decompression (google/snappy format_description.txt): a varint length,
/// then literals and back-references with 1-, 2- or 4-byte offsets. Every copy is bounds-checked.
enum Snappy {
    static func decompress(_ input: [UInt8], file: String, what: String) throws -> [UInt8] {
        var c = ByteCursor(bytes: input, position: 0, end: input.count, file: file, what: what + " (Snappy)")
        let length = try c.int()
        func bad(_ found: String) -> ModelError {
            ModelError.invalid(file: file, place: what + " (Snappy) at \(c.position)", found: found, expected: "a valid Snappy stream")
        }
        // No element expands more than 64 bytes from 2: a larger declared length is hostile.
        guard length <= 32 * input.count else { throw bad("declared length \(length) for \(input.count) compressed bytes") }
        var out: [UInt8] = []
        out.reserveCapacity(length)
        while c.position < input.count {
            let tag = input[c.position]
            c.position += 1
            switch tag & 3 {
            case 0:
                var n = Int(tag >> 2)
                if n >= 60 {
                    let extra = n - 59
                    let b = try c.take(extra)
                    n = b.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                }
                out += try c.take(n + 1)
            default:
                let n: Int, offset: Int
                switch tag & 3 {
                case 1:
                    n = Int((tag >> 2) & 7) + 4
                    offset = Int(tag >> 5) << 8 | Int(try c.take(1)[0])
                case 2:
                    n = Int(tag >> 2) + 1
                    let b = try c.take(2)
                    offset = Int(b[0]) | Int(b[1]) << 8
                default:
                    n = Int(tag >> 2) + 1
                    let b = try c.take(4)
                    offset = b.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                }
                guard offset > 0, offset <= out.count else { throw bad("copy offset \(offset) with \(out.count) bytes out") }
                let start = out.count - offset
                for i in 0..<n { out.append(out[start + i]) }
            }
            guard out.count <= length else { throw bad("\(out.count) bytes, more than the declared \(length)") }
        }
        guard out.count == length else { throw bad("\(out.count) bytes, declared \(length)") }
        return out
    }
}
