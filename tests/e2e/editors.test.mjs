// Plugin editors: dragging an EQ node changes what is heard, measured at the destination; the
// compressor shows its curve. Screenshots of the editors are kept as artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serveApp, launchBrowser, openApp, measureBand, artifactsDir } from './harness.mjs';

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

const button = (name) => page.getByRole('button', { name, exact: true });

test('dragging an EQ node up lifts that band in what is heard, and undo brings it back', async () => {
  await button('Edit Keys').click();
  await button('Solo Keys').click();
  await button('Play').click();
  await page.waitForTimeout(1500);
  // The keys' chords live around 200–700 Hz; the low-mid bell sits at 400 Hz.
  const band = () => measureBand(page, 1200, 330, 480);
  const before = await band();
  assert.ok(before > -80, `the keys are heard in the band (${before.toFixed(1)} dB)`);

  const node = page.getByRole('slider', { name: 'Keys EQ low-mid node', exact: true });
  const graph = await page.getByRole('img', { name: 'Keys EQ response', exact: true }).boundingBox();
  const n = await node.boundingBox();
  const [x, y] = [n.x + n.width / 2, n.y + n.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  // Up by a third of the graph's height: +12 dB on its ±18 dB scale.
  for (let i = 1; i <= 10; i++) await page.mouse.move(x, y - (graph.height / 3) * (i / 10));
  await page.mouse.up();
  const gain = Number(await node.getAttribute('aria-valuenow'));
  assert.ok(gain > 10 && gain < 14, `low-mid gain ${gain} dB`);
  await page.screenshot({ path: join(await artifactsDir(), 'eq-editor.png') });

  await page.waitForTimeout(300);
  const after = await band();
  assert.ok(after - before > 6, `330–480 Hz: ${before.toFixed(1)} → ${after.toFixed(1)} dB`);

  await page.keyboard.press('Control+z');
  assert.equal(Number(await node.getAttribute('aria-valuenow')), 0, 'undo restores the band');
  await page.waitForTimeout(300);
  const undone = await band();
  assert.ok(after - undone > 6, `after undo: ${undone.toFixed(1)} dB (boosted ${after.toFixed(1)})`);
  await button('Stop').click();
  await button('Solo Keys').click();
});

test('the compressor editor draws its curve and gain reduction', async () => {
  await button('Edit Vox').click();
  const curve = page.getByRole('img', { name: 'Vox Compressor transfer curve', exact: true });
  assert.equal(await curve.count(), 1);
  const d = await curve.locator('path.curve').getAttribute('d');
  assert.ok(d.split('L').length > 100, 'a curve of many points');
  assert.equal(await page.getByRole('meter', { name: 'Vox Compressor gain reduction', exact: true }).count(), 1);
  await page.screenshot({ path: join(await artifactsDir(), 'compressor-editor.png') });
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
