#!/usr/bin/env bash
# Projection F1 of `tprojection` and `align` on the visible gold of Europarl NER (en→de/es/it,
# sentences 1–300), ABSA (en→es/fr/ru, SemEval-2016 restaurants, hand-projected) and AbstRCT
# (en→es/fr/it neoplasm dev, revised), plus the markup method's span survival (Apertium -f html).
# tprojection figures are HELD-OUT: `project fit --holdout pairs` (Europarl: weights fitted on two
# languages, scored on the third) or `--holdout 5` (ABSA, AbstRCT: five contiguous folds per pair).
# Usage: bash Scripts/bench/projection_tprojection.sh [OUT_DIR]   (needs Scripts/setup done)
# Corpora: $CROSSTALK_DATA or ../shared/corpora. Takes about an hour on 2 cores. Resumable: a step
# whose output exists is skipped (delete OUT_DIR to start over). Throughput (pairs/s) of every
# `project` run is in its --report .md next to the output.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${1:-/tmp/crosstalk-projection-bench}"
DATA="${CROSSTALK_DATA:-$(cd .. && pwd)/shared/corpora}"
[ -d "$DATA/europarl_ner" ] || { echo "projection_tprojection: corpus not found at $DATA (set CROSSTALK_DATA)" >&2; exit 1; }
swift build -c release --product crosstalk >&2
BIN="$(swift build -c release --show-bin-path)/crosstalk"
mkdir -p "$OUT"
T="--threads 2"

# Europarl: English sentences 1–300 are the source side of the three 300-sentence files.
E="$DATA/europarl_ner"
awk 'BEGIN{RS="";ORS="\n\n"} NR<=300' "$E/en-europarl.test.conll02" > "$OUT/en.s001-300.conll02"
EP=(); for l in de es it; do EP+=(--source "$OUT/en.s001-300.conll02" --target "$E/$l-europarl.s001-300.conll02" --target-lang "$l"); done
[ -s "$OUT/europarl.weights.json" ] || "$BIN" project fit "${EP[@]}" $T --holdout pairs -o "$OUT/europarl.weights.json" > "$OUT/europarl.fit.txt"
[ -s "$OUT/europarl-nomt.weights.json" ] || "$BIN" project fit "${EP[@]}" $T --holdout pairs --mt none -o "$OUT/europarl-nomt.weights.json" > "$OUT/europarl-nomt.fit.txt"
for l in de es it; do
  [ -s "$OUT/europarl.align.$l.conll" ] || "$BIN" project --method align --source "$OUT/en.s001-300.conll02" --target "$E/$l-europarl.s001-300.conll02" $T -o "$OUT/europarl.align.$l.conll" --report "$OUT/europarl.align.$l.md"
  "$BIN" project eval --gold "$E/$l-europarl.s001-300.conll02" --pred "$OUT/europarl.align.$l.conll" > "$OUT/europarl.align.$l.txt"
done

# ABSA: the English train file is the source of the hand projections (tag in column 2 of 3).
A="$DATA/absa_projection"
AP=(); for p in en2es/DeepL.Iker:es en2fr/Nayla.DeepL:fr en2ru/Olia.DeepL:ru; do
  AP+=(--source "$A/original/en/en.absa.train.tsv" --target "$A/manual_projections/${p%%:*}.train.tsv" --target-lang "${p##*:}")
done
[ -s "$OUT/absa.weights.json" ] || "$BIN" project fit "${AP[@]}" --tag-column 2 $T --holdout 5 -o "$OUT/absa.weights.json" > "$OUT/absa.fit.txt"
for p in en2es/DeepL.Iker en2fr/Nayla.DeepL en2ru/Olia.DeepL; do
  n="${p%%/*}"
  [ -s "$OUT/absa.align.$n.conll" ] || "$BIN" project --method align --source "$A/original/en/en.absa.train.tsv" --target "$A/manual_projections/$p.train.tsv" $T -o "$OUT/absa.align.$n.conll" --report "$OUT/absa.align.$n.md"
  "$BIN" project eval --tag-column 2 --gold "$A/manual_projections/$p.train.tsv" --pred "$OUT/absa.align.$n.conll" > "$OUT/absa.align.$n.txt"
  # Europarl's weights applied to ABSA unchanged (no ABSA data used).
  [ -s "$OUT/absa.tp-europarl.$n.conll" ] || "$BIN" project --source "$A/original/en/en.absa.train.tsv" --target "$A/manual_projections/$p.train.tsv" --target-lang "${n#en2}" $T -o "$OUT/absa.tp-europarl.$n.conll" --report "$OUT/absa.tp-europarl.$n.md"
  "$BIN" project eval --tag-column 2 --gold "$A/manual_projections/$p.train.tsv" --pred "$OUT/absa.tp-europarl.$n.conll" > "$OUT/absa.tp-europarl.$n.txt"
