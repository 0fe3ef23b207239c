// Span projection through word alignments: one-to-one, reordering, gaps (cover vs bridge), stray
// links, unaligned spans, overlapping projections, adjacent spans of one type, links outside the
// target.
import Corpora
import XCTest
@testable import Projection

final class SpanProjectionTests: XCTestCase {
    func links(_ pairs: [(Int, Int)]) -> Set<AlignmentLink> { Set(pairs.map { AlignmentLink($0.0, $0.1) }) }

    func testOneToOneAndReordering() {
        // "John Smith lives" → "vive John Smith"
        let (tags, spans) = SpanProjector.project(sourceTags: ["B-PER", "I-PER", "O"], targetLength: 3,
                                                  alignment: links([(0, 1), (1, 2), (2, 0)]))
        XCTAssertEqual(tags, ["O", "B-PER", "I-PER"])
        XCTAssertEqual(spans, [ProjectedSpan(type: "PER", source: 0..<2, target: 1..<3, links: 2, kept: true)])
        // Two spans whose order swaps in the target.
        let swapped = SpanProjector.project(sourceTags: ["B-LOC", "O", "B-ORG"], targetLength: 3,
                                            alignment: links([(0, 2), (2, 0)])).tags
        XCTAssertEqual(swapped, ["B-ORG", "O", "B-LOC"])
    }

    func testGapsCoverAndBridge() {
        // Span words align to target 1 and 3 (one unaligned word between).
        let a = links([(0, 1), (1, 3)])
        let src = ["B-ORG", "I-ORG"]
        XCTAssertEqual(SpanProjector.project(sourceTags: src, targetLength: 5, alignment: a, gaps: .cover).tags,
                       ["O", "B-ORG", "I-ORG", "I-ORG", "O"])
        XCTAssertEqual(SpanProjector.project(sourceTags: src, targetLength: 5, alignment: a, gaps: .bridge(maxGap: 1)).tags,
                       ["O", "B-ORG", "I-ORG", "I-ORG", "O"])
        // maxGap 0: two runs with one link each, same length → the earlier.
        XCTAssertEqual(SpanProjector.project(sourceTags: src, targetLength: 5, alignment: a, gaps: .bridge(maxGap: 0)).tags,
                       ["O", "B-ORG", "O", "O", "O"])
    }

    func testStrayLinkDoesNotStretchABridgedSpan() {
        // "European Parliament" aligned to target 1, 2 and (wrongly) 7.
        let a = links([(0, 1), (1, 2), (1, 7)])
        let cover = SpanProjector.project(sourceTags: ["B-ORG", "I-ORG"], targetLength: 9, alignment: a, gaps: .cover)
        XCTAssertEqual(cover.spans[0].target, 1..<8)
        XCTAssertEqual(cover.spans[0].links, 3)
        let bridge = SpanProjector.project(sourceTags: ["B-ORG", "I-ORG"], targetLength: 9, alignment: a, gaps: .bridge(maxGap: 1))
        XCTAssertEqual(bridge.spans[0].target, 1..<3)
        XCTAssertEqual(bridge.spans[0].links, 2)
        XCTAssertEqual(bridge.tags, ["O", "B-ORG", "I-ORG", "O", "O", "O", "O", "O", "O"])
        // A run with more links beats an earlier, longer one.
        XCTAssertEqual(SpanProjector.range([0: 1, 5: 2], gaps: .bridge(maxGap: 1)), 5..<6)
        XCTAssertEqual(SpanProjector.range([0: 1, 1: 1, 5: 1], gaps: .bridge(maxGap: 1)), 0..<2)
    }

    func testUnalignedSpanIsDropped() {
        let (tags, spans) = SpanProjector.project(sourceTags: ["B-PER", "O", "B-LOC"], targetLength: 3,
                                                  alignment: links([(1, 1), (2, 2)]))
        XCTAssertEqual(tags, ["O", "O", "B-LOC"])
        XCTAssertEqual(spans[0], ProjectedSpan(type: "PER", source: 0..<1, target: nil, links: 0, kept: false))
        var counts = ProjectionCounts()
        counts.add(spans)
        XCTAssertEqual(counts.sourceSpans, 2); XCTAssertEqual(counts.projected, 1); XCTAssertEqual(counts.unaligned, 1)
    }

    func testOverlapKeepsTheSpanWithMoreLinks() {
        // PER (2 words, 2 links) → target 0..<2; LOC (1 word, 1 link) → target 1: overlap, PER kept.
        let (tags, spans) = SpanProjector.project(sourceTags: ["B-PER", "I-PER", "B-LOC"], targetLength: 3,
                                                  alignment: links([(0, 0), (1, 1), (2, 1)]))
        XCTAssertEqual(tags, ["B-PER", "I-PER", "O"])
        XCTAssertEqual(spans.map(\.kept), [true, false])
        var counts = ProjectionCounts()
        counts.add(spans)
        XCTAssertEqual(counts.overlapping, 1)
        // Equal links: the earlier source span wins, whatever the target order.
        let tie = SpanProjector.project(sourceTags: ["B-PER", "B-LOC"], targetLength: 2, alignment: links([(0, 1), (1, 1)]))
        XCTAssertEqual(tie.tags, ["O", "B-PER"])
        XCTAssertEqual(tie.spans.map(\.kept), [true, false])
    }

    func testAdjacentSpansOfOneTypeStaySeparate() {
        let tags = SpanProjector.project(sourceTags: ["B-LOC", "B-LOC"], targetLength: 2,
                                         alignment: links([(0, 0), (1, 1)])).tags
        XCTAssertEqual(tags, ["B-LOC", "B-LOC"])
        XCTAssertEqual(BIO.spans(tags).count, 2)
    }

    func testLinksOutsideTheTargetAreIgnoredAndIOnlySpansCount() {
        // An I- tag that opens a span is a span (conlleval/seqeval rule); a link past the target end is ignored.
        let (tags, spans) = SpanProjector.project(sourceTags: ["I-MISC", "O"], targetLength: 2, alignment: links([(0, 1), (0, 5)]))
        XCTAssertEqual(tags, ["O", "B-MISC"])
        XCTAssertEqual(spans.count, 1)
        XCTAssertEqual(SpanProjector.project(sourceTags: ["O", "O"], targetLength: 0, alignment: links([(0, 0)])).tags, [])
    }
}
