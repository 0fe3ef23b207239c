#!/usr/bin/env python3
"""Anchor for the tagger's training throughput: one jit-compiled fine-tuning step in JAX (CPU,
float32) on the real e5-small weights, the same recipe as `crosstalk tagger train`
(Sources/Tagging/Trainer.swift): BERT encoder (post-LN, erf GELU, absolute positions) + linear
token head, mean cross-entropy over labels != -100, gradients, clipping by global norm 1.0,
torch.optim.AdamW (weight decay 0.01 except biases and LayerNorm), all inside one jitted function.

--method full (the tagger's default): every encoder weight and the head train; the embedding
  tables (word, position, token type) stay frozen, as TrainableEncoder.setBaseTrainable(true,
  embeddings: false) does for trainEmbeddings = false.
--method lora: the encoder is frozen; rank-8 LoRA (alpha 16, B = 0 at start) on query, key,
  value and every dense projection (attention.output.dense, intermediate.dense, output.dense: the
  tagger's default targets ["query", "key", "value", "dense"]) and the head train.
--dropout P (default 0.1, e5's hidden_dropout_prob): after the embedding LayerNorm, on the
  attention probabilities, after both output projections, before the head and on the LoRA input,
  where the Swift encoder applies it; 0 turns it off.

--layers auto|scan|unrolled: how the 12 layers are traced (see the comment at `use_scan`); auto
  picks each method's faster form (lora: scan, full: unrolled). The pooler is not used.

Batch 16 × 64 by default: seeded random ids (no padding, mask all ones) and labels in 0..<9.
Threads: XLA_FLAGS gets --xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=THREADS
(default 2) before jax loads, and the process is pinned to the first THREADS cores
(sched_setaffinity, as taskset -c 0,1). After --warmup steps (compilation included), --steps
steps are timed; prints one JSON line.

jax is installed into a virtual environment in /tmp (PyPI); the script re-runs itself there.

Usage (from the package root):
    python3 Scripts/bench/anchor_train.py [--model-dir DIR] [--method full|lora] [--dropout 0.1]
"""
import argparse
import json
import os
import subprocess
import sys
import time

VENV = "/tmp/crosstalk-jax-venv"
PINS = ["jax==0.10.2", "jaxlib==0.10.2", "numpy==2.4.6", "safetensors==0.8.0"]
LORA_TARGETS = ["attention.self.query", "attention.self.key", "attention.self.value",
                "attention.output.dense", "intermediate.dense", "output.dense"]


