// TokenizerSpec: the model-facing layer over a SentencePieceProcessor. It maps spm
// ids into a model's id space (identity, XLM-R's fairseq dictionary, an offset or a
// custom map), adds bos/eos, truncates to maxLength keeping them, pads a batch and
// builds attention masks. The XLM-R map mirrors fairseq's
// `XLMRobertaTokenizer._convert_token_to_id` (transformers 4.x): fairseq id = spm id + 1
// with <s>=0, <pad>=1, </s>=2, <unk>=3. Not here: <mask> or other added tokens.
//
// Shape letters: B = batch size (number of texts), T = padded sequence length.

/// How spm ids become model ids.
public enum IdConvention: Sendable {
    /// Model ids are spm ids.
    case identity
    /// fairseq/XLM-R: spm unk → 3, spm bos → 0, spm eos → 2, any other spm id p → p + 1;
    /// pad is 1 (no spm piece maps there).
    case xlmr
    /// Model id = spm id + offset.
    case offset(Int32)
    /// Any map; `inverse` returns nil for model ids with no spm piece (skipped by decode).
    case custom(forward: @Sendable (Int32) -> Int32, inverse: @Sendable (Int32) -> Int32?)
}

/// Ids and masks of a padded batch.
/// - ids: [B][T]; attentionMask: [B][T], 1 for tokens, 0 for padding; lengths: [B]
///   (unpadded lengths). With `Padding.none` rows keep their own lengths.
public struct EncodedBatch: Equatable, Sendable {
    public var ids: [[Int32]]
    public var attentionMask: [[Int32]]
    public var lengths: [Int]

    /// B.
    public var batchSize: Int { ids.count }
    /// T (the longest row when rows are ragged).
    public var sequenceLength: Int { ids.map(\.count).max() ?? 0 }

    /// Row-major [B, T] ids; rows must share one length (any padding but `.none`).
    public var flatIds: [Int32] { flat(ids) }
    /// Row-major [B, T] mask.
    public var flatAttentionMask: [Int32] { flat(attentionMask) }

    private func flat(_ rows: [[Int32]]) -> [Int32] {
        let t = sequenceLength
        precondition(rows.allSatisfy { $0.count == t }, "flat [B, T] needs equal rows; lengths \(rows.map(\.count))")
        return rows.flatMap { $0 }
    }
}

/// Tokenizer settings for one model: id map, specials, truncation and padding.
public struct TokenizerSpec: Sendable {
    public enum Padding: Sendable {
        /// Rows keep their own lengths (masks are all ones).
        case none
        /// Pad to the longest row of the batch.
        case longest
        /// Pad to `maxLength` (which must be set).
        case maxLength
    }

    public let processor: SentencePieceProcessor
    public var convention: IdConvention
    /// Model ids put first / last; nil adds none.
    public var bosId: Int32?
    public var eosId: Int32?
    /// Model id used for padding.
    public var padId: Int32
    /// Longest output row, bos and eos included; nil never truncates.
    public var maxLength: Int?

    /// - Throws: `.invalidOption` when `maxLength` leaves no room beside bos/eos.
    public init(processor: SentencePieceProcessor, convention: IdConvention = .identity,
                bosId: Int32? = nil, eosId: Int32? = nil, padId: Int32 = 0,
                maxLength: Int? = nil) throws {
        self.processor = processor
        self.convention = convention
        self.bosId = bosId
        self.eosId = eosId
        self.padId = padId
        self.maxLength = maxLength
        let specials = (bosId == nil ? 0 : 1) + (eosId == nil ? 0 : 1)
        if let maxLength, maxLength <= specials {
            throw SentencePieceError.invalidOption(
                subject: processor.name, option: "maxLength", value: "\(maxLength)",
                expected: "more than the \(specials) bos/eos tokens")
        }
    }

    /// XLM-R's layout: `<s> … </s>`, pad 1, maxLength 512 by default.
    public static func xlmr(processor: SentencePieceProcessor, maxLength: Int? = 512) throws -> TokenizerSpec {
        try TokenizerSpec(processor: processor, convention: .xlmr, bosId: 0, eosId: 2, padId: 1,
                          maxLength: maxLength)
    }

