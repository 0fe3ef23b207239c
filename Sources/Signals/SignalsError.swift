// SignalsError: the typed errors Signals throws at its boundary (files, command-line values).
// Every case prints as one line naming the file, the place in it (line, header field, data
// record, event) and what was expected, so the CLI can show it verbatim and exit non-zero.
// Leaves out recovery: a reader that throws has produced nothing.

/// A problem with user input; `description` is one line: "FILE: PLACE: what was found; expected …".
public enum SignalsError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case cannotRead(path: String, reason: String)
    /// A CSV recording: 1-based line number, what is wrong there.
    case badCSV(path: String, line: Int, reason: String)
    /// An EDF/EDF+ file: the header field, signal or data record at fault.
    case badEDF(path: String, place: String, reason: String)
    /// An EDF+ annotation (TAL) that breaks the EDF+ spec: data record (0-based) and byte offset in it.
    case badAnnotation(path: String, record: Int, offset: Int, reason: String)
    /// An epoch window [tmin, tmax] around an event that does not lie inside the recording.
    case epochOutsideRecording(path: String, eventIndex: Int, sample: Int, window: ClosedRange<Int>, samples: Int)
    /// A parameter out of range (filter band, window, channel name …).
    case badParameter(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .badCSV(path, line, reason):
            return "\(path):\(line): \(reason)"
        case let .badEDF(path, place, reason):
            return "\(path): \(place): \(reason)"
        case let .badAnnotation(path, record, offset, reason):
            return "\(path): EDF Annotations, data record \(record), byte \(offset): \(reason)"
        case let .epochOutsideRecording(path, eventIndex, sample, window, samples):
            return "\(path): event \(eventIndex + 1) at sample \(sample): epoch samples \(window.lowerBound)...\(window.upperBound) "
                + "fall outside the recording (0...\(samples - 1)); expected a window inside it (narrow --tmin/--tmax)"
        case let .badParameter(reason):
            return reason
        }
    }
}
