// Automation recorded by performance, as an engineer rides a fader while the song plays: Touch,
// Latch, Write and Trim each write the pass into the lane (the saved session shows it), one undo
// takes the whole pass away, a second Touch pass returns to the curve on release; in Read the
// faders move with the curve (their aria-valuenow changes while playing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { appForTests, artifactsDir, readWavF32, ROOT, savedSession as saveSession } from './harness.mjs';

const CLI = process.env.MIXROOM_CLI || join(ROOT, 'target', 'release', 'mixroom');

let page;
const errors = appForTests((p) => { page = p; });

const savedSession = async (name) => (await saveSession(page, name)).session;

const fader = (strip) => page.locator(`[role=slider][aria-label="${strip} volume"]`);
const mode = (strip) => page.getByRole('combobox', { name: `${strip} automation mode`, exact: true });
const lane = (session, strip, param = 'fader') => {
  const s = strip === 'Master' ? session.master : session.tracks.find((t) => t.name === strip);
  return (s.automation || []).find((l) => l.param === param);
};
const position = async () => Number(await page.locator('.clock .time').textContent().then((t) => {
  const [m, s] = t.split(':');
  return Number(m) * 60 + Number(s);
}));

/** Rides `strip`'s fader while playing: presses it, moves it by `dy` pixels in steps over about
 * `ms`, holds it there `holdMs`, lets go. */
async function ride(strip, dy, ms = 900, holdMs = 200) {
  const cap = fader(strip).locator('.fader-cap');
  const box = await cap.boundingBox();
  const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  const steps = 12;
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(x, y + (dy * i) / steps);
    await page.waitForTimeout(ms / steps);
  }
  await page.waitForTimeout(holdMs);
  await page.mouse.up();
}

async function play() {
  await page.getByRole('button', { name: 'Return to start', exact: true }).click();
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('button.play.active'));
}

async function stop() {
  await page.getByRole('button', { name: 'Stop', exact: true }).click();
  await page.waitForFunction(() => !document.querySelector('button.play.active'));
  await page.waitForTimeout(300);
}

test('Touch: a ride is written where it was made, one undo removes it, a second pass returns to the curve', async () => {
  await page.getByRole('button', { name: 'Mixer', exact: true }).click();
  const before = await savedSession('automation-before.mixroom.json');
  assert.equal(lane(before, 'Bass'), undefined, 'no automation to start with');
  await mode('Bass').selectOption('Touch');
  await play();
  await page.waitForTimeout(700);
  await ride('Bass', 60);
  await page.waitForTimeout(600);
  await stop();
  const first = await savedSession('automation-touch.mixroom.json');
  const points = lane(first, 'Bass').points;
  assert.ok(points.length >= 3, JSON.stringify(points));
  const setting = before.tracks.find((t) => t.name === 'Bass').fader_db;
  assert.equal(first.tracks.find((t) => t.name === 'Bass').fader_db, setting, 'the setting is not what a pass changes');
  const low = Math.min(...points.map((p) => p.value ?? -Infinity));
  assert.ok(low < setting - 3, `the ride went down: ${low} from ${setting}`);
  const rate = first.sample_rate;
  const inPass = points.filter((p) => p.value !== setting);
  assert.ok(inPass[0].frame > 0.3 * rate, `the pass starts where the ride did: ${inPass[0].frame}`);
  // Released, Touch returns to the curve (here the setting) and the pass ends.
  assert.equal(points.at(-1).value, setting, JSON.stringify(points.slice(-3)));

  // One undo takes the whole pass away, redo brings it back.
  await page.keyboard.press('Control+z');
  const undone = await savedSession('automation-undone.mixroom.json');
  assert.equal(lane(undone, 'Bass'), undefined, 'one undo removes the pass');
  await page.keyboard.press('Control+Shift+z');
  const redone = await savedSession('automation-redone.mixroom.json');
  assert.deepEqual(lane(redone, 'Bass'), lane(first, 'Bass'));

  // A second, later pass: the first one's points before it are kept, and after its release
  // and return the curve is the first pass's again.
  // The second ride begins once the song has played past the end of the first pass (by the
  // clock, not a wait: on a slow machine the first ride itself takes longer than it is asked to).
  await play();
  const firstEnd = points.at(-1).frame;
  const from = Math.max(2.4, firstEnd / rate + 0.3);
  for (const deadline = Date.now() + 60_000; (await position()) < from;) {
    assert.ok(Date.now() < deadline, `the song did not reach ${from} s`);
    await page.waitForTimeout(50);
  }
  await ride('Bass', -40, 500, 100);
  const releasedAt = await position();
  await page.waitForTimeout(800);
  await stop();
  const second = await savedSession('automation-touch-2.mixroom.json');
  const again = lane(second, 'Bass').points;
  const start2 = again.find((p) => p.frame > firstEnd)?.frame;
  assert.ok(start2 > 2 * rate, `the second pass starts later: ${start2}`);
  assert.deepEqual(again.filter((p) => p.frame <= firstEnd), points, 'the first pass is kept');
  const high = Math.max(...again.filter((p) => p.frame >= start2).map((p) => p.value));
  assert.ok(high > setting + 1, `the second ride went up: ${high}`);
  assert.equal(again.at(-1).value, setting, 'released, it returns to the curve');
  assert.ok(again.at(-1).frame <= (releasedAt + 0.6) * rate, `the return ends just after the release (${again.at(-1).frame / rate} s, released at ${releasedAt} s)`);
});

