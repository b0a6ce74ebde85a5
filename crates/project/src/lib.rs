//! Mixroom's project file (`.mixroom`): one file holding a whole session — the session itself,
//! every source's audio, and a manifest — to send to a collaborator, open in another browser, or
//! render with the CLI.
//!
//! A zip container, written and read with the `zip` crate:
//!
//! | entry | what |
//! | --- | --- |
//! | `manifest.json` | format tag, version, the Mixroom that wrote it, and every medium: its content id, channels, frames, rate, how it is stored, its bytes |
//! | `session.json` | the session file ([`mixroom_session::Session::to_json`]) |
//! | `media/<content id>.flac` or `.wav` | a source's audio ([`media`]: FLAC where the samples are exact 16/24-bit values, WAV otherwise) |
//!
//! Reading treats the file as hostile. Before anything is inflated, the entries are checked
//! against the manifest (no entry that is not expected, none missing, no name twice, no path
//! outside the archive) and against caps on size and compression ratio (no zip bomb); while they
//! are read, no entry may give more than it declared; afterwards every source is hashed again and
//! must match its content id. Each failure is a [`ProjectError`] whose message names the problem.
//! The session inside is read like any session file: salvaged where a value is beyond the limits.
//!
//! This is part of the serialization boundary (with `mixroom-session`): the project format has its
//! own tag and version, and later versions carry older ones forward.

mod media;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{Cursor, Read, Write};

use mixroom_session::{limits, Repairs, Session, SessionError, Source};
use serde::{Deserialize, Serialize};

pub use media::Encoding;

/// The `format` tag of a project's manifest.
pub const FORMAT: &str = "mixroom-project";
/// The newest project format version this build writes and reads.
pub const VERSION: u32 = 1;
/// A project file's extension.
pub const EXTENSION: &str = "mixroom";

const MANIFEST: &str = "manifest.json";
const SESSION: &str = "session.json";

/// The largest manifest or session entry, inflated (a session of 512 full tracks is a few MB).
const MAX_JSON_BYTES: u64 = 64 << 20;
/// The most a whole project may inflate to: what a browser's memory can hold.
const MAX_TOTAL_BYTES: u64 = 4 << 30;
/// The highest compression ratio an entry may claim: JSON deflates some tenfold, media are stored.
const MAX_RATIO: u64 = 100;
/// Room for a medium's own header and framing beyond its samples.
const MEDIUM_SLACK: u64 = 1 << 20;

/// Which Mixroom wrote a project: the app's name and version.
pub fn writer() -> String {
    format!("mixroom {}", env!("CARGO_PKG_VERSION"))
}

/// The manifest: what the project holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    pub version: u32,
    /// The Mixroom that wrote it ("mixroom 0.1.0").
    pub app: String,
    /// The session's entry.
    pub session: String,
    pub media: Vec<Medium>,
}

/// One source's audio in the project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Medium {
    /// The content id: the samples' SHA-256 (as the session's sources name them).
    pub id: String,
    pub channels: u8,
    pub frames: u64,
    /// Hz: the session's rate.
    pub rate: u32,
    /// Its entry.
    pub path: String,
    pub encoding: Encoding,
    /// The entry's size.
    pub bytes: u64,
}

/// A source's audio to write: its content id and one buffer per channel.
pub struct MediumAudio<'a> {
    pub id: &'a str,
    pub channels: &'a [Vec<f32>],
}

/// A project read: the session (mended where it had to be, said in `repairs`), the manifest, and
/// every source's audio by content id.
pub struct Project {
    pub session: Session,
    pub repairs: Repairs,
    pub manifest: Manifest,
    pub media: BTreeMap<String, Vec<Vec<f32>>>,
}

/// Why a project file could not be written or read. The message says what, in the user's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum ProjectError {
    /// Not a zip, or a zip that is not a Mixroom project.
    NotAProject(String),
    /// Written by a newer Mixroom.
    NewerVersion(u32),
    /// Damaged: cut short, an entry that does not read, audio that does not match its id.
    Damaged(String),
    /// Shaped to do harm or beyond what Mixroom opens: a zip bomb, a path out of the archive,
    /// an entry twice, entries the manifest does not name.
    Refused(String),
    /// The session inside could not be read.
    Session(SessionError),
    /// The project could not be written.
    Write(String),
    /// The user cancelled.
    Cancelled,
}

