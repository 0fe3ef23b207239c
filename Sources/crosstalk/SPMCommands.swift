// `crosstalk spm …`: SentencePiece train / encode / decode / normalize / vocab over libsentencepiece.
// Output of encode and decode is byte-identical to Debian's spm_encode / spm_decode for the same
// model and input (one line in, one line out, ids space-separated), except that invalid UTF-8 is
// refused with its line and byte instead of being replaced by U+FFFD.
import ArgumentParser
import Foundation
import Tokenization

struct SPM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spm",
        abstract: "SentencePiece models: train, encode, decode, normalize, vocab.",
        subcommands: [Train.self, Encode.self, Decode.self, Normalize.self, Vocab.self])
}

/// `--model M`, loaded with the error naming the file.
struct ModelOption: ParsableArguments {
    @Option(help: "SentencePiece model file (.model).")
    var model: String

    func load() throws -> SentencePieceProcessor {
        try SentencePieceProcessor(modelPath: model)
    }
}

/// `--input FILE` (default stdin) and `-o/--output FILE` (default stdout).
struct TextIO: ParsableArguments {
    @Option(help: "Input text file, one sentence per line (default: standard input).")
    var input: String?

    @Option(name: [.short, .customLong("output")], help: "Output file (default: standard output); written only when complete.")
    var output: String?

    var inputName: String { input.map { $0 == "-" ? "stdin" : $0 } ?? "stdin" }

    /// Reads the whole input and checks it is UTF-8 before any output is produced.
    func readText() throws -> [UInt8] {
        let bytes = try readAllInput(input)
        try validateUTF8(bytes, name: inputName)
        return bytes
    }
}

extension SentencePieceTrainerOptions.ModelType: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a SentencePiece model (unigram, BPE, char or word), as spm_train.")

    @Option(parsing: .upToNextOption, help: "Training text files, one sentence per line.")
    var input: [String]
    @Option(help: "Output prefix: writes PREFIX.model and PREFIX.vocab.")
    var modelPrefix: String
    @Option(help: "Vocabulary size.")
    var vocabSize: Int = 8000
    @Option(help: "unigram | bpe | char | word")
    var modelType: SentencePieceTrainerOptions.ModelType = .unigram
    @Option(help: "Fraction of characters covered by the model (0.9995 for rich scripts, 1.0 for small alphabets).")
    var characterCoverage: Double = 0.9995
    @Option(help: "Normalization rule: nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf, identity.")
    var normalizationRuleName: String = "nmt_nfkc"
    @Flag(help: "Decompose unknown characters into UTF-8 byte pieces <0xNN>.")
    var byteFallback = false
    @Option(help: "Comma-separated symbols always kept as one piece.")
    var userDefinedSymbols: String?
    @Flag(help: "Split digits into single-digit pieces.")
    var splitDigits = false
    @Option(help: "Sentences sampled from the input for training (0 = all).")
    var inputSentenceSize: Int = 0
    @Flag(help: "Do not fail when the corpus cannot support --vocab-size (hard_vocab_limit=false).")
    var softVocabLimit = false
    @Option(help: "Training threads.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Seed of libsentencepiece's random generator. Training is deterministic for the same input and options (libsentencepiece 0.1.97 samples sentences reproducibly whatever the seed).")
    var seed: UInt32 = 1
    @Flag(help: "Show libsentencepiece's training progress (EM iterations, pruning) on stderr.")
    var verbose = false

    func validate() throws {
        if vocabSize < 1 { throw ValidationError("--vocab-size must be positive") }
        if !(0.0...1.0).contains(characterCoverage) || characterCoverage == 0 { throw ValidationError("--character-coverage must be in (0, 1]") }
        if input.isEmpty { throw ValidationError("--input needs at least one file") }
    }

    func run() throws {
        for file in input {
            guard FileManager.default.fileExists(atPath: file) else { throw CLIError("\(file): no such file") }
            try validateUTF8(try readAllInput(file), name: file)
        }
        var options = SentencePieceTrainerOptions(inputFiles: input, modelPrefix: modelPrefix, vocabSize: vocabSize)
        options.modelType = modelType
        options.characterCoverage = characterCoverage
        options.normalizationRuleName = normalizationRuleName
        options.byteFallback = byteFallback
        options.userDefinedSymbols = userDefinedSymbols.map { $0.split(separator: ",").map(String.init) } ?? []
        options.splitDigits = splitDigits
        options.inputSentenceSize = inputSentenceSize
        options.hardVocabLimit = !softVocabLimit
        options.numThreads = threads
        options.logLevel = verbose ? 0 : 1
        SentencePieceProcessor.setRandomSeed(seed)
        try SentencePieceTrainer.train(options)
        let sp = try SentencePieceProcessor(modelPath: modelPrefix + ".model")
        FileHandle.standardError.write("trained \(modelPrefix).model: \(sp.vocabularySize) pieces (\(modelType.rawValue))\n".data(using: .utf8)!)
    }
}

