//! Decoding files made by real encoders (sox, ffmpeg, flac, lame, oggenc from Debian), compared with each
//! encoder's own decoder: lossless formats sample for sample, lossy ones within their precision.
//! The tools are installed by `cargo xtask test`; a missing one fails the test with its name.

use std::path::{Path, PathBuf};
use std::process::Command;

use mixroom_import::{decode, resample, ImportError};

const RATE: u32 = 44_100;

mod common;

use common::tool;

fn dir() -> PathBuf {
    common::dir("import-tests")
}

/// The test signal: `channels` channels, 1.5 s, tones and a deterministic noise, peaks under 0.9.
fn signal(channels: usize) -> Vec<Vec<f32>> {
    let frames = (RATE as f64 * 1.5) as usize;
    let mut seed = 0x2545_f491u32;
    (0..channels)
        .map(|c| {
            (0..frames)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let t = i as f64 / RATE as f64;
                    let tone = 0.5 * (2.0 * std::f64::consts::PI * (220.0 * (c + 1) as f64) * t).sin() + 0.2 * (2.0 * std::f64::consts::PI * 3_100.0 * t).sin();
                    (tone + 0.05 * (seed as f64 / u32::MAX as f64 - 0.5)) as f32
                })
                .collect()
        })
        .collect()
}

/// Writes the signal as a 32-bit float WAV, the source every encoder starts from.
/// Tests run in parallel and several ask for the same source: each writes its own temporary file
/// and renames it into place, so no encoder ever reads a file another test is half-way writing.
fn source(channels: usize) -> PathBuf {
    let path = dir().join(format!("source-{channels}ch.wav"));
    let partial = dir().join(format!("source-{channels}ch.{:?}.partial", std::thread::current().id()).replace(['(', ')'], ""));
    let spec = hound::WavSpec { channels: channels as u16, sample_rate: RATE, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let mut w = hound::WavWriter::create(&partial, spec).unwrap();
    let s = signal(channels);
    for i in 0..s[0].len() {
        for c in &s {
            w.write_sample(c[i]).unwrap();
        }
    }
    w.finalize().unwrap();
    std::fs::rename(&partial, &path).unwrap();
    path
}

/// Reads a WAV written by an encoder's own decoder (hound: a second WAV reader), scaled like
/// integer audio is everywhere (x / 2^(bits−1)).
fn read_reference(path: &Path) -> Vec<Vec<f32>> {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let n = spec.channels as usize;
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>().map(|x| x.unwrap() as f32 / scale).collect()
        }
    };
    (0..n).map(|c| interleaved.iter().skip(c).step_by(n).copied().collect()).collect()
}

/// Reads raw little-endian f32 written by `sox … -t f32`.
fn read_raw_f32(path: &Path, channels: usize) -> Vec<Vec<f32>> {
    let bytes = std::fs::read(path).unwrap();
    let interleaved: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    (0..channels).map(|c| interleaved.iter().skip(c).step_by(channels).copied().collect()).collect()
}

fn ours(path: &Path) -> mixroom_import::Decoded {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    decode(std::fs::read(path).unwrap(), &name, |_| true).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn max_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    assert_eq!(a.len(), b.len(), "channel count");
    a.iter().zip(b).flat_map(|(x, y)| {
        assert_eq!(x.len(), y.len(), "frame count");
        x.iter().zip(y).map(|(p, q)| (p - q).abs())
    }).fold(0.0, f32::max)
}

