// Sessions that last, as a user finds them: a folder of stems of mixed formats and rates imported
// into a new session and mixed comes back after a reload with the same tracks, mix, view, undo
// history and audio (the exported mix identical to the sample); the session browser creates,
// renames, duplicates, opens and deletes sessions, and resets the demo; a full disk is reported and
// loses nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appForTests, artifactsDir, encodedFile, sineWav, waitReady } from './harness.mjs';

let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });
const track = (name) => page.getByRole('group', { name: `${name} track`, exact: true });
const level = async (name) => Number(await page.getByRole('slider', { name: `${name} volume`, exact: true }).getAttribute('aria-valuenow'));
const sessionName = () => page.locator('.session-name').textContent();
const saved = () => page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });

/** What the app keeps in IndexedDB: a store's keys, or its values mapped by `pick` (run in the page). */
function stored(store, values = false) {
  return page.evaluate(([store, values]) => new Promise((ok, fail) => {
    const open = indexedDB.open('mixroom');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const req = values ? db.transaction(store).objectStore(store).getAll() : db.transaction(store).objectStore(store).getAllKeys();
      req.onsuccess = () => { ok(req.result); db.close(); };
      req.onerror = () => fail(req.error);
    };
  }), [store, values]);
}

async function openBrowser() {
  if (await page.getByRole('dialog', { name: 'Sessions' }).count() === 0) await button('Sessions…').click();
}

async function exportMix(file) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), button('Export mix').click()]);
  const path = join(await artifactsDir(), file);
  await download.saveAs(path);
  return readFile(path);
}

async function reload() {
  await page.reload();
  await waitReady(page);
}

/** Writes the stems: WAV at three rates and depths, FLAC, MP3 and Ogg from their encoders, and a damaged file. */
async function stems() {
  const dir = join(await artifactsDir(), 'stems');
  await mkdir(dir, { recursive: true });
  const wav = async (name, options) => { const path = join(dir, name); await writeFile(path, sineWav(options)); return path; };
  const paths = [
    await wav('Kick.wav', { rate: 44100, channels: 1, bits: 16, seconds: 6, freq: 60 }),
    await wav('Room.wav', { rate: 96000, channels: 2, bits: 24, seconds: 5, freq: 180 }),
    await wav('Strings.wav', { rate: 48000, channels: 2, bits: 32, seconds: 6, freq: 440 }),
  ];
  paths.push(
    await encodedFile(dir, 'Bass.flac', { rate: 48000, channels: 1, bits: 24, seconds: 6, freq: 55 }),
    await encodedFile(dir, 'Guitar.mp3', { rate: 44100, channels: 2, bits: 16, seconds: 5, freq: 330 }),
    await encodedFile(dir, 'Keys.ogg', { rate: 44100, channels: 2, bits: 16, seconds: 5, freq: 262 }),
  );
  const broken = join(dir, 'Overheads.wav');
  await writeFile(broken, Buffer.concat([Buffer.from('RIFF\x24\x00\x10\x00WAVEfmt ', 'latin1'), Buffer.alloc(4000, 0x5c)]));
  return [...paths, broken];
}

const STEMS = ['Kick', 'Room', 'Strings', 'Bass', 'Guitar', 'Keys'];

