// Contextual word vectors on real weights (e5-small-enpt; skipped when not installed): the
// intermediate-layer forward pass against forward() and against an encoder loaded with fewer
// layers, piece windows for long sentences, and batching.
import Foundation
import Models
import TensorCore
import XCTest
@testable import Projection

/// The installed model `name`, or XCTSkip.
func installedEmbedder(_ name: String) throws -> Embedder {
    let dir = ModelInstaller().directory(of: name)
    guard FileManager.default.fileExists(atPath: dir + "/" + ModelInstaller.installRecord) else {
        throw XCTSkip("skipped: model \(name) not installed (Scripts/setup installs it)")
    }
    return try Embedder(model: name)
}

/// Largest |a − b| over two tensors of one shape.
func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "maxDifference: \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

final class WordEmbeddingsTests: XCTestCase {
    static let model = "e5-small-enpt"

    /// Two padded rows: bos + pieces + eos.
    func batch(_ e: Embedder, _ texts: [String]) -> (ids: [[Int32]], mask: [[Int32]]) {
        let rows = texts.map { e.ids(for: $0) }
        let t = rows.map(\.count).max()!, pad = Int32(e.directory.config.padTokenId)
        return (rows.map { $0 + [Int32](repeating: pad, count: t - $0.count) },
                rows.map { [Int32](repeating: 1, count: $0.count) + [Int32](repeating: 0, count: t - $0.count) })
    }

    func testUpToLastLayerIsForward() throws {
        let e = try installedEmbedder(Self.model)
        let (ids, mask) = batch(e, ["The European Parliament adopted the resolution .", "Thank you ."])
        let n = e.directory.config.layerCount
        for workers in [1, 2] {
            let full = e.encoder.forward(ids: ids, mask: mask, workers: workers)
            let last = e.encoder.forward(ids: ids, mask: mask, workers: workers, upToLayer: n)
            XCTAssertEqual(full.shape, last.shape)
            XCTAssertEqual(full.scalars, last.scalars, "workers \(workers): largest difference \(maxDifference(full, last))")
        }
        XCTAssertNotEqual(e.encoder.forward(ids: ids, mask: mask, upToLayer: n - 1).scalars,
                          e.encoder.forward(ids: ids, mask: mask).scalars)
    }

    func testMiddleLayerEqualsAnEncoderLoadedWithThatManyLayers() throws {
        // The public route to hidden_states[L]: an encoder whose config has L layers loads only
        // layers 0..<L (at the cost of a second copy of the weights).
        let e = try installedEmbedder(Self.model)
        let (ids, mask) = batch(e, ["Resumption of the session", "I declare resumed the session of the European Parliament ."])
        for layer in [0, 8] {
            var config = e.directory.config
            config.layerCount = layer
            let truncated = try BertEncoder(config: config, weights: SafeTensorsFile(path: e.directory.weightsPath))
            let want = truncated.forward(ids: ids, mask: mask)
            let got = e.encoder.forward(ids: ids, mask: mask, upToLayer: layer)
            XCTAssertEqual(got.scalars, want.scalars, "layer \(layer): largest difference \(maxDifference(got, want))")
        }
    }

    func testWindowsCoverEveryPieceOnceCentrally() {
        XCTAssertEqual(ContextualWordEmbedder.windows(count: 5, room: 8).starts, [0])
        let (starts, owner) = ContextualWordEmbedder.windows(count: 10, room: 4)
        XCTAssertEqual(starts, [0, 2, 4, 6])
        XCTAssertEqual(owner, [0, 0, 0, 1, 1, 2, 2, 3, 3, 3])
        for (p, k) in owner.enumerated() { XCTAssertTrue((starts[k]..<(starts[k] + 4)).contains(p), "piece \(p) in window \(k)") }
        XCTAssertEqual(ContextualWordEmbedder.windows(count: 7, room: 4).starts, [0, 2, 3])
    }

    func testPiecesWordsAndWindowsOnRealWeights() throws {
        let e = try installedEmbedder(Self.model)
        let words = "The Commission 's proposal on the harmonisation of veterinary checks was adopted yesterday afternoon .".split(separator: " ").map(String.init)
        let cwe = try ContextualWordEmbedder(embedder: e, layer: 8)
        let v = cwe.encode([words, ["Thank", "you", "."]], workers: 2)
        let pieces = cwe.pieces(words)
        XCTAssertEqual(v[0].pieceCount, pieces.joined().count)
        XCTAssertEqual(v[0].wordCount, words.count)
        XCTAssertEqual(v[0].pieceWord, pieces.enumerated().flatMap { w, p in [Int](repeating: w, count: p.count) })
        // A sentence that fits: rows equal the hidden state of bos + pieces + eos alone.
        let ids = [[Int32(e.directory.config.bosTokenId!)] + pieces.joined() + [Int32(e.directory.config.eosTokenId!)]]
        let h = e.encoder.forward(ids: ids, mask: [[Int32](repeating: 1, count: ids[0].count)], upToLayer: 8)
        let inner = h.select(axis: 0, 0).slice(axis: 0, 1..<(ids[0].count - 1)).contiguous()
        XCTAssertLessThan(maxDifference(v[0].pieces, inner), 1e-4)   // batching with a shorter row adds padding only
        // Windows of 8 tokens (6 pieces): every piece row is filled and stays close to the full context's.
        let windowed = try ContextualWordEmbedder(embedder: e, layer: 8, maxLength: 8).encode([words], workers: 1)[0]
        XCTAssertEqual(windowed.pieces.shape, v[0].pieces.shape)
        let c = windowed.pieces.shape[1]
        for p in 0..<windowed.pieceCount {
            let row = Array(windowed.pieces.scalars[(p * c)..<((p + 1) * c)])
            XCTAssertTrue(row.contains { $0 != 0 }, "piece \(p) has no vector")
        }
        let cos = ScoreMatrix.cosineSimilarity(windowed.pieces, v[0].pieces)
        let diagonal = (0..<windowed.pieceCount).map { cos[$0, $0] }
        XCTAssertGreaterThan(diagonal.reduce(0, +) / Float(diagonal.count), 0.9, "windowed vectors drift from full-context ones: \(diagonal)")
        // Settings out of range are user errors.
        XCTAssertThrowsError(try ContextualWordEmbedder(embedder: e, layer: 13))
        XCTAssertThrowsError(try ContextualWordEmbedder(embedder: e, maxLength: 2))
    }
}
