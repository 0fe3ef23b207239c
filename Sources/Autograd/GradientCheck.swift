// Gradient checking by central differences (the method of tinygrad's test_ops and ggml's
// test-backend-ops, done in Float64): ∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for a scalar
// f of Float64 inputs, and the error measure that compares a Float32 analytic gradient with it.
// Callers write f as an independent Float64 reference forward (not through Variable), usually
// L(x) = Σᵢ wᵢ·yᵢ(x) for fixed weights w, and seed backward with w.
// Leaves out Float32 differencing (its cancellation error swamps the check), higher derivatives
// and forward-mode checks.

public enum GradientCheck {
    /// The numeric gradient of `f` at `x` by central differences: component i is
    /// (f(x + h·eᵢ) − f(x − h·eᵢ)) / (2h) with h the step actually representable around xᵢ
    /// ((xᵢ + eps) − (xᵢ − eps) halved), so the quotient has no rounding of the step in it.
    /// Truncation error is O(eps²·f‴), rounding error O(ulp(f)/eps): eps 1e-6 suits inputs of order 1.
    /// - x: [N]; returns: [N]
    public static func centralDifference(at x: [Double], eps: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
        precondition(eps > 0, "centralDifference: eps \(eps) must be positive")
        var probe = x
        var gradient = [Double](repeating: 0, count: x.count)
        for i in x.indices {
            let xi = x[i]
            let up = xi + eps, down = xi - eps
            probe[i] = up
            let fUp = f(probe)
            probe[i] = down
            let fDown = f(probe)
            probe[i] = xi
            gradient[i] = (fUp - fDown) / (up - down)
        }
        return gradient
    }

    /// max |aᵢ − nᵢ| / max(1, max |nᵢ|): an absolute error for gradients of order ≤ 1 and a
    /// relative one above, so Float32 rounding of large gradients is not mistaken for a wrong rule.
    /// A NaN or infinity on either side gives +∞ (a check against any bound fails); empty gives 0.
    /// - analytic, numeric: [N], the same element order
    public static func relativeError(analytic: [Float], numeric: [Double]) -> Double {
        precondition(analytic.count == numeric.count,
                     "relativeError: \(analytic.count) analytic values for \(numeric.count) numeric ones")
        var worst = 0.0, scale = 1.0
        for (a, n) in zip(analytic, numeric) {
            guard a.isFinite && n.isFinite else { return .infinity }
            worst = max(worst, abs(Double(a) - n))
            scale = max(scale, abs(n))
        }
        return worst / scale
    }
}
