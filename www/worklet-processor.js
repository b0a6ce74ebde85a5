// The AudioWorkletProcessor that runs Mixroom's Rust engine (crate `mixroom-worklet`).
//
// Protocol with the main thread (crate `mixroom-app`, module `audio`):
//   main → processor  {type: 'load', tracks: [[Float32Array per channel], ...], length, changes, play}
//                      {type: 'track', index, param, value}   {type: 'master', param, value}
//                      {type: 'play'}  {type: 'stop'}  {type: 'seek', frame}
//   processor → main  {type: 'ready'}  {type: 'loaded'}  {type: 'error', message}
//                      {type: 'meters', position, playing, levels: Float32Array}   (~30 per second)
// `changes` is the session's mix as [kind, index, param, value] rows (kind 0 = track, 1 = master).
//
// `process` only calls numeric wasm functions and copies between typed-array views: it allocates
// nothing, except the small meter message posted about 30 times a second.
import './textcodec-polyfill.js';
import { initSync, WorkletEngine } from './mixroom-worklet.js';

const QUANTUM = 128;
const METER_RATE_HZ = 30;

class MixroomProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.engine = null;
    this.memory = null;
    this.viewsOf = null;
    this.quantaPerMeter = Math.max(1, Math.round(sampleRate / QUANTUM / METER_RATE_HZ));
    this.quanta = 0;
    this.port.onmessage = (event) => {
      try {
        this.onMessage(event.data);
      } catch (err) {
        this.port.postMessage({ type: 'error', message: `Audio engine: ${err && err.message || err}` });
      }
    };
    try {
      const exports = initSync({ module: options.processorOptions.module });
      this.memory = exports.memory;
      this.port.postMessage({ type: 'ready' });
    } catch (err) {
      this.port.postMessage({ type: 'error', message: `The audio engine could not start: ${err && err.message || err}` });
    }
  }

  onMessage(msg) {
    const e = this.engine;
    switch (msg.type) {
      case 'load': this.load(msg); break;
      case 'track': if (e) e.set_track_param(msg.index, msg.param, msg.value); break;
      case 'master': if (e) e.set_master_param(msg.param, msg.value); break;
      case 'play': if (e) e.play(); break;
      case 'stop': if (e) e.stop(); break;
      case 'seek': if (e) e.seek(msg.frame); break;
    }
  }

  // Builds a new engine for a session. The old one is freed here, outside `process`.
  load(msg) {
    const engine = new WorkletEngine(sampleRate);
    for (const channels of msg.tracks) {
      const frames = channels[0].length;
      const track = engine.add_track(channels.length, frames);
      channels.forEach((samples, c) => {
        const ptr = engine.track_audio_ptr(track, c);
        new Float32Array(this.memory.buffer, ptr, frames).set(samples);
      });
    }
    engine.set_length(msg.length);
    for (const [kind, index, param, value] of msg.changes) {
      if (kind === 0) engine.set_track_param(index, param, value);
      else engine.set_master_param(param, value);
    }
    engine.settle();
    if (msg.play) engine.play();
    const old = this.engine;
    this.engine = engine;
    this.viewsOf = null;
    if (old) old.free();
    this.port.postMessage({ type: 'loaded' });
  }

  // Views over the engine's output and meter buffers; rebuilt only when wasm memory has grown
  // (growing detaches the old ArrayBuffer) or the engine changed.
  views() {
    const buffer = this.memory.buffer;
    if (this.viewsOf !== buffer) {
      const e = this.engine;
      this.outL = new Float32Array(buffer, e.output_ptr(0), QUANTUM);
      this.outR = new Float32Array(buffer, e.output_ptr(1), QUANTUM);
      this.viewsOf = buffer;
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0];
    const e = this.engine;
    if (!e || out.length === 0) return true;
    const frames = out[0].length;
    e.process(frames);
    this.views();
    if (frames === QUANTUM) {
      out[0].set(this.outL);
      if (out.length > 1) out[1].set(this.outR);
    } else {
      out[0].set(this.outL.subarray(0, frames));
      if (out.length > 1) out[1].set(this.outR.subarray(0, frames));
    }
    if (++this.quanta >= this.quantaPerMeter) {
      this.quanta = 0;
      const count = e.collect_meters();
      const levels = new Float32Array(this.memory.buffer, e.meters_ptr(), count).slice();
      this.port.postMessage({ type: 'meters', position: e.position(), playing: e.is_playing(), levels }, [levels.buffer]);
    }
    return true;
  }
}

registerProcessor('mixroom', MixroomProcessor);
