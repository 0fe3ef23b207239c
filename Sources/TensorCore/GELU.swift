// GELU activations. `.erf` is the exact form 0.5·x·(1 + erf(x/√2)) of
// torch.nn.functional.gelu(approximate='none') (HF "gelu", used by BERT/XLM-R); `.tanh` is
// 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) of gelu(approximate='tanh') (HF "gelu_new", GPT-2),
// computed as the identical x·sigmoid(2u). Both use FastMath's vectorisable erf/exp.
// Leaves out the sigmoid approximation (x·σ(1.702x)) and the backward pass.

public enum GELUApproximation: Sendable { case erf, tanh }

/// GELU applied element-wise.
/// - x: [N…]
/// - returns: same shape, contiguous
public func gelu(_ x: Tensor, approximation: GELUApproximation = .erf) -> Tensor {
    let xc = x.contiguous()
    let out = Tensor(uninitialized: x.shape)  // every element written by geluRows
    geluRows(xc.base, out.base, count: x.count, approximation: approximation)
    return out
}

/// GELU in place on a contiguous tensor (x's storage is overwritten).
/// - x: [N…], contiguous
public func geluInPlace(_ x: Tensor, approximation: GELUApproximation = .erf) {
    precondition(x.isContiguous, "geluInPlace: x \(x.shape) strides \(x.strides) is not contiguous")
    geluRows(x.base, x.base, count: x.count, approximation: approximation)
}

@inlinable
public func geluRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int,
                     approximation: GELUApproximation) {
    switch approximation {
    case .erf:
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            ry.storeBytes(of: 0.5 * v * (1 + fastErf8(v * 0.70710678118654752)), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { let v = x[i]; y[i] = 0.5 * v * (1 + fastErf(v * 0.70710678118654752)); i += 1 }
    case .tanh:
        // 0.5x(1 + tanh(u)) = x / (1 + e^(-2u)),  u = √(2/π)(x + 0.044715x³)
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        while i + 8 <= n {
            let v = rx.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            let u2 = -1.5957691216057308 * (v + 0.044715 * v * v * v)
            ry.storeBytes(of: v / (1 + fastExp8(u2)), toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        for i in i..<n {
            let v = x[i]
            let u2 = -1.5957691216057308 * (v + 0.044715 * v * v * v)
            y[i] = v / (1 + fastExp(u2))
        }
    }
}
