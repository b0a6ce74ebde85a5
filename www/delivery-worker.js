// The delivery worker (crate `mixroom-import-worker`, module `delivery`): renders, encodes and
// checks a delivery batch off the main thread (crate `mixroom-app`, module `delivery`), with the
// engine the CLI runs. One batch per worker; messages are handled in order.
//
// Protocol:
//   main → worker  {start: {session, order, files}}                       the mix (JSON), the order (JSON), how many files
//                  {audio: {track, channels: [Float32Array…]}}             a track's audio, at the session rate
//                  {stream: {track, id, channels, frames}}                a track's audio in storage (source `id`):
//                                                                         read a page at a time as renders need it
//                  {render: {part, name, session, start, end}}            render a version ('version') or a sum-check
//                                                                         part ('sum-mix', 'sum-stem') over [start, end)
//                  {finish: true}                                         the file or zip
//   worker → main  {type: 'started'}
//                  {type: 'progress', share}                              the render under way, 0…1
//                  {type: 'rendered', answer}                             a version's check (JSON), or the sum check's verdict
//                  {type: 'done', parts: [Uint8Array…], name}             the delivery, in parts
//                  {type: 'error', message}                               what is wrong (nothing more is done)
// Cancelling terminates the worker. Messages are handled one after another, each to its end (a
// render waits for storage), in the order they came.
import init, { DeliveryJob } from './mixroom-import-worker.js';
import { readPages } from './stored-audio.js';

const ready = init();
let job = null;
let failed = false;
const streams = []; // per track: {id, channels, frames} of its audio in storage
let queue = Promise.resolve();

self.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};

async function handle(m) {
  if (failed) return;
  try {
    await ready;
    if (m.start) {
      job = new DeliveryJob(m.start.session, m.start.order, m.start.files);
      self.postMessage({ type: 'started' });
    } else if (m.audio) {
      job.audio(m.audio.track, m.audio.channels);
    } else if (m.stream) {
      if (!job.stream(m.stream.track, m.stream.frames)) throw new Error(`track ${m.stream.track + 1} cannot stream`);
      streams[m.stream.track] = m.stream;
    } else if (m.render) {
      const { part, name, session, start, end } = m.render;
      let last = 0;
      job.begin(part, name, session, start, end);
      for (let pairs = job.step(); pairs !== undefined; pairs = job.step()) {
        const now = Date.now();
        if (now - last > 100) { last = now; self.postMessage({ type: 'progress', share: job.share() }); }
        if (pairs.length === 0) continue;
        // The pages the next blocks need, read from storage (all at once) and handed in.
        const reads = [];
        for (let i = 0; i < pairs.length; i += 2) reads.push({ track: pairs[i], page: pairs[i + 1], ...streams[pairs[i]] });
        const pages = await readPages(reads);
        for (let i = 0; i < reads.length; i++) {
          const stored = await pages[i];
          if (!stored) throw new Error('some of the session\'s audio is missing from this browser\'s storage');
          job.page(reads[i].track, reads[i].page, stored);
        }
      }
      self.postMessage({ type: 'rendered', answer: job.end() });
    } else if (m.finish) {
      const name = job.file_name();
      const parts = job.finish();
      self.postMessage({ type: 'done', parts, name }, parts.map((p) => p.buffer));
    }
  } catch (err) {
    failed = true;
    const message = err instanceof WebAssembly.RuntimeError
      ? "Mixroom's delivery stopped (a fault in Mixroom, not in your session: nothing else is affected)"
      : String(err && err.message || err);
    self.postMessage({ type: 'error', message });
  }
}
