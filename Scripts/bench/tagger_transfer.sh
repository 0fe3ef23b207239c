#!/usr/bin/env bash
# Cross-lingual tagger measurements of issue 4 (release build, 2 threads):
#   1. CoNLL-2002 Spanish → full fine-tuning and LoRA of e5-small (dev F1 each epoch)
#   2. zero-shot transfer of both to CoNLL-2002 Dutch dev and every MasakhaNER 2.0 dev file
#   3. few-shot target adaptation of the full Spanish tagger on 10/50/100 sentences of three
#      MasakhaNER languages (DATE, absent from CoNLL-2002, dropped), evaluated on their dev files.
# Resumable: finished steps are skipped, training runs continue from RUN/last.
# Usage: bash Scripts/bench/tagger_transfer.sh [OUT_DIR]   (default /tmp/crosstalk-tagger-bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/crosstalk-tagger-bench}
DATA=${CROSSTALK_DATA:-$(cd .. && pwd)/shared/corpora}
CT=.build/release/crosstalk
[ -x "$CT" ] || swift build -c release --product crosstalk
mkdir -p "$OUT"
ES=$DATA/conll_ner/es
EPOCHS=${EPOCHS:-2}
train() {  # name, extra args…
  local name=$1; shift
  if [ ! -f "$OUT/$name/history.json" ]; then
    local resume=()
    [ -f "$OUT/$name/tagger.json" ] && resume=(--resume)
    $CT tagger train --train "$ES/es.conll.train.tsv" --dev "$ES/es.conll.dev.tsv" --model e5-small \
      --epochs "$EPOCHS" --seed 1 --threads 2 --save-every 100 -o "$OUT/$name" "${resume[@]}" "$@" 2>&1 | tee "$OUT/$name.log"
  fi
}
transfer() {  # name
  local name=$1
  [ -f "$OUT/$name.nl.json" ] || $CT tagger eval-transfer --model "$OUT/$name" --data "$DATA/conll_ner" --languages nl --format json > "$OUT/$name.nl.json"
  [ -f "$OUT/$name.masakhaner.json" ] || $CT tagger eval-transfer --model "$OUT/$name" --data "$DATA/masakhaner" --format json > "$OUT/$name.masakhaner.json"
}
train es-full --method full --lr 5e-5
transfer es-full
train es-lora --method lora --lr 5e-4
transfer es-lora
for lang in hau swa yor; do
  for n in 10 50 100; do
    name=fewshot-$lang-$n
    epochs=$(( n == 10 ? 20 : (n == 50 ? 10 : 5) ))
    if [ ! -f "$OUT/$name.json" ]; then
      rm -rf "${OUT:?}/$name"
      $CT tagger train --train "$DATA/masakhaner/$lang/train.txt" --limit "$n" --drop-types DATE --init-from "$OUT/es-full" \
        --epochs "$epochs" --lr 5e-5 --seed 1 --threads 2 -o "$OUT/$name" 2>&1 | tee "$OUT/$name.log"
      $CT tagger eval-transfer --model "$OUT/$name" --data "$DATA/masakhaner" --languages "$lang" --format json > "$OUT/$name.json"
    fi
  done
done
echo "results in $OUT"
