// The page mirror: each streamed source's pages copied, once, from IndexedDB into one file of the
// Origin Private File System, and read from there by synchronous access handles — the readers'
// fast path. Measured (docs/BENCHMARKS.md, "The page mirror"): a seek's first block, one page of
// each of 64 sources, 24 ms from IndexedDB and 0.4 ms from these files; and IndexedDB's success
// event and value per page were most of the streaming reader's time while it played.
//
// IndexedDB stays the store of record (the app's module `store` writes, migrates and deletes the
// audio there); a mirror is a copy that can be lost at any time: where there is none (not made
// yet, no OPFS in this browser, another tab writing it, over its budget) the pages are read from
// IndexedDB as before. A source's samples under its pages key never change (content-addressed, or
// a streamed import's own key), so a whole mirror stays right; one whose records are gone is
// deleted by the sweep (`sweep`), as is a copy left half made; and where storage is full, the
// mirrors make room for the user's own audio (`dropMirrors`, `stored-audio.js`'s writes).
//
// Files, in the folder "pages": "<pages key>.<channels>x<frames>.f32" — page p, channel c at
// ((p × channels) + c) × PAGE frames of 32-bit floats, the source's last page padded with silence;
// made as "… .part" and renamed when whole, so a ".f32" file is always whole.
//
// Used by `stored-audio.js` (the reads, in the streaming reader and the delivery worker) and by
// the streaming reader (`stream-worker.js`), which makes the mirrors while it is idle.

export const FOLDER = 'pages';
const PAGE = 1 << 13;
const BYTES = 4;
/** Pages copied a step; the reader's own reads go between steps. */
const STEP_PAGES = 16;
/**
 * The mirrors' bytes at most, all sources together: a copy costs disk, so it is kept for about an
 * album mix (64 mono tracks of 6 minutes are 4.4 GB). (`navigator.storage.estimate()` cannot say
 * what is free: Chromium reports usage plus at most 10 GiB whatever the disk, since version 138.)
 */
export const BUDGET = 8 * 2 ** 30;

// The probe of `mirrorsAreFast`: pages read, and the most a read may take on average (between
// disk's ≈0.01 and memory's ≈0.5 ms, wide of both even at a timer's 0.1 ms grain).
const PROBE_PAGES = 16, FAST_READ_MS = 0.1;

export const mirrorName = (pages, channels, frames) => `${pages}.${channels}x${frames}.f32`;
/** A whole mirror's file name read back: {pages, channels, frames}, or null (a `.part`, a probe). */
export function parseMirrorName(name) {
  const whole = /^(.*)\.(\d+)x(\d+)\.f32$/.exec(name);
  return whole && { pages: whole[1], channels: Number(whole[2]), frames: Number(whole[3]) };
}

// Per source ("pages key|channels|frames"): {handle} once its mirror is open for reading; {since}
// where it had none when last looked for (looked for again after `RECHECK_MS`: the streaming reader
// may have made it since); {broken} once a read failed (IndexedDB from then on); a promise while
// it is being opened.
const sources = new Map();
const RECHECK_MS = 5000;
let folder = null;

// Storage full: every worker that reads mirrors is told to give them up (`dropMirrors`) — it closes
// its handles, so that the files can be deleted, and reads IndexedDB from then on; a mirror being
// made is abandoned. (The channel's message reaches the other workers within a task or two: the
// deleting side waits `DROP_WAIT_MS` for them.)
const DROP_CHANNEL = 'mixroom-page-mirrors';
const DROP_WAIT_MS = 200;
let dropped = false;
const drops = typeof BroadcastChannel === 'function' ? new BroadcastChannel(DROP_CHANNEL) : null;
if (drops) drops.onmessage = (event) => { if (event.data === 'drop') giveUp(); };

function giveUp() {
  dropped = true;
  for (const known of sources.values()) {
    try {
      if (known && known.handle) known.handle.close();
    } catch {
      // already closed
    }
  }
  sources.clear();
}

/** Whether this worker gave the mirrors up (storage was full). */
export const mirrorsDropped = () => dropped;

/** The mirrors' folder, or null where this browser has no OPFS with synchronous access handles. */
export function mirrorFolder() {
  if (!folder) {
    folder = (async () => {
      if (typeof FileSystemFileHandle === 'undefined' || !('createSyncAccessHandle' in FileSystemFileHandle.prototype)) return null;
      const root = await navigator.storage.getDirectory();
      return root.getDirectoryHandle(FOLDER, { create: true });
    })().catch(() => null);
  }
  return folder;
}

/** A source's key in the readers' maps and sets. */
export const sourceKey = (id, channels, frames) => `${id}|${channels}|${frames}`;

