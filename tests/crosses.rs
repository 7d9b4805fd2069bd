//! Feature crosses end to end (issue 18): a network without hidden layers
//! separates the circle only with x1² and x2²; the decision surface
//! computes the crosses from its two axes; a model file keeps them; and
//! `train --cross` / `predict` on the command line, with clear errors;
//! `generate` writes the new presets.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;
#[path = "common/runs.rs"]
mod runs;

use cli::{Dir, fails, ok, predict_args, train_args};
use purchase_lab::data::prep::Cross;
use purchase_lab::data::{Column, Preset, Table, generate};
use purchase_lab::model::bundle::{Bundle, LoadedModel};
use purchase_lab::model::run::{Metrics, TrainingRun};
use purchase_lab::model::surface::{SurfaceRequest, compute_surface};
use purchase_lab::model::{BackendChoice, NetworkSpec, TrainSettings, select_device};
use runs::{classification, prepared, synth, train_on_cpu};

fn circle() -> Table {
    generate(&synth(Preset::Circle, 600, 7)).unwrap()
}

fn square(column: &str) -> Cross {
    Cross::Square {
        column: column.into(),
    }
}

/// A network with no hidden layer (logistic regression) on the circle,
/// with `crosses`, trained 60 epochs at Adam 0.05 on the CPU.
fn logistic(table: &Table, crosses: Vec<Cross>) -> (TrainingRun, purchase_lab::data::Recipe) {
    let mut recipe = classification(table, Preset::Circle);
    recipe.crosses = crosses;
    let spec = NetworkSpec {
        hidden: Vec::new(),
        dropout: 0.0,
        ..NetworkSpec::default()
    };
    let train = TrainSettings {
        learning_rate: 0.05,
        epochs: 60,
        ..TrainSettings::default()
    };
    (
        train_on_cpu(prepared(table, &recipe), &spec, &train),
        recipe,
    )
}

fn test_auc(run: &TrainingRun) -> f64 {
    match run.test_metrics(0.5).unwrap() {
        Metrics::Classification(m) => m.auc.unwrap(),
        Metrics::Regression(_) | Metrics::Multiclass(_) => panic!("a yes/no classification"),
    }
}

#[test]
fn only_squares_let_a_network_without_hidden_layers_separate_the_circle() {
    let table = circle();
    let (plain, _) = logistic(&table, Vec::new());
    let (crossed, _) = logistic(&table, vec![square("x1"), square("x2")]);
    let (without, with) = (test_auc(&plain), test_auc(&crossed));
    assert!(without < 0.7, "a straight line cannot: AUC {without}");
    assert!(with > 0.97, "x1² + x2² is the radius: AUC {with}");
}

