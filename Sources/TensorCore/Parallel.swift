// Runs independent work items on a fixed number of worker threads (Dispatch's
// concurrentPerform, items handed out dynamically). Each worker calls single-threaded
// OpenBLAS, so two workers on two cores reach ≈ 2× one (../shared/NATIVE.md).
// Leaves out futures, cancellation and nested parallelism (a body must not call back in).

import Foundation

public enum Parallel {
    /// Default worker count: the active processor count.
    public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Calls `body(i)` once for every i in 0..<count, on at most `workers` threads; returns when all are done.
    /// Items are claimed one at a time, so uneven items balance. `body` must be thread-safe.
    public static func forEach(_ count: Int, workers: Int = Parallel.defaultWorkers, _ body: (Int) -> Void) {
        if count <= 0 { return }
        let w = Swift.max(1, Swift.min(workers, count))
        if w == 1 { for i in 0..<count { body(i) }; return }
        let next = ItemCounter()
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: w) { _ in
                while true {
                    let i = next.claim()
                    if i >= count { break }
                    body(i)
                }
            }
        }
    }

    /// `transform(i)` for every i in 0..<count in order, computed on `workers` threads.
    public static func map<R>(_ count: Int, workers: Int = Parallel.defaultWorkers, _ transform: (Int) -> R) -> [R] {
        if count <= 0 { return [] }
        let results = UnsafeMutablePointer<R?>.allocate(capacity: count)
        results.initialize(repeating: nil, count: count)
        defer { results.deinitialize(count: count); results.deallocate() }
        forEach(count, workers: workers) { i in results[i] = transform(i) }
        return (0..<count).map { results[$0]! }
    }
}

private final class ItemCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func claim() -> Int { lock.lock(); defer { lock.unlock() }; let v = value; value += 1; return v }
}
