// What a hostile or unlucky user does (issue 10), done as they would do it: absurd files, names and
// times typed into the editors, reloads at the wrong moment, runs of edits to undo. Each ends with
// the session intact, a clear message, and nothing lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appForTests, artifactsDir, readWavF32, sineWav, waitReady } from './harness.mjs';

let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });
const textbox = (name) => page.getByRole('textbox', { name, exact: true });
const track = (name) => page.getByRole('group', { name: `${name} track`, exact: true });
const saved = () => page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });
const sessionName = () => page.locator('.session-name').textContent();
const level = async (name) => Number(await page.getByRole('slider', { name: `${name} volume`, exact: true }).getAttribute('aria-valuenow'));
const ceiling = 10 ** (-1 / 20) * (1 + 1e-6);

/** A WAV of 32-bit floats: `samples(i, c)` for frame i of channel c. */
function floatWav(rate, channels, frames, samples) {
  const data = Buffer.alloc(frames * channels * 4);
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) data.writeFloatLE(samples(i, c), (i * channels + c) * 4);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(3, 20); header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * channels * 4, 28); header.writeUInt16LE(channels * 4, 32); header.writeUInt16LE(32, 34);
  header.write('data', 36); header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Imports files given as { name, buffer } (names of any length: no file on disk). */
async function importFiles(files) {
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(files.map(({ name, buffer }) => ({ name, mimeType: 'audio/wav', buffer })));
}

async function exportMix(file) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), button('Export mix').click()]);
  const path = join(await artifactsDir(), file);
  await download.saveAs(path);
  return readWavF32(await readFile(path));
}

/** IndexedDB, as the app keeps it: a store's values (run in the page). */
function storedValues(store) {
  return page.evaluate((store) => new Promise((ok, fail) => {
    const open = indexedDB.open('mixroom');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const req = open.result.transaction(store).objectStore(store).getAll();
      req.onsuccess = () => { ok(req.result); open.result.close(); };
      req.onerror = () => fail(req.error);
    };
  }), store);
}

async function reload() {
  await page.reload();
  await waitReady(page);
}

test('a float file of ±1e30: the import asks first, and the master never passes its ceiling', async () => {
  await saved();
  await button('Timeline').click();
  // Full-scale noise times 1e30 for a second (legal floats, absurd values), in the Vox's place.
  let x = 12345;
  const blast = floatWav(48000, 1, 48000, () => { x = (x * 1103515245 + 12345) & 0x7fffffff; return (x & 1 ? 1e30 : -1e30) * (x / 0x7fffffff); });
  await importFiles([{ name: 'Blast.wav', buffer: blast }]);
  const question = page.getByRole('alert').filter({ hasText: 'Blast.wav peaks at' });
  await question.waitFor({ timeout: 60_000 });
  assert.match(await question.textContent(), /Blast\.wav peaks at \+600 dBFS, far beyond full scale .*Normalise it to 0 dBFS\?/);
  await button('Import as it is').click();
  await track('Blast').waitFor({ timeout: 60_000 });
  // Live: the whole mix, from the start, at the output.
  await button('Return to start').click();
  await button('Play').click();
  const heard = await page.evaluate(async () => {
    const buf = new Float32Array(2048);
    let peak = 0;
    const end = performance.now() + 1500;
    while (performance.now() < end) {
      for (const tap of window.__destinationTaps) { tap.getFloatTimeDomainData(buf); for (const v of buf) peak = Math.max(peak, Math.abs(v)); }
      await new Promise((r) => setTimeout(r, 5));
    }
    return peak;
  });
  await button('Stop').click();
  assert.ok(heard <= ceiling, `the output peaked at ${heard} (${(20 * Math.log10(heard)).toFixed(1)} dBFS), over the −1 dBFS ceiling`);
  // Exported: every sample at or under the ceiling.
  const mix = await exportMix('hardening-blast.wav');
  const peak = mix.channels.reduce((m, ch) => ch.reduce((a, v) => Math.max(a, Math.abs(v)), m), 0);
  assert.ok(peak <= ceiling && peak > 0.5, `the exported mix peaks at ${peak}`);
  // The same file, normalised: its audio is stored at full scale (its level a sane one).
  await importFiles([{ name: 'Blast again.wav', buffer: blast }]);
  await page.getByRole('alert').filter({ hasText: 'Blast again.wav peaks at' }).waitFor({ timeout: 60_000 });
  await button('Normalise to 0 dBFS').click();
  await track('Blast again').waitFor({ timeout: 60_000 });
  await saved();
  const levels = (await storedValues('audio')).map((a) => a.level).sort((a, b) => a - b);
  assert.equal(levels.length, 2);
  assert.ok(levels[0] < 0 && levels[0] > -12, `the normalised file sits below full scale: ${levels[0]} dBFS RMS`);
  assert.ok(levels[1] > 590, `the other is as it came: ${levels[1]} dBFS RMS`);
  await button('Undo').click();
  await button('Undo').click();
  assert.equal(await track('Blast').count(), 0);
});

