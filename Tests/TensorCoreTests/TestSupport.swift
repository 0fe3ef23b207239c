// Helpers for TensorCoreTests: golden .npy loading (float32 little-endian, C order, npy 1.0)
// and parity assertions that print `[parity] name: max|Δ| = … tol …` and forward file/line.
import Foundation
import XCTest
@testable import TensorCore

enum Golden {
    static func url(_ file: String) -> URL {
        let dot = file.lastIndex(of: ".")!
        return Bundle.module.url(forResource: String(file[..<dot]), withExtension: String(file[file.index(after: dot)...]),
                                 subdirectory: "Resources")!
    }

    static func path(_ file: String) -> String { url(file).path }

    /// Loads Resources/<name>.npy as a Tensor.
    static func npy(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Tensor {
        let data = try Data(contentsOf: url(name + ".npy"))
        let bytes = [UInt8](data)
        guard bytes.count > 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            XCTFail("\(name).npy: not an npy file", file: file, line: line); throw CocoaError(.fileReadCorruptFile)
        }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            XCTFail("\(name).npy: unsupported header \(header)", file: file, line: line); throw CocoaError(.fileReadCorruptFile)
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let start = 10 + headerLength
        let count = shape.reduce(1, *)
        XCTAssertEqual(bytes.count - start, count * 4, "\(name).npy size", file: file, line: line)
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBytes { dst in bytes.withUnsafeBytes { src in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[start..<(start + count * 4)]))
        } }
        return Tensor(values, shape: shape)
    }
}

/// Asserts same shape and |got - expected| ≤ atol + rtol·|expected| everywhere (NaN must match NaN);
/// prints the largest difference and where.
func assertParity(_ name: String, _ got: Tensor, _ expected: Tensor, atol: Float, rtol: Float = 0,
                  file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.shape, expected.shape, "\(name): shape", file: file, line: line)
    guard got.shape == expected.shape else { return }
    let g = got.scalars, e = expected.scalars
    var worst: Float = 0, worstAt = 0, failures = 0
    for i in 0..<g.count {
        if e[i].isNaN || g[i].isNaN { if e[i].isNaN != g[i].isNaN { failures += 1 }; continue }
        if e[i].isInfinite || g[i].isInfinite { if e[i] != g[i] { failures += 1 }; continue }
        let d = abs(g[i] - e[i])
        if d > worst { worst = d; worstAt = i }
        if d > atol + rtol * abs(e[i]) { failures += 1 }
    }
    let tol = rtol == 0 ? "atol \(atol)" : "atol \(atol) + rtol \(rtol)·|ref|"
    print("[parity] \(name): max|Δ| = \(worst) at flat index \(worstAt) tol \(tol)")
    XCTAssertEqual(failures, 0, "\(name): \(failures) elements outside \(tol); max|Δ| = \(worst) at \(worstAt)", file: file, line: line)
}
