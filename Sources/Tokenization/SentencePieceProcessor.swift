// SentencePieceProcessor: a loaded SentencePiece model (libsentencepiece 0.1.97 via
// the CSentencePiece shim): encode to ids or pieces, decode, sample, n-best,
// normalize and vocabulary queries. Ids and pieces match python sentencepiece's
// `encode`/`encode_as_pieces`/`normalize` (checked against a golden file).
// Not here: bos/eos, id remapping, padding (TokenizerSpec); batching (BatchEncoding).

import CSentencePiece
import Foundation

/// A loaded SentencePiece model. Immutable after `init`; every method may be called
/// from several threads at once (libsentencepiece's Encode/Decode are const).
public final class SentencePieceProcessor: @unchecked Sendable {
    let handle: OpaquePointer
    /// The file name (or the name given with the bytes), used in error messages.
    public let name: String
    /// Number of pieces, V; valid ids are `0..<V`.
    public let vocabularySize: Int

    /// Loads a `.model` file (a serialized ModelProto).
    /// - Throws: `.modelNotFound` when there is no file, `.notAModel` when it does not parse.
    public init(modelPath: String) throws {
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw SentencePieceError.modelNotFound(path: modelPath)
        }
        var message: UnsafeMutablePointer<CChar>?
        guard let handle = csp_load_file(modelPath, &message) else {
            throw SentencePieceError.notAModel(name: modelPath, status: loadStatus(takeMessage(message)))
        }
        self.handle = handle
        self.name = modelPath
        self.vocabularySize = Int(csp_piece_size(handle))
    }

    /// Loads a serialized ModelProto from memory; `name` appears in error messages.
    public init(modelData: [UInt8], name: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let loaded = modelData.withUnsafeBytes { csp_load_bytes($0.baseAddress, $0.count, &message) }
        guard let handle = loaded else {
            throw SentencePieceError.notAModel(name: name, status: loadStatus(takeMessage(message)))
        }
        self.handle = handle
        self.name = name
        self.vocabularySize = Int(csp_piece_size(handle))
    }

    deinit { csp_free(handle) }

    // MARK: encode

    /// Ids of `text`, as `sp.encode(text)` in python: [T].
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        withUTF8(text) { encode(utf8: $0, into: &ids) }
        return ids
    }

    /// Fast path: encodes UTF-8 bytes, replacing the contents of `ids` (its capacity is
    /// kept, so a reused array allocates nothing). No String is created.
    public func encode(utf8: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        ids.removeAll(keepingCapacity: true)
        encode(utf8: utf8, appendingTo: &ids)
    }

    /// Appends the ids of `utf8` to `ids` and returns how many were appended.
    @discardableResult
    public func encode(utf8: UnsafeBufferPointer<UInt8>, appendingTo ids: inout [Int32]) -> Int {
        var count = 0
        var message: UnsafeMutablePointer<CChar>?
        guard let result = csp_encode(handle, cString(utf8), utf8.count, &count, &message) else {
            // Encode fails only on an unloaded model, which init rules out.
            preconditionFailure("\(name): Encode failed: \(takeMessage(message))")
        }
        ids.append(contentsOf: UnsafeBufferPointer(start: result, count: count))
        return count
    }

    /// Pieces of `text`, as `sp.encode(text, out_type=str)`: [T].
    public func encodeAsPieces(_ text: String) -> [String] {
        var list = csp_string_list()
        var message: UnsafeMutablePointer<CChar>?
        let status = withUTF8(text) { csp_encode_pieces(handle, cString($0), $0.count, &list, &message) }
        precondition(status == 0, "\(name): Encode failed: \(takeMessage(message))")
        defer { csp_string_list_free(&list) }
        return unpack(list)
    }

    /// The n best segmentations of `text` (unigram models only), best first: [n][T].
    public func nbestEncode(_ text: String, n: Int) -> [[Int32]] {
        var lists = csp_id_lists()
        var message: UnsafeMutablePointer<CChar>?
        let status = withUTF8(text) {
            csp_nbest_encode(handle, cString($0), $0.count, Int32(clamping: n), &lists, &message)
        }
        guard status == 0 else { return [] }  // BPE/char/word models have no n-best.
        defer { csp_id_lists_free(&lists) }
        return (0..<lists.count).map { i in
            Array(UnsafeBufferPointer(start: lists.ids + lists.offsets[i],
                                      count: lists.offsets[i + 1] - lists.offsets[i]))
        }
    }

    /// Normalized text exactly as python sentencepiece 0.2's `normalize`: NFKC (per the
    /// model's rule), whitespace runs collapsed and escaped as U+2581, dummy prefix kept.
    /// `decode(ids: encode(x))` equals this with U+2581 → space and the prefix dropped.
    public func normalize(_ text: String) -> String {
        var out: UnsafeMutablePointer<CChar>?
        var length = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = withUTF8(text) { csp_normalize(handle, cString($0), $0.count, &out, &length, &message) }
        precondition(status == 0, "\(name): Normalize failed: \(takeMessage(message))")
        return takeString(out, length)
    }

    // MARK: sampling (subword regularization)

    /// One sampled segmentation (`SampleEncode`): unigram draws from the `nbestSize`-best
    /// (or the whole lattice when `nbestSize` < 0) with smoothing `alpha`; BPE applies
    /// BPE-dropout with probability `alpha`. [T]
    ///
    /// After `setRandomSeed(_:)` the sequence of samples drawn through this method is
    /// reproducible; otherwise libsentencepiece's per-thread generator is used.
    public func sampleEncode(_ text: String, nbestSize: Int, alpha: Float) -> [Int32] {
        if let seed = SampleSeed.shared.next() {
            return sampleEncode(text, nbestSize: nbestSize, alpha: alpha, seed: seed)
        }
        var count = 0
        var message: UnsafeMutablePointer<CChar>?
        var ids: [Int32] = []
        withUTF8(text) { buffer in
            let result = csp_sample_encode(handle, cString(buffer), buffer.count, Int32(clamping: nbestSize),
                                           alpha, &count, &message)
            precondition(result != nil, "\(name): SampleEncode failed: \(takeMessage(message))")
            ids = Array(UnsafeBufferPointer(start: result, count: count))
        }
        return ids
    }

    /// A sampled segmentation that depends only on (`text`, `nbestSize`, `alpha`, `seed`):
    /// it runs on a fresh thread whose std::mt19937 is seeded with `seed`. [T]
    public func sampleEncode(_ text: String, nbestSize: Int, alpha: Float, seed: UInt32) -> [Int32] {
        var count = 0
        var message: UnsafeMutablePointer<CChar>?
        var ids: [Int32] = []
        withUTF8(text) { buffer in
            let result = csp_sample_encode_seeded(handle, cString(buffer), buffer.count,
                                                  Int32(clamping: nbestSize), alpha, seed, &count, &message)
            precondition(result != nil, "\(name): SampleEncode failed: \(takeMessage(message))")
            ids = Array(UnsafeBufferPointer(start: result, count: count))
        }
        return ids
    }

    /// Makes later `sampleEncode(_:nbestSize:alpha:)` calls reproducible: sample k after
    /// this call uses seed SplitMix64(seed, k). `nil` returns to unseeded sampling.
    /// Also calls `sentencepiece::SetRandomGeneratorSeed`.
    public static func setRandomSeed(_ seed: UInt32?) {
        SampleSeed.shared.reset(seed)
        if let seed { csp_set_random_seed(seed) }
    }

    // MARK: decode

    /// Text of `ids`, as `sp.decode(ids)`.
    /// - Throws: `.idOutOfRange` naming the first id outside `0..<vocabularySize`.
    public func decode(ids: [Int32]) throws -> String {
        for (position, id) in ids.enumerated() where id < 0 || Int(id) >= vocabularySize {
            throw SentencePieceError.idOutOfRange(model: name, id: id, position: position,
                                                  vocabularySize: vocabularySize)
        }
        var out: UnsafeMutablePointer<CChar>?
        var length = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = ids.withUnsafeBufferPointer {
            csp_decode_ids(handle, $0.baseAddress, $0.count, &out, &length, &message)
        }
        guard status == 0 else {
            throw SentencePieceError.operationFailed(model: name, operation: "Decode", status: takeMessage(message))
        }
        return takeString(out, length)
    }

    /// Text of `pieces`, as `sp.decode(pieces)`; unknown pieces are kept as text.
    public func decode(pieces: [String]) -> String {
        var bytes: [UInt8] = []
        var starts: [Int] = []
        var lengths: [Int] = []
        for piece in pieces {
            starts.append(bytes.count)
            bytes.append(contentsOf: piece.utf8)
            lengths.append(bytes.count - starts[starts.count - 1])
        }
        var out: UnsafeMutablePointer<CChar>?
        var length = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            let base = cString(buffer)
            let pointers: [UnsafePointer<CChar>?] = starts.map { base + $0 }
            return csp_decode_pieces(handle, pointers, lengths, pieces.count, &out, &length, &message)
        }
        precondition(status == 0, "\(name): Decode failed: \(takeMessage(message))")
        return takeString(out, length)
    }

    // MARK: vocabulary

    /// The piece of `id`; `id` must be in `0..<vocabularySize`.
    public func idToPiece(_ id: Int32) -> String {
        checkId(id)
        var length = 0
        let p = csp_id_to_piece(handle, id, &length)!
        return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
    }

    /// The id of `piece`, or `unkId` when the model has no such piece.
    public func pieceToId(_ piece: String) -> Int32 {
        withUTF8(piece) { csp_piece_to_id(handle, cString($0), $0.count) }
    }

    /// The score of `id` (log probability for unigram, negative merge rank for BPE).
    public func score(_ id: Int32) -> Float { checkId(id); return csp_score(handle, id) }
    public func isControl(_ id: Int32) -> Bool { checkId(id); return csp_is_control(handle, id) != 0 }
    public func isUnknown(_ id: Int32) -> Bool { checkId(id); return csp_is_unknown(handle, id) != 0 }
    public func isUnused(_ id: Int32) -> Bool { checkId(id); return csp_is_unused(handle, id) != 0 }
    public func isByte(_ id: Int32) -> Bool { checkId(id); return csp_is_byte(handle, id) != 0 }

    /// Reserved ids; `nil` where the model defines none (sentencepiece's -1).
    public var bosId: Int32? { optionalId(csp_bos_id(handle)) }
    public var eosId: Int32? { optionalId(csp_eos_id(handle)) }
    public var padId: Int32? { optionalId(csp_pad_id(handle)) }
    public var unkId: Int32 { csp_unk_id(handle) }

    // MARK: helpers

    private func checkId(_ id: Int32) {
        precondition(id >= 0 && Int(id) < vocabularySize,
                     "\(name): id \(id) out of range 0..<\(vocabularySize)")
    }

    private func optionalId(_ id: Int32) -> Int32? { id < 0 ? nil : id }

    private func unpack(_ list: csp_string_list) -> [String] {
        (0..<list.count).map { i in
            let start = list.offsets[i]
            return String(decoding: UnsafeRawBufferPointer(start: list.bytes + start,
                                                           count: list.offsets[i + 1] - start),
                          as: UTF8.self)
        }
    }
}

