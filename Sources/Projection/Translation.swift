// Machine translation for projection, through Apertium (Debian's rule-based MT: the `apertium`
// command and language-pair packages such as apertium-eng-spa, apertium-fr-es, apertium-spa-ita).
// A pair without a direct mode goes through one pivot language (en→fr as eng-spa then es-fr).
// Texts go in one process per mode, one per line (`apertium -u -f line MODE`, or `-f html` for
// text with `<b>` markup that Apertium carries through); the line count is checked on the way out.
// Leaves out Apertium's own tokenisation details and any neural MT: `SpanTranslator` is the seam
// where an NMT scorer can plug in.

import Foundation

/// Translates short texts, one output per input, in order.
public protocol SpanTranslator: Sendable {
    /// e.g. "eng-spa" or "eng-spa → es-fr": what the reports print.
    var name: String { get }
    func translate(_ texts: [String]) throws -> [String]
}

public enum TranslationError: Error, CustomStringConvertible, Equatable, Sendable {
    case notInstalled(String)
    /// `packages`: Debian packages that provide the pair (from `apt-cache search`), when any were found.
    case noPair(source: String, target: String, available: [String], packages: [String] = [])
    case failed(mode: String, status: Int32, stderr: String)
    case lineCount(mode: String, sent: Int, received: Int, stderr: String)

    public var description: String {
        switch self {
        case .notInstalled(let why):
            return "apertium: \(why); expected the `apertium` command and a language-pair package (apt-get install -y apertium apertium-eng-spa)"
        case let .noPair(source, target, available, packages):
            let install = packages.isEmpty
                ? "no Debian package for the pair was found (apt-cache search apertium- lists them)"
                : "install it with apt-get install -y \(packages.joined(separator: " "))"
            return "apertium: no mode translates \(source) into \(target), directly or through one pivot; installed modes: \(available.isEmpty ? "none" : available.joined(separator: ", ")); \(install)"
        case let .failed(mode, status, stderr):
            return "apertium \(mode): exited with status \(status): \(stderr.split(separator: "\n").first ?? "")"
        case let .lineCount(mode, sent, received, stderr):
            let why = stderr.split(separator: "\n").first.map { " (\($0))" } ?? ""
            return "apertium \(mode): sent \(sent) lines, received \(received)\(why); expected one output line per input line (a missing helper such as cg-proc is in Debian's cg3 package)"
        }
    }
}

public struct ApertiumTranslator: SpanTranslator {
    public enum Format: String, Sendable { case line, html }

    /// Modes applied in order, e.g. ["eng-spa", "es-fr"].
    public let modes: [String]
    public let format: Format
    public let executable: String
    public var name: String { modes.joined(separator: " → ") }

    /// ISO 639-3 codes Apertium's newer pairs use, mapped to the 639-1 codes of its older pairs.
    static let twoLetter: [String: String] = [
        "eng": "en", "spa": "es", "fra": "fr", "ita": "it", "deu": "de", "rus": "ru", "por": "pt", "cat": "ca",
        "glg": "gl", "ron": "ro", "nld": "nl", "tur": "tr", "ukr": "uk", "arg": "an", "ast": "ast", "frp": "frp",
        "oci": "oc", "eus": "eu", "epo": "eo",
    ]

    public static func normalize(_ code: String) -> String {
        let c = code.lowercased()
        return twoLetter[c] ?? c
    }

    /// The `apertium` executable on PATH, or nil.
    public static func findExecutable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = "\(dir)/apertium"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Installed modes (`apertium -l`), e.g. ["eng-spa", "es-fr", …].
    public static func installedModes(executable: String) throws -> [String] {
        let (status, out, err) = try run(executable, ["-l"], input: Data())
        guard status == 0 else { throw TranslationError.failed(mode: "-l", status: status, stderr: err) }
        return String(decoding: out, as: UTF8.self).split(whereSeparator: \.isWhitespace).map(String.init)
    }

