//! Session files: a saved setup loads back equal and reproduces the same
//! loss history on the CPU backend; a bad file says what and where.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::path::Path;

use purchase_lab::data::{Preset, Source, write_csv};
use purchase_lab::model::run::TrainingRun;
use purchase_lab::model::{
    Activation, BackendChoice, Family, LrSchedule, NetworkSpec, OptimizerKind, TrainSettings,
    TreeSettings, select_device,
};
use purchase_lab::tune::{Session, SessionError};

#[path = "common/runs.rs"]
mod runs;
use runs::{classification, prepared, synth};

fn session() -> Session {
    let source = Source::Generated(synth(Preset::Circle, 300, 9));
    let table = source.load().unwrap();
    let mut recipe = classification(&table, Preset::Circle);
    recipe.test_fraction = 0.25;
    recipe.seed = 3;
    Session::new(
        source,
        recipe,
        NetworkSpec {
            hidden: vec![8, 4],
            activation: Activation::Tanh,
            // Per-layer activations and a schedule survive the file too.
            layer_activations: vec![Activation::Tanh, Activation::Sigmoid],
            dropout: 0.1,
        },
        TrainSettings {
            optimizer: OptimizerKind::Adam,
            learning_rate: 0.02,
            epochs: 6,
            seed: 17,
            early_stopping: Some(20),
            schedule: LrSchedule::Step {
                every: 2,
                factor: 0.5,
            },
            ..TrainSettings::default()
        },
        Some(6),
        BackendChoice::Cpu,
    )
}

/// Loss history of training from the session as a user would.
fn losses(session: &Session) -> Vec<(f64, f64)> {
    let table = session.source.load().unwrap();
    let device = select_device(session.backend).unwrap();
    let prepared = prepared(&table, &session.recipe);
    let mut run = TrainingRun::new(prepared, &session.spec, &session.train, &device).unwrap();
    for _ in 0..session.epochs.unwrap() {
        run.run_epoch().unwrap();
    }
    run.history()
        .iter()
        .map(|r| (r.train_loss, r.valid_loss))
        .collect()
}

#[test]
fn a_session_round_trips_and_reproduces_training() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lesson.json");
    let original = session();
    original.save(&path).unwrap();
    assert!(Session::is_session_file(&path));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\n  \"version\": 1"), "pretty JSON: {text}");

    let loaded = Session::load(&path).unwrap();
    assert_eq!(loaded, original);
    let first = losses(&loaded);
    let second = losses(&Session::load(&path).unwrap());
    assert_eq!(first.len(), 6);
    assert_eq!(first, second, "same session, same seed: same losses");

    // Boosted trees chosen: the family and the trees' settings come back.
    let trees = Session {
        family: Family::Trees,
        trees: TreeSettings {
            trees: 77,
            max_depth: 2,
            ..TreeSettings::default()
        },
        ..session()
    };
    trees.save(&path).unwrap();
    assert_eq!(Session::load(&path).unwrap(), trees);
    // A session written before trees existed opens as a network.
    let old = text
        .lines()
        .filter(|l| !l.contains("\"family\""))
        .collect::<Vec<_>>()
        .join("\n");
    let old_path = dir.path().join("old.json");
    std::fs::write(&old_path, &old).unwrap();
    assert_eq!(Session::load(&old_path).unwrap().family, Family::Network);
}

#[test]
fn a_data_file_next_to_the_session_is_stored_relative() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("circle.csv");
    let original = session();
    write_csv(&original.source.load().unwrap(), &csv).unwrap();
    let with_file = Session {
        source: Source::File(csv.clone()),
        ..original
    };
    let path = dir.path().join("lesson.json");
    with_file.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"File\": \"circle.csv\""), "{text}");

    // The folder moves (a student unzips it elsewhere): still opens.
    let moved = tempfile::tempdir().unwrap();
    for name in ["circle.csv", "lesson.json"] {
        std::fs::copy(dir.path().join(name), moved.path().join(name)).unwrap();
    }
    let loaded = Session::load(&moved.path().join("lesson.json")).unwrap();
    assert_eq!(loaded.source, Source::File(moved.path().join("circle.csv")));
    assert_eq!(loaded.source.load().unwrap().n_rows(), 300);
}

fn load_error(dir: &Path, text: &str) -> (SessionError, String) {
    let path = dir.join("bad.json");
    std::fs::write(&path, text).unwrap();
    let e = Session::load(&path).unwrap_err();
    let message = e.to_string();
    assert!(message.contains("bad.json"), "{message}");
    (e, message)
}

#[test]
fn bad_session_files_say_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::to_string_pretty(&session()).unwrap();

    // Cut off in the middle: not JSON, with the line and column.
    let cut = &good[..good.find("\"spec\"").unwrap()];
    let (e, message) = load_error(dir.path(), cut);
    assert!(matches!(e, SessionError::NotJson { .. }), "{message}");
    assert!(message.contains("line "), "{message}");
    assert!(message.contains("column "), "{message}");

    // A missing field: named, with its position.
    let mut value: serde_json::Value = serde_json::from_str(&good).unwrap();
    value.as_object_mut().unwrap().remove("recipe");
    let (e, message) = load_error(dir.path(), &serde_json::to_string_pretty(&value).unwrap());
    assert!(matches!(e, SessionError::Invalid { .. }), "{message}");
    assert!(message.contains("missing field `recipe`"), "{message}");
    assert!(message.contains("line "), "{message}");

    // A wrong type on a known line.
    let wrong = good.replacen("\"learning_rate\": 0.02", "\"learning_rate\": \"fast\"", 1);
    let line = wrong.lines().position(|l| l.contains("\"fast\"")).unwrap() + 1;
    let (e, message) = load_error(dir.path(), &wrong);
    assert!(matches!(e, SessionError::Invalid { .. }), "{message}");
    assert!(message.contains(&format!("line {line},")), "{message}");

    // Another format version, or no version at all.
    let (e, message) = load_error(
        dir.path(),
        &good.replacen("\"version\": 1", "\"version\": 7", 1),
    );
    assert!(matches!(e, SessionError::Version { .. }), "{message}");
    assert!(message.contains("version 7"), "{message}");
    let (e, message) = load_error(dir.path(), "{\"hello\": 1}");
    assert!(matches!(e, SessionError::NotSession { .. }), "{message}");

    // A value the app would refuse.
    let absurd = good.replacen("\"learning_rate\": 0.02", "\"learning_rate\": 50.0", 1);
    let (e, message) = load_error(dir.path(), &absurd);
    assert!(matches!(e, SessionError::Setting { .. }), "{message}");
    assert!(message.contains("learning rate 50"), "{message}");

    let e = Session::load(&dir.path().join("missing.json")).unwrap_err();
    assert!(matches!(e, SessionError::Read { .. }), "{e}");

    assert!(!Session::is_session_file(Path::new("customers.csv")));
    assert!(Session::is_session_file(Path::new("LESSON.JSON")));
}
