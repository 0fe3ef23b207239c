#!/usr/bin/env python3
"""Anchors for `crosstalk bench logmel`, timed in-process (audio decoded before the clock starts).

Usage: anchor_logmel.py WAV
Prints JSON lines for:
  - librosa.feature.melspectrogram(y=y, sr=16000) with librosa's defaults (n_fft 2048, hop 512,
    128 mels): what a user calling librosa on this audio runs (best of 3);
  - librosa.feature.melspectrogram(y, sr=16000, n_fft=400, hop_length=160, n_mels=80) — the same
    analysis as Whisper's front end, through librosa's own pipeline (best of 3);
  - whisper_numpy: a numpy port of openai-whisper's audio.py log_mel_spectrogram (torch.stft
    replaced by numpy: reflect pad 200, periodic Hann 400, rfft, |X|^2 without the last frame,
    librosa Slaney mel filters, log10 clamp, max-8, (x+4)/4) (best of 3).
"""
import json, sys, time
import numpy as np
import soundfile as sf
import librosa

y, sr = sf.read(sys.argv[1], dtype="float32")
assert sr == 16000, sr

def best_of(fn, k=3):
    best = None
    for _ in range(k):
        t0 = time.perf_counter(); out = fn(); dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best, out

t, m = best_of(lambda: librosa.feature.melspectrogram(y=y, sr=16000))
print(json.dumps({"tool": "librosa.feature.melspectrogram defaults (n_fft 2048, hop 512, 128 mels)", "key": "librosa_defaults",
                  "version": librosa.__version__,
                  "seconds": t, "frames": int(m.shape[1]), "audio_seconds": len(y) / sr}))

t, m = best_of(lambda: librosa.feature.melspectrogram(y=y, sr=16000, n_fft=400, hop_length=160, n_mels=80))
print(json.dumps({"tool": "librosa.feature.melspectrogram, Whisper's analysis (n_fft 400, hop 160, 80 mels)", "key": "librosa_whisper",
                  "version": librosa.__version__,
                  "seconds": t, "frames": int(m.shape[1]), "audio_seconds": len(y) / sr}))

filters = librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)
window = np.hanning(401)[:-1].astype(np.float32)  # periodic Hann, as torch.hann_window(400)

def whisper_numpy():
    x = np.pad(y, 200, mode="reflect")
    n = 1 + (len(x) - 400) // 160
    frames = np.lib.stride_tricks.as_strided(x, shape=(n, 400), strides=(x.strides[0] * 160, x.strides[0]))
    spec = np.fft.rfft(frames * window, axis=1)
    mag = (np.abs(spec[:-1]) ** 2).astype(np.float32)
    mel = mag @ filters.T
    log = np.log10(np.maximum(mel, 1e-10))
    log = np.maximum(log, log.max() - 8.0)
    return (log + 4.0) / 4.0

t, m = best_of(whisper_numpy)
print(json.dumps({"tool": "whisper audio.py log_mel_spectrogram, numpy port", "key": "whisper_numpy", "version": "numpy " + np.__version__,
                  "seconds": t, "frames": int(m.shape[0]), "audio_seconds": len(y) / sr}))
