// Plugin editors: dragging an EQ node changes what is heard, measured at the destination; the
// compressor shows its curve. Screenshots of the editors are kept as artifacts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { appForTests, measureBand, artifactsDir } from './harness.mjs';

let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });

// The spectrum drawn behind an EQ curve, read off the canvas as a user sees it: the top of the filled
// area in each pixel column from `low` to `high` Hz, as dBFS on its 90 dB scale, averaged as power.
const spectrumBand = (label, low, high) => page.evaluate(([label, low, high]) => {
  const canvas = document.querySelector(`canvas[aria-label="${label}"]`);
  const ctx = canvas.getContext('2d');
  const column = (hz) => Math.round((canvas.width - 1) * Math.log(hz / 20) / Math.log(1000));
  let power = 0, columns = 0;
  for (let x = column(low); x <= column(high); x++, columns++) {
    const pixels = ctx.getImageData(x, 0, 1, canvas.height).data;
    let y = 0;
    while (y < canvas.height && pixels[4 * y + 3] === 0) y++;
    power += 10 ** ((-90 * y / canvas.height) / 10);
  }
  return 10 * Math.log10(power / columns);
}, [label, low, high]);
// The band's loudest showing over a second (eight looks): music comes and goes within one look.
const spectrumBandOverASecond = async (label, low, high) => {
  let loudest = -Infinity;
  for (let i = 0; i < 8; i++, await page.waitForTimeout(125)) loudest = Math.max(loudest, await spectrumBand(label, low, high));
  return loudest;
};
const spectrumPeakHz = async (label) =>
  Number(await page.getByRole('img', { name: label, exact: true }).getAttribute('data-peak-hz'));

test('dragging an EQ node up lifts that band in what is heard, and undo brings it back', async () => {
  await button('Edit Keys').click();
  await button('Solo Keys').click();
  await button('Play').click();
  await page.waitForTimeout(1500);
  // The keys' chords live around 200–700 Hz; the low-mid bell sits at 400 Hz.
  // What is heard and what the live spectrum behind the curve shows are read over the same stretch
  // of the song (the chords change, so only simultaneous readings compare).
  const band = () => Promise.all([measureBand(page, 1200, 330, 480), spectrumBandOverASecond('Keys EQ spectrum', 330, 480)]);
  const keysPeak = await spectrumPeakHz('Keys EQ spectrum');
  assert.ok(keysPeak > 150 && keysPeak < 2000, `keys spectrum peaks at ${keysPeak} Hz (their chords)`);
  const [before, shownBefore] = await band();
  assert.ok(before > -80, `the keys are heard in the band (${before.toFixed(1)} dB)`);
  assert.ok(shownBefore > -80, `the spectrum shows the keys at 330–480 Hz (${shownBefore.toFixed(1)} dB)`);

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
  const [after, shownAfter] = await band();
  assert.ok(after - before > 6, `330–480 Hz: ${before.toFixed(1)} → ${after.toFixed(1)} dB`);
  assert.ok(shownAfter - shownBefore > 6, `the spectrum at 330–480 Hz rises with the boost: ${shownBefore.toFixed(1)} → ${shownAfter.toFixed(1)} dB (heard ${before.toFixed(1)} → ${after.toFixed(1)})`);

  await page.keyboard.press('Control+z');
  assert.equal(Number(await node.getAttribute('aria-valuenow')), 0, 'undo restores the band');
  await page.waitForTimeout(300);
  const [undone, shownUndone] = await band();
  assert.ok(after - undone > 6, `after undo: ${undone.toFixed(1)} dB (boosted ${after.toFixed(1)})`);
  assert.ok(shownAfter - shownUndone > 6, `the spectrum falls back after undo: ${shownBefore.toFixed(1)} → ${shownAfter.toFixed(1)} → ${shownUndone.toFixed(1)} dB`);

  // The spectrum follows the selected strip: the kick's energy sits low. It comes in at bar 5 (10 s);
  // until then its spectrum is empty.
  await button('Edit Kick').click();
  const seconds = async () => {
    const [m, rest] = (await page.locator('output[aria-label="Position"]').textContent()).split(':');
    return 60 * Number(m) + parseFloat(rest);
  };
  for (let i = 0; i < 100 && (await seconds()) < 11; i++) await page.waitForTimeout(250);
  assert.ok((await seconds()) >= 11, 'playback reached the kick');
  await page.waitForTimeout(700);
  const kickPeak = await spectrumPeakHz('Kick EQ spectrum');
  assert.ok(kickPeak > 0 && kickPeak < 150, `kick spectrum peaks at ${kickPeak} Hz`);
  await page.screenshot({ path: join(await artifactsDir(), 'eq-spectrum.png') });
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
