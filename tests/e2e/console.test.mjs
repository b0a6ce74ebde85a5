// The console as an engineer uses it: drag a fader (Shift for fine), type a level, undo and redo,
// double-click to reset, the keyboard (select, M, S, Space), and the rest of the strip: pan, insert
// slots, send knobs with pre/post, output routing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { appForTests, artifactsDir } from './harness.mjs';

let page;
const errors = appForTests((p) => { page = p; });

const fader = (name) => page.getByRole('slider', { name: `${name} volume`, exact: true });
const level = async (name) => Number(await fader(name).getAttribute('aria-valuenow'));
const button = (name) => page.getByRole('button', { name, exact: true });

/** Presses on `locator` and moves the mouse by (dx, dy) pixels in ten steps, optionally holding Shift. */
async function dragBy(locator, dx, dy, shift = false) {
  const c = await locator.boundingBox();
  assert.ok(c, 'the control is on screen');
  const x = c.x + c.width / 2;
  const y = c.y + c.height / 2;
  if (shift) await page.keyboard.down('Shift');
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x + (dx * i) / 10, y + (dy * i) / 10);
  await page.mouse.up();
  if (shift) await page.keyboard.up('Shift');
}

/** Drags the fader's cap vertically by `dy` pixels (negative is up). */
const drag = (name, dy, shift = false) =>
  dragBy(page.locator(`[role=slider][aria-label="${name} volume"] .fader-cap`), 0, dy, shift);

test('dragging a fader moves it, and the whole drag undoes in one step', async () => {
  const start = await level('Keys');
  assert.equal(start, -8);
  await drag('Keys', -40);
  const moved = await level('Keys');
  assert.ok(moved > start + 2, `Keys moved from ${start} to ${moved} dB`);
  await page.keyboard.press('Control+z');
  assert.equal(await level('Keys'), start, 'one undo restores the level before the drag');
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await level('Keys'), moved, 'redo brings the drag back');
  await page.keyboard.press('Control+z');
});

test('Shift makes a drag ten times finer', async () => {
  const start = await level('Pad');
  await drag('Pad', -20, true);
  const fine = await level('Pad') - start;
  await page.keyboard.press('Control+z');
  await drag('Pad', -20);
  const coarse = await level('Pad') - start;
  await page.keyboard.press('Control+z');
  assert.ok(fine > 0 && coarse > 5 * fine, `fine ${fine} dB, coarse ${coarse} dB`);
});

test('a typed level sets the fader; undo and redo walk through it', async () => {
  const box = page.getByRole('textbox', { name: 'Vox volume in dB', exact: true });
  await box.fill('-12');
  await box.press('Enter');
  assert.equal(await level('Vox'), -12);
  await button('Undo').click();
  assert.equal(await level('Vox'), -4);
  await button('Redo').click();
  assert.equal(await level('Vox'), -12);
  await fader('Vox').dblclick();
  assert.equal(await level('Vox'), 0, 'double-click resets to 0 dB');
});

test('the keyboard selects strips, mutes and solos them, and runs the transport', async () => {
  await button('Edit Snare').click();
  await page.locator('body').click({ position: { x: 5, y: 700 } });
  await page.keyboard.press('m');
  assert.equal(await button('Mute Snare').getAttribute('aria-pressed'), 'true');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('s');
  assert.equal(await button('Solo Hats').getAttribute('aria-pressed'), 'true');
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+z');
  assert.equal(await button('Mute Snare').getAttribute('aria-pressed'), 'false');
  assert.equal(await button('Solo Hats').getAttribute('aria-pressed'), 'false');
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('button.play.active'));
  await page.keyboard.press(' ');
  await page.waitForFunction(() => !document.querySelector('button.play.active'), null, { timeout: 10_000 });
  await page.screenshot({ path: join(await artifactsDir(), 'console.png') });
});

const slider = (name) => page.getByRole('slider', { name, exact: true });
const textbox = (name) => page.getByRole('textbox', { name, exact: true });
const typeInto = async (name, text) => {
  await textbox(name).fill(text);
  await textbox(name).press('Enter');
};

test('pan: drag (Shift ten times finer), double-click to centre, type a position', async () => {
  const pan = slider('Bass pan');
  const position = async () => Number(await pan.getAttribute('aria-valuenow'));
  assert.equal(await pan.getAttribute('aria-valuetext'), 'C');
  await dragBy(pan, 30, 0, true);
  const fine = (await position()) - 50;
  await page.keyboard.press('Control+z');
  assert.equal(await position(), 50, 'the fine drag undoes in one step');
  await dragBy(pan, 30, 0);
  const coarse = (await position()) - 50;
  assert.ok(fine > 0 && coarse > 5 * fine, `fine moved ${fine} %, coarse ${coarse} %`);
  assert.match(await pan.getAttribute('aria-valuetext'), /^R\d+$/);
  await pan.dblclick();
  assert.equal(await pan.getAttribute('aria-valuetext'), 'C', 'double-click centres the pan');
  await typeInto('Bass pan value', 'L30');
  assert.equal(await pan.getAttribute('aria-valuetext'), 'L30');
  await pan.focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await pan.getAttribute('aria-valuetext'), 'L28', 'an arrow moves 1 % of the travel (two pan steps)');
});