done

# AbstRCT: neoplasm dev, English → revised es (DeepL, NLLB), fr, it (NLLB); the French file has invalid UTF-8.
# The French file has two kinds of broken lines, mended in a copy (nothing else changes): four carry two
# words in the token column ("plus jeunes I-Premise", space-separated like the tag), split into one
# token per word (the second continues the span: I- of the same type, O stays O); two lines (8608,
# 8650) are a tag without its token, given the placeholder token "_".
R="$DATA/abstrct"
RF="$OUT/abstrct"; mkdir -p "$RF/FR/nllb"; for d in EN ES/deepl ES/nllb IT/nllb; do mkdir -p "$RF/$d"; ln -sf "$R/$d/"*.tsv "$RF/$d/"; done
awk '{ if (NF == 1 && ($1 == "O" || $1 ~ /^[BI]-/)) print "_ " $1; else if (NF > 2) { tag = $NF; for (i = 1; i < NF; i++) { t = (i == 1 || tag == "O") ? tag : "I-" substr(tag, 3); print $i " " t } } else print }' \
  "$R/FR/nllb/fr_neoplasm_nllb_awesome_dev.tsv" > "$RF/FR/nllb/fr_neoplasm_nllb_awesome_dev.tsv"
R="$RF"
RP=(); for p in ES/deepl/es_neoplasm_deepl_awesome_dev:es ES/nllb/es_neoplasm_nllb_awesome_dev:es FR/nllb/fr_neoplasm_nllb_awesome_dev:fr IT/nllb/it_neoplasm_nllb_awesome_dev:it; do
  RP+=(--source "$R/EN/neoplasm_dev.tsv" --target "$R/${p%%:*}.tsv" --target-lang "${p##*:}")
done
[ -s "$OUT/abstrct.weights.json" ] || "$BIN" project fit "${RP[@]}" --replace-invalid-utf8 $T --holdout 5 -o "$OUT/abstrct.weights.json" > "$OUT/abstrct.fit.txt"
for p in ES/deepl/es_neoplasm_deepl_awesome_dev ES/nllb/es_neoplasm_nllb_awesome_dev FR/nllb/fr_neoplasm_nllb_awesome_dev IT/nllb/it_neoplasm_nllb_awesome_dev; do
  n="$(basename "$p")"
  [ -s "$OUT/abstrct.align.$n.conll" ] || "$BIN" project --method align --replace-invalid-utf8 --source "$R/EN/neoplasm_dev.tsv" --target "$R/$p.tsv" $T -o "$OUT/abstrct.align.$n.conll" --report "$OUT/abstrct.align.$n.md"
  "$BIN" project eval --replace-invalid-utf8 --gold "$R/$p.tsv" --pred "$OUT/abstrct.align.$n.conll" > "$OUT/abstrct.align.$n.txt"
done

# Markup: how many spans survive Apertium's translation (no gold exists for Apertium's own output).
for pair in en-es en-fr en-it; do
  "$BIN" project translate --source "$OUT/en.s001-300.conll02" --pair "$pair" -o "$OUT/europarl.markup.$pair.conll" --report "$OUT/europarl.markup.$pair.md"
  "$BIN" project translate --source "$A/original/en/en.absa.train.tsv" --pair "$pair" -o "$OUT/absa.markup.$pair.conll" --report "$OUT/absa.markup.$pair.md"
done
grep -H "all held-out\|: .* / .* / " "$OUT"/*.fit.txt
grep -H "micro avg" "$OUT"/*.txt
grep -H "carried" "$OUT"/*.md
grep -H "pairs/s" "$OUT"/*.md
