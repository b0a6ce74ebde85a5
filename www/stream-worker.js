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
//
// Storage: see `stored-audio.js` (shared with the delivery worker's offline renders).
import { PAGE, db, readPages } from './stored-audio.js';
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

// Puts waiting pages into free mailboxes, in order; tries again shortly while all are full.
let retry = null;
function deliver() {
  const { header } = shared;
  while (waiting.length) {
    let box = -1;
    for (let i = 0; i < MAILBOXES && box < 0; i++) {
      if (Atomics.compareExchange(header, 1 + 5 * i, FREE, WRITING) === FREE) box = i;
    }
    if (box < 0) {
      retry ||= setTimeout(() => { retry = null; deliver(); }, 2);
      return;
    }
    const { epoch, track, page, count, stored } = waiting.shift();
    if (epoch < latest) {
      Atomics.store(header, 1 + 5 * box, FREE);
      continue;
    }
    for (let c = 0; c < count; c++) {
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
  if (epoch < latest) {
    done();
    return;
  }
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
  Promise.allSettled(pages).then(() => {
    underway.delete(request);
    done();
  });
  reads.forEach((r, i) => pages[i]
    .catch((err) => {
      if (request.control.signal.aborted) return undefined;
      report(`Some audio could not be read from this browser's storage (${err && err.message || err}): parts of tracks play silence.`);
      return null;
    })
    .then((stored) => stored !== undefined && send(epoch, r, stored)));
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
