// The S16 benchmark in the browser (see docs/BENCHMARKS.md): Mixroom's engine in an AudioWorklet
// against Chromium's own Web Audio nodes wired as the same session, both rendered offline in this
// page, alternately; and the engine's cost per 128-frame quantum, timed one quantum at a time in a
// Worker running the same WebAssembly.
//
// The session file comes from `mixroom s16-session` (Mixroom's definition of S16); the peer graph
// below is built to match it.

const RATE = 48000;
const TRACKS = 16;

/** Shaped noise: a 32-bit LCG seeded with the track number, times a slow sine (S16's recipe). */
function s16Sources(seconds) {
  const frames = Math.round(seconds * RATE);
  const tracks = [];
  for (let t = 0; t < TRACKS; t++) {
    const seed = t + 1;
    let x = seed >>> 0;
    const channels = [];
    for (let c = 0; c < (t < 4 ? 2 : 1); c++) {
      const data = new Float32Array(frames);
      for (let i = 0; i < frames; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        data[i] = (x / 4294967296 - 0.5) * 0.5 * Math.sin(i * (0.0005 + 0.0001 * seed));
      }
      channels.push(data);
    }
    tracks.push(channels);
  }
  return tracks;
}

/** S16's automation recipe (Mixroom's `s16_ride`): fader dB, pan, low-mid EQ gain dB at `seconds`
 *  on track `t`. */
function ride(t, seconds) {
  const fader = -6 + 3 * Math.sin(2 * Math.PI * seconds * (0.25 + 0.05 * t));
  const pan = Math.min(1, Math.max(-1, (t / (TRACKS - 1)) * 1.6 - 0.8 + 0.15 * Math.sin(2 * Math.PI * seconds * (0.1 + 0.02 * t))));
  const eq = -3 + 3 * Math.sin(2 * Math.PI * seconds * (0.5 + 0.03 * t));
  return [fader, pan, eq];
}

/** The curves of track `t` as Web Audio plays them: a value every 10 ms over `seconds`, given to
 *  `setValueCurveAtTime` (linear between) — gain as amplitude, pan, the band's gain in dB. */
function curves(t, seconds) {
  const n = Math.floor(seconds * 100) + 1;
  const [gain, pan, eq] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let k = 0; k < n; k++) {
    const [f, p, e] = ride(t, k / 100);
    gain[k] = 10 ** (f / 20); pan[k] = p; eq[k] = e;
  }
  return { gain, pan, eq, duration: (n - 1) / 100 };
}

function waitFor(port, type) {
  return new Promise((resolve, reject) => {
    const listener = (e) => {
      if (e.data.type === type) { port.removeEventListener('message', listener); resolve(e.data); }
      else if (e.data.type === 'error') { port.removeEventListener('message', listener); reject(new Error(e.data.message)); }
    };
    port.addEventListener('message', listener);
    port.start();
  });
}

/** Mixroom: the engine's processor in an OfflineAudioContext; returns the rendering time in ms. */
async function renderOurs(module, sessionJson, tracks, frames) {
  const ctx = new OfflineAudioContext(2, frames, RATE);
  await ctx.audioWorklet.addModule('/worklet-processor.js');
  const node = new AudioWorkletNode(ctx, 'mixroom', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [2], processorOptions: { module, meters: false } });
  await waitFor(node.port, 'ready');
  const loaded = waitFor(node.port, 'loaded');
  node.port.postMessage({ type: 'load', session: sessionJson, tracks, play: true });
  await loaded;
  node.connect(ctx.destination);
  const t0 = performance.now();
  const out = await ctx.startRendering();
  return { ms: performance.now() - t0, peak: peakOf(out) };
}

function peakOf(buffer) {
  let peak = 0;
  for (let c = 0; c < buffer.numberOfChannels; c++) for (const v of buffer.getChannelData(c)) peak = Math.max(peak, Math.abs(v));
  return peak;
}

/** The peer: S16 as Chromium's native nodes (biquads, dynamics compressors, panners, a convolver
 *  with a 2 s decaying-noise response for the reverb, a delay line with a filtered feedback loop). */
