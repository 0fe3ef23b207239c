// SHA-256 against the FIPS 180-4 / NIST example vectors, chunked updates and file hashing.

import Foundation
import XCTest
@testable import Models

final class SHA256Tests: XCTestCase {
    func testNISTVectors() {
        XCTAssertEqual(SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testChunkedUpdatesMatchOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [1, 55, 56, 63, 64, 65, 128, 999] {
            var h = SHA256()
            h.update(Array(bytes[..<split]))
            h.update(Array(bytes[split...]))
            XCTAssertEqual(h.finalizeHex(), SHA256.hex(bytes), "split at \(split)")
        }
    }

    func testFileHashStreamsAcrossChunks() throws {
        let dir = try temporaryDirectory("sha")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.bin"
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000) + [UInt8](repeating: 1, count: (1 << 20) + 3)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try SHA256.hex(fileAt: path), SHA256.hex(bytes))
        XCTAssertThrowsError(try SHA256.hex(fileAt: dir + "/missing")) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
    }
}
