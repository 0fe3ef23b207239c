// Word alignment from a similarity matrix between the vectors of a source and a target sentence.
// Three extraction rules:
//  - argmax  (SimAlign "inter", cisnlp/simalign simalign.py `get_alignment_matrix`): i–j linked
//    when j is i's most similar target and i is j's most similar source;
//  - itermax (SimAlign `iter_max`, max_count 2, alpha_ratio 0.9): argmax, then argmax again over
//    the cells whose row or column is still unaligned, cells with one side aligned damped by 0.9,
//    cells with both sides aligned excluded, links of the earlier rounds kept;
//  - softmax (awesome-align modeling.py `BertGuideHead`, extraction 'softmax', threshold 1e-3):
//    raw dot products, a softmax over the target for each source row and over the source for
//    each target column; linked when both probabilities exceed the threshold.
// Similarities follow each reference: SimAlign's (cos + 1)/2 for argmax/itermax, awesome-align's
// dot product for softmax. Subword-level alignment links two words when any of their pieces are
// linked (both references); word-level alignment runs on mean-pooled word vectors (SimAlign's
// "word" token type). Ties go to the lowest index, as numpy's argmax does. Leaves out SimAlign's
// distortion prior and "mwmf" (max-weight matching).

import Foundation
import TensorCore

/// A link between source word (or piece) `source` and target word (or piece) `target`, 0-based.
public struct AlignmentLink: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var source: Int
    public var target: Int
    public init(_ source: Int, _ target: Int) { self.source = source; self.target = target }
    public static func < (a: AlignmentLink, b: AlignmentLink) -> Bool { (a.source, a.target) < (b.source, b.target) }
    /// Pharaoh notation, 0-based: "i-j".
    public var description: String { "\(source)-\(target)" }
}

/// A dense [M, N] score matrix, row-major (rows: source, columns: target).
public struct ScoreMatrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "ScoreMatrix: \(values.count) values for [\(rows), \(columns)]")
        self.rows = rows; self.columns = columns; self.values = values
    }
    /// Rows of equal length.
    public init(_ rows: [[Float]]) {
        let n = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == n }, "ScoreMatrix: rows of different lengths")
        self.init(rows: rows.count, columns: n, values: rows.flatMap { $0 })
    }
    public subscript(i: Int, j: Int) -> Float { values[i * columns + j] }

    /// a·bᵀ. - a: [M, C], b: [N, C] → [M, N]
    public static func dotProducts(_ a: Tensor, _ b: Tensor) -> ScoreMatrix {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[1], "dotProducts: a \(a.shape) and b \(b.shape) must be [M, C] and [N, C]")
        let m = a.shape[0], n = b.shape[0]
        if m == 0 || n == 0 { return ScoreMatrix(rows: m, columns: n, values: []) }
        return ScoreMatrix(rows: m, columns: n, values: matmul(a, b, transposeB: true).scalars)
    }

    /// SimAlign's similarity (cos(a_i, b_j) + 1) / 2, in [0, 1]. - a: [M, C], b: [N, C] → [M, N]
    public static func cosineSimilarity(_ a: Tensor, _ b: Tensor) -> ScoreMatrix {
        var s = dotProducts(l2Normalize(a), l2Normalize(b))
        for k in s.values.indices { s.values[k] = (s.values[k] + 1) / 2 }
        return s
    }
}

/// How links are extracted from a score matrix.
public enum AlignmentMethod: String, CaseIterable, Sendable {
    case argmax, itermax, softmax
}

/// What the rows and columns of the score matrix are.
public enum AlignmentLevel: String, CaseIterable, Sendable {
    /// pieces, links mapped to words (a word pair is linked if any of their pieces are)
    case subword
    /// mean-pooled word vectors
    case word
}

public enum Aligner {
    /// Index of the largest value of row i (first on ties).
    static func rowArgmax(_ s: ScoreMatrix, _ i: Int, weight: (Int, Int) -> Float = { _, _ in 1 }) -> Int {
        var best = 0, value = -Float.infinity
        for j in 0..<s.columns {
            let v = s[i, j] * weight(i, j)
            if v > value { value = v; best = j }
        }
        return best
    }

    static func columnArgmax(_ s: ScoreMatrix, _ j: Int, weight: (Int, Int) -> Float = { _, _ in 1 }) -> Int {
        var best = 0, value = -Float.infinity
        for i in 0..<s.rows {
            let v = s[i, j] * weight(i, j)
            if v > value { value = v; best = i }
        }
        return best
    }

    /// Mutual argmax: {(i, j) : j = argmax_j' s[i, j'] and i = argmax_i' s[i', j]}.
    public static func argmax(_ s: ScoreMatrix) -> Set<AlignmentLink> {
        guard s.rows > 0 && s.columns > 0 else { return [] }
        let colBest = (0..<s.columns).map { columnArgmax(s, $0) }
        var out = Set<AlignmentLink>()
        for i in 0..<s.rows {
            let j = rowArgmax(s, i)
            if colBest[j] == i { out.insert(AlignmentLink(i, j)) }
        }
        return out
    }

