// The delivery worker (crate `mixroom-import-worker`, module `delivery`): renders, encodes and
// checks a delivery batch off the main thread (crate `mixroom-app`, module `delivery`), with the
// engine the CLI runs. One batch per worker; messages are handled in order.
//
// Protocol:
//   main → worker  {start: {session, order, files}}                       the mix (JSON), the order (JSON), how many files
//                  {audio: {track, channels: [Float32Array…]}}             a track's audio, at the session rate
//                  {render: {part, name, session, start, end}}            render a version ('version') or a sum-check
//                                                                         part ('sum-mix', 'sum-stem') over [start, end)
//                  {finish: true}                                         the file or zip
//   worker → main  {type: 'started'}
//                  {type: 'progress', share}                              the render under way, 0…1
//                  {type: 'rendered', answer}                             a version's check (JSON), or the sum check's verdict
//                  {type: 'done', parts: [Uint8Array…], name}             the delivery, in parts
//                  {type: 'error', message}                               what is wrong (nothing more is done)
// Cancelling terminates the worker.
import init, { DeliveryJob } from './mixroom-import-worker.js';

const ready = init();
let job = null;
let failed = false;

self.onmessage = async (event) => {
  if (failed) return;
  try {
    await ready;
    const m = event.data;
    if (m.start) {
      job = new DeliveryJob(m.start.session, m.start.order, m.start.files);
      self.postMessage({ type: 'started' });
    } else if (m.audio) {
      job.audio(m.audio.track, m.audio.channels);
    } else if (m.render) {
      const { part, name, session, start, end } = m.render;
      let last = 0;
      const progress = (share) => {
        const now = Date.now();
        if (now - last > 100) { last = now; self.postMessage({ type: 'progress', share }); }
      };
      const answer = job.render(part, name, session, start, end, progress);
      self.postMessage({ type: 'rendered', answer });
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
};
