//! Reading the user's audio files: decoding with symphonia (WAV PCM 8/16/24/32-bit and float
//! 32/64 including WAVE_FORMAT_EXTENSIBLE, AIFF, FLAC, MP3, Ogg Vorbis) and resampling to the
//! session's rate with rubato.
//!
//! Plain Rust with no web dependency: the tests run natively against files made by real encoders,
//! and the app runs the same code in a Web Worker, never on the main thread or the audio thread.
//! Decoding reports its progress and can be cancelled through the callback it is given. A file that
//! cannot be read gets an [`ImportError`] whose message names the reason in the user's terms.

mod header;
pub mod stream;

pub use stream::{import_streaming, track_layout, Patched, StreamedFile, StreamingImport};

use std::fmt;
use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// The longest audio accepted, in frames per channel at its own rate: three hours at 192 kHz. A
/// header claiming more is refused before anything is allocated for it.
pub const MAX_FRAMES: u64 = 3 * 3600 * 192_000;
/// The largest sample magnitude kept as it is (+600 dBFS): see [`into_tracks`].
pub const LARGEST_SAMPLE: f32 = 1.0e30;
/// The most channels accepted in one file (each becomes a track).
pub const MAX_CHANNELS: usize = 64;

pub use header::SAMPLE_RATES;

/// A decoded file: one buffer per channel, at the file's own rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
    /// What the file is, for the user: "FLAC, 24-bit", "MP3".
    pub format: String,
}

impl Decoded {
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }
}

/// Why a file could not be imported.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportError {
    /// Not an audio format Mixroom reads.
    Unsupported(String),
    /// The file is damaged or cut short where it cannot be read past.
    Corrupt(String),
    /// The file holds no audio.
    Empty,
    /// Longer, or with more channels, than Mixroom takes.
    TooLarge(String),
    /// The user cancelled the import.
    Cancelled,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Unsupported(why) => write!(f, "this is not an audio file Mixroom can read ({why}); it reads WAV, AIFF, FLAC, MP3 and Ogg Vorbis"),
            ImportError::Corrupt(why) => write!(f, "the file is damaged and cannot be decoded ({why})"),
            ImportError::Empty => write!(f, "the file holds no audio"),
            ImportError::TooLarge(why) => write!(f, "the file is too large to import ({why})"),
            ImportError::Cancelled => write!(f, "the import was cancelled"),
        }
    }
}

impl std::error::Error for ImportError {}

/// What went wrong, in the user's terms: the decoder's own words ("riff: chunk length exceeds
/// parent (list) chunk length") mean nothing to an engineer.
fn describe(e: &SymphoniaError) -> &'static str {
    match e {
        SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => "it ends early",
        SymphoniaError::IoError(_) => "it could not be read",
        SymphoniaError::DecodeError(_) | SymphoniaError::SeekError(_) => "its audio data is damaged",
        SymphoniaError::Unsupported(_) => "it uses a variant of its format that Mixroom does not read",
        SymphoniaError::LimitError(_) => "it declares more than a decoder can hold",
        SymphoniaError::ResetRequired => "its format changes midway",
    }
}

/// Decodes a whole file held in memory. `name` (the file's name) helps recognise the format.
/// `progress` is called now and then with the share done (0…1); returning `false` cancels.
pub fn decode(mut bytes: Vec<u8>, name: &str, progress: impl FnMut(f32) -> bool) -> Result<Decoded, ImportError> {
    header::prepare(&mut bytes[..])?;
    let bytes_len = bytes.len() as u64;
    let mut whole = Whole { channels: Vec::new(), bytes_len };
    let stream = decode_packets(Box::new(Cursor::new(bytes)), bytes_len, name, progress, &mut whole)?;
    Ok(Decoded { sample_rate: stream.sample_rate, channels: whole.channels, format: stream.format })
}

