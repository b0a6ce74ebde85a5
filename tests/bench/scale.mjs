// The scale benchmark: a session of N mono tracks × M minutes at 48 kHz (imported from 24-bit WAV
// files, four at a time, as a user would), by default 64 × 6 min and 16 × 3 min — the two compared,
// since memory should not grow with the length. For each, once the import is saved:
// - open: the page reloaded, timed from the navigation's start until the app can play (its
//   `mixroom-ready` mark) and until sound reaches the destination after Play, pressed the moment
//   the button is enabled (in the page, so no round trip to node is counted). Target < 1 s.
//   "Reaches" is on the audio clock: when the first loud frame reached the destination (a long
//   tap's onset, counted back from the tap's end), not when a poll on the page's busy main thread
//   noticed it — both are recorded (`sound_ms`, `sound_noticed_ms`; `sound_clocked` false where
//   the onset could not be placed and the poll's time stands). Seeks alike (`seek_ms`,
//   `seek_noticed_ms`, `seek_clocked`).
// - play-through: the song played from its start to its end at normal speed, the renderer processes'
//   memory sampled every 2 s (max and median; target < 1.5 GB), and the underruns the app counts
//   (`<html data-underruns>`, null from an app that does not count them; target 0).
// - seek to sound: 20 clicks on the ruler while playing, from silence into a toned stretch, timed from
//   the click's pointerup until the destination hears the tone (p50/p95/max; target p95 ≤ 100 ms).
//   Of each, what the streaming reader took for the seek's first block (its report `first-block`,
//   www/stream-worker.js: from the request's arrival until its pages were all handed on — storage's
//   share of the seek): `seek_read_ms`, `seek_read_pages` (64 pages, or 128 where the first
//   85 ms reach into the next page), null where the app sent no report (the whole path).
// Every track plays its tone only in alternate 10-s stretches (0–10 s, 20–30 s, …) and is silent
// between, so a seek's arrival is heard: each seek first jumps into a silent stretch, waits for
// silence, then jumps into a toned one. The targets come from a fixed seed, so runs compare.
// Each is measured in two legs on the same stored session, in the same browser (imported once):
// `streaming`, the app as it is (the engine streams the stored audio through its reader worker),
// then `whole`, its peer — the whole-in-memory path of before streaming (the app's switch
// `mixroom-bench-whole-audio` in local storage: the session read whole into the page and handed to
// the engine whole), removed afterwards. Each open records how many tracks the engine streams
// (`<html data-streamed-tracks>`: 0 on the whole path), so the JSON shows which path ran.
// A configuration that cannot be imported is reported with the stage it failed at (every wait is
// bounded), and the next one runs; a leg that cannot be opened, played or seeked is reported with
// its stage, the kind of failure (page crash, out of memory, time-out, app error) and the memory
// reached before it (64 × 6 min whole: 4.4 GB of samples cannot be held), and the next leg runs, in
// a new page of the same browser context if the page crashed. Prints one JSON line:
// {configurations: [{tracks, minutes, …, streaming: {…}, whole: {…}}]}.
// Usage: node bench/scale.mjs [--tracks N --minutes M] [--opens 3] [--seeks 20] [--keep]
// (`--keep` leaves each configuration's browser profile, with the session stored, in
// tests/artifacts/bench-scale/, to look into.) For probing, not for the figures: `--reuse` measures
// on a profile `--keep` left (no import; kept again), `--streaming-only` skips the peer's leg and
// `--no-play-through` goes from the opens straight to the seeks (`--mirrored`: once the reader has
// mirrored every track, www/page-mirror.js).
import { open, mkdir, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { serveApp, launchPersistent, openPage, waitReady, rendererRss, installDestinationTap, ARTIFACTS } from '../e2e/harness.mjs';

const RATE = 48000;
const SEGMENT_S = 10;
/** What counts as sound and as silence at the destination (peak over the tap's last 2048 frames). */
const SOUND = 0.01, SILENCE = 1e-4;
/** The app's switch for the benchmark's peer (crates/app/src/sources.rs): with it in local storage, a
 * session opened from storage is read whole into the page and handed to the engine whole. */
const WHOLE_KEY = 'mixroom-bench-whole-audio';

const argv = process.argv.slice(2);
const option = (name, fallback) => { const i = argv.indexOf(name); return i < 0 ? fallback : Number(argv[i + 1]); };
const opens = option('--opens', 3), seeks = option('--seeks', 20);
const configs = argv.includes('--tracks') || argv.includes('--minutes')
  ? [{ tracks: option('--tracks', 16), minutes: option('--minutes', 3) }]
  : [{ tracks: 64, minutes: 6 }, { tracks: 16, minutes: 3 }];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** `promise`, or `fallback` after `ms` (the timer cleared either way, so node can exit). */
const within = (promise, ms, fallback) => {
  let timer;
  return Promise.race([promise, new Promise((r) => { timer = setTimeout(() => r(fallback), ms); })]).finally(() => clearTimeout(timer));
};
const sorted = (v) => [...v].sort((a, b) => a - b);
const median = (v) => v.length ? sorted(v)[Math.floor(v.length / 2)] : null;
/** Nearest rank; a timed-out seek is Infinity (printed as null). */
const percentile = (v, p) => v.length ? sorted(v)[Math.max(0, Math.ceil(p * v.length) - 1)] : null;
const mb = async () => Math.round(await rendererRss() / 1e6);
const log = (...a) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...a);

