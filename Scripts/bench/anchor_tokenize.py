#!/usr/bin/env python3
"""Anchor for `crosstalk bench tokenize`: python sentencepiece's batch encode, timed in-process.

Usage: anchor_tokenize.py MODEL TEXT THREADS
Prints one JSON line: {"tool", "version", "lines", "seconds", "threads", "ids_checksum"}.
The text is read and split before the clock starts; only `encode` is timed (best of 3).
"""
import json, sys, time
import sentencepiece as spm

model, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
sp = spm.SentencePieceProcessor(model_file=model)
with open(path, encoding="utf-8") as f:
    lines = f.read().split("\n")
if lines and lines[-1] == "":
    lines.pop()
best = None
ids = None
for _ in range(3):
    t0 = time.perf_counter()
    ids = sp.encode(lines, out_type=int, num_threads=threads)
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
total = sum(len(x) for x in ids)
print(json.dumps({"tool": "python sentencepiece encode", "version": spm.__version__,
                  "lines": len(lines), "seconds": best, "threads": threads, "ids": total}))
