// Link extraction on hand-made score matrices: mutual argmax, SimAlign's IterMax (expected links
// computed with cisnlp/simalign simalign.py `iter_max`, numpy 2.4.6, for the matrices below), and
// awesome-align's bidirectional softmax with threshold; subword links mapped to words.
import Foundation
import TensorCore
import XCTest
@testable import Projection

final class AlignmentTests: XCTestCase {
    func links(_ pairs: [(Int, Int)]) -> Set<AlignmentLink> { Set(pairs.map { AlignmentLink($0.0, $0.1) }) }

    /// Rows 0 and 1 both prefer column 0; row 0 wins it. Column 1's best is row 0.
    let contested = ScoreMatrix([[0.9, 0.8, 0.1],
                                 [0.85, 0.2, 0.1],
                                 [0.1, 0.1, 0.9]])

    func testArgmaxIsMutual() {
        XCTAssertEqual(Aligner.argmax(contested), links([(0, 0), (2, 2)]))
        // Rectangular, and ties go to the first index (numpy argmax).
        XCTAssertEqual(Aligner.argmax(ScoreMatrix([[0.5, 0.5, 0.1]])), links([(0, 0)]))
        XCTAssertEqual(Aligner.argmax(ScoreMatrix([[0.2], [0.7], [0.1]])), links([(1, 0)]))
        XCTAssertEqual(Aligner.argmax(ScoreMatrix(rows: 0, columns: 3, values: [])), [])
    }

    func testItermaxAddsLinksForUnalignedRowsAndColumns() {
        // Round 2 weights: (0,1) row aligned → 0.9·0.8 = 0.72; (1,0) column aligned → 0.9·0.85 =
        // 0.765; cells with both sides aligned are out. Mutual maxima: (0,1) and (1,0).
        XCTAssertEqual(Aligner.itermax(contested), links([(0, 0), (2, 2), (0, 1), (1, 0)]))
        XCTAssertEqual(Aligner.itermax(contested, maxRounds: 1), Aligner.argmax(contested))
    }

    func testItermaxRoundsAndSmallMatrices() {
        let s = ScoreMatrix([[0.9, 0.8, 0.7, 0.1],
                             [0.88, 0.85, 0.2, 0.1],
                             [0.87, 0.1, 0.2, 0.3],
                             [0.1, 0.1, 0.2, 0.95]])
        // simalign iter_max(s) and iter_max(s, max_count=3).
        XCTAssertEqual(Aligner.itermax(s), links([(0, 0), (1, 1), (3, 3)]))
        XCTAssertEqual(Aligner.itermax(s, maxRounds: 3), links([(0, 0), (0, 2), (1, 1), (2, 0), (3, 3)]))
        // min(M, N) ≤ 2: argmax only, as in SimAlign.
        let narrow = ScoreMatrix([[0.9, 0.8], [0.85, 0.2], [0.1, 0.7]])
        XCTAssertEqual(Aligner.itermax(narrow), Aligner.argmax(narrow))
    }

    func testItermaxMatchesTheSimAlignReferenceOnRandomMatrices() {
        // simalign's iter_max (numpy 2.4.6) on matrices drawn with numpy default_rng(7), rounded
        // to 2 decimals; each is one where IterMax adds links to argmax's.
        let cases: [(rows: [[Float]], expected: [(Int, Int)])] = [
            ([[0.90, 0.78, 0.23, 0.30],
              [0.87, 0.01, 0.82, 0.80],
              [0.47, 0.30, 0.28, 0.25],
              [0.45, 0.50, 0.55, 1.00],
              [0.79, 0.62, 0.99, 0.22]],
             [(0, 0), (0, 1), (1, 0), (3, 3), (4, 2)]),
            ([[0.61, 0.04, 0.04],
              [0.51, 0.47, 0.92],
              [0.63, 0.51, 0.50],
              [0.25, 0.01, 0.19],
              [0.69, 0.20, 0.37]],
             [(1, 2), (2, 0), (4, 0)]),
            ([[0.60, 0.06, 0.39, 0.32],
              [0.15, 0.82, 0.38, 0.98],
              [0.59, 0.61, 0.64, 0.68],
              [0.15, 0.44, 0.24, 0.40],
              [0.10, 0.97, 0.22, 0.67]],
             [(0, 0), (1, 3), (2, 2), (4, 1)]),
            ([[0.87, 0.66, 0.13],
              [0.85, 0.94, 0.90],
              [0.57, 0.15, 0.19]],
             [(0, 0), (1, 1), (1, 2), (2, 0)]),
        ]
        for (rows, expected) in cases {
            XCTAssertEqual(Aligner.itermax(ScoreMatrix(rows)), links(expected), "\(rows)")
        }
    }

