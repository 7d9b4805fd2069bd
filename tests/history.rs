//! The run history: records carry the right settings, the file survives a
//! round trip, a corrupt file is set aside (never lost), the size cap holds,
//! differing settings are found, and the CSV exports parse back.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use purchase_lab::data::{Preset, Recipe, Source, Table, generate, load_csv, parse_csv};
use purchase_lab::model::run::Metrics;
use purchase_lab::model::{Activation, LrSchedule, NetworkSpec, TrainSettings};
use purchase_lab::tune::history::{MAX_CURVE_POINTS, MAX_RUNS};
use purchase_lab::tune::{
    History, Metric, RunRecord, RunSetup, Setting, differing_settings, fingerprint, runs_table,
    write_history_csv, write_runs_csv,
};

#[path = "common/cli.rs"]
mod cli;
#[path = "common/runs.rs"]
mod runs;
use runs::{classification, jumpy_settings, prepared, synth, train_on_cpu};

fn source() -> Source {
    Source::Generated(synth(Preset::Xor, 200, 5))
}

fn recipe(table: &Table) -> Recipe {
    classification(table, Preset::Xor)
}

/// A real run: `epochs` epochs on 200 xor rows on the CPU.
fn record(learning_rate: f64, hidden: Vec<usize>, epochs: usize) -> RunRecord {
    let table = source().load().unwrap();
    let recipe = recipe(&table);
    let spec = NetworkSpec {
        hidden,
        ..NetworkSpec::default()
    };
    let train = TrainSettings {
        learning_rate,
        epochs,
        ..TrainSettings::default()
    };
    let mut run = train_on_cpu(prepared(&table, &recipe), &spec, &train);
    run.finish().unwrap();
    RunRecord::from_run(
        &run,
        source(),
        recipe,
        fingerprint(&table),
        Some(epochs),
        1.5,
    )
}

/// Per-layer activations and the learning-rate schedule are part of what
/// a run was: kept through the history file and shown as settings.
#[test]
fn a_record_keeps_per_layer_activations_and_the_schedule() {
    let table = source().load().unwrap();
    let recipe = recipe(&table);
    let spec = NetworkSpec {
        hidden: vec![6, 4],
        layer_activations: vec![Activation::Tanh, Activation::Relu],
        ..NetworkSpec::default()
    };
    let schedule = LrSchedule::Cosine {
        floor: 0.1,
        warmup: 1,
    };
    let train = TrainSettings {
        learning_rate: 0.02,
        epochs: 3,
        schedule,
        ..TrainSettings::default()
    };
    let mut run = train_on_cpu(prepared(&table, &recipe), &spec, &train);
    run.finish().unwrap();
    let record = RunRecord::from_run(&run, source(), recipe, fingerprint(&table), Some(3), 1.0);
    let back: RunRecord = serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
    assert_eq!(back.setup.spec, spec);
    assert_eq!(back.setup.train.schedule, schedule);
    let settings = back.settings();
    assert!(settings.contains(&(Setting::Activation, "tanh,ReLU".to_owned())));
    assert!(settings.contains(&(Setting::LrSchedule, "cosine:0.1:1".to_owned())));
}

