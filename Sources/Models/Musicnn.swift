// Musicnn: the musicnn music auto-tagging CNN (Pons & Serra 2019) in inference mode on TensorCore,
// mirroring musicnn 0.1.0 models.py build_musicnn(num_filt_midend=64, num_units_backend=200):
// front-end (input batch norm; timbral convs [7,38] and [7,67] × 204 'valid' on time-padded input,
// temporal convs [128,1], [64,1], [32,1] × 51 'same'; each conv → ReLU → batch norm → max over
// frequency), mid-end (three [7, C] convs × 64 with residual connections, dense-connected), back-end
// (max and mean over time interleaved per channel, batch norm, dense 200 + ReLU + batch norm =
// "penultimate", dense 50 = logits, sigmoid) and extractor.py's patching (187-frame patches, hop 187).
// Convolutions are im2col + cblas_sgemm. Batch norm is tf.compat.v1.layers' inference form with its
// default epsilon 0.001. Leaves out training, dropout (identity at inference) and the vgg models.

import Foundation
import TensorCore

/// config.json of a converted musicnn model.
public struct MusicnnConfig: Codable, Equatable, Sendable {
    public var modelType = "musicnn"
    /// "MTT" (MagnaTagATune) or "MSD" (Million Song Dataset).
    public var dataset: String
    /// The 50 tag names, in logit order (configuration.py MTT_LABELS / MSD_LABELS).
    public var tags: [String]
    public var sampleRate = 16000
    public var nFFT = 512
    public var hopLength = 256
    public var nMels = 96
    /// extractor.py: librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1.
    public var patchFrames = 187
    /// extractor.py's default input_overlap=False: patches do not overlap.
    public var patchHop = 187
    public var batchNormEpsilon: Float = 0.001
    public var logMel = "log10(10000 * float16(mel power) + 1), librosa melspectrogram(sr=16000, n_fft=512, hop=256, n_mels=96)"

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", dataset, tags, sampleRate = "sample_rate", nFFT = "n_fft", hopLength = "hop_length"
        case nMels = "n_mels", patchFrames = "patch_frames", patchHop = "patch_hop", batchNormEpsilon = "batch_norm_epsilon"
        case logMel = "log_mel"
    }

    public init(dataset: String, tags: [String]) {
        self.dataset = dataset
        self.tags = tags
    }
}

/// What one patch gives.
public struct MusicnnPatchOutput: Sendable {
    /// [50] pre-sigmoid.
    public var logits: [Float]
    /// [200] "penultimate" (extractor.py): batch-normed output of the 200-unit dense layer.
    public var penultimate: [Float]
}

/// What one clip gives.
public struct MusicnnClipOutput: Sendable {
    /// [P, 50] sigmoid probabilities per patch (extractor.py's taggram).
    public var taggram: [[Float]]
    /// [50] mean of the taggram over patches.
    public var tagProbabilities: [Float]
    /// [200] mean of the per-patch penultimate features.
    public var embedding: [Float]
    /// The log-mel had fewer frames than one patch and was repeat-padded.
    public var padded: Bool
}

/// y = x·scale + shift, with scale = γ/√(var + ε), shift = β − mean·scale.
struct FoldedBatchNorm {
    var scale: [Float]
    var shift: [Float]
}

/// A conv (or dense) layer: kernel as a [K, C] matrix (TF's [kh, kw, in, out] flattened), bias [C],
/// and the batch norm that follows its ReLU.
struct MusicnnConv {
    var kernel: Tensor
    var bias: [Float]
    var bn: FoldedBatchNorm
    var kh: Int
    var kw: Int
    var channels: Int { bias.count }
}

public final class Musicnn: @unchecked Sendable {
    public let config: MusicnnConfig
    public let directory: String
    let inputBN: FoldedBatchNorm
    /// f74, f77 (timbral), s1, s2, s3 (temporal), in the concatenation order of build_musicnn.
    let frontend: [MusicnnConv]
    let midend: [MusicnnConv]
    let backendBN: FoldedBatchNorm
    let dense: MusicnnConv
    let output: Tensor
    let outputBias: [Float]

