// .npy I/O: numpy-written goldens read back (the format python reads is the one we write), round
// trip, header layout, clear errors for non-npy input, and no partial file when a write fails.

import AudioFeatures
import Foundation
import XCTest

final class NPYTests: XCTestCase {
    func testReadsNumpyWrittenFile() throws {
        let (shape, data) = try NPY.read(path: try resourcePath("melbank_whisper"))
        XCTAssertEqual(shape, [80, 201])
        XCTAssertEqual(data.count, 80 * 201)
        let (s1, d1) = try NPY.read(path: try resourcePath("input_sine440"))
        XCTAssertEqual(s1, [16000])
        XCTAssertEqual(d1[0], 0)
    }

    func testRoundTripAndHeaderLayout() throws {
        let dir = try temporaryDirectory(self)
        let m = FeatureMatrix(rows: 3, cols: 5, data: (0..<15).map { Float($0) * 0.5 - 3 })
        let path = "\(dir)/m.npy"
        try NPY.write(m, to: path)
        let (shape, data) = try NPY.read(path: path)
        XCTAssertEqual(shape, [3, 5])
        XCTAssertEqual(data, m.data)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLen) % 64, 0, "header padded to 64 bytes")
        XCTAssertEqual(bytes[10 + headerLen - 1], UInt8(ascii: "\n"))
        XCTAssertEqual(bytes.count, 10 + headerLen + 15 * 4)
        let header = String(decoding: bytes[10..<10 + headerLen], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 5), }"), header)
    }

    func testReadsFloat64() throws {
        // numpy.save(np.arange(3, dtype='<f8')), header as numpy writes it.
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
        header += String(repeating: " ", count: 128 - 10 - header.utf8.count - 1) + "\n"
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        for v in [0.0, 1.5, -2.25] { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        let (shape, data) = try NPY.decode(bytes)
        XCTAssertEqual(shape, [3])
        XCTAssertEqual(data, [0, 1.5, -2.25])
    }

    func testNonNPYIsAClearError() throws {
        let dir = try temporaryDirectory(self)
        let path = "\(dir)/not.npy"
        try Data("hello, world".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try NPY.read(path: path)) { e in
            XCTAssertEqual("\(e)", "\(path): not a supported .npy file (missing the \\x93NUMPY magic; expected a numpy .npy file)")
        }
        XCTAssertThrowsError(try NPY.read(path: "\(dir)/missing.npy")) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(dir)/missing.npy: not a supported .npy file (cannot open"), "\(e)")
        }
    }

    func testFailedWriteLeavesNoPartialFile() throws {
        let dir = try temporaryDirectory(self)
        let m = FeatureMatrix(rows: 2, cols: 2, data: [1, 2, 3, 4])
        // Destination is an existing non-empty directory: the rename fails after the data is written.
        let target = "\(dir)/out.npy"
        try FileManager.default.createDirectory(atPath: target + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try NPY.write(m, to: target)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(target): could not be written (rename: "), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.npy"], "temporary removed")
        // Missing directory: nothing is created anywhere.
        XCTAssertThrowsError(try NPY.write(m, to: "\(dir)/no/such/dir/out.npy"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/no"))
        // Overwriting an existing file replaces it whole.
        let ok = "\(dir)/ok.npy"
        try NPY.write(FeatureMatrix(rows: 1, cols: 1, data: [9]), to: ok)
        try NPY.write(m, to: ok)
        XCTAssertEqual(try NPY.read(path: ok).data, [1, 2, 3, 4])
    }
}
