//! Reading the user's audio files: decoding with symphonia (WAV PCM 8/16/24/32-bit and float
//! 32/64 including WAVE_FORMAT_EXTENSIBLE, AIFF, FLAC, MP3, Ogg Vorbis) and resampling to the
//! session's rate with rubato.
//!
//! Plain Rust with no web dependency: the tests run natively against files made by real encoders,
//! and the app runs the same code in a Web Worker, never on the main thread or the audio thread.
//! Decoding reports its progress and can be cancelled through the callback it is given. A file that
//! cannot be read gets an [`ImportError`] whose message names the reason in the user's terms.

mod header;

use std::fmt;
use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
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
pub fn decode(mut bytes: Vec<u8>, name: &str, mut progress: impl FnMut(f32) -> bool) -> Result<Decoded, ImportError> {
    header::prepare(&mut bytes)?;
    let bytes_len = bytes.len();
    let total_bytes = bytes_len.max(1) as f64;
    let mut hint = Hint::new();
    if let Some(ext) = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        hint.with_extension(&ext);
    }
    let source = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let options = FormatOptions { enable_gapless: true, ..Default::default() };
    let probed = symphonia::default::get_probe()
        .format(&hint, source, &options, &MetadataOptions::default())
        .map_err(|e| match e {
            SymphoniaError::IoError(_) | SymphoniaError::Unsupported(_) => ImportError::Unsupported("its format was not recognised".into()),
            other => ImportError::Corrupt(format!("its header is damaged: {}", describe(&other))),
        })?;
    let mut reader = probed.format;
    let track = reader.tracks().iter().find(|t| t.codec_params.codec != CODEC_TYPE_NULL).ok_or(ImportError::Empty)?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let mut decoder = symphonia::default::get_codecs()
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

    let mut channels: Vec<Vec<f32>> = Vec::new();
    if let Some(n) = params.n_frames {
        // Room for what the header promises — but never more than the file's bytes could hold
        // (a byte a sample at the least, for PCM), so a header promising billions of frames in a
        // few bytes costs nothing. (`vec![v; n]` would
        // clone `v` without its capacity.)
        let room = (n as usize).min(bytes_len / channel_count.max(1));
        channels = (0..channel_count.max(1)).map(|_| Vec::with_capacity(room)).collect();
    }
    let mut samples: Option<SampleBuffer<f32>> = None;
    let mut bad_packets = 0usize;
    let mut packets = 0usize;
    loop {
        let packet = match reader.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            // Damaged or cut short: refused, saying how far it got, rather than imported half.
            Err(e) => {
                let seconds = channels.first().map_or(0.0, |c| c.len() as f64 / sample_rate.max(1) as f64);
                return Err(ImportError::Corrupt(format!("{} after {seconds:.1} s of audio", describe(&e))));
            }
        };
        if packet.track_id() != track_id {
            continue;
        }
        packets += 1;
        match decoder.decode(&packet) {
            Ok(buffer) => {
                let spec = *buffer.spec();
                let frames = buffer.frames();
                let sb = match &mut samples {
                    Some(sb) if sb.capacity() >= frames * spec.channels.count() => sb,
                    _ => samples.insert(SampleBuffer::new(buffer.capacity() as u64, spec)),
                };
                sb.copy_interleaved_ref(buffer);
                let n = spec.channels.count();
                if channels.len() != n {
                    if channels.iter().any(|c| !c.is_empty()) {
                        return Err(ImportError::Corrupt("the number of channels changes midway".into()));
                    }
                    if n > MAX_CHANNELS {
                        return Err(ImportError::TooLarge(format!("{n} channels")));
                    }
                    channels = vec![Vec::new(); n];
                }
                // Gapless (enabled in the reader's options): symphonia has already trimmed the
                // encoder's delay and padding from the decoded buffers.
                let interleaved = &sb.samples()[..frames * n];
                for (c, channel) in channels.iter_mut().enumerate() {
                    channel.extend(interleaved.iter().skip(c).step_by(n).map(|&x| if x.is_finite() { x } else { 0.0 }));
                }
                if channels[0].len() as u64 > MAX_FRAMES {
                    return Err(ImportError::TooLarge(format!("longer than the {} Mixroom takes", hours(MAX_FRAMES, sample_rate))));
                }
            }
            // One damaged packet (common in MP3s cut from streams): skipped, as players do.
            Err(SymphoniaError::DecodeError(_)) => bad_packets += 1,
            Err(e) => return Err(ImportError::Corrupt(describe(&e).into())),
        }
        if packets % 64 == 1 {
            let done = params.n_frames.map_or_else(
                || reader_position_share(&channels, sample_rate, total_bytes),
                |n| channels.first().map_or(0.0, |c| c.len() as f64 / n.max(1) as f64),
            );
            if !progress(done.clamp(0.0, 1.0) as f32) {
                return Err(ImportError::Cancelled);
            }
        }
    }
    if channels.first().is_none_or(Vec::is_empty) {
        return Err(if bad_packets > 0 { ImportError::Corrupt(format!("none of its {bad_packets} audio packets decode")) } else { ImportError::Empty });
    }
    // A reader that resynchronises past damage returns less than the header promised.
    if let Some(n) = params.n_frames {
        let got = channels[0].len() as u64;
        if got + sample_rate as u64 / 10 < n {
            return Err(ImportError::Corrupt(format!("only {:.1} s of its {:.1} s decode", got as f64 / sample_rate as f64, n as f64 / sample_rate as f64)));
        }
    }
    if bad_packets * 10 > packets {
        return Err(ImportError::Corrupt(format!("{bad_packets} of its {packets} audio packets do not decode")));
    }
    progress(1.0);
    Ok(Decoded { sample_rate, channels, format })
}