/// PCM files written by sox, compared with sox's own reading of them: identical samples.
#[test]
fn wav_and_aiff_in_every_sample_format_match_sox() {
    let stereo = source(2);
    let cases: &[(&str, &[&str], &str)] = &[
        ("u8.wav", &["-b", "8", "-e", "unsigned-integer"], "PCM, 8-bit"),
        ("s16.wav", &["-b", "16", "-e", "signed-integer"], "PCM, 16-bit"),
        ("s24.wav", &["-b", "24", "-e", "signed-integer"], "PCM, 24-bit"),
        ("s32.wav", &["-b", "32", "-e", "signed-integer"], "PCM, 32-bit"),
        ("f32.wav", &["-b", "32", "-e", "floating-point"], "PCM, 32-bit float"),
        ("f64.wav", &["-b", "64", "-e", "floating-point"], "PCM, 64-bit float"),
        ("s16.aiff", &["-b", "16", "-e", "signed-integer"], "PCM, 16-bit"),
        ("s24.aiff", &["-b", "24", "-e", "signed-integer"], "PCM, 24-bit"),
    ];
    for (name, format, label) in cases {
        let file = dir().join(name);
        let mut args = vec![stereo.to_str().unwrap()];
        args.extend_from_slice(format);
        args.push(file.to_str().unwrap());
        tool("sox", &args);
        let raw = dir().join(format!("{name}.raw"));
        tool("sox", &[file.to_str().unwrap(), "-t", "f32", "-e", "floating-point", raw.to_str().unwrap()]);
        let d = ours(&file);
        assert_eq!((d.sample_rate, d.format.as_str()), (RATE, *label), "{name}");
        let diff = max_diff(&d.channels, &read_raw_f32(&raw, 2));
        // Identical; 32-bit integers and 64-bit floats to within the last bit of an f32 (the two
        // readers round to f32 differently).
        let exact = !matches!(*name, "s32.wav" | "f64.wav");
        assert!(diff <= if exact { 0.0 } else { f32::EPSILON }, "{name}: max |diff| {diff}");
    }
}

/// Files written by ffmpeg's own muxers and its FLAC encoder, compared with ffmpeg's decode of
/// them to 32-bit float: identical.
#[test]
fn files_made_by_ffmpeg_match_ffmpegs_own_decode() {
    let stereo = source(2);
    let cases: &[(&str, &[&str], &str)] = &[
        ("ff-s16.wav", &["-c:a", "pcm_s16le"], "PCM, 16-bit"),
        ("ff-s24.wav", &["-c:a", "pcm_s24le"], "PCM, 24-bit"),
        ("ff-f32.wav", &["-c:a", "pcm_f32le"], "PCM, 32-bit float"),
        ("ff-s24.aiff", &["-c:a", "pcm_s24be"], "PCM, 24-bit"),
        ("ff-s16.flac", &["-c:a", "flac", "-sample_fmt", "s16"], "FLAC, 16-bit"),
    ];
    for (name, codec, label) in cases {
        let file = dir().join(name);
        let mut args = vec!["-v", "error", "-y", "-i", stereo.to_str().unwrap()];
        args.extend_from_slice(codec);
        args.push(file.to_str().unwrap());
        tool("ffmpeg", &args);
        let raw = dir().join(format!("{name}.raw"));
        tool("ffmpeg", &["-v", "error", "-y", "-i", file.to_str().unwrap(), "-f", "f32le", "-c:a", "pcm_f32le", raw.to_str().unwrap()]);
        let d = ours(&file);
        assert_eq!((d.sample_rate, d.format.as_str()), (RATE, *label), "{name}");
        assert_eq!(max_diff(&d.channels, &read_raw_f32(&raw, 2)), 0.0, "{name}");
    }
}

/// WAVE_FORMAT_EXTENSIBLE (sox writes it for more than two channels): six channels, split.
#[test]
fn extensible_wav_with_six_channels_gives_six() {
    let six = source(6);
    let file = dir().join("s24-6ch.wav");
    tool("sox", &[six.to_str().unwrap(), "-b", "24", file.to_str().unwrap()]);
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 0xFFFE, "sox wrote WAVE_FORMAT_EXTENSIBLE");
    let raw = dir().join("s24-6ch.raw");
    tool("sox", &[file.to_str().unwrap(), "-t", "f32", "-e", "floating-point", raw.to_str().unwrap()]);
    let d = ours(&file);
    assert_eq!(d.channels.len(), 6);
    assert_eq!(max_diff(&d.channels, &read_raw_f32(&raw, 6)), 0.0);
}

