// Automation drawn on the timeline, as an engineer edits lanes: a lane shown under its track from
// the track's menu; points added by clicking, dragged, selected by rubber band, deleted, added at
// the play position from the keyboard, typed in their units; a pencil stroke and a line. Then a
// mix with a fader ride, a send throw, an EQ sweep, mute steps and a plugin bypass — all drawn
// here — exports from the browser exactly as the CLI renders its saved session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { appForTests, artifactsDir, readWavF32, ROOT, savedSession as saveSession, waitReady } from './harness.mjs';

const CLI = process.env.MIXROOM_CLI || join(ROOT, 'target', 'release', 'mixroom');
let page;
const errors = appForTests((p) => { page = p; });

const savedSession = (name) => saveSession(page, name);

const laneOf = (session, track, param) => (session.tracks.find((t) => t.name === track).automation || []).find((l) => l.param === param);
const lane = (name) => page.getByRole('group', { name: `${name} automation`, exact: true });
const points = (name) => lane(name).getByRole('img');

async function showLane(track, param) {
  await page.getByRole('combobox', { name: `${track} automation lane to show`, exact: true }).selectOption(param);
}

/** A click on a lane at (x, y) px from its top left. */
/** Brings a lane to the middle of the timeline's view: at an edge, the sticky ruler above the
 *  tracks (or the bar under the view) could take a click meant for the lane's top or bottom. */
async function centre(name) {
  await lane(name).evaluate((el) => el.scrollIntoView({ block: 'center' }));
}

async function clickLane(name, x, y, modifiers = []) {
  await centre(name);
  const box = await lane(name).boundingBox();
  for (const m of modifiers) await page.keyboard.down(m);
  await page.mouse.click(box.x + x, box.y + y);
  for (const m of modifiers) await page.keyboard.up(m);
}

async function dragLane(name, [x0, y0], [x1, y1], steps = 8) {
  await centre(name);
  const box = await lane(name).boundingBox();
  await page.mouse.move(box.x + x0, box.y + y0);
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) await page.mouse.move(box.x + x0 + ((x1 - x0) * i) / steps, box.y + y0 + ((y1 - y0) * i) / steps);
  await page.mouse.up();
}

async function tool(name) {
  await page.getByRole('combobox', { name: 'Automation tool', exact: true }).selectOption(name);
}

test('points are added, moved, selected, deleted and typed on a lane', async () => {
  await page.getByRole('button', { name: 'Timeline', exact: true }).click();
  await showLane('Vox', 'fader');
  await lane('Vox Volume').waitFor();
  await lane('Vox Volume').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(await artifactsDir(), 'automation-lane.png') });
  assert.equal(await points('Vox Volume').count(), 0);
  // Snap off: points land where clicked.
  await page.getByRole('checkbox', { name: 'Snap to grid', exact: true }).uncheck();
  await clickLane('Vox Volume', 200, 20);
  await clickLane('Vox Volume', 400, 50);
  await clickLane('Vox Volume', 600, 30);
  assert.equal(await points('Vox Volume').count(), 3);
  let { session } = await savedSession('lanes-3.mixroom.json');
  let vol = laneOf(session, 'Vox', 'fader').points;
  assert.equal(vol.length, 3);
  assert.ok(vol[0].frame < vol[1].frame && vol[1].frame < vol[2].frame);
  assert.ok(vol[0].value > vol[1].value, 'higher on the lane is louder');

  // Drag the second point up: its value rises, its time stays near.
  const before = vol[1];
  await dragLane('Vox Volume', [400, 50], [402, 35]);
  ({ session } = await savedSession('lanes-moved.mixroom.json'));
  vol = laneOf(session, 'Vox', 'fader').points;
  assert.ok(vol[1].value > before.value + 1, `${before.value} → ${vol[1].value}`);
  assert.ok(Math.abs(vol[1].frame - before.frame) < 48_000 * 0.5);

  // The selected point's value typed in dB.
  const value = page.getByRole('textbox', { name: 'Vox Volume point value', exact: true });
  await value.fill('-12');
  await value.press('Enter');
  ({ session } = await savedSession('lanes-typed.mixroom.json'));
  assert.equal(laneOf(session, 'Vox', 'fader').points[1].value, -12);
  const time = page.getByRole('textbox', { name: 'Vox Volume point time', exact: true });
  await time.fill('0:05.000');
  await time.press('Enter');
  ({ session } = await savedSession('lanes-timed.mixroom.json'));
  assert.ok(laneOf(session, 'Vox', 'fader').points.some((p) => p.frame === 5 * 48_000 && p.value === -12));

  // Keyboard: + adds a point at the play position (the start), Delete removes the selection.
  await lane('Vox Volume').focus();
  await page.keyboard.press('+');
  assert.equal(await points('Vox Volume').count(), 4);
  await page.keyboard.press('Delete');
  assert.equal(await points('Vox Volume').count(), 3);

  // A rubber band over the two later points (at 8 s and about 24 s), then Delete; one undo
  // brings them back.
  await dragLane('Vox Volume', [180, 2], [700, 68]);
  await lane('Vox Volume').focus();
  await page.keyboard.press('Delete');
  assert.equal(await points('Vox Volume').count(), 1);
  await page.keyboard.press('Control+z');
  assert.equal(await points('Vox Volume').count(), 3);
});

