// AudioError: the one error type AudioFeatures throws at its boundary (files, user-supplied
// samples and rates). Every case prints as a single line "<source>: <what was found>, <what was
// expected>", where <source> is the file path or "<samples>" for in-memory input.
// Mirrors no reference; misuse between internal stages is a precondition, not an AudioError.

/// Errors raised on user-supplied audio, paths and parameters.
public enum AudioError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist.
    case fileNotFound(path: String)
    /// libsndfile could not open or decode the file; `reason` is `sf_strerror`'s text.
    case unreadable(path: String, reason: String)
    /// The file or buffer decodes to zero frames.
    case noSamples(path: String)
    /// A sample rate that is not a positive integer.
    case invalidSampleRate(path: String, rate: Int)
    /// libsoxr refused the conversion.
    case resampleFailed(path: String, from: Int, to: Int, reason: String)
    /// Writing a file failed; nothing is left at `path`.
    case writeFailed(path: String, reason: String)
    /// A `.npy` file that is malformed or holds an unsupported dtype / layout.
    case badNPY(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such file (expected a readable audio file)"
        case .unreadable(let path, let reason):
            return "\(path): not a readable audio file (libsndfile: \(reason))"
        case .noSamples(let path):
            return "\(path): contains no samples (expected at least one frame)"
        case .invalidSampleRate(let path, let rate):
            return "\(path): sample rate \(rate) Hz is invalid (expected a positive integer)"
        case .resampleFailed(let path, let from, let to, let reason):
            return "\(path): resampling \(from) Hz -> \(to) Hz failed (libsoxr: \(reason))"
        case .writeFailed(let path, let reason):
            return "\(path): could not be written (\(reason)); no partial file was left"
        case .badNPY(let path, let reason):
            return "\(path): not a supported .npy file (\(reason))"
        }
    }
}

/// The source label used in errors about in-memory sample buffers.
let inMemorySource = "<samples>"
