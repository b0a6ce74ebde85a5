//! Importing a file without holding it: read from its source a slice at a time, decoded packet by
//! packet, resampled run by run, and handed on as it comes — so a 2 GB WAV (three hours of a live
//! recording) imports in the memory of a few of the resampler's chunks. The app's import worker
//! reads the user's `File` in slices and writes the audio into storage as it comes; natively any
//! `Read + Seek` does.
//!
//! What comes out is exactly what [`crate::decode`] and [`crate::into_tracks`] make of the whole
//! file in memory: the same tracks, the same samples, the same content ids (the tests hold them
//! to it).

use std::io::{Read, Seek, SeekFrom};

use symphonia::core::io::MediaSource;

use crate::header::{self, Bytes};
use crate::{too_long, track_names, ImportError, Packets, Sink, Stream, StreamResampler, LARGEST_SAMPLE, MAX_FRAMES};

/// A file read through `R`, with the header's mends ([`header::prepare`]) laid over what is read:
/// the file itself is never written.
pub struct Patched<R> {
    inner: R,
    len: u64,
    position: u64,
    /// (offset, bytes) mended, in the order they were made.
    patches: Vec<(u64, Vec<u8>)>,
}

impl<R: Read + Seek> Patched<R> {
    /// `inner`, `len` bytes long, its header looked at and mended (or refused, in the user's
    /// terms, as [`crate::decode`] refuses it).
    pub fn new(inner: R, len: u64) -> Result<Patched<R>, ImportError> {
        let mut p = Patched { inner, len, position: 0, patches: Vec::new() };
        header::prepare(&mut p)?;
        p.inner.seek(SeekFrom::Start(0)).map_err(|_| ImportError::Corrupt("it could not be read".into()))?;
        Ok(p)
    }
}

impl<R: Read + Seek> Bytes for Patched<R> {
    fn len(&self) -> usize {
        self.len as usize
    }

    fn read<const N: usize>(&mut self, at: usize) -> Option<[u8; N]> {
        if at as u64 + N as u64 > self.len {
            return None;
        }
        let mut b = [0u8; N];
        self.inner.seek(SeekFrom::Start(at as u64)).ok()?;
        self.inner.read_exact(&mut b).ok()?;
        lay_over(&self.patches, at as u64, &mut b);
        Some(b)
    }

    fn write(&mut self, at: usize, bytes: &[u8]) {
        self.patches.push((at as u64, bytes.to_vec()));
    }
}

/// Lays the mends over `buf`, which holds the file's bytes from `at` on.
fn lay_over(patches: &[(u64, Vec<u8>)], at: u64, buf: &mut [u8]) {
    let end = at + buf.len() as u64;
    for (offset, bytes) in patches {
        let (from, to) = ((*offset).max(at), (*offset + bytes.len() as u64).min(end));
        if from < to {
            buf[(from - at) as usize..(to - at) as usize].copy_from_slice(&bytes[(from - offset) as usize..(to - offset) as usize]);
        }
    }
}

impl<R: Read> Read for Patched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        lay_over(&self.patches, self.position, &mut buf[..n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Patched<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.position = self.inner.seek(to)?;
        Ok(self.position)
    }
}

impl<R: Read + Seek + Send + Sync> MediaSource for Patched<R> {
    fn is_seekable(&self) -> bool {
        true
    }
    fn byte_len(&self) -> Option<u64> {
        Some(self.len)
    }
}

/// What a streamed import made: the file's tracks, their audio handed on as it came.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamedFile {
    /// The tracks' names (as [`crate::into_tracks`] names them), in order.
    pub names: Vec<String>,
    /// Which of the file's channels each track has: one track of one or two, or one mono track per
    /// channel.
    pub layout: Vec<Vec<usize>>,
    /// Frames of every track, at the session's rate.
    pub frames: u64,
    /// The largest sample magnitude at the session's rate (of every track: see [`crate::peak`]).
    pub peak: f32,
    /// What the file is, for the user: "FLAC, 24-bit", "MP3".
    pub format: String,
}

/// Which of a file's `channels` each of its tracks takes: mono and stereo files are one track,
/// files with more channels one mono track per channel.
pub fn track_layout(channels: usize) -> Vec<Vec<usize>> {
    if channels <= 2 {
        vec![(0..channels).collect()]
    } else {
        (0..channels).map(|c| vec![c]).collect()
    }
}

/// Imports the file `name` from `source` (`len` bytes), at `session_rate`, handing `audio` each
/// run of it as it is made: one buffer per file channel, all as long (see
/// [`StreamedFile::layout`] for the tracks they belong to). `progress` as for [`crate::decode`].
/// The runs together are exactly the tracks [`crate::into_tracks`] makes of the whole file.
pub fn import_streaming<R: Read + Seek + Send + Sync + 'static>(
    source: R,
    len: u64,
    name: &str,
    session_rate: u32,
    mut progress: impl FnMut(f32) -> bool,
    mut audio: impl FnMut(&[Vec<f32>]),
) -> Result<StreamedFile, ImportError> {
    let mut import = StreamingImport::open(source, len, name, session_rate)?;
    loop {
        if let Some(file) = import.next(usize::MAX, &mut progress, &mut audio)? {
            return Ok(file);
        }
    }
}

