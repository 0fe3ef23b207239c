// Concatenation along an axis (torch.cat / numpy.concatenate) and copying slices out of a
// tensor. Views without copies (slice, select, transpose) live in Tensor.swift.
// Leaves out stack (reshape each input to add the axis, then concatenate) and split.

/// Tensors joined along `axis`; all other dims must agree.
/// - tensors: each [N…, Kᵢ, M…] with the same N… and M…
/// - returns: [N…, ΣKᵢ, M…], contiguous
public func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
    precondition(!tensors.isEmpty, "concatenate: no tensors")
    let first = tensors[0]
    let a = first.normalizedAxis(axis, "concatenate")
    var shape = first.shape
    shape[a] = 0
    for t in tensors {
        var s = t.shape
        precondition(s.count == first.rank, "concatenate: shapes \(tensors.map(\.shape)) differ in rank")
        shape[a] += s[a]
        s[a] = first.shape[a]
        precondition(s == first.shape, "concatenate: shapes \(tensors.map(\.shape)) differ off axis \(axis)")
    }
    let out = Tensor(zeros: shape)
    var start = 0
    for t in tensors {
        copyStrided(from: t, to: out.slice(axis: a, start..<(start + t.shape[a])))
        start += t.shape[a]
    }
    return out
}

extension Tensor {
    /// A contiguous copy of elements `range` along `axis`.
    /// - returns: shape with axis size range.count
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor { slice(axis: axis, range).copy() }
}
