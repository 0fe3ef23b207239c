// Command-line I/O: whole-input reads (file or stdin), UTF-8 validation with line and byte
// positions, line splitting, and outputs that never exist half-written (temp file + rename).
// This is the only place that touches stdin/stdout/stderr paths; library code never prints.
import Foundation
import Tokenization
import Corpora

/// A user-facing failure: printed by ArgumentParser as one line, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Reads all bytes of `path`, or of standard input when `path` is nil or "-".
func readAllInput(_ path: String?) throws -> [UInt8] {
    if let path, path != "-" {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(path): cannot be read") }
        return [UInt8](data)
    }
    var out = [UInt8]()
    let chunk = 1 << 20
    var buf = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, chunk) }
        if n < 0 { throw CLIError("stdin: read failed (errno \(errno))") }
        if n == 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

/// Byte ranges of the lines of `bytes`, split on "\n" as `spm_encode` (std::getline) does.
func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] { SentencePieceProcessor.lineRanges(in: bytes) }

/// Checks that `bytes` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
/// Throws "NAME:LINE: invalid UTF-8 at byte K of the line" for the first bad sequence.
func validateUTF8(_ bytes: [UInt8], name: String) throws {
    if let bad = UTF8Check.firstInvalid(bytes) {
        throw CLIError("\(name):\(bad.line): invalid UTF-8 at byte \(bad.byte) of the line (expected UTF-8 text)")
    }
}

/// Where a command's output goes: standard output, or a file that appears only when complete.
final class OutputSink {
    private let finalPath: String?
    private let tempPath: String?
    private let handle: UnsafeMutablePointer<FILE>

    init(path: String?) throws {
        if let path, path != "-" {
            let url = URL(fileURLWithPath: path)
            let dir = url.deletingLastPathComponent().path
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw CLIError("\(path): directory \(dir) does not exist")
            }
            let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
            guard let f = fopen(tmp, "wb") else { throw CLIError("\(path): cannot be written (errno \(errno))") }
            finalPath = path; tempPath = tmp; handle = f
        } else {
            finalPath = nil; tempPath = nil; handle = stdout
        }
    }

    func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.count > 0 { fwrite(bytes.baseAddress, 1, bytes.count, handle) }
    }
    func write(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { write($0) } }
    func write(_ s: String) { var s = s; s.withUTF8 { write($0) } }

    /// Flushes and, for a file, renames the temporary into place.
    func commit() throws {
        if let tempPath, let finalPath {
            let failed = fflush(handle) != 0 || ferror(handle) != 0
            fclose(handle)
            if failed { unlink(tempPath); throw CLIError("\(finalPath): write failed (disk full?)") }
            guard rename(tempPath, finalPath) == 0 else {
                unlink(tempPath); throw CLIError("\(finalPath): cannot be written (errno \(errno))")
            }
        } else {
            fflush(handle)
        }
    }

    /// Removes the temporary file; nothing is left behind.
    func abandon() {
        if let tempPath { fclose(handle); unlink(tempPath) }
    }
}

/// Runs `body` with an output sink; on any error the partial output is discarded.
func withOutput(_ path: String?, _ body: (OutputSink) throws -> Void) throws {
    let sink = try OutputSink(path: path)
    do { try body(sink) } catch { sink.abandon(); throw error }
    try sink.commit()
}

/// One-line progress on stderr ("label  [#####.....]  n/total  rate  ETA"), redrawn at most
/// ten times a second, only when stderr is a terminal or CROSSTALK_PROGRESS=1.
final class Progress {
    private let label: String
    private let total: Int
    private let start = Date()
    private var last = Date.distantPast
    private let enabled: Bool
    private let lock = NSLock()
    private var done = 0

    init(_ label: String, total: Int) {
        self.label = label
        self.total = total
        enabled = isatty(2) != 0 || ProcessInfo.processInfo.environment["CROSSTALK_PROGRESS"] == "1"
    }

    func advance(by n: Int = 1, note: String = "") {
        lock.lock(); defer { lock.unlock() }
        done += n
        guard enabled else { return }
        let now = Date()
        if now.timeIntervalSince(last) < 0.1 && done < total { return }
        last = now
        let frac = total > 0 ? Double(done) / Double(total) : 1
        let width = 24
        let filled = Int(frac * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let elapsed = now.timeIntervalSince(start)
        let eta = frac > 0 ? elapsed * (1 - frac) / frac : 0
        let line = "\r\(label)  [\(bar)]  \(done)/\(total)  \(String(format: "%.1f", Double(done) / max(elapsed, 1e-9)))/s  ETA \(String(format: "%.0f", eta))s \(note)"
        FileHandle.standardError.write(line.data(using: .utf8)!)
        if done >= total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }
}