enum EncodeFormat: String, ExpressibleByArgument, CaseIterable {
    case id, piece
    case sampleID = "sample_id", samplePiece = "sample_piece"
    case nbestID = "nbest_id", nbestPiece = "nbest_piece"
}

struct Encode: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encode text to ids or pieces, one line in, one line out (as spm_encode).",
        discussion: "nbest_* formats print one line per hypothesis; sample_* formats sample with subword regularization and use one thread so --seed reproduces spm_encode --random_seed.")

    @OptionGroup var model: ModelOption
    @OptionGroup var io: TextIO
    @Option(help: "id | piece | sample_id | sample_piece | nbest_id | nbest_piece")
    var outputFormat: EncodeFormat = .id
    @Option(parsing: .unconditional, help: "Sampling: lattice size (-1 = all paths; unigram only). NBest: number of hypotheses.")
    var nbestSize: Int = 10
    @Option(help: "Sampling smoothing (unigram) or BPE-dropout probability.")
    var alpha: Double = 0.5
    @Option(help: "Random seed for sampling.")
    var seed: UInt32?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let sp = try model.load()
        let text = try io.readText()
        let lines = lineRanges(text)
        let format = outputFormat
        let nbest = nbestSize, alpha = self.alpha
        var chunks = [[UInt8]]()
        switch format {
        case .sampleID, .samplePiece:
            // One generator seeded once, lines in order: identical to spm_encode --random_seed.
            let samples = text.withUnsafeBufferPointer {
                sp.sampleEncodeLines(utf8: $0, lines: lines, nbestSize: nbest, alpha: Float(alpha), seed: seed,
                                     asPieces: format == .samplePiece)
            }
            var out = [UInt8]()
            for s in samples {
                switch s {
                case .ids(let ids): appendIDs(ids, to: &out)
                case .pieces(let pieces): appendPieces(pieces, to: &out)
                }
                out.append(0x0A)
            }
            chunks = [out]
        case .id, .piece, .nbestID, .nbestPiece:
            chunks = encodeChunks(text: text, lines: lines, workers: threads) { line, out, ids in
                switch format {
                case .id:
                    sp.encode(utf8: line, into: &ids)
                    appendIDs(ids, to: &out)
                case .piece:
                    appendPieces(sp.encodeAsPieces(String(decoding: line, as: UTF8.self)), to: &out)
                case .nbestID:
                    let hyps = sp.nbestEncode(String(decoding: line, as: UTF8.self), n: nbest)
                    for (k, h) in hyps.enumerated() { if k > 0 { out.append(0x0A) }; appendIDs(h, to: &out) }
                case .nbestPiece:
                    let hyps = sp.nbestEncodeAsPieces(String(decoding: line, as: UTF8.self), n: nbest)
                    for (k, h) in hyps.enumerated() { if k > 0 { out.append(0x0A) }; appendPieces(h, to: &out) }
                case .sampleID, .samplePiece:
                    preconditionFailure("sampling runs above")
                }
            }
        }
        try withOutput(io.output) { sink in for c in chunks { sink.write(c) } }
    }
}

/// Runs `body` on each line (as raw UTF-8) across `workers` threads, each writing its lines'
/// output bytes followed by "\n" into its own buffer; returns the buffers in input order.
func encodeChunks(text: [UInt8], lines: [Range<Int>], workers: Int,
                  _ body: @escaping (UnsafeBufferPointer<UInt8>, inout [UInt8], inout [Int32]) -> Void) -> [[UInt8]] {
    if lines.isEmpty { return [] }
    let nChunks = lines.count < 2048 ? 1 : min(lines.count, workers * 8)
    var chunks = [[UInt8]](repeating: [], count: nChunks)
    text.withUnsafeBufferPointer { base in
        chunks.withUnsafeMutableBufferPointer { outChunks in
            let outs = outChunks
            // Exactly `workers` threads (concurrentPerform alone would use every core); worker w
            // takes chunks w, w + workers, … so uneven lines still balance.
            let nWorkers = min(workers, nChunks)
            let work = { (w: Int) in
                var ids = [Int32]()
                for c in stride(from: w, to: nChunks, by: nWorkers) {
                    let lo = lines.count * c / nChunks, hi = lines.count * (c + 1) / nChunks
                    var out = [UInt8]()
                    out.reserveCapacity((lines[hi - 1].upperBound - lines[lo].lowerBound) * 2 + 16)
                    for i in lo..<hi {
                        body(UnsafeBufferPointer(rebasing: base[lines[i]]), &out, &ids)
                        out.append(0x0A)
                    }
                    outs[c] = out
                }
            }
            if nWorkers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: nWorkers, execute: work) }
        }
    }
    return chunks
}