/// sentencepiece reports a protobuf parse failure as a bare source location; say what it means.
func loadStatus(_ status: String) -> String {
    status.contains("ParseFromArray") ? "bytes are not a serialized ModelProto; \(status)" : status
}

/// Calls `body` with the UTF-8 bytes of `text`, copying only for non-contiguous strings.
@inline(__always)
func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    var text = text
    return text.withUTF8(body)
}

/// A C pointer for a byte buffer, never NULL (empty buffers point at a static "").
@inline(__always)
func cString(_ buffer: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
    guard let base = buffer.baseAddress else { return emptyCString }
    return UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
}

private let emptyCString: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.initialize(to: 0)
    return UnsafePointer(p)
}()

/// Takes ownership of a malloc'd (pointer, length) string from the shim.
func takeString(_ p: UnsafeMutablePointer<CChar>?, _ length: Int) -> String {
    guard let p else { return "" }
    defer { csp_string_free(p) }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
}

/// The seed stream behind `SentencePieceProcessor.setRandomSeed(_:)`.
final class SampleSeed: @unchecked Sendable {
    static let shared = SampleSeed()
    private let lock = NSLock()
    private var state: UInt64?

    func reset(_ seed: UInt32?) {
        lock.lock(); defer { lock.unlock() }
        state = seed.map { UInt64($0) }
    }

    /// SplitMix64 step (Steele, Lea, Flood 2014), folded to 32 bits.
    func next() -> UInt32? {
        lock.lock(); defer { lock.unlock() }
        guard var s = state else { return nil }
        s &+= 0x9E37_79B9_7F4A_7C15
        state = s
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return UInt32(truncatingIfNeeded: z)
    }
}
