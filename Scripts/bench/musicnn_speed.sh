#!/usr/bin/env bash
# musicnn feature extraction speed (issue 6): seconds of audio per second of wall clock for
# `crosstalk tag-audio` (embeddings + taggram, whole process: model loading, decoding, resampling to
# 16 kHz, log-mel, CNN), on 1 and 2 threads, best of 3, release build. The audio is a fresh
# synthetic corpus (`crosstalk corpus music`, fluidsynth + TimGM6mb): synthetic music, not recordings.
# Usage: bash Scripts/bench/musicnn_speed.sh [OUT_DIR] [CLIPS]   (needs Scripts/setup done)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/crosstalk-musicnn-speed}
CLIPS=${2:-40}
if [ -z "${CROSSTALK:-}" ]; then swift build -c release --product crosstalk >&2; fi  # CROSSTALK=path: a binary built elsewhere
CT="${CROSSTALK:-$(swift build -c release --show-bin-path)/crosstalk}"
rm -rf "$OUT"; mkdir -p "$OUT"
"$CT" corpus music --out "$OUT/corpus" --clips "$CLIPS" --seed 3 --seconds 10 --jobs 2 >&2
audio=$(python3 - "$OUT/corpus/files.txt" <<'PY'
import os, sys, wave
total, base = 0.0, os.path.dirname(sys.argv[1])
for line in open(sys.argv[1]):
    if line.strip():
        with wave.open(os.path.join(base, line.strip())) as w:  # paths relative to the list's folder
            total += w.getnframes() / w.getframerate()
print(f"{total:.2f}")
PY
)
echo "corpus: $CLIPS synthetic clips, $audio s of audio (22 050 Hz WAV)"
for model in musicnn-mtt musicnn-msd; do
  for threads in 1 2; do
    best=""
    for _ in 1 2 3; do
      start=$(date +%s.%N)
      "$CT" tag-audio "$OUT/corpus/files.txt" --model "$model" --embeddings "$OUT/e.npy" --taggram "$OUT/t.npy" --threads "$threads" > /dev/null 2>&1
      t=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')
      best=$(awk -v t="$t" -v b="${best:-1e30}" 'BEGIN{print (t < b) ? t : b}')
    done
    printf "%s, %d thread(s): %.2f s wall (best of 3) = %.1f s of audio per second\n" "$model" "$threads" "$best" "$(awk -v a="$audio" -v b="$best" 'BEGIN{print a / b}')"
  done
done
