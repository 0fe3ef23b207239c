// CoNLL column files: one token per line, the token in the first column and its BIO tag in the
// last, a blank line between sentences (CoNLL-2002/2003, MasakhaNER, CrossNER, Europarl-NER).
// Reads TAB- or space-separated columns, CRLF, a UTF-8 BOM, `-DOCSTART-` lines and a last
// sentence without a closing blank line; checks UTF-8, the column count and the tag scheme (IOB2
// only) and reports the first problem as "FILE:LINE: found; expected". Writes atomically.
// Leaves out: CoNLL-U (comments, multiword ranges), IOB1/IOBES/IOE tags, and middle columns
// (POS, chunk tags), which are checked for count but not kept.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One sentence of a CoNLL file.
public struct CoNLLSentence: Equatable, Sendable {
    /// The first column of each token line.
    public var tokens: [String]
    /// The last column of each token line (`O`, `B-TYPE`, `I-TYPE`); empty for a token-only file.
    public var tags: [String]
    /// The 1-based line number of each token in its file; empty for sentences built in memory.
    public var lines: [Int]

    public init(tokens: [String], tags: [String], lines: [Int] = []) {
        self.tokens = tokens
        self.tags = tags
        self.lines = lines
    }
}

/// A problem with a CoNLL file; every case prints as one line "FILE:LINE: what was found; expected what".
public enum CoNLLError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not exist or cannot be read.
    case unreadable(file: String, reason: String)
    /// A byte sequence that is not UTF-8; `byte` is 1-based within the line.
    case invalidUTF8(file: String, line: Int, byte: Int)
    /// A token line whose column count differs from the file's first token line (`firstLine`).
    case columnCount(file: String, line: Int, found: Int, expected: Int, firstLine: Int)
    /// A token without a tag column where tags are required.
    case missingTag(file: String, line: Int)
    /// A tag outside the BIO (IOB2) scheme.
    case invalidTag(file: String, line: Int, tag: String)
    /// The requested tag column is not on the line (2…columns).
    case tagColumn(file: String, line: Int, column: Int, found: Int)
    /// No token line at all.
    case noSentences(file: String, line: Int)
    /// The writer was given a token or tag that cannot be written as one column.
    case unwritable(file: String, sentence: Int, token: Int, what: String)
    /// Writing failed; nothing was left at `file` (an existing file is unchanged).
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): \(reason); expected a readable CoNLL file"
        case .invalidUTF8(let file, let line, let byte):
            return "\(file):\(line): invalid UTF-8 at byte \(byte) of the line; expected UTF-8 text"
        case .columnCount(let file, let line, let found, let expected, let firstLine):
            return "\(file):\(line): found \(found) \(found == 1 ? "column" : "columns"); expected \(expected), as on line \(firstLine), the first token line"
        case .missingTag(let file, let line):
            return "\(file):\(line): found a token without a tag; expected a token and a tag separated by a TAB or spaces"
        case .invalidTag(let file, let line, let tag):
            return "\(file):\(line): found tag '\(tag)'; expected O, B-TYPE or I-TYPE (BIO/IOB2 only; IOB1, IOE and IOBES tags are not accepted)"
        case .tagColumn(let file, let line, let column, let found):
            return "\(file):\(line): found \(found) columns; expected a tag in column \(column) (2…\(found); column 1 is the token)"
        case .noSentences(let file, let line):
            return "\(file):\(line): found no token lines; expected at least one sentence"
        case .unwritable(let file, let sentence, let token, let what):
            return "\(file): sentence \(sentence), token \(token): \(what)"
        case .writeFailed(let file, let reason):
            return "\(file): could not be written (\(reason)); no partial file was left"
        }
    }
}