    // MARK: id map

    /// The model id of spm id `id`.
    public func modelId(_ id: Int32) -> Int32 {
        switch convention {
        case .identity: return id
        case let .offset(k): return id + k
        case let .custom(forward, _): return forward(id)
        case .xlmr:
            if id == processor.unkId { return 3 }
            if id == processor.bosId { return 0 }
            if id == processor.eosId { return 2 }
            return id + 1
        }
    }

    /// The spm id of model id `id`, or nil when it has none (fairseq's <pad>).
    public func spmId(_ id: Int32) -> Int32? {
        switch convention {
        case .identity: return id
        case let .offset(k): return id - k
        case let .custom(_, inverse): return inverse(id)
        case .xlmr:
            switch id {
            case 0: return processor.bosId
            case 1: return nil
            case 2: return processor.eosId
            case 3: return processor.unkId
            default: return id - 1
            }
        }
    }

    // MARK: encode

    /// `[bos] + modelIds(text) + [eos]`, the text ids cut so the row fits maxLength: [T].
    public func encode(_ text: String) -> [Int32] {
        wrap(processor.encode(text))
    }

    /// Encodes, truncates and pads `texts` (spm encoding on `threads` workers).
    /// - Returns: ids and attentionMask [B][T]; T = longest row (`.longest`), maxLength
    ///   (`.maxLength`), or per row (`.none`).
    public func encodeBatch(_ texts: [String], padding: Padding = .longest, threads: Int = 1) -> EncodedBatch {
        pad(processor.encodeBatch(texts, threads: threads).map(wrap), padding: padding)
    }

    /// Pads rows of model ids (already wrapped) to a batch: [B][T].
    public func pad(_ rows: [[Int32]], padding: Padding) -> EncodedBatch {
        let lengths = rows.map(\.count)
        let target: Int
        switch padding {
        case .none:
            return EncodedBatch(ids: rows, attentionMask: rows.map { [Int32](repeating: 1, count: $0.count) },
                                lengths: lengths)
        case .longest:
            target = lengths.max() ?? 0
        case .maxLength:
            precondition(maxLength != nil, "Padding.maxLength needs TokenizerSpec.maxLength")
            target = max(maxLength!, lengths.max() ?? 0)
        }
        var ids: [[Int32]] = []
        var mask: [[Int32]] = []
        ids.reserveCapacity(rows.count)
        mask.reserveCapacity(rows.count)
        for row in rows {
            let padCount = target - row.count
            ids.append(row + [Int32](repeating: padId, count: padCount))
            mask.append([Int32](repeating: 1, count: row.count) + [Int32](repeating: 0, count: padCount))
        }
        return EncodedBatch(ids: ids, attentionMask: mask, lengths: lengths)
    }

    /// Text of model ids; bos, eos and pad are skipped, as are ids with no spm piece.
    /// - Throws: `.idOutOfRange` for a model id whose spm id is outside the vocabulary.
    public func decode(_ ids: [Int32]) throws -> String {
        var spm: [Int32] = []
        spm.reserveCapacity(ids.count)
        for id in ids where id != bosId && id != eosId && id != padId {
            if let s = spmId(id) { spm.append(s) }
        }
        return try processor.decode(ids: spm)
    }

    /// Adds bos/eos around mapped spm ids and truncates the middle to fit maxLength.
    private func wrap(_ spm: [Int32]) -> [Int32] {
        let specials = (bosId == nil ? 0 : 1) + (eosId == nil ? 0 : 1)
        let keep = maxLength.map { min(spm.count, $0 - specials) } ?? spm.count
        var row: [Int32] = []
        row.reserveCapacity(keep + specials)
        if let bosId { row.append(bosId) }
        for i in 0..<keep { row.append(modelId(spm[i])) }
        if let eosId { row.append(eosId) }
        return row
    }
}
