// T-Projection parts without a model: surface similarity (hand-computed trigram Dice), candidate
// generation (n-grams, punctuation filter, alignment ranges with boundary jitter, tagger spans),
// the exact non-overlapping selection (a case where greedy is worse), gold matching for fitting,
// the scorer (fit direction, probability formula, JSON round trip, the shipped weights), and the
// markup method's HTML both ways.
import Foundation
import XCTest
import Corpora
@testable import Projection

final class SurfaceSimilarityTests: XCTestCase {
    func testFoldAndTrigramDice() {
        XCTAssertEqual(SurfaceSimilarity.fold("  Ångström   CAFÉ "), "angstrom cafe")
        // " lisbon " and " lisboa ": 6 trigrams each, 4 shared (" li", "lis", "isb", "sbo") → 8/12.
        XCTAssertEqual(SurfaceSimilarity.dice("Lisbon", "Lisboa"), Float(8) / 12, accuracy: 1e-6)
        XCTAssertEqual(SurfaceSimilarity.dice("Barroso", "BARROSO"), 1)
        XCTAssertEqual(SurfaceSimilarity.dice("abc", "xyz"), 0)
        // Repeated trigrams count as a multiset: " aa", "aaa", "aaa", "aa " vs " aa", "aa " (2 shared);
        // " aa", "aaa"×3, "aa " vs " aa", "aaa", "aa " (3 shared).
        XCTAssertEqual(SurfaceSimilarity.dice("aaaa", "aa"), Float(2 * 2) / Float(4 + 2), accuracy: 1e-6)
        XCTAssertEqual(SurfaceSimilarity.dice("aaaaa", "aaa"), Float(2 * 3) / Float(5 + 3), accuracy: 1e-6)
    }

    func testNumberAgreement() {
        XCTAssertEqual(SurfaceSimilarity.numberAgreement("in 2009 and 12", "12 y 2009"), 1)
        XCTAssertEqual(SurfaceSimilarity.numberAgreement("in 2009", "en 2010"), 0)
        XCTAssertEqual(SurfaceSimilarity.numberAgreement("no digits", "ninguno"), 0.5)
    }
}

final class CandidateGeneratorTests: XCTestCase {
    func testNgramsPunctuationAndAlignmentRanges() {
        let target = ["La", "Comisión", "Europea", ",", "en", "Bruselas", "."]
        let settings = CandidateSettings(maxNgram: 2, boundaryJitter: 1, gapPolicies: [.cover])
        // Source span 1..<3 ("European Commission") aligned to target words 1 and 2.
        let links: Set<AlignmentLink> = [AlignmentLink(1, 2), AlignmentLink(2, 1), AlignmentLink(4, 5)]
        let tagged = [TaggedSpan(range: 0..<7, type: "ORG", confidence: 0.5)]
        let c = CandidateGenerator.candidates(sourceWords: ["The", "European", "Commission", "in", "Brussels"], span: 1..<3,
                                              targetWords: target, alignment: links, tagged: tagged, settings: settings)
        let ranges = c.map(\.range)
        // n-grams of ≤ 2 words that neither start nor end on "," or ".": 5 unigrams + 3 bigrams.
        let ngrams = c.filter { $0.origin.contains(.ngram) }.map(\.range)
        XCTAssertEqual(Set(ngrams), [0..<1, 1..<2, 2..<3, 4..<5, 5..<6, 0..<2, 1..<3, 4..<6])
        // Alignment range 1..<3 and its ±1 variants that stay admissible (0..<3, 1..<2, 2..<3, 0..<2;
        // 1..<4 and 0..<4 end on ",", so they are not offered).
        let aligned = Set(c.filter { $0.origin.contains(.alignment) }.map(\.range))
        XCTAssertEqual(aligned, [1..<3, 0..<3, 1..<2, 0..<2, 2..<3])
        XCTAssertTrue(ranges.contains(0..<7), "tagger spans are offered as they are")
        XCTAssertEqual(ranges, ranges.sorted { ($0.lowerBound, $0.upperBound) < ($1.lowerBound, $1.upperBound) })
        XCTAssertEqual(Set(ranges).count, ranges.count, "distinct")
    }