#[test]
fn a_record_holds_what_the_run_was() {
    let r = record(0.02, vec![8, 4], 4);
    let table = source().load().unwrap();
    assert_eq!(r.setup.source, source());
    assert_eq!(r.setup.fingerprint, fingerprint(&table));
    assert_eq!(r.setup.recipe, recipe(&table));
    assert_eq!(r.setup.spec.hidden, vec![8, 4]);
    assert_eq!(r.setup.train.learning_rate, 0.02);
    assert_eq!(r.setup.train.epochs, 4);
    assert_eq!(r.setup.epochs, Some(4));
    assert!(r.device.contains("CPU"), "{}", r.device);
    assert_eq!(r.wall_seconds, 1.5);
    assert_eq!(r.history.len(), 4);
    assert_eq!(r.epochs_trained(), 4);
    assert!(!r.stopped_early);
    assert!(r.best_epoch.is_some_and(|e| (1..=4).contains(&e)));
    let last = r.history.last().unwrap();
    match (&r.final_metrics, &r.valid_metrics, &last.metrics) {
        (
            Some(Metrics::Classification(test)),
            Some(Metrics::Classification(valid)),
            Metrics::Classification(epoch),
        ) => {
            // Without early stopping the last epoch's weights stay: the
            // final validation AUC is the last epoch's.
            assert_eq!(valid.auc, epoch.auc);
            assert_eq!(Some(test.threshold), r.threshold);
            // Per-epoch ROC curves are not kept; the final ones are.
            assert!(epoch.roc.is_empty());
            assert!(!test.roc.is_empty() && !valid.roc.is_empty());
        }
        other => panic!("expected classification metrics, got {other:?}"),
    }
    assert_eq!(Metric::ValidLoss.value(&r), Some(last.valid_loss));
    assert_eq!(Metric::WallSeconds.value(&r), Some(1.5));
    assert!(Metric::Auc.value(&r).is_some());
    // A metric of the other task is no value, never a blank or a 0.
    for regression in [Metric::Rmse, Metric::Mae, Metric::R2] {
        assert_eq!(regression.value(&r), None, "{regression}");
    }
    assert_eq!(Metric::from_name("nonsense"), None);
    assert_eq!(Metric::from_name("valid_loss"), Some(Metric::ValidLoss));
}

#[test]
fn history_round_trips_through_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("history.json");

    let empty = History::load(&path).unwrap();
    assert!(empty.history.records.is_empty());
    assert!(empty.notice.is_none());

    let mut history = History::default();
    let a = history.add(record(0.01, vec![4], 2));
    let b = history.add(record(0.05, vec![4], 2));
    let c = history.add(record(0.1, vec![8], 2));
    assert!(a < b && b < c);
    assert_eq!(history.get(a).unwrap().name, format!("run {a}"));
    assert!(history.rename(b, "fast one"));
    assert!(history.set_pinned(c, true));
    assert!(history.remove(a).is_some());
    assert!(!history.rename(a, "gone"));
    history.save(&path).unwrap();

    let loaded = History::load(&path).unwrap();
    assert!(loaded.notice.is_none(), "{:?}", loaded.notice);
    assert_eq!(loaded.history, history);
    assert_eq!(loaded.history.get(b).unwrap().name, "fast one");
    assert!(loaded.history.get(c).unwrap().pinned);

    // Ids are never reused, even for a deleted run, after a reload.
    let mut again = loaded.history;
    let d = again.add(record(0.01, vec![4], 1));
    assert!(d > c, "{d} after {c}");
    // No temporary files are left next to the history.
    let names: Vec<String> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["history.json"]);
}

fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn a_corrupt_history_is_set_aside_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    let garbage = b"{\"version\": 1, \"runs\": [ {\"id\": 1, oops";
    std::fs::write(&path, garbage).unwrap();

    let loaded = History::load(&path).unwrap();
    assert!(loaded.history.records.is_empty());
    let notice = loaded.notice.expect("a notice");
    assert!(notice.contains("not valid JSON"), "{notice}");
    assert!(notice.contains("line 1"), "{notice}");
    // The original bytes are kept in the moved file, which the notice names.
    let files = files_in(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let moved = &files[0];
    let moved_name = moved.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        moved_name.starts_with("history.corrupt-") && moved_name.ends_with(".json"),
        "{moved_name}"
    );
    assert!(notice.contains(&moved.display().to_string()), "{notice}");
    assert_eq!(std::fs::read(moved).unwrap(), garbage);
    assert!(!path.exists());

    // A new history can be saved in its place; the set-aside file stays.
    let mut history = loaded.history;
    history.add(record(0.01, vec![4], 1));
    history.save(&path).unwrap();
    assert_eq!(History::load(&path).unwrap().history.records.len(), 1);
    assert!(moved.exists());

    // A second corrupt file in the same second gets its own name.
    std::fs::write(&path, b"not json at all").unwrap();
    let again = History::load(&path).unwrap();
    assert!(again.notice.is_some());
    assert_eq!(files_in(dir.path()).len(), 2);
}

