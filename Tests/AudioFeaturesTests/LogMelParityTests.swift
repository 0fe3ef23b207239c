// Log-mel parity against Scripts/golden/gen_audio_golden.py, stage by stage: STFT power, filter
// banks, then each preset on silence, a 440 Hz sine, a chirp and real speech, with exact frame
// counts. Tolerances are measured, not guessed; each is justified where it is declared.

import AudioFeatures
import XCTest

final class LogMelParityTests: XCTestCase {
    // MARK: stages

    func testSTFTPowerOfSineMatchesLibrosa() throws {
        let x = try input("sine440")
        let stft = STFT(nFFT: 400, hop: 160, window: .hann, center: true, padMode: .reflect)
        let got = stft.power(x)
        XCTAssertEqual(got.rows, 1 + x.count / 160)
        // Peak power ≈ (0.5·200/2)² ≈ 2500; float32 FFT vs numpy's float32 pocketfft: relative 1e-6.
        let want = try golden("stft_power_sine440")
        let peak = want.data.max() ?? 1
        assertClose(got, want, tol: 1e-6 * peak, "stft power sine440 (peak \(peak))")
    }

    func testWhisperFilterBankMatchesLibrosa() throws {
        let bank = MelFilterBank(sampleRate: 16000, nFFT: 400, nMels: 80)
        assertClose(FeatureMatrix(rows: 80, cols: 201, data: bank.weights), try golden("melbank_whisper"),
                    tol: 1e-6, "mel bank whisper 80x201")
    }

    func testHTKFilterBankMatchesLibrosa() throws {
        let bank = MelFilterBank(sampleRate: 22050, nFFT: 2048, nMels: 40, fMin: 30, fMax: 8000,
                                 scale: .htk, norm: .none)
        assertClose(FeatureMatrix(rows: 40, cols: 1025, data: bank.weights), try golden("melbank_htk"),
                    tol: 1e-6, "mel bank htk 40x1025")
    }

    func testKaldiFilterBankMatchesTorchaudioLayout() throws {
        let bank = MelFilterBank.kaldi()
        XCTAssertEqual(bank.weights[256], 0, "Nyquist bin must have zero weight")
        assertClose(FeatureMatrix(rows: 80, cols: 257, data: bank.weights), try golden("melbank_kaldi"),
                    tol: 1e-6, "mel bank kaldi 80x257")
    }

    func testSparseApplyEqualsDenseProduct() throws {
        let bank = MelFilterBank(sampleRate: 16000, nFFT: 400, nMels: 80)
        let power = STFT(nFFT: 400, hop: 160, padMode: .reflect).power(try input("chirp"))
        let sparse = bank.apply(power)
        var dense = FeatureMatrix(rows: power.rows, cols: 80)
        for t in 0..<power.rows {
            for m in 0..<80 {
                var s: Double = 0
                for k in 0..<201 { s += Double(bank.weights[m * 201 + k]) * Double(power[t, k]) }
                dense[t, m] = Float(s)
            }
        }
        let peak = dense.data.max() ?? 1
        assertClose(sparse, dense, tol: 1e-5 * peak, "sparse vs dense mel product")
    }

    // MARK: presets

    /// openai-whisper audio.py; reference in float64. Measured ≤ 4.4e-5 (chirp): bands near the
    /// max − 8 clamp are 80 dB below the peak, where a float32 FFT's error (relative to the peak
    /// amplitude) is ~4e-4 of the band's energy, 1.7e-4 in log10, 4.4e-5 after /4. Bound 1e-4.
    func testWhisperPreset() throws {
        try checkPreset(.whisper, golden: "whisper", tol: 1e-4)
    }

    /// librosa melspectrogram + power_to_db after soxr HQ to 22050 Hz, in dB. The resampled signal
    /// matches python-soxr exactly here (ResamplerTests), so what remains is FFTW float32 vs numpy's
    /// float32 pocketfft: their error is relative to the frame's peak amplitude, so bands near the
    /// −80 dB floor move most. Measured ≤ 8.2e-4 dB (chirp); 5e-3 dB leaves a 6× margin.
    func testLibrosaPreset() throws {
        try checkPreset(.librosa, golden: "librosa", tol: 5e-3)
    }

    /// musicnn: log10(10000·S + 1); float32 FFT (ours) vs numpy pocketfft (float32 in librosa).
    /// Measured ≤ 6.3e-6; the +1 keeps quiet bands away from the log's steep part.
    func testMusicnnPreset() throws {
        try checkPreset(.musicnn, golden: "musicnn", tol: 1e-4)
    }

    /// torchaudio kaldi.fbank, reference in float64. Natural-log energies of ×32768 samples with no
    /// clamp near the peak (only FLT_EPSILON). A float32 FFT's error is ~1e-7 of the frame's peak
    /// *amplitude*, so a band whose energy is e^(−d) of the clip's peak carries a relative error of
    /// ~c·e^(d/2): measured c ≤ 8e-8 (sine band 21.6 nats down: 1.3e-3; tone-free chirp bands 29
    /// nats down, on float32 noise: 0.17-0.26; speech ≤ 4.8e-4). Bound: |Δ| ≤ 1e-4 + 2e-7·e^((max −
    /// want)/2), i.e. ~1e-4 for loud bands, 1.7e-3 at 18 nats (78 dB) down (worst ratio 0.41 on the
    /// chirp). torchaudio's own float32 fbank departs from a float64 one in the same way.
    func testKaldiFbankPreset() throws {
        try checkPreset(.kaldiFbank, golden: "kaldi", tol: 1e-4, amplitudeRelative: 2e-7)
    }

