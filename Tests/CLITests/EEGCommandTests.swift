// `crosstalk eeg features|info` as a user runs them: one real eeg_notebooks recording to X.npy and
// Y.csv (shapes, rows, columns), the three feature kinds, a saved and reused tangent-space
// reference, the duplicate recording skipped with a note, a leave-subjects-out split column fed to
// `probe fit` (base rows, 0 shots), `info` on CSV and EDF+, and bad input
// (malformed CSV/EDF, impossible windows and bands) answered with one line and no output files.
import AudioFeatures
import Foundation
import XCTest

final class EEGCommandTests: XCTestCase {
    static let recording = "N170/subject1/session1/data_2017-09-13-15.30.01.csv"

    /// The eeg_notebooks folder (CROSSTALK_DATA or ../shared/corpora beside the package) or a skip.
    func corpus() throws -> String {
        var roots = [String]()
        if let env = ProcessInfo.processInfo.environment["CROSSTALK_DATA"], !env.isEmpty { roots.append(env) }
        roots.append(CLI.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora").path)
        for r in roots where FileManager.default.fileExists(atPath: r + "/eeg_notebooks/N170") { return r + "/eeg_notebooks" }
        throw XCTSkip("skipped: corpus not found (eeg_notebooks; set CROSSTALK_DATA or place ../shared/corpora)")
    }

    func readCSV(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    func testBandpowerOnOneRecordingWritesFeaturesAndLabels() throws {
        let file = try corpus() + "/" + Self.recording
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = dir.appendingPathComponent("X.npy").path, y = dir.appendingPathComponent("Y.csv").path
        let r = try CLI.run(["eeg", "features", "--data", file, "--features", "bandpower", "--band", "1,30",
                             "--tmin", "-0.1", "--tmax", "0.8", "--reject", "100", "-o", x, "--labels", y])
        XCTAssertEqual(r.status, 0, r.stderr)
        // 197 events: 4 exceed 100 µV peak-to-peak after the 1–30 Hz band-pass.
        XCTAssertEqual(try NPY.read(path: x).shape, [193, 4 * 5])
        let rows = try readCSV(y)
        XCTAssertEqual(rows[0], ["label", "subject", "session", "file", "onset_s"])
        XCTAssertEqual(rows.count, 1 + 193)
        XCTAssertEqual(Set(rows.dropFirst().map { $0[0] }), ["house", "face"])
        XCTAssertEqual(Set(rows.dropFirst().map { $0[1] + "/" + $0[2] }), ["subject1/session1"])
        XCTAssertEqual(rows[1][3], file)
        let onsets = rows.dropFirst().map { Double($0[4])! }
        XCTAssertEqual(onsets, onsets.sorted())
        XCTAssertTrue(r.stderr.contains("197 events, 193 kept, 4 rejected"), r.stderr)
    }

    func testERPAndTangentShapesAndAReusedReference() throws {
        let file = try corpus() + "/" + Self.recording
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = { dir.appendingPathComponent($0).path }
        let erp = try CLI.run(["eeg", "features", "--data", file, "--features", "erp", "-o", p("erp.npy"), "--labels", p("erp.csv")])
        XCTAssertEqual(erp.status, 0, erp.stderr)
        XCTAssertEqual(try NPY.read(path: p("erp.npy")).shape, [193, 4 * (232 / 8)])
        let ts = try CLI.run(["eeg", "features", file, "--features", "tangent", "-o", p("ts.npy"), "--labels", p("ts.csv"), "--reference-out", p("ref.npy")])
        XCTAssertEqual(ts.status, 0, ts.stderr)
        XCTAssertEqual(try NPY.read(path: p("ts.npy")).shape, [193, 10])
        XCTAssertEqual(try NPY.read(path: p("ref.npy")).shape, [4, 4])
        // The saved reference reproduces the fitted features (to float32 rounding of the reference).
        let again = try CLI.run(["eeg", "features", file, "--features", "tangent", "-o", p("ts2.npy"), "--labels", p("ts2.csv"), "--reference-from", p("ref.npy")])
        XCTAssertEqual(again.status, 0, again.stderr)
        let a = try NPY.read(path: p("ts.npy")).data, b = try NPY.read(path: p("ts2.npy")).data
        XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? 1, 1e-4)
        // Mean tangent vector at the fitted reference is ~0.
        for k in 0..<10 { XCTAssertEqual(stride(from: k, to: a.count, by: 10).reduce(0) { $0 + Double(a[$1]) } / 193, 0, accuracy: 1e-3) }
    }

    func testFolderSearchSkipsTheDuplicateRecording() throws {
        let subject3 = try corpus() + "/N170/subject3"
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = dir.appendingPathComponent("X.npy").path, y = dir.appendingPathComponent("Y.csv").path
        let r = try CLI.run(["eeg", "features", "--data", subject3, "--features", "bandpower", "--log", "-o", x, "--labels", y])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("note: skipping \(subject3)/session2/data_2018-05-14-19.38.10.csv: byte-identical to \(subject3)/session1/data_2018-05-14-19.38.10.csv"), r.stderr)
        let rows = try readCSV(y).dropFirst()
        XCTAssertEqual(Set(rows.map { $0[3] }).count, 4, "5 files, one a duplicate; the 7-marker file keeps none")
        XCTAssertEqual(Set(rows.map { $0[2] }), ["session1", "session2", "session3"])
        XCTAssertEqual(try NPY.read(path: x).shape[0], rows.count)
    }

