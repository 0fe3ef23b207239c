// Resampler parity with python-soxr `soxr.resample(x, 16000, to, 'HQ')` (what librosa's
// res_type='soxr_hq' calls) on a 100→7900 Hz log sweep, and librosa.resample's length rule.

import AudioFeatures
import Foundation
import XCTest

final class ResamplerTests: XCTestCase {
    /// python-soxr bundles its own libsoxr build, so bit equality is not promised; measured on
    /// Debian's libsoxr 0.1.3 against python-soxr 1.1.0: max|Δ| = 0 at both rates. Bound 1e-5 on a
    /// 0.5-amplitude sweep allows another build's SIMD path (float32 filter arithmetic).
    func testMatchesPythonSoxrHQ() throws {
        let x = try golden("resample_input_sweep").data
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            Bundle.module.url(forResource: "MANIFEST", withExtension: "json", subdirectory: "Resources")!.path))) as! [String: Any]
        let files = manifest["files"] as! [String: [String: Any]]
        for to in [22050, 8000] {
            let want = try golden("resample_sweep_\(to)")
            let got = try Resampler.resample(x, from: 16000, to: to, quality: .hq)
            let librosaLength = files["resample_sweep_\(to).npy"]!["librosa_length"] as! Int
            XCTAssertEqual(got.count, librosaLength, "length must follow librosa.resample (ceil(n·to/from))")
            XCTAssertEqual(got.count, Resampler.outputLength(x.count, from: 16000, to: to))
            assertClose(FeatureMatrix(rows: got.count, cols: 1, data: got), want, tol: 1e-5, "soxr HQ 16000->\(to)")
        }
    }

    func testLengthRuleForAwkwardSizes() throws {
        for n in [1, 2, 3, 999, 1001, 16001] {
            let x = (0..<n).map { Float(sin(Double($0) * 0.01)) }
            let y = try Resampler.resample(x, from: 16000, to: 22050)
            XCTAssertEqual(y.count, Int((Double(n) * (22050.0 / 16000.0)).rounded(.up)), "n=\(n)")
            XCTAssertEqual(try Resampler.resample(x, from: 44100, to: 16000, quality: .vhq).count,
                           Int((Double(n) * (16000.0 / 44100.0)).rounded(.up)), "n=\(n) vhq")
        }
        XCTAssertEqual(try Resampler.resample([1, 2, 3], from: 16000, to: 16000), [1, 2, 3])
    }

    func testInvalidRateThrows() {
        XCTAssertThrowsError(try Resampler.resample([1, 2], from: 0, to: 16000)) { e in
            XCTAssertEqual("\(e)", "<samples>: sample rate 0 Hz is invalid (expected a positive integer)")
        }
    }
}
