//! Honest evaluation (issue 14): a run learns from its training rows, is
//! judged every epoch on validation rows, puts back its best weights when
//! early stopping ends it, chooses its threshold on validation rows, weights
//! classes on request, and scores the test rows only at the end; `train`
//! reports all of it, cross-validates and exports its split.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;
#[path = "common/runs.rs"]
mod runs;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use purchase_lab::data::{Preset, generate};
use purchase_lab::model::metrics::best_f1_threshold;
use purchase_lab::model::run::{Metrics, TrainingRun};
use purchase_lab::model::{
    BackendChoice, ClassWeight, ModelSpec, NetworkSpec, TrainSettings, select_device,
};
use purchase_lab::tune::cv::cross_validate;

use cli::{Dir, classify, ok};
use runs::{classification, jumpy_settings, prepared, synth, train_on_cpu};

#[test]
fn early_stopping_restores_the_weights_of_the_best_validation_epoch() {
    let table = generate(&synth(Preset::Visits, 120, 3)).unwrap();
    let recipe = classification(&table, Preset::Visits);
    let (spec, train) = jumpy_settings();
    let mut run = train_on_cpu(prepared(&table, &recipe), &spec, &train);
    assert!(run.stopped_early(), "the jumpy settings stop early");
    let best = run.best_epoch().unwrap();
    assert!(best < run.epoch(), "later epochs were worse");
    let best_loss = run.history()[best - 1].valid_loss;
    let last_loss = run.history().last().unwrap().valid_loss;
    assert!(last_loss > best_loss);

    let outcome = run.finish().unwrap();
    assert!(outcome.restored_best);
    assert_eq!(outcome.best_epoch, Some(best));
    assert_eq!(outcome.epochs, run.epoch(), "the epoch count is kept");
    // The model now scores the validation rows exactly as after `best`.
    let device = select_device(BackendChoice::Cpu).unwrap();
    let mut replay = TrainingRun::new(run.prepared().clone(), &spec, &train, &device).unwrap();
    for _ in 0..best {
        replay.run_epoch().unwrap();
    }
    let valid = &run.prepared().valid.x;
    assert_eq!(run.predict(valid).unwrap(), replay.predict(valid).unwrap());
}

#[test]
fn without_early_stopping_the_last_weights_stay() {
    let table = generate(&synth(Preset::Visits, 120, 3)).unwrap();
    let recipe = classification(&table, Preset::Visits);
    let (spec, mut train) = jumpy_settings();
    train.early_stopping = None;
    train.epochs = 12;
    let mut run = train_on_cpu(prepared(&table, &recipe), &spec, &train);
    let before = run.predict(&run.prepared().valid.x).unwrap();
    let outcome = run.finish().unwrap();
    assert!(!outcome.restored_best);
    assert_eq!(run.predict(&run.prepared().valid.x).unwrap(), before);
}

#[test]
fn the_threshold_is_the_best_validation_f1_and_test_metrics_use_it() {
    let table = generate(&synth(Preset::Customers, 600, 5)).unwrap();
    let recipe = classification(&table, Preset::Customers);
    let train = TrainSettings {
        epochs: 15,
        ..TrainSettings::default()
    };
    let mut run = train_on_cpu(prepared(&table, &recipe), &NetworkSpec::default(), &train);
    let outcome = run.finish().unwrap();
    let valid = &run.prepared().valid;
    let scores = run.predict(&valid.x).unwrap();
    let (expected, best_f1) = best_f1_threshold(&scores, &valid.y).unwrap();
    assert_eq!(outcome.threshold, Some(expected));
    let Metrics::Classification(v) = &outcome.valid_metrics else {
        panic!("classification");
    };
    assert!((v.f1 - best_f1).abs() < 1e-12);
    let Metrics::Classification(t) = &outcome.test_metrics else {
        panic!("classification");
    };
    assert_eq!(t.threshold, expected);
    let total: u64 = t.confusion.iter().flatten().sum();
    assert_eq!(total as usize, run.prepared().test.x.rows);
}

