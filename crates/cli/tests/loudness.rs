//! `mixroom loudness`, run as a user runs it: on audio files and on a session's mix.

use std::path::PathBuf;
use std::process::Command;

fn mixroom() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mixroom"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-loudness");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The JSON `mixroom loudness --json` prints for each file, in order.
fn measured(files: &[&std::path::Path]) -> Vec<serde_json::Value> {
    let out = mixroom().arg("loudness").arg("--json").args(files).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn a_file_at_minus_23_lufs_reads_minus_23_and_a_mix_reads_as_its_render() {
    // EBU TECH 3341 case 1 as a 24-bit WAV: a stereo 1 kHz sine at −23 dBFS for 20 s.
    let wav = scratch("3341-case1.wav");
    let spec = hound::WavSpec { channels: 2, sample_rate: 48_000, bits_per_sample: 24, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    let amplitude = 10f64.powf(-23.0 / 20.0) * 8_388_607.0;
    for n in 0..48_000 * 20 {
        let v = (amplitude * (2.0 * std::f64::consts::PI * 1_000.0 * n as f64 / 48_000.0).sin()).round() as i32;
        w.write_sample(v).unwrap();
        w.write_sample(v).unwrap();
    }
    w.finalize().unwrap();
    // The demo's mix, rendered to a file, and measured both ways.
    let session = scratch("demo.mixroom.json");
    let render = scratch("demo.wav");
    assert!(mixroom().args(["demo-session", "-o"]).arg(&session).status().unwrap().success());
    assert!(mixroom().arg("render").arg(&session).arg("-o").arg(&render).status().unwrap().success());

    let r = measured(&[&wav, &session, &render]);
    let figure = |i: usize, key: &str| r[i]["loudness"][key].as_f64().unwrap_or_else(|| panic!("{key} of {}", r[i]));
    assert!((figure(0, "integrated") + 23.0).abs() <= 0.1, "{}", r[0]);
    assert!((figure(0, "short_term_max") + 23.0).abs() <= 0.1, "{}", r[0]);
    assert!((figure(0, "true_peak") + 23.0).abs() <= 0.4, "{}", r[0]);
    assert_eq!(r[0]["file"], wav.display().to_string());
    for key in ["integrated", "momentary_max", "short_term_max", "range", "true_peak", "plr"] {
        assert!((figure(1, key) - figure(2, key)).abs() < 1e-6, "{key}: the mix {} against its render {}", r[1], r[2]);
    }
    assert!((-30.0..-5.0).contains(&figure(1, "integrated")), "{}", r[1]);

    // Without --json, a table a person reads.
    let out = mixroom().arg("loudness").arg(&wav).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let integrated = format!("integrated        {:.1} LUFS", figure(0, "integrated"));
    assert!(text.contains(&integrated), "{text}");
    assert!(text.contains("true peak max") && text.contains("dBTP"), "{text}");
    assert!(text.contains("loudness range"), "{text}");
}

#[test]
fn a_file_that_is_not_audio_is_named_and_the_others_still_measured() {
    let junk = scratch("notes.txt");
    std::fs::write(&junk, "not audio at all").unwrap();
    let session = scratch("demo2.mixroom.json");
    assert!(mixroom().args(["demo-session", "-o"]).arg(&session).status().unwrap().success());
    let out = mixroom().arg("loudness").arg("--json").arg(&junk).arg(&session).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("notes.txt") && err.contains("1 of 2 file(s) could not be measured"), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "the session was measured: {stdout}");
}
