// Epochs: windows round(tmin·fs)…round(tmax·fs) (inclusive, Python rounding) around events, minus the
// mean of the samples with t ≤ 0 per channel, rejected when peak-to-peak (or |x|) exceeds a threshold —
// mne.Epochs(raw, events, tmin, tmax, baseline=(None, 0), reject=dict(eeg=…)) for eeg-notebooks N170.
// Events whose window leaves the recording are dropped and counted (as MNE does) or, on request, an
// error; a window that fits no event is always an error. Leaves out detrending and flat rejection.

/// One kept window: its event and the baseline-corrected samples [C, T] row-major (channel c,
/// time t at data[c·T + t]; t = 0 is tmin).
public struct Epoch: Sendable {
    public var event: Event
    public var channels: Int
    public var times: Int
    /// [C, T] row-major.
    public var data: [Double]

    /// Channel c as [T].
    public func channel(_ c: Int) -> ArraySlice<Double> { data[c * times..<(c + 1) * times] }
}

/// How epochs are cut and which are dropped.
public struct EpochOptions: Sendable {
    public enum Rejection: String, Sendable, CaseIterable {
        /// max − min of any channel above the threshold (mne.Epochs reject=).
        case peakToPeak = "ptp"
        /// |x| of any baseline-corrected sample above the threshold.
        case absolute = "abs"
    }
    public var tmin: Double
    public var tmax: Double
    public var baseline: Bool
    /// Threshold in the recording's units (µV for the Muse CSVs); nil keeps every epoch.
    public var reject: Double?
    public var rejection: Rejection
    /// Events too close to the recording's start or end: dropped (counted in EpochSet.outside) or an error.
    public enum EdgePolicy: String, Sendable, CaseIterable { case drop, error }
    public var edge: EdgePolicy

    public init(tmin: Double = -0.1, tmax: Double = 0.8, baseline: Bool = true, reject: Double? = 100, rejection: Rejection = .peakToPeak,
                edge: EdgePolicy = .drop) {
        self.tmin = tmin; self.tmax = tmax; self.baseline = baseline; self.reject = reject; self.rejection = rejection; self.edge = edge
    }

    /// Sample offsets of the window relative to the event: round(tmin·fs) … round(tmax·fs), inclusive.
    public func offsets(sampleRate fs: Double) -> ClosedRange<Int> {
        Int((tmin * fs).rounded(.toNearestOrEven))...Int((tmax * fs).rounded(.toNearestOrEven))
    }

    public func validate() throws {
        guard tmin.isFinite, tmax.isFinite, tmin < tmax else {
            throw SignalsError.badParameter("epoch window --tmin \(tmin) --tmax \(tmax); expected tmin < tmax")
        }
        if baseline && tmin > 0 {
            throw SignalsError.badParameter("--tmin \(tmin) leaves no pre-stimulus samples for the baseline; expected tmin ≤ 0")
        }
        if let r = reject, !(r > 0) { throw SignalsError.badParameter("--reject \(r); expected a positive amplitude") }
    }
}

/// The outcome of epoching one recording.
public struct EpochSet: Sendable {
    public var kept: [Epoch]
    /// Events whose epoch exceeded the rejection threshold.
    public var rejected: [Event]
    /// Events whose window leaves the recording (dropped under EdgePolicy.drop).
    public var outside: [Event] = []
}

/// Cuts one epoch per event of `recording` (already filtered). An event whose window leaves the
/// recording is dropped into `outside`, or throws `.epochOutsideRecording` under EdgePolicy.error
/// and also when no event at all has room (the window is wrong, not the event); `path` labels errors.
/// - recording: C channels × N samples; returns epochs of [C, T], T = offsets.count.
public func makeEpochs(_ recording: Recording, events: [Event]? = nil, options: EpochOptions, path: String) throws -> EpochSet {
    try options.validate()
    let window = options.offsets(sampleRate: recording.sampleRate)
    let T = window.count, C = recording.channels.count, N = recording.samples
    // Baseline = samples with t ≤ 0: offsets window.lowerBound…0.
    let baselineCount = min(T, max(0, -window.lowerBound + 1))
    var kept = [Epoch](), rejected = [Event](), outside = [Event]()
    var firstOutside: SignalsError? = nil
    let all = events ?? recording.events
    for (k, e) in all.enumerated() {
        let span = (e.sample + window.lowerBound)...(e.sample + window.upperBound)
        guard span.lowerBound >= 0, span.upperBound < N else {
            let err = SignalsError.epochOutsideRecording(path: path, eventIndex: k, sample: e.sample, window: span, samples: N)
            if options.edge == .error { throw err }
            if firstOutside == nil { firstOutside = err }
            outside.append(e)
            continue
        }
        var data = [Double](repeating: 0, count: C * T)
        var reject = false
        for c in 0..<C {
            let src = recording.data[c]
            var mean = 0.0
            if options.baseline && baselineCount > 0 {
                for t in 0..<baselineCount { mean += src[span.lowerBound + t] }
                mean /= Double(baselineCount)
            }
            var lo = Double.infinity, hi = -Double.infinity, peak = 0.0
            for t in 0..<T {
                let v = src[span.lowerBound + t] - mean
                data[c * T + t] = v
                lo = min(lo, v); hi = max(hi, v); peak = max(peak, abs(v))
            }
            if let thr = options.reject {
                switch options.rejection {
                case .peakToPeak: if hi - lo > thr { reject = true }
                case .absolute: if peak > thr { reject = true }
                }
            }
        }
        if reject { rejected.append(e) } else { kept.append(Epoch(event: e, channels: C, times: T, data: data)) }
    }
    if let firstOutside, outside.count == all.count { throw firstOutside }
    return EpochSet(kept: kept, rejected: rejected, outside: outside)
}
