// The delivery benchmark, browser side: S16 (3 minutes, 16 tracks; `mixroom s16-project`) opened as a
// project file, then its master, 16 stems (one per track) and 4 alternate versions delivered from the
// Deliver… panel as one batch — timed from the click until the batch is made and checked (its Save
// button), with the main thread's frame rate meanwhile (the page answers while a batch is made) and
// the size of the zip saved. No sum check (the CLI side runs with --no-sum-check too).
// Prints one JSON line. Usage: node bench/delivery.mjs PROJECT [format=flac24]
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { serveApp, launchBrowser, openApp, waitReady, rendererRss, ARTIFACTS } from '../e2e/harness.mjs';

const [project, format = 'flac24'] = process.argv.slice(2);

/** Chromium's renderer processes' resident memory, MB. */
const rss = async () => Math.round(await rendererRss() / 1e6);

const server = await serveApp();
const browser = await launchBrowser();
try {
  const errors = [];
  const page = await openApp(browser, server.url, errors);
  const button = (name) => page.getByRole('button', { name, exact: true });
  await page.getByLabel('Project file to open', { exact: true }).setInputFiles(project);
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'S16', null, { timeout: 900_000 });
  await waitReady(page);
  console.error(`opened: ${await rss()} MB`);
  // Until every sample is in the engine (an export waits for it anyway; not what is measured).
  await page.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 900_000 });
  console.error(`saved: ${await rss()} MB`);

  console.error(`stored: ${await rss()} MB`);
  await page.locator('details.delivery > summary').click();
  await page.getByRole('combobox', { name: 'Format', exact: true }).selectOption(format);
  for (let t = 1; t <= 16; t++) await page.getByRole('checkbox', { name: `Stem of Track ${t}`, exact: true }).check();
  for (const name of ['Instrumental', 'A cappella', 'TV mix', 'Vocal up 1 dB']) await page.getByRole('checkbox', { name: `Deliver ${name}`, exact: true }).check();
  await page.getByRole('checkbox', { name: 'check that they add up to the mix', exact: true }).uncheck();
  await page.locator('details.delivery > summary').click();

  await page.evaluate(() => { window.__frames = 0; const tick = () => { window.__frames++; requestAnimationFrame(tick); }; requestAnimationFrame(tick); });
  const started = Date.now();
  await page.locator('details.delivery > summary').click();
  await button('Deliver').click();
  const watch = setInterval(async () => {
    try { console.error(`${((Date.now() - started) / 1000).toFixed(0)} s: ${await page.locator('.delivery-job').innerText().catch(() => '-')} ${await rss()} MB`); } catch {}
  }, 10_000);
  // The batch made, or an error said (then the bench fails with it).
  await page.waitForFunction(() => document.querySelector('.save-delivery') || document.querySelector('[role=alert]'), null, { timeout: 3_600_000, polling: 1000 });
  clearInterval(watch);
  if (await page.locator('[role=alert]').count()) throw new Error(`the delivery failed: ${await page.locator('[role=alert]').innerText()}`);
  const seconds = (Date.now() - started) / 1000;
  const frames = await page.evaluate(() => window.__frames);
  const rows = await page.locator('.delivery-report tbody tr').count();
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 600_000 }), page.locator('.save-delivery').click()]);
  const path = join(ARTIFACTS, 'bench-delivery-browser.zip');
  await download.saveAs(path);
  const bytes = (await stat(path)).size;
  if (errors.length) throw new Error(errors.join('\n'));
  console.log(JSON.stringify({ browser_s: seconds, files: rows, fps: frames / seconds, zip_bytes: bytes }));
} finally {
  await browser.close();
  await server.close();
}
