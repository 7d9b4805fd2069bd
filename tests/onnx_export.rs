//! `purchase-lab export --format onnx`: the graph's structure (inputs per
//! column, the `ai.onnx.ml` operators, outputs), and its answers through a
//! real runtime (onnxruntime, via scripts/onnx_score.py) against `predict`
//! on the same customers, with missing and unseen values among them.
//!
//! The runtime check needs `python3` with `onnxruntime` and `numpy`. With
//! `PURCHASE_LAB_REQUIRE_PYTHON=1` (set by .ci/run) their absence fails the
//! test; without it the test says why it skips.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;

use std::process::Command;

use cli::{Dir, ok, predict_args, segments_csv, shipped};
use prost::Message;
use purchase_lab::model::onnx::proto::{GraphProto, ModelProto, data_type};

/// The sample customers with gaps and a region training never saw.
fn customers(dir: &Dir) -> String {
    let text = std::fs::read_to_string(shipped("customers.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(401).map(str::to_owned).collect();
    // age,income,gender,region,visit_minutes,pages_visited,previous_purchases,purchased,spend
    lines[1] = ",115900,female,east,4.2,3,4,yes,280.78".to_owned();
    lines[2] = "68,,,north,7.3,4,1,no,121.33".to_owned();
    lines[3] = "37,77100,female,central,,10,4,yes,174.09".to_owned();
    dir.file("customers.csv", lines.join("\n") + "\n")
}

/// Trains on the sample customers with `args`, exports, and gives the
/// paths of the model and the ONNX file.
fn train_and_export(dir: &Dir, args: &[&str]) -> (String, String) {
    let model = dir.path("m.plab");
    let onnx = dir.path("m.onnx");
    let data = shipped("customers.csv");
    let mut train = vec![
        "train",
        "--data",
        &data,
        "--epochs",
        "5",
        "--backend",
        "cpu",
    ];
    train.extend_from_slice(args);
    train.extend_from_slice(&["--out", &model]);
    ok(&train);
    ok(&["export", "--model", &model, "--format", "onnx", "-o", &onnx]);
    (model, onnx)
}

/// `predict`'s column `name` for `data`.
fn predicted(dir: &Dir, model: &str, data: &str, name: &str) -> Vec<String> {
    let out = dir.path("scored.csv");
    ok(&predict_args(model, data, &out, &[]));
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == name)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[at].to_owned())
        .collect()
}

/// The script's lines for `data`, or `None` (with the reason printed) when
/// Python or onnxruntime is missing and the environment allows skipping.
fn runtime_scores(onnx: &str, data: &str) -> Option<Vec<String>> {
    runtime_run(onnx, data).map(|(lines, _)| lines)
}

