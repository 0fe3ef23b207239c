// Deterministic random numbers: xoshiro256** (Blackman & Vigna 2018) seeded through SplitMix64,
// uniform floats from the top 24 bits, normal floats by Box-Muller (both values used), and a
// Fisher-Yates shuffle with Lemire's unbiased bounded integers. Same seed → same numbers on
// every run and platform (nothing from the standard library's unspecified algorithms).
// Leaves out cryptographic use, numpy/torch stream compatibility and jump-ahead.

/// A seeded generator; also usable wherever Swift wants a `RandomNumberGenerator`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64
    private var spareNormal: Float?

    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// The whole generator state (four xoshiro words, then the spare normal's bit pattern or
    /// UInt64.max when none is pending), for checkpoints: `init(state:)` continues the stream.
    public var state: [UInt64] {
        [s0, s1, s2, s3, spareNormal.map { UInt64($0.bitPattern) } ?? UInt64.max]
    }

    /// A generator continuing from `state` (as returned by `state`); nil for a malformed state.
    public init?(state: [UInt64]) {
        guard state.count == 5, state[0] | state[1] | state[2] | state[3] != 0 else { return nil }
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
        spareNormal = state[4] == UInt64.max ? nil : Float(bitPattern: UInt32(truncatingIfNeeded: state[4]))
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Standard normal (mean 0, std 1), Box-Muller.
    public mutating func nextNormal() -> Float {
        if let z = spareNormal { spareNormal = nil; return z }
        let u1 = Double(next() >> 11) * 0x1p-53, u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * _log(1 - u1)).squareRoot()   // 1 - u1 ∈ (0, 1]
        let th = 2 * Double.pi * u2
        spareNormal = Float(r * _sin(th))
        return Float(r * _cos(th))
    }

    /// Unbiased integer in 0..<bound (Lemire's multiply-shift with rejection).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:): bound \(bound) must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// Fisher-Yates shuffle in place.
    public mutating func shuffle<T>(_ array: inout [T]) {
        if array.count < 2 { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(i, nextInt(below: i + 1))
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Darwin.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif

extension Tensor {
    /// Uniform in [low, high), C order, from `SeededGenerator(seed:)`.
    /// - returns: `shape`
    public static func uniform(shape: [Int], low: Float = 0, high: Float = 1, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.base[i] = low + (high - low) * g.nextUniform() }
        return t
    }

    /// Normal(mean, std), C order, from `SeededGenerator(seed:)`.
    /// - returns: `shape`
    public static func normal(shape: [Int], mean: Float = 0, std: Float = 1, seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.base[i] = mean + std * g.nextNormal() }
        return t
    }
}
