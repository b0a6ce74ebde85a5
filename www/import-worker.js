// The importer's Web Worker (crate `mixroom-import-worker`): decodes and resamples one file at a
// time off the main thread (crate `mixroom-app`, module `import`).
//
// Protocol:
//   main → worker  {bytes: ArrayBuffer, name, rate}         one file, and the session's rate
//                  {answer: 'normalise' | 'keep'}           to a 'loud' question
//   worker → main  {type: 'progress', share}                 now and then, 0…1
//                  {type: 'loud', peak}                      the file peaks far beyond full scale
//                                                            (peak × full scale): normalise it?
//                  {type: 'done', tracks: [{name, id, format, peak, channels: [Float32Array…]}]}
//                  {type: 'error', message}                 the file and the reason
// Cancelling terminates the worker: while it decodes it does not read messages.
import init, { import_file, normalise_tracks, far_beyond_full_scale } from './mixroom-import-worker.js';

const ready = init();
let answered = null;

self.onmessage = async (event) => {
  if (event.data.answer !== undefined) {
    if (answered) answered(event.data.answer);
    return;
  }
  const { bytes, name, rate } = event.data;
  try {
    await ready;
    let tracks = import_file(new Uint8Array(bytes), name, rate, (share) => {
      self.postMessage({ type: 'progress', share });
      return true;
    });
    const peak = tracks.length ? tracks[0].peak : 0;
    if (peak > far_beyond_full_scale()) {
      const answer = new Promise((resolve) => { answered = resolve; });
      self.postMessage({ type: 'loud', peak });
      if ((await answer) === 'normalise') tracks = normalise_tracks(tracks, rate);
    }
    const buffers = tracks.flatMap((t) => t.channels.map((c) => c.buffer));
    self.postMessage({ type: 'done', tracks }, buffers);
  } catch (err) {
    // A trap is a fault in Mixroom's decoder meeting this file, not something the user did.
    const message = err instanceof WebAssembly.RuntimeError
      ? `${name}: Mixroom's decoder stopped on this file, so it could not be imported (a fault in Mixroom, not in your session: nothing else is affected)`
      : String(err && err.message || err);
    self.postMessage({ type: 'error', message });
  }
};
