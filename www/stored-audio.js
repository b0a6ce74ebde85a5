// Stored audio in IndexedDB (crate `mixroom-app`, module `store`, documents the layouts): its
// pages read as the engine streams them — by the streaming reader (`stream-worker.js`) for live
// playback and by the delivery worker (`delivery-worker.js`) for offline renders, so both read the
// same samples the same way — and written by the import worker as it imports a file.
//
// Pages are read from their source's mirror in the Origin Private File System where it has been
// made (`page-mirror.js`), else from IndexedDB. Layout 3: one record per page and channel
// ("<pages key>/c<page, 7 digits>.<channel>" → one Float32Array of PAGE frames, 32 KiB: Chromium
// keeps a value of 64 KiB or more as a file of its own, several times slower to read), read as
// asked, the pages of one request in one transaction. Audio still in an older layout (its update
// failed: a full disk) is read from its bigger records — layout 2's pages of 2^14 frames
// ("<id>/p<7 digits>" → [Float32Array per channel]) or layout 1's chunks of 2^18 ("<id>/<6
// digits>") — the last few of each source kept, and the next one read once the reads reach a
// record's second half.
import { mirrorRead, dropMirrors } from './page-mirror.js';

export const PAGE = 1 << 13;

/** The key of one channel of a page in layout 3 (`mixroom_session::storage::page_key`). */
export const pageKey = (pages, page, channel) => `${pages}/c${String(page).padStart(7, '0')}.${channel}`;
const OLD = [
  { frames: 1 << 14, key: (id, n) => `${id}/p${String(n).padStart(7, '0')}` },
  { frames: 1 << 18, key: (id, n) => `${id}/${String(n).padStart(6, '0')}` },
];
const OLD_KEPT_PER_SOURCE = 3;

let database = null;
/** The database, opened once (the streaming reader opens it as it starts). */
export function db() {
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
    request.onsuccess = () => ok(request.result);
    request.onerror = () => fail(request.error);
  });
}

const kept = new Map(); // content id → [{key, read: Promise<Float32Array[] | null>}], newest last

// An older layout's record (an array per channel, or null), read once while it is among the last few.
function oldRecord(id, key) {
  let records = kept.get(id);
  if (!records) kept.set(id, (records = []));
  const at = records.findIndex((r) => r.key === key);
  if (at >= 0) {
    const [r] = records.splice(at, 1);
    records.push(r);
    return r.read;
  }
  const read = db().then((d) => get(d.transaction('chunks', 'readonly').objectStore('chunks'), key)).then((v) => (Array.isArray(v) ? v : null));
  records.push({ key, read });
  if (records.length > OLD_KEPT_PER_SOURCE) records.shift();
  return read;
}

// A page from an older layout's records, as [Float32Array per channel] (missing: null).
async function fromOld({ page, id, frames }, layout = 0) {
  if (layout >= OLD.length) return null;
  const { frames: size, key } = OLD[layout];
  const first = page * PAGE;
  const n = Math.floor(first / size);
  const read = oldRecord(id, key(id, n));
  if (first % size >= size / 2 && (n + 1) * size < frames) oldRecord(id, key(id, n + 1));
  const stored = await read;
  if (!stored) return fromOld({ page, id, frames }, layout + 1);
  const from = first - n * size;
  return stored.map((samples) => samples.subarray(from, Math.min(from + PAGE, samples.length)));
}

/**
 * Reads pages `reads` ([{page, id, channels, frames}…]), all started at once in one transaction: one
 * promise each, in order, of the page's samples ([Float32Array per channel], the last page of a
 * source shorter) or null where storage does not have it. A storage error rejects that page's promise.
 * `signal` (an AbortSignal) aborts the transaction: the reads not yet done are not made (storage
 * reads a transaction's requests in order, so reads no longer wanted would hold up the next ones)
 * and their promises reject with an `AbortError`.
 */
export async function readPages(reads, signal) {
  // From the mirrors where they are made (`page-mirror.js`: synchronous reads, no IndexedDB).
  const mirror = reads.map((r) => mirrorRead(r));
  if (mirror.every(Boolean)) return mirror.map((m) => Promise.resolve(m));
  const d = await db();
  const transaction = d.transaction('chunks', 'readonly');
  const store = transaction.objectStore('chunks');
  if (signal) {
    const abort = () => { try { transaction.abort(); } catch { /* already finished */ } };
    if (signal.aborted) abort();
    else {
      signal.addEventListener('abort', abort, { once: true });
      transaction.addEventListener('complete', () => signal.removeEventListener('abort', abort));
    }
  }
  return reads.map((r, i) => mirror[i] ? Promise.resolve(mirror[i]) : Promise.all(Array.from({ length: r.channels }, (_, c) => get(store, pageKey(r.id, r.page, c))))
    .then((channels) => (channels.every((c) => c instanceof Float32Array) ? channels : fromOld(r))));
}

// Resolves when a transaction has committed; rejects with its error (a full disk:
// `QuotaExceededError`) when it aborts.
function committed(transaction) {
  return new Promise((ok, fail) => {
    transaction.oncomplete = () => ok();
    transaction.onabort = () => fail(transaction.error || new Error('the write was aborted'));
  });
}

/**
 * Writes records `[key, value, key, value, …]` (a streamed import's pages and overview detail, as
 * the import worker makes them) in one transaction; resolves once they are committed. Storage
 * full: the page mirrors (copies) are deleted to make room, and the write tried once more.
 */
export async function writeRecords(records) {
  try {
    return await writeOnce(records);
  } catch (err) {
    if (!err || err.name !== 'QuotaExceededError' || (await dropMirrors().catch(() => 0)) === 0) throw err;
    return writeOnce(records);
  }
}

async function writeOnce(records) {
  const d = await db();
  const transaction = d.transaction('chunks', 'readwrite');
  const store = transaction.objectStore('chunks');
  for (let i = 0; i < records.length; i += 2) store.put(records[i + 1], records[i]);
  return committed(transaction);
}

/** Reads records `keys` in one transaction: their values in order (undefined where absent). */
export async function readRecords(keys) {
  const d = await db();
  const store = d.transaction('chunks', 'readonly').objectStore('chunks');
  return Promise.all(keys.map((k) => get(store, k)));
}

/** Deletes every record with a key in [from, to). */
export async function deleteUnder(from, to) {
  const d = await db();
  const transaction = d.transaction('chunks', 'readwrite');
  transaction.objectStore('chunks').delete(IDBKeyRange.bound(from, to, false, true));
  return committed(transaction);
}
