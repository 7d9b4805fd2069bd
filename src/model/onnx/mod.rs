//! A saved model as one ONNX graph holding the whole pipeline, for
//! runtimes outside Purchase Lab (onnxruntime, Spark through
//! `scripts/score_spark.py`, databases with ONNX scoring).
//!
//! # The graph's contract
//!
//! - **Inputs**: one per original feature column, named as in training, in
//!   training order, shape `[N, 1]`: `float` for a number (a date column
//!   as days since 1970-01-01; NaN is missing), `string` for a category
//!   (the empty string is missing). Cells are taken as given: `predict`'s
//!   trimming, missing markers (`NA`) and case-insensitive spelling
//!   matching are the caller's job.
//! - **Pipeline**: `ai.onnx.ml` `Imputer` and `Sub`/`Mul` for numbers,
//!   `LabelEncoder` (missing → the fill level) and `OneHotEncoder`
//!   (`zeros = 1`: an unseen level is all zeros) for categories, `Concat`;
//!   the operators skl2onnx uses for `SimpleImputer`, `StandardScaler` and
//!   `OneHotEncoder(handle_unknown="ignore")`. A pipeline that keeps
//!   missing values missing (boosted trees) has no `Imputer`, and a missing
//!   category is NaN in each of its one-hot columns (a second
//!   `LabelEncoder` to a NaN-or-0 column, added).
//! - **Network**: `MatMul` + `Add` per layer, each hidden layer's own activation
//!   (`Relu`, `Tanh`, `Sigmoid`, `LeakyRelu` with alpha 0.01).
//! - **Boosted trees**: one `ai.onnx.ml` `TreeEnsembleRegressor` summing
//!   the trees' leaves and the base score (see `trees`).
//! - **Multi-class outputs**: `probabilities` `[N, K]` (float, `Softmax`
//!   of the class logits, in the model's class order: sorted labels) and
//!   `label` `[N, 1]` (string, the most probable class: `ArgMax`, then
//!   `Gather` from the class names); see `multiclass`. Networks only.
//! - **Outputs**, shape `[N, 1]`: classification `probability` (float, the
//!   positive class, `Sigmoid` of the logit) and `label` (string, the
//!   positive label at or above the model's threshold, else the negative
//!   one); regression
//!   `value` (float, in target units, at least 0 when the training target
//!   never was negative).
//!
//! Arithmetic is f32 throughout, where `predict` scales in f64 before the
//! network's f32: probabilities agree to about 1e-6 (the test holds them
//! to 1e-5 through onnxruntime).
//!
//! Opsets: `ai.onnx` 17, `ai.onnx.ml` 3; IR version 8 (onnxruntime 1.12
//! and later).

mod graph;
mod multiclass;
pub mod proto;
mod trees;

use prost::Message;
use thiserror::Error;

use self::graph::{Builder, column_value, float_attr};
use self::proto::{GraphProto, ModelProto, OperatorSetIdProto, StringStringEntryProto, data_type};
use super::bundle::LoadedModel;
use super::calibration::Calibrator;
use super::error::TrainError;
use super::family::{LayerWeights, ModelSpec};
use super::spec::{Activation, LEAKY_RELU_SLOPE};
use crate::data::prep::TargetEncoding;
use crate::data::table::ColumnKind;

/// The metadata key of the JSON that says how to read cells for the graph
/// (input kinds, category levels, missing-value markers).
pub const READING_KEY: &str = "purchase_lab.reading";

const IR_VERSION: i64 = 8;
const OPSET: i64 = 17;
const ML_OPSET: i64 = 3;

#[derive(Debug, Error)]
pub enum ExportError {
    #[error(
        "the feature column `{0}` has the name of an output of the ONNX graph; rename it and train again"
    )]
    NameClash(String),
    #[error("the model's weights cannot be read: {0}")]
    Weights(#[from] TrainError),
    #[error("the network's weights are not what its description says: {0}")]
    Shape(String),
    #[error(
        "this model is calibrated ({0}) and the ONNX graph has no {0} step: it would give uncalibrated probabilities; train with --calibrate platt (which the graph expresses) or without --calibrate to export"
    )]
    Calibrated(&'static str),
}

/// Refuses a model calibrated by a map the graph does not express
/// (isotonic): the graph would silently leave it out. Platt's map is
/// expressed ([`platt_probability`]).
fn refuse_calibrated(model: &LoadedModel) -> Result<(), ExportError> {
    match &model.meta.calibration {
        Some(c @ Calibrator::Isotonic { .. }) => Err(ExportError::Calibrated(c.method().name())),
        Some(Calibrator::Platt { .. }) | None => Ok(()),
    }
}

