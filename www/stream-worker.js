// The streaming reader: reads the pages of stored audio the engine asks for, ahead of the play
// position, and hands them to the AudioWorklet — so a session plays without its samples being held
// in memory (only each track's read-ahead is). Started by the app (crate `mixroom-app`, module
// `audio`); the engine's planner (`Engine::plan_reads`) decides what to read, in what order.
//
// Protocol:
//   main → reader     {type: 'port', port: MessagePort}   the worklet's end of a channel
//   reader → worklet  {type: 'shared', buffer}   where the page is cross-origin isolated, first: the
//                     mailboxes pages go through without a message (`mailboxes.js`)
//                     {type: 'delay', ms}                 answer every read `ms` late (tests: a slow disk)
//   worklet → reader  {type: 'read', epoch, reads: [{track, page, id, channels, frames}, …]}  in the
//                     order wanted
//   reader → worklet  {type: 'page', epoch, track, page, channels: [Float32Array(PAGE) …]}  (moved;
//                     without shared mailboxes only)
//   reader → main     {type: 'error', message}            stored audio that could not be read (its
//                                                          pages are answered as silence)
//                     {type: 'first-block', pages, ms}    after a seek, Play or a load: the first
//                                                          request's pages all handed on, `ms` after it
//                                                          came (the app ignores it; the scale
//                                                          benchmark records what of a seek is storage)
//                     {type: 'mirror', id, whole}         a source's mirror made (or found), or not
//                                                          (the app ignores it; tests and the benchmark
//                                                          wait for it)
//
// Storage: see `stored-audio.js` (shared with the delivery worker's offline renders). While it has
// nothing of its own to read, the reader copies the sources it is asked for into their mirrors
// (`page-mirror.js`), from which later reads come without IndexedDB.
import { PAGE, db, readPages } from './stored-audio.js';
import { makeMirror, mirrorOpen, mirrorReadInto, mirrorsAreFast, mirrorsDropped, sourceKey, sweep } from './page-mirror.js';
import { MAILBOXES, FREE, WRITING, FULL, createMailboxes, mailboxViews } from './mailboxes.js';

// Storage opened now, while the audio engine starts: the first pages asked for do not wait for it
// (a failure is met again, and reported, by the first read).
db().catch(() => {});

let port = null;
let shared = null; // {header: Int32Array, channels: [[Float32Array, Float32Array] per mailbox]}
const waiting = []; // pages read while every mailbox was full
let delayMs = 0;
// The newest request's epoch: pages of older ones (before a seek, a load) are no longer wanted.
let latest = 0;
let reported = false;
// The newest epoch's first request: its pages still to hand on, and when it came.
let firstBlock = null;

