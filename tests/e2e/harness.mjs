// Shared fixtures for Mixroom's end-to-end tests: serve the built app, start Debian's Chromium,
// and measure the audio that reaches the AudioContext's destination.
import { before, after } from 'node:test';
import { createServer } from 'node:http';
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { execSync, execFileSync } from 'node:child_process';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '..', '..');
export const DIST = process.env.MIXROOM_DIST || join(ROOT, 'dist');
export const ARTIFACTS = process.env.MIXROOM_ARTIFACTS || join(ROOT, 'tests', 'artifacts');

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm', '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png',
};

/** The headers that make a page cross-origin isolated (SharedArrayBuffer). */
export const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Serves the built app (dist/) on an ephemeral loopback port. Unknown paths are 404s, not index.html.
 * `isolated: false` serves it as a host without the isolation headers would; `port` fixes the port
 * (the origin, whose storage a kept browser profile holds). */
export async function serveApp({ isolated = true, port = 0 } = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(DIST, path === '/' ? 'index.html' : path));
    if (!file.startsWith(DIST)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      // Cross-origin isolated, as `cargo xtask serve` and the hosted site serve it (README: Hosting).
      res.writeHead(200, { 'content-type': MIME[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store', ...(isolated ? ISOLATION : {}) });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

export function chromiumPath() {
  return process.env.CHROMIUM || execSync('command -v chromium || command -v chromium-browser').toString().trim();
}

/** Headless Chromium (a fresh temporary profile) with the flags this machine needs, audio allowed without a gesture. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/**
 * Runs in the page before the app: every connection into a realtime AudioContext's destination also
 * feeds an AnalyserNode, so the tests measure exactly the signal that reaches the speakers.
 */
export function installDestinationTap() {
  const connect = AudioNode.prototype.connect;
  window.__destinationTaps = [];
  AudioNode.prototype.connect = function (destination, ...rest) {
    if (destination instanceof AudioDestinationNode && this.context instanceof AudioContext && !this.__recorder) {
      (window.__destinationSources ||= []).push(this);
      const analyser = this.context.createAnalyser();
      analyser.fftSize = 2048;
      connect.call(this, analyser);
      window.__destinationTaps.push(analyser);
    }
    return connect.call(this, destination, ...rest);
  };
}

/** Opens the app, failing the test on any uncaught page error; resolves once it reports ready. */
/**
 * Opens the app once for a test file, before its tests, hands the ready page to `ready` (which may
 * prepare it further), and closes everything after the tests. Returns the list that collects what
 * reached the page (errors, failed requests).
 */
export function appForTests(ready) {
  const errors = [];
  let server, browser;
  before(async () => {
    server = await serveApp();
    browser = await launchBrowser();
    await ready(await openApp(browser, server.url, errors));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  return errors;
}

export async function openApp(browser, url, errors, viewport = { width: 1366, height: 768 }) {
  return openPage(await browser.newContext({ acceptDownloads: true, viewport }), url, errors);
}

/**
 * Headless Chromium with its storage on disk, in a profile in `dir`, as a user's browser keeps it:
 * a browser context of its own (`openApp`) is off the record, and keeps IndexedDB in memory, where
 * it refuses writes past about 1.3 GB as if the disk were full. Returns the browser's context.
 */
export async function launchPersistent(dir, viewport = { width: 1366, height: 768 }) {
  return chromium.launchPersistentContext(dir, {
    executablePath: chromiumPath(),
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
    ],
    acceptDownloads: true,
    viewport,
  });
}

/** Opens the app in a new page of `context` (see `openApp`). */
export async function openPage(context, url, errors) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.addInitScript(installDestinationTap);
  await page.goto(url);
  await waitReady(page);
  return page;
}

/** Waits until the app can play (after opening or reloading); fails on an alert meanwhile. */
export async function waitReady(page) {
  // Synthesizing the demo stems and starting the engine: generous for a loaded 2-core machine.
  await page.getByRole('button', { name: 'Play', exact: true }).waitFor({ state: 'visible', timeout: 60_000 });
  await page.waitForFunction(() => {
    const play = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Play');
    return (play && !play.disabled) || document.querySelector('[role=alert]');
  }, null, { timeout: 180_000 });
  const alert = await page.locator('[role=alert]').count();
  if (alert) throw new Error(`the app reported: ${await page.locator('[role=alert]').textContent()}`);
}

/** A WAV file: `bits` 16 or 24 (integer) or 32 (float), a sine of `freq` Hz (× the channel number) at −6 dBFS. */
export function sineWav({ rate, channels, bits, seconds, freq }) {
  const frames = Math.round(rate * seconds);
  const bytesPer = bits / 8;
  const data = Buffer.alloc(frames * channels * bytesPer);
  let o = 0;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const x = 0.5 * Math.sin(2 * Math.PI * freq * (c + 1) * i / rate);
      if (bits === 32) data.writeFloatLE(x, o);
      else if (bits === 24) data.writeIntLE(Math.round(x * 8388607), o, 3);
      else data.writeInt16LE(Math.round(x * 32767), o);
      o += bytesPer;
    }
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(bits === 32 ? 3 : 1, 20);
  header.writeUInt16LE(channels, 22); header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * channels * bytesPer, 28);
  header.writeUInt16LE(channels * bytesPer, 32); header.writeUInt16LE(bits, 34);
  header.write('data', 36); header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/**
 * Measures what reaches the destination for `ms` milliseconds: the largest absolute sample and the
 * RMS over every analyser snapshot taken (one every ~10 ms; each covers 2048 frames, so nothing is missed).
 */
export async function measureOutput(page, ms) {
  return page.evaluate(async (ms) => {
    const taps = window.__destinationTaps;
    if (!taps.length) throw new Error('nothing is connected to the audio output');
    const buf = new Float32Array(2048);
    let peak = 0, sum = 0, count = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (const tap of taps) {
        tap.getFloatTimeDomainData(buf);
        for (const x of buf) { peak = Math.max(peak, Math.abs(x)); sum += x * x; count++; }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return { peak, rms: Math.sqrt(sum / Math.max(count, 1)) };
  }, ms);
}

/**
 * Records, sample for sample, the next `frames` frames the app sends to the audio output (left and
 * right), through an AudioWorklet beside the destination; `during` runs once recording has begun.
 */
export async function recordOutput(page, frames, during) {
  const recording = page.evaluate(async (frames) => {
    const source = window.__destinationSources.at(-1);
    const context = source.context;
    const code = `registerProcessor('mixroom-test-recorder', class extends AudioWorkletProcessor {
      constructor(o) { super(); this.left = new Float32Array(o.processorOptions.frames); this.right = new Float32Array(o.processorOptions.frames); this.at = 0; this.port.postMessage('started'); }
      process(inputs) {
        const input = inputs[0];
        if (this.at >= this.left.length) return false;
        const n = Math.min(input[0] ? input[0].length : 128, this.left.length - this.at);
        if (input[0]) { this.left.set(input[0].subarray(0, n), this.at); this.right.set((input[1] || input[0]).subarray(0, n), this.at); }
        this.at += n;
        if (this.at >= this.left.length) this.port.postMessage({ left: this.left, right: this.right });
        return true;
      }
    });`;
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    await context.audioWorklet.addModule(url);
    const recorder = new AudioWorkletNode(context, 'mixroom-test-recorder', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [2], processorOptions: { frames } });
    recorder.__recorder = true;
    const done = new Promise((ok) => { recorder.port.onmessage = (e) => { if (e.data !== 'started') ok(e.data); }; });
    source.connect(recorder);
    recorder.connect(context.destination);
    window.__recording = done;
    const { left, right } = await done;
    source.disconnect(recorder);
    recorder.disconnect();
    return { left: Array.from(left), right: Array.from(right) };
  }, frames);
  await page.waitForFunction(() => window.__recording !== undefined);
  await during();
  const { left, right } = await recording;
  await page.evaluate(() => { delete window.__recording; });
  return [Float32Array.from(left), Float32Array.from(right)];
}

/** Reads a 32-bit float WAV: { sampleRate, channels: [Float32Array, ...] }. */
export function readWavF32(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o) => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a WAV file');
  let fmt = null, data = null;
  for (let o = 12; o + 8 <= bytes.length;) {
    const id = tag(o), size = view.getUint32(o + 4, true);
    if (id === 'fmt ') {
      fmt = { format: view.getUint16(o + 8, true), channels: view.getUint16(o + 10, true), sampleRate: view.getUint32(o + 12, true), bits: view.getUint16(o + 22, true) };
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (fmt.format === 0xfffe && size >= 40) fmt.format = view.getUint16(o + 8 + 24, true);
    }
    if (id === 'data') data = { offset: o + 8, size };
    o += 8 + size + (size & 1);
  }
  if (!fmt || !data) throw new Error('WAV without fmt or data chunk');
  if (fmt.format !== 3 || fmt.bits !== 32) throw new Error(`expected 32-bit float WAV, got format ${fmt.format}/${fmt.bits} bits`);
  const frames = data.size / 4 / fmt.channels;
  const channels = Array.from({ length: fmt.channels }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < fmt.channels; c++) channels[c][i] = view.getFloat32(data.offset + (i * fmt.channels + c) * 4, true);
  return { sampleRate: fmt.sampleRate, channels };
}

export async function artifactsDir() {
  await mkdir(ARTIFACTS, { recursive: true });
  return ARTIFACTS;
}

/** Mean power (dB) of what reaches the destination between `lowHz` and `highHz`, over `ms`. */
export async function measureBand(page, ms, lowHz, highHz) {
  return page.evaluate(async ([ms, lowHz, highHz]) => {
    const tap = window.__destinationTaps[0];
    const bins = new Float32Array(tap.frequencyBinCount);
    const hz = tap.context.sampleRate / tap.fftSize;
    let sum = 0, count = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      tap.getFloatFrequencyData(bins);
      for (let k = Math.ceil(lowHz / hz); k <= Math.floor(highHz / hz); k++) { sum += 10 ** (bins[k] / 10); count++; }
      await new Promise((r) => setTimeout(r, 30));
    }
    return 10 * Math.log10(sum / count);
  }, [ms, lowHz, highHz]);
}

/**
 * Writes `dir/name` (ending .flac, .mp3 or .ogg) with its reference encoder — Debian's flac, lame
 * (192 kb/s) or oggenc (-q 5) — from a sine WAV made with `sineWav(options)`; returns its path.
 */
export async function encodedFile(dir, name, options) {
  const source = join(dir, `${name}.src.wav`);
  await writeFile(source, sineWav(options));
  const path = join(dir, name);
  const ext = extname(name);
  if (ext === '.flac') execFileSync('flac', ['--silent', '--force', '-o', path, source]);
  else if (ext === '.mp3') execFileSync('lame', ['--silent', '-b', '192', source, path]);
  else if (ext === '.ogg') execFileSync('oggenc', ['--quiet', '-q', '5', '-o', path, source]);
  else throw new Error(`no reference encoder for ${name}`);
  return path;
}

/** Clicks "Save session" and returns the saved session file, parsed, and where it was kept. */
export async function savedSession(page, name) {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.getByRole('button', { name: 'Save session', exact: true }).click(),
  ]);
  const path = join(await artifactsDir(), name);
  await dl.saveAs(path);
  return { session: JSON.parse(await readFile(path, 'utf8')), path };
}

