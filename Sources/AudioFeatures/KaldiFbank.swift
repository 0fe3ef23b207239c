// KaldiFbank: Kaldi-style log mel filter-bank energies, [T frames, M mels]. Mirrors
// torchaudio.compliance.kaldi.fbank (torchaudio 2.x) with its defaults: 25 ms / 10 ms frames,
// snip_edges (T = 1 + (n − L)/S), per-frame DC removal, pre-emphasis 0.97 with the first sample
// replicated, Povey window, zero-pad to the next power of two, |FFT|², Kaldi mel banks (low 20 Hz,
// high = Nyquist, zero weight on the Nyquist bin), log(max(e, FLT_EPSILON)). Input is scaled by
// 32768 first, as Kaldi reads int16 PCM. Leaves out dither (0 here), energy, VTLN, htk_compat,
// subtract_mean and snip_edges=false.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class KaldiFbank: @unchecked Sendable {
    /// Samples per frame (frame_length 25 ms at 16 kHz = 400).
    public let frameLength: Int
    /// Samples between frames (frame_shift 10 ms at 16 kHz = 160).
    public let frameShift: Int
    /// frameLength rounded up to a power of two (512).
    public let paddedLength: Int
    public let preemphasis: Float
    /// Multiplier applied to the samples first (32768: float [-1, 1) to int16 scale).
    public let inputScale: Float
    public let bank: MelFilterBank
    let window: [Float]
    let fft: RealFFT

    public init(sampleRate: Int = 16000, nMels: Int = 80, frameLengthMs: Double = 25, frameShiftMs: Double = 10,
                preemphasis: Float = 0.97, lowFreq: Double = 20, highFreq: Double = 0,
                inputScale: Float = 32768, planning: FFTPlanning = .estimate) {
        // torchaudio: window_shift = int(sample_frequency * frame_shift * 0.001), same for size.
        frameLength = Int(Double(sampleRate) * frameLengthMs * 0.001)
        frameShift = Int(Double(sampleRate) * frameShiftMs * 0.001)
        precondition(frameLength > 1 && frameShift > 0, "KaldiFbank: frame \(frameLength), shift \(frameShift)")
        var p = 1
        while p < frameLength { p <<= 1 }
        paddedLength = p
        self.preemphasis = preemphasis
        self.inputScale = inputScale
        bank = MelFilterBank.kaldi(sampleRate: sampleRate, paddedWindow: p, nMels: nMels,
                                   lowFreq: lowFreq, highFreq: highFreq)
        window = WindowKind.povey.values(length: frameLength)
        fft = RealFFT(n: p, planning: planning)
    }

    /// T = 1 + (n − frameLength)/frameShift, or 0 when n < frameLength (snip_edges=True).
    public func frameCount(samples n: Int) -> Int {
        n >= frameLength ? 1 + (n - frameLength) / frameShift : 0
    }

    /// log mel energies of x·inputScale.  x: [n] at the bank's sample rate.  Returns [T, nMels].
    public func compute(_ x: [Float], threads: Int = defaultThreadCount) -> FeatureMatrix {
        let frames = frameCount(samples: x.count)
        let nMels = bank.nMels
        let out = [Float](unsafeUninitializedCapacity: frames * nMels) { ob, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(ob))
            let ob = ob
            x.withUnsafeBufferPointer { xb in
                _ = parallelChunks(frames, threads: threads) { _, range in
                    compute(xb, frames: range, into: ob.baseAddress!)
                }
            }
            count = frames * nMels
        }
        return FeatureMatrix(rows: frames, cols: nMels, data: out)
    }

    /// Rows `frames` of the output, written to out[t·nMels ..< (t+1)·nMels]; per-call scratch.
    func compute(_ x: UnsafeBufferPointer<Float>, frames: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        guard !frames.isEmpty else { return }
        let nMels = bank.nMels, L = frameLength, a = preemphasis, scale = inputScale
        let buffers = fft.makeBuffers()  // input[L..<paddedLength] stays zero
        let power = UnsafeMutablePointer<Float>.allocate(capacity: bank.paddedRowCount)
        power.initialize(repeating: 0, count: bank.paddedRowCount)
        defer { power.deallocate() }
        let floor = Float.ulpOfOne  // torch.finfo(torch.float).eps
        window.withUnsafeBufferPointer { wb in
            let f = buffers.input, w = wb.baseAddress!
            for t in frames {
                let s = x.baseAddress! + t * frameShift
                var sum = 0.0
                for i in 0..<L { f[i] = s[i] * scale; sum += Double(f[i]) }
                let mean = Float(sum / Double(L))
                for i in 0..<L { f[i] -= mean }
                for i in stride(from: L - 1, to: 0, by: -1) { f[i] -= a * f[i - 1] }
                f[0] -= a * f[0]
                for i in 0..<L { f[i] *= w[i] }
                fft.spectrum(buffers, power: true, into: power)
                let e = out + t * nMels
                bank.apply(row: power, into: e)
                for m in 0..<nMels { e[m] = max(e[m], floor) }
                FastLog.log(e, count: nMels, scale: 1)
            }
        }
    }
}
