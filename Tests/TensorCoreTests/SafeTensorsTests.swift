// safetensors: writer → reader round trip, files written by python's safetensors (F32, F16)
// and a byte-built BF16 file, and hostile files that must give a SafeTensorsError naming the file.
import Foundation
import XCTest
@testable import TensorCore

final class SafeTensorsTests: XCTestCase {
    var dir: String = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "tensorcore-st-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func testWriterReaderRoundTrip() throws {
        let path = dir + "/model.safetensors"
        let w = Tensor.normal(shape: [3, 4], seed: 1)
        try SafeTensors.write([SafeTensors.Entry(name: "enc/layer.0.weight", shape: [3, 4], data: w.scalars),
                               SafeTensors.Entry(name: "bias", shape: [4], data: [1, 2, 3, 4]),
                               SafeTensors.Entry(name: "empty", shape: [0, 5], data: []),
                               SafeTensors.Entry(name: "scalar", shape: [], data: [7])],
                              metadata: ["format": "pt", "note": "round trip"], to: path)
        let f = try SafeTensorsFile(path: path)
        XCTAssertEqual(Set(f.names), ["enc/layer.0.weight", "bias", "empty", "scalar"])
        XCTAssertEqual(f.metadata, ["format": "pt", "note": "round trip"])
        XCTAssertEqual(try f.info("bias").dtype, .f32)
        XCTAssertEqual(try f.tensor("enc/layer.0.weight").scalars, w.scalars)
        XCTAssertEqual(try f.tensor("bias", expectedShape: [4]).scalars, [1, 2, 3, 4])
        XCTAssertEqual(try f.tensor("empty").shape, [0, 5])
        XCTAssertEqual(try f.tensor("scalar").item, 7)
        XCTAssertThrowsError(try SafeTensors.write([SafeTensors.Entry(name: "a", shape: [1], data: [1]),
                                                    SafeTensors.Entry(name: "a", shape: [1], data: [2])], to: path)) {
            XCTAssertEqual($0 as? SafeTensorsError, .duplicateName(path: path, name: "a"))
        }
    }

    func testPythonWrittenFiles() throws {
        let f32 = try SafeTensorsFile(path: Golden.path("st_f32.safetensors"))
        XCTAssertEqual(f32.metadata["source"], "gen_tensor_golden")
        for name in ["embeddings.word", "layer.0.bias", "scalar"] {
            assertParity("safetensors F32 \(name)", try f32.tensor(name), try Golden.npy("st_f32__" + name), atol: 0)
        }
        let f16 = try SafeTensorsFile(path: Golden.path("st_f16.safetensors"))
        XCTAssertEqual(try f16.info("w").dtype, .f16)
        assertParity("safetensors F16 → F32 (subnormal, 65504)", try f16.tensor("w"), try Golden.npy("st_f16__w"), atol: 0)
        let bf16 = try SafeTensorsFile(path: Golden.path("st_bf16.safetensors"))
        XCTAssertEqual(try bf16.info("b").dtype, .bf16)
        XCTAssertEqual(bf16.metadata, ["dtype": "bf16"])
        assertParity("safetensors BF16 → F32", try bf16.tensor("b"), try Golden.npy("st_bf16__b"), atol: 0)
        XCTAssertEqual(halfToFloat(0x7C00), .infinity)
        XCTAssertEqual(halfToFloat(0xFC00), -.infinity)
        XCTAssertTrue(halfToFloat(0x7E00).isNaN)
        XCTAssertEqual(halfToFloat(0x3C00), 1)
        XCTAssertEqual(halfToFloat(0x8001), -0x1p-24)
    }

    func testMissingNamesAndShapeCheck() throws {
        let path = Golden.path("st_f32.safetensors")
        let f = try SafeTensorsFile(path: path)
        XCTAssertNoThrow(try f.require(["scalar", "layer.0.bias"]))
        XCTAssertThrowsError(try f.require(["scalar", "pooler.dense.weight", "lm_head.bias"])) { error in
            XCTAssertEqual(error as? SafeTensorsError, .missingTensors(path: path, names: ["pooler.dense.weight", "lm_head.bias"]))
            let text = "\(error)"
            XCTAssertTrue(text.contains(path) && text.contains("pooler.dense.weight") && text.contains("lm_head.bias"), text)
        }
        XCTAssertThrowsError(try f.tensor("embeddings.word", expectedShape: [6, 5])) { error in
            XCTAssertEqual("\(error)", "\(path): tensor embeddings.word has wrong shape: got [6, 4], expected [6, 5]")
        }
        XCTAssertThrowsError(try f.tensor("nope")) { XCTAssertTrue("\($0)".contains("nope")) }
    }

    // MARK: hostile files

    /// Writes `header` (JSON text, padded) plus `data` bytes; `lengthOverride` replaces the u64 prefix.
    func craft(_ name: String, header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil, padding: Bool = true) -> String {
        var h = Array(header.utf8)
        if padding { while h.count % 8 != 0 { h.append(0x20) } }
        var bytes = [UInt8]()
        withUnsafeBytes(of: (lengthOverride ?? UInt64(h.count)).littleEndian) { bytes += $0 }
        bytes += h + data
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func assertRejected(_ path: String, contains needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensorsFile(path: path), file: file, line: line) { error in
            XCTAssertTrue(error is SafeTensorsError, "\(type(of: error))", file: file, line: line)
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path), "error does not name the file: \(text)", file: file, line: line)
            for n in needles { XCTAssertTrue(text.contains(n), "'\(n)' not in: \(text)", file: file, line: line) }
            print("[hostile] \(text)")
        }
    }

    func testHostileFiles() throws {
        let eight = [UInt8](repeating: 0, count: 8)
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        // Sanity: the well-formed one loads.
        XCTAssertEqual(try SafeTensorsFile(path: craft("ok.safetensors", header: ok, data: eight)).tensor("a").scalars, [0, 0])

        let tiny = dir + "/tiny.safetensors"
        _ = FileManager.default.createFile(atPath: tiny, contents: Data([1, 2, 3]))
        assertRejected(tiny, contains: ["file size", "3 bytes"])
        let empty = dir + "/empty.safetensors"
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        assertRejected(empty, contains: ["file size"])

        // Truncated: a valid file cut inside its data region.
        let full = craft("full.safetensors", header: ok, data: eight)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: full))
        let cut = dir + "/truncated.safetensors"
        _ = FileManager.default.createFile(atPath: cut, contents: bytes.prefix(bytes.count - 3))
        assertRejected(cut, contains: ["tensor a data_offsets", "[0, 8]"])
        let cutHeader = dir + "/truncated-header.safetensors"
        _ = FileManager.default.createFile(atPath: cutHeader, contents: bytes.prefix(20))
        assertRejected(cutHeader, contains: ["header length"])

        assertRejected(craft("hugelen.safetensors", header: ok, data: eight, lengthOverride: 1 << 40), contains: ["header length"])
        assertRejected(craft("maxlen.safetensors", header: ok, data: eight, lengthOverride: UInt64.max), contains: ["header length"])
        assertRejected(craft("past-end.safetensors", header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eight),
                       contains: ["tensor a data_offsets", "[0, 16]"])
        assertRejected(craft("negative.safetensors", header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#, data: eight),
                       contains: ["data_offsets"])
        assertRejected(craft("overlap.safetensors",
                             header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                             data: eight + eight), contains: ["overlapping", "b"])
        assertRejected(craft("x99.safetensors", header: #"{"w":{"dtype":"X99","shape":[1],"data_offsets":[0,8]}}"#, data: eight),
                       contains: ["unsupported dtype X99 for tensor w"])
        // A known integer dtype opens (transformers saves int64 position_ids beside the weights);
        // only loading it as Float32 is refused, naming the tensor.
        let i64 = try SafeTensorsFile(path: craft("i64.safetensors",
            header: #"{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"w":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}"#,
            data: eight + [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]))
        XCTAssertEqual(try i64.info("ids").dtype, .i64)
        XCTAssertThrowsError(try i64.tensor("ids")) { XCTAssertTrue("\($0)".contains("unsupported dtype I64 for tensor ids"), "\($0)") }
        XCTAssertEqual(try i64.tensor("w").scalars, [1.5], "F64 converted to Float32")
        assertRejected(craft("mismatch.safetensors", header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eight),
                       contains: ["tensor a", "shape [3]"])
        assertRejected(craft("hugeshape.safetensors",
                             header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, data: eight),
                       contains: ["tensor a"])
        assertRejected(craft("negshape.safetensors", header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: eight),
                       contains: ["tensor a shape"])
        assertRejected(craft("notjson.safetensors", header: "this is not json at all", data: eight), contains: ["header", "not JSON"])
        assertRejected(craft("array.safetensors", header: "[1,2,3]", data: eight), contains: ["header", "JSON object"])
        assertRejected(craft("badutf8.safetensors", header: "{\"a\u{1}\":1}", data: eight).replacingBytes(), contains: ["UTF-8"])
        assertRejected(craft("metadata.safetensors", header: #"{"__metadata__":{"k":3}}"#), contains: ["__metadata__"])
        assertRejected(craft("nodtype.safetensors", header: #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, data: eight), contains: ["tensor a"])
        assertRejected(dir + "/does-not-exist.safetensors", contains: ["cannot be read"])
    }
}

private extension String {
    /// Replaces the byte after `{"a` with 0xFF so the header is not UTF-8 (test helper).
    func replacingBytes() -> String {
        var d = try! Data(contentsOf: URL(fileURLWithPath: self))
        if let i = d.firstIndex(of: 0x01) { d[i] = 0xFF }
        try! d.write(to: URL(fileURLWithPath: self))
        return self
    }
}
