//! `mixroom`: the native command-line tool.
//!
//! - `mixroom render <session or project> -o mix.wav` renders a session file or a project file with
//!   the same engine the browser runs in its AudioWorklet, block for block, and writes a 32-bit float
//!   WAV: what the browser's "Export mix" writes for the same session.
//! - `mixroom pack session.json --media DIR -o project.mixroom` packs a session and its audio
//!   files (found by content id once imported at the session's rate) into a project file.
//! - `mixroom info project.mixroom` says what a project holds.
//! - `mixroom loudness FILE… [--json]` measures loudness to EBU R 128 / ITU-R BS.1770-4: of audio
//!   files (any format the importer reads), or of the mix a session or project renders.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::collections::BTreeMap;

use clap::{Parser, Subcommand};
use mixroom_project::MediumAudio;
use mixroom_session::{Session, Source};

#[derive(Parser)]
#[command(name = "mixroom", version, about = "Mixroom's native tool: render sessions to audio files")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Renders a session to a 32-bit float stereo WAV file.
    Render {
        /// A project file (.mixroom), a session file (JSON), or `demo` for the built-in demo.
        session: String,
        /// Where to write the mix.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Packs a session file and its audio into a project file (.mixroom).
    Pack {
        /// The session file (JSON).
        session: PathBuf,
        /// A folder of the session's audio files (WAV, AIFF, FLAC, MP3, Ogg Vorbis), matched to
        /// its tracks by content, whatever their names.
        #[arg(long)]
        media: PathBuf,
        /// Where to write the project.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Says what a project file holds: its tracks, length, audio and format.
    Info {
        /// The project file (.mixroom).
        project: PathBuf,
    },
    /// Measures loudness to EBU R 128 / ITU-R BS.1770-4: integrated, maximum momentary and
    /// short-term, loudness range, maximum true peak and PLR.
    Loudness {
        /// Audio files (WAV, AIFF, FLAC, MP3, Ogg Vorbis), project files (.mixroom) or session
        /// files (their mix, rendered), or `demo`.
        #[arg(required = true)]
        files: Vec<String>,
        /// One JSON object per file, one per line, instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Renders the S16 benchmark session and prints the time it took, as JSON (see docs/BENCHMARKS.md).
    BenchS16 {
        /// Length of the session, seconds.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Every fader, pan and one EQ gain per track automated (a point every 10 ms).
        #[arg(long)]
        automated: bool,
    },
    /// Writes the S16 benchmark session as a session file (its audio is supplied separately).
    S16Session {
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        #[arg(long)]
        automated: bool,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Writes the built-in demo session as a session file.
    DemoSession {
        /// Where to write it (standard output when absent).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mixroom: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Render { session, output } => {
            let (session, media) = load(&session)?;
            let sources = sources(&session, &media)?;
            let mut engine = session.build_engine(&sources).map_err(|e| e.to_string())?;
            let [left, right] = engine.render_all();
            write_wav(&output, session.sample_rate, &left, &right)
        }
        Command::Pack { session, media, output } => pack(&session, &media, &output),
        Command::Loudness { files, json } => {
            let mut failed = 0;
            for file in &files {
                match loudness(file) {
                    Ok(report) if json => {
                        let value = serde_json::json!({ "file": file, "loudness": report });
                        println!("{value}");
                    }
                    Ok(report) => print!("{}", loudness_table(file, &report)),
                    Err(message) => {
                        eprintln!("mixroom: {message}");
                        failed += 1;
                    }
                }
            }
            match failed {
                0 => Ok(()),
                n => Err(format!("{n} of {} file(s) could not be measured", files.len())),
            }
        }
        Command::Info { project } => {
            let bytes = std::fs::read(&project).map_err(|e| format!("cannot read {}: {e}", project.display()))?;
            print!("{}", info(&bytes).map_err(|e| format!("{}: {e}", project.display()))?);
            Ok(())
        }
        Command::BenchS16 { seconds, automated } => {
            use mixroom_session::bench::{s16_automated, s16_session, s16_sources};
            let mut session = if automated { s16_automated(seconds) } else { s16_session(seconds) };
            if std::env::var("MIXROOM_BENCH_NO_INSERTS").is_ok() {
                session.tracks.iter_mut().for_each(|t| t.strip.inserts.clear());
                session.buses.iter_mut().chain(session.returns.iter_mut()).for_each(|b| b.strip.inserts.clear());
                session.master.strip.inserts.clear();
            }
            let sources = s16_sources(seconds);
            let mut engine = session.build_engine(&sources).map_err(|e| e.to_string())?;
            let started = std::time::Instant::now();
            let [left, _] = engine.render_all();
            let render_s = started.elapsed().as_secs_f64();
            let peak = left.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            println!("{{\"render_s\": {render_s}, \"seconds\": {seconds}, \"x_realtime\": {}, \"peak\": {peak}}}", seconds / render_s);
            Ok(())
        }
        Command::S16Session { seconds, automated, output } => {
            let session = if automated { mixroom_session::bench::s16_automated(seconds) } else { mixroom_session::bench::s16_session(seconds) };
            let text = session.to_json();
            std::fs::write(&output, text).map_err(|e| format!("cannot write {}: {e}", output.display()))
        }
        Command::DemoSession { output } => {
            let text = Session::demo().to_json();
            match output {
                Some(path) => std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display())),
                None => {
                    println!("{text}");
                    Ok(())
                }
            }
        }
    }
}

