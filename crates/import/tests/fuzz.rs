//! Fuzzing the importer: files of every format Mixroom reads (WAV in four sample formats, AIFF,
//! FLAC, MP3, Ogg Vorbis), made by real encoders, then damaged in thousands of ways — bits flipped,
//! header fields set to the values that break readers (0, 1, 0xFFFFFFFF…), cut short, spliced —
//! and imported. Zero panics and zero hangs: every input ends as tracks or as an `ImportError`.
//!
//! A fixed budget (the same mutations every run: a seeded generator) keeps it deterministic and
//! within a couple of minutes. A panicking input is written to `target/…/import-fuzz/` to replay.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use mixroom_import::{decode, into_tracks};

/// Randomly mutated inputs per seed file.
const CASES_PER_SEED: usize = 600;
/// How many of a seed's first bytes the systematic sweep covers: every format's header fields.
const HEADER_SWEEP: usize = 96;
/// An input that takes longer than this to import has hung (a tiny file takes milliseconds).
const HANG: Duration = Duration::from_secs(60);

mod common;

use common::tool;

fn dir() -> PathBuf {
    common::dir("import-fuzz")
}

/// A small generator (xorshift): the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The seed files: a quarter second of a stereo tone in every format, by the real encoders.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let frames = 11_025;
    let spec = |bits, format| hound::WavSpec { channels: 2, sample_rate: 44_100, bits_per_sample: bits, sample_format: format };
    let mut seeds = Vec::new();
    for (name, bits, format) in [("s16.wav", 16, hound::SampleFormat::Int), ("s24.wav", 24, hound::SampleFormat::Int), ("u8.wav", 8, hound::SampleFormat::Int), ("f32.wav", 32, hound::SampleFormat::Float)] {
        let path = dir().join(name);
        let mut w = hound::WavWriter::create(&path, spec(bits, format)).unwrap();
        for i in 0..frames {
            let x = 0.5 * (i as f32 * 0.0627).sin();
            for _ in 0..2 {
                match format {
                    hound::SampleFormat::Float => w.write_sample(x).unwrap(),
                    hound::SampleFormat::Int => w.write_sample((x * ((1i64 << (bits - 1)) - 1) as f32) as i32).unwrap(),
                }
            }
        }
        w.finalize().unwrap();
        seeds.push((name.to_owned(), std::fs::read(&path).unwrap()));
    }
    let wav = dir().join("s16.wav");
    let w = wav.to_str().unwrap();
    for (name, args) in [
        ("seed.aiff", vec!["sox", w, dir().join("seed.aiff").to_str().unwrap().to_owned().leak()]),
        ("seed.flac", vec!["flac", "--silent", "--force", "-o", dir().join("seed.flac").to_str().unwrap().to_owned().leak(), w]),
        ("seed.mp3", vec!["lame", "--silent", w, dir().join("seed.mp3").to_str().unwrap().to_owned().leak()]),
        ("seed.ogg", vec!["oggenc", "--quiet", "-o", dir().join("seed.ogg").to_str().unwrap().to_owned().leak(), w]),
    ] {
        tool(args[0], &args[1..]);
        seeds.push((name.to_owned(), std::fs::read(dir().join(name)).unwrap()));
    }
    seeds
}

/// Values that break readers when they land in a size, a rate or a count.
const NASTY: [u32; 10] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF];

/// One damaged copy of `seed`.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = b.len().max(1);
        match rng.below(8) {
            // A few bits flipped anywhere, most often in the header.
            0 => {
                let at = if rng.below(2) == 0 { rng.below(len.min(128)) } else { rng.below(len) };
                if let Some(x) = b.get_mut(at) {
                    *x ^= 1 << rng.below(8);
                }
            }
            // A nasty 32-bit value over a header field (little or big endian: RIFF or AIFF/FLAC).
            1 | 2 => {
                let at = rng.below(len.min(160));
                let v = NASTY[rng.below(NASTY.len())];
                let bytes = if rng.below(2) == 0 { v.to_le_bytes() } else { v.to_be_bytes() };
                for (k, x) in bytes.iter().enumerate() {
                    if let Some(y) = b.get_mut(at + k) {
                        *y = *x;
                    }
                }
            }
            // Cut short.
            3 => b.truncate(rng.below(len)),
            // A stretch overwritten with garbage.
            4 => {
                let at = rng.below(len);
                let n = rng.below(256);
                for k in at..(at + n).min(b.len()) {
                    b[k] = rng.next() as u8;
                }
            }
            // A stretch repeated (a chunk or a frame twice).
            5 => {
                let at = rng.below(len);
                let n = rng.below(512).min(b.len() - at.min(b.len()));
                let piece = b[at.min(b.len())..at.min(b.len()) + n].to_vec();
                let to = rng.below(b.len().max(1));
                b.splice(to..to, piece);
            }
            // A stretch removed.
            6 => {
                let at = rng.below(len);
                let n = rng.below(512);
                let end = (at + n).min(b.len());
                if at < end {
                    b.drain(at..end);
                }
            }
            // A single byte set to a nasty value.
            _ => {
                let at = rng.below(len.min(256));
                if let Some(x) = b.get_mut(at) {
                    *x = NASTY[rng.below(NASTY.len())] as u8;
                }
            }
        }
    }
    b
}

