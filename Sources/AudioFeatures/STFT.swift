// STFT: short-time Fourier transform power/magnitude spectrogram, [T frames, F = nFFT/2+1 bins].
// Mirrors librosa 0.11 `librosa.stft` (window='hann' = scipy.signal.get_window('hann', fftbins=True),
// centre padding of nFFT/2 each side, pad_mode 'constant' or 'reflect', window zero-padded to nFFT
// when winLength < nFFT) and torch.stft(center=True, pad_mode='reflect', hann_window) as Whisper
// uses it. Frame t covers padded[t·hop ..< t·hop + nFFT]. Leaves out the complex output, inverse
// STFT, and padding modes other than reflect/constant.

/// Analysis windows, computed in Double and stored as Float32.
public enum WindowKind: Sendable {
    /// Periodic Hann, w[n] = 0.5 − 0.5·cos(2πn/N): scipy get_window('hann', fftbins=True), torch.hann_window.
    case hann
    /// Povey (Kaldi), w[n] = (0.5 − 0.5·cos(2πn/(N−1)))^0.85: torchaudio.compliance.kaldi 'povey'.
    case povey
    /// All ones.
    case rectangular

    /// The window of length `n`.
    public func values(length n: Int) -> [Float] {
        (0..<n).map { i -> Float in
            let x = Double(i)
            switch self {
            case .hann:
                return Float(0.5 - 0.5 * cos(2 * Double.pi * x / Double(n)))
            case .povey:
                let h = n > 1 ? 0.5 - 0.5 * cos(2 * Double.pi * x / Double(n - 1)) : 1
                return Float(pow(h, 0.85))
            case .rectangular:
                return 1
            }
        }
    }
}

import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Centre padding of the signal (each side nFFT/2), as numpy.pad / torch.nn.functional.pad.
public enum PadMode: Sendable {
    /// Mirror without repeating the edge sample (numpy 'reflect'): [.., x2, x1 | x0, x1, x2 ..].
    case reflect
    /// Zeros (librosa ≥ 0.10's default).
    case constant
}

/// |STFT|² or |STFT| of a mono signal. Immutable after init: one instance can serve many threads.
public final class STFT: @unchecked Sendable {
    public enum Output: Sendable { case power, magnitude }

    public let nFFT: Int
    public let hop: Int
    public let winLength: Int
    public let center: Bool
    public let padMode: PadMode
    /// The analysis window zero-padded (centred) to nFFT, as librosa.util.pad_center does. [nFFT]
    public let window: [Float]
    /// nFFT/2 + 1
    public var bins: Int { nFFT / 2 + 1 }
    let fft: RealFFT

    public init(nFFT: Int, hop: Int, winLength: Int? = nil, window: WindowKind = .hann,
                center: Bool = true, padMode: PadMode = .constant, planning: FFTPlanning = .estimate) {
        let wl = winLength ?? nFFT
        precondition(nFFT > 0 && hop > 0 && wl > 0 && wl <= nFFT,
                     "STFT: need 0 < winLength (\(wl)) <= nFFT (\(nFFT)) and hop (\(hop)) > 0")
        self.nFFT = nFFT
        self.hop = hop
        self.winLength = wl
        self.center = center
        self.padMode = padMode
        var w = [Float](repeating: 0, count: nFFT)
        let offset = (nFFT - wl) / 2
        for (i, v) in window.values(length: wl).enumerated() { w[offset + i] = v }
        self.window = w
        self.fft = RealFFT(n: nFFT, planning: planning)
    }

    /// T = 1 + n/hop with centring (padded length n + 2·(nFFT/2)), else 1 + (n − nFFT)/hop;
    /// 0 for an empty signal or one shorter than nFFT without centring.
    public func frameCount(samples n: Int) -> Int {
        guard n > 0 else { return 0 }
        let padded = center ? n + 2 * (nFFT / 2) : n
        return padded >= nFFT ? 1 + (padded - nFFT) / hop : 0
    }

    /// Spectrogram S[t, k] = |Σ_m w[m]·x_pad[t·hop + m]·e^(−2πi·k·m/nFFT)|^p, p = 2 (power) or 1.
    /// - x: [n] mono samples.  Returns [T, nFFT/2+1].  Frames are split over `threads` workers.
    public func spectrogram(_ x: [Float], output: Output = .power,
                            threads: Int = defaultThreadCount) -> FeatureMatrix {
        let frames = frameCount(samples: x.count), bins = self.bins
        let out = [Float](unsafeUninitializedCapacity: frames * bins) { o, count in
            x.withUnsafeBufferPointer { xb in
                let o = o
                parallelChunks(frames, threads: threads) { _, range in
                    forEachFrame(xb, frames: range, output: output) { t, row in
                        (o.baseAddress! + t * bins).initialize(from: row, count: bins)
                    }
                }
            }
            count = frames * bins
        }
        return FeatureMatrix(rows: frames, cols: bins, data: out)
    }

    /// Power spectrogram |X|², [T, nFFT/2+1].
    public func power(_ x: [Float]) -> FeatureMatrix { spectrogram(x, output: .power) }

