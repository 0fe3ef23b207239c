// Element-wise add, sub, mul, div with numpy broadcasting (numpy 2.x broadcasting rules), their
// scalar forms, and in-place variants that write into the left operand's storage.
// Inner loops run over the last axis with unit-stride / broadcast fast paths so they vectorise.
// Leaves out type promotion (Float32 only) and integer / comparison ops.

public enum BinaryOp: Sendable { case add, sub, mul, div }

@inlinable @inline(__always)
func applyRow(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int,
              _ o: UnsafeMutablePointer<Float>, _ so: Int, _ n: Int) {
    if sa == 1 && sb == 1 && so == 1 {
        switch op {
        case .add: for i in 0..<n { o[i] = a[i] + b[i] }
        case .sub: for i in 0..<n { o[i] = a[i] - b[i] }
        case .mul: for i in 0..<n { o[i] = a[i] * b[i] }
        case .div: for i in 0..<n { o[i] = a[i] / b[i] }
        }
    } else if sa == 1 && sb == 0 && so == 1 {
        let s = b[0]
        switch op {
        case .add: for i in 0..<n { o[i] = a[i] + s }
        case .sub: for i in 0..<n { o[i] = a[i] - s }
        case .mul: for i in 0..<n { o[i] = a[i] * s }
        case .div: for i in 0..<n { o[i] = a[i] / s }
        }
    } else if sa == 0 && sb == 1 && so == 1 {
        let s = a[0]
        switch op {
        case .add: for i in 0..<n { o[i] = s + b[i] }
        case .sub: for i in 0..<n { o[i] = s - b[i] }
        case .mul: for i in 0..<n { o[i] = s * b[i] }
        case .div: for i in 0..<n { o[i] = s / b[i] }
        }
    } else {
        switch op {
        case .add: for i in 0..<n { o[i * so] = a[i * sa] + b[i * sb] }
        case .sub: for i in 0..<n { o[i * so] = a[i * sa] - b[i * sb] }
        case .mul: for i in 0..<n { o[i * so] = a[i * sa] * b[i * sb] }
        case .div: for i in 0..<n { o[i * so] = a[i * sa] / b[i * sb] }
        }
    }
}

/// out = a ∘ b over `out`'s shape; a and b already broadcast to it.
func binaryStrided(_ op: BinaryOp, _ a: Tensor, _ b: Tensor, into out: Tensor) {
    if out.count == 0 { return }
    // Fast path: everything contiguous and same shape → one flat row.
    if a.isContiguous && b.isContiguous && out.isContiguous && !a.strides.contains(0) && !b.strides.contains(0) {
        applyRow(op, a.base, 1, b.base, 1, out.base, 1, out.count)
        return
    }
    let n = out.shape.last ?? 1
    let sa = a.strides.last ?? 1, sb = b.strides.last ?? 1, so = out.strides.last ?? 1
    let ap = a.storage.pointer, bp = b.storage.pointer, op_ = out.storage.pointer
    forEachRow(shape: out.shape, strides: [a.strides, b.strides, out.strides],
               offsets: [a.offset, b.offset, out.offset]) { o in
        applyRow(op, ap + o[0], sa, bp + o[1], sb, op_ + o[2], so, n)
    }
}

/// a ∘ b with numpy broadcasting; the result is a new contiguous tensor of the broadcast shape.
/// - a: [N…], b: [N…] broadcastable to each other
public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) -> Tensor {
    let shape = broadcastShapes(a.shape, b.shape)
    let out = Tensor(uninitialized: shape)  // binaryStrided writes every element
    binaryStrided(op, a.broadcast(to: shape), b.broadcast(to: shape), into: out)
    return out
}

/// a ∘= b in place: b must broadcast to a's shape; a's storage is overwritten (all views see it).
/// a must not overlap itself (no stride-0 dims).
public func binaryInPlace(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) {
    precondition(broadcastShapes(a.shape, b.shape) == a.shape,
                 "in-place \(op): shape \(b.shape) does not broadcast to \(a.shape)")
    precondition(!zip(a.shape, a.strides).contains { $0.0 > 1 && $0.1 == 0 },
                 "in-place \(op): target shape \(a.shape) strides \(a.strides) is a broadcast view")
    binaryStrided(op, a, b.broadcast(to: a.shape), into: a)
}

/// a + b, a − b, a · b, a / b element-wise with numpy broadcasting (operators below do the same).
/// - a, b: [N…] broadcastable to each other (e.g. [B, T, C] and [C])
/// - returns: the broadcast shape, contiguous
public func add(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.add, a, b) }
public func sub(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.sub, a, b) }
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.mul, a, b) }
public func div(_ a: Tensor, _ b: Tensor) -> Tensor { binary(.div, a, b) }

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.div, a, b) }
    public static func + (a: Tensor, s: Float) -> Tensor { binary(.add, a, Tensor(scalar: s)) }
    public static func - (a: Tensor, s: Float) -> Tensor { binary(.sub, a, Tensor(scalar: s)) }
    public static func * (a: Tensor, s: Float) -> Tensor { binary(.mul, a, Tensor(scalar: s)) }
    public static func / (a: Tensor, s: Float) -> Tensor { binary(.div, a, Tensor(scalar: s)) }
    public static func + (s: Float, a: Tensor) -> Tensor { binary(.add, Tensor(scalar: s), a) }
    public static func - (s: Float, a: Tensor) -> Tensor { binary(.sub, Tensor(scalar: s), a) }
    public static func * (s: Float, a: Tensor) -> Tensor { binary(.mul, Tensor(scalar: s), a) }
    public static func / (s: Float, a: Tensor) -> Tensor { binary(.div, Tensor(scalar: s), a) }

    /// In place (writes into the left operand's storage, seen by every view of it).
    public static func += (a: inout Tensor, b: Tensor) { binaryInPlace(.add, a, b) }
    public static func -= (a: inout Tensor, b: Tensor) { binaryInPlace(.sub, a, b) }
    public static func *= (a: inout Tensor, b: Tensor) { binaryInPlace(.mul, a, b) }
    public static func /= (a: inout Tensor, b: Tensor) { binaryInPlace(.div, a, b) }
    public static func += (a: inout Tensor, s: Float) { binaryInPlace(.add, a, Tensor(scalar: s)) }
    public static func -= (a: inout Tensor, s: Float) { binaryInPlace(.sub, a, Tensor(scalar: s)) }
    public static func *= (a: inout Tensor, s: Float) { binaryInPlace(.mul, a, Tensor(scalar: s)) }
    public static func /= (a: inout Tensor, s: Float) { binaryInPlace(.div, a, Tensor(scalar: s)) }

    /// self += alpha · b in place (b broadcast to self's shape), e.g. residual connections.
    public func addInPlace(_ b: Tensor, alpha: Float = 1) {
        if alpha == 1 { binaryInPlace(.add, self, b) } else { binaryInPlace(.add, self, b * alpha) }
    }
}
