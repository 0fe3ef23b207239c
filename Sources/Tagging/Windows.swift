// Word → subword alignment and windows for sentences longer than the model allows.
// Each word is encoded on its own as a word-initial piece sequence (what HF tokenizers do with
// is_split_into_words=True for XLM-R: every word gets its "▁"), the first piece carries the
// word's label and the rest are ignored (-100), as in the HF token-classification example.
// Training windows cut a long sentence at word boundaries without overlap; prediction windows
// overlap by half and each word takes the prediction of the window where it sits most centrally.

/// One sentence's words as piece ids.
public struct AlignedSentence: Sendable {
    /// Model ids of each word's pieces (at least one per word).
    public let pieces: [[Int32]]
    public var wordCount: Int { pieces.count }
    public init(pieces: [[Int32]]) { self.pieces = pieces }
}

/// A model input: ids with bos/eos, the label of every position (-100 = ignored) and, for each
/// position that starts a word, that word's index in the sentence.
public struct TaggingWindow: Sendable {
    public let sentence: Int
    public var ids: [Int32]
    public var labels: [Int]
    /// (position in ids, word index) for the first piece of every word in the window
    public var wordStarts: [(position: Int, word: Int)]
    /// Words whose prediction this window provides (prediction windows overlap).
    public var owned: Range<Int>

    public init(sentence: Int, ids: [Int32], labels: [Int], wordStarts: [(position: Int, word: Int)], owned: Range<Int>) {
        self.sentence = sentence; self.ids = ids; self.labels = labels; self.wordStarts = wordStarts; self.owned = owned
    }
}

public enum WindowPlanner {
    /// Splits words 0..<n into consecutive runs whose pieces fit `room` tokens (a single word
    /// longer than `room` is cut to its first `room` pieces).
    public static func trainingRuns(_ s: AlignedSentence, room: Int) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var start = 0, used = 0
        for w in 0..<s.wordCount {
            let len = min(s.pieces[w].count, room)
            if used + len > room && w > start {
                runs.append(start..<w)
                start = w; used = 0
            }
            used += len
        }
        if start < s.wordCount || s.wordCount == 0 { runs.append(start..<s.wordCount) }
        return runs
    }

    /// Overlapping prediction windows: each covers words that fit `room`, the next starts at the
    /// first word past the middle of the previous one; each word is owned by the window where
    /// min(pieces before it, pieces after it) is largest.
    public static func predictionWindows(_ s: AlignedSentence, room: Int) -> [(words: Range<Int>, owned: Range<Int>)] {
        let n = s.wordCount
        if n == 0 { return [(0..<0, 0..<0)] }
        let lens = s.pieces.map { min($0.count, room) }
        var windows: [Range<Int>] = []
        var start = 0
        while true {
            var end = start, used = 0
            while end < n && (used + lens[end] <= room || end == start) { used += lens[end]; end += 1 }
            windows.append(start..<end)
            if end >= n { break }
            // Next window starts at the word holding the middle piece of this one (at least one word on).
            var half = 0, next = start
            while next < end - 1 && half + lens[next] <= used / 2 { half += lens[next]; next += 1 }
            start = max(start + 1, next)
        }
        if windows.count == 1 { return [(windows[0], windows[0])] }
        // Centrality of word w in window k.
        var owner = [Int](repeating: 0, count: n)
        var best = [Int](repeating: -1, count: n)
        for (k, win) in windows.enumerated() {
            let total = win.reduce(0) { $0 + lens[$1] }
            var before = 0
            for w in win {
                let after = total - before - lens[w]
                let score = min(before, after)
                if score > best[w] { best[w] = score; owner[w] = k }
                before += lens[w]
            }
        }
        return windows.enumerated().map { k, win in
            let mine = win.filter { owner[$0] == k }
            return (win, (mine.first ?? win.lowerBound)..<((mine.last ?? win.lowerBound - 1) + 1))
        }
    }

    /// The window over `words` of sentence `index`: bos + pieces + eos, labels on first pieces.
    public static func window(_ s: AlignedSentence, index: Int, words: Range<Int>, owned: Range<Int>, room: Int,
                              labels: [Int]?, bos: Int32, eos: Int32) -> TaggingWindow {
        var ids: [Int32] = [bos]
        var lab: [Int] = [-100]
        var starts: [(Int, Int)] = []
        for w in words {
            let p = Array(s.pieces[w].prefix(room))
            starts.append((ids.count, w))
            ids += p
            lab.append(labels?[w] ?? -100)
            lab += [Int](repeating: -100, count: p.count - 1)
        }
        ids.append(eos)
        lab.append(-100)
        return TaggingWindow(sentence: index, ids: ids, labels: lab, wordStarts: starts, owned: owned)
    }
}
