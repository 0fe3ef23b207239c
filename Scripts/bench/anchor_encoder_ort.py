#!/usr/bin/env python3
"""ONNX Runtime anchor for `crosstalk bench encoder`: the same BERT forward pass as an ONNX graph
built here with the `onnx` package from the same converted weights (model.safetensors), run by
onnxruntime's CPU provider with intra_op_num_threads = THREADS, graph optimisations on; best of 3.

Usage: anchor_encoder_ort.py MODEL_DIR B T THREADS
Prints one JSON line. Ids are the same deterministic ids as anchor_encoder.py; mask all ones.
"""
import json, os, sys, time
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import onnxruntime as ort
from safetensors.numpy import load_file

model_dir, B, T, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cfg = json.load(open(os.path.join(model_dir, "config.json")))
W = load_file(os.path.join(model_dir, "model.safetensors"))
C, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
D, eps = C // H, float(cfg.get("layer_norm_eps", 1e-12))
rng = np.random.default_rng(1)
ids = rng.integers(5, min(cfg["vocab_size"], 20000), size=(B, T)).astype(np.int64)

inits, nodes = [], []
def const(name, arr):
    inits.append(numpy_helper.from_array(np.asarray(arr), name)); return name
def node(op, inputs, out, **attrs):
    nodes.append(helper.make_node(op, inputs, [out], **attrs)); return out
def weight(name):  # [out, in] stored transposed for MatMul
    return const(name + ".T", W[name + ".weight"].T.copy())
def linear(x, name, out):
    return node("Add", [node("MatMul", [x, weight(name)], out + "_mm"), const(name + ".bias", W[name + ".bias"])], out)
def layernorm(x, name, out):
    return node("LayerNormalization", [x, const(name + ".weight", W[name + ".weight"]), const(name + ".bias", W[name + ".bias"])],
                out, axis=-1, epsilon=eps)

const("word", W["embeddings.word_embeddings.weight"])
const("pos", W["embeddings.position_embeddings.weight"][:T])
const("type0", W["embeddings.token_type_embeddings.weight"][0])
x = node("Add", [node("Add", [node("Gather", ["word", "ids"], "we"), "pos"], "wp"), "type0"], "emb")
x = layernorm(x, "embeddings.LayerNorm", "h0")
const("shape_bthd", np.array([B, T, H, D], dtype=np.int64))
const("shape_btc", np.array([B, T, C], dtype=np.int64))
const("scale", np.array(1 / np.sqrt(D), dtype=np.float32))
const("sqrt2", np.array(np.sqrt(2), dtype=np.float32))
const("one", np.array(1, dtype=np.float32))
const("half", np.array(0.5, dtype=np.float32))
for i in range(L):
    p = f"encoder.layer.{i}."
    heads = {}
    for n in ("query", "key", "value"):
        y = linear(x, p + "attention.self." + n, f"l{i}{n}")
        y = node("Reshape", [y, "shape_bthd"], f"l{i}{n}r")
        heads[n] = node("Transpose", [y], f"l{i}{n}t", perm=[0, 2, 3, 1] if n == "key" else [0, 2, 1, 3])
    s = node("Mul", [node("MatMul", [heads["query"], heads["key"]], f"l{i}qk"), "scale"], f"l{i}s")
    a = node("Softmax", [s], f"l{i}p", axis=-1)
    ctx = node("Reshape", [node("Transpose", [node("MatMul", [a, heads["value"]], f"l{i}ctx")], f"l{i}ctxt", perm=[0, 2, 1, 3]),
                           "shape_btc"], f"l{i}ctxr")
    x = layernorm(node("Add", [linear(ctx, p + "attention.output.dense", f"l{i}ao"), x], f"l{i}res1"),
                  p + "attention.output.LayerNorm", f"l{i}h1")
    inner = linear(x, p + "intermediate.dense", f"l{i}ff1")
    erf = node("Erf", [node("Div", [inner, "sqrt2"], f"l{i}div")], f"l{i}erf")
    g = node("Mul", [node("Mul", [inner, "half"], f"l{i}halfx"), node("Add", [erf, "one"], f"l{i}erf1")], f"l{i}gelu")
    x = layernorm(node("Add", [linear(g, p + "output.dense", f"l{i}ff2"), x], f"l{i}res2"), p + "output.LayerNorm", f"l{i}h2")

graph = helper.make_graph(nodes, "e5", [helper.make_tensor_value_info("ids", TensorProto.INT64, [B, T])],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, [B, T, C])], inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8  # opset 17 needs IR ≥ 8; newer onnx writes an IR newer onnxruntime builds may reject
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
opts.inter_op_num_threads = 1
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
sess.run(None, {"ids": ids})
best = 1e9
for _ in range(3):
    t0 = time.perf_counter(); sess.run(None, {"ids": ids}); best = min(best, time.perf_counter() - t0)
print(json.dumps({"tool": "onnxruntime CPU", "version": ort.__version__, "batch": B, "tokens": T, "threads": threads,
                  "seconds": best, "sequences_per_second": B / best}))
