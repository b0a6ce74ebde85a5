// A storage probe for the streaming reader's choice of storage (issue 15): 64 sources × 64 pages
// of 32 KiB, written to IndexedDB (one record a page, as the app stores them) and to the Origin
// Private File System (one file a source), then 20 times the first block of a seek — one page of
// every source at a random page — read three ways in a dedicated worker: IndexedDB (one
// transaction, 64 gets), OPFS synchronous access handles (read-only, kept open) and OPFS
// `File.slice().arrayBuffer()`. Prints one JSON line (ms: p50 / p95 / max of the 20).
// Usage (in tests/): node bench/page-reads/run.mjs  (CHROMIUM for the browser, else /usr/bin/chromium)
import { chromium } from 'playwright-core';
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const server = http.createServer(async (req, res) => {
  const name = req.url === '/' ? 'index.html' : req.url.slice(1);
  if (!['index.html', 'worker.js'].includes(name)) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' });
  res.end(await readFile(here + name));
}).listen(0);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage();
  await page.goto(`http://localhost:${server.address().port}/`);
  console.log(JSON.stringify(await page.evaluate(() => window.result)));
} finally {
  await browser.close();
  server.close();
}
