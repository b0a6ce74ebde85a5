// The project worker (crate `mixroom-import-worker`, module `project`): writes and reads project
// files (.mixroom) off the main thread (crate `mixroom-app`, module `sharing`). One job per worker.
//
// Protocol:
//   main → worker  {write: {session, media: [{id, channels: [Float32Array…]}]}}   write a project
//                  {read: ArrayBuffer}                                            read one
//   worker → main  {type: 'progress', share}                                      now and then, 0…1
//                  {type: 'done', bytes: Uint8Array}                              the written project
//                  {type: 'done', project: {session, repairs, app, media}}        the read one
//                  {type: 'error', message}                                       what is wrong
// Cancelling terminates the worker.
import init, { write_project, read_project } from './mixroom-import-worker.js';

const ready = init();

self.onmessage = async (event) => {
  const progress = (share) => { self.postMessage({ type: 'progress', share }); return true; };
  try {
    await ready;
    if (event.data.write) {
      const { session, media } = event.data.write;
      const bytes = write_project(session, media, progress);
      self.postMessage({ type: 'done', bytes }, [bytes.buffer]);
    } else {
      const project = read_project(new Uint8Array(event.data.read), progress);
      const buffers = project.media.flatMap((m) => m.channels.map((c) => c.buffer));
      self.postMessage({ type: 'done', project }, buffers);
    }
  } catch (err) {
    const message = err instanceof WebAssembly.RuntimeError
      ? "Mixroom's project reader stopped on this file (a fault in Mixroom, not in your session: nothing else is affected)"
      : String(err && err.message || err);
    self.postMessage({ type: 'error', message });
  }
};
