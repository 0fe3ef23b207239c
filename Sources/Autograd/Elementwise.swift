// Element-wise arithmetic with numpy broadcasting and its gradients: the gradient of a
// broadcast operand is the output gradient summed back to the operand's shape (reduceSum).
//   add: ∂a = g, ∂b = g      sub: ∂a = g, ∂b = −g
//   mul: ∂a = g·b, ∂b = g·a  div: ∂a = g/b, ∂b = −g·a/b²
// Scalar forms take a constant Float (no gradient for it).

import TensorCore

extension Variable {
    public static func + (a: Variable, b: Variable) -> Variable {
        let y = a.value + b.value
        let sa = a.shape, sb = b.shape
        return record(y, [a, b]) { g in [reduceSum(g, to: sa), reduceSum(g, to: sb)] }
    }

    public static func - (a: Variable, b: Variable) -> Variable {
        let y = a.value - b.value
        let sa = a.shape, sb = b.shape
        return record(y, [a, b]) { g in [reduceSum(g, to: sa), reduceSum(g * Float(-1), to: sb)] }
    }

    public static func * (a: Variable, b: Variable) -> Variable {
        let av = a.value, bv = b.value
        let ra = a.requiresGrad, rb = b.requiresGrad
        return record(av * bv, [a, b]) { g in
            [ra ? reduceSum(g * bv, to: av.shape) : nil, rb ? reduceSum(g * av, to: bv.shape) : nil]
        }
    }

    public static func / (a: Variable, b: Variable) -> Variable {
        let av = a.value, bv = b.value
        let y = av / bv
        let ra = a.requiresGrad, rb = b.requiresGrad
        return record(y, [a, b]) { g in
            [ra ? reduceSum(g / bv, to: av.shape) : nil,
             rb ? reduceSum(Float(-1) * g * y / bv, to: bv.shape) : nil]   // −g·a/b² = −g·y/b
        }
    }

    public static func * (a: Variable, s: Float) -> Variable {
        record(a.value * s, [a]) { g in [g * s] }
    }

    public static func * (s: Float, a: Variable) -> Variable { a * s }

    public static func + (a: Variable, s: Float) -> Variable {
        record(a.value + s, [a]) { g in [g] }
    }

    public static prefix func - (a: Variable) -> Variable { a * Float(-1) }
}
