// Two (or more) builds of the worklet's WebAssembly against each other on S16: each renders 30 s
// of S16 128 frames at a time, as the AudioWorklet calls it, and the builds take turns every 94
// quanta (about a quarter of a second), the order reversed every other turn. On a noisy machine
// (runs of the same build differ by 15 % from one minute to the next) the turns see the same
// conditions, so the median of the per-turn time ratios tells a few per cent apart.
// In Node by default; with --chromium in a page of headless Chromium, whose V8 is the one the
// worklet meets (it compiles some code differently from Node's: docs/BENCHMARKS.md, session 28).
// Used for the engine's speed work (docs/BENCHMARKS.md, "S16: where the time went").
//
// Usage: node tests/bench/s16-ab.mjs [--chromium] <reps> <dist A> <dist B> …  (each dist holding
// mixroom-worklet.js and mixroom-worklet_bg.wasm as `cargo xtask build` writes them to dist/; the
// session file is target/bench/s16-60.json, as `cargo xtask bench parts` writes it). Prints each
// build's total time and its median per-turn ratio to the first build.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { s16Sources } from './s16-graph.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const args = process.argv.slice(2);
const inChromium = args[0] === '--chromium';
if (inChromium) args.shift();
const reps = Number(args[0] || 2);
const dists = args.slice(1).map((d) => resolve(d));
if (dists.length < 2) throw new Error('usage: node tests/bench/s16-ab.mjs [--chromium] <reps> <dist A> <dist B> …');
const sessionFile = join(root, 'target', 'bench', 's16-60.json');

/** The race itself. Self-contained: in Chromium it is handed to the page as its source text. */
async function race({ reps, builds, session, tracks }) {
  const SECONDS = 30, RATE = 48000, frames = SECONDS * RATE, TURN = 94;
  for (const t of session.tracks) t.source.frames = frames;
  const json = JSON.stringify(session);
  const engine = ({ m, wasm }) => {
    const e = new m.WorkletEngine(RATE);
    e.load(json);
    tracks.forEach((channels, t) => channels.forEach((samples, c) => {
      const ptr = e.track_audio_ptr(t, c, samples.length);
      new Float32Array(wasm.memory.buffer, ptr, samples.length).set(samples);
    }));
    e.start(true);
    return e;
  };
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
  return totals.map((total, i) => ({ total, ratio: median(ratios[i]) }));
}

let results;
if (!inChromium) {
  const builds = [];
  for (const [k, d] of dists.entries()) {
    // The query string makes each build a module of its own.
    const m = await import(`${join(d, 'mixroom-worklet.js')}?${k}`);
    builds.push({ m, wasm: m.initSync({ module: readFileSync(join(d, 'mixroom-worklet_bg.wasm')) }) });
  }
  results = await race({ reps, builds, session: JSON.parse(readFileSync(sessionFile, 'utf8')), tracks: s16Sources(30) });
} else {
  // The page gets build k under /build/k/, this folder under /bench/, the session at /session.json.
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [, top, k, ...rest] = path.split('/');
    const file = top === 'build' ? join(dists[Number(k)] ?? '/nonexistent', ...rest) : top === 'bench' ? join(here, k) : top === 'session.json' ? sessionFile : null;
    try {
      const body = file === null ? '<!doctype html><title>S16 A/B</title>' : await readFile(file);
      const type = path.endsWith('.wasm') ? 'application/wasm' : path.endsWith('js') ? 'text/javascript' : path.endsWith('.json') ? 'application/json' : 'text/html';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  // Only here: the Node race needs no browser (nor Playwright).
  const { launchBrowser } = await import('../e2e/harness.mjs');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    results = await page.evaluate(async ([source, reps, n]) => {
      const builds = [];
      for (let k = 0; k < n; k++) {
        const m = await import(`/build/${k}/mixroom-worklet.js`);
        builds.push({ m, wasm: await m.default({ module_or_path: `/build/${k}/mixroom-worklet_bg.wasm` }) });
      }
      const { s16Sources } = await import('/bench/s16-graph.mjs');
      const session = await (await fetch('/session.json')).json();
      const race = (0, eval)(`(${source})`);
      return race({ reps, builds, session, tracks: s16Sources(30) });
    }, [race.toString(), reps, dists.length]);
  } finally {
    await browser.close();
    server.close();
  }
}
results.forEach((r, i) => console.log(`${dists[i]}: ${r.total.toFixed(0)} ms in all, median turn ratio to the first ${r.ratio.toFixed(3)}`));
