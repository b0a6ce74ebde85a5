//! Finding and installing the tools the build and the tests need, each only when missing.

use std::path::Path;
use std::process::Command;

use crate::root;

/// Trunk's version: 0.21.14 is the newest that builds with this project's rustc.
const TRUNK_VERSION: &str = "0.21.14";

/// The environment the build and test commands run in.
#[derive(Clone)]
pub struct Env {
    /// PATH with the project's npm tools (wasm-opt) and cargo's bin directory in front.
    pub path: String,
    pub chromium: String,
    pub chromedriver: String,
}

/// The output of a command, if it ran and succeeded.
fn output(program: &str, args: &[&str], path: &str) -> Option<String> {
    let out = Command::new(program).args(args).env("PATH", path).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn cargo_home_bin() -> String {
    std::env::var("CARGO_HOME")
        .map(|h| format!("{h}/bin"))
        .unwrap_or_else(|_| format!("{}/.cargo/bin", std::env::var("HOME").unwrap_or_default()))
}

/// The wasm-bindgen version Cargo.lock resolved: the CLI must be exactly this version.
pub fn locked_wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"')) {
                return Ok(v.to_owned());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// The environment before any tool is looked for: PATH with the project's npm tools and cargo's
/// bin directory in front.
pub fn base_env() -> Env {
    let npm_bin = root().join("tests/node_modules/.bin");
    let path = format!("{}:{}:{}", npm_bin.display(), cargo_home_bin(), std::env::var("PATH").unwrap_or_default());
    Env { path, chromium: String::new(), chromedriver: String::new() }
}

/// Makes sure everything `trunk build` needs is present: the wasm target, wasm-bindgen-cli of the
/// locked version, Trunk, the npm tools (wasm-opt, playwright-core), and every crate fetched.
pub fn ensure_build_tools() -> Result<Env, String> {
    let env = base_env();
    let npm_bin = root().join("tests/node_modules/.bin");

    let targets = output("rustup", &["target", "list", "--installed"], &env.path).unwrap_or_default();
    if !targets.lines().any(|t| t == "wasm32-unknown-unknown") {
        crate::run(&env, "rustup", &["target", "add", "wasm32-unknown-unknown"])?;
    }

    let bindgen = locked_wasm_bindgen_version()?;
    check_trunk_toml(&bindgen)?;
    let installed = output("wasm-bindgen", &["--version"], &env.path).unwrap_or_default();
    if installed != format!("wasm-bindgen {bindgen}") {
        // Not --locked: the registry mirror lacks some of the newest versions its lockfile names.
        crate::run(&env, "cargo", &["install", "wasm-bindgen-cli", "--version", &bindgen, "--force"])?;
    }

    let trunk = output("trunk", &["--version"], &env.path).unwrap_or_default();
    if trunk != format!("trunk {TRUNK_VERSION}") {
        // --debug: Trunk only drives cargo, wasm-bindgen and wasm-opt, so a debug build of it builds
        // the app as fast (45 s either way, measured) and installs in about 5 minutes instead of 9.
        crate::run(&env, "cargo", &["install", "trunk", "--version", TRUNK_VERSION, "--locked", "--debug", "--force"])?;
    }

    let tests = root().join("tests");
    let npm_ok = npm_bin.join("wasm-opt").exists() && tests.join("node_modules/playwright-core/package.json").exists();
    if !npm_ok {
        crate::run(&env, "npm", &["ci", "--prefix", "tests", "--no-audit", "--no-fund"])?;
    }

    // Trunk runs cargo with --offline (Trunk.toml), so every crate must already be here.
    crate::run(&env, "cargo", &["fetch", "--locked"])?;
    Ok(env)
}

/// Trunk.toml names the wasm-bindgen version too; a mismatch would make Trunk look for another CLI.
fn check_trunk_toml(bindgen: &str) -> Result<(), String> {
    let trunk_toml = std::fs::read_to_string(root().join("Trunk.toml")).map_err(|e| format!("cannot read Trunk.toml: {e}"))?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{bindgen}\"")) {
        return Err(format!("Trunk.toml's [tools] wasm_bindgen must equal Cargo.lock's wasm-bindgen {bindgen}"));
    }
    Ok(())
}

