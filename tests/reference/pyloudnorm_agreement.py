"""Mixroom's loudness against a second implementation on real material.

`mixroom loudness` (the `ebur128` crate) and pyloudnorm (an independent BS.1770-4 implementation in
NumPy/SciPy) must agree within 0.1 LU on the integrated loudness of:
- the demo mix, as the CLI renders it (48 kHz, 32-bit float), and
- an imported file: the same mix resampled to 44.1 kHz and written as a 24-bit integer WAV, which
  the CLI reads through its importer (Symphonia) and pyloudnorm reads here sample for sample.

Run by `cargo xtask test` (stage "loudness against pyloudnorm") with MIXROOM_CLI set; prints one
line per file and exits non-zero on disagreement.
"""

import json
import os
import subprocess
import sys
import wave

import numpy as np
import pyloudnorm
from scipy.io import wavfile
from scipy.signal import resample_poly

TOLERANCE_LU = 0.1


def cli_integrated(cli, path):
    out = subprocess.run([cli, "loudness", path, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["loudness"]["integrated"]


def write_wav24(path, rate, samples):
    """A 24-bit integer PCM WAV (frames × channels), by the standard library's writer."""
    ints = np.clip(np.round(samples * 8388607.0), -8388608, 8388607).astype("<i4")
    raw = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    with wave.open(path, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(3)
        w.setframerate(rate)
        w.writeframes(raw)
    return ints.astype(np.float64) / 8388608.0


def main():
    cli = os.environ.get("MIXROOM_CLI", "target/release/mixroom")
    out_dir = os.path.join("target", "reference")
    os.makedirs(out_dir, exist_ok=True)

    mix_path = os.path.join(out_dir, "demo-mix.wav")
    subprocess.run([cli, "render", "demo", "-o", mix_path], check=True, capture_output=True)
    rate, mix = wavfile.read(mix_path)
    mix = mix.astype(np.float64)

    # The same music as a 44.1-kHz, 24-bit file, as a user would import it.
    resampled = resample_poly(mix, 147, 160, axis=0) * 0.8
    file_path = os.path.join(out_dir, "demo-mix-44k1-24bit.wav")
    file_samples = write_wav24(file_path, 44_100, resampled)

    failures = []
    for name, path, samples, sample_rate in [("demo mix", mix_path, mix, rate), ("imported 44.1 kHz 24-bit file", file_path, file_samples, 44_100)]:
        ours = cli_integrated(cli, path)
        theirs = pyloudnorm.Meter(sample_rate).integrated_loudness(samples)
        diff = ours - theirs
        print(f"{name}: mixroom loudness {ours:.3f} LUFS, pyloudnorm {theirs:.3f} LUFS, difference {diff:+.3f} LU")
        if not abs(diff) <= TOLERANCE_LU:
            failures.append(f"{name}: {diff:+.3f} LU apart (tolerance {TOLERANCE_LU})")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