#[test]
fn another_version_or_a_damaged_run_is_set_aside_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    std::fs::write(&path, br#"{"version": 99, "runs": []}"#).unwrap();
    let loaded = History::load(&path).unwrap();
    let notice = loaded.notice.unwrap();
    assert!(notice.contains("version 99"), "{notice}");
    assert!(!path.exists());

    // One good run and one damaged run: the good one is kept.
    let mut history = History::default();
    history.add(record(0.01, vec![4], 1));
    history.add(record(0.02, vec![4], 1));
    history.save(&path).unwrap();
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    value["runs"][1]["spec"] = serde_json::json!("not a spec");
    let damaged = serde_json::to_vec(&value).unwrap();
    std::fs::write(&path, &damaged).unwrap();
    let loaded = History::load(&path).unwrap();
    assert_eq!(loaded.history.records.len(), 1);
    assert_eq!(loaded.history.records[0], history.records[0]);
    let notice = loaded.notice.unwrap();
    assert!(notice.contains("1 of its 2 runs"), "{notice}");
    let kept: Vec<_> = files_in(dir.path())
        .into_iter()
        .filter(|p| std::fs::read(p).unwrap() == damaged)
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept as it was");
}

#[test]
fn the_history_is_capped_oldest_unpinned_first() {
    let base = record(0.01, vec![4], 1);
    let mut history = History::default();
    for i in 0..(MAX_RUNS + 5) {
        let mut r = base.clone();
        r.created_unix = 1_000 + i as u64;
        r.pinned = i < 2;
        history.add(r);
    }
    assert_eq!(history.records.len(), MAX_RUNS);
    // The two oldest are pinned and stay; the next five oldest went.
    let times: Vec<u64> = history.records.iter().map(|r| r.created_unix).collect();
    assert_eq!(&times[..3], &[1_000, 1_001, 1_007]);

    // Long curves are thinned, keeping the first and last epochs.
    let mut long = base.clone();
    let epoch = long.history[0].clone();
    long.history = (1..=2500)
        .map(|n| {
            let mut e = epoch.clone();
            e.epoch = n;
            e
        })
        .collect();
    let id = history.add(long);
    let kept = &history.get(id).unwrap().history;
    assert!(kept.len() <= MAX_CURVE_POINTS, "{}", kept.len());
    assert_eq!(kept.first().unwrap().epoch, 1);
    assert_eq!(kept.last().unwrap().epoch, 2500);
}

#[test]
fn differing_settings_and_sorting() {
    let slow = record(0.001, vec![8], 3);
    let fast = record(0.05, vec![8], 3);
    let wide = record(0.05, vec![16, 8], 3);
    let same = differing_settings(&[&slow, &slow.clone()]);
    assert!(same.is_empty(), "{same:?}");
    let d = differing_settings(&[&slow, &fast]);
    assert_eq!(d.into_iter().collect::<Vec<_>>(), [Setting::LearningRate]);
    let d = differing_settings(&[&slow, &fast, &wide]);
    assert_eq!(
        d.into_iter().collect::<Vec<_>>(),
        [Setting::Hidden, Setting::LearningRate]
    );
    let mut other_data = fast.clone();
    other_data.setup.fingerprint = "0123456789abcdef".into();
    other_data.setup.recipe.seed = 7;
    let d = differing_settings(&[&fast, &other_data]);
    assert!(
        d.contains(&Setting::Fingerprint) && d.contains(&Setting::SplitSeed),
        "{d:?}"
    );

    let mut history = History::default();
    for r in [slow, fast, wide] {
        history.add(r);
    }
    let by_auc = history.sorted_by(Metric::Auc, true);
    let aucs: Vec<f64> = by_auc
        .iter()
        .map(|r| Metric::Auc.value(r).unwrap())
        .collect();
    assert!(aucs.windows(2).all(|w| w[0] >= w[1]), "{aucs:?}");
    let by_loss = history.sorted_by(Metric::ValidLoss, false);
    let losses: Vec<f64> = by_loss
        .iter()
        .map(|r| Metric::ValidLoss.value(r).unwrap())
        .collect();
    assert!(losses.windows(2).all(|w| w[0] <= w[1]), "{losses:?}");
}