/// What the decoder found in a file's header.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    pub sample_rate: u32,
    /// Channels, as the header declares them (the first packet may say otherwise).
    pub channels: usize,
    /// Frames, when the header says.
    pub frames: Option<u64>,
    /// What the file is, for the user: "FLAC, 24-bit", "MP3".
    pub format: String,
}

/// Where decoded audio goes, packet by packet.
trait Sink {
    /// The header has been read.
    fn start(&mut self, stream: &Stream) -> Result<(), ImportError>;
    /// One packet's frames, interleaved (`channels` to a frame), every sample finite.
    fn frames(&mut self, interleaved: &[f32], channels: usize) -> Result<(), ImportError>;
}

/// A whole file's channels, in memory.
struct Whole {
    channels: Vec<Vec<f32>>,
    bytes_len: u64,
}

impl Sink for Whole {
    fn start(&mut self, stream: &Stream) -> Result<(), ImportError> {
        if let Some(n) = stream.frames {
            // Room for what the header promises — but never more than the file's bytes could
            // hold (a byte a sample at the least, for PCM), so a header promising billions of
            // frames in a few bytes costs nothing. (`vec![v; n]` would clone `v` without its
            // capacity.)
            let room = (n as usize).min(self.bytes_len as usize / stream.channels.max(1));
            self.channels = (0..stream.channels.max(1)).map(|_| Vec::with_capacity(room)).collect();
        }
        Ok(())
    }

    fn frames(&mut self, interleaved: &[f32], n: usize) -> Result<(), ImportError> {
        if self.channels.len() != n {
            self.channels = vec![Vec::new(); n];
        }
        for (c, channel) in self.channels.iter_mut().enumerate() {
            channel.extend(interleaved.iter().skip(c).step_by(n));
        }
        Ok(())
    }
}

/// Reads `source` (the file `name`, `bytes_len` bytes, its header already mended) packet by
/// packet into `sink`; returns what the header said, with the channels the packets had.
fn decode_packets(source: Box<dyn MediaSource>, bytes_len: u64, name: &str, mut progress: impl FnMut(f32) -> bool, sink: &mut impl Sink) -> Result<Stream, ImportError> {
    let mut packets = Packets::open(source, bytes_len, name)?;
    sink.start(&packets.stream)?;
    while !packets.next(usize::MAX, &mut progress, sink)? {}
    Ok(packets.stream)
}

/// A file being decoded, packet by packet: [`Packets::next`] decodes some more, so that a caller
/// with other work between (a worker writing to storage) holds only what one step makes.
struct Packets {
    reader: Box<dyn symphonia::core::formats::FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::Decoder>,
    track_id: u32,
    /// Frames the header promises, if it does.
    promised: Option<u64>,
    total_bytes: f64,
    /// What the header said (its channels and frames made true at the end).
    stream: Stream,
    samples: Option<SampleBuffer<f32>>,
    bad_packets: usize,
    packets: usize,
    /// Frames decoded, and the channels they have (0 before the first).
    frames: u64,
    width: usize,
}

