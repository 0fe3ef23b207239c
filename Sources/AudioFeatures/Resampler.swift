// Resampler: band-limited sample-rate conversion with libsoxr's soxr_oneshot, float32 in and out.
// Mirrors librosa 0.11 `librosa.resample(y, orig_sr, target_sr, res_type='soxr_hq')`, which calls
// python-soxr `soxr.resample(y, orig_sr, target_sr, quality='HQ')` and then fix_length to
// ceil(n·target/orig). python-soxr bundles its own libsoxr build, so outputs agree to ~1e-6, not
// bit for bit. Leaves out non-integer rates, streaming, and multi-channel input (mix down first).

import CSoxr

public enum Resampler {
    /// libsoxr recipe: .hq = SOXR_HQ (20-bit, librosa's default), .vhq = SOXR_VHQ (28-bit).
    public enum Quality: Sendable {
        case hq, vhq
        var recipe: UInt {
            switch self {
            case .hq: return UInt(SOXR_HQ)
            case .vhq: return UInt(SOXR_VHQ)
            }
        }
    }

    /// Output length librosa.resample enforces: ceil(n · to / from), computed as librosa does
    /// (`int(np.ceil(n * (float(to) / from)))`).
    public static func outputLength(_ n: Int, from: Int, to: Int) -> Int {
        Int((Double(n) * (Double(to) / Double(from))).rounded(.up))
    }

    /// y = soxr(x, from → to), trimmed or zero-padded to `outputLength(x.count, from:, to:)`.
    /// - x: [n] mono samples at `from` Hz.  Returns [ceil(n·to/from)].
    /// Returns `x` unchanged when from == to (as librosa does).
    public static func resample(_ x: [Float], from: Int, to: Int, quality: Quality = .hq) throws -> [Float] {
        try resample(x, from: from, to: to, quality: quality, source: inMemorySource)
    }

    static func resample(_ x: [Float], from: Int, to: Int, quality: Quality, source: String) throws -> [Float] {
        guard from > 0 else { throw AudioError.invalidSampleRate(path: source, rate: from) }
        guard to > 0 else { throw AudioError.invalidSampleRate(path: source, rate: to) }
        if from == to || x.isEmpty { return x }
        let n = outputLength(x.count, from: from, to: to)
        // Room for soxr's own rounding of the flushed tail; fix_length trims afterwards.
        var y = [Float](repeating: 0, count: n + 16)
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var q = soxr_quality_spec(quality.recipe, 0)
        var done = 0
        let err: soxr_error_t? = x.withUnsafeBufferPointer { xin in
            y.withUnsafeMutableBufferPointer { yout in
                soxr_oneshot(Double(from), Double(to), 1,
                             xin.baseAddress, xin.count, nil,
                             yout.baseAddress, yout.count, &done,
                             &io, &q, nil)
            }
        }
        if let err {
            throw AudioError.resampleFailed(path: source, from: from, to: to, reason: String(cString: err))
        }
        // librosa.util.fix_length: keep the first n samples, zero-padding if soxr produced fewer.
        if done < n { for i in done..<n { y[i] = 0 } }
        y.removeLast(y.count - n)
        return y
    }
}
