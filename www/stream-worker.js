// The streaming reader: reads the pages of stored audio the engine asks for, ahead of the play
// position, and hands them to the AudioWorklet — so a session plays without its samples being held
// in memory (only each track's read-ahead is). Started by the app (crate `mixroom-app`, module
// `audio`); the engine's planner (`Engine::plan_reads`) decides what to read, in what order.
//
// Protocol:
//   main → reader     {type: 'port', port: MessagePort, shared: SharedArrayBuffer | undefined}
//                     the worklet's end of a channel, and — where the page is cross-origin isolated —
//                     the mailboxes pages go through without a message (see MAILBOXES below)
//                     {type: 'delay', ms}                 answer every read `ms` late (tests: a slow disk)
//   worklet → reader  {type: 'read', epoch, reads: [{track, page, id, channels, frames}, …]}  in the
//                     order wanted
//   reader → worklet  {type: 'page', epoch, track, page, channels: [Float32Array(PAGE) …]}  (moved;
//                     without shared mailboxes only)
//   reader → main     {type: 'error', message}            stored audio that could not be read (its
//                                                          pages are answered as silence)
//
// Storage: IndexedDB `mixroom`, store `chunks` (see `store.rs`): in layout 2, one record a page
// ("<content id>/p<page, 7 digits>" → one Float32Array of PAGE frames per channel), read as asked,
// the pages of one request in one transaction. Audio still in layout 1 (its update to pages failed:
// a full disk) is read from its chunks ("<content id>/<chunk, 6 digits>", CHUNK frames): the last
// few of each source are kept, and the next one is read once the reads reach a chunk's second half.
const PAGE = 1 << 14;
const CHUNK = 1 << 18;
// The shared mailboxes: an Int32Array header — [0] pages posted (counter), then per mailbox
// [state, epoch, track, page, channels] — and per mailbox two channels of PAGE floats after it.
// A mailbox is FREE, taken by the reader (WRITING), or FULL until the worklet has copied it in.
// Keep in step with worklet-processor.js.
const MAILBOXES = 64, FREE = 0, WRITING = 1, FULL = 2, HEADER = 1 + 5 * MAILBOXES;
const CHUNKS_KEPT_PER_SOURCE = 3;

let port = null;
let shared = null; // {header: Int32Array, channels: [[Float32Array, Float32Array] per mailbox]}
const waiting = []; // pages read while every mailbox was full
let delayMs = 0;
let database = null;
const chunks = new Map(); // content id → [{n, read: Promise<Float32Array[] | null>}], newest last
let reported = false;

function db() {
  if (!database) {
    database = new Promise((ok, fail) => {
      const open = indexedDB.open('mixroom');
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
  }
  return database;
}

function get(store, key) {
  return new Promise((ok, fail) => {
    const request = store.get(key);
    request.onsuccess = () => ok(Array.isArray(request.result) ? request.result : null);
    request.onerror = () => fail(request.error);
  });
}

async function readChunk(id, n) {
  const d = await db();
  return get(d.transaction('chunks', 'readonly').objectStore('chunks'), `${id}/${String(n).padStart(6, '0')}`);
}

function chunk(id, n) {
  let kept = chunks.get(id);
  if (!kept) chunks.set(id, (kept = []));
  const at = kept.findIndex((c) => c.n === n);
  if (at >= 0) {
    const [c] = kept.splice(at, 1);
    kept.push(c);
    return c.read;
  }
  const read = readChunk(id, n).catch((err) => {
    report(`Some audio could not be read from this browser's storage (${err && err.message || err}): parts of tracks play silence.`);
    return null;
  });
  kept.push({ n, read });
  if (kept.length > CHUNKS_KEPT_PER_SOURCE) kept.shift();
  return read;
}

function report(message) {
  if (reported) return;
  reported = true;
  self.postMessage({ type: 'error', message });
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// A page from layout 1's chunks, as [Float32Array per channel] (missing: none).
async function fromChunk({ page, id, frames }) {
  const first = page * PAGE;
  const n = Math.floor(first / CHUNK);
  const read = chunk(id, n);
  // Reading on into the chunk's second half: the next one is read now, before it is asked for.
  if (first % CHUNK >= CHUNK / 2 && (n + 1) * CHUNK < frames) chunk(id, n + 1);
  const stored = await read;
  const from = first - n * CHUNK;
  return stored && stored.map((samples) => samples.subarray(from, Math.min(from + PAGE, samples.length)));
}

// Sends a page: each channel PAGE frames (the source's last page padded with silence).
async function send(epoch, { track, page, channels: count }, stored) {
  if (!stored) report('Some audio is missing from this browser\'s storage: parts of tracks play silence.');
  if (delayMs > 0) await sleep(delayMs);
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
  }
}

async function answer(epoch, reads) {
  const d = await db();
  const store = d.transaction('chunks', 'readonly').objectStore('chunks');
  // Every read starts at once, in one transaction; each page goes as soon as it is in (the
  // earliest were asked first).
  for (const r of reads) {
    get(store, `${r.id}/p${String(r.page).padStart(7, '0')}`)
      .then((stored) => stored || fromChunk(r))
      .catch((err) => {
        report(`Some audio could not be read from this browser's storage (${err && err.message || err}): parts of tracks play silence.`);
        return null;
      })
      .then((stored) => send(epoch, r, stored));
  }
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'port') {
    port = msg.port;
    if (msg.shared) {
      shared = {
        header: new Int32Array(msg.shared, 0, HEADER),
        channels: Array.from({ length: MAILBOXES }, (_, i) => [0, 1].map((c) => new Float32Array(msg.shared, 4 * HEADER + (2 * i + c) * PAGE * 4, PAGE))),
      };
    }
    port.onmessage = (e) => answer(e.data.epoch, e.data.reads);
  } else if (msg.type === 'delay') {
    delayMs = Number(msg.ms) || 0;
  }
};