#[test]
fn the_surface_computes_crosses_from_its_axes_and_the_model_file_keeps_them() {
    let table = circle();
    let (run, recipe) = logistic(&table, vec![square("x1"), square("x2")]);
    let request = SurfaceRequest {
        resolution: 9,
        ..SurfaceRequest::new("x1", "x2")
    };
    let surface = compute_surface(&run, &request).unwrap();
    // Each cell as a customer of its own, through the pipeline: the same
    // answer as the grid's.
    let n = surface.resolution;
    let (mut x1, mut x2) = (Vec::new(), Vec::new());
    for j in 0..n {
        for i in 0..n {
            x1.push(surface.x.value(i, n));
            x2.push(surface.y.value(j, n));
        }
    }
    let cells = Table::new(vec![Column::numeric("x1", x1), Column::numeric("x2", x2)]).unwrap();
    let pipeline = &run.prepared().pipeline;
    let direct = run.predict(&pipeline.transform(&cells).unwrap()).unwrap();
    for (k, (a, b)) in surface.values.iter().zip(&direct).enumerate() {
        assert!((a - b).abs() < 1e-6, "cell {k}: grid {a}, customer {b}");
    }
    // Orange is inside: the centre is orange, the corners are not.
    let centre = surface.values[(n / 2) * n + n / 2];
    assert!(centre > 0.9 && surface.values[0] < 0.1, "{centre}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("circle.plab");
    Bundle::from_run(&run, &recipe)
        .unwrap()
        .save(&path)
        .unwrap();
    let device = select_device(BackendChoice::Cpu).unwrap();
    let loaded = LoadedModel::new(Bundle::load(&path).unwrap(), &device).unwrap();
    assert_eq!(loaded.meta.pipeline.crosses, pipeline.crosses);
    assert_eq!(loaded.meta.recipe.crosses, recipe.crosses);
    assert_eq!(loaded.predict_table(&cells).unwrap(), direct);
}

/// The circle as a CSV in `dir`.
fn circle_csv(dir: &Dir) -> String {
    let mut text = Vec::new();
    purchase_lab::data::write::write_table(&circle(), &mut text).unwrap();
    dir.file("circle.csv", text)
}

#[test]
fn train_with_crosses_and_predict_compute_them_from_the_raw_columns() {
    let dir = Dir::new();
    let data = circle_csv(&dir);
    let model = dir.path("m.plab");
    ok(&train_args(
        &data,
        &[
            "--target",
            "class",
            "--positive",
            "orange",
            "--hidden",
            "0",
            "--epochs",
            "40",
            "--lr",
            "0.05",
            "--cross",
            "sq:x1",
            "--cross",
            "x2^2",
            "--cross",
            "x1*x2",
            "--out",
            &model,
        ],
    ));
    let device = select_device(BackendChoice::Cpu).unwrap();
    let loaded =
        LoadedModel::new(Bundle::load(std::path::Path::new(&model)).unwrap(), &device).unwrap();
    assert_eq!(
        loaded.meta.pipeline.feature_names(),
        ["x1", "x2", "x1²", "x2²", "x1·x2"]
    );
    // Scoring a file with the raw columns only (in another order).
    let later = dir.file("later.csv", "x2,x1\n0,0\n4.5,0\n0.2,-0.3\n");
    let scored = dir.path("scored.csv");
    ok(&predict_args(&model, &later, &scored, &[]));
    let mut reader = csv::Reader::from_path(&scored).unwrap();
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "probability")
        .unwrap();
    let probabilities: Vec<f64> = reader
        .records()
        .map(|r| r.unwrap()[at].parse().unwrap())
        .collect();
    let table = Table::new(vec![
        Column::numeric("x2", vec![0.0, 4.5, 0.2]),
        Column::numeric("x1", vec![0.0, 0.0, -0.3]),
    ])
    .unwrap();
    let want = loaded.predict_table(&table).unwrap();
    for (got, want) in probabilities.iter().zip(&want) {
        assert!((got - f64::from(*want)).abs() < 1e-6, "{got} vs {want}");
    }
    assert!(
        probabilities[0] > 0.8 && probabilities[1] < 0.2,
        "{probabilities:?}"
    );
}

#[test]
fn a_cross_of_an_unknown_or_categorical_column_is_refused_by_name() {
    let dir = Dir::new();
    let data = circle_csv(&dir);
    let base = ["--target", "class", "--positive", "orange", "--epochs", "1"];
    let with = |cross: &str| {
        let mut args = base.to_vec();
        args.extend_from_slice(&["--cross", cross]);
        fails(&train_args(&data, &args))
    };
    let err = with("x1*x3");
    assert!(
        err.contains("cross `x1*x3` uses `x3`, which is not a column of the data"),
        "{err}"
    );
    let err = with("sq:class");
    assert!(err.contains("`class`"), "{err}");
    let err = with("x1+x2");
    assert!(err.contains("`x1+x2` is not a cross"), "{err}");
}

#[test]
fn generate_writes_the_segments_and_blobs3_presets() {
    for (preset, header, levels) in [
        (
            "segments",
            "age,income,household_size,monthly_usage_hours,devices,plan",
            vec!["basic", "family", "plus", "premium"],
        ),
        ("blobs3", "x1,x2,class", vec!["blue", "green", "orange"]),
    ] {
        let (out, _) = ok(&[
            "generate", "--preset", preset, "--rows", "400", "--seed", "3",
        ]);
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(header), "{preset}");
        let mut seen: Vec<&str> = lines.map(|l| l.rsplit(',').next().unwrap()).collect();
        assert_eq!(seen.len(), 400, "{preset}");
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, levels, "{preset}");
        let (again, _) = ok(&[
            "generate", "--preset", preset, "--rows", "400", "--seed", "3",
        ]);
        assert_eq!(again, out, "{preset}: the same seed, the same rows");
    }
}

#[test]
fn generate_refuses_a_balance_segments_would_not_honour() {
    // segments' plan shares follow from its customers: a --balance there
    // would be dropped, so it is refused with the reason.
    let err = fails(&[
        "generate",
        "--preset",
        "segments",
        "--rows",
        "100",
        "--balance",
        "0.2",
    ]);
    assert!(
        err.contains("--balance 0.2 does not apply to `segments`"),
        "{err}"
    );
    // Left out, the preset generates; given for a preset that uses it, it
    // sets the positive share.
    ok(&["generate", "--preset", "segments", "--rows", "100"]);
    let (out, _) = ok(&[
        "generate",
        "--preset",
        "circle",
        "--rows",
        "100",
        "--balance",
        "0.2",
    ]);
    let orange = out
        .lines()
        .skip(1)
        .filter(|l| l.ends_with(",orange"))
        .count();
    assert_eq!(orange, 20, "{out}");
}
