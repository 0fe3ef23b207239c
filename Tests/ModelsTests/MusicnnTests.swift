// Tests of the TensorFlow tensor-bundle reader (hand-built SSTables: plain, Snappy, truncated,
// hostile), the musicnn tag-list parser and patching, and parity of the Swift musicnn forward
// pass against TensorFlow running musicnn 0.1.0's own graph (Resources/musicnn_golden.json from
// Scripts/golden/gen_musicnn_golden.py). Parity tests skip when musicnn is not installed.

import Foundation
import XCTest
import TensorCore
@testable import Models

// MARK: - hand-built bundles

/// A single-block LevelDB table holding `entries` (sorted keys), optionally Snappy-"compressed"
/// (one literal run), followed by the index block and the footer.
func makeSSTable(_ entries: [([UInt8], [UInt8])], snappy: Bool = false) -> [UInt8] {
    func varint(_ v: Int, into b: inout [UInt8]) {
        var v = UInt64(v)
        while v >= 0x80 { b.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        b.append(UInt8(v))
    }
    func block(_ kvs: [([UInt8], [UInt8])]) -> [UInt8] {
        var b: [UInt8] = []
        for (k, v) in kvs {
            varint(0, into: &b); varint(k.count, into: &b); varint(v.count, into: &b)
            b += k + v
        }
        b += [0, 0, 0, 0, 1, 0, 0, 0]  // one restart at 0, restart count 1
        return b
    }
    func withTrailer(_ contents: [UInt8], type: UInt8) -> [UInt8] {
        let body = contents + [type]
        let crc = CRC32C.mask(body.withUnsafeBytes { CRC32C.checksum($0) })
        return body + (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32($0))) }
    }
    var file: [UInt8] = []
    var data = block(entries)
    if snappy {
        var s: [UInt8] = []
        varint(data.count, into: &s)
        var rest = data[...]
        while !rest.isEmpty {
            let n = min(rest.count, 256)
            if n <= 60 { s.append(UInt8((n - 1) << 2)) } else { s += [60 << 2, UInt8(n - 1)] }
            s += rest.prefix(n)
            rest = rest.dropFirst(n)
        }
        data = s
    }
    file += withTrailer(data, type: snappy ? 1 : 0)
    var handle: [UInt8] = []
    varint(0, into: &handle); varint(data.count, into: &handle)
    let indexOffset = file.count
    let index = block([(entries.last!.0, handle)])
    file += withTrailer(index, type: 0)
    var footer: [UInt8] = []
    varint(0, into: &footer); varint(0, into: &footer)  // empty metaindex
    varint(indexOffset, into: &footer); varint(index.count, into: &footer)
    footer += [UInt8](repeating: 0, count: 40 - footer.count)
    withUnsafeBytes(of: SSTable.magic.littleEndian) { footer += $0 }
    return file + footer
}

/// A BundleEntryProto for a float32 tensor.
func bundleEntry(shape: [Int], offset: Int, size: Int, crc: UInt32?) -> [UInt8] {
    var w = ProtobufWriter()
    w.int(1, 1)
    w.message(2) { s in for d in shape { s.message(2) { $0.int(1, d) } } }
    w.int(4, offset)
    w.int(5, size)
    if let crc { w.float(6, Float(bitPattern: crc)) }
    return w.bytes
}

