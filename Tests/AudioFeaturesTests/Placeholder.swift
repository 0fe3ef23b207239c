import XCTest
@testable import AudioFeatures
final class PlaceholderAudioFeaturesTests: XCTestCase { func testBuilds() {} }
