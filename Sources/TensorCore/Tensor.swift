// Tensor: a strided Float32 view over a shared, reference-counted, 64-byte-aligned buffer.
// Mirrors the storage/view split of torch.Tensor (storage + sizes + strides + storage_offset):
// reshape, transpose, permute and slice make views that share storage; contiguous() copies
// only when the view is not already in C order. Leaves out other dtypes, devices, autograd
// (see the Autograd module) and copy-on-write: writes through one view are seen by all others.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

// MARK: - Storage

/// A reference-counted Float32 buffer, 64-byte aligned (2 MiB aligned and advised
/// MADV_HUGEPAGE on Linux when it is 4 MiB or larger). Zero-filled on allocation.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of Float elements the buffer holds.
    public let count: Int

    /// - zeroed: false leaves the contents undefined, for outputs every element of which the
    ///   caller writes (GEMM with beta 0, row kernels): saves a memset per operation.
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let huge = bytes >= 4 << 20
        let alignment = huge ? 2 << 20 : 64
        var raw: UnsafeMutableRawPointer?
        let rc = posix_memalign(&raw, alignment, bytes)
        precondition(rc == 0 && raw != nil, "TensorStorage: cannot allocate \(bytes) bytes (posix_memalign returned \(rc))")
        #if os(Linux)
        if huge { _ = madvise(raw, bytes, 14 /* MADV_HUGEPAGE */) }
        #endif
        if zeroed { memset(raw!, 0, bytes) }
        pointer = raw!.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { free(pointer) }
}

/// Counts the copies `contiguous()` makes (tests use it to prove an op made none).
final class CopyCounter: @unchecked Sendable {
    static let shared = CopyCounter()
    private let lock = NSLock()
    private var value = 0
    func increment() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}

// MARK: - Tensor

