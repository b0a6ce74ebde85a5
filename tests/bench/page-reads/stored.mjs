// A storage probe on the app's own store: the first block of a seek read from the profile the
// scale benchmark keeps (`node bench/scale.mjs --tracks 64 --minutes 6 --keep` leaves it in
// tests/artifacts/bench-scale/64x360s/profile), in a dedicated worker of the app's origin, away
// from the app (nothing else running) — what storage alone costs, to set against what a seek in
// the app waits for (`seek_read_ms` of the scale benchmark). Prints one JSON line (ms: p50 / p95 /
// max of 20). Usage (in tests/): node bench/page-reads/stored.mjs [profile dir]
import { launchPersistent, ARTIFACTS } from '../../e2e/harness.mjs';
import { runProbe } from './probe.mjs';

const profile = process.argv[2] ?? `${ARTIFACTS}/bench-scale/64x360s/profile`;
// At the origin the scale benchmark keeps its profile's session under (its `--keep` port).
await runProbe(await launchPersistent(profile), 'stored-worker.js', 44545);
