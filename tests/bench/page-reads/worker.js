// 64 sources × 2 MiB: time reading one 32 KiB page of each (a seek's first block), three ways:
// IndexedDB (one transaction, 64 gets), OPFS sync access handles (read-only, kept open), and
// OPFS File.slice().arrayBuffer().
const N = 64, PAGES = 64, PAGE = 32768;
const out = {};
const idb = () => new Promise((ok, no) => { const r = indexedDB.open('probe', 1); r.onupgradeneeded = () => r.result.createObjectStore('p'); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
const req = (r) => new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
(async () => {
  const db = await idb();
  const root = await navigator.storage.getDirectory();
  // write
  const page = new Float32Array(PAGE / 4).map((_, i) => Math.sin(i));
  let t = performance.now();
  for (let s = 0; s < N; s++) {
    const tx = db.transaction('p', 'readwrite');
    for (let p = 0; p < PAGES; p++) tx.objectStore('p').put(page, `s${s}/${String(p).padStart(6, '0')}`);
    await new Promise((ok) => (tx.oncomplete = ok));
  }
  out.idb_write_ms = Math.round(performance.now() - t);
  t = performance.now();
  const handles = [];
  for (let s = 0; s < N; s++) {
    const fh = await root.getFileHandle(`s${s}`, { create: true });
    const h = await fh.createSyncAccessHandle();
    for (let p = 0; p < PAGES; p++) h.write(page, { at: p * PAGE });
    h.flush(); h.close();
  }
  out.opfs_write_ms = Math.round(performance.now() - t);
  const rounds = 20;
  const pick = () => Math.floor(Math.random() * PAGES);
  // IDB
  const idbTimes = [];
  for (let r = 0; r < rounds; r++) {
    const p = pick(); t = performance.now();
    const tx = db.transaction('p', 'readonly');
    const got = await Promise.all(Array.from({ length: N }, (_, s) => req(tx.objectStore('p').get(`s${s}/${String(p).padStart(6, '0')}`))));
    idbTimes.push(performance.now() - t);
    if (got.some((g) => !g)) throw new Error('missing');
  }
  // OPFS sync (read-only handles, opened once)
  t = performance.now();
  for (let s = 0; s < N; s++) {
    const fh = await root.getFileHandle(`s${s}`);
    handles.push(await fh.createSyncAccessHandle({ mode: 'read-only' }));
  }
  out.opfs_open_handles_ms = Math.round(performance.now() - t);
  const syncTimes = [];
  const buf = new Float32Array(PAGE / 4);
  for (let r = 0; r < rounds; r++) {
    const p = pick(); t = performance.now();
    for (const h of handles) { const n = h.read(buf, { at: p * PAGE }); if (n !== PAGE) throw new Error('short'); }
    syncTimes.push(performance.now() - t);
  }
  handles.forEach((h) => h.close());
  // OPFS File slices
  const files = await Promise.all(Array.from({ length: N }, async (_, s) => (await root.getFileHandle(`s${s}`)).getFile()));
  const sliceTimes = [];
  for (let r = 0; r < rounds; r++) {
    const p = pick(); t = performance.now();
    await Promise.all(files.map((f) => f.slice(p * PAGE, (p + 1) * PAGE).arrayBuffer()));
    sliceTimes.push(performance.now() - t);
  }
  const q = (a, f) => { const s = [...a].sort((x, y) => x - y); return Math.round(s[Math.min(s.length - 1, Math.floor(f * s.length))] * 10) / 10; };
  for (const [k, a] of [['idb', idbTimes], ['opfs_sync', syncTimes], ['opfs_slice', sliceTimes]]) out[k] = { p50: q(a, 0.5), p95: q(a, 0.95), max: q(a, 1) };
  self.postMessage(out);
})().catch((e) => self.postMessage({ error: String(e) }));
