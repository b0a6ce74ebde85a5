// Sharing a mix as collaborators do: a session of imported, mixed stems exported as a project
// file, opened in another browser (a fresh profile) — whose export equals the original's sample for
// sample — and rendered by the CLI alike. Hostile and broken project files (tests/e2e/projects.mjs
// makes them) are refused with what is wrong, and leave the open session and storage as they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { appForTests, artifactsDir, launchBrowser, openApp, readWavF32, serveApp, sineWav, ROOT } from './harness.mjs';
import { projectParts, zip } from './projects.mjs';

const CLI = process.env.MIXROOM_CLI || join(ROOT, 'target', 'release', 'mixroom');
let page;
const errors = appForTests((p) => { page = p; });
/** What the first test shared: its export, its session file and the stems' paths. */
let shared;

const button = (p, name) => p.getByRole('button', { name, exact: true });
const saved = (p) => p.getByRole('status', { name: 'Save state: Saved', exact: true }).waitFor({ timeout: 60_000 });

async function download(p, action, file) {
  const [d] = await Promise.all([p.waitForEvent('download', { timeout: 300_000 }), action()]);
  const path = join(await artifactsDir(), file);
  await d.saveAs(path);
  return path;
}

test('a project exported here opens in a fresh browser and exports the same mix, sample for sample', async () => {
  await saved(page);
  await button(page, 'Sessions…').click();
  await button(page, 'New session').click();
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session');
  await button(page, 'Close the session browser').click();
  await button(page, 'Timeline').click();
  const dir = join(await artifactsDir(), 'sharing');
  await mkdir(dir, { recursive: true });
  const stems = [
    ['Kick.wav', sineWav({ rate: 48000, channels: 1, bits: 16, seconds: 3, freq: 60 })],
    ['Room.wav', sineWav({ rate: 96000, channels: 2, bits: 24, seconds: 2, freq: 180 })],
    ['Strings.wav', sineWav({ rate: 48000, channels: 2, bits: 32, seconds: 3, freq: 440 })],
  ];
  const paths = [];
  for (const [name, bytes] of stems) { const path = join(dir, name); await writeFile(path, bytes); paths.push(path); }
  await page.getByLabel('Audio files to import', { exact: true }).setInputFiles(paths);
  for (const name of ['Kick', 'Room', 'Strings']) await page.getByRole('group', { name: `${name} track`, exact: true }).waitFor({ timeout: 60_000 });
  await button(page, 'Mixer').click();
  for (const [name, db] of [['Kick', '-4.5'], ['Strings', '-9']]) {
    const box = page.getByRole('textbox', { name: `${name} volume in dB`, exact: true });
    await box.fill(db);
    await box.press('Enter');
  }
  await saved(page);
  const originalMix = await download(page, () => button(page, 'Export mix').click(), 'sharing-original.wav');
  const project = await download(page, () => button(page, 'Export project').click(), 'sharing.mixroom');
  shared = { originalMix, sessionFile: await download(page, () => button(page, 'Save session').click(), 'sharing-session.json'), stems: paths };
  assert.equal((await readFile(project)).subarray(0, 2).toString(), 'PK');

  // Another browser: a fresh profile, which has none of the audio.
  const server = await serveApp();
  const browser = await launchBrowser();
  try {
    const other = await openApp(browser, server.url, errors);
    await other.getByLabel('Project file to open', { exact: true }).setInputFiles(project);
    await other.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 120_000 });
    await other.getByRole('button', { name: 'Play', exact: true }).waitFor({ timeout: 60_000 });
    await other.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Play' && !b.disabled), null, { timeout: 120_000 });
    await saved(other);
    const openedMix = await download(other, () => button(other, 'Export mix').click(), 'sharing-opened.wav');
    const [a, b] = [await readFile(originalMix), await readFile(openedMix)];
    assert.ok(a.length > 100_000 && a.equals(b), 'the opened project exports the same mix, sample for sample');
    // Its audio is stored in the other browser: a reload plays it from storage.
    await other.reload();
    await other.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 60_000 });
    assert.equal(await other.getByRole('alert').count(), 0);
  } finally {
    await browser.close();
    await server.close();
  }

  // A session link naming a hosted copy of the project (a second server, another origin, which
  // allows CORS): a fresh browser opens the link, fetches the project and plays the same mix.
  const host = createServer(async (req, res) => {
    const body = await readFile(project);
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': body.length, 'access-control-allow-origin': '*' });
    res.end(body);
  });
  await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
  const hosted = `http://127.0.0.1:${host.address().port}/shared.mixroom`;
  await button(page, 'Share link…').click();
  await page.getByRole('textbox', { name: 'Project file address', exact: true }).fill(hosted);
  await button(page, 'Copy link').click();
  const withProject = await page.getByRole('textbox', { name: 'The session link', exact: true }).inputValue();
  await page.getByRole('textbox', { name: 'Project file address', exact: true }).fill('');
  await button(page, 'Copy link').click();
  const alone = await page.getByRole('textbox', { name: 'The session link', exact: true }).inputValue();
  assert.match(withProject, /#mix=2\.[A-Za-z0-9_-]+&project=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fshared\.mixroom$/);
  assert.ok(alone.length < withProject.length && !alone.includes('project='));
  const server2 = await serveApp();
  const browser2 = await launchBrowser();
  try {
    const viaLink = await openApp(browser2, server2.url + withProject.slice(withProject.indexOf('#')), errors);
    await viaLink.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 120_000 });
    await viaLink.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Play' && !b.disabled), null, { timeout: 120_000 });
    await saved(viaLink);
    const linkMix = await readFile(await download(viaLink, () => button(viaLink, 'Export mix').click(), 'sharing-link.wav'));
    assert.ok(linkMix.equals(await readFile(originalMix)), 'the link and its project file give the same mix');
    assert.equal(viaLink.url().includes('#'), false, 'the link is opened once: a reload does not open it again');
    // A link alone, in a profile that holds the media now: no fetch; a session of that name is
    // here, so the user chooses — a new session.
    const again = await viaLink.context().newPage();
    again.on('pageerror', (e) => errors.push(`link tab: ${e.message}`));
    await viaLink.close();
    await again.goto(server2.url + alone.slice(alone.indexOf('#')));
    const choice = again.getByRole('alertdialog', { name: "Open the link's session" });
    await choice.waitFor({ timeout: 120_000 });
    assert.match(await choice.textContent(), /A session named “Untitled session” is already here/);
    await button(again, 'Open as a new session').click();
    await again.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session 2', null, { timeout: 120_000 });
    await again.waitForFunction(() => [...document.querySelectorAll('button')].some((b) => b.textContent === 'Play' && !b.disabled), null, { timeout: 120_000 });
    await saved(again);
    const aloneMix = await readFile(await download(again, () => button(again, 'Export mix').click(), 'sharing-link-alone.wav'));
    assert.ok(aloneMix.equals(await readFile(originalMix)), 'a link alone plays the stored media: the same mix');
    // Or in its place: the stored "Untitled session", changed since, takes the link's mix as one
    // undoable step.
    await button(again, 'Sessions…').click();
    await button(again, 'Open Untitled session').click();
    await again.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 60_000 });
    await button(again, 'Close the session browser').click();
    await button(again, 'Mixer').click();
    const kick = again.getByRole('textbox', { name: 'Kick volume in dB', exact: true });
    await kick.fill('-20');
    await kick.press('Enter');
    await saved(again);
    await again.goto(server2.url + alone.slice(alone.indexOf('#')));
    await choice.waitFor({ timeout: 120_000 });
    await button(again, 'Replace it').click();
    const level = () => again.getByRole('slider', { name: 'Kick volume', exact: true }).getAttribute('aria-valuenow');
    await again.waitForFunction(() => document.querySelector('[aria-label="Kick volume"]')?.getAttribute('aria-valuenow') === '-4.5', null, { timeout: 60_000 });
    await button(again, 'Undo').click();
    assert.equal(await level(), '-20.0', 'undo brings the session back as it was');
  } finally {
    await browser2.close();
    await server2.close();
    await new Promise((ok) => host.close(ok));
  }

  // The CLI renders the project file as the browser exports it.
  const cliMix = join(await artifactsDir(), 'sharing-cli.wav');
  execFileSync(CLI, ['render', project, '-o', cliMix]);
  const [browserWav, cliWav] = [readWavF32(await readFile(originalMix)), readWavF32(await readFile(cliMix))];
  assert.equal(cliWav.channels[0].length, browserWav.channels[0].length);
  let worst = 0;
  for (let c = 0; c < 2; c++) for (let i = 0; i < cliWav.channels[c].length; i++) worst = Math.max(worst, Math.abs(cliWav.channels[c][i] - browserWav.channels[c][i]));
  assert.ok(worst <= 1e-6, `the CLI's render of the project differs from the browser's export by ${worst}`);
  assert.equal(worst, 0);
});

