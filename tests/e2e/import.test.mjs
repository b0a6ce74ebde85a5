// Importing audio as a user does: several files at once through the picker — WAV in three sample
// formats and rates, FLAC, MP3 and Ogg Vorbis from their reference encoders — with a damaged one
// among them. Each good file becomes a track (decoded and
// resampled in a Web Worker) that plays; the damaged one is named with its reason; one undo and one
// redo take the whole import back and forth.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { appForTests, artifactsDir, encodedFile, measureOutput, sineWav } from './harness.mjs';

let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });
const track = (name) => page.getByRole('group', { name: `${name} track`, exact: true });

const wav = sineWav;

test('several files of mixed formats and rates become tracks that play; a damaged one says why', async () => {
  const dir = join(await artifactsDir(), 'import');
  await mkdir(dir, { recursive: true });
  const files = {
    'Guitar DI.wav': wav({ rate: 44100, channels: 1, bits: 16, seconds: 4, freq: 220 }),
    'Room mics.wav': wav({ rate: 48000, channels: 2, bits: 32, seconds: 3, freq: 330 }),
    'Synth.wav': wav({ rate: 96000, channels: 2, bits: 24, seconds: 2, freq: 440 }),
    // A WAV header that promises audio, then garbage where the format chunk should be.
    'broken.wav': Buffer.concat([Buffer.from('RIFF\x24\x00\x10\x00WAVEfmt ', 'latin1'), Buffer.alloc(4000, 0xa7)]),
  };
  const paths = [];
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, bytes);
    paths.push(path);
  }
  // The compressed formats, made by their reference encoders (Debian's flac, lame, oggenc).
  paths.push(
    await encodedFile(dir, 'Bass DI.flac', { rate: 48000, channels: 1, bits: 24, seconds: 3, freq: 55 }),
    await encodedFile(dir, 'Vocal take.mp3', { rate: 44100, channels: 2, bits: 16, seconds: 3, freq: 300 }),
    await encodedFile(dir, 'Pad bus.ogg', { rate: 44100, channels: 2, bits: 16, seconds: 3, freq: 500 }),
  );

  await button('Timeline').click();
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(paths);

  for (const name of ['Guitar DI', 'Room mics', 'Synth', 'Bass DI', 'Vocal take', 'Pad bus']) {
    await track(name).waitFor({ timeout: 60_000 });
  }
  const failure = page.getByRole('alert').filter({ hasText: 'broken.wav' });
  await failure.waitFor({ timeout: 60_000 });
  assert.match(await failure.textContent(), /Could not import broken\.wav: /);
  assert.equal(await track('Kick').count(), 1, 'the session kept its tracks');
  await page.screenshot({ path: join(await artifactsDir(), 'import.png') });
  await button('Dismiss the message about broken.wav').click();

  /** Solos a track, plays the start, and returns the output's RMS (the solo is undone after). */
  const alone = async (name) => {
    await track(name).scrollIntoViewIfNeeded();
    await button(`Solo ${name}`).click();
    await button('Return to start').click();
    await button('Play').click();
    await page.waitForTimeout(600);
    const heard = await measureOutput(page, 800);
    await button('Stop').click();
    await button(`Solo ${name}`).click();
    return heard.rms;
  };
  // The imported guitar plays, alone.
  const guitar = await alone('Guitar DI');
  assert.ok(guitar > 0.01, `the imported track is heard (RMS ${guitar})`);
  // The tracks that were there keep their audio in the engine through the imports (moved into
  // each reloaded engine, not sent again): the keys (playing from the first bar) still play.
  const keys = await alone('Keys');
  assert.ok(keys > 0.01, `the keys are still heard after the imports (RMS ${keys})`);

  // The files of one pick arrive as one undoable step: four undos for the solos, one for the files.
  const imported = ['Guitar DI', 'Room mics', 'Synth', 'Bass DI', 'Vocal take', 'Pad bus'];
  for (let i = 0; i < 4; i++) await button('Undo').click();
  for (const name of imported) assert.equal(await track(name).count(), 1, `${name} is still there after undoing the solos`);
  await button('Undo').click();
  for (const name of imported) assert.equal(await track(name).count(), 0, `one undo takes ${name} back with the rest`);
  assert.equal(await track('Kick').count(), 1);
  assert.equal(await button('Undo').isDisabled(), true, 'nothing older to undo');
  await button('Redo').click();
  for (const name of imported) assert.equal(await track(name).count(), 1, `one redo brings ${name} back`);
});

