// Probes against scikit-learn 1.9.1 (golden file from Scripts/golden/gen_probe_golden.py):
// roc_auc_score / average_precision_score to 1e-6, balanced_accuracy_score to 1e-12 (pairs,
// argmax of probabilities, multi-label mean at p > 0.5), and StandardScaler + LogisticRegression(lbfgs)
// fits — scaler, coefficients, intercepts, test probabilities (1e-4), test ROC-AUC (±0.005) and
// the balanced accuracy of sklearn's predict() (1e-12).
import Foundation
import Probes
import XCTest

final class GoldenParityTests: XCTestCase {
    func golden(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "probe_golden", withExtension: "json", subdirectory: "Resources"),
                                "probe_golden.json missing: run Scripts/golden/gen_probe_golden.py", file: file, line: line)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], file: file, line: line)
    }

    static func doubles(_ any: Any?) -> [Double] { (any as? [NSNumber] ?? []).map(\.doubleValue) }
    static func matrix(_ any: Any?) -> [[Double]] { (any as? [[NSNumber]] ?? []).map { $0.map(\.doubleValue) } }
    static func ints(_ any: Any?) -> [Int] { (any as? [NSNumber] ?? []).map(\.intValue) }

    func testHeaderRecordsVersions() throws {
        let header = try XCTUnwrap(try golden()["header"] as? [String: Any])
        XCTAssertEqual(header["scikit-learn"] as? String, "1.9.1")
        XCTAssertNotNil(header["numpy"] as? String)
        XCTAssertNotNil(header["python"] as? String)
    }

    func testBinaryMetricsMatchSklearn() throws {
        let cases = try XCTUnwrap(try golden()["binary_metrics"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        var worst = 0.0
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let y = Self.ints(c["y_true"]).map { $0 == 1 }, s = Self.doubles(c["y_score"])
            let auc = try XCTUnwrap(RankingMetrics.rocAUC(labels: y, scores: s), name)
            let ap = try XCTUnwrap(RankingMetrics.averagePrecision(labels: y, scores: s), name)
            let refAUC = try XCTUnwrap(c["roc_auc"] as? Double), refAP = try XCTUnwrap(c["average_precision"] as? Double)
            XCTAssertEqual(auc, refAUC, accuracy: 1e-6, "\(name) roc_auc")
            XCTAssertEqual(ap, refAP, accuracy: 1e-6, "\(name) average_precision")
            worst = max(worst, abs(auc - refAUC), abs(ap - refAP))
        }
        print("binary metrics: max |Δ| vs sklearn \(worst) over \(cases.count) cases")
    }

    func testMultiLabelMacroMicroMatchSklearn() throws {
        let cases = try XCTUnwrap(try golden()["multilabel_metrics"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 3)
        var worst = 0.0
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let y = Self.matrix(c["y_true"]).map { $0.map { $0 == 1 } }, s = Self.matrix(c["y_score"])
            let a = RankingMetrics.averages(labels: y, scores: s)
            for (mine, key) in [(a.macroROCAUC, "roc_auc_macro"), (a.microROCAUC, "roc_auc_micro"),
                                (a.macroAP, "average_precision_macro"), (a.microAP, "average_precision_micro")] {
                let ref = try XCTUnwrap(c[key] as? Double), m = try XCTUnwrap(mine, "\(name) \(key)")
                XCTAssertEqual(m, ref, accuracy: 1e-6, "\(name) \(key)")
                worst = max(worst, abs(m - ref))
            }
        }
        print("multi-label metrics: max |Δ| vs sklearn \(worst) over \(cases.count) cases")
    }

    func testUndefinedMetricsAreNil() {
        XCTAssertNil(RankingMetrics.rocAUC(labels: [true, true], scores: [0.1, 0.2]))
        XCTAssertNil(RankingMetrics.rocAUC(labels: [false, false], scores: [0.1, 0.2]))
        XCTAssertNil(RankingMetrics.averagePrecision(labels: [false, false], scores: [0.1, 0.2]))
        let a = RankingMetrics.averages(labels: [[true, false], [false, false]], scores: [[0.9, 0.1], [0.2, 0.3]])
        XCTAssertEqual(a.macroROCAUC, 1.0)   // the second column has no positive and is left out
    }

    func testBalancedAccuracyMatchesSklearn() throws {
        let g = try XCTUnwrap(try golden()["balanced_accuracy"] as? [String: Any])
        let pairs = try XCTUnwrap(g["pairs"] as? [[String: Any]]), argmax = try XCTUnwrap(g["argmax"] as? [[String: Any]])
        let multi = try XCTUnwrap(g["multilabel"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(pairs.count, 15); XCTAssertGreaterThanOrEqual(argmax.count, 5); XCTAssertGreaterThanOrEqual(multi.count, 5)
        var worst = 0.0
        func check(_ mine: Double?, _ c: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws {
            let name = c["name"] as? String ?? "?"
            let ref = try XCTUnwrap(c["balanced_accuracy"] as? Double, name, file: file, line: line)
            let m = try XCTUnwrap(mine, name, file: file, line: line)
            XCTAssertEqual(m, ref, accuracy: 1e-12, name, file: file, line: line)
            worst = max(worst, abs(m - ref))
        }
        for c in pairs {
            try check(RankingMetrics.balancedAccuracy(truth: Self.ints(c["y_true"]), predicted: Self.ints(c["y_pred"])), c)
        }
        for c in argmax {
            try check(RankingMetrics.balancedAccuracy(truth: Self.ints(c["y_true"]), probabilities: Self.matrix(c["proba"])), c)
            // The protocol's entry point gives the same for a single-label table.
            let y = Self.ints(c["y_true"]), p = Self.matrix(c["proba"])
            let labels = ProbeLabels.singleLabel(classes: (0..<p[0].count).map { "c\($0)" }, y: y)
            try check(RankingMetrics.evaluate(labels: labels, probabilities: p).balancedAccuracy, c)
        }
        for c in multi {
            let y = Self.matrix(c["y_true"]).map { $0.map { $0 == 1 } }, s = Self.matrix(c["y_score"])
            try check(RankingMetrics.macroBalancedAccuracy(labels: y, scores: s), c)
            let labels = ProbeLabels.multiLabel(tags: (0..<y[0].count).map { "t\($0)" }, y: y)
            try check(RankingMetrics.evaluate(labels: labels, probabilities: s).balancedAccuracy, c)
        }
        print("balanced accuracy: max |Δ| vs sklearn \(worst) over \(pairs.count + argmax.count + multi.count) cases")
    }

    func testBalancedAccuracyEdges() {
        XCTAssertNil(RankingMetrics.balancedAccuracy(truth: [], predicted: []))
        XCTAssertNil(RankingMetrics.binaryBalancedAccuracy(labels: [true, true], scores: [0.9, 0.1]))
        XCTAssertEqual(RankingMetrics.binaryBalancedAccuracy(labels: [true, false], scores: [0.5, 0.4]), 0.5, "0.5 is not above the threshold")
        XCTAssertEqual(RankingMetrics.argmax([0.2, 0.4, 0.4]), 1, "first maximum, as np.argmax")
    }

    func testLogisticRegressionMatchesSklearn() throws {
        let cases = try XCTUnwrap(try golden()["logistic"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 30)
        var worstScaler = 0.0, worstCoef = 0.0, worstProba = 0.0, worstAUC = 0.0, worstRef = 0.0
        for c in cases {
            let name = c["name"] as? String ?? "?"
            let kind = try XCTUnwrap(c["kind"] as? String)
            let C = try XCTUnwrap(c["C"] as? Double)
            let cw = ClassWeight(rawValue: try XCTUnwrap(c["class_weight"] as? String))!
            let xTrain = DenseMatrix(Self.matrix(c["x_train"])), xTest = DenseMatrix(Self.matrix(c["x_test"]))
            let k = try XCTUnwrap(c["n_classes"] as? Int)
            let labels: ProbeLabels
            if kind == "ovr" {
                labels = .multiLabel(tags: (0..<k).map { "t\($0)" }, y: Self.matrix(c["y_train"]).map { $0.map { $0 == 1 } })
            } else {
                labels = .singleLabel(classes: (0..<k).map { "c\($0)" }, y: Self.ints(c["y_train"]))
            }
            let probe = try LinearProbe.fit(x: xTrain, labels: labels, options: ProbeFitOptions(C: C, classWeight: cw))
            for (mine, ref) in [(probe.mean, Self.doubles(c["scaler_mean"])), (probe.scale, Self.doubles(c["scaler_scale"]))] {
                for (a, b) in zip(mine, ref) { worstScaler = max(worstScaler, abs(a - b) / max(1, abs(b))) }
            }
            let coef = Self.matrix(c["coef"]), intercept = Self.doubles(c["intercept"])
            XCTAssertEqual(probe.weights.count, coef.count, name)
            var dCoef = 0.0
            for (rm, rr) in zip(probe.weights, coef) { for (a, b) in zip(rm, rr) { dCoef = max(dCoef, abs(a - b)) } }
            for (a, b) in zip(probe.bias, intercept) { dCoef = max(dCoef, abs(a - b)) }
            let p = probe.probabilities(xTest)
            let ref = Self.matrix(c["proba"])
            XCTAssertEqual(p.count, ref.count, name)
            var dP = 0.0
            for (rm, rr) in zip(p, ref) {
                XCTAssertEqual(rm.count, rr.count, name)
                for (a, b) in zip(rm, rr) { dP = max(dP, abs(a - b)) }
            }
            XCTAssertLessThanOrEqual(dP, 1e-4, "\(name): probabilities differ by \(dP)")
            // sklearn's own lbfgs stops ~6e-6 from its newton-cholesky optimum (recorded in the golden).
            XCTAssertLessThanOrEqual(dCoef, 1e-4, "\(name): coefficients differ by \(dCoef)")
            // Test ROC-AUC as the golden computed it.
            let yTest: [[Bool]]
            if kind == "ovr" { yTest = Self.matrix(c["y_test"]).map { $0.map { $0 == 1 } } }
            else { yTest = Self.ints(c["y_test"]).map { y in (0..<k).map { $0 == y } } }
            let auc: Double
            if kind == "binary" {
                auc = try XCTUnwrap(RankingMetrics.rocAUC(labels: yTest.map { $0[1] }, scores: p.map { $0[1] }))
            } else {
                auc = try XCTUnwrap(RankingMetrics.averages(labels: yTest, scores: p).macroROCAUC)
            }
            let refAUC = try XCTUnwrap(c["test_roc_auc"] as? Double)
            XCTAssertEqual(auc, refAUC, accuracy: 0.005, name)
            // Hard predictions: argmax (binary, multinomial) or p > 0.5 per tag (ovr) against sklearn's predict().
            let testLabels: ProbeLabels = kind == "ovr" ? .multiLabel(tags: (0..<k).map { "t\($0)" }, y: yTest)
                                                         : .singleLabel(classes: (0..<k).map { "c\($0)" }, y: Self.ints(c["y_test"]))
            let bacc = try XCTUnwrap(RankingMetrics.evaluate(labels: testLabels, probabilities: p).balancedAccuracy, name)
            XCTAssertEqual(bacc, try XCTUnwrap(c["test_balanced_accuracy"] as? Double, name), accuracy: 1e-12, "\(name) balanced accuracy")
            worstCoef = max(worstCoef, dCoef); worstProba = max(worstProba, dP); worstAUC = max(worstAUC, abs(auc - refAUC))
            worstRef = max(worstRef, c["lbfgs_vs_newton_cholesky_max_abs"] as? Double ?? 0)
        }
        print("logistic parity over \(cases.count) fits: max |Δ| scaler (rel) \(worstScaler), coef/intercept \(worstCoef), "
              + "proba \(worstProba), test ROC-AUC \(worstAUC); sklearn lbfgs vs newton-cholesky \(worstRef)")
        XCTAssertLessThanOrEqual(worstScaler, 1e-9)
    }
}
