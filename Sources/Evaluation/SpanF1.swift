// Span-level precision, recall and F1 of predicted tag sequences against gold, as python
// seqeval 1.2.2 computes them in its default (non-strict) mode:
// `seqeval.metrics.sequence_labeling.get_entities` for chunking (sentences flattened with an "O"
// between them), `precision_recall_fscore_support` with zero_division="warn" (0 where a
// denominator is 0) for per-type, micro, macro and weighted scores, and `classification_report`'s
// text table. A second mode reproduces conlleval.pl (version 2004-01-26) byte for byte: its chunk
// rules, counts and printed report. Checked against both by Tests/EvaluationTests (golden file
// from Scripts/golden/gen_seqeval_golden.py).
// Leaves out: seqeval's strict mode (scheme=IOB2/IOBES), suffix tags (PER-B), sample weights,
// beta ≠ 1, and conlleval's -r/-l/-d/-o options.
import Corpora
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Inputs that cannot be scored; each prints as one line naming where and what was expected.
public enum SpanEvaluationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Gold and prediction hold different numbers of sentences.
    case sentenceCount(gold: Int, predicted: Int)
    /// Sentence `sentence` (1-based) has different lengths in gold and prediction.
    case tagCount(sentence: Int, gold: Int, predicted: Int)
    /// An empty string where a tag was expected (seqeval itself fails on it with an IndexError).
    case emptyTag(sentence: Int, position: Int, inGold: Bool)
    /// CoNLL files: the prediction has `predicted` sentences where the gold file has `gold`.
    case fileSentenceCount(goldFile: String, gold: Int, predictedFile: String, predicted: Int)
    /// CoNLL files: a sentence has a different number of tokens in the two files.
    case fileTokenCount(goldFile: String, goldLine: Int, gold: Int, predictedFile: String, predictedLine: Int, predicted: Int)
    /// CoNLL files: a token differs between the two files.
    case tokenMismatch(goldFile: String, goldLine: Int, goldToken: String, predictedFile: String, predictedLine: Int, predictedToken: String)

    public var description: String {
        switch self {
        case .sentenceCount(let g, let p):
            return "prediction: found \(p) sentences; expected \(g), as in the gold data"
        case .tagCount(let s, let g, let p):
            return "prediction: sentence \(s) has \(p) tags; expected \(g), as in the gold data"
        case .emptyTag(let s, let k, let inGold):
            return "\(inGold ? "gold" : "prediction"): sentence \(s), tag \(k) is empty; expected O, B-TYPE or I-TYPE"
        case .fileSentenceCount(let gf, let g, let pf, let p):
            return "\(pf): found \(p) sentences; expected \(g), as in \(gf)"
        case .fileTokenCount(let gf, let gl, let g, let pf, let pl, let p):
            return "\(pf):\(pl): found a sentence of \(p) tokens; expected \(g) tokens, as in \(gf):\(gl)"
        case .tokenMismatch(let gf, let gl, let gt, let pf, let pl, let pt):
            return "\(pf):\(pl): found token '\(pt)'; expected '\(gt)', as in \(gf):\(gl)"
        }
    }
}

/// Precision, recall and F1 in [0, 1], and the number of gold spans they cover.
public struct SpanScores: Equatable, Sendable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Gold spans (seqeval's "support").
    public var support: Int

    public init(precision: Double, recall: Double, f1: Double, support: Int) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
    }
}

/// Span counts of one type (or of all types together).
public struct SpanCounts: Equatable, Sendable {
    public var gold: Int
    public var predicted: Int
    public var correct: Int

    public init(gold: Int, predicted: Int, correct: Int) {
        self.gold = gold
        self.predicted = predicted
        self.correct = correct
    }
}

