// Runs a browser benchmark page in headless Chromium and prints its result as JSON: S16's
// (`node run.mjs [seconds runs quanta automated]`) or live capacity's (`node run.mjs capacity
// [runs quanta seconds]`, capacity.html).
// Serves dist/ (the built app: worklet glue, wasm, processor) and tests/bench/ under /bench, with
// cross-origin isolation so that the Worker's clock has its fine resolution.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { chromiumPath } from '../e2e/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const dist = process.env.MIXROOM_DIST || join(root, 'dist');
const benchData = process.env.MIXROOM_BENCH_DATA || join(root, 'target', 'bench');
const capacity = process.argv[2] === 'capacity';
const [seconds = '60', runs = '3', quanta = '4000', automated = ''] = process.argv.slice(2);
const [capacityRuns = '3', capacityQuanta = '4000', capacitySeconds = '5'] = process.argv.slice(3);
const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  // The S16 session files made for the run (target/bench), the pages and their modules (here), the app.
  const [base, rel] = path.startsWith('/bench/s16-') && path.endsWith('.json') ? [benchData, path.slice('/bench/'.length)] : path.startsWith('/bench/') ? [here, path.slice('/bench/'.length)] : [dist, path];
  const file = normalize(join(base, rel));
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': MIME[extname(file)] || 'application/octet-stream',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const browser = await chromium.launch({
  executablePath: chromiumPath(),
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror:', e.message));
  const origin = `http://127.0.0.1:${server.address().port}`;
  await page.goto(capacity
    ? `${origin}/bench/capacity.html?runs=${capacityRuns}&quanta=${capacityQuanta}&seconds=${capacitySeconds}`
    : `${origin}/bench/s16.html?seconds=${seconds}&runs=${runs}&quanta=${quanta}${automated === 'automated' ? '&automated=1' : ''}`);
  const result = await page.evaluate(() => window.benchResult, null);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
  server.close();
}
