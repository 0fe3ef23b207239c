// Butterworth: band-pass design as second-order sections, step by step as scipy 1.17's
// signal.butter(N, [lo, hi], btype='band', output='sos', fs): buttap → lp2bp_zpk → bilinear_zpk
// (tan pre-warp) → zpk2sos(pairing='nearest') with its pole order and zero pairing, so the
// coefficients equal scipy's, not just the transfer function. Float64. Leaves out other types/prototypes.

import Foundation

/// One biquad [b0, b1, b2, a0, a1, a2] (a0 = 1), the row layout of scipy's sos array.
public typealias SOSSection = [Double]

/// A minimal complex number for the zpk design (numpy complex128 semantics where it matters).
struct Complex: Equatable {
    var re: Double, im: Double
    init(_ re: Double, _ im: Double = 0) { self.re = re; self.im = im }
    static func + (a: Complex, b: Complex) -> Complex { Complex(a.re + b.re, a.im + b.im) }
    static func - (a: Complex, b: Complex) -> Complex { Complex(a.re - b.re, a.im - b.im) }
    static prefix func - (a: Complex) -> Complex { Complex(-a.re, -a.im) }
    static func * (a: Complex, b: Complex) -> Complex { Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re) }
    static func * (a: Complex, s: Double) -> Complex { Complex(a.re * s, a.im * s) }
    static func / (a: Complex, b: Complex) -> Complex {
        // Smith's algorithm (numpy's complex division).
        if abs(b.re) >= abs(b.im) {
            let r = b.im / b.re, d = b.re + b.im * r
            return Complex((a.re + a.im * r) / d, (a.im - a.re * r) / d)
        } else {
            let r = b.re / b.im, d = b.re * r + b.im
            return Complex((a.re * r + a.im) / d, (a.im * r - a.re) / d)
        }
    }
    var conj: Complex { Complex(re, -im) }
    var magnitude: Double { hypot(re, im) }
    /// Principal square root (C99 csqrt, as numpy.sqrt on complex128).
    var sqrt: Complex {
        if re == 0 && im == 0 { return Complex(0, im) }
        let t = ((Swift.abs(re) + magnitude) / 2).squareRoot()
        if re >= 0 { return Complex(t, im / (2 * t)) }
        return Complex(Swift.abs(im) / (2 * t), im.sign == .minus ? -t : t)
    }
    /// e^{iθ}
    static func expi(_ theta: Double) -> Complex { Complex(cos(theta), sin(theta)) }
}

public enum Butterworth {
    /// scipy.signal.butter(order, [low, high], btype='band', output='sos', fs=sampleRate): [order][6].
    /// A band-pass of order N has 2N poles, hence N sections. Throws unless 0 < low < high < fs/2.
    public static func bandPass(order: Int, low: Double, high: Double, sampleRate fs: Double) throws -> [SOSSection] {
        guard order >= 1, order <= 20 else { throw SignalsError.badParameter("filter order \(order); expected 1...20") }
        guard low > 0, high > low, high < fs / 2 else {
            throw SignalsError.badParameter("band \(low)–\(high) Hz at \(fs) Hz; expected 0 < low < high < \(fs / 2) (Nyquist)")
        }
        // iirfilter: Wn normalised to Nyquist, then fs = 2 and warped = 2·fs·tan(π·Wn/fs).
        let wn = [2 * low / fs, 2 * high / fs]
        let fsd = 2.0
        let warped = wn.map { 2 * fsd * tan(Double.pi * $0 / fsd) }
        // buttap: p = −exp(iπ·m/(2N)), m = −N+1, −N+3, …, N−1; no zeros; k = 1.
        let p = stride(from: -order + 1, to: order, by: 2).map { -Complex.expi(Double.pi * Double($0) / Double(2 * order)) }
        // lp2bp_zpk(z=[], p, k=1, wo=√(w1·w2), bw=w2−w1).
        let wo = (warped[0] * warped[1]).squareRoot(), bw = warped[1] - warped[0]
        let pLP = p.map { $0 * (bw / 2) }
        let root = pLP.map { ($0 * $0 - Complex(wo * wo)).sqrt }
        let pBP = zip(pLP, root).map { $0 + $1 } + zip(pLP, root).map { $0 - $1 }
        let zBP = [Complex](repeating: Complex(0), count: order)  // degree = N zeros at s = 0
        let kBP = pow(bw, Double(order))
        // bilinear_zpk(z, p, k, fs=2): z ↦ (2fs + z)/(2fs − z), degree zeros at −1 appended.
        let fs2 = 2 * fsd
        let zZ = zBP.map { (Complex(fs2) + $0) / (Complex(fs2) - $0) } + [Complex](repeating: Complex(-1), count: pBP.count - zBP.count)
        let pZ = pBP.map { (Complex(fs2) + $0) / (Complex(fs2) - $0) }
        var num = Complex(1), den = Complex(1)
        for z in zBP { num = num * (Complex(fs2) - z) }
        for q in pBP { den = den * (Complex(fs2) - q) }
        let kZ = kBP * (num / den).re
        return zpk2sos(zeros: zZ, poles: pZ, gain: kZ)
    }

    // MARK: zpk2sos (scipy.signal._filter_design.zpk2sos, pairing='nearest', analog=False)

