// Test support: locating the eeg_notebooks corpus (CROSSTALK_DATA, ../shared/corpora beside the
// package), loading signals_golden.json, and closeness assertions that
// report the largest difference and where. Helpers forward #filePath/#line.
import Foundation
import XCTest
@testable import Signals

enum Corpus {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The eeg_notebooks folder, or an XCTSkip saying the corpus is absent.
    static func eegNotebooks() throws -> String {
        var roots = [String]()
        if let env = ProcessInfo.processInfo.environment["CROSSTALK_DATA"], !env.isEmpty { roots.append(env) }
        roots.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora").path)
        for r in roots where FileManager.default.fileExists(atPath: r + "/eeg_notebooks/N170") { return r + "/eeg_notebooks" }
        throw XCTSkip("skipped: corpus not found (eeg_notebooks; set CROSSTALK_DATA or place ../shared/corpora)")
    }
}

enum Golden {
    static func load(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "signals_golden", withExtension: "json", subdirectory: "Resources"),
                                "signals_golden.json missing: run Scripts/golden/gen_signals_golden.py", file: file, line: line)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], file: file, line: line)
    }
}

/// Flattens nested JSON number arrays into [Double].
func doubles(_ any: Any?) -> [Double] {
    if let n = any as? NSNumber { return [n.doubleValue] }
    if let a = any as? [Any] { return a.flatMap { doubles($0) } }
    return []
}

/// Asserts |mine − ref| ≤ rtol·(|ref| + max|ref|·1) elementwise, i.e. relative to the value and to
/// the quantity's scale (so near-zero entries are judged against the scale). Returns max |Δ|.
@discardableResult
func assertClose(_ mine: [Double], _ ref: [Double], rtol: Double = 1e-5, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(mine.count, ref.count, "\(what): \(mine.count) values, golden has \(ref.count)", file: file, line: line)
    let scale = ref.reduce(0) { max($0, abs($1)) }
    var worst = 0.0, worstRel = 0.0, at = -1
    for (i, (a, b)) in zip(mine, ref).enumerated() {
        let d = abs(a - b)
        if d > worst { worst = d }
        let rel = d / (abs(b) + scale + 1e-300)
        if rel > worstRel { worstRel = rel; at = i }
    }
    print("parity \(what): max |Δ| = \(worst) (scale \(scale), worst relative \(worstRel) at \(at))")
    XCTAssertLessThanOrEqual(worstRel, rtol, "\(what): index \(at): \(at >= 0 ? mine[at] : 0) vs golden \(at >= 0 ? ref[at] : 0)", file: file, line: line)
    return worst
}
