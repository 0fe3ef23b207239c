// Features: one vector per epoch — band powers (scipy.signal.welch PSD summed over each band × Δf,
// optional log10); ERP amplitudes (epoch averaged in bins of k samples: boxcar low-pass + decimation
// by k, trailing partial bin dropped); covariances (np.cov(bias=True) + pyriemann 0.12 Shrinkage(γ))
// in the Riemannian tangent space (pyriemann TangentSpace, metric='riemann'). Leaves out xDAWN.

import Foundation

/// A frequency band [low, high) in Hz.
public struct Band: Sendable, Equatable {
    public var name: String
    public var low: Double
    public var high: Double
    public init(_ name: String, _ low: Double, _ high: Double) { self.name = name; self.low = low; self.high = high }

    /// delta 1–4, theta 4–8, alpha 8–13, beta 13–30, gamma 30–45 Hz.
    public static let standard = [Band("delta", 1, 4), Band("theta", 4, 8), Band("alpha", 8, 13), Band("beta", 13, 30), Band("gamma", 30, 45)]
}

/// Band powers: P_b = Σ_{k : low ≤ f_k < high} PSD[k]·Δf, Δf = fs/nperseg (µV² for µV input).
public struct BandPowerFeatures: Sendable {
    public var bands: [Band]
    /// Welch segment length; shrunk to T when the epoch is shorter (as scipy does, with its warning).
    public var nperseg: Int
    public var log10: Bool

    public init(bands: [Band] = Band.standard, nperseg: Int = 128, log10: Bool = false) {
        self.bands = bands; self.nperseg = nperseg; self.log10 = log10
    }

    /// Welch segment length used for epochs of `times` samples.
    public func segmentLength(times: Int) -> Int { min(nperseg, times) }

    /// PSD [C][bins] of an epoch [C, T].
    public func psd(_ e: Epoch, welch: Welch) -> [[Double]] { (0..<e.channels).map { welch.psd(e.channel($0)) } }

    /// Band powers of `psd` [bins] with bin frequencies `freqs` [bins] → [B].
    public func bandPowers(psd: [Double], frequencies freqs: [Double]) -> [Double] {
        let df = freqs.count > 1 ? freqs[1] - freqs[0] : 0
        return bands.map { b in
            var s = 0.0
            for (k, f) in freqs.enumerated() where f >= b.low && f < b.high { s += psd[k] }
            let p = s * df
            return log10 ? Foundation.log10(max(p, 1e-30)) : p
        }
    }

    /// [C·B], channel-major: element c·B + b is band b of channel c.
    public func features(_ e: Epoch, welch: Welch) -> [Double] {
        let f = welch.frequencies
        return psd(e, welch: welch).flatMap { bandPowers(psd: $0, frequencies: f) }
    }
}

/// ERP amplitudes: x̄[c, j] = mean of samples j·k … j·k + k − 1 of channel c → [C·⌊T/k⌋], channel-major.
public struct ERPFeatures: Sendable {
    public var binSize: Int
    public init(binSize: Int = 8) { self.binSize = binSize }

    public func features(_ e: Epoch) -> [Double] {
        let bins = e.times / binSize
        var out = [Double]()
        out.reserveCapacity(e.channels * bins)
        for c in 0..<e.channels {
            let ch = e.channel(c)
            for j in 0..<bins {
                var s = 0.0
                for t in 0..<binSize { s += ch[ch.startIndex + j * binSize + t] }
                out.append(s / Double(binSize))
            }
        }
        return out
    }
}

/// Per-epoch covariance with shrinkage: S = (X − x̄)(X − x̄)ᵀ/T, C = (1 − γ)·S + γ·(tr S/n)·I.
/// γ = 0.01 keeps C positive definite for the logarithm even when channels are nearly collinear.
public struct CovarianceEstimator: Sendable {
    public var shrinkage: Double
    public init(shrinkage: Double = 0.01) { self.shrinkage = shrinkage }

    /// - epoch: [C, T] → [C, C].
    public func covariance(_ e: Epoch) -> SymmetricMatrix {
        let n = e.channels, T = e.times
        var centred = e.data
        for c in 0..<n {
            var m = 0.0
            for t in 0..<T { m += centred[c * T + t] }
            m /= Double(T)
            for t in 0..<T { centred[c * T + t] -= m }
        }
        var s = SymmetricMatrix(n: n, data: [Double](repeating: 0, count: n * n))
        for i in 0..<n {
            for j in i..<n {
                var acc = 0.0
                for t in 0..<T { acc += centred[i * T + t] * centred[j * T + t] }
                s[i, j] = acc / Double(T); s[j, i] = acc / Double(T)
            }
        }
        if shrinkage > 0 {
            let mu = s.trace / Double(n)
            for i in 0..<n * n { s.data[i] *= 1 - shrinkage }
            for i in 0..<n { s[i, i] += shrinkage * mu }
        }
        return s
    }
}

/// Tangent-space features: fit the reference on training covariances, then map any covariance.
public struct TangentSpace: Sendable {
    public let reference: SymmetricMatrix
    let referenceInvSqrt: SymmetricMatrix

    /// Reference = Riemannian mean of `covariances` (pyriemann TangentSpace(metric='riemann').fit).
    public init(fitting covariances: [SymmetricMatrix]) {
        self.init(reference: Riemann.mean(covariances).mean)
    }
    public init(reference: SymmetricMatrix) {
        self.reference = reference
        referenceInvSqrt = reference.invsqrtm
    }

    /// [n(n+1)/2]: upper(logm(Cref^-½·C·Cref^-½)), off-diagonals × √2.
    public func transform(_ c: SymmetricMatrix) -> [Double] { Riemann.tangentVector(c, referenceInvSqrt: referenceInvSqrt) }
}

