// Runs the built `crosstalk` binary as a user meets it: arguments, stdin, stdout, stderr, exit code.
import Foundation
import XCTest

struct CLIResult {
    let status: Int32
    let stdout: Data
    let stderr: String
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

enum CLI {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The crosstalk executable built beside the test bundle.
    static var binary: URL {
        get throws {
            var candidates = [Bundle.main.bundleURL.appendingPathComponent("crosstalk"),
                              Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("crosstalk")]
            for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("crosstalk")) }
            candidates.append(packageRoot.appendingPathComponent(".build/debug/crosstalk"))
            for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c }
            throw XCTSkip("skipped: crosstalk binary not built (run `swift build` first)")
        }
    }

    static func run(_ args: [String], stdin: Data? = nil, cwd: URL? = nil) throws -> CLIResult {
        try runExecutable(binary, args, stdin: stdin, cwd: cwd)
    }

    /// A child that exits before reading all of stdin must not kill the test process.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN); return () }()

    static func runExecutable(_ exe: URL, _ args: [String], stdin: Data? = nil, cwd: URL? = nil) throws -> CLIResult {
        _ = ignoreSIGPIPE
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        p.standardInput = inPipe
        try p.run()
        let writer = Thread {
            if let stdin { try? inPipe.fileHandleForWriting.write(contentsOf: stdin) }
            try? inPipe.fileHandleForWriting.close()
        }
        writer.start()
        final class Box: @unchecked Sendable { var data = Data() }
        let err = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { err.data = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: out, stderr: String(decoding: err.data, as: UTF8.self))
    }

    /// A system tool such as spm_encode, or a skip saying it is missing.
    static func tool(_ name: String) throws -> URL {
        for dir in ["/usr/bin", "/usr/local/bin"] {
            let u = URL(fileURLWithPath: dir).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        throw XCTSkip("skipped: \(name) not installed (Scripts/setup installs it)")
    }

    /// Skips unless model `name` is installed in CROSSTALK_HOME (default ~/.cache/crosstalk).
    static func requireModel(_ name: String, hint: String = "Scripts/setup installs it") throws {
        let home = ProcessInfo.processInfo.environment["CROSSTALK_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? NSHomeDirectory() + "/.cache/crosstalk"
        guard FileManager.default.fileExists(atPath: home + "/models/\(name)/crosstalk-install.json") else {
            throw XCTSkip("skipped: model \(name) not installed (\(hint))")
        }
    }

    /// Writes `text` to `dir/name` and returns the path.
    static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("crosstalk-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}

/// Asserts a failed run: non-zero exit, exactly one line on stderr containing every fragment.
func assertOneLineError(_ r: CLIResult, contains fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertNotEqual(r.status, 0, "expected a non-zero exit; stderr: \(r.stderr)", file: file, line: line)
    let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
    XCTAssertEqual(lines.count, 1, "expected one line on stderr, got: \(r.stderr)", file: file, line: line)
    for f in fragments {
        XCTAssertTrue(r.stderr.contains(f), "stderr lacks '\(f)': \(r.stderr)", file: file, line: line)
    }
}
