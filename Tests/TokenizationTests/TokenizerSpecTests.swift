// TokenizerSpec: bos/eos, truncation that keeps them, padding to the longest row or
// to maxLength, attention masks, and the XLM-R (fairseq) id convention.

import XCTest
@testable import Tokenization

final class TokenizerSpecTests: XCTestCase {
    let sp = Repo.unigram

    func testXlmrConvention() throws {
        let spec = try TokenizerSpec.xlmr(processor: sp)
        XCTAssertEqual(spec.modelId(sp.unkId), 3)
        XCTAssertEqual(spec.modelId(1), 0)  // spm <s>
        XCTAssertEqual(spec.modelId(2), 2)  // spm </s>
        XCTAssertEqual(spec.modelId(3), 4)
        XCTAssertEqual(spec.modelId(1999), 2000)
        XCTAssertNil(spec.spmId(1))  // fairseq <pad>
        for id: Int32 in [0, 2, 3, 4, 500, 2000] { XCTAssertEqual(spec.modelId(spec.spmId(id)!), id) }

        let text = "Swahili for thank you is asante."
        let spm = sp.encode(text)
        XCTAssertEqual(spec.encode(text), [0] + spm.map { $0 + 1 } + [2])
        XCTAssertEqual(try spec.decode(spec.encode(text)), text)
        // An unknown spm id (0) becomes fairseq <unk> = 3.
        XCTAssertEqual(spec.modelId(0), 3)
    }

    func testTruncationKeepsBosAndEos() throws {
        let spec = try TokenizerSpec.xlmr(processor: sp, maxLength: 5)
        let spm = sp.encode("The river runs slowly past the old mill.")
        XCTAssertGreaterThan(spm.count, 3)
        XCTAssertEqual(spec.encode("The river runs slowly past the old mill."),
                       [0, spm[0] + 1, spm[1] + 1, spm[2] + 1, 2])
        XCTAssertEqual(spec.encode(""), [0, 2])
        XCTAssertThrowsError(try TokenizerSpec.xlmr(processor: sp, maxLength: 2))
    }

    func testPaddingAndMasks() throws {
        let spec = try TokenizerSpec(processor: sp, bosId: 1, eosId: 2, padId: 0, maxLength: 16)
        let texts = ["Hola", "The teacher wrote a long word on the blackboard.", ""]
        let rows = texts.map(spec.encode)
        let batch = spec.encodeBatch(texts, padding: .longest, threads: 2)
        let t = rows.map(\.count).max()!
        XCTAssertEqual(batch.batchSize, 3)
        XCTAssertEqual(batch.sequenceLength, t)
        XCTAssertEqual(batch.lengths, rows.map(\.count))
        for (b, row) in rows.enumerated() {
            XCTAssertEqual(batch.ids[b], row + [Int32](repeating: 0, count: t - row.count))
            XCTAssertEqual(batch.attentionMask[b], [Int32](repeating: 1, count: row.count)
                + [Int32](repeating: 0, count: t - row.count))
            XCTAssertEqual(row.first, 1)
            XCTAssertEqual(row.last, 2)
        }
        XCTAssertEqual(batch.flatIds.count, 3 * t)
        XCTAssertEqual(Array(batch.flatAttentionMask[t..<(2 * t)]), batch.attentionMask[1])

        let fixed = spec.encodeBatch(texts, padding: .maxLength)
        XCTAssertTrue(fixed.ids.allSatisfy { $0.count == 16 })
        XCTAssertEqual(fixed.attentionMask[2], [1, 1] + [Int32](repeating: 0, count: 14))

        let ragged = spec.encodeBatch(texts, padding: .none)
        XCTAssertEqual(ragged.ids, rows)
        XCTAssertEqual(ragged.attentionMask.map(\.count), rows.map(\.count))
    }

    func testOffsetAndIdentityConventions() throws {
        let text = "Ёжик спрятался под большим листом."
        let identity = try TokenizerSpec(processor: sp)
        XCTAssertEqual(identity.encode(text), sp.encode(text))
        let shifted = try TokenizerSpec(processor: sp, convention: .offset(10))
        XCTAssertEqual(shifted.encode(text), sp.encode(text).map { $0 + 10 })
        XCTAssertEqual(try shifted.decode(shifted.encode(text)), text)
    }
}