/** Noise from a seeded LCG (the same numbers in every test): white, ±gain, or pink through Paul Kellet's filter. */
export function noise(seed, frames, gain, pink) {
  let x = seed >>> 0;
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0];
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const w = x / 4294967296 * 2 - 1;
    if (!pink) { out[i] = gain * w; continue; }
    b0 = 0.99886 * b0 + w * 0.0555179; b1 = 0.99332 * b1 + w * 0.0750759; b2 = 0.96900 * b2 + w * 0.1538520;
    b3 = 0.86650 * b3 + w * 0.3104856; b4 = 0.55000 * b4 + w * 0.5329522; b5 = -0.7616 * b5 - w * 0.0168980;
    out[i] = gain * (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362);
    b6 = w * 0.115926;
  }
  return out;
}

/** A 32-bit float WAV of the given channels at `rate`. */
export function floatWav(channels, rate = 48000) {
  const frames = channels[0].length;
  const data = Buffer.alloc(frames * channels.length * 4);
  let o = 0;
  for (let i = 0; i < frames; i++) for (const c of channels) { data.writeFloatLE(c[i], o); o += 4; }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(3, 20);
  header.writeUInt16LE(channels.length, 22); header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * channels.length * 4, 28);
  header.writeUInt16LE(channels.length * 4, 32); header.writeUInt16LE(32, 34);
  header.write('data', 36); header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Resident memory of Chromium's renderer processes (the page, its workers and its audio
 * worklet), bytes: VmRSS from /proc. Only this node process's own browsers' (its descendants):
 * another Chromium on the machine (a test run beside) is not counted. */
export async function rendererRss() {
  const parents = new Map();
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    // "pid (name) state ppid …": the name may hold spaces and parentheses, so read after the last ')'.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    if (stat) parents.set(Number(pid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const ours = (pid) => { for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p), hops++) if (p === process.pid) return true; return false; };
  let total = 0;
  for (const [pid] of parents) {
    if (!ours(pid)) continue;
    try {
      // Chromium rewrites its processes' titles: the arguments are one space-separated string.
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chrom') || !/--type=renderer(\s|\0|$)/.test(cmd)) continue;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
    } catch { /* the process ended meanwhile */ }
  }
  return total;
}
