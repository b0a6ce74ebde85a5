// The S16 benchmark in the browser (see docs/BENCHMARKS.md): Mixroom's engine in an AudioWorklet
// against Chromium's own Web Audio nodes wired as the same session, both rendered offline in this
// page, alternately; and the engine's cost per 128-frame quantum, timed one quantum at a time in a
// Worker running the same WebAssembly.
//
// The session file comes from `mixroom s16-session` (Mixroom's definition of S16); the peer graph
// (`s16-graph.mjs`) is built to match it.

import { RATE, s16Sources, buildNative, peakOf, quantumCosts } from './s16-graph.mjs';

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

/** The peer: S16 as Chromium's native nodes (see `buildNative`); returns the rendering time in ms. */
async function renderNative(tracks, frames, automated) {
  const ctx = new OfflineAudioContext(2, frames, RATE);
  buildNative(ctx, tracks, frames, { automated });
  const t0 = performance.now();
  const out = await ctx.startRendering();
  return { ms: performance.now() - t0, peak: peakOf(out) };
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