test('a session file opened where one source is missing shows it offline; relinking it with its file restores the mix', async () => {
  const server = await serveApp();
  const browser = await launchBrowser();
  try {
    const other = await openApp(browser, server.url, errors);
    // This browser has two of the three stems (imported into its demo), not the Room.
    await button(other, 'Timeline').click();
    await other.getByLabel('Audio files to import', { exact: true }).setInputFiles([shared.stems[0], shared.stems[2]]);
    for (const name of ['Kick', 'Strings']) await other.getByRole('group', { name: `${name} track`, exact: true }).waitFor({ timeout: 60_000 });
    await saved(other);
    await other.getByLabel('Session file to open', { exact: true }).setInputFiles(shared.sessionFile);
    await other.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 120_000 });
    await button(other, 'Timeline').click();
    const room = other.getByRole('group', { name: 'Room track', exact: true });
    await room.waitFor({ timeout: 60_000 });
    assert.equal(await room.locator('.offline').textContent(), 'Offline');
    assert.equal(await other.getByRole('group', { name: 'Kick track', exact: true }).locator('.offline').count(), 0, 'what storage has is online');
    assert.match(await other.locator('.status.error').textContent(), /A source of this session is offline: its audio is not in this browser\. Relink/);
    // Other audio is asked about: declined, the track stays offline; accepted, it plays that
    // audio, and undo takes the relink back.
    const relinkWith = async (file, answer) => {
      const asked = new Promise((ok) => other.once('dialog', async (d) => { ok(d.message()); await (answer ? d.accept() : d.dismiss()); }));
      await other.getByLabel('File for Relink Room', { exact: true }).setInputFiles(file);
      return asked;
    };
    assert.match(await relinkWith(shared.stems[0], false), /is not the audio this track was made with/);
    await other.waitForTimeout(500);
    assert.equal(await room.locator('.offline').count(), 1, 'declined: still offline');
    assert.match(await relinkWith(shared.stems[0], true), /is not the audio this track was made with/);
    await room.locator('.offline').waitFor({ state: 'detached', timeout: 60_000 });
    await other.keyboard.press('Control+z');
    await room.locator('.offline').waitFor({ timeout: 60_000 });
    // Relinked with its file (the same audio: taken silently).
    await other.getByLabel('File for Relink Room', { exact: true }).setInputFiles(shared.stems[1]);
    await room.locator('.offline').waitFor({ state: 'detached', timeout: 60_000 });
    await saved(other);
    const relinked = await readFile(await download(other, () => button(other, 'Export mix').click(), 'sharing-relinked.wav'));
    assert.ok(relinked.equals(await readFile(shared.originalMix)), 'the relinked session exports the original mix, sample for sample');
    // And it stays relinked: the Room's audio is stored now.
    await other.reload();
    await other.waitForFunction(() => document.querySelector('.session-name')?.textContent === 'Untitled session', null, { timeout: 60_000 });
    await other.getByRole('group', { name: 'Room track', exact: true }).waitFor({ timeout: 60_000 });
    assert.equal(await other.locator('.offline').count(), 0);
  } finally {
    await browser.close();
    await server.close();
  }
});