/// `frames` at `rate` as hours and minutes: "3 h 00 min", "12 h 00 min".
fn hours(frames: u64, rate: u32) -> String {
    let minutes = frames / rate.max(1) as u64 / 60;
    format!("{} h {:02} min", minutes / 60, minutes % 60)
}

/// Without a frame count (some MP3s), progress is estimated from a typical compressed rate.
fn reader_position_share(channels: &[Vec<f32>], sample_rate: u32, total_bytes: f64) -> f64 {
    let seconds = channels.first().map_or(0.0, |c| c.len() as f64 / sample_rate.max(1) as f64);
    // 160 kbit/s: 20 kB a second.
    seconds * 20_000.0 / total_bytes
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
    use rubato::{FftFixedIn, Resampler};
    if from == to || from == 0 || to == 0 || channels.is_empty() {
        return channels;
    }
    let frames = channels[0].len();
    let wanted = ((frames as u128 * to as u128 + from as u128 / 2) / from as u128) as usize;
    // The synchronous FFT resampler: a long linear-phase filter applied in the frequency domain,
    // with a whole-sample delay that is removed exactly.
    const CHUNK: usize = 4096;
    let Ok(mut resampler) = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, channels.len()) else {
        return channels;
    };
    let delay = resampler.output_delay();
    let mut out: Vec<Vec<f32>> = vec![Vec::with_capacity(wanted + delay + CHUNK); channels.len()];
    let mut at = 0;
    // Feed the audio, then silence until the delayed output covers every wanted frame.
    while out[0].len() < wanted + delay {
        let need = resampler.input_frames_next();
        let chunk: Vec<Vec<f32>> = channels
            .iter()
            .map(|c| (at..at + need).map(|i| c.get(i).copied().unwrap_or(0.0)).collect())
            .collect();
        at += need;
        match resampler.process(&chunk, None) {
            Ok(block) => {
                for (o, b) in out.iter_mut().zip(block) {
                    o.extend_from_slice(&b);
                }
            }
            Err(_) => break,
        }
    }
    for o in &mut out {
        o.drain(..delay.min(o.len()));
        o.resize(wanted, 0.0);
    }
    out
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
        return Err(ImportError::TooLarge(format!("at the session's rate it would be longer than the {} Mixroom takes", hours(MAX_FRAMES, session_rate))));
    }
    let stem = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s).trim();
    let stem = if stem.is_empty() { "Audio" } else { stem };
    let mut channels = decoded.channels;
    // Beyond ±1e30 (+600 dBFS, which no recording holds) the resampler's sums would overflow f32:
    // such samples are taken as ±1e30, and the import says how far beyond full scale the file is.
    for x in channels.iter_mut().flatten() {
        *x = x.clamp(-LARGEST_SAMPLE, LARGEST_SAMPLE);
    }
    let channels = resample(channels, decoded.sample_rate, session_rate);
    let groups: Vec<(String, Vec<Vec<f32>>)> = if channels.len() <= 2 {
        vec![(stem.to_owned(), channels)]
    } else {
        channels.into_iter().enumerate().map(|(c, ch)| (format!("{stem} {}", c + 1), vec![ch])).collect()
    };
    Ok(groups.into_iter().map(|(name, channels)| ImportedTrack { id: content_id(&channels, session_rate), name, channels }).collect())
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
    // In f64: 1/1e30 is a normal f32, but the product is rounded once, not twice.
    let gain = 1.0 / top as f64;
    for t in tracks.iter_mut() {
        for x in t.channels.iter_mut().flatten() {
            *x = ((*x as f64 * gain) as f32).clamp(-1.0, 1.0);
        }
        t.id = content_id(&t.channels, session_rate);
    }
}

/// A content hash of audio: SHA-256 over the rate, the channel count and the samples' bits,
/// written as `sha256-<hex>`.
pub fn content_id(channels: &[Vec<f32>], sample_rate: u32) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(sample_rate.to_le_bytes());
    h.update((channels.len() as u32).to_le_bytes());
    for c in channels {
        h.update((c.len() as u64).to_le_bytes());
        for x in c {
            h.update(x.to_le_bytes());
        }
    }
    let digest = h.finalize();
    let mut id = String::with_capacity(7 + 64);
    id.push_str("sha256-");
    for b in digest {
        id.push_str(&format!("{b:02x}"));
    }
    id
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