/// seqeval's numbers for one evaluation. `types` are sorted by code point, as python sorts str.
public struct SpanReport: Equatable, Sendable {
    public let types: [String]
    public let counts: [String: SpanCounts]
    public let perType: [String: SpanScores]
    /// Totals over all types: precision = Σcorrect / Σpredicted, recall = Σcorrect / Σgold.
    public let micro: SpanScores
    /// Unweighted mean of the per-type scores. With no type at all seqeval gives NaN (mean of an
    /// empty array); this gives 0 so that the JSON stays valid.
    public let macro: SpanScores
    /// Mean of the per-type scores weighted by gold support (0 when there is no gold span).
    public let weighted: SpanScores

    /// `{"micro": {"precision", "recall", "f1"}, "macro": {…}, "per_type": {"PER": {"precision",
    /// "recall", "f1", "support"}, …}}` on one line, types sorted, numbers as Swift prints a
    /// Double (shortest round-trip form).
    public func json() -> String {
        func scores(_ s: SpanScores, support: Bool) -> String {
            var out = "{\"precision\": \(s.precision), \"recall\": \(s.recall), \"f1\": \(s.f1)"
            if support { out += ", \"support\": \(s.support)" }
            return out + "}"
        }
        var out = "{\"micro\": \(scores(micro, support: false)), \"macro\": \(scores(macro, support: false)), \"per_type\": {"
        for (k, t) in types.enumerated() {
            if k > 0 { out += ", " }
            out += jsonString(t) + ": " + scores(perType[t]!, support: true)
        }
        return out + "}}"
    }

    /// seqeval's `classification_report(y_true, y_pred, digits=digits)` text, byte for byte
    /// (reporters.StringReporter). With no type at all seqeval raises ValueError; this prints the
    /// table without type rows.
    public func text(digits: Int = 2) -> String {
        let width = max(types.map { $0.unicodeScalars.count }.max() ?? 0, "weighted avg".count, digits)
        func right(_ s: String, _ w: Int) -> String {
            let n = s.unicodeScalars.count
            return n >= w ? s : String(repeating: " ", count: w - n) + s
        }
        func row(_ name: String, _ s: SpanScores) -> String {
            var line = right(name, width) + " "
            for v in [s.precision, s.recall, s.f1] { line += " " + right(fixed(v, digits), 9) }
            return line + " " + right(String(s.support), 9)
        }
        var out = right("", width) + " "
        for h in ["precision", "recall", "f1-score", "support"] { out += " " + right(h, 9) }
        out += "\n\n"
        var rows = types.map { row($0, perType[$0]!) }
        rows.append("")
        rows.append(row("micro avg", micro))
        rows.append(row("macro avg", macro))
        rows.append(row("weighted avg", weighted))
        rows.append("")
        return out + rows.joined(separator: "\n")
    }
}

/// conlleval.pl's counts and its printed report.
public struct ConllevalReport: Equatable, Sendable {
    /// Token lines (sentence boundaries are not tokens).
    public let tokens: Int
    /// Tokens whose gold and predicted tags are equal.
    public let correctTags: Int
    /// All phrases: gold ("phrases"), predicted ("found") and correct.
    public let overall: SpanCounts
    /// Chunk types in conlleval's printing order (perl `sort`, with its duplicate-removal rule).
    public let types: [String]
    public let perType: [String: SpanCounts]

    /// 100·correctTags/tokens.
    public var accuracy: Double { tokens > 0 ? Double(100 * correctTags) / Double(tokens) : 0 }
    /// 100·correct/found (0 when nothing was found), as conlleval prints it.
    public var precision: Double { Self.precision(overall) }
    /// 100·correct/phrases (0 when there are no gold phrases).
    public var recall: Double { Self.recall(overall) }
    public var fb1: Double { Self.fb1(precision, recall) }

    static func precision(_ c: SpanCounts) -> Double { c.predicted > 0 ? Double(100 * c.correct) / Double(c.predicted) : 0 }
    static func recall(_ c: SpanCounts) -> Double { c.gold > 0 ? Double(100 * c.correct) / Double(c.gold) : 0 }
    static func fb1(_ p: Double, _ r: Double) -> Double { p + r > 0 ? 2 * p * r / (p + r) : 0 }

