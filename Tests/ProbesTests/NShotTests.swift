// The N-shot protocol and label tables: exact N positives per tag, N rows per class,
// determinism under a seed, the probe's JSON round trip, and one-line errors naming the place.
import Foundation
import Probes
import TensorCore
import XCTest

final class NShotTests: XCTestCase {
    /// N rows of D features and T sparse tags (about a quarter of the rows have none), learnable from x.
    static func multiLabelData(rows n: Int = 240, features d: Int = 6, tags t: Int = 4, seed: UInt64 = 7) -> (DenseMatrix, ProbeLabels) {
        var rng = SeededGenerator(seed: seed)
        var x = [Double](), y = [[Bool]]()
        for _ in 0..<n {
            var row = (0..<t).map { _ in Double(rng.nextUniform()) < 0.22 }
            if Double(rng.nextUniform()) < 0.25 { row = [Bool](repeating: false, count: t) }
            y.append(row)
            for j in 0..<d { x.append(Double(rng.nextNormal()) + (j < t && row[j] ? 1.5 : 0)) }
        }
        return (DenseMatrix(rows: n, cols: d, data: x), .multiLabel(tags: (0..<t).map { "tag\($0)" }, y: y))
    }

    func testMultiLabelSampleHasExactlyNPositivesPerTag() throws {
        let (_, labels) = Self.multiLabelData()
        let pool = Array(0..<200)
        for n in [1, 2, 5, 8] {
            for s in 0..<5 {
                var rng = SeededGenerator(seed: UInt64(100 * n + s))
                let (rows, exact) = try NShotSampler.sample(labels: labels, pool: pool, shots: n, using: &rng)
                XCTAssertTrue(exact, "n=\(n) seed \(s)")
                XCTAssertEqual(labels.counts(in: rows), [Int](repeating: n, count: 4), "n=\(n) seed \(s)")
                XCTAssertEqual(Set(rows).count, rows.count)
                XCTAssertTrue(rows.allSatisfy { pool.contains($0) })
                guard case .multiLabel(_, let y) = labels else { return XCTFail() }
                let untagged = rows.filter { !y[$0].contains(true) }.count
                XCTAssertEqual(untagged, rows.count - untagged, "matched negatives n=\(n)")
            }
        }
    }

    func testSingleLabelSampleHasNRowsPerClass() throws {
        var rng = SeededGenerator(seed: 3)
        let y = (0..<90).map { _ in rng.nextInt(below: 3) }
        let labels = ProbeLabels.singleLabel(classes: ["a", "b", "c"], y: y)
        var r2 = SeededGenerator(seed: 11)
        let (rows, exact) = try NShotSampler.sample(labels: labels, pool: Array(0..<90), shots: 4, using: &r2)
        XCTAssertTrue(exact)
        XCTAssertEqual(labels.counts(in: rows), [4, 4, 4])
    }

    func testTooFewPositivesIsAnError() {
        let labels = ProbeLabels.multiLabel(tags: ["rare", "common"], y: [[true, false], [false, true], [false, true], [false, false]])
        var rng = SeededGenerator(seed: 1)
        XCTAssertThrowsError(try NShotSampler.sample(labels: labels, pool: [0, 1, 2, 3], shots: 2, using: &rng)) { e in
            XCTAssertEqual("\(e)", "'rare': found 1 positive training rows; expected at least 2 for 2 shots")
        }
        let proto = NShotProtocol(shots: [.count(1), .count(5)], seeds: 2, seed: 0, options: ProbeFitOptions(C: 1))
        XCTAssertThrowsError(try proto.validate(labels: labels, train: [0, 1, 2, 3])) { e in
            XCTAssertEqual(e as? ProbeError, .tooFewTrainingRows(name: "rare", found: 1, needed: 5, shots: "5"))
        }
    }