/// The script's stdout lines and its stderr for `data`, or `None` as
/// [`runtime_scores`].
fn runtime_run(onnx: &str, data: &str) -> Option<(Vec<String>, String)> {
    let required = std::env::var("PURCHASE_LAB_REQUIRE_PYTHON").is_ok_and(|v| v == "1");
    let script = format!("{}/scripts/onnx_score.py", env!("CARGO_MANIFEST_DIR"));
    let probe = Command::new("python3")
        .args(["-c", "import onnxruntime, numpy"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        let why = match &probe {
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        assert!(
            !required,
            "PURCHASE_LAB_REQUIRE_PYTHON=1 but python3 with onnxruntime and numpy is missing: {why}"
        );
        eprintln!("skipped: python3 with onnxruntime and numpy is missing ({why})");
        return None;
    }
    let o = Command::new("python3")
        .args([&script, onnx, data])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some((
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect(),
        String::from_utf8(o.stderr).unwrap(),
    ))
}

#[test]
fn the_graph_takes_one_input_per_column_and_the_ml_operators() {
    let dir = Dir::new();
    let (_, onnx) = train_and_export(&dir, &["--target", "purchased", "--positive", "yes"]);
    let model = ModelProto::decode(std::fs::read(&onnx).unwrap().as_slice()).unwrap();
    let graph = model.graph.unwrap();
    let inputs: Vec<(&str, i32)> = graph
        .input
        .iter()
        .map(|v| {
            let t = v.r#type.as_ref().unwrap().tensor_type.as_ref().unwrap();
            (v.name.as_str(), t.elem_type)
        })
        .collect();
    let (f, s) = (data_type::FLOAT, data_type::STRING);
    assert_eq!(
        inputs,
        [
            ("age", f),
            ("income", f),
            ("gender", s),
            ("region", s),
            ("visit_minutes", f),
            ("pages_visited", f),
            ("previous_purchases", f),
            ("spend", f)
        ]
    );
    let outputs: Vec<&str> = graph.output.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(outputs, ["probability", "label"]);
    let ops: Vec<&str> = graph.node.iter().map(|n| n.op_type.as_str()).collect();
    for op in [
        "Imputer",
        "LabelEncoder",
        "OneHotEncoder",
        "MatMul",
        "Relu",
        "Sigmoid",
    ] {
        assert!(ops.contains(&op), "no {op} in {ops:?}");
    }
    assert!(
        graph
            .node
            .iter()
            .filter(|n| ["Imputer", "LabelEncoder", "OneHotEncoder"].contains(&n.op_type.as_str()))
            .all(|n| n.domain == "ai.onnx.ml")
    );
}

/// Trains with `args` (a classification of `purchased`), exports, and
/// holds onnxruntime's probabilities and labels to `predict`'s.
fn runtime_agrees_on_probabilities(args: &[&str]) {
    let dir = Dir::new();
    let mut all = vec!["--target", "purchased", "--positive", "yes"];
    all.extend_from_slice(args);
    let (model, onnx) = train_and_export(&dir, &all);
    let data = customers(&dir);
    let probabilities = predicted(&dir, &model, &data, "probability");
    let labels = predicted(&dir, &model, &data, "prediction");
    let Some(scores) = runtime_scores(&onnx, &data) else {
        return;
    };
    assert_eq!(scores.len(), probabilities.len());
    let mut distinct = std::collections::BTreeSet::new();
    for (i, line) in scores.iter().enumerate() {
        let (p, label) = line.split_once(',').unwrap();
        let (p, want): (f64, f64) = (p.parse().unwrap(), probabilities[i].parse().unwrap());
        assert!(
            (p - want).abs() <= 1e-5,
            "row {}: onnx {p}, predict {want}",
            i + 1
        );
        distinct.insert(probabilities[i].clone());
        if (want - 0.5).abs() > 1e-5 {
            assert_eq!(label, labels[i], "row {}", i + 1);
        }
    }
    assert!(
        distinct.len() > 5,
        "a model that scores everyone alike proves little"
    );
}

/// A three-class network: onnxruntime's `probabilities` (summing to 1)
/// and `label` are `predict`'s `p_<class>` columns and `prediction`.
#[test]
fn onnxruntime_gives_predicts_class_probabilities_for_three_classes() {
    runtime_agrees_on_three_classes(&["--hidden", "8", "--epochs", "20", "--backend", "cpu"]);
}

/// Softmax-boosted trees (one tree per class and round, one
/// `TreeEnsembleRegressor` with three targets): onnxruntime agrees with
/// `predict` as for the network.
#[test]
fn onnxruntime_gives_predicts_class_probabilities_for_three_class_trees() {
    runtime_agrees_on_three_classes(&["--model", "gbm", "--trees", "30"]);
}

/// Trains a 3-class `plan` model with `args`, exports it, and holds
/// onnxruntime's probabilities and labels to `predict`'s.
fn runtime_agrees_on_three_classes(args: &[&str]) {
    let dir = Dir::new();
    let data = dir.file("segments.csv", segments_csv(400, 11));
    let model = dir.path("plan.plab");
    let onnx = dir.path("plan.onnx");
    let mut all = vec![
        "train",
        "--data",
        &data,
        "--target",
        "plan",
        "--multiclass",
        "--features",
        "age,income,usage",
        "--out",
        &model,
    ];
    all.extend_from_slice(args);
    ok(&all);
    ok(&["export", "--model", &model, "--format", "onnx", "-o", &onnx]);
    let graph = ModelProto::decode(std::fs::read(&onnx).unwrap().as_slice()).unwrap();
    let outputs: Vec<&str> = graph
        .graph
        .as_ref()
        .unwrap()
        .output
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(outputs, ["probabilities", "label"]);
    let fresh = dir.file("fresh.csv", segments_csv(50, 12));
    let columns: Vec<Vec<String>> = ["p_basic", "p_plus", "p_premium", "prediction"]
        .iter()
        .map(|name| predicted(&dir, &model, &fresh, name))
        .collect();
    let Some(scores) = runtime_scores(&onnx, &fresh) else {
        return;
    };
    assert_eq!(scores.len(), 50);
    for (i, line) in scores.iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 4, "{line}");
        let p: Vec<f64> = cells[..3].iter().map(|c| c.parse().unwrap()).collect();
        assert!(
            (p.iter().sum::<f64>() - 1.0).abs() < 1e-5,
            "row {}: {line}",
            i + 1
        );
        for (c, &got) in p.iter().enumerate() {
            let want: f64 = columns[c][i].parse().unwrap();
            assert!(
                (got - want).abs() <= 1e-5,
                "row {} class {c}: onnx {got}, predict {want}",
                i + 1
            );
        }
        let mut sorted = p.clone();
        sorted.sort_by(f64::total_cmp);
        if sorted[2] - sorted[1] > 1e-5 {
            assert_eq!(cells[3], columns[3][i], "row {}", i + 1);
        }
    }
}

