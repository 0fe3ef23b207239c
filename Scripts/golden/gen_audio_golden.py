#!/usr/bin/env python3
"""Golden inputs and expected outputs for Tests/AudioFeaturesTests (never run in CI).

Run from the package root:  python3 Scripts/golden/gen_audio_golden.py
Writes float32 .npy files into Tests/AudioFeaturesTests/Resources and a
MANIFEST.json recording this command and the python/numpy/scipy/librosa/soxr
versions. References mirrored:
  whisper      openai-whisper audio.py log_mel_spectrogram (re-implemented in float64 numpy,
               filters from librosa.filters.mel(sr=16000, n_fft=400, n_mels=80))
  librosa      librosa 0.11 feature.melspectrogram defaults + power_to_db(ref=1, amin=1e-10, top_db=80)
               on librosa.resample(x, orig_sr=16000, target_sr=22050, res_type='soxr_hq')
  musicnn      musicnn 0.1.0 extractor.py: melspectrogram(sr=16000, n_fft=512, hop=256, n_mels=96,
               pad_mode='reflect' as in librosa 0.7), then log10(10000 x + 1)
  kaldi-fbank  torchaudio.compliance.kaldi.fbank(num_mel_bins=80, sample_frequency=16000, dither=0)
               on waveform*32768, re-implemented in float64 numpy (torch is not needed)
  mfcc         librosa.feature.mfcc(y, sr=22050) defaults (n_mfcc=20, DCT-II ortho, lifter 0)
The real speech clip is read from Debian's pocketsphinx-testdata, never copied.
"""
import json
import os
import platform
import sys

import librosa
import numpy as np
import scipy
import scipy.signal
import soundfile as sf
import soxr

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "Tests", "AudioFeaturesTests", "Resources"))
SPEECH = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
SR = 16000
manifest = {
    "command": "python3 Scripts/golden/gen_audio_golden.py",
    "python": platform.python_version(),
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "librosa": librosa.__version__,
    "soxr": soxr.__version__,
    "speech": SPEECH,
    "files": {},
}


def save(name, arr, note):
    arr = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
    np.save(os.path.join(OUT, name + ".npy"), arr)
    manifest["files"][name + ".npy"] = {"shape": list(arr.shape), "note": note}


# ---------------------------------------------------------------- inputs
t = np.arange(SR) / SR
inputs = {
    "silence": np.zeros(SR, dtype=np.float32),
    "sine440": (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32),
    "chirp": (0.5 * scipy.signal.chirp(t, f0=50.0, t1=1.0, f1=7000.0, method="linear")).astype(np.float32),
}
for k, v in inputs.items():
    save("input_" + k, v, "16 kHz mono float32 input")
speech, speech_sr = sf.read(SPEECH, dtype="float32")
assert speech_sr == SR and speech.ndim == 1
inputs["speech"] = speech


# ---------------------------------------------------------------- whisper (float64)
def whisper_filters():
    return librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)  # float32, as whisper's mel_filters.npz


def whisper_logmel(x):
    x = x.astype(np.float64)
    n_fft, hop = 400, 160
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # torch.hann_window(400), periodic
    xp = np.pad(x, n_fft // 2, mode="reflect")  # torch.stft(center=True, pad_mode='reflect')
    n_frames = 1 + (len(xp) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    spec = np.fft.rfft(xp[idx] * window, axis=1)  # [frames, 201]
    mag = np.abs(spec[:-1]) ** 2  # stft[..., :-1].abs() ** 2
    mel = mag @ whisper_filters().astype(np.float64).T  # [frames, 80]
    log_spec = np.log10(np.maximum(mel, 1e-10))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0


# ---------------------------------------------------------------- librosa preset
def librosa_resample(x):
    return librosa.resample(x, orig_sr=16000, target_sr=22050, res_type="soxr_hq")


def librosa_logmel(x22):
    S = librosa.feature.melspectrogram(y=x22, sr=22050)  # n_fft 2048, hop 512, center, 'constant', 128 mels
    return librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=80.0).T  # [frames, 128]


def musicnn_logmel(x):
    S = librosa.feature.melspectrogram(y=x, sr=16000, n_fft=512, hop_length=256, n_mels=96, pad_mode="reflect")
    return np.log10(10000.0 * S.astype(np.float64) + 1.0).T


# ---------------------------------------------------------------- kaldi fbank (float64 numpy)
def kaldi_mel_banks(num_bins=80, padded=512, sample_freq=16000.0, low=20.0, high=0.0):
    mel = lambda f: 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)
    num_fft_bins = padded // 2
    nyquist = 0.5 * sample_freq
    if high <= 0.0:
        high += nyquist
    width = sample_freq / padded
    mlow, mhigh = mel(low), mel(high)
    delta = (mhigh - mlow) / (num_bins + 1)
    b = np.arange(num_bins)[:, None]
    left, center, right = mlow + b * delta, mlow + (b + 1.0) * delta, mlow + (b + 2.0) * delta
    m = mel(width * np.arange(num_fft_bins))[None, :]
    up = (m - left) / (center - left)
    down = (right - m) / (right - center)
    banks = np.maximum(0.0, np.minimum(up, down))
    return np.pad(banks, ((0, 0), (0, 1)))  # torchaudio pads a zero column for the Nyquist bin: [80, 257]


