// Shape operations: views forward, the inverse view (made contiguous) backward.
//   reshape ↔ reshape back; permute ↔ inverse permutation; slice/select ↔ the gradient written
//   into zeros of the input's shape; concatenate ↔ slices of the gradient.

import TensorCore

extension Variable {
    /// Same elements, new shape (a copy first when the value is not contiguous).
    public func reshaped(_ shape: [Int]) -> Variable {
        let old = self.shape
        return record(value.contiguous().reshaped(shape), [self]) { g in [g.contiguous().reshaped(old)] }
    }

    /// Axes reordered: result axis i is input axis order[i].
    public func permuted(_ order: [Int]) -> Variable {
        var inverse = [Int](repeating: 0, count: order.count)
        for (i, o) in order.enumerated() { inverse[o] = i }
        return record(value.permuted(order), [self]) { g in [g.permuted(inverse)] }
    }

    /// Swap of two axes (default: the last two).
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Variable {
        let r = shape.count
        var order = Array(0..<r)
        order.swapAt(a < 0 ? a + r : a, b < 0 ? b + r : b)
        return permuted(order)
    }

    /// A contiguous copy (identity for gradients).
    public func contiguous() -> Variable {
        record(value.contiguous(), [self]) { g in [g] }
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Variable {
        let inShape = shape
        return record(value.slice(axis: axis, range), [self]) { g in
            let full = Tensor(zeros: inShape)
            var target = full.slice(axis: axis, range)
            target += g
            return [full]
        }
    }

    /// Index `i` along `axis`, the axis removed.
    public func select(axis: Int, _ i: Int) -> Variable {
        let inShape = shape
        return record(value.select(axis: axis, i), [self]) { g in
            let full = Tensor(zeros: inShape)
            var target = full.select(axis: axis, i)
            target += g
            return [full]
        }
    }
}

/// Joins variables along `axis` (equal other dims).
public func concatenate(_ parts: [Variable], axis: Int) -> Variable {
    let y = TensorCore.concatenate(parts.map(\.value), axis: axis)
    let a = axis < 0 ? axis + y.rank : axis
    let sizes = parts.map { $0.shape[a] }
    return record(y, parts) { g in
        var start = 0
        return sizes.map { n in
            defer { start += n }
            return g.slice(axis: a, start..<(start + n)).contiguous()
        }
    }
}
