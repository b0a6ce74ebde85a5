// Streaming (issue 15): a session opened from storage plays without its samples held in the page —
// the engine's reader reads the pages it plays next. What reaches the speakers across a stored
// chunk's boundary and a loop's end equals the offline render sample for sample; a reader too slow
// for the play position shows underruns counted while the rest of the mix plays on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveApp, launchBrowser, launchPersistent, openApp, openPage, waitReady, noise, floatWav, savedSession, recordOutput, readWavF32, measureOutput, artifactsDir, rendererRss } from './harness.mjs';

const RATE = 48000;
// The loop crosses 2^18 frames (5.46 s): the end of a stored chunk in layout 1, and of pages (2^13
// frames) in layout 3.
const CHUNK = 1 << 18;
const LOOP = { start: 240000, end: 278400 };

let server, browser;
const errors = [];
before(async () => {
  server = await serveApp();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const button = (p, name) => p.getByRole('button', { name, exact: true });
const saved = (p) => p.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 120_000 });

async function importNoise(page, name, seconds) {
  const path = join(await artifactsDir(), `${name}.wav`);
  await writeFile(path, floatWav([noise(7, seconds * RATE, 0.4)]));
  const before = await page.locator('[aria-label$=" volume"][role=slider]').count();
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(path);
  await page.waitForFunction((n) => document.querySelectorAll('[aria-label$=" volume"][role=slider]').length > n, before, { timeout: 120_000 });
  await saved(page);
}

/** The first frame of `channel` from which it holds exactly `probe`, or -1. */
function foundAt(channel, probe) {
  for (let p = 0; p + probe.length <= channel.length; p++) {
    if (channel[p] === probe[0] && probe.every((x, k) => channel[p + k] === x)) return p;
  }
  return -1;
}

/** In a new session on `page`: 8 s of noise imported, looped over 5.0–5.8 s, reopened from storage
 * and played from the start; what reaches the output must be the offline render, frame for frame.
 * `mirrored`: played once the track's page mirror is made (read from it, not IndexedDB). */
async function loopPlaysAsRendered(page, { mirrored = false } = {}) {
  await button(page, 'Sessions…').click();
  await button(page, 'New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button(page, 'Close the session browser').click();
  await importNoise(page, 'Streamed noise', 8);

  // The mix without processing (what plays at a frame is then the render at that frame, however
  // the transport got there), looping over 5.0–5.8 s.
  const { session } = await savedSession(page, 'streaming-saved.json');
  session.master.inserts = [];
  for (const t of session.tracks) t.inserts = [];
  session.loop_region = { ...LOOP, enabled: true };
  const file = join(await artifactsDir(), 'streaming-loop.json');
  await writeFile(file, JSON.stringify(session));
  await page.getByLabel('Session file to open', { exact: true }).setInputFiles(file);
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 120_000 }).catch(async (e) => {
    throw new Error(`${e.message}; the session is "${await page.locator('.session-name').textContent()}"; alerts: ${(await page.locator('[role=alert]').allTextContents()).join(' | ')}`);
  });
  await saved(page);
  // Opened afresh from storage: its audio streams.
  await page.reload();
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.streamedTracks), '1', 'the track streams from storage');
  if (mirrored) {
    const made = async () => (await mirrorFiles(page)).some((n) => n.endsWith(`.1x${8 * RATE}.f32`));
    for (let tries = 0; tries < 300 && !(await made()); tries++) await page.waitForTimeout(100);
    assert.ok(await made(), 'the track\'s mirror is made');
  }

  // From the start through the loop's end twice: 7.5 s recorded, Play pressed once recording runs.
  const [left, right] = await recordOutput(page, 7.5 * RATE, () => button(page, 'Play').click());
  await button(page, 'Stop').click();
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), button(page, 'Export mix').click()]);
  const renderPath = join(await artifactsDir(), 'streaming-render.wav');
  await dl.saveAs(renderPath);
  const render = readWavF32(new Uint8Array(await readFile(renderPath))).channels;

  // Where the recording starts playing (after the transport's 3 ms fade-in), found in the render.
  const first = left.findIndex((x) => x !== 0);
  assert.ok(first >= 0, 'the recording has sound');
  const from = first + 1024;
  const at = foundAt(render[0], left.subarray(from, from + 64));
  assert.ok(at >= 0 && at < LOOP.start, `the recording's audio is the render's (found at ${at}; sound from recorded frame ${first})`);
  // Then frame by frame as the transport plays: on to the loop's end, back to its start.
  let position = at, wraps = 0, crossed = false, compared = 0;
  for (let n = from; n < left.length; n++) {
    if (left[n] !== render[0][position] || right[n] !== render[1][position]) {
      const underruns = await page.evaluate(() => document.documentElement.dataset.underruns);
      // What was played instead, for the diagnosis: the render's frame where the next 64 recorded
      // frames are found (-1: nowhere; another frame: the transport jumped; nowhere and a steady
      // ratio: a gain), and the ratio to the render's.
      const found = foundAt(render[0], left.subarray(n, n + 64));
      const ratios = Array.from({ length: 4 }, (_, k) => (left[n + 16 * k] / render[0][position + 16 * k]).toFixed(3));
      assert.fail(`recorded frame ${n} (timeline ${position}, ${wraps} loops in): ${left[n]}, ${right[n]} where the render has ${render[0][position]}, ${render[1][position]}; ${underruns} underruns; the next 64 recorded frames are the render's from ${found}; ratios to the render ${ratios.join(', ')}`);
    }
    compared++;
    crossed ||= position === CHUNK;
    position++;
    if (position === LOOP.end) {
      position = LOOP.start;
      wraps++;
    }
  }
  assert.ok(crossed, 'the comparison crossed a stored chunk\'s boundary');
  assert.ok(wraps >= 2, `the loop wrapped ${wraps} times`);
  assert.ok(compared > 6 * RATE, `${compared} frames compared`);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.underruns ?? '0'), '0', 'no underruns');
  assert.ok(await page.locator('[aria-label="Underruns"]').isHidden(), 'no underrun count shown');
}