/** mulberry32: the seeks' targets, the same in every run. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Track `index`'s file: a 24-bit mono WAV whose tone (its own whole-Hz pitch, so each file is its
 * own audio and one second of it repeats seamlessly) sounds in the even 10-s stretches. The level
 * is 0.5/√N, so the mix is about as loud for any N. Written a second at a time: an hour is fine.
 */
async function trackWav(path, tracks, index, seconds) {
  const bytes = 44 + seconds * RATE * 3;
  if ((await stat(path).catch(() => null))?.size === bytes) return;
  const freq = 55 + 37 * index, amp = 0.5 / Math.sqrt(tracks);
  const tone = Buffer.alloc(RATE * 3), silence = Buffer.alloc(RATE * 3);
  for (let i = 0; i < RATE; i++) tone.writeIntLE(Math.round(amp * Math.sin(2 * Math.PI * freq * i / RATE) * 8388607), i * 3, 3);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(bytes - 8, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(RATE, 24); header.writeUInt32LE(RATE * 3, 28); header.writeUInt16LE(3, 32); header.writeUInt16LE(24, 34);
  header.write('data', 36); header.writeUInt32LE(bytes - 44, 40);
  const file = await open(path, 'w');
  try {
    await file.write(header);
    for (let s = 0; s < seconds; s++) await file.write(toned(s) ? tone : silence);
  } finally {
    await file.close();
  }
}
const toned = (s) => Math.floor(s / SEGMENT_S) % 2 === 0;

/**
 * Runs in the page (before the app, on every navigation): reads the destination taps, and — once,
 * after a reload the benchmark asked for — presses Play the moment it is enabled and notes when
 * sound arrives, all on the page's clock (its origin is the navigation's start).
 */
function probe([sound, silence]) {
  const buf = new Float32Array(2048);
  const peak = () => {
    let p = 0;
    for (const tap of window.__destinationTaps || []) { tap.getFloatTimeDomainData(buf); for (const x of buf) p = Math.max(p, Math.abs(x)); }
    return p;
  };
  // When sound reached the destination, on the audio clock: a poll on the page notices it only
  // when the page's main thread is free (a busy page — a console still drawing — notices it
  // hundreds of ms late, while the listener hears it). Each destination source also feeds a long
  // tap (32768 frames, 683 ms at 48 kHz): the onset is the first loud frame after its last 2048
  // quiet ones, that many frames before the tap's end — the context's current time, now on the
  // page's clock. (The context's time moves in the output's callbacks, some 10 ms: the onset is
  // that exact. Neither this nor the poll counts the output's latency to the speakers.) Null when
  // the window does not hold the onset (noticed over 640 ms late): the poll's time is used then.
  const long = [];
  const longTaps = () => {
    for (const src of window.__destinationSources || []) {
      if (long.some((l) => l.src === src)) continue;
      const analyser = src.context.createAnalyser();
      analyser.fftSize = 32768;
      src.connect(analyser);
      long.push({ src, analyser, buf: new Float32Array(analyser.fftSize) });
    }
  };
  const onset = () => {
    let heard = null;
    for (const { analyser, buf } of long) {
      const now = performance.now();
      analyser.getFloatTimeDomainData(buf);
      let i = buf.length - 1, quiet = 0;
      for (; i >= 0 && quiet < 2048; i--) quiet = Math.abs(buf[i]) < sound ? quiet + 1 : 0;
      if (quiet < 2048) continue;
      let first = i + 2049;
      while (first < buf.length && Math.abs(buf[first]) < sound) first++;
      if (first >= buf.length) continue;
      const at = now - (buf.length - first) / analyser.context.sampleRate * 1000;
      heard = heard === null ? at : Math.min(heard, at);
    }
    return heard;
  };
  // Polled on short timers (not a busy loop): the app's own tasks must run meanwhile. Resolves with
  // the time the taps first read silence (the last 2048 frames quiet), or null; for sound, with
  // {noticed, heard}: when the poll read it, and when it reached the output (the audio clock's
  // onset, else the poll's time), or null.
  window.__until = (loud, timeoutMs, since = 0) => new Promise((resolve) => {
    const end = performance.now() + timeoutMs;
    const poll = () => {
      longTaps();
      const p = peak();
      if (loud && p >= sound) {
        const noticed = performance.now();
        const heard = onset();
        // An onset is placed within the output's callback (~10 ms here, more on a loaded machine):
        // one up to 20 ms before `since` (the press that started the sound, so the sound cannot be
        // earlier) is taken as at the press; one earlier, or after the poll, is not believed.
        const clocked = heard !== null && heard >= since - 20 && heard <= noticed + 5;
        resolve({ noticed, heard: clocked ? Math.max(heard, since) : noticed, clocked, onset: heard });
      } else if (!loud && p < silence) resolve(performance.now());
      else if (performance.now() > end) resolve(null);
      else setTimeout(poll, 1);
    };
    poll();
  });
  if (sessionStorage.getItem('bench-autoplay') !== '1') return;
  sessionStorage.removeItem('bench-autoplay');
  window.__autoplay = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      const alert = document.querySelector('[role=alert]');
      if (alert) { watch.disconnect(); resolve({ error: alert.textContent }); return; }
      const play = document.querySelector('button.play');
      if (!play || play.disabled) return;
      watch.disconnect();
      const enabled = performance.now();
      // Where it plays from (the clock's "m:ss.ssss"): the session's start, as the benchmark left it.
      const start = document.querySelector('output.clock .time')?.textContent ?? null;
      play.click();
      window.__until(true, 30_000, enabled).then((heard) => resolve({ enabled, heard: heard && heard.heard, noticed: heard && heard.noticed, clocked: heard && heard.clocked, onset: heard && heard.onset, start }));
    });
    watch.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['disabled', 'role'] });
  });
}

