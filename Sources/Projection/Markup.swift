// The markup method of projection (translate-train with markers, as EasyProject, Chen et al. 2023,
// does with square brackets): a tagged sentence becomes one line of HTML whose spans are
// `<b class="TYPE" id="eK">…</b>`, a rule-based MT system that carries inline HTML through
// (Apertium `-f html`) translates it, and the translation is split back into words and BIO tags.
// Pieces of one span that reordering split apart (Apertium copies the tag onto each piece) are
// joined from the first to the last word carrying the span's id. Leaves out nested spans.

import Foundation
import Corpora

public enum MarkupProjection {
    /// `&`, `<`, `>`, `"` escaped for HTML text.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// One HTML line: the sentence's tokens joined by spaces, each span wrapped in
    /// `<b class="TYPE" id="eK">` (K = the span's index in the sentence).
    public static func markup(_ sentence: CoNLLSentence) -> String {
        let spans = BIO.spans(sentence.tags)
        var opening = [Int: Int](), closing = Set<Int>()
        for (k, s) in spans.enumerated() { opening[s.range.lowerBound] = k; closing.insert(s.range.upperBound - 1) }
        var parts = [String]()
        for (i, token) in sentence.tokens.enumerated() {
            var t = escape(token)
            if let k = opening[i] { t = "<b class=\"\(escape(spans[k].type))\" id=\"e\(k)\">" + t }
            if closing.contains(i) { t += "</b>" }
            parts.append(t)
        }
        return parts.joined(separator: " ")
    }

    public enum ParseError: Error, CustomStringConvertible, Equatable, Sendable {
        case malformed(file: String, sentence: Int, what: String)
        public var description: String {
            switch self {
            case let .malformed(file, sentence, what):
                return "\(file): sentence \(sentence): \(what); expected the translation of one marked-up line"
            }
        }
    }