    /// conlleval.pl's standard output, byte for byte:
    /// "processed N tokens with M phrases; found: K phrases; correct: C.", the accuracy line (only
    /// when N > 0) and one line per type.
    public func text() -> String {
        var out = "processed \(tokens) tokens with \(overall.gold) phrases; found: \(overall.predicted) phrases; correct: \(overall.correct).\n"
        if tokens > 0 {
            out += "accuracy: \(fixed(accuracy, 2, width: 6))%; precision: \(fixed(precision, 2, width: 6))%; "
            out += "recall: \(fixed(recall, 2, width: 6))%; FB1: \(fixed(fb1, 2, width: 6))\n"
        }
        for t in types {
            let c = perType[t] ?? SpanCounts(gold: 0, predicted: 0, correct: 0)
            let p = Self.precision(c), r = Self.recall(c)
            // printf "%17s" pads by bytes: conlleval.pl reads its input without a UTF-8 layer.
            let pad = max(0, 17 - t.utf8.count)
            out += String(repeating: " ", count: pad) + t + ": "
            out += "precision: \(fixed(p, 2, width: 6))%; recall: \(fixed(r, 2, width: 6))%; FB1: \(fixed(Self.fb1(p, r), 2, width: 6))  \(c.predicted)\n"
        }
        return out
    }
}

public enum SpanEvaluation {
    /// seqeval 1.2.2 default-mode scores of `predicted` against `gold` (one tag array per sentence).
    /// Throws when the sentence counts or a sentence's lengths differ, or a tag is empty.
    public static func evaluate(gold: [[String]], predicted: [[String]]) throws -> SpanReport {
        try checkShapes(gold: gold, predicted: predicted)
        let goldSpans = spansByType(SeqevalChunker.entities(gold))
        let predSpans = spansByType(SeqevalChunker.entities(predicted))
        let types = Set(goldSpans.keys).union(predSpans.keys).sorted(by: codePointLess)

        var counts = [String: SpanCounts]()
        var perType = [String: SpanScores]()
        var precisions = [Double](), recalls = [Double](), f1s = [Double](), supports = [Int]()
        var total = SpanCounts(gold: 0, predicted: 0, correct: 0)
        for t in types {
            let g = goldSpans[t] ?? [], p = predSpans[t] ?? []
            let c = SpanCounts(gold: g.count, predicted: p.count, correct: g.intersection(p).count)
            counts[t] = c
            let s = scores(c)
            perType[t] = s
            precisions.append(s.precision); recalls.append(s.recall); f1s.append(s.f1); supports.append(c.gold)
            total.gold += c.gold; total.predicted += c.predicted; total.correct += c.correct
        }
        let micro = scores(total)
        let macro = SpanScores(precision: mean(precisions), recall: mean(recalls), f1: mean(f1s), support: total.gold)
        let weighted: SpanScores
        if total.gold == 0 {
            // v1._precision_recall_fscore_support: weights sum to 0 → zero_division value (0 for "warn").
            weighted = SpanScores(precision: 0, recall: 0, f1: 0, support: 0)
        } else {
            weighted = SpanScores(precision: weightedMean(precisions, supports), recall: weightedMean(recalls, supports),
                                  f1: weightedMean(f1s, supports), support: total.gold)
        }
        return SpanReport(types: types, counts: counts, perType: perType, micro: micro, macro: macro, weighted: weighted)
    }

    /// conlleval.pl's counts of `predicted` against `gold`, as if it read one "token gold pred" line
    /// per tag and a blank line after each sentence.
    public static func conlleval(gold: [[String]], predicted: [[String]]) throws -> ConllevalReport {
        try checkShapes(gold: gold, predicted: predicted)
        var state = ConllevalState()
        for (g, p) in zip(gold, predicted) {
            for (gt, pt) in zip(g, p) { state.line(correct: gt, guessed: pt) }
            state.boundary()
        }
        return state.finish()
    }

