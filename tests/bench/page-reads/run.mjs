// A storage probe for the streaming reader's choice of storage (issue 15): 64 sources × 64 pages
// of 32 KiB, written to IndexedDB (one record a page, as the app stores them) and to the Origin
// Private File System (one file a source), then 20 times the first block of a seek — one page of
// every source at a random page — read three ways in a dedicated worker: IndexedDB (one
// transaction, 64 gets), OPFS synchronous access handles (read-only, kept open) and OPFS
// `File.slice().arrayBuffer()`. Prints one JSON line (ms: p50 / p95 / max of the 20).
// Usage (in tests/): node bench/page-reads/run.mjs  (CHROMIUM for the browser, else /usr/bin/chromium)
import { chromium } from 'playwright-core';
import { runProbe } from './probe.mjs';

await runProbe(await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] }), 'worker.js');
