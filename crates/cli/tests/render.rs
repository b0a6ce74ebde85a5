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
    // 17 bars at 96 BPM: 42.5 s, then its reverb and echo ring on (`Session::render_frames`).
    assert_eq!(reader.duration() as u64, mixroom_session::Session::demo().render_frames());
    assert!(reader.duration() > 2_040_000 + 48_000);
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

/// Writes a 16-bit WAV of a tone: what a DAW's bounce of a stem is.
fn stem(path: &std::path::Path, channels: u16, rate: u32, seconds: f32, freq: f32) {
    let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for i in 0..(rate as f32 * seconds) as usize {
        for c in 0..channels {
            w.write_sample((0.4 * (std::f32::consts::TAU * freq * (c + 1) as f32 * i as f32 / rate as f32).sin() * 32767.0) as i16).unwrap();
        }
    }
    w.finalize().unwrap();
}

/// `mixroom pack` finds a session's audio in a folder by content — whatever the files are called,
/// with other files beside them — and `mixroom render` of the project equals the same session
/// rendered with that audio directly; `mixroom info` says what it holds.
#[test]
fn a_session_and_its_stems_pack_into_a_project_that_renders_and_describes_itself() {
    let dir = scratch("pack");
    let media = dir.join("media");
    let _ = std::fs::remove_dir_all(&media);
    std::fs::create_dir_all(&media).unwrap();
    // Two stems at the session's rate, one at 44.1 kHz (resampled on import, stored as floats),
    // and a file that is no audio at all.
    stem(&media.join("01 Bass.wav"), 1, 48_000, 2.0, 55.0);
    stem(&media.join("02 Keys.wav"), 2, 48_000, 1.5, 330.0);
    stem(&media.join("03 Pad.wav"), 2, 44_100, 1.0, 220.0);
    std::fs::write(media.join("notes.txt"), "mix notes").unwrap();
    let mut imported = Vec::new();
    for name in ["01 Bass.wav", "02 Keys.wav", "03 Pad.wav"] {
        let bytes = std::fs::read(media.join(name)).unwrap();
        let decoded = mixroom_import::decode(bytes, name, |_| true).unwrap();
        imported.extend(mixroom_import::into_tracks(decoded, name, 48_000).unwrap());
    }
    let mut session = mixroom_session::Session::empty("Packed mix");
    let new: Vec<mixroom_session::NewTrack> = imported.iter().map(|t| mixroom_session::NewTrack { name: t.name.clone(), source_id: t.id.clone(), channels: t.channels.len() as u8, frames: t.channels[0].len() as u64 }).collect();
    session.add_audio_tracks(&new).unwrap();
    session.tracks[1].strip.fader_db = -6.0;
    let session_path = dir.join("packed.mixroom.json");
    std::fs::write(&session_path, session.to_json()).unwrap();
    let project = dir.join("packed.mixroom");
    let out = mixroom().arg("pack").arg(&session_path).arg("--media").arg(&media).arg("-o").arg(&project).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let wav = dir.join("packed.wav");
    let out = mixroom().arg("render").arg(&project).arg("-o").arg(&wav).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rendered: Vec<f32> = hound::WavReader::open(&wav).unwrap().samples::<f32>().map(Result::unwrap).collect();
    let sources: Vec<Vec<Vec<f32>>> = imported.iter().map(|t| t.channels.clone()).collect();
    let [l, r] = session.build_engine(&sources).unwrap().render_all();
    let direct: Vec<f32> = l.iter().zip(&r).flat_map(|(a, b)| [*a, *b]).collect();
    assert_eq!(rendered.len(), direct.len());
    assert!(rendered.iter().zip(&direct).all(|(a, b)| a.to_bits() == b.to_bits()), "the project renders as the session with its audio");

    let out = mixroom().arg("info").arg(&project).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for part in ["Packed mix", "project format 1", "3 tracks", "0:02", "3 sources of audio", "Flac16", "Float32", "Bass", "Keys", "Pad"] {
        assert!(text.contains(part), "{part:?} not in:\n{text}");
    }

    // A session file alone cannot be rendered (its audio is elsewhere), and says how to.
    let out = mixroom().arg("render").arg(&session_path).arg("-o").arg(dir.join("x.wav")).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mixroom pack"));
    // Packing without one of its stems names the track.
    std::fs::remove_file(media.join("02 Keys.wav")).unwrap();
    let out = mixroom().arg("pack").arg(&session_path).arg("--media").arg(&media).arg("-o").arg(dir.join("y.mixroom")).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds no audio for “02 Keys”"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Reads a WAV's samples as floats (integer files scaled to ±1).
fn wav_samples(path: &std::path::Path) -> (hound::WavSpec, Vec<f32>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader.samples::<i32>().map(|s| s.unwrap() as f32 / scale).collect()
        }
    };
    (spec, samples)
}

