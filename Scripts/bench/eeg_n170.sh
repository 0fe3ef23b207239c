#!/usr/bin/env bash
# N170 face vs house on the real eeg_notebooks recordings (Muse, subjects 1–3): leave-subjects-out
# with N shots per class from the target subject (issue's EEG protocol). For each target subject K:
#   1. tangent-space reference fitted on the OTHER subjects' epochs only (`eeg features
#      --reference-out`), so neither the target's test epochs nor its unlabelled pool shape the
#      features; reused with --reference-from for all recordings;
#   2. bandpower (log10), erp and tangent features for all recordings with `--split-target subjectK
#      --test-fraction 0.5 --split-seed 0`: other subjects → split=base (always trained on), the
#      target's epochs → a seeded 50/50 split stratified by label, train (the shot pool) / test;
#   3. `probe fit --shots 0,1,5,10,20,all --seeds 10` on the three feature sets (0 = base only,
#      zero-shot cross-subject; N = base + N per class from the pool; all = base + whole pool).
#   4. baseline, the same target epochs and the same train/test split without the other subjects
#      (`eeg features --data N170/subjectK --split-target subjectK`: no base rows), shots ≥ 1 only:
#      what N target shots give on their own.
# Then tables of macro ROC-AUC and of balanced accuracy (argmax class; mean of the face and house
# recalls) mean ± std (over seeds) per subject × feature set × shots, and the mean over subjects,
# into OUT/summary.md.
# Usage: bash Scripts/bench/eeg_n170.sh [OUT_DIR]   (default /tmp/crosstalk-eeg-n170)
# Env: CROSSTALK_DATA (default ../shared/corpora), SHOTS, SEEDS, SPLIT_SEED, CROSSTALK (binary).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/crosstalk-eeg-n170}
DATA=${CROSSTALK_DATA:-$(cd .. && pwd)/shared/corpora}
N170=$DATA/eeg_notebooks/N170
SHOTS=${SHOTS:-0,1,5,10,20,all}
SEEDS=${SEEDS:-10}
SPLIT_SEED=${SPLIT_SEED:-0}
SHOTS_WITHIN=$(echo "$SHOTS" | tr ',' '\n' | grep -vx 0 | paste -sd, -)
CT=${CROSSTALK:-.build-eeg-release/release/crosstalk}
[ -d "$N170" ] || { echo "eeg_notebooks not found under $DATA (set CROSSTALK_DATA)" >&2; exit 1; }
[ -x "$CT" ] || swift build -c release --product crosstalk --scratch-path .build-eeg-release
mkdir -p "$OUT"
SUBJECTS=(1 2 3)
FEATURES=(bandpower erp tangent)

