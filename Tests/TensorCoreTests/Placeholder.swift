import XCTest
@testable import TensorCore
final class PlaceholderTensorCoreTests: XCTestCase {
    func testSerialOpenBLASIsLoaded() { XCTAssertTrue(blasConfiguration.contains("SINGLE_THREADED"), "expected the serial OpenBLAS build, got: \(blasConfiguration)"); print(blasConfiguration) }
}
