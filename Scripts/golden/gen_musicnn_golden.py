#!/usr/bin/env python3
"""Golden outputs of the musicnn 0.1.0 taggers for the Swift port (ModelsTests/MusicnnParityTests and
CLITests/AudioTagCommandTests), computed by TensorFlow itself: the graph is musicnn's own
models.define_model (MTT_musicnn / MSD_musicnn) restored from the checkpoints in the wheel with
tf.compat.v1.train.Saver, exactly as musicnn/extractor.py does. Never run in CI.

Set-up (own venv, pinned):
    python3 -m venv /tmp/musicnn-golden-venv
    /tmp/musicnn-golden-venv/bin/pip install tensorflow-cpu==2.15.1 numpy==1.26.4 librosa==0.10.2.post1
    /tmp/musicnn-golden-venv/bin/pip install --no-deps musicnn==0.1.0
Run from the package root:
    /tmp/musicnn-golden-venv/bin/python Scripts/golden/gen_musicnn_golden.py
Writes Tests/ModelsTests/Resources/musicnn_golden.json:
  synthetic  2 patches [187, 96] of x[b,t,f] = ((3t² + 17f + 101b + t·f) mod 400) / 100 (exact in
             float32 on both sides), for both models: logits, sigmoid probabilities, penultimate.
  clips      LibriVox clips from Debian's pocketsphinx-testdata through extractor.py's batch_data
             (librosa.load at 16 kHz, melspectrogram n_fft 512 / hop 256 / 96 mels with
             pad_mode='reflect' as librosa 0.7 did, float16 cast, log10(10000x+1), 187-frame patches,
             no overlap), MTT model: per-patch taggram and penultimate, and their means.
"""
import json
import os
import platform
import sys

import librosa
import numpy as np
import tensorflow as tf

import musicnn
from musicnn import models

tf.compat.v1.disable_eager_execution()

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "ModelsTests", "Resources", "musicnn_golden.json"))
PKG = os.path.dirname(musicnn.__file__)
LIBRIVOX = "/usr/share/pocketsphinx/test/data/librivox/"
CLIPS = ["sense_and_sensibility_01_austen_64kb-0870.wav", "sense_and_sensibility_01_austen_64kb-0880.wav",
         "sense_and_sensibility_01_austen_64kb-0930.wav"]
N_FRAMES = librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1  # extractor.py: 187


def synthetic(batch=2):
    b, t, f = np.meshgrid(np.arange(batch), np.arange(N_FRAMES), np.arange(96), indexing="ij")
    n = (3 * t * t + 17 * f + 101 * b + t * f) % 400
    return n.astype(np.float32) / np.float32(100)


def batch_data(path):
    """musicnn 0.1.0 extractor.py batch_data with librosa 0.7's pad_mode='reflect' made explicit."""
    audio, sr = librosa.load(path, sr=16000)
    rep = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=256, n_fft=512, n_mels=96, pad_mode="reflect").T
    rep = rep.astype(np.float16)
    rep = np.log10(10000 * rep + 1)
    patches = [rep[s:s + N_FRAMES] for s in range(0, rep.shape[0] - N_FRAMES + 1, N_FRAMES)]
    return np.stack(patches).astype(np.float32), rep.shape[0]


def run(model, x):
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        ph = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, 96])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y, timbral, temporal, cnn1, cnn2, cnn3, mean_pool, max_pool, penultimate = models.define_model(ph, is_training, model, 50)
        probs = tf.nn.sigmoid(y)
    with tf.compat.v1.Session() as sess:
        tf.compat.v1.train.Saver().restore(sess, os.path.join(PKG, model) + "/")
        return sess.run([y, probs, penultimate], feed_dict={ph: x, is_training: False})


def rows(a):
    return [[float("%.8g" % v) for v in r] for r in np.asarray(a, dtype=np.float64)]


golden = {
    "command": "/tmp/musicnn-golden-venv/bin/python Scripts/golden/gen_musicnn_golden.py",
    "reference": "musicnn 0.1.0 models.define_model + tf.compat.v1.train.Saver restore of the wheel's checkpoints",
    "python": platform.python_version(),
    "tensorflow": tf.__version__,
    "numpy": np.__version__,
    "librosa": librosa.__version__,
    "musicnn": "0.1.0",
    "patch_frames": int(N_FRAMES),
    "synthetic_formula": "((3t^2 + 17f + 101b + t*f) mod 400) / 100, float32",
    "synthetic": {},
    "clips": [],
}
x = synthetic()
for model, name in [("MTT_musicnn", "musicnn-mtt"), ("MSD_musicnn", "musicnn-msd")]:
    logits, probs, pen = run(model, x)
    golden["synthetic"][name] = {"logits": rows(logits), "probabilities": rows(probs), "penultimate": rows(pen)}
    print(name, "synthetic top tags:", np.argsort(-probs[0])[:5], file=sys.stderr)

for clip in CLIPS:
    path = LIBRIVOX + clip
    batch, frames = batch_data(path)
    logits, probs, pen = run("MTT_musicnn", batch)
    golden["clips"].append({"path": path, "model": "musicnn-mtt", "frames": int(frames), "patches": int(batch.shape[0]),
                            "taggram": rows(probs), "penultimate": rows(pen),
                            "mean_probabilities": rows(probs.mean(axis=0, keepdims=True))[0],
                            "mean_penultimate": rows(pen.mean(axis=0, keepdims=True))[0]})
    print(clip, frames, "frames,", batch.shape[0], "patches", file=sys.stderr)

with open(OUT, "w") as f:
    json.dump(golden, f, separators=(",", ":"))
    f.write("\n")
print("wrote", OUT, os.path.getsize(OUT), "bytes", file=sys.stderr)