test('what the editors accept, a reload opens: a 1 500-character name, a lyric marker, a clip at 800:00', async () => {
  // The session's name, through the session browser: cut to the longest a name can be, and said.
  await button('Sessions…').click();
  const current = await sessionName();
  await button(`Rename ${current}`).click();
  const input = page.getByRole('textbox', { name: `New name for ${current}` });
  await input.fill('n'.repeat(1500));
  await input.press('Enter');
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent.length === 256);
  assert.match(await page.locator('.session-browser .notice').textContent(), /cut to 256 characters, the longest a name can be/);
  await button('Close the session browser').click();
  // A marker named with a line of lyrics (152 characters: a name, kept whole).
  const lyric = 'And the night drive hums beneath the streetlights while the radio keeps playing songs we used to know by heart, all the way down to the sea and back ah.';
  assert.equal(lyric.length, 152);
  await button('Add marker').click();
  const marker = textbox('Marker 1 marker name');
  await marker.fill(lyric);
  await marker.press('Enter');
  // A clip typed to start at 800:00 (13 h 20 min: inside the 24-hour timeline).
  const lead = track('Lead');
  await lead.scrollIntoViewIfNeeded();
  const lanes = await page.getByRole('img', { name: 'Track lanes with clips', exact: true }).boundingBox();
  await page.mouse.click(lanes.x + lanes.width * 0.3, (await lead.boundingBox()).y + 40);
  await textbox('Clip start').fill('800:00');
  await textbox('Clip start').press('Enter');
  assert.equal(await textbox('Clip start').inputValue(), '800:00.000');
  await saved();
  await reload();
  assert.equal((await sessionName()).length, 256, 'the session opened, not the demo instead');
  assert.equal(await page.getByRole('alert').count(), 0);
  await button('Timeline').click();
  assert.ok(await page.getByRole('textbox', { name: `${lyric} marker name`, exact: true }).count() === 1, 'the marker came back whole');
  await button('Undo').click();
  await button('Fit').click();
});

test('a clip start typed as 1e15, then Fit: the start stops at the timeline\'s end, and the tab stays responsive', async () => {
  const lead = track('Lead');
  await lead.scrollIntoViewIfNeeded();
  const lanes = await page.getByRole('img', { name: 'Track lanes with clips', exact: true }).boundingBox();
  await page.mouse.click(lanes.x + lanes.width * 0.3, (await lead.boundingBox()).y + 40);
  await textbox('Clip start').fill('1e15');
  await textbox('Clip start').press('Enter');
  const start = await textbox('Clip start').inputValue();
  const [m] = start.split(':');
  assert.ok(Number(m) <= 24 * 60 && Number(m) > 23 * 60, `the clip starts within the 24-hour timeline: ${start}`);
  assert.match(await page.locator('.status.notice').textContent(), /as far as it goes .*first 24 hours/);
  // Fit lays out a whole day: the page answers at once (it froze for more than 30 s).
  await button('Fit').click({ timeout: 10_000 });
  assert.equal(await page.evaluate(() => 1 + 1), 2);
  await page.screenshot({ path: join(await artifactsDir(), 'hardening-fit-a-day.png') });
  await button('Undo').click({ timeout: 10_000 });
  await button('Fit').click({ timeout: 10_000 });
  await saved();
});