for k in "${SUBJECTS[@]}"; do
  d=$OUT/subject$k
  mkdir -p "$d"
  others=()
  for j in "${SUBJECTS[@]}"; do [ "$j" = "$k" ] || others+=(--data "$N170/subject$j"); done
  # 1. leakage-free tangent reference: the other subjects' epochs only.
  $CT eeg features "${others[@]}" --features tangent --reference-out "$d/reference.npy" \
    -o "$d/reference-fit.npy" --labels "$d/reference-fit.csv"
  # 2. features + split column for every recording.
  for f in "${FEATURES[@]}"; do
    extra=()
    case $f in
      bandpower) extra=(--log) ;;
      tangent) extra=(--reference-from "$d/reference.npy") ;;
    esac
    $CT eeg features --data "$N170" --features "$f" "${extra[@]}" \
      --split-target "subject$k" --test-fraction 0.5 --split-seed "$SPLIT_SEED" -o "$d/$f.npy" --labels "$d/Y-$f.csv"
  done
  # The same epochs are kept whatever the features (rejection is on the filtered signal), so the
  # three label tables must be identical.
  cmp "$d/Y-bandpower.csv" "$d/Y-erp.csv"
  cmp "$d/Y-bandpower.csv" "$d/Y-tangent.csv"
  mv "$d/Y-bandpower.csv" "$d/Y.csv"; rm -f "$d/Y-erp.csv" "$d/Y-tangent.csv"
  # 3. the N-shot protocol.
  fit_args=()
  for f in "${FEATURES[@]}"; do fit_args+=(--features "$d/$f.npy" --name "$f"); done
  $CT probe fit "${fit_args[@]}" --labels "$d/Y.csv" --shots "$SHOTS" --seeds "$SEEDS" --report "$d/report"
  # 4. within-subject baseline on the same epochs and split (features of the target only; the
  #    tangent reference is still the other subjects').
  for f in "${FEATURES[@]}"; do
    extra=()
    case $f in
      bandpower) extra=(--log) ;;
      tangent) extra=(--reference-from "$d/reference.npy") ;;
    esac
    $CT eeg features --data "$N170/subject$k" --features "$f" "${extra[@]}" \
      --split-target "subject$k" --test-fraction 0.5 --split-seed "$SPLIT_SEED" -o "$d/within-$f.npy" --labels "$d/Y-within-$f.csv"
    cmp "$d/Y-within-bandpower.csv" "$d/Y-within-$f.csv"
    [ "$f" = bandpower ] || rm -f "$d/Y-within-$f.csv"
  done
  mv "$d/Y-within-bandpower.csv" "$d/Y-within.csv"
  # Same epochs, labels, onsets and split as the target's rows of Y.csv (file names differ: relative to another folder).
  cmp <(grep ",subject$k," "$d/Y.csv" | cut -d, -f1,5,6) <(tail -n +2 "$d/Y-within.csv" | cut -d, -f1,5,6)
  fit_args=()
  for f in "${FEATURES[@]}"; do fit_args+=(--features "$d/within-$f.npy" --name "$f"); done
  $CT probe fit "${fit_args[@]}" --labels "$d/Y-within.csv" --shots "$SHOTS_WITHIN" --seeds "$SEEDS" --report "$d/report-within"
done

# Summary: macro ROC-AUC (for two classes, the face-vs-house ROC-AUC) and balanced accuracy,
# mean ± std over seeds.
table() {  # report directory name, shots list, metrics.json key (default macro_roc_auc)
  local key=${3:-macro_roc_auc}
  echo "| features | shots | $(printf 'subject%s | ' "${SUBJECTS[@]}")mean over subjects |"
  echo "|---|---|$(printf -- '---|%.0s' "${SUBJECTS[@]}")---|"
  for f in "${FEATURES[@]}"; do
    for s in ${2//,/ }; do
      row="| $f | $s |"; sum=0
      for k in "${SUBJECTS[@]}"; do
        read -r mean std < <(jq -r --arg f "$f" --arg s "$s" --arg m "$key" '.feature_sets[$f][$s][$m] | "\(.mean) \(.std)"' "$OUT/subject$k/$1/metrics.json")
        row+=" $(printf '%.3f ± %.3f' "$mean" "$std") |"
        sum=$(awk -v a="$sum" -v b="$mean" 'BEGIN { print a + b }')
      done
      row+=" $(awk -v a="$sum" -v n="${#SUBJECTS[@]}" 'BEGIN { printf "%.3f", a / n }') |"
      echo "$row"
    done
  done
}
{
  echo "### Leave-subjects-out: other subjects (base) + N shots per class of the target — ROC-AUC"
  echo
  table report "$SHOTS"
  echo
  echo "### Leave-subjects-out — balanced accuracy"
  echo
  table report "$SHOTS" balanced_accuracy
  echo
  echo "### Within-subject baseline: N shots per class of the target only (same test epochs) — ROC-AUC"
  echo
  table report-within "$SHOTS_WITHIN"
  echo
  echo "### Within-subject baseline — balanced accuracy"
  echo
  table report-within "$SHOTS_WITHIN" balanced_accuracy
  echo
  for k in "${SUBJECTS[@]}"; do
    jq -r --arg k "$k" '"subject\($k): base \(.base_rows), train pool \(.train_rows), test \(.test_rows) epochs"' "$OUT/subject$k/report/metrics.json"
  done
} > "$OUT/summary.md"
cat "$OUT/summary.md"
echo "results in $OUT"