function report(message) {
  if (reported) return;
  reported = true;
  self.postMessage({ type: 'error', message });
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
// Resolves in a task of its own, queued after the messages already there (a message to itself: a
// timer's would be clamped to 4 ms, and `scheduler.yield()` goes ahead of them).
const ticks = [];
const tick = new MessageChannel();
tick.port1.onmessage = () => ticks.shift()();
const nextTask = () => new Promise((ok) => {
  ticks.push(ok);
  tick.port2.postMessage(null);
});

// A page of `epoch` handed on: the first request's last one says how long the request took.
function handedOn(epoch) {
  if (!firstBlock || firstBlock.epoch !== epoch || --firstBlock.left > 0) return;
  self.postMessage({ type: 'first-block', pages: firstBlock.pages, ms: performance.now() - firstBlock.came });
  firstBlock = null;
}

// Sends a page: each channel PAGE frames (the source's last page padded with silence).
async function send(epoch, { track, page, channels: count }, stored) {
  if (!stored) report('Some audio is missing from this browser\'s storage: parts of tracks play silence.');
  if (delayMs > 0) await sleep(delayMs);
  if (epoch < latest) return;
  if (shared) {
    waiting.push({ epoch, track, page, count, stored });
    deliver();
    return;
  }
  const channels = Array.from({ length: count }, (_, c) => {
    const samples = stored && stored[c];
    // A whole page read from its own record is sent as it is (moved, not copied).
    if (samples && samples.length === PAGE && samples.byteOffset === 0 && samples.buffer.byteLength === PAGE * 4) return samples;
    const out = new Float32Array(PAGE);
    if (samples) out.set(samples.subarray(0, PAGE));
    return out;
  });
  port.postMessage({ type: 'page', epoch, track, page, channels }, channels.map((c) => c.buffer));
  handedOn(epoch);
}

// Puts waiting pages into free mailboxes, in order; tries again shortly while all are full. A page
// whose source has a mirror is read now, straight into its mailbox (see `read`).
let retry = null;
function deliver() {
  const { header } = shared;
  while (waiting.length) {
    if (waiting[0].epoch < latest) {
      waiting.shift();
      continue;
    }
    let box = -1;
    for (let i = 0; i < MAILBOXES && box < 0; i++) {
      if (Atomics.compareExchange(header, 1 + 5 * i, FREE, WRITING) === FREE) box = i;
    }
    if (box < 0) {
      retry ||= setTimeout(() => { retry = null; deliver(); }, 2);
      return;
    }
    const { epoch, track, page, count, stored, mirror } = waiting.shift();
    if (mirror && !mirrorReadInto(mirror, shared.channels[box])) {
      // The mirror could not be read: this page from IndexedDB after all, at once (not behind the
      // epoch's requests still to read).
      Atomics.store(header, 1 + 5 * box, FREE);
      fromStorage(epoch, [mirror]);
      continue;
    }
    for (let c = 0; !mirror && c < count; c++) {
      const into = shared.channels[box][c];
      const samples = stored && stored[c];
      if (samples) {
        into.set(samples.subarray(0, PAGE));
        into.fill(0, Math.min(PAGE, samples.length));
      } else {
        into.fill(0);
      }
    }
    const at = 1 + 5 * box;
    header[at + 1] = epoch;
    header[at + 2] = track;
    header[at + 3] = page;
    header[at + 4] = count;
    Atomics.store(header, at, FULL);
    Atomics.add(header, 0, 1);
    handedOn(epoch);
  }
}

// The reads under way, each request's with its epoch: a newer epoch aborts the older ones.
const underway = new Set(); // {epoch, control: AbortController}
// The requests of one epoch are read one after another: read together, storage interleaves them,
// and the first (after a seek, what must be in before the new position sounds) would finish late.
let previous = Promise.resolve();
// The read-ahead (every request of an epoch but its first) is read this many pages at a time: an
// aborted transaction's reads already handed to storage are still made, and a seek's first
// pages wait behind them — behind 16 pages, not a whole request's hundred.
const READ_AHEAD_SLICE = 16;

function answer(epoch, reads) {
  let first = false;
  if (epoch > latest) {
    latest = epoch;
    first = true;
    firstBlock = reads.length > 0 ? { epoch, pages: reads.length, left: reads.length, came: performance.now() } : null;
    // After a seek, the old position's reads would be read first (in order): they are dropped.
    for (const u of underway) if (u.epoch < epoch) u.control.abort();
    previous = Promise.resolve();
  }
  if (epoch < latest) return;
  for (const r of reads) mirrorLater(r);
  // The first request (the block to sound next) at once, as a whole.
  const size = first ? reads.length : READ_AHEAD_SLICE;
  for (let i = 0; i < reads.length; i += size) read(epoch, reads.slice(i, i + size));
}

// Reads `reads` once the epoch's reads asked for before are done (queued at the call).
async function read(epoch, reads) {
  const before = previous;
  let done;
  previous = new Promise((ok) => { done = ok; });
  await before;
  // A task boundary between requests, so that a seek's request is taken in between.
  await nextTask();
  if (epoch < latest) {
    done();
    return;
  }
  // Through shared memory, the pages of sources with a mirror are read as mailboxes free up, each
  // straight into its mailbox: nothing allocated, and the read-ahead paced by the engine's intake
  // (read at once, a round's hundreds of pages would hold the reader — and the next seek's request
  // — for tens of milliseconds).
  if (shared && delayMs === 0) {
    const rest = [];
    for (const r of reads) {
      if (mirrorOpen(r)) waiting.push({ epoch, track: r.track, page: r.page, count: r.channels, mirror: r });
      else rest.push(r);
    }
    if (rest.length < reads.length) deliver();
    reads = rest;
  }
  if (reads.length === 0) done();
  else fromStorage(epoch, reads).then(done);
}

// Reads `reads` from storage (IndexedDB, or mirrors through messages), each page sent as soon as it
// is in; resolves once every read is settled.
async function fromStorage(epoch, reads) {
  const request = { epoch, control: new AbortController() };
  underway.add(request);
  // Every read of the request starts at once; each page goes as soon as it is in.
  let pages;
  try {
    pages = await readPages(reads, request.control.signal);
  } catch (err) {
    // Storage could not be opened: every page of the request plays silence.
    pages = reads.map(() => Promise.reject(err));
  }
  const settled = Promise.allSettled(pages).then(() => {
    underway.delete(request);
  });
  reads.forEach((r, i) => pages[i]
    .catch((err) => {
      if (request.control.signal.aborted) return undefined;
      report(`Some audio could not be read from this browser's storage (${err && err.message || err}): parts of tracks play silence.`);
      return null;
    })
    .then((stored) => stored !== undefined && send(epoch, r, stored)));
  return settled;
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'port') {
    port = msg.port;
    if (self.crossOriginIsolated) {
      const buffer = createMailboxes();
      shared = mailboxViews(buffer);
      port.postMessage({ type: 'shared', buffer });
    }
    port.onmessage = (e) => answer(e.data.epoch, e.data.reads);
  } else if (msg.type === 'delay') {
    delayMs = Number(msg.ms) || 0;
  }
};