/// [`import_streaming`] a step at a time: each [`StreamingImport::next`] decodes a few packets and
/// hands on their audio, so that a caller can do its own work between steps (the app's import
/// worker waits for storage to take each step's pages).
pub struct StreamingImport {
    packets: Packets,
    state: Streamed,
    name: String,
}

impl StreamingImport {
    /// Opens the file `name` from `source` (`len` bytes) for import at `session_rate`: its header
    /// read, and refused (in the user's terms) if Mixroom cannot take it.
    pub fn open<R: Read + Seek + Send + Sync + 'static>(source: R, len: u64, name: &str, session_rate: u32) -> Result<StreamingImport, ImportError> {
        let source = Patched::new(source, len)?;
        let packets = Packets::open(Box::new(source), len, name)?;
        let mut state = Streamed { session_rate, file_rate: 0, resampler: None, peak: 0.0, frames_out: 0, runs: Vec::new() };
        state.start(&packets.stream)?;
        Ok(StreamingImport { packets, state, name: name.to_owned() })
    }

    /// Decodes up to `packets` more packets, handing `audio` the runs they make; once the file
    /// has ended (its last runs handed on), what it was.
    pub fn next(&mut self, packets: usize, progress: &mut impl FnMut(f32) -> bool, audio: &mut impl FnMut(&[Vec<f32>])) -> Result<Option<StreamedFile>, ImportError> {
        let mut sink = Step { state: &mut self.state, audio };
        if !self.packets.next(packets, progress, &mut sink)? {
            return Ok(None);
        }
        let state = &mut self.state;
        if let Some(resampler) = state.resampler.take() {
            resampler.finish(&mut |run: &[Vec<f32>]| hand_on(run, audio, &mut state.peak, &mut state.frames_out));
        }
        let stream = &self.packets.stream;
        Ok(Some(StreamedFile { names: track_names(&self.name, stream.channels), layout: track_layout(stream.channels), frames: state.frames_out, peak: state.peak, format: stream.format.clone() }))
    }
}

/// The streaming import's state: each packet's frames split into channels, bounded, resampled.
struct Streamed {
    session_rate: u32,
    /// The file's rate (from its header).
    file_rate: u32,
    resampler: Option<StreamResampler>,
    peak: f32,
    frames_out: u64,
    /// The packet's channels (kept, so no packet allocates them afresh).
    runs: Vec<Vec<f32>>,
}

/// One step's sink: the import's state, and where this step's runs go.
struct Step<'a, F> {
    state: &'a mut Streamed,
    audio: &'a mut F,
}

fn hand_on(run: &[Vec<f32>], audio: &mut impl FnMut(&[Vec<f32>]), peak: &mut f32, frames_out: &mut u64) {
    *peak = run.iter().flatten().fold(*peak, |m, x| m.max(x.abs()));
    *frames_out += run.first().map_or(0, Vec::len) as u64;
    audio(run);
}

impl Streamed {
    fn start(&mut self, stream: &Stream) -> Result<(), ImportError> {
        self.file_rate = stream.sample_rate;
        // Refused before any work when the header says the audio would be too long at the
        // session's rate (as `into_tracks` refuses the whole file).
        if let Some(n) = stream.frames {
            if n as u128 * self.session_rate as u128 / stream.sample_rate.max(1) as u128 > MAX_FRAMES as u128 {
                return Err(too_long(self.session_rate));
            }
        }
        Ok(())
    }
}

impl<F: FnMut(&[Vec<f32>])> Sink for Step<'_, F> {
    fn start(&mut self, stream: &Stream) -> Result<(), ImportError> {
        self.state.start(stream)
    }

    fn frames(&mut self, interleaved: &[f32], n: usize) -> Result<(), ImportError> {
        let Streamed { session_rate, file_rate, resampler, peak, frames_out, runs } = &mut *self.state;
        if runs.len() != n {
            *runs = vec![Vec::new(); n];
        }
        for (c, run) in runs.iter_mut().enumerate() {
            run.clear();
            // Beyond ±1e30 the resampler's sums would overflow f32 (see `into_tracks`).
            run.extend(interleaved.iter().skip(c).step_by(n).map(|x| x.clamp(-LARGEST_SAMPLE, LARGEST_SAMPLE)));
        }
        let resampler = resampler.get_or_insert_with(|| StreamResampler::new(n, *file_rate, *session_rate));
        resampler.push(runs, &mut |run: &[Vec<f32>]| hand_on(run, self.audio, peak, frames_out));
        if *frames_out > MAX_FRAMES {
            return Err(too_long(*session_rate));
        }
        Ok(())
    }
}
