// LogMelExtractor: log-mel spectrograms [T frames, M mels] for four reference front ends, chosen
// by LogMelPreset: Whisper (openai-whisper audio.py log_mel_spectrogram), librosa 0.11
// (feature.melspectrogram defaults + power_to_db), musicnn 0.1.0 (extractor.py), and Kaldi fbank
// (torchaudio.compliance.kaldi.fbank). Input at another rate is resampled with soxr HQ first, as
// librosa.load does. Leaves out Whisper's 30 s pad/trim (callers pad), musicnn's patching into
// 3 s windows, and GPU execution.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum LogMelPreset: String, CaseIterable, Sendable {
    /// openai-whisper audio.py log_mel_spectrogram (2023-2024): 16 kHz, n_fft 400, hop 160,
    /// torch.stft(center=True, pad_mode='reflect', hann_window(400)), |X|², drop the last frame
    /// (stft[..., :-1]), 80 Slaney mels (librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)),
    /// log10(max(x, 1e-10)), clamp to global max − 8, (x + 4)/4.  T = n/160.
    case whisper
    /// librosa 0.11 feature.melspectrogram(y, sr=22050) defaults (n_fft 2048, hop 512, Hann,
    /// center with pad_mode 'constant', power 2, 128 Slaney mels, fmax = sr/2) then
    /// power_to_db(ref=1.0, amin=1e-10, top_db=80).  T = 1 + n/512 at 22050 Hz.
    case librosa
    /// musicnn 0.1.0 extractor.py: melspectrogram(sr=16000, n_fft=512, hop=256, n_mels=96) under
    /// librosa 0.7 (pad_mode 'reflect'), then log10(10000·x + 1).  T = 1 + n/256.
    case musicnn
    /// torchaudio.compliance.kaldi.fbank(waveform·32768, num_mel_bins=80, sample_frequency=16000,
    /// dither=0): see KaldiFbank.  T = 1 + (n − 400)/160.
    case kaldiFbank = "kaldi-fbank"

    /// Rate the preset works at; other input is resampled (soxr HQ) to it.
    public var sampleRate: Int { self == .librosa ? 22050 : 16000 }
    public var nMels: Int {
        switch self {
        case .whisper, .kaldiFbank: return 80
        case .librosa: return 128
        case .musicnn: return 96
        }
    }
    public var nFFT: Int {
        switch self {
        case .whisper: return 400
        case .librosa: return 2048
        case .musicnn, .kaldiFbank: return 512
        }
    }
    public var hop: Int {
        switch self {
        case .whisper, .kaldiFbank: return 160
        case .librosa: return 512
        case .musicnn: return 256
        }
    }
}

/// ln 10, for log10 x = ln x / ln 10.
let log10Base = Float(2.302_585_092_994_045_7)

/// Log-mel features for one preset. Immutable after init (plans and filters are built once), so a
/// single extractor may be shared by many threads; scratch is per call.
public final class LogMelExtractor: @unchecked Sendable {
    public let preset: LogMelPreset
    /// The spectral front end (nil for .kaldiFbank, whose framing is Kaldi's own).
    public let stft: STFT?
    /// The filter bank, [nMels, nFFT/2+1].
    public let bank: MelFilterBank
    let kaldi: KaldiFbank?
    /// Workers one call may use (frames are split into contiguous slices). Use 1 when the caller
    /// already runs one extraction per core.
    public let threads: Int

    public init(preset: LogMelPreset, threads: Int = defaultThreadCount, planning: FFTPlanning = .estimate) {
        precondition(threads > 0, "LogMelExtractor: threads must be positive, got \(threads)")
        self.preset = preset
        self.threads = threads
        switch preset {
        case .kaldiFbank:
            let k = KaldiFbank(sampleRate: preset.sampleRate, nMels: preset.nMels, planning: planning)
            kaldi = k
            stft = nil
            bank = k.bank
        case .whisper, .librosa, .musicnn:
            kaldi = nil
            stft = STFT(nFFT: preset.nFFT, hop: preset.hop, window: .hann, center: true,
                        padMode: preset == .librosa ? .constant : .reflect, planning: planning)
            bank = MelFilterBank(sampleRate: preset.sampleRate, nFFT: preset.nFFT, nMels: preset.nMels,
                                 scale: .slaney, norm: .slaney)
        }
    }

    /// Frames produced for n samples at the preset's rate.
    public func frameCount(samples n: Int) -> Int {
        if let kaldi { return kaldi.frameCount(samples: n) }
        let t = stft!.frameCount(samples: n)
        return preset == .whisper ? max(0, t - 1) : t
    }

    /// Log-mel of a mono signal.  samples: [n] at `sampleRate` Hz.  Returns [T, nMels].
    public func compute(samples: [Float], sampleRate: Int) throws -> FeatureMatrix {
        try compute(samples: samples, sampleRate: sampleRate, source: inMemorySource)
    }

