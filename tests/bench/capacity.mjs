// Live capacity (docs/BENCHMARKS.md): the most S16-style tracks — each a full strip (high-pass,
// four-band EQ, compressor, pan, fader, sends to the reverb and the delay; the first eight of every
// sixteen through the two compressed group buses) — that one AudioWorklet plays in real time at
// 128 frames, against the same session built from Chromium's native nodes, in the same run.
//
// - Ours: the worklet's WebAssembly timed one quantum at a time in a Worker (the worklet's scope has
//   no clock), the session looping over 2 s of every track's audio. A track count fits when the
//   p99 of the quantum is at most half the budget (1333 µs of 2667 µs at 48 kHz): the other half
//   is the browser's, and the headroom a user needs.
// - The peer: the same count of tracks as Chromium's native graph (`s16-graph.mjs`), rendered in an
//   OfflineAudioContext from looping 2-s buffers. Its quanta cannot be timed one by one, so its
//   cost per quantum is the render's mean — never more than its p99, so the count found for it by
//   the same half-budget rule is generous to it. Ours is also given by that mean, to compare like
//   with like.
// Each search doubles the count from 16 until a count does not fit, then halves the gap down to
// 4 tracks; it stops at 512, the most tracks a session may have. Every count timed must sound (the
// output's peak). Runs alternate which side searches first. Prints (in the page) one JSON result.
import { RATE, s16Sources, buildNative, widenSession, peakOf, quantumCosts } from './s16-graph.mjs';

const QUANTUM = 128;
const BUDGET_US = (QUANTUM / RATE) * 1e6;
const SHARE = 0.5;
const LOOP_S = 2;
// The most tracks a session may have (`mixroom_session::limits`).
const MAX_TRACKS = 512;
const RESOLUTION = 4;

/** The largest count `fits` accepts (counts of 16 and up), with every count tried; 0 if 16 does not. */
async function search(fits) {
  const tried = [];
  const test = async (n) => { const ok = await fits(n); tried.push({ tracks: n, fits: ok }); return ok; };
  if (!(await test(16))) return { tracks: 0, tried };
  let lo = 16, hi = 32;
  while (hi <= MAX_TRACKS && (await test(hi))) [lo, hi] = [hi, hi * 2];
  if (hi > MAX_TRACKS) return { tracks: lo, tried };
  while (hi - lo > RESOLUTION) {
    const mid = Math.round((lo + hi) / 2 / RESOLUTION) * RESOLUTION;
    if (await test(mid)) lo = mid; else hi = mid;
  }
  return { tracks: lo, tried };
}

async function run() {
  const params = new URLSearchParams(location.search);
  const runs = Number(params.get('runs') || 3);
  const quanta = Number(params.get('quanta') || 4000);
  const renderS = Number(params.get('seconds') || 5);
  const module = await WebAssembly.compileStreaming(fetch('/mixroom-worklet_bg.wasm'));
  const s16 = await (await fetch('/bench/s16-60.json')).text();
  const loop = LOOP_S * RATE;
  let sources = [];
  const tracksOf = (n) => {
    if (sources.length < n) sources = s16Sources(LOOP_S, Math.max(n, 2 * sources.length));
    return sources.slice(0, n);
  };

  // One measurement per count and side, shared by the searches of a run.
  async function ours(memo, n) {
    if (!memo.has(n)) {
      const r = await quantumCosts(module, widenSession(s16, n, loop, loop), tracksOf(n), quanta, false);
      if (!(r.peak > 0.01)) throw new Error(`${n} tracks played silence (peak ${r.peak}): nothing was timed`);
      memo.set(n, { p99_us: r.p99_us, mean_us: r.mean_us, peak: r.peak });
    }
    return memo.get(n);
  }
  async function native(memo, n) {
    if (!memo.has(n)) {
      const frames = Math.round(renderS * RATE);
      const ctx = new OfflineAudioContext(2, frames, RATE);
      buildNative(ctx, tracksOf(n), frames, { loop: true });
      const t0 = performance.now();
      const out = await ctx.startRendering();
      const ms = performance.now() - t0;
      const peak = peakOf(out);
      if (!(peak > 0.01)) throw new Error(`Chromium's graph of ${n} tracks played silence (peak ${peak})`);
      memo.set(n, { mean_us: (ms * 1000) / (frames / QUANTUM), peak });
    }
    return memo.get(n);
  }

  const results = [];
  for (let i = 0; i < runs; i++) {
    const mine = new Map(), theirs = new Map();
    const searchOurs = async () => {
      const byP99 = await search(async (n) => (await ours(mine, n)).p99_us <= SHARE * BUDGET_US);
      const byMean = await search(async (n) => (await ours(mine, n)).mean_us <= SHARE * BUDGET_US);
      return { byP99, byMean };
    };
    const searchNative = () => search(async (n) => (await native(theirs, n)).mean_us <= SHARE * BUDGET_US);
    const first = i % 2 === 0;
    const a = first ? await searchOurs() : await searchNative();
    const b = first ? await searchNative() : await searchOurs();
    const [o, n] = first ? [a, b] : [b, a];
    // The peer at our count: what Chromium's graph costs for the tracks we play.
    const at = o.byP99.tracks;
    const peerAtOurs = at > 0 ? await native(theirs, at) : null;
    results.push({
      ours_tracks: at,
      ours_p99_us: at > 0 ? mine.get(at).p99_us : null,
      ours_mean_us: at > 0 ? mine.get(at).mean_us : null,
      ours_tracks_by_mean: o.byMean.tracks,
      native_tracks: n.tracks,
      native_mean_us: n.tracks > 0 ? theirs.get(n.tracks).mean_us : null,
      native_mean_us_at_ours: peerAtOurs && peerAtOurs.mean_us,
      ours_tried: [...mine].map(([tracks, r]) => ({ tracks, ...r })),
      native_tried: [...theirs].map(([tracks, r]) => ({ tracks, ...r })),
    });
  }
  return { budget_us: BUDGET_US, share: SHARE, quanta, render_s: renderS, loop_s: LOOP_S, runs: results, crossOriginIsolated: self.crossOriginIsolated };
}

window.benchResult = run().then(
  (r) => { document.getElementById('log').textContent = JSON.stringify(r); return r; },
  (e) => { document.getElementById('log').textContent = 'error ' + e; throw e; },
);
