// How much a (source span, target candidate) pair looks like a correct projection: a logistic
// regression over the candidate's features, p = σ(b + Σ wᵢ·(xᵢ − μᵢ)/σᵢ), with the features
// standardised on the fitting data. Fitted with Probes' solver (scikit-learn LogisticRegression's
// objective ½‖w‖² + C·Σ log-loss, intercept not penalised, C = 1/λ; tested against scikit-learn
// there). Saved as JSON with the run. Leaves out class weighting.

import Foundation
import Probes

public struct CandidateScorer: Codable, Equatable, Sendable {
    /// Feature names, in the order of `weights` (see `CandidateFeatures.names`).
    public var features: [String]
    public var mean: [Double]
    public var scale: [Double]
    public var weights: [Double]
    public var bias: Double
    /// A span is projected only when its best assignment has p ≥ threshold.
    public var threshold: Double
    /// What the weights were fitted on (files, pairs, counts): printed in reports.
    public var fittedOn: String
    /// Whether the fitting data had tagger spans (weights fitted with a tagger expect one at run time).
    public var usedTagger: Bool?

    public init(features: [String], mean: [Double], scale: [Double], weights: [Double], bias: Double,
                threshold: Double, fittedOn: String) {
        self.features = features; self.mean = mean; self.scale = scale; self.weights = weights
        self.bias = bias; self.threshold = threshold; self.fittedOn = fittedOn
    }

    /// P(correct) for one feature row (same order as `features`).
    public func probability(_ x: [Float]) -> Double {
        precondition(x.count == weights.count, "CandidateScorer: \(x.count) features, expected \(weights.count)")
        var z = bias
        for i in 0..<x.count { z += weights[i] * (Double(x[i]) - mean[i]) / scale[i] }
        return 1 / (1 + exp(-z))
    }

    /// Fits weights to rows `x` with 0/1 labels `y` (Probes' scikit-learn-equivalent solver:
    /// StandardScaler, then LogisticRegression(C = 1/l2) by L-BFGS to convergence).
    /// - l2: λ (= 1/C in scikit-learn's terms)
    /// - Precondition: at least one positive and one negative row.
    public static func fit(features: [String], x: [[Float]], y: [Bool], l2: Double = 1.0, threshold: Double = 0.5,
                           fittedOn: String) -> CandidateScorer {
        let d = features.count
        precondition(!x.isEmpty && x.allSatisfy { $0.count == d }, "CandidateScorer.fit: rows must have \(d) features")
        precondition(y.contains(true) && y.contains(false), "CandidateScorer.fit: needs positive and negative rows")
        let raw = DenseMatrix(x.map { $0.map(Double.init) })
        let standardizer = Standardizer(fitting: raw)
        let fit = LogisticRegression.fit(x: standardizer.transform(raw), y: y.map { $0 ? 1 : 0 }, classes: 2, C: 1 / l2)
        return CandidateScorer(features: features, mean: standardizer.mean, scale: standardizer.scale, weights: fit.weights[0],
                               bias: fit.bias[0], threshold: threshold, fittedOn: fittedOn)
    }

    // MARK: files

    public func save(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(self)
        let tmp = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: data) else {
            throw ProjectionError.invalidSetting(name: "weights file", found: path, expected: "a writable path")
        }
        if rename(tmp, path) != 0 {
            unlink(tmp)
            throw ProjectionError.invalidSetting(name: "weights file", found: path, expected: "a writable path (rename failed)")
        }
    }

    public static func load(path: String) throws -> CandidateScorer {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProjectionError.invalidSetting(name: "weights file", found: path, expected: "a readable file written by `crosstalk project fit`")
        }
        let s: CandidateScorer
        do { s = try JSONDecoder().decode(CandidateScorer.self, from: data) } catch {
            throw ProjectionError.invalidSetting(name: "weights file", found: "\(path) (not a scorer JSON: \(error))",
                                                 expected: "the JSON written by `crosstalk project fit`")
        }
        guard s.features == CandidateFeatures.names, s.mean.count == s.features.count, s.scale.count == s.features.count,
              s.weights.count == s.features.count else {
            throw ProjectionError.invalidSetting(name: "weights file", found: "\(path) with features \(s.features)",
                                                 expected: "features \(CandidateFeatures.names)")
        }
        return s
    }
}
