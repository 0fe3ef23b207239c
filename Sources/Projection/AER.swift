// Alignment error rate and the files it reads. AER (Och & Ney 2003, "A Systematic Comparison of
// Various Statistical Alignment Models", §5), as neulab/awesome-align tools/aer.py computes it over
// a whole corpus: with predicted links A, sure links S and possible links P (S ⊆ P),
//   precision = |A∩P| / |A|,  recall = |A∩S| / |S|,  AER = 1 − (|A∩S| + |A∩P|) / (|A| + |S|),
// each count summed over all sentences before dividing.
// Files, one sentence per line, links space-separated:
//   - pairs  `source words ||| target words` (pre-tokenised, split on spaces/TABs);
//   - gold   `i-j` (sure) and `ipj` (possible), **1-based** (lilt/alignment-scripts, awesome-align
//            examples/*.gold); a sure link is also possible;
//   - Pharaoh predictions `i-j`, **0-based** (what fast_align, awesome-align and `crosstalk align` write).
// Every reader error names the file, the 1-based line, what was found and what was expected.
// Leaves out aer.py's extras (f-measure, punctuation cleaning, jump counts).

import Foundation

/// Gold links of one sentence pair, 0-based.
public struct GoldAlignment: Equatable, Sendable {
    public var sure: Set<AlignmentLink>
    /// Sure and possible links (a superset of `sure`).
    public var possible: Set<AlignmentLink>

    public init(sure: Set<AlignmentLink>, possible: Set<AlignmentLink>) {
        self.sure = sure
        self.possible = possible.union(sure)
    }
}

/// Corpus-level AER with the counts it comes from.
public struct AERScore: Equatable, Sendable {
    /// |A|, |S|, |A∩S|, |A∩P| summed over sentences.
    public var predicted = 0, sure = 0, predictedSure = 0, predictedPossible = 0

    public init() {}
    /// |A∩P| / |A| (0 when nothing is predicted).
    public var precision: Double { predicted > 0 ? Double(predictedPossible) / Double(predicted) : 0 }
    /// |A∩S| / |S| (0 when there are no sure links).
    public var recall: Double { sure > 0 ? Double(predictedSure) / Double(sure) : 0 }
    /// 1 − (|A∩S| + |A∩P|) / (|A| + |S|) (0 when both are empty).
    public var aer: Double {
        predicted + sure > 0 ? 1 - Double(predictedSure + predictedPossible) / Double(predicted + sure) : 0
    }
}

public enum AER {
    /// Scores `predicted` against `gold`, sentence i against sentence i.
    public static func score(gold: [GoldAlignment], predicted: [Set<AlignmentLink>]) -> AERScore {
        precondition(gold.count == predicted.count, "AER.score: \(gold.count) gold sentences, \(predicted.count) predicted")
        var s = AERScore()
        for (g, a) in zip(gold, predicted) {
            s.predicted += a.count
            s.sure += g.sure.count
            s.predictedSure += a.intersection(g.sure).count
            s.predictedPossible += a.intersection(g.possible).count
        }
        return s
    }
}

/// A problem with an alignment or sentence-pair file; prints as one line "FILE:LINE: found; expected".
public enum AlignmentFileError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(file: String, reason: String)
    case invalidUTF8(file: String, line: Int)
    /// A pairs line without ` ||| `, or with an empty side.
    case malformedPair(file: String, line: Int, found: String)
    /// A link token that is not `i-j` (or `ipj` in gold), or an index below the file's base.
    case malformedLink(file: String, line: Int, token: String, expected: String)
    /// A link whose index is past the end of its sentence.
    case indexOutOfRange(file: String, line: Int, token: String, side: String, index: Int, length: Int, base: Int)
    /// Files that must have one line per sentence pair have different line counts.
    case lineCount(file: String, found: Int, otherFile: String, expected: Int)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): \(reason); expected a readable text file"
        case let .invalidUTF8(file, line):
            return "\(file):\(line): invalid UTF-8; expected UTF-8 text"
        case let .malformedPair(file, line, found):
            return "\(file):\(line): found '\(found)'; expected 'source words ||| target words' with words on both sides"
        case let .malformedLink(file, line, token, expected):
            return "\(file):\(line): found link '\(token)'; expected \(expected)"
        case let .indexOutOfRange(file, line, token, side, index, length, base):
            let range = base == 0 ? "0…\(length - 1)" : "1…\(length)"
            return "\(file):\(line): link '\(token)' has \(side) index \(index); expected \(range) (\(base)-based, the \(side) sentence has \(length) words)"
        case let .lineCount(file, found, otherFile, expected):
            return "\(file): found \(found) lines; expected \(expected), one per sentence pair as in \(otherFile)"
        }
    }
}

