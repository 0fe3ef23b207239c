// T-Projection-style annotation projection (García-Ferrero et al. 2022) with the parts this
// machine has: (1) candidates for each source span (Candidates.swift); (2) features for each
// (source span, candidate) — contextual e5 span similarity, isolated e5 span-text similarity,
// alignment agreement, surface similarity, Apertium translation consistency in both directions,
// the zero-shot tagger's agreement, length and punctuation — combined by a logistic regression
// fitted on development data (CandidateScorer); (3) selection: at most one target span per source
// span, no two overlapping, the assignment with the highest total (p − threshold), labels carried
// over. The paper scores candidates with an NMT model's translation probabilities instead of (2).
// Leaves out the mT5 candidate generator and NMT scoring (no such model can be had here).

import Foundation
import Corpora
import Models
import TensorCore

/// The features of one (source span, candidate) pair, in this order.
public enum CandidateFeatures {
    public static let names = [
        "context_cos", "context_gap", "isolated_cos", "isolated_gap", "align_precision", "align_recall",
        "surface_dice", "surface_exact", "number_agreement", "mt_forward_dice", "mt_backward_dice", "mt_available",
        "tagger_exact", "tagger_overlap", "length_log_ratio", "edge_punctuation", "origin_alignment",
        "align_baseline", "first_case_agreement", "last_case_agreement", "outside_case",
    ]
    static let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
}

/// One source span, its shortlisted target candidates and their features.
public struct SpanCandidates: Sendable {
    public var type: String
    public var source: Range<Int>
    public var candidates: [Range<Int>]
    /// One row per candidate, `CandidateFeatures.names` order.
    public var features: [[Float]]
}

/// The decision for one source span.
public struct SpanDecision: Equatable, Sendable {
    public var type: String
    public var source: Range<Int>
    public var target: Range<Int>?
    public var probability: Double
}

public struct TProjection: Sendable {
    public let embedder: ContextualWordEmbedder
    public var aligner: WordAligner
    public var settings: CandidateSettings
    /// Candidates kept per source span after a cheap first ranking (the expensive features are
    /// computed for these only).
    public var shortlist: Int
    /// Source → target and target → source translators (nil: MT features are 0, mt_available 0).
    public var forward: (any SpanTranslator)?
    public var backward: (any SpanTranslator)?
    /// e5 input prefix for isolated span texts.
    public var isolatedPrefix: String

    public init(embedder: ContextualWordEmbedder, aligner: WordAligner = AlignmentProjection.defaultAligner,
                settings: CandidateSettings = CandidateSettings(), shortlist: Int = 12,
                forward: (any SpanTranslator)? = nil, backward: (any SpanTranslator)? = nil, isolatedPrefix: String = "query: ") {
        self.embedder = embedder; self.aligner = aligner; self.settings = settings; self.shortlist = shortlist
        self.forward = forward; self.backward = backward; self.isolatedPrefix = isolatedPrefix
    }

    static func text(_ words: [String], _ r: Range<Int>) -> String { words[r].joined(separator: " ") }

    /// True when the word's first character is an upper-case letter.
    static func startsUpper(_ word: String) -> Bool { word.first.map { $0.isUppercase } ?? false }

    /// Mean of the piece rows of words `r`, L2-normalised. - returns: [C]
    static func spanVector(_ v: SentenceVectors, _ r: Range<Int>) -> [Float] {
        let c = v.pieces.shape[1]
        var out = [Float](repeating: 0, count: c)
        var count = 0
        for (p, w) in v.pieceWord.enumerated() where r.contains(w) {
            let row = v.pieces.base + p * c
            for k in 0..<c { out[k] += row[k] }
            count += 1
        }
        var norm: Float = 0
        for k in 0..<c { norm += out[k] * out[k] }
        norm = norm.squareRoot()
        if norm > 0 { for k in 0..<c { out[k] /= norm } }
        return out
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var s: Float = 0
        for k in 0..<a.count { s += a[k] * b[k] }
        return s
    }

