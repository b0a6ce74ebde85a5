//! `cargo xtask bench`: the S16 benchmark (docs/BENCHMARKS.md), ours against the peers, alternating in
//! one invocation, reported as ratios (median and spread).
//!
//! - native: `mixroom bench-s16` against `bench/pedalboard_s16.py` (pedalboard from PyPI, in a venv
//!   under target/);
//! - browser: tests/bench/s16.html in headless Chromium — the worklet engine against Chromium's native
//!   node graph, plus the engine's per-quantum cost at p99;
//! - ui: tests/bench/ui.mjs — the demo with 32 tracks playing, the main thread's busy share in the
//!   mixer (every meter on screen) and in the timeline;
//! - open: tests/bench/open.mjs — a 16-track, 3-minute session opened from IndexedDB until it can
//!   play, against reading its audio straight from IndexedDB, and the memory it takes;
//! - delivery (only when asked for): S16's 3-minute master, 16 stems and 4 alternates delivered as
//!   24-bit FLAC (or `--format wav24`) by the CLI and in the browser (tests/bench/delivery.mjs),
//!   against SoX and FFmpeg encoding the CLI's float renders to the same format.
//! - parts (only when asked for): tests/bench/s16-parts.mjs — where S16's time goes: the worklet's
//!   WebAssembly rendering S16 in Node whole and with one part taken out at a time;
//! - capacity (only when asked for): tests/bench/capacity.html — the most S16-style tracks one
//!   worklet plays in real time at 128 frames (p99 of the quantum within half the budget), against
//!   the same session as Chromium's native nodes;
//! - scale (only when asked for): tests/bench/scale.mjs — sessions of 64 tracks × 6 min and 16 × 3 min
//!   (or `--tracks N --minutes M`) imported, then timed from a reload until Play sounds, played
//!   through (renderer memory, underruns) and seeked (seek to sound), streaming and then, on the same
//!   stored session, whole in memory as before streaming (the peer); `--no-build` measures dist/ as
//!   it is.

use std::process::Command;

use crate::tools::{self, Env};
use crate::{root, run};

/// Peers' versions, pinned so that figures compare over time.
const PEDALBOARD: &str = "pedalboard==0.9.26";
const NUMPY: &str = "numpy==2.4.6";

struct Options {
    seconds: f64,
    runs: usize,
    native: bool,
    browser: bool,
    ui: bool,
    open: bool,
    /// S16 with every fader, pan and one EQ gain per track automated, on both sides.
    automated: bool,
    /// The delivery benchmark (long: it is run alone, when asked for).
    delivery: bool,
    /// Its format: flac24 or wav24.
    format: String,
    /// The live-capacity benchmark (run alone, when asked for).
    capacity: bool,
    /// Where S16's time goes (run alone, when asked for).
    parts: bool,
    /// The scale benchmark (long: it is run alone, when asked for), with one configuration of its own.
    scale: bool,
    tracks: Option<usize>,
    minutes: Option<f64>,
    /// Build the app before the scale benchmark (`--no-build`: measure dist/ as it is).
    build: bool,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options { seconds: 60.0, runs: 5, native: true, browser: true, ui: true, open: true, automated: false, delivery: false, format: "flac24".into(), capacity: false, parts: false, scale: false, tracks: None, minutes: None, build: true };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => o.seconds = it.next().and_then(|v| v.parse().ok()).ok_or("--seconds needs a number")?,
            "--runs" => o.runs = it.next().and_then(|v| v.parse().ok()).ok_or("--runs needs a number")?,
            "native" => (o.browser, o.ui, o.open) = (false, false, false),
            "browser" => (o.native, o.ui, o.open) = (false, false, false),
            "ui" => (o.native, o.browser, o.open) = (false, false, false),
            "open" => (o.native, o.browser, o.ui) = (false, false, false),
            "--automated" => o.automated = true,
            "delivery" => (o.native, o.browser, o.ui, o.open, o.delivery) = (false, false, false, false, true),
            "--format" => o.format = it.next().filter(|f| matches!(f.as_str(), "flac24" | "wav24")).ok_or("--format is flac24 or wav24")?.clone(),
            "capacity" => (o.native, o.browser, o.ui, o.open, o.capacity) = (false, false, false, false, true),
            "parts" => (o.native, o.browser, o.ui, o.open, o.parts) = (false, false, false, false, true),
            "scale" => (o.native, o.browser, o.ui, o.open, o.scale) = (false, false, false, false, true),
            "--tracks" => o.tracks = Some(it.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0).ok_or("--tracks needs a number of tracks")?),
            "--minutes" => o.minutes = Some(it.next().and_then(|v| v.parse().ok()).filter(|&m: &f64| m >= 0.5).ok_or("--minutes needs a number (at least 0.5: the seeks need 30 s)")?),
            "--no-build" => o.build = false,
            other => return Err(format!("unknown bench argument {other}")),
        }
    }
    Ok(o)
}

