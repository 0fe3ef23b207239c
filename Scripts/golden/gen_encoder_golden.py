#!/usr/bin/env python3
"""Golden hidden states and embeddings for the Swift encoder (ModelsTests), from an independent
numpy float64 forward pass over the same converted weights.

Run from the package root after `crosstalk models install e5-small-enpt`:
    python3 Scripts/golden/gen_encoder_golden.py [MODEL_DIR]
(default MODEL_DIR: $CROSSTALK_HOME/models/e5-small-enpt or ~/.cache/crosstalk/models/e5-small-enpt).
Reads config.json, model.safetensors (safetensors.numpy) and sentencepiece.bpe.model (python
sentencepiece); writes Tests/ModelsTests/Resources/encoder_golden.json and encoder_hidden.npy.
Given a BERT directory with a WordPiece vocab.txt instead (e.g. an installed minilm-l6):
    python3 Scripts/golden/gen_encoder_golden.py $CROSSTALK_HOME/models/minilm-l6
it tokenizes with Hugging Face `tokenizers` (the directory's tokenizer.json, [CLS] ... [SEP], no
truncation or padding), uses position ids from 0 and token types 0, and writes minilm_golden.json
and minilm_{hidden,pooled,embedding}.npy for 9 English sentences.
Never run in CI. The forward pass follows transformers' BertModel in eval mode (post-LN, exact
erf GELU, additive mask) written out here in numpy, not imported from any framework.
"""
import json, os, platform, sys
import numpy as np
import scipy.special
import safetensors
from safetensors.numpy import load_file

root = os.environ.get("CROSSTALK_HOME", os.path.expanduser("~/.cache/crosstalk"))
model_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "models", "e5-small-enpt")
out_dir = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "ModelsTests", "Resources")

cfg = json.load(open(os.path.join(model_dir, "config.json")))
W = {k: v.astype(np.float64) for k, v in load_file(os.path.join(model_dir, "model.safetensors")).items()}
W = {(k[5:] if k.startswith("bert.") else k): v for k, v in W.items()}
wordpiece = os.path.exists(os.path.join(model_dir, "vocab.txt"))

SP_SENTENCES = [
    "query: how much protein should a female eat",
    "passage: As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 is 46 grams per day.",
    "query: Onde fica a estação de comboios?",
    "query: A transferência entre línguas começa com um bom tokenizador.",
    "query: The European Parliament adopted the resolution on Tuesday.",
    "query: Ça déçoit? Ñandú, Ærøskøbing, Łódź.",
    "query: Съешь же ещё этих мягких французских булок.",
    "query: Ελληνικά γράμματα και τόνοι.",
    "query: مرحبا بالعالم العربي",
    "query: नमस्ते दुनिया, हिन्दी पाठ।",
    "query: 机器翻译和跨语言迁移。",
    "query: 日本語のテキストです。",
    "query: ภาษาไทยไม่มีช่องว่าง",
    "query: ሰላም ለዓለም።",
    "query: Emoji 🙂👍🏽 and 🇪🇸 flags",
    "query: ＡＢＣ１２３ full-width",
    "query:    whitespace   runs   ",
    "query: a",
    "query: Die Kommission legt dem Parlament einen Bericht vor.",
    "query: La Comisión presentará un informe al Parlamento Europeo antes de finales de año, según el calendario acordado.",
    "query: Il Consiglio ha approvato il bilancio.",
    "passage: Os dados foram recolhidos em 2023 e analisados por três equipas independentes em Lisboa, Porto e Coimbra.",
]

WP_SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "How much protein should a female eat?",
    "As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 is 46 grams per day.",
    "Cross-lingual transfer learning starts with a good tokenizer.",
    "The European Parliament adopted the resolution on Tuesday.",
    "Crème brûlée is a dessert.",
    "a",
    "Wait... what?! (Numbers: 3.14159, 1,000,000 and 2023-10-05.)",
    "Sentence embeddings map similar meanings to nearby vectors, so retrieval becomes a nearest-neighbour search.",
]

