// The Swift encoder against an independent numpy float64 forward pass of the same converted
// weights (Scripts/golden/gen_encoder_golden.py): 22 multilingual sentences of different lengths
// in one padded batch — token ids, last hidden state of every real token, masked-mean pooling and
// L2-normalised embeddings — and the same embeddings through Embedder's own batching.
import Foundation
import TensorCore
import XCTest
@testable import Models

final class EncoderParityTests: XCTestCase {
    func load() throws -> (EncoderGolden, Embedder) { try loadEncoderGolden("encoder_golden") }

    func testTokenIdsMatchPythonSentencePiece() throws {
        let (golden, embedder) = try load()
        for (b, s) in golden.sentences.enumerated() {
            let n = golden.mask[b].reduce(0) { $0 + Int($1) }
            XCTAssertEqual(embedder.ids(for: s), Array(golden.ids[b].prefix(n)), s)
        }
    }

    func testHiddenStatesPooledAndEmbeddingsMatchNumpy() throws {
        let (golden, embedder) = try load()
        let hidden = embedder.encoder.forward(ids: golden.ids, mask: golden.mask)   // [B, T, C]
        let b = hidden.shape[0], t = hidden.shape[1], c = hidden.shape[2]
        XCTAssertEqual(b, golden.sentences.count)
        var real = [Float]()
        let h = hidden.contiguous().scalars
        for i in 0..<b {
            let n = golden.mask[i].reduce(0) { $0 + Int($1) }
            real += h[(i * t * c)..<(i * t * c + n * c)]
        }
        let (shape, want) = try goldenArray("encoder_hidden")
        XCTAssertEqual(shape, [real.count / c, c])
        assertParity(real, want, relTol: 1e-4, "last hidden state, \(shape[0]) real tokens × \(c)")

        let pooled = embedder.encoder.pool(hidden, mask: golden.mask, pooling: .mean, normalize: false)
        assertParity(pooled.scalars, try goldenArray("encoder_pooled").data, relTol: 1e-4, "masked-mean pooled")
        let emb = embedder.encoder.pool(hidden, mask: golden.mask, pooling: .mean, normalize: true)
        assertParity(emb.scalars, try goldenArray("encoder_embedding").data, relTol: 1e-4, "L2-normalised embedding")
    }

    func testEmbedderBatchingGivesTheSameEmbeddings() throws {
        let (golden, embedder) = try load()
        let want = try goldenArray("encoder_embedding").data
        // Different batch sizes and worker counts reorder and re-pad the sentences; one batch of 22
        // on two workers runs every operation split over both threads.
        for (batch, workers) in [(5, 2), (1, 1), (22, 2)] {
            let got = embedder.embed(golden.sentences, batchSize: batch, workers: workers)
            XCTAssertEqual(got.shape, [golden.sentences.count, embedder.directory.config.hiddenSize])
            assertParity(got.scalars, want, relTol: 1e-4, "Embedder.embed batch \(batch), \(workers) workers")
        }
    }
}