    /// Candidates and features for every source span of every sentence pair.
    /// - source: tagged source sentences; target: words of each target sentence
    /// - tagged: the tagger's spans on each target sentence (nil: tagger features are 0)
    /// - progress: called with (stage, sentences or texts done since the last call)
    public func featurize(source: [CoNLLSentence], target: [[String]], tagged: [[TaggedSpan]]? = nil,
                          batchSize: Int = 16, workers: Int = Parallel.defaultWorkers,
                          progress: ((String, Int) -> Void)? = nil) throws -> [[SpanCandidates]] {
        precondition(source.count == target.count, "TProjection: \(source.count) source and \(target.count) target sentences")
        let n = source.count
        let vectors = embedder.encode(source.map(\.tokens) + target, batchSize: batchSize, workers: workers) {
            progress?("encode", $0)
        }
        // Cheap features and the shortlist, per sentence.
        let f = CandidateFeatures.index
        let d = CandidateFeatures.names.count
        let shortlisted: [[SpanCandidates]] = Parallel.map(n, workers: workers) { i in
            let src = source[i], tgt = target[i]
            let sv = vectors[i], tv = vectors[n + i]
            let links = aligner.align(sv, tv)
            var linksIntoTarget = [Int](repeating: 0, count: tgt.count)
            for l in links where l.target < tgt.count { linksIntoTarget[l.target] += 1 }
            let taggedHere = tagged?[i] ?? []
            var out = [SpanCandidates]()
            for span in BIO.spans(src.tags) {
                let cands = CandidateGenerator.candidates(sourceWords: src.tokens, span: span.range, targetWords: tgt,
                                                          alignment: links, tagged: taggedHere, settings: settings)
                if cands.isEmpty { out.append(SpanCandidates(type: span.type, source: span.range, candidates: [], features: [])); continue }
                let sVec = TProjection.spanVector(sv, span.range)
                let sText = TProjection.text(src.tokens, span.range)
                let sTri = SurfaceSimilarity.trigrams(SurfaceSimilarity.fold(sText))
                let sFold = SurfaceSimilarity.fold(sText)
                let spanLinks = links.filter { span.range.contains($0.source) }
                // The `align` baseline's answer for this span (bridge gaps ≤ 2).
                var perTarget = [Int: Int]()
                for l in spanLinks where l.target < tgt.count { perTarget[l.target, default: 0] += 1 }
                let baseline = SpanProjector.range(perTarget, gaps: AlignmentProjection.defaultGaps)
                let sFirstUpper = TProjection.startsUpper(src.tokens[span.range.lowerBound])
                let sLastUpper = TProjection.startsUpper(src.tokens[span.range.upperBound - 1])
                var rows = [[Float]](), cheap = [Float]()
                for (r, origin) in cands {
                    var x = [Float](repeating: 0, count: d)
                    x[f["context_cos"]!] = TProjection.dot(sVec, TProjection.spanVector(tv, r))
                    let inside = spanLinks.filter { r.contains($0.target) }.count
                    let touching = r.reduce(0) { $0 + linksIntoTarget[$1] }
                    x[f["align_precision"]!] = touching > 0 ? Float(inside) / Float(touching) : 0
                    x[f["align_recall"]!] = spanLinks.isEmpty ? 0 : Float(inside) / Float(spanLinks.count)
                    let cText = TProjection.text(tgt, r)
                    let cFold = SurfaceSimilarity.fold(cText)
                    x[f["surface_dice"]!] = SurfaceSimilarity.dice(trigrams: sTri, SurfaceSimilarity.trigrams(cFold))
                    x[f["surface_exact"]!] = sFold == cFold ? 1 : 0
                    x[f["number_agreement"]!] = SurfaceSimilarity.numberAgreement(sText, cText)
                    var exact: Float = 0, overlap: Float = 0
                    for t in taggedHere where t.type == span.type {
                        if t.range == r { exact = max(exact, t.confidence) }
                        let inter = max(0, min(t.range.upperBound, r.upperBound) - max(t.range.lowerBound, r.lowerBound))
                        let union = max(t.range.upperBound, r.upperBound) - min(t.range.lowerBound, r.lowerBound)
                        overlap = max(overlap, Float(inter) / Float(union))
                    }
                    x[f["tagger_exact"]!] = exact
                    x[f["tagger_overlap"]!] = overlap
                    x[f["length_log_ratio"]!] = abs(log(Float(r.count) / Float(span.range.count)))
                    x[f["edge_punctuation"]!] = (CandidateGenerator.isPunctuation(tgt[r.lowerBound])
                                                 || CandidateGenerator.isPunctuation(tgt[r.upperBound - 1])) ? 1 : 0
                    x[f["origin_alignment"]!] = origin.contains(.alignment) ? 1 : 0
                    x[f["align_baseline"]!] = r == baseline ? 1 : 0
                    x[f["first_case_agreement"]!] = TProjection.startsUpper(tgt[r.lowerBound]) == sFirstUpper ? 1 : 0
                    x[f["last_case_agreement"]!] = TProjection.startsUpper(tgt[r.upperBound - 1]) == sLastUpper ? 1 : 0
                    // Capitalised words right outside the candidate (a name cut short).
                    var outside: Float = 0
                    if r.lowerBound > 0 && TProjection.startsUpper(tgt[r.lowerBound - 1]) && r.lowerBound - 1 > 0 { outside += 0.5 }
                    if r.upperBound < tgt.count && TProjection.startsUpper(tgt[r.upperBound]) { outside += 0.5 }
                    x[f["outside_case"]!] = outside
                    rows.append(x)
                    cheap.append(x[f["context_cos"]!] + 0.5 * (x[f["align_precision"]!] + x[f["align_recall"]!])
                                 + 0.3 * x[f["surface_dice"]!] + x[f["tagger_exact"]!] - 0.1 * x[f["length_log_ratio"]!])
                }
                let best = rows.map { $0[f["context_cos"]!] }.max()!
                for k in rows.indices { rows[k][f["context_gap"]!] = rows[k][f["context_cos"]!] - best }
                var keep = Array(cands.indices.sorted { cheap[$0] != cheap[$1] ? cheap[$0] > cheap[$1] : $0 < $1 }.prefix(shortlist))
                for (k, c) in cands.enumerated() where c.origin.contains(.tagger) && !keep.contains(k) && rows[k][f["tagger_exact"]!] > 0 {
                    keep.append(k)
                }
                keep.sort()
                out.append(SpanCandidates(type: span.type, source: span.range, candidates: keep.map { cands[$0].range },
                                          features: keep.map { rows[$0] }))
            }
            return out
        }
        progress?("candidates", n)

        // Expensive features: isolated span-text embeddings and translations, over distinct texts.
        var texts = [String: Int]()
        var sourceTexts = Set<String>(), targetTexts = Set<String>()
        for i in 0..<n {
            for s in shortlisted[i] {
                let st = TProjection.text(source[i].tokens, s.source)
                sourceTexts.insert(st)
                if texts[st] == nil { texts[st] = texts.count }
                for r in s.candidates {
                    let ct = TProjection.text(target[i], r)
                    targetTexts.insert(ct)
                    if texts[ct] == nil { texts[ct] = texts.count }
                }
            }
        }
        let ordered = texts.sorted { $0.value < $1.value }.map(\.key)
        let emb = embedder.embedder.embed(ordered, prefix: isolatedPrefix, batchSize: 32, workers: workers) { progress?("embed", $0) }
        let c = emb.shape[1]
        func cos(_ a: String, _ b: String) -> Float {
            let pa = emb.base + texts[a]! * c, pb = emb.base + texts[b]! * c
            var s: Float = 0, na: Float = 0, nb: Float = 0
            for k in 0..<c { s += pa[k] * pb[k]; na += pa[k] * pa[k]; nb += pb[k] * pb[k] }
            return s / max(1e-12, (na * nb).squareRoot())
        }
        var forwardMT = [String: String](), backwardMT = [String: String]()
        if let forward {
            let list = sourceTexts.sorted()
            forwardMT = Dictionary(uniqueKeysWithValues: zip(list, try forward.translate(list)))
            progress?("translate", list.count)
        }
        if let backward {
            let list = targetTexts.sorted()
            backwardMT = Dictionary(uniqueKeysWithValues: zip(list, try backward.translate(list)))
            progress?("translate", list.count)
        }
        var result = shortlisted
        for i in 0..<n {
            for si in result[i].indices {
                let s = result[i][si]
                let st = TProjection.text(source[i].tokens, s.source)
                for (k, r) in s.candidates.enumerated() {
                    let ct = TProjection.text(target[i], r)
                    var x = s.features[k]
                    x[f["isolated_cos"]!] = cos(st, ct)
                    if let t = forwardMT[st] { x[f["mt_forward_dice"]!] = SurfaceSimilarity.dice(t, ct) }
                    if let t = backwardMT[ct] { x[f["mt_backward_dice"]!] = SurfaceSimilarity.dice(st, t) }
                    x[f["mt_available"]!] = (forward != nil || backward != nil) ? 1 : 0
                    result[i][si].features[k] = x
                }
                let best = result[i][si].features.map { $0[f["isolated_cos"]!] }.max() ?? 0
                for k in result[i][si].features.indices {
                    result[i][si].features[k][f["isolated_gap"]!] = result[i][si].features[k][f["isolated_cos"]!] - best
                }
            }
        }
        return result
    }

