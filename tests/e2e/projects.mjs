// Project files for the tests, good and hostile, made here the way a hostile tool would make them:
// a minimal zip writer (stored or deflated entries, any names — twice, or out of the archive — and
// any declared sizes), a session, media and the content ids Mixroom computes for them.
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip of `entries` ({ name, data: Buffer, deflate? }), written as given. */
export function zip(entries) {
  const locals = [];
  const central = [];
  let offset = 0;
  for (const { name, data, deflate } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const body = deflate ? deflateRawSync(data) : data;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(deflate ? 8 : 0, 8); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, body);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0); entry.writeUInt16LE(20, 4); entry.writeUInt16LE(20, 6); entry.writeUInt16LE(0x0800, 8);
    entry.writeUInt16LE(deflate ? 8 : 0, 10); entry.writeUInt32LE(crc, 16); entry.writeUInt32LE(body.length, 20);
    entry.writeUInt32LE(data.length, 24); entry.writeUInt16LE(nameBytes.length, 28); entry.writeUInt32LE(offset, 42);
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + body.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

/** Mixroom's content id of audio (channels of Float32Array) at `rate`: SHA-256 over the rate, the
 * channel count, and each channel's length and samples' bits, little endian. */
export function contentId(channels, rate) {
  const h = createHash('sha256');
  const u32 = Buffer.alloc(4);
  u32.writeUInt32LE(rate); h.update(u32);
  u32.writeUInt32LE(channels.length); h.update(u32);
  for (const c of channels) {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(c.length)); h.update(len);
    h.update(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  }
  return `sha256-${h.digest('hex')}`;
}

/** A 32-bit float mono WAV of `samples`. */
export function floatWav(samples, rate) {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(3, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24); header.writeUInt32LE(rate * 4, 28); header.writeUInt16LE(4, 32); header.writeUInt16LE(32, 34);
  header.write('data', 36); header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, Buffer.from(data)]);
}

/** The parts of a good project: a session of one imported track (named `trackName`) and its
 * audio, as entries; alter them to make bad ones. */
export function projectParts({ trackName = 'Shaker', sessionName = 'Shared mix', markerName = null } = {}) {
  const rate = 48000;
  const samples = new Float32Array(24000).map((_, i) => 0.3 * Math.sin(i * 0.05));
  const id = contentId([samples], rate);
  const session = {
    format: 'mixroom-session', version: 4, name: sessionName, sample_rate: rate, tempo_bpm: 120,
    tracks: [{ id: 'track-1', name: trackName, source: { kind: 'audio', id, channels: 1, frames: samples.length }, fader_db: -3 }],
    master: {},
    markers: markerName === null ? [] : [{ name: markerName, frame: 12000 }],
  };
  const wav = floatWav(samples, rate);
  const manifest = {
    format: 'mixroom-project', version: 1, app: 'mixroom test', session: 'session.json',
    media: [{ id, channels: 1, frames: samples.length, rate, path: `media/${id}.wav`, encoding: 'float32', bytes: wav.length }],
  };
  return {
    id, samples, rate,
    entries: () => [
      { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)), deflate: true },
      { name: 'session.json', data: Buffer.from(JSON.stringify(session)), deflate: true },
      { name: `media/${id}.wav`, data: wav },
    ],
    manifest, session, wav,
  };
}
