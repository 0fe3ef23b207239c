// Step 1 of T-Projection-style projection (García-Ferrero et al. 2022, "T-Projection: High
// Quality Annotation Projection for Sequence Labeling Tasks"): the target spans a source span may
// have become. The paper generates them with a fine-tuned mT5 and keeps those found verbatim in
// the target; no multilingual seq2seq model can be had here, so candidates are every target n-gram
// up to a length bound (no span may start or end on punctuation unless the source span does), the
// ranges an alignment projects the span onto (with small boundary variations, which is what long
// argument spans need), and the spans a zero-shot tagger predicts on the target sentence.
// Leaves out discontinuous spans and spans that cross sentences.

import Foundation

/// Where a candidate came from (a candidate may come from several places).
public struct CandidateOrigin: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let ngram = CandidateOrigin(rawValue: 1)
    public static let alignment = CandidateOrigin(rawValue: 2)
    public static let tagger = CandidateOrigin(rawValue: 4)
}

/// A span a tagger predicted on a target sentence.
public struct TaggedSpan: Equatable, Sendable {
    public var range: Range<Int>
    public var type: String
    /// Mean probability of the predicted label over the span's words, in [0, 1].
    public var confidence: Float
    public init(range: Range<Int>, type: String, confidence: Float) {
        self.range = range; self.type = type; self.confidence = confidence
    }
}

/// How candidates are generated.
public struct CandidateSettings: Equatable, Sendable {
    /// Longest target n-gram, in words.
    public var maxNgram: Int
    /// Alignment ranges are also offered with each boundary moved by up to this many words.
    public var boundaryJitter: Int
    /// Gap policies whose alignment ranges are offered.
    public var gapPolicies: [GapPolicy]

    public init(maxNgram: Int = 8, boundaryJitter: Int = 2,
                gapPolicies: [GapPolicy] = [.bridge(maxGap: 0), .bridge(maxGap: 2), .bridge(maxGap: 4), .cover]) {
        self.maxNgram = maxNgram; self.boundaryJitter = boundaryJitter; self.gapPolicies = gapPolicies
    }
}

public enum CandidateGenerator {
    /// True for a word made only of punctuation and symbols (`,`, `"`, `(`, `--`, `...`).
    public static func isPunctuation(_ word: String) -> Bool {
        !word.isEmpty && word.unicodeScalars.allSatisfy {
            CharacterSet.punctuationCharacters.contains($0) || CharacterSet.symbols.contains($0)
        }
    }

    /// Candidate target ranges for one source span.
    /// - sourceWords / span: the source sentence and the span's word range in it
    /// - targetWords: the target sentence
    /// - alignment: 0-based word links of the sentence pair
    /// - tagged: spans a tagger predicted on the target (any type; all are offered)
    /// - returns: distinct ranges with their origins, in (start, end) order
    public static func candidates(sourceWords: [String], span: Range<Int>, targetWords: [String],
                                  alignment: Set<AlignmentLink>, tagged: [TaggedSpan],
                                  settings: CandidateSettings) -> [(range: Range<Int>, origin: CandidateOrigin)] {
        let n = targetWords.count
        var found = [Range<Int>: CandidateOrigin]()
        let punct = targetWords.map(isPunctuation)
        let sourceEdgePunct = isPunctuation(sourceWords[span.lowerBound]) || isPunctuation(sourceWords[span.upperBound - 1])
        func admissible(_ r: Range<Int>) -> Bool {
            r.lowerBound >= 0 && r.upperBound <= n && !r.isEmpty
                && (sourceEdgePunct || (!punct[r.lowerBound] && !punct[r.upperBound - 1]))
        }
        // n-grams
        for start in 0..<n where sourceEdgePunct || !punct[start] {
            for end in (start + 1)...min(n, start + settings.maxNgram) {
                let r = start..<end
                if admissible(r) { found[r, default: []].insert(.ngram) }
            }
        }
        // alignment ranges and their boundary variations
        var perTarget = [Int: Int]()
        for l in alignment where span.contains(l.source) && l.target >= 0 && l.target < n { perTarget[l.target, default: 0] += 1 }
        var projected = Set<Range<Int>>()
        for policy in settings.gapPolicies {
            if let r = SpanProjector.range(perTarget, gaps: policy) { projected.insert(r) }
        }
        let j = settings.boundaryJitter
        for r in projected {
            for ds in -j...j {
                for de in -j...j {
                    let lo = r.lowerBound + ds, hi = r.upperBound + de
                    guard lo >= 0, hi <= n, lo < hi else { continue }
                    let v = lo..<hi
                    if admissible(v) { found[v, default: []].insert(.alignment) }
                }
            }
        }
        for t in tagged where t.range.upperBound <= n && !t.range.isEmpty {
            found[t.range, default: []].insert(.tagger)
        }
        return found.map { ($0.key, $0.value) }.sorted {
            ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound)
        }
    }
}
