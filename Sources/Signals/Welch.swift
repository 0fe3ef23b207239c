// Welch: PSD as scipy 1.17's signal.welch(x, fs, window='hann', nperseg, noverlap=nperseg//2,
// detrend='constant', return_onesided=True, scaling='density', average='mean'), on FFTW in double
// precision (fftw_plan_dft_r2c_1d; AudioFeatures' RealFFT is Float32 and internal). Leaves out other
// windows, median averaging, two-sided spectra and shrinking nperseg to len(x) (callers do that).

import CFFTW
import Foundation

/// Serialises FFTW (double) planner calls; FFTW's planner is not thread-safe.
private let plannerLock = NSLock()

/// Welch PSD for segments of `nperseg` samples at `sampleRate` Hz; one FFTW plan, reused.
public final class Welch: @unchecked Sendable {
    public let nperseg: Int
    public let noverlap: Int
    public let sampleRate: Double
    /// Periodic Hann [nperseg]: 0.5 − 0.5·cos(2πn/nperseg) (scipy.signal.get_window('hann', n)).
    public let window: [Double]
    private let scale: Double
    private let plan: fftw_plan

    public init(nperseg: Int, noverlap: Int? = nil, sampleRate: Double) {
        precondition(nperseg >= 2, "Welch: nperseg \(nperseg) < 2")
        self.nperseg = nperseg
        self.noverlap = noverlap ?? nperseg / 2
        precondition(self.noverlap < nperseg, "Welch: noverlap \(self.noverlap) ≥ nperseg \(nperseg)")
        self.sampleRate = sampleRate
        window = (0..<nperseg).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(nperseg)) }
        scale = 1 / (sampleRate * window.reduce(0) { $0 + $1 * $1 })
        plannerLock.lock()
        defer { plannerLock.unlock() }
        let input = fftw_alloc_real(nperseg)!, output = fftw_alloc_complex(nperseg / 2 + 1)!
        defer { fftw_free(input); fftw_free(output) }
        plan = fftw_plan_dft_r2c_1d(Int32(nperseg), input, output, UInt32(FFTW_ESTIMATE))!
    }

    deinit {
        plannerLock.lock()
        fftw_destroy_plan(plan)
        plannerLock.unlock()
    }

    /// Frequencies of the one-sided bins [nperseg/2 + 1]: k·fs/nperseg.
    public var frequencies: [Double] { (0...(nperseg / 2)).map { Double($0) * sampleRate / Double(nperseg) } }

    /// PSD [nperseg/2 + 1] of `x` [N], N ≥ nperseg, averaged over ⌊(N − nperseg)/step⌋ + 1 segments.
    public func psd<C: Collection>(_ x: C) -> [Double] where C.Element == Double, C.Index == Int {
        let n = x.count
        precondition(n >= nperseg, "Welch.psd: \(n) samples < nperseg \(nperseg)")
        let bins = nperseg / 2 + 1
        let step = nperseg - noverlap
        let segments = (n - nperseg) / step + 1
        let input = fftw_alloc_real(nperseg)!, output = fftw_alloc_complex(bins)!
        defer { fftw_free(input); fftw_free(output) }
        var acc = [Double](repeating: 0, count: bins)
        let base = x.startIndex
        for s in 0..<segments {
            let off = base + s * step
            var mean = 0.0
            for i in 0..<nperseg { mean += x[off + i] }
            mean /= Double(nperseg)
            for i in 0..<nperseg { input[i] = (x[off + i] - mean) * window[i] }
            fftw_execute_dft_r2c(plan, input, output)
            let c = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Double.self)
            for k in 0..<bins { acc[k] += (c[2 * k] * c[2 * k] + c[2 * k + 1] * c[2 * k + 1]) }
        }
        // One-sided: double all but DC and (for even nperseg) Nyquist.
        let last = nperseg % 2 == 0 ? bins - 1 : bins
        for k in 0..<bins {
            var v = acc[k] * scale / Double(segments)
            if k >= 1 && k < last { v *= 2 }
            acc[k] = v
        }
        return acc
    }
}