def kaldi_fbank(x):
    w = x.astype(np.float64) * 32768.0
    L, S, P = 400, 160, 512
    n = 1 + (len(w) - L) // S  # snip_edges=True
    frames = w[np.arange(L)[None, :] + S * np.arange(n)[:, None]]
    frames = frames - frames.mean(axis=1, keepdims=True)  # remove_dc_offset
    prev = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)  # replicate pad
    frames = frames - 0.97 * prev  # preemphasis
    povey = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(L) / (L - 1))) ** 0.85
    frames = np.pad(frames * povey, ((0, 0), (0, P - L)))
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mel = power @ kaldi_mel_banks().T
    return np.log(np.maximum(mel, np.finfo(np.float32).eps))


# ---------------------------------------------------------------- write expected outputs
for name, x in inputs.items():
    save(f"whisper_{name}", whisper_logmel(x), "whisper log-mel [frames, 80], float64 reference")
    x22 = librosa_resample(x)
    save(f"librosa_{name}", librosa_logmel(x22), "librosa log-mel dB [frames, 128] after soxr_hq to 22050")
    save(f"musicnn_{name}", musicnn_logmel(x), "musicnn log10(10000x+1) [frames, 96]")
    save(f"kaldi_{name}", kaldi_fbank(x), "kaldi fbank [frames, 80], float64 reference")
    if name in ("speech", "chirp"):
        save(f"mfcc_{name}", librosa.feature.mfcc(y=x22, sr=22050).T, "librosa mfcc [frames, 20]")

# stage by stage
sine = inputs["sine440"]
power = np.abs(librosa.stft(sine, n_fft=400, hop_length=160, window="hann", center=True, pad_mode="reflect").T) ** 2
save("stft_power_sine440", power, "|STFT|^2 [frames, 201], n_fft 400 hop 160 periodic Hann centre reflect")
save("melbank_whisper", whisper_filters(), "librosa.filters.mel(sr=16000, n_fft=400, n_mels=80) [80, 201]")
save("melbank_kaldi", kaldi_mel_banks(), "torchaudio kaldi get_mel_banks + zero Nyquist column [80, 257]")
save("melbank_htk", librosa.filters.mel(sr=22050, n_fft=2048, n_mels=40, fmin=30.0, fmax=8000.0, htk=True, norm=None),
     "librosa.filters.mel(sr=22050, n_fft=2048, n_mels=40, fmin=30, fmax=8000, htk=True, norm=None) [40, 1025]")

# resampler
sweep = (0.5 * scipy.signal.chirp(t, f0=100.0, t1=1.0, f1=7900.0, method="logarithmic")).astype(np.float32)
save("resample_input_sweep", sweep, "log sweep 100->7900 Hz, 16 kHz, 1 s")
for to in (22050, 8000):
    y = soxr.resample(sweep, 16000, to, "HQ")
    save(f"resample_sweep_{to}", y, f"soxr.resample(x, 16000, {to}, 'HQ'), python-soxr bundled libsoxr")
    manifest["files"][f"resample_sweep_{to}.npy"]["librosa_length"] = int(len(librosa.resample(sweep, orig_sr=16000, target_sr=to, res_type="soxr_hq")))

# Independent cross-check of the Kaldi reference: kaldi-native-fbank (k2-fsa's C++ port of Kaldi's
# compute-fbank-feats, float32) on the real speech clip. Recorded, not asserted: the Swift tests
# compare against the float64 reference above.
try:
    import kaldi_native_fbank as knf
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0
    opts.frame_opts.samp_freq = 16000
    opts.mel_opts.num_bins = 80
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(16000, (inputs["speech"] * 32768.0).tolist())
    fb.input_finished()
    knf_feats = np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)])
    manifest["kaldi_crosscheck"] = {
        "tool": "kaldi-native-fbank " + getattr(knf, "__version__", "?"),
        "speech_frames": int(knf_feats.shape[0]),
        "speech_max_abs_diff_vs_kaldi_speech_npy": float(np.abs(knf_feats - kaldi_fbank(inputs["speech"])).max()),
    }
except ImportError:
    manifest["kaldi_crosscheck"] = "kaldi-native-fbank not installed (pip install kaldi-native-fbank)"

with open(os.path.join(OUT, "MANIFEST.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
total = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
print(f"wrote {len(manifest['files'])} arrays to {OUT}, {total / 1e6:.2f} MB")
