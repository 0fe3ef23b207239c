// BLAS entry points TensorCore uses, resolved at first use from OpenBLAS's pthread build with
// OPENBLAS_NUM_THREADS=1 set before it loads (unless the user set it). Measured on this machine
// (Debian 12, OpenBLAS 0.3.21): linking the pthread build starts its thread pool at process load
// and the idle threads spin (≈ 120 ms of the other core per process, even for commands that never
// multiply); the serial build (libopenblas0-serial) is built without locking and gives wrong
// results when two threads call sgemm at once. Loading the pthread build lazily with one BLAS
// thread gives neither: crosstalk runs one BLAS thread per worker and parallelises over work items
// (../shared/NATIVE.md). Entry points: cblas_sgemm (TensorCore) and cblas_dgemm (Probes). Leaves out other BLAS vendors and level-1/2 routines.

#if canImport(Glibc)
import Glibc
#endif
import COpenBLAS
import Foundation

/// cblas_sgemm's C signature.
typealias SgemmFunction = @convention(c) (CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                                          Float, UnsafePointer<Float>?, blasint, UnsafePointer<Float>?, blasint,
                                          Float, UnsafeMutablePointer<Float>?, blasint) -> Void
/// cblas_dgemm's C signature.
typealias DgemmFunction = @convention(c) (CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint,
                                          Double, UnsafePointer<Double>?, blasint, UnsafePointer<Double>?, blasint,
                                          Double, UnsafeMutablePointer<Double>?, blasint) -> Void
typealias ConfigFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?

/// The loaded library and its functions.
final class BLASLibrary: @unchecked Sendable {
    static let shared = BLASLibrary()

    /// Candidates, most specific first: Debian's pthread build, then whatever the alternatives
    /// system points libopenblas.so.0 at.
    static let candidates = ["/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
                             "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
                             "libopenblas.so.0", "libopenblas.so"]

    let path: String
    let sgemm: SgemmFunction
    let dgemm: DgemmFunction
    let configuration: String
    /// Serial builds without locking are not safe to call from two threads at once: calls are
    /// then serialised.
    let lock: NSLock?

    private init() {
        setenv("OPENBLAS_NUM_THREADS", "1", 0)  // before the library initialises; a user's value wins
        var handle: UnsafeMutableRawPointer?
        var chosen = ""
        for name in BLASLibrary.candidates {
            if let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) { handle = h; chosen = name; break }
        }
        guard let handle, let s = dlsym(handle, "cblas_sgemm"), let d = dlsym(handle, "cblas_dgemm"),
              let c = dlsym(handle, "openblas_get_config") else {
            fatalError("libopenblas.so.0: not found or not OpenBLAS (install Debian's libopenblas-dev; Scripts/setup does)")
        }
        path = chosen
        sgemm = unsafeBitCast(s, to: SgemmFunction.self)
        dgemm = unsafeBitCast(d, to: DgemmFunction.self)
        let config = unsafeBitCast(c, to: ConfigFunction.self)
        configuration = config().map { String(cString: $0) } ?? "OpenBLAS (unknown configuration)"
        lock = configuration.contains("SINGLE_THREADED") ? NSLock() : nil
    }
}

/// The BLAS library's own description (openblas_get_config) and the file it came from, so
/// reports can say which build ran, e.g. "OpenBLAS 0.3.21 … Zen MAX_THREADS=64 (…/openblas-pthread/libopenblas.so.0)".
public var blasConfiguration: String {
    "\(BLASLibrary.shared.configuration) (\(BLASLibrary.shared.path))"
}

/// cblas_sgemm through the lazily loaded library.
@inline(__always)
func sgemm(_ order: CBLAS_ORDER, _ ta: CBLAS_TRANSPOSE, _ tb: CBLAS_TRANSPOSE, _ m: blasint, _ n: blasint, _ k: blasint,
           _ alpha: Float, _ a: UnsafePointer<Float>?, _ lda: blasint, _ b: UnsafePointer<Float>?, _ ldb: blasint,
           _ beta: Float, _ c: UnsafeMutablePointer<Float>?, _ ldc: blasint) {
    let lib = BLASLibrary.shared
    lib.lock?.lock()
    lib.sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    lib.lock?.unlock()
}

/// Row-major Float64 C [M, N] = A·Bᵀ (transB, B [N, K]) or A·B (B [K, N]), A [M, K], through
/// cblas_dgemm with one BLAS thread: each C element is one K-long sum whatever the caller's thread
/// (Probes' batched logistic objective).
public func dgemm(m: Int, n: Int, k: Int, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, transB: Bool,
                  _ c: UnsafeMutablePointer<Double>) {
    if m == 0 || n == 0 { return }
    if k == 0 { c.update(repeating: 0, count: m * n); return }
    let lib = BLASLibrary.shared
    lib.lock?.lock()
    lib.dgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, blasint(m), blasint(n), blasint(k),
              1, a, blasint(k), b, blasint(transB ? k : n), 0, c, blasint(n))
    lib.lock?.unlock()
}