    func testSameSeedSameMetricsDifferentSeedDifferentDraws() throws {
        let (x, labels) = Self.multiLabelData()
        let train = Array(0..<180), test = Array(180..<240)
        let proto = NShotProtocol(shots: [.count(3), .count(10), .all], seeds: 3, seed: 42, options: ProbeFitOptions())
        let a = try proto.run(x: x, labels: labels, train: train, test: test)
        let b = try proto.run(x: x, labels: labels, train: train, test: test, workers: 1)
        XCTAssertEqual(a, b, "same seed, any thread count → same metrics")
        XCTAssertEqual(a.map(\.shots), ["3", "10", "all"])
        XCTAssertEqual(a.map(\.runs), [3, 3, 1])
        XCTAssertEqual(a[2].macroROCAUC.std, 0)
        let all = try XCTUnwrap(a[2].macroROCAUC.mean)
        XCTAssertGreaterThan(all, 0.75, "the tags are learnable from x")
        var other = proto
        other.seed = 43
        let c = try other.run(x: x, labels: labels, train: train, test: test)
        XCTAssertNotEqual(a[0].macroROCAUC, c[0].macroROCAUC)
        XCTAssertEqual(a[2].trainRows, c[2].trainRows)
    }

    // MARK: balanced accuracy and rare tags

