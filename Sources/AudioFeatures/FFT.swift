// RealFFT: one FFTW single-precision real-to-complex plan of size n (fftwf_plan_dft_r2c_1d),
// created once and executed with fftwf_execute_dft_r2c on caller-owned buffers, so one plan
// serves every frame, file and thread. FFTW 3.3.10. Plan creation and destruction are serialised
// by a global lock (FFTW's planner is not thread-safe); execution needs no lock. Leaves out
// complex-to-real inverses and wisdom files.

import CFFTW
import Foundation

/// Serialises every FFTW planner call (plan creation and destruction) in this process.
let fftwPlannerLock = NSLock()

/// How hard FFTW searches for a fast plan; `.measure` times candidates once per size (slow init).
public enum FFTPlanning: Sendable {
    case estimate, measure
    var flags: UInt32 { self == .estimate ? UInt32(FFTW_ESTIMATE) : UInt32(FFTW_MEASURE) }
}

/// X[k] = Σ_t x[t]·e^(−2πi·k·t/n), k = 0...n/2. Input [n] real, output [n/2+1] complex.
public final class RealFFT: @unchecked Sendable {
    public let n: Int
    /// n/2 + 1
    public let bins: Int
    private let plan: fftwf_plan

    public init(n: Int, planning: FFTPlanning = .estimate) {
        precondition(n > 0, "RealFFT: size must be positive, got \(n)")
        self.n = n
        self.bins = n / 2 + 1
        fftwPlannerLock.lock()
        defer { fftwPlannerLock.unlock() }
        // Plan on fftwf_malloc'd arrays; Buffers below are allocated the same way, so they have
        // the alignment the plan assumes when run through the new-array execute.
        let input = fftwf_alloc_real(n)!
        let output = fftwf_alloc_complex(n / 2 + 1)!
        defer { fftwf_free(input); fftwf_free(output) }
        plan = fftwf_plan_dft_r2c_1d(Int32(n), input, output, planning.flags)!
    }

    deinit {
        fftwPlannerLock.lock()
        fftwf_destroy_plan(plan)
        fftwPlannerLock.unlock()
    }

    /// Per-caller scratch: `input` [n] real, `output` [n/2+1] complex, both FFTW-aligned.
    /// Not shareable between threads; allocate one per call or per worker.
    final class Buffers {
        let input: UnsafeMutablePointer<Float>
        let output: UnsafeMutablePointer<fftwf_complex>
        init(n: Int) {
            input = fftwf_alloc_real(n)!
            output = fftwf_alloc_complex(n / 2 + 1)!
            input.initialize(repeating: 0, count: n)
        }
        deinit {
            fftwf_free(input)
            fftwf_free(output)
        }
    }

    func makeBuffers() -> Buffers { Buffers(n: n) }

    /// Transforms `buffers.input` into `buffers.output`.
    @inline(__always)
    func execute(_ buffers: Buffers) {
        fftwf_execute_dft_r2c(plan, buffers.input, buffers.output)
    }

    /// Transforms `buffers.input` and writes |X[k]|² (power) or |X[k]| (magnitude) to `into` [bins].
    @inline(__always)
    func spectrum(_ buffers: Buffers, power: Bool, into out: UnsafeMutablePointer<Float>) {
        fftwf_execute_dft_r2c(plan, buffers.input, buffers.output)
        let c = UnsafeMutableRawPointer(buffers.output).assumingMemoryBound(to: Float.self)
        if power {
            // Four bins per step: (re, im) pairs squared, then the even and odd lanes added.
            var k = 0
            let raw = UnsafeRawPointer(c)
            while k + 4 <= bins {
                let v = raw.loadUnaligned(fromByteOffset: 8 * k, as: SIMD8<Float>.self)
                let sq = v * v
                UnsafeMutableRawPointer(out).storeBytes(of: sq.evenHalf + sq.oddHalf, toByteOffset: 4 * k, as: SIMD4<Float>.self)
                k += 4
            }
            while k < bins {
                let re = c[2 * k], im = c[2 * k + 1]
                out[k] = re * re + im * im
                k += 1
            }
        } else {
            for k in 0..<bins {
                let re = c[2 * k], im = c[2 * k + 1]
                out[k] = (re * re + im * im).squareRoot()
            }
        }
    }
}
