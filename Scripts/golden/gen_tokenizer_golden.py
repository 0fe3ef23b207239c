#!/usr/bin/env python3
"""Writes Tests/TokenizationTests/Resources/tokenizer_golden.json.

Loads the shipped SentencePiece models in tokenizers/ with python sentencepiece and
records, for a multilingual test set, the reference ids, pieces, normalized text and
decode(ids), plus n-best segmentations and vocabulary queries. Swift's Tokenization
tests read the file and must match it byte for byte. Never run in CI.

Usage (from the package root):
    python3 Scripts/golden/gen_tokenizer_golden.py
"""
import json
import os
import platform
import sys

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "TokenizationTests", "Resources", "tokenizer_golden.json")

MODELS = {
    "unigram": "tokenizers/crosstalk-multi-unigram-2k.model",
    "bpe": "tokenizers/crosstalk-multi-bpe-1k.model",
}

# (label, text): at least one line per script, plus whitespace and Unicode edge cases.
TEXTS = [
    ("latin-en", "The river runs slowly past the old mill."),
    ("latin-diacritics", "Ma sœur a planté des tomates derrière la cuisine."),
    ("latin-de", "Übermorgen fahren wir an die Nordsee, grüße aus München!"),
    ("latin-vi", "Tiếng Việt có sáu thanh điệu."),
    ("latin-yo", "Ẹ kú àárọ̀, ṣé dáadáa ni?"),
    ("cyrillic", "Ёжик спрятался под большим листом."),
    ("greek", "Καλό ταξίδι και τα λέμε σύντομα!"),
    ("arabic", "نلتقي غدًا في المقهى قرب الجامعة."),
    ("hebrew", "תודה רבה, להתראות מחר!"),
    ("devanagari", "हिंदी देवनागरी लिपि में लिखी जाती है।"),
    ("cjk-zh", "中文没有空格，分词要靠模型。"),
    ("cjk-ja", "カタカナとひらがなと漢字を一緒に使います。"),
    ("hangul", "한글은 세종대왕 때 만들어졌다."),
    ("thai", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ"),
    ("ethiopic", "አማርኛ በግዕዝ ፊደል ይጻፋል።"),
    ("emoji", "Thumbs up 👍🏽 from the team 👩\u200d💻 🇬🇷"),
    ("unseen-chars", "Ǆ ꙮ 𓀀 ☃"),
    ("whitespace-runs", "many    spaces   between\u3000words"),
    ("tabs", "tab\tseparated\tcolumns"),
    ("leading-trailing", "   padded on both sides   "),
    ("full-width", "ＡＢＣ１２３"),
    ("half-width-katakana", "ｶﾀｶﾅ"),
    ("combining", "e\u0301 cafe\u0301 n\u0303"),
    ("ligature-roman", "ﬁne Ⅻ ½ x²"),
    ("digits", "Order #4821 ships on 2024-03-15 for €12.50"),
    ("mixed-scripts", "Namaste is written नमस्ते and water is 水."),
    ("empty", ""),
    ("only-spaces", "     "),
]

NBEST = ["The river runs slowly past the old mill.", "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ"]
VOCAB_IDS = [0, 1, 2, 3, 4, 10, 100, 258, 259, 260, 261, 500, 999]
PIECES = ["▁the", "▁The", "<unk>", "<s>", "</s>", "<0x41>", "▁", "s", "no-such-piece"]


def record(sp, model_type):
    size = sp.get_piece_size()
    entry = {
        "piece_size": size,
        "bos_id": sp.bos_id(),
        "eos_id": sp.eos_id(),
        "pad_id": sp.pad_id(),
        "unk_id": sp.unk_id(),
        "cases": [],
        "vocab": [],
        "piece_to_id": {p: sp.piece_to_id(p) for p in PIECES},
    }
    for label, text in TEXTS:
        ids = sp.encode(text)
        pieces = sp.encode(text, out_type=str)
        entry["cases"].append({
            "label": label,
            "text": text,
            "ids": ids,
            "pieces": pieces,
            "normalized": sp.normalize(text),
            "decoded": sp.decode(ids),
            # Unknown pieces keep their text here, where decode(ids) gives " ⁇ ".
            "decoded_pieces": sp.decode(pieces),
        })
    for i in VOCAB_IDS + [size - 1]:
        if i < size:
            entry["vocab"].append({
                "id": i,
                "piece": sp.id_to_piece(i),
                "score": sp.get_score(i),
                "is_control": sp.is_control(i),
                "is_unknown": sp.is_unknown(i),
                "is_unused": sp.is_unused(i),
                "is_byte": sp.is_byte(i),
            })
    if model_type == "unigram":
        entry["nbest"] = [{"text": t, "n": 3, "ids": sp.nbest_encode(t, nbest_size=3)} for t in NBEST]
    return entry


def main():
    golden = {
        "generator": "python3 Scripts/golden/gen_tokenizer_golden.py",
        "python": platform.python_version(),
        "sentencepiece": spm.__version__,
        "models": {},
    }
    for key, path in MODELS.items():
        sp = spm.SentencePieceProcessor(model_file=os.path.join(ROOT, path))
        golden["models"][key] = {"path": path, **record(sp, key)}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