    func testSummariesCarryBalancedAccuracy() throws {
        let (x, labels) = Self.multiLabelData()
        let proto = NShotProtocol(shots: [.count(5), .all], seeds: 2, seed: 1, options: ProbeFitOptions(C: 1))
        let r = try proto.run(x: x, labels: labels, train: Array(0..<180), test: Array(180..<240))
        let all = try XCTUnwrap(r[1].balancedAccuracy.mean)
        XCTAssertGreaterThan(all, 0.6, "the tags are learnable from x")
        XCTAssertLessThanOrEqual(all, 1)
        XCTAssertNotNil(r[0].balancedAccuracy.std)
        XCTAssertEqual(r.map(\.skippedTags), [[], []])
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(r[0])) as? [String: Any])
        XCTAssertNotNil(json["balanced_accuracy"] as? [String: Double])
        XCTAssertEqual(json["skipped_tags"] as? [String], [])
    }

    /// multiLabelData plus a fifth tag "rare", positive in rows 0, 1, 2 (pool) and 200 (test) only.
    static func withRareTag() -> (DenseMatrix, ProbeLabels) {
        let (x, labels) = multiLabelData()
        guard case .multiLabel(let tags, let y) = labels else { fatalError("multi-label expected") }
        return (x, .multiLabel(tags: tags + ["rare"], y: y.enumerated().map { i, row in row + [[0, 1, 2, 200].contains(i)] }))
    }

    func testRareTagsSkipLeavesTheTagOutOfThatShotsValueOnly() throws {
        let (x, labels) = Self.withRareTag()
        let train = Array(0..<180), test = Array(180..<240)
        let fail = NShotProtocol(shots: [.count(2), .count(5), .all], seeds: 2, seed: 3, options: ProbeFitOptions(C: 1))
        XCTAssertThrowsError(try fail.run(x: x, labels: labels, train: train, test: test)) {
            XCTAssertEqual($0 as? ProbeError, .tooFewTrainingRows(name: "rare", found: 3, needed: 5, shots: "5"))
        }
        var skip = fail
        skip.rareTags = .skip
        XCTAssertEqual(skip.skippedTags(labels: labels, train: train, shots: .count(5)).map(\.tag), [4])
        XCTAssertEqual(skip.skippedTags(labels: labels, train: train, shots: .count(5)).first?.reason, "3 positive training rows, 5 needed")
        XCTAssertEqual(skip.keptTags(labels: labels, train: train, shots: .count(2)), [0, 1, 2, 3, 4])
        let r = try skip.run(x: x, labels: labels, train: train, test: test)
        XCTAssertEqual(r.map(\.skippedTags), [[], ["rare"], []])
        // 5 shots with "rare" left out = 5 shots on a table without it (same draws, fits and metrics).
        let without = try fail.run(x: x, labels: labels.selectingTags([0, 1, 2, 3]), train: train, test: test)
        XCTAssertEqual(r[1].macroROCAUC, without[1].macroROCAUC)
        XCTAssertEqual(r[1].balancedAccuracy, without[1].balancedAccuracy)
        XCTAssertEqual(r[1].trainRows, without[1].trainRows)
        XCTAssertNotEqual(r[0].macroROCAUC, without[0].macroROCAUC, "2 shots still fit and score 'rare'")
        // With no rare tag, skip changes nothing.
        XCTAssertEqual(try skip.run(x: x, labels: labels.selectingTags([0, 1, 2, 3]), train: train, test: test), without)
        // The report lists what was left out.
        let rep = ProbeReport(task: "multi-label", labels: labels.names, shots: skip.shots, seeds: 2, seed: 3, classWeight: .none, C: 1,
                              trainRows: 180, testRows: 60, splitSource: "test", rareTags: .skip,
                              results: [FeatureSetResult(name: "x", features: "x.npy", summaries: r)])
        XCTAssertEqual(rep.skippedTags, ["5": ["rare"]])
        XCTAssertEqual(rep.rareTags, "skip")
        XCTAssertTrue(rep.markdown().contains("per shots value: 5: rare."), rep.markdown())
        XCTAssertTrue(rep.markdown().contains("| balanced accuracy |"))
        XCTAssertTrue(rep.svg().contains("balanced accuracy vs shots"))
    }

    func testRareTagsSkipStillFailsForClassesAndWhenNothingIsLeft() throws {
        var rng = SeededGenerator(seed: 3)
        let y = (0..<60).map { $0 < 4 ? 2 : rng.nextInt(below: 2) }
        let single = ProbeLabels.singleLabel(classes: ["a", "b", "c"], y: y)
        let proto = NShotProtocol(shots: [.count(5)], seeds: 1, seed: 0, options: ProbeFitOptions(C: 1), rareTags: .skip)
        XCTAssertThrowsError(try proto.validate(labels: single, train: Array(0..<60))) { e in
            XCTAssertEqual(e as? ProbeError, .rareClass(name: "c", found: 4, needed: 5, shots: "5"))
            XCTAssertTrue("\(e)".hasPrefix("'c': found 4 training rows; expected at least 5 for 5 shots (--rare-tags skip leaves out multi-label tags only"), "\(e)")
        }
        let multi = ProbeLabels.multiLabel(tags: ["p", "q"], y: (0..<20).map { [$0 < 2, $0 == 5] })
        XCTAssertThrowsError(try proto.validate(labels: multi, train: Array(0..<20))) {
            XCTAssertEqual($0 as? ProbeError, .allTagsSkipped(shots: "5"))
        }
    }

    func testProbeJSONRoundTripAndPredictions() throws {
        let (x, labels) = Self.multiLabelData(rows: 120)
        let probe = try LinearProbe.fit(x: x, labels: labels, options: ProbeFitOptions(C: 0.5, classWeight: .balanced))
        XCTAssertEqual(probe.C, [0.5, 0.5, 0.5, 0.5])
        XCTAssertEqual(probe.cSource, ["given", "given", "given", "given"])
        let data = try JSONEncoder().encode(probe)
        let back = try JSONDecoder().decode(LinearProbe.self, from: data)
        XCTAssertEqual(back, probe)
        XCTAssertNoThrow(try back.validate(path: "p.json"))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["mean", "scale", "weights", "bias", "names", "C", "task", "class_weight"] { XCTAssertNotNil(obj[key], key) }
        let p = back.probabilities(x)
        XCTAssertEqual(p.count, 120)
        XCTAssertTrue(p.allSatisfy { $0.count == 4 && $0.allSatisfy { $0 > 0 && $0 < 1 } })
    }

    func testCrossValidationChoosesFromTheGridOrDefaults() throws {
        let (x, labels) = Self.multiLabelData()
        let cv = try LinearProbe.fit(x: x, labels: labels, options: ProbeFitOptions())
        XCTAssertEqual(cv.cSource, ["cv", "cv", "cv", "cv"])
        XCTAssertTrue(cv.C.allSatisfy { [1e-3, 1e-2, 1e-1, 1, 10, 100].contains($0) })
        // 5 rows per class: fewer than 3 per class in each of 2 folds → the documented default.
        var rng = SeededGenerator(seed: 5)
        let y = (0..<10).map { $0 % 2 }
        let xs = DenseMatrix(rows: 10, cols: 2, data: (0..<20).map { _ in Double(rng.nextNormal()) })
        let d = try LinearProbe.fit(x: xs, labels: .singleLabel(classes: ["n", "y"], y: y), options: ProbeFitOptions())
        XCTAssertEqual(d.C, [1.0]); XCTAssertEqual(d.cSource, ["default"])
    }

    // MARK: label tables

    func testParsesMultiLabelTableWithSplitAndIgnoredColumns() throws {
        let t = try LabelTable.parse("id,split,rock,jazz\r\na,train,1,0\r\nb,test,0,1\r\nc,TRAIN,1,1\r\n\r\n", path: "y.csv")
        XCTAssertEqual(t.labels, .multiLabel(tags: ["rock", "jazz"], y: [[true, false], [false, true], [true, true]]))
        XCTAssertEqual(t.split, [.train, .test, .train])
        XCTAssertEqual(t.ignoredColumns, ["id"])
        let (train, test) = try t.trainTest(seed: 0)
        XCTAssertEqual(train, [0, 2]); XCTAssertEqual(test, [1])
    }

    func testParsesSingleLabelTableAndSplitsStratified() throws {
        var text = "subject,label\n"
        for i in 0..<40 { text += "s\(i),\(["rest", "eyes-closed"][i % 2])\n" }
        let t = try LabelTable.parse(text, path: "y.csv")
        guard case .singleLabel(let classes, let y) = t.labels else { return XCTFail() }
        XCTAssertEqual(classes, ["eyes-closed", "rest"])
        XCTAssertEqual(y[0], 1)
        let (train, test) = try t.trainTest(seed: 9)
        XCTAssertEqual(test.count, 10)
        XCTAssertEqual(t.labels.counts(in: test), [5, 5])
        XCTAssertEqual(Set(train + test).count, 40)
        XCTAssertEqual(try t.trainTest(seed: 9).test, test)
    }

    func testLabelTableErrorsNameFileAndLine() {
        func message(_ text: String) -> String {
            do { _ = try LabelTable.parse(text, path: "y.csv"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(message("rock,jazz\n1,0\n1\n"), "y.csv:3: found 1 fields; expected 2, as in the header")
        XCTAssertEqual(message("rock,jazz\n1,0\n1,yes\n"), "y.csv:3: column 'jazz' holds 'yes'; expected 0 or 1")
        XCTAssertEqual(message("split,rock\nval,1\n"), "y.csv:2: split 'val'; expected train, test or base")
        XCTAssertEqual(message("rock\n"), "y.csv: found no data rows; expected a header line and one row per feature row")
        XCTAssertEqual(message("label\na\na\n"), "y.csv: found 1 distinct label(s); expected at least 2 classes")
        XCTAssertEqual(message("rock,rock\n1,0\n"), "y.csv:1: column 'rock' appears twice; expected unique names")
        XCTAssertEqual(message("label,rock\na,1\n"), "y.csv: found 1 distinct label(s); expected at least 2 classes")
        XCTAssertThrowsError(try Shots.parseList("1,five")) { XCTAssertEqual("\($0)", "--shots: 'five' is not a shot count; expected non-negative integers or 'all', comma-separated") }
        XCTAssertEqual(try Shots.parseList("1, 5,all,5"), [.count(1), .count(5), .all])
        XCTAssertEqual(try Shots.parseList("0,1"), [.count(0), .count(1)])
        XCTAssertThrowsError(try Shots.parseList("-1")) { XCTAssertEqual($0 as? ProbeError, .badShots(value: "-1")) }
    }

    func testLabelColumnMakesEveryOtherColumnMetadata() throws {
        // The Y.csv `crosstalk eeg features --split-target` writes.
        let text = """
            label,subject,session,file,onset_s,split
            face,subject2,session1,a.csv,1.250000,base
            house,subject2,session1,a.csv,2.500000,base
            face,subject1,session1,b.csv,1.000000,train
            house,subject1,session1,b.csv,2.000000,test
            house,subject1,session1,b.csv,3.000000,train

            """
        let t = try LabelTable.parse(text, path: "Y.csv")
        XCTAssertEqual(t.labels, .singleLabel(classes: ["face", "house"], y: [0, 1, 0, 1, 1]))
        XCTAssertEqual(t.ignoredColumns, ["subject", "session", "file", "onset_s"])
        XCTAssertEqual(t.split, [.base, .base, .train, .test, .train])
        XCTAssertEqual(try t.splits(seed: 0), ProbeSplits(base: [0, 1], train: [2, 4], test: [3]))
        XCTAssertEqual(try t.splits(seed: 0).allTraining, [0, 1, 2, 4])
        XCTAssertEqual(try t.trainTest(seed: 0).train, [0, 1, 2, 4], "base rows count as training rows")
    }

    func testIgnoreColumnsInAMultiLabelTable() throws {
        let text = "session,onset_s,rock,jazz\ns1,0.5,1,0\ns2,1.5,0,1\n"
        XCTAssertThrowsError(try LabelTable.parse(text, path: "y.csv")) {
            XCTAssertEqual("\($0)", "y.csv:2: column 'session' holds 's1'; expected 0 or 1")
        }
        let t = try LabelTable.parse(text, path: "y.csv", ignoring: ["session", "onset_s"])
        XCTAssertEqual(t.labels, .multiLabel(tags: ["rock", "jazz"], y: [[true, false], [false, true]]))
        XCTAssertEqual(t.ignoredColumns, ["session", "onset_s"])
        XCTAssertThrowsError(try LabelTable.parse(text, path: "y.csv", ignoring: ["sesion"])) {
            XCTAssertEqual("\($0)", "y.csv:1: no column 'sesion' to ignore; expected one of session,onset_s,rock,jazz")
        }
    }

    // MARK: base rows

    /// 3 blocks of 60 rows (base, train pool, test), two classes alternating, learnable from x.
    static func baseTrainTest() -> (DenseMatrix, ProbeLabels, base: [Int], train: [Int], test: [Int]) {
        var rng = SeededGenerator(seed: 17)
        let y = (0..<180).map { $0 % 2 }
        let x = DenseMatrix(rows: 180, cols: 3, data: (0..<540).map { k in Double(rng.nextNormal()) + (k % 3 == 0 && y[k / 3] == 1 ? 2 : 0) })
        return (x, .singleLabel(classes: ["face", "house"], y: y), Array(0..<60), Array(60..<120), Array(120..<180))
    }

    func testShotsAreDrawnFromTheTrainPoolAndBaseIsAlwaysTrainedOn() throws {
        let (x, labels, base, train, test) = Self.baseTrainTest()
        let proto = NShotProtocol(shots: [.count(0), .count(3), .all], seeds: 4, seed: 1, options: ProbeFitOptions(C: 1))
        for s in 0..<4 {
            let rows = try proto.runOnce(x: x, labels: labels, train: train, test: test, base: base, shots: .count(3), seedIndex: s).trainRows
            XCTAssertTrue(Set(base).isSubset(of: rows), "base rows in every training set (seed \(s))")
            let drawn = rows.filter { !base.contains($0) }
            XCTAssertTrue(drawn.allSatisfy { train.contains($0) }, "draws only from the train pool: \(drawn)")
            XCTAssertEqual(labels.counts(in: drawn), [3, 3])
            XCTAssertTrue(rows.allSatisfy { !test.contains($0) })
        }
        let zero = try proto.runOnce(x: x, labels: labels, train: train, test: test, base: base, shots: .count(0), seedIndex: 0)
        XCTAssertEqual(zero.trainRows, base)
        let all = try proto.runOnce(x: x, labels: labels, train: train, test: test, base: base, shots: .all, seedIndex: 0)
        XCTAssertEqual(all.trainRows, base + train)
        let summary = try proto.run(x: x, labels: labels, train: train, test: test, base: base, workers: 2)
        XCTAssertEqual(summary.map(\.shots), ["0", "3", "all"])
        XCTAssertEqual(summary.map(\.runs), [1, 4, 1], "0 and all are one fit each")
        XCTAssertEqual(summary.map(\.trainRows), [60, 66, 120])
        XCTAssertEqual(proto.runCount, 6)
        XCTAssertGreaterThan(try XCTUnwrap(summary[0].macroROCAUC.mean), 0.75, "the base rows alone carry the signal")
    }

    func testZeroShotsNeedBaseRowsWithEveryClass() throws {
        let (_, labels, base, train, _) = Self.baseTrainTest()
        let proto = NShotProtocol(shots: [.count(0), .count(2)], seeds: 2, seed: 0, options: ProbeFitOptions(C: 1))
        XCTAssertThrowsError(try proto.validate(labels: labels, train: train)) {
            XCTAssertEqual("\($0)", "--shots 0: the label table has no rows with split 'base'; expected base rows (always trained on) for a 0-shot fit")
        }
        XCTAssertNoThrow(try proto.validate(labels: labels, train: train, base: base))
        let faceOnly = base.filter { $0 % 2 == 0 }
        XCTAssertThrowsError(try proto.validate(labels: labels, train: train, base: faceOnly)) {
            XCTAssertEqual($0 as? ProbeError, .tooFewTrainingRows(name: "house", found: 0, needed: 1, shots: "0"))
        }
        // Without 0 shots, base rows missing a class are fine: the pool supplies it.
        let proto2 = NShotProtocol(shots: [.count(2), .all], seeds: 2, seed: 0, options: ProbeFitOptions(C: 1))
        XCTAssertNoThrow(try proto2.validate(labels: labels, train: train, base: faceOnly))
        // Shots are counted in the pool, not the base.
        XCTAssertThrowsError(try NShotProtocol(shots: [.count(31)], seeds: 1, seed: 0, options: ProbeFitOptions()).validate(labels: labels, train: train, base: base)) {
            XCTAssertEqual($0 as? ProbeError, .tooFewTrainingRows(name: "face", found: 30, needed: 31, shots: "31"))
        }
    }

    // MARK: .npy features

    func testNPYMatrixKeepsFloat64AndReadsFloat32() throws {
        func npy(_ descr: String, _ shape: String, _ payload: [UInt8]) -> [UInt8] {
            var h = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
            h += String(repeating: " ", count: (64 - (10 + h.utf8.count + 1) % 64) % 64) + "\n"
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(h.utf8.count & 0xff), UInt8(h.utf8.count >> 8)] + Array(h.utf8) + payload
        }
        let values: [Double] = [0.1, -1e-300, 3.141592653589793, 1e300, 2.5, 7]
        let f8 = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        let m = try NPYMatrix.decode(npy("<f8", "(2, 3)", f8), path: "x.npy")
        XCTAssertEqual(m.rows, 2); XCTAssertEqual(m.cols, 3)
        XCTAssertEqual(m.data, values, "float64 kept bit for bit")
        let f4 = values.flatMap { v in withUnsafeBytes(of: Float(v).bitPattern.littleEndian, Array.init) }
        XCTAssertEqual(try NPYMatrix.decode(npy("<f4", "(3, 2)", f4)).data, values.map { Double(Float($0)) })
        XCTAssertThrowsError(try NPYMatrix.decode(npy("<f8", "(6,)", f8), path: "x.npy")) {
            XCTAssertEqual($0 as? ProbeError, .notMatrix(path: "x.npy", shape: [6]))
        }
        XCTAssertThrowsError(try NPYMatrix.decode(npy("<i8", "(2, 3)", f8), path: "x.npy")) {
            XCTAssertEqual("\($0)", "x.npy: not a supported .npy file (dtype '<i8'; expected '<f4' or '<f8')")
        }
        XCTAssertThrowsError(try NPYMatrix.decode(Array(npy("<f8", "(2, 3)", f8).dropLast()), path: "x.npy")) {
            XCTAssertEqual("\($0)", "x.npy: not a supported .npy file (47 data bytes for shape [2, 3] of '<f8'; expected 48)")
        }
    }
}
