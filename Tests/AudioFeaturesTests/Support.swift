// Shared helpers for AudioFeaturesTests: golden loading (Scripts/golden/gen_audio_golden.py writes
// Resources/*.npy), the real-speech clip from Debian's pocketsphinx-testdata, temp dirs, and a
// max-|Δ| comparison that reports the largest difference and where.

import AudioFeatures
import Foundation
import XCTest

let speechPath = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"

func resourcePath(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    guard let url = Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources") else {
        XCTFail("missing golden Resources/\(name).npy (run Scripts/golden/gen_audio_golden.py)", file: file, line: line)
        throw XCTSkip("missing golden")
    }
    return url.path
}

/// A golden array as FeatureMatrix ([rows, cols]; 1-D arrays become [n, 1]).
func golden(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> FeatureMatrix {
    let (shape, data) = try NPY.read(path: try resourcePath(name, file: file, line: line))
    let rows = shape.first ?? 1, cols = shape.count > 1 ? shape[1] : 1
    return FeatureMatrix(rows: rows, cols: cols, data: data)
}

/// A golden 16 kHz input signal, or the speech clip (skipping when pocketsphinx-testdata is absent).
func input(_ name: String) throws -> [Float] {
    if name == "speech" {
        guard FileManager.default.fileExists(atPath: speechPath) else {
            throw XCTSkip("skipped: pocketsphinx-testdata not installed")
        }
        let audio = try AudioFile.read(path: speechPath)
        XCTAssertEqual(audio.sampleRate, 16000)
        return audio.samples
    }
    return try golden("input_" + name).data
}

let inputNames = ["silence", "sine440", "chirp", "speech"]

/// Asserts equal shapes and max|a − b| ≤ tol; prints the measured maximum and its (row, col).
@discardableResult
func assertClose(_ got: FeatureMatrix, _ want: FeatureMatrix, tol: Float, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) -> Float {
    XCTAssertEqual(got.rows, want.rows, "\(label): frame count", file: file, line: line)
    XCTAssertEqual(got.cols, want.cols, "\(label): column count", file: file, line: line)
    guard got.rows == want.rows, got.cols == want.cols else { return .infinity }
    var worst: Float = 0, at = 0
    for i in 0..<got.data.count {
        let d = abs(got.data[i] - want.data[i])
        if !(d <= worst) { worst = d; at = i }  // NaN counts as worst
    }
    let cols = max(1, got.cols)
    print("[parity] \(label): max|Δ| = \(worst) at (\(at / cols), \(at % cols)), tol \(tol), shape [\(got.rows), \(got.cols)]")
    XCTAssertLessThanOrEqual(worst, tol, "\(label): max|Δ| \(worst) at (\(at / cols), \(at % cols)): got \(got.data.isEmpty ? 0 : got.data[at]), want \(want.data.isEmpty ? 0 : want.data[at])",
                             file: file, line: line)
    return worst
}

/// A fresh directory under the system temp dir, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audiofeatures-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}