/** IndexedDB's catalog: the sessions stored (run in the page). */
function catalog(p) {
  return p.evaluate(() => new Promise((ok, fail) => {
    const open = indexedDB.open('mixroom');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const req = open.result.transaction('catalog').objectStore('catalog').getAll();
      req.onsuccess = () => { ok(req.result.map((e) => e.name).sort()); open.result.close(); };
    };
  }));
}

test('hostile and broken project files and links are refused with what is wrong; the open session and storage stay as they were', async () => {
  const name = await page.locator('.session-name').textContent();
  const before = await readFile(await download(page, () => button(page, 'Export mix').click(), 'sharing-before.wav'));
  const stored = await catalog(page);
  const parts = projectParts();
  const good = zip(parts.entries());
  const withEntries = (change) => zip(change(parts.entries()));
  const json = (entries, entry, edit) => entries.map((e) => e.name === entry ? { ...e, data: Buffer.from(JSON.stringify(edit(JSON.parse(e.data)))) } : e);
  const changedSample = Buffer.from(parts.wav);
  changedSample.writeFloatLE(0.123, 44 + 4 * 1000);
  const cases = [
    ['not a zip', Buffer.from('<html>a web page, not a project</html>'), /not a Mixroom project file \(it is not a zip archive\)/],
    ['cut short', good.subarray(0, Math.floor(good.length * 0.6)), /damaged|not a zip/],
    ['a zip bomb', zip([parts.entries()[0], { name: 'session.json', data: Buffer.alloc(128 << 20, 32), deflate: true }]), /zip bomb|more than the \d+ it may/],
    ['a path out of the archive', withEntries((e) => [...e, { name: '../../evil.sh', data: Buffer.from('rm -rf /') }]), /“\.\.\/\.\.\/evil\.sh”, a path that leaves the archive/],
    ['an absolute path', withEntries((e) => [...e, { name: '/etc/passwd', data: Buffer.from('x') }]), /“\/etc\/passwd”, a path that leaves the archive/],
    ['an entry twice', withEntries((e) => [...e, e[1]]), /names an entry twice/],
    ['media missing', withEntries((e) => e.slice(0, 2)), /is missing/],
    ['media extra', withEntries((e) => [...e, { name: 'media/sha256-extra.wav', data: parts.wav }]), /an entry the manifest does not name/],
    ['media changed', withEntries((e) => [e[0], e[1], { ...e[2], data: changedSample }]), /does not match its content id/],
    ['a newer project', withEntries((e) => json(e, 'manifest.json', (m) => ({ ...m, version: 7 }))), /newer version of Mixroom \(project format 7\)/],
    ['a newer session', withEntries((e) => json(e, 'session.json', (s) => ({ ...s, version: 9 }))), /newer version of Mixroom \(session format 9\)/],
    ['a manifest that is not JSON', withEntries((e) => [{ ...e[0], data: Buffer.from('{ "format": "mixroom-project", ') }, e[1], e[2]]), /its manifest is not JSON/],
    ['a session that is not JSON', withEntries((e) => [e[0], { ...e[1], data: Buffer.from('{"format":"mixroom-session","version":4,"tracks":[') }, e[2]]), /session file is damaged or incomplete/],
  ];
  for (const [what, buffer, message] of cases) {
    await page.getByLabel('Project file to open', { exact: true }).setInputFiles({ name: `${what}.mixroom`, mimeType: 'application/zip', buffer });
    const error = page.locator('.status.error');
    await error.waitFor({ timeout: 60_000 });
    const text = await error.textContent();
    assert.match(text, message, `${what}: ${text}`);
    assert.match(text, new RegExp(`^${what}\\.mixroom was not opened\\.`), `${what}: ${text}`);
    await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
    assert.equal(await page.locator('.session-name').textContent(), name, `${what}: the session stays open`);
    assert.deepEqual(await catalog(page), stored, `${what}: storage is as it was`);
  }
  // Bare session files ("Open session file…"): not JSON, newer, not a session at all.
  for (const [what, text, message] of [
    ['not JSON', '{"format":"mixroom-session","version":4,"tracks":[{"name":"Kick"', /session file is damaged or incomplete/],
    ['a newer session', JSON.stringify({ ...parts.session, version: 9 }), /newer version of Mixroom \(session format 9\)/],
    ['not a session', JSON.stringify({ type: 'FeatureCollection', features: [] }), /not a Mixroom session/],
    ['a picture', '\u0089PNG\r\n\u001a\n\u0000\u0000', /damaged or incomplete|not a Mixroom session/],
  ]) {
    await page.getByLabel('Session file to open', { exact: true }).setInputFiles({ name: `${what}.json`, mimeType: 'application/json', buffer: Buffer.from(text) });
    const error = page.locator('.status.error');
    await error.waitFor({ timeout: 60_000 });
    const shown = await error.textContent();
    assert.match(shown, message, `${what}: ${shown}`);
    assert.match(shown, new RegExp(`^${what}\\.json was not opened\\.`), `${what}: ${shown}`);
    await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
    assert.equal(await page.locator('.session-name').textContent(), name, `${what}: the session stays open`);
    assert.deepEqual(await catalog(page), stored, `${what}: storage is as it was`);
  }
  // Links cut short, changed, or longer than any Mixroom makes: refused, the session stays.
  for (const [fragment, message] of [
    ['#mix=1.AAAAAAAA', /This session link is damaged/],
    ['#mix=2.AAAAAAAAAAAA', /This session link is damaged/],
    ['#mix=2.!!!not-a-link', /This session link is damaged/],
    ['#mix=9.AAAA', /newer version of Mixroom \(link format 9\)/],
    [`#mix=1.${'A'.repeat(1_100_000)}`, /longer than any session link Mixroom makes/],
  ]) {
    await page.evaluate((f) => { window.location.hash = f; }, fragment);
    const error = page.locator('.status.error');
    await error.waitFor({ timeout: 60_000 });
    assert.match(await error.textContent(), message, fragment.slice(0, 40));
    await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
    assert.equal(await page.locator('.session-name').textContent(), name);
    assert.deepEqual(await catalog(page), stored);
  }
  const after = await readFile(await download(page, () => button(page, 'Export mix').click(), 'sharing-after.wav'));
  assert.ok(after.equals(before), 'the open session plays exactly as before');
});

