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
use purchase_lab::model::surface::{SurfaceRequest, compute_surface};
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
    tree_run_with(
        TreeSettings {
            trees: rounds,
            ..TreeSettings::default()
        },
        rounds,
    )
}

/// A run of `settings` on the circle data after `rounds` rounds.
fn tree_run_with(
    settings: TreeSettings,
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
    let model = ModelSpec::Trees { settings };
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
fn the_surface_of_a_stump_is_a_single_axis_aligned_step() {
    let stump = TreeSettings {
        trees: 1,
        max_depth: 1,
        ..TreeSettings::default()
    };
    let (run, _, _) = tree_run_with(stump, 1);
    let surface = compute_surface(
        &run,
        &SurfaceRequest {
            resolution: 40,
            with_units: true,
            ..SurfaceRequest::new("x1", "x2")
        },
    )
    .unwrap();
    let n = surface.resolution;
    let at = |i: usize, j: usize| surface.values[j * n + i];
    let mut distinct = surface.values.clone();
    distinct.sort_by(f32::total_cmp);
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "one split, two leaves: {distinct:?}");
    // The one split is on x1 or on x2: the grid is constant along the
    // other axis, and along the split's axis it changes exactly once.
    let along_x: Vec<f32> = (0..n).map(|i| at(i, 0)).collect();
    let along_y: Vec<f32> = (0..n).map(|j| at(0, j)).collect();
    let steps = |line: &[f32]| line.windows(2).filter(|w| w[0] != w[1]).count();
    let (split_on_x, constant_lines) = if steps(&along_x) == 1 {
        (true, (0..n).all(|j| (0..n).all(|i| at(i, j) == along_x[i])))
    } else {
        (
            false,
            (0..n).all(|i| (0..n).all(|j| at(i, j) == along_y[j])),
        )
    };
    assert!(
        constant_lines,
        "the step is not a straight, axis-aligned line"
    );
    assert_eq!(steps(if split_on_x { &along_x } else { &along_y }), 1);
    // The importance shown instead of the diagram: all of it on the split
    // feature, and nothing on the other.
    let importance: f64 = surface.importance.iter().map(|(_, s)| s).sum();
    assert!((importance - 1.0).abs() < 1e-9, "{:?}", surface.importance);
    let split = if split_on_x { "x1" } else { "x2" };
    assert!(
        surface
            .importance
            .iter()
            .any(|(c, s)| c == split && (s - 1.0).abs() < 1e-9),
        "{:?}",
        surface.importance
    );
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

#[test]
fn baselines_fit_once_on_the_split_and_stop_when_cancelled() {
    use purchase_lab::model::Task;
    use purchase_lab::tune::baseline::{baselines, fit};
    use std::sync::atomic::AtomicBool;

    let table = generate(&runs::synth(Preset::Circle, 400, 3)).unwrap();
    let recipe = runs::classification(&table, Preset::Circle);
    let prepared = runs::prepared(&table, &recipe);
    let models = baselines(Task::Classification);
    let names: Vec<&str> = models.iter().map(|b| b.name).collect();
    assert_eq!(names, ["boosted trees (defaults)", "logistic regression"]);
    let go = AtomicBool::new(false);
    let accuracy = |b| {
        let result = fit(prepared.clone(), b, &go).unwrap().unwrap();
        assert!(result.units > 0);
        result.valid.headline().1
    };
    let (trees, logistic) = (accuracy(&models[0]), accuracy(&models[1]));
    // A ring around a blob: trees carve it, a straight line cannot.
    assert!(trees > 0.9, "trees {trees}");
    assert!(
        logistic < trees - 0.15,
        "logistic {logistic} vs trees {trees}"
    );
    let stop = AtomicBool::new(true);
    assert!(fit(prepared, &models[0], &stop).unwrap().is_none());
}

#[test]
fn a_tree_sweep_ranks_its_runs_in_a_table_and_json_lines() {
    let visits = shipped("visits.csv");
    let common = classify(
        "sweep",
        &visits,
        ["purchased", "yes"],
        &[
            "--model",
            "gbm",
            "--lr",
            "0.05,0.3",
            "--depth",
            "1,3",
            "--trees",
            "25",
            "--backend",
            "cpu",
        ],
    );
    let o = purchase_lab(&common);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        &header[..5],
        ["rank", "lr", "max_depth", "trees", "auc"],
        "{text}"
    );
    let aucs: Vec<f64> = lines[1..5]
        .iter()
        .map(|l| l.split_whitespace().nth(4).unwrap().parse().unwrap())
        .collect();
    assert!(aucs.windows(2).all(|w| w[0] >= w[1]), "{text}");
    assert!(lines[5].starts_with("best (highest auc): lr "), "{text}");

    let mut json = common.clone();
    json.extend(["--json", "--no-early-stop"]);
    let o = purchase_lab(&json);
    assert!(o.status.success(), "{}", stderr(&o));
    let runs: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 4);
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run["rank"], i + 1);
        assert_eq!(run["family"], "trees");
        assert_eq!(run["epochs"], 25, "every round trained: {run}");
        assert_eq!(run["trees"]["trees"], 25);
        assert!(run["hidden"].is_null(), "no network settings: {run}");
        assert!(run["params"]["max_depth"].is_number());
    }

    // A network-only list is refused before anything trains.
    let err = cli::fails(&classify(
        "sweep",
        &visits,
        ["purchased", "yes"],
        &["--model", "gbm", "--dropout", "0.1", "--backend", "cpu"],
    ));
    assert!(
        err.contains("dropout does not apply to boosted trees"),
        "{err}"
    );
}