impl Packets {
    /// Reads the header of `source` (the file `name`, `bytes_len` bytes, its header already
    /// mended), refusing what Mixroom does not take.
    fn open(source: Box<dyn MediaSource>, bytes_len: u64, name: &str) -> Result<Packets, ImportError> {
        let mut hint = Hint::new();
        if let Some(ext) = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
            hint.with_extension(&ext);
        }
        let source = MediaSourceStream::new(source, Default::default());
        let options = FormatOptions { enable_gapless: true, ..Default::default() };
        let probed = symphonia::default::get_probe()
            .format(&hint, source, &options, &MetadataOptions::default())
            .map_err(|e| match e {
                SymphoniaError::IoError(_) | SymphoniaError::Unsupported(_) => ImportError::Unsupported("its format was not recognised".into()),
                other => ImportError::Corrupt(format!("its header is damaged: {}", describe(&other))),
            })?;
        let reader = probed.format;
        let track = reader.tracks().iter().find(|t| t.codec_params.codec != CODEC_TYPE_NULL).ok_or(ImportError::Empty)?;
        let (track_id, params) = (track.id, track.codec_params.clone());
        let decoder = symphonia::default::get_codecs()
            .make(&params, &DecoderOptions::default())
            .map_err(|e| ImportError::Unsupported(describe(&e).into()))?;
        let format = format_name(&params);
        let sample_rate = params.sample_rate.ok_or_else(|| ImportError::Corrupt("its header gives no sample rate".into()))?;
        header::check_rate(sample_rate)?;
        if let Some(n) = params.n_frames.filter(|&n| n > MAX_FRAMES) {
            return Err(ImportError::TooLarge(format!("its header says it is {}, longer than the {} Mixroom takes", hours(n, sample_rate), hours(MAX_FRAMES, sample_rate))));
        }
        let channel_count = params.channels.map_or(0, |c| c.count());
        if channel_count > MAX_CHANNELS {
            return Err(ImportError::TooLarge(format!("{channel_count} channels")));
        }
        Ok(Packets {
            reader,
            decoder,
            track_id,
            promised: params.n_frames,
            total_bytes: bytes_len.max(1) as f64,
            stream: Stream { sample_rate, channels: channel_count, frames: params.n_frames, format },
            samples: None,
            bad_packets: 0,
            packets: 0,
            frames: 0,
            width: 0,
        })
    }

    fn seconds(&self, frames: u64) -> f64 {
        frames as f64 / self.stream.sample_rate.max(1) as f64
    }

    /// Decodes up to `count` more packets into `sink`; `true` once the file has ended (then
    /// [`Packets::stream`] says how many channels and frames it had). `progress` as for
    /// [`decode`].
    fn next(&mut self, count: usize, progress: &mut impl FnMut(f32) -> bool, sink: &mut impl Sink) -> Result<bool, ImportError> {
        for _ in 0..count {
            let packet = match self.reader.next_packet() {
                Ok(p) => p,
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return self.end(progress),
                // Damaged or cut short: refused, saying how far it got, rather than imported half.
                Err(e) => return Err(ImportError::Corrupt(format!("{} after {:.1} s of audio", describe(&e), self.seconds(self.frames)))),
            };
            if packet.track_id() != self.track_id {
                continue;
            }
            self.packets += 1;
            match self.decoder.decode(&packet) {
                Ok(buffer) => {
                    let spec = *buffer.spec();
                    let count = buffer.frames();
                    let sb = match &mut self.samples {
                        Some(sb) if sb.capacity() >= count * spec.channels.count() => sb,
                        _ => self.samples.insert(SampleBuffer::new(buffer.capacity() as u64, spec)),
                    };
                    sb.copy_interleaved_ref(buffer);
                    let n = spec.channels.count();
                    if self.width != n {
                        if self.frames > 0 {
                            return Err(ImportError::Corrupt("the number of channels changes midway".into()));
                        }
                        if n > MAX_CHANNELS {
                            return Err(ImportError::TooLarge(format!("{n} channels")));
                        }
                        self.width = n;
                    }
                    // Gapless (enabled in the reader's options): symphonia has already trimmed the
                    // encoder's delay and padding from the decoded buffers.
                    let interleaved = &mut sb.samples_mut()[..count * n];
                    for x in interleaved.iter_mut().filter(|x| !x.is_finite()) {
                        *x = 0.0;
                    }
                    self.frames += count as u64;
                    if self.frames > MAX_FRAMES {
                        return Err(ImportError::TooLarge(format!("longer than the {} Mixroom takes", hours(MAX_FRAMES, self.stream.sample_rate))));
                    }
                    sink.frames(interleaved, n)?;
                }
                // One damaged packet (common in MP3s cut from streams): skipped, as players do.
                Err(SymphoniaError::DecodeError(_)) => self.bad_packets += 1,
                Err(e) => return Err(ImportError::Corrupt(describe(&e).into())),
            }
            if self.packets % 64 == 1 {
                // Without a frame count (some MP3s), progress is estimated from a typical compressed
                // rate: 160 kbit/s, 20 kB a second.
                let done = self.promised.map_or_else(|| self.seconds(self.frames) * 20_000.0 / self.total_bytes, |n| self.frames as f64 / n.max(1) as f64);
                if !progress(done.clamp(0.0, 1.0) as f32) {
                    return Err(ImportError::Cancelled);
                }
            }
        }
        Ok(false)
    }

    /// The file has ended: refused if too little of it decoded, else what it was.
    fn end(&mut self, progress: &mut impl FnMut(f32) -> bool) -> Result<bool, ImportError> {
        let (frames, bad_packets, packets) = (self.frames, self.bad_packets, self.packets);
        if frames == 0 {
            return Err(if bad_packets > 0 { ImportError::Corrupt(format!("none of its {bad_packets} audio packets decode")) } else { ImportError::Empty });
        }
        // A reader that resynchronises past damage returns less than the header promised.
        if let Some(n) = self.promised {
            if frames + self.stream.sample_rate as u64 / 10 < n {
                return Err(ImportError::Corrupt(format!("only {:.1} s of its {:.1} s decode", self.seconds(frames), self.seconds(n))));
            }
        }
        if bad_packets * 10 > packets {
            return Err(ImportError::Corrupt(format!("{bad_packets} of its {packets} audio packets do not decode")));
        }
        progress(1.0);
        self.stream.channels = self.width;
        self.stream.frames = Some(frames);
        Ok(true)
    }
}