/// A Float32 tensor: `shape`, `strides` (in elements, may be 0 for broadcast or any order for
/// transposed views) and `offset` into a shared `TensorStorage`.
///
/// Shape letters used in every doc comment of this package:
/// - `B` batch, `T` tokens (sequence positions), `C` channels / hidden size,
///   `H` attention heads, `D` head dimension (C = H·D), `V` vocabulary, `N`, `M`, `K`, `P`
///   generic sizes (matmul is [M, K] × [K, P] → [M, P]).
///
/// `Tensor` is a struct holding a reference to its storage: copying a `Tensor` copies the view,
/// not the data, and writes (`t[i, j] = v`, in-place ops) are visible through every view of the
/// same storage. Use `contiguous()` or `copy()` for an independent buffer.
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
    public let storage: TensorStorage
    public let shape: [Int]
    public let strides: [Int]
    public let offset: Int

    // MARK: init

    /// A view on `storage`; the whole view must lie inside the buffer.
    public init(storage: TensorStorage, shape: [Int], strides: [Int], offset: Int = 0) {
        precondition(shape.count == strides.count, "Tensor: shape \(shape) and strides \(strides) differ in rank")
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative size in shape \(shape)")
        if !shape.contains(0) {
            var lo = offset, hi = offset
            for (n, s) in zip(shape, strides) { if s > 0 { hi += (n - 1) * s } else { lo += (n - 1) * s } }
            precondition(lo >= 0 && hi < storage.count,
                         "Tensor: view shape \(shape) strides \(strides) offset \(offset) exceeds storage of \(storage.count)")
        }
        self.storage = storage
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// Zeros of `shape` (contiguous, C order).
    public init(zeros shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.init(storage: TensorStorage(count: n), shape: shape, strides: Tensor.contiguousStrides(shape))
    }

    /// `shape` with undefined contents: only for outputs whose every element is written next.
    public init(uninitialized shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.init(storage: TensorStorage(count: n, zeroed: false), shape: shape, strides: Tensor.contiguousStrides(shape))
    }

    /// `shape` filled with `value`.
    public init(filled value: Float, shape: [Int]) {
        self.init(zeros: shape)
        if value != 0 { storage.pointer.update(repeating: value, count: storage.count) }
    }

    /// `values` in C order reshaped to `shape`; counts must agree.
    public init(_ values: [Float], shape: [Int]) {
        precondition(Tensor.elementCount(shape) == values.count,
                     "Tensor: \(values.count) values cannot fill shape \(shape)")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: max(values.count, 0)) }
    }

    /// A scalar (rank 0).
    public init(scalar: Float) { self.init([scalar], shape: []) }

    /// [N]: start, start + step, … (< end), like numpy.arange.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "Tensor.arange: step is 0")
        let n = max(0, Int(((end - start) / step).rounded(.up)))
        let t = Tensor(zeros: [n])
        for i in 0..<n { t.storage.pointer[i] = start + Float(i) * step }
        return t
    }

    // MARK: geometry

    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { Tensor.elementCount(shape) }

    /// True when the elements lie in C order without gaps (size-1 dims may have any stride).
    public var isContiguous: Bool {
        var expected = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// Pointer to element [0, 0, …] (for kernels; respect `strides`).
    @inlinable public var base: UnsafeMutablePointer<Float> { storage.pointer + offset }

    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) { s[d] = acc; acc *= max(shape[d], 1) }
        return s
    }

    func normalizedAxis(_ axis: Int, _ what: String) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "\(what): axis \(axis) out of range for shape \(shape)")
        return a
    }

    // MARK: views (no copies)

    /// Same data, new shape (one entry may be -1). The tensor must be contiguous.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let rest = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(rest > 0 && count % rest == 0, "reshaped: cannot infer -1 in \(newShape) from shape \(shape)")
            s[i] = count / rest
        }
        precondition(Tensor.elementCount(s) == count, "reshaped: shape \(shape) (\(count) elements) cannot become \(newShape)")
        precondition(isContiguous, "reshaped: shape \(shape) strides \(strides) is not contiguous; call contiguous() first")
        return Tensor(storage: storage, shape: s, strides: Tensor.contiguousStrides(s), offset: offset)
    }

    /// Dimensions reordered: result dim i is input dim `order[i]` (torch.permute).
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "permuted: \(order) is not a permutation of the axes of shape \(shape)")
        return Tensor(storage: storage, shape: order.map { shape[$0] }, strides: order.map { strides[$0] }, offset: offset)
    }

    /// Axes `a` and `b` swapped (default: the last two).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        let i = normalizedAxis(a, "transposed"), j = normalizedAxis(b, "transposed")
        var order = Array(0..<rank)
        order.swapAt(i, j)
        return permuted(order)
    }

    /// Elements `range` along `axis` (a view).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizedAxis(axis, "slice")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice: range \(range) out of bounds for axis \(axis) of shape \(shape)")
        var s = shape
        s[a] = range.count
        return Tensor(storage: storage, shape: s, strides: strides, offset: offset + range.lowerBound * strides[a])
    }

    /// Index `i` along `axis`, removing that axis (a view).
    public func select(axis: Int, _ i: Int) -> Tensor {
        let a = normalizedAxis(axis, "select")
        precondition(i >= 0 && i < shape[a], "select: index \(i) out of bounds for axis \(axis) of shape \(shape)")
        var s = shape, st = strides
        s.remove(at: a)
        st.remove(at: a)
        return Tensor(storage: storage, shape: s, strides: st, offset: offset + i * strides[a])
    }

    /// A view of this tensor broadcast to `target` (numpy rules; stride 0 on repeated dims).
    public func broadcast(to target: [Int]) -> Tensor {
        precondition(target.count >= rank, "broadcast: shape \(shape) cannot broadcast to \(target)")
        let lead = target.count - rank
        var st = [Int](repeating: 0, count: target.count)
        for d in 0..<rank {
            if shape[d] == target[lead + d] { st[lead + d] = strides[d] }
            else { precondition(shape[d] == 1, "broadcast: shape \(shape) cannot broadcast to \(target)") }
        }
        return Tensor(storage: storage, shape: target, strides: st, offset: offset)
    }

    /// This tensor if already contiguous, else a C-order copy.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        CopyCounter.shared.increment()
        return copy()
    }

    /// An independent C-order copy.
    public func copy() -> Tensor {
        let out = Tensor(zeros: shape)
        copyStrided(from: self, to: out)
        return out
    }

    // MARK: element access (tests, small glue; kernels use pointers)

    @inlinable func linearIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor index \(index) has wrong rank for shape \(shape)")
        var o = offset
        for d in 0..<index.count {
            precondition(index[d] >= 0 && index[d] < shape[d], "Tensor index \(index) out of bounds for shape \(shape)")
            o += index[d] * strides[d]
        }
        return o
    }

    /// Element at `index` (one Int per axis). Setting writes into the shared storage.
    public subscript(_ index: Int...) -> Float {
        get { storage.pointer[linearIndex(index)] }
        nonmutating set { storage.pointer[linearIndex(index)] = newValue }
    }

    /// Elements in C order.
    public var scalars: [Float] {
        let c = contiguous()
        return Array(UnsafeBufferPointer(start: c.base, count: c.count))
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: shape \(shape) has \(count) elements")
        return contiguous().base[0]
    }

    public var description: String {
        let vals = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(vals)\(count > 8 ? ", …" : "")])"
    }
}

