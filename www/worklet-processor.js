// The AudioWorkletProcessor that runs Mixroom's Rust engine (crate `mixroom-worklet`).
//
// Protocol with the main thread (crate `mixroom-app`, module `audio`):
//   processorOptions  {module: WebAssembly.Module, meters: false to post none (offline renders)}
//   main → processor  {type: 'load', session: <session JSON>, tracks: [[Float32Array per channel], …], play,
//                      render_length}   (an offline render's frames: the song and its tails)
//                      (a track given as {keep: i} takes the running engine's track i's audio as it is;
//                      a track given as {stream: frames, id, channels} streams from storage: the
//                      reader below reads the pages of stored source `id` the engine asks for)
//                      {type: 'reader', port: MessagePort}
//                      the streaming reader (www/stream-worker.js): processor → reader {type: 'read',
//                      epoch, reads: [{track, page, id, channels, frames}…]}; its pages come through
//                      the shared mailboxes where the page is cross-origin isolated (reader →
//                      processor {type: 'shared', buffer} first, see www/mailboxes.js; copied in by
//                      `process`, a few a quantum), else as messages, reader → processor {type:
//                      'page', epoch, track, page, channels}; a page of an older epoch (before a seek,
//                      a load or a reorder) is dropped
//                      {type: 'update', session: <session JSON>}          a structural edit: new plan
//                      {type: 'reorder', session, order: Uint32Array}     tracks moved: track i was order[i]
//                      {type: 'strip', strip, param, value}               strip settings (StripParam ids)
//                      {type: 'insert', strip, slot, param, value}        insert parameters
//                      {type: 'bypass', strip, slot, value}
//                      {type: 'send', strip, index, param, value}         (SendParam ids)
//                      {type: 'clips', track, values: Float64Array}       8 numbers a clip (see set_track_clips)
//                      {type: 'automation', values: Float64Array}         a strip's curves (see set_automation)
//                      {type: 'loop', enabled, start, end}
//                      {type: 'tap', strip}                               spectrum tap on a strip (−1: none)
//                      {type: 'play'}  {type: 'stop'}  {type: 'seek', frame}
//                      {type: 'reset-analysis'}                            the loudness meter's Reset
//                      {type: 'monitor', listen, gain_db, mute}   the monitor path (live output only):
//                      listen 0 stereo, 1 mono, 2 side, 3 left, 4 right; gain in dB (dim, normalization)
//                      {type: 'device', design: Float64Array}   a playback-system simulation on the
//                      monitor, as its design's numbers (made on the main thread); empty: none
//                      {type: 'scope', on}       the goniometer shown or not
//                      {type: 'reference', channels: [Float32Array…] or none, cue_mode, cue, loop_start,
//                      loop_end}   a reference track on the monitor path: with channels, its audio
//                      (new); without, the playing one's new cue and loop (loop_end ≤ loop_start: none)
//                      {type: 'no-reference'}   {type: 'reference-gain', gain_db}  (loudness matching)
//                      {type: 'listen-reference', on}  A/B: the monitor hears the reference or the mix
//                      {type: 'reset-matching'}   loudness matching measures afresh
//                      {type: 'reference-tap', on}   the reference's latest samples wanted (overlay)
//                      {type: 'meter-strip', strip}   loudness of a strip (engine id; −1: none), from now
//   processor → main  {type: 'ready'}  {type: 'loaded', latency}  {type: 'updated', latency}
//                      {type: 'error', message}
//                      {type: 'meters', position, playing, underruns, levels: Float32Array}  (~30 per
//                      second; underruns: quanta in which a streamed track's page was late;
//                      per strip: peak left, peak right, RMS left, RMS right, gain reduction in dB;
//                      analysis: Float32Array, the master's momentary, short-term and integrated
//                      loudness (LUFS), loudness range (LU), max true peak (dBTP), correlation;
//                      NaN where there is no figure yet; scope: Float32Array, while a goniometer is
//                      shown the master's latest 1024 frames, interleaved left/right, else empty)
//                      {type: 'tap', samples: Float32Array}   the tapped strip's latest samples, oldest
//                      first, with the meters whenever the tap has moved
//                      {type: 'reference-tap', samples: Float32Array}   the same of the reference as
//                      heard (matched), while wanted; analysis then also holds the mix's and the
//                      reference's loudness over what both played since matching began (LUFS), and
//                      the metered strip's momentary, short-term, integrated loudness, range, true peak
//
// `process` only calls numeric wasm functions and copies between typed-array views: it allocates
// nothing, except the meter message (and the tap's, while a strip is tapped) posted about 30 times a
// second, and a streaming reader's list of pages to read when the play position reaches new ones.
import './textcodec-polyfill.js';
import { initSync, WorkletEngine } from './mixroom-worklet.js';
import { MAILBOXES, FREE, FULL, mailboxViews } from './mailboxes.js';

