// Sharing a mix as collaborators do: a session of imported, mixed stems exported as a project
// file, opened in another browser (a fresh profile) — whose export equals the original's sample for
// sample — and rendered by the CLI alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { appForTests, artifactsDir, launchBrowser, openApp, readWavF32, serveApp, sineWav, ROOT } from './harness.mjs';

const CLI = process.env.MIXROOM_CLI || join(ROOT, 'target', 'release', 'mixroom');
let page;
const errors = appForTests((p) => { page = p; });

const button = (p, name) => p.getByRole('button', { name, exact: true });
const saved = (p) => p.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });

async function download(p, action, file) {
  const [d] = await Promise.all([p.waitForEvent('download', { timeout: 300_000 }), action()]);
  const path = join(await artifactsDir(), file);
  await d.saveAs(path);
  return path;
}

test('a project exported here opens in a fresh browser and exports the same mix, sample for sample', async () => {
  await saved(page);
  await button(page, 'Sessions…').click();
  await button(page, 'New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button(page, 'Close the session browser').click();
  await button(page, 'Timeline').click();
  const dir = join(await artifactsDir(), 'sharing');
  await mkdir(dir, { recursive: true });
  const stems = [
    ['Kick.wav', sineWav({ rate: 48000, channels: 1, bits: 16, seconds: 3, freq: 60 })],
    ['Room.wav', sineWav({ rate: 96000, channels: 2, bits: 24, seconds: 2, freq: 180 })],
    ['Strings.wav', sineWav({ rate: 48000, channels: 2, bits: 32, seconds: 3, freq: 440 })],
  ];
  const paths = [];
  for (const [name, bytes] of stems) { const path = join(dir, name); await writeFile(path, bytes); paths.push(path); }
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(paths);
  for (const name of ['Kick', 'Room', 'Strings']) await page.getByRole('group', { name: `${name} track`, exact: true }).waitFor({ timeout: 60_000 });
  await button(page, 'Mixer').click();
  for (const [name, db] of [['Kick', '-4.5'], ['Strings', '-9']]) {
    const box = page.getByRole('textbox', { name: `${name} volume in dB`, exact: true });
    await box.fill(db);
    await box.press('Enter');
  }
  await saved(page);
  const originalMix = await download(page, () => button(page, 'Export mix').click(), 'sharing-original.wav');
  const project = await download(page, () => button(page, 'Export project').click(), 'sharing.mixroom');
  assert.equal((await readFile(project)).subarray(0, 2).toString(), 'PK');

  // Another browser: a fresh profile, which has none of the audio.
  const server = await serveApp();
  const browser = await launchBrowser();
  try {
    const other = await openApp(browser, server.url, errors);
    await other.getByLabel('Project file to open', { exact: true }).setInputFiles(project);
    await other.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 120_000 });
    await other.getByRole('button', { name: 'Play', exact: true }).waitFor({ timeout: 60_000 });
    await other.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Play' && !b.disabled), null, { timeout: 120_000 });
    await saved(other);
    const openedMix = await download(other, () => button(other, 'Export mix').click(), 'sharing-opened.wav');
    const [a, b] = [await readFile(originalMix), await readFile(openedMix)];
    assert.ok(a.length > 100_000 && a.equals(b), 'the opened project exports the same mix, sample for sample');
    // Its audio is stored in the other browser: a reload plays it from storage.
    await other.reload();
    await other.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 60_000 });
    assert.equal(await other.getByRole('alert').count(), 0);
  } finally {
    await browser.close();
    await server.close();
  }

  // The CLI renders the project file as the browser exports it.
  const cliMix = join(await artifactsDir(), 'sharing-cli.wav');
  execFileSync(CLI, ['render', project, '-o', cliMix]);
  const [browserWav, cliWav] = [readWavF32(await readFile(originalMix)), readWavF32(await readFile(cliMix))];
  assert.equal(cliWav.channels[0].length, browserWav.channels[0].length);
  let worst = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < cliWav.channels[c].length; i++) worst = Math.max(worst, Math.abs(cliWav.channels[c][i] - browserWav.channels[c][i]));
  assert.ok(worst <= 1e-6, `the CLI's render of the project differs from the browser's export by ${worst}`);
  assert.equal(worst, 0);
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