/// Installs Debian `packages` (as root, or through sudo).
fn apt_install(env: &Env, packages: &[&str]) -> Result<(), String> {
    let root_user = output("id", &["-u"], &env.path).as_deref() == Some("0");
    let sudo: &[&str] = if root_user { &[] } else { &["sudo"] };
    let apt = |args: &[&str]| -> Result<(), String> {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
        all.extend(args);
        crate::run(env, all[0], &all[1..])
    };
    apt(&["update"])?;
    // Wait for dpkg's lock rather than fail on it: on a fresh machine unattended upgrades may hold
    // it for a minute or two after boot.
    let mut install = vec!["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends"];
    install.extend(packages);
    apt(&install)
}

const BROWSERS: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const DRIVERS: [&str; 1] = ["/usr/bin/chromedriver"];
/// The encoders and decoders the import and delivery tests compare against (program, Debian
/// package; ffprobe comes with ffmpeg).
const ENCODERS: [(&str, &str); 6] = [("sox", "sox"), ("flac", "flac"), ("lame", "lame"), ("oggenc", "vorbis-tools"), ("oggdec", "vorbis-tools"), ("ffmpeg", "ffmpeg")];

fn first_existing(paths: &[&str]) -> Option<String> {
    paths.iter().find(|p| Path::new(p).exists()).map(|p| p.to_string())
}

/// Makes sure the Debian packages the chosen stages need are installed, in one `apt-get` run:
/// Chromium and ChromeDriver (`browser`; the tests never download a browser), and sox, flac, lame,
/// vorbis-tools and ffmpeg (`encoders`, which the import and delivery tests compare against), and Python's venv
/// (for the loudness reference).
pub fn ensure_debian(env: &Env, browser: bool, encoders: bool) -> Result<(), String> {
    let mut missing: Vec<&str> = Vec::new();
    if browser && (first_existing(&BROWSERS).is_none() || first_existing(&DRIVERS).is_none()) {
        missing.extend(["chromium", "chromium-driver"]);
    }
    if encoders {
        missing.extend(ENCODERS.iter().filter(|(bin, _)| output("which", &[bin], &env.path).is_none()).map(|(_, pkg)| *pkg));
        // The loudness reference (pyloudnorm) installs into a venv, which needs ensurepip.
        if output("python3", &["-c", "import ensurepip; print(1)"], &env.path).is_none() {
            missing.push("python3-venv");
        }
    }
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(env, &missing)
}

/// Makes sure Debian's Chromium and ChromeDriver are installed, and puts their paths in `env`.
pub fn ensure_chromium(env: &mut Env) -> Result<(), String> {
    ensure_debian(env, true, false)?;
    find_chromium(env)
}

/// Puts the installed Chromium's and ChromeDriver's paths in `env`.
pub fn find_chromium(env: &mut Env) -> Result<(), String> {
    env.chromium = first_existing(&BROWSERS).ok_or("Chromium did not install")?;
    env.chromedriver = first_existing(&DRIVERS).ok_or("ChromeDriver did not install")?;
    Ok(())
}

/// Writes the capabilities wasm-bindgen-test-runner hands to ChromeDriver: Debian's Chromium, with
/// the flags this sandboxed, offline machine needs (the runner adds headless and no-sandbox itself).
pub fn write_webdriver_json(env: &Env) -> Result<String, String> {
    let path = root().join("target/webdriver.json");
    let json = format!(
        r#"{{"goog:chromeOptions": {{"binary": "{}", "args": ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]}}}}"#,
        env.chromium
    );
    std::fs::create_dir_all(root().join("target")).map_err(|e| format!("cannot create target/: {e}"))?;
    std::fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}