test('in Read the fader follows the curve while playing', async () => {
  await mode('Bass').selectOption('Read');
  await play();
  const seen = new Set();
  for (let i = 0; i < 30; i++) {
    seen.add(await fader('Bass').getAttribute('aria-valuenow'));
    await page.waitForTimeout(100);
  }
  await stop();
  assert.ok(seen.size >= 4, `the fader moved: ${[...seen].join(', ')}`);
});

test('Latch holds the last value until Stop; Write records from Play; Trim moves the curve by the ride', async () => {
  const rate = 48_000;
  // Latch on Keys: ride down, let go, the value stays until Stop.
  await mode('Keys').selectOption('Latch');
  await play();
  await page.waitForTimeout(500);
  await ride('Keys', 50, 400, 50);
  await page.waitForTimeout(1_200);
  const stoppedNear = await position();
  await stop();
  let s = await savedSession('automation-latch.mixroom.json');
  let points = lane(s, 'Keys').points;
  const setting = s.tracks.find((t) => t.name === 'Keys').fader_db;
  const last = points.filter((p) => p.value !== setting).at(-1);
  assert.ok(last.frame >= (stoppedNear - 0.3) * rate, `latched to the stop: ${last.frame / rate} s, stopped near ${stoppedNear} s`);
  assert.ok(last.value < setting - 2, JSON.stringify(points.slice(-3)));
  assert.equal(last.shape, 'hold', 'the last value holds to the stop');

  // Write on Pad: recorded from Play to Stop without touching.
  await mode('Pad').selectOption('Write');
  await play();
  await page.waitForTimeout(1_000);
  await ride('Pad', 40, 300, 50);
  await page.waitForTimeout(500);
  await stop();
  s = await savedSession('automation-write.mixroom.json');
  points = lane(s, 'Pad').points;
  assert.ok(points[0].frame < 0.2 * rate, `Write starts at Play: ${points[0].frame}`);
  assert.ok(Math.min(...points.map((p) => p.value)) < s.tracks.find((t) => t.name === 'Pad').fader_db - 2);

  // Trim on Bass (which has the Touch passes): a ride of about −6 dB moves the curve under it.
  const bassBefore = lane(s, 'Bass').points;
  await mode('Bass').selectOption('Trim');
  await play();
  await page.waitForTimeout(300);
  await ride('Bass', 30, 300, 3_000);
  await stop();
  s = await savedSession('automation-trim.mixroom.json');
  const trimmed = lane(s, 'Bass').points;
  assert.notDeepEqual(trimmed, bassBefore);
  // The first Touch pass's lowest point was moved down by the trim offset.
  const lowBefore = Math.min(...bassBefore.map((p) => p.value));
  const lowAfter = Math.min(...trimmed.map((p) => p.value));
  assert.ok(lowAfter < lowBefore - 1, `trimmed down: ${lowBefore} → ${lowAfter}`);
});

