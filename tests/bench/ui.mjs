// The UI benchmark: the demo with 32 tracks playing, every strip's meters visible (a window wide
// enough for all of them), and the main thread's busy share measured with Chromium's own
// performance metrics (DevTools protocol `Performance.getMetrics`: TaskDuration over wall time).
// Prints one JSON line. Usage: node bench/ui.mjs [seconds=10] [view=mixer|laptop|timeline]
// (mixer: a 3400×1000 window with every strip on screen; laptop: the mixer at 1366×768, the console
// scrolled sideways; timeline: the arrangement at 3400×1000).
import { serveApp, launchBrowser, openApp } from '../e2e/harness.mjs';

const [seconds = '10', view = 'mixer'] = process.argv.slice(2);
const server = await serveApp();
const browser = await launchBrowser();
try {
  const errors = [];
  const size = view === 'laptop' ? { width: 1366, height: 768 } : { width: 3400, height: 1000 };
  const page = await openApp(browser, `${server.url}?tracks=32`, errors, size);
  if (view === 'timeline') await page.getByRole('button', { name: 'Timeline', exact: true }).click();
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
