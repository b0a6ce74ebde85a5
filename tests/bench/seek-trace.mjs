// Where a 64-track session's threads spend their time while it plays on the timeline (the whole
// song in view), with `--seek` clicking the ruler at random every 250 ms: a DevTools trace
// (CDP Tracing, devtools.timeline) of 6 s, on the profile the scale benchmark keeps
// (`node bench/scale.mjs --tracks 64 --minutes 6 --keep`). Prints the renderer's main thread's
// time by event, the streaming reader's (a DedicatedWorker), and each thread's busy time.
// Usage (in tests/, dist/ built or MIXROOM_DIST): node bench/seek-trace.mjs [--seek]
import { serveApp, launchPersistent, openPage, waitReady, ARTIFACTS } from '../e2e/harness.mjs';
// The origin and profile the scale benchmark keeps its session under.
const server = await serveApp({ port: 44545 });
const browser = await launchPersistent(`${ARTIFACTS}/bench-scale/64x360s/profile`);
const page = await openPage(browser, server.url, []);
await waitReady(page);
await page.getByRole('button', { name: 'Timeline', exact: true }).click();
await page.getByRole('button', { name: 'Fit', exact: true }).click();
await page.waitForTimeout(1500);
const ruler = page.getByRole('slider', { name: /Timeline ruler/ });
const box = await ruler.boundingBox();
await page.getByRole('button', { name: 'Play', exact: true }).click();
await page.waitForTimeout(1000);
const cdp = await page.context().newCDPSession(page);
const events = [];
cdp.on('Tracing.dataCollected', (d) => events.push(...d.value));
const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
await cdp.send('Tracing.start', { categories: 'devtools.timeline,v8,disabled-by-default-v8.gc,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing', transferMode: 'ReportEvents' });
await page.evaluate(() => performance.mark('probe-start'));
const t0 = Date.now();
const seek = process.argv.includes('--seek');
while (Date.now() - t0 < 6000) { if (seek) await page.mouse.click(box.x + box.width * Math.random() * 0.9, box.y + box.height / 2); await page.waitForTimeout(250); }
await cdp.send('Tracing.end');
await done;
const mark = events.find((e) => e.name === 'probe-start');
const main = events.filter((e) => e.pid === mark.pid && e.tid === mark.tid && e.ph === 'X');
const by = new Map();
for (const e of main) by.set(e.name, (by.get(e.name) || 0) + (e.dur || 0));
let busy = 0; for (const e of main) if (e.name === 'RunTask') busy += e.dur;
console.log('main thread busy', Math.round(busy / 1000), 'ms of 6000');
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 22)) console.log(Math.round(v / 1000), k);
// other threads of the renderer
const threads = new Map();
for (const e of events) if (e.ph === 'X' && e.name === 'RunTask') { const k = `${e.pid}/${e.tid}`; threads.set(k, (threads.get(k) || 0) + e.dur); }
const names = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}/${e.tid}`, e.args.name]));
for (const [k, v] of [...threads].filter(([k]) => (names.get(k) || '').startsWith('DedicatedWorker'))) {
  const [pid, tid] = k.split('/').map(Number);
  const ev = events.filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X');
  const b = new Map(); for (const e of ev) { const n = e.name + (e.args?.data?.functionName ? '(' + e.args.data.functionName + ')' : ''); b.set(n, (b.get(n) || 0) + (e.dur || 0)); }
  console.log('WORKER', k, Math.round(v / 1000), [...b].sort((a, c) => c[1] - a[1]).slice(0, 14).map(([n, d]) => `${n} ${Math.round(d / 1000)}`).join(' | '));
}
for (const [k, v] of [...threads].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log('thread', names.get(k) || k, Math.round(v / 1000));
await browser.close(); await server.close();