test('stored audio streams (through shared memory): across a chunk boundary and a loop end, what plays is the offline render, sample for sample', async () => {
  const page = await openApp(browser, server.url, errors);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  await loopPlaysAsRendered(page);
  assert.deepEqual(await mirrorFiles(page), [], 'off the record (OPFS in memory, slower than IndexedDB), no page mirrors are made');

  // Zoomed in to single samples, the streamed track's waveform is drawn from reads of what is in
  // view (the page holds none of its samples).
  await button(page, 'Timeline').click();
  const lanes = page.getByRole('img', { name: 'Track lanes with clips', exact: true });
  const box = await lanes.boundingBox();
  await page.mouse.move(box.x + 2, box.y + 20);
  await page.keyboard.down('Control');
  for (let i = 0; i < 24; i++) await page.mouse.wheel(0, -100);
  await page.keyboard.up('Control');
  const drawnColumns = () => lanes.evaluate((canvas) => {
    const { width, height } = canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    let columns = 0;
    for (let x = 0; x < width; x++) {
      let lit = 0;
      for (let y = 0; y < height; y++) {
        const o = 4 * (y * width + x);
        if (Math.abs(data[o] - 214) < 12 && Math.abs(data[o + 1] - 226) < 12 && Math.abs(data[o + 2] - 240) < 12) lit++;
      }
      if (lit >= 5) columns++;
    }
    return columns;
  });
  let columns = 0;
  for (let tries = 0; tries < 50 && columns < 200; tries++) {
    await page.waitForTimeout(100);
    columns = await drawnColumns();
  }
  assert.ok(columns >= 200, `the noise's samples are drawn (${columns} columns)`);
  await page.screenshot({ path: join(await artifactsDir(), 'streaming-samples.png') });
  await page.context().close();
});

