// The importer's Web Worker (crate `mixroom-import-worker`): decodes and resamples one file at a
// time off the main thread (crate `mixroom-app`, module `import`).
//
// Protocol:
//   main → worker  {bytes: ArrayBuffer, name, rate}         one file, and the session's rate
//   worker → main  {type: 'progress', share}                 now and then, 0…1
//                  {type: 'done', tracks: [{name, id, format, channels: [Float32Array…]}]}
//                  {type: 'error', message}                 the file and the reason
// Cancelling terminates the worker: while it decodes it does not read messages.
import init, { import_file } from './mixroom-import-worker.js';

const ready = init();

self.onmessage = async (event) => {
  const { bytes, name, rate } = event.data;
  try {
    await ready;
    const tracks = import_file(new Uint8Array(bytes), name, rate, (share) => {
      self.postMessage({ type: 'progress', share });
      return true;
    });
    const buffers = tracks.flatMap((t) => t.channels.map((c) => c.buffer));
    self.postMessage({ type: 'done', tracks }, buffers);
  } catch (err) {
    self.postMessage({ type: 'error', message: String(err && err.message || err) });
  }
};
