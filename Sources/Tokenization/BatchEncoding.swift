// BatchEncoding: encodes many lines on several cores. Lines are split into
// contiguous chunks and the chunks run under DispatchQueue.concurrentPerform;
// libsentencepiece's Encode is const, so one processor serves every thread.
// Results equal line-by-line `encode` exactly, in input order (tested).
// Not here: padding or bos/eos (TokenizerSpec).

import Dispatch
import Foundation

/// Ids of N lines stored flat: line i is `ids[offsets[i] ..< offsets[i + 1]]`.
/// - ids: [sum of T_i]; offsets: [N + 1], offsets[0] == 0.
public struct FlatEncoding: Equatable, Sendable {
    public var ids: [Int32]
    public var offsets: [Int]

    public init(ids: [Int32], offsets: [Int]) {
        self.ids = ids
        self.offsets = offsets
    }

    /// Number of lines, N.
    public var count: Int { offsets.count - 1 }

    /// The ids of line `i`: [T_i].
    public subscript(line i: Int) -> ArraySlice<Int32> { ids[offsets[i] ..< offsets[i + 1]] }

    /// One array per line: [N][T_i].
    public var lines: [[Int32]] { (0..<count).map { Array(self[line: $0]) } }
}

extension SentencePieceProcessor {
    /// Ids of every line, computed with `threads` workers: [N][T_i].
    /// Equal to `lines.map(encode)`.
    public func encodeBatch(_ lines: [String], threads: Int) -> [[Int32]] {
        var result = [[Int32]](repeating: [], count: lines.count)
        result.withUnsafeMutableBufferPointer { out in
            let out = out
            let chunks = chunkRanges(count: lines.count, threads: threads)
            forEach(chunks: chunks.count, threads: threads) { c in
                var scratch: [Int32] = []
                for i in chunks[c] {
                    withUTF8(lines[i]) { encode(utf8: $0, into: &scratch) }
                    out[i] = scratch
                }
            }
        }
        return result
    }

    /// Byte-level batch for maximum throughput: encodes `buffer[lines[i]]` for every i
    /// with `threads` workers, without creating any String.
    /// - buffer: UTF-8 text; lines: N byte ranges into it (e.g. from `lineRanges(in:)`).
    /// - Returns: ids of all lines, flat: ids [sum T_i], offsets [N + 1].
    public func encodeBatch(utf8 buffer: UnsafeBufferPointer<UInt8>, lines: [Range<Int>],
                            threads: Int) -> FlatEncoding {
        let chunks = chunkRanges(count: lines.count, threads: threads)
        var chunkIds = [[Int32]](repeating: [], count: chunks.count)
        var counts = [Int](repeating: 0, count: lines.count)
        chunkIds.withUnsafeMutableBufferPointer { chunkOut in
            counts.withUnsafeMutableBufferPointer { countOut in
                let chunkOut = chunkOut, countOut = countOut
                forEach(chunks: chunks.count, threads: threads) { c in
                    var ids: [Int32] = []
                    var bytes = 0
                    for i in chunks[c] { bytes += lines[i].count }
                    ids.reserveCapacity(bytes / 2 + 16)
                    for i in chunks[c] {
                        let line = lines[i]
                        precondition(line.lowerBound >= 0 && line.upperBound <= buffer.count,
                                     "line \(i) range \(line) outside buffer of \(buffer.count) bytes")
                        let slice = UnsafeBufferPointer(rebasing: buffer[line])
                        countOut[i] = encode(utf8: slice, appendingTo: &ids)
                    }
                    chunkOut[c] = ids
                }
            }
        }
        var offsets = [Int](repeating: 0, count: lines.count + 1)
        for i in 0..<lines.count { offsets[i + 1] = offsets[i] + counts[i] }
        var flat: [Int32] = []
        flat.reserveCapacity(offsets[lines.count])
        for ids in chunkIds { flat.append(contentsOf: ids) }
        return FlatEncoding(ids: flat, offsets: offsets)
    }

    /// `encodeBatch(utf8:lines:threads:)` over an array.
    public func encodeBatch(utf8 buffer: [UInt8], lines: [Range<Int>], threads: Int) -> FlatEncoding {
        buffer.withUnsafeBufferPointer { encodeBatch(utf8: $0, lines: lines, threads: threads) }
    }

    /// Byte ranges of the lines of `buffer`, split at "\n" as `std::getline` (and so
    /// `spm_encode`) does: the "\n" is dropped, a final line without one is kept, and
    /// a buffer ending in "\n" has no empty last line.
    /// Newlines are found with memchr (10 MB of text: a few milliseconds).
    public static func lineRanges(in buffer: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(buffer.count / 40 + 1)
        guard let base = buffer.baseAddress else { return ranges }
        let n = buffer.count
        var start = 0
        while start < n, let hit = memchr(base + start, 0x0A, n - start) {
            let end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            ranges.append(start..<end)
            start = end + 1
        }
        if start < n { ranges.append(start..<n) }
        return ranges
    }

    /// `lineRanges(in:)` over an array.
    public static func lineRanges(in buffer: [UInt8]) -> [Range<Int>] {
        buffer.withUnsafeBufferPointer { lineRanges(in: $0) }
    }
}

/// Splits `0..<count` into contiguous chunks, 4 per thread so uneven lines balance.
func chunkRanges(count: Int, threads: Int) -> [Range<Int>] {
    guard count > 0 else { return [] }
    let pieces = min(count, max(1, threads) * 4)
    return (0..<pieces).map { k in (k * count / pieces) ..< ((k + 1) * count / pieces) }
}

/// Runs `body(c)` for every chunk index c with at most `threads` workers; worker w
/// takes chunks w, w + threads, ... so the calling thread does the work when threads is 1.
func forEach(chunks: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = min(max(1, threads), chunks)
    if workers <= 1 {
        (0..<chunks).forEach(body)
        return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        for c in stride(from: w, to: chunks, by: workers) { body(c) }
    }
}
