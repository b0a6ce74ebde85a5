// S16 on both sides, for the browser benchmarks (`s16.mjs`: the offline render race; `capacity.mjs`:
// live capacity): its sources, its automation recipe, Chromium's native node graph of it, and the
// session file widened to more tracks of the same kind. Mixroom's definition of S16 is in
// `crates/session/src/bench.rs` (`mixroom s16-session`); everything here is built to match it.

export const RATE = 48000;
/** S16's tracks; wider sessions repeat them (track t is S16's track t mod 16). */
export const S16_TRACKS = 16;

/** Shaped noise: a 32-bit LCG seeded with the track number, times a slow sine (S16's recipe); the
 *  first four of every sixteen tracks stereo. `count` tracks of `seconds`. */
export function s16Sources(seconds, count = S16_TRACKS) {
  const frames = Math.round(seconds * RATE);
  const tracks = [];
  for (let t = 0; t < count; t++) {
    const seed = t + 1;
    let x = seed >>> 0;
    const channels = [];
    for (let c = 0; c < (t % S16_TRACKS < 4 ? 2 : 1); c++) {
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

/** S16's pan spread: track t of every sixteen from −0.8 to +0.8. */
const spread = (t) => ((t % S16_TRACKS) / (S16_TRACKS - 1)) * 1.6 - 0.8;

/** S16's automation recipe (Mixroom's `s16_ride`): fader dB, pan, low-mid EQ gain dB at `seconds`
 *  on track `t`. */
function ride(t, seconds) {
  const fader = -6 + 3 * Math.sin(2 * Math.PI * seconds * (0.25 + 0.05 * t));
  const pan = Math.min(1, Math.max(-1, spread(t) + 0.15 * Math.sin(2 * Math.PI * seconds * (0.1 + 0.02 * t))));
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

/**
 * The peer: S16 as Chromium's native nodes in `ctx` (biquads, dynamics compressors, panners, a
 * convolver with a 2 s decaying-noise response for the reverb, a delay line with a filtered feedback
 * loop), one strip per track of `tracks`, the first eight of every sixteen into the two group buses.
 * `automated`: fader, pan and low-mid gain ride S16's curves over `frames`. `loop`: each source
 * loops (a short buffer stands for a long song). Sources start at once.
 */
export function buildNative(ctx, tracks, frames, { automated = false, loop = false } = {}) {
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
    const buffer = ctx.createBuffer(channels.length, channels[0].length, RATE);
    channels.forEach((data, c) => buffer.copyToChannel(data, c));
    const source = ctx.createBufferSource();
    source.buffer = buffer;
    source.loop = loop;
    const pan = ctx.createStereoPanner();
    pan.pan.value = spread(t);
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
    fader.connect(t % S16_TRACKS < 8 ? groups[t % 2] : master);
    const toReverb = ctx.createGain(); toReverb.gain.value = 0.2; chain(fader, toReverb, reverb);
    const toDelay = ctx.createGain(); toDelay.gain.value = 0.1; chain(fader, toDelay, delay);
    source.start();
  });
}

/**
 * Mixroom's S16 session file (`sessionJson`) widened to `count` tracks: track t a copy of S16's track
 * t mod 16 (its strip, sends and output), of its own source of `frames` frames; with `loop`, the
 * session loops over `[0, loop)` frames.
 */
export function widenSession(sessionJson, count, frames, loop) {
  const s = JSON.parse(sessionJson);
  const base = s.tracks;
  s.tracks = Array.from({ length: count }, (_, t) => {
    const track = structuredClone(base[t % base.length]);
    track.id = `t${t + 1}`;
    track.name = `Track ${t + 1}`;
    track.source = { ...track.source, id: `s16-${t + 1}`, frames };
    return track;
  });
  if (loop) s.loop_region = { start: 0, end: loop, enabled: true };
  return JSON.stringify(s);
}

export function peakOf(buffer) {
  let peak = 0;
  for (let c = 0; c < buffer.numberOfChannels; c++) for (const v of buffer.getChannelData(c)) peak = Math.max(peak, Math.abs(v));
  return peak;
}

/** The engine's cost per quantum, each of `quanta` quanta timed alone, in a Worker running the
 *  worklet's WebAssembly; with `checks`, with the final check on (see quantum-worker.mjs). */
export function quantumCosts(module, sessionJson, tracks, quanta, checks) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('./quantum-worker.mjs', { type: 'module' });
    const done = (f) => (x) => { worker.terminate(); f(x); };
    worker.onmessage = (e) => (e.data.error ? done(reject)(new Error(e.data.error)) : done(resolve)(e.data));
    worker.onerror = (e) => done(reject)(new Error(e.message));
    worker.postMessage({ module, session: sessionJson, tracks, quanta, checks });
  });
}