impl fmt::Display for ProjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectError::NotAProject(why) => write!(f, "This is not a Mixroom project file ({why})."),
            ProjectError::NewerVersion(v) => write!(f, "This project was saved by a newer version of Mixroom (project format {v}); this version reads formats up to {VERSION}. Update Mixroom to open it."),
            ProjectError::Damaged(why) => write!(f, "This project file is damaged: {why}."),
            ProjectError::Refused(why) => write!(f, "This project file was not opened: {why}."),
            ProjectError::Session(e) => write!(f, "{e}"),
            ProjectError::Write(why) => write!(f, "The project file could not be written: {why}."),
            ProjectError::Cancelled => write!(f, "Cancelled."),
        }
    }
}

impl std::error::Error for ProjectError {}

/// The content ids of the audio a session's tracks play and its reference tracks hold, each once,
/// in track order, then the references'.
pub fn media_ids(session: &Session) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for (_, source) in session.sources() {
        if let Source::Audio { id, .. } = source {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    ids
}

fn media_path(id: &str, encoding: Encoding) -> String {
    format!("media/{id}.{}", encoding.extension())
}

/// Writes a project: `session` and the audio of each of its sources (`media`, by content id; every
/// source the session plays must be there). `progress(share)` is called as each medium is encoded;
/// returning `false` cancels.
pub fn write(session: &Session, media: &[MediumAudio], mut progress: impl FnMut(f32) -> bool) -> Result<Vec<u8>, ProjectError> {
    let needed = media_ids(session);
    let mut encoded = Vec::with_capacity(needed.len());
    for (n, id) in needed.iter().enumerate() {
        let audio = media.iter().find(|m| m.id == id).ok_or_else(|| ProjectError::Write(format!("the audio of source {id} is not at hand")))?;
        let (encoding, bytes) = media::encode(audio.channels, session.sample_rate)?;
        let medium = Medium {
            id: id.clone(),
            channels: audio.channels.len() as u8,
            frames: audio.channels.first().map_or(0, Vec::len) as u64,
            rate: session.sample_rate,
            path: media_path(id, encoding),
            encoding,
            bytes: bytes.len() as u64,
        };
        encoded.push((medium, bytes));
        if !progress((n + 1) as f32 / needed.len().max(1) as f32) {
            return Err(ProjectError::Cancelled);
        }
    }
    let manifest = Manifest { format: FORMAT.into(), version: VERSION, app: writer(), session: SESSION.into(), media: encoded.iter().map(|(m, _)| m.clone()).collect() };
    let failed = |e: zip::result::ZipError| ProjectError::Write(e.to_string());
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(true);
    zip.start_file(MANIFEST, deflated).map_err(failed)?;
    zip.write_all(serde_json::to_string_pretty(&manifest).expect("a manifest is plain data").as_bytes()).map_err(|e| ProjectError::Write(e.to_string()))?;
    zip.start_file(SESSION, deflated).map_err(failed)?;
    zip.write_all(session.to_json().as_bytes()).map_err(|e| ProjectError::Write(e.to_string()))?;
    for (medium, bytes) in &encoded {
        zip.start_file(medium.path.as_str(), stored).map_err(failed)?;
        zip.write_all(bytes).map_err(|e| ProjectError::Write(e.to_string()))?;
    }
    Ok(zip.finish().map_err(failed)?.into_inner())
}

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

fn open(bytes: &[u8]) -> Result<Archive<'_>, ProjectError> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| match e {
        zip::result::ZipError::InvalidArchive(_) | zip::result::ZipError::UnsupportedArchive(_) if bytes.starts_with(b"PK") => ProjectError::Damaged("its archive is cut short or broken".into()),
        _ => ProjectError::NotAProject("it is not a zip archive".into()),
    })?;
    if archive.has_duplicate_names() {
        return Err(ProjectError::Refused("it names an entry twice".into()));
    }
    Ok(archive)
}

