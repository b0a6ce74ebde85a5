use std::io::Write;

use mixroom_session::NewTrack;

use super::*;

/// A session with a demo stem and three imported sources: 16-bit, 24-bit and float samples (a
/// stereo one among them), with their audio.
fn mix() -> (Session, Vec<(String, Vec<Vec<f32>>)>) {
    let signal = |channels: usize, frames: usize, bits: Option<u32>, seed: u32| -> Vec<Vec<f32>> {
        let mut x = seed;
        (0..channels)
            .map(|_| {
                (0..frames)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        let v = (x as f32 / u32::MAX as f32 - 0.5) * 1.2;
                        // (+ 0.0: an integer file has no −0.0.)
                        bits.map_or(v, |b| (v * (1u32 << (b - 1)) as f32).round() / (1u32 << (b - 1)) as f32 + 0.0)
                    })
                    .collect()
            })
            .collect()
    };
    let sources = vec![signal(1, 48_000 + 7, Some(16), 1), signal(2, 24_001, Some(24), 2), signal(2, 10_000, None, 3)];
    let mut session = Session::demo();
    session.tracks.truncate(2);
    session.buses.clear();
    session.returns.clear();
    for t in &mut session.tracks {
        t.strip = mixroom_session::Strip::default();
        t.folder = None;
    }
    let new: Vec<NewTrack> = sources
        .iter()
        .enumerate()
        .map(|(i, c)| NewTrack { name: format!("Take {i}"), source_id: mixroom_import::content_id(c, 48_000), channels: c.len() as u8, frames: c[0].len() as u64 })
        .collect();
    session.add_audio_tracks(&new).unwrap();
    let media = new.iter().zip(sources).map(|(n, c)| (n.source_id.clone(), c)).collect();
    (session, media)
}

fn project() -> (Session, Vec<(String, Vec<Vec<f32>>)>, Vec<u8>) {
    let (session, media) = mix();
    let audio: Vec<MediumAudio> = media.iter().map(|(id, c)| MediumAudio { id, channels: c }).collect();
    let bytes = write(&session, &audio, |_| true).unwrap();
    (session, media, bytes)
}

#[test]
fn a_project_round_trips_bit_for_bit() {
    let (session, media, bytes) = project();
    let read = read(&bytes, |_| true).unwrap();
    assert_eq!(read.session, session);
    assert!(read.repairs.is_empty());
    assert_eq!(read.manifest.app, writer());
    let encodings: Vec<Encoding> = read.manifest.media.iter().map(|m| m.encoding).collect();
    assert_eq!(encodings, [Encoding::Flac16, Encoding::Flac24, Encoding::Float32]);
    for (id, channels) in &media {
        let back = &read.media[id];
        assert_eq!(back.len(), channels.len());
        for (a, b) in channels.iter().zip(back) {
            assert!(a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()), "{id}");
        }
    }
    // FLAC is smaller than the samples it holds.
    let flac = read.manifest.media.iter().find(|m| m.encoding == Encoding::Flac16).unwrap();
    assert!(flac.bytes < flac.frames * 2, "{} bytes for {} frames", flac.bytes, flac.frames);
    assert_eq!(read_manifest(&bytes).unwrap(), read.manifest);
}

#[test]
fn a_project_without_the_audio_of_a_track_is_not_written() {
    let (session, media) = mix();
    let audio: Vec<MediumAudio> = media.iter().skip(1).map(|(id, c)| MediumAudio { id, channels: c }).collect();
    assert!(matches!(write(&session, &audio, |_| true), Err(ProjectError::Write(_))));
}

#[test]
fn a_project_carries_its_reference_tracks_audio() {
    let (mut session, mut media) = mix();
    // A reference of its own audio, and one that plays a track's audio too (kept once).
    let own: Vec<Vec<f32>> = vec![(0..9_000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect(); 2];
    let id = mixroom_import::content_id(&own, 48_000);
    session.add_reference("Their master", Source::Audio { id: id.clone(), channels: 2, frames: 9_000 }, Some(-11.0)).unwrap();
    let shared = session.tracks[2].source.clone();
    session.add_reference("Take 0 again", shared, None).unwrap();
    media.push((id.clone(), own.clone()));
    let audio: Vec<MediumAudio> = media.iter().map(|(id, c)| MediumAudio { id, channels: c }).collect();
    let bytes = write(&session, &audio, |_| true).unwrap();
    let back = read(&bytes, |_| true).unwrap();
    assert_eq!(back.session.references, session.references);
    assert_eq!(back.manifest.media.len(), 4);
    assert_eq!(back.media[&id], own);
    // Without the reference's audio it is neither written nor read.
    let without: Vec<MediumAudio> = media.iter().take(3).map(|(id, c)| MediumAudio { id, channels: c }).collect();
    assert!(matches!(write(&session, &without, |_| true), Err(ProjectError::Write(_))));
    let mut files = entries(&bytes);
    let mut manifest: serde_json::Value = serde_json::from_slice(&files.iter().find(|f| f.0 == "manifest.json").unwrap().1).unwrap();
    manifest["media"].as_array_mut().unwrap().retain(|m| m["id"] != id.as_str());
    files.iter_mut().find(|f| f.0 == "manifest.json").unwrap().1 = manifest.to_string().into_bytes();
    files.retain(|f| !f.0.contains(&id));
    assert!(refused(&rebuilt(&files)).contains("the audio of reference “Their master” is not in it"));
}

/// A zip of the given entries (name, bytes, deflated?), written as they are.
fn zip_of(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes, deflate) in entries {
        let method = if *deflate { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
        zip.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(method).large_file(true)).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The entries of a project, to rebuild it altered.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>, bool)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let deflated = f.compression() == zip::CompressionMethod::Deflated;
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().into_owned(), out, deflated)
        })
        .collect()
}