/// Trains with `args` (a regression of `spend`), exports, and holds
/// onnxruntime's values to `predict`'s.
fn runtime_agrees_on_values(args: &[&str]) {
    let dir = Dir::new();
    let mut all = vec!["--target", "spend", "--regression"];
    all.extend_from_slice(args);
    let (model, onnx) = train_and_export(&dir, &all);
    let data = customers(&dir);
    let values = predicted(&dir, &model, &data, "prediction");
    let Some(scores) = runtime_scores(&onnx, &data) else {
        return;
    };
    assert_eq!(scores.len(), values.len());
    for (i, (got, want)) in scores.iter().zip(&values).enumerate() {
        let (got, want): (f64, f64) = (got.parse().unwrap(), want.parse().unwrap());
        // f32 arithmetic on both sides, in another order: agreement to
        // f32's precision of the value.
        assert!(
            (got - want).abs() <= 1e-5 * want.abs().max(1.0),
            "row {}: onnx {got}, predict {want}",
            i + 1
        );
    }
}

/// The graph of a `purchased` classifier trained with `extra` flags.
fn exported_graph(extra: &[&str]) -> GraphProto {
    let dir = Dir::new();
    let mut args = vec!["--target", "purchased", "--positive", "yes"];
    args.extend_from_slice(extra);
    let (_, onnx) = train_and_export(&dir, &args);
    let model = ModelProto::decode(std::fs::read(&onnx).unwrap().as_slice()).unwrap();
    model.graph.unwrap()
}

#[test]
fn onnxruntime_gives_predicts_probabilities_and_labels() {
    runtime_agrees_on_probabilities(&["--hidden", "8,4", "--activation", "leaky-relu"]);
}

/// Platt's calibration map is part of the graph: onnxruntime gives the
/// calibrated probabilities `predict` gives.
#[test]
fn a_platt_calibrated_model_exports_its_calibrated_probabilities() {
    runtime_agrees_on_probabilities(&["--hidden", "8", "--calibrate", "platt"]);
}

#[test]
fn onnxruntime_gives_predicts_regression_values() {
    runtime_agrees_on_values(&["--activation", "tanh"]);
}

#[test]
fn boosted_trees_export_as_a_tree_ensemble_onnxruntime_agrees_with() {
    let trees = ["--model", "gbm", "--trees", "40", "--depth", "3"];
    runtime_agrees_on_probabilities(&trees);
    runtime_agrees_on_values(&trees);
    let ops: Vec<String> = exported_graph(&trees)
        .node
        .iter()
        .map(|n| format!("{}:{}", n.domain, n.op_type))
        .collect();
    assert!(
        ops.contains(&"ai.onnx.ml:TreeEnsembleRegressor".to_owned()),
        "{ops:?}"
    );
    assert!(!ops.iter().any(|op| op.ends_with(":MatMul")), "{ops:?}");
}