if wordpiece:
    import tokenizers
    tok = tokenizers.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    SENTENCES, prefix, lib = WP_SENTENCES, "minilm", {"tokenizers": tokenizers.__version__}
    pad = cfg.get("pad_token_id", 0)
    ids = [tok.encode(s).ids for s in SENTENCES]
else:
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "sentencepiece.bpe.model"))
    SENTENCES, prefix, lib = SP_SENTENCES, "encoder", {"sentencepiece": spm.__version__}
    bos, eos, pad = cfg.get("bos_token_id", 0), cfg.get("eos_token_id", 2), cfg.get("pad_token_id", 1)
    ids = [[bos] + sp.encode(s) + [eos] for s in SENTENCES]
T = max(len(r) for r in ids)
mask = np.array([[1] * len(r) + [0] * (T - len(r)) for r in ids], dtype=np.int64)
ids = np.array([r + [pad] * (T - len(r)) for r in ids], dtype=np.int64)
B = len(SENTENCES)
C, H = cfg["hidden_size"], cfg["num_attention_heads"]
D = C // H
eps = cfg.get("layer_norm_eps", 1e-12)
pos_start = cfg.get("crosstalk", {}).get("position_ids_start", None)


def ln(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def lin(x, name):
    return x @ W[name + ".weight"].T + W[name + ".bias"]


if pos_start is None or pos_start == 0:
    pos = np.broadcast_to(np.arange(T), (B, T))
else:
    pos = np.where(mask == 1, np.cumsum(mask, axis=1) + pad, pad)
x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][pos] \
    + W["embeddings.token_type_embeddings.weight"][np.zeros_like(ids)]
x = ln(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
add_mask = np.where(mask[:, None, None, :] == 1, 0.0, -np.inf)
for i in range(cfg["num_hidden_layers"]):
    p = f"encoder.layer.{i}."
    q = lin(x, p + "attention.self.query").reshape(B, T, H, D).transpose(0, 2, 1, 3)
    k = lin(x, p + "attention.self.key").reshape(B, T, H, D).transpose(0, 2, 1, 3)
    v = lin(x, p + "attention.self.value").reshape(B, T, H, D).transpose(0, 2, 1, 3)
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D) + add_mask
    s = np.exp(s - s.max(-1, keepdims=True))
    s = s / s.sum(-1, keepdims=True)
    ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
    x = ln(lin(ctx, p + "attention.output.dense") + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"])
    inner = lin(x, p + "intermediate.dense")
    inner = 0.5 * inner * (1.0 + scipy.special.erf(inner / np.sqrt(2.0)))
    x = ln(lin(inner, p + "output.dense") + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])

pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1)[:, None]
emb = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)

# Real tokens only (padding rows are not part of the contract), concatenated in batch order.
real = np.concatenate([x[b, :mask[b].sum()] for b in range(B)], axis=0)
np.save(os.path.join(out_dir, prefix + "_hidden.npy"), real.astype(np.float32))  # [sum of lengths, C]
np.save(os.path.join(out_dir, prefix + "_pooled.npy"), pooled.astype(np.float32))  # [B, C] masked mean
np.save(os.path.join(out_dir, prefix + "_embedding.npy"), emb.astype(np.float32))  # [B, C] L2-normalised
with open(os.path.join(out_dir, prefix + "_golden.json"), "w") as f:
    json.dump({
        "command": "python3 Scripts/golden/gen_encoder_golden.py " + model_dir,
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        **lib, "safetensors": safetensors.__version__,
        "model": os.path.basename(os.path.normpath(model_dir)),
        "sentences": SENTENCES, "ids": ids.tolist(), "mask": mask.tolist(),
        "hidden_file": prefix + "_hidden.npy (real tokens of every sentence, concatenated: [sum of lengths, C])",
        "pooled_file": prefix + "_pooled.npy", "embedding_file": prefix + "_embedding.npy",
        "padded_shape": [B, T, C],
    }, f, indent=0)
print(f"wrote golden for {B} sentences, T={T}, C={C}, {real.shape[0]} real tokens")