#[test]
fn delivers_flac_and_16_bit_wav_into_a_folder_with_the_float_mix_inside_the_dither() {
    let float = scratch("deliver-float.wav");
    assert!(mixroom().args(["render", "demo", "-o"]).arg(&float).status().unwrap().success());
    let (_, mix) = wav_samples(&float);
    let folder = scratch("delivery");
    let _ = std::fs::remove_dir_all(&folder);
    for (format, bits, lsb) in [("flac", "24", 1.0 / 8_388_608.0), ("wav", "16", 1.0 / 32_768.0)] {
        let out = mixroom().args(["render", "demo", "--format", format, "--bits", bits, "--title", "Night Drive", "-o"]).arg(&folder).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let file = folder.join(format!("Demo_ Night Drive - Mix.{format}"));
        assert!(file.exists(), "{} is not there", file.display());
        // FLAC decoded by the reference decoder.
        let wav = if format == "flac" {
            let wav = scratch("delivery-flac-d.wav");
            assert!(Command::new("flac").args(["-d", "-s", "-f", "-o"]).arg(&wav).arg(&file).status().unwrap().success());
            wav
        } else {
            file
        };
        let (spec, samples) = wav_samples(&wav);
        assert_eq!((spec.channels, spec.sample_rate, spec.bits_per_sample as u32), (2, 48_000, bits.parse().unwrap()));
        assert_eq!(samples.len(), mix.len());
        let worst = samples.iter().zip(&mix).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max) / lsb;
        assert!(worst <= 1.5, "{format} {bits}-bit: {worst} LSB from the float mix");
    }
    // A rate and a format that do not exist are refused before anything is rendered.
    let out = mixroom().args(["render", "demo", "--bits", "20", "-o"]).arg(&folder).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("20-bit"));
    let out = mixroom().args(["render", "demo", "--format", "flac", "--bits", "32", "-o"]).arg(&folder).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("FLAC holds integer samples"));
    let out = mixroom().args(["render", "demo", "--rate", "22050", "-o"]).arg(&folder).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a delivery rate"));
}

#[test]
fn the_check_exits_non_zero_for_a_failing_file_and_reports_as_json() {
    // The demo's float render (its master limiter holds it under −1 dBTP) passes; the same
    // clipped hard fails, with the clipping and the true peak named.
    let good = scratch("check-good.wav");
    assert!(mixroom().args(["render", "demo", "-o"]).arg(&good).status().unwrap().success());
    let out = mixroom().args(["check", "--json"]).arg(&good).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["max_true_peak_dbtp"].as_f64().unwrap() <= -1.0);
    assert_eq!(report["clipped_runs"], 0);
    let (spec, samples) = wav_samples(&good);
    let bad = scratch("check-clipped.wav");
    let mut w = hound::WavWriter::create(&bad, spec).unwrap();
    for x in samples {
        w.write_sample((x * 8.0).clamp(-1.0, 1.0)).unwrap();
    }
    w.finalize().unwrap();
    let out = mixroom().arg("check").arg(&bad).output().unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAILED") && text.contains("FAIL (clipping)") && text.contains("FAIL (true-peak)"), "{text}");
    // A session checks its render, the master's limiter known.
    let out = mixroom().args(["check", "--for-mastering", "demo"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Limiter on the master"));
}

#[test]
fn stems_go_beside_the_mix_named_for_the_song_with_the_sum_check_reported() {
    let folder = scratch("stems");
    let _ = std::fs::remove_dir_all(&folder);
    let out = mixroom().args(["render", "demo", "--stems", "Kick, bass,Drums", "-o"]).arg(&folder).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("sum check:"), "{said}");
    let mut names: Vec<String> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["Delivery report.md", "Demo_ Night Drive - Bass.wav", "Demo_ Night Drive - Drums.wav", "Demo_ Night Drive - Kick.wav", "Demo_ Night Drive - Mix.wav", "delivery-report.json"]);
    // Every stem as long as the mix; the kick is in the drums stem, the bass is not.
    let (_, mix) = wav_samples(&folder.join("Demo_ Night Drive - Mix.wav"));
    for stem in ["Kick", "Bass", "Drums"] {
        let (_, part) = wav_samples(&folder.join(format!("Demo_ Night Drive - {stem}.wav")));
        assert_eq!(part.len(), mix.len(), "{stem}");
        assert!(part.iter().any(|x| x.abs() > 1e-3), "{stem} is heard");
    }
    let out = mixroom().args(["render", "demo", "--stems", "Tuba", "-o"]).arg(&folder).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no track, bus or return is called “Tuba”") && err.contains("Kick"), "{err}");
}

