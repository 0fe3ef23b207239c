// AudioFile: decode any file libsndfile reads (WAV, FLAC, OGG/Vorbis, AIFF, ...) to mono Float32
// and write WAV/FLAC/OGG/AIFF, via sf_open / sf_readf_float / sf_writef_float (libsndfile 1.2).
// Mirrors soundfile.read(dtype='float32') + librosa.to_mono (mean of channels) as librosa.load uses
// them; `read(path:targetRate:)` adds librosa.load's soxr_hq resampling. Leaves out MP3 and
// anything libsndfile cannot decode, offsets/durations, and dithering on PCM16 writes.

import CSndfile
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoded audio: `samples` is the mono mixdown, [frames].
public struct Audio: Sendable, Equatable {
    /// Mono samples (mean of the channels), normalised to [-1, 1) for PCM input. [frames]
    public var samples: [Float]
    public var sampleRate: Int
    /// Channel count of the file before mixdown.
    public var channels: Int
    /// Frames decoded (= samples.count).
    public var frames: Int

    public init(samples: [Float], sampleRate: Int, channels: Int = 1) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
        self.frames = samples.count
    }
}

public enum AudioFile {
    /// Container and encoding for `write`.
    public enum Format: String, CaseIterable, Sendable {
        case wavFloat32, wavPCM16, flacPCM16, oggVorbis, aiffPCM16

        var sndfileFormat: Int32 {
            switch self {
            case .wavFloat32: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
            case .wavPCM16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .flacPCM16: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            case .oggVorbis: return Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
            case .aiffPCM16: return Int32(SF_FORMAT_AIFF | SF_FORMAT_PCM_16)
            }
        }
    }

    /// Decodes `path` and mixes it down to mono: samples[t] = mean over c of frame[t, c].
    /// Throws `AudioError` naming the file when it is missing, undecodable or empty.
    public static func read(path: String) throws -> Audio {
        var st = stat()
        guard stat(path, &st) == 0 else { throw AudioError.fileNotFound(path: path) }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(file) }
        let channels = Int(info.channels)
        guard channels > 0, info.samplerate > 0 else {
            throw AudioError.unreadable(path: path, reason: "header has \(channels) channels at \(info.samplerate) Hz")
        }
        // Mono with a known length (WAV, FLAC, AIFF…): decode straight into the result.
        if channels == 1 && info.frames > 0 && info.frames < Int64(Int32.max) {
            let n = Int(info.frames)
            var got = 0
            var mono = largeFloatArray(count: n) { b in
                got = Int(sf_readf_float(file, b.baseAddress, sf_count_t(n)))
                if got < n { b.baseAddress!.advanced(by: max(got, 0)).initialize(repeating: 0, count: n - max(got, 0)) }
            }
            if got < n { mono.removeLast(n - max(got, 0)) }
            // Some formats' frame counts are estimates: read whatever follows.
            var tail = [Float](repeating: 0, count: 1 << 14)
            while got == n {
                let more = tail.withUnsafeMutableBufferPointer { Int(sf_readf_float(file, $0.baseAddress, sf_count_t($0.count))) }
                if more <= 0 { break }
                mono.append(contentsOf: tail[0..<more])
            }
            if sf_error(file) != 0 { throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(file))) }
            guard !mono.isEmpty else { throw AudioError.noSamples(path: path) }
            return Audio(samples: mono, sampleRate: Int(info.samplerate), channels: channels)
        }
        // Otherwise read in blocks until EOF.
        let block = 1 << 16
        var interleaved = [Float](repeating: 0, count: block * channels)
        var mono = [Float]()
        mono.reserveCapacity(max(0, Int(info.frames)))
        let scale = 1 / Float(channels)
        while true {
            let got = interleaved.withUnsafeMutableBufferPointer {
                Int(sf_readf_float(file, $0.baseAddress, sf_count_t(block)))
            }
            if got <= 0 { break }
            if channels == 1 {
                mono.append(contentsOf: interleaved[0..<got])
            } else {
                for t in 0..<got {
                    var s: Float = 0
                    for c in 0..<channels { s += interleaved[t * channels + c] }
                    mono.append(s * scale)
                }
            }
        }
        let err = sf_error(file)
        if err != 0 {
            throw AudioError.unreadable(path: path, reason: String(cString: sf_strerror(file)))
        }
        guard !mono.isEmpty else { throw AudioError.noSamples(path: path) }
        return Audio(samples: mono, sampleRate: Int(info.samplerate), channels: channels)
    }

    /// Decodes `path`, mixes to mono and resamples to `targetRate` with soxr HQ, as
    /// librosa.load(path, sr=targetRate) does (res_type='soxr_hq', output length ceil(n·to/from)).
    public static func read(path: String, targetRate: Int) throws -> Audio {
        var audio = try read(path: path)
        guard audio.sampleRate != targetRate else { return audio }
        let y = try Resampler.resample(audio.samples, from: audio.sampleRate, to: targetRate,
                                       quality: .hq, source: path)
        audio = Audio(samples: y, sampleRate: targetRate, channels: audio.channels)
        return audio
    }

    /// Writes interleaved `samples` ([frames, channels] row-major) atomically: a temporary file
    /// in the same directory is renamed onto `path` only once libsndfile has closed it.
    public static func write(_ samples: [Float], sampleRate: Int, channels: Int = 1,
                             to path: String, format: Format = .wavFloat32) throws {
        guard sampleRate > 0 else { throw AudioError.invalidSampleRate(path: path, rate: sampleRate) }
        precondition(channels > 0 && samples.count % channels == 0,
                     "AudioFile.write: \(samples.count) samples is not a multiple of \(channels) channels")
        try AtomicFile.write(to: path) { tmp in
            var info = SF_INFO()
            info.samplerate = Int32(sampleRate)
            info.channels = Int32(channels)
            info.format = format.sndfileFormat
            guard let file = sf_open(tmp, Int32(SFM_WRITE), &info) else {
                throw AudioError.writeFailed(path: path, reason: "libsndfile: " + String(cString: sf_strerror(nil)))
            }
            let frames = samples.count / channels
            let wrote = samples.withUnsafeBufferPointer {
                Int(sf_writef_float(file, $0.baseAddress, sf_count_t(frames)))
            }
            let reason = String(cString: sf_strerror(file))
            let closed = sf_close(file)
            guard wrote == frames, closed == 0 else {
                throw AudioError.writeFailed(path: path, reason: "libsndfile wrote \(wrote) of \(frames) frames: \(reason)")
            }
        }
    }
}
