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

/// The binary, ready for arguments (for a test that needs pipes). Its data
/// directory (run history, `Auto`'s device choices) is
/// [`test_data_home`], not the runner's own.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_purchase-lab"));
    command.env("XDG_DATA_HOME", test_data_home());
    command
}

/// The data home the tests' binaries use: in cargo's temporary folder for
/// integration tests (inside the target directory), so no test writes into
/// the home of whoever runs them, and device choices measured by one test
/// run are reused by the next, as a user's are.
pub fn test_data_home() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-home")
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

/// Customers choosing one of three plans from age, income and monthly
/// usage (a local stand-in for the `segments` preset): heavy users take
/// `premium`, older or richer light users `plus`, the rest `basic`, with a
/// seeded share of rows moved to a neighbouring plan. IDs keep leading
/// zeros, so `predict` must write them back as they were.
pub fn segments_csv(rows: usize, seed: u64) -> String {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut text = String::from("id,age,income,usage,plan\n");
    for i in 0..rows {
        let age = 18.0 + 60.0 * next();
        let income = 20.0 + 100.0 * next();
        let usage = 40.0 * next();
        let score = usage / 40.0 * 2.0;
        let mut plan = if score > 1.2 {
            2
        } else if age / 78.0 + income / 120.0 > 0.9 {
            1
        } else {
            0
        };
        if next() < 0.05 {
            plan = (plan + 1) % 3;
        }
        let name = ["basic", "plus", "premium"][plan];
        text.push_str(&format!("{i:05},{age:.0},{income:.1},{usage:.1},{name}\n"));
    }
    text
}
