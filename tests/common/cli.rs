//! Shared by the command-line tests (cli.rs, real_files.rs,
//! scoring_trust.rs, sweep.rs, bench.rs): the binary run as a user runs
//! it, the files a test writes, and the argument lists they repeat.
//!
//! Included with `#[path = "common/cli.rs"] mod cli;` rather than through
//! `common/mod.rs`, so a CLI test does not build the window's helpers.

// Each test crate uses the helpers it needs.
#![allow(dead_code)]

use std::process::{Command, Output};

/// A folder for the files one test writes; removed when dropped.
pub struct Dir(tempfile::TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().expect("temp dir"))
    }

    /// Writes `text` to `name` in the folder and gives its path.
    pub fn file(&self, name: &str, text: impl AsRef<[u8]>) -> String {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).expect("write test file");
        path.display().to_string()
    }

    /// The path `name` would have in the folder.
    pub fn path(&self, name: &str) -> String {
        self.0.path().join(name).display().to_string()
    }
}

/// The binary, ready for arguments (for a test that needs pipes).
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_purchase-lab"))
}

/// Runs `purchase-lab ARGS`.
pub fn run(args: &[&str]) -> Output {
    command().args(args).output().expect("run purchase-lab")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `purchase-lab ARGS`, which must succeed: (stdout, stderr).
pub fn ok(args: &[&str]) -> (String, String) {
    let o = run(args);
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "{args:?} failed:\n{err}");
    (out, err)
}

/// Runs `purchase-lab ARGS`, which must fail: its stderr.
pub fn fails(args: &[&str]) -> String {
    let o = run(args);
    assert!(!o.status.success(), "{args:?} should fail");
    stderr(&o)
}

/// The path of a sample file in `assets/`.
pub fn shipped(name: &str) -> String {
    format!("{}/assets/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `train --data DATA ARGS --backend cpu`: a training run as the tests
/// type it (on the CPU, so runs are the same on every machine).
pub fn train_args<'a>(data: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["train", "--data", data];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--backend", "cpu"]);
    all
}

/// `COMMAND --data DATA --target TARGET --positive LABEL ARGS`: a
/// classification problem for `train` or `sweep`.
pub fn classify<'a>(
    command: &'a str,
    data: &'a str,
    [target, positive]: [&'a str; 2],
    args: &[&'a str],
) -> Vec<&'a str> {
    let mut all = vec![
        command,
        "--data",
        data,
        "--target",
        target,
        "--positive",
        positive,
    ];
    all.extend_from_slice(args);
    all
}

/// `predict --model MODEL --data DATA -o OUT ARGS --backend cpu`.
pub fn predict_args<'a>(
    model: &'a str,
    data: &'a str,
    out: &'a str,
    args: &[&'a str],
) -> Vec<&'a str> {
    let mut all = vec!["predict", "--model", model, "--data", data, "-o", out];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--backend", "cpu"]);
    all
}
