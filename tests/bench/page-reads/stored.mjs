// A storage probe on the app's own store: the first block of a seek read from the profile the
// scale benchmark keeps (`node bench/scale.mjs --tracks 64 --minutes 6 --keep` leaves it in
// tests/artifacts/bench-scale/64x360s/profile), in a dedicated worker of the app's origin, away
// from the app (nothing else running) — what storage alone costs, to set against what a seek in
// the app waits for (`seek_read_ms` of the scale benchmark). Prints one JSON line (ms: p50 / p95 /
// max of 20). Usage (in tests/): node bench/page-reads/stored.mjs [profile dir]
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launchPersistent, ARTIFACTS } from '../../e2e/harness.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const profile = process.argv[2] ?? `${ARTIFACTS}/bench-scale/64x360s/profile`;
const page = '<!doctype html><meta charset=utf-8><script>window.result = new Promise((ok) => { new Worker("stored-worker.js").onmessage = (e) => ok(e.data); });</script>';
const server = http.createServer(async (req, res) => {
  if (req.url === '/stored-worker.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(await readFile(here + 'stored-worker.js'));
  } else {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  }
});
// The origin the scale benchmark keeps its profile's session under (its `--keep` port).
await new Promise((ok) => server.listen(44545, '127.0.0.1', ok));
const browser = await launchPersistent(profile);
try {
  const tab = await browser.newPage();
  await tab.goto('http://127.0.0.1:44545/probe');
  console.log(JSON.stringify(await tab.evaluate(() => window.result)));
} finally {
  await browser.close();
  server.close();
}
