#!/usr/bin/env python3
"""Writes Tests/ProbesTests/Resources/probe_golden.json.

(a) scikit-learn's roc_auc_score and average_precision_score on hand-made cases (ties, all-equal
scores, a single positive, perfect and reversed rankings) and seeded random ones (continuous
scores and scores rounded to create ties), binary and multi-label (macro and micro averages).
(b) StandardScaler + LogisticRegression(solver='lbfgs', tol=1e-10, max_iter=100000) fits on
small seeded datasets: binary, multinomial (3 and 4 classes), with and without
class_weight='balanced', several C values, and one multi-label set fitted one-vs-rest (one
binary LogisticRegression per tag, as OneVsRestClassifier does). Recorded: scaler mean/scale,
coef_, intercept_ (in the standardised space), predict_proba on the test rows and the test
ROC-AUC; also the largest difference between the lbfgs and newton-cholesky solutions, which
bounds how exactly the reference itself is converged.
(c) scikit-learn's balanced_accuracy_score (adjusted=False): on (y_true, y_pred) pairs (binary,
multi-class, a predicted class absent from y_true, one class only); on single-label class
probabilities through argmax (rounded so that rows tie); and multi-label as Probes defines it:
per tag balanced_accuracy_score(y[:, t], s[:, t] > 0.5), mean over tags with both classes in
y_true (scores of exactly 0.5 included). The logistic fits of (b) also record the balanced
accuracy of sklearn's own predict() on the test rows (per tag, averaged, for one-vs-rest).

Swift's Probes tests (ProbesTests) must match the metrics to 1e-6 (balanced accuracy to 1e-12),
the probabilities to 1e-4 and the test ROC-AUC to 0.005. Never run in CI. numpy and scikit-learn are installed into a
virtual environment in /tmp (PyPI); the script re-runs itself there.

Usage (from the package root):
    python3 Scripts/golden/gen_probe_golden.py
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import warnings

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "ProbesTests", "Resources", "probe_golden.json")
VENV = "/tmp/crosstalk-probe-venv"
PINS = ["numpy==2.4.6", "scikit-learn==1.9.1"]
SEED = 20260601
TOL = 1e-10
MAX_ITER = 100000


def ensure_venv():
    """Re-executes this script inside VENV with PINS installed, unless already there."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from pyvenv import reexec_in_venv
    reexec_in_venv(VENV, PINS, __file__)


def r(x, digits=10):
    """Floats rounded for a small file (the tests' tolerances are far looser)."""
    import numpy as np
    a = np.asarray(x, dtype=float)
    return np.round(a, digits).tolist()


# ---------------------------------------------------------------------------------------------
# (a) ranking metrics

