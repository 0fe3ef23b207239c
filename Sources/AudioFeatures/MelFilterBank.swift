// MelFilterBank: triangular mel filters W [M mels, F = nFFT/2+1 bins] and their sparse product with
// a power spectrogram, [T, F] → [T, M]. Mirrors librosa 0.11 `librosa.filters.mel` (Slaney or HTK
// scale, norm 'slaney' or None; computed in float64, returned float32 as librosa does) and
// torchaudio.compliance.kaldi.get_mel_banks (mel = 1127·ln(1 + f/700), triangles in the mel domain,
// plus fbank's zero column for the Nyquist bin). Leaves out VTLN warping, numeric `norm` values
// (librosa's p-norms) and librosa's empty-filter warning.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct MelFilterBank: Sendable {
    /// Hz ↔ mel conversion: librosa's Slaney (linear below 1 kHz, log above) or HTK 2595·log10(1 + f/700).
    public enum Scale: Sendable { case slaney, htk }
    /// Area normalisation: .slaney scales each triangle by 2/(f[m+2] − f[m]); .none leaves peaks at 1.
    public enum Norm: Sendable { case slaney, none }

    public let nMels: Int
    /// nFFT/2 + 1
    public let nBins: Int
    /// Filter weights, [nMels, nBins] row-major.
    public let weights: [Float]
    /// Half-open nonzero bin range of each filter: W[m, k] = 0 outside ranges[m].
    public let ranges: [Range<Int>]

    /// librosa.filters.mel(sr=sampleRate, n_fft=nFFT, n_mels=nMels, fmin=fMin, fmax=fMax ?? sr/2,
    /// htk=(scale == .htk), norm=('slaney' or None)).
    public init(sampleRate: Int, nFFT: Int, nMels: Int = 128, fMin: Double = 0, fMax: Double? = nil,
                scale: Scale = .slaney, norm: Norm = .slaney) {
        precondition(sampleRate > 0 && nFFT > 0 && nMels > 0,
                     "MelFilterBank: need positive sampleRate (\(sampleRate)), nFFT (\(nFFT)), nMels (\(nMels))")
        let fMax = fMax ?? Double(sampleRate) / 2
        let nBins = nFFT / 2 + 1
        // fft_frequencies = np.fft.rfftfreq(n_fft, d=1/sr): k · (1 / (n·d))
        let val = 1.0 / (Double(nFFT) * (1.0 / Double(sampleRate)))
        let fftFreqs = (0..<nBins).map { Double($0) * val }
        // mel_frequencies(n_mels + 2, fmin, fmax, htk): linspace in mel, back to Hz
        let melF = MelFilterBank.linspace(MelFilterBank.hzToMel(fMin, scale), MelFilterBank.hzToMel(fMax, scale),
                                          nMels + 2).map { MelFilterBank.melToHz($0, scale) }
        var w = [Float](repeating: 0, count: nMels * nBins)
        for m in 0..<nMels {
            let d0 = melF[m + 1] - melF[m], d1 = melF[m + 2] - melF[m + 1]
            let enorm = norm == .slaney ? 2.0 / (melF[m + 2] - melF[m]) : 1.0
            for k in 0..<nBins {
                let lower = -(melF[m] - fftFreqs[k]) / d0
                let upper = (melF[m + 2] - fftFreqs[k]) / d1
                // librosa stores the triangle in a float32 array, then multiplies by enorm (float64).
                let tri = Float(max(0, min(lower, upper)))
                w[m * nBins + k] = norm == .slaney ? Float(Double(tri) * enorm) : tri
            }
        }
        self.init(nMels: nMels, nBins: nBins, weights: w)
    }

    /// Kaldi / torchaudio.compliance.kaldi.get_mel_banks(num_bins, padded_window_size, sample_freq,
    /// low_freq, high_freq) with fbank's zero Nyquist column: [nMels, paddedWindow/2 + 1].
    /// highFreq ≤ 0 means nyquist + highFreq, as in Kaldi.
    public static func kaldi(sampleRate: Int = 16000, paddedWindow: Int = 512, nMels: Int = 80,
                             lowFreq: Double = 20, highFreq: Double = 0) -> MelFilterBank {
        let nyquist = 0.5 * Double(sampleRate)
        let high = highFreq <= 0 ? highFreq + nyquist : highFreq
        precondition(lowFreq >= 0 && lowFreq < high && high <= nyquist,
                     "MelFilterBank.kaldi: need 0 <= lowFreq (\(lowFreq)) < highFreq (\(high)) <= nyquist (\(nyquist))")
        func mel(_ f: Double) -> Double { 1127.0 * log(1.0 + f / 700.0) }
        let nFFTBins = paddedWindow / 2
        let nBins = nFFTBins + 1
        let width = Double(sampleRate) / Double(paddedWindow)
        let mLow = mel(lowFreq), delta = (mel(high) - mLow) / Double(nMels + 1)
        var w = [Float](repeating: 0, count: nMels * nBins)
        for m in 0..<nMels {
            let left = mLow + Double(m) * delta
            let centre = mLow + Double(m + 1) * delta
            let right = mLow + Double(m + 2) * delta
            for k in 0..<nFFTBins {  // bin nFFTBins (Nyquist) keeps weight 0
                let f = mel(width * Double(k))
                let up = (f - left) / (centre - left), down = (right - f) / (right - centre)
                w[m * nBins + k] = Float(max(0, min(up, down)))
            }
        }
        return MelFilterBank(nMels: nMels, nBins: nBins, weights: w)
    }

    /// A bank from explicit weights [nMels, nBins].
    public init(nMels: Int, nBins: Int, weights: [Float]) {
        precondition(weights.count == nMels * nBins,
                     "MelFilterBank: \(weights.count) weights, expected \(nMels)×\(nBins)")
        self.nMels = nMels
        self.nBins = nBins
        self.weights = weights
        let ranges: [Range<Int>] = (0..<nMels).map { m in
            let row = weights[m * nBins..<(m + 1) * nBins]
            guard let lo = row.firstIndex(where: { $0 != 0 }),
                  let hi = row.lastIndex(where: { $0 != 0 }) else { return 0..<0 }
            return (lo - m * nBins)..<(hi - m * nBins + 1)
        }
        self.ranges = ranges
        // Packed copy for apply(row:): each filter's range rounded up to whole SIMD4 groups, zero
        // weights in the padding, so the product needs no scalar tail (rows must have nBins + 3
        // readable floats; see paddedRowCount).
        var packed = [Float](), offsets = [Int](), starts = [Int](), groups = [Int]()
        for m in 0..<nMels {
            let r = ranges[m], g = (r.count + 3) / 4
            offsets.append(packed.count)
            starts.append(r.lowerBound)
            groups.append(g)
            for j in 0..<(4 * g) {
                let k = r.lowerBound + j
                packed.append(k < r.upperBound ? weights[m * nBins + k] : 0)
            }
        }
        self.packed = packed
        self.packedOffset = offsets
        self.packedStart = starts
        self.packedGroups = groups
    }

    let packed: [Float]
    let packedOffset: [Int]
    let packedStart: [Int]
    let packedGroups: [Int]

    /// Floats a row buffer handed to apply(row:) must hold: nBins plus 3 zeros.
    var paddedRowCount: Int { nBins + 3 }

    /// Mel energies E = P·Wᵀ: P [T, nBins] → E [T, nMels], summing only each filter's nonzero range.
    public func apply(_ power: FeatureMatrix) -> FeatureMatrix {
        precondition(power.cols == nBins, "MelFilterBank.apply: spectrogram has \(power.cols) bins, bank expects \(nBins)")
        var out = [Float](repeating: 0, count: power.rows * nMels)
        var row = [Float](repeating: 0, count: paddedRowCount)
        power.data.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                row.withUnsafeMutableBufferPointer { r in
                    for t in 0..<power.rows {
                        r.baseAddress!.update(from: p.baseAddress! + t * nBins, count: nBins)
                        apply(row: r.baseAddress!, into: o.baseAddress! + t * nMels)
                    }
                }
            }
        }
        return FeatureMatrix(rows: power.rows, cols: nMels, data: out)
    }

    /// e[m] = Σ_{k ∈ ranges[m]} W[m, k]·p[k].  p: [nBins + 3] (last 3 finite, e.g. zero), e: [nMels].
    /// Four filters at a time: their SIMD4 partial sums are reduced together with two even/odd
    /// lane additions instead of four scalar horizontal sums. Same products, same order of
    /// additions within a filter as the one-filter loop below, so results are bit-identical.
    @inline(__always)
    func apply(row p: UnsafePointer<Float>, into e: UnsafeMutablePointer<Float>) {
        packed.withUnsafeBufferPointer { wb in
            packedOffset.withUnsafeBufferPointer { off in
                packedStart.withUnsafeBufferPointer { st in
                    packedGroups.withUnsafeBufferPointer { gr in
                        let w = UnsafeRawPointer(wb.baseAddress!), x = UnsafeRawPointer(p)
                        let off = off.baseAddress!, st = st.baseAddress!, gr = gr.baseAddress!
                        @inline(__always) func partial(_ m: Int) -> SIMD4<Float> {
                            var acc = SIMD4<Float>(repeating: 0)
                            let wo = off[m] &* 4, xo = st[m] &* 4
                            var g = 0
                            while g < gr[m] {
                                acc += w.loadUnaligned(fromByteOffset: wo &+ 16 &* g, as: SIMD4<Float>.self)
                                    * x.loadUnaligned(fromByteOffset: xo &+ 16 &* g, as: SIMD4<Float>.self)
                                g &+= 1
                            }
                            return acc
                        }
                        var m = 0
                        while m &+ 4 <= nMels {
                            let a = partial(m), b = partial(m &+ 1), c = partial(m &+ 2), d = partial(m &+ 3)
                            // (acc[0] + acc[2]) + (acc[1] + acc[3]) for each of a, b, c, d.
                            let ab = SIMD8(lowHalf: a, highHalf: b), cd = SIMD8(lowHalf: c, highHalf: d)
                            let pairAB = ab.lowHalf.lowHalf + ab.lowHalf.highHalf  // [a0+a2, a1+a3]
                            let pairBB = ab.highHalf.lowHalf + ab.highHalf.highHalf
                            let pairCD = cd.lowHalf.lowHalf + cd.lowHalf.highHalf
                            let pairDD = cd.highHalf.lowHalf + cd.highHalf.highHalf
                            let left = SIMD4(lowHalf: pairAB, highHalf: pairBB)   // [a0+a2, a1+a3, b0+b2, b1+b3]
                            let right = SIMD4(lowHalf: pairCD, highHalf: pairDD)
                            let both = SIMD8(lowHalf: left, highHalf: right)
                            UnsafeMutableRawPointer(e + m).storeBytes(of: both.evenHalf + both.oddHalf, as: SIMD4<Float>.self)
                            m &+= 4
                        }
                        while m < nMels {
                            let acc = partial(m)
                            e[m] = (acc[0] + acc[2]) + (acc[1] + acc[3])
                            m &+= 1
                        }
                    }
                }
            }
        }
    }

    /// Σ a[i]·b[i] with SIMD8 accumulators (Float reductions do not auto-vectorise).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = SIMD8<Float>(repeating: 0)
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 8 <= n {
            let va = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let vb = rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc += va * vb
            i += 8
        }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    // MARK: Hz ↔ mel (librosa.hz_to_mel / mel_to_hz, 0.11)

    static let fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = 1000.0 / (200.0 / 3)
    static let logStep = log(6.4) / 27.0

    public static func hzToMel(_ f: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk: return 2595.0 * log10(1.0 + f / 700.0)
        case .slaney: return f >= minLogHz ? minLogMel + log(f / minLogHz) / logStep : f / fSp
        }
    }

    public static func melToHz(_ m: Double, _ scale: Scale) -> Double {
        switch scale {
        case .htk: return 700.0 * (pow(10.0, m / 2595.0) - 1.0)
        case .slaney: return m >= minLogMel ? minLogHz * exp(logStep * (m - minLogMel)) : fSp * m
        }
    }

    /// numpy.linspace(a, b, n): a + i·step, last element exactly b.
    static func linspace(_ a: Double, _ b: Double, _ n: Int) -> [Double] {
        guard n > 1 else { return [a] }
        let step = (b - a) / Double(n - 1)
        var y = (0..<n).map { a + Double($0) * step }
        y[n - 1] = b
        return y
    }
}
