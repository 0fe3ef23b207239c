// Sampling and n-best over many lines exactly as spm_encode does them: every line of a file
// sampled in order from ONE generator seeded once (`--random_seed`), pieces with the surface
// text of unknown characters. libsentencepiece's generator is a thread_local std::mt19937
// seeded from the global seed on its first use in a thread, so a seeded run happens on a
// fresh thread after setting the global seed. Not here: parallel sampling (not reproducible).
import CSentencePiece
import Foundation

extension SentencePieceProcessor {
    /// Output of a sampled segmentation: ids or pieces.
    public enum Sample: Sendable {
        case ids([Int32])
        case pieces([String])
    }

    /// Samples every line of `lines` (byte ranges of `utf8`) in order, as
    /// `spm_encode --output_format=sample_{id,piece} --nbest_size=N --alpha=A [--random_seed=S]`.
    /// With a seed the result is identical to spm_encode's for the same model, input and seed.
    /// - Returns: one `Sample` per line: [L].
    public func sampleEncodeLines(utf8: UnsafeBufferPointer<UInt8>, lines: [Range<Int>], nbestSize: Int,
                                  alpha: Float, seed: UInt32?, asPieces: Bool) -> [Sample] {
        var results = [Sample]()
        results.reserveCapacity(lines.count)
        let work = {
            if let seed { csp_set_random_seed(seed) }
            for r in lines {
                let line = UnsafeBufferPointer(rebasing: utf8[r])
                var message: UnsafeMutablePointer<CChar>?
                if asPieces {
                    var list = csp_string_list()
                    let status = csp_sample_encode_pieces(self.handle, cString(line), line.count, Int32(clamping: nbestSize),
                                                          alpha, &list, &message)
                    precondition(status == 0, "\(self.name): SampleEncode failed: \(takeMessage(message))")
                    results.append(.pieces(unpackStrings(list, 0, list.count)))
                    csp_string_list_free(&list)
                } else {
                    var count = 0
                    let p = csp_sample_encode(self.handle, cString(line), line.count, Int32(clamping: nbestSize),
                                              alpha, &count, &message)
                    precondition(p != nil, "\(self.name): SampleEncode failed: \(takeMessage(message))")
                    results.append(.ids(Array(UnsafeBufferPointer(start: p, count: count))))
                }
            }
        }
        guard seed != nil else { work(); return results }
        // A thread that has never sampled, so its generator starts from the seed.
        SeededSampling.lock.lock()
        defer { SeededSampling.lock.unlock() }
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { work(); done.signal() }
        thread.stackSize = 8 << 20
        thread.start()
        done.wait()
        return results
    }

    /// The n best segmentations of `text` as pieces (unknown characters keep their surface
    /// text, as `spm_encode --output_format=nbest_piece`): [n][T]. Empty for non-unigram models.
    public func nbestEncodeAsPieces(_ text: String, n: Int) -> [[String]] {
        var list = csp_string_list()
        var offsets: UnsafeMutablePointer<Int>?
        var hyps = 0
        var message: UnsafeMutablePointer<CChar>?
        let status = withUTF8(text) {
            csp_nbest_encode_pieces(handle, cString($0), $0.count, Int32(clamping: n), &list, &offsets, &hyps, &message)
        }
        guard status == 0, let offsets else { _ = takeMessage(message); return [] }
        defer {
            csp_string_list_free(&list)
            csp_string_free(UnsafeMutableRawPointer(offsets).assumingMemoryBound(to: CChar.self))
        }
        return (0..<hyps).map { unpackStrings(list, offsets[$0], offsets[$0 + 1]) }
    }
}

enum SeededSampling {
    static let lock = NSLock()
}

/// Strings `from..<to` of a packed list from the shim.
func unpackStrings(_ list: csp_string_list, _ from: Int, _ to: Int) -> [String] {
    (from..<to).map { i in
        String(decoding: UnsafeRawBufferPointer(start: list.bytes + list.offsets[i], count: list.offsets[i + 1] - list.offsets[i]),
               as: UTF8.self)
    }
}