/// Runs a benchmark script of tests/bench in node (with Chromium) and returns what it printed.
fn browser_bench(env: &Env, args: &[&str], what: &str) -> Result<String, String> {
    let out = Command::new("node")
        .args(args)
        .current_dir(root())
        .env("PATH", &env.path)
        .env("CHROMIUM", &env.chromium)
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        return Err(format!("{what} failed: {}{}", text, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(text)
}

/// Runs a command and returns its last stdout line parsed for `"key": number` pairs.
fn json_line(env: &Env, program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program).args(args).current_dir(root()).env("PATH", &env.path).output().map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{program} {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    String::from_utf8_lossy(&out.stdout).lines().last().map(str::to_owned).ok_or_else(|| format!("{program} printed nothing"))
}

/// The number after `"key":` in a flat JSON text.
fn field(json: &str, key: &str) -> Option<f64> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = json[at + key.len() + 2..].trim_start().strip_prefix(':')?.trim_start();
    let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+')).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The string after `"key":` in a flat JSON text (`None` when null or absent), escapes undone.
fn text_field(json: &str, key: &str) -> Option<String> {
    let pattern = format!("\"{key}\":\"");
    let at = json.find(&pattern)?;
    let mut out = String::new();
    let mut chars = json[at + pattern.len()..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next().map_or(' ', |e| if e == 'n' { ' ' } else { e })),
            c => out.push(c),
        }
    }
    None
}

