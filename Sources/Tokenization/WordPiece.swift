// WordPiece: BERT's tokenizer for a vocab.txt (one token a line, id = line number), mirroring
// Hugging Face tokenizers 0.x (BertNormalizer + BertPreTokenizer + WordPiece model, as in a
// BERT tokenizer.json) and transformers' BertTokenizer (BasicTokenizer + WordpieceTokenizer):
// clean text (drop NUL, U+FFFD and control characters, whitespace → " "), spaces around CJK
// ideographs, when lowercasing also strip accents (NFD, drop Mn) and lowercase scalar by scalar,
// split on whitespace and punctuation, then greedy longest-match-first WordPiece with "##"
// continuations and [UNK] for a word with no match or longer than 100 scalars.
// Leaves out: added/special tokens inside the text ("[MASK]" is split like any text), pairs,
// offsets, decoding, and training.

import Foundation

/// An error reading a WordPiece vocabulary; `description` is one line naming the file.
public enum WordPieceError: Error, CustomStringConvertible, Equatable, Sendable {
    case vocabNotFound(path: String)
    case emptyVocab(path: String)
    /// `line` (1-based) repeats the token first seen on `firstLine`.
    case duplicateToken(path: String, token: String, line: Int, firstLine: Int)
    /// A token the model needs ([CLS], [SEP], [PAD], [UNK]) is absent.
    case missingSpecial(path: String, token: String)

    public var description: String {
        switch self {
        case let .vocabNotFound(path):
            return "\(path): no such file (expected a WordPiece vocab.txt, one token a line)"
        case let .emptyVocab(path):
            return "\(path): empty vocabulary (expected a WordPiece vocab.txt, one token a line)"
        case let .duplicateToken(path, token, line, first):
            return "\(path): line \(line): duplicate token \"\(token)\" (first on line \(first); expected each token once)"
        case let .missingSpecial(path, token):
            return "\(path): no \(token) token (expected BERT's [CLS], [SEP], [PAD] and [UNK] in the vocabulary)"
        }
    }
}

/// BERT WordPiece tokenizer over a vocab.txt. Immutable, so safe to share between threads.
public final class WordPieceTokenizer: Sendable {
    public let vocabPath: String
    /// Lowercase and strip accents (tokenizer_config.json `do_lower_case`).
    public let lowercase: Bool
    public let clsId: Int32, sepId: Int32, padId: Int32, unkId: Int32
    /// Tokens in id order.
    public let tokens: [String]
    /// UTF-8 bytes of a token → id (bytes, not String, so lookups are exact rather than
    /// canonically equivalent, as in the Rust and Python references).
    private let ids: [[UInt8]: Int32]
    /// Words longer than this many Unicode scalars become [UNK] (tokenizers' max_input_chars_per_word).
    public static let maxInputCharsPerWord = 100

    public var vocabularySize: Int { tokens.count }

    /// Reads `vocabPath`.
    /// - Throws: `WordPieceError` naming the file (and the line for a duplicate token).
    public init(vocabPath: String, lowercase: Bool) throws {
        guard let data = FileManager.default.contents(atPath: vocabPath) else {
            throw WordPieceError.vocabNotFound(path: vocabPath)
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw WordPieceError.emptyVocab(path: vocabPath) }
        var tokens: [String] = [], ids: [[UInt8]: Int32] = [:]
        tokens.reserveCapacity(lines.count)
        ids.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() {
            // Python's text mode reads "\r\n" as "\n"; the reference then strips "\n".
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
            let key = Array(token.utf8)
            if let first = ids[key] {
                throw WordPieceError.duplicateToken(path: vocabPath, token: token, line: i + 1, firstLine: Int(first) + 1)
            }
            ids[key] = Int32(i)
            tokens.append(token)
        }
        func special(_ t: String) throws -> Int32 {
            guard let id = ids[Array(t.utf8)] else { throw WordPieceError.missingSpecial(path: vocabPath, token: t) }
            return id
        }
        self.vocabPath = vocabPath
        self.lowercase = lowercase
        self.tokens = tokens
        self.ids = ids
        clsId = try special("[CLS]")
        sepId = try special("[SEP]")
        padId = try special("[PAD]")
        unkId = try special("[UNK]")
    }

    /// The id of `token`, if in the vocabulary.
    public func id(of token: String) -> Int32? { ids[Array(token.utf8)] }

    /// Token ids of `text`, without [CLS]/[SEP].
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        for word in words(text) { wordPiece(word, into: &out) }
        return out
    }

    /// Token strings of `text` (for debugging and tests).
    public func tokenize(_ text: String) -> [String] { encode(text).map { tokens[Int($0)] } }

    // MARK: normaliser + pre-tokeniser

    /// Words after BertNormalizer and BertPreTokenizer, each as Unicode scalars.
    func words(_ text: String) -> [[Unicode.Scalar]] {
        // tokenizers' BertNormalizer::do_clean_text, then do_handle_chinese_chars.
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || WordPieceTokenizer.isControl(s) { continue }
            if WordPieceTokenizer.isWhitespace(s) { cleaned.append(" "); continue }
            if WordPieceTokenizer.isChineseChar(s) {
                cleaned.append(" "); cleaned.append(s); cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
        }
        var scalars: [Unicode.Scalar]
        if lowercase {
            // do_strip_accents (NFD, drop Mn) then do_lowercase, scalar by scalar (no final-sigma rule).
            let nfd = String(cleaned).decomposedStringWithCanonicalMapping
            scalars = []
            scalars.reserveCapacity(nfd.unicodeScalars.count)
            for s in nfd.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
                if s.isASCII {
                    scalars.append(s.value >= 65 && s.value <= 90 ? Unicode.Scalar(s.value + 32)! : s)
                } else {
                    scalars.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
                }
            }
        } else {
            scalars = Array(cleaned)
        }
        // BertPreTokenizer: split on whitespace (removed) and punctuation (kept, one per word).
        var words: [[Unicode.Scalar]] = [], current: [Unicode.Scalar] = []
        for s in scalars {
            if WordPieceTokenizer.isWhitespace(s) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if WordPieceTokenizer.isPunctuation(s) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([s])
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// "\t", "\n", "\r" and Unicode White_Space (Rust's char::is_whitespace).
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Categories Cc, Cf, Cs, Co, Cn, except "\t", "\n", "\r".
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// ASCII punctuation (33–47, 58–64, 91–96, 123–126) or any Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// CJK Unified Ideographs blocks as in transformers' BasicTokenizer._is_chinese_char.
    static func isChineseChar(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B820...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }

    // MARK: model

    /// Greedy longest-match-first WordPiece of one word (tokenizers' WordPiece::tokenize).
    func wordPiece(_ word: [Unicode.Scalar], into out: inout [Int32]) {
        if word.count > WordPieceTokenizer.maxInputCharsPerWord { out.append(unkId); return }
        // Byte offset of every scalar boundary, so candidates are slices of one UTF-8 buffer.
        var bytes: [UInt8] = [], offsets: [Int] = [0]
        for s in word { bytes.append(contentsOf: String(s).utf8); offsets.append(bytes.count) }
        let mark = out.count
        var start = 0
        while start < word.count {
            var end = word.count, found: Int32?
            while start < end {
                let piece = bytes[offsets[start]..<offsets[end]]
                let key: [UInt8] = start > 0 ? [35, 35] + piece : Array(piece)
                if let id = ids[key] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                out.removeLast(out.count - mark)
                out.append(unkId)
                return
            }
            out.append(id)
            start = end
        }
    }
}
