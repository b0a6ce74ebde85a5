//! `mixroom`: the native command-line tool.
//!
//! `mixroom render <session> -o mix.wav` renders a session file with the same engine the browser runs
//! in its AudioWorklet, block for block, and writes a 32-bit float WAV.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mixroom_session::Session;

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
        /// The session file (JSON), or `demo` for the built-in demo session.
        session: String,
        /// Where to write the mix.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Renders the S16 benchmark session and prints the time it took, as JSON (see docs/BENCHMARKS.md).
    BenchS16 {
        /// Length of the session, seconds.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
    },
    /// Writes the S16 benchmark session as a session file (its audio is supplied separately).
    S16Session {
        #[arg(long, default_value_t = 60.0)]
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
        Command::Render { session, output } => {
            let session = load(&session)?;
            let sources = session.render_sources().map_err(|e| e.to_string())?;
            let mut engine = session.build_engine(&sources).map_err(|e| e.to_string())?;
            let [left, right] = engine.render_all();
            write_wav(&output, session.sample_rate, &left, &right)
        }
        Command::BenchS16 { seconds } => {
            use mixroom_session::bench::{s16_session, s16_sources};
            let mut session = s16_session(seconds);
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
        Command::S16Session { seconds, output } => {
            let text = mixroom_session::bench::s16_session(seconds).to_json();
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

fn load(arg: &str) -> Result<Session, String> {
    if arg == "demo" {
        return Ok(Session::demo());
    }
    let text = std::fs::read_to_string(arg).map_err(|e| format!("cannot read {arg}: {e}"))?;
    let (session, repairs) = Session::read(&text).map_err(|e| format!("{arg}: {e}"))?;
    // Values beyond the limits are mended, not refused: the render goes ahead, and says so.
    for repair in &repairs.0 {
        eprintln!("{arg}: mended on reading: {repair}");
    }
    Ok(session)
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