final class TFCheckpointTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "tfckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Writes `dir/.index` and `dir/.data-00000-of-00001`; returns the prefix.
    func write(index: [UInt8], data: [UInt8]) throws -> String {
        try Data(index).write(to: URL(fileURLWithPath: dir + "/.index"))
        try Data(data).write(to: URL(fileURLWithPath: dir + "/.data-00000-of-00001"))
        return dir + "/"
    }

    let values: [Float] = [1, -2.5, 3, 0.125, 1e-3, 42]
    var valueBytes: [UInt8] { values.withUnsafeBytes { Array($0) } }
    var crc: UInt32 { CRC32C.mask(valueBytes.withUnsafeBytes { CRC32C.checksum($0) }) }

    func entries(offset: Int = 8, size: Int = 24, shape: [Int] = [2, 3], crc: UInt32? = nil) -> [([UInt8], [UInt8])] {
        var header = ProtobufWriter()
        header.int(1, 1)
        return [([], header.bytes), (Array("a/kernel".utf8), bundleEntry(shape: shape, offset: offset, size: size, crc: crc ?? self.crc)),
                (Array("b/step".utf8), { var w = ProtobufWriter(); w.int(1, 9); w.int(5, 8); return w.bytes }())]
    }

    func testCRC32CKnownValue() {
        // RFC 3720 / leveldb crc32c_test: crc32c("123456789") = 0xe3069283.
        XCTAssertEqual(Array("123456789".utf8).withUnsafeBytes { CRC32C.checksum($0) }, 0xE306_9283)
    }

    func testReadsPlainAndSnappyTables() throws {
        for snappy in [false, true] {
            let prefix = try write(index: makeSSTable(entries(), snappy: snappy), data: [UInt8](repeating: 0, count: 8) + valueBytes)
            let ckpt = try TFCheckpoint(prefix: prefix)
            XCTAssertEqual(ckpt.names, ["a/kernel", "b/step"])
            XCTAssertEqual(ckpt.entries["a/kernel"]?.shape, [2, 3])
            XCTAssertEqual(try ckpt.floats("a/kernel", shape: [2, 3]), values)
            XCTAssertThrowsError(try ckpt.floats("a/kernel", shape: [3, 2]))
            XCTAssertThrowsError(try ckpt.floats("b/step")) { XCTAssertTrue("\($0)".contains("DT_FLOAT"), "\($0)") }
        }
    }

    func testSnappyCopies() throws {
        // "abc" literal, then a 1-byte-offset copy of 6 bytes from 3 back.
        let stream: [UInt8] = [9, 2 << 2, 97, 98, 99, UInt8((6 - 4) << 2 | 1), 3]
        XCTAssertEqual(try Snappy.decompress(stream, file: "x", what: "t"), Array("abcabcabc".utf8))
        XCTAssertThrowsError(try Snappy.decompress([9, 2 << 2, 97, 98, 99, UInt8((6 - 4) << 2 | 1), 9], file: "x", what: "t"))
        XCTAssertThrowsError(try Snappy.decompress([10, 2 << 2, 97, 98, 99], file: "x", what: "t"))
    }

    /// Every truncation and every single-byte change of a table (plain and Snappy) either parses or
    /// throws a ModelError; nothing traps (data-file bounds: testHostileFilesGiveOneLineErrors).
    func testMutatedTablesNeverTrap() throws {
        for snappy in [false, true] {
            let good = makeSSTable(entries(), snappy: snappy)
            var variants: [[UInt8]] = (0..<good.count).map { Array(good.prefix($0)) }
            for i in 0..<good.count { for x: UInt8 in [0x01, 0x80, 0xFF] { var v = good; v[i] ^= x; variants.append(v) } }
            for v in variants {
                do {
                    for (key, value) in try SSTable(bytes: v, file: "t.index").entries() where !key.isEmpty {
                        _ = try TFCheckpoint.parseEntry(value, name: "k", file: "t.index")
                    }
                } catch is ModelError {}
            }
        }
        XCTAssertThrowsError(try Snappy.decompress([0xFF, 0xFF, 0x03, 0], file: "x", what: "t")) {
            XCTAssertTrue("\($0)".contains("declared length"), "\($0)")
        }
    }

    func testHostileFilesGiveOneLineErrors() throws {
        let good = makeSSTable(entries())
        let data = [UInt8](repeating: 0, count: 8) + valueBytes
        func message(index: [UInt8], data: [UInt8]) throws -> String {
            let prefix = try write(index: index, data: data)
            do {
                let c = try TFCheckpoint(prefix: prefix)
                _ = try c.floats("a/kernel")
                return "no error"
            } catch let e as ModelError { return e.description }
        }
        // Truncated index: footer gone or cut anywhere.
        for cut in [0, 10, good.count / 2, good.count - 1] {
            let m = try message(index: Array(good.prefix(cut)), data: data)
            XCTAssertTrue(m.contains(".index"), m)
            XCTAssertFalse(m.contains("\n"), m)
        }
        // A flipped byte in a block fails its checksum.
        var flipped = good
        flipped[3] ^= 0x40
        XCTAssertTrue(try message(index: flipped, data: data).contains("checksum"))
        // Truncated data file: the tensor no longer fits.
        let m = try message(index: good, data: Array(data.prefix(20)))
        XCTAssertTrue(m.contains(".data-00000-of-00001") && m.contains("a/kernel") && m.contains("needs 24 bytes at offset 8"), m)
        // Offset far beyond the file, a size that disagrees with the shape, a corrupt tensor.
        XCTAssertTrue(try message(index: makeSSTable(entries(offset: 1 << 30)), data: data).contains("truncated"))
        XCTAssertTrue(try message(index: makeSSTable(entries(size: 20)), data: data).contains("expected 24"))
        XCTAssertTrue(try message(index: makeSSTable(entries(crc: 1234)), data: data).contains("CRC-32C"))
        // Shape product overflow.
        XCTAssertTrue(try message(index: makeSSTable(entries(shape: [1 << 33, 1 << 33])), data: data).contains("shape"))
    }
}

// MARK: - musicnn

final class MusicnnTests: XCTestCase {
    func testLabelsParsedFromConfigurationPy() throws {
        let path = NSTemporaryDirectory() + "configuration-\(UUID().uuidString).py"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tags = (0..<50).map { "tag \($0)" }
        let text = "SR = 16000\nMTT_LABELS = [" + tags.map { "'\($0)'" }.joined(separator: ", ") + "]\n\nMSD_LABELS = ['rock','pop']\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try MusicnnConverter.labels(configurationPy: path, dataset: "MTT"), tags)
        XCTAssertThrowsError(try MusicnnConverter.labels(configurationPy: path, dataset: "MSD")) {
            XCTAssertTrue("\($0)".contains("found 2 tags"), "\($0)")
        }
        XCTAssertThrowsError(try MusicnnConverter.labels(configurationPy: path, dataset: "XYZ"))
    }

