// The first block of a seek read from the app's own store (the scale benchmark's kept 64 × 6
// profile: 139,000 pages), as the streaming reader reads it — one transaction of one get a page —
// 20 times at random positions: one page of every source (64 gets), two of every source (128: a
// seek whose first 85 ms reach into the next page), and the same two as one `getAll` over each
// source's key range (64 requests). Keys as `www/stored-audio.js` makes them.
const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
const key = (pages, page) => `${pages}/c${String(page).padStart(7, '0')}.0`;
(async () => {
  const db = await new Promise((ok, fail) => { const r = indexedDB.open('mixroom'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  // Each source's page count, from the keys of its first channel's pages.
  const sources = new Map();
  for (const k of await request(db.transaction('chunks', 'readonly').objectStore('chunks').getAllKeys())) {
    const m = /^(.*)\/c(\d{7})\.0$/.exec(k);
    if (m) sources.set(m[1], Math.max(sources.get(m[1]) || 0, Number(m[2]) + 1));
  }
  const list = [...sources.keys()];
  const pages = Math.min(...sources.values());
  const ways = {
    get_one_page: (store, p) => list.map((s) => request(store.get(key(s, p)))),
    get_two_pages: (store, p) => list.flatMap((s) => [p, p + 1].map((q) => request(store.get(key(s, q))))),
    getAll_two_pages: (store, p) => list.map((s) => request(store.getAll(IDBKeyRange.bound(key(s, p), key(s, p + 1))))),
  };
  const times = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
  for (let round = 0; round < 20; round++) {
    for (const [way, read] of Object.entries(ways)) {
      const p = Math.floor(Math.random() * (pages - 1));
      const t = performance.now();
      const got = (await Promise.all(read(db.transaction('chunks', 'readonly').objectStore('chunks'), p))).flat();
      times[way].push(performance.now() - t);
      if (!got.every((g) => g instanceof Float32Array)) throw new Error(`a page at ${p} is missing`);
    }
  }
  const q = (a, f) => { const s = [...a].sort((x, y) => x - y); return Math.round(s[Math.min(s.length - 1, Math.floor(f * s.length))] * 10) / 10; };
  const out = { sources: list.length, pages_each: pages };
  for (const [way, a] of Object.entries(times)) out[way] = { p50: q(a, 0.5), p95: q(a, 0.95), max: q(a, 1) };
  self.postMessage(out);
})().catch((e) => self.postMessage({ error: String(e) }));
