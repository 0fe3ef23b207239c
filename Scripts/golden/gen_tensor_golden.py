#!/usr/bin/env python3
"""Golden inputs and expected outputs for Tests/TensorCoreTests (never run in CI).

Run from the package root:  python3 Scripts/golden/gen_tensor_golden.py
Writes float32 little-endian .npy files (version 1.0, C order), safetensors files and
MANIFEST.json (this command, python/numpy/scipy/safetensors versions, file list) into
Tests/TensorCoreTests/Resources. References mirrored (computed in float64, stored as float32):
  matmul      numpy.matmul, every transpose combination, batched [N,M,K]x[N,K,P], 2-D weight over a batch
  broadcast   numpy add / mul broadcasting: scalar, [1], [N,1]x[1,M], rank mismatch [B,T,C]+[C]
  softmax     softmax(x + mask, -1) with an additive [B,1,1,T] mask; a row whose entries are all
              -inf after masking is defined as all zeros (torch would give NaN)
  layer_norm  torch.nn.functional.layer_norm (biased variance), eps 1e-5
  gelu_erf    0.5 x (1 + scipy.special.erf(x / sqrt 2))   (torch gelu approximate='none')
  gelu_tanh   0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3)))  (torch gelu approximate='tanh')
  mean_pool   sentence-transformers mean pooling: sum(x m) / clip(sum m, 1e-9)
  l2_norm     torch.nn.functional.normalize(p=2, dim=-1, eps=1e-12)
safetensors: F32 and F16 written by the python safetensors package (safetensors.numpy.save_file),
BF16 assembled byte by byte (numpy has no bfloat16: top 16 bits of float32, round to nearest even).
"""
import json
import os
import platform
import struct
import sys

import numpy as np
import scipy
import scipy.special
import safetensors
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "TensorCoreTests", "Resources")
OUT = os.path.normpath(OUT)
rng = np.random.default_rng(20240607)
written = []


def save(name, arr):
    arr = np.array(arr, dtype="<f4", order="C")  # keeps 0-d arrays 0-d
    np.save(os.path.join(OUT, name + ".npy"), arr)
    written.append(name + ".npy")


