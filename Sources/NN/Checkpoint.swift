// Checkpoints: a directory holding weights.safetensors (parameters by name), optimizer.safetensors
// (AdamW moments) and state.json (step, epoch, generator states, anything the trainer records),
// written into a temporary sibling directory and renamed into place, so a checkpoint either
// exists whole or not at all (an older one is replaced only after the new one is complete).
// Leaves out sharding and compression.

import Foundation
import Autograd
import TensorCore

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case mismatch(file: String, found: String, expected: String)
    case unreadable(file: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .mismatch(file, found, expected): return "\(file): \(found); expected \(expected)"
        case let .unreadable(file, reason): return "\(file): \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write checkpoint (\(reason))"
        }
    }
}

public enum Checkpoint {
    /// Writes `files` (file name → tensors) and `state` (JSON object) into `directory` atomically.
    public static func write(to directory: String, files: [String: [(name: String, tensor: Tensor)]],
                             state: [String: Any]) throws {
        let fm = FileManager.default
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty { try? fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        let tmp = directory + ".tmp-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            for (file, tensors) in files {
                try SafeTensors.write(tensors.map { SafeTensors.Entry(name: $0.name, shape: $0.tensor.shape, data: $0.tensor.scalars) },
                                      to: tmp + "/" + file)
            }
            let json = try JSONSerialization.data(withJSONObject: state, options: [.prettyPrinted, .sortedKeys])
            try json.write(to: URL(fileURLWithPath: tmp + "/state.json"))
            let old = directory + ".old-\(getpid())"
            let hadOld = fm.fileExists(atPath: directory)
            if hadOld { try fm.moveItem(atPath: directory, toPath: old) }
            try fm.moveItem(atPath: tmp, toPath: directory)
            if hadOld { try? fm.removeItem(atPath: old) }
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw CheckpointError.writeFailed(path: directory, reason: "\(error)")
        }
    }

    /// state.json of a checkpoint directory.
    public static func readState(_ directory: String) throws -> [String: Any] {
        let file = directory + "/state.json"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CheckpointError.unreadable(file: file, reason: "no such file (not a checkpoint directory)")
        }
        guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CheckpointError.unreadable(file: file, reason: "not a JSON object")
        }
        return obj
    }

    /// Every tensor of one safetensors file of a checkpoint, by name.
    public static func readTensors(_ path: String) throws -> [String: Tensor] {
        let f = try SafeTensorsFile(path: path)
        var out: [String: Tensor] = [:]
        for n in f.names { out[n] = try f.tensor(n) }
        return out
    }

    /// Copies `tensors` into the parameters of the same names.
    /// - Throws: a mismatch naming the first missing tensor or shape difference
    public static func load(_ tensors: [String: Tensor], into parameters: [(name: String, variable: Variable)],
                            file: String, requireAll: Bool = true) throws {
        for p in parameters {
            guard let t = tensors[p.name] else {
                if requireAll { throw CheckpointError.mismatch(file: file, found: "no tensor \(p.name)", expected: "every parameter of the model") }
                continue
            }
            guard t.shape == p.variable.shape else {
                throw CheckpointError.mismatch(file: file, found: "\(p.name) with shape \(t.shape)",
                                               expected: "shape \(p.variable.shape) (a checkpoint of another model?)")
            }
            p.variable.value.base.update(from: t.contiguous().base, count: t.count)
        }
    }
}
