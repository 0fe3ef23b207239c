// Surface similarity of two short texts, for names and numbers that cross languages unchanged or
// nearly so ("Barroso" / "Barroso", "Lisbon" / "Lisboa", "2009" / "2009"): folding (Unicode
// lower-case, diacritics removed, as `String.folding(options: [.caseInsensitive,
// .diacriticInsensitive])`), exact folded equality, and the Dice coefficient of character
// trigram multisets of the folded texts padded with one space at each end. Digits compare as the
// multiset of digit runs. Leaves out transliteration between scripts.

import Foundation

public enum SurfaceSimilarity {
    /// Lower-cased, diacritics removed, runs of white space as one space, trimmed.
    public static func fold(_ text: String) -> String {
        let f = text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
        return f.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Character trigrams of " " + folded + " " with their counts.
    public static func trigrams(_ folded: String) -> [String: Int] {
        let chars = Array(" " + folded + " ")
        var out = [String: Int]()
        if chars.count < 3 { out[String(chars), default: 0] += 1; return out }
        for i in 0...(chars.count - 3) { out[String(chars[i..<(i + 3)]), default: 0] += 1 }
        return out
    }

    /// 2·|A ∩ B| / (|A| + |B|) over trigram multisets of the folded texts; 1 for two empty texts.
    public static func dice(_ a: String, _ b: String) -> Float {
        dice(trigrams: trigrams(fold(a)), trigrams(fold(b)))
    }

    public static func dice(trigrams a: [String: Int], _ b: [String: Int]) -> Float {
        let na = a.values.reduce(0, +), nb = b.values.reduce(0, +)
        if na + nb == 0 { return 1 }
        var common = 0
        for (g, c) in a { if let d = b[g] { common += min(c, d) } }
        return Float(2 * common) / Float(na + nb)
    }

    /// Runs of ASCII digits in `text`, in order.
    public static func numbers(_ text: String) -> [Substring] {
        text.split(whereSeparator: { !("0"..."9").contains($0) })
    }

    /// 1 when both texts contain the same digit runs (as multisets) and at least one, 0 when the
    /// runs differ, 0.5 when neither has a digit (no evidence either way).
    public static func numberAgreement(_ a: String, _ b: String) -> Float {
        let x = numbers(a).sorted(), y = numbers(b).sorted()
        if x.isEmpty && y.isEmpty { return 0.5 }
        return x == y ? 1 : 0
    }
}