// Opens a source's mirror for reading, shared ('read-only': the streaming reader and the delivery
// worker both read it; a browser without the mode opens it exclusively, and the other reader
// reads IndexedDB).
async function openForReading(id, channels, frames) {
  const dir = await mirrorFolder();
  if (!dir) return null;
  let file;
  try {
    file = await dir.getFileHandle(mirrorName(id, channels, frames));
  } catch {
    return null; // none yet
  }
  try {
    return await file.createSyncAccessHandle({ mode: 'read-only' });
  } catch {
    return null;
  }
}

// A source's mirror, open for reading, or null (the first ask starts opening it).
function openMirror({ id, channels, frames }) {
  if (dropped) return null;
  const key = sourceKey(id, channels, frames);
  const known = sources.get(key);
  if (known === undefined || (known.since !== undefined && performance.now() - known.since > RECHECK_MS)) {
    sources.set(key, openForReading(id, channels, frames).then((handle) => remember(key, handle)));
    return null;
  }
  return known.handle || null;
}

// Keeps a handle just opened for a source (or that it has none) — unless one is open already (the
// reader made the mirror meanwhile) or the mirrors were given up: then the new one is closed.
function remember(key, handle) {
  const known = sources.get(key);
  if (dropped || (known && known.handle)) {
    if (handle) handle.close();
    return Boolean(!dropped && known && known.handle);
  }
  sources.set(key, handle ? { handle } : { since: performance.now() });
  return Boolean(handle);
}

/**
 * Reads a page of a source from its mirror into `into` (a Float32Array of PAGE frames per channel,
 * in shared memory or not). False where the source has no open mirror (the first ask starts
 * opening it) or it could not be read (then it is read no more): read it from IndexedDB.
 */
export function mirrorReadInto({ page, id, channels, frames }, into) {
  const handle = openMirror({ id, channels, frames });
  if (!handle) return false;
  try {
    const at = page * channels * PAGE * BYTES;
    for (let c = 0; c < channels; c++) {
      if (handle.read(into[c], { at: at + c * PAGE * BYTES }) !== PAGE * BYTES) throw new Error('short read');
    }
    return true;
  } catch {
    try {
      handle.close();
    } catch {
      // already closed
    }
    sources.set(sourceKey(id, channels, frames), { broken: true });
    return false;
  }
}

/** A page of a source from its mirror, as [Float32Array of PAGE frames per channel], or null (see `mirrorReadInto`). */
export function mirrorRead(read) {
  if (!openMirror(read)) return null;
  const out = Array.from({ length: read.channels }, () => new Float32Array(PAGE));
  return mirrorReadInto(read, out) ? out : null;
}

/** Whether a source's mirror is open for reading here (first asked: it starts opening). */
export const mirrorOpen = (read) => openMirror(read) !== null;

/** Whether a source's mirror is open for reading here (the tests' and benchmark's check). */
export function mirrored(id, channels, frames) {
  const known = sources.get(sourceKey(id, channels, frames));
  return Boolean(known && known.handle);
}

/**
 * Whether this browser's OPFS is worth mirroring to: files on disk read a page in about 10 µs;
 * the in-memory one of a private window (its IndexedDB is in memory too) takes about 0.5 ms, slower
 * than IndexedDB — there no mirrors are made. Times reads of a scratch file just written.
 */