/// Platt's calibrated probability `1 / (1 + exp(a·logit(p) + b))` of the
/// margin `raw` (`p = sigmoid(raw)`, so `logit(p) = raw`, clipped as
/// `model::calibration` clips `p` to `[1e-7, 1 − 1e-7]`): `Clip`, `Mul`,
/// `Add`, then `Sigmoid` of the negation.
fn platt_probability(b: &mut Builder, raw: &str, a: f64, bias: f64) -> String {
    let limit = ((1.0 - 1e-7f64) / 1e-7).ln() as f32;
    let (low, high) = (b.floats(&[], vec![-limit]), b.floats(&[], vec![limit]));
    let clipped = b.node(("", "Clip"), &[raw, &low, &high], vec![], None);
    let slope = b.floats(&[1], vec![-a as f32]);
    let shift = b.floats(&[1], vec![-bias as f32]);
    let scaled = b.node(("", "Mul"), &[&clipped, &slope], vec![], None);
    let shifted = b.node(("", "Add"), &[&scaled, &shift], vec![], None);
    b.node(("", "Sigmoid"), &[&shifted], vec![], Some("probability"))
}

/// The model (pipeline and network) as the bytes of an `.onnx` file.
///
/// # Errors
/// An isotonic-calibrated model, a feature column named like an output
/// (`probability`, `label`, `value`), weights that cannot be read or do not
/// fit the pipeline.
pub fn export_onnx(model: &LoadedModel) -> Result<Vec<u8>, ExportError> {
    refuse_calibrated(model)?;
    let pipeline = &model.meta.pipeline;
    let classes = pipeline.encoding.classes();
    let outputs = output_names(&pipeline.encoding);
    if let Some(clash) = pipeline.input_columns().find(|c| outputs.contains(c)) {
        return Err(ExportError::NameClash(clash.to_owned()));
    }
    let mut b = Builder::default();
    let features = b.features(pipeline).ok_or_else(|| {
        ExportError::Shape("a feature cross reads a column that is not a numeric input".into())
    })?;
    // One arm per family: each gives the margin (a logit, or the
    // standardized regression value).
    let raw = match &model.meta.model {
        ModelSpec::Network { spec, .. } => {
            let layers = model.layer_weights()?.ok_or_else(|| {
                ExportError::Shape("the network's scorer gave no layer weights".into())
            })?;
            network(
                &mut b,
                &features,
                &layers,
                &spec.activations(),
                pipeline.n_features(),
                classes.map_or(1, <[String]>::len),
            )?
        }
        ModelSpec::Trees { .. } => {
            let ensemble = model.tree_ensemble().ok_or_else(|| {
                ExportError::Shape("the tree model's scorer gave no trees".into())
            })??;
            trees::trees(&mut b, &features, &ensemble)?
        }
    };
    let mut output = Vec::new();
    if let Some(classes) = classes {
        output = multiclass::outputs(&mut b, &raw, classes);
    }
    match pipeline.encoding.class_names() {
        _ if classes.is_some() => {}
        Some((positive, negative)) => {
            let probability = match &model.meta.calibration {
                Some(Calibrator::Platt { a, b: bias }) => {
                    platt_probability(&mut b, &raw, *a, *bias)
                }
                _ => b.node(("", "Sigmoid"), &[&raw], vec![], Some("probability")),
            };
            // The model's own threshold (chosen on validation rows), as
            // `predict` and `serve` label; 0.5 for files without one.
            let threshold = model.meta.threshold.unwrap_or(0.5) as f32;
            let cut = b.floats(&[1], vec![threshold]);
            let positive_now = b.node(("", "GreaterOrEqual"), &[&probability, &cut], vec![], None);
            let (yes, no) = (b.string(positive), b.string(&negative));
            b.node(
                ("", "Where"),
                &[&positive_now, &yes, &no],
                vec![],
                Some("label"),
            );
            output.push(column_value("probability", data_type::FLOAT));
            output.push(column_value("label", data_type::STRING));
        }
        None => {
            // `to_target_units`, then `constrain_predictions`.
            let (mean, std) = model.meta.target_scale.unwrap_or((0.0, 1.0));
            let (std, mean) = (
                b.floats(&[1], vec![std as f32]),
                b.floats(&[1], vec![mean as f32]),
            );
            let scaled = b.node(("", "Mul"), &[&raw, &std], vec![], None);
            let non_negative = matches!(
                pipeline.encoding,
                TargetEncoding::Regression {
                    non_negative: true,
                    ..
                }
            );
            if non_negative {
                let shifted = b.node(("", "Add"), &[&scaled, &mean], vec![], None);
                b.node(("", "Relu"), &[&shifted], vec![], Some("value"));
            } else {
                b.node(("", "Add"), &[&scaled, &mean], vec![], Some("value"));
            }
            output.push(column_value("value", data_type::FLOAT));
        }
    }
    let input = pipeline
        .steps
        .iter()
        .map(|step| {
            let elem = match step.kind() {
                ColumnKind::Numeric => data_type::FLOAT,
                ColumnKind::Categorical => data_type::STRING,
            };
            column_value(step.column(), elem)
        })
        .collect();
    let model_proto = ModelProto {
        ir_version: IR_VERSION,
        producer_name: "purchase-lab".to_owned(),
        producer_version: env!("CARGO_PKG_VERSION").to_owned(),
        doc_string: format!("predicts `{}`", pipeline.target),
        graph: Some(GraphProto {
            node: b.nodes,
            name: "purchase_lab".to_owned(),
            initializer: b.initializers,
            input,
            output,
        }),
        metadata_props: vec![StringStringEntryProto {
            key: READING_KEY.to_owned(),
            value: reading_metadata(pipeline),
        }],
        opset_import: vec![
            OperatorSetIdProto {
                domain: String::new(),
                version: OPSET,
            },
            OperatorSetIdProto {
                domain: graph::ML.to_owned(),
                version: ML_OPSET,
            },
        ],
    };
    Ok(model_proto.encode_to_vec())
}

