// Reference tracks as an engineer uses them: import a finished record into the session's
// references, switch between it and the mix during playback with one button or the B key, hear it
// at the mix's loudness (matched by the engine over the looped section: the loudness reaching the
// speakers, K-weighted as BS.1770 weighs it, is the same within 0.5 LU), see its spectrum over the
// mix's with the difference per octave band — and never find it in an export. The reference stays
// with the session across a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appForTests, artifactsDir, floatWav, measureOutput, noise, waitReady } from './harness.mjs';

const RATE = 48000;
let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });
const abSwitch = () => page.locator('.ab-switch button.ab');

/**
 * The K-weighted power reaching the speakers, in dB (BS.1770's weighting: its two biquads at
 * 48 kHz, their magnitude response applied to the output analyser's power spectrum, averaged over
 * `ms` after its earlier readings have been let go). Both signals here are the same on the two channels, so the analyser's mono downmix is
 * each channel; differences of this figure are differences of loudness, in LU.
 */
async function kWeightedLevel(ms) {
  return page.evaluate(async (ms) => {
    const tap = window.__destinationTaps[0];
    const bins = new Float32Array(tap.frequencyBinCount);
    const rate = tap.context.sampleRate;
    const stage = (b, a, w) => {
      const re = (c) => c[0] + c[1] * Math.cos(w) + c[2] * Math.cos(2 * w);
      const im = (c) => -(c[1] * Math.sin(w) + c[2] * Math.sin(2 * w));
      return (re(b) ** 2 + im(b) ** 2) / (re(a) ** 2 + im(a) ** 2);
    };
    const shelf = [[1.53512485958697, -2.69169618940638, 1.19839281085285], [1, -1.69065929318241, 0.73248077421585]];
    const highpass = [[1, -2, 1], [1, -1.99004745483398, 0.99007225036621]];
    const weight = [...bins].map((_, k) => { const w = 2 * Math.PI * k / tap.fftSize; return stage(...shelf, w) * stage(...highpass, w); });
    if (rate !== 48000) throw new Error(`the weighting is for 48 kHz, not ${rate} Hz`);
    // The analyser blends each reading with the one before it (at every call, not over time):
    // 30 readings first let go of what it held, 0.8^30 of it.
    for (let k = 0; k < 30; k++) {
      tap.getFloatFrequencyData(bins);
      await new Promise((r) => setTimeout(r, 10));
    }
    let sum = 0, readings = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      tap.getFloatFrequencyData(bins);
      for (let k = 1; k < bins.length; k++) sum += 10 ** (bins[k] / 10) * weight[k];
      readings++;
      await new Promise((r) => setTimeout(r, 25));
    }
    return 10 * Math.log10(sum / readings);
  }, ms);
}

async function exportMix(dir, file) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 300_000 }), button('Export mix').click()]);
  const path = join(dir, file);
  await download.saveAs(path);
  return readFile(path);
}

