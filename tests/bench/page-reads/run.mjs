// A storage probe for the streaming reader's choice of storage (issue 15): 64 sources × 64 pages
// of 32 KiB, written to IndexedDB (one record a page, as the app stores them) and to the Origin
// Private File System (one file a source), then 20 times the first block of a seek — one page of
// every source at a random page — read three ways in a dedicated worker: IndexedDB (one
// transaction, 64 gets), OPFS synchronous access handles (read-only, kept open) and OPFS
// `File.slice().arrayBuffer()`. Prints one JSON line (ms: p50 / p95 / max of the 20).
// In a fresh profile on disk, as a user's browser keeps its storage; `--off-the-record` in a
// private context instead, whose IndexedDB and OPFS are in memory (there OPFS reads ~0.5 ms a page:
// what the first runs of this probe measured, docs/BENCHMARKS.md).
// Usage (in tests/): node bench/page-reads/run.mjs [--off-the-record]  (CHROMIUM for the browser,
// else /usr/bin/chromium)
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProbe } from './probe.mjs';

const options = { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] };
if (process.argv.includes('--off-the-record')) {
  await runProbe(await chromium.launch(options), 'worker.js');
} else {
  const profile = await mkdtemp(join(tmpdir(), 'page-reads-'));
  try {
    await runProbe(await chromium.launchPersistentContext(profile, options), 'worker.js');
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
