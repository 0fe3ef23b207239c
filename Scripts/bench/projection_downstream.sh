#!/usr/bin/env bash
# Downstream value of projected data (issue 5): translate-train with the markup method against
# zero-shot transfer, on the one target language of this machine with NER gold *and* an Apertium
# pair from Spanish: Italian (Europarl NER it, sentences 1–300; PER/ORG/LOC/MISC like CoNLL-2002).
#   1. `project translate --pair es-it`: CoNLL-2002 Spanish train and dev through Apertium's
#      spa-ita with entity markup (-f html) → a projected Italian train and dev set.
#   2. LoRA tagger (e5-small, 2 epochs, lr 5e-4, seed 1) on the projected Italian train set,
#      model selection on the projected Italian dev set (no Italian gold is touched).
#   3. The same LoRA recipe on the Spanish originals (the zero-shot baseline).
#   4. Both scored on the Italian Europarl gold (and on Spanish Europarl, for the source side).
# Resumable: finished steps are skipped, training continues from RUN/last.
# Usage: bash Scripts/bench/projection_downstream.sh [OUT_DIR]   (needs Scripts/setup done; about
# 40 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/crosstalk-projection-downstream}
DATA=${CROSSTALK_DATA:-$(cd .. && pwd)/shared/corpora}
[ -d "$DATA/conll_ner/es" ] || { echo "projection_downstream: corpus not found at $DATA (set CROSSTALK_DATA)" >&2; exit 1; }
swift build -c release --product crosstalk >&2
CT="$(swift build -c release --show-bin-path)/crosstalk"
mkdir -p "$OUT"
ES=$DATA/conll_ner/es
for split in train dev; do
  [ -f "$OUT/it.markup.$split.conll" ] || /usr/bin/time -f "translate $split: %e s" \
    "$CT" project translate --source "$ES/es.conll.$split.tsv" --pair es-it -o "$OUT/it.markup.$split.conll" --report "$OUT/it.markup.$split.md"
done
train() {  # name train dev
  local name=$1 tr=$2 dv=$3
  if [ ! -f "$OUT/$name/history.json" ]; then
    local resume=()
    [ -f "$OUT/$name/tagger.json" ] && resume=(--resume)
    "$CT" tagger train --train "$tr" --dev "$dv" --model e5-small --method lora --lr 5e-4 \
      --epochs 2 --seed 1 --threads 2 --save-every 100 -o "$OUT/$name" "${resume[@]}" 2>&1 | tee "$OUT/$name.log"
  fi
}
train it-markup "$OUT/it.markup.train.conll" "$OUT/it.markup.dev.conll"
train es-zeroshot "$ES/es.conll.train.tsv" "$ES/es.conll.dev.tsv"
for m in it-markup es-zeroshot; do
  for l in it es; do
    "$CT" tagger predict --model "$OUT/$m" --input "$DATA/europarl_ner/$l-europarl.s001-300.conll02" -o "$OUT/$m.europarl-$l.conll"
    "$CT" tagger eval --gold "$DATA/europarl_ner/$l-europarl.s001-300.conll02" --pred "$OUT/$m.europarl-$l.conll" > "$OUT/$m.europarl-$l.txt"
  done
done
grep -H "micro avg" "$OUT"/*.europarl-*.txt
grep -H "carried\|spans" "$OUT"/it.markup.*.md
