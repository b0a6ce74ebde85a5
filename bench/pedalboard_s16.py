"""Peer for the native benchmark: the S16 session (docs/BENCHMARKS.md) through Spotify's pedalboard
(JUCE's DSP, native C++), rendered offline in one thread, printing one JSON line.

The chain per track, the group buses, the returns and the master follow S16 as Mixroom's
`mixroom bench-s16` renders it; the sources are the same recipe of shaped noise. Only the rendering
is timed (building the signals is not), as on our side.

With --automated, every track's fader, pan and low-mid EQ gain follow S16's curves (a point every
10 ms), the strip rendered in blocks of 32 frames with its parameters set before each.

Usage: python bench/pedalboard_s16.py [seconds] [--automated]
"""
import json
import sys
import time

import numpy as np
from pedalboard import (Compressor, Delay, Gain, HighpassFilter, HighShelfFilter, Limiter, LowShelfFilter,
                        PeakFilter, Pedalboard, Reverb)

RATE = 48_000
TRACKS = 16


def lcg(seed, count, block=4_096):
    """`count` outputs of x_{n+1} = (1664525·x_n + 1013904223) mod 2^32 from x_0 = seed, a block at a
    time: x_{k+j} = A_j·x_k + C_j (mod 2^32) with A_j, C_j the recurrence composed j times."""
    a, c, m = 1_664_525, 1_013_904_223, 2 ** 32
    mult = np.empty(block, dtype=np.uint64)
    add = np.empty(block, dtype=np.uint64)
    am, cm = 1, 0
    for j in range(block):
        am, cm = (a * am) % m, (a * cm + c) % m
        mult[j], add[j] = am, cm
    out = np.empty(count, dtype=np.uint64)
    state = seed
    for start in range(0, count, block):
        n = min(block, count - start)
        # (A·x) mod 2^32 without overflow: split x into 16-bit halves.
        hi, lo = state >> 16, state & 0xFFFF
        values = ((mult[:n] * lo) % m + ((mult[:n] * hi) % m << 16) % m + add[:n]) % m
        out[start:start + n] = values
        state = int(values[-1])
    return out


def sources(seconds):
    """Shaped noise per track: a 32-bit LCG seeded with the track number, times a slow sine."""
    frames = int(seconds * RATE)
    index = np.arange(frames, dtype=np.float64)
    out = []
    for t in range(TRACKS):
        seed = t + 1
        channels = 2 if t < 4 else 1
        x = lcg(seed, frames * channels)
        noise = (x.astype(np.float64) / 2 ** 32 - 0.5).reshape(channels, frames)
        shape = np.sin(index * (0.0005 + 0.0001 * seed))
        out.append((noise * 0.5 * shape).astype(np.float32))
    return out


def strip():
    return Pedalboard([
        HighpassFilter(80.0),
        LowShelfFilter(120.0, 2.0, 0.7), PeakFilter(400.0, -3.0, 1.2), PeakFilter(2_500.0, 2.0, 1.0),
        HighShelfFilter(8_000.0, 1.5, 0.7),
        Compressor(-18.0, 4.0, 10.0, 100.0),
        Gain(-6.0),
    ])


POINT_FRAMES = 480  # S16's automation: a point every 10 ms
BLOCK = 32  # the automated peer sets its parameters once per block of this many frames


def ride(t, seconds):
    """S16's automation recipe (Mixroom's `s16_ride`): fader dB, pan, low-mid EQ gain dB at `seconds`
    (an array) on track `t`."""
    fader = -6.0 + 3.0 * np.sin(2 * np.pi * seconds * (0.25 + 0.05 * t))
    pan = np.clip((t / (TRACKS - 1)) * 1.6 - 0.8 + 0.15 * np.sin(2 * np.pi * seconds * (0.1 + 0.02 * t)), -1.0, 1.0)
    eq = -3.0 + 3.0 * np.sin(2 * np.pi * seconds * (0.5 + 0.03 * t))
    return fader, pan, eq


def automated_track(t, x):
    """One track's strip with its fader, pan and low-mid EQ gain following S16's curves: rendered
    in blocks of 32 frames, the parameters set before each block to the curves' values there (the
    10 ms points, linear between, as Mixroom plays them)."""
    board = strip()
    eq_band, fader_gain = board[2], board[6]
    frames = x.shape[1]
    starts = np.arange(0, frames, BLOCK)
    points = np.arange(0, frames + POINT_FRAMES, POINT_FRAMES)
    curves = ride(t, points / RATE)
    fader, pan, eq = (np.interp(starts, points, c) for c in curves)
    theta = (pan + 1.0) * np.pi / 4.0
    out = np.empty((2, frames), np.float32)
    for b, s in enumerate(starts):
        eq_band.gain_db = float(eq[b])
        fader_gain.gain_db = float(fader[b])
        y = board(x[:, s:s + BLOCK], RATE, reset=False)
        out[0, s:s + BLOCK] = y[0] * np.cos(theta[b])
        out[1, s:s + BLOCK] = y[-1] * np.sin(theta[b])
    return out


def render(tracks, automated=False):
    frames = tracks[0].shape[1]
    master = np.zeros((2, frames), np.float32)
    groups = [np.zeros((2, frames), np.float32) for _ in range(2)]
    to_reverb = np.zeros((2, frames), np.float32)
    to_delay = np.zeros((2, frames), np.float32)
    for t, x in enumerate(tracks):
        if automated:
            stereo = automated_track(t, x)
        else:
            y = strip()(x, RATE)
            pan = (t / (TRACKS - 1)) * 1.6 - 0.8
            theta = (pan + 1.0) * np.pi / 4.0
            stereo = np.vstack([y[0] * np.cos(theta), y[-1] * np.sin(theta)])
        if t < 8:
            groups[t % 2] += stereo
        else:
            master += stereo
        to_reverb += 0.2 * stereo
        to_delay += 0.1 * stereo
    for g in groups:
        master += Pedalboard([Compressor(-10.0, 3.0)])(g, RATE)
    master += Pedalboard([Reverb(room_size=0.7)])(to_reverb, RATE)
    master += Pedalboard([HighpassFilter(200.0), Delay(0.375, 0.35, 1.0)])(to_delay, RATE)
    return Pedalboard([PeakFilter(3_000.0, 1.0, 0.7), Compressor(-12.0, 2.0), Limiter(-1.0, 100.0)])(master, RATE)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    automated = "--automated" in sys.argv
    seconds = float(args[0]) if args else 60.0
    tracks = sources(seconds)
    started = time.perf_counter()
    out = render(tracks, automated)
    elapsed = time.perf_counter() - started
    print(json.dumps({"render_s": elapsed, "seconds": seconds, "x_realtime": seconds / elapsed, "peak": float(np.abs(out).max())}))


if __name__ == "__main__":
    main()