/// `frames` at `rate` as hours and minutes: "3 h 00 min", "12 h 00 min".
fn hours(frames: u64, rate: u32) -> String {
    let minutes = frames / rate.max(1) as u64 / 60;
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}

fn format_name(params: &symphonia::core::codecs::CodecParameters) -> String {
    use symphonia::core::codecs::*;
    let bits = params.bits_per_sample.map(|b| format!(", {b}-bit")).unwrap_or_default();
    match params.codec {
        CODEC_TYPE_FLAC => format!("FLAC{bits}"),
        CODEC_TYPE_MP3 => "MP3".into(),
        CODEC_TYPE_VORBIS => "Ogg Vorbis".into(),
        CODEC_TYPE_PCM_F32LE | CODEC_TYPE_PCM_F32BE => "PCM, 32-bit float".into(),
        CODEC_TYPE_PCM_F64LE | CODEC_TYPE_PCM_F64BE => "PCM, 64-bit float".into(),
        _ => format!("PCM{bits}"),
    }
}

/// Resamples `channels` from `from` Hz to `to` Hz (rubato's synchronous FFT resampler), so the
/// result lines up with the original in time: `round(frames × to / from)` frames, the filter's
/// delay removed. Returns the input unchanged when the rates are equal.
pub fn resample(channels: Vec<Vec<f32>>, from: u32, to: u32) -> Vec<Vec<f32>> {
    if from == to || from == 0 || to == 0 || channels.is_empty() {
        return channels;
    }
    let mut out: Vec<Vec<f32>> = vec![Vec::new(); channels.len()];
    let mut collect = |run: &[Vec<f32>]| out.iter_mut().zip(run).for_each(|(o, r)| o.extend_from_slice(r));
    let mut stream = StreamResampler::new(channels.len(), from, to);
    stream.push(&channels, &mut collect);
    stream.finish(&mut collect);
    out
}

/// [`resample`] for audio that comes a run at a time (an import decoding a long file): the same
/// frames, handed on as they are made, with no more than a few of the resampler's chunks held.
/// [`StreamResampler::push`] takes each run of input; [`StreamResampler::finish`], once the input
/// has ended, hands on the rest — `round(frames × to / from)` frames in all, exactly what
/// [`resample`] makes of the whole.
pub struct StreamResampler {
    /// None when the rates are equal (or the resampler could not be made): the input passes.
    inner: Option<rubato::FftFixedIn<f32>>,
    from: u32,
    to: u32,
    /// Input not yet resampled: less than the resampler's next chunk.
    pending: Vec<Vec<f32>>,
    /// Output frames still to drop for the filter's delay.
    delay_left: usize,
    /// Output made but not yet handed on: never more than the input so far accounts for.
    held: Vec<Vec<f32>>,
    frames_in: u64,
    frames_out: u64,
}

