#!/usr/bin/env bash
# Few-shot instrument-family tagging on the SYNTHETIC music corpus (issue 6, "Data — Music"):
#   1. `crosstalk corpus music`: CLIPS seeded clips of SECONDS s, 1–3 General MIDI instrument
#      families each (multi-label: piano organ guitar bass strings brass woodwind voice drums),
#      rendered with fluidsynth + TimGM6mb; tags.csv has a seeded 75/25 train/test split column;
#   2. frozen clip features, one row per tags.csv row (files.txt order):
#      musicnn-mtt penultimate embeddings [N, 200] and taggram [N, 50] (`tag-audio`), musicnn-msd
#      embeddings [N, 200], log-mel mean+std [N, 192] and MFCC mean+std [N, 40] (`features stats`);
#   3. `probe fit --shots 1,5,10,20,all --seeds 10`: one-vs-rest logistic probes, N positives per
#      tag drawn from the train rows, scored on the fixed test rows (macro ROC-AUC and PR-AUC).
# Then OUT/summary.md: mean ± std over seeds per feature set × shots, and the step timings.
# The data are synthetic (rendered by the recipe), not recordings; say so wherever results go.
# Usage: bash Scripts/bench/music_fewshot.sh [OUT_DIR]   (default /tmp/crosstalk-music-fewshot)
# Env: CLIPS (400), SECONDS_PER_CLIP (10), SEED (0), SHOTS (1,5,10,20,all), SEEDS (10),
#      THREADS (2), CROSSTALK (binary; default: release build in .build-music-rel).
# Optional: SKLEARN_PYTHON (a python with numpy + scikit-learn) adds per-tag ROC-AUC of the "all"
#   probes on the test clips; MUSICNN_PYTHON (a python with musicnn 0.1.0 + tensorflow-cpu, e.g. the
#   venv of Scripts/golden/gen_musicnn_golden.py) times musicnn's own extractor on 40 clips against
#   `tag-audio` on the same clips.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/crosstalk-music-fewshot}
CLIPS=${CLIPS:-400}
SECS=${SECONDS_PER_CLIP:-10}
SEED=${SEED:-0}
SHOTS=${SHOTS:-1,5,10,20,all}
SEEDS=${SEEDS:-10}
THREADS=${THREADS:-2}
CT=${CROSSTALK:-.build-music-rel/release/crosstalk}
[ -x "$CT" ] || swift build -c release --product crosstalk --scratch-path .build-music-rel
command -v jq >/dev/null || { echo "jq is required for the summary" >&2; exit 1; }
mkdir -p "$OUT"
CORPUS=$OUT/corpus
TIMES=$OUT/timings.tsv
: > "$TIMES"
timed() {  # label, command...
  local label=$1; shift
  local t0; t0=$(date +%s.%N)
  "$@"
  awk -v l="$label" -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%s\t%.1f\n", l, b - a }' >> "$TIMES"
}

rm -rf "$CORPUS"
timed "render $CLIPS clips (corpus music, $THREADS fluidsynth jobs)" \
  "$CT" corpus music --out "$CORPUS" --clips "$CLIPS" --seed "$SEED" --seconds "$SECS" --jobs "$THREADS"
F=$OUT/features
mkdir -p "$F"
timed "tag-audio musicnn-mtt (embeddings + taggram)" \
  "$CT" tag-audio "$CORPUS/files.txt" --model musicnn-mtt --embeddings "$F/musicnn-mtt.npy" --taggram "$F/taggram-mtt.npy" --threads "$THREADS" > "$F/tags-mtt.tsv"
timed "tag-audio musicnn-msd (embeddings)" \
  "$CT" tag-audio "$CORPUS/files.txt" --model musicnn-msd --embeddings "$F/musicnn-msd.npy" --threads "$THREADS" > "$F/tags-msd.tsv"
timed "features stats logmel (musicnn preset, 96 bands)" \
  "$CT" features stats --kind logmel "$CORPUS/files.txt" -o "$F/logmel-stats.npy" --threads "$THREADS"
timed "features stats mfcc (librosa preset, 20 coefficients)" \
  "$CT" features stats --kind mfcc "$CORPUS/files.txt" -o "$F/mfcc-stats.npy" --threads "$THREADS"

SETS=(musicnn-mtt musicnn-msd taggram-mtt logmel-stats mfcc-stats)
fit_args=()
for s in "${SETS[@]}"; do fit_args+=(--features "$F/$s.npy" --name "$s"); done
timed "probe fit (${#SETS[@]} feature sets × shots $SHOTS × $SEEDS seeds)" \
  "$CT" probe fit "${fit_args[@]}" --labels "$CORPUS/tags.csv" --shots "$SHOTS" --seeds "$SEEDS" --report "$OUT/report"

