// Annotation projection through a word alignment (the `align` baseline of issue 5; the
// alignment-based projection of Ehrmann et al. 2011, Jalili Sabet et al. 2020 and the AWESOME
// baseline of García-Ferrero et al. 2022): every BIO span of the source sentence goes to the target
// words aligned to any of its words; the projected span is the smallest contiguous target range
// covering them (`.cover`), or, with `.bridge(maxGap:)`, the aligned target words are grouped into
// runs where gaps of at most maxGap unaligned words are filled, and the run with the most links is
// kept (a stray link far from the rest no longer stretches the span). A span with no aligned target
// word is dropped; overlapping target spans are resolved by keeping the one with more links (ties:
// the earlier source span). The result is written as BIO tags on the target tokens.
// Leaves out candidate generation and scoring (T-Projection), and spans that cross sentences.

import Foundation
import Corpora
import TensorCore

/// How the aligned target words of one source span become one target range.
public enum GapPolicy: Equatable, Sendable {
    /// min…max of the aligned target words
    case cover
    /// runs of aligned words with gaps ≤ maxGap filled; the run with the most links (ties: the
    /// longer, then the earlier)
    case bridge(maxGap: Int)
}

/// One source span and where it went.
public struct ProjectedSpan: Equatable, Sendable {
    public var type: String
    /// Word range in the source sentence.
    public var source: Range<Int>
    /// Word range in the target sentence (nil when nothing was aligned).
    public var target: Range<Int>?
    /// Links between the source span and the target range.
    public var links: Int
    /// False when the span had no aligned target word, or lost an overlap to a span with more links.
    public var kept: Bool
}

/// What happened to the spans of a corpus.
public struct ProjectionCounts: Equatable, Sendable {
    public var sentences = 0, sourceSpans = 0, projected = 0, unaligned = 0, overlapping = 0
    public init() {}
    public mutating func add(_ spans: [ProjectedSpan]) {
        sentences += 1
        sourceSpans += spans.count
        for s in spans {
            if s.kept { projected += 1 } else if s.target == nil { unaligned += 1 } else { overlapping += 1 }
        }
    }
}

public enum SpanProjector {
    /// Projects the BIO spans of `sourceTags` onto a target sentence of `targetLength` words.
    /// - alignment: 0-based (source word, target word) links
    /// - returns: the target's BIO tags and the fate of every source span, in source order
    public static func project(sourceTags: [String], targetLength: Int, alignment: Set<AlignmentLink>,
                               gaps: GapPolicy = .bridge(maxGap: 2)) -> (tags: [String], spans: [ProjectedSpan]) {
        var spans = [ProjectedSpan]()
        for span in BIO.spans(sourceTags) {
            // Links per target word from this span's source words.
            var perTarget = [Int: Int]()
            for l in alignment where span.range.contains(l.source) && l.target >= 0 && l.target < targetLength {
                perTarget[l.target, default: 0] += 1
            }
            let target = range(perTarget, gaps: gaps)
            let links = target.map { r in perTarget.filter { r.contains($0.key) }.values.reduce(0, +) } ?? 0
            spans.append(ProjectedSpan(type: span.type, source: span.range, target: target, links: links, kept: target != nil))
        }
        // Overlaps: more links first, then source order; a span overlapping an accepted one is dropped.
        let order = spans.indices.filter { spans[$0].target != nil }.sorted {
            spans[$0].links != spans[$1].links ? spans[$0].links > spans[$1].links : $0 < $1
        }
        var taken = [Bool](repeating: false, count: targetLength)
        var tags = [String](repeating: "O", count: targetLength)
        for k in order {
            let r = spans[k].target!
            if r.contains(where: { taken[$0] }) { spans[k].kept = false; continue }
            for w in r {
                taken[w] = true
                tags[w] = (w == r.lowerBound ? "B-" : "I-") + spans[k].type
            }
        }
        return (tags, spans)
    }

    /// The target range for a span whose aligned target words carry `perTarget` links.
    static func range(_ perTarget: [Int: Int], gaps: GapPolicy) -> Range<Int>? {
        let words = perTarget.keys.sorted()
        guard let first = words.first, let last = words.last else { return nil }
        switch gaps {
        case .cover:
            return first..<(last + 1)
        case .bridge(let maxGap):
            var best: (range: Range<Int>, links: Int)? = nil
            var start = first, previous = first, links = 0
            func close() {
                let r = start..<(previous + 1)
                if let b = best, (b.links, b.range.count) >= (links, r.count) { return }
                best = (r, links)
            }
            for w in words {
                if w - previous - 1 > maxGap { close(); start = w; links = 0 }
                links += perTarget[w]!
                previous = w
            }
            close()
            return best!.range
        }
    }
}

/// Source CoNLL sentences + target sentences → target tags, through e5 word alignments.
public struct AlignmentProjection: Sendable {
    public let embedder: ContextualWordEmbedder
    public var aligner: WordAligner
    public var gaps: GapPolicy

    /// The default aligner and gap policy give the best mean projection F1 on Europarl NER en→de/es/it
    /// sentences 1–300 with e5-small at layer 7 (word-level itermax, gaps ≤ 2 filled: 91.1; the next
    /// five settings are within 0.5; subword argmax 89.1, cover 89.3 at best). Scripts/bench/projection_align.md.
    public static let defaultAligner = WordAligner(method: .itermax, level: .word)
    public static let defaultGaps = GapPolicy.bridge(maxGap: 2)

    public init(embedder: ContextualWordEmbedder, aligner: WordAligner = AlignmentProjection.defaultAligner,
                gaps: GapPolicy = AlignmentProjection.defaultGaps) {
        self.embedder = embedder; self.aligner = aligner; self.gaps = gaps
    }

    /// Projects every source sentence onto its target sentence (same index).
    /// - source: tagged source sentences; target: words of each target sentence (non-empty)
    /// - progress: sentences encoded (source and target count once each), then sentences aligned
    /// - returns: target tags, the links used, and what happened to every source span
    public func project(source: [CoNLLSentence], target: [[String]], batchSize: Int = 16, workers: Int = Parallel.defaultWorkers,
                        progress: ((Int) -> Void)? = nil) -> (tags: [[String]], alignments: [Set<AlignmentLink>], spans: [[ProjectedSpan]]) {
        precondition(source.count == target.count, "AlignmentProjection: \(source.count) source and \(target.count) target sentences")
        let vectors = embedder.encode(source.map(\.tokens) + target, batchSize: batchSize, workers: workers, progress: progress)
        let n = source.count
        let results = Parallel.map(n, workers: workers) { i -> ([String], Set<AlignmentLink>, [ProjectedSpan]) in
            let links = aligner.align(vectors[i], vectors[n + i])
            let (tags, spans) = SpanProjector.project(sourceTags: source[i].tags, targetLength: target[i].count,
                                                      alignment: links, gaps: gaps)
            return (tags, links, spans)
        }
        return (results.map(\.0), results.map(\.1), results.map(\.2))
    }
}