def ensure_venv():
    """Re-executes this script inside VENV with PINS installed, unless already there."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from pyvenv import reexec_in_venv
    reexec_in_venv(VENV, PINS, __file__)


def parse():
    home = os.environ.get("CROSSTALK_HOME") or os.path.expanduser("~/.cache/crosstalk")
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", default=os.path.join(home, "models", "e5-small"))
    ap.add_argument("--method", choices=["full", "lora"], default="full")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--labels", type=int, default=9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lora-rank", type=int, default=8)
    ap.add_argument("--lora-alpha", type=float, default=16.0)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--layers", choices=["auto", "scan", "unrolled"], default="auto",
                    help="auto: scan for lora, unrolled for full (each method's faster form here)")
    args = ap.parse_args()
    if not 0 <= args.dropout < 1:
        ap.error(f"--dropout {args.dropout}: expected 0 <= p < 1")
    return args


def main():
    ensure_venv()
    args = parse()
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=true "
                               f"intra_op_parallelism_threads={args.threads}").strip()
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[k] = str(args.threads)
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))[:args.threads]
        os.sched_setaffinity(0, cores)
    import numpy as np
    import jax
    import jax.numpy as jnp
    from safetensors.numpy import load_file

    cfg = json.load(open(os.path.join(args.model_dir, "config.json")))
    C, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    D, eps = C // H, float(cfg.get("layer_norm_eps", 1e-12))
    if cfg.get("hidden_act", "gelu") != "gelu":
        sys.exit(f"{args.model_dir}/config.json: hidden_act {cfg.get('hidden_act')!r}, expected \"gelu\" (erf)")
    pad = cfg.get("pad_token_id", 1)
    start = cfg.get("crosstalk", {}).get("position_ids_start", 0 if cfg["model_type"] == "bert" else pad + 1)
    B, T, K = args.batch, args.tokens, args.labels
    W = load_file(os.path.join(args.model_dir, "model.safetensors"))

    rng = np.random.default_rng(1)
    ids = jnp.asarray(rng.integers(5, cfg["vocab_size"], size=(B, T)), dtype=jnp.int32)
    labels = rng.integers(0, K, size=(B, T))
    labels[:, 0] = -100                                           # <s> carries no label, as in the tagger
    labels = jnp.asarray(labels.reshape(-1), dtype=jnp.int32)
    positions = jnp.arange(T) + start

    # Layers: unrolled (one set of arrays per layer), or stacked ([L, …] per weight) and run by
    # lax.scan. LoRA needs scan: unrolled, XLA:CPU (jax 0.10) fuses each layer's LayerNorm/residual
    # chain into the transposes of x that the adapters' weight gradients use and recomputes it
    # there, layer after layer (measured: LoRA steps 3-4× slower than full ones). Full fine-tuning
    # is ~10% faster unrolled (no stacking of weight gradients), so each gets its faster form.
    use_scan = args.layers == "scan" or (args.layers == "auto" and args.method == "lora")
    LAYER = "encoder.layer.*."
    suffixes = sorted({n.split(".", 3)[3] for n in W if n.startswith("encoder.layer.")})
    if use_scan:
        layers = {LAYER + s_: np.stack([W[f"encoder.layer.{i}.{s_}"] for i in range(L)]) for s_ in suffixes}
    else:
        layers = {f"encoder.layer.{i}.{s_}": W[f"encoder.layer.{i}.{s_}"] for i in range(L) for s_ in suffixes}
    tables = {n: W[n] for n in ("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                                "embeddings.token_type_embeddings.weight")}
    emb_norm = {n: W[n] for n in ("embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias")}
    head = {"classifier.weight": (0.02 * rng.standard_normal((K, C))).astype(np.float32),
            "classifier.bias": np.zeros(K, np.float32)}
    if args.method == "full":
        frozen, trained = tables, {**emb_norm, **layers, **head}
    else:
        frozen, trained = {**tables, **emb_norm, **layers}, dict(head)
        r = args.lora_rank
        for t in LORA_TARGETS:
            out_f, in_f = W[f"encoder.layer.0.{t}.weight"].shape
            bound = 1 / np.sqrt(in_f)                             # PEFT's kaiming_uniform(a=√5)
            a = rng.uniform(-bound, bound, (L, r, in_f)).astype(np.float32)
            b = np.zeros((L, out_f, r), np.float32)
            if use_scan:
                trained[LAYER + t + ".lora_A.weight"], trained[LAYER + t + ".lora_B.weight"] = a, b
            else:
                for i in range(L):
                    trained[f"encoder.layer.{i}.{t}.lora_A.weight"] = a[i]
                    trained[f"encoder.layer.{i}.{t}.lora_B.weight"] = b[i]
    frozen = {n: jnp.asarray(v) for n, v in frozen.items()}
    trained = {n: jnp.asarray(v) for n, v in trained.items()}
    scaling = args.lora_alpha / args.lora_rank
    p_drop = args.dropout

    def dropout(x, key):
        if p_drop == 0:
            return x
        keep = jax.random.bernoulli(key, 1 - p_drop, x.shape)
        return jnp.where(keep, x / (1 - p_drop), 0)

    def layer_norm(x, p, name):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) * jax.lax.rsqrt(var + eps) * p[name + ".weight"] + p[name + ".bias"]

    def encoder_layer(x, xs):
        lp, key = xs                                              # one layer's weights, its dropout key
        keys = map(lambda i: jax.random.fold_in(key, i), range(64))

        def linear(y, name):
            out = y @ lp[name + ".weight"].T + lp[name + ".bias"]
            if name + ".lora_A.weight" in lp:
                out = out + (dropout(y, next(keys)) @ lp[name + ".lora_A.weight"].T) @ lp[name + ".lora_B.weight"].T * scaling
            return out

        heads = lambda y: y.reshape(B, T, H, D).transpose(0, 2, 1, 3)     # [B, H, T, D]
        q, k, v = (heads(linear(x, "attention.self." + n)) for n in ("query", "key", "value"))
        probs = dropout(jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / np.sqrt(D), axis=-1), next(keys))
        ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
        x = layer_norm(dropout(linear(ctx, "attention.output.dense"), next(keys)) + x, lp, "attention.output.LayerNorm")
        inner = jax.nn.gelu(linear(x, "intermediate.dense"), approximate=False)
        x = layer_norm(dropout(linear(inner, "output.dense"), next(keys)) + x, lp, "output.LayerNorm")
        return x, None

    def forward(tp, fp, key):
        p = {**fp, **tp}
        k_emb, k_layers, k_head = jax.random.split(key, 3)
        x = p["embeddings.word_embeddings.weight"][ids] + p["embeddings.position_embeddings.weight"][positions] \
            + p["embeddings.token_type_embeddings.weight"][0]
        x = dropout(layer_norm(x, p, "embeddings.LayerNorm"), k_emb)
        layer_keys = jax.random.split(k_layers, L)
        if use_scan:
            stacked = {n[len(LAYER):]: v for n, v in p.items() if n.startswith(LAYER)}
            x, _ = jax.lax.scan(encoder_layer, x, (stacked, layer_keys))
        else:
            for i in range(L):
                prefix = f"encoder.layer.{i}."
                x, _ = encoder_layer(x, ({n[len(prefix):]: v for n, v in p.items() if n.startswith(prefix)}, layer_keys[i]))
        z = (dropout(x, k_head) @ p["classifier.weight"].T + p["classifier.bias"]).reshape(B * T, K)
        keep = labels != -100
        nll = jax.nn.logsumexp(z, -1) - jnp.take_along_axis(z, jnp.where(keep, labels, 0)[:, None], 1)[:, 0]
        return jnp.where(keep, nll, 0).sum() / keep.sum()

    names = sorted(trained)
    decay = {n: not (n.endswith("bias") or "LayerNorm" in n) for n in names}
    b1, b2, adam_eps, wd, lr = 0.9, 0.999, 1e-8, 0.01, args.lr

    def step(tp, fp, m, v, t, key):
        loss, g = jax.value_and_grad(forward)(tp, fp, key)
        norm = jnp.sqrt(sum(jnp.sum(g[n] ** 2) for n in names))
        factor = jnp.where(norm > 1.0, 1.0 / (norm + 1e-6), 1.0)
        t = t + 1
        bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
        new_p, new_m, new_v = {}, {}, {}
        for n in names:
            gn = g[n] * factor
            pn = tp[n] * (1 - lr * wd) if decay[n] else tp[n]
            new_m[n] = b1 * m[n] + (1 - b1) * gn
            new_v[n] = b2 * v[n] + (1 - b2) * gn * gn
            new_p[n] = pn - (lr / bc1) * new_m[n] / (jnp.sqrt(new_v[n]) / jnp.sqrt(bc2) + adam_eps)
        return new_p, new_m, new_v, t, loss

    # Frozen weights are an argument, not closure constants: XLA would otherwise embed ~470 MB
    # of constants in the program (slow to compile, and LoRA steps ran 3× slower).
    jstep = jax.jit(step, donate_argnums=(0, 2, 3))
    m = {n: jnp.zeros_like(trained[n]) for n in names}
    v = {n: jnp.zeros_like(trained[n]) for n in names}
    t = jnp.asarray(0.0, jnp.float32)
    key = jax.random.PRNGKey(0)
    tp = trained

    def run(n):
        nonlocal tp, m, v, t, key
        loss = None
        for _ in range(n):
            key, sub = jax.random.split(key)
            tp, m, v, t, loss = jstep(tp, frozen, m, v, t, sub)
        jax.block_until_ready((tp, loss))
        return float(loss)

    t0 = time.perf_counter()
    run(args.warmup)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    loss = run(args.steps)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "tool": "jax", "version": jax.__version__, "method": args.method, "dropout": p_drop,
        "layers": "scan" if use_scan else "unrolled",
        "tokens_per_s": B * T * args.steps / seconds, "batch": [B, T], "threads": args.threads,
        "steps": args.steps, "seconds": seconds, "warmup_seconds": warm, "last_loss": loss,
        "trained_parameters": int(sum(x.size for x in tp.values())),
        "model": os.path.basename(os.path.normpath(args.model_dir)), "dtype": "float32",
    }))


if __name__ == "__main__":
    main()
