// The timeline as an engineer uses it: move a clip (snapped to the grid), fade it, loop a region by
// dragging on the ruler, jump to markers — and the browser's export of the edited session still
// equals the native render.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { appForTests, readWavF32, artifactsDir, measureBand, ROOT } from './harness.mjs';

const CLI = process.env.MIXROOM_CLI || join(ROOT, 'target', 'release', 'mixroom');
const LANE = 72;
const BEAT_S = 60 / 96;
let page;
const errors = appForTests(async (p) => {
  page = p;
  await p.getByRole('button', { name: 'Timeline', exact: true }).click();
});

const button = (name) => page.getByRole('button', { name, exact: true });
const textbox = (name) => page.getByRole('textbox', { name, exact: true });
const seconds = (text) => { const [m, s] = text.split(':'); return Number(m) * 60 + Number(s); };
const clock = async () => seconds(await page.locator('.clock .time').textContent());

test('a clip dragged along its lane moves by whole beats, and undo puts it back', async () => {
  const lanes = await page.getByRole('img', { name: 'Track lanes with clips', exact: true }).boundingBox();
  // Lead is the seventh track, on the eighth row (below the Drums folder's): scrolled into view, its
  // lane is level with its header. Grab its clip in the middle, away from edges and fades.
  const lead = page.getByRole('group', { name: 'Lead track', exact: true });
  await lead.scrollIntoViewIfNeeded();
  const y = (await lead.boundingBox()).y + LANE / 2 + 10;
  const x = lanes.x + lanes.width * 0.4;
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x + 9 * i, y);
  await page.mouse.up();
  const start = seconds(await textbox('Clip start').inputValue());
  assert.ok(start > 0, `the clip moved (${start} s)`);
  const beats = start / BEAT_S;
  assert.ok(Math.abs(beats - Math.round(beats)) < 1e-3, `snapped to the beat grid: ${beats} beats`);
  // The clip panel above the arrangement has opened: bring the moved clip back into view.
  await lead.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(await artifactsDir(), 'timeline.png') });
  await page.keyboard.press('Control+z');
  assert.equal(seconds(await textbox('Clip start').inputValue()), 0);
  await page.keyboard.press('Control+Shift+z');
  assert.equal(seconds(await textbox('Clip start').inputValue()), start);
});

test('typed fades and clip gain reach the clip', async () => {
  await textbox('Clip fade in').fill('0:01.000');
  await textbox('Clip fade in').press('Enter');
  await page.getByRole('combobox', { name: 'Fade-in shape', exact: true }).selectOption('s_curve');
  await textbox('Clip gain').fill('-3');
  await textbox('Clip gain').press('Enter');
  assert.equal(await textbox('Clip fade in').inputValue(), '0:01.000');
  assert.equal(await textbox('Clip gain').inputValue(), '−3.0 dB');
});

