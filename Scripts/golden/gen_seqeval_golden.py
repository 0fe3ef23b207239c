#!/usr/bin/env python3
"""Writes Tests/EvaluationTests/Resources/seqeval_golden.json.

Scores hand-written edge cases and random gold/prediction pairs of BIO tag sequences (fixed
seed) with python seqeval 1.2.2 in its default mode (precision_recall_fscore_support with
average=None/micro/macro/weighted, classification_report for some cases) and with the
reference conlleval.pl (CoNLL-2000 shared task script, version 2004-01-26), whose standard
output is recorded verbatim. Swift's Evaluation tests (SpanF1Tests) must match the numbers to
1e-9 and the printed reports byte for byte. Never run in CI.

seqeval and its dependencies are installed into a virtual environment in /tmp (PyPI); the script
re-runs itself there. conlleval.pl is not on PyPI: pass a copy of it with --conlleval PATH (or
CONLLEVAL_PL=PATH); its sha256 goes into the header. The PyPI port `conlleval` 0.2 is installed
too and its phrase counts are cross-checked against the perl script on the IOB2 cases (its
printed precision differs from the perl script's when nothing was found, so it is not the
reference). Without the perl script, "conlleval" fields are null and the header says why.

Usage (from the package root):
    python3 Scripts/golden/gen_seqeval_golden.py --conlleval /path/to/conlleval.pl
"""
import argparse
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import warnings

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "EvaluationTests", "Resources", "seqeval_golden.json")
VENV = "/tmp/crosstalk-seqeval-venv"
PINS = ["seqeval==1.2.2", "numpy==2.4.6", "scikit-learn==1.9.1", "conlleval==0.2"]
SEED = 20240504
N_RANDOM = 220
REPORT_EVERY = 10  # keep classification_report text for every 10th random case (file size)


