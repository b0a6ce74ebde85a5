// Two tabs of Mixroom on one browser's storage, as an unlucky user has them: a session open in one
// is never deleted (nor its audio collected) from the other, and each lists what the other saves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appForTests, sineWav, waitReady } from './harness.mjs';

let page;
const errors = appForTests((p) => { page = p; });

const sessionName = (p) => p.locator('.session-name').textContent();
const saved = (p) => p.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });
const dialog = (p) => p.getByRole('dialog', { name: 'Sessions' });
async function openBrowser(p) {
  if (await dialog(p).count() === 0) await p.getByRole('button', { name: 'Sessions…', exact: true }).click();
}

/** The catalog and the stored audio's ids, as the app keeps them. */
function stored(p) {
  return p.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('mixroom');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(['catalog', 'audio']);
      const catalog = tx.objectStore('catalog').getAll();
      const audio = tx.objectStore('audio').getAllKeys();
      tx.oncomplete = () => { ok({ catalog: catalog.result, audio: audio.result }); open.result.close(); };
      tx.onerror = () => fail(tx.error);
    };
  }));
}

test('a session open in another tab cannot be deleted from under it, and its audio stays', async () => {
  // Tab 1 makes "Victim" and leaves it open; tab 2 arrives on it (the session open last) and has it now.
  await saved(page);
  await openBrowser(page);
  await page.getByRole('button', { name: 'New session', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await page.getByRole('button', { name: 'Rename Untitled session', exact: true }).click();
  const input = page.getByRole('textbox', { name: 'New name for Untitled session' });
  await input.fill('Victim');
  await input.press('Enter');
  await saved(page);
  const second = await page.context().newPage();
  second.on('pageerror', (e) => errors.push(`second tab: ${e.message}`));
  await second.goto(page.url());
  await waitReady(second);
  assert.equal(await sessionName(second), 'Victim');
  await page.getByRole('alert').filter({ hasText: 'was opened in another tab' }).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Dismiss the message', exact: true }).click();
  // Tab 2 imports a file into it.
  await second.getByRole('button', { name: 'Timeline', exact: true }).click();
  await second.getByLabel('Audio files to import', { exact: true }).setInputFiles([{ name: 'Only take.wav', mimeType: 'audio/wav', buffer: sineWav({ rate: 48000, channels: 1, bits: 16, seconds: 2, freq: 330 }) }]);
  await second.getByRole('group', { name: 'Only take track', exact: true }).waitFor({ timeout: 60_000 });
  await saved(second);
  assert.deepEqual((await stored(page)).catalog.find((e) => e.name === 'Victim').audio.length, 1);

  // Tab 1 opens another session, then tries to delete "Victim": refused, with where it is open.
  await page.getByRole('button', { name: /^Open Demo/ }).click();
  await waitReady(page);
  await page.getByRole('button', { name: 'Delete Victim', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm deleting Victim', exact: true }).click();
  const refused = dialog(page).locator('.notice');
  await refused.waitFor({ timeout: 30_000 });
  assert.match(await refused.textContent(), /“Victim” is open in another tab of Mixroom: delete it there, or open another session there first, then delete it here\./);
  const after = await stored(page);
  const victim = after.catalog.find((e) => e.name === 'Victim');
  assert.ok(victim, 'the session is still stored');
  assert.ok(victim.audio.every((id) => after.audio.includes(id)), 'and all of its audio');
  // Tab 2 carries on; reloaded (it opens the session opened last, tab 1's) and opening "Victim"
  // again, its track plays its audio (no "plays silence").
  await second.reload();
  await waitReady(second);
  await openBrowser(second);
  await second.getByRole('button', { name: 'Open Victim', exact: true }).click();
  await second.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Victim');
  await waitReady(second);
  await second.getByRole('group', { name: 'Only take track', exact: true }).waitFor({ timeout: 60_000 });
  assert.equal(await second.getByRole('alert').count(), 0);

  // Closed there, it can be deleted here: session and audio go.
  await second.close();
  await dialog(page).getByRole('button', { name: 'Dismiss the message', exact: true }).click();
  await page.getByRole('button', { name: 'Delete Victim', exact: true }).click();
  await page.getByRole('button', { name: 'Confirm deleting Victim', exact: true }).click();
  await page.getByRole('button', { name: 'Open Victim', exact: true }).waitFor({ state: 'detached', timeout: 30_000 });
  const gone = await stored(page);
  assert.equal(gone.catalog.some((e) => e.name === 'Victim'), false);
  assert.deepEqual(gone.audio, []);
});

test('a session made in one tab is listed in the other at once', async () => {
  const second = await page.context().newPage();
  second.on('pageerror', (e) => errors.push(`second tab: ${e.message}`));
  await second.goto(page.url());
  await waitReady(second);
  await openBrowser(second);
  const names = () => dialog(second).locator('.session-open').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
  assert.equal((await names()).some((n) => n.startsWith('Open Untitled session')), false);
  // Tab 1 (which the second has taken the demo from) makes a new session.
  await openBrowser(page);
  await page.getByRole('button', { name: 'New session', exact: true }).click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await saved(page);
  await dialog(second).getByRole('button', { name: 'Open Untitled session', exact: true }).waitFor({ timeout: 30_000 });
  await second.close();
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