impl StreamResampler {
    /// Input frames per resampler chunk.
    const CHUNK: usize = 4096;

    pub fn new(channels: usize, from: u32, to: u32) -> StreamResampler {
        use rubato::Resampler;
        // The synchronous FFT resampler: a long linear-phase filter applied in the frequency
        // domain, with a whole-sample delay that is removed exactly.
        let inner = if from == to || from == 0 || to == 0 || channels == 0 { None } else { rubato::FftFixedIn::<f32>::new(from as usize, to as usize, Self::CHUNK, 2, channels).ok() };
        let delay_left = inner.as_ref().map_or(0, |r| r.output_delay());
        StreamResampler { inner, from, to, pending: vec![Vec::new(); channels], delay_left, held: vec![Vec::new(); channels], frames_in: 0, frames_out: 0 }
    }

    /// Takes a run of input (one buffer per channel, all as long) and hands `out` what it can.
    pub fn push(&mut self, input: &[Vec<f32>], out: &mut impl FnMut(&[Vec<f32>])) {
        let frames = input.first().map_or(0, Vec::len);
        self.frames_in += frames as u64;
        if self.inner.is_none() {
            if frames > 0 {
                self.frames_out += frames as u64;
                out(input);
            }
            return;
        }
        for (p, i) in self.pending.iter_mut().zip(input) {
            p.extend_from_slice(i);
        }
        self.run(false, out);
    }

    /// The input has ended: hands `out` the rest.
    pub fn finish(mut self, out: &mut impl FnMut(&[Vec<f32>])) {
        if self.inner.is_some() {
            self.run(true, out);
        }
    }

    /// Resamples every whole chunk pending (at the end, the last one padded with silence, and
    /// silence after it until the output is whole), and hands on what the input so far accounts
    /// for: `floor(frames_in × to / from)` frames while it goes on, `round(…)` at its end.
    fn run(&mut self, end: bool, out: &mut impl FnMut(&[Vec<f32>])) {
        use rubato::Resampler;
        let (from, to) = (self.from as u128, self.to as u128);
        let owed = |frames: u64| -> u64 {
            let f = frames as u128 * to;
            (if end { (f + from / 2) / from } else { f / from }) as u64
        };
        let wanted = owed(self.frames_in);
        let Some(resampler) = self.inner.as_mut() else { return };
        loop {
            let need = resampler.input_frames_next();
            let have = self.pending.first().map_or(0, Vec::len);
            let made = self.frames_out + self.held.first().map_or(0, Vec::len) as u64;
            if have < need && !(end && made < wanted) {
                break;
            }
            for p in &mut self.pending {
                if p.len() < need {
                    p.resize(need, 0.0);
                }
            }
            let chunk: Vec<&[f32]> = self.pending.iter().map(|p| &p[..need]).collect();
            let Ok(block) = resampler.process(&chunk, None) else { break };
            for p in &mut self.pending {
                p.drain(..need);
            }
            let skip = self.delay_left.min(block.first().map_or(0, Vec::len));
            self.delay_left -= skip;
            for (h, b) in self.held.iter_mut().zip(&block) {
                h.extend_from_slice(&b[skip..]);
            }
        }
        let give = (wanted.saturating_sub(self.frames_out) as usize).min(self.held.first().map_or(0, Vec::len));
        if give > 0 {
            let run: Vec<Vec<f32>> = self.held.iter_mut().map(|h| h.drain(..give).collect()).collect();
            self.frames_out += give as u64;
            out(&run);
        }
    }
}

