// SentencePieceError: the one error type of the Tokenization module.
// Every case names the file (model, corpus, model prefix) it is about, what was
// found and what was expected, so the CLI can print `description` as its one line.
// Not here: misuse between internal calls (id out of range in a vocabulary query),
// which is a precondition failure, not an error.

import CSentencePiece

/// An error from loading, running or training a SentencePiece model.
///
/// `description` is one line: `<file>: <what happened> (<what was expected>)`, e.g.
/// `model.bin: not a SentencePiece model (parse failed: INTERNAL: ...)`.
public enum SentencePieceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The model file does not exist.
    case modelNotFound(path: String)
    /// libsentencepiece could not load the file or bytes as a ModelProto.
    case notAModel(name: String, status: String)
    /// An id handed to `decode(ids:)` is outside `0..<vocabularySize`.
    case idOutOfRange(model: String, id: Int32, position: Int, vocabularySize: Int)
    /// libsentencepiece returned a failed status while encoding or decoding.
    case operationFailed(model: String, operation: String, status: String)
    /// A trainer or tokenizer option has a value it cannot take.
    case invalidOption(subject: String, option: String, value: String, expected: String)
    /// A training input file does not exist.
    case trainingInputNotFound(path: String)
    /// SentencePieceTrainer::Train returned a failed status.
    case trainingFailed(model: String, status: String, hint: String?)

    public var description: String {
        switch self {
        case let .modelNotFound(path):
            return "\(path): no such file (expected a SentencePiece .model file)"
        case let .notAModel(name, status):
            return "\(name): not a SentencePiece model (parse failed: \(status))"
        case let .idOutOfRange(model, id, position, size):
            return "\(model): id \(id) at position \(position) is out of range (expected 0..<\(size))"
        case let .operationFailed(model, operation, status):
            return "\(model): \(operation) failed: \(status)"
        case let .invalidOption(subject, option, value, expected):
            return "\(subject): \(option) = \(value) is invalid (expected \(expected))"
        case let .trainingInputNotFound(path):
            return "\(path): no such training input file (expected a text file, one sentence per line)"
        case let .trainingFailed(model, status, hint):
            if let hint { return "\(model): training failed: \(status) (\(hint))" }
            return "\(model): training failed: \(status)"
        }
    }
}

/// Takes ownership of a malloc'd C message, returning it as a String.
func takeMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
    guard let message else { return "unknown error" }
    defer { csp_string_free(message) }
    return String(cString: message)
}