/// FLAC by the reference encoder, against its own decoder: lossless, identical.
#[test]
fn flac_matches_the_reference_decoder() {
    let stereo = source(2);
    for bits in ["16", "24"] {
        let pcm = dir().join(format!("flac-src-{bits}.wav"));
        tool("sox", &[stereo.to_str().unwrap(), "-b", bits, "-e", "signed-integer", pcm.to_str().unwrap()]);
        let flac = dir().join(format!("s{bits}.flac"));
        tool("flac", &["--silent", "--force", "-8", "-o", flac.to_str().unwrap(), pcm.to_str().unwrap()]);
        let back = dir().join(format!("s{bits}.flac.wav"));
        tool("flac", &["--silent", "--force", "-d", "-o", back.to_str().unwrap(), flac.to_str().unwrap()]);
        let d = ours(&flac);
        assert_eq!(d.format, format!("FLAC, {bits}-bit"));
        assert_eq!(max_diff(&d.channels, &read_reference(&back)), 0.0, "FLAC {bits}-bit");
    }
}

/// Lossy formats against their encoders' own decoders (16-bit output): the same length (gapless
/// trimming of the encoder delay and padding) and the same samples within a few 16-bit steps.
#[test]
fn mp3_and_vorbis_match_their_reference_decoders() {
    let stereo = source(2);
    let pcm = dir().join("lossy-src.wav");
    tool("sox", &[stereo.to_str().unwrap(), "-b", "16", "-e", "signed-integer", pcm.to_str().unwrap()]);
    let mp3 = dir().join("lame.mp3");
    tool("lame", &["--silent", "-b", "192", pcm.to_str().unwrap(), mp3.to_str().unwrap()]);
    let mp3_back = dir().join("lame.mp3.wav");
    tool("lame", &["--silent", "--decode", mp3.to_str().unwrap(), mp3_back.to_str().unwrap()]);
    let ogg = dir().join("oggenc.ogg");
    tool("oggenc", &["--quiet", "-q", "6", "-o", ogg.to_str().unwrap(), pcm.to_str().unwrap()]);
    let ogg_back = dir().join("oggenc.ogg.wav");
    tool("oggdec", &["--quiet", "-o", ogg_back.to_str().unwrap(), ogg.to_str().unwrap()]);
    for (file, back, label) in [(&mp3, &mp3_back, "MP3"), (&ogg, &ogg_back, "Ogg Vorbis")] {
        let d = ours(file);
        let reference = read_reference(back);
        assert_eq!(d.format, label);
        assert_eq!(d.frames(), reference[0].len(), "{label}: the reference decoder's length (encoder delay and padding trimmed)");
        let diff = max_diff(&d.channels, &reference);
        println!("{label}: {} frames, max |diff| vs the reference decoder {:.2} steps of 16 bits", d.frames(), diff * 32_768.0);
        // The references are rounded to 16 bits (±0.5 step) and dithered or not; decoders differ in
        // the last bits of their synthesis filters.
        assert!(diff < 2.0 / 32_768.0, "{label}: max |diff| {diff} ({:.1} steps of 16 bits)", diff * 32_768.0);
    }
}