test('zoomed in past the overview kept in memory, a streamed track is drawn from its stored detail, as sharp as its samples allow', async () => {
  // Two bursts of noise in silence, 192 512 frames apart, each 9 344 frames long, starting at
  // 960 frames into a 1024-frame bucket and ending 64 into one: drawn from the 64-frame detail the
  // burst is its own width (a pixel more at most); from the coarsest level kept in memory (1024
  // frames) it would be 1920 frames wider.
  const page = await openApp(browser, server.url, errors);
  await button(page, 'Sessions…').click();
  await button(page, 'New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button(page, 'Close the session browser').click();
  const [A0, LENGTH, APART] = [49088, 9344, 192512];
  const samples = new Float32Array(6 * RATE);
  for (const at of [A0, A0 + APART]) samples.set(noise(11, LENGTH, 0.5), at);
  const path = join(await artifactsDir(), 'Bursts.wav');
  await writeFile(path, floatWav([samples]));
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(path);
  await page.locator('[aria-label$=" volume"][role=slider]').nth(1).waitFor({ timeout: 120_000 });
  await saved(page);
  await page.reload();
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.streamedTracks), '1');
  await button(page, 'Timeline').click();
  // (The whole 6 s in view: about 270 frames a pixel.)
  const lanes = page.getByRole('img', { name: 'Track lanes with clips', exact: true });
  // The runs of columns with the waveform drawn taller than a line: the two bursts.
  const runs = () => lanes.evaluate((canvas) => {
    const { width, height } = canvas;
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    const found = [];
    for (let x = 0; x < width; x++) {
      let lit = 0;
      for (let y = 0; y < height; y++) {
        const o = 4 * (y * width + x);
        if (Math.abs(data[o] - 214) < 12 && Math.abs(data[o + 1] - 226) < 12 && Math.abs(data[o + 2] - 240) < 12) lit++;
      }
      const last = found[found.length - 1];
      if (lit < 5) continue;
      if (last && last.end === x) last.end = x + 1;
      else found.push({ start: x, end: x + 1 });
    }
    return found;
  });
  let drawn = [], widths = [];
  for (let tries = 0; tries < 50; tries++) {
    await page.waitForTimeout(100);
    drawn = await runs();
    if (drawn.length !== 2) continue;
    // Frames a pixel, from the bursts' distance (both start as far into a bucket: the same
    // offset whichever level draws them).
    const fpp = APART / (drawn[1].start - drawn[0].start);
    widths = drawn.map((r) => r.end - r.start - LENGTH / fpp);
    if (fpp > 64 && fpp < 2048 && widths.every((w) => w <= 2)) break;
  }
  await page.screenshot({ path: join(await artifactsDir(), 'streaming-detail.png') });
  assert.equal(drawn.length, 2, `two bursts drawn (${JSON.stringify(drawn)})`);
  const fpp = APART / (drawn[1].start - drawn[0].start);
  assert.ok(fpp > 64 && fpp < 2048, `zoomed to where the detail is drawn (${fpp.toFixed(0)} frames a pixel)`);
  assert.ok(widths.every((w) => w >= -1 && w <= 2), `each burst as wide as it is (columns beyond its width: ${widths.map((w) => w.toFixed(1))}; from the coarse levels ${(1920 / fpp).toFixed(1)} more)`);
  await page.context().close();
});

/** The names in the page mirrors' folder of the Origin Private File System (`www/page-mirror.js`). */
const mirrorFiles = (page) => page.evaluate(async () => {
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pages', { create: true });
  const names = [];
  for await (const name of dir.keys()) names.push(name);
  return names.sort();
});

/** Runs module `script` in a dedicated worker of the page, as the readers run (`ORIGIN` in it: the
 * app's origin, to import its scripts from); resolves the first message it posts. */
const inWorker = (page, script) => page.evaluate((source) => {
  const worker = new Worker(URL.createObjectURL(new Blob([source.replaceAll('ORIGIN', location.origin)], { type: 'text/javascript' })), { type: 'module' });
  return new Promise((ok) => {
    worker.onmessage = (e) => ok(e.data);
    worker.onerror = (e) => ok({ error: e.message });
  });
}, script);