test('names from a project are text: HTML and script in them are shown, never run', async () => {
  const hostile = '<img src=x onerror="window.__ran=1">';
  const parts = projectParts({ trackName: hostile, sessionName: `<script>window.__ran=2</script>Mix`, markerName: '<b onmouseover="window.__ran=3">Chorus</b>' });
  await page.getByLabel('Project file to open', { exact: true }).setInputFiles({ name: 'names.mixroom', mimeType: 'application/zip', buffer: zip(parts.entries()) });
  await page.waitForFunction(() => document.querySelector('.session-name')?.textContent === '<script>window.__ran=2</script>Mix', null, { timeout: 60_000 });
  await button(page, 'Timeline').click();
  const header = page.getByRole('group', { name: `${hostile} track`, exact: true });
  await header.waitFor({ timeout: 60_000 });
  assert.equal(await header.getByRole('textbox', { name: `${hostile} name`, exact: true }).inputValue(), hostile);
  const marker = page.getByRole('textbox', { name: '<b onmouseover="window.__ran=3">Chorus</b> marker name', exact: true });
  assert.equal(await marker.inputValue(), '<b onmouseover="window.__ran=3">Chorus</b>');
  await marker.hover();
  assert.equal(await page.evaluate(() => window.__ran), undefined, 'nothing in a name ran');
  assert.equal(await page.locator('b[onmouseover]').count(), 0, 'no element was made of a marker name');
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element was made of a name');
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
