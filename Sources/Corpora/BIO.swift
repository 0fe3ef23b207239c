// BIO (IOB2) tags: validity, repair and span extraction. An `I-X` that does not continue a span
// of type X (it follows `O`, the sentence start, or a tag of another type) starts a new span, the
// rule conlleval.pl (startOfChunk, 2004-01-26) and seqeval 1.2.2's default mode (start_of_chunk)
// apply to BIO input. Leaves out IOBES/IOE (E-, S- prefixes): Evaluation's seqeval chunker
// handles those when scoring.

public enum BIO {
    /// True for `O`, `B-TYPE` and `I-TYPE` with a non-empty TYPE.
    public static func isValid(_ tag: String) -> Bool {
        if tag == "O" { return true }
        let u = tag.utf8
        guard u.count >= 3, let first = u.first else { return false }
        return (first == UInt8(ascii: "B") || first == UInt8(ascii: "I")) && u[u.index(after: u.startIndex)] == UInt8(ascii: "-")
    }

    /// The type of a `B-`/`I-` tag ("PER" for "B-PER"); nil for `O` and anything else.
    public static func type(of tag: String) -> Substring? {
        guard tag != "O", isValid(tag) else { return nil }
        return tag.dropFirst(2)
    }

    /// Rewrites every `I-X` that does not continue a span of type X as `B-X`; other tags are kept.
    /// Example: [I-PER, I-PER, O, I-LOC, B-ORG, I-LOC] → [B-PER, I-PER, O, B-LOC, B-ORG, B-LOC].
    public static func repair(_ tags: [String]) -> [String] {
        var out = tags
        var previousType: Substring? = nil
        for (i, tag) in tags.enumerated() {
            let t = type(of: tag)
            if let t, tag.hasPrefix("I-"), previousType != t { out[i] = "B-" + t }
            previousType = t
        }
        return out
    }

    /// The spans of `tags`, in order: a span starts at `B-X` or at an `I-X` that does not continue
    /// a span of type X, and extends over the `I-X` that follow. `O` and tags outside BIO end a span.
    /// Example: [B-PER, I-PER, O, I-LOC] → [(PER, 0..<2), (LOC, 3..<4)].
    public static func spans(_ tags: [String]) -> [(type: String, range: Range<Int>)] {
        var result = [(type: String, range: Range<Int>)]()
        var open: (type: Substring, start: Int)? = nil
        for (i, tag) in tags.enumerated() {
            let t = type(of: tag)
            if let current = open, !(tag.hasPrefix("I-") && t == current.type) {
                result.append((String(current.type), current.start..<i))
                open = nil
            }
            if let t, open == nil { open = (t, i) }
        }
        if let current = open { result.append((String(current.type), current.start..<tags.count)) }
        return result
    }
}
