//! The project file's benchmark (docs/BENCHMARKS.md): the 16-track, 3-minute session of the open
//! benchmark (12 mono and 4 stereo 24-bit stems at 48 kHz: tones over a noise floor, as recorded
//! stems are), written to a project and read back, against its peers measured in the same run —
//! a plain zip of the same WAV files by `zip -1` (time), and the WAV total and `flac -5` of the same
//! files (size).
//!
//! `cargo run --release -p mixroom-project --example bench [runs]`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use mixroom_project::{read, write, MediumAudio};
use mixroom_session::{NewTrack, Session};

const RATE: u32 = 48_000;
const SECONDS: usize = 180;

/// Stem `i`: a tone and its harmonics, a slow swell, and a noise floor at about −60 dBFS, all on
/// 24-bit values.
fn stem(i: usize) -> Vec<Vec<f32>> {
    let channels = if i < 12 { 1 } else { 2 };
    let mut x = 0x9E37_79B9u32.wrapping_mul(i as u32 + 1);
    (0..channels)
        .map(|c| {
            (0..RATE as usize * SECONDS)
                .map(|n| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    let t = n as f32 / RATE as f32;
                    let f = 55.0 + 37.0 * i as f32 + c as f32;
                    let tone = (std::f32::consts::TAU * f * t).sin() * 0.3 + (std::f32::consts::TAU * 3.0 * f * t).sin() * 0.05;
                    let swell = 0.5 + 0.5 * (t * 0.2).sin();
                    let v = tone * swell + (x as f32 / u32::MAX as f32 - 0.5) * 0.002;
                    (v * 8_388_608.0).round() / 8_388_608.0 + 0.0
                })
                .collect()
        })
        .collect()
}

fn wav(path: &Path, channels: &[Vec<f32>]) {
    let spec = hound::WavSpec { channels: channels.len() as u16, sample_rate: RATE, bits_per_sample: 24, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..channels[0].len() {
        for c in channels {
            w.write_sample((c[i] * 8_388_608.0) as i32).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|r| r.parse().ok()).unwrap_or(3);
    let dir = std::env::temp_dir().join("mixroom-project-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("wav")).unwrap();
    let stems: Vec<Vec<Vec<f32>>> = (0..16).map(stem).collect();
    let mut session = Session::empty("Bench");
    let new: Vec<NewTrack> = stems.iter().enumerate().map(|(i, c)| NewTrack { name: format!("Stem {i}"), source_id: mixroom_import::content_id(c, RATE), channels: c.len() as u8, frames: c[0].len() as u64 }).collect();
    session.add_audio_tracks(&new).unwrap();
    for (i, c) in stems.iter().enumerate() {
        wav(&dir.join("wav").join(format!("stem{i:02}.wav")), c);
    }
    let wav_total: u64 = std::fs::read_dir(dir.join("wav")).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    let media: Vec<MediumAudio> = new.iter().zip(&stems).map(|(n, c)| MediumAudio { id: &n.source_id, channels: c }).collect();
    let (mut export, mut open, mut zipped) = (Vec::new(), Vec::new(), Vec::new());
    let mut project = Vec::new();
    for run in 0..runs {
        // Alternating which goes first: the machine's speed drifts.
        let ours = |project: &mut Vec<u8>, export: &mut Vec<f64>, open: &mut Vec<f64>| {
            export.push(timed(|| *project = write(&session, &media, |_| true).unwrap()));
            open.push(timed(|| {
                read(project, |_| true).unwrap();
            }));
        };
        let peer = |zipped: &mut Vec<f64>| {
            let out = dir.join("stems.zip");
            let _ = std::fs::remove_file(&out);
            zipped.push(timed(|| assert!(Command::new("zip").args(["-1", "-q", "-j"]).arg(&out).arg(dir.join("wav")).args(["-r"]).status().unwrap().success())));
        };
        if run % 2 == 0 {
            ours(&mut project, &mut export, &mut open);
            peer(&mut zipped);
        } else {
            peer(&mut zipped);
            ours(&mut project, &mut export, &mut open);
        }
    }
    let zip_size = std::fs::metadata(dir.join("stems.zip")).unwrap().len();
    let flac_dir = dir.join("flac");
    std::fs::create_dir_all(&flac_dir).unwrap();
    let flac_time = timed(|| {
        for e in std::fs::read_dir(dir.join("wav")).unwrap() {
            let p = e.unwrap().path();
            let out = flac_dir.join(p.file_stem().unwrap()).with_extension("flac");
            assert!(Command::new("flac").args(["-5", "-s", "-f", "-o"]).arg(&out).arg(&p).status().unwrap().success());
        }
    });
    let flac_total: u64 = std::fs::read_dir(&flac_dir).unwrap().map(|e| e.unwrap().metadata().unwrap().len()).sum();
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (e, o, z) = (median(&mut export), median(&mut open), median(&mut zipped));
    println!("16 tracks (12 mono, 4 stereo), {SECONDS} s, 24-bit at {RATE} Hz; {runs} runs, medians:");
    println!("  export (write the project): {e:.2} s   open (read and verify it): {o:.2} s   zip -1 of the WAVs: {z:.2} s");
    println!("  export / zip -1: {:.2}×   open / zip -1: {:.2}×   (flac -5 of the WAVs, one run: {flac_time:.2} s)", e / z, o / z);
    println!("  sizes: project {} B, WAVs {} B ({:.1} %), zip -1 of them {} B ({:.1} %), flac -5 of them {} B ({:.1} %)", project.len(), wav_total, 100.0 * project.len() as f64 / wav_total as f64, zip_size, 100.0 * zip_size as f64 / wav_total as f64, flac_total, 100.0 * flac_total as f64 / wav_total as f64);
    println!("  project / flac -5: {:.3}×", project.len() as f64 / flac_total as f64);
}