test('a streamed source is mirrored into the Origin Private File System: the mirror holds its stored pages, reads come from it, and stray mirrors are swept', async () => {
  // A profile on disk, as a user's browser keeps it (off the record, OPFS is in memory, slower than
  // IndexedDB, and no mirrors are made: the test above checks that).
  const profile = await mkdtemp(join(tmpdir(), 'mixroom-mirror-'));
  const context = await launchPersistent(profile);
  try {
    await mirroredPlaysAsStored(await openPage(context, server.url, errors));
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
});

async function mirroredPlaysAsStored(page) {
  // Into the demo (its stems, once saved, stream and are mirrored too). 6.2 s: the last page is
  // part silence.
  const frames = Math.round(6.2 * RATE);
  await importNoise(page, 'Mirrored noise', 6.2);
  // Strays: a mirror whose audio is not stored, and a copy left half made.
  await page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pages', { create: true });
    for (const name of ['sha256-gone.1x48000.f32', 'sha256-gone.1x48000.f32.part']) {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write(new Uint8Array(64));
      await w.close();
    }
  });
  await page.reload();
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.streamedTracks), '1');
  let names = [];
  const made = () => names.filter((n) => n.endsWith(`.1x${frames}.f32`));
  for (let tries = 0; tries < 300; tries++) {
    names = await mirrorFiles(page);
    if (made().length === 1 && !names.some((n) => n.startsWith('sha256-gone'))) break;
    await page.waitForTimeout(100);
  }
  assert.ok(!names.some((n) => n.startsWith('sha256-gone')), `the strays are swept: ${names.join(', ')}`);
  assert.equal(made().length, 1, `the track's mirror is made: ${names.join(', ')}`);
  assert.ok(names.every((n) => n.endsWith('.f32')), `only whole mirrors: ${names.join(', ')}`);
  const pages = made()[0].slice(0, -`.1x${frames}.f32`.length);

  // The mirror's bytes are the stored records', page by page (the last padded with silence).
  const compared = await page.evaluate(async ({ name, pages, frames }) => {
    const PAGE = 8192;
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pages');
    const mirror = new Float32Array(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer());
    const stored = await new Promise((ok, fail) => {
      indexedDB.open('mixroom').onsuccess = (e) => {
        const r = e.target.result.transaction('chunks').objectStore('chunks').getAll(IDBKeyRange.bound(`${pages}/c`, `${pages}/c~`));
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      };
    });
    let differing = 0;
    stored.forEach((samples, p) => {
      for (let i = 0; i < PAGE; i++) if (mirror[p * PAGE + i] !== (i < samples.length ? samples[i] : 0)) differing++;
    });
    return { records: stored.length, mirrorFrames: mirror.length, differing, loud: stored.some((s) => s.some((x) => Math.abs(x) > 0.1)), expected: Math.ceil(frames / PAGE) };
  }, { name: made()[0], pages, frames });
  assert.equal(compared.records, compared.expected, 'every page stored');
  assert.equal(compared.mirrorFrames, compared.expected * 8192, 'the mirror is every page');
  assert.ok(compared.loud, 'the stored pages hold the noise');
  assert.equal(compared.differing, 0, 'the mirror holds the stored samples');

  // The readers' own function (`stored-audio.js`, in a worker as in the app) reads the mirror and
  // gives the stored pages.
  const read = await inWorker(page, `
      import { readPages } from 'ORIGIN/stored-audio.js';
      import { mirrored } from 'ORIGIN/page-mirror.js';
      const reads = Array.from({ length: Math.ceil(${frames} / 8192) }, (_, page) => ({ page, id: ${JSON.stringify(pages)}, channels: 1, frames: ${frames} }));
      const all = async () => Promise.all(await readPages(reads));
      await all();
      for (let i = 0; i < 200 && !mirrored(reads[0].id, 1, ${frames}); i++) await new Promise((ok) => setTimeout(ok, 20));
      const fromMirror = mirrored(reads[0].id, 1, ${frames});
      const got = await all();
      const stored = await new Promise((ok) => {
        indexedDB.open('mixroom').onsuccess = (e) => {
          const r = e.target.result.transaction('chunks').objectStore('chunks').getAll(IDBKeyRange.bound(${JSON.stringify(pages)} + '/c', ${JSON.stringify(pages)} + '/c~'));
          r.onsuccess = () => ok(r.result);
        };
      });
      let differing = 0;
      got.forEach(([samples], p) => { for (let i = 0; i < 8192; i++) if (samples[i] !== (i < stored[p].length ? stored[p][i] : 0)) differing++; });
      postMessage({ fromMirror, pages: got.length, length: got[0][0].length, differing });
    `);
  assert.deepEqual(read, { fromMirror: true, pages: compared.expected, length: 8192, differing: 0 }, 'read from the mirror, the stored samples');

  // The mirror module itself on sources written here: a stereo one (its channels in their places,
  // its last page padded), and one with a page missing (no mirror: its reads stay with IndexedDB).
  const made2 = await inWorker(page, `
      import { makeMirror, mirrorRead, mirrorName } from 'ORIGIN/page-mirror.js';
      const PAGE = 8192;
      const database = await new Promise((ok) => { indexedDB.open('mixroom').onsuccess = (e) => ok(e.target.result); });
      const write = (records) => new Promise((ok) => {
        const tx = database.transaction('chunks', 'readwrite');
        for (const [key, value] of records) tx.objectStore('chunks').put(value, key);
        tx.oncomplete = ok;
      });
      const key = (id, p, c) => id + '/c' + String(p).padStart(7, '0') + '.' + c;
      const stereo = { id: 'test-stereo', channels: 2, frames: 2 * PAGE + 100 };
      const records = [];
      for (let p = 0; p < 3; p++) for (let c = 0; c < 2; c++) records.push([key(stereo.id, p, c), new Float32Array(p === 2 ? 100 : PAGE).fill((p + 1) * (c ? -1 : 1))]);
      const gap = { id: 'test-gap', channels: 1, frames: 3 * PAGE };
      records.push([key(gap.id, 0, 0), new Float32Array(PAGE)], [key(gap.id, 2, 0), new Float32Array(PAGE)]);
      await write(records);
      const idle = async () => {};
      const result = { stereo: await makeMirror(stereo, database, idle), gap: await makeMirror(gap, database, idle) };
      const sums = (p) => mirrorRead({ ...stereo, page: p }).map((channel) => [channel[0], channel[99], channel[100], channel[PAGE - 1]]);
      result.pages = [0, 1, 2].map(sums);
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('pages');
      result.files = [];
      for await (const name of dir.keys()) if (name.startsWith('test-')) result.files.push(name);
      result.name = mirrorName(stereo.id, stereo.channels, stereo.frames);
      postMessage(result);
    `);
  assert.equal(made2.stereo, true, 'the stereo source is mirrored');
  assert.equal(made2.gap, false, 'a source with a page missing is not');
  assert.deepEqual(made2.files, [made2.name], 'no file is left of the source with a page missing');
  assert.deepEqual(made2.pages, [[[1, 1, 1, 1], [-1, -1, -1, -1]], [[2, 2, 2, 2], [-2, -2, -2, -2]], [[3, 3, 0, 0], [-3, -3, 0, 0]]], 'each page\'s channels in their places, the last padded with silence');

  // Played from the mirror: what reaches the output is the offline render, sample for sample.
  await loopPlaysAsRendered(page, { mirrored: true });

  // Storage full (what a write of the user's audio that meets it does, `dropMirrors`): the readers
  // give their mirrors up and every one is deleted, though the session streaming them is open; it
  // exports the same from IndexedDB.
  assert.ok((await mirrorFiles(page)).length > 0);
  const deleted = await inWorker(page, "import { dropMirrors } from 'ORIGIN/page-mirror.js'; postMessage(await dropMirrors());");
  assert.deepEqual(await mirrorFiles(page), [], `every mirror deleted (${deleted})`);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), button(page, 'Export mix').click()]);
  const again = join(await artifactsDir(), 'streaming-render-dropped.wav');
  await dl.saveAs(again);
  assert.ok((await readFile(again)).equals(await readFile(join(await artifactsDir(), 'streaming-render.wav'))), 'the same export, byte for byte');
}