/**
 * The benchmark's hold on a page: its waits bounded (a crash — the renderer out of memory — ends
 * every one at once instead of at its time-out, and an evaluation a stuck page never answers ends
 * at `ms`), its dialogs accepted, the probe installed.
 */
async function attach(page, errors) {
  const view = { page, dead: false };
  view.crashed = new Promise((_, fail) => page.on('crash', () => { view.dead = true; errors.push('crash: the page crashed'); fail(new Error('the page crashed')); }));
  view.crashed.catch(() => {});
  view.guard = (p, ms = 60_000) => {
    let timer;
    const late = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`the page did not answer within ${ms / 1000} s`)), ms); });
    return Promise.race([p, view.crashed, late]).finally(() => clearTimeout(timer));
  };
  // Clicks wait for a busy page (64 tracks on screen) longer than Playwright's 30 s.
  page.setDefaultTimeout(120_000);
  // Leaving with a save pending asks first: go anyway.
  page.on('dialog', (d) => d.accept().catch(() => {}));
  // The streaming reader's reports of its first blocks, and of the sources it mirrored (whole or
  // not), as they reach the page.
  await page.addInitScript(() => {
    window.__firstBlocks = [];
    window.__mirrors = { whole: 0, not: 0 };
    const Spawn = window.Worker;
    window.Worker = class extends Spawn {
      constructor(...args) {
        super(...args);
        this.addEventListener('message', (e) => {
          if (e.data && e.data.type === 'first-block') window.__firstBlocks.push({ at: performance.now(), pages: e.data.pages, ms: e.data.ms });
          if (e.data && e.data.type === 'mirror') window.__mirrors[e.data.whole ? 'whole' : 'not']++;
        });
      }
    };
  });
  await page.addInitScript(probe, [SOUND, SILENCE]);
  await view.guard(page.evaluate(probe, [SOUND, SILENCE]));
  view.button = (name) => page.getByRole('button', { name, exact: true });
  view.alerted = async () => (await view.guard(page.locator('[role=alert]').allTextContents())).join(' ');
  return view;
}