/// The graph's outputs for a target encoded as `encoding`.
fn output_names(encoding: &TargetEncoding) -> &'static [&'static str] {
    match encoding {
        TargetEncoding::Multiclass { .. } => &["probabilities", "label"],
        TargetEncoding::Classification { .. } => &["probability", "label"],
        TargetEncoding::Regression { .. } => &["value"],
    }
}

/// How a caller reads cells for the graph as `predict` would, as JSON:
/// `{"inputs": [{"name", "kind": "number" | "date" | "category",
/// "levels": [...] (categories)}], "missing_markers": [...]}`. Scripts
/// (scripts/onnx_cells.py) match category spellings to `levels`
/// case-insensitively and read `missing_markers` (compared lower case after
/// trimming) as missing, as `predict` does.
fn reading_metadata(pipeline: &crate::data::prep::Pipeline) -> String {
    use crate::data::prep::FeatureStep;
    use crate::data::table::CellFormat;
    let inputs: Vec<serde_json::Value> = pipeline
        .steps
        .iter()
        .map(|step| match step {
            FeatureStep::Categorical { column, levels, .. } => serde_json::json!({
                "name": column,
                "kind": "category",
                "levels": levels,
            }),
            FeatureStep::Numeric { column, .. } => serde_json::json!({
                "name": column,
                "kind": if matches!(step.cell_format(), CellFormat::Date(_)) { "date" } else { "number" },
            }),
        })
        .collect();
    serde_json::json!({
        "inputs": inputs,
        "missing_markers": crate::data::csv::missing_markers(),
    })
    .to_string()
}

/// The network on `features`: `MatMul` + `Add` per layer (weights as
/// `[n_in, n_out]`), hidden layer `i`'s activation (`activations[i]`) after
/// it; the output layer's raw value (a logit, or the standardized
/// regression value; the class logits `[N, outputs]` of a multi-class
/// network).
fn network(
    b: &mut Builder,
    features: &str,
    layers: &[LayerWeights],
    activations: &[Activation],
    n_features: usize,
    outputs: usize,
) -> Result<String, ExportError> {
    let mut x = features.to_owned();
    let mut width = n_features;
    for (index, layer) in layers.iter().enumerate() {
        if layer.n_in != width
            || layer.weights.len() != layer.n_in * layer.n_out
            || layer.bias.len() != layer.n_out
        {
            return Err(ExportError::Shape(format!(
                "layer {} takes {} inputs for {} units, after {width} values",
                index + 1,
                layer.n_in,
                layer.n_out
            )));
        }
        // LayerWeights holds one row per unit; MatMul wants `[n_in, n_out]`.
        let mut w = vec![0.0; layer.weights.len()];
        for o in 0..layer.n_out {
            for i in 0..layer.n_in {
                w[i * layer.n_out + o] = layer.weights[o * layer.n_in + i];
            }
        }
        let w = b.floats(&[layer.n_in, layer.n_out], w);
        let bias = b.floats(&[layer.n_out], layer.bias.clone());
        let product = b.node(("", "MatMul"), &[&x, &w], vec![], None);
        x = b.node(("", "Add"), &[&product, &bias], vec![], None);
        if index + 1 < layers.len() {
            let activation = activations.get(index).copied().ok_or_else(|| {
                ExportError::Shape(format!("hidden layer {} has no activation", index + 1))
            })?;
            x = match activation {
                Activation::Relu => b.node(("", "Relu"), &[&x], vec![], None),
                Activation::Tanh => b.node(("", "Tanh"), &[&x], vec![], None),
                Activation::Sigmoid => b.node(("", "Sigmoid"), &[&x], vec![], None),
                Activation::LeakyRelu => b.node(
                    ("", "LeakyRelu"),
                    &[&x],
                    vec![float_attr("alpha", LEAKY_RELU_SLOPE as f32)],
                    None,
                ),
            };
        }
        width = layer.n_out;
    }
    if width != outputs {
        return Err(ExportError::Shape(format!(
            "the output layer has {width} units, not {outputs}"
        )));
    }
    Ok(x)
}
