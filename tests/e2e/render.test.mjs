// The same engine renders offline in the browser and natively: a mix edited in the browser, exported
// there (OfflineAudioContext with the worklet) and rendered by the native CLI from the saved session
// file, must agree sample for sample.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { appForTests, readWavF32, artifactsDir, ROOT } from './harness.mjs';

const CLI = process.env.MIXROOM_CLI || join(ROOT, 'target', 'release', 'mixroom');
let page;
const errors = appForTests((p) => { page = p; });

async function download(buttonName, file, timeout) {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout }),
    page.getByRole('button', { name: buttonName, exact: true }).click(),
  ]);
  const path = join(await artifactsDir(), file);
  await dl.saveAs(path);
  return path;
}

test('the browser export equals the native render of the same session', async () => {
  // Edit the mix as a user would, so the comparison covers the controls, not just the defaults.
  const typeInto = async (name, text) => {
    const box = page.getByRole('textbox', { name, exact: true });
    await box.fill(text);
    await box.press('Enter');
  };
  await typeInto('Bass volume in dB', '-6');
  await typeInto('Keys pan value', 'L40');
  await page.getByRole('button', { name: 'Mute Lead', exact: true }).click();
  await typeInto('Master volume in dB', '-1.5');
  // And through the inspector: an insert parameter, a new insert, a re-routing.
  await page.getByRole('button', { name: 'Edit Vox', exact: true }).click();
  await typeInto('Vox Compressor Threshold value', '-42');
  await page.getByRole('button', { name: 'Edit Keys', exact: true }).click();
  await page.getByRole('combobox', { name: 'Insert to add', exact: true }).selectOption('saturation');
  await page.getByRole('button', { name: 'Add insert', exact: true }).click();
  await typeInto('Keys Saturation Drive value', '25.2');
  await page.getByRole('button', { name: 'Edit Lead', exact: true }).click();
  await page.getByRole('combobox', { name: 'Lead output', exact: true }).selectOption('drums');
  await page.getByRole('button', { name: 'Edit Keys', exact: true }).click();
  await page.screenshot({ path: join(await artifactsDir(), 'inspector-keys.png') });

  const sessionPath = await download('Save session', 'edited.mixroom.json', 30_000);
  const session = JSON.parse(await readFile(sessionPath, 'utf8'));
  const track = (name) => session.tracks.find((t) => t.name === name);
  assert.equal(track('Bass').fader_db, -6);
  assert.equal(session.master.fader_db, -1.5);
  assert.equal(track('Keys').pan, -0.4);
  assert.equal(track('Lead').mute, true);
  assert.equal(track('Lead').output, 'drums');
  assert.ok(Math.abs(track('Vox').inserts[2].params.threshold - (-60 + 60 * 0.3)) < 0.01, JSON.stringify(track('Vox').inserts[2]));
  assert.equal(track('Keys').inserts.at(-1).kind, 'saturation');
  assert.ok(Math.abs(track('Keys').inserts.at(-1).params.drive - 36 * 0.7) < 0.01);

  const browserPath = await download('Export mix', 'browser-mix.wav', 300_000);
  const nativePath = join(await artifactsDir(), 'native-mix.wav');
  execFileSync(CLI, ['render', sessionPath, '-o', nativePath], { stdio: 'inherit' });

  const ours = readWavF32(await readFile(browserPath));
  const native = readWavF32(await readFile(nativePath));
  assert.equal(ours.sampleRate, 48000);
  assert.equal(ours.channels.length, 2);
  assert.equal(ours.channels[0].length, native.channels[0].length, 'same length');
  let maxDiff = 0, peak = 0;
  for (let c = 0; c < 2; c++) {
    const a = ours.channels[c], b = native.channels[c];
    for (let i = 0; i < a.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      peak = Math.max(peak, Math.abs(a[i]));
    }
  }
  console.log(`render equality: ${ours.channels[0].length} frames, max |browser − native| = ${maxDiff}, peak ${peak}`);
  assert.ok(peak > 0.1, `the export should hold the mix (peak ${peak})`);
  assert.ok(maxDiff <= 1e-6, `max abs difference ${maxDiff} exceeds 1e-6`);
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