/** A new page in `context` (so with its stored session) in place of a crashed one, once the app is ready. */
async function replacement(context, url, errors) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('response', (res) => { if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`); });
  await page.addInitScript(installDestinationTap);
  await page.goto(url, { timeout: 120_000 });
  const view = await attach(page, errors);
  await view.guard(waitReady(page), 250_000);
  return view;
}

/** The renderers' memory, every second while a leg runs: what it reached before a failure. */
function sampleMemory() {
  const samples = [];
  let stopped = false, wake;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => { wake = r; setTimeout(r, 1000); });
      samples.push(await mb());
    }
  })();
  return { samples, stop: async () => { stopped = true; wake?.(); await loop; } };
}

/**
 * How a leg failed, from its error and what reached the page: the renderer crashed, memory ran out
 * (an allocation, a wasm memory's growth), a wait timed out, the app reported an error.
 */
function failureKind(message, errors) {
  const all = [message, ...errors].join('\n');
  if (/the page crashed|Target crashed|crash:/i.test(all)) return 'page crash';
  if (/out of memory|memory allocation|allocation failed|Memory\.grow|could not allocate|Array buffer allocation|RangeError: (Array buffer|Invalid typed array length)/i.test(all)) return 'out of memory';
  if (/within \d+ s|timed? ?out|Timeout \d+ms exceeded/i.test(message)) return 'time-out';
  if (/the app reported/.test(message)) return 'app error';
  return 'error';
}

/**
 * One leg on the imported session, in the page `view()` gives (a fresh one in the same context if
 * the last one crashed): `opens` reloads, each pressing Play as soon as it can, the last one played
 * through to the song's end (memory, underruns), then the seeks. `whole`: with the benchmark's peer
 * switched on (WHOLE_KEY in local storage: the session read whole into the page and handed to the
 * engine whole, as before streaming). Never throws: a failure is reported with its stage and kind,
 * and the memory reached before it.
 */
async function leg(view, { tracks, minutes, seconds, whole, errors }) {
  const name = `${tracks}×${minutes} min, ${whole ? 'whole in memory' : 'streaming'}`;
  const r = { path: whole ? 'whole' : 'streaming', failed_stage: null, failure: null, error: null };
  // Sampled from the leg's first reload on (before it, the page holds what the last stage left).
  let memory = null;
  let stage = 'switch';
  try {
    const { page, guard, button, alerted } = await view();
    await guard(page.evaluate(([key, on]) => on ? localStorage.setItem(key, '1') : localStorage.removeItem(key), [WHOLE_KEY, whole]));

    // Opens: each reload presses Play as soon as it can; the last one plays on through the song.
    stage = 'open';
    r.ready_ms = []; r.marks = []; r.sound_ms = []; r.sound_noticed_ms = []; r.sound_clocked = []; r.sound_onset_ms = []; r.play_enabled_ms = []; r.start_s = []; r.streamed_tracks = [];
    for (let k = 0; k < opens; k++) {
      // Every open from the session's start, in the Mixer view (the same for every open of both
      // legs): the play position moved (the last open's play, the play-through, the seeks) and the timeline
      // was shown. The app saves a stopped position only along with another change (Return to
      // start while stopped is not saved by itself: a reload would resume where a ruler click
      // last saved), so the view is switched away and back, and that save (600 ms after the
      // change) let land.
      await button('Stop').click();
      await button('Return to start').click();
      await button('Timeline').click();
      await button('Mixer').click();
      await page.waitForTimeout(1500);
      await guard(page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 120_000 }), 130_000);
      await guard(page.evaluate(() => sessionStorage.setItem('bench-autoplay', '1')));
      const reload = page.reload({ timeout: 120_000 });
      memory ??= sampleMemory();
      await guard(reload, 130_000);
      const played = await guard(within(page.evaluate(() => window.__autoplay), 300_000, { error: 'not playable within 300 s' }), 310_000);
      if (played.error) throw new Error(played.error.startsWith('not playable') ? played.error : `the app reported: ${played.error}`);
      // Which path ran: how many tracks the engine streams (0 on the whole-in-memory path).
      const streamed = await guard(page.evaluate(() => document.documentElement.dataset.streamedTracks));
      r.streamed_tracks.push(streamed === undefined ? null : Number(streamed));
      if (streamed !== undefined && (whole ? Number(streamed) > 0 : Number(streamed) === 0)) {
        throw new Error(whole ? `${WHOLE_KEY} is set, yet the engine streams ${streamed} tracks: not the whole-in-memory path` : 'the engine streams no track');
      }
      stage = 'play';
      if (played.heard == null) throw new Error('Play pressed, but no sound reached the destination within 30 s');
      r.ready_ms.push(Math.round(await guard(page.evaluate(() => performance.getEntriesByName('mixroom-ready')[0]?.startTime ?? NaN))));
      // Where the open's time went: the app's marks on the way (ms from the navigation's start).
      r.marks.push(await guard(page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark')
        .filter((m) => m.name.startsWith('mixroom-')).map((m) => [m.name.slice(8), Math.round(m.startTime)])))));
      r.play_enabled_ms.push(Math.round(played.enabled));
      r.sound_ms.push(Math.round(played.heard));
      r.sound_noticed_ms.push(Math.round(played.noticed));
      r.sound_clocked.push(played.clocked);
      r.sound_onset_ms.push(played.onset == null ? null : Math.round(played.onset));
      const clock = /^(\d+):(\d+(?:\.\d+)?)/.exec(played.start ?? '');
      r.start_s.push(clock ? Number(clock[1]) * 60 + Number(clock[2]) : null);
      log(`${name}: open ${k + 1}: ready ${r.ready_ms.at(-1)} ms ${JSON.stringify(r.marks.at(-1))}, sound ${r.sound_ms.at(-1)} ms (noticed ${r.sound_noticed_ms.at(-1)}; from ${r.start_s.at(-1)} s), ${r.streamed_tracks.at(-1)} tracks streamed, ${await mb()} MB`);
      stage = 'open';
    }
    r.ready_median_ms = median(r.ready_ms);
    r.sound_median_ms = median(r.sound_ms);
    r.sound_noticed_median_ms = median(r.sound_noticed_ms);
    r.rss_opened_mb = await mb();

    // The play-through: from the last open's Play until the transport stops at the song's end.
    stage = 'play';
    // The app's count since the session loaded (each load sets it to 0), on <html data-underruns>;
    // its "Underruns" status (hidden at 0) says it counts. null: an app that does not count them.
    const underruns = () => guard(page.evaluate(() => {
      const count = document.documentElement.dataset.underruns;
      return count !== undefined ? Number(count) : document.querySelector('[aria-label="Underruns"]') ? 0 : null;
    }));
    const playing = () => page.evaluate(() => document.querySelector('button.play')?.classList.contains('active'));
    const playStart = Date.now();
    r.rss_mb = [];
    if (argv.includes('--no-play-through')) await button('Stop').click();
    while (await guard(playing())) {
      if (Date.now() - playStart > (seconds + 60) * 1000) throw new Error(`still playing ${seconds + 60} s after Play`);
      r.rss_mb.push(await mb());
      if (await guard(page.locator('[role=alert]').count())) throw new Error(`the app reported: ${await alerted()}`);
      await sleep(2000);
    }
    r.play_s = (Date.now() - playStart) / 1000;
    r.underruns = await underruns();
    r.rss_max_mb = r.rss_mb.length ? Math.max(...r.rss_mb) : null;
    r.rss_median_mb = median(r.rss_mb);
    // The ruler is on the timeline: its aria-valuenow is the play position.
    await button('Timeline').click();
    r.played_to_s = Number(await page.locator('canvas.ruler').getAttribute('aria-valuenow')) / RATE;
    if (!(r.played_to_s > seconds - 1) && !argv.includes('--no-play-through')) throw new Error(`the transport stopped at ${r.played_to_s} s of a ${seconds}-s song`);
    log(`${name}: played through in ${r.play_s} s, memory max ${r.rss_max_mb} MB, ${r.underruns} underruns`);

    // Seeks: a click on the ruler (the whole song in view, fitted with 5 % more) into silence, then,
    // once the destination is silent, one into a toned stretch, timed until the tone is heard.
    stage = 'seek';
    await button('Fit').click();
    const ruler = page.getByRole('slider', { name: /Timeline ruler/ });
    const box = await ruler.boundingBox();
    const lengthS = Number(await ruler.getAttribute('aria-valuemax')) / RATE;
    const click = (s) => page.mouse.click(box.x + box.width * s / (lengthS * 1.05), box.y + box.height / 2);
    // The same targets on both legs.
    const rand = random(0x5ca1e);
    const stretches = Math.floor(seconds / SEGMENT_S);
    const pick = (tone) => {
      // A whole stretch of the kind, away from its edges: 1–4 s into silence (6 s of it still ahead,
      // more than the wait for the tone), 2–8 s into a tone.
      const kinds = [...Array(stretches).keys()].filter((k) => (k % 2 === 0) === tone);
      const k = kinds[Math.floor(rand() * kinds.length)];
      return k * SEGMENT_S + (tone ? 2 + 6 * rand() : 1 + 3 * rand());
    };
    // The page mirrors the reader has made by now (www/page-mirror.js: after a play-through, all of
    // them); `--mirrored` (probing without the play-through) waits for them first, up to 10 min.
    if (argv.includes('--mirrored')) {
      for (let waited = 0; waited < 600 && (await guard(page.evaluate(() => window.__mirrors.whole))) < tracks; waited++) await sleep(1000);
    }
    r.mirrored_at_seeks = await guard(page.evaluate(() => window.__mirrors.whole));
    await click(pick(false));
    await button('Play').click();
    r.seek_ms = []; r.seek_noticed_ms = []; r.seek_clocked = []; r.seek_at_s = []; r.seek_read_ms = []; r.seek_read_pages = [];
    let timeouts = 0;
    for (let i = 0; i < seeks; i++) {
      await click(pick(false));
      const quiet = await guard(page.evaluate(() => window.__until(false, 5000)));
      if (quiet == null) throw new Error('a seek into a silent stretch was not silent within 5 s');
      const target = pick(true);
      // Armed before the click, read after: the click's pointerup starts the clock.
      await guard(page.evaluate(() => {
        window.__seek = new Promise((resolve) => addEventListener('pointerup', (e) => {
          const t0 = e.timeStamp;
          // After the app's own handler: where the seek landed.
          setTimeout(() => { const at = Number(document.querySelector('canvas.ruler').getAttribute('aria-valuenow')); window.__until(true, 3000, t0).then((heard) => {
            const read = window.__firstBlocks.find((b) => b.at >= t0);
            window.__firstBlocks.length = 0;
            resolve({ at, ms: heard && heard.heard - t0, noticed_ms: heard && heard.noticed - t0, clocked: heard && heard.clocked, read_ms: read ? read.ms : null, read_pages: read ? read.pages : null });
          }); });
        }, { capture: true, once: true }));
      }));
      await click(target);
      const { at, ms, noticed_ms: noticed, clocked, read_ms: read, read_pages: readPages } = await guard(page.evaluate(() => window.__seek));
      const landed = at / RATE;
      if (!toned(Math.floor(landed)) || landed % SEGMENT_S < 0.5 || landed % SEGMENT_S > SEGMENT_S - 0.5) throw new Error(`a seek aimed at ${target.toFixed(2)} s landed at ${landed.toFixed(2)} s, not inside a toned stretch`);
      if (ms == null) timeouts++;
      r.seek_ms.push(ms == null ? Infinity : Math.round(ms * 10) / 10);
      r.seek_noticed_ms.push(noticed == null ? Infinity : Math.round(noticed * 10) / 10);
      r.seek_clocked.push(clocked);
      r.seek_at_s.push(Math.round(landed * 100) / 100);
      r.seek_read_ms.push(read == null ? null : Math.round(read * 10) / 10);
      r.seek_read_pages.push(readPages);
    }
    await button('Stop').click();
    const underrun = await underruns();
    r.seek_underruns = underrun === null || r.underruns === null ? null : underrun - r.underruns;
    r.seek_timeouts = timeouts;
    r.seek_p50_ms = percentile(r.seek_ms, 0.5);
    r.seek_p95_ms = percentile(r.seek_ms, 0.95);
    r.seek_max_ms = Math.max(...r.seek_ms);
    r.seek_noticed_p95_ms = percentile(r.seek_noticed_ms, 0.95);
    log(`${name}: seek to sound ${r.seek_ms.join(' ')} ms`);
    log(`${name}: of which the reader's first block ${r.seek_read_ms.map((ms, i) => `${ms}/${r.seek_read_pages[i]}p`).join(' ')} ms`);
  } catch (e) {
    r.failed_stage = stage;
    r.error = String(e?.message ?? e).split('\n')[0];
    // The renderers' memory as the failure is seen (after a crash: what is left).
    r.rss_at_failure_mb = await mb();
    // What reached the page meanwhile may say more (an allocation failed) before the crash.
    await sleep(500);
    r.failure = failureKind(r.error, errors);
    log(`${name}: failed at ${stage} (${r.failure}): ${r.error}`);
  } finally {
    await memory?.stop();
    // The most the renderers held during the leg (sampled every second from its first reload):
    // before a failure, what memory reached.
    r.rss_peak_mb = memory?.samples.length ? Math.max(...memory.samples) : null;
    if (r.failed_stage) log(`${name}: memory reached ${r.rss_peak_mb} MB, ${r.rss_at_failure_mb} MB when the failure was seen`);
    r.errors = errors.splice(0).slice(0, 20);
  }
  return r;
}