test('served without cross-origin isolation: the app says so, and streams through messages, the same samples', async () => {
  const plain = await serveApp({ isolated: false });
  try {
    const page = await openApp(browser, plain.url, errors);
    assert.equal(await page.evaluate(() => crossOriginIsolated), false);
    assert.match(await page.locator('.status.notice').textContent(), /not cross-origin isolated .* as messages rather than through shared memory/);
    await loopPlaysAsRendered(page);
    await page.context().close();
  } finally {
    await plain.close();
  }
});

test('a reader too slow for the play position: its track plays silence, the underruns are counted, the rest of the mix plays on', async () => {
  // A fresh browser opens the demo (its stems synthesized, held in the page); a stored track is added.
  const page = await openApp(browser, server.url, errors);
  await importNoise(page, 'Slow noise', 12);
  // A disk that answers every read 3 s late: later than the engine reads ahead (2 s).
  await page.evaluate(() => localStorage.setItem('mixroom-test-reader-delay-ms', '3000'));
  await page.reload();
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.streamedTracks), '1');
  await button(page, 'Play').click();
  const underruns = page.getByRole('status', { name: 'Underruns', exact: true });
  await underruns.waitFor({ state: 'visible', timeout: 30_000 });
  const heard = await measureOutput(page, 1000);
  assert.ok(heard.peak > 0.05, `the demo's stems play on (peak ${heard.peak})`);
  const count = Number(await page.evaluate(() => document.documentElement.dataset.underruns));
  assert.ok(count > 0, `underruns counted (${count})`);
  assert.match(await underruns.textContent(), /^\d+ underruns?$/);
  await button(page, 'Stop').click();
  await page.evaluate(() => localStorage.removeItem('mixroom-test-reader-delay-ms'));
  await page.context().close();
});