export async function mirrorsAreFast() {
  const dir = await mirrorFolder();
  if (!dir) return false;
  const name = `probe-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const handle = await (await dir.getFileHandle(name, { create: true })).createSyncAccessHandle();
    try {
      const page = new Float32Array(PAGE);
      for (let p = 0; p < PROBE_PAGES; p++) handle.write(page, { at: p * PAGE * BYTES });
      const started = performance.now();
      for (let p = 0; p < PROBE_PAGES; p++) handle.read(page, { at: p * PAGE * BYTES });
      return (performance.now() - started) / PROBE_PAGES < FAST_READ_MS;
    } finally {
      handle.close();
    }
  } catch {
    return false;
  } finally {
    await dir.removeEntry(name).catch(() => {});
  }
}

/**
 * Makes the mirror of a source from its IndexedDB records (layout 3), a step at a time, each step
 * waiting for `idle()` (a promise: the reader has nothing of its own to read), then opens it for
 * reading. To stay within `BUDGET` it first deletes mirrors of sources not `wanted(pages key,
 * channels, frames)` (the reader: not asked for since it started). Resolves true once it is
 * whole; 'busy' while another tab (or this one before a reload) is making it; false where it is
 * not made (no OPFS, over the budget, a record missing, a write failing: the disk full) — nothing
 * is lost: reads go to IndexedDB.
 */
export async function makeMirror({ id, channels, frames }, database, idle, wanted = () => true) {
  const key = sourceKey(id, channels, frames);
  const dir = await mirrorFolder();
  if (!dir || dropped) return false;
  if (mirrored(id, channels, frames)) return true;
  const name = mirrorName(id, channels, frames);
  const pages = Math.ceil(frames / PAGE);
  const bytes = pages * channels * PAGE * BYTES;
  const existing = await dir.getFileHandle(name).catch(() => null);
  if (!existing) {
    if (!(await makeRoom(dir, bytes, wanted))) return false;
    const part = await dir.getFileHandle(`${name}.part`, { create: true }).catch(() => null);
    const handle = part && await part.createSyncAccessHandle().catch(() => null);
    if (!handle) return 'busy'; // another tab (or this one before a reload) is making it
    let whole = false;
    try {
      handle.truncate(bytes);
      let from = 0;
      for (; from < pages; from += STEP_PAGES) {
        await idle();
        if (dropped) break; // storage full: abandoned
        const to = Math.min(pages, from + STEP_PAGES);
        const records = await readRange(database, { id, channels, frames }, from, to);
        if (!records) break; // a record missing: no mirror
        for (const { page, channel, samples } of records) {
          const wrote = handle.write(samples.subarray(0, PAGE), { at: ((page * channels) + channel) * PAGE * BYTES });
          if (wrote !== Math.min(PAGE, samples.length) * BYTES) throw new Error('short write');
        }
      }
      handle.flush();
      whole = from >= pages;
    } catch {
      // A write failed (the disk full): no mirror.
    } finally {
      handle.close();
    }
    let renamed = false;
    try {
      if (whole) {
        await part.move(name);
        renamed = true;
      }
    } catch {
      // Not renamed: removed below.
    }
    if (!renamed) {
      await dir.removeEntry(`${name}.part`).catch(() => {});
      return false;
    }
  }
  return remember(key, await openForReading(id, channels, frames));
}

// Whether `bytes` more stay within the budget, once mirrors not `wanted` are deleted if need be.
async function makeRoom(dir, bytes, wanted) {
  const mirrors = [];
  for await (const [name, handle] of dir.entries()) {
    const size = await handle.getFile().then((f) => f.size, () => 0);
    const whole = parseMirrorName(name);
    mirrors.push({ name, size, wanted: !whole || wanted(whole.pages, whole.channels, whole.frames) });
  }
  let total = mirrors.reduce((sum, m) => sum + m.size, bytes);
  for (const m of mirrors) {
    if (total <= BUDGET) break;
    if (m.wanted) continue;
    if (await dir.removeEntry(m.name).then(() => true, () => false)) total -= m.size;
  }
  return total <= BUDGET;
}

/**
 * Storage full: every worker reading mirrors gives them up (closing its handles), then every mirror
 * is deleted that can be — room for the user's own audio. Resolves how many were deleted. (The
 * app's saves do the same, `Store::save`.)
 */
export async function dropMirrors() {
  giveUp();
  if (drops) drops.postMessage('drop');
  const dir = await mirrorFolder();
  if (!dir) return 0;
  await new Promise((ok) => setTimeout(ok, DROP_WAIT_MS));
  const names = [];
  for await (const name of dir.keys()) names.push(name);
  let deleted = 0;
  for (const name of names) {
    if (await dir.removeEntry(name).then(() => true, () => false)) deleted++;
  }
  return deleted;
}

// The records of pages [from, to) of every channel, or null where one is missing or not a page
// (audio not in layout 3: its mirror is not made).
async function readRange(database, { id, channels, frames }, from, to) {
  const store = database.transaction('chunks', 'readonly').objectStore('chunks');
  const range = IDBKeyRange.bound(`${id}/c${String(from).padStart(7, '0')}.`, `${id}/c${String(to - 1).padStart(7, '0')}.~`);
  const request = (r) => new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
  if (keys.length !== (to - from) * channels) return null;
  const records = [];
  for (let i = 0; i < keys.length; i++) {
    const match = /\/c(\d{7})\.(\d+)$/.exec(keys[i]);
    const samples = values[i];
    if (!match || !(samples instanceof Float32Array)) return null;
    const page = Number(match[1]), channel = Number(match[2]);
    if (channel >= channels || page < from || page >= to) return null;
    // Every page whole but the source's last (stored shorter, or padded).
    if (samples.length < Math.min(PAGE, frames - page * PAGE) || samples.length > PAGE) return null;
    records.push({ page, channel, samples });
  }
  return records;
}

/**
 * Deletes the mirrors whose source's records are gone from IndexedDB (its audio deleted with the
 * last session using it, or an import never saved), and copies left half made (a tab closed while
 * making one; one another tab is making now cannot be removed, and is left); a file at a time, each
 * once `idle()` resolves.
 */
export async function sweep(database, idle) {
  const dir = await mirrorFolder();
  if (!dir) return;
  const store = () => database.transaction('chunks', 'readonly').objectStore('chunks');
  const names = [];
  for await (const name of dir.keys()) names.push(name);
  for (const name of names) {
    await idle();
    const whole = parseMirrorName(name);
    let stale = !whole;
    if (whole) {
      const first = store().count(`${whole.pages}/c0000000.0`);
      stale = await new Promise((ok) => {
        first.onsuccess = () => ok(first.result === 0);
        first.onerror = () => ok(false);
      });
    }
    if (stale) await dir.removeEntry(name).catch(() => {});
  }
}
