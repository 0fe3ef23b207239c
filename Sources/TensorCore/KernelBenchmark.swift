// Kernel micro-benchmark for `crosstalk bench kernels`: ns per element of softmax, layer norm,
// GELU (erf, tanh) and broadcast add over `elements` floats (rows of 1024), and single-thread
// sgemm GFLOP/s on transformer shapes (M×P×K = 128×384×384, 128×1536×384, 1024×384×384).
// Best of `repeats` runs after one warm-up. Leaves out printing (the CLI formats) and
// multi-threaded numbers; meaningful only in a release build.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum KernelBenchmark {
    /// (name, ns per element) for the element-wise kernels, then (name, GFLOP/s) rows named
    /// "sgemm MxPxK GFLOP/s" whose second field holds GFLOP/s rather than ns.
    public static func run(elements: Int = 1 << 20, repeats: Int = 5) -> [(name: String, nsPerElement: Double)] {
        let row = 1024
        let rows = max(1, elements / row)
        let n = rows * row
        let x = Tensor.normal(shape: [rows, row], seed: 1)
        let gamma = Tensor.normal(shape: [row], seed: 2), beta = Tensor.normal(shape: [row], seed: 3)
        let bias = Tensor.normal(shape: [row], seed: 4)
        let out = Tensor(zeros: [rows, row])
        var results: [(name: String, nsPerElement: Double)] = []

        func time(_ body: () -> Void) -> Double {
            body()
            var best = Double.infinity
            for _ in 0..<max(1, repeats) {
                let t0 = now()
                body()
                best = min(best, now() - t0)
            }
            return best
        }
        results.append(("softmax", time {
            copyStrided(from: x, to: out)
            softmaxRowsInPlace(out.base, rows: rows, length: row)
        } / Double(n)))
        results.append(("layer norm", time {
            layerNormRows(x.base, out.base, rows: rows, length: row, gamma: gamma.base, beta: beta.base, eps: 1e-5)
        } / Double(n)))
        results.append(("gelu erf", time { geluRows(x.base, out.base, count: n, approximation: .erf) } / Double(n)))
        results.append(("gelu tanh", time { geluRows(x.base, out.base, count: n, approximation: .tanh) } / Double(n)))
        results.append(("add broadcast [N,C]+[C]", time {
            binaryStrided(.add, x, bias.broadcast(to: x.shape), into: out)
        } / Double(n)))

        for (m, p, k) in [(128, 384, 384), (128, 1536, 384), (1024, 384, 384)] {
            let a = Tensor.normal(shape: [m, k], seed: 5), b = Tensor.normal(shape: [k, p], seed: 6)
            let seconds = time { _ = matmul(a, b) } * 1e-9
            results.append(("sgemm \(m)x\(p)x\(k) GFLOP/s", 2.0 * Double(m * p * k) / seconds / 1e9))
        }
        return results
    }

    /// Monotonic clock in nanoseconds.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
    }
}