#[test]
fn csv_exports_parse_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::default();
    history.add(record(0.01, vec![4], 3));
    let id = history.add(record(0.05, vec![], 5));
    history.rename(id, "linear, \"fast\"");
    let runs: Vec<&RunRecord> = history.records.iter().collect();

    let path = dir.path().join("runs.csv");
    write_runs_csv(&runs, &path).unwrap();
    let table = load_csv(&path).unwrap();
    assert_eq!(table.n_rows(), 2);
    assert_eq!(table, through_csv(&runs_table(&runs).unwrap()));
    let name = table.column("name").unwrap();
    assert_eq!(name.text(1).unwrap(), "linear, \"fast\"");
    // `none` (no hidden layer) is written as is; reading it back, `none`
    // is one of the missing-value markers spreadsheets write, with a note.
    let hidden = table.column("hidden").unwrap();
    assert!(hidden.is_missing(1));
    assert!(std::fs::read_to_string(&path).unwrap().contains("none"));
    assert!(table.notes().iter().any(|n| n.text.contains("`none`")));
    assert_eq!(
        table.column("learning_rate").unwrap().text(0).unwrap(),
        "0.01"
    );
    let auc = table.column("auc").unwrap();
    assert_eq!(
        auc.text(0).unwrap().parse::<f64>().unwrap(),
        Metric::Auc.value(runs[0]).unwrap()
    );
    assert_eq!(
        table.column("epochs_trained").unwrap().text(1).unwrap(),
        "5"
    );

    let path = dir.path().join("epochs.csv");
    let run = history.get(id).unwrap();
    write_history_csv(&run.history, &path).unwrap();
    let table = load_csv(&path).unwrap();
    assert_eq!(table.n_rows(), 5);
    let names: Vec<&str> = table.column_names().collect();
    assert_eq!(
        names,
        [
            "epoch",
            "train_loss",
            "valid_loss",
            "accuracy",
            "auc",
            "seconds"
        ]
    );
    for (row, report) in run.history.iter().enumerate() {
        let epoch: f64 = table
            .column("epoch")
            .unwrap()
            .text(row)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(epoch as usize, report.epoch);
        let loss: f64 = table
            .column("valid_loss")
            .unwrap()
            .text(row)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(loss, report.valid_loss);
    }
    // The in-memory parser agrees with the file loader.
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(parse_csv(&bytes).unwrap(), table);
}

/// A table as CSV inference reads it back (settings are written as text,
/// and numeric-looking ones come back as numbers).
fn through_csv(table: &Table) -> Table {
    let mut buf = Vec::new();
    purchase_lab::data::write::write_table(table, &mut buf).unwrap();
    parse_csv(&buf).unwrap()
}

#[test]
fn the_default_path_is_in_a_data_directory() {
    if let Some(path) = History::default_path() {
        assert!(path.ends_with("history.json"), "{}", path.display());
        assert!(
            path.to_string_lossy().contains("purchase-lab"),
            "{}",
            path.display()
        );
    }
    // A generated source loads exactly what the generator makes.
    let direct = generate(&synth(Preset::Xor, 200, 5)).unwrap();
    assert_eq!(direct, source().load().unwrap());
}

