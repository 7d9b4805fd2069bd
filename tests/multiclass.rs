//! Multi-class targets end to end through the binary: `train --multiclass`
//! prints the per-class table, the model file carries the classes,
//! `predict` writes one probability per class (summing to 1) and the most
//! probable class with the input cells as written, `evaluate` gives the
//! N×N confusion; the boosted trees do the same by softmax boosting; the
//! refusals say what to do instead.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;
use cli::{Dir, fails, ok, predict_args, segments_csv, train_args};

const NETWORK: [&str; 9] = [
    "--target",
    "plan",
    "--multiclass",
    "--features",
    "age,income,usage",
    "--hidden",
    "16",
    "--lr",
    "0.02",
];

#[test]
fn train_predict_and_evaluate_a_three_class_file() {
    let dir = Dir::new();
    let data = dir.file("segments.csv", segments_csv(900, 7));
    let model = dir.path("plan.plab");
    let mut args = train_args(&data, &NETWORK);
    args.extend(["--epochs", "60", "--out", model.as_str()]);
    let (out, _) = ok(&args);
    for needle in [
        "basic",
        "plus",
        "premium",
        "macro avg",
        "weighted avg",
        "log loss",
    ] {
        assert!(out.contains(needle), "{needle} missing in\n{out}");
    }
    let accuracy: f64 = out
        .split("test accuracy ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(accuracy > 0.75, "test accuracy {accuracy}\n{out}");

    // predict: p_<class> per class and the predicted class, input as written.
    let fresh = segments_csv(60, 99);
    let input = dir.file("new.csv", &fresh);
    let scored = dir.path("scored.csv");
    ok(&predict_args(&model, &input, &scored, &[]));
    let text = std::fs::read_to_string(&scored).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,age,income,usage,plan,p_basic,p_plus,p_premium,prediction"
    );
    for (line, original) in lines.zip(fresh.lines().skip(1)) {
        assert!(line.starts_with(original), "{line} vs {original}");
        let cells: Vec<&str> = line.split(',').collect();
        let p: Vec<f64> = cells[5..8].iter().map(|c| c.parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5, "{line}");
        let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(cells[8], ["basic", "plus", "premium"][best], "{line}");
    }
    // serve answers as predict scores: every class, then the class.
    let bundle = purchase_lab::model::bundle::Bundle::load(std::path::Path::new(&model)).unwrap();
    let device =
        purchase_lab::model::select_device(purchase_lab::model::BackendChoice::Cpu).unwrap();
    let loaded = purchase_lab::model::bundle::LoadedModel::new(bundle, &device).unwrap();
    let body: String = fresh
        .lines()
        .skip(1)
        .take(5)
        .map(|l| l.split(',').skip(1).take(3).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    let answer =
        purchase_lab::serve::invocations(&loaded, Some("text/csv"), None, body.as_bytes(), 0.5);
    assert_eq!(answer.status, 200);
    let served = String::from_utf8(answer.body).unwrap();
    for (served, scored) in served.lines().zip(text.lines().skip(1)) {
        let scored: Vec<&str> = scored.split(',').skip(5).collect();
        assert_eq!(served, scored.join(","));
    }
    // A threshold means nothing here, and says so.
    let err = fails(&predict_args(
        &model,
        &input,
        &dir.path("x.csv"),
        &["--threshold", "0.3"],
    ));
    assert!(err.contains("multi-class"), "{err}");

    // evaluate: the N×N confusion over the file's own outcomes.
    let evaluate = |extra: &[&str]| {
        let mut args = vec!["evaluate", "--model", &model, "--data", &input];
        args.extend_from_slice(&["--backend", "cpu"]);
        args.extend_from_slice(extra);
        ok(&args).0
    };
    let out = evaluate(&[]);
    assert!(out.starts_with("60 customers"), "{out}");
    assert!(out.contains("confusion (rows actual"), "{out}");
    let json = evaluate(&["--json"]);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let confusion = value["confusion"].as_array().unwrap();
    assert_eq!(confusion.len(), 3);
    let total: u64 = confusion
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(total, 60);
    assert_eq!(value["classes"][2]["class"], "premium");
}

/// Softmax-boosted trees learn the plans, save, and score: one probability
/// per class summing to 1, as the network's model files do.
#[test]
fn boosted_trees_train_and_score_a_three_class_file() {
    let dir = Dir::new();
    let data = dir.file("segments.csv", segments_csv(900, 7));
    let model = dir.path("plan-trees.plab");
    let mut args = train_args(
        &data,
        &[
            "--target",
            "plan",
            "--multiclass",
            "--features",
            "age,income,usage",
            "--model",
            "gbm",
            "--trees",
            "60",
            "--json",
        ],
    );
    args.extend(["--out", model.as_str()]);
    let (out, _) = ok(&args);
    let value: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(value["task"], "multiclass", "{out}");
    // The rule is a few axis-aligned cuts: trees find it.
    let accuracy = value["test"]["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.85, "test accuracy {accuracy}\n{out}");
    let input = dir.file("new.csv", segments_csv(40, 5));
    let scored = dir.path("scored.csv");
    ok(&predict_args(&model, &input, &scored, &[]));
    let text = std::fs::read_to_string(&scored).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let first_p = header.iter().position(|h| *h == "p_basic").unwrap();
    assert_eq!(
        &header[first_p..],
        ["p_basic", "p_plus", "p_premium", "prediction"]
    );
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let p: f64 = cells[first_p..first_p + 3]
            .iter()
            .map(|c| c.parse::<f64>().unwrap())
            .sum();
        assert!((p - 1.0).abs() < 2e-6, "{line}");
        assert!(
            ["basic", "plus", "premium"].contains(&cells[first_p + 3]),
            "{line}"
        );
    }
}

#[test]
fn two_classes_and_a_json_run_say_what_they_do() {
    let dir = Dir::new();
    let data = dir.file("segments.csv", segments_csv(300, 3));
    // Two labels are a yes/no question.
    let two = dir.file("two.csv", "x,y\n1,a\n2,b\n3,a\n4,b\n5,a\n6,b\n7,a\n8,b\n");
    let err = fails(&train_args(&two, &["--target", "y", "--multiclass"]));
    assert!(err.contains("--positive"), "{err}");
    // --json: the task and the per-class figures, macro averages included.
    let mut args = train_args(&data, &NETWORK);
    args.extend(["--epochs", "5", "--json"]);
    let (out, _) = ok(&args);
    let value: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(value["task"], "multiclass", "{out}");
    let metrics = &value["test"];
    assert_eq!(metrics["classes"].as_array().unwrap().len(), 3, "{out}");
    assert!(metrics["macro_f1"].as_f64().is_some(), "{out}");
    assert!(metrics["log_loss"].as_f64().unwrap() > 0.0, "{out}");
}
