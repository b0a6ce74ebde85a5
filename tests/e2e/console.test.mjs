// The console as an engineer uses it: drag a fader (Shift for fine), type a level, undo and redo,
// double-click to reset, and the keyboard (select, M, S, Space).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveApp, launchBrowser, openApp, artifactsDir } from './harness.mjs';

let server, browser, page;
const errors = [];

before(async () => {
  server = await serveApp();
  browser = await launchBrowser();
  page = await openApp(browser, server.url, errors);
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const fader = (name) => page.getByRole('slider', { name: `${name} volume`, exact: true });
const level = async (name) => Number(await fader(name).getAttribute('aria-valuenow'));
const button = (name) => page.getByRole('button', { name, exact: true });

/** Drags the fader's cap vertically by `dy` pixels (negative is up), optionally holding Shift. */
async function drag(name, dy, shift = false) {
  const box = await fader(name).boundingBox();
  const cap = page.locator(`[role=slider][aria-label="${name} volume"] .fader-cap`);
  const c = await cap.boundingBox();
  const x = c.x + c.width / 2;
  const y = c.y + c.height / 2;
  assert.ok(box && c);
  if (shift) await page.keyboard.down('Shift');
  await page.mouse.move(x, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(x, y + (dy * i) / 10);
  await page.mouse.up();
  if (shift) await page.keyboard.up('Shift');
}

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

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
