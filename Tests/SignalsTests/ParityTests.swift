// Signals against scipy 1.17 / pyriemann 0.12, stage by stage (golden from
// Scripts/golden/gen_signals_golden.py): Butterworth SOS, sosfilt_zi, sosfiltfilt on a synthetic
// and a real signal, Welch PSD, epochs, band powers, ERP bins, covariances, Riemannian mean and
// tangent vectors. The real slice is read from the corpus, never from the repository.
import Foundation
import XCTest
@testable import Signals

final class ParityTests: XCTestCase {
    func testGoldenHeaderRecordsVersionsAndSettings() throws {
        let h = try XCTUnwrap(try Golden.load()["header"] as? [String: Any])
        XCTAssertEqual(h["scipy"] as? String, "1.17.1")
        XCTAssertEqual(h["pyriemann"] as? String, "0.12")
        XCTAssertNotNil(h["numpy"] as? String)
        XCTAssertEqual(h["channels"] as? [String], ["TP9", "AF7", "AF8", "TP10"])
        XCTAssertEqual((h["slice_samples"] as? NSNumber)?.intValue, 5120)
        XCTAssertEqual((h["source_sha256"] as? String)?.count, 64)
    }

    func testButterworthSOSMatchesScipy() throws {
        let g = try Golden.load()
        for d in try XCTUnwrap(g["butter"] as? [[String: Any]]) {
            let order = (d["order"] as! NSNumber).intValue
            let lo = (d["low"] as! NSNumber).doubleValue, hi = (d["high"] as! NSNumber).doubleValue, fs = (d["fs"] as! NSNumber).doubleValue
            let sos = try Butterworth.bandPass(order: order, low: lo, high: hi, sampleRate: fs)
            XCTAssertEqual(sos.count, order)
            assertClose(sos.flatMap { $0 }, doubles(d["sos"]), rtol: 1e-9, "butter(\(order), [\(lo), \(hi)], fs=\(fs)) sos")
        }
    }

    func testSosfiltfiltOnSyntheticSignal() throws {
        let g = try Golden.load()
        let s = try XCTUnwrap(g["synthetic"] as? [String: Any])
        let x = doubles(s["x"])
        let sos = try Butterworth.bandPass(order: 4, low: 1, high: 30, sampleRate: 256)
        assertClose(sosfiltZi(sos).flatMap { $0 }, doubles(s["sosfilt_zi"]), rtol: 1e-9, "sosfilt_zi")
        XCTAssertEqual(sosfiltfiltPadlen(sos), 27)
        assertClose(try sosfiltfilt(sos, x), doubles(s["sosfiltfilt"]), rtol: 1e-8, "sosfiltfilt synthetic")
        let welch = Welch(nperseg: 128, sampleRate: 256)
        assertClose(welch.frequencies, doubles(s["welch_f"]), rtol: 1e-12, "welch frequencies")
        assertClose(welch.psd(x), doubles(s["welch_psd"]), rtol: 1e-8, "welch psd synthetic")
    }

    func testRealSliceFilterWelchEpochsAndFeatures() throws {
        let g = try Golden.load()
        let header = try XCTUnwrap(g["header"] as? [String: Any])
        let real = try XCTUnwrap(g["real"] as? [String: Any])
        let root = try Corpus.eegNotebooks()
        let rel = try XCTUnwrap(header["source"] as? String).replacingOccurrences(of: "eeg_notebooks/", with: "")
        let full = try MuseCSV.read(path: root + "/" + rel).selecting(channels: ["TP9", "AF7", "AF8", "TP10"], path: rel)
        let slice = full.slice(0..<(header["slice_samples"] as! NSNumber).intValue)
        XCTAssertEqual(slice.events.map { [$0.sample, $0.code] }, (real["events"] as! [[NSNumber]]).map { $0.map(\.intValue) })

        // Filter.
        let filter = try BandPassFilter(low: 1, high: 30, order: 4, sampleRate: 256)
        let filtered = try filter.apply(slice)
        let idx = (real["filtered_index"] as! [NSNumber]).map(\.intValue)
        assertClose(filtered.data.flatMap { ch in idx.map { ch[$0] } }, doubles(real["filtered"]), rtol: 1e-8, "sosfiltfilt real slice")

        // Welch on whole filtered channels.
        let welch = Welch(nperseg: 256, sampleRate: 256)
        assertClose(filtered.data.flatMap { welch.psd($0) }, doubles(real["welch_psd"]), rtol: 1e-8, "welch psd real slice")

        // Epochs: the golden skips events whose window leaves the slice; so do we here.
        let options = EpochOptions(tmin: -0.1, tmax: 0.8, baseline: true, reject: 100)
        let window = options.offsets(sampleRate: 256)
        XCTAssertEqual([window.lowerBound, window.upperBound], (real["epoch_offsets"] as! [NSNumber]).map(\.intValue))
        let inside = slice.events.filter { $0.sample + window.lowerBound >= 0 && $0.sample + window.upperBound < slice.samples }
        let set = try makeEpochs(filtered, events: inside, options: options, path: rel)
        XCTAssertEqual(set.kept.map { [$0.event.sample, $0.event.code] }, (real["kept"] as! [[NSNumber]]).map { $0.map(\.intValue) })
        XCTAssertEqual(set.rejected.map { [$0.sample, $0.code] }, (real["rejected"] as! [[NSNumber]]).map { $0.map(\.intValue) })
        assertClose(set.kept.prefix(3).flatMap(\.data), doubles(real["epochs_first3"]), rtol: 1e-8, "epochs (baseline-corrected)")
        let tight = try makeEpochs(filtered, events: inside, options: EpochOptions(reject: (real["reject_tight"] as! NSNumber).doubleValue), path: rel)
        let keptTight = (real["kept_tight"] as! [[NSNumber]]).map { $0.map(\.intValue) }
        XCTAssertEqual(tight.kept.map { [$0.event.sample, $0.event.code] }, keptTight)
        XCTAssertGreaterThan(tight.rejected.count, 0, "the tight threshold should reject some epochs")

        // Band powers.
        let bp = BandPowerFeatures()
        let n = bp.segmentLength(times: set.kept[0].times)
        XCTAssertEqual(n, (header["nperseg_epoch"] as! NSNumber).intValue)
        let ew = Welch(nperseg: n, sampleRate: 256)
        assertClose(ew.frequencies, doubles(real["epoch_f"]), rtol: 1e-12, "epoch welch frequencies")
        assertClose(bp.psd(set.kept[0], welch: ew).flatMap { $0 }, doubles(real["epoch_psd_first"]), rtol: 1e-8, "epoch welch psd")
        assertClose(set.kept.flatMap { bp.features($0, welch: ew) }, doubles(real["bandpowers"]), rtol: 1e-8, "band powers")

        // ERP bins.
        assertClose(set.kept.flatMap { ERPFeatures(binSize: 8).features($0) }, doubles(real["erp"]), rtol: 1e-8, "ERP bins")

        // Covariances, Riemannian mean, tangent vectors.
        let covs = set.kept.map { CovarianceEstimator(shrinkage: 0.01).covariance($0) }
        assertClose(covs.flatMap(\.data), doubles(real["covariances"]), rtol: 1e-8, "covariances (shrinkage 0.01)")
        let ts = TangentSpace(fitting: covs)
        assertClose(ts.reference.data, doubles(real["reference"]), rtol: 1e-7, "Riemannian mean")
        assertClose(covs.flatMap { ts.transform($0) }, doubles(real["tangent"]), rtol: 1e-6, "tangent vectors")
    }
}