    /// Magnitude spectrogram |X|, [T, nFFT/2+1].
    public func magnitude(_ x: [Float]) -> FeatureMatrix { spectrogram(x, output: .magnitude) }

    /// Calls body(t, row) for each frame t in `frames` (default: all), in order; row = S[t, 0..<bins]
    /// followed by 3 zeros
    /// lives in per-call scratch and is valid only during the call. Frames that lie inside the
    /// signal are read in place; only the few that overlap the centre padding are assembled in a
    /// scratch frame (no padded copy of the signal, no allocation per frame).
    func forEachFrame(_ x: UnsafeBufferPointer<Float>, frames: Range<Int>? = nil, output: Output,
                      _ body: (Int, UnsafePointer<Float>) -> Void) {
        guard let base = x.baseAddress else { return }
        forEachFrame(SignalView(base: base, offset: 0, count: x.count, length: x.count), frames: frames,
                     output: output, body)
    }

    /// As above, over a view of a longer signal (a block decoded from a file): the view must hold
    /// every sample the frames read, including those their reflect padding mirrors.
    func forEachFrame(_ view: SignalView, frames: Range<Int>? = nil, output: Output,
                      _ body: (Int, UnsafePointer<Float>) -> Void) {
        let all = 0..<frameCount(samples: view.length)
        let frames = frames ?? all
        precondition(frames.lowerBound >= 0 && frames.upperBound <= all.upperBound,
                     "STFT.forEachFrame: frames \(frames) outside 0..<\(all.upperBound)")
        guard !frames.isEmpty else { return }
        let buffers = fft.makeBuffers()
        let row = UnsafeMutablePointer<Float>.allocate(capacity: bins + 3)  // +3 zeros: MelFilterBank.paddedRowCount
        row.initialize(repeating: 0, count: bins + 3)
        let edge = UnsafeMutablePointer<Float>.allocate(capacity: nFFT)
        defer { row.deallocate(); edge.deallocate() }
        let n = view.length, nFFT = self.nFFT, hop = self.hop, pad = center ? nFFT / 2 : 0
        let offset = view.offset, viewEnd = view.offset + view.count
        let base = view.base - offset  // base[j] is x[j] for j in offset..<viewEnd
        let reflect = padMode == .reflect, power = output == .power
        // numpy 'reflect', repeated as often as needed: index j ↦ mirror with period 2(n−1).
        @inline(__always) func mirror(_ j: Int) -> Int {
            if n == 1 { return 0 }
            let period = 2 * (n - 1)
            var i = j % period
            if i < 0 { i += period }
            return i < n ? i : period - i
        }
        @inline(__always) func sample(_ j: Int) -> Float {
            precondition(j >= offset && j < viewEnd, "STFT: sample \(j) outside the view \(offset)..<\(viewEnd)")
            return base[j]
        }
        window.withUnsafeBufferPointer { wb in
            let w = wb.baseAddress!, dst = buffers.input
            for t in frames {
                let start = t * hop - pad  // first sample of the frame, in signal coordinates
                let src: UnsafePointer<Float>
                if start < 0 || start + nFFT > n {
                    for m in 0..<nFFT {
                        let j = start + m
                        edge[m] = (j >= 0 && j < n) ? sample(j) : (reflect ? sample(mirror(j)) : 0)
                    }
                    src = UnsafePointer(edge)
                } else {
                    precondition(start >= offset && start + nFFT <= viewEnd,
                                 "STFT: frame \(t) reads \(start)..<\(start + nFFT), outside the view \(offset)..<\(viewEnd)")
                    src = base + start
                }
                for m in 0..<nFFT { dst[m] = src[m] * w[m] }
                fft.spectrum(buffers, power: power, into: row)
                body(t, row)
            }
        }
    }

    /// Samples frames `frames` read, with their padding mirrors: the range a block must decode.
    func sampleRange(frames: Range<Int>, signalLength n: Int) -> Range<Int> {
        let pad = center ? nFFT / 2 : 0
        let lo = frames.lowerBound * hop - 2 * pad - 1, hi = (frames.upperBound - 1) * hop + nFFT + pad + 1
        return max(0, lo)..<min(n, max(0, hi))
    }
}

/// A window onto a longer signal x of `length` samples: base[i] is x[offset + i], i < count.
struct SignalView {
    let base: UnsafePointer<Float>
    let offset: Int
    let count: Int
    let length: Int
}

/// Worker count used when a call does not say: the active processor count.
public let defaultThreadCount = ProcessInfo.processInfo.activeProcessorCount

/// Runs body(chunk, range) over up to `threads` contiguous slices of 0..<count concurrently
/// (at least `minChunk` items each); chunk indices are 0..<chunks, in order of the slices.
/// Returns the number of chunks used.
@discardableResult
func parallelChunks(_ count: Int, threads: Int, minChunk: Int = 256, _ body: (Int, Range<Int>) -> Void) -> Int {
    let chunks = max(1, min(threads, count / max(1, minChunk)))
    if chunks == 1 {
        body(0, 0..<count)
        return 1
    }
    let per = (count + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body(c, c * per..<min(count, (c + 1) * per))
        }
    }
    return chunks
}