#[test]
fn trees_read_missing_values_as_missing_and_a_network_refuses_them() {
    use purchase_lab::data::prep::{Impute, Scale};
    use purchase_lab::model::run::RunError;
    use purchase_lab::model::{NetworkSpec, TrainSettings};

    // Buyers spend long visits; a missing `minutes` means a buyer too, so
    // only a model that sees "missing" as such can learn it.
    let mut text = String::from("minutes,pages,bought\n");
    for i in 0..300 {
        let (minutes, bought) = match i % 3 {
            0 => (String::new(), "yes"),
            1 => (format!("{}", 20 + i % 7), "yes"),
            _ => (format!("{}", 2 + i % 5), "no"),
        };
        text.push_str(&format!("{minutes},{},{bought}\n", i % 11));
    }
    let table = purchase_lab::data::parse_csv(text.as_bytes()).unwrap();
    let asked = purchase_lab::data::Recipe::new(
        &table,
        "bought",
        purchase_lab::data::Problem::Classification {
            positive: "yes".into(),
        },
    );
    let recipe = Family::Trees.recipe_for(&asked);
    assert_eq!(
        (recipe.impute, recipe.scale),
        (Impute::KeepMissing, Scale::None)
    );
    assert_eq!(Family::Network.recipe_for(&asked), asked);
    let prepared = runs::prepared(&table, &recipe);
    assert!(prepared.train.x.data.iter().any(|v| v.is_nan()));
    let device = select_device(BackendChoice::Cpu).unwrap();
    let trees = ModelSpec::Trees {
        settings: TreeSettings {
            trees: 20,
            max_depth: 2,
            ..TreeSettings::default()
        },
    };
    let mut run = TrainingRun::with_model(prepared.clone(), &trees, &device).unwrap();
    for _ in 0..20 {
        run.run_epoch().unwrap();
    }
    let outcome = run.finish().unwrap();
    let (_, accuracy) = outcome.test_metrics.headline();
    assert!(
        accuracy > 0.95,
        "missing routed with the buyers: {accuracy}"
    );
    // The model file keeps the recipe: a scored row without `minutes` is
    // still a buyer.
    let bundle = Bundle::from_run(&run, &recipe).unwrap();
    let loaded = LoadedModel::new(bundle, &device).unwrap();
    let blank = purchase_lab::data::parse_csv(b"minutes,pages\n,3\n4,3\n").unwrap();
    let p = loaded.predict_table(&blank).unwrap();
    assert!(p[0] > 0.8 && p[1] < 0.2, "{p:?}");

    let network = ModelSpec::Network {
        spec: NetworkSpec::default(),
        settings: TrainSettings::default(),
    };
    let refused = TrainingRun::with_model(prepared, &network, &device).unwrap_err();
    assert_eq!(refused, RunError::MissingForNetwork);
}