/// Damaged and foreign files get a clear error, never a panic or a silent half.
#[test]
fn bad_files_are_refused_with_reasons() {
    let err = |bytes: Vec<u8>, name: &str| decode(bytes, name, |_| true).unwrap_err();
    assert!(matches!(err(b"this is a text file, not audio".to_vec(), "notes.wav"), ImportError::Unsupported(_)));
    assert!(matches!(err(Vec::new(), "empty.flac"), ImportError::Unsupported(_)));
    // A FLAC whose audio frames are overwritten with garbage.
    let stereo = source(2);
    let pcm = dir().join("bad-src.wav");
    tool("sox", &[stereo.to_str().unwrap(), "-b", "16", pcm.to_str().unwrap()]);
    let flac = dir().join("bad.flac");
    tool("flac", &["--silent", "--force", "-o", flac.to_str().unwrap(), pcm.to_str().unwrap()]);
    let mut bytes = std::fs::read(&flac).unwrap();
    let len = bytes.len();
    for (i, b) in bytes[len / 2..len].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(151).wrapping_add(7);
    }
    let e = err(bytes, "bad.flac");
    assert!(matches!(e, ImportError::Corrupt(_) | ImportError::Empty), "{e:?}");
    assert!(!e.to_string().is_empty());
    // Cancelling stops the work (on this test's own 16-bit file: the sox test writes its files
    // at the same time).
    let mut calls = 0;
    let cancelled = decode(std::fs::read(&pcm).unwrap(), "bad-src.wav", |_| {
        calls += 1;
        false
    });
    assert_eq!(cancelled, Err(ImportError::Cancelled));
    assert_eq!(calls, 1);
}