public enum CoNLLReader {
    /// Reads a CoNLL file (token first column, tag last column). With `requireTags: false` a
    /// token-only file (one column) is accepted and its sentences have empty `tags`.
    /// - tagColumn: 1-based column of the tag (nil: the last), for files with columns after the
    ///   tag such as the ABSA manual projections (`token TAB tag TAB quality`: 2)
    /// - readTags: false reads tokens only (tags left empty and not checked), for a file whose tags
    ///   are ignored, e.g. a projection target whose gold is kept for `eval`
    /// - replaceInvalidUTF8: decode invalid byte sequences as U+FFFD instead of failing (for files
    ///   kept byte-identical to a source that has them, e.g. AbstRCT's French dev file)
    public static func read(path: String, requireTags: Bool = true, tagColumn: Int? = nil, readTags: Bool = true,
                            replaceInvalidUTF8: Bool = false) throws -> [CoNLLSentence] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw CoNLLError.unreadable(file: path, reason: "no such file")
        }
        guard !isDir.boolValue else { throw CoNLLError.unreadable(file: path, reason: "is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoNLLError.unreadable(file: path, reason: "cannot be read")
        }
        return try parse(bytes: [UInt8](data), name: path, requireTags: requireTags, tagColumn: tagColumn,
                         readTags: readTags, replaceInvalidUTF8: replaceInvalidUTF8)
    }

    /// Parses the bytes of a CoNLL file; `name` is used in errors.
    ///
    /// Columns are separated by runs of TABs and/or spaces; a line that begins with a separator has
    /// an empty token (MasakhaNER's xho/train.txt has two such lines). Blank lines (also lines of
    /// only spaces, TABs or CR) end a sentence; `-DOCSTART-` lines end one too and are skipped.
    public static func parse(bytes: [UInt8], name: String, requireTags: Bool = true, tagColumn: Int? = nil,
                             readTags: Bool = true, replaceInvalidUTF8: Bool = false) throws -> [CoNLLSentence] {
        let text = replaceInvalidUTF8 ? UTF8Check.replacingInvalid(bytes) : bytes
        if !replaceInvalidUTF8 { try validateUTF8(bytes, name: name) }
        return try text.withUnsafeBufferPointer { p in
            try parseLines(p, name: name, requireTags: requireTags, tagColumn: tagColumn, readTags: readTags)
        }
    }

    private static func isSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }

    private static func parseLines(_ p: UnsafeBufferPointer<UInt8>, name: String, requireTags: Bool,
                                   tagColumn: Int?, readTags: Bool = true) throws -> [CoNLLSentence] {
        let n = p.count
        var i = (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) ? 3 : 0
        var lineNo = 0
        var sentences = [CoNLLSentence]()
        var current = CoNLLSentence(tokens: [], tags: [], lines: [])
        var expectedColumns = 0, firstTokenLine = 0
        var validTags = Set<String>()
        var fields = [Range<Int>]()
        fields.reserveCapacity(8)

        func endSentence() {
            if !current.tokens.isEmpty {
                sentences.append(current)
                current = CoNLLSentence(tokens: [], tags: [], lines: [])
            }
        }

        while i < n || (i == n && lineNo == 0) {
            lineNo += 1
            var end = i
            while end < n && p[end] != 0x0A { end += 1 }
            let next = end + 1
            // Split into fields on runs of separators; a leading separator means an empty first field.
            fields.removeAll(keepingCapacity: true)
            var j = i
            var sawText = false
            if j < end && isSeparator(p[j]) { fields.append(j..<j) }
            while j < end {
                while j < end && isSeparator(p[j]) { j += 1 }
                if j == end { break }
                let start = j
                while j < end && !isSeparator(p[j]) { j += 1 }
                fields.append(start..<j)
                sawText = true
            }
            i = next
            if !sawText { endSentence(); continue }
            if field(p, fields[0]).elementsEqual(docstart) { endSentence(); continue }

            if expectedColumns == 0 {
                expectedColumns = fields.count
                firstTokenLine = lineNo
            }
            if requireTags && fields.count < 2 { throw CoNLLError.missingTag(file: name, line: lineNo) }
            if let c = tagColumn, fields.count >= 2, c < 2 || c > fields.count {
                throw CoNLLError.tagColumn(file: name, line: lineNo, column: c, found: fields.count)
            }
            if fields.count != expectedColumns {
                throw CoNLLError.columnCount(file: name, line: lineNo, found: fields.count,
                                             expected: expectedColumns, firstLine: firstTokenLine)
            }
            current.tokens.append(string(p, fields[0]))
            current.lines.append(lineNo)
            if readTags && fields.count >= 2 {
                let tag = string(p, fields[(tagColumn ?? fields.count) - 1])
                if !validTags.contains(tag) {
                    guard BIO.isValid(tag) else { throw CoNLLError.invalidTag(file: name, line: lineNo, tag: tag) }
                    validTags.insert(tag)
                }
                current.tags.append(tag)
            }
        }
        endSentence()
        if sentences.isEmpty { throw CoNLLError.noSentences(file: name, line: max(lineNo, 1)) }
        return sentences
    }

    private static let docstart = Array("-DOCSTART-".utf8)

    private static func field(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: p[r])
    }

    private static func string(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: field(p, r), as: UTF8.self)
    }

    /// RFC 3629 UTF-8; the first bad sequence is reported with its line and 1-based byte within the line.
    static func validateUTF8(_ bytes: [UInt8], name: String) throws {
        if let bad = UTF8Check.firstInvalid(bytes) { throw CoNLLError.invalidUTF8(file: name, line: bad.line, byte: bad.byte) }
    }
}