test('WAVs with impossible rates are refused with a reason; WAVs a pipe or a crash left read to their end', async () => {
  const good = sineWav({ rate: 48000, channels: 2, bits: 16, seconds: 2, freq: 440 });
  const withRate = (rate) => { const b = Buffer.from(good); b.writeUInt32LE(rate, 24); return b; };
  const withSizes = (size) => { const b = Buffer.from(good); b.writeUInt32LE(size, 4); b.writeUInt32LE(size, 40); return b; };
  await importFiles([
    { name: 'Zero hertz.wav', buffer: withRate(0) },
    { name: 'One hertz.wav', buffer: withRate(1) },
    { name: 'Piped.wav', buffer: withSizes(0xffffffff) },
    { name: 'Crashed.wav', buffer: withSizes(0) },
  ]);
  await track('Piped').waitFor({ timeout: 60_000 });
  await track('Crashed').waitFor({ timeout: 60_000 });
  for (const [name, rate] of [['Zero hertz.wav', 0], ['One hertz.wav', 1]]) {
    const failure = page.getByRole('alert').filter({ hasText: name });
    await failure.waitFor({ timeout: 60_000 });
    const text = await failure.textContent();
    assert.match(text, new RegExp(`its sample rate is ${rate} Hz, which no audio has`), text);
    assert.doesNotMatch(text, /unreachable|panic|overflow|TimeBase|riff:/);
    await button(`Dismiss the message about ${name}`).click();
  }
  await button('Undo').click();
  assert.equal(await track('Piped').count(), 0, 'the files of one pick are one undo step');
  assert.equal(await track('Crashed').count(), 0);
});

test('twenty files in one pick are one undo step; five nudges of a fader are one', async () => {
  const before = await page.locator('.track-header:not(.folder-header)').count();
  const files = Array.from({ length: 20 }, (_, i) => ({ name: `Take ${i + 1}.wav`, buffer: sineWav({ rate: 48000, channels: 1, bits: 16, seconds: 0.5, freq: 200 + 10 * i }) }));
  await importFiles(files);
  for (const { name } of files) await track(name.replace('.wav', '')).waitFor({ timeout: 120_000 });
  await button('Undo').click();
  assert.equal(await page.locator('.track-header:not(.folder-header)').count(), before, 'one undo takes the whole pick back');
  await button('Redo').click();
  assert.equal(await page.locator('.track-header:not(.folder-header)').count(), before + 20);
  // The console draws a session this size a few strips a frame: every strip arrives.
  await button('Mixer').click();
  await page.getByRole('slider', { name: 'Take 20 volume', exact: true }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.strip.track').count(), before + 20);
  await button('Undo').click();

  const kick = await level('Kick');
  const fader = page.getByRole('slider', { name: 'Kick volume', exact: true });
  await fader.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowUp');
  assert.equal(await level('Kick'), kick + 2.5);
  await button('Undo').click();
  assert.equal(await level('Kick'), kick, 'one undo takes the five nudges back');
  await button('Timeline').click();
});

test('an error about a file with a 300-character name wraps inside the window', async () => {
  const name = `${'Overhead_room_mic_take_'.repeat(13).slice(0, 296)}.wav`;
  assert.equal(name.length, 300);
  await importFiles([{ name, buffer: Buffer.concat([Buffer.from('RIFF\x24\x00\x10\x00WAVEfmt ', 'latin1'), Buffer.alloc(400, 0x5c)]) }]);
  const failure = page.getByRole('alert').filter({ hasText: 'Overhead_room' });
  await failure.waitFor({ timeout: 60_000 });
  const viewport = page.viewportSize();
  const box = await failure.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= viewport.width, `the message fits the window: ${JSON.stringify(box)}`);
  const dismiss = failure.getByRole('button');
  const x = await dismiss.boundingBox();
  assert.ok(x.x + x.width <= viewport.width, `its × is on screen: ${JSON.stringify(x)}`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the page is no wider than the window');
  await dismiss.click();
});

test('a reload right after an edit, or right after an import lands, keeps it', async () => {
  // Leaving while a change waits to be saved asks first; the change is saved meanwhile.
  page.on('dialog', (d) => d.accept());
  await button('Mixer').click();
  const box = textbox('Bass volume in dB');
  await box.fill('-13.5');
  await box.press('Enter');
  await reload();
  await button('Mixer').click();
  assert.equal(await level('Bass'), -13.5, 'the edit made just before the reload is there');
  await button('Timeline').click();
  await importFiles([{ name: 'Late take.wav', buffer: sineWav({ rate: 48000, channels: 2, bits: 24, seconds: 20, freq: 150 }) }]);
  await track('Late take').waitFor({ timeout: 60_000 });
  await reload();
  await track('Late take').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByRole('alert').count(), 0, 'its audio is there too');
});