fn rebuilt(entries: &[(String, Vec<u8>, bool)]) -> Vec<u8> {
    zip_of(&entries.iter().map(|(n, b, d)| (n.as_str(), b.as_slice(), *d)).collect::<Vec<_>>())
}

fn refused(bytes: &[u8]) -> String {
    match read(bytes, |_| true) {
        Ok(_) => panic!("read"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn hostile_and_broken_projects_are_refused_with_what_is_wrong() {
    let (_, _, good) = project();
    let parts = entries(&good);
    // Not a zip at all; a zip cut short.
    assert_eq!(refused(b"<html>not a project</html>"), "This is not a Mixroom project file (it is not a zip archive).");
    assert!(refused(&good[..good.len() / 2]).contains("damaged"), "{}", refused(&good[..good.len() / 2]));
    // A zip that is not a project.
    assert!(refused(&zip_of(&[("readme.txt", b"hello", true)])).contains("has no Mixroom manifest"));
    // A zip bomb: 128 MB of zeros deflated into some 128 KB, as the session.
    let bomb = {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(SESSION, zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true)).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..128 {
            zip.write_all(&zeros).unwrap();
        }
        zip.start_file(MANIFEST, zip::write::SimpleFileOptions::default()).unwrap();
        let manifest = Manifest { format: FORMAT.into(), version: VERSION, app: writer(), session: SESSION.into(), media: Vec::new() };
        zip.write_all(serde_json::to_string(&manifest).unwrap().as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    };
    assert!(bomb.len() < 1 << 20);
    let e = refused(&bomb);
    assert!(e.contains("“session.json” would take 134217728 bytes, more than the 67108864 it may"), "{e}");
    // Under the cap, but inflating a thousandfold (no session is that repetitive).
    let dense = {
        let manifest = Manifest { format: FORMAT.into(), version: VERSION, app: writer(), session: SESSION.into(), media: Vec::new() };
        zip_of(&[(MANIFEST, serde_json::to_string(&manifest).unwrap().as_bytes(), true), (SESSION, &vec![b' '; 16 << 20], true)])
    };
    let e = refused(&dense);
    assert!(e.contains("would inflate") && e.contains("as a zip bomb does"), "{e}");
    // Entries with paths that leave the archive, and an extra one.
    for name in ["../../evil.sh", "/etc/passwd", "media/../../x", "notes.txt"] {
        let mut p = parts.clone();
        p.push((name.into(), b"x".to_vec(), false));
        let e = refused(&rebuilt(&p));
        assert!(e.contains("was not opened") && e.contains(name), "{name}: {e}");
    }
    // A medium missing.
    let mut p = parts.clone();
    p.retain(|(n, _, _)| !n.ends_with(".wav"));
    assert!(refused(&rebuilt(&p)).contains("is missing"));
    // A medium damaged: its samples changed (a float WAV decodes, but to other samples).
    let mut p = parts.clone();
    let wav = p.iter_mut().find(|(n, _, _)| n.ends_with(".wav")).unwrap();
    let len = wav.1.len();
    wav.1[len - 10] ^= 0x40;
    assert!(refused(&rebuilt(&p)).contains("does not match its content id"));
    // A newer manifest, and a manifest that is not JSON.
    let mut p = parts.clone();
    let m = &mut p.iter_mut().find(|(n, _, _)| n == MANIFEST).unwrap().1;
    *m = String::from_utf8(m.clone()).unwrap().replace("\"version\": 1", "\"version\": 7").into_bytes();
    assert!(refused(&rebuilt(&p)).contains("newer version of Mixroom (project format 7)"));
    let mut p = parts.clone();
    p.iter_mut().find(|(n, _, _)| n == MANIFEST).unwrap().1 = b"{ not json".to_vec();
    assert!(refused(&rebuilt(&p)).contains("its manifest is not JSON"));
    // A session of a newer version inside.
    let mut p = parts.clone();
    let s = &mut p.iter_mut().find(|(n, _, _)| n == SESSION).unwrap().1;
    let current = format!("\"version\": {}", mixroom_session::VERSION);
    *s = String::from_utf8(s.clone()).unwrap().replacen(&current, "\"version\": 9", 1).into_bytes();
    assert!(refused(&rebuilt(&p)).contains("newer version of Mixroom (session format 9)"));
}

#[test]
fn an_entry_named_twice_is_refused() {
    let (_, _, good) = project();
    let mut parts = entries(&good);
    // Two entries of names of one length, the second then renamed to the first, in the bytes.
    parts.push(("manifest.jsoX".into(), b"{}".to_vec(), false));
    let mut bytes = rebuilt(&parts);
    let mut at = 0;
    while let Some(i) = bytes[at..].windows(13).position(|w| w == b"manifest.jsoX") {
        bytes[at + i + 12] = b'n';
        at += i + 13;
    }
    assert_eq!(refused(&bytes), "This project file was not opened: it names an entry twice.");
}
