import XCTest
@testable import Tokenization
final class PlaceholderTokenizationTests: XCTestCase { func testBuilds() {} }
