// The UI benchmark: the demo with 32 tracks playing, every strip's meters visible (a window wide
// enough for all of them), and the main thread's busy share measured with Chromium's own
// performance metrics (DevTools protocol `Performance.getMetrics`: TaskDuration over wall time).
// Prints one JSON line. Usage: node bench/ui.mjs [seconds=10] [view=mixer|laptop|timeline|lanes]
// (mixer: a 3400×1000 window with every strip on screen; laptop: the mixer at 1366×768, the console
// scrolled sideways; timeline: the arrangement at 3400×1000; lanes: the arrangement with a volume
// lane under every track, a ride drawn on each).
import { serveApp, launchBrowser, openApp } from '../e2e/harness.mjs';

const [seconds = '10', view = 'mixer'] = process.argv.slice(2);
const server = await serveApp();
const browser = await launchBrowser();
try {
  const errors = [];
  const size = view === 'laptop' ? { width: 1366, height: 768 } : { width: 3400, height: 1000 };
  const page = await openApp(browser, `${server.url}?tracks=32`, errors, size);
  if (view === 'timeline' || view === 'lanes') await page.getByRole('button', { name: 'Timeline', exact: true }).click();
  if (view === 'lanes') {
    // Every track shows its volume lane (32 lanes under their tracks), with a ride drawn on each.
    const menus = page.getByRole('combobox', { name: / automation lane to show$/ });
    const count = await menus.count();
    for (let i = 0; i < count; i++) await menus.nth(i).selectOption('fader');
    const lanes = page.getByRole('group', { name: / Volume automation$/ });
    for (let i = 0; i < await lanes.count(); i++) {
      const lane = lanes.nth(i);
      await lane.scrollIntoViewIfNeeded();
      const box = await lane.boundingBox();
      for (const [x, y] of [[100, 60], [600, 15], [1200, 50], [2000, 20]]) await page.mouse.click(box.x + x, box.y + y);
    }
    await page.evaluate(() => document.querySelector('.timeline-body').scrollTo(0, 0));
  }
  const strips = await page.getByRole('meter', { name: / peak$/ }).count();
  const visible = await page.evaluate(() => [...document.querySelectorAll('canvas.meter')]
    .filter((m) => { const r = m.getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight; }).length);
  await page.getByRole('button', { name: 'Play', exact: true }).click();
  await page.waitForTimeout(2000);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  await page.evaluate(() => { window.__frames = 0; const tick = () => { window.__frames++; requestAnimationFrame(tick); }; requestAnimationFrame(tick); });
  const a = await metrics();
  await page.waitForTimeout(Number(seconds) * 1000);
  const b = await metrics();
  const frames = await page.evaluate(() => window.__frames);
  const wall = b.Timestamp - a.Timestamp;
  console.log(JSON.stringify({
    view, tracks: 32, meters: strips, on_screen: visible, seconds: wall,
    main_thread_busy: (b.TaskDuration - a.TaskDuration) / wall,
    script: (b.ScriptDuration - a.ScriptDuration) / wall,
    layout: (b.LayoutDuration - a.LayoutDuration) / wall,
    style: (b.RecalcStyleDuration - a.RecalcStyleDuration) / wall,
    fps: frames / wall,
    errors,
  }));
} finally {
  await browser.close();
  await server.close();
}