    func testPunctuationSourceSpanAllowsPunctuationEdges() {
        let c = CandidateGenerator.candidates(sourceWords: ["\"", "Yes", "\""], span: 0..<3, targetWords: ["«", "Sí", "»"],
                                              alignment: [], tagged: [], settings: CandidateSettings(maxNgram: 3))
        XCTAssertTrue(c.map(\.range).contains(0..<3))
    }
}

final class SelectionTests: XCTestCase {
    /// A scorer whose probability is the first feature (logit of it as the only weight).
    func scorer(threshold: Double) -> CandidateScorer {
        var s = CandidateScorer(features: CandidateFeatures.names, mean: CandidateFeatures.names.map { _ in 0 },
                                scale: CandidateFeatures.names.map { _ in 1 }, weights: CandidateFeatures.names.map { _ in 0 },
                                bias: 0, threshold: threshold, fittedOn: "test")
        s.weights[0] = 1
        return s
    }

    func row(_ p: Double) -> [Float] {
        var x = [Float](repeating: 0, count: CandidateFeatures.names.count)
        x[0] = Float(log(p / (1 - p)))
        return x
    }

    func testExactAssignmentBeatsGreedy() {
        // Span A: 0..<2 (p .9) or 2..<3 (p .8); span B: 0..<2 only (p .85). Greedy takes A 0..<2 and
        // leaves B out (gain .4); the best assignment is A 2..<3 + B 0..<2 (gain .3 + .35).
        let spans = [
            SpanCandidates(type: "A", source: 0..<1, candidates: [0..<2, 2..<3], features: [row(0.9), row(0.8)]),
            SpanCandidates(type: "B", source: 1..<2, candidates: [0..<2], features: [row(0.85)]),
        ]
        let (tags, decisions) = TProjection.select(spans, scorer: scorer(threshold: 0.5), targetLength: 4)
        XCTAssertEqual(tags, ["B-B", "I-B", "B-A", "O"])
        XCTAssertEqual(decisions.map(\.target), [2..<3, 0..<2])
        XCTAssertEqual(decisions[0].probability, 0.8, accuracy: 1e-6)
    }

    func testThresholdLeavesSpansOut() {
        let spans = [SpanCandidates(type: "A", source: 0..<1, candidates: [0..<1], features: [row(0.3)])]
        let (tags, decisions) = TProjection.select(spans, scorer: scorer(threshold: 0.5), targetLength: 2)
        XCTAssertEqual(tags, ["O", "O"])
        XCTAssertNil(decisions[0].target)
        XCTAssertEqual(TProjection.select(spans, scorer: scorer(threshold: 0.2), targetLength: 2).tags, ["B-A", "O"])
    }

    func testTrainingRowsMatchGoldOneToOne() {
        let f = CandidateFeatures.index
        func feats(_ recall: Float) -> [Float] {
            var x = [Float](repeating: 0, count: CandidateFeatures.names.count)
            x[f["align_recall"]!] = recall
            return x
        }
        // Two PER source spans, two gold PER spans; the alignment says span 0 → 3..<4, span 1 → 0..<1.
        let spans = [
            SpanCandidates(type: "PER", source: 0..<1, candidates: [0..<1, 3..<4], features: [feats(0.1), feats(0.9)]),
            SpanCandidates(type: "PER", source: 2..<3, candidates: [0..<1, 3..<4], features: [feats(0.8), feats(0.2)]),
        ]
        let rows = TProjection.trainingRows([spans], goldTags: [["B-PER", "O", "O", "B-PER"]])
        XCTAssertEqual(rows.y, [false, true, true, false])
        XCTAssertEqual(rows.goldSpans, 2)
        XCTAssertEqual(rows.goldShortlisted, 2)
    }
}

