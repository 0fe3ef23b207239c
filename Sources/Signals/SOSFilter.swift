// SOSFilter: cascaded biquads in transposed direct form II, one pass (scipy.signal.sosfilt) and
// zero-phase forward-backward (scipy.signal.sosfiltfilt, scipy 1.17, padtype='odd',
// padlen = 3·(2·sections + 1 − min(#b2 = 0, #a2 = 0)), initial state sosfilt_zi·x[0] / ·y[end]).
// Float64, so outputs equal scipy's to rounding. Leaves out padtype 'even'/'constant'/None,
// Gustafsson's method and streaming state across calls.

/// sosfilt_zi: [S][2] steady-state initial conditions for a unit step (scipy.signal.sosfilt_zi).
public func sosfiltZi(_ sos: [SOSSection]) -> [[Double]] {
    var scale = 1.0
    var zi = [[Double]]()
    for s in sos {
        let a0 = s[3]
        let b = [s[0] / a0, s[1] / a0, s[2] / a0], a = [1, s[4] / a0, s[5] / a0]
        // lfilter_zi: solve (I − companion(a)ᵀ)·zi = b[1:] − a[1:]·b[0]; here 2×2:
        // [[1 + a1, −1], [a2, 1]]·zi = B.
        let B0 = b[1] - a[1] * b[0], B1 = b[2] - a[2] * b[0]
        let m00 = 1 + a[1], m01 = -1.0, m10 = a[2], m11 = 1.0
        let det = m00 * m11 - m01 * m10
        let z0 = (B0 * m11 - m01 * B1) / det
        let z1 = (m00 * B1 - m10 * B0) / det
        zi.append([scale * z0, scale * z1])
        scale *= (s[0] + s[1] + s[2]) / (s[3] + s[4] + s[5])
    }
    return zi
}

/// y = sosfilt(sos, x, zi=state): runs `x` [N] through the cascade in place; `state` [S][2] is updated.
public func sosfilt(_ sos: [SOSSection], _ x: inout [Double], state: inout [[Double]]) {
    let n = sos.count
    precondition(state.count == n, "sosfilt: state has \(state.count) sections, filter has \(n)")
    var b0 = [Double](), b1 = [Double](), b2 = [Double](), a1 = [Double](), a2 = [Double](), z0 = [Double](), z1 = [Double]()
    for (s, st) in zip(sos, state) {
        b0.append(s[0] / s[3]); b1.append(s[1] / s[3]); b2.append(s[2] / s[3]); a1.append(s[4] / s[3]); a2.append(s[5] / s[3])
        z0.append(st[0]); z1.append(st[1])
    }
    x.withUnsafeMutableBufferPointer { xp in
        for t in 0..<xp.count {
            var v = xp[t]
            for s in 0..<n {
                let y = b0[s] * v + z0[s]
                z0[s] = b1[s] * v - a1[s] * y + z1[s]
                z1[s] = b2[s] * v - a2[s] * y
                v = y
            }
            xp[t] = v
        }
    }
    for s in 0..<n { state[s] = [z0[s], z1[s]] }
}

/// The padlen scipy.signal.sosfiltfilt uses by default: 3·ntaps, ntaps = 2·S + 1 − min(#(b2 = 0), #(a2 = 0)).
public func sosfiltfiltPadlen(_ sos: [SOSSection]) -> Int {
    let zb = sos.filter { $0[2] == 0 }.count, za = sos.filter { $0[5] == 0 }.count
    return 3 * (2 * sos.count + 1 - min(zb, za))
}

/// scipy.signal.sosfiltfilt(sos, x) with padtype='odd' and the default padlen: x [N] → y [N].
/// Throws when N ≤ padlen (scipy raises ValueError there too).
public func sosfiltfilt(_ sos: [SOSSection], _ x: [Double]) throws -> [Double] {
    let edge = sosfiltfiltPadlen(sos)
    guard x.count > edge else {
        throw SignalsError.badParameter("signal of \(x.count) samples is too short for zero-phase filtering; expected more than padlen = \(edge)")
    }
    let n = x.count
    // odd_ext: 2·x[0] − x[edge…1], x, 2·x[N−1] − x[N−2…N−1−edge].
    var ext = [Double]()
    ext.reserveCapacity(n + 2 * edge)
    for i in stride(from: edge, through: 1, by: -1) { ext.append(2 * x[0] - x[i]) }
    ext += x
    for i in 1...edge { ext.append(2 * x[n - 1] - x[n - 1 - i]) }
    let zi = sosfiltZi(sos)
    var state = zi.map { [$0[0] * ext[0], $0[1] * ext[0]] }
    sosfilt(sos, &ext, state: &state)
    ext.reverse()
    state = zi.map { [$0[0] * ext[0], $0[1] * ext[0]] }
    sosfilt(sos, &ext, state: &state)
    ext.reverse()
    return Array(ext[edge..<edge + n])
}

/// A zero-phase Butterworth band-pass over every channel of a recording (Float64).
public struct BandPassFilter: Sendable {
    public let sos: [SOSSection]
    public let low: Double, high: Double, order: Int

    /// scipy.signal.butter(order, [low, high], btype='band', output='sos', fs=sampleRate).
    public init(low: Double, high: Double, order: Int = 4, sampleRate: Double) throws {
        sos = try Butterworth.bandPass(order: order, low: low, high: high, sampleRate: sampleRate)
        self.low = low; self.high = high; self.order = order
    }

    /// Every channel through sosfiltfilt; events and annotations unchanged.
    public func apply(_ r: Recording) throws -> Recording {
        var out = r
        out.data = try r.data.map { try sosfiltfilt(sos, $0) }
        return out
    }
}