    func testMFCCMatchesLibrosa() throws {
        let mfcc = MFCCExtractor()
        for name in ["chirp", "speech"] {
            let x = try input(name)
            let got = try mfcc.compute(samples: x, sampleRate: 16000)
            // DCT of the librosa preset's dB values (measured ≤ 8.2e-4 dB): measured ≤ 1.4e-4.
            assertClose(got, try golden("mfcc_" + name), tol: 1e-3, "mfcc \(name)")
        }
    }

    func testFrameCountsFollowReferences() {
        for n in [1, 159, 160, 161, 400, 401, 16000, 47_840] {
            XCTAssertEqual(LogMelExtractor(preset: .whisper).frameCount(samples: n), n / 160, "whisper n=\(n)")
            XCTAssertEqual(LogMelExtractor(preset: .musicnn).frameCount(samples: n), 1 + n / 256, "musicnn n=\(n)")
            XCTAssertEqual(LogMelExtractor(preset: .librosa).frameCount(samples: n), 1 + n / 512, "librosa n=\(n)")
            XCTAssertEqual(LogMelExtractor(preset: .kaldiFbank).frameCount(samples: n),
                           n >= 400 ? 1 + (n - 400) / 160 : 0, "kaldi n=\(n)")
        }
    }

    func testPathEqualsSamplesAndSharedExtractorIsThreadSafe() throws {
        guard FileManager.default.fileExists(atPath: speechPath) else {
            throw XCTSkip("skipped: pocketsphinx-testdata not installed")
        }
        for preset in LogMelPreset.allCases {
            let ex = LogMelExtractor(preset: preset)
            let reference = try ex.compute(path: speechPath)
            let x = try AudioFile.read(path: speechPath).samples
            XCTAssertEqual(try ex.compute(samples: x, sampleRate: 16000), reference, "\(preset) path vs samples")
            let results = UnsafeMutableBufferPointer<FeatureMatrix?>.allocate(capacity: 8)
            results.initialize(repeating: nil)
            defer { results.deallocate() }
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                results[i] = try? ex.compute(samples: x, sampleRate: 16000)
            }
            for i in 0..<8 { XCTAssertEqual(results[i], reference, "\(preset) thread \(i)") }
        }
    }

    func testSplittingFramesAcrossThreadsChangesNothing() throws {
        let chirp = try input("chirp")
        let x = Array((0..<12).map { _ in chirp }.joined())  // 12 s: enough frames for 2+ slices
        for preset in LogMelPreset.allCases {
            let one = try LogMelExtractor(preset: preset, threads: 1).compute(samples: x, sampleRate: 16000)
            let four = try LogMelExtractor(preset: preset, threads: 4).compute(samples: x, sampleRate: 16000)
            XCTAssertEqual(one, four, "\(preset): threads 1 vs 4")
        }
        let stft = STFT(nFFT: 512, hop: 128, padMode: .reflect)
        XCTAssertEqual(stft.power(x), stft.spectrogram(x, output: .power, threads: 1))
    }

    // MARK: helpers

    /// Compares every input. With `amplitudeRelative` k (natural-log outputs), entry i may differ by
    /// tol + k·e^((max − want[i])/2); the largest |Δ| and largest |Δ|/bound are both reported.
    func checkPreset(_ preset: LogMelPreset, golden prefix: String, tol: Float, amplitudeRelative k: Float? = nil,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let ex = LogMelExtractor(preset: preset)
        var ran = 0
        for name in inputNames {
            let x: [Float]
            do { x = try input(name) } catch is XCTSkip { print("[parity] \(prefix) \(name): skipped: pocketsphinx-testdata not installed"); continue }
            let got = try ex.compute(samples: x, sampleRate: 16000)
            let want = try golden("\(prefix)_\(name)")
            XCTAssertEqual(got.rows, want.rows, "\(preset) \(name): exact frame count", file: file, line: line)
            ran += 1
            guard let k, got.rows == want.rows, let peak = want.data.max() else {
                assertClose(got, want, tol: tol, "\(preset.rawValue) \(name)", file: file, line: line)
                continue
            }
            var worst: Float = 0, worstRatio: Float = 0, at = 0
            for i in 0..<want.data.count {
                let d = abs(got.data[i] - want.data[i])
                let bound = tol + k * Float(exp(Double(peak - want.data[i]) / 2))
                worst = max(worst, d)
                if !(d / bound <= worstRatio) { worstRatio = d / bound; at = i }
            }
            print("[parity] \(preset.rawValue) \(name): max|Δ| = \(worst), max |Δ|/bound = \(worstRatio) at (\(at / want.cols), \(at % want.cols)) (want \(want.data[at]), max \(peak)), shape [\(got.rows), \(got.cols)]")
            XCTAssertLessThanOrEqual(worstRatio, 1, "\(preset) \(name): |Δ| exceeds tol + k·e^((max − want)/2) at (\(at / want.cols), \(at % want.cols)): got \(got.data[at]), want \(want.data[at])", file: file, line: line)
        }
        XCTAssertGreaterThanOrEqual(ran, 3, file: file, line: line)
    }
}