/// One line of a pairs file.
public struct SentencePair: Equatable, Sendable {
    public var source: [String]
    public var target: [String]
    public init(source: [String], target: [String]) { self.source = source; self.target = target }
}

public enum AlignmentFiles {
    /// The lines of a UTF-8 file ("\n" or "\r\n"-separated; a final newline does not start another line).
    static func lines(path: String) throws -> [Substring] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw AlignmentFileError.unreadable(file: path, reason: "no such file")
        }
        guard !isDir.boolValue else { throw AlignmentFileError.unreadable(file: path, reason: "is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlignmentFileError.unreadable(file: path, reason: "cannot be read")
        }
        return try lines(bytes: [UInt8](data), name: path)
    }

    static func lines(bytes: [UInt8], name: String) throws -> [Substring] {
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            // The first line that does not decode (a continuation byte is never 0x0A).
            var line = 1, start = 0
            for k in 0...bytes.count where k == bytes.count || bytes[k] == 0x0A {
                if String(bytes: bytes[start..<k], encoding: .utf8) == nil { break }
                line += 1; start = k + 1
            }
            throw AlignmentFileError.invalidUTF8(file: name, line: line)
        }
        // "\r\n" is one Character in Swift: split on it as well as on "\n".
        var out = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        if out.last == "" { out.removeLast() }
        return out
    }

    static func words(_ s: Substring) -> [String] {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// Sentence pairs, one `source ||| target` per line (awesome-align's input format).
    public static func readPairs(path: String) throws -> [SentencePair] {
        try parsePairs(lines(path: path), name: path)
    }

    public static func parsePairs(_ lines: [Substring], name: String) throws -> [SentencePair] {
        try lines.enumerated().map { k, line in
            let parts = line.components(separatedBy: "|||")
            guard parts.count == 2 else {
                throw AlignmentFileError.malformedPair(file: name, line: k + 1, found: String(line.prefix(60)))
            }
            let pair = SentencePair(source: words(Substring(parts[0])), target: words(Substring(parts[1])))
            guard !pair.source.isEmpty && !pair.target.isEmpty else {
                throw AlignmentFileError.malformedPair(file: name, line: k + 1, found: String(line.prefix(60)))
            }
            return pair
        }
    }

    /// Parses "i-j" (and "ipj" when `allowPossible`) into a 0-based link and whether it is sure.
    static func parseLink(_ token: Substring, base: Int, allowPossible: Bool, name: String, line: Int) throws -> (AlignmentLink, sure: Bool) {
        let expected = allowPossible
            ? "i-j (sure) or ipj (possible), \(base)-based non-negative integers"
            : "i-j with \(base)-based non-negative integers (Pharaoh format)"
        guard let sep = token.firstIndex(where: { $0 == "-" || $0 == "p" }) else {
            throw AlignmentFileError.malformedLink(file: name, line: line, token: String(token), expected: expected)
        }
        let sure = token[sep] == "-"
        let a = token[..<sep], b = token[token.index(after: sep)...]
        guard sure || allowPossible, !a.isEmpty, !b.isEmpty, a.allSatisfy(\.isASCII), b.allSatisfy(\.isASCII),
              let i = Int(a), let j = Int(b), a.first != "+", b.first != "+", i >= base, j >= base else {
            throw AlignmentFileError.malformedLink(file: name, line: line, token: String(token), expected: expected)
        }
        return (AlignmentLink(i - base, j - base), sure)
    }

    static func checkRange(_ link: AlignmentLink, token: Substring, pair: SentencePair?, base: Int, name: String, line: Int) throws {
        guard let pair else { return }
        if link.source >= pair.source.count {
            throw AlignmentFileError.indexOutOfRange(file: name, line: line, token: String(token), side: "source",
                                                     index: link.source + base, length: pair.source.count, base: base)
        }
        if link.target >= pair.target.count {
            throw AlignmentFileError.indexOutOfRange(file: name, line: line, token: String(token), side: "target",
                                                     index: link.target + base, length: pair.target.count, base: base)
        }
    }

    static func checkCount(_ found: Int, name: String, pairs: [SentencePair]?, pairsFile: String?) throws {
        if let pairs, found != pairs.count {
            throw AlignmentFileError.lineCount(file: name, found: found, otherFile: pairsFile ?? "the pairs file", expected: pairs.count)
        }
    }

    /// Gold links: `i-j` sure, `ipj` possible, `base`-based (1 for align_gold). With `pairs`, the
    /// line count and every index are checked against the sentences.
    public static func readGold(path: String, base: Int = 1, pairs: [SentencePair]? = nil, pairsFile: String? = nil) throws -> [GoldAlignment] {
        try parseGold(lines(path: path), name: path, base: base, pairs: pairs, pairsFile: pairsFile)
    }

    public static func parseGold(_ lines: [Substring], name: String, base: Int = 1, pairs: [SentencePair]? = nil,
                                 pairsFile: String? = nil) throws -> [GoldAlignment] {
        try checkCount(lines.count, name: name, pairs: pairs, pairsFile: pairsFile)
        return try lines.enumerated().map { k, line in
            var sure = Set<AlignmentLink>(), possible = Set<AlignmentLink>()
            for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let (link, isSure) = try parseLink(token, base: base, allowPossible: true, name: name, line: k + 1)
                try checkRange(link, token: token, pair: pairs?[k], base: base, name: name, line: k + 1)
                if isSure { sure.insert(link) }
                possible.insert(link)
            }
            return GoldAlignment(sure: sure, possible: possible)
        }
    }

    /// Pharaoh links `i-j`, `base`-based (0 for what aligners write). With `pairs`, the line
    /// count and every index are checked against the sentences.
    public static func readPharaoh(path: String, base: Int = 0, pairs: [SentencePair]? = nil, pairsFile: String? = nil) throws -> [Set<AlignmentLink>] {
        try parsePharaoh(lines(path: path), name: path, base: base, pairs: pairs, pairsFile: pairsFile)
    }

    public static func parsePharaoh(_ lines: [Substring], name: String, base: Int = 0, pairs: [SentencePair]? = nil,
                                    pairsFile: String? = nil) throws -> [Set<AlignmentLink>] {
        try checkCount(lines.count, name: name, pairs: pairs, pairsFile: pairsFile)
        return try lines.enumerated().map { k, line in
            var links = Set<AlignmentLink>()
            for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                let (link, _) = try parseLink(token, base: base, allowPossible: false, name: name, line: k + 1)
                try checkRange(link, token: token, pair: pairs?[k], base: base, name: name, line: k + 1)
                links.insert(link)
            }
            return links
        }
    }

    /// Pharaoh text: one line per sentence, links sorted by (source, target), `base`-based.
    public static func pharaoh(_ alignments: [Set<AlignmentLink>], base: Int = 0) -> String {
        alignments.map { links in
            links.sorted().map { "\($0.source + base)-\($0.target + base)" }.joined(separator: " ") + "\n"
        }.joined()
    }
}