#[test]
fn a_record_from_plain_values_matches_one_from_the_run() {
    // The app only has the curves (worker events): it must record the same.
    let table = source().load().unwrap();
    let recipe = recipe(&table);
    let (spec, mut train) = jumpy_settings();
    train.epochs = 200;
    let run = train_on_cpu(prepared(&table, &recipe), &spec, &train);
    let from_run = RunRecord::from_run(
        &run,
        source(),
        recipe.clone(),
        fingerprint(&table),
        Some(200),
        2.0,
    );
    let mut plain = RunRecord::from_history(
        RunSetup {
            source: source(),
            fingerprint: fingerprint(&table),
            recipe,
            spec,
            train,
            epochs: Some(200),
            trees: None,
        },
        run.device_description().to_owned(),
        2.0,
        run.history().to_vec(),
        run.outcome(),
    );
    plain.created_unix = from_run.created_unix;
    assert_eq!(plain, from_run);
    assert_eq!(plain.stopped_early, run.stopped_early());
}

/// Found by fuzzing: a run id of `u64::MAX` overflowed when the next id was
/// worked out (a panic on the next save). Such a run is now a damaged run.
#[test]
fn a_run_id_too_large_to_follow_is_a_damaged_run() {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fuzz/seeds/history_file/three_runs.json"
    ))
    .unwrap();
    let text = seed
        .replacen("\"id\":1,", "\"id\":18446744073709551615,", 1)
        .replacen("\"next_id\":4", "\"next_id\":18446744073709551615", 1);
    assert_ne!(text, seed);
    let (mut history, problem) = History::from_json(text.as_bytes());
    assert_eq!(
        problem.as_deref(),
        Some(
            "1 of its 3 runs could not be read, the first because of run 1: id \
             18446744073709551615 is larger than 9007199254740992"
        )
    );
    assert_eq!(history.records.len(), 2);
    let copy = history.records[0].clone();
    let id = history.add(copy);
    // Past the largest id the smallest free one is used.
    assert_eq!(id, 1);
    let (back, problem) = History::from_json(&history.to_json().unwrap());
    assert_eq!((back.records.len(), problem), (3, None));
}

#[test]
fn precision_with_nobody_predicted_positive_is_no_value_not_zero() {
    let mut r = record(0.02, vec![4], 1);
    let nobody = purchase_lab::model::metrics::ClassificationMetrics::compute(
        &[0.1, 0.2, 0.3],
        &[0.0, 1.0, 1.0],
        0.5,
    )
    .unwrap();
    r.valid_metrics = Some(purchase_lab::model::run::Metrics::Classification(nobody));
    assert_eq!(Metric::Precision.value(&r), None);
    assert!(Metric::Recall.value(&r).is_some());
}

/// A multi-class run in the history: kept without its per-epoch ROC
/// curves (one per class), read back equal, and ranked by its macro AUC
/// and macro F1 on the validation rows.
#[test]
fn a_multi_class_run_is_recorded_compacted_and_ranked_by_macro_figures() {
    let table = parse_csv(cli::segments_csv(300, 4).as_bytes()).unwrap();
    let mut recipe = Recipe::new(&table, "plan", purchase_lab::data::Problem::Multiclass);
    recipe.features = vec!["age".into(), "income".into(), "usage".into()];
    let train = TrainSettings {
        learning_rate: 0.02,
        epochs: 4,
        ..TrainSettings::default()
    };
    let mut run = train_on_cpu(prepared(&table, &recipe), &NetworkSpec::default(), &train);
    run.finish().unwrap();
    let source = Source::File("segments.csv".into());
    let record = RunRecord::from_run(&run, source, recipe, fingerprint(&table), Some(4), 1.0);
    let mut history = History::default();
    let id = history.add(record);
    let kept = history.get(id).unwrap();
    for report in &kept.history {
        let Metrics::Multiclass(m) = &report.metrics else {
            panic!("a multi-class epoch");
        };
        assert!(m.per_class.iter().all(|f| f.roc.is_empty()));
    }
    let Some(Metrics::Multiclass(valid)) = &kept.valid_metrics else {
        panic!("multi-class validation metrics");
    };
    assert_eq!(Metric::Auc.value(kept), valid.macro_auc);
    assert_eq!(Metric::F1.value(kept), Some(valid.macro_avg.f1));
    assert_eq!(Setting::Problem.value(kept), "multi-class");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.json");
    history.save(&path).unwrap();
    assert_eq!(History::load(&path).unwrap().history, history);
}