    /// The whole install path (hash, unpack, own TF reader, conversion) from the cached wheel into a
    /// fresh cache root gives the same files as the installed copy.
    func testInstallFromCachedWheelIsReproducible() throws {
        let installedDir = try installedModel("musicnn-mtt")
        let entry = try ModelRegistry.builtIn.entry("musicnn-mtt")
        let wheel = ModelInstaller(registry: .builtIn).home + "/downloads/" + entry.wheel
        guard FileManager.default.fileExists(atPath: wheel) else { throw XCTSkip("skipped: \(wheel) not cached") }
        let home = NSTemporaryDirectory() + "musicnn-install-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: home) }
        let m = try ModelInstaller(home: home, registry: .builtIn).install(name: "musicnn-mtt", wheel: wheel)
        XCTAssertEqual(Set(m.files.keys), ["config.json", "model.safetensors", ModelInstaller.installRecord])
        for file in ["config.json", "model.safetensors"] {
            XCTAssertEqual(try SHA256.hex(fileAt: m.path + "/" + file), try SHA256.hex(fileAt: installedDir + "/" + file), file)
        }
        XCTAssertNoThrow(try ModelInstaller(home: home, registry: .builtIn).verify(name: "musicnn-mtt"))
    }

    func testVariableListMatchesParameterCount() {
        // The package's README: ~0.79M parameters.
        XCTAssertEqual(MusicnnConverter.variables.reduce(0) { $0 + $1.shape.reduce(1, *) }, 792_079)
    }
}

/// Resources/musicnn_golden.json.
struct MusicnnGolden: Decodable {
    struct Outputs: Decodable { let logits: [[Float]]; let probabilities: [[Float]]; let penultimate: [[Float]] }
    let tensorflow: String
    let patch_frames: Int
    let synthetic: [String: Outputs]
}

final class MusicnnParityTests: XCTestCase {
    static func golden() throws -> MusicnnGolden {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "musicnn_golden", withExtension: "json", subdirectory: "Resources"))
        return try JSONDecoder().decode(MusicnnGolden.self, from: Data(contentsOf: url))
    }

    /// x[b, t, f] = ((3t² + 17f + 101b + t·f) mod 400) / 100, as the generator builds it.
    static func synthetic(patch b: Int, frames: Int) -> [Float] {
        var x = [Float](repeating: 0, count: frames * 96)
        for t in 0..<frames { for f in 0..<96 { x[t * 96 + f] = Float((3 * t * t + 17 * f + 101 * b + t * f) % 400) / 100 } }
        return x
    }

    func testSyntheticPatchesMatchTensorFlow() throws {
        let golden = try Self.golden()
        for name in ["musicnn-mtt", "musicnn-msd"] {
            let model = try Musicnn(directory: try installedModel(name))
            let want = try XCTUnwrap(golden.synthetic[name])
            for b in 0..<want.logits.count {
                let x = Self.synthetic(patch: b, frames: golden.patch_frames)
                let out = x.withUnsafeBufferPointer { model.forward(patch: $0.baseAddress!, frames: golden.patch_frames) }
                let probs = out.logits.map { 1 / (1 + exp(-$0)) }
                for (label, got, ref) in [("logits", out.logits, want.logits[b]), ("probabilities", probs, want.probabilities[b]),
                                          ("penultimate", out.penultimate, want.penultimate[b])] {
                    let worst = zip(got, ref).map { abs($0 - $1) }.max() ?? .infinity
                    print("[parity] \(name) synthetic patch \(b) \(label): max |Δ| = \(worst) (TensorFlow \(golden.tensorflow))")
                    XCTAssertEqual(got.count, ref.count)
                    XCTAssertLessThanOrEqual(worst, 1e-4, "\(name) patch \(b) \(label)")
                }
            }
        }
    }

    func testPatchingMirrorsExtractor() throws {
        let model = try Musicnn(directory: try installedModel("musicnn-mtt"))
        XCTAssertEqual(model.patchStarts(frames: 187), [0])
        XCTAssertEqual(model.patchStarts(frames: 444), [0, 187])
        XCTAssertEqual(model.patchStarts(frames: 561), [0, 187, 374])
        XCTAssertEqual(model.patchStarts(frames: 100), [0])
        // A short clip is repeat-padded to one patch: equal to the forward pass over the tiled frames.
        let x = Self.synthetic(patch: 0, frames: 100)
        let clip = model.analyze(logMel: x, frames: 100)
        XCTAssertTrue(clip.padded)
        let tiled = (0..<187).flatMap { r in x[(r % 100) * 96..<((r % 100) + 1) * 96] }
        let direct = tiled.withUnsafeBufferPointer { model.forward(patch: $0.baseAddress!, frames: 187) }
        XCTAssertEqual(clip.embedding, direct.penultimate)
        XCTAssertEqual(model.config.tags.count, 50)
        XCTAssertEqual(model.config.tags.first, "guitar")
    }
}
