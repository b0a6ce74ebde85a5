// Accessibility as the browser computes it: every control in the mixer (with an inspector open on a
// strip with an EQ, a compressor and sends) and in the timeline (with a clip selected) is a focusable
// element with a role and an accessible name, read from Chromium's own accessibility tree (DevTools
// protocol `Accessibility.getFullAXTree`), and the names follow the scheme the issue asks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appForTests } from './harness.mjs';

let page;
const errors = appForTests((p) => { page = p; });

const button = (name) => page.getByRole('button', { name, exact: true });
// Roles a user operates (options live inside their combobox and are named by their text).
const CONTROLS = new Set(['button', 'slider', 'textbox', 'combobox', 'checkbox', 'spinbutton', 'link', 'menuitem', 'radio', 'switch', 'tab', 'ListBox', 'listbox']);

/** Every control in the accessibility tree: role, name, whether it can take focus, and whether hidden. */
async function controls() {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  await cdp.detach();
  const prop = (n, name) => n.properties?.find((p) => p.name === name)?.value?.value;
  return nodes
    .filter((n) => !n.ignored && CONTROLS.has(n.role?.value))
    .map((n) => ({ role: n.role.value, name: (n.name?.value || '').trim(), focusable: prop(n, 'focusable') === true, disabled: prop(n, 'disabled') === true }));
}

function audit(list, where) {
  assert.ok(list.length > 50, `${where}: a real surface of controls (${list.length})`);
  const unnamed = list.filter((c) => c.name === '');
  assert.deepEqual(unnamed, [], `${where}: controls without an accessible name`);
  const unfocusable = list.filter((c) => !c.focusable && !c.disabled);
  assert.deepEqual(unfocusable, [], `${where}: controls that cannot take the keyboard focus`);
}

test('every mixer control, strips and inspector, has a role, a name and takes focus', async () => {
  await button('Edit Vox').click();
  const list = await controls();
  audit(list, 'mixer');
  const names = new Set(list.map((c) => `${c.role}:${c.name}`));
  // The names the issue asks for, for a track, a bus and a return.
  for (const expected of [
    'slider:Vox volume', 'slider:Vox pan', 'button:Mute Vox', 'button:Solo Vox', 'slider:Vox send to Plate',
    'slider:Drums volume', 'button:Mute Drums', 'slider:Plate volume', 'slider:Master volume',
    'combobox:Vox output', 'button:Vox EQ insert', 'button:Bypass EQ on Vox', 'slider:Vox EQ low-mid node',
  ]) {
    assert.ok(names.has(expected), `missing ${expected}`);
  }
  console.log(`mixer: ${list.length} controls audited`);
});

test('every timeline control has a role, a name and takes focus', async () => {
  await button('Timeline').click();
  const lanes = await page.getByRole('img', { name: 'Track lanes with clips', exact: true }).boundingBox();
  // Select a clip, so the clip panel's fields are audited too.
  await page.mouse.click(lanes.x + lanes.width * 0.5, lanes.y + 72 + 40);
  await page.getByRole('textbox', { name: 'Clip start', exact: true }).waitFor();
  const list = await controls();
  audit(list, 'timeline');
  const names = new Set(list.map((c) => `${c.role}:${c.name}`));
  for (const expected of ['textbox:Kick name', 'button:Mute Kick', 'button:Solo Kick', 'textbox:Kick trim in dB', 'button:Move Kick', 'button:Fold Drums', 'slider:Timeline ruler (click to move the play position, drag to set the loop)']) {
    assert.ok(names.has(expected), `missing ${expected}`);
  }
  console.log(`timeline: ${list.length} controls audited`);
  // The ruler from the keyboard: beats with the arrows, bars with the Page keys, Home to the start.
  const ruler = page.getByRole('slider', { name: /Timeline ruler/ });
  await ruler.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await ruler.getAttribute('aria-valuetext'), '0:01.250', 'two beats at 96 BPM');
  await page.keyboard.press('PageUp');
  assert.equal(await ruler.getAttribute('aria-valuetext'), '0:02.500', 'to the next bar');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await ruler.getAttribute('aria-valuetext'), '0:01.875');
  assert.equal(await page.locator('.clock .time').textContent(), '0:01.875', 'the transport follows');
});

test('no errors reached the page', () => {
  assert.deepEqual(errors, []);
});