def rnd(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def fit_erf():
    """How FastMath.swift's fastErf coefficients were made (not run by main): least-squares fits,
    erf(x)/x = P(x^2) on [0, 0.921875] (degree 6) and erfcx(x) = Q(u) on [0.921875, 4]
    (degree 12, u = (x - 2.4609375) / 1.5390625)."""
    from numpy.polynomial import polynomial as P
    b = 0.921875
    xs = np.linspace(1e-9, b, 20001)
    small = P.polyfit(xs * xs, scipy.special.erf(xs) / xs, 6)
    xl = np.linspace(b, 4, 40001)
    large = P.polyfit((xl - (b + 4) / 2) / ((4 - b) / 2), scipy.special.erfcx(xl), 12)
    return small, large


def main():
    os.makedirs(OUT, exist_ok=True)
    f64 = lambda a: a.astype(np.float64)

    # matmul: a [M,K] b [K,P], stored pre-transposed where the flag says so.
    a, b = rnd(5, 7), rnd(7, 3)
    save("matmul_a", a); save("matmul_b", b)
    save("matmul_aT", a.T.copy()); save("matmul_bT", b.T.copy())
    save("matmul_out", f64(a) @ f64(b))
    ba, bb = rnd(4, 5, 6), rnd(4, 6, 3)
    save("bmm_a", ba); save("bmm_b", bb); save("bmm_out", f64(ba) @ f64(bb))
    w = rnd(6, 3)
    save("bmm_w", w); save("bmm_w_out", f64(ba) @ f64(w))
    lx, lw, lb = rnd(2, 3, 8), rnd(5, 8), rnd(5)
    save("linear_x", lx); save("linear_w", lw); save("linear_b", lb)
    save("linear_out", f64(lx) @ f64(lw).T + f64(lb))

    # broadcasting
    x = rnd(2, 3, 4); c = rnd(4); col = rnd(3, 1); row = rnd(1, 5); one = rnd(1)
    save("bc_x", x); save("bc_c", c); save("bc_col", col); save("bc_row", row); save("bc_one", one)
    save("bc_add_x_c", f64(x) + f64(c))
    save("bc_mul_x_c", f64(x) * f64(c))
    save("bc_add_col_row", f64(col) + f64(row))
    save("bc_mul_col_row", f64(col) * f64(row))
    save("bc_add_x_one", f64(x) + f64(one))
    save("bc_mul_x_scalar", f64(x) * 2.5)

    # softmax with mask [B,1,1,T] over scores [B,H,T,T]; batch 1 is fully masked (all -inf)
    s = rnd(2, 2, 3, 5) * 3
    mask = np.zeros((2, 1, 1, 5), dtype=np.float32)
    mask[0, 0, 0, 3:] = -np.inf
    mask[1, 0, 0, :] = -np.inf
    z = f64(s) + f64(mask)
    m = z.max(-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp(z - m)
        sm = e / e.sum(-1, keepdims=True)
    sm = np.where(np.isneginf(m), 0.0, sm)
    save("softmax_x", s); save("softmax_mask", mask); save("softmax_out", sm)
    big = rnd(4, 37) * 10
    bm = f64(big) - f64(big).max(-1, keepdims=True)
    save("softmax_big_x", big); save("softmax_big_out", np.exp(bm) / np.exp(bm).sum(-1, keepdims=True))

    # layer norm
    lnx, g, bt = rnd(3, 4, 19) * 2 + 1, rnd(19), rnd(19)
    mu = f64(lnx).mean(-1, keepdims=True); var = f64(lnx).var(-1, keepdims=True)
    save("ln_x", lnx); save("ln_gamma", g); save("ln_beta", bt)
    save("ln_out", (f64(lnx) - mu) / np.sqrt(var + 1e-5) * f64(g) + f64(bt))

    # GELU on a grid covering the tails and rnd values
    gx = np.concatenate([np.linspace(-10, 10, 2001), rnd(200) * 3]).astype(np.float32)
    gd = f64(gx)
    save("gelu_x", gx)
    save("gelu_erf_out", 0.5 * gd * (1 + scipy.special.erf(gd / np.sqrt(2))))
    save("gelu_tanh_out", 0.5 * gd * (1 + np.tanh(np.sqrt(2 / np.pi) * (gd + 0.044715 * gd ** 3))))
    save("erf_out", scipy.special.erf(gd))

    # mean pooling with padding (third sentence all padding → zeros)
    px = rnd(3, 5, 6)
    pm = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=np.float32)
    pooled = (f64(px) * f64(pm)[..., None]).sum(1) / np.clip(f64(pm).sum(1, keepdims=True), 1e-9, None)
    save("pool_x", px); save("pool_mask", pm); save("pool_out", pooled)

    # L2 norm (row 1 all zeros → zeros)
    nx = rnd(4, 9); nx[1] = 0
    norm = np.maximum(np.linalg.norm(f64(nx), axis=-1, keepdims=True), 1e-12)
    save("l2_x", nx); save("l2_out", f64(nx) / norm)

    # safetensors
    t32 = {"embeddings.word": rnd(6, 4), "layer.0.bias": rnd(4), "scalar": np.array(3.5, dtype=np.float32)}
    save_file(t32, os.path.join(OUT, "st_f32.safetensors"), metadata={"format": "np", "source": "gen_tensor_golden"})
    written.append("st_f32.safetensors")
    for k, v in t32.items():
        save("st_f32__" + k, v)
    h = (rnd(3, 5) * 4).astype(np.float16)
    h.flat[0] = np.float16(6.0e-8)  # subnormal
    h.flat[1] = np.float16(65504.0)
    save_file({"w": h}, os.path.join(OUT, "st_f16.safetensors"))
    written.append("st_f16.safetensors")
    save("st_f16__w", h.astype(np.float32))
    # BF16 by hand: round-to-nearest-even of the float32 bits, keep the high half
    bf = rnd(2, 3) * 100
    bits = bf.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    data = rounded.astype("<u2").tobytes()
    header = json.dumps({"__metadata__": {"dtype": "bf16"},
                         "b": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, len(data)]}}).encode()
    header += b" " * (-len(header) % 8)
    with open(os.path.join(OUT, "st_bf16.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + data)
    written.append("st_bf16.safetensors")
    save("st_bf16__b", (rounded.astype(np.uint32) << 16).view(np.float32))

    manifest = {
        "command": "python3 Scripts/golden/gen_tensor_golden.py",
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "safetensors": safetensors.__version__, "files": sorted(written),
    }
    with open(os.path.join(OUT, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(written)} files to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
