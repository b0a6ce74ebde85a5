// The importer's Web Worker (crate `mixroom-import-worker`): imports one file at a time off the
// main thread (crate `mixroom-app`, module `import`), straight into storage — the file read in
// slices, decoded and resampled a few packets at a time, each step's pages written before the
// next — so that neither the file nor its decode is ever held whole, here or in the page.
//
// Protocol:
//   main → worker  {file: File, rate, key}                   one file, the session's rate, and the
//                                                            key its tracks' records go under
//                                                            ("<key>.<track>"; normalised, "<key>n.<track>")
//                  {answer: 'normalise' | 'keep'}           to a 'loud' question
//   worker → main  {type: 'progress', share}                 now and then, 0…1
//                  {type: 'loud', peak}                      the file peaks far beyond full scale
//                                                            (peak × full scale): normalise it?
//                  {type: 'done', format, tracks: [{name, id, pages, channels, frames, level,
//                   overview: [Float32Array…]}]}              each track's content id, the key its
//                                                            records are stored under, its level
//                                                            and the overview levels its audio
//                                                            record keeps
//                  {type: 'error', message}                 the file and the reason
// The tracks' audio records are written by the app when it saves the session (with them, the
// records that say whose the pages are); pages no record names are deleted when the app starts,
// and the app deletes a cancelled import's (it terminates the worker); a failed one deletes what it
// wrote at once.
import init, { StreamedImport, far_beyond_full_scale } from './mixroom-import-worker.js';
import { PAGE, pageKey, writeRecords, readRecords, deleteUnder } from './stored-audio.js';

const ready = init();
let answered = null;
// Pages read back at once for the content id.
const READ_BACK = 64;

self.onmessage = async (event) => {
  if (event.data.answer !== undefined) {
    if (answered) answered(event.data.answer);
    return;
  }
  const { file, rate, key } = event.data;
  const name = file.name;
  const written = [];
  try {
    await ready;
    // The first pass is most of the work; a normalising second pass and the read-back share the
    // rest.
    let job = await importInto(file, rate, key, undefined, written, (s) => s * 0.9);
    const peak = job.peak();
    if (peak > far_beyond_full_scale()) {
      const answer = new Promise((resolve) => { answered = resolve; });
      self.postMessage({ type: 'loud', peak });
      if ((await answer) === 'normalise') {
        await deleteAll(written.splice(0));
        job.free();
        // As `normalise_tracks`: every sample × 1/peak, in f64, held within full scale.
        job = await importInto(file, rate, `${key}n`, 1 / peak, written, (s) => s * 0.9);
      }
    }
    const tracks = job.tracks();
    for (let t = 0; t < tracks.length; t++) {
      const { pages, channels, frames } = tracks[t];
      const count = Math.ceil(frames / PAGE);
      for (let c = 0; c < channels; c++) {
        for (let from = 0; from < count; from += READ_BACK) {
          const keys = [];
          for (let p = from; p < Math.min(count, from + READ_BACK); p++) keys.push(pageKey(pages, p, c));
          for (const samples of await readRecords(keys)) {
            if (!(samples instanceof Float32Array)) throw new Error(`${name}: what was just stored of it cannot be read back`);
            job.hash(t, c, samples);
          }
          self.postMessage({ type: 'progress', share: 0.9 + 0.1 * (t + (c + from / count) / channels) / tracks.length });
        }
      }
      tracks[t].id = job.content_id(t);
    }
    self.postMessage({ type: 'done', format: job.format(), tracks });
  } catch (err) {
    await deleteAll(written).catch(() => {});
    // A trap is a fault in Mixroom's decoder meeting this file, not something the user did.
    let message = err instanceof WebAssembly.RuntimeError
      ? `${name}: Mixroom's decoder stopped on this file, so it could not be imported (a fault in Mixroom, not in your session: nothing else is affected)`
      : String(err && err.message || err);
    if (err && err.name === 'QuotaExceededError') message = `${name}: the browser's storage for this site is full, so it could not be imported. Delete sessions you no longer need (Sessions…) and import it again`;
    self.postMessage({ type: 'error', message });
  }
};

// Imports `file` into storage under `pages`, step by step, each step's records written before the
// next; `written` collects the tracks' keys (to delete them if it fails). Returns the finished job.
async function importInto(file, rate, pages, gain, written, share) {
  const job = new StreamedImport(file, rate, pages, gain);
  written.push(pages);
  const progress = (s) => { self.postMessage({ type: 'progress', share: share(s) }); return true; };
  while (!job.done()) {
    const records = job.step(progress);
    if (records.length) await writeRecords(records);
  }
  return job;
}

// Deletes every record of the imports keyed `keys` (each track's key is "<key>.<track>").
async function deleteAll(keys) {
  for (const key of keys) await deleteUnder(`${key}.`, `${key}.~`);
}