/// Resampling: a 1 kHz sine comes out as a 1 kHz sine at the new rate (fitted by least squares to
/// sin and cos at the new rate): the same level within 0.01 dB, a delay under half a sample (the
/// sinc filter's delay is removed to the nearest sample), and everything else 90 dB down.
#[test]
fn resampling_keeps_a_sine_and_its_timing() {
    for (from, to) in [(44_100u32, 48_000u32), (48_000, 44_100), (96_000, 48_000)] {
        let frames = from as usize * 2;
        let w = |rate: u32| 2.0 * std::f64::consts::PI * 1_000.0 / rate as f64;
        let input: Vec<f32> = (0..frames).map(|i| (0.5 * (w(from) * i as f64).sin()) as f32).collect();
        let out = resample(vec![input], from, to);
        assert_eq!(out[0].len(), frames * to as usize / from as usize);
        // Away from the edges (the signal starts and stops abruptly there).
        let range = to as usize / 10..out[0].len() - to as usize / 10;
        let (mut ss, mut sc, mut cc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in range.clone() {
            let (s, c, y) = ((w(to) * i as f64).sin(), (w(to) * i as f64).cos(), out[0][i] as f64);
            (ss, sc, cc, ys, yc) = (ss + s * s, sc + s * c, cc + c * c, ys + y * s, yc + y * c);
        }
        let det = ss * cc - sc * sc;
        let (a, b) = ((ys * cc - yc * sc) / det, (yc * ss - ys * sc) / det);
        let level_db = 20.0 * ((a * a + b * b).sqrt() / 0.5).log10();
        let delay = -b.atan2(a) / w(to);
        let residual = range.clone().map(|i| {
            let fit = a * (w(to) * i as f64).sin() + b * (w(to) * i as f64).cos();
            (out[0][i] as f64 - fit).powi(2)
        }).sum::<f64>() / range.len() as f64;
        let residual_db = 10.0 * (residual / 0.125).log10();
        assert!(level_db.abs() < 0.01, "{from} → {to}: level {level_db:.4} dB");
        assert!(delay.abs() < 0.5, "{from} → {to}: delay {delay:.3} samples");
        assert!(residual_db < -90.0, "{from} → {to}: residual {residual_db:.1} dB");
    }
}

/// WAVs whose sizes were never written read to the end of the file, as players read them: one
/// that ffmpeg wrote to a pipe (it cannot seek back: RIFF and data sizes 0xFFFFFFFF), and one a
/// recorder left when it crashed (sizes 0, the last frame cut short). Both give what the same
/// audio written normally gives.
#[test]
fn wavs_written_to_a_pipe_or_left_by_a_crash_read_to_their_end() {
    let stereo = source(2);
    let normal = dir().join("pipe-normal.wav");
    tool("ffmpeg", &["-v", "error", "-y", "-i", stereo.to_str().unwrap(), "-c:a", "pcm_s16le", normal.to_str().unwrap()]);
    let expected = ours(&normal);
    // Through a pipe, as `ffmpeg … -f wav pipe:1 > file` does.
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", stereo.to_str().unwrap(), "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"])
        .output()
        .expect("ffmpeg is needed for this test; `cargo xtask test` installs it");
    assert!(out.status.success());
    let piped = out.stdout;
    let le32 = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    assert_eq!(le32(&piped, 4), u32::MAX, "ffmpeg leaves the RIFF size unwritten on a pipe");
    let data = piped.windows(4).position(|w| w == b"data").unwrap();
    assert_eq!(le32(&piped, data + 4), u32::MAX, "…and the data size");
    let d = decode(piped.clone(), "piped.wav", |_| true).unwrap();
    assert_eq!(d.channels, expected.channels);
    // A crash: sizes 0, and half a frame at the end.
    let mut crashed = std::fs::read(&normal).unwrap();
    let data = crashed.windows(4).position(|w| w == b"data").unwrap();
    crashed[4..8].copy_from_slice(&[0; 4]);
    crashed[data + 4..data + 8].copy_from_slice(&[0; 4]);
    crashed.extend([0x12, 0x34]);
    let d = decode(crashed, "crashed.wav", |_| true).unwrap();
    assert_eq!(d.channels, expected.channels);
}

/// Headers claiming sample rates no audio has (0 Hz, 1 Hz, 4 GHz) are refused with the rate —
/// never a panic ("capacity overflow", "TimeBase cannot have 0 numerator") — and no message is
/// in a decoder's jargon.
#[test]
fn impossible_rates_are_refused_and_messages_speak_plainly() {
    let stereo = source(2);
    let file = dir().join("rates.wav");
    tool("sox", &[stereo.to_str().unwrap(), "-b", "16", file.to_str().unwrap()]);
    let good = std::fs::read(&file).unwrap();
    for rate in [0u32, 1, 4_000_000_000] {
        let mut b = good.clone();
        b[24..28].copy_from_slice(&rate.to_le_bytes());
        let e = decode(b, "rates.wav", |_| true).unwrap_err().to_string();
        assert!(e.contains(&format!("{rate} Hz")), "{e}");
    }
    // A WAV whose LIST chunk claims to be larger than the file, and one cut inside its header.
    let mut list = good[..36].to_vec();
    list.extend(b"LIST");
    list.extend(u32::MAX.to_le_bytes());
    list.extend(b"INFO");
    list.extend(&good[36..]);
    let mut cut = good.clone();
    cut.truncate(30);
    // None of the three holds audio that can be read: each is refused, in words a user knows.
    for (bytes, name) in [(list, "list.wav"), (cut, "cut.wav"), (b"RIFF\x00\x00\x00\x00WAVEdata".to_vec(), "bare.wav")] {
        let e = match decode(bytes, name, |_| true) {
            Ok(_) => panic!("{name} was imported"),
            Err(e) => e.to_string(),
        };
        for jargon in ["riff:", "chunk", "wav:", "parent", "packet"] {
            assert!(!e.contains(jargon), "{name}: {e}");
        }
    }
}

/// A file read a few bytes at a time, as the browser's import worker reads a `File` in slices.
struct Slices(std::fs::File);

impl std::io::Read for Slices {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1_000);
        self.0.read(&mut buf[..n])
    }
}

impl std::io::Seek for Slices {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(to)
    }
}

