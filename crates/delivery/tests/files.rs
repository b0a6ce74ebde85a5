//! Delivered files as other tools read them: WAV and FLAC at 16 and 24 bits decode — with the
//! reference FLAC decoder, SoX and FFmpeg — to the float mix within the dither's amplitude; TPDF
//! dither behaves as its theory says; a signal below the last bit survives dither and vanishes
//! without; and the hand-off check finds each fault of a set of crafted files.

use std::path::{Path, PathBuf};
use std::process::Command;

use mixroom_delivery::check::{check, Audio, Context, Rules, Severity};
use mixroom_delivery::{dither, encode, Dither, Format, Tags};

const RATE: u32 = 48_000;

fn dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("delivery");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A stereo test mix: two sines and some noise, about −12 dBFS, 2.3 s (FLAC blocks of 4096
/// frames: the last one short).
fn mix() -> Vec<Vec<f32>> {
    let frames = (2.3 * RATE as f64) as usize;
    let mut x = 12_345u32;
    (0..2)
        .map(|c| {
            (0..frames)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    let t = i as f64 / RATE as f64;
                    let noise = (x as f64 / u32::MAX as f64 - 0.5) * 0.05;
                    (0.2 * (2.0 * std::f64::consts::PI * (220.0 + 110.0 * c as f64) * t).sin() + 0.1 * (2.0 * std::f64::consts::PI * 3_100.0 * t).sin() + noise) as f32
                })
                .collect()
        })
        .collect()
}

/// Reads raw interleaved little-endian f32 frames as channels.
fn raw_f32(bytes: &[u8], channels: usize) -> Vec<Vec<f32>> {
    let samples: Vec<f32> = bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    (0..channels).map(|c| samples.iter().skip(c).step_by(channels).copied().collect()).collect()
}

/// Runs a decoder; what it said on stderr.
fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The largest difference between two signals, in LSBs of `bits`.
fn worst_lsb(a: &[Vec<f32>], b: &[Vec<f32>], bits: u32) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = (1u64 << (bits - 1)) as f64;
    a.iter().zip(b).map(|(x, y)| {
        assert_eq!(x.len(), y.len(), "lengths");
        x.iter().zip(y).map(|(p, q)| ((*p as f64 - *q as f64) * scale).abs()).fold(0.0, f64::max)
    }).fold(0.0, f64::max)
}

#[test]
fn every_format_decodes_with_flac_sox_and_ffmpeg_to_the_mix_within_the_dither() {
    let mix = mix();
    let tags = Tags { title: "Night Drive".into(), artist: "The Band".into(), date: "2026-11-29".into(), session: "Night Drive (session)".into(), loudness: None };
    for (container, bits) in [("wav", 16), ("wav", 24), ("flac", 16), ("flac", 24), ("wav", 32)] {
        let format = Format::parse(container, bits).unwrap();
        let bytes = encode(&mix, RATE, format, Dither::Tpdf, &tags).unwrap();
        let path = dir().join(format!("mix-{bits}.{container}"));
        std::fs::write(&path, &bytes).unwrap();
        // TPDF (±1 LSB) plus rounding (±½ LSB); float: nothing lost but what a decoder's own
        // 32-bit integer path rounds (SoX's: under half a 24-bit LSB).
        let allowed = if bits == 32 { 0.5 } else { 1.5 };
        let mut decoders: Vec<(&str, Vec<Vec<f32>>)> = Vec::new();
        let raw = dir().join(format!("mix-{bits}-{container}.f32"));
        let said = run(Command::new("sox").arg(&path).args(["-t", "f32", "-e", "floating-point"]).arg(&raw));
        // Not a warning either (hound's float WAV had SoX say "missing extended part of fmt chunk").
        assert!(!said.contains("WARN"), "SoX on the {container} {bits}-bit file: {said}");
        decoders.push(("sox", raw_f32(&std::fs::read(&raw).unwrap(), 2)));
        run(Command::new("ffmpeg").args(["-v", "error", "-y", "-i"]).arg(&path).args(["-f", "f32le", "-acodec", "pcm_f32le"]).arg(&raw));
        decoders.push(("ffmpeg", raw_f32(&std::fs::read(&raw).unwrap(), 2)));
        if container == "flac" {
            let wav = dir().join(format!("mix-{bits}-flac-d.wav"));
            run(Command::new("flac").args(["-d", "-s", "-f", "-o"]).arg(&wav).arg(&path));
            let mut reader = hound::WavReader::open(&wav).unwrap();
            let scale = (1u64 << (bits - 1)) as f32;
            let samples: Vec<f32> = reader.samples::<i32>().map(|s| s.unwrap() as f32 / scale).collect();
            decoders.push(("flac -d", (0..2).map(|c| samples.iter().skip(c).step_by(2).copied().collect()).collect()));
        }
        for (decoder, decoded) in decoders {
            let worst = worst_lsb(&mix, &decoded, bits.min(24));
            println!("{container} {bits}-bit through {decoder}: within {worst:.3} LSB of the mix");
            assert!(worst <= allowed + 1e-6, "{container} {bits}-bit through {decoder}: {worst} LSB from the mix");
        }
        if container == "wav" {
            // The tags as FFmpeg reads them (LIST/INFO).
            let probe = Command::new("ffprobe").args(["-v", "error", "-show_entries", "format_tags", "-of", "default=nw=1"]).arg(&path).output().unwrap();
            let tags = String::from_utf8_lossy(&probe.stdout).to_lowercase();
            assert!(tags.contains("title=night drive") && tags.contains("artist=the band"), "ffprobe reads: {tags}");
        }
    }
}

