// Recording: the in-memory form every reader produces and every stage consumes — equally sampled
// channels in physical units (µV for the Muse CSVs), stimulus events as sample indices with an
// integer code, and EDF+ annotations as (onset s, duration s, text). Mirrors what
// mne.io.RawArray + mne.find_events hold for the eeg-notebooks data. Leaves out channel types,
// montages and per-channel sampling rates (EDF signals with other rates stay in EDFFile).

/// A stimulus marker: the sample it was shown at and its code (Muse N170: 1 = house, 2 = face).
public struct Event: Sendable, Equatable {
    public var sample: Int
    public var code: Int
    public init(sample: Int, code: Int) { self.sample = sample; self.code = code }
}

/// An EDF+ annotation from a TAL: onset and duration in seconds (duration nil when absent).
public struct Annotation: Sendable, Equatable {
    public var onset: Double
    public var duration: Double?
    public var text: String
    public init(onset: Double, duration: Double?, text: String) { self.onset = onset; self.duration = duration; self.text = text }
}

/// C channels × N samples at one rate. `data[c][n]` is channel c at time n / sampleRate.
public struct Recording: Sendable {
    public var channels: [String]
    public var sampleRate: Double
    /// [C][N] physical values.
    public var data: [[Double]]
    public var events: [Event]
    public var annotations: [Annotation]

    public init(channels: [String], sampleRate: Double, data: [[Double]], events: [Event] = [], annotations: [Annotation] = []) {
        precondition(channels.count == data.count, "Recording: \(channels.count) channel names for \(data.count) channels")
        precondition(Set(data.map(\.count)).count <= 1, "Recording: channels differ in length: \(data.map(\.count))")
        self.channels = channels
        self.sampleRate = sampleRate
        self.data = data
        self.events = events
        self.annotations = annotations
    }

    /// N, samples per channel.
    public var samples: Int { data.first?.count ?? 0 }
    /// N / sampleRate.
    public var duration: Double { Double(samples) / sampleRate }

    /// The recording restricted to `names` (in that order); throws naming the missing channel.
    public func selecting(channels names: [String], path: String) throws -> Recording {
        var rows = [[Double]]()
        for name in names {
            guard let i = channels.firstIndex(of: name) else {
                throw SignalsError.badParameter("\(path): no channel '\(name)' (channels: \(channels.joined(separator: ", ")))")
            }
            rows.append(data[i])
        }
        return Recording(channels: names, sampleRate: sampleRate, data: rows, events: events, annotations: annotations)
    }

    /// Samples [start, end) of every channel; events re-indexed, those outside dropped.
    public func slice(_ range: Range<Int>) -> Recording {
        precondition(range.lowerBound >= 0 && range.upperBound <= samples, "Recording.slice: \(range) outside 0..<\(samples)")
        let ev = events.filter { range.contains($0.sample) }.map { Event(sample: $0.sample - range.lowerBound, code: $0.code) }
        return Recording(channels: channels, sampleRate: sampleRate, data: data.map { Array($0[range]) }, events: ev, annotations: annotations)
    }

    /// Events per code, ascending by code.
    public var eventCounts: [(code: Int, count: Int)] {
        var counts = [Int: Int]()
        for e in events { counts[e.code, default: 0] += 1 }
        return counts.keys.sorted().map { ($0, counts[$0]!) }
    }
}