/// One track made from an imported file: its name, its audio at the session rate (one or two
/// channels) and its content id.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedTrack {
    pub name: String,
    pub channels: Vec<Vec<f32>>,
    /// The audio's content hash: the same audio imported twice (or in two sessions) is stored once.
    pub id: String,
}

/// Turns a decoded file into tracks at `session_rate`: mono and stereo files become one track named
/// after the file; files with more channels one mono track per channel ("Drums 3").
/// Refused (before any work) when the audio would be longer than [`MAX_FRAMES`] at the session's
/// rate.
pub fn into_tracks(decoded: Decoded, file_name: &str, session_rate: u32) -> Result<Vec<ImportedTrack>, ImportError> {
    let resampled = decoded.frames() as u128 * session_rate as u128 / decoded.sample_rate.max(1) as u128;
    if resampled > MAX_FRAMES as u128 {
        return Err(too_long(session_rate));
    }
    let mut channels = decoded.channels;
    // Beyond ±1e30 (+600 dBFS, which no recording holds) the resampler's sums would overflow f32:
    // such samples are taken as ±1e30, and the import says how far beyond full scale the file is.
    for x in channels.iter_mut().flatten() {
        *x = x.clamp(-LARGEST_SAMPLE, LARGEST_SAMPLE);
    }
    let names = track_names(file_name, channels.len());
    let mut channels: Vec<Option<Vec<f32>>> = resample(channels, decoded.sample_rate, session_rate).into_iter().map(Some).collect();
    let tracks = track_layout(channels.len()).into_iter().map(|take| take.iter().filter_map(|&c| channels[c].take()).collect::<Vec<_>>());
    Ok(names.into_iter().zip(tracks).map(|(name, channels)| ImportedTrack { id: content_id(&channels, session_rate), name, channels }).collect())
}

/// Refusal of audio longer at the session's rate than Mixroom takes.
fn too_long(session_rate: u32) -> ImportError {
    ImportError::TooLarge(format!("at the session's rate it would be longer than the {} Mixroom takes", hours(MAX_FRAMES, session_rate)))
}

/// The names of the tracks a file `file_name` of `channels` channels becomes: mono and stereo
/// files one named after the file, files with more channels one per channel ("Drums 3").
pub fn track_names(file_name: &str, channels: usize) -> Vec<String> {
    let stem = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s).trim();
    let stem = if stem.is_empty() { "Audio" } else { stem };
    if channels <= 2 {
        vec![stem.to_owned()]
    } else {
        (1..=channels).map(|c| format!("{stem} {c}")).collect()
    }
}

/// A file whose samples peak above this (+24 dBFS: more than the trim can take back) is far
/// beyond full scale — a float file of garbage, or one scaled wrongly — and the import says so and
/// offers to normalise it.
pub const FAR_BEYOND_FULL_SCALE: f32 = 15.848_932;

/// The largest sample magnitude of a file's tracks.
pub fn peak(tracks: &[ImportedTrack]) -> f32 {
    tracks.iter().flat_map(|t| &t.channels).flatten().fold(0.0f32, |m, x| m.max(x.abs()))
}

/// Scales a file's tracks together so that their peak is at full scale (0 dBFS; the tracks keep
/// their levels relative to one another), and gives each the content id of its new samples.
pub fn normalise(tracks: &mut [ImportedTrack], session_rate: u32) {
    let top = peak(tracks);
    if !(top.is_finite() && top > 0.0) {
        return;
    }
    let gain = 1.0 / top as f64;
    for t in tracks.iter_mut() {
        for x in t.channels.iter_mut().flatten() {
            *x = normalised(*x, gain);
        }
        t.id = content_id(&t.channels, session_rate);
    }
}

/// A sample normalised by `gain` (1 / the file's peak), held within full scale: in f64 — 1/1e30 is a
/// normal f32, but the product is rounded once, not twice. A streamed import normalising on the
/// way in uses it too, so that its samples and content ids are these.
pub fn normalised(x: f32, gain: f64) -> f32 {
    ((x as f64 * gain) as f32).clamp(-1.0, 1.0)
}