    /// A translator from `source` to `target` (639-1 or 639-3 codes): a direct mode if one is
    /// installed, otherwise the first two-mode chain through a pivot (modes with a variant suffix
    /// such as `spa-eng_US` or three parts such as `eco-es-fr` are not used).
    public init(source: String, target: String, format: Format = .line) throws {
        guard let exe = ApertiumTranslator.findExecutable() else { throw TranslationError.notInstalled("not on PATH") }
        let modes = try ApertiumTranslator.installedModes(executable: exe)
        var edges = [String: [(to: String, mode: String)]]()
        for m in modes.sorted() where !m.contains("_") {
            let parts = m.split(separator: "-").map(String.init)
            guard parts.count == 2 else { continue }
            edges[ApertiumTranslator.normalize(parts[0]), default: []].append((ApertiumTranslator.normalize(parts[1]), m))
        }
        let s = ApertiumTranslator.normalize(source), t = ApertiumTranslator.normalize(target)
        if let direct = edges[s]?.first(where: { $0.to == t }) {
            self.modes = [direct.mode]
        } else if let chain = (edges[s] ?? []).lazy.compactMap({ first in
            edges[first.to]?.first(where: { $0.to == t }).map { [first.mode, $0.mode] }
        }).first {
            self.modes = chain
        } else {
            throw TranslationError.noPair(source: source, target: target, available: modes,
                                          packages: ApertiumTranslator.debianPackages(source: s, target: t))
        }
        self.format = format
        self.executable = exe
    }

    /// Debian packages whose name pairs the two languages (`apertium-eng-cat`, `apertium-es-pt`, in
    /// either order, 639-1 or 639-3 codes), from `apt-cache search --names-only`; empty when
    /// apt-cache is missing or knows none.
    public static func debianPackages(source: String, target: String) -> [String] {
        let aptCache = "/usr/bin/apt-cache"
        guard FileManager.default.isExecutableFile(atPath: aptCache),
              let (status, out, _) = try? run(aptCache, ["search", "--names-only", "^apertium-"], input: Data()), status == 0 else { return [] }
        let s = normalize(source), t = normalize(target)
        return String(decoding: out, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
            guard let name = line.split(separator: " ").first.map(String.init) else { return nil }
            let parts = name.split(separator: "-").dropFirst().map { normalize(String($0)) }
            guard parts.count == 2, Set(parts) == Set([s, t]), s != t else { return nil }
            return name
        }.sorted()
    }

    public init(modes: [String], format: Format = .line, executable: String) {
        self.modes = modes; self.format = format; self.executable = executable
    }

    /// One output line per input text. Line breaks inside a text become spaces; unknown-word marks
    /// are dropped (`-u`).
    public func translate(_ texts: [String]) throws -> [String] {
        if texts.isEmpty { return [] }
        var lines = texts.map { $0.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ") }
        for mode in modes {
            let input = Data((lines.joined(separator: "\n") + "\n").utf8)
            let (status, out, err) = try ApertiumTranslator.run(executable, ["-u", "-f", format.rawValue, mode], input: input)
            guard status == 0 else { throw TranslationError.failed(mode: mode, status: status, stderr: err) }
            var got = String(decoding: out, as: UTF8.self).components(separatedBy: "\n")
            if got.last == "" { got.removeLast() }
            guard got.count == lines.count else { throw TranslationError.lineCount(mode: mode, sent: lines.count, received: got.count, stderr: err) }
            lines = got.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return lines
    }

    /// A child that exits before reading all of its input must not kill this process.
    static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN); return () }()

    /// Runs `exe args` with `input` on stdin; stdout and stderr are read while stdin is written.
    static func run(_ exe: String, _ args: [String], input: Data) throws -> (Int32, Data, String) {
        _ = ignoreSIGPIPE
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = errPipe
        do { try p.run() } catch { throw TranslationError.notInstalled("\(exe) could not be started (\(error))") }
        final class Box: @unchecked Sendable { var data = Data() }
        let err = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { err.data = errPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let writer = Thread {
            try? inPipe.fileHandleForWriting.write(contentsOf: input)
            try? inPipe.fileHandleForWriting.close()
        }
        writer.start()
        let out = outPipe.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return (p.terminationStatus, out, String(decoding: err.data, as: UTF8.self))
    }
}
