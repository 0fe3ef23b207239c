// Block-parallel analysis of a file: each worker opens its own libsndfile handle, seeks to a
// block of frames, decodes just the samples those frames read (plus the mirrors of the centre
// padding at the ends), mixes to mono and writes that block's log-mel rows. Decoding thus runs on
// every core alongside the FFTs, and no buffer of the whole signal is made. Same numbers as
// decoding the whole file first (the frames see the same samples). Leaves out files that need
// resampling or cannot seek (those take the whole-signal path), and Kaldi fbank.

import CSndfile
import Foundation

extension LogMelExtractor {
    /// Frames per block: 4096 Whisper frames are 41 s of audio, 2.6 MB of float samples.
    static let blockFrames = 4096

    /// Log-mel of `path` by blocks, or nil when the file needs the whole-signal path (another
    /// sample rate, not seekable, unknown length).
    func computeBlocks(path: String) throws -> FeatureMatrix? {
        var info = SF_INFO()
        guard let probe = sf_open(path, Int32(SFM_READ), &info) else {
            var st = stat()
            guard stat(path, &st) == 0 else { throw AudioError.fileNotFound(path: path) }
            throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(nil)))
        }
        sf_close(probe)
        let n = Int(info.frames), channels = Int(info.channels)
        guard Int(info.samplerate) == preset.sampleRate, info.seekable != 0, n > 0, channels > 0,
              info.frames < Int64(Int32.max), let stft else { return nil }
        let frames = frameCount(samples: n), nMels = bank.nMels
        guard frames > 0 else { return nil }
        let blocks = (frames + Self.blockFrames - 1) / Self.blockFrames
        let workers = max(1, min(threads, blocks))
        let lock = NSLock()
        var nextBlock = 0
        var failure: AudioError?
        var peaks = [Float](repeating: -.infinity, count: workers)
        var out = [Float](unsafeUninitializedCapacity: frames * nMels) { ob, count in
            adviseHugePages(UnsafeMutableRawBufferPointer(ob))
            let ob = ob
            peaks.withUnsafeMutableBufferPointer { pk in
                let pk = pk
                let work = { (w: Int) in
                    var winfo = SF_INFO()
                    guard let file = sf_open(path, Int32(SFM_READ), &winfo) else {
                        lock.lock(); failure = failure ?? .unreadable(path: path, reason: String(cString: sf_strerror(nil))); lock.unlock()
                        return
                    }
                    defer { sf_close(file) }
                    var mono = [Float](), interleaved = [Float](), shorts = [Int16]()
                    // 16-bit PCM mono: read the integers and scale them here, eight lanes at a
                    // time; s·2⁻¹⁵ is exactly what sf_readf_float returns for PCM_16 (a power-of-two
                    // scale is exact), at a fraction of its per-sample cost.
                    let pcm16Mono = channels == 1 && (Int(winfo.format) & Int(SF_FORMAT_SUBMASK)) == Int(SF_FORMAT_PCM_16)
                    var peak = -Float.infinity
                    while true {
                        lock.lock()
                        let b = nextBlock
                        nextBlock += 1
                        let stop = failure != nil
                        lock.unlock()
                        if stop || b >= blocks { break }
                        let range = b * Self.blockFrames..<min(frames, (b + 1) * Self.blockFrames)
                        let samples = stft.sampleRange(frames: range, signalLength: n)
                        let count = samples.count
                        if mono.count < count { mono = [Float](repeating: 0, count: count) }
                        var got = 0
                        if sf_seek(file, sf_count_t(samples.lowerBound), SEEK_SET) == sf_count_t(samples.lowerBound) {
                            if pcm16Mono {
                                if shorts.count < count { shorts = [Int16](repeating: 0, count: count) }
                                got = shorts.withUnsafeMutableBufferPointer { Int(sf_readf_short(file, $0.baseAddress, sf_count_t(count))) }
                                shorts.withUnsafeBufferPointer { sb in
                                    mono.withUnsafeMutableBufferPointer { mb in pcm16ToFloat(sb.baseAddress!, mb.baseAddress!, max(0, got)) }
                                }
                            } else if channels == 1 {
                                got = mono.withUnsafeMutableBufferPointer { Int(sf_readf_float(file, $0.baseAddress, sf_count_t(count))) }
                            } else {
                                if interleaved.count < count * channels { interleaved = [Float](repeating: 0, count: count * channels) }
                                got = interleaved.withUnsafeMutableBufferPointer { Int(sf_readf_float(file, $0.baseAddress, sf_count_t(count))) }
                                let scale = 1 / Float(channels)
                                for t in 0..<max(0, got) {
                                    var s: Float = 0
                                    for c in 0..<channels { s += interleaved[t * channels + c] }
                                    mono[t] = s * scale
                                }
                            }
                        }
                        guard got == count else {
                            let why = sf_error(file) != 0 ? String(cString: sf_strerror(file))
                                : "decoded \(max(got, 0)) of \(count) samples at offset \(samples.lowerBound); the header promises \(n)"
                            lock.lock(); failure = failure ?? .unreadable(path: path, reason: why); lock.unlock()
                            break
                        }
                        mono.withUnsafeBufferPointer { mb in
                            let view = SignalView(base: mb.baseAddress!, offset: samples.lowerBound, count: count, length: n)
                            peak = max(peak, self.logMelFrames(view, frames: range, into: ob.baseAddress!))
                        }
                    }
                    pk[w] = peak
                }
                if workers == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: work) }
            }
            count = frames * nMels
        }
        if let failure { throw failure }
        finish(&out, peak: peaks.max()!)
        return FeatureMatrix(rows: frames, cols: nMels, data: out)
    }
}

/// y[i] = Float(x[i]) / 32768, eight lanes at a time.
func pcm16ToFloat(_ x: UnsafePointer<Int16>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let scale = SIMD8<Float>(repeating: 1.0 / 32768)
    var i = 0
    let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
    while i + 8 <= n {
        let v = rx.loadUnaligned(fromByteOffset: 2 * i, as: SIMD8<Int16>.self)
        ry.storeBytes(of: SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v)) * scale, toByteOffset: 4 * i, as: SIMD8<Float>.self)
        i += 8
    }
    while i < n { y[i] = Float(x[i]) * (1.0 / 32768); i += 1 }
}