test('send knobs on the strip: drag to set the level, switch pre/post, type it in the inspector', async () => {
  const knob = slider('Vox send to Plate');
  assert.equal(await knob.getAttribute('aria-valuetext'), '−9.0 dB');
  await dragBy(knob, 0, -40);
  const raised = await knob.getAttribute('aria-valuetext');
  assert.ok(parseFloat(raised.replace('−', '-')) > -9, `dragging up raises the send: ${raised}`);
  await page.keyboard.press('Control+z');
  assert.equal(await knob.getAttribute('aria-valuetext'), '−9.0 dB', 'undo restores the send level');
  const pre = button('Vox send to Plate pre-fader');
  assert.equal(await pre.getAttribute('aria-pressed'), 'false');
  await pre.click();
  assert.equal(await pre.getAttribute('aria-pressed'), 'true');
  await button('Edit Vox').click();
  await typeInto('Vox send to Plate level in dB', '-3');
  assert.equal(await knob.getAttribute('aria-valuetext'), '−3.0 dB', 'a level typed in the inspector moves the knob');
  await knob.dblclick();
  assert.equal(await knob.getAttribute('aria-valuetext'), '0.0 dB', 'double-click resets a send to 0 dB');
});

test('insert slots show the chain in order; click opens the editor, the power button bypasses', async () => {
  const slots = page.getByRole('list', { name: 'Vox inserts', exact: true }).getByRole('button');
  const names = await slots.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
  assert.deepEqual(names.filter((n) => n.endsWith(' insert')), ['Vox Filters insert', 'Vox De-esser insert', 'Vox Compressor insert', 'Vox EQ insert'], `slots: ${names}`);
  await button('Bypass Compressor on Vox').click();
  assert.equal(await button('Bypass Compressor on Vox').getAttribute('aria-pressed'), 'true');
  await button('Vox Compressor insert').click();
  const editor = page.getByRole('group', { name: 'Vox Compressor', exact: true });
  await editor.waitFor();
  assert.ok(await page.getByRole('checkbox', { name: 'Bypass Vox Compressor', exact: true }).isChecked(), 'the editor shows the bypass');
  await page.keyboard.press('Control+z');
  assert.equal(await button('Bypass Compressor on Vox').getAttribute('aria-pressed'), 'false');
  // A fifth insert: the strip keeps its height, showing four and a slot that opens the rest.
  await page.getByRole('combobox', { name: 'Insert to add', exact: true }).selectOption('gate');
  await button('Add insert').click();
  assert.equal(await button('Vox Gate insert').count(), 0, 'the fifth is not on the strip');
  await button('1 more insert on Vox').click();
  await page.getByRole('group', { name: 'Vox Gate', exact: true }).waitFor();
  await button('Undo').click();
  assert.equal(await button('Add insert on Vox').count(), 1, 'undo: four inserts and the empty slot again');
});

test('the output selector on the strip routes it to a bus', async () => {
  const output = page.getByRole('combobox', { name: 'Keys output', exact: true });
  assert.equal(await output.inputValue(), 'master');
  await output.selectOption('drums');
  assert.equal(await output.inputValue(), 'drums');
  await page.keyboard.press('Control+z');
  assert.equal(await output.inputValue(), 'master');
  await page.screenshot({ path: join(await artifactsDir(), 'console-strips.png') });
});

test("a clip lights the strip's indicator until it is clicked; the limiter's gain reduction shows", async () => {
  // The keys (playing from the first bar) 36 dB hotter: their strip goes over full scale, and the
  // master limiter pulls the mix down.
  await typeInto('Keys volume in dB', '+12');
  await button('Edit Keys').click();
  await typeInto('Keys trim value', '+24');
  const clip = button('Clear clip on Keys');
  assert.equal(await clip.getAttribute('aria-pressed'), 'false');
  await button('Play').click();
  await page.waitForFunction(() => document.querySelector('[aria-label="Clear clip on Keys"]').getAttribute('aria-pressed') === 'true', null, { timeout: 10_000 });
  // The meter reading comes with the next meter message, maybe just after the clip's: wait for
  // it (the limiter must get there within the time-out), then read it.
  const meter = page.getByRole('meter', { name: 'Master gain reduction', exact: true });
  await page.waitForFunction(() => Number(document.querySelector('[aria-label="Master gain reduction"]').getAttribute('aria-valuenow')) > 3, null, { timeout: 10_000 }).catch(() => {});
  const reduction = Number(await meter.getAttribute('aria-valuenow'));
  assert.ok(reduction > 3, `the master limiter reduces by ${reduction} dB`);
  await button('Stop').click();
  await button('Undo').click();
  await button('Undo').click();
  assert.equal(await textbox('Keys volume in dB').inputValue(), '−8.0 dB', 'levels back');
  await page.waitForTimeout(1000);
  assert.equal(await clip.getAttribute('aria-pressed'), 'true', 'the indicator holds after the overload');
  await clip.click();
  assert.equal(await clip.getAttribute('aria-pressed'), 'false', 'a click clears it');
  const master = button('Clear clip on Master');
  assert.equal(await master.getAttribute('aria-pressed'), 'false', 'the limited master never clipped');
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