#[test]
fn epochs_are_judged_on_validation_rows_and_test_rows_only_when_watched() {
    let table = generate(&synth(Preset::Visits, 300, 2)).unwrap();
    let recipe = classification(&table, Preset::Visits);
    let device = select_device(BackendChoice::Cpu).unwrap();
    let prepared = prepared(&table, &recipe);
    let mut run = TrainingRun::new(
        prepared.clone(),
        &NetworkSpec::default(),
        &TrainSettings::default(),
        &device,
    )
    .unwrap();
    let report = run.run_epoch().unwrap();
    assert!(report.test_metrics.is_none(), "test rows unseen by default");
    assert_eq!(report.metrics, run.valid_metrics(0.5).unwrap());
    run.watch_test_rows(true);
    let report = run.run_epoch().unwrap();
    assert_eq!(report.test_metrics, Some(run.test_metrics(0.5).unwrap()));
}

#[test]
fn balanced_class_weights_are_n_over_twice_the_class_count_and_raise_recall() {
    // 12% buyers: unweighted, a short run predicts hardly anyone buys.
    let table = generate(&purchase_lab::data::SynthSettings {
        balance: 0.12,
        ..synth(Preset::Customers, 1500, 8)
    })
    .unwrap();
    let recipe = classification(&table, Preset::Customers);
    let prepared = prepared(&table, &recipe);
    let n = prepared.train.y.len() as f32;
    let positives = prepared.train.y.iter().filter(|&&y| y > 0.5).count() as f32;
    let base = TrainSettings {
        epochs: 4,
        ..TrainSettings::default()
    };
    let weighted = TrainSettings {
        class_weight: ClassWeight::Balanced,
        ..base.clone()
    };
    let spec = NetworkSpec::default();
    let plain = train_on_cpu(prepared.clone(), &spec, &base);
    let balanced = train_on_cpu(prepared, &spec, &weighted);
    let [w0, w1] = balanced.class_weights().unwrap();
    assert!((w0 - n / (2.0 * (n - positives))).abs() < 1e-4);
    assert!((w1 - n / (2.0 * positives)).abs() < 1e-4);
    assert_eq!(plain.class_weights(), None);
    let recall = |run: &TrainingRun| match run.valid_metrics(0.5).unwrap() {
        Metrics::Classification(m) => m.recall,
        Metrics::Regression(_) | Metrics::Multiclass(_) => unreachable!(),
    };
    assert!(
        recall(&balanced) > recall(&plain),
        "balanced {} vs plain {}",
        recall(&balanced),
        recall(&plain)
    );
}

#[test]
fn cross_validation_scores_every_fold_on_rows_it_did_not_train_on() {
    let table = generate(&synth(Preset::Visits, 200, 4)).unwrap();
    let recipe = classification(&table, Preset::Visits);
    let device = select_device(BackendChoice::Cpu).unwrap();
    let model = ModelSpec::Network {
        spec: NetworkSpec::default(),
        settings: TrainSettings {
            epochs: 5,
            ..TrainSettings::default()
        },
    };
    let mut seen = Vec::new();
    let report = cross_validate(
        &table,
        &recipe,
        4,
        &|_| model.clone(),
        &device,
        &AtomicBool::new(false),
        &mut |fold, epoch| seen.push((fold, epoch)),
    )
    .unwrap();
    assert_eq!(report.folds.len(), 4);
    assert_eq!(seen.len(), 20, "5 epochs in each of 4 folds");
    let auc = &report.summary.metrics["roc_auc"];
    assert_eq!(auc.per_fold.len(), 4);
    let mean = auc.per_fold.iter().flatten().sum::<f64>() / 4.0;
    assert!((auc.mean - mean).abs() < 1e-12);
    let cancelled = cross_validate(
        &table,
        &recipe,
        4,
        &|_| model.clone(),
        &device,
        &AtomicBool::new(true),
        &mut |_, _| {},
    );
    assert!(cancelled.is_err());
}

#[test]
fn train_reports_validation_and_test_saves_the_threshold_and_predict_uses_it() {
    let dir = Dir::new();
    let data = dir.path("customers.csv");
    ok(&[
        "generate",
        "--preset",
        "customers",
        "--rows",
        "400",
        "--seed",
        "3",
        "-o",
        &data,
    ]);
    let model = dir.path("m.plab");
    let (out, _) = ok(&classify(
        "train",
        &data,
        ["purchased", "yes"],
        &[
            "--backend",
            "cpu",
            "--json",
            "--out",
            &model,
            "--class-weight",
            "balanced",
        ],
    ));
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let threshold = json["threshold"].as_f64().unwrap();
    assert!(json["validation"]["auc"].is_number());
    assert!(json["test"]["auc"].is_number());
    assert_eq!(
        json["valid_rows"].as_u64().unwrap() + json["train_rows"].as_u64().unwrap(),
        320
    );
    assert!(json["class_weights"].is_array());
    // Fitted to 272 training rows: batch 17, 16 steps an epoch.
    assert_eq!(json["batch_size"], 17);
    assert_eq!(json["patience"], 38);

    let scored = dir.path("scored.csv");
    ok(&["predict", "--model", &model, "--data", &data, "-o", &scored]);
    let text = std::fs::read_to_string(&scored).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let p = header.iter().position(|h| *h == "probability").unwrap();
    let l = header.len() - 1;
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let prob: f64 = cells[p].parse().unwrap();
        let label = cells[l];
        assert_eq!(label == "yes", prob >= threshold, "{line}");
    }
}

