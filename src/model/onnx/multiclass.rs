//! A multi-class network's outputs in the ONNX graph: `probabilities`
//! (`Softmax` over the class logits, `[N, K]` float, in the model's class
//! order) and `label` (`ArgMax` of them, the first class on a tie as
//! `predict`, then `Gather` from the class names: `[N, 1]` string).

use super::graph::{Builder, column_value, int_attr, matrix_value};
use super::proto::{TensorProto, ValueInfoProto, data_type};

/// The name of the `[K]` string constant holding the class names.
const CLASS_NAMES: &str = "_plab_class_names";

/// Adds the nodes from the logits `raw` (`[N, K]`) to both outputs and
/// returns the outputs' descriptions.
pub(super) fn outputs(b: &mut Builder, raw: &str, classes: &[String]) -> Vec<ValueInfoProto> {
    b.node(
        ("", "Softmax"),
        &[raw],
        vec![int_attr("axis", 1)],
        Some("probabilities"),
    );
    let index = b.node(
        ("", "ArgMax"),
        &["probabilities"],
        vec![int_attr("axis", 1), int_attr("keepdims", 1)],
        None,
    );
    b.initializers.push(TensorProto {
        dims: vec![classes.len() as i64],
        data_type: data_type::STRING,
        string_data: classes.iter().map(|c| c.as_bytes().to_vec()).collect(),
        name: CLASS_NAMES.to_owned(),
        ..TensorProto::default()
    });
    b.node(
        ("", "Gather"),
        &[CLASS_NAMES, &index],
        vec![int_attr("axis", 0)],
        Some("label"),
    );
    vec![
        matrix_value("probabilities", data_type::FLOAT, classes.len()),
        column_value("label", data_type::STRING),
    ]
}
