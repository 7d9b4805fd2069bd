//! `purchase-lab evaluate` end to end: a model trained by `train` and
//! evaluated on a file with known outcomes; the JSON, the text and the CSV
//! files carry the same numbers.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;
use cli::{Dir, classify, fails, ok, shipped};

/// A classifier of `assets/visits.csv` saved in `dir`.
fn visits_model(dir: &Dir) -> String {
    let model = dir.path("visits.plab");
    let data = shipped("visits.csv");
    let args = classify(
        "train",
        &data,
        ["purchased", "yes"],
        &["--epochs", "20", "--out", &model, "--backend", "cpu"],
    );
    ok(&args);
    model
}

fn evaluate_args<'a>(model: &'a str, data: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec![
        "evaluate",
        "--model",
        model,
        "--data",
        data,
        "--backend",
        "cpu",
    ];
    all.extend_from_slice(args);
    all
}

#[test]
fn evaluate_reports_gains_profit_calibration_importance_and_dependence() {
    let dir = Dir::new();
    let model = visits_model(&dir);
    let data = shipped("visits.csv");
    let out_dir = dir.path("views");
    let (json, _) = ok(&evaluate_args(
        &model,
        &data,
        &["--json", "--out-dir", &out_dir],
    ));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["metric"], "auc");
    assert!(v["score"].as_f64().unwrap() > 0.8, "{}", v["score"]);
    let deciles = v["gains"]["deciles"].as_array().unwrap();
    assert_eq!(deciles.len(), 10);
    let last_gain = deciles[9]["cumulative_gain"].as_f64().unwrap();
    assert!((last_gain - 1.0).abs() < 1e-9);
    // A model better than random reaches more than 10% of buyers in the
    // first decile: its lift is above 1.
    assert!(deciles[0]["lift"].as_f64().unwrap() > 1.2);
    let best = v["profit"]["best"].as_u64().unwrap() as usize;
    let points = v["profit"]["points"].as_array().unwrap();
    let best_profit = points[best]["profit"].as_f64().unwrap();
    assert!(
        points
            .iter()
            .all(|p| p["profit"].as_f64().unwrap() <= best_profit)
    );
    let brier = v["calibration"]["brier"].as_f64().unwrap();
    assert!((0.0..0.25).contains(&brier), "{brier}");
    let columns: Vec<&str> = v["importance"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["column"].as_str().unwrap())
        .collect();
    let mut sorted = columns.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["pages_visited", "visit_minutes"]);
    assert_eq!(v["dependence"]["feature"], columns[0]);
    assert_eq!(
        v["dependence"]["average"].as_array().unwrap().len(),
        v["dependence"]["grid"].as_array().unwrap().len()
    );

    // The CSV files hold the same deciles.
    let deciles_csv = std::fs::read_to_string(format!("{out_dir}/deciles.csv")).unwrap();
    let lines: Vec<&str> = deciles_csv.lines().collect();
    assert_eq!(lines.len(), 11);
    assert!(lines[0].starts_with("decile,customers,buyers,"));
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(first[1], deciles[0]["customers"].to_string());
    for name in ["gains", "profit", "calibration", "importance", "dependence"] {
        assert!(
            std::path::Path::new(&format!("{out_dir}/{name}.csv")).exists(),
            "{name}.csv"
        );
    }

    // The text names every view.
    let (text, _) = ok(&evaluate_args(&model, &data, &[]));
    for part in [
        "cumulative gains and lift",
        "best threshold",
        "Brier score",
        "permutation importance",
        "partial dependence on",
    ] {
        assert!(text.contains(part), "{part} missing in:\n{text}");
    }
}

#[test]
fn evaluate_needs_the_target_column_and_names_unseen_labels() {
    let dir = Dir::new();
    let model = visits_model(&dir);
    let no_target = dir.file("new.csv", "visit_minutes,pages_visited\n3.0,4\n");
    let err = fails(&evaluate_args(&model, &no_target, &[]));
    assert!(err.contains("no `purchased` column"), "{err}");
    let odd = dir.file(
        "odd.csv",
        "visit_minutes,pages_visited,purchased\n3.0,4,no\n30.0,20,yes\n12,9,maybe\n2,1,\n25,18,yes\n1,2,no\n",
    );
    let (_, err) = ok(&evaluate_args(&model, &odd, &[]));
    assert!(err.contains("maybe"), "{err}");
    assert!(err.contains("1 rows without a `purchased` value"), "{err}");
}