#[test]
fn tpdf_dither_leaves_an_error_independent_of_the_signal() {
    // A loud sine and a quiet one: the error (output less input, in LSB) has mean 0 and the
    // variance of TPDF plus rounding (1/6 + 1/12 = 1/4 LSB²) for both, and does not follow the
    // signal (correlation near 0). Undithered, the quiet sine's error is the signal itself.
    let scale = 32_768.0f64;
    for (amplitude, name) in [(0.5f64, "loud"), (3.0 / scale, "three LSB")] {
        let x: Vec<f32> = (0..200_000).map(|i| (amplitude * (i as f64 * 0.0123).sin()) as f32).collect();
        let q = dither::quantize(std::slice::from_ref(&x), 16, Dither::Tpdf, RATE);
        let e: Vec<f64> = q[0].iter().zip(&x).map(|(&q, &x)| q as f64 - x as f64 * scale).collect();
        let n = e.len() as f64;
        let mean = e.iter().sum::<f64>() / n;
        let variance = e.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        let xs: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let xm = xs.iter().sum::<f64>() / n;
        let cov = e.iter().zip(&xs).map(|(e, x)| (e - mean) * (x - xm)).sum::<f64>() / n;
        let corr = cov / (variance.sqrt() * (xs.iter().map(|x| (x - xm).powi(2)).sum::<f64>() / n).sqrt());
        println!("{name}: error mean {mean:.4}, variance {variance:.4} LSB², correlation with the signal {corr:.4}");
        assert!(mean.abs() < 0.01 && (variance - 0.25).abs() < 0.01 && corr.abs() < 0.01, "{name}: mean {mean}, variance {variance}, correlation {corr}");
        assert!(e.iter().all(|e| e.abs() < 1.5), "{name}: an error beyond 1.5 LSB");
    }
}

/// Power at `f` of a Hann-windowed signal (a single DFT bin), dB.
fn bin_db(x: &[f64], f: f64) -> f64 {
    let n = x.len() as f64;
    let (mut re, mut im) = (0.0, 0.0);
    for (i, v) in x.iter().enumerate() {
        let w = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n).cos();
        let ph = 2.0 * std::f64::consts::PI * f * i as f64 / RATE as f64;
        re += v * w * ph.cos();
        im -= v * w * ph.sin();
    }
    10.0 * (re * re + im * im + 1e-30).log10()
}

#[test]
fn a_sine_110_db_down_survives_a_dithered_16_bit_export_and_vanishes_from_an_undithered_one() {
    // −110 dBFS is a tenth of a 16-bit LSB.
    let amplitude = 10f64.powf(-110.0 / 20.0);
    let frames = 1 << 16;
    let x: Vec<f32> = (0..frames).map(|i| (amplitude * (2.0 * std::f64::consts::PI * 1_000.0 * i as f64 / RATE as f64).sin()) as f32).collect();
    let file = encode(std::slice::from_ref(&x), RATE, Format::parse("wav", 16).unwrap(), Dither::Tpdf, &Tags::default()).unwrap();
    let mut reader = hound::WavReader::new(std::io::Cursor::new(file)).unwrap();
    let dithered: Vec<f64> = reader.samples::<i16>().map(|s| s.unwrap() as f64).collect();
    let line = bin_db(&dithered, 1_000.0);
    let mut floor: Vec<f64> = (0..60).map(|k| bin_db(&dithered, 1_300.0 + 97.3 * k as f64)).collect();
    floor.sort_by(f64::total_cmp);
    let median = floor[floor.len() / 2];
    println!("−110 dBFS at 1 kHz, dithered to 16 bits: the line {:.1} dB above the noise's median bin", line - median);
    assert!(line - median > 15.0, "the line stands {:.1} dB above the noise", line - median);
    let plain = dither::quantize(std::slice::from_ref(&x), 16, Dither::Off, RATE);
    assert!(plain[0].iter().all(|&q| q == 0), "undithered, the sine is rounded away");
}