test('stems imported into a new session and mixed come back exactly after a reload', async () => {
  await saved();
  await openBrowser();
  await button('New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button('Close the session browser').click();
  await button('Timeline').click();
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(await stems());
  for (const name of STEMS) await track(name).waitFor({ timeout: 60_000 });
  const failure = page.getByRole('alert').filter({ hasText: 'Overheads.wav' });
  await failure.waitFor({ timeout: 60_000 });
  assert.match(await failure.textContent(), /Could not import Overheads\.wav: /);
  await button('Dismiss the message about Overheads.wav').click();

  // A mix: levels typed, a mute, a pan; then the timeline is where the engineer ends up.
  await button('Mixer').click();
  for (const [name, db] of [['Bass', '-7.5'], ['Room', '-12'], ['Strings', '-3.2']]) {
    const box = page.getByRole('textbox', { name: `${name} volume in dB`, exact: true });
    await box.fill(db);
    await box.press('Enter');
  }
  await button('Mute Guitar').click();
  await button('Timeline').click();
  await saved();
  const headers = () => page.locator('.track-header').evaluateAll((hs) => hs.map((h) => h.getAttribute('aria-label')));
  const order = await headers();
  assert.deepEqual([...order].sort(), STEMS.map((n) => `${n} track`).sort());
  const before = await exportMix('sessions-before.wav');
  const levels = { Bass: -7.5, Room: -12, Strings: -3.2 };

  await reload();
  assert.equal(await sessionName(), 'Untitled session');
  assert.equal(await button('Timeline').getAttribute('aria-pressed'), 'true', 'the view came back');
  assert.deepEqual(await headers(), order, 'the same tracks in the same order');
  const after = await exportMix('sessions-after.wav');
  assert.equal(after.length, before.length);
  assert.ok(after.equals(before), 'the mix rendered after the reload is identical, sample for sample');
  await button('Mixer').click();
  for (const [name, db] of Object.entries(levels)) assert.equal(await level(name), db, `${name} fader`);
  assert.equal(await button('Mute Guitar').getAttribute('aria-pressed'), 'true');
  // The undo history came back too: the last edit was the mute.
  await button('Undo').click();
  assert.equal(await button('Mute Guitar').getAttribute('aria-pressed'), 'false');
  await button('Undo').click();
  assert.equal(await level('Strings'), 0);
  await button('Redo').click();
  await button('Redo').click();
  assert.equal(await button('Mute Guitar').getAttribute('aria-pressed'), 'true');
  await saved();
  assert.equal((await stored('audio')).length, STEMS.length, 'each source stored once');
});

test('the session browser: rename, duplicate, open, reset the demo, delete', async () => {
  await openBrowser();
  const dialog = page.getByRole('dialog', { name: 'Sessions' });
  assert.match(await dialog.locator('.storage-usage').textContent(), /Storage: .+ used of .+ this browser allows this site/);
  const rows = () => dialog.locator('tbody tr').evaluateAll((rs) => rs.map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent.trim())));
  const list = await rows();
  assert.equal(list.length, 2, `the demo and the new session: ${JSON.stringify(list)}`);
  assert.ok(list.every(([, modified, size]) => modified.length > 0 && /\d (KB|MB)$/.test(size)), JSON.stringify(list));
  const demoName = list.find(([name]) => !name.startsWith('Untitled'))[0];

  await button('Rename Untitled session').click();
  const input = dialog.getByRole('textbox', { name: 'New name for Untitled session' });
  await input.fill('Stems mix');
  await input.press('Enter');
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Stems mix');
  await saved();
  await button('Duplicate Stems mix').click();
  await button('Open Stems mix copy').waitFor();

  // The demo: change it, then reset it to how it ships.
  await button(`Open ${demoName}`).click();
  await page.waitForFunction((n) => document.querySelector('.session-name')?.textContent === n, demoName);
  await waitReady(page);
  const box = page.getByRole('textbox', { name: 'Kick volume in dB', exact: true });
  await box.fill('-20');
  await box.press('Enter');
  assert.equal(await level('Kick'), -20);
  await button('Reset the demo').click();
  for (let i = 0; i < 600 && await level('Kick') !== -2; i++) await page.waitForTimeout(100);
  assert.equal(await level('Kick'), -2, 'the demo is as it ships');

  // The copy has the same tracks, playing the same stored audio.
  await button('Open Stems mix copy').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Stems mix copy');
  await waitReady(page);
  assert.equal(await level('Bass'), -7.5);
  assert.equal((await stored('audio')).length, STEMS.length, 'the copy shares the audio');

  // Deleting the open copy opens another; the audio stays while "Stems mix" uses it.
  await button('Delete Stems mix copy').click();
  await button('Confirm deleting Stems mix copy').click();
  await button('Open Stems mix copy').waitFor({ state: 'detached' });
  await waitReady(page);
  assert.notEqual(await sessionName(), 'Stems mix copy');
  assert.equal((await stored('audio')).length, STEMS.length);
  await button('Delete Stems mix').click();
  await button('Confirm deleting Stems mix').click();
  await button('Open Stems mix').waitFor({ state: 'detached' });
  assert.deepEqual(await stored('catalog'), ['demo']);
  assert.equal((await stored('audio')).length, 0, 'audio no session uses is deleted with the last one that did');
  await page.screenshot({ path: join(await artifactsDir(), 'sessions.png') });
  await page.keyboard.press('Escape');
  assert.equal(await page.getByRole('dialog', { name: 'Sessions' }).count(), 0, 'Escape closes the session browser');
});