    static let entities: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " "]

    /// Languages whose tokenisers (and gold corpora, e.g. Europarl NER it) split an elided article
    /// or preposition from its word: Italian "dell'Unione" → "dell'" "Unione", French "l'eau".
    public static let elidingLanguages: Set<String> = ["it", "ita", "fr", "fra", "fre", "ca", "cat", "oc", "oci"]

    /// Words and BIO tags of one translated line, and how many spans had their pieces joined.
    /// `splitElisions`: an apostrophe between two letters ends a word ("l'", "eau"), and an elided
    /// word that opens a span ("L'" of "L'Avvocato Generale") is left out of the span.
    /// `sourceFirstWords`: the first word of each source span (span ids eK index it); a span whose
    /// source starts with a capital loses leading lower-case target words that MT pulled into it
    /// (Apertium spa-ita fuses "de la Ley" into "della Legge" and puts the tag before "della").
    public static func parse(_ line: String, sentence: Int = 1, file: String = "<translation>",
                             splitElisions: Bool = false, sourceFirstWords: [String] = []) throws -> (tokens: [String], tags: [String], joinedPieces: Int) {
        // Characters of the text with the span (class, id) they are inside.
        var chars = [(Character, Int?)]()
        var classes = [Int: String]()
        var current: Int? = nil
        let s = Array(line)
        var i = 0
        while i < s.count {
            let ch = s[i]
            if ch == "<" {
                guard let close = s[i...].firstIndex(of: ">") else {
                    throw ParseError.malformed(file: file, sentence: sentence, what: "an unclosed '<' at character \(i + 1)")
                }
                let tag = String(s[(i + 1)..<close])
                if tag.hasPrefix("/") {
                    current = nil
                } else if tag.hasPrefix("b ") || tag == "b" {
                    guard let id = attribute("id", in: tag), id.hasPrefix("e"), let k = Int(id.dropFirst()),
                          let cls = attribute("class", in: tag) else {
                        throw ParseError.malformed(file: file, sentence: sentence, what: "tag <\(tag)> without class and id=\"eK\"")
                    }
                    classes[k] = cls
                    current = k
                }  // other tags Apertium might add are dropped
                i = close + 1
                continue
            }
            if ch == "&", let semi = s[i...].prefix(10).firstIndex(of: ";") {
                let name = String(s[(i + 1)..<semi])
                var decoded: String? = entities[name]
                if name.hasPrefix("#x"), let v = UInt32(name.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) { decoded = String(Character(u)) }
                else if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let u = Unicode.Scalar(v) { decoded = String(Character(u)) }
                if let decoded {
                    for c in decoded { chars.append((c, current)) }
                    i = semi + 1
                    continue
                }
            }
            chars.append((ch, current))
            i += 1
        }
        // Words: white space splits; punctuation at a word's edges and a change of span split too.
        var tokens = [String](), owner = [Int?]()
        var word = "", wordOwner: Int? = nil
        func flush() {
            guard !word.isEmpty else { return }
            var w = word
            // Apertium's marks for words it could not generate (#) or translate (@).
            if w.count > 1, let f = w.first, f == "#" || f == "@" { w.removeFirst() }
            tokens.append(w); owner.append(wordOwner)
            word = ""
        }
        func isPunct(_ c: Character) -> Bool { c.unicodeScalars.allSatisfy { CharacterSet.punctuationCharacters.contains($0) || CharacterSet.symbols.contains($0) } }
        var k = 0
        while k < chars.count {
            let (c, o) = chars[k]
            if c.isWhitespace { flush(); k += 1; continue }
            if !word.isEmpty && o != wordOwner { flush() }
            if isPunct(c) && c != "#" && c != "@" {
                // Inside a word (l'eau, 3.5, e-mail) punctuation stays; at an edge it is its own token.
                let prevLetter = !word.isEmpty
                let nextLetter = k + 1 < chars.count && !chars[k + 1].0.isWhitespace && !isPunct(chars[k + 1].0)
                if !(prevLetter && nextLetter) {
                    flush()
                    tokens.append(String(c)); owner.append(o)
                    k += 1
                    continue
                }
                if splitElisions && (c == "'" || c == "\u{2019}") && (word.last?.isLetter ?? false) && chars[k + 1].0.isLetter {
                    word.append(c)
                    flush()
                    k += 1
                    continue
                }
            }
            if word.isEmpty { wordOwner = o }
            word.append(c)
            k += 1
        }
        flush()
        // Spans: first to last word of each id; overlaps keep the longer (then the lower id).
        var ranges = [Int: Range<Int>](), pieces = [Int: Int]()
        for (w, o) in owner.enumerated() {
            guard let o else { continue }
            if let r = ranges[o] {
                if r.upperBound != w { pieces[o, default: 1] += 1 }
                ranges[o] = r.lowerBound..<(w + 1)
            } else {
                ranges[o] = w..<(w + 1)
            }
        }
        if splitElisions {
            for (id, r) in ranges where r.count > 1 {
                if let last = tokens[r.lowerBound].last, last == "'" || last == "\u{2019}" {
                    ranges[id] = (r.lowerBound + 1)..<r.upperBound
                }
            }
        }
        for (id, r) in ranges where id < sourceFirstWords.count && (sourceFirstWords[id].first?.isUppercase ?? false) {
            var lo = r.lowerBound
            while lo + 1 < r.upperBound, let f = tokens[lo].first, f.isLowercase { lo += 1 }
            ranges[id] = lo..<r.upperBound
        }
        var tags = [String](repeating: "O", count: tokens.count)
        var taken = [Bool](repeating: false, count: tokens.count)
        for (id, r) in ranges.sorted(by: { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }) {
            if r.contains(where: { taken[$0] }) { continue }
            for w in r { taken[w] = true; tags[w] = (w == r.lowerBound ? "B-" : "I-") + classes[id]! }
        }
        return (tokens, tags, pieces.count)
    }

    /// The value of `name="…"` in a tag's text.
    static func attribute(_ name: String, in tag: String) -> String? {
        guard let r = tag.range(of: name + "=\"") else { return nil }
        let rest = tag[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