/// The graph carries how to read cells (kinds, category levels, missing
/// markers), so the scripts read a messy file as `predict` does: markers
/// as missing, a level spelled in another case, a header in another case;
/// a word in a number column is missing on both sides and the script says
/// so, naming the column and the line.
#[test]
fn the_scripts_read_cells_as_predict_does_and_report_what_they_cannot() {
    let dir = Dir::new();
    let (model, onnx) = train_and_export(
        &dir,
        &[
            "--target",
            "purchased",
            "--positive",
            "yes",
            "--hidden",
            "8",
        ],
    );
    let bytes = std::fs::read(&onnx).unwrap();
    let proto = ModelProto::decode(bytes.as_slice()).unwrap();
    let reading = proto
        .metadata_props
        .iter()
        .find(|p| p.key == purchase_lab::model::onnx::READING_KEY)
        .unwrap();
    let reading: serde_json::Value = serde_json::from_str(&reading.value).unwrap();
    assert_eq!(reading["inputs"][2]["name"], "gender");
    assert_eq!(reading["inputs"][2]["kind"], "category");
    assert_eq!(reading["inputs"][0]["kind"], "number");
    let markers = reading["missing_markers"].as_array().unwrap();
    assert!(markers.contains(&"na".into()) && markers.contains(&"#n/a".into()));

    let text = std::fs::read_to_string(shipped("customers.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().take(61).map(str::to_owned).collect();
    // age,income,gender,region,visit_minutes,pages_visited,previous_purchases,purchased,spend
    lines[0] = lines[0].replacen("age", "Age", 1);
    lines[1] = " NA ,115900,FEMALE,east,4.2,3,4,yes,280.78".to_owned();
    lines[2] = "68,#N/A,n/a,North,7.3,4,1,no,121.33".to_owned();
    lines[3] = "37,77100,Female,central,abc,10,4,yes,174.09".to_owned();
    let data = dir.file("messy.csv", lines.join("\n") + "\n");
    let probabilities = predicted(&dir, &model, &data, "probability");
    let Some((scores, stderr)) = runtime_run(&onnx, &data) else {
        return;
    };
    assert_eq!(scores.len(), probabilities.len());
    for (i, (line, want)) in scores.iter().zip(&probabilities).enumerate() {
        let p: f64 = line.split_once(',').unwrap().0.parse().unwrap();
        let want: f64 = want.parse().unwrap();
        assert!(
            (p - want).abs() <= 1e-5,
            "line {}: onnx {p}, predict {want}",
            i + 2
        );
    }
    assert!(
        stderr.contains("`Age` read as the model's `age`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("column `visit_minutes`: 1 cell(s)") && stderr.contains("(lines 4)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("column `income`"),
        "#N/A is a marker: {stderr}"
    );
}

/// A different activation per hidden layer: each layer's own operator, in
/// order, and onnxruntime agreeing with `predict`.
#[test]
fn per_layer_activations_export_as_each_layers_operator() {
    let args = [
        "--hidden",
        "8,6,4",
        "--activations",
        "tanh,sigmoid,leaky-relu",
    ];
    let activations: Vec<String> = exported_graph(&args)
        .node
        .iter()
        .map(|n| n.op_type.clone())
        .filter(|op| ["Relu", "Tanh", "Sigmoid", "LeakyRelu"].contains(&op.as_str()))
        .collect();
    // The three hidden layers, then the probability's sigmoid.
    assert_eq!(activations, ["Tanh", "Sigmoid", "LeakyRelu", "Sigmoid"]);
    runtime_agrees_on_probabilities(&args);
}

/// The operator types of the exported graph in `onnx`.
fn op_types(onnx: &str) -> Vec<String> {
    let model = ModelProto::decode(std::fs::read(onnx).unwrap().as_slice()).unwrap();
    model
        .graph
        .unwrap()
        .node
        .iter()
        .map(|n| n.op_type.clone())
        .collect()
}

#[test]
fn feature_crosses_export_as_mul_and_sin_that_onnxruntime_agrees_with() {
    let crosses = [
        "--cross",
        "sq:age",
        "--cross",
        "age*income",
        "--cross",
        "sin:visit_minutes",
    ];
    let mut network = vec!["--hidden", "8"];
    network.extend_from_slice(&crosses);
    runtime_agrees_on_probabilities(&network);
    runtime_agrees_on_values(&network);
    let dir = Dir::new();
    let mut args = vec!["--target", "purchased", "--positive", "yes"];
    args.extend_from_slice(&network);
    let (_, onnx) = train_and_export(&dir, &args);
    let ops = op_types(&onnx);
    assert_eq!(ops.iter().filter(|op| *op == "Sin").count(), 1, "{ops:?}");
    // Trees read crosses unscaled with missing values kept (NaN in, NaN
    // out); integer columns, so float32 products are exact.
    runtime_agrees_on_probabilities(&[
        "--model",
        "gbm",
        "--trees",
        "30",
        "--depth",
        "3",
        "--cross",
        "sq:age",
        "--cross",
        "age*pages_visited",
    ]);
}