test('a Touch pass on a pan slider ends when the slider is let go, back to the curve', async () => {
  await mode('Lead').selectOption('Touch');
  const before = await savedSession('automation-pan-before.mixroom.json');
  const setting = before.tracks.find((t) => t.name === 'Lead').pan;
  await play();
  await page.waitForTimeout(600);
  const pan = page.locator('[role=slider][aria-label="Lead pan"]');
  const box = await pan.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await page.mouse.move(box.x + box.width / 2 + 4 * i, box.y + box.height / 2);
    await page.waitForTimeout(40);
  }
  await page.mouse.up();
  const releasedAt = await position();
  await page.waitForTimeout(1_500);
  await stop();
  const s = await savedSession('automation-pan.mixroom.json');
  const points = lane(s, 'Lead', 'pan').points;
  assert.ok(Math.max(...points.map((p) => p.value)) > setting + 0.05, JSON.stringify(points));
  assert.equal(points.at(-1).value, setting, 'released, the pan returns to its curve');
  assert.ok(points.at(-1).frame <= (releasedAt + 0.6) * 48_000, `the pass ended at the release (${points.at(-1).frame / 48_000} s, released at ${releasedAt} s)`);
});

test('switches are recorded too: a mute pressed twice in Touch, a bypass in Latch, each running to Stop', async () => {
  const button = (name) => page.getByRole('button', { name, exact: true });
  await mode('Keys').selectOption('Touch');
  await mode('Vox').selectOption('Latch');
  const before = await savedSession('automation-switches-before.mixroom.json');
  const vox = (s) => s.tracks.find((t) => t.name === 'Vox');
  const slot = vox(before).inserts.findIndex((i) => i.kind === 'compressor');
  assert.ok(slot >= 0);
  await play();
  await page.waitForTimeout(600);
  await button('Mute Keys').click();
  await button('Bypass Compressor on Vox').click();
  assert.equal(await button('Mute Keys').getAttribute('aria-pressed'), 'true', 'the button shows the pass');
  await page.waitForTimeout(700);
  await button('Mute Keys').click();
  await page.waitForTimeout(500);
  await stop();
  const s = await savedSession('automation-switches.mixroom.json');
  const rate = s.sample_rate;
  const mute = lane(s, 'Keys', 'mute').points;
  const on = mute.findIndex((p) => p.value === 1);
  assert.ok(on >= 0 && mute[on].frame > 0.3 * rate, JSON.stringify(mute));
  const off = mute.findIndex((p, i) => i > on && p.value === 0);
  assert.ok(off > on && mute[off].frame - mute[on].frame > 0.4 * rate, `muted for the time between the presses: ${JSON.stringify(mute)}`);
  assert.equal(mute.at(-1).value, 0);
  assert.ok(mute.every((p) => p.value === 0 || p.value === 1), 'a switch is only ever on or off');
  assert.equal(s.tracks.find((t) => t.name === 'Keys').mute, false, 'the setting is not what a pass changes');
  const bypass = (vox(s).automation || []).find((l) => l.param === `insert/${slot}/bypass`).points;
  // Latch holds the bypass until Stop, where the pass ends and the lane goes back to what it was.
  assert.equal(bypass.at(-2).value, 1, `Latch holds the bypass until Stop: ${JSON.stringify(bypass)}`);
  assert.ok(bypass.at(-2).frame > mute[off].frame, `held past the second press on Keys: ${JSON.stringify(bypass)}`);
  assert.equal(bypass.at(-1).value, 0);
  const pressed = bypass.findIndex((p) => p.value === 1);
  assert.ok(pressed > 0 && bypass[0].value === 0 && bypass[0].frame < bypass[pressed].frame, `before the press, the compressor was in: ${JSON.stringify(bypass)}`);
  assert.equal(vox(s).inserts[slot].bypass, false);
  // After Stop the buttons show the curves again: Keys is unmuted at its end.
  assert.equal(await button('Mute Keys').getAttribute('aria-pressed'), 'false');
  // Each pass is one undo step; redone, both play in the export below.
  await button('Undo').click();
  const half = await savedSession('automation-switches-half.mixroom.json');
  assert.equal((vox(half).automation || []).find((l) => l.param === `insert/${slot}/bypass`), undefined, 'the last pass written goes first');
  assert.ok(lane(half, 'Keys', 'mute'), 'the mute pass is a step of its own');
  await button('Undo').click();
  const undone = await savedSession('automation-switches-undone.mixroom.json');
  assert.equal(lane(undone, 'Keys', 'mute'), undefined);
  assert.equal((vox(undone).automation || []).find((l) => l.param === `insert/${slot}/bypass`), undefined);
  await button('Redo').click();
  await button('Redo').click();
  await mode('Keys').selectOption('Read');
  await mode('Vox').selectOption('Read');
});