    /// Checks that two CoNLL files hold the same tokens in the same sentences; the first
    /// difference is reported with both files and lines.
    public static func checkAligned(gold: [CoNLLSentence], goldFile: String,
                                    predicted: [CoNLLSentence], predictedFile: String) throws {
        func line(_ s: CoNLLSentence, _ k: Int) -> Int { k < s.lines.count ? s.lines[k] : 0 }
        for (g, p) in zip(gold, predicted) {
            for k in 0..<min(g.tokens.count, p.tokens.count) where g.tokens[k] != p.tokens[k] {
                throw SpanEvaluationError.tokenMismatch(goldFile: goldFile, goldLine: line(g, k), goldToken: g.tokens[k],
                                                        predictedFile: predictedFile, predictedLine: line(p, k), predictedToken: p.tokens[k])
            }
            if g.tokens.count != p.tokens.count {
                throw SpanEvaluationError.fileTokenCount(goldFile: goldFile, goldLine: line(g, 0), gold: g.tokens.count,
                                                         predictedFile: predictedFile, predictedLine: line(p, 0), predicted: p.tokens.count)
            }
        }
        if gold.count != predicted.count {
            throw SpanEvaluationError.fileSentenceCount(goldFile: goldFile, gold: gold.count,
                                                        predictedFile: predictedFile, predicted: predicted.count)
        }
    }

    // MARK: seqeval arithmetic (v1._precision_recall_fscore_support, _prf_divide)

    static func checkShapes(gold: [[String]], predicted: [[String]]) throws {
        guard gold.count == predicted.count else {
            throw SpanEvaluationError.sentenceCount(gold: gold.count, predicted: predicted.count)
        }
        for (s, (g, p)) in zip(gold, predicted).enumerated() {
            guard g.count == p.count else { throw SpanEvaluationError.tagCount(sentence: s + 1, gold: g.count, predicted: p.count) }
            if let k = g.firstIndex(where: \.isEmpty) { throw SpanEvaluationError.emptyTag(sentence: s + 1, position: k + 1, inGold: true) }
            if let k = p.firstIndex(where: \.isEmpty) { throw SpanEvaluationError.emptyTag(sentence: s + 1, position: k + 1, inGold: false) }
        }
    }

    /// tp/pred and tp/true with 0 where a denominator is 0; F1 = 2·P·R/(P+R) with the
    /// denominator replaced by 1 when it is 0 (beta = 1).
    static func scores(_ c: SpanCounts) -> SpanScores {
        let p = c.predicted > 0 ? Double(c.correct) / Double(c.predicted) : 0
        let r = c.gold > 0 ? Double(c.correct) / Double(c.gold) : 0
        var denom = 1.0 * p + r
        if denom == 0 { denom = 1 }
        return SpanScores(precision: p, recall: r, f1: (1 + 1.0) * p * r / denom, support: c.gold)
    }

    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    static func weightedMean(_ xs: [Double], _ w: [Int]) -> Double {
        var num = 0.0, den = 0.0
        for (x, wi) in zip(xs, w) { num += x * Double(wi); den += Double(wi) }
        return num / den
    }

    struct Span: Hashable { let start: Int, end: Int }

    static func spansByType(_ entities: [(type: String, start: Int, end: Int)]) -> [String: Set<Span>] {
        var out = [String: Set<Span>]()
        for e in entities { out[e.type, default: []].insert(Span(start: e.start, end: e.end)) }
        return out
    }
}

// MARK: seqeval chunking

