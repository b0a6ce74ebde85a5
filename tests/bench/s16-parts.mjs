// Where S16's time goes (docs/BENCHMARKS.md): the worklet's WebAssembly (dist/) renders 30 s of
// S16 in Node, 128 frames at a time as the AudioWorklet calls it, whole and with one part taken
// out at a time (the time a part saves is what it costs); every variant is timed `runs` times,
// in turn (the order reversed every other run), and the median reported. The session file is
// `mixroom s16-session`'s (target/bench/s16-60.json, as `cargo xtask bench parts` writes it).
// Usage: node tests/bench/s16-parts.mjs [runs=5]; prints one JSON line.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { s16Sources } from './s16-graph.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = process.env.MIXROOM_DIST || join(root, 'dist');
const { initSync, WorkletEngine } = await import(join(dist, 'mixroom-worklet.js'));
const wasm = initSync({ module: readFileSync(join(dist, 'mixroom-worklet_bg.wasm')) });
const base = JSON.parse(readFileSync(join(root, 'target', 'bench', 's16-60.json'), 'utf8'));
const SECONDS = 30, RATE = 48000, frames = SECONDS * RATE;
const tracks = s16Sources(SECONDS);
for (const t of base.tracks) t.source.frames = frames;
const without = (f) => { const s = structuredClone(base); f(s); return JSON.stringify(s); };
const strips = (s) => [...s.tracks, ...s.buses, ...s.returns, s.master];
const variants = {
  'S16': without(() => {}),
  'no track high-pass': without((s) => s.tracks.forEach((t) => { t.inserts = t.inserts.filter((i) => i.kind !== 'filters'); })),
  'no track EQ': without((s) => s.tracks.forEach((t) => { t.inserts = t.inserts.filter((i) => i.kind !== 'eq'); })),
  'no track compressor': without((s) => s.tracks.forEach((t) => { t.inserts = t.inserts.filter((i) => i.kind !== 'compressor'); })),
  'no sends (reverb, delay idle)': without((s) => s.tracks.forEach((t) => { t.sends = []; })),
  'no reverb': without((s) => { s.returns[0].inserts = []; }),
  'no delay': without((s) => { s.returns[1].inserts = []; }),
  'no group compressors': without((s) => s.buses.forEach((b) => { b.inserts = []; })),
  'no master chain (EQ, compressor, limiter)': without((s) => { s.master.inserts = []; }),
  'no limiter': without((s) => { s.master.inserts = s.master.inserts.filter((i) => i.kind !== 'limiter'); }),
  'no inserts, no sends (mixing alone)': without((s) => strips(s).forEach((x) => { x.inserts = []; x.sends = []; })),
};
function render(json) {
  const e = new WorkletEngine(RATE);
  e.load(json);
  tracks.forEach((channels, t) => channels.forEach((samples, c) => {
    const ptr = e.track_audio_ptr(t, c, samples.length);
    new Float32Array(wasm.memory.buffer, ptr, samples.length).set(samples);
  }));
  e.start(true);
  const t0 = performance.now();
  for (let i = 0; i < frames / 128; i++) e.process(128);
  const ms = performance.now() - t0;
  e.free();
  return ms;
}
const runs = Number(process.argv[2] || 5);
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let r = 0; r < runs; r++) {
  const keys = Object.keys(variants);
  if (r % 2) keys.reverse();
  for (const k of keys) times[k].push(render(variants[k]));
}
const med = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const full = med(times['S16']);
const parts = Object.entries(times).map(([variant, v]) => ({ variant, median_ms: med(v), saves: (full - med(v)) / full }));
for (const p of parts) console.error(`${p.variant.padEnd(45)} ${p.median_ms.toFixed(0).padStart(5)} ms  saves ${(100 * p.saves).toFixed(1)} %`);
console.log(JSON.stringify({ seconds: SECONDS, runs, parts }));
