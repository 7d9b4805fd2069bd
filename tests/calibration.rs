//! The calibration step saved with a model (issue 16): fitted on the
//! validation rows when a run finishes, saved in the model file, applied
//! to every score of the opened model; it brings the Brier score down on a
//! deliberately miscalibrated network; `train --calibrate` says what it
//! fitted and `export` refuses a calibrated model rather than drop the map.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;
#[path = "common/runs.rs"]
mod runs;

use std::sync::Arc;

use purchase_lab::data::prep::Part;
use purchase_lab::data::{Prepared, Preset, Recipe, SynthSettings, Table, generate};
use purchase_lab::insights::calibration::{CalibrationMethod, brier_score};
use purchase_lab::model::bundle::{Bundle, LoadedModel};
use purchase_lab::model::metrics::best_f1_threshold;
use purchase_lab::model::{BackendChoice, ClassWeight, NetworkSpec, TrainSettings, select_device};

/// Generated customers: their table, recipe and prepared parts.
fn customers() -> (Table, Recipe, Arc<Prepared>) {
    // Noisy enough that probabilities between 0 and 1 matter.
    let settings = SynthSettings {
        noise: 0.3,
        ..runs::synth(Preset::Customers, 1200, 5)
    };
    let table = generate(&settings).unwrap();
    let recipe = runs::classification(&table, Preset::Customers);
    let prepared = runs::prepared(&table, &recipe);
    (table, recipe, prepared)
}

/// Trains 30 epochs with `calibration` and `class_weight`, finishes, and
/// opens the saved model file.
fn trained(
    recipe: &Recipe,
    prepared: &Arc<Prepared>,
    calibration: Option<CalibrationMethod>,
    class_weight: ClassWeight,
) -> (Bundle, LoadedModel) {
    let spec = NetworkSpec {
        hidden: vec![16],
        ..NetworkSpec::default()
    };
    let settings = TrainSettings {
        epochs: 30,
        learning_rate: 0.01,
        class_weight,
        calibration,
        ..TrainSettings::default()
    };
    let mut run = runs::train_on_cpu(prepared.clone(), &spec, &settings);
    let outcome = run.finish().unwrap();
    assert_eq!(
        outcome.calibration.as_ref().map(|c| c.method()),
        calibration,
        "fitted as asked"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.plab");
    Bundle::from_run(&run, recipe).unwrap().save(&path).unwrap();
    let bundle = Bundle::load(&path).unwrap();
    assert_eq!(bundle.meta.calibration, outcome.calibration);
    assert_eq!(bundle.meta.threshold, outcome.threshold);
    let model = open(bundle.clone());
    (bundle, model)
}

fn open(bundle: Bundle) -> LoadedModel {
    LoadedModel::new(bundle, &select_device(BackendChoice::Cpu).unwrap()).unwrap()
}

/// The rows of one part as a table, and their outcomes.
fn part(table: &Table, prepared: &Prepared, part: Part) -> (Table, Vec<f32>) {
    let rows = prepared.part(part);
    (table.select_rows(&rows.source_rows), rows.y.clone())
}

#[test]
fn a_saved_calibrated_model_predicts_exactly_the_map_of_its_raw_scores() {
    let (table, recipe, prepared) = customers();
    let (test, _) = part(&table, &prepared, Part::Test);
    for method in [CalibrationMethod::Platt, CalibrationMethod::Isotonic] {
        let (bundle, model) = trained(&recipe, &prepared, Some(method), ClassWeight::None);
        let calibrator = bundle.meta.calibration.clone().unwrap();
        let mut raw_bundle = bundle;
        raw_bundle.meta.calibration = None;
        let raw = open(raw_bundle).predict_table(&test).unwrap();
        let calibrated = model.predict_table(&test).unwrap();
        assert_eq!(calibrated, calibrator.apply_all(&raw), "{method:?}");
        assert_ne!(calibrated, raw, "{method:?} changes the scores");
    }
}

#[test]
fn calibration_brings_the_brier_score_down_on_an_overweighted_network() {
    let (table, recipe, prepared) = customers();
    // Positives weighed 8 times: the raw probabilities are far too high.
    let weights = ClassWeight::Custom {
        negative: 1.0,
        positive: 8.0,
    };
    let (_, raw) = trained(&recipe, &prepared, None, weights);
    let (bundle, calibrated) = trained(&recipe, &prepared, Some(CalibrationMethod::Platt), weights);
    let (test, labels) = part(&table, &prepared, Part::Test);
    let before = brier_score(&raw.predict_table(&test).unwrap(), &labels).unwrap();
    let after = brier_score(&calibrated.predict_table(&test).unwrap(), &labels).unwrap();
    assert!(
        after < before,
        "Brier on the test rows: raw {before}, calibrated {after}"
    );
    // The saved threshold is the best F1 of the calibrated validation
    // scores: chosen after calibration.
    let (valid, valid_labels) = part(&table, &prepared, Part::Validation);
    let scores = calibrated.predict_table(&valid).unwrap();
    let best = best_f1_threshold(&scores, &valid_labels).unwrap().0;
    assert_eq!(bundle.meta.threshold, Some(best));
}

#[test]
fn train_says_what_it_fitted_and_export_refuses_a_calibrated_model() {
    let dir = cli::Dir::new();
    let model = dir.path("calibrated.plab");
    let data = cli::shipped("visits.csv");
    let args = cli::classify(
        "train",
        &data,
        ["purchased", "yes"],
        &[
            "--epochs",
            "10",
            "--calibrate",
            "isotonic",
            "--out",
            &model,
            "--backend",
            "cpu",
            "--json",
        ],
    );
    let (json, _) = cli::ok(&args);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["calibration"], "isotonic");
    assert!(
        Bundle::load(std::path::Path::new(&model))
            .unwrap()
            .meta
            .calibration
            .is_some()
    );
    let onnx = dir.path("model.onnx");
    let err = cli::fails(&["export", "--model", &model, "--output", &onnx]);
    assert!(
        err.contains("calibrated (isotonic)") && err.contains("--calibrate platt"),
        "{err}"
    );
    assert!(!std::path::Path::new(&onnx).exists());

    // A regression has no probabilities to calibrate.
    let err = cli::fails(&[
        "train",
        "--data",
        &data,
        "--target",
        "visit_minutes",
        "--regression",
        "--calibrate",
        "platt",
        "--epochs",
        "1",
        "--backend",
        "cpu",
    ]);
    assert!(err.contains("--calibrate"), "{err}");
}