/// The loudness of an audio file, or of the mix a session or project file renders.
fn loudness(arg: &str) -> Result<mixroom_analysis::LoudnessReport, String> {
    let mix = |(session, media): (Session, Media)| {
        let sources = sources(&session, &media)?;
        let mut engine = session.build_engine(&sources).map_err(|e| e.to_string())?;
        let [left, right] = engine.render_all();
        mixroom_analysis::loudness::measure(&[&left, &right], session.sample_rate).map_err(|e| format!("{arg}: {e}"))
    };
    if arg == "demo" {
        return mix(load(arg)?);
    }
    let bytes = std::fs::read(arg).map_err(|e| format!("cannot read {arg}: {e}"))?;
    if is_session_or_project(&bytes) {
        return mix(load_bytes(arg, bytes)?);
    }
    let name = Path::new(arg).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let decoded = mixroom_import::decode(bytes, &name, |_| true).map_err(|e| format!("{arg}: {e}"))?;
    let channels: Vec<&[f32]> = decoded.channels.iter().map(|c| c.as_slice()).collect();
    mixroom_analysis::loudness::measure(&channels, decoded.sample_rate).map_err(|e| format!("{arg}: {e}"))
}

/// `mixroom loudness` as a table: one figure a line, with its unit.
fn loudness_table(file: &str, r: &mixroom_analysis::LoudnessReport) -> String {
    let show = |v: Option<f64>, unit: &str| v.map_or_else(|| "—".to_owned(), |v| format!("{v:.1} {unit}"));
    format!(
        "{file}\n  integrated        {}\n  momentary max     {}\n  short-term max    {}\n  loudness range    {}\n  true peak max     {}\n  PLR               {}\n  length            {:.1} s\n",
        show(r.integrated, "LUFS"),
        show(r.momentary_max, "LUFS"),
        show(r.short_term_max, "LUFS"),
        show(r.range, "LU"),
        show(r.true_peak, "dBTP"),
        show(r.plr, "LU"),
        r.seconds
    )
}

/// The audio of a session's sources, by content id.
type Media = BTreeMap<String, Vec<Vec<f32>>>;

/// A session to render, and the audio it plays: `demo`, a project file (recognised by its zip
/// header, whatever its name) or a session file (whose imported audio is not in it).
fn load(arg: &str) -> Result<(Session, Media), String> {
    if arg == "demo" {
        return Ok((Session::demo(), Media::new()));
    }
    let bytes = std::fs::read(arg).map_err(|e| format!("cannot read {arg}: {e}"))?;
    load_bytes(arg, bytes)
}

