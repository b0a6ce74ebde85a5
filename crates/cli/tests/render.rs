//! `mixroom render`, run as a user runs it.

use std::path::PathBuf;
use std::process::Command;

fn mixroom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mixroom"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn renders_a_session_file_to_a_float_wav() {
    let session = scratch("demo.mixroom.json");
    let wav = scratch("demo.wav");
    let status = mixroom().args(["demo-session", "-o"]).arg(&session).status().unwrap();
    assert!(status.success());
    let status = mixroom().arg("render").arg(&session).arg("-o").arg(&wav).status().unwrap();
    assert!(status.success());

    let mut reader = hound::WavReader::open(&wav).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample), (2, 48_000, 32));
    assert_eq!(spec.sample_format, hound::SampleFormat::Float);
    // 17 bars at 96 BPM: 42.5 s.
    assert_eq!(reader.duration(), 2_040_000);
    let peak = reader.samples::<f32>().map(Result::unwrap).fold(0.0f32, |m, x| m.max(x.abs()));
    assert!(peak > 0.1 && peak < 1.0, "peak {peak}");
}

#[test]
fn a_damaged_session_gets_a_clear_error_and_no_output() {
    let session = scratch("damaged.mixroom.json");
    let wav = scratch("damaged.wav");
    let _ = std::fs::remove_file(&wav);
    std::fs::write(&session, "{\"format\": \"mixroom-session\", \"version\": 1, \"name\": ").unwrap();
    let out = mixroom().arg("render").arg(&session).arg("-o").arg(&wav).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("damaged or incomplete"), "{stderr}");
    assert!(!wav.exists());
}

#[test]
fn a_newer_session_names_the_version() {
    let session = scratch("newer.mixroom.json");
    std::fs::write(&session, "{\"format\": \"mixroom-session\", \"version\": 99}").unwrap();
    let out = mixroom().arg("render").arg(&session).arg("-o").arg(scratch("newer.wav")).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("newer version of Mixroom") && stderr.contains("99"), "{stderr}");
}

#[test]
fn an_unwritable_output_is_reported() {
    let out = mixroom().args(["render", "demo", "-o", "/nonexistent-dir/mix.wav"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write /nonexistent-dir/mix.wav"));
}
