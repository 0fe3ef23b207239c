// SentencePieceTrainer: trains a unigram/BPE/char/word model with libsentencepiece's
// SentencePieceTrainer::Train(args), the same code path as `spm_train` with the same
// flags (sentencepiece 0.1.97 doc/options.md). Options are checked first so a bad
// path or value fails with a typed error naming it, not deep inside training.
// Not here: training from an in-memory sentence iterator; normalization rule TSVs.

import CSentencePiece
import Foundation

/// Flags of `spm_train`; defaults are sentencepiece's except `numThreads` (all cores)
/// and `logLevel` (warnings and errors only).
public struct SentencePieceTrainerOptions: Sendable {
    public enum ModelType: String, Sendable, CaseIterable { case unigram, bpe, char, word }

    /// Text files, one sentence per line (`--input`, comma-joined).
    public var inputFiles: [String]
    /// Writes `<modelPrefix>.model` and `<modelPrefix>.vocab` (`--model_prefix`).
    public var modelPrefix: String
    public var vocabSize: Int
    public var modelType: ModelType
    public var characterCoverage: Double = 0.9995
    /// `nmt_nfkc`, `nfkc`, `nmt_nfkc_cf`, `nfkc_cf` or `identity`.
    public var normalizationRuleName: String = "nmt_nfkc"
    public var byteFallback: Bool = false
    /// Pieces always kept whole (`--user_defined_symbols`).
    public var userDefinedSymbols: [String] = []
    public var splitDigits: Bool = false
    public var maxSentenceLength: Int = 4192
    /// 0 uses every sentence.
    public var inputSentenceSize: Int = 0
    public var shuffleInputSentence: Bool = true
    public var seedSentencepieceSize: Int? = nil
    /// When false, a vocabulary larger than the corpus supports is shrunk, not an error.
    public var hardVocabLimit: Bool = true
    public var numThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    public var unkId: Int32 = 0
    public var bosId: Int32 = 1
    public var eosId: Int32 = 2
    /// -1 disables the piece (sentencepiece's default).
    public var padId: Int32 = -1
    /// sentencepiece's `--minloglevel`: 0 info, 1 warning, 2 error.
    public var logLevel: Int = 1
    /// More `--flag=value` arguments, appended verbatim.
    public var extraArguments: [String] = []

    public init(inputFiles: [String], modelPrefix: String, vocabSize: Int,
                modelType: ModelType = .unigram) {
        self.inputFiles = inputFiles
        self.modelPrefix = modelPrefix
        self.vocabSize = vocabSize
        self.modelType = modelType
    }

    /// The argument string for `SentencePieceTrainer::Train`, as `spm_train` takes it.
    /// sentencepiece splits it at spaces and lists at commas, so values holding either
    /// are rejected by `validate()`.
    public var arguments: String {
        var args = [
            "--input=\(inputFiles.joined(separator: ","))",
            "--model_prefix=\(modelPrefix)",
            "--vocab_size=\(vocabSize)",
            "--model_type=\(modelType.rawValue)",
            "--character_coverage=\(characterCoverage)",
            "--normalization_rule_name=\(normalizationRuleName)",
            "--byte_fallback=\(byteFallback)",
            "--split_digits=\(splitDigits)",
            "--max_sentence_length=\(maxSentenceLength)",
            "--input_sentence_size=\(inputSentenceSize)",
            "--shuffle_input_sentence=\(shuffleInputSentence)",
            "--hard_vocab_limit=\(hardVocabLimit)",
            "--num_threads=\(numThreads)",
            "--unk_id=\(unkId)", "--bos_id=\(bosId)", "--eos_id=\(eosId)", "--pad_id=\(padId)",
            "--minloglevel=\(logLevel)",
        ]
        if !userDefinedSymbols.isEmpty {
            args.append("--user_defined_symbols=\(userDefinedSymbols.joined(separator: ","))")
        }
        if let seedSentencepieceSize { args.append("--seed_sentencepiece_size=\(seedSentencepieceSize)") }
        return (args + extraArguments).joined(separator: " ")
    }

    /// Checks every value that sentencepiece would reject late or misread.
    /// - Throws: `.invalidOption` or `.trainingInputNotFound`, naming the value.
    public func validate() throws {
        let subject = modelPrefix + ".model"
        func invalid(_ option: String, _ value: Any, _ expected: String) -> SentencePieceError {
            .invalidOption(subject: subject, option: option, value: "\(value)", expected: expected)
        }
        guard vocabSize >= 1 else { throw invalid("vocabSize", vocabSize, "at least 1") }
        guard !inputFiles.isEmpty else { throw invalid("inputFiles", "[]", "at least one text file") }
        for file in inputFiles {
            guard !file.contains(" "), !file.contains(",") else {
                throw invalid("inputFiles", file, "a path without spaces or commas (sentencepiece splits on them)")
            }
            guard FileManager.default.fileExists(atPath: file) else {
                throw SentencePieceError.trainingInputNotFound(path: file)
            }
        }
        guard !modelPrefix.isEmpty, !modelPrefix.contains(" ") else {
            throw invalid("modelPrefix", modelPrefix, "a non-empty path without spaces")
        }
        let directory = (modelPrefix as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory),
                  isDirectory.boolValue else {
                throw invalid("modelPrefix", modelPrefix, "an existing directory before the file name")
            }
        }
        guard characterCoverage > 0, characterCoverage <= 1 else {
            throw invalid("characterCoverage", characterCoverage, "a value in (0, 1]")
        }
        for symbol in userDefinedSymbols where symbol.isEmpty || symbol.contains(",") || symbol.contains(" ") {
            throw invalid("userDefinedSymbols", "\"\(symbol)\"", "non-empty symbols without spaces or commas")
        }
        guard numThreads >= 1 else { throw invalid("numThreads", numThreads, "at least 1") }
        guard maxSentenceLength >= 1 else { throw invalid("maxSentenceLength", maxSentenceLength, "at least 1") }
        guard inputSentenceSize >= 0 else { throw invalid("inputSentenceSize", inputSentenceSize, "0 (all) or more") }
    }
}

/// Trains SentencePiece models.
public enum SentencePieceTrainer {
    /// Trains a model and returns the path of `<modelPrefix>.model` (a `.vocab` is
    /// written beside it).
    /// - Throws: validation errors; `.trainingFailed` with sentencepiece's status, and a
    ///   hint when the vocabulary is larger than the corpus allows.
    @discardableResult
    public static func train(_ options: SentencePieceTrainerOptions) throws -> String {
        try options.validate()
        let modelPath = options.modelPrefix + ".model"
        var message: UnsafeMutablePointer<CChar>?
        let args = options.arguments
        csp_set_min_log_level(Int32(options.logLevel))  // before Train logs its command line
        let status = withUTF8(args) { csp_train(cString($0), $0.count, &message) }
        guard status == 0 else {
            let text = takeMessage(message)
            throw SentencePieceError.trainingFailed(model: modelPath, status: text, hint: hint(for: text))
        }
        return modelPath
    }

    /// The fix for the failures users meet most (sentencepiece 0.1.97 trainer messages).
    static func hint(for status: String) -> String? {
        if status.contains("Vocabulary size too high") {
            return "lower vocabSize to the value above, or set hardVocabLimit = false to let the vocabulary shrink"
        }
        if status.contains("Vocabulary size is smaller than required_chars") {
            return "raise vocabSize or lower characterCoverage"
        }
        return nil
    }
}
