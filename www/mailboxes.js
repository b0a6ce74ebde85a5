// The mailboxes streamed pages go through from the reader (`stream-worker.js`) to the audio engine
// (`worklet-processor.js`) where the page is cross-origin isolated: a SharedArrayBuffer the reader
// makes and hands to the processor. Its layout, here only: an Int32Array header — [0] pages posted
// (a counter), then per mailbox [state, epoch, track, page, channels] — then per mailbox two
// channels of PAGE floats. A mailbox is FREE, taken by the reader (WRITING), or FULL until the
// processor has copied it into the engine and freed it (Atomics on the states).
import { PAGE } from './stored-audio.js';

export const MAILBOXES = 128, FREE = 0, WRITING = 1, FULL = 2;
const HEADER = 1 + 5 * MAILBOXES;

/** The shared memory of the mailboxes. */
export function createMailboxes() {
  return new SharedArrayBuffer(4 * HEADER + MAILBOXES * 2 * PAGE * 4);
}

/** Views over `buffer`'s mailboxes: {header, channels: [[left, right] per mailbox]}; mailbox `i`'s
 * fields are header[1 + 5i …]. */
export function mailboxViews(buffer) {
  return {
    header: new Int32Array(buffer, 0, HEADER),
    channels: Array.from({ length: MAILBOXES }, (_, i) => [0, 1].map((c) => new Float32Array(buffer, 4 * HEADER + (2 * i + c) * PAGE * 4, PAGE))),
  };
}
