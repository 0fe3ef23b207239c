#!/usr/bin/env python3
"""Anchor for `crosstalk bench probe`: the same probe fitting with scikit-learn.

Replays the plan file crosstalk writes (every N-shot run's training rows, its kept tags and, per
tag, the stratified CV fold of each training row; the same for one fit on all training rows), so
both sides fit exactly the same problems:

  per run, per tag (multi-label; one multinomial fit for single-label):
    C: the plan's given C; else, when the plan has folds, for each fold a StandardScaler fitted on
       the fold's training part and LogisticRegression(solver='lbfgs', warm_start=True) refitted
       along the sorted C grid (as crosstalk warm-starts along it), the held-out log loss (mean,
       probabilities clipped to [1e-15, 1 - 1e-15] as crosstalk's logLoss and sklearn < 1.5's
       log_loss) summed over folds, the first minimum chosen; else the plan's default C;
    final: StandardScaler on the run's rows, LogisticRegression(C) on them, predict_proba on the
       test rows; test macro ROC-AUC over tags with both classes in test (roc_auc_score).

Differences from crosstalk, on purpose: sklearn's own stopping rule (--tol, default 1e-4 =
sklearn's default; pass --tol 1e-11 --cv-tol 1e-4 to match crosstalk's L-BFGS gradient
tolerances: 1e-4 in CV fits, 1e-11 in final fits), max_iter 20000 (crosstalk's cap); the log loss is computed with numpy (sklearn's
log_loss clips at float eps since 1.5). The timed loop excludes imports and reading the files.

--threads N: OPENBLAS/OMP/MKL threads = N, and with N > 1 the runs go to N joblib (loky)
workers, as crosstalk spreads runs over N threads. Prints one JSON line. numpy and scikit-learn
are installed into a virtual environment in /tmp (PyPI); the script re-runs itself there.

Usage (from the package root; crosstalk bench probe writes the plan):
    python3 Scripts/bench/anchor_probe.py --features X.npy --plan plan.json [--tol 1e-4] [--threads 1]
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings

VENV = "/tmp/crosstalk-probe-venv"           # shared with Scripts/golden/gen_probe_golden.py
PINS = ["numpy==2.4.6", "scikit-learn==1.9.1"]
MAX_ITER = 20000


def ensure_venv():
    """Re-executes this script inside VENV with PINS installed, unless already there."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from pyvenv import reexec_in_venv
    reexec_in_venv(VENV, PINS, __file__)


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--features", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--tol", type=float, default=1e-4, help="LogisticRegression tol of the final fits (sklearn default 1e-4)")
    ap.add_argument("--cv-tol", type=float, default=None, help="tol of the CV fits (default: --tol)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1, help="repetitions; the best time is reported")
    return ap.parse_args()


def fit_one(x, y, rows, folds, plan, test, classes, tol, cv_tol):
    """C by CV over the plan's folds (or given/default), final fit on `rows`; test probabilities."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    xr, yr = x[rows], y[rows]
    grid = sorted(plan["grid"])
    if plan["C"] is not None:
        c = plan["C"]
    elif folds is None:
        c = plan["default_C"]
    else:
        folds = np.asarray(folds)
        loss = np.zeros(len(grid))
        for f in range(folds.max() + 1):
            tr, va = folds != f, folds == f
            scaler = StandardScaler().fit(xr[tr])
            zt, zv = scaler.transform(xr[tr]), scaler.transform(xr[va])
            lr = LogisticRegression(solver="lbfgs", tol=cv_tol, max_iter=MAX_ITER, warm_start=True)
            for g, cg in enumerate(grid):
                lr.set_params(C=cg)
                lr.fit(zt, yr[tr])
                p = np.clip(lr.predict_proba(zv), 1e-15, 1 - 1e-15)
                col = np.searchsorted(lr.classes_, yr[va])
                loss[g] += -np.mean(np.log(p[np.arange(len(col)), col]))
        c = grid[int(np.argmin(loss))]
    scaler = StandardScaler().fit(xr)
    lr = LogisticRegression(C=c, solver="lbfgs", tol=tol, max_iter=MAX_ITER).fit(scaler.transform(xr), yr)
    return lr.predict_proba(scaler.transform(x[test]))


def run_fit(x, y, fit, plan, test, tol, cv_tol):
    """One plan entry (a run or the full fit): per-tag fits (multi-label) or one fit; test metrics."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rows = np.asarray(fit["rows"])
    if plan["task"] == "multi-label":
        tags = fit["tags"]
        p = np.stack([fit_one(x, y[:, t], rows, folds, plan, test, 2, tol, cv_tol)[:, 1]
                      for t, folds in zip(tags, fit["folds"])], axis=1)
        yt = y[test][:, tags]
        aucs = [roc_auc_score(yt[:, j], p[:, j]) for j in range(len(tags)) if 0 < yt[:, j].sum() < len(yt)]
    else:
        p = fit_one(x, y, rows, fit["folds"][0], plan, test, plan["classes"], tol, cv_tol)
        yt = np.eye(plan["classes"], dtype=int)[y[test]]
        aucs = [roc_auc_score(yt[:, j], p[:, j]) for j in range(plan["classes"]) if 0 < yt[:, j].sum() < len(yt)]
    return float(np.mean(aucs)) if aucs else None


def main():
    ensure_venv()
    args = parse()
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(args.threads)
    import numpy as np
    import sklearn
    from joblib import Parallel, delayed

    x = np.load(args.features).astype(np.float64)
    with open(args.plan) as f:
        plan = json.load(f)
    y = np.asarray(plan["y"])
    test = np.asarray(plan["test"])
    cv_tol = args.cv_tol if args.cv_tol is not None else args.tol
    warnings.simplefilter("ignore")   # ConvergenceWarning would only flood stderr; the AUCs show the outcome

    def protocol():
        if args.threads > 1:
            return Parallel(n_jobs=args.threads, backend="loky")(
                delayed(run_fit)(x, y, r, plan, test, args.tol, cv_tol) for r in plan["runs"])
        return [run_fit(x, y, r, plan, test, args.tol, cv_tol) for r in plan["runs"]]

    best_protocol, best_full = float("inf"), float("inf")
    for _ in range(max(1, args.repeats)):
        t0 = time.perf_counter()
        aucs = protocol()
        best_protocol = min(best_protocol, time.perf_counter() - t0)
        t0 = time.perf_counter()
        full_auc = run_fit(x, y, plan["full"], plan, test, args.tol, cv_tol)
        best_full = min(best_full, time.perf_counter() - t0)
    by_shots = {}
    for r, a in zip(plan["runs"], aucs):
        if a is not None:
            by_shots.setdefault(r["shots"], []).append(a)
    macro = {s: float(np.mean(v)) for s, v in by_shots.items()}
    macro["full"] = full_auc
    print(json.dumps({"tool": "scikit-learn", "sklearn": sklearn.__version__, "numpy": np.__version__,
                      "python": platform.python_version(), "tol": args.tol, "cv_tol": cv_tol, "threads": args.threads,
                      "runs": len(plan["runs"]), "protocol_seconds": best_protocol, "full_seconds": best_full,
                      "macro_roc_auc": macro}))


if __name__ == "__main__":
    main()