/// seqeval 1.2.2 `get_entities(seq, suffix=False)`: the prefix is the first character, the type
/// what follows the first "-" after it ("_" when empty); `end_of_chunk` / `start_of_chunk` decide
/// boundaries (B, I, O, E, S and "." prefixes). Sentences are joined with an "O" after each, so
/// chunk offsets are global, inclusive (start, end) pairs.
enum SeqevalChunker {
    static func split(_ chunk: String) -> (tag: Substring, type: Substring) {
        let scalars = chunk.unicodeScalars
        let afterFirst = scalars.index(after: scalars.startIndex)
        let tag = Substring(scalars[scalars.startIndex..<afterFirst])
        let rest = Substring(scalars[afterFirst...])
        var type: Substring = rest
        if let dash = rest.firstIndex(of: "-") { type = rest[rest.index(after: dash)...] }
        return (tag, type.isEmpty ? "_" : type)
    }

    static func endOfChunk(_ prevTag: Substring, _ tag: Substring, _ prevType: Substring, _ type: Substring) -> Bool {
        if prevTag == "E" || prevTag == "S" { return true }
        if prevTag == "B" && (tag == "B" || tag == "S" || tag == "O") { return true }
        if prevTag == "I" && (tag == "B" || tag == "S" || tag == "O") { return true }
        return prevTag != "O" && prevTag != "." && prevType != type
    }

    static func startOfChunk(_ prevTag: Substring, _ tag: Substring, _ prevType: Substring, _ type: Substring) -> Bool {
        if tag == "B" || tag == "S" { return true }
        if (prevTag == "E" || prevTag == "S" || prevTag == "O") && (tag == "E" || tag == "I") { return true }
        return tag != "O" && tag != "." && prevType != type
    }

    static func entities(_ sentences: [[String]]) -> [(type: String, start: Int, end: Int)] {
        var chunks = [(type: String, start: Int, end: Int)]()
        var prevTag: Substring = "O", prevType: Substring = ""
        var begin = 0, i = 0
        func step(_ tag: Substring, _ type: Substring) {
            if endOfChunk(prevTag, tag, prevType, type) { chunks.append((String(prevType), begin, i - 1)) }
            if startOfChunk(prevTag, tag, prevType, type) { begin = i }
            prevTag = tag; prevType = type
            i += 1
        }
        for sentence in sentences {
            for chunk in sentence {
                let (tag, type) = split(chunk)
                step(tag, type)
            }
            step("O", "_")
        }
        step("O", "_")  // get_entities' own sentinel after the flattened sequence
        return chunks
    }
}

// MARK: conlleval.pl

/// The state of conlleval.pl's main loop (2004-01-26), one input line at a time.
struct ConllevalState {
    var inCorrect = false
    var lastCorrect = "O", lastCorrectType = ""
    var lastGuessed = "O", lastGuessedType = ""
    var correctChunk = 0, foundCorrect = 0, foundGuessed = 0
    var correctTags = 0, tokenCounter = 0
    var correctChunkByType = [String: Int](), foundCorrectByType = [String: Int](), foundGuessedByType = [String: Int]()

    /// `/^([^-]*)-(.*)$/`, then perl truthiness: a type "0" counts as no type.
    static func parse(_ tag: String) -> (String, String) {
        guard let dash = tag.firstIndex(of: "-") else { return (tag, "") }
        let type = String(tag[tag.index(after: dash)...])
        return (String(tag[..<dash]), type == "0" ? "" : type)
    }

    static func endOfChunk(_ prevTag: String, _ tag: String, _ prevType: String, _ type: String) -> Bool {
        if prevTag == "B" && (tag == "B" || tag == "O") { return true }
        if prevTag == "I" && (tag == "B" || tag == "O") { return true }
        if prevTag == "E" && (tag == "E" || tag == "I" || tag == "O") { return true }
        if prevTag != "O" && prevTag != "." && prevType != type { return true }
        return prevTag == "]" || prevTag == "["
    }

    static func startOfChunk(_ prevTag: String, _ tag: String, _ prevType: String, _ type: String) -> Bool {
        if tag == "B" && (prevTag == "B" || prevTag == "I" || prevTag == "O") { return true }
        if prevTag == "O" && (tag == "I" || tag == "E") { return true }
        if prevTag == "E" && (tag == "E" || tag == "I") { return true }
        if tag != "O" && tag != "." && prevType != type { return true }
        return tag == "[" || tag == "]"
    }