/// Appends ids as decimal ASCII separated by single spaces (spm_encode's id format).
@inline(__always)
func appendIDs<C: Collection>(_ ids: C, to out: inout [UInt8]) where C.Element == Int32 {
    var first = true
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    for id in ids {
        if !first { out.append(0x20) }
        first = false
        var v = Int(id)
        if v < 0 { out.append(0x2D); v = -v }
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat { d[n] = UInt8(0x30 + v % 10); v /= 10; n += 1 } while v > 0
            while n > 0 { n -= 1; out.append(d[n]) }
        }
    }
}

func appendPieces(_ pieces: [String], to out: inout [UInt8]) {
    for (k, p) in pieces.enumerated() {
        if k > 0 { out.append(0x20) }
        out.append(contentsOf: p.utf8)
    }
}

enum DecodeFormat: String, ExpressibleByArgument, CaseIterable { case id, piece }

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode ids or pieces back to text, one line in, one line out (as spm_decode).")

    @OptionGroup var model: ModelOption
    @OptionGroup var io: TextIO
    @Option(help: "id | piece")
    var inputFormat: DecodeFormat = .id

    func run() throws {
        let sp = try model.load()
        let text = try io.readText()
        var out = [UInt8]()
        out.reserveCapacity(text.count)
        let vocab = sp.vocabularySize
        for (n, r) in lineRanges(text).enumerated() {
            let fields = text[r].split(separator: 0x20, omittingEmptySubsequences: true)
            switch inputFormat {
            case .id:
                var ids = [Int32]()
                ids.reserveCapacity(fields.count)
                for f in fields {
                    guard let v = Int32(String(decoding: f, as: UTF8.self)) else {
                        throw CLIError("\(io.inputName):\(n + 1): '\(String(decoding: f, as: UTF8.self))' is not an id (expected integers separated by spaces)")
                    }
                    guard v >= 0 && Int(v) < vocab else {
                        throw CLIError("\(io.inputName):\(n + 1): id \(v) is out of range (the model has \(vocab) pieces)")
                    }
                    ids.append(v)
                }
                out.append(contentsOf: try sp.decode(ids: ids).utf8)
            case .piece:
                out.append(contentsOf: sp.decode(pieces: fields.map { String(decoding: $0, as: UTF8.self) }).utf8)
            }
            out.append(0x0A)
        }
        try withOutput(io.output) { $0.write(out) }
    }
}

struct Normalize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the model's normalizer to each line, printed as decode(encode(x)) gives it back.")

    @OptionGroup var model: ModelOption
    @OptionGroup var io: TextIO

    func run() throws {
        let sp = try model.load()
        let text = try io.readText()
        var out = [UInt8]()
        for r in lineRanges(text) {
            out.append(contentsOf: decodedForm(sp.normalize(String(decoding: text[r], as: UTF8.self))).utf8)
            out.append(0x0A)
        }
        try withOutput(io.output) { $0.write(out) }
    }
}

/// The normalizer's output as decode(encode(x)) gives it back: U+2581 → space, the dummy
/// prefix dropped (python sentencepiece's `normalize` keeps both).
func decodedForm(_ normalized: String) -> String {
    var s = normalized.replacingOccurrences(of: "\u{2581}", with: " ")
    if s.hasPrefix(" ") { s.removeFirst() }
    return s
}

struct Vocab: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the vocabulary: id, piece, score, type (tab-separated).")

    @OptionGroup var model: ModelOption
    @Option(name: [.short, .customLong("output")], help: "Output file (default: standard output).")
    var output: String?

    func run() throws {
        let sp = try model.load()
        var out = ""
        for id in 0..<Int32(sp.vocabularySize) {
            let kind = sp.isUnknown(id) ? "unknown" : sp.isControl(id) ? "control" : sp.isByte(id) ? "byte" : sp.isUnused(id) ? "unused" : "normal"
            out += "\(id)\t\(sp.idToPiece(id))\t\(sp.score(id))\t\(kind)\n"
        }
        try withOutput(output) { $0.write(out) }
    }
}