// MARK: - strided iteration

/// Calls `body(offsets)` once per row (every index of all dims but the last), where
/// `offsets[k]` is operand k's element offset of that row's first element. Shapes already
/// broadcast; `strides[k]` are operand k's strides over `shape` (0 on broadcast dims).
@usableFromInline
func forEachRow(shape: [Int], strides: [[Int]], offsets start: [Int], _ body: ([Int]) -> Void) {
    let r = shape.count
    if r <= 1 { body(start); return }
    if shape.contains(0) { return }
    var idx = [Int](repeating: 0, count: r - 1)
    var off = start
    let rows = shape[0..<(r - 1)].reduce(1, *)
    for _ in 0..<rows {
        body(off)
        var d = r - 2
        while d >= 0 {
            idx[d] += 1
            for k in 0..<off.count { off[k] += strides[k][d] }
            if idx[d] < shape[d] { break }
            for k in 0..<off.count { off[k] -= strides[k][d] * shape[d] }
            idx[d] = 0
            d -= 1
        }
    }
}

/// Copies `src` into `dst` element by element (same shape; any strides).
func copyStrided(from src: Tensor, to dst: Tensor) {
    precondition(src.shape == dst.shape, "copy: shape \(src.shape) into \(dst.shape)")
    if src.count == 0 { return }
    if src.isContiguous && dst.isContiguous {
        dst.base.update(from: src.base, count: src.count)
        return
    }
    let n = src.shape.last ?? 1
    let ss = src.strides.last ?? 1, ds = dst.strides.last ?? 1
    let sp = src.storage.pointer, dp = dst.storage.pointer
    forEachRow(shape: src.shape, strides: [src.strides, dst.strides], offsets: [src.offset, dst.offset]) { o in
        let s = sp + o[0], d = dp + o[1]
        if ss == 1 && ds == 1 { d.update(from: s, count: n) }
        else { for i in 0..<n { d[i * ds] = s[i * ss] } }
    }
}

/// numpy broadcast of two shapes; precondition on incompatible shapes.
public func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int] {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let x = i < r - a.count ? 1 : a[i - (r - a.count)]
        let y = i < r - b.count ? 1 : b[i - (r - b.count)]
        precondition(x == y || x == 1 || y == 1, "broadcast: shapes \(a) and \(b) are incompatible")
        out[i] = x == 1 ? y : x
    }
    return out
}
