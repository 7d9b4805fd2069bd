//! The boosted-trees family end to end: trained through a TrainingRun like
//! the network, saved in the one model file format and opened again with
//! identical predictions, and through the CLI (`train --model gbm`,
//! `predict` with the tree model file).

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::sync::Arc;

use purchase_lab::data::{Preset, generate};
use purchase_lab::model::bundle::{Bundle, LoadedModel};
use purchase_lab::model::run::TrainingRun;
use purchase_lab::model::{
    BackendChoice, Family, ModelSpec, TrainingUnit, TreeSettings, select_device,
};

#[path = "common/cli.rs"]
mod cli;
#[path = "common/runs.rs"]
mod runs;

use cli::{classify, predict_args, run as purchase_lab, shipped, stderr, stdout};

fn tree_run(
    rounds: usize,
) -> (
    TrainingRun,
    purchase_lab::data::Table,
    purchase_lab::data::Recipe,
) {
    let table = generate(&runs::synth(Preset::Circle, 400, 3)).unwrap();
    let recipe = runs::classification(&table, Preset::Circle);
    let prepared: Arc<_> = runs::prepared(&table, &recipe);
    let device = select_device(BackendChoice::Cpu).unwrap();
    let model = ModelSpec::Trees {
        settings: TreeSettings {
            trees: rounds,
            ..TreeSettings::default()
        },
    };
    let mut run = TrainingRun::with_model(prepared, &model, &device).unwrap();
    for _ in 0..rounds {
        run.run_epoch().unwrap();
    }
    (run, table, recipe)
}

#[test]
fn a_tree_run_reports_rounds_and_learns_the_circle() {
    let (run, _, _) = tree_run(40);
    assert_eq!(run.learner().unit(), TrainingUnit::Round);
    assert_eq!(run.learner().family(), Family::Trees);
    assert_eq!(run.history().len(), 40);
    let first = &run.history()[0];
    let last = run.history().last().unwrap();
    assert!(last.valid_loss < first.valid_loss, "{first:?} -> {last:?}");
    let (name, accuracy) = last.metrics.headline();
    assert_eq!(name, "accuracy");
    assert!(accuracy > 0.85, "accuracy {accuracy}");
}

#[test]
fn tree_predictions_survive_the_model_file_exactly() {
    let (run, table, recipe) = tree_run(25);
    let bundle = Bundle::from_run(&run, &recipe).unwrap();
    let bytes = bundle.to_bytes().unwrap();
    let opened = Bundle::from_bytes(&bytes).unwrap();
    assert_eq!(opened.meta.family(), Family::Trees);
    assert_eq!(opened.meta.model_spec(), run.model_spec());
    assert_eq!(opened.meta.epochs_trained, 25);
    let device = select_device(BackendChoice::Cpu).unwrap();
    let loaded = LoadedModel::new(opened, &device).unwrap();
    let from_file = loaded.predict_table(&table).unwrap();
    let x = run.prepared().pipeline.transform(&table).unwrap();
    assert_eq!(from_file, run.predict(&x).unwrap());
}

#[test]
fn train_gbm_then_predict_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("trees.plab");
    let history = dir.path().join("h.csv");
    let visits = shipped("visits.csv");
    let o = purchase_lab(&classify(
        "train",
        &visits,
        ["purchased", "yes"],
        &[
            "--model",
            "gbm",
            "--trees",
            "30",
            "--depth",
            "3",
            "--lr",
            "0.2",
            "--backend",
            "cpu",
            "--json",
            "--out",
            model.to_str().unwrap(),
            "--history",
            history.to_str().unwrap(),
        ],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(json["family"], "trees");
    assert_eq!(json["epochs"], 30);
    assert!(json["test"]["accuracy"].as_f64().unwrap() > 0.8, "{json}");
    let h = purchase_lab::data::load_csv(&history).unwrap();
    assert_eq!(h.n_rows(), 30);

    let out = dir.path().join("scored.csv");
    let o = purchase_lab(&predict_args(
        model.to_str().unwrap(),
        &visits,
        out.to_str().unwrap(),
        &[],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let scored = purchase_lab::data::load_csv(&out).unwrap();
    let truth = scored.column("purchased").unwrap();
    let predicted = scored.column("prediction").unwrap();
    let agree = (0..scored.n_rows())
        .filter(|&r| truth.text(r) == predicted.text(r))
        .count();
    assert!(agree > scored.n_rows() * 8 / 10, "{agree} agree");

    // Bad tree settings are one-line errors naming the value.
    let err = cli::fails(&classify(
        "train",
        &visits,
        ["purchased", "yes"],
        &["--model", "gbm", "--depth", "0", "--backend", "cpu"],
    ));
    assert!(err.contains("tree depth 0"), "{err}");
}
