// What both storage probes share: a page of one dedicated worker (`worker`, a file of this folder),
// served at 127.0.0.1:`port`, opened in `browser` (a Playwright browser or persistent context);
// prints the worker's one answer as a JSON line.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export async function runProbe(browser, worker, port = 0) {
  const page = `<!doctype html><meta charset=utf-8><title>storage probe</title><script>window.result = new Promise((ok) => { new Worker(${JSON.stringify(worker)}).onmessage = (e) => ok(e.data); });</script>`;
  const server = http.createServer(async (req, res) => {
    if (req.url === `/${worker}`) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(await readFile(here + worker));
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(page);
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${server.address().port}/probe`);
    console.log(JSON.stringify(await tab.evaluate(() => window.result)));
  } finally {
    await browser.close();
    server.close();
  }
}