test('a pencil stroke and a line replace the curve under them', async () => {
  await tool('Pencil');
  await dragLane('Vox Volume', [750, 10], [950, 60], 30);
  let { session } = await savedSession('lanes-pencil.mixroom.json');
  const drawn = laneOf(session, 'Vox', 'fader').points;
  assert.ok(drawn.length >= 5, JSON.stringify(drawn));
  await tool('Line');
  await dragLane('Vox Volume', [760, 60], [940, 12]);
  ({ session } = await savedSession('lanes-line.mixroom.json'));
  const line = laneOf(session, 'Vox', 'fader').points;
  assert.ok(line.length < drawn.length, 'the line replaced the stroke under it');
  await tool('Pointer');
});

test('a mix drawn on lanes — fader ride, send throw, EQ sweep, mute steps, bypass — exports as the CLI renders it', async () => {
  // Send throw: the echo send (send 2) up for a stretch.
  await showLane('Vox', 'send/1/level');
  await clickLane('Vox Send 2 level', 300, 60);
  await clickLane('Vox Send 2 level', 320, 10);
  await clickLane('Vox Send 2 level', 380, 10);
  await clickLane('Vox Send 2 level', 400, 60);
  // EQ sweep: the high-mid gain of the EQ in slot 4, a line across.
  await showLane('Vox', 'insert/3/himid_gain');
  await tool('Line');
  await dragLane('Vox EQ 4: High-mid gain', [100, 60], [900, 10]);
  await tool('Pointer');
  // Mute steps on Keys.
  await showLane('Keys', 'mute');
  await clickLane('Keys Mute', 250, 60);
  await clickLane('Keys Mute', 350, 10);
  await clickLane('Keys Mute', 450, 60);
  // The de-esser bypassed for a while.
  await showLane('Vox', 'insert/1/bypass');
  await clickLane('Vox De-esser 2: bypass', 500, 10);
  await clickLane('Vox De-esser 2: bypass', 650, 60);

  // The master's fader dips at the end, drawn on its own row; the drum bus (its folder's row)
  // comes up for a while.
  await showLane('Master', 'fader');
  await clickLane('Master Volume', 700, 20);
  await clickLane('Master Volume', 800, 50);
  await showLane('Drums', 'fader');
  await clickLane('Drums Volume', 300, 20);
  await clickLane('Drums Volume', 500, 45);

  const { session, path } = await savedSession('lanes-mix.mixroom.json');
  const busLane = (strip, param) => (strip.automation || []).find((l) => l.param === param);
  assert.equal(busLane(session.master, 'fader').points.length, 2);
  assert.equal(busLane(session.buses.find((b) => b.name === 'Drums'), 'fader').points.length, 2);
  assert.ok(laneOf(session, 'Vox', 'send/1/level').points.length === 4);
  assert.ok(laneOf(session, 'Vox', 'insert/3/himid_gain').points.length >= 2);
  assert.deepEqual(laneOf(session, 'Keys', 'mute').points.map((p) => p.value), [0, 1, 0]);
  assert.deepEqual(laneOf(session, 'Vox', 'insert/1/bypass').points.map((p) => p.value), [1, 0]);

  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 300_000 }),
    page.getByRole('button', { name: 'Export mix', exact: true }).click(),
  ]);
  const browserPath = join(await artifactsDir(), 'lanes-browser.wav');
  await dl.saveAs(browserPath);
  const nativePath = join(await artifactsDir(), 'lanes-native.wav');
  execFileSync(CLI, ['render', path, '-o', nativePath], { stdio: 'inherit' });
  const ours = readWavF32(await readFile(browserPath));
  const native = readWavF32(await readFile(nativePath));
  assert.equal(ours.channels[0].length, native.channels[0].length);
  let maxDiff = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < ours.channels[c].length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours.channels[c][i] - native.channels[c][i]));
  console.log(`drawn automation render equality: max |browser − native| = ${maxDiff}`);
  assert.ok(maxDiff <= 1e-6, `max abs difference ${maxDiff}`);
  assert.deepEqual(errors, []);
});

test('the lanes open on the timeline are open again after a reload', async () => {
  const open = ['Vox Volume', 'Vox Send 2 level', 'Vox EQ 4: High-mid gain', 'Keys Mute', 'Vox De-esser 2: bypass', 'Master Volume', 'Drums Volume'];
  for (const name of open) assert.equal(await lane(name).count(), 1, name);
  await page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });
  await page.reload();
  await waitReady(page);
  for (const name of open) await lane(name).waitFor({ timeout: 30_000 });
  assert.equal(await points('Keys Mute').count(), 3, 'with their points');
  await lane('Master Volume').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(await artifactsDir(), 'automation-strip-rows.png') });
  assert.deepEqual(errors, []);
});