/// A content hash of audio: SHA-256 over the rate, the channel count and the samples' bits,
/// written as `sha256-<hex>`.
pub fn content_id(channels: &[Vec<f32>], sample_rate: u32) -> String {
    let mut h = ContentId::new(sample_rate, channels.len());
    for c in channels {
        h.channel(c.len() as u64);
        h.samples(c);
    }
    h.finish()
}

/// [`content_id`] a run at a time, for audio that is not in memory whole (a streamed import's,
/// read back from storage): [`ContentId::channel`] before each channel's samples, every channel
/// in turn.
pub struct ContentId(sha2::Sha256);

impl ContentId {
    pub fn new(sample_rate: u32, channels: usize) -> ContentId {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(sample_rate.to_le_bytes());
        h.update((channels as u32).to_le_bytes());
        ContentId(h)
    }

    /// The next channel begins; it has `frames` frames.
    pub fn channel(&mut self, frames: u64) {
        use sha2::Digest;
        self.0.update(frames.to_le_bytes());
    }

    /// The channel's next samples.
    pub fn samples(&mut self, samples: &[f32]) {
        use sha2::Digest;
        for x in samples {
            self.0.update(x.to_le_bytes());
        }
    }

    pub fn finish(self) -> String {
        use sha2::Digest;
        let digest = self.0.finalize();
        let mut id = String::with_capacity(7 + 64);
        id.push_str("sha256-");
        for b in digest {
            id.push_str(&format!("{b:02x}"));
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(channels: usize, rate: u32, frames: usize) -> Decoded {
        Decoded { sample_rate: rate, channels: (0..channels).map(|c| (0..frames).map(|i| ((i * (c + 1)) % 97) as f32 / 97.0 - 0.5).collect()).collect(), format: "PCM, 24-bit".into() }
    }

    #[test]
    fn files_become_tracks_named_after_them() {
        let stereo = into_tracks(decoded(2, 48_000, 4_800), "stems/Lead Vox.wav", 48_000).unwrap();
        assert_eq!(stereo.len(), 1);
        assert_eq!((stereo[0].name.as_str(), stereo[0].channels.len()), ("Lead Vox", 2));
        let six = into_tracks(decoded(6, 48_000, 4_800), "Drum kit.flac", 48_000).unwrap();
        let names: Vec<&str> = six.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Drum kit 1", "Drum kit 2", "Drum kit 3", "Drum kit 4", "Drum kit 5", "Drum kit 6"]);
        assert!(six.iter().all(|t| t.channels.len() == 1));
        // At another rate the tracks come at the session's, with the length scaled.
        let at_44 = into_tracks(decoded(1, 44_100, 44_100), ".wav", 48_000).unwrap();
        assert_eq!((at_44[0].name.as_str(), at_44[0].channels[0].len()), ("Audio", 48_000));
    }

    #[test]
    fn a_file_far_beyond_full_scale_normalises_to_full_scale_with_new_ids() {
        let mut d = decoded(2, 48_000, 1_000);
        for (c, ch) in d.channels.iter_mut().enumerate() {
            for x in ch.iter_mut() {
                *x *= if c == 0 { 2e30 } else { 1e30 };
            }
        }
        let mut tracks = into_tracks(Decoded { channels: vec![d.channels[0].clone()], ..d.clone() }, "Loud.wav", 48_000).unwrap();
        tracks.extend(into_tracks(Decoded { channels: vec![d.channels[1].clone()], ..d }, "Loud.wav", 48_000).unwrap());
        let before: Vec<String> = tracks.iter().map(|t| t.id.clone()).collect();
        assert!(peak(&tracks) > FAR_BEYOND_FULL_SCALE, "taken as ±1e30 at most: {}", peak(&tracks));
        normalise(&mut tracks, 48_000);
        assert_eq!(peak(&tracks), 1.0);
        // The second track (half as loud before) stays half as loud.
        assert!((peak(&tracks[1..]) - 0.5).abs() < 1e-6, "{}", peak(&tracks[1..]));
        for (t, old) in tracks.iter().zip(&before) {
            assert_ne!(&t.id, old);
            assert_eq!(t.id, content_id(&t.channels, 48_000));
        }
    }

    /// The whole input through rubato at once, as `resample` did before it streamed: the
    /// reference the streaming resampler must equal, bit for bit.
    fn resample_whole(channels: &[Vec<f32>], from: u32, to: u32) -> Vec<Vec<f32>> {
        use rubato::{FftFixedIn, Resampler};
        let frames = channels[0].len();
        let wanted = ((frames as u128 * to as u128 + from as u128 / 2) / from as u128) as usize;
        let mut resampler = FftFixedIn::<f32>::new(from as usize, to as usize, 4096, 2, channels.len()).unwrap();
        let delay = resampler.output_delay();
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); channels.len()];
        let mut at = 0;
        while out[0].len() < wanted + delay {
            let need = resampler.input_frames_next();
            let chunk: Vec<Vec<f32>> = channels.iter().map(|c| (at..at + need).map(|i| c.get(i).copied().unwrap_or(0.0)).collect()).collect();
            at += need;
            for (o, b) in out.iter_mut().zip(resampler.process(&chunk, None).unwrap()) {
                o.extend_from_slice(&b);
            }
        }
        for o in &mut out {
            o.drain(..delay);
            o.truncate(wanted);
        }
        out
    }