#[test]
fn train_cv_and_export_split_describe_the_same_rows() {
    let dir = Dir::new();
    let data = dir.path("visits.csv");
    ok(&[
        "generate", "--preset", "visits", "--rows", "250", "--seed", "9", "-o", &data,
    ]);
    let split = dir.path("split.json");
    let (out, _) = ok(&classify(
        "train",
        &data,
        ["purchased", "yes"],
        &[
            "--backend",
            "cpu",
            "--json",
            "--cv",
            "3",
            "--epochs",
            "5",
            "--export-split",
            &split,
        ],
    ));
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let cv = &json["cross_validation"];
    assert_eq!(cv["folds"], 3);
    assert_eq!(
        cv["metrics"]["roc_auc"]["per_fold"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let split: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&split).unwrap()).unwrap();
    let rows = split["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 250);
    let count = |part: &str| rows.iter().filter(|r| r["part"] == part).count() as u64;
    assert_eq!(count("test"), json["test_rows"].as_u64().unwrap());
    assert_eq!(count("validation"), json["valid_rows"].as_u64().unwrap());
    assert_eq!(count("train"), json["train_rows"].as_u64().unwrap());
    for r in rows {
        assert_eq!(r["fold"].is_null(), r["part"] == "test", "{r}");
        assert_eq!(
            r["x"].as_array().unwrap().len(),
            split["features"].as_array().unwrap().len()
        );
    }
}

#[test]
fn small_files_train_to_a_model_that_predicts_both_classes() {
    // 60 customers: 50 epochs of 2 batches used to predict nobody buys.
    let dir = Dir::new();
    let data = dir.path("small.csv");
    ok(&[
        "generate",
        "--preset",
        "customers",
        "--rows",
        "60",
        "--seed",
        "21",
        "-o",
        &data,
    ]);
    let (out, _) = ok(&classify(
        "train",
        &data,
        ["purchased", "yes"],
        &["--backend", "cpu", "--json"],
    ));
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let confusion = &json["validation"]["confusion"];
    let predicted_positive = confusion[0][1].as_u64().unwrap() + confusion[1][1].as_u64().unwrap();
    let predicted_negative = confusion[0][0].as_u64().unwrap() + confusion[1][0].as_u64().unwrap();
    assert!(
        predicted_positive > 0 && predicted_negative > 0,
        "{confusion}"
    );
}

#[test]
fn sweeps_and_the_history_rank_by_validation_metrics() {
    use purchase_lab::tune::{Metric, RunRecord};
    let table = generate(&synth(Preset::Visits, 200, 6)).unwrap();
    let recipe = classification(&table, Preset::Visits);
    let train = TrainSettings {
        epochs: 6,
        ..TrainSettings::default()
    };
    let mut run = train_on_cpu(prepared(&table, &recipe), &NetworkSpec::default(), &train);
    let outcome = run.finish().unwrap();
    let record = RunRecord::from_run(
        &run,
        purchase_lab::data::Source::Generated(synth(Preset::Visits, 200, 6)),
        recipe,
        purchase_lab::tune::fingerprint(&table),
        Some(6),
        1.0,
    );
    let (Metrics::Classification(v), Metrics::Classification(t)) =
        (&outcome.valid_metrics, &outcome.test_metrics)
    else {
        panic!("classification");
    };
    assert_eq!(Metric::Auc.value(&record), v.auc);
    assert_eq!(Metric::TestAuc.value(&record), t.auc);
    assert_eq!(record.threshold, outcome.threshold);
    assert!(record.final_metrics.is_some() && record.valid_metrics.is_some());
    let _ = Arc::clone(run.prepared());
}