// Mirrors (`page-mirror.js`), made one source at a time, in the order the sources were first asked
// for, in steps taken only while the reader has no pages of its own to read or hand on, and at most
// half of its time — the engine's reads always first.
const mirrorQueue = [];
const mirrorKnown = new Set();
let mirroring = null;
let mirrorsFast = null;
// Before the first mirror step: the session's first pages, and the page's own start, go first.
const MIRROR_AFTER_MS = 1000;
// A source whose mirror another tab (or a page before a reload) is still making: tried again later.
const MIRROR_RETRY_MS = 5000, MIRROR_TRIES = 5;

function mirrorLater({ id, channels, frames }) {
  const key = sourceKey(id, channels, frames);
  if (mirrorKnown.has(key)) return;
  mirrorKnown.add(key);
  mirrorQueue.push({ id, channels, frames, tries: 0 });
  mirroring ||= makeMirrors();
}

let stepStarted = null;
async function idle() {
  // As long again as the last step took: half the reader's time at most.
  await sleep(Math.max(2, stepStarted === null ? 0 : performance.now() - stepStarted));
  while (underway.size > 0 || waiting.length > 0) await sleep(4);
  stepStarted = performance.now();
}

async function makeMirrors() {
  await sleep(MIRROR_AFTER_MS);
  // (Storage that cannot be opened: the reads report it.)
  const database = await db().catch(() => null);
  // Once a page: strays swept, and whether mirrors are worth it (a private window's OPFS is in
  // memory, slower than IndexedDB: no mirrors there).
  if (database && mirrorsFast === null) {
    await sweep(database, idle).catch(() => {});
    mirrorsFast = await mirrorsAreFast();
  }
  if (!database || !mirrorsFast || mirrorsDropped()) {
    for (const source of mirrorQueue.splice(0)) self.postMessage({ type: 'mirror', id: source.id, whole: false });
    mirroring = null;
    return;
  }
  while (mirrorQueue.length) {
    const source = mirrorQueue.shift();
    // Within the budget, the mirrors of sources this session does not play go first.
    const made = await makeMirror(source, database, idle, (id, channels, frames) => mirrorKnown.has(sourceKey(id, channels, frames))).catch(() => false);
    if (made === 'busy' && ++source.tries < MIRROR_TRIES) {
      setTimeout(() => {
        mirrorQueue.push(source);
        mirroring ||= makeMirrors();
      }, MIRROR_RETRY_MS);
    } else {
      self.postMessage({ type: 'mirror', id: source.id, whole: made === true });
    }
  }
  mirroring = null;
}
