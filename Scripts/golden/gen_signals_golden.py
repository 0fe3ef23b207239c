#!/usr/bin/env python3
"""Writes Tests/SignalsTests/Resources/signals_golden.json.

Reference numbers for the Signals module, stage by stage, from scipy 1.17 and pyriemann 0.12:
  * scipy.signal.butter(N, [lo, hi], btype='band', output='sos', fs=fs) for several orders/bands;
  * scipy.signal.sosfiltfilt(sos, x) (padtype='odd', default padlen) on a synthetic signal (sines +
    seeded Gaussian noise + a DC step) and on a real slice: the first 20 s (5120 samples, channels
    TP9, AF7, AF8, TP10) of eeg_notebooks N170/subject1/session1/data_2017-09-13-15.30.01.csv.
    The corpus file is NOT copied: the golden holds results only (its sha256 identifies the
    source) and the Swift test reads the corpus itself;
  * scipy.signal.welch(x, fs, window='hann', nperseg, noverlap=nperseg//2, detrend='constant',
    return_onesided=True, scaling='density', average='mean');
  * epochs around the slice's markers: offsets round(tmin*fs)..round(tmax*fs) inclusive,
    tmin -0.1 s, tmax 0.8 s, baseline = mean of the samples with t <= 0, peak-to-peak rejection
    at 100 µV (as mne.Epochs(baseline=(None, 0), reject=...) would); band powers (Welch,
    nperseg = min(128, T), sum of PSD over low <= f < high times df); ERP bins (mean of 8
    samples); covariances (np.cov(bias=True) then pyriemann.estimation.Shrinkage(0.01), i.e.
    sklearn.covariance.shrunk_covariance); pyriemann mean_riemann reference and
    TangentSpace(metric='riemann') vectors.
Swift's SignalsTests must match these to ~1e-5 relative. Never run in CI.

numpy, scipy and pyriemann are installed into a virtual environment in /tmp (PyPI); the script
re-runs itself there and records their versions in the header.

Usage (from the package root):
    python3 Scripts/golden/gen_signals_golden.py [--data /path/to/corpora]
"""
import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "SignalsTests", "Resources", "signals_golden.json")
VENV = "/tmp/crosstalk-signals-venv"
PINS = ["numpy==2.4.6", "scipy==1.17.1", "scikit-learn==1.9.1", "pyriemann==0.12"]
SEED = 20261122
REAL = "eeg_notebooks/N170/subject1/session1/data_2017-09-13-15.30.01.csv"
CHANNELS = ["TP9", "AF7", "AF8", "TP10"]
FS = 256.0
SLICE = 5120  # 20 s
BAND = (1.0, 30.0)
ORDER = 4
TMIN, TMAX = -0.1, 0.8
REJECT = 100.0
REJECT_TIGHT = 40.0
NPERSEG_EPOCH = 128
ERP_BIN = 8
SHRINK = 0.01
BANDS = [("delta", 1, 4), ("theta", 4, 8), ("alpha", 8, 13), ("beta", 13, 30), ("gamma", 30, 45)]
DESIGNS = [(4, 1.0, 30.0, 256.0), (2, 0.5, 40.0, 256.0), (3, 8.0, 13.0, 256.0), (5, 1.0, 30.0, 256.0),
           (1, 1.0, 30.0, 256.0), (6, 0.1, 100.0, 500.0)]