    mutating func line(correct correctTag: String, guessed guessedTag: String) {
        let (correct, correctType) = Self.parse(correctTag)
        let (guessed, guessedType) = Self.parse(guessedTag)
        step(correct, correctType, guessed, guessedType, isBoundary: false)
    }

    /// A blank line: conlleval reads it as "-X- O O" and forces the guess to O.
    mutating func boundary() { step("O", "", "O", "", isBoundary: true) }

    private mutating func step(_ correct: String, _ correctType: String, _ guessed: String, _ guessedType: String, isBoundary: Bool) {
        let endCorrect = Self.endOfChunk(lastCorrect, correct, lastCorrectType, correctType)
        let endGuessed = Self.endOfChunk(lastGuessed, guessed, lastGuessedType, guessedType)
        let startCorrect = Self.startOfChunk(lastCorrect, correct, lastCorrectType, correctType)
        let startGuessed = Self.startOfChunk(lastGuessed, guessed, lastGuessedType, guessedType)
        if inCorrect {
            if endCorrect && endGuessed && lastGuessedType == lastCorrectType {
                inCorrect = false
                correctChunk += 1
                correctChunkByType[lastCorrectType, default: 0] += 1
            } else if endCorrect != endGuessed || guessedType != correctType {
                inCorrect = false
            }
        }
        if startCorrect && startGuessed && guessedType == correctType { inCorrect = true }
        if startCorrect { foundCorrect += 1; foundCorrectByType[correctType, default: 0] += 1 }
        if startGuessed { foundGuessed += 1; foundGuessedByType[guessedType, default: 0] += 1 }
        if !isBoundary {
            if correct == guessed && guessedType == correctType { correctTags += 1 }
            tokenCounter += 1
        }
        lastGuessed = guessed; lastCorrect = correct
        lastGuessedType = guessedType; lastCorrectType = correctType
    }

    mutating func finish() -> ConllevalReport {
        if inCorrect {
            correctChunk += 1
            correctChunkByType[lastCorrectType, default: 0] += 1
            inCorrect = false
        }
        // foreach $i (sort (keys %foundCorrect, keys %foundGuessed)) { push unless $lastType eq $i },
        // where `not($lastType)` is also true for "" — so an empty type can be listed twice.
        var types = [String]()
        var lastType: String? = nil
        for t in (Array(foundCorrectByType.keys) + Array(foundGuessedByType.keys)).sorted(by: codePointLess) {
            if lastType == nil || lastType!.isEmpty || lastType! != t { types.append(t) }
            lastType = t
        }
        var perType = [String: SpanCounts]()
        for t in types {
            perType[t] = SpanCounts(gold: foundCorrectByType[t] ?? 0, predicted: foundGuessedByType[t] ?? 0,
                                    correct: correctChunkByType[t] ?? 0)
        }
        return ConllevalReport(tokens: tokenCounter, correctTags: correctTags,
                               overall: SpanCounts(gold: foundCorrect, predicted: foundGuessed, correct: correctChunk),
                               types: types, perType: perType)
    }
}

// MARK: formatting helpers

/// Code-point order (python's str order; also perl's byte order, since UTF-8 preserves it).
func codePointLess(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

/// printf("%*.*f", width, digits, v) — C's correctly rounded fixed notation, as python's
/// format(v, ".2f") and perl's printf also give.
func fixed(_ v: Double, _ digits: Int, width: Int = 0) -> String {
    var buf = [CChar](repeating: 0, count: 64 + max(0, digits) + max(0, width))
    let n = buf.withUnsafeMutableBufferPointer { p in
        withVaList([Int32(width), Int32(digits), v]) { vsnprintf(p.baseAddress, p.count, "%*.*f", $0) }
    }
    precondition(n >= 0 && Int(n) < buf.count, "fixed(\(v), \(digits)): formatting failed")
    return String(cString: buf)
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