public enum CoNLLWriter {
    /// The column separator written between token and tag.
    public enum Separator: String, Sendable, CaseIterable {
        case tab = "\t"
        case space = " "
    }

    /// The file's bytes: `token<SEP>tag` per line (just `token` when a sentence has no tags) and
    /// a blank line after every sentence, as in the CoNLL-2002 and MasakhaNER files. `name` is used
    /// in errors. Tokens and tags may not contain spaces, TABs or line breaks; a tag may not be
    /// empty, nor a token without a tag (either would read back differently).
    public static func render(_ sentences: [CoNLLSentence], separator: Separator = .tab, name: String = "<conll>") throws -> [UInt8] {
        var out = [UInt8]()
        let sep = Array(separator.rawValue.utf8)
        for (s, sentence) in sentences.enumerated() {
            precondition(sentence.tags.isEmpty || sentence.tags.count == sentence.tokens.count,
                         "sentence \(s + 1): \(sentence.tokens.count) tokens but \(sentence.tags.count) tags")
            for (k, token) in sentence.tokens.enumerated() {
                if token.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                    throw CoNLLError.unwritable(file: name, sentence: s + 1, token: k + 1,
                                               what: "token '\(token)' contains a space, TAB or line break; expected one column")
                }
                if sentence.tags.isEmpty {
                    if token.isEmpty {
                        throw CoNLLError.unwritable(file: name, sentence: s + 1, token: k + 1,
                                                   what: "empty token without a tag; expected a non-empty token (it would read as a sentence break)")
                    }
                } else {
                    let tag = sentence.tags[k]
                    if tag.isEmpty || tag.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                        throw CoNLLError.unwritable(file: name, sentence: s + 1, token: k + 1,
                                                   what: "tag '\(tag)' is empty or contains a space, TAB or line break; expected one column")
                    }
                }
                if k == 0 && token == "-DOCSTART-" {
                    throw CoNLLError.unwritable(file: name, sentence: s + 1, token: k + 1,
                                               what: "token '-DOCSTART-' opens a sentence; expected any other token (it would read as a document separator)")
                }
                out.append(contentsOf: token.utf8)
                if !sentence.tags.isEmpty {
                    out.append(contentsOf: sep)
                    out.append(contentsOf: sentence.tags[k].utf8)
                }
                out.append(0x0A)
            }
            if !sentence.tokens.isEmpty { out.append(0x0A) }
        }
        return out
    }

    /// Writes `sentences` to `path` atomically: a temporary file in the same directory, renamed
    /// into place only when complete. On any failure nothing is left behind and an existing file
    /// at `path` is unchanged.
    public static func write(_ sentences: [CoNLLSentence], to path: String, separator: Separator = .tab) throws {
        let bytes = try render(sentences, separator: separator, name: path)
        try AtomicWrite.write(bytes, to: path)
    }
}

/// Write-to-temporary-then-rename (the same scheme as AudioFeatures' AtomicFile; Corpora has no
/// dependencies, so it keeps its own copy). The temporary lives beside the destination because
/// rename(2) is atomic only within one file system. Not fsync'd: atomic, not durable.
enum AtomicWrite {
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return "\(dir.isEmpty ? "/" : dir)/.\(name).\(getpid()).\(tag).tmp"
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        let tmp = temporaryPath(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw CoNLLError.writeFailed(file: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let k = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
                if k < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno)); return
                }
                done += k
            }
        }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(tmp)
            throw CoNLLError.writeFailed(file: path, reason: failure)
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw CoNLLError.writeFailed(file: path, reason: "rename: \(reason)")
        }
    }
}

#if canImport(Glibc)
private let posixWrite = Glibc.write
#elseif canImport(Darwin)
private let posixWrite = Darwin.write
#endif