/** Puts this browser's stored audio back in layout 1, as Mixroom stored it before streaming:
 * chunks of 2^18 frames ("id/000000") under the content id (an import now stores its records under
 * a key of its own, which the audio record names as `pages`), no layout in the audio records.
 * Returns the ids. */
function toOldLayout(page) {
  return page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('mixroom');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(['audio', 'chunks'], 'readwrite');
      const audio = tx.objectStore('audio'), chunks = tx.objectStore('chunks');
      const ids = [];
      audio.openCursor().onsuccess = (e) => {
        const cursor = e.target.result;
        if (!cursor) return;
        const id = cursor.key, record = cursor.value, pages = record.pages ?? id;
        if (record.layout === 3) {
          ids.push(id);
          // Layout 3: a record per page (2^13 frames) and channel, page by page.
          const range = IDBKeyRange.bound(`${pages}/c`, `${pages}/d`);
          chunks.getAll(range).onsuccess = (r) => {
            const records = r.target.result, per = 32 * record.channels;
            for (let c0 = 0; c0 * per < records.length; c0++) {
              const part = records.slice(c0 * per, c0 * per + per);
              const channels = Array.from({ length: record.channels }, (_, ch) => {
                const mine = part.filter((_, i) => i % record.channels === ch);
                const out = new Float32Array(mine.reduce((n, p) => n + p.length, 0));
                let at = 0;
                for (const p of mine) { out.set(p, at); at += p.length; }
                return out;
              });
              chunks.put(channels, `${id}/${String(c0).padStart(6, '0')}`);
            }
            chunks.delete(range);
          };
          // The overview's detail records, under the content id too; the record naming the
          // import's key goes with it.
          const detail = IDBKeyRange.bound(`${pages}/o`, `${pages}/p`);
          chunks.getAll(detail).onsuccess = (r) => {
            r.target.result.forEach((d, n) => chunks.put(d, `${id}/o${String(n).padStart(6, '0')}`));
            if (pages !== id) chunks.delete(IDBKeyRange.bound(`${pages}/`, `${pages}/~`));
          };
          delete record.layout;
          delete record.pages;
          cursor.update(record);
        }
        cursor.continue();
      };
      tx.oncomplete = () => ok(ids);
      tx.onerror = () => fail(tx.error);
    };
  }));
}

/** Each stored audio record's layout, and how many of the records of its samples are old chunks and pages. */
function storedLayouts(page) {
  return page.evaluate(() => new Promise((ok) => {
    indexedDB.open('mixroom').onsuccess = (e) => {
      const tx = e.target.result.transaction(['audio', 'chunks']);
      const found = {};
      tx.objectStore('audio').getAll().onsuccess = (r) => { found.layouts = r.target.result.map((a) => a.layout ?? 1); };
      tx.objectStore('chunks').getAllKeys().onsuccess = (r) => {
        found.chunks = r.target.result.filter((k) => /\/\d{6}$/.test(k)).length;
        found.pages = r.target.result.filter((k) => /\/c\d{7}\.\d$/.test(k)).length;
      };
      tx.oncomplete = () => ok(found);
    };
  }));
}

