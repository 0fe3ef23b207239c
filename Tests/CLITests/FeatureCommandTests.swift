// `crosstalk features …` as a user runs it: real speech in, .npy out, checked against the golden
// files of AudioFeaturesTests; every kind of bad input gets one line, a non-zero exit, no output.
import AudioFeatures
import Foundation
import XCTest

final class FeatureCommandTests: XCTestCase {
    static let speech = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
    static let goldens = CLI.packageRoot.appendingPathComponent("Tests/AudioFeaturesTests/Resources")

    func speechClip() throws -> String {
        guard FileManager.default.fileExists(atPath: Self.speech) else {
            throw XCTSkip("skipped: pocketsphinx-testdata not installed (Scripts/setup installs it)")
        }
        return Self.speech
    }

    func testWhisperLogMelOfSpeechMatchesGolden() throws {
        let clip = try speechClip()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("speech.npy").path
        let r = try CLI.run(["features", "logmel", "--preset", "whisper", clip, "-o", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let (shape, data) = try NPY.read(path: out)
        let (gShape, golden) = try NPY.read(path: Self.goldens.appendingPathComponent("whisper_speech.npy").path)
        XCTAssertEqual(shape, [47840 / 160, 80])
        XCTAssertEqual(shape, gShape)
        var worst: Float = 0
        for (a, b) in zip(data, golden) { worst = max(worst, abs(a - b)) }
        print("CLI whisper log-mel vs golden: max |Δ| = \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-4)
    }

    func testEveryPresetAndMFCCWriteTheExpectedShapes() throws {
        let clip = try speechClip()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let n16 = 47840
        let n22 = Int((Double(n16) * 22050 / 16000).rounded(.up))
        let expected: [(args: [String], shape: [Int])] = [
            (["logmel", "--preset", "whisper"], [n16 / 160, 80]),
            (["logmel", "--preset", "librosa"], [1 + n22 / 512, 128]),
            (["logmel", "--preset", "musicnn"], [1 + n16 / 256, 96]),
            (["logmel", "--preset", "kaldi-fbank"], [1 + (n16 - 400) / 160, 80]),
            (["mfcc"], [1 + n22 / 512, 20]),
            (["mfcc", "--n-mfcc", "13", "--preset", "whisper"], [n16 / 160, 13]),
        ]
        for (i, e) in expected.enumerated() {
            let out = dir.appendingPathComponent("f\(i).npy").path
            let r = try CLI.run(["features"] + e.args + [clip, "-o", out])
            XCTAssertEqual(r.status, 0, "\(e.args): \(r.stderr)")
            XCTAssertEqual(try NPY.read(path: out).shape, e.shape, "\(e.args)")
        }
    }

    func testDirectoryAndListInputsWriteOneFilePerClip() throws {
        _ = try speechClip()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let librivox = (Self.speech as NSString).deletingLastPathComponent
        let outDir = dir.appendingPathComponent("feats").path
        let r = try CLI.run(["features", "logmel", "--preset", "musicnn", librivox, "-o", outDir, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let wavs = try FileManager.default.contentsOfDirectory(atPath: librivox).filter { $0.hasSuffix(".wav") }
        let npys = try FileManager.default.contentsOfDirectory(atPath: outDir).filter { $0.hasSuffix(".npy") }
        XCTAssertEqual(Set(npys), Set(wavs.map { ($0 as NSString).deletingPathExtension + ".npy" }))

        let list = dir.appendingPathComponent("clips.txt")
        try (wavs.prefix(2).map { librivox + "/" + $0 }.joined(separator: "\n") + "\n").write(to: list, atomically: true, encoding: .utf8)
        let outDir2 = dir.appendingPathComponent("feats2").path
        let r2 = try CLI.run(["features", "mfcc", list.path, "-o", outDir2])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outDir2).filter { $0.hasSuffix(".npy") }.count, 2)
    }

    // MARK: bad input

    func testMissingFile() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("o.npy").path
        let r = try CLI.run(["features", "logmel", "/nonexistent/clip.wav", "-o", out])
        assertOneLineError(r, contains: ["/nonexistent/clip.wav"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testCorruptAndEmptyAudio() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SystemRandomNumberGenerator()
        let corrupt = dir.appendingPathComponent("corrupt.wav")
        try Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }).write(to: corrupt)
        let out = dir.appendingPathComponent("o.npy").path
        let r = try CLI.run(["features", "logmel", "--preset", "whisper", corrupt.path, "-o", out])
        assertOneLineError(r, contains: ["corrupt.wav"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        let empty = dir.appendingPathComponent("empty.wav").path
        try AudioFile.write([], sampleRate: 16000, to: empty)
        let r2 = try CLI.run(["features", "logmel", "--preset", "whisper", empty, "-o", out])
        assertOneLineError(r2, contains: ["empty.wav"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))

        // A corrupt file among good ones: error names it; no temporary files are left.
        _ = try speechClip()
        let mixed = dir.appendingPathComponent("mixed")
        try FileManager.default.createDirectory(at: mixed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.speech, toPath: mixed.appendingPathComponent("good.wav").path)
        try FileManager.default.copyItem(at: corrupt, to: mixed.appendingPathComponent("bad.wav"))
        let outDir = dir.appendingPathComponent("feats")
        let r3 = try CLI.run(["features", "logmel", mixed.path, "-o", outDir.path])
        assertOneLineError(r3, contains: ["bad.wav"])
        let left = (try? FileManager.default.contentsOfDirectory(atPath: outDir.path)) ?? []
        XCTAssertTrue(left.allSatisfy { $0.hasSuffix(".npy") && !$0.hasPrefix(".") }, "no temporaries: \(left)")
    }

    func testUnknownPreset() throws {
        let r = try CLI.run(["features", "logmel", "--preset", "nosuch", "x.wav", "-o", "/tmp/x.npy"])
        assertOneLineError(r, contains: ["nosuch", "whisper", "kaldi-fbank"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/x.npy"))
    }
}
