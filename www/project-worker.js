// The project worker (crate `mixroom-import-worker`, module `project`): writes and reads project
// files (.mixroom) off the main thread (crate `mixroom-app`, module `sharing`). One job per worker.
//
// Protocol:
//   main → worker  {write: {session, media: [{id, channels: [Float32Array…]}]}}   write a project
//                  {read: ArrayBuffer}                                            read one
//                  {fetch: url}                                                   fetch one (CORS), read it
//   worker → main  {type: 'progress', share}                                      now and then, 0…1
//                  {type: 'done', bytes: Uint8Array}                              the written project
//                  {type: 'done', project: {session, repairs, app, media}}        the read one
//                  {type: 'error', message}                                       what is wrong
// Cancelling terminates the worker.
import init, { write_project, read_project } from './mixroom-import-worker.js';

const ready = init();

// Fetches a project file with progress (the first half of the job's): a link's hosted copy.
async function fetched(url, progress) {
  let response;
  try {
    response = await fetch(url, { mode: 'cors', credentials: 'omit' });
  } catch (err) {
    throw new Error(`the project file at ${url} could not be fetched (the address is unreachable, or it does not allow this site to read it: CORS)`);
  }
  if (!response.ok) throw new Error(`the project file at ${url} could not be fetched (the server answered ${response.status})`);
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    if (total) progress(Math.min(got / total, 1) / 2);
  }
  const bytes = new Uint8Array(got);
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  return bytes;
}

self.onmessage = async (event) => {
  const progress = (share) => { self.postMessage({ type: 'progress', share }); return true; };
  try {
    await ready;
    if (event.data.write) {
      const { session, media } = event.data.write;
      const bytes = write_project(session, media, progress);
      self.postMessage({ type: 'done', bytes }, [bytes.buffer]);
    } else {
      const bytes = event.data.fetch ? await fetched(event.data.fetch, progress) : new Uint8Array(event.data.read);
      const project = read_project(bytes, event.data.fetch ? (share) => progress(0.5 + share / 2) : progress);
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