    /// Decodes (libsndfile), mixes to mono, resamples to the preset's rate, and computes [T, nMels].
    /// Files already at the preset's rate that libsndfile can seek in are decoded and analysed in
    /// blocks, in parallel, straight from disk (no whole-signal buffer); the result is identical.
    public func compute(path: String) throws -> FeatureMatrix {
        if kaldi == nil, let m = try computeBlocks(path: path) { return m }
        let audio = try AudioFile.read(path: path, targetRate: preset.sampleRate)
        return try compute(samples: audio.samples, sampleRate: audio.sampleRate, source: path)
    }

    func compute(samples: [Float], sampleRate: Int, source: String) throws -> FeatureMatrix {
        guard sampleRate > 0 else { throw AudioError.invalidSampleRate(path: source, rate: sampleRate) }
        guard !samples.isEmpty else { throw AudioError.noSamples(path: source) }
        let x = try Resampler.resample(samples, from: sampleRate, to: preset.sampleRate, quality: .hq, source: source)
        if let kaldi { return kaldi.compute(x, threads: threads) }
        let frames = frameCount(samples: x.count), nMels = bank.nMels
        var peaks = [Float](repeating: -.infinity, count: max(1, threads))
        var out = [Float](unsafeUninitializedCapacity: frames * nMels) { ob, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(ob))
            let ob = ob
            x.withUnsafeBufferPointer { xb in
                peaks.withUnsafeMutableBufferPointer { pk in
                    let pk = pk
                    parallelChunks(frames, threads: threads) { chunk, range in
                        pk[chunk] = logMelFrames(SignalView(base: xb.baseAddress!, offset: 0, count: xb.count, length: xb.count),
                                                 frames: range, into: ob.baseAddress!)
                    }
                }
            }
            count = frames * nMels
        }
        finish(&out, peak: peaks.max()!)
        return FeatureMatrix(rows: frames, cols: nMels, data: out)
    }

    /// Log-mel rows for `frames` of the signal seen through `view`, written to out[t·M ..< (t+1)·M]
    /// (before the preset's global clamp); returns the largest value written (−∞ if none matter).
    func logMelFrames(_ view: SignalView, frames: Range<Int>, into out: UnsafeMutablePointer<Float>) -> Float {
        let nMels = bank.nMels, preset = self.preset, bank = self.bank
        var peak = -Float.infinity
        stft!.forEachFrame(view, frames: frames, output: .power) { t, row in
            let e = out + t * nMels
            bank.apply(row: row, into: e)
            switch preset {
            case .whisper:  // log10(clamp(min=1e-10))
                for m in 0..<nMels { e[m] = max(e[m], 1e-10) }
                FastLog.log(e, count: nMels, scale: 1 / log10Base)
                peak = max(peak, maxElement(e, nMels))
            case .librosa:  // power_to_db: 10·log10(max(amin, S)) − 10·log10(max(amin, ref=1))
                for m in 0..<nMels { e[m] = max(e[m], 1e-10) }
                FastLog.log(e, count: nMels, scale: 10 / log10Base)
                peak = max(peak, maxElement(e, nMels))
            case .musicnn:  // np.log10(10000 * S + 1)
                for m in 0..<nMels { e[m] = 10000 * e[m] + 1 }
                FastLog.log(e, count: nMels, scale: 1 / log10Base)
            case .kaldiFbank:
                preconditionFailure("kaldi-fbank is computed by KaldiFbank")
            }
        }
        return peak
    }

    /// The preset's whole-signal step, given the peak over every frame.
    func finish(_ out: inout [Float], peak: Float) {
        switch preset {
        case .whisper:  // maximum(log_spec, log_spec.max() - 8.0); (log_spec + 4.0) / 4.0
            let floor = peak - 8
            out.withUnsafeMutableBufferPointer { ob in
                let ob = ob
                parallelChunks(ob.count, threads: threads, minChunk: 1 << 16) { _, r in
                    for i in r { ob[i] = (max(ob[i], floor) + 4) / 4 }
                }
            }
        case .librosa:  // top_db = 80
            let floor = peak - 80
            out.withUnsafeMutableBufferPointer { ob in
                let ob = ob
                parallelChunks(ob.count, threads: threads, minChunk: 1 << 16) { _, r in
                    for i in r { ob[i] = max(ob[i], floor) }
                }
            }
        case .musicnn, .kaldiFbank:
            break
        }
    }
}

/// max over x[0..<n] with eight running maxima (a scalar max chain does not vectorise).
@inline(__always)
func maxElement(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    let raw = UnsafeRawPointer(x)
    while i + 8 <= n {
        let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
        acc.replace(with: v, where: v .> acc)
        i += 8
    }
    var m = acc.max()
    while i < n { m = max(m, x[i]); i += 1 }
    return m
}
