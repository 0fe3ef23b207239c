// Contextual word vectors for pre-tokenised sentences, the input of similarity-based word
// alignment (SimAlign, Jalili Sabet et al. 2020; awesome-align, Dou & Neubig 2021). Each word is
// encoded on its own into word-initial pieces (what the tagger does, and what HF tokenizers do with
// is_split_into_words=True), the sentence is run through the encoder with bos/eos alone (source and
// target are never concatenated), and the hidden state of one layer is kept: hidden_states[L] as
// transformers numbers them (0 = embeddings, L = output of layer L). Both sides of the alignment
// keep subword rows (SimAlign's "bpe" token type, awesome-align) and word rows, the mean of a word's
// subword rows (SimAlign's "word" token type, `average_embeds_over_words`).
// Sentences are batched by length and run on several workers; one longer than the model allows is
// cut into windows that overlap by half, each piece taking its vector from the window where it sits
// most centrally. Leaves out: sub-word regularisation, the distortion prior, fine-tuned aligners.

import Foundation
import Models
import TensorCore

/// A user-facing problem with projection inputs or settings; prints as one line.
public enum ProjectionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A setting outside its range, e.g. a layer the model does not have.
    case invalidSetting(name: String, found: String, expected: String)
    /// Two files that must hold the same number of sentences do not.
    /// `firstUnpaired`: "FILE:LINE", where the first sentence without a counterpart starts.
    case sentenceCount(file: String, found: Int, otherFile: String, expected: Int, firstUnpaired: String? = nil)
    /// A sentence that is empty where words are needed (`line` is 1-based in `file`).
    case emptySentence(file: String, line: Int)

    public var description: String {
        switch self {
        case let .invalidSetting(name, found, expected):
            return "\(name): found \(found); expected \(expected)"
        case let .sentenceCount(file, found, otherFile, expected, firstUnpaired):
            let at = firstUnpaired.map { "; the files diverge at sentence \(min(found, expected) + 1), which starts at \($0) and has no counterpart" } ?? ""
            return "\(file): found \(found) sentences; expected \(expected), as in \(otherFile)\(at) (sentence i of one file must be the translation of sentence i of the other)"
        case let .emptySentence(file, line):
            return "\(file):\(line): found an empty sentence; expected at least one word"
        }
    }
}

/// Vectors of one sentence at one layer.
public struct SentenceVectors: @unchecked Sendable {
    /// [P, C]: one row per piece of the sentence, specials excluded, in order.
    public let pieces: Tensor
    /// pieceWord[p]: the word that piece p belongs to (non-decreasing, every word has ≥ 1 piece).
    public let pieceWord: [Int]
    /// [W, C]: row w is the mean of word w's piece rows.
    public let words: Tensor

    public var wordCount: Int { words.shape[0] }
    public var pieceCount: Int { pieces.shape[0] }

    /// Builds word rows as means of `pieces` rows grouped by `pieceWord` (words 0..<wordCount).
    /// - pieces: [P, C]
    public init(pieces: Tensor, pieceWord: [Int], wordCount: Int) {
        precondition(pieces.rank == 2 && pieces.shape[0] == pieceWord.count,
                     "SentenceVectors: pieces \(pieces.shape) and \(pieceWord.count) piece→word entries")
        precondition(pieceWord.allSatisfy { $0 >= 0 && $0 < wordCount }, "SentenceVectors: piece→word index outside 0..<\(wordCount)")
        let c = pieces.shape[1]
        let p = pieces.contiguous()
        let words = Tensor(zeros: [wordCount, c])
        var counts = [Float](repeating: 0, count: wordCount)
        for (i, w) in pieceWord.enumerated() {
            counts[w] += 1
            let src = p.base + i * c, dst = words.base + w * c
            for k in 0..<c { dst[k] += src[k] }
        }
        for w in 0..<wordCount where counts[w] > 1 {
            let inv = 1 / counts[w], dst = words.base + w * c
            for k in 0..<c { dst[k] *= inv }
        }
        self.pieces = p
        self.pieceWord = pieceWord
        self.words = words
    }
}

/// Contextual word and subword vectors from one hidden layer of an encoder.
public final class ContextualWordEmbedder: @unchecked Sendable {
    public let embedder: Embedder
    /// hidden_states index: 0 = embeddings, 1…N = output of that layer.
    public let layer: Int
    /// Longest id sequence fed to the encoder, bos and eos included.
    public let maxLength: Int

    /// Layer 7 of 12, scaled to the model's depth: the lowest mean AER over the four align_gold
    /// pairs with e5-small (layers 6, 7, 8: 29.8, 29.5, 30.7 with subword argmax; SimAlign and
    /// awesome-align read layer 8 of mBERT's 12). See Scripts/bench/projection_align.md.
    public static func defaultLayer(layerCount: Int) -> Int { max(1, (layerCount * 7 + 6) / 12) }

    /// - layer: hidden_states index, 0…layerCount (nil: `defaultLayer`)
    /// - maxLength: window length with specials, 3…embedder.maxLength (nil: embedder.maxLength)
    /// - Throws: `ProjectionError.invalidSetting` for a layer or length outside its range.
    public init(embedder: Embedder, layer: Int? = nil, maxLength: Int? = nil) throws {
        let n = embedder.directory.config.layerCount
        let l = layer ?? ContextualWordEmbedder.defaultLayer(layerCount: n)
        guard l >= 0 && l <= n else {
            throw ProjectionError.invalidSetting(name: "layer", found: "\(l)",
                                                 expected: "0…\(n) for \(embedder.directory.path) (0 = embeddings, \(n) = last layer)")
        }
        let m = maxLength ?? embedder.maxLength
        guard m >= 3 && m <= embedder.maxLength else {
            throw ProjectionError.invalidSetting(name: "max length", found: "\(m)", expected: "3…\(embedder.maxLength)")
        }
        self.embedder = embedder
        self.layer = l
        self.maxLength = m
    }