test('a session stored before streaming (its audio in 2^18-frame chunks) is updated on opening, and exports the same mix', async () => {
  const page = await openApp(browser, server.url, errors);
  await importNoise(page, 'Old noise', 7);
  const exportMix = async (file) => {
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), button(page, 'Export mix').click()]);
    const path = join(await artifactsDir(), file);
    await dl.saveAs(path);
    return readFile(path);
  };
  const before = await exportMix('streaming-before-update.wav');
  assert.equal((await toOldLayout(page)).length, 1);
  const old = await storedLayouts(page);
  assert.deepEqual([old.layouts, old.chunks, old.pages], [[1], 2, 0], 'stored as before streaming');
  await page.reload();
  await waitReady(page);
  const updated = await storedLayouts(page);
  assert.deepEqual([updated.layouts, updated.chunks, updated.pages], [[3], 0, Math.ceil(7 * RATE / 8192)], 'updated to pages, the chunks gone');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.streamedTracks), '1');
  const after = await exportMix('streaming-after-update.wav');
  assert.ok(after.equals(before), 'the same export, byte for byte');
  await page.context().close();
});

/** Every stored record's key under "import-…" keys, and the audio records' `pages`. */
function importRecords(page) {
  return page.evaluate(() => new Promise((ok) => {
    indexedDB.open('mixroom').onsuccess = (e) => {
      const tx = e.target.result.transaction(['audio', 'chunks']);
      const found = {};
      tx.objectStore('audio').getAll().onsuccess = (r) => { found.pages = r.target.result.map((a) => a.pages); };
      tx.objectStore('chunks').getAllKeys(IDBKeyRange.bound('import-', 'import-~')).onsuccess = (r) => { found.keys = r.target.result; };
      tx.oncomplete = () => ok(found);
    };
  }));
}

test('a long file imports into storage without the page holding it: renderer memory stays flat, and it plays streamed', async () => {
  const page = await openApp(browser, server.url, errors);
  await button(page, 'Sessions…').click();
  await button(page, 'New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button(page, 'Close the session browser').click();
  // Twelve minutes of mono float: 138 MB. Held whole, as imports were before, the page and the
  // worker each held the file and its decode: well over twice its size.
  const minutes = 12;
  const path = join(await artifactsDir(), 'Long take.wav');
  await writeFile(path, floatWav([noise(11, minutes * 60 * RATE, 0.3)]));
  const bytes = minutes * 60 * RATE * 4;
  await new Promise((ok) => setTimeout(ok, 1000));
  const baseline = await rendererRss();
  let peak = baseline;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rendererRss());
      await new Promise((ok) => setTimeout(ok, 100));
    }
  })();
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(path);
  await page.waitForFunction(() => document.querySelectorAll('[aria-label$=" volume"][role=slider]').length > 0, null, { timeout: 600_000 });
  sampling = false;
  await sampler;
  const grew = peak - baseline;
  console.log(`importing ${(bytes / 1e6).toFixed(0)} MB: renderer memory ${(baseline / 1e6).toFixed(0)} MB before, peak ${(peak / 1e6).toFixed(0)} MB (+${(grew / 1e6).toFixed(0)} MB)`);
  assert.ok(grew < bytes / 2, `renderer memory grew ${(grew / 1e6).toFixed(0)} MB importing ${(bytes / 1e6).toFixed(0)} MB: the file or its decode was held`);
  // In storage under the import's key, streamed from there (once the engine has loaded it), and
  // named by its audio record once saved.
  await page.waitForFunction(() => document.documentElement.dataset.streamedTracks === '1', null, { timeout: 60_000 });
  await saved(page);
  const stored = await importRecords(page);
  const key = stored.pages.find((p) => p && p.startsWith('import-'));
  assert.ok(key, `the audio record names the import's key (${JSON.stringify(stored.pages)})`);
  const pages = stored.keys.filter((k) => k.startsWith(`${key}/c`)).length;
  assert.equal(pages, Math.ceil(minutes * 60 * RATE / 8192), 'every page stored');
  assert.ok(stored.keys.includes(`${key}/id`), 'with the record that says whose they are');
  // It plays: its noise (RMS 0.3 × √⅓ ≈ −15 dBFS, panned centre) reaches the output.
  await button(page, 'Play').click();
  const heard = await measureOutput(page, 1000);
  assert.ok(heard.rms > 0.02, `it plays (output RMS ${heard.rms})`);
  await button(page, 'Stop').click();
  // Reopened, the session finds its audio where the record says.
  await page.reload();
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.streamedTracks), '1');
  assert.equal(await page.locator('.offline').filter({ hasText: 'Offline' }).count(), 0, 'its track is not offline');
  await page.context().close();
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
