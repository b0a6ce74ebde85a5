// Delivery from the UI: a master (24-bit WAV), stems of three tracks and a return, and two
// alternate versions,
// made in one batch, checked, and saved as one zip — whose files are the CLI's delivery of the same
// session, sample for sample; and a part of the song (between two markers), converted and
// noise-shaped to 16-bit FLAC, byte for byte. The page answers while the batch is made (a fader dragged meanwhile
// moves, and the batch keeps the mix as it was when it began); Cancel mid-batch offers nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { inflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { appForTests, artifactsDir, readWavF32, ROOT } from './harness.mjs';

const CLI = process.env.MIXROOM_CLI || join(ROOT, 'target', 'release', 'mixroom');
let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });
const checkbox = (name) => page.getByRole('checkbox', { name, exact: true });
const fader = (name) => page.getByRole('slider', { name: `${name} volume`, exact: true });
const level = async (name) => Number(await fader(name).getAttribute('aria-valuenow'));
const panel = () => page.locator('details.delivery');

async function openPanel() {
  if (!(await panel().evaluate((d) => d.open))) await page.locator('details.delivery > summary').click();
}

async function closePanel() {
  if (await panel().evaluate((d) => d.open)) await page.locator('details.delivery > summary').click();
}

/** The entries of a zip (stored or deflated, zip64 sizes read from the extra field). */
function unzip(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'a zip has an end of central directory');
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    assert.equal(view.getUint32(at, true), 0x02014b50, 'a central directory entry');
    const method = view.getUint16(at + 10, true);
    let size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true), extraLength = view.getUint16(at + 30, true), commentLength = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = Buffer.from(bytes.subarray(at + 46, at + 46 + nameLength)).toString('utf8');
    // Zip64: the real sizes and offset in the extra field, in that order, where they overflowed.
    for (let e = at + 46 + nameLength; e < at + 46 + nameLength + extraLength;) {
      const id = view.getUint16(e, true), len = view.getUint16(e + 2, true);
      if (id === 1) {
        let f = e + 4;
        const uncompressed = view.getUint32(at + 24, true);
        if (uncompressed === 0xffffffff) f += 8;
        if (size === 0xffffffff) { size = Number(view.getBigUint64(f, true)); f += 8; }
        if (local === 0xffffffff) local = Number(view.getBigUint64(f, true));
      }
      e += 4 + len;
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const body = bytes.subarray(start, start + size);
    entries.set(name, method === 8 ? inflateRawSync(body) : Buffer.from(body));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** A 24-bit WAV's samples (interleaved integers) and its rate. */
function readWav24(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt = null, data = null;
  for (let o = 12; o + 8 <= bytes.length;) {
    const id = bytes.subarray(o, o + 4).toString('latin1'), size = view.getUint32(o + 4, true);
    if (id === 'fmt ') fmt = { channels: view.getUint16(o + 10, true), rate: view.getUint32(o + 12, true), bits: view.getUint16(o + 22, true) };
    if (id === 'data') data = { offset: o + 8, size };
    o += 8 + size + (size & 1);
  }
  assert.ok(fmt && data && fmt.bits === 24, 'a 24-bit WAV');
  const samples = new Int32Array(data.size / 3);
  for (let i = 0; i < samples.length; i++) {
    const o = data.offset + i * 3;
    samples[i] = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) << 8 >> 8;
  }
  return { rate: fmt.rate, channels: fmt.channels, samples };
}

async function downloadBy(locator, file, timeout) {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout }), locator.click()]);
  const path = join(await artifactsDir(), file);
  await dl.saveAs(path);
  return path;
}

