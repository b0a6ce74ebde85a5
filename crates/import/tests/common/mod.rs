//! What the importer's tests share: a folder for the files they make, and the encoders they run.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder of the tests' files, `name` under cargo's temporary directory.
pub fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs an encoder (installed by `cargo xtask test` from Debian); a missing one fails with its name.
pub fn tool(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{program}` is needed for this test ({e}); `cargo xtask test` installs it from Debian"));
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}