    func testSplitTargetWritesASplitColumnThatProbeFitUses() throws {
        let root = try corpus()
        let target = root + "/" + Self.recording, other = root + "/N170/subject2/session1/data_2018-04-15-21.18.48.csv"
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = { dir.appendingPathComponent($0).path }
        // Leakage-free tangent reference: fitted on the other subject only, then reused for all.
        let ref = try CLI.run(["eeg", "features", other, "--features", "tangent", "-o", p("base.npy"), "--labels", p("base.csv"), "--reference-out", p("ref.npy")])
        XCTAssertEqual(ref.status, 0, ref.stderr)
        let r = try CLI.run(["eeg", "features", other, target, "--features", "tangent", "--reference-from", p("ref.npy"),
                             "--split-target", "subject1", "--test-fraction", "0.5", "--split-seed", "7", "-o", p("X.npy"), "--labels", p("Y.csv")])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try readCSV(p("Y.csv"))
        XCTAssertEqual(rows[0], ["label", "subject", "session", "file", "onset_s", "split"])
        let body = rows.dropFirst()
        XCTAssertTrue(body.allSatisfy { ($0[1] == "subject1") == ($0[5] != "base") }, "base = the other subject")
        let target1 = body.filter { $0[1] == "subject1" }
        XCTAssertEqual(target1.count, 193)
        for label in ["house", "face"] {
            let k = target1.filter { $0[0] == label }
            XCTAssertEqual(k.filter { $0[5] == "test" }.count, Int((Double(k.count) * 0.5).rounded()), label)
        }
        let counts = ["train", "test", "base"].map { s in body.filter { $0[5] == s }.count }
        XCTAssertTrue(r.stderr.contains("split: subject1 \(counts[0]) train, \(counts[1]) test; \(counts[2]) base (other subjects)"), r.stderr)
        // Same seed → same Y.csv.
        let again = try CLI.run(["eeg", "features", other, target, "--features", "bandpower", "--split-target", "subject1", "--split-seed", "7",
                                 "-o", p("X2.npy"), "--labels", p("Y2.csv")])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try String(contentsOfFile: p("Y2.csv"), encoding: .utf8), try String(contentsOfFile: p("Y.csv"), encoding: .utf8))