    // MARK: selection

    /// At most one candidate per source span, no two overlapping, maximising Σ (p − threshold) over
    /// the chosen ones (a span whose candidates all have p < threshold stays unprojected). Exact
    /// search with a bound when the sentence has at most 12 spans, greedy by p otherwise.
    public static func select(_ spans: [SpanCandidates], scorer: CandidateScorer, targetLength: Int) -> (tags: [String], decisions: [SpanDecision]) {
        let perSpan: [[(range: Range<Int>, gain: Double, p: Double)]] = spans.map { s in
            zip(s.candidates, s.features).map { r, x in
                let p = scorer.probability(x)
                return (r, p - scorer.threshold, p)
            }.filter { $0.gain >= 0 }.sorted { $0.gain > $1.gain }.prefix(6).map { $0 }
        }
        var choice = [Int](repeating: -1, count: spans.count)
        if spans.count <= 12 {
            // Spans with the strongest candidates first, for tighter bounds.
            let order = spans.indices.sorted { (perSpan[$0].first?.gain ?? -1) > (perSpan[$1].first?.gain ?? -1) }
            var suffixBound = [Double](repeating: 0, count: order.count + 1)
            for k in stride(from: order.count - 1, through: 0, by: -1) { suffixBound[k] = suffixBound[k + 1] + (perSpan[order[k]].first?.gain ?? 0) }
            var best = -1.0, current = [Int](repeating: -1, count: spans.count)
            var taken = [Bool](repeating: false, count: targetLength)
            func search(_ k: Int, _ total: Double) {
                if total + suffixBound[k] <= best { return }
                if k == order.count { best = total; choice = current; return }
                let s = order[k]
                for (ci, c) in perSpan[s].enumerated() where !c.range.contains(where: { taken[$0] }) {
                    for w in c.range { taken[w] = true }
                    current[s] = ci
                    search(k + 1, total + c.gain)
                    current[s] = -1
                    for w in c.range { taken[w] = false }
                }
                search(k + 1, total)
            }
            search(0, 0)
        } else {
            var taken = [Bool](repeating: false, count: targetLength)
            let all = spans.indices.flatMap { s in perSpan[s].indices.map { (s, $0) } }
                .sorted { perSpan[$0.0][$0.1].gain > perSpan[$1.0][$1.1].gain }
            for (s, ci) in all where choice[s] < 0 {
                let r = perSpan[s][ci].range
                if r.contains(where: { taken[$0] }) { continue }
                for w in r { taken[w] = true }
                choice[s] = ci
            }
        }
        var tags = [String](repeating: "O", count: targetLength)
        var decisions = [SpanDecision]()
        for (s, span) in spans.enumerated() {
            if choice[s] >= 0 {
                let c = perSpan[s][choice[s]]
                for w in c.range { tags[w] = (w == c.range.lowerBound ? "B-" : "I-") + span.type }
                decisions.append(SpanDecision(type: span.type, source: span.source, target: c.range, probability: c.p))
            } else {
                decisions.append(SpanDecision(type: span.type, source: span.source, target: nil, probability: 0))
            }
        }
        return (tags, decisions)
    }

