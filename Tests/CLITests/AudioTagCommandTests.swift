// `crosstalk tag-audio` as a user runs it: LibriVox clips in, tags on stdout and .npy embeddings /
// probabilities out, checked end to end (our log-mel + network) against TensorFlow running musicnn
// 0.1.0 on librosa's log-mel (Tests/ModelsTests/Resources/musicnn_golden.json); short audio is
// repeat-padded; bad input gets one line, a non-zero exit and no output files.
import AudioFeatures
import Foundation
import XCTest

final class AudioTagCommandTests: XCTestCase {
    static let golden = CLI.packageRoot.appendingPathComponent("Tests/ModelsTests/Resources/musicnn_golden.json")

    struct Golden: Decodable {
        struct Clip: Decodable { let path: String; let patches: Int; let mean_probabilities: [Float]; let mean_penultimate: [Float] }
        let clips: [Clip]
    }

    func requireModel() throws { try CLI.requireModel("musicnn-mtt", hint: "crosstalk models install musicnn-mtt") }

    /// A mono PCM16 WAV of `seconds` of a 440 Hz tone at 16 kHz.
    func writeTone(_ path: String, seconds: Double) throws {
        let n = Int(seconds * 16000)
        var b = [UInt8]()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        b += Array("RIFF".utf8); u32(UInt32(36 + 2 * n)); b += Array("WAVEfmt ".utf8)
        u32(16); u16(1); u16(1); u32(16000); u32(32000); u16(2); u16(16)
        b += Array("data".utf8); u32(UInt32(2 * n))
        for i in 0..<n { u16(UInt16(bitPattern: Int16(8000 * sin(2 * Double.pi * 440 * Double(i) / 16000)))) }
        try Data(b).write(to: URL(fileURLWithPath: path))
    }

    func testTagsAndEmbeddingsMatchTensorFlowEndToEnd() throws {
        try requireModel()
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.golden))
        guard golden.clips.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) else {
            throw XCTSkip("skipped: pocketsphinx-testdata not installed (Scripts/setup installs it)")
        }
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let emb = dir.appendingPathComponent("emb.npy").path, probs = dir.appendingPathComponent("probs.npy").path
        let r = try CLI.run(["tag-audio"] + golden.clips.map(\.path) + ["--top", "3", "--embeddings", emb, "--taggram", probs, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdoutText.split(separator: "\n")
        XCTAssertEqual(lines.count, golden.clips.count)
        for (line, clip) in zip(lines, golden.clips) {
            let fields = line.split(separator: "\t")
            XCTAssertEqual(fields.count, 4, String(line))
            XCTAssertEqual(String(fields[0]), clip.path)
        }
        let (es, e) = try NPY.read(path: emb)
        let (ps, p) = try NPY.read(path: probs)
        XCTAssertEqual(es, [golden.clips.count, 200])
        XCTAssertEqual(ps, [golden.clips.count, 50])
        var worstP: Float = 0, worstE: Float = 0
        for (i, clip) in golden.clips.enumerated() {
            for j in 0..<50 { worstP = max(worstP, abs(p[i * 50 + j] - clip.mean_probabilities[j])) }
            for j in 0..<200 { worstE = max(worstE, abs(e[i * 200 + j] - clip.mean_penultimate[j])) }
        }
        print("[parity] tag-audio end to end vs TensorFlow + librosa: probabilities max |Δ| = \(worstP), penultimate max |Δ| = \(worstE)")
        XCTAssertLessThanOrEqual(worstP, 1e-4)
        XCTAssertLessThanOrEqual(worstE, 1e-4)
    }

    func testShortAudioIsRepeatPadded() throws {
        try requireModel()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wav = dir.appendingPathComponent("tone.wav").path
        try writeTone(wav, seconds: 0.5)
        let r = try CLI.run(["tag-audio", wav, "--top", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("repeat-padded"), r.stderr)
        XCTAssertTrue(r.stdoutText.hasPrefix(wav + "\t"), r.stdoutText)
    }

    func testBadInputIsOneLineAndWritesNothing() throws {
        try requireModel()
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("tone.wav").path
        try writeTone(good, seconds: 3.5)
        let corrupt = dir.appendingPathComponent("corrupt.wav").path
        try Data("RIFF not really a wave file".utf8).write(to: URL(fileURLWithPath: corrupt))
        let emb = dir.appendingPathComponent("emb.npy").path

        var r = try CLI.run(["tag-audio", good, corrupt, "--embeddings", emb])
        assertOneLineError(r, contains: ["corrupt.wav"])
        XCTAssertTrue(r.stdout.isEmpty, r.stdoutText)
        XCTAssertFalse(FileManager.default.fileExists(atPath: emb))

        r = try CLI.run(["tag-audio", good, "--model", "musicnn-xyz"])
        assertOneLineError(r, contains: ["musicnn-xyz", "musicnn-mtt"])
        r = try CLI.run(["tag-audio", good, "--model", dir.path])
        assertOneLineError(r, contains: ["config.json"])
        r = try CLI.run(["tag-audio", dir.appendingPathComponent("missing.wav").path])
        assertOneLineError(r, contains: ["missing.wav"])
        r = try CLI.run(["tag-audio", good, "--top", "0"])
        XCTAssertNotEqual(r.status, 0)
    }

    /// `features stats` rows equal numpy-style mean / std (ddof 0) of the matrices `features logmel`
    /// and `features mfcc` write for the same files.
    func testFeatureStatsAreMeanAndStdOfTheFrames() throws {
        let clips = ["0870", "0880"].map { "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-\($0).wav" }
        guard clips.allSatisfy({ FileManager.default.fileExists(atPath: $0) }) else {
            throw XCTSkip("skipped: pocketsphinx-testdata not installed (Scripts/setup installs it)")
        }
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (kind, verb, width) in [("logmel", ["logmel", "--preset", "musicnn"], 96), ("mfcc", ["mfcc"], 20)] {
            let stats = dir.appendingPathComponent("\(kind).npy").path
            let r = try CLI.run(["features", "stats", "--kind", kind] + clips + ["-o", stats])
            XCTAssertEqual(r.status, 0, r.stderr)
            let (shape, data) = try NPY.read(path: stats)
            XCTAssertEqual(shape, [2, 2 * width])
            for (i, clip) in clips.enumerated() {
                let frames = dir.appendingPathComponent("\(kind)-\(i).npy").path
                XCTAssertEqual(try CLI.run(["features"] + verb + [clip, "-o", frames]).status, 0)
                let (fs, f) = try NPY.read(path: frames)
                XCTAssertEqual(fs[1], width)
                for c in 0..<width {
                    let column = (0..<fs[0]).map { Double(f[$0 * width + c]) }
                    let mean = column.reduce(0, +) / Double(fs[0])
                    let std = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(fs[0])).squareRoot()
                    XCTAssertEqual(Double(data[i * 2 * width + c]), mean, accuracy: 1e-4 * max(1, abs(mean)), "\(kind) mean \(c)")
                    XCTAssertEqual(Double(data[i * 2 * width + width + c]), std, accuracy: 1e-4 * max(1, std), "\(kind) std \(c)")
                }
            }
        }
        let r = try CLI.run(["features", "stats", "--kind", "mfcc", "--n-mfcc", "200", clips[0], "-o", dir.appendingPathComponent("x.npy").path])
        assertOneLineError(r, contains: ["--n-mfcc 200"])
    }
}