test('the M key records a mute pass like the button: pressed twice in Touch while playing, one undo step', async () => {
  const button = (name) => page.getByRole('button', { name, exact: true });
  await mode('Bass').selectOption('Touch');
  // Select the strip (its name), then leave the focus on the page, not on a control.
  await button('Edit Bass').click();
  await page.locator('body').focus();
  await play();
  await page.waitForTimeout(600);
  await page.keyboard.press('m');
  assert.equal(await button('Mute Bass').getAttribute('aria-pressed'), 'true', 'the key shows the pass on the button');
  await page.waitForTimeout(700);
  await page.keyboard.press('m');
  await page.waitForTimeout(400);
  await stop();
  const s = await savedSession('automation-mute-key.mixroom.json');
  const mute = lane(s, 'Bass', 'mute').points;
  const on = mute.findIndex((p) => p.value === 1);
  const off = mute.findIndex((p, i) => i > on && p.value === 0);
  assert.ok(on >= 0 && off > on && mute[off].frame - mute[on].frame > 0.4 * s.sample_rate, `muted between the presses: ${JSON.stringify(mute)}`);
  assert.equal(s.tracks.find((t) => t.name === 'Bass').mute, false, 'the key changed the curve, not the setting');
  await button('Undo').click();
  const undone = await savedSession('automation-mute-key-undone.mixroom.json');
  assert.equal(lane(undone, 'Bass', 'mute'), undefined, 'the pass is one undo step');
  await mode('Bass').selectOption('Read');
  await button('Edit Bass').click();
});

test('the browser export of the automated mix equals the CLI render of its saved session', async () => {
  const session = await savedSession('automation-export.mixroom.json');
  assert.ok(['Bass', 'Keys', 'Pad'].every((t) => lane(session, t)), 'the rides are in the session');
  assert.ok(lane(session, 'Keys', 'mute'), 'and the mute pass');
  const sessionPath = join(await artifactsDir(), 'automation-export.mixroom.json');
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 300_000 }),
    page.getByRole('button', { name: 'Export mix', exact: true }).click(),
  ]);
  const browserPath = join(await artifactsDir(), 'automation-browser.wav');
  await dl.saveAs(browserPath);
  const nativePath = join(await artifactsDir(), 'automation-native.wav');
  execFileSync(CLI, ['render', sessionPath, '-o', nativePath], { stdio: 'inherit' });
  const ours = readWavF32(await readFile(browserPath));
  const native = readWavF32(await readFile(nativePath));
  assert.equal(ours.channels[0].length, native.channels[0].length, 'same length');
  let maxDiff = 0;
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < ours.channels[c].length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours.channels[c][i] - native.channels[c][i]));
  }
  console.log(`automated render equality: max |browser − native| = ${maxDiff}`);
  assert.ok(maxDiff <= 1e-6, `max abs difference ${maxDiff}`);
  assert.deepEqual(errors, []);
});