    #[test]
    fn streamed_resampling_is_the_whole_resampling_in_any_runs() {
        for (from, to, frames) in [(44_100, 48_000, 100_003), (48_000, 44_100, 37_000), (96_000, 48_000, 4_096 * 5), (8_000, 48_000, 999), (22_050, 48_000, 3)] {
            let input = decoded(2, from, frames).channels;
            let whole = resample_whole(&input, from, to);
            assert_eq!(resample(input.clone(), from, to), whole, "{from} → {to}, at once");
            // Runs of uneven lengths, as a decoder hands them on (one packet's frames at a time).
            let mut stream = StreamResampler::new(2, from, to);
            let mut out: Vec<Vec<f32>> = vec![Vec::new(); 2];
            let mut collect = |run: &[Vec<f32>]| out.iter_mut().zip(run).for_each(|(o, r)| o.extend_from_slice(r));
            let mut at = 0;
            for len in [1, 1_152, 4_095, 4_097, 576, 10_000].into_iter().cycle() {
                if at >= frames {
                    break;
                }
                let end = (at + len).min(frames);
                stream.push(&input.iter().map(|c| c[at..end].to_vec()).collect::<Vec<_>>(), &mut collect);
                at = end;
            }
            stream.finish(&mut collect);
            assert_eq!(out, whole, "{from} → {to}, {frames} frames in runs");
        }
        // Equal rates pass the runs through.
        let input = decoded(1, 48_000, 5_000).channels;
        assert_eq!(resample(input.clone(), 48_000, 48_000), input);
    }

    #[test]
    fn the_same_audio_has_the_same_id_and_other_audio_another() {
        let a = decoded(2, 48_000, 1_000).channels;
        let mut b = a.clone();
        assert_eq!(content_id(&a, 48_000), content_id(&b, 48_000));
        b[1][500] += 1e-6;
        assert_ne!(content_id(&a, 48_000), content_id(&b, 48_000));
        assert_ne!(content_id(&a, 48_000), content_id(&a, 44_100));
        assert_ne!(content_id(&a[..1], 48_000), content_id(&a, 48_000));
        let id = content_id(&a, 48_000);
        assert!(id.starts_with("sha256-") && id.len() == 71 && id[7..].chars().all(|c| c.is_ascii_hexdigit()));
    }
}
