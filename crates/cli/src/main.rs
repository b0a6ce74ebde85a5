//! `mixroom`: the native command-line tool.
//!
//! - `mixroom render <session or project> -o mix.wav` renders a session file or a project file with
//!   the same engine the browser runs in its AudioWorklet, block for block, and writes a 32-bit float
//!   WAV: what the browser's "Export mix" writes for the same session. `--format flac|wav --bits
//!   16|24|32 --rate HZ` deliver it otherwise (dithered where the depth is reduced, tagged with
//!   `--title`, `--artist`, `--date` and the session's name), with `--stems` and `--alternates`
//!   beside the mix; an output that is not a `.wav` or `.flac` file is a folder, which receives
//!   `<Song> - <Version>.<ext>` files and the delivery report (each file's hand-off check), or a
//!   `.zip` of the same.
//! - `mixroom check FILE… [--json]` is the mastering hand-off check (`mixroom-delivery`): the
//!   figures a mastering engineer reads first, warnings, and failures — for which it exits non-zero.
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
    /// Renders a session to a stereo file: 32-bit float WAV at the session's rate unless asked
    /// otherwise.
    Render {
        /// A project file (.mixroom), a session file (JSON), or `demo` for the built-in demo.
        session: String,
        /// Where to write the mix: a .wav or .flac file; a folder, which receives
        /// "<Song> - <Version>.<ext>" files and the delivery report; or a .zip of the same.
        #[arg(short, long)]
        output: PathBuf,
        /// wav or flac (by default the output's extension, else wav).
        #[arg(long)]
        format: Option<String>,
        /// 16 or 24 (integer), or 32 (float WAV); by default 32 for WAV and 24 for FLAC.
        #[arg(long)]
        bits: Option<u32>,
        /// The sample rate to deliver at (44100, 48000, 88200 or 96000), converted with the
        /// importer's resampler; by default the session's.
        #[arg(long)]
        rate: Option<u32>,
        /// How the depth is reduced: tpdf (the default), shaped (16-bit, noise-shaped), or off.
        #[arg(long, default_value = "tpdf")]
        dither: String,
        /// Tags the file carries (WAV: LIST/INFO and bext), with the session's name.
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long, default_value = "")]
        artist: String,
        /// The date, e.g. 2026-11-29.
        #[arg(long, default_value = "")]
        date: String,
        /// Stems beside the mix (into the output folder): `all` (every track), or names of tracks,
        /// buses and returns separated by commas; each track and bus with its share of the effect
        /// returns (unless --dry-stems), each return as it sounds in the mix. The check
        /// that they add up to their mix (master processing bypassed) is reported.
        #[arg(long)]
        stems: Option<String>,
        /// Stems without their share of the effect returns (dry).
        #[arg(long)]
        dry_stems: bool,
        /// Alternate versions beside the mix (into the output folder): the session's own (all, or
        /// those named, separated by commas), or with `presets` the usual ones by track role
        /// (Instrumental, A cappella, TV mix, Vocal up and down 1 dB).
        #[arg(long, num_args = 0..=1, default_missing_value = "session")]
        alternates: Option<String>,
        /// What of the timeline: `song` (from the first clip to the end of the last tail), `loop`
        /// (the loop region), or `FROM..TO` (between two markers, by name).
        #[arg(long, default_value = "song")]
        range: String,
        /// Skip the stems' sum check (it renders the stems' mix and every stem again).
        #[arg(long)]
        no_sum_check: bool,
        /// Trim the silence at the head and tail (below −90 dBFS, where the mix is silent; every
        /// stem and alternate cut alike).
        #[arg(long)]
        trim: bool,
    },
    /// The mastering hand-off check of audio files, or of the mix a session or project renders:
    /// exits non-zero when a check fails (clipping, true peak above the ceiling, DC offset).
    Check {
        #[arg(required = true)]
        files: Vec<String>,
        /// The report as JSON, one object a line.
        #[arg(long)]
        json: bool,
        /// The highest true peak allowed, dBTP.
        #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
        max_true_peak: f64,
        /// True-peak headroom asked for, dB (less is a warning).
        #[arg(long, default_value_t = 3.0)]
        headroom: f64,
        /// The mix goes to mastering: a limiter on a session's master is worth a warning.
        #[arg(long)]
        for_mastering: bool,
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
    /// Writes the S16 benchmark session as a project file for the delivery benchmark: its audio
    /// under content ids, its tracks given roles, four alternate versions defined.
    S16Project {
        #[arg(long, default_value_t = 180.0)]
        seconds: f64,
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
        Command::Render { session, output, format, bits, rate, dither, title, artist, date, stems, dry_stems, alternates, range, trim, no_sum_check } => {
            let (session, media) = load(&session)?;
            let is_file = |ext: &str| output.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext));
            let container = format.unwrap_or_else(|| if is_file("flac") { "flac".into() } else { "wav".into() });
            let bits = bits.unwrap_or(if container.eq_ignore_ascii_case("flac") { 24 } else { 32 });
            let rate = rate.unwrap_or(session.sample_rate);
            if rate != session.sample_rate && !mixroom_delivery::batch::RATES.contains(&rate) {
                return Err(format!("{rate} Hz is not a delivery rate: 44100, 48000, 88200 or 96000 (or the session's own)"));
            }
            let stems = match &stems {
                Some(names) => chosen_stems(&session, names, !dry_stems)?,
                None => Vec::new(),
            };
            let alternates = match alternates.as_deref() {
                None => Vec::new(),
                Some("presets") => mixroom_session::Alternate::presets(),
                Some("session") if session.alternates.is_empty() => return Err("the session defines no alternate versions: define them in Mixroom, or ask for --alternates presets".into()),
                Some("session") => session.alternates.clone(),
                Some(names) => names
                    .split(',')
                    .map(|name| session.alternates.iter().find(|a| a.name == name.trim()).cloned().ok_or_else(|| format!("the session has no alternate version “{}” (it has: {})", name.trim(), session.alternates.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "))))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let one_file = is_file("wav") || is_file("flac");
            if one_file && !(stems.is_empty() && alternates.is_empty()) {
                return Err("stems and alternate versions go into a folder or a .zip: give -o one of those, not a file".into());
            }
            // Every version rendered, delivered in memory and checked, then written: the mix, the
            // stems, the alternates.
            let versions = session.delivery_versions(&stems, &alternates).map_err(|e| e.to_string())?;
            let span = session.span_frames(&mixroom_session::Span::parse(&range).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            let order = mixroom_delivery::batch::Order { container, bits, rate, dither, title, artist, date, limiter_on_master: session.limiter_on_master(), trim, untagged: false };
            // A .zip is streamed into its file as the versions are made (written beside it, then
            // put in place: whole or not at all).
            let partial = partial_path(&output);
            let mut batch = if is_file("zip") {
                let file = std::fs::File::create(&partial).map_err(|e| format!("cannot write {}: {e}", output.display()))?;
                mixroom_delivery::batch::Batch::zipped(&session.name, order, Box::new(std::io::BufWriter::new(file)))
            } else {
                mixroom_delivery::batch::Batch::new(&session.name, order)
            }
            .map_err(|e| e.to_string())?;
            let made = deliver(&session, &media, &versions, &stems, span, no_sum_check, &mut batch);
            if made.is_err() && is_file("zip") {
                let _ = std::fs::remove_file(&partial);
            }
            made?;
            let failed = batch.failed();
            if failed > 0 {
                eprintln!("mixroom: {failed} of {} file(s) fail the hand-off check (see the report)", batch.reports().len());
            }
            if one_file {
                return write_file(&output, &batch.files()[0].1);
            }
            if is_file("zip") {
                let finished = batch.finish().map_err(|e| format!("cannot write {}: {e}", output.display()));
                return finished.and_then(|()| std::fs::rename(&partial, &output).map_err(|e| format!("cannot write {}: {e}", output.display()))).inspect_err(|_| {
                    let _ = std::fs::remove_file(&partial);
                });
            }
            let (report_md, report_json) = batch.report();
            std::fs::create_dir_all(&output).map_err(|e| format!("cannot make the folder {}: {e}", output.display()))?;
            for (name, bytes) in batch.files() {
                write_file(&output.join(name), bytes)?;
            }
            write_file(&output.join(mixroom_delivery::bundle::REPORT_MD), report_md.as_bytes())?;
            write_file(&output.join(mixroom_delivery::bundle::REPORT_JSON), report_json.as_bytes())
        }
        Command::Check { files, json, max_true_peak, headroom, for_mastering } => {
            let rules = mixroom_delivery::check::Rules { headroom_db: headroom, max_true_peak_dbtp: max_true_peak, ..Default::default() };
            let (mut failed, mut unreadable) = (0, 0);
            for file in &files {
                match hand_off(file, rules, for_mastering) {
                    Ok(report) => {
                        if json {
                            println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
                        } else {
                            println!("{}", report.to_markdown());
                        }
                        failed += report.failed() as usize;
                    }
                    Err(message) => {
                        eprintln!("mixroom: {message}");
                        unreadable += 1;
                    }
                }
            }
            match (failed, unreadable) {
                (0, 0) => Ok(()),
                (f, 0) => Err(format!("{f} of {} file(s) failed the hand-off check", files.len())),
                (_, u) => Err(format!("{u} of {} file(s) could not be read", files.len())),
            }
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
            // Where the time goes (docs/BENCHMARKS.md): S16 without some of its processors —
            // MIXROOM_BENCH_DROP names insert kinds ("compressor,eq"), MIXROOM_BENCH_NO_INSERTS
            // drops them all.
            let drop = std::env::var("MIXROOM_BENCH_DROP").unwrap_or_default();
            let all = std::env::var("MIXROOM_BENCH_NO_INSERTS").is_ok();
            let keep = |i: &mixroom_session::Insert| !all && !drop.split(',').any(|d| i.kind == d);
            session.tracks.iter_mut().for_each(|t| t.strip.inserts.retain(keep));
            session.buses.iter_mut().chain(session.returns.iter_mut()).for_each(|b| b.strip.inserts.retain(keep));
            session.master.strip.inserts.retain(keep);
            let sources = s16_sources(seconds);
            let mut engine = session.build_engine(&sources).map_err(|e| e.to_string())?;
            // The song's frames alone, as the peers render them (a delivery renders its tails too).
            engine.set_length(session.length_frames());
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
        Command::S16Project { seconds, output } => {
            let (session, sources) = s16_delivery(seconds);
            let ids: Vec<String> = session.tracks.iter().map(|t| match &t.source {
                Source::Audio { id, .. } => id.clone(),
                Source::DemoStem { .. } => String::new(),
            }).collect();
            let media: Vec<MediumAudio> = ids.iter().zip(&sources).map(|(id, channels)| MediumAudio { id, channels }).collect();
            let bytes = mixroom_project::write(&session, &media, |_| true).map_err(|e| e.to_string())?;
            write_file(&output, &bytes)
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

/// S16 as the delivery benchmark delivers it: its sources under their content ids (as a project
/// file holds them), its tracks given roles (a lead and a backing vocal, drums, bass, instruments)
/// and four alternate versions (Instrumental, A cappella, TV mix, Vocal up 1 dB) on them.
fn s16_delivery(seconds: f64) -> (Session, Vec<Vec<Vec<f32>>>) {
    use mixroom_session::bench::{s16_session, s16_sources, S16_RATE};
    use mixroom_session::{Alternate, Role};
    let mut session = s16_session(seconds);
    let sources = s16_sources(seconds);
    for (t, (track, audio)) in session.tracks.iter_mut().zip(&sources).enumerate() {
        if let Source::Audio { id, .. } = &mut track.source {
            *id = mixroom_import::content_id(audio, S16_RATE);
        }
        track.role = Some(match t {
            0 => Role::LeadVocal,
            1 => Role::BackingVocals,
            2..=5 => Role::Drums,
            6 => Role::Bass,
            _ => Role::Instruments,
        });
    }
    session.alternates = Alternate::presets().into_iter().take(4).collect();
    (session, sources)
}

/// The mix a session renders with `media`: left and right.
fn render(session: &Session, media: &Media) -> Result<Vec<Vec<f32>>, String> {
    let sources = sources(session, media)?;
    let mut engine = session.build_engine(&sources).map_err(|e| e.to_string())?;
    let [left, right] = engine.render_all();
    Ok(vec![left, right])
}

/// Renders `versions` over `span` into `batch`, and the stems' sum check (printed and reported)
/// unless skipped.
fn deliver(session: &Session, media: &Media, versions: &[(String, Session)], stems: &[mixroom_session::Stem], span: (u64, u64), no_sum_check: bool, batch: &mut mixroom_delivery::batch::Batch) -> Result<(), String> {
    for (version, mix) in versions {
        let channels = render_span(mix, media, span)?;
        let channels = if batch.rate() == session.sample_rate { channels } else { mixroom_import::resample(channels, session.sample_rate, batch.rate()) };
        batch.add(version, &channels).map_err(|e| e.to_string())?;
    }
    if !stems.is_empty() && !no_sum_check {
        let check = sum_check(session, media, stems, span)?;
        println!("sum check: {}", check.verdict().unwrap_or_default());
        batch.set_sum_check(check);
    }
    Ok(())
}

/// Frames `[start, end)` of the mix: played from the timeline's start, as the browser renders a
/// delivery's span, so that what rings into it from before is there.
fn render_span(session: &Session, media: &Media, (start, end): (u64, u64)) -> Result<Vec<Vec<f32>>, String> {
    let mut channels = render(session, media)?;
    for c in &mut channels {
        // (The render is at least the song and its tail; a span past it is filled with silence.)
        c.resize(c.len().max(end as usize), 0.0);
        c.truncate(end as usize);
        c.drain(..start as usize);
    }
    Ok(channels)
}

/// The stems `names` asks for: `all` (every track), or names of tracks and buses (commas
/// between), each keeping its share of the returns when `with_returns`.
fn chosen_stems(session: &Session, names: &str, with_returns: bool) -> Result<Vec<mixroom_session::Stem>, String> {
    use mixroom_session::{Stem, StripRef};
    if names.trim() == "all" {
        return Ok(session.track_stems().into_iter().map(|s| Stem { with_returns, ..s }).collect());
    }
    let strips: Vec<StripRef> = session.strip_refs().into_iter().filter(|r| !matches!(r, StripRef::Master)).collect();
    names
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|name| {
            let found = strips.iter().find(|&&r| session.strip_name(r).eq_ignore_ascii_case(name));
            found.map(|&r| Stem { name: session.strip_name(r), strips: vec![r], with_returns }).ok_or_else(|| {
                let known: Vec<String> = strips.iter().map(|&r| session.strip_name(r)).collect();
                format!("no track, bus or return is called “{name}”: {}", known.join(", "))
            })
        })
        .collect()
}

/// Whether `stems` add up, over `span`, to the mix of their tracks together (the mix, when they
/// cover every track), all rendered with the master's processing bypassed (where the mix stops
/// being a sum).
fn sum_check(session: &Session, media: &Media, stems: &[mixroom_session::Stem], span: (u64, u64)) -> Result<mixroom_delivery::batch::SumCheck, String> {
    let plain = session.without_master_processing();
    let mut check = mixroom_delivery::batch::SumCheck::default();
    let together = plain.stem_mix(&mixroom_session::Stem::together(stems)).map_err(|e| e.to_string())?;
    check.mix(render_span(&together, media, span)?);
    for stem in stems {
        check.stem(&render_span(&plain.stem_mix(stem).map_err(|e| e.to_string())?, media, span)?);
    }
    Ok(check)
}

/// The hand-off check of an audio file, or of the mix a session or project renders (whose
/// master's limiter is then known).
fn hand_off(arg: &str, rules: mixroom_delivery::check::Rules, for_mastering: bool) -> Result<mixroom_delivery::check::Report, String> {
    use mixroom_delivery::check::{check, Audio, Context};
    let bytes = if arg == "demo" { Vec::new() } else { std::fs::read(arg).map_err(|e| format!("cannot read {arg}: {e}"))? };
    if arg == "demo" || is_session_or_project(&bytes) {
        let (session, media) = if arg == "demo" { load(arg)? } else { load_bytes(arg, bytes)? };
        let channels = render(&session, &media)?;
        let context = Context { limiter_on_master: Some(session.limiter_on_master()), for_mastering };
        return Ok(check(arg, Audio { channels: &channels, rate: session.sample_rate, bits: 32, float: true }, context, rules));
    }
    let name = Path::new(arg).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let decoded = mixroom_import::decode(bytes, &name, |_| true).map_err(|e| format!("{arg}: {e}"))?;
    // The depth as stored, from what the decoder says the file is ("PCM, 24-bit", "PCM, 32-bit float").
    let float = decoded.format.contains("float");
    let bits = decoded.format.split(", ").find_map(|p| p.strip_suffix("-bit").or_else(|| p.strip_suffix("-bit float")).and_then(|b| b.parse().ok())).unwrap_or(if float { 32 } else { 16 });
    let context = Context { limiter_on_master: None, for_mastering };
    Ok(check(arg, Audio { channels: &decoded.channels, rate: decoded.sample_rate, bits, float }, context, rules))
}

/// The loudness of an audio file, or of the mix a session or project file renders.
fn loudness(arg: &str) -> Result<mixroom_analysis::LoudnessReport, String> {
    let mix = |(session, media): (Session, Media)| {
        let channels = render(&session, &media)?;
        mixroom_analysis::loudness::measure(&[&channels[0], &channels[1]], session.sample_rate).map_err(|e| format!("{arg}: {e}"))
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

/// Writes a file whole: into a temporary file beside it, then renamed over it, so that a failure
/// (a full disk) leaves no partial file and whatever was there before.
/// Where a file is written before it is put in place.
fn partial_path(path: &Path) -> PathBuf {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    PathBuf::from(partial)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let partial = partial_path(path);
    std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, path)).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot write {}: {e}", path.display())
    })
}