def ensure_venv():
    """Re-executes this script inside VENV with PINS installed, unless already there."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from pyvenv import reexec_in_venv
    reexec_in_venv(VENV, PINS, __file__)


def corpora_root(arg):
    for c in [arg, os.environ.get("CROSSTALK_DATA"), os.path.join(ROOT, "..", "shared", "corpora")]:
        if c and os.path.exists(os.path.join(c, REAL)):
            return c
    raise SystemExit("corpus not found: pass --data DIR holding %s" % REAL)


def r(x):
    """Nested lists of floats, 12 significant digits (keeps the file small; parity is ~1e-5)."""
    import numpy as np
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 0:
        return float("%.12g" % a)
    return [r(v) for v in a]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None, help="corpora root (default: CROSSTALK_DATA or ../shared/corpora)")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    ensure_venv()

    import numpy as np
    import scipy
    import scipy.signal as ss
    import sklearn
    import pyriemann
    from pyriemann.estimation import Shrinkage
    from pyriemann.tangentspace import TangentSpace
    from pyriemann.geometry.mean import mean_riemann

    root = corpora_root(args.data)
    path = os.path.join(root, REAL)
    raw = open(path, "rb").read()

    # --- filter design
    designs = []
    for order, lo, hi, fs in DESIGNS:
        sos = ss.butter(order, [lo, hi], btype="band", output="sos", fs=fs)
        designs.append({"order": order, "low": lo, "high": hi, "fs": fs, "sos": r(sos)})

    # --- synthetic signal through sosfiltfilt
    rng = np.random.default_rng(SEED)
    n = 1000
    t = np.arange(n) / FS
    synth = (20 * np.sin(2 * np.pi * 10 * t) + 8 * np.sin(2 * np.pi * 0.3 * t) + 5 * np.sin(2 * np.pi * 60 * t)
             + 3 * rng.standard_normal(n) + 15 * (t > 2.0))
    sos = ss.butter(ORDER, list(BAND), btype="band", output="sos", fs=FS)
    synth_f = ss.sosfiltfilt(sos, synth)
    synth_zi = ss.sosfilt_zi(sos)
    synth_psd_f, synth_psd = ss.welch(synth, fs=FS, window="hann", nperseg=128, noverlap=64, detrend="constant",
                                      return_onesided=True, scaling="density", average="mean")

    # --- real slice
    lines = raw.decode("ascii").splitlines()
    header = lines[0].split(",")
    assert header == ["timestamps", "TP9", "AF7", "AF8", "TP10", "Right AUX", "Marker0"], header
    rows = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:SLICE + 1]])
    x = rows[:, 1:5].T                      # [4, 5120]
    markers = rows[:, 6].astype(int)
    events = [(int(i), int(markers[i])) for i in np.flatnonzero(markers)]
    xf = ss.sosfiltfilt(sos, x, axis=-1)    # [4, 5120]
    keep_idx = sorted(set(list(range(200)) + list(range(200, SLICE - 200, 7)) + list(range(SLICE - 200, SLICE))))
    welch_f, welch_p = ss.welch(xf, fs=FS, window="hann", nperseg=256, noverlap=128, detrend="constant",
                                return_onesided=True, scaling="density", average="mean")

    # --- epochs
    start, stop = int(round(TMIN * FS)), int(round(TMAX * FS))
    T = stop - start + 1
    nbase = -start + 1
    kept, rejected, epochs = [], [], []
    for s, code in events:
        a, b = s + start, s + stop
        if a < 0 or b >= SLICE:
            continue  # the Swift test cuts the same slice and skips the same events
        ep = xf[:, a:b + 1]
        ep = ep - ep[:, :nbase].mean(axis=1, keepdims=True)
        if (ep.max(axis=1) - ep.min(axis=1)).max() > REJECT:
            rejected.append([s, code])
        else:
            kept.append([s, code])
            epochs.append(ep)
    epochs = np.array(epochs)               # [E, 4, T]
    # A tighter threshold, so the rejection itself is compared on real data too.
    kept_tight = []
    for s, code in events:
        a, b = s + start, s + stop
        if a >= 0 and b < SLICE:
            ep = xf[:, a:b + 1]
            if (ep.max(axis=1) - ep.min(axis=1)).max() <= REJECT_TIGHT:
                kept_tight.append([s, code])

    nper = min(NPERSEG_EPOCH, T)
    bf, bp = ss.welch(epochs, fs=FS, window="hann", nperseg=nper, noverlap=nper // 2, detrend="constant",
                      return_onesided=True, scaling="density", average="mean", axis=-1)   # [E, 4, bins]
    df = bf[1] - bf[0]
    bandpowers = np.stack([bp[..., (bf >= lo) & (bf < hi)].sum(axis=-1) * df for _, lo, hi in BANDS], axis=-1)  # [E, 4, 5]
    bins = T // ERP_BIN
    erp = epochs[..., :bins * ERP_BIN].reshape(len(epochs), 4, bins, ERP_BIN).mean(axis=-1)   # [E, 4, bins]

    covs_raw = np.array([np.cov(e, bias=True) for e in epochs])
    covs = Shrinkage(shrinkage=SHRINK).fit_transform(covs_raw)
    # Independent check of the shrinkage formula.
    mu = np.trace(covs_raw, axis1=1, axis2=2) / 4
    check = (1 - SHRINK) * covs_raw + SHRINK * mu[:, None, None] * np.eye(4)
    assert np.allclose(check, covs, rtol=1e-13, atol=0), "Shrinkage disagrees with (1-g)S + g tr(S)/n I"
    ref = mean_riemann(covs)
    ts = TangentSpace(metric="riemann").fit(covs)
    assert np.allclose(ts.reference_, ref, rtol=1e-12, atol=0)
    tangent = ts.transform(covs)

    golden = {
        "header": {
            "generator": "Scripts/golden/gen_signals_golden.py",
            "command": "python3 Scripts/golden/gen_signals_golden.py",
            "python": platform.python_version(),
            "numpy": np.__version__, "scipy": scipy.__version__, "pyriemann": pyriemann.__version__,
            "scikit-learn": sklearn.__version__,
            "source": REAL, "source_sha256": hashlib.sha256(raw).hexdigest(),
            "slice_samples": SLICE, "channels": CHANNELS, "fs": FS,
            "band": list(BAND), "order": ORDER, "tmin": TMIN, "tmax": TMAX, "reject_ptp": REJECT,
            "nperseg_epoch": nper, "erp_bin": ERP_BIN, "shrinkage": SHRINK,
            "bands": [[nm, lo, hi] for nm, lo, hi in BANDS],
            "seed": SEED,
            "precision": "floats written with 12 significant digits",
        },
        "butter": designs,
        "synthetic": {"x": r(synth), "sos": r(sos), "sosfilt_zi": r(synth_zi), "sosfiltfilt": r(synth_f),
                      "welch_nperseg": 128, "welch_f": r(synth_psd_f), "welch_psd": r(synth_psd)},
        "real": {
            "filtered_index": keep_idx, "filtered": r(xf[:, keep_idx]),
            "welch_nperseg": 256, "welch_f": r(welch_f), "welch_psd": r(welch_p),
            "events": [[s, c] for s, c in events], "kept": kept, "rejected": rejected,
            "reject_tight": REJECT_TIGHT, "kept_tight": kept_tight,
            "epoch_offsets": [start, stop],
            "epochs_first3": r(epochs[:3]),
            "epoch_f": r(bf), "epoch_psd_first": r(bp[0]),
            "bandpowers": r(bandpowers.reshape(len(epochs), -1)),
            "erp": r(erp.reshape(len(epochs), -1)),
            "covariances": r(covs.reshape(len(epochs), -1)),
            "reference": r(ref), "tangent": r(tangent),
        },
    }
    text = json.dumps(golden, separators=(",", ":"))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, args.out)
    print("wrote %s: %d events (%d kept, %d rejected), %d bytes" % (
        os.path.relpath(args.out, ROOT), len(events), len(kept), len(rejected), len(text) + 1))


if __name__ == "__main__":
    main()