/// A streamed import (read in slices, decoded packet by packet, resampled run by run) makes
/// exactly the tracks the whole-file import makes — names, samples, content ids and peak — from
/// every kind of file: PCM with its header mended, many channels, FLAC, MP3, Ogg Vorbis, at
/// another rate than the session's and at its own.
#[test]
fn a_streamed_import_is_the_whole_import_sample_for_sample() {
    use mixroom_import::{content_id, import_streaming, into_tracks, peak, ContentId, StreamingImport};
    let stereo = source(2);
    let six = source(6);
    let pcm = dir().join("stream-src.wav");
    tool("sox", &[stereo.to_str().unwrap(), "-b", "24", "-e", "signed-integer", pcm.to_str().unwrap()]);
    let flac = dir().join("stream.flac");
    tool("flac", &["--silent", "--force", "-o", flac.to_str().unwrap(), pcm.to_str().unwrap()]);
    let mp3 = dir().join("stream.mp3");
    tool("lame", &["--silent", "-b", "192", pcm.to_str().unwrap(), mp3.to_str().unwrap()]);
    let ogg = dir().join("stream.ogg");
    tool("oggenc", &["--quiet", "-q", "6", "-o", ogg.to_str().unwrap(), pcm.to_str().unwrap()]);
    let aiff = dir().join("stream.aiff");
    tool("sox", &[stereo.to_str().unwrap(), "-b", "16", "-e", "signed-integer", aiff.to_str().unwrap()]);
    // Left by a crash: sizes 0 (mended from what the file holds) and half a frame at the end.
    let crashed = dir().join("stream-crashed.wav");
    let mut bytes = std::fs::read(&pcm).unwrap();
    let data = bytes.windows(4).position(|w| w == b"data").unwrap();
    bytes[4..8].copy_from_slice(&[0; 4]);
    bytes[data + 4..data + 8].copy_from_slice(&[0; 4]);
    bytes.extend([0x12, 0x34]);
    std::fs::write(&crashed, bytes).unwrap();
    for path in [&stereo, &six, &pcm, &flac, &mp3, &ogg, &aiff, &crashed] {
        for session_rate in [48_000, RATE] {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let whole = into_tracks(decode(std::fs::read(path).unwrap(), &name, |_| true).unwrap(), &name, session_rate).unwrap();
            let file = std::fs::File::open(path).unwrap();
            let len = file.metadata().unwrap().len();
            let mut runs = 0;
            let mut channels: Vec<Vec<f32>> = Vec::new();
            let mut take = |run: &[Vec<f32>]| {
                channels.resize(run.len(), Vec::new());
                channels.iter_mut().zip(run).for_each(|(c, r)| c.extend_from_slice(r));
                runs += 1;
            };
            // At the session's rate in one go; at the file's own, a packet a step (as the
            // app's worker takes it, storing each step's pages before the next).
            let streamed = if session_rate == 48_000 {
                import_streaming(Slices(file), len, &name, session_rate, |_| true, take)
            } else {
                let mut import = StreamingImport::open(Slices(file), len, &name, session_rate).unwrap();
                let mut steps = 0;
                loop {
                    steps += 1;
                    if let Some(file) = import.next(1, &mut |_| true, &mut take).unwrap_or_else(|e| panic!("{name}: {e}")) {
                        assert!(steps > 3, "{name}: taken in steps ({steps})");
                        break Ok(file);
                    }
                }
            }
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            let label = format!("{name} at {session_rate} Hz");
            assert!(runs > 10, "{label}: handed on as it came, not at the end ({runs} runs)");
            assert_eq!(streamed.names, whole.iter().map(|t| t.name.clone()).collect::<Vec<_>>(), "{label}");
            assert_eq!(streamed.peak, peak(&whole), "{label}");
            assert_eq!(streamed.layout.len(), whole.len(), "{label}");
            for (take, track) in streamed.layout.iter().zip(&whole) {
                let ours: Vec<Vec<f32>> = take.iter().map(|&c| channels[c].clone()).collect();
                assert_eq!(streamed.frames, track.channels[0].len() as u64, "{label}");
                assert!(ours == track.channels, "{label}: {} differs", track.name);
                // The content id, a run at a time as the worker reads the stored pages back.
                let mut id = ContentId::new(session_rate, ours.len());
                for c in &ours {
                    id.channel(c.len() as u64);
                    c.chunks(8_192).for_each(|page| id.samples(page));
                }
                assert_eq!(id.finish(), track.id, "{label}");
                assert_eq!(content_id(&ours, session_rate), track.id);
            }
        }
    }
}