test('a batch delivered from the UI is the CLI delivery of the same session, sample for sample', async () => {
  await openPanel();
  // The alternates, defined in the session by the tracks' roles (the demo's Vox is the lead vocal).
  await button('Add the usual versions').click();
  // Three tracks dry, and the Plate return as a stem of its own (fed by every track's sends).
  for (const name of ['Stem of Kick', 'Stem of Bass', 'Stem of Vox', 'Stem of Plate (return)', 'Deliver Instrumental', 'Deliver TV mix']) await checkbox(name).check();
  await checkbox('with their share of the effect returns').uncheck();
  await page.getByRole('combobox', { name: 'Format', exact: true }).selectOption('wav24');
  await page.getByRole('textbox', { name: 'Title', exact: true }).fill('Night Drive');
  await page.getByRole('textbox', { name: 'Artist', exact: true }).fill('The <b>Band</b>');
  await page.getByRole('textbox', { name: 'Date', exact: true }).fill('2026-11-29');
  await page.getByRole('textbox', { name: 'Date', exact: true }).press('Tab');
  await closePanel();
  // The session as the batch sees it: saved just before.
  const [saved] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), button('Save session').click()]);
  const sessionPath = join(await artifactsDir(), 'delivery.mixroom.json');
  await saved.saveAs(sessionPath);

  await openPanel();
  await button('Deliver').click();
  const job = page.locator('.delivery-job');
  await job.waitFor({ state: 'visible', timeout: 30_000 });
  // The page answers while the batch is made: the panel closes and a fader drags.
  await closePanel();
  const before = await level('Keys');
  const cap = page.locator('[role=slider][aria-label="Keys volume"] .fader-cap');
  const box = await cap.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2 - 4 * i);
  await page.mouse.up();
  const after = await level('Keys');
  assert.ok(await job.isVisible(), 'the fader was moved while the batch was being made');
  assert.ok(after > before + 2, `the Keys fader moved during the export: ${before} → ${after} dB`);
  console.log(`during the export: ${await job.textContent()} — Keys fader ${before} → ${after} dB`);

  // The batch made opens its panel with the hand-off check; then it is saved.
  const save = page.locator('.save-delivery');
  await save.waitFor({ state: 'visible', timeout: 900_000 });
  const table = await page.locator('.delivery-report').innerText();
  console.log(table);
  assert.equal(await page.locator('.delivery-report tbody tr').count(), 7, 'the mix, three stems and a return, two alternates');
  assert.match(table, /Demo_ Night Drive - Instrumental\.wav/);
  // The stems' sum check, made with the master's processing bypassed (the demo's drum bus
  // compressor keeps a stem from being exactly its share of the mix).
  const sum = await page.locator('.sum-check').innerText();
  console.log(sum);
  assert.match(sum, /^Sum check: the stems add up to their mix (exactly|within -?\d+\.\d dBFS)/);
  await page.screenshot({ path: join(await artifactsDir(), 'delivery-made.png') });
  const zipPath = await downloadBy(save, 'delivery-browser.zip', 60_000);
  assert.equal(await page.locator('.delivery-job').count(), 0);

  // The CLI's delivery of the saved session.
  const nativePath = join(await artifactsDir(), 'delivery-native.zip');
  execFileSync(CLI, ['render', sessionPath, '--format', 'wav', '--bits', '24', '--stems', 'Kick,Bass,Vox,Plate', '--dry-stems', '--alternates', 'Instrumental,TV mix',
    '--title', 'Night Drive', '--artist', 'The <b>Band</b>', '--date', '2026-11-29', '-o', nativePath], { stdio: 'inherit' });
  const ours = unzip(await readFile(zipPath));
  const native = unzip(await readFile(nativePath));
  assert.deepEqual([...ours.keys()], [...native.keys()], 'the same files, in the same order');
  assert.equal(ours.size, 7 + 2, 'seven files and the report (Markdown and JSON)');
  for (const [name, bytes] of native) {
    if (!name.endsWith('.wav')) continue;
    const a = readWav24(ours.get(name)), b = readWav24(bytes);
    assert.equal(a.rate, 48000);
    assert.equal(a.samples.length, b.samples.length, `${name}: same length`);
    let differing = 0, worst = 0, peak = 0;
    for (let i = 0; i < a.samples.length; i++) {
      const d = Math.abs(a.samples[i] - b.samples[i]);
      if (d) differing++;
      worst = Math.max(worst, d);
      peak = Math.max(peak, Math.abs(a.samples[i]));
    }
    console.log(`${name}: ${a.samples.length / 2} frames, ${differing} samples differ (worst ${worst} LSB), peak ${(20 * Math.log10(peak / 8388608)).toFixed(1)} dBFS, files ${Buffer.compare(ours.get(name), bytes) === 0 ? 'byte-identical' : 'differ in bytes'}`);
    assert.ok(peak > 1000, `${name} holds audio`);
    assert.equal(differing, 0, `${name}: the browser's delivery is the CLI's sample for sample`);
  }
  // The report inside is the CLI's too: every figure measured from the same samples (to the last
  // digits a logarithm in WebAssembly and in native code may round apart).
  const close = (a, b, path) => {
    if (typeof a === 'number' && typeof b === 'number') return assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${path}: ${a} against ${b}`);
    if (a && typeof a === 'object') {
      assert.deepEqual(Object.keys(a), Object.keys(b), path);
      for (const k of Object.keys(a)) close(a[k], b[k], `${path}.${k}`);
      return;
    }
    assert.equal(a, b, path);
  };
  close(JSON.parse(ours.get('delivery-report.json')), JSON.parse(native.get('delivery-report.json')), 'report');
  assert.ok(JSON.parse(ours.get('delivery-report.json')).sum_check.verdict.startsWith('the stems add up'), 'the report holds the sum check');
  // Tags are text: the artist's markup is carried as typed, never interpreted.
  assert.ok(ours.get('Demo_ Night Drive - Mix.wav').includes(Buffer.from('The <b>Band</b>\0')), 'LIST/INFO carries the artist as typed');
  // (So the batch kept the mix as it began: the Keys fader moved meanwhile is in the session, not
  // in these files, which equal the render of the session saved before.)
});

/** Delivers the batch the panel describes, and the CLI's of the session saved just before (with
 * `cli` options); the entries of both zips. */
async function deliverBoth(tag, cli) {
  await closePanel();
  const [saved] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), button('Save session').click()]);
  const sessionPath = join(await artifactsDir(), `delivery-${tag}.mixroom.json`);
  await saved.saveAs(sessionPath);
  await openPanel();
  await button('Deliver').click();
  const save = page.locator('.save-delivery');
  await save.waitFor({ state: 'visible', timeout: 600_000 });
  const zipPath = await downloadBy(save, `delivery-${tag}-browser.zip`, 60_000);
  await button('Discard').click();
  const nativePath = join(await artifactsDir(), `delivery-${tag}-native.zip`);
  execFileSync(CLI, ['render', sessionPath, ...cli, '--title', 'Night Drive', '--artist', 'The <b>Band</b>', '--date', '2026-11-29', '-o', nativePath], { stdio: 'inherit' });
  return [unzip(await readFile(zipPath)), unzip(await readFile(nativePath))];
}

test('between two markers as 16-bit FLAC with shaped dither, and converted to 44.1 kHz: the CLI delivery', async () => {
  await openPanel();
  await button('Discard').click();
  for (const name of ['Stem of Kick', 'Stem of Vox', 'Stem of Plate (return)', 'Deliver Instrumental', 'Deliver TV mix']) await checkbox(name).uncheck();
  await checkbox('with their share of the effect returns').check();
  await page.getByRole('combobox', { name: 'Range', exact: true }).selectOption('markers');
  await page.getByRole('combobox', { name: 'From marker', exact: true }).selectOption('Verse');
  await page.getByRole('combobox', { name: 'To marker', exact: true }).selectOption('Lead');
  await page.getByRole('combobox', { name: 'Format', exact: true }).selectOption('flac16');
  await page.getByRole('combobox', { name: 'Dither', exact: true }).selectOption('shaped');
  const [ours, native] = await deliverBoth('markers', ['--format', 'flac', '--bits', '16', '--dither', 'shaped', '--range', 'Verse..Lead', '--stems', 'Bass']);
  assert.deepEqual([...ours.keys()], ['Demo_ Night Drive - Mix.flac', 'Demo_ Night Drive - Bass.flac', 'Delivery report.md', 'delivery-report.json']);
  for (const name of ['Demo_ Night Drive - Mix.flac', 'Demo_ Night Drive - Bass.flac']) {
    const same = Buffer.compare(ours.get(name), native.get(name)) === 0;
    console.log(`${name}: ${ours.get(name).length} bytes, ${same ? 'byte-identical to' : 'differs from'} the CLI's`);
    assert.ok(same, `${name}: the browser's file is the CLI's`);
  }
  // From the Verse marker to the Lead one, exactly.
  const session = JSON.parse(await readFile(join(await artifactsDir(), 'delivery-markers.mixroom.json'), 'utf8'));
  const at = (name) => session.markers.find((m) => m.name === name).frame;
  const seconds = (at('Lead') - at('Verse')) / session.sample_rate;
  for (const f of JSON.parse(ours.get('delivery-report.json')).files) {
    assert.equal(f.bits, 16);
    assert.equal(f.seconds, seconds, `${f.file}: ${f.seconds} s`);
  }

  // Converted: the resampler's FFT runs with SIMD natively and without in WebAssembly, so the two
  // agree to float rounding, not to the bit (which noise-shaped dither would then spread).
  await page.getByRole('combobox', { name: 'Format', exact: true }).selectOption('wav32');
  await page.getByRole('combobox', { name: 'Sample rate', exact: true }).selectOption('44100');
  const [ours44, native44] = await deliverBoth('markers-44k', ['--format', 'wav', '--bits', '32', '--rate', '44100', '--range', 'Verse..Lead', '--stems', 'Bass']);
  for (const name of ['Demo_ Night Drive - Mix.wav', 'Demo_ Night Drive - Bass.wav']) {
    const a = readWavF32(ours44.get(name)), b = readWavF32(native44.get(name));
    assert.equal(a.sampleRate, 44100);
    assert.equal(a.channels[0].length, Math.round(seconds * 44100));
    assert.equal(a.channels[0].length, b.channels[0].length);
    let worst = 0;
    for (let c = 0; c < 2; c++) for (let i = 0; i < a.channels[c].length; i++) worst = Math.max(worst, Math.abs(a.channels[c][i] - b.channels[c][i]));
    console.log(`${name} at 44.1 kHz: max |browser − CLI| = ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-6, `${name}: ${worst}`);
  }
  await page.getByRole('combobox', { name: 'Sample rate', exact: true }).selectOption('0');
  await page.getByRole('combobox', { name: 'Format', exact: true }).selectOption('wav24');
});

test('Cancel mid-batch stops it and offers nothing', async () => {
  await openPanel();
  for (const name of ['Stem of Kick', 'Stem of Vox', 'Deliver Instrumental', 'Deliver TV mix']) await checkbox(name).check();
  await page.getByRole('combobox', { name: 'Range', exact: true }).selectOption('song');
  let downloads = 0;
  page.on('download', () => { downloads++; });
  await button('Deliver').click();
  const job = page.locator('.delivery-job');
  await job.waitFor({ state: 'visible', timeout: 30_000 });
  // Well into the batch: a version or more rendered.
  await page.waitForFunction(() => {
    const p = document.querySelector('.delivery-job progress');
    return p && p.value > 0.2;
  }, null, { timeout: 600_000 });
  await button('Cancel delivery').click();
  assert.equal(await job.count(), 0, 'the batch is gone');
  // Long enough for the worker to have finished what it had, had it not been terminated.
  await page.waitForTimeout(5_000);
  assert.equal(downloads, 0, 'nothing was offered');
  assert.equal(await page.locator('.save-delivery').count(), 0, 'no batch waits to be saved');
  assert.equal(await page.locator('[role=alert]').count(), 0, 'a cancel is not an error');
  // And the next batch runs as the first did.
  await button('Deliver').click();
  await job.waitFor({ state: 'visible', timeout: 30_000 });
  await button('Cancel delivery').click();
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