final class CandidateScorerTests: XCTestCase {
    func testFitLearnsTheInformativeFeatureAndRoundTrips() throws {
        // Feature 0 separates the classes with noise; the others are constant.
        let d = CandidateFeatures.names.count
        var x = [[Float]](), y = [Bool]()
        for i in 0..<200 {
            var r = [Float](repeating: 0, count: d)
            let positive = i % 4 == 0
            r[0] = (positive ? 1 : -1) + Float((i * 37) % 17) / 17 - 0.5
            r[1] = Float(i % 3)
            x.append(r); y.append(positive)
        }
        let s = CandidateScorer.fit(features: CandidateFeatures.names, x: x, y: y, l2: 1, fittedOn: "synthetic")
        XCTAssertGreaterThan(s.weights[0], 1)
        XCTAssertEqual(s.weights[5], 0, accuracy: 1e-9, "a constant feature gets no weight")
        // p = σ(b + Σ w (x − μ)/σ)
        var z = s.bias
        for j in 0..<d { z += s.weights[j] * (Double(x[3][j]) - s.mean[j]) / s.scale[j] }
        XCTAssertEqual(s.probability(x[3]), 1 / (1 + exp(-z)), accuracy: 1e-12)
        // Stationarity of ½‖w‖² + C Σ loss in standardised space: w_j = C Σ (y − p) z_j.
        var grad = [Double](repeating: 0, count: d)
        for (row, label) in zip(x, y) {
            let r = (label ? 1 : 0) - s.probability(row)
            for j in 0..<d { grad[j] += r * (Double(row[j]) - s.mean[j]) / s.scale[j] }
        }
        for j in 0..<d { XCTAssertEqual(s.weights[j], grad[j], accuracy: 1e-5, "feature \(j)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scorer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("w.json").path
        try s.save(to: path)
        XCTAssertEqual(try CandidateScorer.load(path: path), s)
        try Data(#"{"features": ["x"]}"#.utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CandidateScorer.load(path: path)) { e in
            XCTAssertTrue("\(e)".contains("w.json"), "\(e)")
        }
    }

    func testShippedWeightsDecodeWithTheCurrentFeatures() {
        let s = CandidateScorer.europarl
        XCTAssertEqual(s.features, CandidateFeatures.names)
        XCTAssertEqual(s.weights.count, CandidateFeatures.names.count)
        XCTAssertTrue(s.scale.allSatisfy { $0 > 0 })
        XCTAssertEqual(s.usedTagger, false)
        XCTAssertTrue(s.fittedOn.contains("Europarl"))
        // The two strongest signals point the right way.
        let f = CandidateFeatures.index
        XCTAssertGreaterThan(s.weights[f["context_gap"]!], 0)
        XCTAssertGreaterThan(s.weights[f["align_baseline"]!], 0)
    }
}

final class MarkupTests: XCTestCase {
    func testMarkupEscapesAndWrapsSpans() {
        let s = CoNLLSentence(tokens: ["Mrs", "Merkel", "&", "<Co>", "met", "in", "Lisbon", "."],
                              tags: ["B-PER", "I-PER", "O", "B-ORG", "O", "O", "B-LOC", "O"])
        XCTAssertEqual(MarkupProjection.markup(s),
                       #"<b class="PER" id="e0">Mrs Merkel</b> &amp; <b class="ORG" id="e1">&lt;Co&gt;</b> met in <b class="LOC" id="e2">Lisbon</b> ."#)
    }

    func testParseJoinsSplitPiecesAndSplitsPunctuation() throws {
        // Apertium's output for "... on the <b class="MISC" id="e1">Lisbon Treaty</b>." (the span split in two).
        let line = #" Estoy de acuerdo con <b class="PER" id="e0">Señora Merkel</b> en el <b class="MISC" id="e1">Tratado</b> de <b class="MISC" id="e1">Lisboa</b>. l'<b class="LOC" id="e2">Eurocámara</b> &amp; #dicho"#
        let r = try MarkupProjection.parse(line)
        XCTAssertEqual(r.tokens, ["Estoy", "de", "acuerdo", "con", "Señora", "Merkel", "en", "el", "Tratado", "de", "Lisboa", ".",
                                  "l'", "Eurocámara", "&", "dicho"])
        XCTAssertEqual(r.tags, ["O", "O", "O", "O", "B-PER", "I-PER", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O",
                                "O", "B-LOC", "O", "O"])
        XCTAssertEqual(r.joinedPieces, 1)
        XCTAssertThrowsError(try MarkupProjection.parse("a <b class=\"X\" id=\"e0\"", sentence: 3, file: "out.conll")) { e in
            XCTAssertTrue("\(e)".contains("unclosed '<'"), "\(e)")
        }
        XCTAssertThrowsError(try MarkupProjection.parse("a <b class=\"X\">b</b>", sentence: 3, file: "out.conll")) { e in
            XCTAssertTrue("\(e)".contains("out.conll: sentence 3"), "\(e)")
        }
    }

    func testElisionsSplitForItalianAndLeaveSpans() throws {
        // Apertium spa-ita put the elided article inside the span: "L'Avvocato Generale".
        let line = #"<b class="PER" id="e0">L'Avvocato Generale</b> dell'<b class="ORG" id="e1">Unione</b> all’estero, l'<b class="LOC" id="e2">Italia</b>"#
        let r = try MarkupProjection.parse(line, splitElisions: true)
        XCTAssertEqual(r.tokens, ["L'", "Avvocato", "Generale", "dell'", "Unione", "all’", "estero", ",", "l'", "Italia"])
        XCTAssertEqual(r.tags, ["O", "B-PER", "I-PER", "O", "B-ORG", "O", "O", "O", "O", "B-LOC"])
        XCTAssertEqual(try MarkupProjection.parse(#"<b class="X" id="e0">l'Italia</b>"#, splitElisions: true).tags, ["O", "B-X"])
        // A capitalised source span ("Ley", "Tribunal Supremo") sheds the lower-case words MT fused into it.
        let fused = #"<b class="MISC" id="e0">della Legge</b> e <b class="ORG" id="e1">del Tribunale Supremo</b> e <b class="PER" id="e2">de Gaulle</b>"#
        let f = try MarkupProjection.parse(fused, splitElisions: true, sourceFirstWords: ["Ley", "Tribunal", "de"])
        XCTAssertEqual(f.tags, ["O", "B-MISC", "O", "O", "B-ORG", "I-ORG", "O", "B-PER", "I-PER"])
        // Without the flag (English, Spanish targets) the apostrophe stays inside the word.
        XCTAssertEqual(try MarkupProjection.parse(#"<b class="PER" id="e0">O'Neill</b> don't"#).tokens, ["O'Neill", "don't"])
    }
}

final class ApertiumTests: XCTestCase {
    func requireApertium() throws -> String {
        guard let exe = ApertiumTranslator.findExecutable(), let modes = try? ApertiumTranslator.installedModes(executable: exe),
              modes.contains("eng-spa") else {
            throw XCTSkip("skipped: apertium with apertium-eng-spa not installed (Scripts/setup installs it)")
        }
        return exe
    }

    func testDirectAndPivotTranslationKeepLineCounts() throws {
        _ = try requireApertium()
        let en = try ApertiumTranslator(source: "en", target: "es")
        XCTAssertEqual(en.modes, ["eng-spa"])
        let out = try en.translate(["the Commission", "Mr Barroso", "the city of Lisbon"])
        XCTAssertEqual(out.count, 3)
        XCTAssertTrue(out[0].contains("Comisión"), "\(out)")
        XCTAssertTrue(out[2].contains("Lisboa"), "\(out)")
        if let fr = try? ApertiumTranslator(source: "eng", target: "fra") {
            XCTAssertEqual(fr.modes, ["eng-spa", "es-fr"], "en→fr goes through Spanish")
            XCTAssertEqual(try fr.translate(["the Commission"]).count, 1)
        }
        XCTAssertThrowsError(try ApertiumTranslator(source: "en", target: "xx")) { e in
            XCTAssertTrue("\(e)".contains("no mode translates en into xx"), "\(e)")
        }
    }

    func testMarkupSurvivesApertium() throws {
        let exe = try requireApertium()
        let s = CoNLLSentence(tokens: ["I", "agree", "with", "Mrs", "Merkel", "."], tags: ["O", "O", "O", "B-PER", "I-PER", "O"])
        let mt = ApertiumTranslator(modes: ["eng-spa"], format: .html, executable: exe)
        let out = try mt.translate([MarkupProjection.markup(s)])
        let r = try MarkupProjection.parse(out[0])
        XCTAssertEqual(BIO.spans(r.tags).map(\.type), ["PER"], "\(out)")
        XCTAssertTrue(r.tokens.contains("Merkel"), "\(r.tokens)")
    }
}