test('dragging on the ruler sets a loop that playback stays in', async () => {
  const ruler = await page.getByRole('slider', { name: /Timeline ruler/ }).boundingBox();
  const y = ruler.y + ruler.height / 2;
  // From about 2 s to about 5 s of the song (snapped to beats).
  const lanes = await page.getByRole('img', { name: 'Track lanes with clips', exact: true }).boundingBox();
  const pxPerSecond = lanes.width / (42.5 * 1.05);
  await page.mouse.move(ruler.x + 2 * pxPerSecond, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(ruler.x + (2 + 0.3 * i) * pxPerSecond, y);
  await page.mouse.up();
  assert.equal(await button('Loop').getAttribute('aria-pressed'), 'true');
  await button('Return to start').click();
  await button('Play').click();
  // Longer than the song's first 5 s: without the loop the position would be past it.
  await page.waitForTimeout(6500);
  const at = await clock();
  assert.ok(at < 5.5, `still inside the loop after 6.5 s of playback (at ${at} s)`);
  await button('Stop').click();
  await button('Loop').click();
  assert.equal(await button('Loop').getAttribute('aria-pressed'), 'false');
});

test('markers are jumped to and renamed', async () => {
  await button('Go to Verse').click();
  // The engine reports its position a few times a second: wait for the jump to show.
  await page.waitForFunction(() => document.querySelector('.clock .time').textContent === '0:10.000', null, { timeout: 10_000 });
  assert.equal(await clock(), 10);
  await textbox('Verse marker name').fill('Verse 1');
  await textbox('Verse marker name').press('Enter');
  assert.equal(await button('Go to Verse 1').count(), 1);
});

test('track headers: rename, colour and trim a track, each undoable; a click on the ruler moves the play position', async () => {
  const header = (name) => page.getByRole('group', { name: `${name} track`, exact: true });
  await textbox('Keys name').fill('Rhodes');
  await textbox('Keys name').press('Enter');
  assert.equal(await header('Rhodes').count(), 1, 'renamed');
  await page.getByLabel('Rhodes colour', { exact: true }).fill('#d04040');
  assert.equal(await header('Rhodes').evaluate((el) => getComputedStyle(el).borderLeftColor), 'rgb(208, 64, 64)');
  await textbox('Rhodes trim in dB').fill('-6');
  await textbox('Rhodes trim in dB').press('Enter');
  assert.equal(await textbox('Rhodes trim in dB').inputValue(), '−6.0 dB');
  for (let i = 0; i < 3; i++) await button('Undo').click();
  assert.equal(await header('Keys').count(), 1, 'three undos: the name back');
  assert.equal(await textbox('Keys trim in dB').inputValue(), '0.0 dB');
  assert.notEqual(await header('Keys').evaluate((el) => getComputedStyle(el).borderLeftColor), 'rgb(208, 64, 64)');

  await button('Fit').click();
  const ruler = await page.getByRole('slider', { name: /Timeline ruler/ }).boundingBox();
  const lengthS = Number(await page.getByRole('slider', { name: /Timeline ruler/ }).getAttribute('aria-valuemax')) / 48000;
  // The view fits the session and 5 % more: 5 s in is this far along the ruler.
  await page.mouse.click(ruler.x + ruler.width * 5 / (lengthS * 1.05), ruler.y + ruler.height / 2);
  const at = await clock();
  assert.ok(Math.abs(at - 5) < 0.2, `the play position moved to the click (${at} s)`);
});

test('tracks move by dragging their grip or with its arrow keys, and their audio goes with them', async () => {
  const order = () => page.locator('.track-header:not(.folder-header) .track-name').evaluateAll((els) => els.map((e) => e.value));
  const original = await order();
  assert.deepEqual(original.slice(0, 2), ['Kick', 'Snare']);
  await button('Move Vox').scrollIntoViewIfNeeded();
  const grip = await button('Move Vox').boundingBox();
  const height = (await page.getByRole('group', { name: 'Vox track', exact: true }).boundingBox()).height;
  const [x, y] = [grip.x + grip.width / 2, grip.y + grip.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 14; i++) await page.mouse.move(x, y - 7 * height * (i / 14));
  await page.mouse.up();
  const moved = ['Vox', ...original.filter((n) => n !== 'Vox')];
  assert.deepEqual(await order(), moved, 'Vox dragged to the top');
  await page.screenshot({ path: join(await artifactsDir(), 'timeline-reordered.png') });
  await page.keyboard.press('Control+z');
  assert.deepEqual(await order(), original, 'undo puts it back');
  await page.keyboard.press('Control+Shift+z');
  assert.deepEqual(await order(), moved, 'redo moves it again');
  // From the keyboard: the grip's arrow keys move the track a place, and the focus stays on it.
  await button('Move Kick').focus();
  await page.keyboard.press('ArrowDown');
  assert.deepEqual((await order()).slice(0, 3), ['Vox', 'Snare', 'Kick']);
  await page.keyboard.press('ArrowUp');
  assert.deepEqual(await order(), moved);

  // What plays follows the tracks: in the verse (the kick is in), the soloed Kick is far heavier
  // below 90 Hz than the soloed Snare. Had the audio stayed in place, "Kick" would play the snare.
  await button('Go to Verse 1').click();
  await button('Solo Kick').click();
  await button('Play').click();
  await page.waitForTimeout(800);
  const kick = await measureBand(page, 1500, 40, 90);
  await button('Solo Kick').click();
  await button('Solo Snare').click();
  await page.waitForTimeout(300);
  const snare = await measureBand(page, 1500, 40, 90);
  await button('Solo Snare').click();
  await button('Stop').click();
  assert.ok(kick - snare > 10, `40–90 Hz: Kick ${kick.toFixed(1)} dB, Snare ${snare.toFixed(1)} dB`);
});

test('folders fold their tracks away; tracks join one from the inspector or by being dragged in', async () => {
  const order = () => page.locator('.track-header:not(.folder-header) .track-name').evaluateAll((els) => els.map((e) => e.value));
  const inFolder = (name) => page.getByRole('group', { name: `${name} track`, exact: true }).evaluate((el) => el.classList.contains('in-folder'));
  const all = ['Vox', 'Kick', 'Snare', 'Hats', 'Bass', 'Keys', 'Pad', 'Lead'];
  assert.deepEqual(await order(), all);
  assert.equal(await page.getByRole('group', { name: 'Drums folder', exact: true }).count(), 1);
  assert.ok((await inFolder('Kick')) && !(await inFolder('Bass')));

  const rowsHeight = () => page.locator('.lanes-stack').evaluate((el) => el.offsetHeight);
  const unfolded = await rowsHeight();
  await button('Fold Drums').click();
  assert.equal(await button('Fold Drums').getAttribute('aria-expanded'), 'false');
  assert.deepEqual(await order(), ['Vox', 'Bass', 'Keys', 'Pad', 'Lead'], 'the folded drums are out of sight');
  assert.equal(unfolded - (await rowsHeight()), 3 * LANE, 'their lanes too');
  await page.screenshot({ path: join(await artifactsDir(), 'timeline-folded.png') });
  await button('Fold Drums').click();
  assert.deepEqual(await order(), all);

  // From the inspector: the bass goes into the Drums folder (and so into the drum bus).
  await textbox('Bass name').click();
  await page.getByRole('combobox', { name: 'Bass folder', exact: true }).selectOption('drums');
  assert.ok(await inFolder('Bass'), 'Bass is in the folder');
  assert.equal(await page.getByRole('combobox', { name: 'Bass folder', exact: true }).inputValue(), 'drums');
  await button('Undo').click();
  assert.ok(!(await inFolder('Bass')), 'undo takes it out again');

  // Dragged onto a row inside the folder, the pad joins it.
  await button('Move Pad').scrollIntoViewIfNeeded();
  const grip = await button('Move Pad').boundingBox();
  const [x, y] = [grip.x + grip.width / 2, grip.y + grip.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(x, y - 4 * LANE * (i / 8));
  await page.mouse.up();
  assert.deepEqual(await order(), ['Vox', 'Kick', 'Pad', 'Snare', 'Hats', 'Bass', 'Keys', 'Lead']);
  assert.ok(await inFolder('Pad'), 'Pad joined the Drums folder');
  await page.screenshot({ path: join(await artifactsDir(), 'timeline-folders.png') });
});

test('the edited timeline exports exactly what the native engine renders', async () => {
  const [sessionDl] = await Promise.all([page.waitForEvent('download'), button('Save session').click()]);
  const sessionPath = join(await artifactsDir(), 'timeline.mixroom.json');
  await sessionDl.saveAs(sessionPath);
  const session = JSON.parse(await readFile(sessionPath, 'utf8'));
  const lead = session.tracks.find((t) => t.name === 'Lead');
  const pad = session.tracks.find((t) => t.name === 'Pad');
  assert.ok(pad.folder === 'drums' && pad.output === 'drums', 'the pad went into the drum folder and bus');
  assert.ok(lead.clips[0].start > 0 && lead.clips[0].fade_in === 48000 && lead.clips[0].gain_db === -3);
  const [mixDl] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), button('Export mix').click()]);
  const browserPath = join(await artifactsDir(), 'timeline-browser.wav');
  await mixDl.saveAs(browserPath);
  const nativePath = join(await artifactsDir(), 'timeline-native.wav');
  execFileSync(CLI, ['render', sessionPath, '-o', nativePath]);
  const a = readWavF32(await readFile(browserPath));
  const b = readWavF32(await readFile(nativePath));
  assert.equal(a.channels[0].length, b.channels[0].length);
  let maxDiff = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < a.channels[c].length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.channels[c][i] - b.channels[c][i]));
  console.log(`timeline render equality: ${a.channels[0].length} frames, max |diff| = ${maxDiff}`);
  assert.ok(maxDiff <= 1e-6);
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
