// The streaming reader: reads the pages of stored audio the engine asks for, ahead of the play
// position, and hands them to the AudioWorklet — so a session plays without its samples being held
// in memory (only each track's read-ahead is). Started by the app (crate `mixroom-app`, module
// `audio`); the engine's planner (`Engine::plan_reads`) decides what to read, in what order.
//
// Protocol:
//   main → reader     {type: 'port', port: MessagePort}   the worklet's end of a channel
//                     {type: 'delay', ms}                 answer every read `ms` late (tests: a slow disk)
//   worklet → reader  {type: 'read', epoch, reads: [{track, page, id, channels, frames}, …]}  in the
//                     order wanted
//   reader → worklet  {type: 'page', epoch, track, page, channels: [Float32Array(PAGE) …]}  (moved)
//   reader → main     {type: 'error', message}            stored audio that could not be read (its
//                                                          pages are answered as silence)
//
// Storage: IndexedDB `mixroom`, store `chunks` ("<content id>/<chunk, 6 digits>" → one Float32Array
// of CHUNK frames per channel; see `store.rs`). A chunk holds 16 pages: the last few chunks read of
// each source are kept, and the next one is read once the reads reach a chunk's second half, so a
// page is rarely a read of its own.
const PAGE = 1 << 14;
const CHUNK = 1 << 18;
const CHUNKS_KEPT_PER_SOURCE = 3;

let port = null;
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

async function readChunk(id, n) {
  const d = await db();
  return new Promise((ok, fail) => {
    const get = d.transaction('chunks', 'readonly').objectStore('chunks').get(`${id}/${String(n).padStart(6, '0')}`);
    get.onsuccess = () => ok(Array.isArray(get.result) ? get.result : null);
    get.onerror = () => fail(get.error);
  });
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

async function answer(epoch, { track, page, id, channels: count, frames }) {
  const first = page * PAGE;
  const n = Math.floor(first / CHUNK);
  const read = chunk(id, n);
  // Reading on into the chunk's second half: the next one is read now, before it is asked for.
  if (first % CHUNK >= CHUNK / 2 && (n + 1) * CHUNK < frames) chunk(id, n + 1);
  let stored = await read;
  if (!stored) {
    report('Some audio is missing from this browser\'s storage: parts of tracks play silence.');
    stored = [];
  }
  if (delayMs > 0) await sleep(delayMs);
  const from = first - n * CHUNK;
  const channels = Array.from({ length: count }, (_, c) => {
    const out = new Float32Array(PAGE);
    const samples = stored[c];
    if (samples) out.set(samples.subarray(from, Math.min(from + PAGE, samples.length)));
    return out;
  });
  port.postMessage({ type: 'page', epoch, track, page, channels }, channels.map((c) => c.buffer));
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'port') {
    port = msg.port;
    port.onmessage = (e) => {
      const { epoch, reads } = e.data;
      // Every read starts at once; each page goes as soon as it is in (the earliest were asked first).
      for (const r of reads) answer(epoch, r);
    };
  } else if (msg.type === 'delay') {
    delayMs = Number(msg.ms) || 0;
  }
};