#[test]
fn alternate_versions_go_beside_the_mix_by_track_role() {
    let folder = scratch("alternates");
    let _ = std::fs::remove_dir_all(&folder);
    // The demo's tracks have roles (its Vox is the lead vocal) but no alternates of its own.
    let out = mixroom().args(["render", "demo", "--alternates", "-o"]).arg(&folder).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("defines no alternate versions"));
    let out = mixroom().args(["render", "demo", "--format", "flac", "--alternates", "presets", "-o"]).arg(&folder).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = ["A cappella", "Instrumental", "Mix", "TV mix", "Vocal down 1 dB", "Vocal up 1 dB"].iter().map(|v| format!("Demo_ Night Drive - {v}.flac")).collect();
    expected.insert(0, "Delivery report.md".into());
    expected.push("delivery-report.json".into());
    assert_eq!(names, expected);
    // The session's own, from a session file that defines one.
    let mut demo: serde_json::Value = serde_json::from_str(&String::from_utf8(mixroom().arg("demo-session").output().unwrap().stdout).unwrap()).unwrap();
    demo["alternates"] = serde_json::json!([{ "name": "No drums", "mute_roles": ["drums"] }, { "name": "No bass", "mute_roles": ["bass"] }]);
    let session = scratch("alternates.mixroom.json");
    std::fs::write(&session, demo.to_string()).unwrap();
    let own = scratch("alternates-own");
    let _ = std::fs::remove_dir_all(&own);
    // Those named, of the session's own.
    let out = mixroom().arg("render").arg(&session).args(["--alternates", "No bass", "-o"]).arg(&own).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(own.join("Demo_ Night Drive - No bass.wav").exists() && !own.join("Demo_ Night Drive - No drums.wav").exists());
    let out = mixroom().arg("render").arg(&session).args(["--alternates", "No bass,Radio edit", "-o"]).arg(&own).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("no alternate version “Radio edit” (it has: No drums, No bass)"), "{said}");
}

#[test]
fn a_batch_is_one_zip_with_the_delivery_report_inside() {
    use std::io::Read;
    let zip_path = scratch("batch.zip");
    let _ = std::fs::remove_file(&zip_path);
    let out = mixroom().args(["render", "demo", "--bits", "24", "--stems", "Kick,Bass", "--alternates", "presets", "-o"]).arg(&zip_path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    assert_eq!(names.len(), 1 + 2 + 5 + 2, "{names:?}");
    let mut json = String::new();
    zip.by_name("delivery-report.json").unwrap().read_to_string(&mut json).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 8);
    assert!(files.iter().all(|f| f["bits"] == 24 && f["sample_rate"] == 48_000), "{json}");
    // The mix inside is the one a single-file render writes, byte for byte.
    let single = scratch("batch-mix.wav");
    assert!(mixroom().args(["render", "demo", "--bits", "24", "-o"]).arg(&single).status().unwrap().success());
    let mut inside = Vec::new();
    zip.by_name("Demo_ Night Drive - Mix.wav").unwrap().read_to_end(&mut inside).unwrap();
    assert!(inside == std::fs::read(&single).unwrap(), "the zip's mix differs from the single render");
    let mut md = String::new();
    zip.by_name("Delivery report.md").unwrap().read_to_string(&mut md).unwrap();
    assert!(md.starts_with("# Delivery: Demo: Night Drive") && md.contains("Hand-off check"), "{md}");
}