/// Reads entry `name`, refusing one that declares more than `cap` bytes, compresses beyond
/// [`MAX_RATIO`], or gives more than it declared.
fn entry(archive: &mut Archive, name: &str, cap: u64) -> Result<Vec<u8>, ProjectError> {
    let file = archive.by_name(name).map_err(|e| match e {
        zip::result::ZipError::FileNotFound => ProjectError::Damaged(format!("its entry “{name}” is missing")),
        other => ProjectError::Damaged(format!("its entry “{name}” does not read ({other})")),
    })?;
    let (size, compressed) = (file.size(), file.compressed_size());
    if size > cap {
        return Err(ProjectError::Refused(format!("its entry “{name}” would take {size} bytes, more than the {cap} it may")));
    }
    if size > MAX_RATIO * compressed.max(1) && size > 1 << 16 {
        return Err(ProjectError::Refused(format!("its entry “{name}” would inflate {}-fold, as a zip bomb does", size / compressed.max(1))));
    }
    let mut out = Vec::with_capacity(size as usize);
    // Never more than declared, whatever the entry's data says.
    file.take(size + 1).read_to_end(&mut out).map_err(|e| ProjectError::Damaged(format!("its entry “{name}” does not read ({e})")))?;
    if out.len() as u64 != size {
        return Err(ProjectError::Damaged(format!("its entry “{name}” is not the size it says")));
    }
    Ok(out)
}

/// Reads a project's manifest alone (what `mixroom info` shows), checked.
pub fn read_manifest(bytes: &[u8]) -> Result<Manifest, ProjectError> {
    let mut archive = open(bytes)?;
    manifest(&mut archive)
}

fn manifest(archive: &mut Archive) -> Result<Manifest, ProjectError> {
    let names: Vec<String> = archive.file_names().map(|n| n.map(|n| n.into_owned())).collect::<Result<_, _>>().map_err(|e| ProjectError::Damaged(format!("an entry's name does not read ({e})")))?;
    if !names.iter().any(|n| n == MANIFEST) {
        return Err(ProjectError::NotAProject("it has no Mixroom manifest".into()));
    }
    let text = entry(archive, MANIFEST, MAX_JSON_BYTES)?;
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| ProjectError::Damaged(format!("its manifest is not JSON ({e})")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(ProjectError::NotAProject("its manifest is not a Mixroom project's".into()));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(v) if v > VERSION as u64 => return Err(ProjectError::NewerVersion(v.min(u32::MAX as u64) as u32)),
        Some(v) if v >= 1 => {}
        _ => return Err(ProjectError::Damaged("its manifest has no version".into())),
    }
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| ProjectError::Damaged(format!("its manifest does not read ({e})")))?;
    check(&manifest, &names)?;
    Ok(manifest)
}

