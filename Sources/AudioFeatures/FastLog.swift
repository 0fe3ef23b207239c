// FastLog: in-place natural log / log10 of a buffer of positive, normal Float32 values, eight lanes
// at a time (glibc's logf/log10f are scalar calls, ≈ 6 ns each, and dominated the log stage).
// ln x = e·ln 2 + 2·atanh(s), s = (m − 1)/(m + 1), x = m·2^e with m ∈ [√½, √2): the atanh series to
// s⁹ is exact to < 1e-9 since |s| < 0.172, so results are within ~2 ulp of libm's. Mirrors no
// reference; leaves out zero, negative, subnormal, infinite and NaN inputs (callers clamp first).

enum FastLog {
    /// y[i] = ln(y[i]) · scale, for y[i] positive normal.  scale 1 gives ln, 1/ln 10 gives log10.
    @inline(__always)
    static func log(_ y: UnsafeMutablePointer<Float>, count n: Int, scale: Float) {
        var i = 0
        let raw = UnsafeMutableRawPointer(y)
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD8<Float>.self)
            raw.storeBytes(of: lanes(v) * scale, toByteOffset: 4 * i, as: SIMD8<Float>.self)
            i += 8
        }
        if i < n {  // tail: pad a vector with ones (ln 1 = 0)
            var v = SIMD8<Float>(repeating: 1)
            for j in 0..<(n - i) { v[j] = y[i + j] }
            let r = lanes(v) * scale
            for j in 0..<(n - i) { y[i + j] = r[j] }
        }
    }

    @inline(__always)
    static func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        var e = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bits &>> 23) &- 127)
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: SIMD8<Float>.self)  // [1, 2)
        let big = m .> 1.414_213_5
        m.replace(with: m * 0.5, where: big)
        e.replace(with: e + 1, where: big)
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var p = SIMD8<Float>(repeating: 1.0 / 9)
        p = p * s2 + 1.0 / 7
        p = p * s2 + 1.0 / 5
        p = p * s2 + 1.0 / 3
        p = p * s2 + 1
        let lnM = 2 * s * p
        // Cody-Waite split of ln 2 keeps e·ln 2 exact to float rounding for |e| ≤ 128.
        return e * 0.693_145_751_953_125 + (lnM + e * 1.428_606_8e-6)
    }
}