M=$OUT/report/metrics.json
{
  echo "Synthetic data: $CLIPS clips × $SECS s rendered by \`crosstalk corpus music --seed $SEED\` (fluidsynth + TimGM6mb), not recordings."
  echo
  for metric in macro_roc_auc macro_pr_auc; do
    echo "### $metric, mean ± std over $SEEDS seeds"
    echo
    echo "| features | $(echo "$SHOTS" | sed 's/,/ | /g') |"
    echo "|---|$(echo "$SHOTS" | tr ',' '\n' | sed 's/.*/---|/' | paste -sd '' -)"
    for s in "${SETS[@]}"; do
      row="| $s |"
      for n in ${SHOTS//,/ }; do
        row+=" $(jq -r --arg s "$s" --arg n "$n" --arg m "$metric" '.feature_sets[$s][$n][$m] | "\(.mean) \(.std // 0)"' "$M" \
          | awk '{ if ($2 == 0) printf "%.3f", $1; else printf "%.3f ± %.3f", $1, $2 }') |"
      done
      echo "$row"
    done
    echo
  done
  echo "### Timings (s, wall clock)"
  echo
  echo "| step | seconds |"
  echo "|---|---|"
  awk -F'\t' '{ printf "| %s | %s |\n", $1, $2 }' "$TIMES"
  echo
  echo "Tag counts (clips): $(head -1 "$CORPUS/tags.csv" | cut -d, -f3- | tr ',' '\n' | nl -v3 | while read -r i t; do printf '%s=%s ' "$t" "$(tail -n +2 "$CORPUS/tags.csv" | cut -d, -f"$i" | grep -c 1)"; done)"
  echo "Split: $(tail -n +2 "$CORPUS/tags.csv" | cut -d, -f2 | sort | uniq -c | awk '{ printf "%s %s  ", $2, $1 }')"
} > "$OUT/summary.md"

if [ -n "${SKLEARN_PYTHON:-}" ]; then
  for s in "${SETS[@]}"; do "$CT" probe predict --probe "$OUT/report/probe-$s.json" --features "$F/$s.npy" -o "$OUT/report/predict-$s.csv"; done
  "$SKLEARN_PYTHON" - "$CORPUS/tags.csv" "$OUT/report" "${SETS[@]}" >> "$OUT/summary.md" <<'PY'
import csv, sys
import numpy as np
from sklearn.metrics import roc_auc_score
tags_csv, report, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
rows = list(csv.DictReader(open(tags_csv)))
tags = [c for c in rows[0] if c not in ("file", "split")]
test = [i for i, r in enumerate(rows) if r.get("split", "test") == "test"]
y = np.array([[int(r[t]) for t in tags] for r in rows])[test]
auc = {}
for s in sets:
    p = np.loadtxt(f"{report}/predict-{s}.csv", delimiter=",", skiprows=1, ndmin=2)[test]
    auc[s] = [roc_auc_score(y[:, j], p[:, j]) for j in range(len(tags))]
print("\n### Per-tag ROC-AUC of the \"all\" probes on the test clips\n")
print("| tag | " + " | ".join(sets) + " |\n|---|" + "---|" * len(sets))
for j, t in enumerate(tags):
    print(f"| {t} | " + " | ".join(f"{auc[s][j]:.3f}" for s in sets) + " |")
PY
fi

if [ -n "${MUSICNN_PYTHON:-}" ]; then
  head -40 "$CORPUS/files.txt" | sed "s|^|$CORPUS/|" > "$OUT/first40.txt"
  t0=$(date +%s.%N)
  "$CT" tag-audio "$OUT/first40.txt" --threads "$THREADS" > /dev/null
  ours=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  py=$(TF_CPP_MIN_LOG_LEVEL=3 "$MUSICNN_PYTHON" - "$OUT/first40.txt" 2>/dev/null <<'PY' | tail -1
import sys, time, warnings
warnings.filterwarnings("ignore")
t0 = time.time()
from musicnn.extractor import extractor
t1 = time.time()
for p in [l.strip() for l in open(sys.argv[1]) if l.strip()]:
    extractor(p, model="MTT_musicnn", extract_features=True)
print(f"{time.time() - t1:.1f} s (+ {t1 - t0:.1f} s import)")
PY
)
  printf '\nmusicnn-mtt on 40 clips: crosstalk tag-audio %s s; Python musicnn extractor (per file, as its API runs) %s\n' "$ours" "$py" >> "$OUT/summary.md"
fi
cat "$OUT/summary.md"
echo "results in $OUT"
