#!/usr/bin/env python3
"""Writes Tests/TaggingTests/Resources/training_golden/{config.json, model.safetensors, golden.json}.

An independent float64 reference for five optimiser steps of the token-classification fine-tuning
loop (Sources/Tagging/Trainer.swift) on a tiny random-weight XLM-R-style encoder. The model is
written here from the transformers 4.x BertModel / XLMRobertaModel equations, not by calling
transformers: post-LN layers, exact (erf) GELU, absolute positions numbered from padding_idx + 1
(create_position_ids_from_input_ids), an additive -inf padding mask on the keys, LayerNorm with
biased variance and eps 1e-12, and a linear token-classification head.

Each step: loss = mean cross-entropy over labels != -100 (torch F.cross_entropy); gradients by
jax.grad; clipping by global L2 norm 1.0 (torch.nn.utils.clip_grad_norm_: factor
max / (norm + 1e-6) when norm > max); torch.optim.AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8,
weight decay 0.01 except parameters whose name ends in "bias" or contains "LayerNorm"); the rate
of step s (0-based) is lr·λ(s) with transformers' get_linear_schedule_with_warmup (warm-up 2,
total 5; the first step has λ(0) = 0, so it only fills the moments). Dropout is 0.

Every parameter trains, the embedding tables included (the Swift EmbeddingLayer is trainable by
default; the Tagger's --method full freezes only the word table, which is a Tagger choice, not
an optimiser one). The weights are drawn in float32 (fixed seed) and written to
model.safetensors; the reference computes in float64 from those same float32 values, so the only
differences the Swift float32 run may show are its own rounding.

Not comparable element by element: attention.self.key.bias. Adding a constant to every key
shifts all scores of a softmax row equally, so its true gradient is 0; both runs produce rounding
noise there (~1e-17 here, ~1e-9 in float32) that Adam normalises into ±lr steps of random sign.
Its final values are therefore not recorded; its step-1 gradient is (it must be ~0).

Requires jax/numpy/safetensors; they are installed into a virtual environment in /tmp (PyPI) and
the script re-runs itself there. Never run in CI.

Usage (from the package root):
    python3 Scripts/golden/gen_training_golden.py
"""
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "Tests", "TaggingTests", "Resources", "training_golden")
VENV = "/tmp/crosstalk-jax-venv"
PINS = ["jax==0.10.2", "jaxlib==0.10.2", "numpy==2.4.6", "safetensors==0.8.0"]
SEED = 20240611

# Model (transformers field names; model_type xlm-roberta so position ids start at pad + 1).
CONFIG = {
    "architectures": ["XLMRobertaForTokenClassification"],
    "model_type": "xlm-roberta",
    "vocab_size": 50,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "hidden_act": "gelu",
    "max_position_embeddings": 40,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-12,
    "hidden_dropout_prob": 0.0,
    "attention_probs_dropout_prob": 0.0,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "num_labels": 5,
    "torch_dtype": "float32",
}
K = CONFIG["num_labels"]

# Optimisation.
STEPS = 5
LR = 1e-3
BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8
WEIGHT_DECAY = 0.01
MAX_GRAD_NORM = 1.0
WARMUP = 2

# The batch: three sequences of 7, 5 and 3 tokens (<s> … </s>, padded with 1); labels -100 on
# <s>, </s>, padding and one "continuation piece" per sequence; ids repeat to exercise the
# embedding gradient's accumulation.
IDS = [[0, 17, 23, 17, 42, 9, 2],
       [0, 5, 31, 23, 2, 1, 1],
       [0, 48, 2, 1, 1, 1, 1]]
LABELS = [[-100, 1, 3, -100, 0, 4, -100],
          [-100, 2, -100, 1, -100, -100, -100],
          [-100, 3, -100, -100, -100, -100, -100]]

# Recorded in full at step 1 (gradients) and after the last step (values).
GRAD_FULL = ["classifier.weight", "classifier.bias", "encoder.layer.0.attention.self.query.weight",
             "encoder.layer.0.attention.self.key.bias", "encoder.layer.1.intermediate.dense.weight",
             "embeddings.LayerNorm.weight", "embeddings.word_embeddings.weight",
             "embeddings.position_embeddings.weight"]
FINAL_FULL = ["classifier.weight", "classifier.bias", "encoder.layer.1.output.dense.weight",
              "encoder.layer.0.attention.output.LayerNorm.weight", "encoder.layer.0.attention.self.value.bias",
              "embeddings.LayerNorm.bias", "embeddings.word_embeddings.weight",
              "embeddings.token_type_embeddings.weight"]
NOISE_ONLY = ".attention.self.key.bias"


