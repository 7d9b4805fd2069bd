//! The fuzz targets in `fuzz/` on stable Rust: every input in
//! `fuzz/regressions/<target>/` (each a crash the fuzzer found, now fixed)
//! and every seed in `fuzz/seeds/<target>/` goes through the same
//! `purchase_lab::fuzzing` function the fuzzer calls, which panics when the
//! reader panics or breaks one of its promises. See docs/RELIABILITY.md.
//!
//! `cargo test --test fuzz_regressions -- --ignored` rewrites the generated
//! seeds (a session and a history file from real runs).

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use purchase_lab::data::{Preset, Problem, Recipe, Source, SynthSettings, prepare};
use purchase_lab::fuzzing;
use purchase_lab::model::run::TrainingRun;
use purchase_lab::model::{BackendChoice, NetworkSpec, TrainSettings, select_device};
use purchase_lab::tune::{History, RunRecord, Session};

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 6] = [
    ("csv_reader", fuzzing::csv_reader),
    ("prep_pipeline", fuzzing::prep_pipeline),
    ("model_file", fuzzing::model_file),
    ("session_file", fuzzing::session_file),
    ("history_file", fuzzing::history_file),
    ("serve_request", fuzzing::serve_request),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files in `fuzz/<kind>/<target>/`, sorted (none when it is absent).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs every input of `kind` through its target; a panic names the file.
fn replay(kind: &str) -> usize {
    let mut count = 0;
    for (target, run) in TARGETS {
        for file in inputs(kind, target) {
            let bytes = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&bytes));
            assert!(
                outcome.is_ok(),
                "{target}: {} fails again (see the panic above)",
                file.display()
            );
            count += 1;
        }
    }
    count
}

#[test]
fn every_crash_the_fuzzers_found_stays_fixed() {
    let count = replay("regressions");
    assert!(count > 0, "fuzz/regressions/ holds no inputs");
}

#[test]
fn every_seed_passes() {
    for (target, _) in TARGETS {
        assert!(
            !inputs("seeds", target).is_empty(),
            "fuzz/seeds/{target}/ is empty"
        );
    }
    replay("seeds");
}

/// What the seeds are for: a seed must reach past the first checks, or the
/// fuzzer starts from nothing. (Checked here on the readers themselves.)
#[test]
fn the_generated_seeds_load() {
    let read = |target: &str| -> Vec<Vec<u8>> {
        inputs("seeds", target)
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    };
    for bytes in read("model_file") {
        purchase_lab::model::bundle::Bundle::from_bytes(&bytes).unwrap();
    }
    for bytes in read("session_file") {
        let text = String::from_utf8(bytes).unwrap();
        Session::from_json(&text, Path::new("/fuzz/lesson/session.json")).unwrap();
    }
    for bytes in read("history_file") {
        let (history, problem) = History::from_json(&bytes);
        assert_eq!(problem, None);
        assert!(!history.records.is_empty());
    }
}

fn xor_source(rows: usize) -> Source {
    Source::Generated(SynthSettings {
        preset: Preset::Xor,
        rows,
        seed: 5,
        ..SynthSettings::default()
    })
}

fn xor_recipe(source: &Source) -> Recipe {
    let table = source.load().unwrap();
    let mut recipe = Recipe::new(
        &table,
        "class",
        Problem::Classification {
            positive: Preset::Xor.target().1.to_owned(),
        },
    );
    recipe.test_fraction = 0.25;
    recipe
}

fn run_record(hidden: Vec<usize>, epochs: usize) -> RunRecord {
    let source = xor_source(40);
    let table = source.load().unwrap();
    let recipe = xor_recipe(&source);
    let prepared = Arc::new(prepare(&table, &recipe).unwrap());
    let spec = NetworkSpec {
        hidden,
        ..NetworkSpec::default()
    };
    let train = TrainSettings {
        epochs,
        early_stopping: Some(3),
        ..TrainSettings::default()
    };
    let device = select_device(BackendChoice::Cpu).unwrap();
    let mut run = TrainingRun::new(prepared, &spec, &train, &device).unwrap();
    for _ in 0..epochs {
        run.run_epoch().unwrap();
    }
    RunRecord::from_run(
        &run,
        source,
        recipe,
        purchase_lab::tune::fingerprint(&table),
        Some(epochs),
        0.25,
    )
}

#[test]
#[ignore = "rewrites fuzz/seeds/{session_file,history_file}; run by hand"]
fn write_seeds() {
    let seeds = fuzz_dir().join("seeds");
    let session_path = Path::new("/fuzz/lesson/session.json");
    let generated = Session::new(
        xor_source(200),
        xor_recipe(&xor_source(200)),
        NetworkSpec {
            hidden: vec![8, 4],
            ..NetworkSpec::default()
        },
        TrainSettings {
            epochs: 6,
            early_stopping: Some(20),
            ..TrainSettings::default()
        },
        Some(6),
        BackendChoice::Cpu,
    );
    let mut from_file = generated.clone();
    from_file.source = Source::File(PathBuf::from("/fuzz/lesson/customers.csv"));
    from_file.epochs = None;
    from_file.backend = BackendChoice::Auto;
    for (name, session) in [("generated", &generated), ("csv_file", &from_file)] {
        let json = session.to_json(session_path).unwrap();
        std::fs::write(
            seeds.join("session_file").join(format!("{name}.json")),
            json,
        )
        .unwrap();
    }

    let mut history = History::default();
    let mut first = run_record(vec![4], 3);
    first.name = "small \"net\"".to_owned();
    history.add(first);
    history.add(run_record(Vec::new(), 2));
    let id = history.add(run_record(vec![3, 2], 2));
    history.set_pinned(id, true);
    let bytes = history.to_json().unwrap();
    std::fs::write(seeds.join("history_file").join("three_runs.json"), bytes).unwrap();
}

/// Opening models must not grow memory (fuzzing found each one kept ~10 KB
/// of Burn autodiff bookkeeping until a training step ran).
#[test]
fn opening_models_does_not_grow_memory() {
    let seeds: Vec<Vec<u8>> = inputs("seeds", "model_file")
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let device = select_device(BackendChoice::Cpu).unwrap();
    let rss_kb = || -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    let open_all = |times: usize| {
        for _ in 0..times {
            for bytes in &seeds {
                let bundle = purchase_lab::model::bundle::Bundle::from_bytes(bytes).unwrap();
                purchase_lab::model::bundle::LoadedModel::new(bundle, &device).unwrap();
            }
        }
    };
    open_all(50); // warm-up: allocator pools, Burn's caches
    let Some(before) = rss_kb() else {
        return; // no /proc here
    };
    open_all(1000);
    let after = rss_kb().unwrap();
    // Before the fix: 3,000 models × ~10 KB ≈ 30 MB.
    assert!(
        after < before + 12 * 1024,
        "memory grew from {before} KB to {after} KB"
    );
}
