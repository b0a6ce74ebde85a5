// Plays the demo session in headless Chromium through the Rust engine in the AudioWorklet and checks,
// by measuring the audio that reaches the destination, that the controls act on the sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { appForTests, measureOutput, artifactsDir } from './harness.mjs';

const TRACKS = ['Kick', 'Snare', 'Hats', 'Bass', 'Keys', 'Pad', 'Lead', 'Vox'];
let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });
const slider = (name) => page.getByRole('slider', { name, exact: true });
const settle = () => page.waitForTimeout(300);

test('the demo session shows its tracks with faders, pans, mutes and solos', async () => {
  for (const name of TRACKS) {
    assert.equal(await slider(`${name} volume`).count(), 1, `${name} volume`);
    assert.equal(await slider(`${name} pan`).count(), 1, `${name} pan`);
    assert.equal(await button(`Mute ${name}`).count(), 1);
    assert.equal(await button(`Solo ${name}`).count(), 1);
  }
  for (const name of ['Drums', 'Plate', 'Echo', 'Master']) assert.equal(await slider(`${name} volume`).count(), 1, `${name} volume`);
  await page.screenshot({ path: join(await artifactsDir(), 'console-loaded.png') });
});

test('nothing sounds before Play', async () => {
  const { peak } = await measureOutput(page, 300);
  assert.equal(peak, 0);
});

test('Play sounds the mix and the master meter moves', async () => {
  await button('Play').click();
  await page.waitForTimeout(500);
  const { rms, peak } = await measureOutput(page, 1000);
  assert.ok(rms > 0.01, `mix RMS ${rms} should be above −40 dBFS`);
  assert.ok(peak < 1.0, `peak ${peak} should not clip`);
  const meter = page.getByRole('meter', { name: 'Master peak' });
  const readings = new Set();
  for (let i = 0; i < 10; i++) {
    readings.add(await meter.getAttribute('aria-valuenow'));
    await page.waitForTimeout(100);
  }
  const levels = [...readings].map(Number);
  assert.ok(Math.max(...levels) > -40, `meter shows ${levels}`);
  assert.ok(readings.size > 1, 'the meter should move while playing');
  await page.screenshot({ path: join(await artifactsDir(), 'console-playing.png') });
});

test('muting tracks changes the output: all muted is silent, one unmuted sounds', async () => {
  // The returns too, or the reverb and echo tails of what was playing would still ring.
  for (const name of [...TRACKS, 'Plate', 'Echo']) await button(`Mute ${name}`).click();
  await settle();
  const muted = await measureOutput(page, 500);
  assert.ok(muted.peak < 1e-4, `all tracks muted, peak ${muted.peak}`);
  await button('Mute Pad').click();
  await settle();
  const pad = await measureOutput(page, 500);
  assert.ok(pad.rms > 0.003, `Pad alone, RMS ${pad.rms}`);
  assert.equal(await button('Mute Pad').getAttribute('aria-pressed'), 'false');
  assert.equal(await button('Mute Kick').getAttribute('aria-pressed'), 'true');
});

const typeLevel = async (name, text) => {
  const box = page.getByRole('textbox', { name: `${name} volume in dB`, exact: true });
  await box.fill(text);
  await box.press('Enter');
};

test('a fader pulled to the bottom silences its track', async () => {
  await typeLevel('Pad', '-inf');
  await settle();
  const closed = await measureOutput(page, 500);
  assert.ok(closed.peak < 1e-4, `Pad fader closed, peak ${closed.peak}`);
  await typeLevel('Pad', '0');
  await settle();
  const open = await measureOutput(page, 500);
  assert.ok(open.rms > 0.003, `Pad fader back at 0 dB, RMS ${open.rms}`);
});

test('Stop silences the output', async () => {
  await button('Stop').click();
  await settle();
  const { peak } = await measureOutput(page, 500);
  assert.equal(peak, 0);
});

test('served as it is hosted, the page is cross-origin isolated: SharedArrayBuffer is there for the audio', async () => {
  const isolation = await page.evaluate(() => {
    const shared = typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(8) : null;
    // A shared buffer can be posted (not copied): what streaming audio to the worklet needs.
    const channel = new MessageChannel();
    let posted = false;
    try { channel.port1.postMessage(shared); posted = true; } catch { /* not isolated */ }
    return { isolated: self.crossOriginIsolated, shared: shared !== null, posted };
  });
  assert.deepEqual(isolation, { isolated: true, shared: true, posted: true });
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