test('renaming a session just after an edit: the field stays the user\'s until they commit', async () => {
  await button('Mixer').click();
  const box = textbox('Keys volume in dB');
  await box.fill('-4');
  await box.press('Enter');
  await button('Sessions…').click();
  const current = await sessionName();
  await button(`Rename ${current}`).click();
  const input = page.getByRole('textbox', { name: `New name for ${current}` });
  await input.fill('Night dri');
  // The autosave lands meanwhile (600 ms after the edit): the field stays, with what was typed.
  await saved();
  await page.waitForTimeout(700);
  assert.equal(await input.count(), 1, 'the rename field is still open');
  await input.pressSequentially('ve, mix 3');
  await input.press('Enter');
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Night drive, mix 3');
  await button('Close the session browser').click();
});

test('a stored session that is not a document at all is kept, and named', async () => {
  await saved();
  // Another session's record overwritten with a number, and made the one to open.
  await page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('mixroom');
    open.onsuccess = () => {
      const tx = open.result.transaction(['sessions', 'catalog', 'settings'], 'readwrite');
      tx.objectStore('sessions').put(42, 'broken');
      tx.objectStore('catalog').put({ id: 'broken', name: 'Broken mix', modified: Date.now(), bytes: 2, audio: [], demo: false }, 'broken');
      tx.objectStore('settings').put('broken', 'last-open');
      tx.oncomplete = () => { open.result.close(); ok(); };
      tx.onerror = () => fail(tx.error);
    };
  }));
  await page.reload();
  const notice = page.getByRole('alert').filter({ hasText: 'Broken mix' });
  await notice.waitFor({ timeout: 60_000 });
  assert.match(await notice.textContent(), /“Broken mix” could not be read: its record in this browser's storage is damaged\. It is kept as it was/);
  const record = await page.evaluate(() => new Promise((ok) => {
    const open = indexedDB.open('mixroom');
    open.onsuccess = () => { const r = open.result.transaction('sessions').objectStore('sessions').get('broken'); r.onsuccess = () => { ok(r.result); open.result.close(); }; };
  }));
  assert.equal(record, 42, 'the damaged record is kept as it was');
});

test('a stored session with values beyond the limits opens from the session browser, mended and said, and duplicates', async () => {
  await saved();
  // The open session stored again as "Damaged mix", with values no editor accepts (as an older
  // Mixroom or a damaged store could leave them): a pan of 7, a marker 30 hours in.
  await page.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('mixroom');
    open.onsuccess = () => {
      const tx = open.result.transaction(['sessions', 'catalog', 'settings'], 'readwrite');
      const last = tx.objectStore('settings').get('last-open');
      last.onsuccess = () => {
        const id = last.result;
        const doc = tx.objectStore('sessions').get(id);
        const entry = tx.objectStore('catalog').get(id);
        entry.onsuccess = () => {
          if (typeof doc.result !== 'string') { fail(new Error(`the stored session ${id} is ${typeof doc.result}`)); tx.abort(); return; }
          const stored = JSON.parse(doc.result);
          stored.session.name = 'Damaged mix';
          stored.session.tracks[0].pan = 7;
          stored.session.markers.push({ name: 'Far out', frame: stored.session.sample_rate * 3600 * 30 });
          stored.undo = [];
          stored.redo = [];
          tx.objectStore('sessions').put(JSON.stringify(stored), 'damaged');
          tx.objectStore('catalog').put({ ...entry.result, id: 'damaged', name: 'Damaged mix', modified: Date.now() }, 'damaged');
        };
      };
      tx.oncomplete = () => { open.result.close(); ok(); };
      tx.onerror = () => fail(tx.error);
      tx.onabort = () => fail(tx.error ?? new Error('the transaction was aborted'));
    };
  }));
  await reload();
  await button('Sessions…').click();
  await button('Open Damaged mix').click();
  const notice = page.getByRole('alert').filter({ hasText: 'Damaged mix' });
  await notice.waitFor({ timeout: 60_000 });
  assert.match(await notice.textContent(), /“Damaged mix” was opened with changes, because some of its values were beyond what Mixroom holds/);
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Damaged mix');
  // The mended session is the user's to keep working on: a copy of it opens without changes.
  await button('Duplicate Damaged mix').click();
  await button('Open Damaged mix copy').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Damaged mix copy');
  assert.equal(await page.getByRole('alert').filter({ hasText: 'opened with changes' }).count(), 0, 'the copy holds the mended values');
  await button('Close the session browser').click();
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
