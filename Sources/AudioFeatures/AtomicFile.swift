// AtomicFile: write-to-temporary-then-rename, so a reader never sees a partial output file.
// The temporary lives in the destination's directory (rename(2) is atomic only within a file
// system) and is removed on every failure path. Leaves out fsync of the directory (not durable
// across power loss, only atomic with respect to other processes).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum AtomicFile {
    /// A fresh temporary path next to `path`: "<dir>/.<name>.<pid>.<random>.tmp".
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tag = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return "\(dir.isEmpty ? "/" : dir)/.\(name).\(getpid()).\(tag).tmp"
    }

    /// Runs `produce(tmp)` (which must create the file at `tmp` or throw), then renames it to
    /// `path`. On any failure the temporary is unlinked and `AudioError.writeFailed` is thrown.
    static func write(to path: String, _ produce: (String) throws -> Void) throws {
        let tmp = temporaryPath(for: path)
        do {
            try produce(tmp)
        } catch {
            unlink(tmp)
            if let e = error as? AudioError { throw e }
            throw AudioError.writeFailed(path: path, reason: "\(error)")
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw AudioError.writeFailed(path: path, reason: "rename: \(reason)")
        }
    }

    /// Writes `bytes` atomically to `path`.
    static func write(bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBytes { try write(parts: [$0], to: path) }
    }

    /// Writes the concatenation of `parts` atomically to `path`.
    static func write(parts: [UnsafeRawBufferPointer], to path: String) throws {
        try write(to: path) { tmp in
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            guard fd >= 0 else {
                throw AudioError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            defer { close(fd) }
            for part in parts {
                var done = 0
                while done < part.count {
                    let n = sysWrite(fd, part.baseAddress! + done, part.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw AudioError.writeFailed(path: path, reason: String(cString: strerror(errno)))
                    }
                    done += n
                }
            }
        }
    }

}

#if canImport(Glibc)
private let sysWrite = Glibc.write
#elseif canImport(Darwin)
private let sysWrite = Darwin.write
#endif
