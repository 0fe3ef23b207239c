// Reductions to a scalar and along an axis. ∂(Σx)/∂x = 1, ∂(mean x)/∂x = 1/n (broadcast back).

import TensorCore

extension Variable {
    /// Σ of all elements → [] (a scalar).
    public func sum() -> Variable {
        let s = Float(sumAll(value))
        let inShape = shape
        return record(Tensor(scalar: s), [self]) { g in [Tensor(filled: g.scalars[0], shape: inShape)] }
    }

    /// Mean of all elements → [].
    public func mean() -> Variable {
        let n = max(value.count, 1)
        return sum() * (1 / Float(n))
    }

    /// Σ along `axis` (removed).
    public func sum(axis: Int) -> Variable {
        let a = axis < 0 ? axis + shape.count : axis
        let inShape = shape
        var kept = inShape
        kept[a] = 1
        return record(TensorCore.sum(value, axis: a), [self]) { g in
            [g.contiguous().reshaped(kept).broadcast(to: inShape).contiguous()]
        }
    }
}
