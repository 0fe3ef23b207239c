#!/usr/bin/env python3
"""Anchor for `crosstalk bench encoder`: the same BERT forward pass in numpy float32 on the same
converted weights (model.safetensors of an installed model), timed in-process, best of 3.

Usage: anchor_encoder.py MODEL_DIR B T THREADS
Sets OPENBLAS_NUM_THREADS/OMP_NUM_THREADS to THREADS before numpy loads. Ids are deterministic
(seeded) and every position is a real token (mask all ones). Prints one JSON line.
"""
import json, os, sys, time
model_dir, B, T, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[k] = threads
import numpy as np
import scipy.special
from safetensors.numpy import load_file

cfg = json.load(open(os.path.join(model_dir, "config.json")))
W = load_file(os.path.join(model_dir, "model.safetensors"))
C, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
D, eps = C // H, np.float32(cfg.get("layer_norm_eps", 1e-12))
rng = np.random.default_rng(1)
ids = rng.integers(5, min(cfg["vocab_size"], 20000), size=(B, T))


def ln(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


def lin(x, name):
    return x @ W[name + ".weight"].T + W[name + ".bias"]


def forward():
    x = W["embeddings.word_embeddings.weight"][ids] + W["embeddings.position_embeddings.weight"][np.arange(T)] \
        + W["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, W["embeddings.LayerNorm.weight"], W["embeddings.LayerNorm.bias"])
    for i in range(L):
        p = f"encoder.layer.{i}."
        q = lin(x, p + "attention.self.query").reshape(B, T, H, D).transpose(0, 2, 1, 3)
        k = lin(x, p + "attention.self.key").reshape(B, T, H, D).transpose(0, 2, 1, 3)
        v = lin(x, p + "attention.self.value").reshape(B, T, H, D).transpose(0, 2, 1, 3)
        s = q @ k.transpose(0, 1, 3, 2) * np.float32(1 / np.sqrt(D))
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
        x = ln(lin(ctx, p + "attention.output.dense") + x, W[p + "attention.output.LayerNorm.weight"], W[p + "attention.output.LayerNorm.bias"])
        inner = lin(x, p + "intermediate.dense")
        inner = 0.5 * inner * (1 + scipy.special.erf(inner / np.float32(np.sqrt(2))))
        x = ln(lin(inner, p + "output.dense") + x, W[p + "output.LayerNorm.weight"], W[p + "output.LayerNorm.bias"])
    return x


forward()
best = min((lambda t0: (forward(), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(3))
print(json.dumps({"tool": "numpy float32 forward", "version": np.__version__, "batch": B, "tokens": T,
                  "threads": int(threads), "seconds": best, "sequences_per_second": B / best}))