/// Every number after `"key":` in a JSON text, in order.
fn fields(json: &str, key: &str) -> Vec<f64> {
    let pattern = format!("\"{key}\":");
    json.match_indices(&pattern).filter_map(|(at, _)| field(&json[at..], key)).collect()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn summary(name: &str, ratios: &mut [f64]) -> String {
    let (lo, hi) = (ratios.iter().copied().fold(f64::MAX, f64::min), ratios.iter().copied().fold(0.0, f64::max));
    format!("{name}: median {:.2}× (spread {lo:.2}–{hi:.2}, {} runs)", median(ratios), ratios.len())
}

pub fn bench(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let mut env = tools::ensure_build_tools()?;
    if o.scale {
        // The app alone: no CLI to build.
        let report = scale(&mut env, &o)?;
        println!("\nScale benchmark (`cargo xtask bench {}`):", args.join(" "));
        for line in &report {
            println!("  {line}");
        }
        return Ok(());
    }
    run(&env, "cargo", &["build", "--release", "-p", "mixroom-cli"])?;
    let cli = root().join("target/release/mixroom").display().to_string();
    let seconds = format!("{}", o.seconds);
    let mut report = Vec::new();

    if o.native {
        let python = crate::python_venv(&env, "target/bench-venv", &[PEDALBOARD, NUMPY], "import pedalboard, numpy")?;
        let mut ratios = Vec::new();
        for i in 0..o.runs {
            // Alternate which goes first, so that neither always meets a warmer (or busier) machine.
            let flag = if o.automated { "--automated" } else { "" };
            let ours = || json_line(&env, &cli, &["bench-s16", "--seconds", &seconds, flag].into_iter().filter(|a| !a.is_empty()).collect::<Vec<_>>());
            let peer = || json_line(&env, &python, &["bench/pedalboard_s16.py", &seconds, flag].into_iter().filter(|a| !a.is_empty()).collect::<Vec<_>>());
            let (a, b) = if i % 2 == 0 { let a = ours()?; (a, peer()?) } else { let b = peer()?; (ours()?, b) };
            let (ours_s, peer_s) = (field(&a, "render_s").ok_or("no render_s")?, field(&b, "render_s").ok_or("no render_s")?);
            println!("native run {}: Mixroom {ours_s:.3} s, pedalboard {peer_s:.3} s → {:.2}×", i + 1, peer_s / ours_s);
            ratios.push(peer_s / ours_s);
        }
        let what = if o.automated { "S16 automated (fader, pan, EQ gain a point every 10 ms; pedalboard in 32-frame blocks)" } else { "S16" };
        report.push(summary(&format!("native, {what} {seconds} s, Mixroom vs pedalboard {PEDALBOARD}"), &mut ratios));
    }

    if o.browser {
        tools::ensure_chromium(&mut env)?;
        crate::build_dist(&env)?;
        s16_session_file(&env, &cli, &seconds, o.automated)?;
        let runs = o.runs.to_string();
        let text = browser_bench(&env, &["tests/bench/run.mjs", &seconds, &runs, "8000", if o.automated { "automated" } else { "" }], "the browser benchmark")?;
        let ours = fields(&text, "ours_ms");
        let native = fields(&text, "native_ms");
        let mut ratios: Vec<f64> = ours.iter().zip(&native).map(|(o, n)| n / o).collect();
        for (i, (o, n)) in ours.iter().zip(&native).enumerate() {
            println!("browser run {}: Mixroom worklet {:.0} ms, Chromium native graph {:.0} ms → {:.2}×", i + 1, o, n, n / o);
        }
        let what = if o.automated { "S16 automated (Chromium: setValueCurveAtTime on its gains, pans and band gains)" } else { "S16" };
        report.push(summary(&format!("browser, {what} {seconds} s, Mixroom worklet vs Chromium's native graph"), &mut ratios));
        // The engine alone, then with the final check on (the master's loudness and correlation
        // meters read as the processor reads them, a simulation, the monitor in mono and dimmed).
        let (p50, p99, max, budget) = (fields(&text, "p50_us"), fields(&text, "p99_us"), fields(&text, "max_us"), fields(&text, "budget_us"));
        for (i, what) in ["per quantum", "per quantum with the final check on (loudness + correlation meters, earbuds simulation, mono, dim, a reference listened to with its matching meters, a strip's loudness)"].iter().enumerate() {
            if let (Some(p50), Some(p99), Some(max), Some(budget)) = (p50.get(i), p99.get(i), max.get(i), budget.get(i)) {
                report.push(format!(
                    "{what} (128 frames, 8000 quanta, Worker): p50 {p50:.0} µs, p99 {p99:.0} µs = {:.1} % of the {budget:.0} µs budget, max {max:.0} µs",
                    p99 / budget * 100.0
                ));
            }
        }
    }

    if o.ui {
        tools::ensure_chromium(&mut env)?;
        if !o.browser {
            crate::build_dist(&env)?;
        }
        let views: &[&str] = if o.automated { &["lanes"] } else { &["mixer", "laptop", "timeline"] };
        for &view in views {
            let text = browser_bench(&env, &["tests/bench/ui.mjs", "10", view], "the UI benchmark")?;
            let busy = field(&text, "main_thread_busy").unwrap_or(f64::NAN);
            let fps = field(&text, "fps").unwrap_or(f64::NAN);
            let meters = field(&text, "on_screen").unwrap_or(0.0);
            report.push(format!(
                "UI, 32 tracks playing, {view} ({meters:.0} meters on screen): main thread {:.0} % busy, {fps:.0} frames/s",
                busy * 100.0
            ));
        }
    }

    if o.open {
        tools::ensure_chromium(&mut env)?;
        if !o.browser && !o.ui {
            crate::build_dist(&env)?;
        }
        let runs = o.runs.to_string();
        let text = browser_bench(&env, &["tests/bench/open.mjs", &runs], "the open benchmark")?;
        let open = field(&text, "open_median_ms").unwrap_or(f64::NAN);
        let ratio = field(&text, "ratio_to_idb_read").unwrap_or(f64::NAN);
        let rss = field(&text, "renderer_rss_bytes").unwrap_or(f64::NAN);
        report.push(format!(
            "open a 16-track 3-minute session from IndexedDB until it can play: median {open:.0} ms ({ratio:.2}× reading its audio records alone), renderer memory {:.0} MB",
            rss / 1e6
        ));
    }

    if o.delivery {
        report.extend(delivery(&mut env, &cli, &o)?);
    }

    if o.capacity {
        report.extend(capacity(&mut env, &cli, &o)?);
    }

    if o.parts {
        report.extend(parts(&env, &cli, &o)?);
    }

    println!("\nS16 benchmark (`cargo xtask bench {}`):", args.join(" "));
    for line in &report {
        println!("  {line}");
    }
    Ok(())
}

/// Writes S16's session file (`mixroom s16-session`) where the browser and Node benchmarks read it:
/// target/bench/s16-<seconds>[-automated].json.
fn s16_session_file(env: &Env, cli: &str, seconds: &str, automated: bool) -> Result<(), String> {
    let data = root().join("target/bench");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let (suffix, flag) = if automated { ("-automated", "--automated") } else { ("", "") };
    let file = data.join(format!("s16-{seconds}{suffix}.json")).display().to_string();
    let args: Vec<&str> = ["s16-session", "--seconds", seconds, flag, "-o", &file].into_iter().filter(|a| !a.is_empty()).collect();
    run(env, cli, &args)
}

/// Where S16's time goes: 30 s of S16 rendered by the worklet's WebAssembly in Node, whole and
/// without each part in turn (the time a part saves is its cost), medians of `--runs`.
fn parts(env: &Env, cli: &str, o: &Options) -> Result<Vec<String>, String> {
    crate::build_dist(env)?;
    s16_session_file(env, cli, "60", false)?;
    let text = browser_bench(env, &["tests/bench/s16-parts.mjs", &o.runs.to_string()], "the parts benchmark")?;
    let names: Vec<String> = text.match_indices("\"variant\":").filter_map(|(at, _)| text_field(&text[at..], "variant")).collect();
    let (ms, saves) = (fields(&text, "median_ms"), fields(&text, "saves"));
    Ok(names
        .iter()
        .zip(ms.iter().zip(&saves))
        .map(|(name, (ms, saves))| format!("30 s of S16 in the worklet's wasm (Node), {name}: {ms:.0} ms (median of {}), {:.1} % less", o.runs, saves * 100.0))
        .collect())
}

/// Live capacity: each run searches the most S16-style tracks that fit half the quantum's budget,
/// ours by the p99 of the quantum timed one by one (and by its mean), Chromium's native graph by the
/// mean of an offline render (its quanta cannot be timed one by one), alternating which goes first.
fn capacity(env: &mut Env, cli: &str, o: &Options) -> Result<Vec<String>, String> {
    tools::ensure_chromium(env)?;
    crate::build_dist(env)?;
    // The strips of S16, which the page widens to any number of tracks.
    s16_session_file(env, cli, "60", false)?;
    let runs = o.runs.to_string();
    let text = browser_bench(env, &["tests/bench/run.mjs", "capacity", &runs, "4000", "5"], "the capacity benchmark")?;
    let (ours, native, by_mean) = (fields(&text, "ours_tracks"), fields(&text, "native_tracks"), fields(&text, "ours_tracks_by_mean"));
    let (p99, peer_at_ours, budget) = (fields(&text, "ours_p99_us"), fields(&text, "native_mean_us_at_ours"), field(&text, "budget_us").unwrap_or(f64::NAN));
    for i in 0..ours.len() {
        println!(
            "capacity run {}: Mixroom {} tracks (p99 {:.0} µs; {} by the mean), Chromium's graph {} tracks by the mean; at {} tracks Chromium's graph takes {:.0} µs a quantum on average",
            i + 1, ours[i], p99.get(i).copied().unwrap_or(f64::NAN), by_mean.get(i).copied().unwrap_or(f64::NAN), native.get(i).copied().unwrap_or(f64::NAN), ours[i], peer_at_ours.get(i).copied().unwrap_or(f64::NAN)
        );
    }
    let spread = |v: &[f64]| (v.iter().copied().fold(f64::MAX, f64::min), v.iter().copied().fold(0.0, f64::max));
    let (mut ours_m, mut native_m, mut by_mean_m, mut peer_m) = (ours.clone(), native.clone(), by_mean.clone(), peer_at_ours.clone());
    let ((olo, ohi), (nlo, nhi)) = (spread(&ours), spread(&native));
    let peer = median(&mut peer_m);
    Ok(vec![
        format!(
            "live capacity (S16-style strips, 128 frames, half the {budget:.0} µs budget; 512 tracks is a session's limit): Mixroom's worklet median {:.0} tracks by the p99 ({olo:.0}–{ohi:.0}, {} runs; {:.0} by the mean; p99 there median {:.0} µs), Chromium's native graph {:.0} tracks by the mean ({nlo:.0}–{nhi:.0})",
            median(&mut ours_m), ours.len(), median(&mut by_mean_m), median(&mut p99.clone()), median(&mut native_m)
        ),
        format!("Chromium's graph at Mixroom's count: {peer:.0} µs a quantum on average = {:.0} % of the budget", peer / budget * 100.0),
    ])
}

/// Seconds a command takes (it must succeed).
fn timed(env: &Env, program: &str, args: &[&str]) -> Result<f64, String> {
    let started = std::time::Instant::now();
    let out = Command::new(program).args(args).current_dir(root()).env("PATH", &env.path).output().map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{program} {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The delivery benchmark: S16's master, 16 stems and 4 alternates (21 files of 3 minutes) as one
/// batch — by the CLI, in the browser, and the encoding share against SoX and FFmpeg.
fn delivery(env: &mut Env, cli: &str, o: &Options) -> Result<Vec<String>, String> {
    let data = root().join("target/bench");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let project = data.join("s16-delivery.mixroom").display().to_string();
    run(env, cli, &["s16-project", "--seconds", "180", "-o", &project])?;
    let (container, ext) = if o.format == "wav24" { ("wav", "wav") } else { ("flac", "flac") };
    let batch = ["--stems", "all", "--alternates", "--no-sum-check"];
    let zip = data.join("delivery-cli.zip").display().to_string();
    let floats = data.join("delivery-float");
    let encoded = data.join("delivery-encoded");
    let _ = std::fs::remove_dir_all(&floats);
    let floats_arg = floats.display().to_string();
    let mut lines = Vec::new();
    let (mut cli_s, mut float_s, mut sox_s, mut ffmpeg_s) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..o.runs {
        // The batch as delivered; the same renders written as float WAV (the render's share).
        let delivered = timed(env, cli, &[&["render", &project, "--format", container, "--bits", "24"][..], &batch, &["-o", &zip]].concat())?;
        let rendered = timed(env, cli, &[&["render", &project, "--format", "wav", "--bits", "32"][..], &batch, &["-o", &floats_arg]].concat())?;
        // The peers encode those float renders to the same format, file by file.
        let _ = std::fs::remove_dir_all(&encoded);
        std::fs::create_dir_all(&encoded).map_err(|e| e.to_string())?;
        let mut wavs: Vec<_> = std::fs::read_dir(&floats).map_err(|e| e.to_string())?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "wav")).collect();
        wavs.sort();
        let (mut sox, mut ffmpeg) = (0.0, 0.0);
        for (k, wav) in wavs.iter().enumerate() {
            let input = wav.display().to_string();
            let out = encoded.join(format!("{k}.{ext}")).display().to_string();
            // SoX: TPDF dither on reducing to 24 bits, as ours.
            sox += timed(env, "sox", &[&input, "-b", "24", &out, "dither"])?;
            let codec: &[&str] = if ext == "flac" { &["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"] } else { &["-c:a", "pcm_s24le"] };
            ffmpeg += timed(env, "ffmpeg", &[&["-v", "error", "-y", "-i", &input][..], codec, &[&out]].concat())?;
        }
        println!("delivery run {}: CLI batch {delivered:.1} s, of which rendering (as float WAV) {rendered:.1} s; encoding {} files: Mixroom {:.1} s, SoX {sox:.1} s, FFmpeg {ffmpeg:.1} s", i + 1, wavs.len(), delivered - rendered);
        cli_s.push(delivered);
        float_s.push(rendered);
        sox_s.push(sox);
        ffmpeg_s.push(ffmpeg);
    }
    let (cli_m, float_m, sox_m, ffmpeg_m) = (median(&mut cli_s), median(&mut float_s), median(&mut sox_s), median(&mut ffmpeg_s));
    let ours_encode = (cli_m - float_m).max(1e-3);
    lines.push(format!(
        "delivery, S16 3 min: master + 16 stems + 4 alternates as 24-bit {container} — CLI {cli_m:.1} s (median of {}), rendering {float_m:.1} s of it; encoding share {ours_encode:.1} s against SoX {sox_m:.1} s ({:.2}×) and FFmpeg {ffmpeg_m:.1} s ({:.2}×) encoding the same float renders",
        o.runs,
        sox_m / ours_encode,
        ffmpeg_m / ours_encode
    ));
    tools::ensure_chromium(env)?;
    crate::build_dist(env)?;
    let text = browser_bench(env, &["tests/bench/delivery.mjs", &project, &o.format], "the delivery benchmark")?;
    let browser_s = field(&text, "browser_s").unwrap_or(f64::NAN);
    let fps = field(&text, "fps").unwrap_or(f64::NAN);
    lines.push(format!(
        "delivery in the browser, the same batch: {browser_s:.1} s ({:.2}× the CLI's time), the page at {fps:.0} frames/s meanwhile",
        browser_s / cli_m
    ));
    Ok(lines)
}

/// The scale benchmark: per configuration and leg (the app streaming its stored audio, and its peer
/// holding the audio whole in memory as before streaming, on the same stored session), the open
/// until Play sounds, the memory and underruns of a play-through and the seeks' time to sound,
/// against the targets; a leg that failed says at which stage, how (page crash, out of
/// memory, time-out) and what memory reached before. Then how the streaming leg's memory compares
/// across the two default configurations (it should not grow with the length).
fn scale(env: &mut Env, o: &Options) -> Result<Vec<String>, String> {
    tools::ensure_chromium(env)?;
    if o.build {
        crate::build_dist(env)?;
    }
    let (tracks, minutes) = (o.tracks.map(|t| t.to_string()), o.minutes.map(|m| m.to_string()));
    let mut args = vec!["tests/bench/scale.mjs"];
    if o.tracks.is_some() || o.minutes.is_some() {
        args.extend(["--tracks", tracks.as_deref().unwrap_or("16"), "--minutes", minutes.as_deref().unwrap_or("3")]);
    }
    scale_report(&browser_bench(env, &args, "the scale benchmark")?)
}

/// The scale benchmark's lines, from what it printed (its JSON last).
fn scale_report(text: &str) -> Result<Vec<String>, String> {
    let json = text.lines().last().unwrap_or_default();
    // One object per configuration, each opening with its "tracks": its own figures, then its two
    // legs' objects, "streaming" and "whole" (null when the configuration failed before them).
    let starts: Vec<usize> = json.match_indices("{\"tracks\":").map(|(at, _)| at).chain([json.len()]).collect();
    let configs: Vec<&str> = starts.windows(2).map(|w| &json[w[0]..w[1]]).collect();
    if configs.is_empty() {
        return Err(format!("the scale benchmark printed no configuration: {text}"));
    }
    let mut lines = Vec::new();
    let mut streaming_memory = Vec::new();
    for c in &configs {
        let (head, streaming, whole) = split_legs(c);
        let n = |key| field(head, key);
        let (tracks, minutes, bytes) = (n("tracks").unwrap_or(f64::NAN), n("minutes").unwrap_or(f64::NAN), n("audio_bytes").unwrap_or(f64::NAN));
        let name = format!("scale, {tracks:.0} mono tracks × {minutes} min ({:.2} GB as float samples)", bytes / 1e9);
        for (leg, text) in [("streaming", streaming), ("whole in memory", whole)] {
            let Some(text) = text else { continue };
            lines.push(format!("{name}, {leg}{}: {}", streamed(text, tracks), leg_figures(text)));
        }
        if let Some(stage) = text_field(head, "failed_stage") {
            lines.push(format!("{name}: FAILED at {stage}: {}", text_field(head, "error").unwrap_or_default()));
        }
        streaming_memory.push((tracks, minutes, streaming.and_then(|l| field(l, "rss_max_mb"))));
    }
    // Memory should follow what is on screen and playing, not the length of the song.
    if let [(t1, m1, Some(big)), (t2, m2, Some(small))] = streaming_memory[..] {
        lines.push(format!("memory streaming, {t1:.0} × {m1} min against {t2:.0} × {m2} min: {:.2}× ({big:.0} MB against {small:.0} MB)", big / small));
    }
    Ok(lines)
}

/// A configuration's text cut into its own figures and its two legs' ("streaming", "whole"; `None`
/// when null or absent).
fn split_legs(c: &str) -> (&str, Option<&str>, Option<&str>) {
    let (s, w) = (c.find("\"streaming\":"), c.find("\"whole\":"));
    let head = &c[..s.or(w).unwrap_or(c.len())];
    let leg = |from: Option<usize>, to: Option<usize>| {
        let from = from?;
        let text = &c[from..to.filter(|&t| t > from).unwrap_or(c.len())];
        (!text.split_once(':').is_some_and(|(_, v)| v.starts_with("null"))).then_some(text)
    };
    (head, leg(s, w), leg(w, None))
}

/// Every number of the array after `"key":` (nulls left out).
fn numbers(json: &str, key: &str) -> Vec<f64> {
    let pattern = format!("\"{key}\":[");
    let Some(at) = json.find(&pattern) else { return Vec::new() };
    let rest = &json[at + pattern.len()..];
    rest[..rest.find(']').unwrap_or(rest.len())].split(',').filter_map(|v| v.trim().parse().ok()).collect()
}

/// Which path a leg ran: how many tracks the engine streamed at its opens.
fn streamed(leg: &str, tracks: f64) -> String {
    let counts = numbers(leg, "streamed_tracks");
    match counts.first() {
        None => String::new(),
        Some(&first) if counts.iter().all(|&c| c == first) => format!(" ({first:.0} of {tracks:.0} tracks streamed)"),
        Some(_) => format!(" ({} of {tracks:.0} tracks streamed at its opens)", counts.iter().map(|c| format!("{c:.0}")).collect::<Vec<_>>().join(", ")),
    }
}

/// One leg's figures, against the targets; a failure with its stage, kind and the memory reached.
fn leg_figures(leg: &str) -> String {
    let n = |key| field(leg, key);
    let failed = text_field(leg, "failed_stage");
    let mut figures = Vec::new();
    if let (Some(ready), Some(sound)) = (n("ready_median_ms"), n("sound_median_ms")) {
        figures.push(format!("from a reload until it can play {ready:.0} ms, until Play sounds {sound:.0} ms (medians of {}; target < 1 s)", numbers(leg, "sound_ms").len()));
    }
    if let (Some(max), Some(median)) = (n("rss_max_mb"), n("rss_median_mb")) {
        figures.push(format!("renderer memory playing it through max {max:.0} MB, median {median:.0} MB (target < 1.5 GB)"));
        figures.push(match n("underruns") {
            Some(u) => format!("{u:.0} underruns (target 0)"),
            None => "underruns not counted (the app sets no data-underruns)".into(),
        });
    }
    if failed.as_deref().is_none_or(|s| s != "seek") && leg.contains("\"seek_ms\"") {
        let ms = |key| n(key).map_or("timed out".into(), |v| format!("{v:.0} ms"));
        figures.push(format!(
            "seek to sound p50 {}, p95 {}, max {} ({:.0} of the seeks timed out{}; target p95 ≤ 100 ms)",
            ms("seek_p50_ms"),
            ms("seek_p95_ms"),
            ms("seek_max_ms"),
            n("seek_timeouts").unwrap_or(0.0),
            n("seek_underruns").map_or(String::new(), |u| format!(", {u:.0} underruns meanwhile"))
        ));
        // The streaming reader's page mirrors (www/page-mirror.js) made by then: the seeks read
        // those tracks from OPFS, the others from IndexedDB.
        if let Some(mirrored) = n("mirrored_at_seeks").filter(|&m| m > 0.0) {
            figures.push(format!("{mirrored:.0} tracks read from their page mirrors at the seeks"));
        }
    }
    if let Some(stage) = failed {
        let how = text_field(leg, "failure").map_or(String::new(), |f| format!(" ({f})"));
        let memory = n("rss_peak_mb").map_or(String::new(), |m| format!("; renderer memory reached {m:.0} MB before"));
        figures.push(format!("FAILED at {stage}{how}: {}{memory}", text_field(leg, "error").unwrap_or_default()));
    }
    figures.join("; ")
}
