// The open benchmark: a 16-track, 3-minute session (12 mono and 4 stereo tracks, 48 kHz, imported
// from 24-bit WAV files as a user would) is opened from IndexedDB by reloading the page, and timed
// from the navigation's start until the app can play (its `mixroom-ready` performance mark: the
// engine running with every track, the audio at the play position read) and until every sample is
// read (`mixroom-audio-read`: the rest streams in behind). The peer, measured in the same page after
// each open: reading everything stored of the session's audio straight out of IndexedDB (`getAll`
// of its records and chunks, plain JavaScript) — the floor for an open that reads the audio whole. Memory: the renderer processes' resident size
// (VmRSS, which holds the page, its wasm and the AudioWorklet) and the JS heap, after the last open.
// Prints one JSON line. Usage: node bench/open.mjs [opens=5]
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serveApp, launchBrowser, openApp, waitReady, sineWav, rendererRss, ARTIFACTS } from '../e2e/harness.mjs';

const opens = Number(process.argv[2] || 5);
const server = await serveApp();
const browser = await launchBrowser();

try {
  const errors = [];
  const page = await openApp(browser, server.url, errors);
  const button = (name) => page.getByRole('button', { name, exact: true });
  await button('Sessions…').click();
  await button('New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button('Close the session browser').click();

  const dir = join(ARTIFACTS, 'bench-open');
  await mkdir(dir, { recursive: true });
  const files = [];
  for (let i = 0; i < 16; i++) {
    const path = join(dir, `Track ${String(i + 1).padStart(2, '0')}.wav`);
    // Each file different (its own pitch), so each is stored as its own audio.
    await writeFile(path, sineWav({ rate: 48000, channels: i < 12 ? 1 : 2, bits: 24, seconds: 180, freq: 55 + 37 * i }));
    files.push(path);
  }
  // Four files at a time: the import itself is not what is measured here.
  for (let i = 0; i < files.length; i += 4) {
    await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(files.slice(i, i + 4));
    await page.waitForFunction((n) => document.querySelectorAll('[aria-label$=" volume"][role=slider]').length >= n, i + 4 + 1, { timeout: 600_000 });
  }
  await page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 600_000 });

  const times = [], floors = [], allRead = [], stages = [];
  let rss = 0, heap = null;
  for (let run = 0; run < opens; run++) {
    await page.reload();
    await waitReady(page);
    times.push(await page.evaluate(() => performance.getEntriesByName('mixroom-ready')[0]?.startTime));
    // Until the last sample is in (the rest streams in behind the play position).
    await page.waitForFunction(() => performance.getEntriesByName('mixroom-audio-read').length > 0, null, { timeout: 300_000 });
    allRead.push(await page.evaluate(() => performance.getEntriesByName('mixroom-audio-read')[0].startTime));
    stages.push(await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').filter((m) => m.name.startsWith('mixroom-')).map((m) => [m.name.slice(8), Math.round(m.startTime)]))));
    if (run === opens - 1) {
      // Memory of the open session, before the peer reads a second copy of the audio.
      await page.waitForTimeout(2000);
      rss = await rendererRss();
      heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
    }
    floors.push(await page.evaluate(() => new Promise((ok, fail) => {
      const t0 = performance.now();
      const open = indexedDB.open('mixroom');
      open.onerror = () => fail(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction(['audio', 'chunks']);
        const meta = tx.objectStore('audio').getAll();
        const chunks = tx.objectStore('chunks').getAll();
        tx.oncomplete = () => { open.result.close(); ok({ ms: performance.now() - t0, records: meta.result.length + chunks.result.length }); };
        tx.onerror = () => fail(tx.error);
      };
    })));
  }
  const tracks = await page.locator('[aria-label$=" volume"][role=slider]').count() - 1;
  const audioBytes = 180 * 48000 * 4 * (12 + 4 * 2);
  const sorted = (v) => [...v].sort((a, b) => a - b);
  const median = (v) => sorted(v)[Math.floor(v.length / 2)];
  const open = median(times), floor = median(floors.map((f) => f.ms));
  console.log(JSON.stringify({
    tracks, seconds: 180, channels: 20, audio_bytes: audioBytes, opens,
    open_ms: times, open_median_ms: open,
    stages_ms: stages, all_audio_read_ms: allRead, all_audio_read_median_ms: median(allRead),
    idb_read_ms: floors.map((f) => f.ms), idb_read_median_ms: floor, records: floors[0].records,
    ratio_to_idb_read: open / floor,
    renderer_rss_bytes: rss, js_heap_bytes: heap,
    errors,
  }));
} finally {
  await browser.close();
  await server.close();
}