#[test]
fn shaped_dither_moves_the_noise_out_of_the_ears_most_sensitive_band() {
    // Silence plus a little signal: the error spectrum of shaped dither is well under plain TPDF's
    // at 2–5 kHz (where the ear is most sensitive) and above it near Nyquist.
    let x: Vec<f32> = (0..(1 << 15)).map(|i| (1e-3 * (i as f64 * 0.01).sin()) as f32).collect();
    let error = |d: Dither| -> Vec<f64> {
        let q = dither::quantize(std::slice::from_ref(&x), 16, d, 44_100);
        q[0].iter().zip(&x).map(|(&q, &x)| q as f64 - x as f64 * 32_768.0).collect()
    };
    let band = |e: &[f64], lo: f64, hi: f64| (0..12).map(|k| bin_db(e, lo + (hi - lo) * k as f64 / 11.0)).sum::<f64>() / 12.0;
    let (flat, shaped) = (error(Dither::Tpdf), error(Dither::Shaped));
    let mid = band(&shaped, 2_000.0, 5_000.0) - band(&flat, 2_000.0, 5_000.0);
    let top = band(&shaped, 18_000.0, 20_000.0) - band(&flat, 18_000.0, 20_000.0);
    println!("shaped against TPDF: {mid:+.1} dB at 2–5 kHz, {top:+.1} dB at 18–20 kHz");
    assert!(mid < -6.0 && top > 6.0, "shaped: {mid:+.1} dB mid, {top:+.1} dB top");
}

/// A 24-bit WAV of `channels`, undithered (the faults are the samples themselves).
fn crafted(name: &str, channels: Vec<Vec<f32>>) -> (String, Vec<Vec<f32>>) {
    let bytes = encode(&channels, RATE, Format::parse("wav", 24).unwrap(), Dither::Off, &Tags::default()).unwrap();
    let path = dir().join(format!("{name}.wav"));
    std::fs::write(&path, bytes).unwrap();
    let mut reader = hound::WavReader::open(&path).unwrap();
    let n = channels.len();
    let samples: Vec<f32> = reader.samples::<i32>().map(|s| s.unwrap() as f32 / 8_388_608.0).collect();
    (name.to_owned(), (0..n).map(|c| samples.iter().skip(c).step_by(n).copied().collect()).collect())
}

/// A 1-kHz sine at `peak` (linear), `seconds` long, faded in and out over 50 ms, with 200 ms of
/// silence after.
fn tone(peak: f64, seconds: f64) -> Vec<f32> {
    let n = (seconds * RATE as f64) as usize;
    let fade = RATE as usize / 20;
    let mut v: Vec<f32> = (0..n)
        .map(|i| {
            let g = (i.min(n - 1 - i) as f64 / fade as f64).min(1.0);
            (peak * g * (2.0 * std::f64::consts::PI * 1_000.0 * i as f64 / RATE as f64 + 0.3).sin()) as f32
        })
        .collect();
    v.extend(std::iter::repeat_n(0.0, RATE as usize / 5));
    v
}

#[test]
fn the_hand_off_check_finds_each_fault_and_passes_a_clean_file() {
    let clean = tone(0.4, 3.0);
    let clipped: Vec<f32> = tone(1.6, 3.0).iter().map(|x| x.clamp(-1.0, 1.0)).collect();
    let dc: Vec<f32> = clean.iter().map(|x| x + 0.01).collect();
    let hot = tone(0.95, 3.0);
    let mut cut = tone(0.4, 3.0);
    cut.truncate(RATE as usize * 2);
    let cases = [("clean", clean.clone(), vec![]), ("clipped", clipped, vec!["clipping", "true-peak"]), ("dc", dc, vec!["dc", "dc"]), ("too hot", hot, vec!["true-peak"]), ("cut tail", cut, vec!["cut-tail"])];
    for (name, signal, expected) in cases {
        let (file, channels) = crafted(name, vec![signal.clone(), signal]);
        let report = check(&file, Audio { channels: &channels, rate: RATE, bits: 24, float: false }, Context::default(), Rules::default());
        let codes: Vec<&str> = report.findings.iter().map(|f| f.code).collect();
        println!("{name}: {codes:?}\n{}", report.to_markdown());
        assert_eq!(codes, expected, "{name}");
        let fails = !expected.iter().all(|c| *c == "cut-tail");
        assert_eq!(report.failed(), fails, "{name}");
    }
    // The clean file's figures: −8 dBFS peak (0.4), silence at the end, no DC, nothing clipped.
    let (file, channels) = crafted("clean", vec![clean.clone(), clean]);
    let r = check(&file, Audio { channels: &channels, rate: RATE, bits: 24, float: false }, Context { limiter_on_master: Some(true), for_mastering: true }, Rules::default());
    assert!((r.sample_peak_dbfs.unwrap() - 20.0 * 0.4f64.log10()).abs() < 0.01);
    assert!((r.silence_at_tail_s - 0.2).abs() < 0.01 && r.silence_at_head_s < 0.005);
    assert!(r.dc_offset_dbfs.iter().all(|d| d.is_none_or(|d| d < -90.0)), "{:?}", r.dc_offset_dbfs);
    assert_eq!((r.clipped_runs, r.clipped_samples), (0, 0));
    // A limiter on the master of a mix for mastering is a warning, not a failure.
    assert_eq!(r.findings.iter().map(|f| (f.code, f.severity)).collect::<Vec<_>>(), [("limiter", Severity::Warning)]);
    assert!(!r.failed());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["findings"][0]["severity"], "warning");
}
