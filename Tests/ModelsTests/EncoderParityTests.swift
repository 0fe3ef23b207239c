// The Swift encoder against an independent numpy float64 forward pass of the same converted
// weights (Scripts/golden/gen_encoder_golden.py): 22 multilingual sentences of different lengths
// in one padded batch — token ids, last hidden state of every real token, masked-mean pooling and
// L2-normalised embeddings — and the same embeddings through Embedder's own batching.
import Foundation
import TensorCore
import XCTest
@testable import Models

final class EncoderParityTests: XCTestCase {
    struct Golden: Decodable {
        let model: String
        let sentences: [String]
        let ids: [[Int32]]
        let mask: [[Int32]]
    }

    func load() throws -> (Golden, Embedder) {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "encoder_golden", withExtension: "json", subdirectory: "Resources"))
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
        let dir = try installedModel(golden.model)
        return (golden, try Embedder(model: dir))
    }

    func array(_ name: String) throws -> (shape: [Int], data: [Float]) {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "npy", subdirectory: "Resources"))
        return try readNPY(Data(contentsOf: url))
    }

    /// max |Δ| over two arrays, checked against tol·scale where scale = max |reference|.
    @discardableResult
    func assertClose(_ got: [Float], _ want: [Float], relTol: Float, _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(got.count, want.count, label, file: file, line: line)
        var worst: Float = 0, at = 0, scale: Float = 0
        for (i, (a, b)) in zip(got, want).enumerated() {
            scale = max(scale, abs(b))
            let d = abs(a - b)
            if !(d <= worst) { worst = d; at = i }
        }
        print("[parity] \(label): max|Δ| = \(worst) at \(at), value scale \(scale), relative \(worst / max(scale, 1e-30)), tol \(relTol)")
        XCTAssertLessThanOrEqual(worst, relTol * scale, "\(label): max|Δ| \(worst) at \(at)", file: file, line: line)
        return worst
    }

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
        let (shape, want) = try array("encoder_hidden")
        XCTAssertEqual(shape, [real.count / c, c])
        assertClose(real, want, relTol: 1e-4, "last hidden state, \(shape[0]) real tokens × \(c)")

        let pooled = embedder.encoder.pool(hidden, mask: golden.mask, pooling: .mean, normalize: false)
        assertClose(pooled.scalars, try array("encoder_pooled").data, relTol: 1e-4, "masked-mean pooled")
        let emb = embedder.encoder.pool(hidden, mask: golden.mask, pooling: .mean, normalize: true)
        assertClose(emb.scalars, try array("encoder_embedding").data, relTol: 1e-4, "L2-normalised embedding")
    }

    func testEmbedderBatchingGivesTheSameEmbeddings() throws {
        let (golden, embedder) = try load()
        let want = try array("encoder_embedding").data
        // Different batch sizes and worker counts reorder and re-pad the sentences; one batch of 22
        // on two workers runs every operation split over both threads.
        for (batch, workers) in [(5, 2), (1, 1), (22, 2)] {
            let got = embedder.embed(golden.sentences, batchSize: batch, workers: workers)
            XCTAssertEqual(got.shape, [golden.sentences.count, embedder.directory.config.hiddenSize])
            assertClose(got.scalars, want, relTol: 1e-4, "Embedder.embed batch \(batch), \(workers) workers")
        }
    }
}

/// A float32/float64 C-order .npy (as numpy writes it) → shape and Float values.
func readNPY(_ data: Data) throws -> (shape: [Int], data: [Float]) {
    let bytes = [UInt8](data)
    guard bytes.count > 10, bytes[0] == 0x93, bytes[1...5].elementsEqual(Array("NUMPY".utf8)) else {
        throw NSError(domain: "npy", code: 1, userInfo: [NSLocalizedDescriptionKey: "not an .npy file"])
    }
    let headerLen = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + headerLen)], as: UTF8.self)
    let shapeText = header[header.range(of: "(")!.upperBound..<header.range(of: ")")!.lowerBound]
    let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let start = 10 + headerLen
    let count = shape.reduce(1, *)
    let f8 = header.contains("<f8")
    var out = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { raw in
        for i in 0..<count {
            out[i] = f8 ? Float(raw.loadUnaligned(fromByteOffset: start + 8 * i, as: Double.self))
                        : raw.loadUnaligned(fromByteOffset: start + 4 * i, as: Float.self)
        }
    }
    return (shape, out)
}