    func testSoftmaxThresholdBothDirections() {
        // Row 1 is sharply peaked at column 1; row 0 is flat. Forward: row 0 [.5, .5], row 1
        // [4.5e-5, ≈1]; backward: column 0 [.5, .5], column 1 [4.5e-5, ≈1].
        let s = ScoreMatrix([[0, 0], [0, 10]])
        XCTAssertEqual(Aligner.softmax(s), links([(0, 0), (1, 1)]))
        XCTAssertEqual(Aligner.softmax(s, threshold: 0.6), links([(1, 1)]))
        // A flat 3×4 matrix: every probability is 1/4 forward and 1/3 backward: all 12 links at
        // threshold 1e-3, none above 0.3.
        let flat = ScoreMatrix(rows: 3, columns: 4, values: [Float](repeating: 2, count: 12))
        XCTAssertEqual(Aligner.softmax(flat).count, 12)
        XCTAssertEqual(Aligner.softmax(flat, threshold: 0.3), [])
    }

    func testSimilarityMatrices() {
        let a = Tensor([1, 0, 2, 0], shape: [2, 2])
        let b = Tensor([0, 3, -1, 0, 1, 1], shape: [3, 2])
        let cos = ScoreMatrix.cosineSimilarity(a, b)
        XCTAssertEqual(cos.rows, 2); XCTAssertEqual(cos.columns, 3)
        XCTAssertEqual(cos[0, 0], 0.5, accuracy: 1e-6)       // orthogonal
        XCTAssertEqual(cos[1, 1], 0, accuracy: 1e-6)         // opposite
        XCTAssertEqual(cos[0, 2], (Float(0.5).squareRoot() + 1) / 2, accuracy: 1e-6)
        let dot = ScoreMatrix.dotProducts(a, b)
        XCTAssertEqual(dot.values, [0, -1, 1, 0, -2, 2])
    }

    /// Two source words (pieces 0,1 | 2) and two target words (piece 0 | 1,2), piece vectors 10×
    /// one-hot (dot products 0 or 100, so softmax is sharp).
    func vectors() -> (SentenceVectors, SentenceVectors) {
        let src = SentenceVectors(pieces: Tensor([10, 0, 0, 0,
                                                  0, 10, 0, 0,
                                                  0, 0, 10, 0], shape: [3, 4]), pieceWord: [0, 0, 1], wordCount: 2)
        let tgt = SentenceVectors(pieces: Tensor([0, 10, 0, 0,
                                                  0, 0, 0, 10,
                                                  0, 0, 10, 0], shape: [3, 4]), pieceWord: [0, 1, 1], wordCount: 2)
        return (src, tgt)
    }

    func testWordVectorsAreMeansOfTheirPieces() {
        let (src, _) = vectors()
        XCTAssertEqual(src.words.shape, [2, 4])
        XCTAssertEqual(src.words.scalars, [5, 5, 0, 0, 0, 0, 10, 0])
    }

    func testSubwordLinksMapToWords() {
        let (src, tgt) = vectors()
        // Pieces: source 1 ↔ target 0 (word 0 ↔ word 0), source 2 ↔ target 2 (word 1 ↔ word 1).
        XCTAssertEqual(WordAligner(method: .argmax, level: .subword).align(src, tgt), links([(0, 0), (1, 1)]))
        // Source piece 0 and target piece 1 are orthogonal to everything. IterMax's second round
        // pairs them (all similarities 0.5, undamped only in that cell); softmax gives both a
        // uniform distribution (1/3 > 1e-3 each way): words 0 ↔ 1 as well.
        XCTAssertEqual(WordAligner(method: .itermax, level: .subword).align(src, tgt), links([(0, 0), (0, 1), (1, 1)]))
        XCTAssertEqual(WordAligner(method: .softmax, level: .subword).align(src, tgt), links([(0, 0), (0, 1), (1, 1)]))
        XCTAssertEqual(WordAligner(method: .softmax, level: .subword, softmaxThreshold: 0.4).align(src, tgt), links([(0, 0), (1, 1)]))
        // Word level: source word 0 = (5, 5, 0, 0) is most similar to target word 0 = (0, 10, 0, 0).
        XCTAssertEqual(WordAligner(method: .argmax, level: .word).align(src, tgt), links([(0, 0), (1, 1)]))
    }
}
