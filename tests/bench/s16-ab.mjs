// Two (or more) builds of the worklet's WebAssembly against each other on S16, in Node: each
// renders 30 s of S16 128 frames at a time, as the AudioWorklet calls it, and the builds take
// turns every 94 quanta (about a quarter of a second), the order reversed every other turn. On a
// noisy machine (runs of the same build differ by 15 % from one minute to the next) the turns see
// the same conditions, so the median of the per-turn time ratios tells a few per cent apart.
// Used for the engine's speed work (docs/BENCHMARKS.md, "S16: where the time went").
//
// Usage: node tests/bench/s16-ab.mjs <reps> <dist A> <dist B> …  (each dist holding
// mixroom-worklet.js and mixroom-worklet_bg.wasm as `cargo xtask build` writes them to dist/; the
// session file is target/bench/s16-60.json, as `cargo xtask bench parts` writes it). Prints each
// build's total time and its median per-turn ratio to the first build.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { s16Sources } from './s16-graph.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const reps = Number(process.argv[2] || 2);
const dists = process.argv.slice(3).map((d) => resolve(d));
if (dists.length < 2) throw new Error('usage: node tests/bench/s16-ab.mjs <reps> <dist A> <dist B> …');
const SECONDS = 30, RATE = 48000, frames = SECONDS * RATE, TURN = 94;
const base = JSON.parse(readFileSync(join(root, 'target', 'bench', 's16-60.json'), 'utf8'));
for (const t of base.tracks) t.source.frames = frames;
const json = JSON.stringify(base);
const tracks = s16Sources(SECONDS);
const builds = [];
for (const [k, d] of dists.entries()) {
  // The query string makes each build a module of its own.
  const m = await import(`${join(d, 'mixroom-worklet.js')}?${k}`);
  const wasm = m.initSync({ module: readFileSync(join(d, 'mixroom-worklet_bg.wasm')) });
  builds.push({ m, wasm, d });
}
function engine({ m, wasm }) {
  const e = new m.WorkletEngine(RATE);
  e.load(json);
  tracks.forEach((channels, t) => channels.forEach((samples, c) => {
    const ptr = e.track_audio_ptr(t, c, samples.length);
    new Float32Array(wasm.memory.buffer, ptr, samples.length).set(samples);
  }));
  e.start(true);
  return e;
}
const totals = builds.map(() => 0);
const ratios = builds.map(() => []);
for (let r = 0; r < reps; r++) {
  const engines = builds.map(engine);
  for (let q = 0; q < frames / 128; q += TURN) {
    const t = engines.map(() => 0);
    const order = engines.map((_, i) => i);
    if ((q / TURN) % 2) order.reverse();
    for (const i of order) {
      const t0 = performance.now();
      for (let k = 0; k < TURN; k++) engines[i].process(128);
      t[i] = performance.now() - t0;
    }
    t.forEach((x, i) => { totals[i] += x; ratios[i].push(x / t[0]); });
  }
  engines.forEach((e) => e.free());
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
builds.forEach((b, i) => console.log(`${b.d}: ${totals[i].toFixed(0)} ms in all, median turn ratio to the first ${median(ratios[i]).toFixed(3)}`));