test('a full disk: the save fails with a clear message, nothing is lost, and it saves once there is room', async () => {
  await openBrowser();
  await button('New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await saved();
  await button('Close the session browser').click();
  // A full disk, simulated at IndexedDB's own API: from now on every write transaction is aborted
  // by the "browser" with QuotaExceededError — once its first write lands, or when it is committed
  // (the app commits its saves at once) — as Chromium does when the site's quota is used up.
  // (DevTools' quota override does not stop IndexedDB here: it stored 4.6 MB over a 139 KB
  // override.)
  await page.evaluate(() => {
    const put = IDBObjectStore.prototype.put;
    const commit = IDBTransaction.prototype.commit;
    window.__fullDisk = true;
    IDBObjectStore.prototype.put = function (...args) {
      const request = put.apply(this, args);
      const tx = this.transaction;
      if (window.__fullDisk && !tx.__failing) {
        tx.__failing = true;
        Object.defineProperty(tx, 'error', { get: () => new DOMException('The quota has been exceeded.', 'QuotaExceededError') });
        request.addEventListener('success', () => { if (!tx.__ended) { tx.__ended = true; tx.abort(); } });
      }
      return request;
    };
    IDBTransaction.prototype.commit = function () {
      if (this.__failing) {
        this.__ended = true;
        return this.abort();
      }
      return commit.call(this);
    };
  });
  const dir = join(await artifactsDir(), 'stems');
  const big = join(dir, 'Long take.wav');
  await writeFile(big, sineWav({ rate: 48000, channels: 2, bits: 32, seconds: 12, freq: 200 }));
  await button('Timeline').click();
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles([big]);
  await track('Long take').waitFor({ timeout: 60_000 });
  const alert = page.getByRole('alert').filter({ hasText: 'Not saved' });
  await alert.waitFor({ timeout: 60_000 });
  const message = await alert.textContent();
  assert.match(message, /Not saved: the browser's storage for this site is full .*Everything is still open here, and the last save is intact\./);
  await page.screenshot({ path: join(await artifactsDir(), 'quota-exceeded.png') });
  // The last good save is whole: the session without the new track, and no audio half-written.
  const catalog = await stored('catalog', true);
  const entry = catalog.find((e) => e.name === 'Untitled session');
  assert.deepEqual(entry.audio, []);
  assert.equal((await stored('audio')).length, 0);
  assert.equal(await track('Long take').count(), 1, 'the track is still in the open session');

  await page.evaluate(() => { window.__fullDisk = false; });
  await button('Save now').click();
  await saved();
  await reload();
  await track('Long take').waitFor({ timeout: 60_000 });
  assert.equal((await stored('audio')).length, 1);
});

test('the same session opened in a second tab: the first stops saving it and says so', async () => {
  const second = await page.context().newPage();
  await second.goto(page.url());
  await waitReady(second);
  const notice = page.getByRole('alert').filter({ hasText: 'was opened in another tab' });
  await notice.waitFor({ timeout: 30_000 });
  assert.match(await notice.textContent(), /this tab no longer saves it\. Reload this tab to take it back\./);
  assert.equal(await page.locator('.save-state').textContent(), 'Not saved');
  // An edit in the first tab is not saved over the second's.
  const before = (await stored('catalog', true)).find((e) => e.name === 'Untitled session').modified;
  await button('Undo').click();
  await page.waitForTimeout(1500);
  assert.equal((await stored('catalog', true)).find((e) => e.name === 'Untitled session').modified, before);
  await second.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });
  await second.close();
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