def ensure_venv():
    """Re-executes this script inside VENV with PINS installed, unless already there."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from pyvenv import reexec_in_venv
    reexec_in_venv(VENV, PINS, __file__)


# ---------------------------------------------------------------------------------------------
# weights

def parameter_shapes():
    """HF names and shapes, in the order TrainableEncoder + classifier list them."""
    c, f = CONFIG["hidden_size"], CONFIG["intermediate_size"]
    shapes = [("embeddings.word_embeddings.weight", (CONFIG["vocab_size"], c)),
              ("embeddings.position_embeddings.weight", (CONFIG["max_position_embeddings"], c)),
              ("embeddings.token_type_embeddings.weight", (CONFIG["type_vocab_size"], c)),
              ("embeddings.LayerNorm.weight", (c,)), ("embeddings.LayerNorm.bias", (c,))]
    for i in range(CONFIG["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for n, out, inp in [("attention.self.query", c, c), ("attention.self.key", c, c),
                            ("attention.self.value", c, c), ("attention.output.dense", c, c),
                            ("intermediate.dense", f, c), ("output.dense", c, f)]:
            shapes += [(p + n + ".weight", (out, inp)), (p + n + ".bias", (out,))]
        for n in ["attention.output.LayerNorm", "output.LayerNorm"]:
            shapes += [(p + n + ".weight", (c,)), (p + n + ".bias", (c,))]
    shapes += [("classifier.weight", (K, c)), ("classifier.bias", (K,))]
    return shapes


def initial_weights(np):
    """float32 weights with scales large enough that attention is far from uniform and GELU
    leaves its linear region (HF's 0.02 init would make every primitive nearly linear)."""
    rng = np.random.default_rng(SEED)
    out = {}
    for name, shape in parameter_shapes():
        if "LayerNorm.weight" in name:
            v = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name.endswith("bias"):
            v = 0.1 * rng.standard_normal(shape)
        elif "embeddings" in name:
            v = 0.5 * rng.standard_normal(shape)
        else:
            v = rng.standard_normal(shape) / np.sqrt(shape[1]) * 1.5
        out[name] = v.astype(np.float32)
    return out


# ---------------------------------------------------------------------------------------------
# model (float64)

def build(jnp, jax):
    c, h = CONFIG["hidden_size"], CONFIG["num_attention_heads"]
    d = c // h
    eps = CONFIG["layer_norm_eps"]
    pad = CONFIG["pad_token_id"]
    ids = jnp.array(IDS)
    b, t = ids.shape
    mask = (ids != pad).astype(jnp.int64)
    # create_position_ids_from_input_ids: cumsum(mask)·mask + padding_idx.
    positions = jnp.cumsum(mask, axis=1) * mask + pad
    additive = jnp.where(mask == 1, 0.0, -jnp.inf)[:, None, None, :]          # [B, 1, 1, T]
    labels = jnp.array(LABELS).reshape(-1)
    keep = labels != -100
    safe = jnp.where(keep, labels, 0)

    def layer_norm(x, g, beta):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)          # biased, as torch
        return (x - mu) / jnp.sqrt(var + eps) * g + beta

    def linear(x, p, name):
        return x @ p[name + ".weight"].T + p[name + ".bias"]

    def gelu(x):                                                # HF ACT2FN["gelu"]: exact erf
        return 0.5 * x * (1.0 + jax.scipy.special.erf(x / jnp.sqrt(2.0)))

    def softmax(s):
        s = s - jax.lax.stop_gradient(s.max(-1, keepdims=True))
        e = jnp.exp(s)
        return e / e.sum(-1, keepdims=True)

    def logits(p):
        x = p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][positions] \
            + p["embeddings.token_type_embeddings.weight"][jnp.zeros_like(ids)]
        x = layer_norm(x, p["embeddings.LayerNorm.weight"], p["embeddings.LayerNorm.bias"])
        for i in range(CONFIG["num_hidden_layers"]):
            q_ = f"encoder.layer.{i}."
            def heads(y):
                return y.reshape(b, t, h, d).transpose(0, 2, 1, 3)   # [B, H, T, D]
            q = heads(linear(x, p, q_ + "attention.self.query"))
            k = heads(linear(x, p, q_ + "attention.self.key"))
            v = heads(linear(x, p, q_ + "attention.self.value"))
            probs = softmax(q @ k.transpose(0, 1, 3, 2) / jnp.sqrt(float(d)) + additive)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(b, t, c)
            x = layer_norm(linear(ctx, p, q_ + "attention.output.dense") + x,
                           p[q_ + "attention.output.LayerNorm.weight"], p[q_ + "attention.output.LayerNorm.bias"])
            inner = gelu(linear(x, p, q_ + "intermediate.dense"))
            x = layer_norm(linear(inner, p, q_ + "output.dense") + x,
                           p[q_ + "output.LayerNorm.weight"], p[q_ + "output.LayerNorm.bias"])
        return linear(x, p, "classifier").reshape(b * t, K)        # [B·T, K]

    def loss(p):
        z = logits(p)
        m = jax.lax.stop_gradient(z.max(-1, keepdims=True))
        lse = (m + jnp.log(jnp.exp(z - m).sum(-1, keepdims=True)))[:, 0]
        nll = lse - jnp.take_along_axis(z, safe[:, None], axis=1)[:, 0]
        return jnp.where(keep, nll, 0.0).sum() / keep.sum()

    return jax.value_and_grad(loss), mask


