// The delivery worker (crate `mixroom-import-worker`, module `delivery`): encodes and checks a
// delivery batch off the main thread (crate `mixroom-app`, module `delivery`). One batch per worker.
//
// Protocol:
//   main → worker  {start: {song, order, session_rate}}       begin a batch (order: JSON)
//                  {add: {version, channels: [Float32Array…]}}  deliver one rendered version
//                  {sum: {part: 'mix'|'stem', channels}}       the stems' sum check (master bypassed)
//                  {finish: true}                              the file or zip
//   worker → main  {type: 'started'}
//                  {type: 'added', report}                     the version's hand-off check (JSON)
//                  {type: 'summed', verdict}                   a part of the sum check taken in
//                  {type: 'done', bytes: Uint8Array, name}     the delivery
//                  {type: 'error', message}                    what is wrong
// Cancelling terminates the worker.
import init, { DeliveryJob } from './mixroom-import-worker.js';

const ready = init();
let job = null;

self.onmessage = async (event) => {
  try {
    await ready;
    const m = event.data;
    if (m.start) {
      job = new DeliveryJob(m.start.song, m.start.order, m.start.session_rate);
      self.postMessage({ type: 'started' });
    } else if (m.add) {
      const report = job.add(m.add.version, m.add.channels);
      self.postMessage({ type: 'added', report });
    } else if (m.sum) {
      if (m.sum.part === 'mix') job.sum_mix(m.sum.channels); else job.sum_stem(m.sum.channels);
      self.postMessage({ type: 'summed', verdict: job.sum_verdict() });
    } else if (m.finish) {
      const bytes = job.finish();
      self.postMessage({ type: 'done', bytes, name: job.file_name() }, [bytes.buffer]);
    }
  } catch (err) {
    const message = err instanceof WebAssembly.RuntimeError
      ? "Mixroom's delivery encoder stopped (a fault in Mixroom, not in your session: nothing else is affected)"
      : String(err && err.message || err);
    self.postMessage({ type: 'error', message });
  }
};
