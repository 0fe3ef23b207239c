// MFCCExtractor: mel-frequency cepstral coefficients, [T frames, C coefficients]. Mirrors
// librosa 0.11 `librosa.feature.mfcc(y, sr)` defaults: the librosa preset's log-mel in dB,
// scipy.fft.dct(type=2, norm='ortho') over the mel axis, first n_mfcc (20) rows, lifter 0.
// Leaves out liftering, DCT types other than II, and deltas.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public final class MFCCExtractor: @unchecked Sendable {
    public let nMFCC: Int
    public let logMel: LogMelExtractor
    /// Orthonormal DCT-II rows, D[c, m] = s_c·cos(π·c·(2m + 1)/(2M)), s_0 = √(1/M), s_c = √(2/M). [C, M]
    let dct: [Float]

    public init(nMFCC: Int = 20, base: LogMelPreset = .librosa, threads: Int = defaultThreadCount,
                planning: FFTPlanning = .estimate) {
        logMel = LogMelExtractor(preset: base, threads: threads, planning: planning)
        let M = logMel.bank.nMels
        precondition(nMFCC > 0 && nMFCC <= M, "MFCCExtractor: nMFCC \(nMFCC) must be in 1...\(M) (mel bands)")
        self.nMFCC = nMFCC
        var d = [Float](repeating: 0, count: nMFCC * M)
        for c in 0..<nMFCC {
            let s = c == 0 ? (1.0 / Double(M)).squareRoot() : (2.0 / Double(M)).squareRoot()
            for m in 0..<M {
                d[c * M + m] = Float(s * cos(Double.pi * Double(c) * Double(2 * m + 1) / Double(2 * M)))
            }
        }
        dct = d
    }

    /// MFCC = logMel · Dᵀ.  samples: [n] at `sampleRate`.  Returns [T, nMFCC].
    public func compute(samples: [Float], sampleRate: Int) throws -> FeatureMatrix {
        cepstrum(try logMel.compute(samples: samples, sampleRate: sampleRate))
    }

    public func compute(path: String) throws -> FeatureMatrix {
        cepstrum(try logMel.compute(path: path))
    }

    /// DCT-II (ortho) of each row: [T, M] → [T, nMFCC].
    public func cepstrum(_ logMel: FeatureMatrix) -> FeatureMatrix {
        let M = self.logMel.bank.nMels, C = nMFCC
        precondition(logMel.cols == M, "MFCCExtractor.cepstrum: got \(logMel.cols) mel bands, expected \(M)")
        var out = [Float](repeating: 0, count: logMel.rows * C)
        logMel.data.withUnsafeBufferPointer { x in
            dct.withUnsafeBufferPointer { d in
                for t in 0..<logMel.rows {
                    for c in 0..<C {
                        out[t * C + c] = MelFilterBank.dot(d.baseAddress! + c * M, x.baseAddress! + t * M, M)
                    }
                }
            }
        }
        return FeatureMatrix(rows: logMel.rows, cols: C, data: out)
    }
}