test('a reference plays at the mix loudness on A/B, its spectrum lies over the mix, and no export contains it', async () => {
  const dir = join(await artifactsDir(), 'references');
  await mkdir(dir, { recursive: true });
  const frames = RATE * 8;
  // The mix: a mono pink-noise track, quiet. The reference: white noise, the same on both sides,
  // far louder and far brighter — matching by level alone (RMS) would miss by several dB.
  const verse = join(dir, 'Verse.wav');
  await writeFile(verse, floatWav([noise(3, frames, 0.08, true)]));
  const white = noise(5, frames, 0.5, false);
  const theirs = join(dir, 'Their master.wav');
  await writeFile(theirs, floatWav([white, white]));

  await page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });
  await button('Sessions…').click();
  await button('New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button('Close the session browser').click();
  await button('Timeline').click();
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles([verse]);
  await page.getByRole('group', { name: 'Verse track', exact: true }).waitFor({ timeout: 60_000 });
  const plain = await exportMix(dir, 'without-reference.wav');

  // A loop over about 2–6 s of the song, dragged on the ruler (the whole song in view).
  await button('Fit').click();
  const ruler = await page.getByRole('slider', { name: /Timeline ruler/ }).boundingBox();
  const lanes = await page.getByRole('img', { name: 'Track lanes with clips', exact: true }).boundingBox();
  const pxPerSecond = lanes.width / (8 * 1.05);
  const y = ruler.y + ruler.height / 2;
  await page.mouse.move(ruler.x + 2 * pxPerSecond, y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(ruler.x + (2 + 0.4 * i) * pxPerSecond, y);
  await page.mouse.up();
  await page.screenshot({ path: join(await artifactsDir(), 'references-loop.png') });
  assert.equal(await button('Loop').getAttribute('aria-pressed'), 'true');


  // The reference, imported from the References panel: listed, selected, its loudness measured.
  assert.equal(await abSwitch().isDisabled(), true, 'no reference, no B');
  await page.getByText('References', { exact: true }).click();
  await page.getByLabel('Import a reference track', { exact: true }).setInputFiles([theirs]);
  const listed = page.locator('.reference', { hasText: 'Their master' });
  await listed.waitFor({ timeout: 60_000 });
  assert.equal(await listed.getByRole('radio').isChecked(), true);
  assert.match(await listed.locator('.reference-loudness').textContent(), /^-?\d+\.\d LUFS$/);
  await page.getByText('References', { exact: true }).click();
  assert.equal(await abSwitch().textContent(), 'A: Mix');

  // Two passes of the loop: the engine has measured both over it.
  await button('Return to start').click();
  await button('Play').click();
  await page.waitForTimeout(9_000);
  const gainText = await page.getByLabel('Reference gain', { exact: true }).textContent();
  const gain = Number(gainText.replace('ref ', '').replace(' dB', ''));
  assert.ok(gain < -10, `the loud reference is turned down to the mix: ${gainText}`);
  const a = await kWeightedLevel(2_000);
  const aRms = (await measureOutput(page, 500)).rms;
  await page.keyboard.press('b');
  assert.equal(await abSwitch().getAttribute('aria-pressed'), 'true');
  assert.equal(await abSwitch().textContent(), 'B: Their master');
  // (The output analyser averages each reading with those before: 600 ms are let go.)
  await page.waitForTimeout(600);
  const b = await kWeightedLevel(2_000);
  const bRms = (await measureOutput(page, 500)).rms;
  console.log(`loudness matching: gain ${gainText}; K-weighted A ${a.toFixed(2)} dB, B ${b.toFixed(2)} dB; RMS A ${aRms.toFixed(4)}, B ${bRms.toFixed(4)}`);
  assert.ok(Math.abs(b - a) <= 0.5, `the reference plays ${(b - a).toFixed(2)} LU from the mix`);
  // Level alone would not have matched them: the two differ in RMS by over 1.5 dB at equal loudness.
  assert.ok(Math.abs(20 * Math.log10(bRms / aRms)) > 1.5, `RMS A ${aRms} against B ${bRms}`);

  // Unmatched, the reference is far louder: the matching is what brought it down.
  await page.getByText('References', { exact: true }).click();
  await page.getByLabel('Loudness matching', { exact: true }).selectOption({ label: 'Do not match loudness' });
  await page.getByText('References', { exact: true }).click();
  await page.waitForTimeout(600);
  const unmatched = await kWeightedLevel(1_000);
  assert.ok(unmatched - a > 10, `unmatched, the reference is ${(unmatched - a).toFixed(1)} LU above the mix`);
  await page.getByText('References', { exact: true }).click();
  await page.getByLabel('Loudness matching', { exact: true }).selectOption({ label: 'Match loudness over what plays' });
  await page.getByText('References', { exact: true }).click();

  // The button switches back to the mix.
  await abSwitch().click();
  assert.equal(await abSwitch().textContent(), 'A: Mix');
  await page.waitForTimeout(600);
  const again = await kWeightedLevel(1_000);
  assert.ok(Math.abs(again - a) < 0.5, `back on the mix: ${again.toFixed(2)} against ${a.toFixed(2)}`);

  // The overlay: the reference's spectrum over the mix's, with the same smoothing; white noise
  // against pink rises by 3 dB an octave, which the per-band difference reads.
  await page.getByText('Spectrum', { exact: true }).click();
  await page.getByLabel('Spectrum smoothing', { exact: true }).selectOption({ label: '1/3 octave' });
  await page.waitForTimeout(2_500);
  const spectrum = page.getByRole('img', { name: 'Master spectrum', exact: true });
  const levels = {};
  for (const f of ['100hz', '1khz', '5khz']) {
    levels[f] = { mix: Number(await spectrum.getAttribute(`data-at-${f}`)), reference: Number(await spectrum.getAttribute(`data-reference-at-${f}`)) };
  }
  const cells = await page.locator('.band-differences td').allTextContents();
  const bands = cells.map((t) => Number(t.replace('−', '-')));
  await page.screenshot({ path: join(await artifactsDir(), 'references-overlay.png') });
  await page.getByText('Spectrum', { exact: true }).click();
  console.log('overlay:', JSON.stringify(levels), 'reference less mix per octave band:', cells.join(' '));
  for (const [f, l] of Object.entries(levels)) {
    assert.ok(l.mix > -90 && l.reference > -90, `both spectra are drawn at ${f}: ${JSON.stringify(l)}`);
  }
  assert.equal(bands.length, 9);
  assert.ok(bands.every(Number.isFinite), `every band has a difference: ${cells}`);
  // 125 Hz to 8 kHz is six octaves: about 18 dB more tilt in the white noise.
  const tilt = bands[7] - bands[1];
  assert.ok(tilt > 12 && tilt < 24, `white against pink from 125 Hz to 8 kHz: ${tilt.toFixed(1)} dB`);

  // Listening to the reference, the export is the mix alone, to the bit (and the song, though
  // Loop is on).
  await abSwitch().click();
  await button('Stop').click();
  assert.equal(await abSwitch().getAttribute('aria-pressed'), 'true');
  const withReference = await exportMix(dir, 'with-reference.wav');
  assert.ok(plain.length > 44 && plain.length === withReference.length, `the export's length changed: ${plain.length} against ${withReference.length} bytes`);
  assert.ok(plain.equals(withReference), 'the export changed with a reference in the session and on the monitor');
  await abSwitch().click();

  // Saved with the session: after a reload the reference is there, and plays.
  await page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });
  await page.reload();
  await waitReady(page);
  await page.getByText('References', { exact: true }).click();
  const back = page.locator('.reference', { hasText: 'Their master' });
  await back.waitFor({ timeout: 30_000 });
  await back.getByRole('radio').check();
  await page.getByLabel('Loudness matching', { exact: true }).selectOption({ label: 'Do not match loudness' });
  await page.getByText('References', { exact: true }).click();
  await abSwitch().click();
  await button('Return to start').click();
  await button('Play').click();
  await page.waitForTimeout(1_500);
  const heard = await measureOutput(page, 500);
  await button('Stop').click();
  await abSwitch().click();
  assert.ok(heard.rms > 0.1, `the stored reference plays after a reload: RMS ${heard.rms}`);
  assert.deepEqual(errors, []);
});
