// Q4_0 dequantisation on hand-made blocks (nibble order, negative scale, q = 0 and 15, a
// partial last block) and binary16 conversion, including subnormals.

import XCTest
@testable import Models

final class Q4_0Tests: XCTestCase {
    /// One block: scale bits `d`, byte j = lo[j] | hi[j] << 4.
    func block(d: UInt16, lo: [UInt8], hi: [UInt8]) -> [UInt8] {
        [UInt8(d & 0xFF), UInt8(d >> 8)] + (0..<16).map { lo[$0] | hi[$0] << 4 }
    }

    func testNibbleOrderAndScale() throws {
        let lo = (0..<16).map { UInt8($0) }            // weights 0..15: q = j
        let hi = (0..<16).map { UInt8(15 - $0) }       // weights 16..31: q = 15 - j
        let values = try Q4_0.dequantize(block(d: 0x3800, lo: lo, hi: hi), count: 32)  // d = 0.5
        XCTAssertEqual(Array(values[0..<16]), (0..<16).map { Float($0 - 8) * 0.5 })
        XCTAssertEqual(Array(values[16..<32]), (0..<16).map { Float(7 - $0) * 0.5 })
        XCTAssertEqual(values[0], -4)   // q = 0 → -8·d
        XCTAssertEqual(values[15], 3.5) // q = 15 → 7·d
    }

    func testNegativeScale() throws {
        let b = block(d: 0xC000, lo: [UInt8](repeating: 0, count: 16), hi: [UInt8](repeating: 15, count: 16))  // d = -2
        let values = try Q4_0.dequantize(b, count: 32)
        XCTAssertEqual(Array(values[0..<16]), [Float](repeating: 16, count: 16))   // (0 - 8)·(-2)
        XCTAssertEqual(Array(values[16..<32]), [Float](repeating: -14, count: 16)) // (15 - 8)·(-2)
    }

    func testPartialLastBlockAndCountCheck() throws {
        let full = block(d: 0x3C00, lo: [UInt8](repeating: 9, count: 16), hi: [UInt8](repeating: 10, count: 16))  // d = 1
        let values = try Q4_0.dequantize(full + full, count: 40)
        XCTAssertEqual(values.count, 40)
        XCTAssertEqual(values[32..<40].map { $0 }, [Float](repeating: 1, count: 8))
        XCTAssertThrowsError(try Q4_0.dequantize(full, count: 33)) { error in
            XCTAssertTrue("\(error)".contains("18 bytes for 33 elements"), "\(error)")
        }
        XCTAssertThrowsError(try Q4_0.dequantize(full + [0], count: 32))
        XCTAssertEqual(Q4_0.byteCount(elements: 0), 0)
        XCTAssertEqual(Q4_0.byteCount(elements: 1), 18)
    }

    func testHalfToFloat() {
        XCTAssertEqual(Q4_0.float(fromHalf: 0x3C00), 1)
        XCTAssertEqual(Q4_0.float(fromHalf: 0xC000), -2)
        XCTAssertEqual(Q4_0.float(fromHalf: 0x7BFF), 65504)
        XCTAssertEqual(Q4_0.float(fromHalf: 0x0001), 0x1p-24)           // smallest subnormal
        XCTAssertEqual(Q4_0.float(fromHalf: 0x03FF), 1023 * 0x1p-24)    // largest subnormal
        XCTAssertEqual(Q4_0.float(fromHalf: 0x8000).sign, .minus)
        XCTAssertEqual(Q4_0.float(fromHalf: 0x7C00), .infinity)
        XCTAssertTrue(Q4_0.float(fromHalf: 0x7E00).isNaN)
        XCTAssertEqual(Q4_0.float(fromHalf: 0x3555), 0.333251953125)
    }
}