test('a file dropped on the timeline is imported too', async () => {
  const bytes = wav({ rate: 48000, channels: 1, bits: 16, seconds: 1, freq: 660 });
  await page.evaluate(({ name, b64 }) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], name, { type: 'audio/wav' }));
    const lanes = document.querySelector('canvas.lanes');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      lanes.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
  }, { name: 'Dropped loop.wav', b64: bytes.toString('base64') });
  await track('Dropped loop').waitFor({ timeout: 60_000 });
  await button('Undo').click();
  assert.equal(await track('Dropped loop').count(), 0);
});

test('files dropped onto a track land after it, in their order, in its folder', async () => {
  const files = ['Snare top.wav', 'Snare bottom.wav'].map((name, i) => ({ name, b64: wav({ rate: 48000, channels: 1, bits: 16, seconds: 1, freq: 300 + 100 * i }).toString('base64') }));
  // Dropped on the Snare's lane (at the height of its header), not on the header itself.
  await track('Snare').scrollIntoViewIfNeeded();
  await page.evaluate((files) => {
    const transfer = new DataTransfer();
    for (const { name, b64 } of files) transfer.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, { type: 'audio/wav' }));
    const header = document.querySelector('[aria-label="Snare track"]').getBoundingClientRect();
    const lanes = document.querySelector('canvas.lanes');
    const at = { clientX: lanes.getBoundingClientRect().left + 200, clientY: header.top + header.height / 2 };
    for (const type of ['dragenter', 'dragover', 'drop']) {
      lanes.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true, ...at }));
    }
  }, files);
  await track('Snare bottom').waitFor({ timeout: 60_000 });
  await track('Snare top').waitFor({ timeout: 60_000 });
  const order = await page.locator('.track-header:not(.folder-header)').evaluateAll((hs) => hs.map((h) => h.getAttribute('aria-label').replace(/ track$/, '')));
  const snare = order.indexOf('Snare');
  assert.deepEqual(order.slice(snare, snare + 4), ['Snare', 'Snare top', 'Snare bottom', 'Hats'], order.join(', '));
  for (const name of ['Snare top', 'Snare bottom']) assert.ok(await track(name).evaluate((h) => h.classList.contains('in-folder')), `${name} is in the Drums folder`);
  // One drop, one undo.
  await button('Undo').click();
  assert.equal(await track('Snare top').count(), 0);
  assert.equal(await track('Snare bottom').count(), 0);
});

test('Cancel stops an import under way: nothing is added', async () => {
  // Three minutes of 24-bit stereo at 96 kHz (104 MB): seconds of decoding and resampling.
  const path = join(await artifactsDir(), 'import', 'Long take.wav');
  await writeFile(path, wav({ rate: 96000, channels: 2, bits: 24, seconds: 180, freq: 110 }));
  const tracksBefore = await page.locator('.track-header:not(.folder-header)').count();
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles([path]);
  await button('Cancel importing Long take.wav').click({ timeout: 30_000 });
  await page.waitForFunction(() => !document.querySelector('[aria-label="Importing Long take.wav"]'), null, { timeout: 10_000 });
  // Long enough for the import to have finished, had it not been stopped.
  await page.waitForTimeout(8000);
  assert.equal(await track('Long take').count(), 0, 'no track from the cancelled file');
  assert.equal(await page.locator('.track-header:not(.folder-header)').count(), tracksBefore);
  assert.equal(await page.getByRole('alert').count(), 0, 'a cancel is not an error');
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
