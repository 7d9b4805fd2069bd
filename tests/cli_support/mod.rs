//! Shared by the command-line tests (real_files.rs, scoring_trust.rs):
//! files the test writes, and the binary run as a user runs it.

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

/// Runs `purchase-lab ARGS`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_purchase-lab"))
        .args(args)
        .output()
        .expect("run purchase-lab")
}

/// Runs `purchase-lab ARGS`, which must succeed: (stdout, stderr).
pub fn ok(args: &[&str]) -> (String, String) {
    let o = run(args);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{args:?} failed:\n{err}");
    (out, err)
}

/// Runs `purchase-lab ARGS`, which must fail: its stderr.
pub fn fails(args: &[&str]) -> String {
    let o = run(args);
    assert!(!o.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `train --data DATA ARGS --backend cpu`: a training run as the tests
/// type it (on the CPU, so runs are the same on every machine).
pub fn train_args<'a>(data: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["train", "--data", data];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--backend", "cpu"]);
    all
}