def ensure_venv():
    """Re-executes this script inside VENV with PINS installed, unless already there."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from pyvenv import reexec_in_venv
    reexec_in_venv(VENV, PINS, __file__)


# ---------------------------------------------------------------------------------------------
# cases

def hand_cases():
    """(name, gold, pred, iob2): edge cases seqeval and conlleval must agree on (iob2=False marks
    tags outside IOB2, where only seqeval's and conlleval.pl's own rules apply)."""
    c = []
    add = lambda name, gold, pred, iob2=True: c.append((name, gold, pred, iob2))
    add("seqeval-doc", [["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]],
        [["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]])
    add("seqeval-f1-doc", [["O", "O", "B-MISC", "I-MISC", "B-MISC", "O", "O"], ["B-PER", "I-PER", "O"]],
        [["O", "O", "B-MISC", "I-MISC", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]])
    add("illegal-I-start-gold", [["I-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
    add("illegal-I-start-pred", [["O", "B-LOC", "I-LOC"]], [["O", "I-LOC", "I-LOC"]])
    add("I-after-O-mid", [["B-PER", "O", "I-PER", "I-PER"]], [["B-PER", "I-PER", "I-PER", "I-PER"]])
    add("I-after-other-type", [["B-PER", "I-LOC", "O"]], [["B-PER", "B-LOC", "O"]])
    add("I-after-other-type-pred", [["B-PER", "B-LOC", "O"]], [["B-PER", "I-LOC", "O"]])
    add("adjacent-same-type", [["B-PER", "B-PER", "O"]], [["B-PER", "I-PER", "O"]])
    add("adjacent-same-type-both", [["B-PER", "I-PER", "B-PER", "I-PER"]], [["B-PER", "I-PER", "B-PER", "I-PER"]])
    add("adjacent-three", [["B-ORG", "B-ORG", "B-ORG"]], [["B-ORG", "B-ORG", "I-ORG"]])
    add("empty-predictions", [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG"]], [["O", "O", "O", "O"], ["O"]])
    add("no-entities-anywhere", [["O", "O"], ["O"]], [["O", "O"], ["O"]])
    add("gold-empty-pred-not", [["O", "O", "O"]], [["B-PER", "O", "B-LOC"]])
    add("type-only-in-gold", [["B-PER", "O", "B-DATE", "I-DATE"]], [["B-PER", "O", "O", "O"]])
    add("type-only-in-pred", [["B-PER", "O", "O"]], [["B-PER", "O", "B-MISC"]])
    add("single-token-sentences", [["B-PER"], ["O"], ["I-LOC"], ["B-ORG"], ["O"]],
        [["B-PER"], ["B-LOC"], ["B-LOC"], ["O"], ["O"]])
    add("single-token-one", [["B-PER"]], [["B-PER"]])
    add("span-across-sentence-break", [["O", "B-PER"], ["I-PER", "O"]], [["O", "B-PER"], ["I-PER", "O"]])
    add("empty-sentence-inside", [["B-PER"], [], ["O", "B-LOC"]], [["B-PER"], [], ["O", "O"]])
    add("boundary-shift", [["B-ORG", "I-ORG", "I-ORG", "O"]], [["B-ORG", "I-ORG", "O", "O"]])
    add("type-swap", [["B-PER", "I-PER"]], [["B-ORG", "I-ORG"]])
    add("type-change-inside", [["B-PER", "I-PER", "I-PER"]], [["B-PER", "I-ORG", "I-PER"]])
    add("ends-with-entity", [["O", "B-LOC", "I-LOC"]], [["O", "B-LOC", "I-LOC"]])
    add("hyphenated-type", [["B-GPE-LOC", "I-GPE-LOC", "O", "B-LOC"]], [["B-GPE-LOC", "O", "O", "B-LOC"]])
    add("lowercase-types", [["B-musicalartist", "I-musicalartist", "B-band", "O", "B-PER"]],
        [["B-musicalartist", "I-musicalartist", "I-band", "O", "B-person"]])
    add("non-ascii-type", [["B-ÉVÉNEMENT", "I-ÉVÉNEMENT", "O", "B-LIEU"]], [["B-ÉVÉNEMENT", "O", "O", "B-LIEU"]])
    many = ["PER", "LOC", "ORG", "MISC", "DATE", "TIME", "MONEY", "PERCENT", "EVENT", "PRODUCT", "LAW"]
    add("eleven-types", [["B-" + t, "I-" + t, "O"] for t in many],
        [["B-" + t, "O" if k % 3 == 0 else "I-" + t, "B-" + many[(k + 1) % len(many)] if k % 4 == 0 else "O"]
         for k, t in enumerate(many)])
    add("all-wrong", [["B-PER", "O", "B-LOC"]], [["O", "B-PER", "O"]])
    add("all-O-pred-types-in-gold-only", [["B-A", "B-B", "B-C"]], [["O", "O", "O"]])
    add("bare-prefixes", [["B", "I", "O", "B"]], [["B", "O", "O", "I"]], False)
    add("iobes-gold", [["S-PER", "O", "B-LOC", "E-LOC"]], [["B-PER", "O", "B-LOC", "I-LOC"]], False)
    add("iobes-both", [["B-ORG", "I-ORG", "E-ORG", "S-PER"]], [["B-ORG", "E-ORG", "S-ORG", "S-PER"]], False)
    add("iobes-E-after-O", [["O", "E-PER", "I-PER", "E-PER"]], [["O", "E-PER", "B-PER", "E-PER"]], False)
    return c


TYPES = ["PER", "LOC", "ORG", "MISC", "DATE", "GPE-LOC", "ÉVÉNEMENT", "product"]
WEIGHTS = [6, 5, 5, 3, 2, 1, 1, 1]


def random_sentence(rng, length, p_entity, illegal):
    tags = []
    while len(tags) < length:
        if rng.random() < p_entity:
            t = rng.choices(TYPES, WEIGHTS)[0]
            span = rng.choice([1, 1, 1, 2, 2, 3, 4])
            first = "I-" if rng.random() < illegal else "B-"
            tags.append(first + t)
            tags.extend(["I-" + t] * (span - 1))
        else:
            tags.append("O")
    return tags[:length]


def random_gold(rng, n_sent, max_len, p_entity, illegal):
    lengths = [rng.choice([1, 1, 2]) if rng.random() < 0.15 else rng.randint(1, max_len) for _ in range(n_sent)]
    return [random_sentence(rng, n, p_entity, illegal) for n in lengths]


def perturb(rng, gold, n_edits):
    pred = [list(s) for s in gold]
    positions = [(i, j) for i, s in enumerate(pred) for j in range(len(s))]
    if not positions:
        return pred
    for _ in range(n_edits):
        i, j = rng.choice(positions)
        tag = pred[i][j]
        kind = rng.randrange(7)
        t = rng.choices(TYPES, WEIGHTS)[0]
        if kind == 0:                       # change type
            pred[i][j] = "O" if tag == "O" else tag[:2] + t
        elif kind == 1:                     # B → I (merge or illegal start), I → B (split)
            if tag.startswith("B-"):
                pred[i][j] = "I-" + tag[2:]
            elif tag.startswith("I-"):
                pred[i][j] = "B-" + tag[2:]
        elif kind == 2:                     # drop a token of a span
            pred[i][j] = "O"
        elif kind == 3:                     # spurious I- after whatever precedes
            pred[i][j] = "I-" + (pred[i][j - 1][2:] if j > 0 and pred[i][j - 1] != "O" and rng.random() < 0.5 else t)
        elif kind == 4:                     # spurious B-
            pred[i][j] = "B-" + t
        elif kind == 5:                     # extend the previous span
            if j > 0 and pred[i][j - 1] != "O":
                pred[i][j] = "I-" + pred[i][j - 1][2:]
        else:                               # drop a whole span starting here
            if tag != "O":
                k = j
                while k < len(pred[i]) and pred[i][k] != "O":
                    pred[i][k] = "O"
                    k += 1
    return pred


def random_cases(rng):
    out = []
    for n in range(N_RANDOM):
        style = n % 10
        n_sent = rng.randint(1, 5)
        max_len = rng.choice([3, 6, 10, 14])
        p_entity = rng.choice([0.1, 0.25, 0.4, 0.6])
        illegal = 0.15 if style in (3, 7) else 0.0
        gold = random_gold(rng, n_sent, max_len, p_entity, illegal)
        if style == 0:
            pred = [list(s) for s in gold]                                   # exact copy
        elif style == 5:
            pred = [random_sentence(rng, len(s), p_entity, 0.2) for s in gold]  # independent guesses
        elif style == 9:
            pred = [["O"] * len(s) for s in gold]                            # empty predictions
        else:
            pred = perturb(rng, gold, rng.randint(1, 6))
        out.append(("random-%03d" % n, gold, pred, True))
    return out


# ---------------------------------------------------------------------------------------------
# references

def seqeval_scores(gold, pred, with_report):
    from seqeval.metrics.sequence_labeling import (classification_report, get_entities,
                                                   precision_recall_fscore_support)

    def num(x):
        x = float(x)
        return None if x != x else x  # NaN (macro over no type) → null

    types = sorted({t for t, _, _ in get_entities(gold)} | {t for t, _, _ in get_entities(pred)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, s = precision_recall_fscore_support(gold, pred, average=None)
        res = {"types": types,
               "per_type": {t: [num(p[k]), num(r[k]), num(f[k]), int(s[k])] for k, t in enumerate(types)}}
        for avg in ("micro", "macro", "weighted"):
            ap, ar, af, asup = precision_recall_fscore_support(gold, pred, average=avg)
            res[avg] = [num(ap), num(ar), num(af), int(asup)]
        report = None
        if with_report:
            try:
                report = classification_report(gold, pred)
            except ValueError as e:  # no entity at all: max() of an empty sequence
                report = None
                res["report_error"] = "%s: %s" % (type(e).__name__, e)
        res["report"] = report
    return res


def conlleval_input(gold, pred):
    lines = []
    for s, (g, p) in enumerate(zip(gold, pred)):
        for k, (gt, pt) in enumerate(zip(g, p)):
            lines.append("w%d_%d %s %s" % (s, k, gt, pt))
        lines.append("")
    return "\n".join(lines) + "\n"


def run_perl(script, text):
    r = subprocess.run(["perl", script], input=text.encode("utf-8"), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=True)
    return r.stdout.decode("utf-8")


def cross_check_port(text, perl_out, name):
    """The PyPI port's phrase counts must equal conlleval.pl's printed ones."""
    import conlleval
    summary = conlleval.evaluate(text.splitlines())
    ch = summary["overall"]["chunks"]["stats"]
    first = perl_out.splitlines()[0]
    expect = "processed %d tokens with %d phrases; found: %d phrases; correct: %d." % (
        summary["overall"]["tags"]["stats"]["gold"], ch["gold"], ch["pred"], ch["correct"])
    if first != expect:
        raise SystemExit("%s: conlleval 0.2 port disagrees with conlleval.pl:\n  %s\n  %s" % (name, first, expect))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--conlleval", default=os.environ.get("CONLLEVAL_PL"), help="path to conlleval.pl")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    ensure_venv()

    import numpy
    import seqeval
    import sklearn
    from importlib.metadata import version

    rng = random.Random(SEED)
    cases = hand_cases() + random_cases(rng)

    header = {
        "generator": "Scripts/golden/gen_seqeval_golden.py",
        "command": "python3 Scripts/golden/gen_seqeval_golden.py --conlleval PATH/conlleval.pl",
        "python": platform.python_version(),
        "seqeval": version("seqeval"),
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "seed": SEED,
        "seqeval_mode": "default (not strict): precision_recall_fscore_support(average=None|micro|macro|weighted), "
                        "zero_division='warn' (0); classification_report(digits=2); NaN written as null",
        "encoding": "gold/pred: one string per sentence, tags separated by single spaces (\"\" = empty sentence); "
                    "scores: [precision, recall, f1, support]",
    }
    if args.conlleval:
        script = open(args.conlleval, "rb").read()
        perl_version = subprocess.run(["perl", "-e", "print $]"], stdout=subprocess.PIPE, check=True).stdout.decode()
        header["conlleval"] = {
            "reference": "conlleval.pl, CoNLL-2000 shared task (Erik Tjong Kim Sang), version 2004-01-26",
            "sha256": hashlib.sha256(script).hexdigest(),
            "perl": perl_version,
            "input": "one 'token gold pred' line per tag, a blank line after each sentence; stdout recorded verbatim",
            "cross_check": "conlleval %s (PyPI port) gives the same phrase counts on every IOB2 case" % version("conlleval"),
        }
    else:
        header["conlleval"] = {"reference": None,
                               "note": "conlleval.pl not given (--conlleval); conlleval fields are null"}

    records = []
    n_random = 0
    for name, gold, pred, iob2 in cases:
        is_random = name.startswith("random-")
        with_report = (not is_random) or (n_random % REPORT_EVERY == 0)
        if is_random:
            n_random += 1
        rec = {"name": name, "iob2": iob2,
               "gold": [" ".join(s) for s in gold], "pred": [" ".join(s) for s in pred],
               "seqeval": seqeval_scores(gold, pred, with_report), "conlleval": None}
        if args.conlleval:
            text = conlleval_input(gold, pred)
            rec["conlleval"] = run_perl(args.conlleval, text)
            if iob2:
                cross_check_port(text, rec["conlleval"], name)
        records.append(rec)

    body = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records)
    out = '{"header":' + json.dumps(header, ensure_ascii=False, indent=1) + ',\n"cases":[\n' + body + "\n]}\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(out)
    os.replace(tmp, args.out)
    print("wrote %s: %d cases, %d bytes" % (os.path.relpath(args.out, ROOT), len(records), len(out.encode("utf-8"))))


if __name__ == "__main__":
    main()