    /// scipy's _cplxreal: complex roots (one per conjugate pair, imag > 0, sorted by real part then
    /// |imag|) followed by the real roots sorted ascending. Tolerance 100·eps·|z|.
    static func cplxreal(_ z: [Complex]) -> [Complex] {
        let tol = 100 * Double.ulpOfOne
        let sorted = z.sorted { ($0.re, Swift.abs($0.im)) < ($1.re, Swift.abs($1.im)) }
        var real = [Complex](), pos = [Complex](), neg = [Complex]()
        for v in sorted {
            if Swift.abs(v.im) <= tol * v.magnitude { real.append(Complex(v.re, 0)) }
            else if v.im > 0 { pos.append(v) } else { neg.append(v) }
        }
        precondition(pos.count == neg.count, "zpk2sos: roots are not in conjugate pairs: \(z)")
        // Runs of (nearly) equal real part are ordered by |imag|.
        func sortRuns(_ a: inout [Complex]) {
            var s = 0
            while s < a.count {
                var e = s + 1
                while e < a.count && a[e].re - a[e - 1].re <= tol * a[e - 1].magnitude { e += 1 }
                a[s..<e].sort { Swift.abs($0.im) < Swift.abs($1.im) }
                s = e
            }
        }
        sortRuns(&pos); sortRuns(&neg)
        let paired = zip(pos, neg).map { Complex(($0.re + $1.re) / 2, ($0.im - $1.im) / 2) }
        return paired + real
    }

    static func zpk2sos(zeros zIn: [Complex], poles pIn: [Complex], gain k: Double) -> [SOSSection] {
        var z = zIn, p = pIn
        if z.count < p.count { z += [Complex](repeating: Complex(0), count: p.count - z.count) }
        if p.count < z.count { p += [Complex](repeating: Complex(0), count: z.count - p.count) }
        let sections = (max(p.count, z.count) + 1) / 2
        if p.count % 2 == 1 { p.append(Complex(0)); z.append(Complex(0)) }
        z = cplxreal(z)
        p = cplxreal(p)
        func isReal(_ c: Complex) -> Bool { c.im == 0 }
        func worst(_ a: [Complex], among idx: [Int]) -> Int {
            var best = idx[0]
            for i in idx where Swift.abs(1 - a[i].magnitude) < Swift.abs(1 - a[best].magnitude) { best = i }
            return best
        }
        /// Index in `from` of the element nearest `to` (stable ties), restricted to real/complex ones.
        func nearest(_ from: [Complex], _ to: Complex, _ which: String) -> Int {
            let order = from.indices.sorted { (from[$0] - to).magnitude < (from[$1] - to).magnitude || ((from[$0] - to).magnitude == (from[$1] - to).magnitude && $0 < $1) }
            switch which {
            case "real": return order.first { isReal(from[$0]) }!
            case "complex": return order.first { !isReal(from[$0]) }!
            default: return order[0]
            }
        }
        func section(_ zs: [Complex], _ ps: [Complex]) -> SOSSection {
            // zpk2tf with k = 1: poly of two roots, [1, −(r1+r2), r1·r2]; real parts (conjugate pairs).
            func poly(_ r: [Complex]) -> [Double] {
                var a = [Complex(1)]
                for root in r {
                    var next = [Complex](repeating: Complex(0), count: a.count + 1)
                    for (i, c) in a.enumerated() { next[i] = next[i] + c; next[i + 1] = next[i + 1] + c * (-root) }
                    a = next
                }
                return a.map(\.re)
            }
            return poly(zs) + poly(ps)
        }
        var sos = [SOSSection](repeating: [0, 0, 0, 1, 0, 0], count: sections)
        for si in stride(from: sections - 1, through: 0, by: -1) {
            let i1 = worst(p, among: Array(p.indices))
            let p1 = p.remove(at: i1)
            if isReal(p1) && !p.contains(where: isReal) {
                // Special case (1): last remaining real pole, paired with the nearest real zero.
                let zi = nearest(z, p1, "real")
                let z1 = z.remove(at: zi)
                sos[si] = section([z1, Complex(0)], [p1, Complex(0)])
            } else if p.count + 1 == z.count && !isReal(p1) && p.filter(isReal).count == 1 && z.filter(isReal).count == 1 {
                // Special case (2): must pair with a complex zero.
                let zi = nearest(z, p1, "complex")
                let z1 = z.remove(at: zi)
                sos[si] = section([z1, z1.conj], [p1, p1.conj])
            } else {
                let p2: Complex
                if isReal(p1) {
                    let reals = p.indices.filter { isReal(p[$0]) }
                    p2 = p.remove(at: worst(p, among: reals))
                } else {
                    p2 = p1.conj
                }
                if !z.isEmpty {
                    let z1 = z.remove(at: nearest(z, p1, "any"))
                    if !isReal(z1) {
                        sos[si] = section([z1, z1.conj], [p1, p2])
                    } else if !z.isEmpty {
                        let z2 = z.remove(at: nearest(z, p1, "real"))
                        sos[si] = section([z1, z2], [p1, p2])
                    } else {
                        sos[si] = section([z1, Complex(0)], [p1, p2])
                    }
                } else {
                    sos[si] = section([Complex(0), Complex(0)], [p1, p2])
                }
            }
        }
        for j in 0..<3 { sos[0][j] *= k }
        return sos
    }
}