/// The manifest against the archive: every entry expected, every expected entry there, each
/// medium's shape within the limits, its entry where its id and encoding put it, the total within
/// what can be held.
fn check(manifest: &Manifest, names: &[String]) -> Result<(), ProjectError> {
    if manifest.session != SESSION {
        return Err(ProjectError::Refused(format!("its manifest points at “{}” for the session", short(&manifest.session))));
    }
    if manifest.media.len() > limits::TRACKS {
        return Err(ProjectError::Refused(format!("it holds {} sources; a session plays at most {}", manifest.media.len(), limits::TRACKS)));
    }
    let mut expected: BTreeSet<&str> = [MANIFEST, SESSION].into_iter().collect();
    let mut total = 2 * MAX_JSON_BYTES;
    let mut ids = BTreeSet::new();
    for m in &manifest.media {
        let plain = m.id.starts_with("sha256-") && m.id.len() == 71 && m.id[7..].chars().all(|c| c.is_ascii_hexdigit());
        if !plain {
            return Err(ProjectError::Refused(format!("its manifest names a source “{}” that is not a content id", short(&m.id))));
        }
        if !ids.insert(m.id.as_str()) {
            return Err(ProjectError::Refused(format!("its manifest names the source {} twice", m.id)));
        }
        if m.path != media_path(&m.id, m.encoding) {
            return Err(ProjectError::Refused(format!("its manifest puts the source {} at “{}”", m.id, short(&m.path))));
        }
        if !(1..=2).contains(&m.channels) || m.frames > limits::SOURCE_FRAMES || !limits::SAMPLE_RATES.contains(&m.rate) {
            return Err(ProjectError::Refused(format!("its source {} has {} channels, {} frames at {} Hz, beyond what Mixroom holds", m.id, m.channels, m.frames, m.rate)));
        }
        total = total.saturating_add(m.frames * m.channels as u64 * 4);
        expected.insert(m.path.as_str());
    }
    if total > MAX_TOTAL_BYTES {
        return Err(ProjectError::Refused(format!("its audio would take {} GB, more than a browser can hold", total >> 30)));
    }
    for name in names {
        // Names are never used as paths here, but one that would leave the archive is a sign of
        // a file made to do harm elsewhere: refused with the others it does not expect.
        if !expected.contains(name.as_str()) {
            let why = if name.starts_with('/') || name.contains("..") || name.contains('\\') || name.contains(':') { "a path that leaves the archive" } else { "an entry the manifest does not name" };
            return Err(ProjectError::Refused(format!("it holds “{}”, {why}", short(name))));
        }
    }
    for path in &expected {
        if !names.iter().any(|n| n == path) {
            return Err(ProjectError::Damaged(format!("its entry “{path}” is missing")));
        }
    }
    Ok(())
}

fn short(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Reads a project. `progress(share)` is called as each medium is read; returning `false` cancels.
pub fn read(bytes: &[u8], mut progress: impl FnMut(f32) -> bool) -> Result<Project, ProjectError> {
    let mut archive = open(bytes)?;
    let manifest = manifest(&mut archive)?;
    let text = entry(&mut archive, SESSION, MAX_JSON_BYTES)?;
    let text = String::from_utf8(text).map_err(|_| ProjectError::Damaged("its session is not text".into()))?;
    let (session, repairs) = Session::read(&text).map_err(ProjectError::Session)?;
    // Every source the session plays or keeps as a reference is in the manifest, at the
    // session's rate and shape.
    let kinds = session.tracks.iter().map(|_| "track").chain(session.references.iter().map(|_| "reference"));
    for (kind, (name, source)) in kinds.zip(session.sources()) {
        if let Source::Audio { id, channels, frames } = source {
            let m = manifest.media.iter().find(|m| &m.id == id).ok_or_else(|| ProjectError::Damaged(format!("the audio of {kind} “{}” is not in it", short(name))))?;
            if (m.channels, m.frames, m.rate) != (*channels, *frames, session.sample_rate) {
                return Err(ProjectError::Damaged(format!("the audio of {kind} “{}” is not the shape its session says", short(name))));
            }
        }
    }
    let mut media = BTreeMap::new();
    for (n, m) in manifest.media.iter().enumerate() {
        let cap = m.frames * m.channels as u64 * m.encoding.bytes_per_sample() + MEDIUM_SLACK;
        let bytes = entry(&mut archive, &m.path, cap)?;
        let (rate, channels) = media::decode(bytes, &m.path).map_err(|e| ProjectError::Damaged(format!("the audio {} does not decode ({e})", m.id)))?;
        let frames = channels.first().map_or(0, Vec::len) as u64;
        if rate != m.rate || channels.len() != m.channels as usize || frames != m.frames {
            return Err(ProjectError::Damaged(format!("the audio {} is not the shape its manifest says", m.id)));
        }
        // The samples are what the session was made with, or nothing is taken.
        if mixroom_import::content_id(&channels, m.rate) != m.id {
            return Err(ProjectError::Damaged(format!("the audio {} does not match its content id (it was changed or damaged)", m.id)));
        }
        media.insert(m.id.clone(), channels);
        if !progress((n + 1) as f32 / manifest.media.len().max(1) as f32) {
            return Err(ProjectError::Cancelled);
        }
    }
    Ok(Project { session, repairs, manifest, media })
}

#[cfg(test)]
mod tests;
