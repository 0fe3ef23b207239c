// The vectorised log used by every log stage agrees with libm across the range the presets feed it.

@testable import AudioFeatures
import Foundation
import XCTest

final class FastLogTests: XCTestCase {
    func testMatchesLibmOverPositiveNormals() {
        // 1e-30 ... 1e30 log-spaced, plus values near 1 and √2 (the mantissa fold).
        var x = (0..<6001).map { Float(pow(10.0, -30.0 + Double($0) / 100.0)) }
        x += (0..<1000).map { 1 + Float($0 - 500) * 1e-5 } + (0..<1000).map { 1.414_213_5 + Float($0 - 500) * 1e-6 }
        var y = x
        y.withUnsafeMutableBufferPointer { FastLog.log($0.baseAddress!, count: $0.count, scale: 1) }
        var worst = 0.0
        for (a, b) in zip(x, y) {
            worst = max(worst, abs(Double(b) - Foundation.log(Double(a))) / max(1, abs(Foundation.log(Double(a)))))
        }
        print("[fastlog] max |ln error| / max(1, |ln x|) = \(worst)")
        XCTAssertLessThan(worst, 3e-7)  // ~2.5 float ulps
    }
}
