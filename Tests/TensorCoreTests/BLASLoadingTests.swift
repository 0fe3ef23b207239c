// Which OpenBLAS runs, and that calling it from two threads at once gives the sequential results.
// Debian's serial build (no locking) made `crosstalk embed` with two workers differ from run to run
// by up to 0.15 in release builds; the pthread build loaded with OPENBLAS_NUM_THREADS=1 gives
// identical runs (TensorCore/BLAS.swift). The product test below did not reproduce that race in
// a debug build, so the first test guards against loading the serial build at all.
import Foundation
import XCTest
@testable import TensorCore

final class BLASLoadingTests: XCTestCase {
    func testPthreadBuildWithOneThreadIsLoaded() {
        let config = blasConfiguration
        print("BLAS: \(config)")
        XCTAssertTrue(config.contains("OpenBLAS"), config)
        XCTAssertFalse(config.contains("SINGLE_THREADED"), "the serial build is not safe for concurrent callers: \(config)")
        XCTAssertEqual(String(cString: getenv("OPENBLAS_NUM_THREADS")), "1")
    }

    func testConcurrentMatmulsEqualSequentialOnes() {
        // The encoder's mix: projections [T, C]·Wᵀ, attention scores and context per head, FFN.
        struct Job { let a: Tensor; let b: Tensor; let transposeB: Bool }
        var jobs = [Job]()
        for i in 0..<10 {
            let t = 20 + (i * 7) % 50
            jobs.append(Job(a: Tensor.normal(shape: [t, 384], seed: UInt64(i)), b: Tensor.normal(shape: [1536, 384], seed: 1000 + UInt64(i)), transposeB: true))
            jobs.append(Job(a: Tensor.normal(shape: [12, t, 32], seed: 2000 + UInt64(i)), b: Tensor.normal(shape: [12, t, 32], seed: 3000 + UInt64(i)), transposeB: true))
            jobs.append(Job(a: Tensor.normal(shape: [8 * t, 1536], seed: 4000 + UInt64(i)), b: Tensor.normal(shape: [384, 1536], seed: 5000 + UInt64(i)), transposeB: true))
        }
        let sequential = jobs.map { matmul($0.a, $0.b, transposeB: $0.transposeB).scalars }
        for round in 0..<2 {
            let concurrent = Parallel.map(jobs.count, workers: 2) { matmul(jobs[$0].a, jobs[$0].b, transposeB: jobs[$0].transposeB).scalars }
            let bad = (0..<jobs.count).filter { concurrent[$0] != sequential[$0] }
            XCTAssertEqual(bad, [], "round \(round): products \(bad) differ when two threads call BLAS at once")
        }
    }
}