    // MARK: fitting

    /// What the gold target spans say about the candidates: one row per shortlisted candidate,
    /// labelled correct when it is the gold target span matched to its source span. Source and gold
    /// spans of the same type are matched one-to-one, greedily by the share of the source span's
    /// candidate features that point at the gold span (alignment recall + context similarity of
    /// that candidate; a gold span not among the candidates scores by position only).
    public static func trainingRows(_ featurized: [[SpanCandidates]], goldTags: [[String]]) -> (x: [[Float]], y: [Bool], goldSpans: Int, goldShortlisted: Int) {
        precondition(featurized.count == goldTags.count, "trainingRows: \(featurized.count) sentences, \(goldTags.count) gold")
        let f = CandidateFeatures.index
        var x = [[Float]](), y = [Bool]()
        var goldSpans = 0, shortlisted = 0
        for (spans, tags) in zip(featurized, goldTags) {
            let gold = BIO.spans(tags)
            goldSpans += gold.count
            // Affinity of (source span, gold span): the matching candidate's alignment recall + context cos.
            var pairs = [(s: Int, g: Int, score: Float)]()
            for (si, s) in spans.enumerated() {
                for (gi, g) in gold.enumerated() where g.type == s.type {
                    var score: Float = -1 - Float(abs(gi - si)) * 0.01
                    if let k = s.candidates.firstIndex(of: g.range) {
                        score = s.features[k][f["align_recall"]!] + s.features[k][f["context_cos"]!] + s.features[k][f["surface_dice"]!]
                    }
                    pairs.append((si, gi, score))
                }
            }
            pairs.sort { $0.score != $1.score ? $0.score > $1.score : ($0.s, $0.g) < ($1.s, $1.g) }
            var matchOfSource = [Int: Range<Int>](), usedGold = Set<Int>()
            for p in pairs where matchOfSource[p.s] == nil && !usedGold.contains(p.g) {
                matchOfSource[p.s] = gold[p.g].range
                usedGold.insert(p.g)
            }
            for (si, s) in spans.enumerated() {
                let target = matchOfSource[si]
                if let target, s.candidates.contains(target) { shortlisted += 1 }
                for (k, r) in s.candidates.enumerated() {
                    x.append(s.features[k])
                    y.append(r == target)
                }
            }
        }
        return (x, y, goldSpans, shortlisted)
    }
}