/// Whether `bytes` are a project file (a zip) or a session file (JSON) rather than audio.
fn is_session_or_project(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK") || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// [`load`] of a file already read.
fn load_bytes(arg: &str, bytes: Vec<u8>) -> Result<(Session, Media), String> {
    let said = |repairs: &mixroom_session::Repairs| {
        // Values beyond the limits are mended, not refused: the render goes ahead, and says so.
        for repair in &repairs.0 {
            eprintln!("{arg}: mended on reading: {repair}");
        }
    };
    if bytes.starts_with(b"PK") {
        let project = mixroom_project::read(&bytes, |_| true).map_err(|e| format!("{arg}: {e}"))?;
        said(&project.repairs);
        return Ok((project.session, project.media));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{arg}: this is neither a session file nor a project file"))?;
    let (session, repairs) = Session::read(&text).map_err(|e| format!("{arg}: {e}"))?;
    said(&repairs);
    Ok((session, Media::new()))
}

/// Every track's audio: the demo's stems synthesized, imported audio from `media`.
fn sources(session: &Session, media: &Media) -> Result<Vec<Vec<Vec<f32>>>, String> {
    (0..session.tracks.len())
        .map(|t| match &session.tracks[t].source {
            Source::Audio { id, .. } => media.get(id).cloned().ok_or_else(|| {
                format!("the audio of track “{}” is not in a session file: render its project file, or pack one with `mixroom pack`", session.tracks[t].name)
            }),
            Source::DemoStem { .. } => session.render_source(t).map_err(|e| e.to_string()),
        })
        .collect()
}

/// `mixroom pack`: every file of `dir` is imported at the session's rate, as the browser would, and
/// those whose content the session plays go into the project.
fn pack(session_path: &Path, dir: &Path, output: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(session_path).map_err(|e| format!("cannot read {}: {e}", session_path.display()))?;
    let (session, repairs) = Session::read(&text).map_err(|e| format!("{}: {e}", session_path.display()))?;
    for repair in &repairs.0 {
        eprintln!("{}: mended on reading: {repair}", session_path.display());
    }
    let needed = mixroom_project::media_ids(&session);
    let mut found = Media::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        // Files that are not audio, or not this session's, are passed over.
        let Ok(decoded) = mixroom_import::decode(bytes, &name, |_| true) else { continue };
        let Ok(tracks) = mixroom_import::into_tracks(decoded, &name, session.sample_rate) else { continue };
        for t in tracks {
            if needed.contains(&t.id) {
                found.entry(t.id).or_insert(t.channels);
            }
        }
    }
    let missing: Vec<String> = session
        .tracks
        .iter()
        .filter(|t| matches!(&t.source, Source::Audio { id, .. } if !found.contains_key(id)))
        .map(|t| format!("“{}”", t.name))
        .collect();
    if !missing.is_empty() {
        return Err(format!("{} holds no audio for {} (files are matched by their content, at the session's rate)", dir.display(), missing.join(", ")));
    }
    let media: Vec<MediumAudio> = found.iter().map(|(id, channels)| MediumAudio { id, channels }).collect();
    let bytes = mixroom_project::write(&session, &media, |_| true).map_err(|e| e.to_string())?;
    std::fs::write(output, &bytes).map_err(|e| {
        let _ = std::fs::remove_file(output);
        format!("cannot write {}: {e}", output.display())
    })
}

/// What `mixroom info` prints for a project file.
fn info(bytes: &[u8]) -> Result<String, mixroom_project::ProjectError> {
    use std::fmt::Write;
    let project = mixroom_project::read(bytes, |_| true)?;
    let (s, m) = (&project.session, &project.manifest);
    let mut out = String::new();
    let _ = writeln!(out, "{}", s.name);
    let _ = writeln!(out, "  project format {} (written by {}), session format {}", m.version, m.app, s.version);
    let _ = writeln!(out, "  {} tracks, {} buses, {} returns, {} Hz, {}", s.tracks.len(), s.buses.len(), s.returns.len(), s.sample_rate, mixroom_session::limits::duration(s.length_frames(), s.sample_rate));
    let total: u64 = m.media.iter().map(|x| x.bytes).sum();
    let _ = writeln!(out, "  {} sources of audio, {} bytes in all ({} bytes the file)", m.media.len(), total, bytes.len());
    for x in &m.media {
        let names: Vec<&str> = s.tracks.iter().filter(|t| matches!(&t.source, Source::Audio { id, .. } if *id == x.id)).map(|t| t.name.as_str()).collect();
        let _ = writeln!(out, "  {}  {} ch, {} frames, {:?}, {} bytes: {}", x.id, x.channels, x.frames, x.encoding, x.bytes, names.join(", "));
    }
    Ok(out)
}

/// Writes an interleaved stereo 32-bit float WAV; a partly written file is removed on failure.
fn write_wav(path: &Path, sample_rate: u32, left: &[f32], right: &[f32]) -> Result<(), String> {
    let spec = hound::WavSpec { channels: 2, sample_rate, bits_per_sample: 32, sample_format: hound::SampleFormat::Float };
    let result = (|| {
        let mut writer = hound::WavWriter::create(path, spec)?;
        for (l, r) in left.iter().zip(right) {
            writer.write_sample(*l)?;
            writer.write_sample(*r)?;
        }
        writer.finalize()
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(path);
        format!("cannot write {}: {e}", path.display())
    })
}