    /// Each word's piece ids, encoded on its own (a word that yields no pieces gets the unknown id).
    public func pieces(_ words: [String]) -> [[Int32]] {
        let tok = embedder.tokenizer
        return words.map { w in
            let p = tok.encode(w)
            return p.isEmpty ? [tok.unknownId] : p
        }
    }

    /// Piece windows [start, start + room) covering 0..<count, consecutive windows overlapping by
    /// half; owner[p] is the window where min(pieces before p, pieces after p) is largest.
    static func windows(count: Int, room: Int) -> (starts: [Int], owner: [Int]) {
        precondition(room >= 1, "windows: room \(room) < 1")
        if count <= room { return ([0], [Int](repeating: 0, count: count)) }
        var starts = [0]
        let step = max(1, room / 2)
        while starts.last! + room < count { starts.append(min(starts.last! + step, count - room)) }
        var owner = [Int](repeating: 0, count: count), best = [Int](repeating: -1, count: count)
        for (k, s) in starts.enumerated() {
            for p in s..<(s + room) {
                let score = min(p - s, s + room - 1 - p)
                if score > best[p] { best[p] = score; owner[p] = k }
            }
        }
        return (starts, owner)
    }

    /// Vectors of every sentence (words as given, e.g. split on spaces), in input order.
    /// - batchSize: windows per encoder call (sorted by length, so batches carry little padding)
    /// - workers: batches run in parallel, one single-threaded BLAS each
    /// - progress: called with the number of sentences finished since the last call
    public func encode(_ sentences: [[String]], batchSize: Int = 16, workers: Int = Parallel.defaultWorkers,
                       progress: ((Int) -> Void)? = nil) -> [SentenceVectors] {
        let config = embedder.directory.config
        let c = config.hiddenSize
        let specials = embedder.tokenizer.specials(config: config)
        let pad = Int32(config.padTokenId)
        let room = maxLength - 2
        // Every sentence's pieces, flattened, and the windows that cover them.
        struct Window { let sentence: Int; let start: Int; let ids: [Int32] }
        var flat = [[Int32]](), pieceWord = [[Int]](), owners = [[Int]](), starts = [[Int]]()
        var windows = [Window]()
        for (s, words) in sentences.enumerated() {
            let p = pieces(words)
            let f = p.flatMap { $0 }
            flat.append(f)
            pieceWord.append(p.enumerated().flatMap { w, ids in [Int](repeating: w, count: ids.count) })
            let plan = ContextualWordEmbedder.windows(count: f.count, room: room)
            owners.append(plan.owner); starts.append(plan.starts)
            if f.isEmpty { continue }
            for st in plan.starts {
                windows.append(Window(sentence: s, start: st, ids: [specials.bos] + f[st..<min(f.count, st + room)] + [specials.eos]))
            }
        }
        // Output storage: [P, C] per sentence, filled by the windows that own each piece.
        let outputs = flat.map { Tensor(zeros: [$0.count, c]) }
        let order = windows.indices.sorted { windows[$0].ids.count > windows[$1].ids.count }
        let size = max(1, batchSize)
        let batches = stride(from: 0, to: order.count, by: size).map { Array(order[$0..<min(order.count, $0 + size)]) }
        let inner = max(1, workers / max(1, batches.count))
        var remaining = windows.reduce(into: [Int](repeating: 0, count: sentences.count)) { $0[$1.sentence] += 1 }
        let lock = NSLock()
        if let progress {
            let empty = remaining.filter { $0 == 0 }.count
            if empty > 0 { progress(empty) }
        }
        Parallel.forEach(batches.count, workers: workers) { bi in
            let rows = batches[bi].map { windows[$0] }
            let t = rows.map(\.ids.count).max() ?? 0
            let ids = rows.map { $0.ids + [Int32](repeating: pad, count: t - $0.ids.count) }
            let mask = rows.map { [Int32](repeating: 1, count: $0.ids.count) + [Int32](repeating: 0, count: t - $0.ids.count) }
            let hidden = embedder.encoder.forward(ids: ids, mask: mask, workers: inner, upToLayer: layer).contiguous()  // [B, T, C]
            var finished = 0
            for (j, w) in rows.enumerated() {
                let k = starts[w.sentence].firstIndex(of: w.start)!
                let out = outputs[w.sentence]
                for p in w.start..<(w.start + w.ids.count - 2) where owners[w.sentence][p] == k {
                    // position 1 + (p − start) in the window: after bos.
                    (out.base + p * c).update(from: hidden.base + (j * t + 1 + p - w.start) * c, count: c)
                }
                lock.lock()
                remaining[w.sentence] -= 1
                if remaining[w.sentence] == 0 { finished += 1 }
                lock.unlock()
            }
            if let progress, finished > 0 { lock.lock(); progress(finished); lock.unlock() }
        }
        return sentences.indices.map { s in
            SentenceVectors(pieces: outputs[s], pieceWord: pieceWord[s], wordCount: sentences[s].count)
        }
    }
}
