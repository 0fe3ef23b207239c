// Decoding through libsndfile: formats written by libsndfile itself read back, mono mixdown is the
// channel mean, and bad input (missing, corrupt, empty) raises an AudioError naming the file.

import AudioFeatures
import Foundation
import XCTest

final class DecodeTests: XCTestCase {
    let tone: [Float] = (0..<8000).map { Float(0.25 * sin(2 * Double.pi * 330 * Double($0) / 16000)) }

    func testFormatsRoundTrip() throws {
        let dir = try temporaryDirectory(self)
        // PCM16 quantises to 1/32768; Vorbis is lossy (psychoacoustic), so only the level is checked.
        let cases: [(AudioFile.Format, String, Float)] = [
            (.wavFloat32, "wav", 0), (.wavPCM16, "wav", 1.0 / 32768), (.flacPCM16, "flac", 1.0 / 32768),
            (.aiffPCM16, "aiff", 1.0 / 32768), (.oggVorbis, "ogg", .infinity),
        ]
        for (format, ext, tol) in cases {
            let path = "\(dir)/tone-\(format.rawValue).\(ext)"
            try AudioFile.write(tone, sampleRate: 16000, to: path, format: format)
            let audio = try AudioFile.read(path: path)
            XCTAssertEqual(audio.sampleRate, 16000, "\(format)")
            XCTAssertEqual(audio.channels, 1, "\(format)")
            XCTAssertEqual(audio.frames, tone.count, "\(format)")
            XCTAssertEqual(audio.samples.count, tone.count, "\(format)")
            if tol.isFinite {
                let d = zip(audio.samples, tone).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(d, tol, "\(format)")
            } else {
                let rms = { (v: [Float]) in (v.map { $0 * $0 }.reduce(0, +) / Float(v.count)).squareRoot() }
                XCTAssertEqual(rms(audio.samples), rms(tone), accuracy: 0.02, "\(format) level")
            }
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".") }
        XCTAssertEqual(left, [], "no temporary files left behind")
    }

    func testStereoMixesDownToChannelMean() throws {
        let dir = try temporaryDirectory(self)
        let frames = 1000
        var interleaved = [Float]()
        for t in 0..<frames { interleaved += [Float(t % 7) * 0.1, -Float(t % 3) * 0.05] }
        let path = "\(dir)/stereo.wav"
        try AudioFile.write(interleaved, sampleRate: 22050, channels: 2, to: path, format: .wavFloat32)
        let audio = try AudioFile.read(path: path)
        XCTAssertEqual(audio.channels, 2)
        XCTAssertEqual(audio.frames, frames)
        XCTAssertEqual(audio.sampleRate, 22050)
        for t in 0..<frames {
            XCTAssertEqual(audio.samples[t], (interleaved[2 * t] + interleaved[2 * t + 1]) / 2, accuracy: 1e-7)
        }
        // Through the extractor: read(path:targetRate:) resamples 22050 → 16000 as librosa.load.
        let resampled = try AudioFile.read(path: path, targetRate: 16000)
        XCTAssertEqual(resampled.frames, Resampler.outputLength(frames, from: 22050, to: 16000))
    }

    func testMissingFileNamesTheFile() {
        XCTAssertThrowsError(try AudioFile.read(path: "/nonexistent/x.wav")) { e in
            XCTAssertEqual(e as? AudioError, .fileNotFound(path: "/nonexistent/x.wav"))
            XCTAssertEqual("\(e)", "/nonexistent/x.wav: no such file (expected a readable audio file)")
        }
        XCTAssertThrowsError(try LogMelExtractor(preset: .whisper).compute(path: "/nonexistent/x.wav")) { e in
            XCTAssertTrue("\(e)".hasPrefix("/nonexistent/x.wav: "), "\(e)")
        }
    }

    func testCorruptFileIsUnreadable() throws {
        let dir = try temporaryDirectory(self)
        let path = "\(dir)/x.wav"
        var g = SplitMix(seed: 7)
        let junk = Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: g.next()) })
        try junk.write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try AudioFile.read(path: path)) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("\(path): not a readable audio file (libsndfile: "), text)
            XCTAssertFalse(text.contains("\n"))
            print("[decode] corrupt file error: \(text)")
        }
    }

    func testEmptyWavHasNoSamples() throws {
        let dir = try temporaryDirectory(self)
        let path = "\(dir)/empty.wav"
        try AudioFile.write([], sampleRate: 16000, to: path, format: .wavPCM16)
        XCTAssertThrowsError(try AudioFile.read(path: path)) { e in
            XCTAssertEqual("\(e)", "\(path): contains no samples (expected at least one frame)")
        }
        XCTAssertThrowsError(try LogMelExtractor(preset: .kaldiFbank).compute(samples: [], sampleRate: 16000)) { e in
            XCTAssertEqual(e as? AudioError, .noSamples(path: "<samples>"))
        }
    }
}

/// Deterministic bytes for the corrupt-file test (SystemRandomNumberGenerator is a syscall per value).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
