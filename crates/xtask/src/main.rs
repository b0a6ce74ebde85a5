//! `cargo xtask`: the project's two set-up commands, and the steps behind them.
//!
//! - `cargo xtask serve` installs what is missing, builds the app in release mode and serves it at
//!   <http://127.0.0.1:8080>.
//! - `cargo xtask test` installs what is missing and runs every test: native, wasm in headless
//!   Chromium (wasm-bindgen-test), and end to end (playwright-core) against the built app.
//!
//! Both are idempotent: each tool is checked first and installed only when absent or of the wrong
//! version. Nothing is downloaded from GitHub: tools come from crates.io, npm and Debian.

mod bench;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("test") => test(&args[1..]),
        Some("build") => tools::ensure_build_tools().and_then(|env| build_dist(&env)),
        Some("bench") => bench::bench(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <serve | test [native|wasm|e2e ...] | build | bench [native|browser|ui|open] [--seconds S] [--runs N] | bench scale [--tracks N --minutes M] [--no-build]>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nxtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives in crates/xtask).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).expect("crates/xtask is two levels below the root").to_path_buf()
}

/// Runs a command in the workspace root with the tool environment, failing with its description.
pub fn run(env: &tools::Env, program: &str, args: &[&str]) -> Result<(), String> {
    run_with(env, program, args, &[])
}

pub fn run_with(env: &tools::Env, program: &str, args: &[&str], vars: &[(&str, String)]) -> Result<(), String> {
    let shown = format!("{program} {}", args.join(" "));
    println!("\n==> {shown}");
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(root()).env("PATH", &env.path);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let status = cmd.status().map_err(|e| format!("could not run `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

fn serve() -> Result<(), String> {
    let env = tools::ensure_build_tools()?;
    println!("\nServing Mixroom at http://127.0.0.1:8080 (Ctrl+C stops)");
    run(&env, "trunk", &["serve", "--release"])
}

fn build_dist(env: &tools::Env) -> Result<(), String> {
    run(env, "trunk", &["build", "--release"])
}

/// pyloudnorm and what it needs, pinned: the loudness reference of the tests.
const PYLOUDNORM: [&str; 4] = ["pyloudnorm==0.1.1", "numpy==2.4.6", "scipy==1.17.1", "future==1.0.0"];

/// The Python of a venv at `dir` (under the repository) holding `packages`, made and filled if
/// `check` (a line of Python importing them) fails there: idempotent.
pub fn python_venv(env: &tools::Env, dir: &str, packages: &[&str], check: &str) -> Result<String, String> {
    let venv = root().join(dir);
    let python = venv.join("bin/python").display().to_string();
    if !venv.join("bin/python").exists() {
        run(env, "python3", &["-m", "venv", &venv.display().to_string()])?;
    }
    if Command::new(&python).args(["-c", check]).status().map(|s| !s.success()).unwrap_or(true) {
        let mut args = vec!["-m", "pip", "install", "--quiet"];
        args.extend_from_slice(packages);
        run(env, &python, &args)?;
    }
    Ok(python)
}

/// Runs the test stages; with arguments, only the named ones (native, wasm, e2e).
fn test(only: &[String]) -> Result<(), String> {
    let wanted = |stage: &str| only.is_empty() || only.iter().any(|s| s == stage);
    let started = Instant::now();
    let mut timings = Vec::new();
    let mut stage = |name: &str, f: &mut dyn FnMut() -> Result<(), String>| -> Result<(), String> {
        let t = Instant::now();
        f()?;
        timings.push((name.to_owned(), t.elapsed().as_secs_f64()));
        Ok(())
    };

    let mut env = None;
    stage("tools", &mut || {
        // Debian's packages (downloads, mostly) install while cargo builds the tools it installs
        // (compiling, mostly): on a bare machine the two overlap instead of adding up.
        let (browser, encoders) = (wanted("wasm") || wanted("e2e"), wanted("native") || wanted("e2e"));
        let base = tools::base_env();
        let debian = std::thread::spawn(move || tools::ensure_debian(&base, browser, encoders));
        let built = tools::ensure_build_tools();
        let debian = debian.join().map_err(|_| "installing Debian's packages panicked".to_owned())?;
        let mut e = built?;
        debian?;
        if browser {
            tools::find_chromium(&mut e)?;
        }
        env = Some(e);
        Ok(())
    })?;
    let env = env.expect("set by the tools stage");

    if wanted("native") {
        stage("native tests", &mut || {
            run(&env, "cargo", &["test", "--workspace", "--exclude", "mixroom-app", "--exclude", "mixroom-worklet", "--exclude", "mixroom-import-worker"])
        })?;
    }
    if wanted("wasm") {
        let webdriver_json = tools::write_webdriver_json(&env)?;
        let vars = [
            ("CHROMEDRIVER", env.chromedriver.clone()),
            ("WASM_BINDGEN_TEST_WEBDRIVER_JSON", webdriver_json),
            ("WASM_BINDGEN_TEST_TIMEOUT", "300".to_owned()),
        ];
        // Release profile: shares every dependency build with the Trunk build below.
        stage("wasm tests (headless Chromium)", &mut || {
            run_with(
                &env,
                "cargo",
                &["test", "--release", "--target", "wasm32-unknown-unknown", "-p", "mixroom-app", "-p", "mixroom-worklet", "-p", "mixroom-import-worker", "-p", "mixroom-analysis", "--lib", "--tests"],
                &vars,
            )
        })?;
    }
    if wanted("e2e") {
        stage("release builds (CLI, app)", &mut || {
            run(&env, "cargo", &["build", "--release", "-p", "mixroom-cli"])?;
            build_dist(&env)
        })?;
        // A second implementation of BS.1770-4 (pyloudnorm, from PyPI, pinned, in a venv of its own)
        // reads the same real material as `mixroom loudness`.
        stage("loudness against pyloudnorm", &mut || {
            let python = python_venv(&env, "target/test-venv", &PYLOUDNORM, "import pyloudnorm, scipy")?;
            let cli = root().join("target/release/mixroom").display().to_string();
            run_with(&env, &python, &["tests/reference/pyloudnorm_agreement.py"], &[("MIXROOM_CLI", cli)])
        })?;
        let vars = [
            ("CHROMIUM", env.chromium.clone()),
            ("MIXROOM_CLI", root().join("target/release/mixroom").display().to_string()),
            ("MIXROOM_DIST", root().join("dist").display().to_string()),
        ];
        stage("end-to-end tests", &mut || {
            run_with(&env, "node", &["--test", "--test-concurrency=1", "tests/e2e/"], &vars)
        })?;
    }

    println!("\nAll tests passed in {:.0} s:", started.elapsed().as_secs_f64());
    for (name, seconds) in timings {
        println!("  {name:<34} {seconds:>7.1} s");
    }
    Ok(())
}
