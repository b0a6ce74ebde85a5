// Pages of stored audio, read from IndexedDB as the engine streams them (crate `mixroom-app`,
// module `store`, documents the layouts): by the streaming reader (`stream-worker.js`) for live
// playback, and by the delivery worker (`delivery-worker.js`) for offline renders, so both read the
// same samples the same way.
//
// Layout 2: one record a page ("<content id>/p<page, 7 digits>" → one Float32Array of PAGE frames per
// channel), read as asked, the pages of one request in one transaction. Audio still in layout 1 (its
// update to pages failed: a full disk) is read from its chunks ("<content id>/<chunk, 6 digits>",
// CHUNK frames): the last few of each source are kept, and the next one is read once the reads
// reach a chunk's second half.
export const PAGE = 1 << 14;
const CHUNK = 1 << 18;
const CHUNKS_KEPT_PER_SOURCE = 3;

let database = null;
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

const chunks = new Map(); // content id → [{n, read: Promise<Float32Array[] | null>}], newest last

function chunk(id, n) {
  let kept = chunks.get(id);
  if (!kept) chunks.set(id, (kept = []));
  const at = kept.findIndex((c) => c.n === n);
  if (at >= 0) {
    const [c] = kept.splice(at, 1);
    kept.push(c);
    return c.read;
  }
  const read = db().then((d) => get(d.transaction('chunks', 'readonly').objectStore('chunks'), `${id}/${String(n).padStart(6, '0')}`));
  kept.push({ n, read });
  if (kept.length > CHUNKS_KEPT_PER_SOURCE) kept.shift();
  return read;
}

// A page from layout 1's chunks, as [Float32Array per channel] (missing: null).
async function fromChunk({ page, id, frames }) {
  const first = page * PAGE;
  const n = Math.floor(first / CHUNK);
  const read = chunk(id, n);
  if (first % CHUNK >= CHUNK / 2 && (n + 1) * CHUNK < frames) chunk(id, n + 1);
  const stored = await read;
  const from = first - n * CHUNK;
  return stored && stored.map((samples) => samples.subarray(from, Math.min(from + PAGE, samples.length)));
}

/**
 * Reads pages `reads` ([{page, id, frames}…]), all started at once in one transaction: one promise
 * each, in order, of the page's samples ([Float32Array per channel], the last page of a source
 * shorter) or null where storage does not have it. A storage error rejects that page's promise.
 */
export async function readPages(reads) {
  const d = await db();
  const store = d.transaction('chunks', 'readonly').objectStore('chunks');
  return reads.map((r) => get(store, `${r.id}/p${String(r.page).padStart(7, '0')}`).then((stored) => stored || fromChunk(r)));
}