        let fit = try CLI.run(["probe", "fit", "--features", p("X.npy"), "--features", p("X2.npy"), "--name", "tangent", "--name", "bandpower",
                               "--labels", p("Y.csv"), "--shots", "0,2,all", "--seeds", "2", "--l2", "1", "--report", p("rep")])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let metrics = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p("rep/metrics.json")))) as? [String: Any])
        XCTAssertEqual(metrics["base_rows"] as? Int, counts[2])
        XCTAssertEqual(metrics["train_rows"] as? Int, counts[0])
        XCTAssertEqual(metrics["test_rows"] as? Int, counts[1])
        let sets = try XCTUnwrap(metrics["feature_sets"] as? [String: [String: [String: Any]]])
        XCTAssertEqual(sets["tangent"]?["0"]?["runs"] as? Int, 1)
        XCTAssertEqual(sets["tangent"]?["0"]?["train_rows"] as? Double, Double(counts[2]))
        XCTAssertEqual(sets["tangent"]?["2"]?["train_rows"] as? Double, Double(counts[2] + 4))
        XCTAssertEqual(sets["bandpower"]?["all"]?["train_rows"] as? Double, Double(counts[2] + counts[0]))

        assertOneLineError(try CLI.run(["eeg", "features", other, "--features", "bandpower", "--split-target", "subject1", "-o", p("X3.npy"), "--labels", p("Y3.csv")]),
                           contains: ["--split-target subject1: no kept epoch of that subject; expected one of subject2"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: p("Y3.csv")))
    }

    func testInfoOnCSVAndEDF() throws {
        let file = try corpus() + "/" + Self.recording
        let r = try CLI.run(["eeg", "info", file])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdoutText.contains("channels: 5 (TP9, AF7, AF8, TP10, Right AUX)"), r.stdoutText)
        XCTAssertTrue(r.stdoutText.contains("rate: 256 Hz"))
        XCTAssertTrue(r.stdoutText.contains("samples: 30732"))
        XCTAssertTrue(r.stdoutText.contains("events: 197 (1 house: 108, 2 face: 89)"), r.stdoutText)

        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let edf = dir.appendingPathComponent("tiny.edf").path
        try Data(Self.tinyEDF()).write(to: URL(fileURLWithPath: edf))
        let e = try CLI.run(["eeg", "info", edf])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdoutText.contains("format: EDF+C"), e.stdoutText)
        XCTAssertTrue(e.stdoutText.contains("channels: 1 (Fz 8 Hz uV)"), e.stdoutText)
        XCTAssertTrue(e.stdoutText.contains("duration: 2 s"), e.stdoutText)
        XCTAssertTrue(e.stdoutText.contains("annotations: 3 (face: 1, house: 2)"), e.stdoutText)

        let cut = dir.appendingPathComponent("cut.edf").path
        try Data(Self.tinyEDF().dropLast(10)).write(to: URL(fileURLWithPath: cut))
        assertOneLineError(try CLI.run(["eeg", "info", cut]), contains: [cut, "data records", "header declares 2 records", "truncated file?"])
        let head = dir.appendingPathComponent("head.edf").path
        try Data(Self.tinyEDF().prefix(200)).write(to: URL(fileURLWithPath: head))
        assertOneLineError(try CLI.run(["eeg", "info", head]), contains: [head, "header: truncated: 200 bytes"])
    }

    /// One 8 Hz signal "Fz" and an EDF Annotations signal, two 1-s records, three annotations.
    static func tinyEDF() -> [UInt8] {
        func pad(_ s: String, _ n: Int) -> [UInt8] { Array((s + String(repeating: " ", count: n - s.utf8.count)).utf8) }
        var b = pad("0", 8) + pad("X X X X", 80) + pad("Startdate X X X X", 80) + pad("22.11.26", 8) + pad("06.00.00", 8)
        b += pad("768", 8) + pad("EDF+C", 44) + pad("2", 8) + pad("1", 8) + pad("2", 4)
        b += pad("Fz", 16) + pad("EDF Annotations", 16) + pad("", 160) + pad("uV", 8) + pad("", 8)
        b += pad("-100", 8) + pad("-1", 8) + pad("100", 8) + pad("1", 8) + pad("-2048", 8) + pad("-32768", 8) + pad("2047", 8) + pad("32767", 8)
        b += pad("", 160) + pad("8", 8) + pad("20", 8) + pad("", 64)
        let tals: [[UInt8]] = [Array("+0\u{14}\u{14}\u{0}+0.25\u{15}0.5\u{14}house\u{14}\u{0}".utf8),
                               Array("+1\u{14}\u{14}\u{0}+1.5\u{14}face\u{14}house\u{14}\u{0}".utf8)]
        for r in 0..<2 {
            for k in 0..<8 { let v = UInt16(bitPattern: Int16(k * 100 - 400)); b += [UInt8(v & 0xff), UInt8(v >> 8)] }
            b += tals[r] + [UInt8](repeating: 0, count: 40 - tals[r].count)
        }
        return b
    }

    // MARK: bad input

    func assertNoOutputs(_ dir: URL, file: StaticString = #filePath, line: UInt = #line) {
        let left = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.filter { $0.hasSuffix(".npy") || $0.hasSuffix("Y.csv") || $0.contains(".tmp") } ?? []
        XCTAssertEqual(left, [], "outputs left behind", file: file, line: line)
    }

    func writeCSV(_ dir: URL, _ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func validCSV(samples: Int = 600, events: [Int: Int] = [100: 1, 300: 2]) -> String {
        var s = "timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0\n"
        for i in 0..<samples {
            let v = 10 * sin(Double(i) * 0.3)
            s += "\(Double(i) / 256),\(v),\(-v),\(v / 2),\(v * 0.7 + 1),0,\(events[i] ?? 0)\n"
        }
        return s
    }

    func testMalformedCSVsGiveOneLineAndNoOutput() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = dir.appendingPathComponent("X.npy").path, y = dir.appendingPathComponent("Y.csv").path
        let good = try writeCSV(dir, "good.csv", validCSV())
        let ok = try CLI.run(["eeg", "features", "--data", good, "--features", "erp", "-o", x, "--labels", y])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(try NPY.read(path: x).shape, [2, 4 * 29])
        try FileManager.default.removeItem(atPath: x); try FileManager.default.removeItem(atPath: y)

        let header = try writeCSV(dir, "header.csv", "time,TP9,AF7\n1,2,3\n")
        assertOneLineError(try CLI.run(["eeg", "features", "--data", good, "--data", header, "--features", "erp", "-o", x, "--labels", y]),
                           contains: [header + ":1: header time,TP9,AF7; expected timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0"])
        assertNoOutputs(dir)
        var lines = validCSV().split(separator: "\n").map(String.init)
        lines[5] = "1,2,3"
        let fields = try writeCSV(dir, "fields.csv", lines.joined(separator: "\n") + "\n")
        assertOneLineError(try CLI.run(["eeg", "features", "--data", fields, "--features", "bandpower", "-o", x, "--labels", y]),
                           contains: [fields + ":6: 3 fields; expected 7"])
        lines[5] = "0.1,2,3,abc,5,6,0"
        let number = try writeCSV(dir, "number.csv", lines.joined(separator: "\n") + "\n")
        assertOneLineError(try CLI.run(["eeg", "info", number]), contains: [number + ":6: field 4 (AF8) is 'abc'; expected a finite number"])
        assertNoOutputs(dir)
    }

    func testImpossibleWindowsBandsAndFilesAreOneLineErrors() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = dir.appendingPathComponent("X.npy").path, y = dir.appendingPathComponent("Y.csv").path
        let edgeCase = try writeCSV(dir, "edge.csv", validCSV(events: [10: 1, 300: 2]))
        // Default: the early event is dropped and counted; --edge error names it.
        let dropped = try CLI.run(["eeg", "features", "--data", edgeCase, "--features", "erp", "-o", x, "--labels", y])
        XCTAssertEqual(dropped.status, 0, dropped.stderr)
        XCTAssertTrue(dropped.stderr.contains("1 too near the edge"), dropped.stderr)
        try FileManager.default.removeItem(atPath: x); try FileManager.default.removeItem(atPath: y)
        assertOneLineError(try CLI.run(["eeg", "features", "--data", edgeCase, "--features", "erp", "--edge", "error", "-o", x, "--labels", y]),
                           contains: [edgeCase + ": event 1 at sample 10: epoch samples -16...215 fall outside the recording (0...599)"])
        assertOneLineError(try CLI.run(["eeg", "features", "--data", edgeCase, "--features", "erp", "--tmax", "5", "-o", x, "--labels", y]),
                           contains: [edgeCase, "fall outside the recording", "narrow --tmin/--tmax"])
        assertOneLineError(try CLI.run(["eeg", "features", "--data", edgeCase, "--features", "erp", "--band", "1,200", "-o", x, "--labels", y]),
                           contains: ["band 1.0–200.0 Hz at 256.0 Hz; expected 0 < low < high < 128.0"])
        assertOneLineError(try CLI.run(["eeg", "features", "--data", edgeCase, "--features", "erp", "--tmin", "0.2", "--tmax", "0.1", "-o", x, "--labels", y]),
                           contains: ["expected tmin < tmax"])
        assertOneLineError(try CLI.run(["eeg", "features", "--data", edgeCase, "--features", "erp", "--channels", "TP9,Cz", "-o", x, "--labels", y]),
                           contains: [edgeCase, "no channel 'Cz'"])
        assertOneLineError(try CLI.run(["eeg", "features", "--data", dir.appendingPathComponent("missing").path, "--features", "erp", "-o", x, "--labels", y]),
                           contains: ["missing", "no such file"])
        assertOneLineError(try CLI.run(["eeg", "features", "--data", edgeCase, "--features", "bandpower", "--tmin=-0.001", "--tmax", "0.001", "-o", x, "--labels", y]),
                           contains: ["holds 1 sample(s) at 256.0 Hz; expected at least 2 for bandpower features"])
        let edf = try writeCSV(dir, "tiny.edf", String(decoding: Self.tinyEDF(), as: UTF8.self))
        assertOneLineError(try CLI.run(["eeg", "features", "--data", edf, "--features", "erp", "-o", x, "--labels", y]),
                           contains: [edf, "EDF recordings carry no stimulus codes"])
        var flat = "timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0\n"
        for i in 0..<600 { flat += "\(i),0,0,0,0,0,\(i == 300 ? 1 : 0)\n" }
        let flatPath = try writeCSV(dir, "flat.csv", flat)
        assertOneLineError(try CLI.run(["eeg", "features", "--data", flatPath, "--features", "tangent", "-o", x, "--labels", y]),
                           contains: [flatPath, "covariance of the epoch at sample 300 is not positive definite"])
        assertNoOutputs(dir)
    }
}