    /// SimAlign's IterMax. Round 1 is `argmax`. Each further round (up to `maxRounds` in all)
    /// weighs s[i, j] by 1 when row i and column j are both unaligned, by `alpha` when exactly one
    /// is, and excludes the cell when both are; the mutual argmax of the weighted matrix over the
    /// cells with an unaligned row or column is added. It stops early when a round adds nothing
    /// or every row or every column is aligned; a matrix with min(M, N) ≤ 2 keeps round 1 only.
    /// `s` must be non-negative (SimAlign's (cos + 1)/2) for the damping to mean what it says.
    public static func itermax(_ s: ScoreMatrix, maxRounds: Int = 2, alpha: Float = 0.9) -> Set<AlignmentLink> {
        var links = argmax(s)
        if min(s.rows, s.columns) <= 2 { return links }
        var round = 1
        while round < maxRounds {
            var rowAligned = [Bool](repeating: false, count: s.rows), colAligned = [Bool](repeating: false, count: s.columns)
            for l in links { rowAligned[l.source] = true; colAligned[l.target] = true }
            if rowAligned.allSatisfy({ $0 }) || colAligned.allSatisfy({ $0 }) { break }
            let weight: (Int, Int) -> Float = { i, j in
                switch (rowAligned[i], colAligned[j]) {
                case (false, false): return 1
                case (true, true): return 0
                default: return alpha
                }
            }
            let colBest = (0..<s.columns).map { columnArgmax(s, $0, weight: weight) }
            var added = false
            for i in 0..<s.rows {
                let j = rowArgmax(s, i, weight: weight)
                guard colBest[j] == i, !(rowAligned[i] && colAligned[j]) else { continue }
                if links.insert(AlignmentLink(i, j)).inserted { added = true }
            }
            if !added { break }
            round += 1
        }
        return links
    }

    /// awesome-align's softmax extraction: p→[i, j] = softmax_j(s[i, :]), p←[i, j] = softmax_i(s[:, j]);
    /// (i, j) linked when both exceed `threshold`. `s` holds raw dot products.
    public static func softmax(_ s: ScoreMatrix, threshold: Float = 1e-3) -> Set<AlignmentLink> {
        guard s.rows > 0 && s.columns > 0 else { return [] }
        var forward = s.values, backward = s.values
        forward.withUnsafeMutableBufferPointer { softmaxRowsInPlace($0.baseAddress!, rows: s.rows, length: s.columns) }
        // Column softmax in Double: columns are strided, and the sums are short.
        for j in 0..<s.columns {
            var top = -Float.infinity
            for i in 0..<s.rows { top = max(top, s[i, j]) }
            var total = 0.0
            for i in 0..<s.rows { total += Double(expf(s[i, j] - top)) }
            for i in 0..<s.rows { backward[i * s.columns + j] = Float(Double(expf(s[i, j] - top)) / total) }
        }
        var out = Set<AlignmentLink>()
        for i in 0..<s.rows {
            for j in 0..<s.columns where forward[i * s.columns + j] > threshold && backward[i * s.columns + j] > threshold {
                out.insert(AlignmentLink(i, j))
            }
        }
        return out
    }

    /// Links extracted from `s` by `method` (the matrix must be the method's: (cos + 1)/2 for
    /// argmax/itermax, dot products for softmax; `scores(_:_:method:)` builds the right one).
    public static func extract(_ s: ScoreMatrix, method: AlignmentMethod, softmaxThreshold: Float = 1e-3) -> Set<AlignmentLink> {
        switch method {
        case .argmax: return argmax(s)
        case .itermax: return itermax(s)
        case .softmax: return softmax(s, threshold: softmaxThreshold)
        }
    }

    /// The score matrix `method` works on. - a: [M, C], b: [N, C]
    public static func scores(_ a: Tensor, _ b: Tensor, method: AlignmentMethod) -> ScoreMatrix {
        method == .softmax ? ScoreMatrix.dotProducts(a, b) : ScoreMatrix.cosineSimilarity(a, b)
    }
}

/// Aligns the words of a source and a target sentence from their contextual vectors.
public struct WordAligner: Sendable {
    public var method: AlignmentMethod
    public var level: AlignmentLevel
    public var softmaxThreshold: Float

    /// The defaults give the lowest mean AER on align_gold with e5-small (subword argmax; itermax
    /// is within 1 point, softmax 14 points worse: Scripts/bench/projection_align.md).
    public init(method: AlignmentMethod = .argmax, level: AlignmentLevel = .subword, softmaxThreshold: Float = 1e-3) {
        self.method = method; self.level = level; self.softmaxThreshold = softmaxThreshold
    }

    /// Word links (0-based source word, target word).
    public func align(_ source: SentenceVectors, _ target: SentenceVectors) -> Set<AlignmentLink> {
        switch level {
        case .word:
            return Aligner.extract(Aligner.scores(source.words, target.words, method: method), method: method,
                                   softmaxThreshold: softmaxThreshold)
        case .subword:
            let pieceLinks = Aligner.extract(Aligner.scores(source.pieces, target.pieces, method: method), method: method,
                                             softmaxThreshold: softmaxThreshold)
            return Set(pieceLinks.map { AlignmentLink(source.pieceWord[$0.source], target.pieceWord[$0.target]) })
        }
    }
}

extension WordAligner {
    /// Word links for every pair (source and target sentences are encoded separately, in one
    /// batched pass), in input order.
    /// - progress: sentences encoded (each side of a pair counts once)
    public func align(_ pairs: [SentencePair], embedder: ContextualWordEmbedder, batchSize: Int = 16,
                      workers: Int = Parallel.defaultWorkers, progress: ((Int) -> Void)? = nil) -> [Set<AlignmentLink>] {
        let vectors = embedder.encode(pairs.map(\.source) + pairs.map(\.target), batchSize: batchSize, workers: workers,
                                      progress: progress)
        let n = pairs.count
        return Parallel.map(n, workers: workers) { align(vectors[$0], vectors[n + $0]) }
    }
}