def lr_lambda(s):
    """transformers get_linear_schedule_with_warmup."""
    if s < WARMUP:
        return s / max(1, WARMUP)
    return max(0.0, (STEPS - s) / max(1, STEPS - WARMUP))


def decays(name):
    return not (name.endswith("bias") or "LayerNorm" in name)


def main():
    ensure_venv()
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    import safetensors
    from safetensors.numpy import save_file

    os.makedirs(OUT_DIR, exist_ok=True)
    w32 = initial_weights(np)
    save_file(w32, os.path.join(OUT_DIR, "model.safetensors"))
    os.chmod(os.path.join(OUT_DIR, "model.safetensors"), 0o644)
    with open(os.path.join(OUT_DIR, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")

    value_and_grad, mask = build(jnp, jax)
    names = [n for n, _ in parameter_shapes()]
    params = {n: jnp.asarray(w32[n], dtype=jnp.float64) for n in names}
    initial = {n: np.asarray(params[n]) for n in names}
    m = {n: jnp.zeros_like(params[n]) for n in names}
    v = {n: jnp.zeros_like(params[n]) for n in names}
    b1, b2 = BETAS

    def flat(a):
        return [float(x) for x in np.asarray(a).reshape(-1)]

    steps, grads1, grad_norms1 = [], {}, {}
    for s in range(STEPS):
        loss, g = value_and_grad(params)
        norm = float(jnp.sqrt(sum(jnp.sum(g[n] ** 2) for n in names)))
        if s == 0:
            grads1 = {n: {"shape": list(g[n].shape), "values": flat(g[n])} for n in GRAD_FULL}
            grad_norms1 = {n: float(jnp.sqrt(jnp.sum(g[n] ** 2))) for n in names}
        clipped = norm > MAX_GRAD_NORM
        if clipped:
            factor = MAX_GRAD_NORM / (norm + 1e-6)
            g = {n: g[n] * factor for n in names}
        lr = LR * lr_lambda(s)
        t = s + 1
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        for n in names:                                       # torch.optim.AdamW (_single_tensor_adamw)
            p = params[n]
            if decays(n):
                p = p * (1 - lr * WEIGHT_DECAY)
            m[n] = b1 * m[n] + (1 - b1) * g[n]
            v[n] = b2 * v[n] + (1 - b2) * g[n] ** 2
            denom = jnp.sqrt(v[n]) / np.sqrt(bc2) + ADAM_EPS
            params[n] = p - (lr / bc1) * m[n] / denom
        steps.append({"step": t, "lr": lr, "loss": float(loss), "grad_norm": norm, "clipped": bool(clipped)})
        print(f"step {t}: lr {lr:.6g} loss {float(loss):.12f} grad norm {norm:.12f}", file=sys.stderr)

    final = {n: {"shape": list(params[n].shape), "values": flat(params[n])} for n in FINAL_FULL}
    delta_norms = {n: float(np.sqrt(np.sum((np.asarray(params[n]) - initial[n]) ** 2)))
                   for n in names if not n.endswith(NOISE_ONLY)}
    out = {
        "header": {
            "generator": "Scripts/golden/gen_training_golden.py",
            "command": "python3 Scripts/golden/gen_training_golden.py",
            "python": platform.python_version(),
            "jax": jax.__version__,
            "jaxlib": __import__("jaxlib").__version__,
            "numpy": np.__version__,
            "safetensors": safetensors.__version__,
            "platform": platform.platform(),
            "seed": SEED,
            "precision": "float64 (jax_enable_x64) from float32 initial weights",
            "reference": "transformers 4.x XLMRobertaModel equations written out (post-LN, erf GELU, "
                         "positions from padding_idx+1, additive -inf key mask) + linear token head; "
                         "torch F.cross_entropy(ignore_index=-100, mean); clip_grad_norm_(1.0); "
                         "torch.optim.AdamW; get_linear_schedule_with_warmup",
            "trained": "every parameter, embedding tables included; dropout 0",
            "not_compared": "final values of *.attention.self.key.bias (true gradient 0; Adam "
                            "amplifies rounding noise into ±lr steps)",
        },
        "hyper": {"steps": STEPS, "lr": LR, "beta1": b1, "beta2": b2, "eps": ADAM_EPS,
                  "weight_decay": WEIGHT_DECAY, "max_grad_norm": MAX_GRAD_NORM,
                  "warmup_steps": WARMUP, "total_steps": STEPS},
        "batch": {"ids": IDS, "mask": np.asarray(mask).tolist(), "labels": LABELS},
        "parameters": names,
        "no_decay": [n for n in names if not decays(n)],
        "steps": steps,
        "grads_step1": grads1,
        "grad_norms_step1": grad_norms1,
        "final": final,
        "final_delta_norms": delta_norms,
    }
    path = os.path.join(OUT_DIR, "golden.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