#[test]
fn no_input_makes_the_importer_panic_or_hang() {
    let seeds = seeds();
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (name, seed) in &seeds {
        inputs.push((name.clone(), seed.clone()));
        // Every header field, systematically: each nasty value over each of the first bytes, as a
        // 32-bit value either way round and as a 16-bit one.
        for at in 0..seed.len().min(HEADER_SWEEP) {
            for v in NASTY {
                for bytes in [v.to_le_bytes().to_vec(), v.to_be_bytes().to_vec(), (v as u16).to_le_bytes().to_vec(), (v as u16).to_be_bytes().to_vec()] {
                    let mut b = seed.clone();
                    for (k, x) in bytes.iter().enumerate() {
                        if let Some(y) = b.get_mut(at + k) {
                            *y = *x;
                        }
                    }
                    inputs.push((name.clone(), b));
                }
            }
        }
        for _ in 0..CASES_PER_SEED {
            let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
            // Sometimes under the wrong extension: the probe must not trust the name.
            let name = if rng.below(8) == 0 { format!("damaged.{}", ["wav", "aiff", "flac", "mp3", "ogg", "txt"][rng.below(6)]) } else { format!("damaged.{ext}") };
            inputs.push((name, mutate(seed, &mut rng)));
        }
    }
    // Panics are caught and counted, quietly (their messages are kept).
    let messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let kept = messages.clone();
    std::panic::set_hook(Box::new(move |info| kept.lock().unwrap().push(info.to_string())));
    let total = inputs.len();
    let (tx, rx) = mpsc::channel::<(usize, Option<String>)>();
    let worker = std::thread::spawn(move || {
        for (i, (name, bytes)) in inputs.into_iter().enumerate() {
            let copy = bytes.clone();
            let started = std::time::Instant::now();
            let shown = name.clone();
            let outcome = std::panic::catch_unwind(move || {
                if let Ok(decoded) = decode(bytes, &name, |_| true) {
                    // Into tracks at another rate too: the resampler meets whatever rate the file claimed.
                    let tracks = into_tracks(decoded, &name, 48_000).unwrap_or_default();
                    assert!(tracks.iter().all(|t| t.channels.iter().all(|c| c.iter().all(|x| x.is_finite()))));
                }
            });
            if started.elapsed() > Duration::from_secs(2) {
                eprintln!("SLOW {i} {shown}: {:?}", started.elapsed());
                std::fs::write(dir().join(format!("slow-{i}.bin")), &copy).unwrap();
            }
            let failure = outcome.err().map(|_| {
                let path = dir().join(format!("panic-{i}.bin"));
                std::fs::write(&path, &copy).unwrap();
                path.display().to_string()
            });
            if tx.send((i, failure)).is_err() {
                return;
            }
        }
    });
    let mut panics = Vec::new();
    for _ in 0..total {
        match rx.recv_timeout(HANG) {
            Ok((_, Some(path))) => panics.push(path),
            Ok((_, None)) => {}
            Err(_) => {
                let _ = std::panic::take_hook();
                panic!("an import took longer than {HANG:?}: it hangs (inputs so far: {} panics)", panics.len())
            }
        }
    }
    worker.join().unwrap();
    let _ = std::panic::take_hook();
    let messages = messages.lock().unwrap();
    let mut kinds: Vec<String> = messages.iter().map(|m| m.lines().next().unwrap_or_default().to_owned()).collect();
    kinds.sort();
    kinds.dedup();
    assert!(panics.is_empty(), "{} of {total} inputs made the importer panic; first: {}; the panics:\n{}", panics.len(), panics[0], kinds.join("\n"));
}