/**
 * Measures one configuration; never throws: a failure is reported with its stage. The session is
 * imported once, then measured streaming and, in the same browser, whole in memory.
 */
async function measure(server, { tracks, minutes }) {
  const seconds = Math.round(minutes * 60);
  const r = { tracks, minutes, seconds, audio_bytes: tracks * seconds * RATE * 4, failed_stage: null, error: null };
  const errors = [];
  let stage = 'generate', browser;
  const dir = join(ARTIFACTS, 'bench-scale', `${tracks}x${seconds}s`);
  const reuse = argv.includes('--reuse') && await stat(join(dir, 'profile')).then(() => true, () => false);
  try {
    if (seconds < 2 * SEGMENT_S + SEGMENT_S) throw new Error(`${seconds} s is too short: the seeks need a toned, a silent and a toned stretch (30 s)`);
    if (reuse) log(`${tracks}×${minutes} min: measuring on the kept profile`);
    else await importSession();
    // The legs start from a browser started afresh on the same profile: the renderer that
    // imported keeps the memory it used then (freed, not returned), which no open should count.
    stage = 'restart';
    browser = await launchPersistent(join(dir, 'profile'));
    let current = await attach(await openPage(browser, server.url, errors), errors);
    const context = current.page.context();
    r.rss_restarted_mb = await mb();

    // The two legs on the stored session; a page that crashed is replaced by a new one in the
    // same context (its storage), so the next leg still runs.
    stage = 'legs';
    const view = async () => {
      if (current.dead) {
        await within(current.page.close(), 10_000).catch(() => {});
        current = await replacement(context, server.url, errors);
      }
      return current;
    };
    r.streaming = await leg(view, { tracks, minutes, seconds, whole: false, errors });
    if (!argv.includes('--streaming-only')) r.whole = await leg(view, { tracks, minutes, seconds, whole: true, errors });
    // The switch off again: from a page of the origin without the app (which would load the
    // session whole once more), so it is removed even after a crash.
    const blank = await context.newPage();
    try {
      await blank.goto(new URL('bench-no-app', server.url).href, { timeout: 30_000 });
      await within(blank.evaluate((key) => localStorage.removeItem(key), WHOLE_KEY), 30_000);
    } finally {
      await within(blank.close(), 10_000).catch(() => {});
    }
  } catch (e) {
    r.failed_stage = stage;
    r.error = String(e?.message ?? e).split('\n')[0];
    log(`${tracks}×${minutes} min: failed at ${stage}: ${r.error}`);
  } finally {
    r.errors = [...(r.errors ?? []), ...errors].slice(0, 20);
    r.rss_end_mb = await mb();
    // A hung renderer must not hang the benchmark.
    await within(browser?.close(), 30_000).catch(() => {});
    if (argv.includes('--keep') || reuse) {
      log(`${tracks}×${minutes} min: kept ${join(dir, 'profile')}`);
    } else {
      await rm(dir, { recursive: true, force: true });
      await rmdir(join(ARTIFACTS, 'bench-scale')).catch(() => { /* another configuration's files */ });
    }
  }
  return r;

  /** The WAV files generated and imported into a new session in a new profile (closed after). */
  async function importSession() {
    stage = 'generate';
    await rm(join(dir, 'profile'), { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const files = [];
    for (let i = 0; i < tracks; i++) {
      const path = join(dir, `Track ${String(i + 1).padStart(2, '0')}.wav`);
      await trackWav(path, tracks, i, seconds);
      files.push(path);
    }

    log(`${tracks}×${minutes} min: ${files.length} files ready`);
    stage = 'start';
    // Storage on disk, as a user's: an off-the-record context keeps IndexedDB in memory and
    // refuses a long session's audio past about 1.3 GB.
    browser = await launchPersistent(join(dir, 'profile'));
    const { page, guard, button, alerted } = await attach(await openPage(browser, server.url, errors), errors);
    await button('Sessions…').click();
    await button('New session').click();
    await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
    await button('Close the session browser').click();
    stage = 'import';
    const started = Date.now();
    for (let i = 0; i < files.length; i += 4) {
      await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(files.slice(i, i + 4));
      // Its tracks on the console (and the master), or an error said.
      const timeout = 60_000 + 1000 * seconds;
      await guard(page.waitForFunction((n) => document.querySelectorAll('[aria-label$=" volume"][role=slider]').length >= n || document.querySelector('[role=alert]'),
        Math.min(i + 4, files.length) + 1, { timeout, polling: 500 }), timeout + 10_000);
      if (await guard(page.locator('[role=alert]').count())) throw new Error(`the app reported: ${await alerted()}`);
      log(`${tracks}×${minutes} min: ${Math.min(i + 4, files.length)} tracks imported, ${await mb()} MB`);
    }
    stage = 'save';
    const timeout = 60_000 + 20 * tracks * seconds;
    await guard(page.waitForFunction(() => document.querySelector('[role=status][aria-label="Save state: Saved"]') || document.querySelector('[role=alert]'),
      null, { timeout, polling: 500 }), timeout + 10_000);
    if (await guard(page.locator('[role=alert]').count())) throw new Error(`the app reported: ${await alerted()}`);
    r.import_s = (Date.now() - started) / 1000;
    r.rss_imported_mb = await mb();
    r.errors = errors.splice(0).slice(0, 20);

    await within(browser.close(), 30_000).catch(() => {});
    browser = undefined;
  }
}

// A kept profile's storage belongs to its origin: `--keep` and `--reuse` serve on one fixed port.
const server = await serveApp(argv.includes('--keep') || argv.includes('--reuse') ? { port: 44545 } : {});
try {
  const results = [];
  for (const config of configs) results.push(await measure(server, config));
  console.log(JSON.stringify({ configurations: results }));
} finally {
  await server.close();
}
