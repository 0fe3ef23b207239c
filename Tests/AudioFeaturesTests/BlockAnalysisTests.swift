// The block-parallel file path (BlockAnalysis.swift) must give exactly what decoding the whole
// file and analysing it in memory gives: same frames, same bits, for every preset it serves,
// several blocks long, mono and stereo, PCM16 (its own int→float path) and float and FLAC.
import AudioFeatures
import Foundation
import XCTest

final class BlockAnalysisTests: XCTestCase {
    /// 100 s of a seeded test signal (tones + noise): 10,000 Whisper frames, three blocks.
    func signal(seconds: Double, rate: Int, channels: Int) -> [Float] {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        let n = Int(seconds * Double(rate))
        var x = [Float](repeating: 0, count: n * channels)
        for i in 0..<n {
            for c in 0..<channels {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let noise = Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
                let t = Float(i) / Float(rate)
                x[i * channels + c] = 0.3 * sinf(2 * .pi * Float(300 + 200 * c) * t) + 0.05 * noise
            }
        }
        return x
    }

    func testFileBlocksEqualWholeSignal() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [(LogMelPreset, Int, AudioFile.Format, Int)] = [
            (.whisper, 1, .wavPCM16, 16000), (.whisper, 1, .wavFloat32, 16000), (.whisper, 2, .flacPCM16, 16000),
            (.musicnn, 1, .wavPCM16, 16000), (.librosa, 1, .wavFloat32, 22050),
            (.whisper, 1, .wavPCM16, 22050),  // another rate: the whole-signal path (resampled)
        ]
        for (preset, channels, format, rate) in cases {
            let path = dir + "/x-\(preset.rawValue)-\(channels)-\(format.rawValue)-\(rate)"
            try AudioFile.write(signal(seconds: 100, rate: rate, channels: channels), sampleRate: rate, channels: channels,
                                to: path, format: format)
            for threads in preset == .whisper && format == .wavPCM16 && rate == 16000 ? [1, 2] : [2] {
                let extractor = LogMelExtractor(preset: preset, threads: threads)
                let fromFile = try extractor.compute(path: path)
                let audio = try AudioFile.read(path: path)
                let inMemory = try extractor.compute(samples: audio.samples, sampleRate: audio.sampleRate)
                XCTAssertGreaterThan(fromFile.rows, 4096, "more than one block")
                XCTAssertEqual(fromFile.rows, inMemory.rows, "\(path)")
                XCTAssertEqual(fromFile.cols, inMemory.cols)
                XCTAssertTrue(fromFile.data == inMemory.data, "\(path), \(threads) threads: bits differ")
            }
        }
    }

    func testTruncatedFileIsAnErrorNotACrash() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trunc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/cut.wav"
        try AudioFile.write(signal(seconds: 60, rate: 16000, channels: 1), sampleRate: 16000, to: path, format: .wavPCM16)
        // Cut the data in half; the header still promises 60 s.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        let extractor = LogMelExtractor(preset: .whisper, threads: 2)
        do {
            let m = try extractor.compute(path: path)
            // libsndfile may instead report the shorter length; then the frames must match it.
            let audio = try AudioFile.read(path: path)
            XCTAssertEqual(m.rows, audio.samples.count / 160)
        } catch let error as AudioError {
            XCTAssertTrue(error.description.contains("cut.wav"), error.description)
        }
    }
}