async function renderNative(tracks, frames, automated) {
  const ctx = new OfflineAudioContext(2, frames, RATE);
  const biquad = (type, f, q, gain) => { const b = ctx.createBiquadFilter(); b.type = type; b.frequency.value = f; b.Q.value = q; b.gain.value = gain; return b; };
  const compressor = (threshold, ratio, attack = 0.01, release = 0.1, knee = 6) => {
    const c = ctx.createDynamicsCompressor();
    c.threshold.value = threshold; c.ratio.value = ratio; c.attack.value = attack; c.release.value = release; c.knee.value = knee;
    return c;
  };
  const chain = (...nodes) => { for (let i = 1; i < nodes.length; i++) nodes[i - 1].connect(nodes[i]); return nodes[nodes.length - 1]; };
  const master = ctx.createGain();
  chain(master, biquad('peaking', 3000, 0.7, 1), compressor(-12, 2), compressor(-1, 20, 0.001, 0.1, 0), ctx.destination);
  const groups = [0, 1].map(() => { const g = ctx.createGain(); chain(g, compressor(-10, 3), master); return g; });
  const reverb = ctx.createConvolver();
  const ir = ctx.createBuffer(2, 2 * RATE, RATE);
  let x = 4242;
  for (let c = 0; c < 2; c++) {
    const d = ir.getChannelData(c);
    for (let i = 0; i < d.length; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; d[i] = (x / 4294967296 - 0.5) * Math.exp(-6.9 * i / d.length); }
  }
  reverb.buffer = ir;
  reverb.connect(master);
  const delay = ctx.createDelay(1);
  delay.delayTime.value = 0.375;
  const feedback = ctx.createGain();
  feedback.gain.value = 0.35;
  chain(delay, biquad('highpass', 200, Math.SQRT1_2, 0), feedback, delay);
  delay.connect(master);
  tracks.forEach((channels, t) => {
    const buffer = ctx.createBuffer(channels.length, frames, RATE);
    channels.forEach((data, c) => buffer.copyToChannel(data, c));
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    const pan = ctx.createStereoPanner();
    pan.pan.value = (t / (TRACKS - 1)) * 1.6 - 0.8;
    const fader = ctx.createGain();
    fader.gain.value = 0.5;
    const lowMid = biquad('peaking', 400, 1.2, -3);
    if (automated) {
      const c = curves(t, frames / RATE);
      fader.gain.setValueCurveAtTime(c.gain, 0, c.duration);
      pan.pan.setValueCurveAtTime(c.pan, 0, c.duration);
      lowMid.gain.setValueCurveAtTime(c.eq, 0, c.duration);
    }
    chain(source, biquad('highpass', 80, Math.SQRT1_2, 0), biquad('lowshelf', 120, 0.7, 2), lowMid,
      biquad('peaking', 2500, 1.0, 2), biquad('highshelf', 8000, 0.7, 1.5), compressor(-18, 4), pan, fader);
    fader.connect(t < 8 ? groups[t % 2] : master);
    const toReverb = ctx.createGain(); toReverb.gain.value = 0.2; chain(fader, toReverb, reverb);
    const toDelay = ctx.createGain(); toDelay.gain.value = 0.1; chain(fader, toDelay, delay);
    source.start();
  });
  const t0 = performance.now();
  const out = await ctx.startRendering();
  return { ms: performance.now() - t0, peak: peakOf(out) };
}

/** The engine's cost per quantum, each of `quanta` quanta timed alone, in a Worker; with `checks`,
 *  with the final check on (see quantum-worker.mjs). */
function quantumCosts(module, sessionJson, tracks, quanta, checks) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('./quantum-worker.mjs', { type: 'module' });
    worker.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage({ module, session: sessionJson, tracks, quanta, checks });
  });
}

async function run() {
  const params = new URLSearchParams(location.search);
  const seconds = Number(params.get('seconds') || 60);
  const runs = Number(params.get('runs') || 3);
  const quanta = Number(params.get('quanta') || 4000);
  const automated = params.get('automated') === '1';
  const frames = Math.round(seconds * RATE);
  const module = await WebAssembly.compileStreaming(fetch('/mixroom-worklet_bg.wasm'));
  const sessionJson = await (await fetch(`/bench/s16-${seconds}${automated ? '-automated' : ''}.json`)).text();
  const tracks = s16Sources(seconds);
  const pairs = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so that neither always runs on a warmer machine.
    const first = i % 2 === 0;
    const a = first ? await renderOurs(module, sessionJson, tracks, frames) : await renderNative(tracks, frames, automated);
    const b = first ? await renderNative(tracks, frames, automated) : await renderOurs(module, sessionJson, tracks, frames);
    const [ours, native] = first ? [a, b] : [b, a];
    pairs.push({ ours_ms: ours.ms, native_ms: native.ms, ours_peak: ours.peak, native_peak: native.peak });
  }
  const costs = await quantumCosts(module, sessionJson, tracks, quanta, false);
  const withChecks = await quantumCosts(module, sessionJson, tracks, quanta, true);
  return { seconds, automated, runs: pairs, quantum: costs, quantum_checks: withChecks, crossOriginIsolated: self.crossOriginIsolated };
}

window.benchResult = run().then(
  (r) => { document.getElementById('log').textContent = JSON.stringify(r); return r; },
  (e) => { document.getElementById('log').textContent = 'error ' + e; throw e; },
);