const QUANTUM = 128;

// A ring's samples in order, oldest first, as a new array: `written` samples have gone into it.
function unrolled(ring, written) {
  const split = written % ring.length;
  const samples = new Float32Array(ring.length);
  samples.set(ring.subarray(split), 0);
  samples.set(ring.subarray(0, split), ring.length - split);
  return samples;
}
const METER_RATE_HZ = 30;
// Streamed reads are planned every few quanta (about 21 ms at 48 kHz), and at once after a seek.
const QUANTA_PER_PLAN = 8;
// The reader's shared mailboxes a quantum copies in at most (a page is 32 KB a channel: thirty-two
// are about a tenth of a millisecond).
const PAGES_PER_QUANTUM = 32;

class MixroomProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.engine = null;
    this.memory = null;
    this.viewsOf = null;
    this.quantaPerMeter = Math.max(1, Math.round(sampleRate / QUANTUM / METER_RATE_HZ));
    // Offline renders (exports) show no meters: `meters: false` spares their messages.
    this.meters = options.processorOptions.meters !== false;
    this.quanta = 0;
    this.tapSeen = 0;
    this.referenceTap = false;
    this.referenceRing = null;
    this.referenceSeen = 0;
    // Streaming: the reader's port, each track's stored source ({id, channels, frames} or null),
    // and the epoch (a load or reorder renumbers tracks: pages asked for before are dropped).
    this.reader = null;
    this.mailboxes = null;
    this.posted = 0;
    this.heap = null;
    this.streams = [];
    this.epoch = 0;
    this.planIn = 0;
    // After a seek or Play, the first plan asks for the next block alone (see `planReads`).
    this.urgent = true;
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
      this.engine = new WorkletEngine(sampleRate);
      if (this.meters) this.engine.enable_analysis();
      this.port.postMessage({ type: 'ready' });
    } catch (err) {
      this.port.postMessage({ type: 'error', message: `The audio engine could not start: ${err && err.message || err}` });
    }
  }

  onMessage(msg) {
    const e = this.engine;
    if (!e) return;
    switch (msg.type) {
      case 'load': this.load(msg); break;
      case 'reader':
        this.reader = msg.port;
        this.reader.onmessage = (event) => this.onPage(event.data);
        this.newEpoch();
        break;
      case 'update':
        e.update(msg.session);
        this.viewsOf = null;
        this.port.postMessage({ type: 'updated', latency: e.latency() });
        break;
      case 'reorder':
        e.reorder(msg.session, msg.order);
        this.streams = Array.from(msg.order, (i) => this.streams[i] || null);
        this.newEpoch();
        this.viewsOf = null;
        this.port.postMessage({ type: 'updated', latency: e.latency() });
        break;
      case 'strip': e.set_strip_param(msg.strip, msg.param, msg.value); break;
      case 'insert': e.set_insert_param(msg.strip, msg.slot, msg.param, msg.value); break;
      case 'bypass': e.set_insert_bypass(msg.strip, msg.slot, msg.value); break;
      case 'send': e.set_send_param(msg.strip, msg.index, msg.param, msg.value); break;
      case 'clips': e.set_track_clips(msg.track, msg.values); break;
      case 'automation': e.set_automation(msg.values); break;
      case 'loop': e.set_loop(msg.enabled, msg.start, msg.end); this.planIn = 0; break;
      case 'play': e.play(); this.planSoon(); break;
      case 'stop': e.stop(); break;
      // A seek: reads under way for the old position are dropped (the reader turns to the new one).
      case 'seek': e.seek(msg.frame); this.newEpoch(); break;
      case 'tap': e.set_tap(msg.strip); break;
      case 'reset-analysis': e.reset_analysis(); break;
      case 'monitor': e.set_monitor(msg.listen, msg.gain_db, msg.mute); break;
      case 'device': e.set_device(msg.design); break;
      case 'scope': e.set_scope(!!msg.on); break;
      case 'reference': this.setReference(msg); break;
      case 'no-reference': e.clear_reference(); this.referenceRing = null; break;
      case 'reference-gain': e.set_reference_gain(msg.gain_db); break;
      case 'listen-reference': e.listen_to_reference(!!msg.on); break;
      case 'reset-matching': e.reset_matching(); break;
      case 'reference-tap': this.referenceTap = !!msg.on; break;
      case 'meter-strip': e.meter_strip(msg.strip); break;
    }
  }

  // A reference track: its audio copied in (when given), then installed with its cue and loop.
  setReference(msg) {
    const e = this.engine;
    const fresh = Array.isArray(msg.channels) && msg.channels.length > 0;
    if (fresh) {
      const frames = msg.channels[0].length;
      msg.channels.forEach((samples, c) => {
        const ptr = e.reference_audio_ptr(c, msg.channels.length, frames);
        if (ptr === 0) throw new Error(`the reference has no channel ${c + 1}`);
        new Float32Array(this.memory.buffer, ptr, frames).set(samples.subarray(0, frames));
      });
    }
    e.set_reference(fresh, !!msg.cue_mode, msg.cue || 0, msg.loop_start || 0, msg.loop_end || 0);
    this.referenceRing = null;
    this.referenceSeen = 0;
  }

  // Pages asked for before are dropped when they come: the tracks are renumbered, or the reader new.
  newEpoch() {
    this.epoch++;
    if (this.engine) this.engine.forget_awaited_reads();
    this.planSoon();
  }

  // Plans at the next quantum: first the block to sound next, alone, then the read-ahead.
  planSoon() {
    this.planIn = 0;
    this.urgent = true;
  }

  // From the reader: its shared mailboxes, or a page read, copied into the slot the engine keeps for
  // it unless no longer awaited.
  onPage(msg) {
    if (msg.type === 'shared') {
      this.mailboxes = mailboxViews(msg.buffer);
      return;
    }
    const e = this.engine;
    if (!e || msg.type !== 'page' || msg.epoch !== this.epoch) return;
    for (let c = 0; c < msg.channels.length; c++) {
      const samples = msg.channels[c];
      const ptr = e.page_ptr(msg.track, msg.page, c);
      if (ptr === 0) return;
      new Float32Array(this.memory.buffer, ptr, samples.length).set(samples);
    }
    e.page_arrived(msg.track, msg.page);
  }

  // Copies pages the reader has put in the shared mailboxes into the engine (a few a quantum), and
  // frees their mailboxes. No allocation: views over the mailboxes and over wasm memory are kept.
  takePages() {
    const { header, channels } = this.mailboxes;
    const posted = Atomics.load(header, 0);
    if (posted === this.posted) return;
    const e = this.engine;
    let taken = 0;
    for (let i = 0; i < MAILBOXES && taken < PAGES_PER_QUANTUM; i++) {
      const at = 1 + 5 * i;
      if (Atomics.load(header, at) !== FULL) continue;
      taken++;
      const track = header[at + 2], page = header[at + 3], count = header[at + 4];
      let awaited = header[at + 1] === this.epoch;
      for (let c = 0; awaited && c < count; c++) {
        const ptr = e.page_ptr(track, page, c);
        if (ptr === 0) awaited = false;
        else this.heap.set(channels[i][c], ptr >>> 2);
      }
      if (awaited) e.page_arrived(track, page);
      Atomics.store(header, at, FREE);
    }
    // All taken: nothing new until the counter moves again (else the rest next quantum).
    if (taken < PAGES_PER_QUANTUM) this.posted = posted;
  }

  // Asks the reader for the pages the engine plans to play next (see `Engine::plan_reads`).
  planReads() {
    const e = this.engine;
    const count = e.plan_reads(this.urgent);
    if (this.urgent) {
      // The rest of the read-ahead two quanta later: the first block's reads go ahead of it.
      this.urgent = false;
      this.planIn = 2;
    }
    if (count === 0) return;
    const pairs = new Uint32Array(this.memory.buffer, e.reads_ptr(), 2 * count);
    const reads = [];
    for (let i = 0; i < count; i++) {
      const track = pairs[2 * i];
      const s = this.streams[track];
      if (s) reads.push({ track, page: pairs[2 * i + 1], id: s.id, channels: s.channels, frames: s.frames });
    }
    this.reader.postMessage({ type: 'read', epoch: this.epoch, reads });
  }

  // Prepares an engine for the session, copies each track's audio into it, then installs it. Any
  // failure (a session the engine refuses) is thrown to the message handler and reported.
  load(msg) {
    const e = this.engine;
    e.load(msg.session);
    if (msg.render_length !== undefined) e.set_render_length(msg.render_length);
    const streams = [];
    msg.tracks.forEach((channels, track) => {
      streams[track] = null;
      if (!Array.isArray(channels) && channels.stream !== undefined) {
        if (!e.stream_track(track, channels.stream)) throw new Error(`track ${track + 1} cannot stream`);
        streams[track] = { id: channels.id, channels: channels.channels, frames: channels.stream };
        return;
      }
      if (!Array.isArray(channels)) {
        if (!e.keep_track_audio(track, channels.keep)) throw new Error(`track ${track + 1} could not keep its audio`);
        streams[track] = this.streams[channels.keep] || null;
        return;
      }
      channels.forEach((samples, c) => {
        const ptr = e.track_audio_ptr(track, c, samples.length);
        if (ptr === 0) throw new Error(`track ${track + 1} has no channel ${c + 1}`);
        // Views are made after the allocation: allocating may have grown (and detached) memory.
        new Float32Array(this.memory.buffer, ptr, samples.length).set(samples);
      });
    });
    e.start(!!msg.play);
    this.streams = streams;
    this.newEpoch();
    this.viewsOf = null;
    this.port.postMessage({ type: 'loaded', latency: e.latency() });
  }

  // Views over the engine's output buffers; rebuilt only when wasm memory has grown (growing
  // detaches the old ArrayBuffer) or the engine changed.
  views() {
    const buffer = this.memory.buffer;
    if (this.viewsOf !== buffer) {
      const e = this.engine;
      this.outL = new Float32Array(buffer, e.output_ptr(0), QUANTUM);
      this.outR = new Float32Array(buffer, e.output_ptr(1), QUANTUM);
      this.tapRing = new Float32Array(buffer, e.tap_ptr(), e.tap_frames());
      this.heap = new Float32Array(buffer);
      this.viewsOf = buffer;
    }
  }

  process(_inputs, outputs) {
    const out = outputs[0];
    const e = this.engine;
    if (!e || out.length === 0) return true;
    const frames = out[0].length;
    if (this.mailboxes !== null) {
      this.views();
      this.takePages();
    }
    if (this.reader !== null && --this.planIn <= 0) {
      this.planIn = QUANTA_PER_PLAN;
      this.planReads();
    }
    if (e.process(frames) === 0) return true;
    this.views();
    if (frames === QUANTUM) {
      out[0].set(this.outL);
      if (out.length > 1) out[1].set(this.outR);
    } else {
      out[0].set(this.outL.subarray(0, frames));
      if (out.length > 1) out[1].set(this.outR.subarray(0, frames));
    }
    if (this.meters && ++this.quanta >= this.quantaPerMeter) {
      this.quanta = 0;
      const count = e.collect_meters();
      const levels = new Float32Array(this.memory.buffer, e.meters_ptr(), count).slice();
      const analysis = new Float32Array(this.memory.buffer, e.analysis_ptr(), e.collect_analysis()).slice();
      const scopeValues = e.collect_scope();
      const scope = scopeValues > 0 ? new Float32Array(this.memory.buffer, e.scope_ptr(), scopeValues).slice() : new Float32Array(0);
      this.port.postMessage({ type: 'meters', position: e.position(), playing: e.is_playing(), underruns: e.underruns(), levels, analysis, scope }, [levels.buffer, analysis.buffer, scope.buffer]);
      this.postTap();
      if (this.referenceTap) this.postReferenceTap();
    }
    return true;
  }

  // The reference's ring as heard, unrolled oldest first, when it has moved.
  postReferenceTap() {
    const e = this.engine;
    const written = e.reference_tap_written();
    if (written === this.referenceSeen || e.reference_tap_ptr() === 0) return;
    this.referenceSeen = written;
    if (this.referenceRing === null || this.referenceRing.buffer !== this.memory.buffer) {
      this.referenceRing = new Float32Array(this.memory.buffer, e.reference_tap_ptr(), e.tap_frames());
    }
    const samples = unrolled(this.referenceRing, written);
    this.port.postMessage({ type: 'reference-tap', samples }, [samples.buffer]);
  }

  // The tapped strip's ring, unrolled oldest first, when it has moved since the last post.
  postTap() {
    const written = this.engine.tap_written();
    if (written === this.tapSeen) return;
    this.tapSeen = written;
    const samples = unrolled(this.tapRing, written);
    this.port.postMessage({ type: 'tap', samples }, [samples.buffer]);
  }
}

registerProcessor('mixroom', MixroomProcessor);