    public static let frontendChannels = 204 + 204 + 3 * 51
    public static let midendChannels = frontendChannels + 3 * 64

    /// Loads `directory`/config.json and model.safetensors (as MusicnnConverter writes them).
    /// - Throws: `ModelError` naming the file and the tensor or field.
    public init(directory: String) throws {
        self.directory = directory
        let configPath = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ModelError.io(path: configPath, reason: "missing (expected a musicnn config.json; run `crosstalk models install musicnn-mtt`)")
        }
        let config: MusicnnConfig
        do { config = try JSONDecoder().decode(MusicnnConfig.self, from: data) } catch {
            throw ModelError.invalid(file: configPath, place: "config", found: "\(error)", expected: "a musicnn config.json")
        }
        guard config.modelType == "musicnn", config.tags.count == 50, config.nMels == 96, config.patchFrames > 0,
              config.patchHop > 0, config.batchNormEpsilon > 0 else {
            throw ModelError.invalid(file: configPath, place: "config", found: "model_type \(config.modelType), \(config.tags.count) tags, \(config.nMels) mels",
                                     expected: "model_type musicnn, 50 tags, 96 mels, positive patch sizes")
        }
        self.config = config
        let weightsPath = directory + "/model.safetensors"
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: weightsPath) } catch {
            throw ModelError.io(path: weightsPath, reason: "\(error)")
        }
        let shapes = Dictionary(uniqueKeysWithValues: MusicnnConverter.variables.map { ($0.name, $0.shape) })
        func load(_ name: String) throws -> [Float] {
            let t: Tensor
            do { t = try file.tensor(name, expectedShape: shapes[name]!) } catch {
                throw ModelError.invalid(file: weightsPath, place: "tensor \(name)", found: "\(error)", expected: "shape \(shapes[name]!)")
            }
            return t.scalars
        }
        let eps = config.batchNormEpsilon
        func bn(_ i: Int) throws -> FoldedBatchNorm {
            let p = i == 0 ? "batch_normalization" : "batch_normalization_\(i)"
            let g = try load(p + "/gamma"), b = try load(p + "/beta")
            let m = try load(p + "/moving_mean"), v = try load(p + "/moving_variance")
            // tf.nn.batch_normalization / FusedBatchNorm: inv = rsqrt(var + eps) · gamma, in float32.
            let scale = (0..<g.count).map { g[$0] / (v[$0] + eps).squareRoot() }
            return FoldedBatchNorm(scale: scale, shift: (0..<g.count).map { b[$0] - m[$0] * scale[$0] })
        }
        func conv(_ i: Int, bnIndex: Int) throws -> MusicnnConv {
            let p = i == 0 ? "conv2d" : "conv2d_\(i)"
            let shape = shapes[p + "/kernel"]!
            let k = try load(p + "/kernel")
            return MusicnnConv(kernel: Tensor(k, shape: [shape[0] * shape[1] * shape[2], shape[3]]), bias: try load(p + "/bias"),
                               bn: try bn(bnIndex), kh: shape[0], kw: shape[1])
        }
        inputBN = try bn(0)
        frontend = try (0..<5).map { try conv($0, bnIndex: $0 + 1) }
        midend = try (5..<8).map { try conv($0, bnIndex: $0 + 1) }
        backendBN = try bn(9)
        dense = MusicnnConv(kernel: Tensor(try load("dense/kernel"), shape: [1506, 200]), bias: try load("dense/bias"),
                            bn: try bn(10), kh: 1, kw: 1)
        output = Tensor(try load("dense_1/kernel"), shape: [200, 50])
        outputBias = try load("dense_1/bias")
    }

    /// The installed registry model `name` (e.g. "musicnn-mtt") under `home`.
    /// - Throws: `.unknownModel`, `.notInstalled`, or load errors.
    public static func installed(_ name: String, home: String? = nil) throws -> Musicnn {
        let installer = ModelInstaller(home: home)
        _ = try installer.registry.entry(name)
        let dir = installer.directory(of: name)
        guard FileManager.default.fileExists(atPath: dir + "/" + ModelInstaller.installRecord) else {
            throw ModelError.notInstalled(name: name, path: dir)
        }
        return try Musicnn(directory: dir)
    }

    // MARK: forward

    /// One patch. x: [T, 96] log-mel frames (T = 187 for the trained length; any T ≥ 1 works, as in
    /// musicnn). Returns logits [50] and penultimate [200].
    public func forward(patch x: UnsafePointer<Float>, frames t: Int) -> MusicnnPatchOutput {
        precondition(t > 0, "Musicnn.forward: needs at least one frame, got \(t)")
        let f = config.nMels
        // Input batch norm (one channel), before any padding: models.py frontend().
        var xn = [Float](repeating: 0, count: t * f)
        let s0 = inputBN.scale[0], h0 = inputBN.shift[0]
        for i in 0..<(t * f) { xn[i] = x[i] * s0 + h0 }

        // Front-end: [T, 561] = f74 | f77 | s1 | s2 | s3.
        var front = [Float](repeating: 0, count: t * Musicnn.frontendChannels)
        var column = 0
        for layer in frontend {
            let y = layer.kw > 1 ? timbral(xn, frames: t, layer) : temporal(xn, frames: t, layer)
            for r in 0..<t {
                for c in 0..<layer.channels { front[r * Musicnn.frontendChannels + column + c] = y[r * layer.channels + c] }
            }
            column += layer.channels
        }

        // Mid-end: conv1 (adapting dims), conv2 + res, conv3 + res; dense-connected features [T, 753].
        let m1 = midConv(front, frames: t, inChannels: Musicnn.frontendChannels, midend[0])
        var m2 = midConv(m1, frames: t, inChannels: 64, midend[1])
        for i in 0..<m2.count { m2[i] += m1[i] }
        var m3 = midConv(m2, frames: t, inChannels: 64, midend[2])
        for i in 0..<m3.count { m3[i] += m2[i] }

        // Back-end: per channel (max, mean) over time, interleaved as flatten(concat([max, mean], 2)).
        let cm = Musicnn.midendChannels
        var pooled = [Float](repeating: 0, count: 2 * cm)
        func pool(_ src: [Float], width: Int, at offset: Int) {
            var mx = [Float](repeating: -.infinity, count: width), sum = [Float](repeating: 0, count: width)
            src.withUnsafeBufferPointer { x in
                mx.withUnsafeMutableBufferPointer { m in
                    sum.withUnsafeMutableBufferPointer { a in
                        for r in 0..<t {
                            let row = x.baseAddress! + r * width
                            for c in 0..<width { m[c] = max(m[c], row[c]); a[c] += row[c] }
                        }
                    }
                }
            }
            for c in 0..<width {
                pooled[2 * (offset + c)] = mx[c]
                pooled[2 * (offset + c) + 1] = sum[c] / Float(t)
            }
        }
        pool(front, width: Musicnn.frontendChannels, at: 0)
        pool(m1, width: 64, at: Musicnn.frontendChannels)
        pool(m2, width: 64, at: Musicnn.frontendChannels + 64)
        pool(m3, width: 64, at: Musicnn.frontendChannels + 128)
        for i in 0..<pooled.count { pooled[i] = pooled[i] * backendBN.scale[i] + backendBN.shift[i] }

        let hidden = matmul(Tensor(pooled, shape: [1, 2 * cm]), dense.kernel)
        var penultimate = [Float](repeating: 0, count: 200)
        let h = hidden.scalars
        for c in 0..<200 { penultimate[c] = max(h[c] + dense.bias[c], 0) * dense.bn.scale[c] + dense.bn.shift[c] }
        let out = matmul(Tensor(penultimate, shape: [1, 200]), output)
        let o = out.scalars
        let logits = (0..<outputBias.count).map { o[$0] + outputBias[$0] }
        return MusicnnPatchOutput(logits: logits, penultimate: penultimate)
    }

    /// relu(y + b)·scale + shift, then max over the `width` frequency rows of each frame.
    /// y: [T·width, C] → [T, C]
    func reluBatchNormMaxOverFrequency(_ y: Tensor, frames t: Int, width: Int, _ layer: MusicnnConv) -> [Float] {
        let c = layer.channels
        var out = [Float](repeating: -.infinity, count: t * c)
        layer.bias.withUnsafeBufferPointer { b in
            layer.bn.scale.withUnsafeBufferPointer { s in
                layer.bn.shift.withUnsafeBufferPointer { h in
                    out.withUnsafeMutableBufferPointer { o in
                        for r in 0..<t {
                            let acc = o.baseAddress! + r * c
                            for q in 0..<width {
                                let row = y.base + (r * width + q) * c
                                for k in 0..<c { acc[k] = max(acc[k], max(row[k] + b[k], 0) * s[k] + h[k]) }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// timbral_block: conv [7, kw] 'valid' over the input zero-padded by 3 frames on each side in
    /// time → ReLU → BN → max over the 96 − kw + 1 frequency positions.  xn: [T, 96] → [T, C]
    func timbral(_ xn: [Float], frames t: Int, _ layer: MusicnnConv) -> [Float] {
        let f = config.nMels, kh = layer.kh, kw = layer.kw
        let fo = f - kw + 1, k = kh * kw, pad = (kh - 1) / 2
        let col = Tensor(uninitialized: [t * fo, k])
        let p = col.base
        xn.withUnsafeBufferPointer { x in
            for r in 0..<t {
                for dt in 0..<kh {
                    let src = r + dt - pad
                    for q in 0..<fo {
                        let dst = p + (r * fo + q) * k + dt * kw
                        if src < 0 || src >= t {
                            dst.update(repeating: 0, count: kw)
                        } else {
                            dst.update(from: x.baseAddress! + src * f + q, count: kw)
                        }
                    }
                }
            }
        }
        return reluBatchNormMaxOverFrequency(matmul(col, layer.kernel), frames: t, width: fo, layer)
    }

    /// tempo_block: conv [kh, 1] 'same' (TF pads (kh−1)/2 before, the rest after) → ReLU → BN →
    /// max over the 96 frequency rows.  xn: [T, 96] → [T, C]
    func temporal(_ xn: [Float], frames t: Int, _ layer: MusicnnConv) -> [Float] {
        let f = config.nMels, kh = layer.kh, before = (kh - 1) / 2
        // Row dt of colT is the padded input shifted by dt frames: colT[dt, r·96 + q] = xpad[r + dt, q].
        let colT = Tensor(zeros: [kh, t * f])
        xn.withUnsafeBufferPointer { x in
            for dt in 0..<kh {
                let lo = max(0, before - dt), hi = min(t, t + before - dt)  // output frames whose source lies inside
                if lo < hi {
                    (colT.base + dt * t * f + lo * f).update(from: x.baseAddress! + (lo + dt - before) * f, count: (hi - lo) * f)
                }
            }
        }
        return reluBatchNormMaxOverFrequency(matmul(colT, layer.kernel, transposeA: true), frames: t, width: f, layer)
    }

    /// midend conv: [7, C_in] 'valid' over the input zero-padded by 3 frames → ReLU → BN.
    /// x: [T, C_in] → [T, 64]
    func midConv(_ x: [Float], frames t: Int, inChannels cin: Int, _ layer: MusicnnConv) -> [Float] {
        let kh = layer.kh, pad = (kh - 1) / 2, c = layer.channels
        let col = Tensor(zeros: [t, kh * cin])
        x.withUnsafeBufferPointer { xb in
            for r in 0..<t {
                for dt in 0..<kh {
                    let src = r + dt - pad
                    if src >= 0 && src < t { (col.base + r * kh * cin + dt * cin).update(from: xb.baseAddress! + src * cin, count: cin) }
                }
            }
        }
        let product = matmul(col, layer.kernel)  // [T, 64]; kept alive while `y` points into it
        let y = product.base
        var out = [Float](repeating: 0, count: t * c)
        withExtendedLifetime(product) {
        layer.bias.withUnsafeBufferPointer { b in
            layer.bn.scale.withUnsafeBufferPointer { s in
                layer.bn.shift.withUnsafeBufferPointer { h in
                    out.withUnsafeMutableBufferPointer { o in
                        for r in 0..<t {
                            let src = y + r * c, dst = o.baseAddress! + r * c
                            for k in 0..<c { dst[k] = max(src[k] + b[k], 0) * s[k] + h[k] }
                        }
                    }
                }
            }
        }
        }
        return out
    }

    // MARK: clips

    /// Start frames of extractor.py batch_data's patches: range(0, T − n + 1, hop); a log-mel
    /// shorter than one patch (where musicnn fails) gives one repeat-padded patch at 0.
    public func patchStarts(frames t: Int) -> [Int] {
        let n = config.patchFrames
        if t < n { return [0] }
        return Array(stride(from: 0, to: t - n + 1, by: config.patchHop))
    }

    /// Taggram, mean tag probabilities and mean penultimate embedding of one clip.
    /// - logMel: [T, 96] row-major (`Musicnn.roundPowerToFloat16` applied when mirroring extractor.py)
    /// - workers: patches run in parallel on this many threads (one BLAS thread each)
    public func analyze(logMel: [Float], frames t: Int, workers: Int = 1) -> MusicnnClipOutput {
        let f = config.nMels, n = config.patchFrames
        precondition(t > 0 && logMel.count == t * f, "Musicnn.analyze: log-mel of \(logMel.count) values is not [\(t), \(f)] with T > 0")
        let starts = patchStarts(frames: t)
        var outputs = [MusicnnPatchOutput?](repeating: nil, count: starts.count)
        let lock = NSLock()
        Parallel.forEach(starts.count, workers: workers) { i in
            var patch = [Float](repeating: 0, count: n * f)
            for r in 0..<n {
                let src = t < n ? r % t : starts[i] + r  // repeat-pad ("pad_short": "repeat-pad" in config.json of the checkpoint)
                for q in 0..<f { patch[r * f + q] = logMel[src * f + q] }
            }
            let o = patch.withUnsafeBufferPointer { forward(patch: $0.baseAddress!, frames: n) }
            lock.lock(); outputs[i] = o; lock.unlock()
        }
        let patches = outputs.map { $0! }
        let taggram = patches.map { $0.logits.map { 1 / (1 + exp(-$0)) } }
        let count = Float(patches.count)
        let probabilities = (0..<50).map { j in taggram.reduce(0) { $0 + $1[j] } / count }
        let embedding = (0..<200).map { j in patches.reduce(0) { $0 + $1.penultimate[j] } / count }
        return MusicnnClipOutput(taggram: taggram, tagProbabilities: probabilities, embedding: embedding, padded: t < n)
    }

    /// extractor.py casts the mel power to float16 before log10(10000·x + 1): given that log-mel
    /// (computed in float32), recovers x, rounds it to float16 and takes the log again. Powers above
    /// float16's largest finite value (65504) are clamped to it where numpy would give inf.
    public static func roundPowerToFloat16(_ logMel: inout [Float]) {
        let largest = Float(Float16.greatestFiniteMagnitude)
        for i in 0..<logMel.count {
            let power = (pow(10, logMel[i]) - 1) / 10000
            let half = Float(Float16(min(max(power, 0), largest)))
            logMel[i] = log10(10000 * half + 1)
        }
    }
}