def metric_cases(rng):
    import numpy as np
    from sklearn.metrics import average_precision_score, roc_auc_score

    binary = []

    def add(name, y, s):
        y = np.asarray(y, dtype=int)
        s = np.asarray(s, dtype=float)
        binary.append({"name": name, "y_true": y.tolist(), "y_score": r(s),
                       "roc_auc": float(roc_auc_score(y, s)),
                       "average_precision": float(average_precision_score(y, s))})

    add("perfect", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    add("reversed", [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
    add("all-equal", [0, 1, 0, 1, 1], [0.5] * 5)
    add("tie-across-classes", [0, 1, 1, 0, 1, 0], [0.3, 0.3, 0.7, 0.1, 0.9, 0.7])
    add("sklearn-doc", [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    add("single-positive", [0, 0, 0, 1, 0, 0], [0.2, 0.9, 0.1, 0.5, 0.4, 0.3])
    add("single-negative", [1, 1, 0, 1], [0.2, 0.9, 0.4, 0.5])
    add("top-tie-mixed", [1, 0, 1, 0, 0, 1, 0], [1.0, 1.0, 1.0, 0.2, 0.2, 0.0, 0.0])
    add("negative-scores", [0, 1, 0, 1, 1, 0], [-3.0, -0.5, -2.0, 4.0, -0.5, 1e-9])
    for k in range(14):
        n = [5, 10, 30, 100, 250][k % 5]
        y = (rng.random(n) < rng.uniform(0.1, 0.6)).astype(int)
        if y.sum() == 0:
            y[0] = 1
        if y.sum() == n:
            y[-1] = 0
        s = rng.normal(size=n) + 0.8 * y
        if k % 2 == 1:
            s = np.round(s, 1)   # many ties
        if k % 7 == 3:
            s = np.floor(s)      # heavy ties
        add("random-%02d%s" % (k, "-ties" if k % 2 == 1 else ""), y, s)

    multilabel = []
    for k in range(5):
        n, t = [20, 40, 60, 12, 80][k], [3, 4, 5, 2, 6][k]
        y = (rng.random((n, t)) < 0.3).astype(int)
        y[0, :] = 1
        y[1, :] = 0
        s = rng.normal(size=(n, t)) + y
        if k % 2 == 1:
            s = np.round(s, 1)
        multilabel.append({"name": "multilabel-%02d" % k, "y_true": y.tolist(), "y_score": r(s),
                           "roc_auc_macro": float(roc_auc_score(y, s, average="macro")),
                           "roc_auc_micro": float(roc_auc_score(y, s, average="micro")),
                           "average_precision_macro": float(average_precision_score(y, s, average="macro")),
                           "average_precision_micro": float(average_precision_score(y, s, average="micro"))})
    return binary, multilabel


# ---------------------------------------------------------------------------------------------
# (b) logistic regression

def make_data(rng, n, d, classes, sep, priors):
    import numpy as np
    y = rng.choice(classes, size=n, p=priors)
    centres = rng.normal(scale=sep, size=(classes, d))
    scales = rng.uniform(0.5, 3.0, size=d)
    offsets = rng.normal(scale=5.0, size=d)
    x = (centres[y] + rng.normal(size=(n, d))) * scales + offsets
    return np.round(x, 5), y   # stored exactly as fitted


def fit(x_tr, y_tr, c, class_weight, solver="lbfgs"):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    scaler = StandardScaler().fit(x_tr)
    lr = LogisticRegression(C=c, class_weight=class_weight, solver=solver, tol=TOL, max_iter=MAX_ITER)
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a ConvergenceWarning must not pass silently
        lr.fit(scaler.transform(x_tr), y_tr)
    return scaler, lr


def logistic_cases(rng):
    import numpy as np
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score

    cases = []
    specs = [  # name, n_train, n_test, d, classes, sep, priors
        ("binary-balanced", 60, 30, 4, 2, 0.8, [0.5, 0.5]),
        ("binary-imbalanced", 80, 40, 5, 2, 1.0, [0.8, 0.2]),
        ("binary-separable-ish", 40, 20, 3, 2, 2.5, [0.6, 0.4]),
        ("multinomial-3", 75, 30, 4, 3, 1.0, [0.5, 0.3, 0.2]),
        ("multinomial-4", 90, 40, 6, 4, 0.9, [0.4, 0.3, 0.2, 0.1]),
    ]
    for name, n_tr, n_te, d, k, sep, priors in specs:
        x, y = make_data(rng, n_tr + n_te, d, k, sep, priors)
        x_tr, y_tr, x_te, y_te = x[:n_tr], y[:n_tr], x[n_tr:], y[n_tr:]
        for c in [0.01, 1.0, 100.0]:
            for cw in [None, "balanced"]:
                scaler, lr = fit(x_tr, y_tr, c, cw)
                _, ref = fit(x_tr, y_tr, c, cw, solver="newton-cholesky")
                p = lr.predict_proba(scaler.transform(x_te))
                auc = roc_auc_score(y_te, p[:, 1]) if k == 2 else roc_auc_score(y_te, p, multi_class="ovr", average="macro")
                solver_gap = float(max(np.abs(lr.coef_ - ref.coef_).max(), np.abs(lr.intercept_ - ref.intercept_).max()))
                bacc = float(balanced_accuracy_score(y_te, lr.predict(scaler.transform(x_te))))
                cases.append({"name": "%s-C%g-%s" % (name, c, cw or "none"), "kind": "binary" if k == 2 else "multinomial",
                              "C": c, "class_weight": cw or "none", "n_classes": k,
                              "x_train": x_tr.tolist(), "y_train": y_tr.tolist(), "x_test": x_te.tolist(), "y_test": y_te.tolist(),
                              "scaler_mean": r(scaler.mean_), "scaler_scale": r(scaler.scale_),
                              "coef": r(lr.coef_), "intercept": r(lr.intercept_), "proba": r(p),
                              "test_roc_auc": float(auc), "test_balanced_accuracy": bacc, "n_iter": int(np.max(lr.n_iter_)),
                              "lbfgs_vs_newton_cholesky_max_abs": solver_gap})

    # Multi-label, one-vs-rest: one binary LogisticRegression per tag on the same standardised rows.
    n_tr, n_te, d, t = 70, 30, 5, 3
    x = np.round(rng.normal(size=(n_tr + n_te, d)) * rng.uniform(0.5, 2.0, size=d) + rng.normal(size=d), 5)
    w = rng.normal(size=(d, t))
    y = ((x - x.mean(0)) @ w + rng.normal(scale=1.0, size=(n_tr + n_te, t)) > 0.7).astype(int)
    x_tr, y_tr, x_te, y_te = x[:n_tr], y[:n_tr], x[n_tr:], y[n_tr:]
    for c in [0.1, 1.0]:
        for cw in [None, "balanced"]:
            coefs, intercepts, probs, gaps, baccs = [], [], [], [], []
            scaler = None
            for j in range(t):
                scaler, lr = fit(x_tr, y_tr[:, j], c, cw)
                _, ref = fit(x_tr, y_tr[:, j], c, cw, solver="newton-cholesky")
                coefs.append(lr.coef_[0])
                intercepts.append(lr.intercept_[0])
                probs.append(lr.predict_proba(scaler.transform(x_te))[:, 1])
                if 0 < y_te[:, j].sum() < len(y_te):
                    baccs.append(balanced_accuracy_score(y_te[:, j], lr.predict(scaler.transform(x_te))))
                gaps.append(max(np.abs(lr.coef_ - ref.coef_).max(), np.abs(lr.intercept_ - ref.intercept_).max()))
            p = np.stack(probs, axis=1)
            cases.append({"name": "multilabel-ovr-C%g-%s" % (c, cw or "none"), "kind": "ovr",
                          "C": c, "class_weight": cw or "none", "n_classes": t,
                          "x_train": x_tr.tolist(), "y_train": y_tr.tolist(), "x_test": x_te.tolist(), "y_test": y_te.tolist(),
                          "scaler_mean": r(scaler.mean_), "scaler_scale": r(scaler.scale_),
                          "coef": r(np.stack(coefs)), "intercept": r(intercepts), "proba": r(p),
                          "test_roc_auc": float(roc_auc_score(y_te, p, average="macro")),
                          "test_balanced_accuracy": float(np.mean(baccs)), "n_iter": 0,
                          "lbfgs_vs_newton_cholesky_max_abs": float(max(gaps))})
    return cases


# ---------------------------------------------------------------------------------------------
# (c) balanced accuracy

def balanced_cases(rng):
    import numpy as np
    from sklearn.metrics import balanced_accuracy_score

    def bacc(y, p):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "y_pred contains classes not in y_true": sklearn drops them
            return float(balanced_accuracy_score(y, p))

    pairs = []

    def add(name, y, p):
        pairs.append({"name": name, "y_true": [int(v) for v in y], "y_pred": [int(v) for v in p], "balanced_accuracy": bacc(y, p)})

    add("binary-perfect", [0, 1, 0, 1], [0, 1, 0, 1])
    add("binary-all-one", [0, 0, 0, 1, 1], [1, 1, 1, 1, 1])
    add("binary-imbalanced", [0, 0, 0, 0, 0, 0, 1, 1], [0, 0, 1, 0, 0, 0, 1, 0])
    add("sklearn-doc", [0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1])
    add("multiclass-3", [0, 1, 2, 0, 1, 2, 2, 2], [0, 2, 1, 0, 1, 2, 2, 0])
    add("pred-class-not-in-true", [0, 0, 1, 1, 1], [0, 2, 1, 2, 1])
    add("true-one-class", [1, 1, 1, 1], [1, 0, 1, 1])
    add("true-one-class-other-pred", [2, 2, 2], [0, 1, 2])
    for k in range(10):
        n, c = [7, 20, 50, 200, 33][k % 5], [2, 3, 4, 5, 2][k % 5] + (k // 5)
        y = rng.integers(0, c, size=n)
        p = np.where(rng.random(n) < 0.6, y, rng.integers(0, c, size=n))
        add("random-%02d" % k, y, p)

    argmax_cases = []
    for k in range(6):
        n, c = [12, 30, 60, 25, 40, 80][k], [2, 3, 4, 3, 2, 5][k]
        y = rng.integers(0, c, size=n)
        logits = rng.normal(size=(n, c)) + 1.2 * np.eye(c)[y]
        proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        if k % 2 == 1:
            proba = np.round(proba, 1)          # ties: argmax takes the first maximum
        if k == 3:
            proba[:4] = 1.0 / c                 # whole rows tied
        argmax_cases.append({"name": "argmax-%02d%s" % (k, "-ties" if k % 2 == 1 else ""), "y_true": y.tolist(),
                             "proba": proba.tolist(), "balanced_accuracy": bacc(y, proba.argmax(axis=1))})

    multilabel = []
    for k in range(5):
        n, t = [20, 40, 60, 12, 80][k], [3, 4, 5, 2, 6][k]
        y = (rng.random((n, t)) < 0.3).astype(int)
        y[0, :] = 1
        y[1, :] = 0
        s = 1 / (1 + np.exp(-(rng.normal(size=(n, t)) + 1.5 * y - 0.8)))
        if k % 2 == 1:
            s = np.round(s, 1)                   # includes exactly 0.5: predicted negative (p > 0.5)
        if k == 2:
            y[:, 1] = 0                          # a tag with no positive in y_true: left out of the mean
            y[:, 2] = 1                          # a tag with no negative: left out too
        per_tag = [bacc(y[:, j], (s[:, j] > 0.5).astype(int)) for j in range(t) if 0 < y[:, j].sum() < n]
        multilabel.append({"name": "multilabel-%02d" % k, "y_true": y.tolist(), "y_score": s.tolist(),
                           "balanced_accuracy": float(np.mean(per_tag))})
    return {"pairs": pairs, "argmax": argmax_cases, "multilabel": multilabel}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    ensure_venv()

    import numpy as np
    import scipy
    import sklearn

    rng = np.random.default_rng(SEED)
    binary, multilabel = metric_cases(rng)
    logistic = logistic_cases(rng)
    balanced = balanced_cases(np.random.default_rng(SEED + 1))   # own stream: (a) and (b) stay as they were
    header = {
        "generator": "Scripts/golden/gen_probe_golden.py",
        "command": "python3 Scripts/golden/gen_probe_golden.py",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "seed": SEED,
        "metrics": "sklearn.metrics.roc_auc_score / average_precision_score (average='macro'|'micro' for multi-label)",
        "logistic": "StandardScaler().fit(x_train); LogisticRegression(C, class_weight, solver='lbfgs', tol=%g, "
                    "max_iter=%d) on the scaled rows; coef/intercept in the scaled space; proba = predict_proba(x_test); "
                    "binary: one coefficient row for class 1; multinomial: one row per class; ovr: one binary fit per tag; "
                    "test_roc_auc: binary on proba[:,1], multinomial multi_class='ovr' macro, ovr macro over tags; "
                    "test_balanced_accuracy: balanced_accuracy_score(y_test, predict(x_test)), ovr: mean over tags with both classes" % (TOL, MAX_ITER),
        "balanced_accuracy": "sklearn.metrics.balanced_accuracy_score (adjusted=False); argmax: of proba rows (np.argmax); "
                             "multilabel: per tag of (score > 0.5), mean over tags with both classes in y_true",
    }
    out = json.dumps({"header": header, "binary_metrics": binary, "multilabel_metrics": multilabel,
                      "logistic": logistic, "balanced_accuracy": balanced}, separators=(",", ":")) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(out)
    os.replace(tmp, args.out)
    gap = max(c["lbfgs_vs_newton_cholesky_max_abs"] for c in logistic)
    print("wrote %s: %d binary, %d multi-label metric cases, %d logistic fits, %d balanced-accuracy cases, %d bytes; "
          "lbfgs vs newton-cholesky max |Δ| %.2e"
          % (os.path.relpath(args.out, ROOT), len(binary), len(multilabel), len(logistic),
             sum(len(v) for v in balanced.values()), len(out), gap))


if __name__ == "__main__":
    main()
