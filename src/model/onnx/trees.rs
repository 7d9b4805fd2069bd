//! Boosted trees as one `ai.onnx.ml` `TreeEnsembleRegressor`: the sum of
//! every tree's leaf plus the base score, the margin the network's output
//! layer gives (a logit, or the standardized regression value), so the
//! rest of the graph (sigmoid, label, target units) is shared.
//!
//! Each of our splits sends a row left when `value < threshold` and a
//! missing value (NaN) where the split learned to: `BRANCH_LT` with
//! `nodes_missing_value_tracks_true`, the left child as the "true" branch.
//! Node ids are the indices in each tree's `nodes`. Leaves sum in `f32`
//! inside the runtime where `predict` sums in `f64`: margins agree to
//! about 1e-6 for a few hundred trees.
//! A multi-class ensemble is one regressor with `n_targets = K`: tree `i`
//! adds to target `i mod K` (the order its rounds stored the trees in) and
//! each target starts from its class's base margin, so the output is the
//! `[N, K]` class margins the softmax reads.
//! Operator: <https://onnx.ai/onnx/operators/onnx_aionnxml_TreeEnsembleRegressor.html>

use super::ExportError;
use super::graph::{Builder, floats_attr, int_attr, ints_attr, string_attr, strings_attr};
use crate::model::gbm::{Ensemble, Node};

/// Adds the ensemble on `features` (`[N, n_features]` float); returns the
/// name of its `[N, 1]` margin (`[N, K]` class margins for a multi-class
/// ensemble).
pub(super) fn trees(
    b: &mut Builder,
    features: &str,
    ensemble: &Ensemble,
) -> Result<String, ExportError> {
    let mut a = Attributes::default();
    let outputs = ensemble.outputs();
    for (index, tree) in ensemble.trees.iter().enumerate() {
        let tree_id = i64::try_from(index).map_err(|_| too_many())?;
        let target = i64::try_from(index % outputs).map_err(|_| too_many())?;
        for (node_id, node) in tree.nodes.iter().enumerate() {
            let node_id = i64::try_from(node_id).map_err(|_| too_many())?;
            a.tree_ids.push(tree_id);
            a.node_ids.push(node_id);
            match node {
                Node::Split {
                    feature,
                    threshold,
                    missing_left,
                    left,
                    right,
                    ..
                } => {
                    a.modes.push("BRANCH_LT");
                    a.features
                        .push(i64::try_from(*feature).map_err(|_| too_many())?);
                    a.values.push(*threshold);
                    a.true_ids
                        .push(i64::try_from(*left).map_err(|_| too_many())?);
                    a.false_ids
                        .push(i64::try_from(*right).map_err(|_| too_many())?);
                    a.missing_true.push(i64::from(*missing_left));
                }
                Node::Leaf { value } => {
                    a.modes.push("LEAF");
                    a.features.push(0);
                    a.values.push(0.0);
                    a.true_ids.push(0);
                    a.false_ids.push(0);
                    a.missing_true.push(0);
                    a.leaf_tree_ids.push(tree_id);
                    a.leaf_targets.push(target);
                    a.leaf_node_ids.push(node_id);
                    a.leaf_values.push(*value as f32);
                }
            }
        }
    }
    let base_values = if ensemble.class_base_scores.is_empty() {
        vec![ensemble.base_score as f32]
    } else {
        ensemble
            .class_base_scores
            .iter()
            .map(|&b| b as f32)
            .collect()
    };
    let attributes = vec![
        string_attr("aggregate_function", "SUM"),
        floats_attr("base_values", base_values),
        int_attr("n_targets", i64::try_from(outputs).map_err(|_| too_many())?),
        ints_attr("nodes_falsenodeids", a.false_ids),
        ints_attr("nodes_featureids", a.features),
        ints_attr("nodes_missing_value_tracks_true", a.missing_true),
        strings_attr("nodes_modes", &a.modes),
        ints_attr("nodes_nodeids", a.node_ids),
        ints_attr("nodes_treeids", a.tree_ids),
        ints_attr("nodes_truenodeids", a.true_ids),
        floats_attr("nodes_values", a.values),
        string_attr("post_transform", "NONE"),
        ints_attr("target_ids", a.leaf_targets),
        ints_attr("target_nodeids", a.leaf_node_ids),
        ints_attr("target_treeids", a.leaf_tree_ids),
        floats_attr("target_weights", a.leaf_values),
    ];
    Ok(b.node(
        (super::graph::ML, "TreeEnsembleRegressor"),
        &[features],
        attributes,
        None,
    ))
}

fn too_many() -> ExportError {
    ExportError::Shape("more trees or nodes than ONNX ids can number".into())
}

/// The operator's parallel per-node and per-leaf lists.
#[derive(Default)]
struct Attributes {
    tree_ids: Vec<i64>,
    node_ids: Vec<i64>,
    modes: Vec<&'static str>,
    features: Vec<i64>,
    values: Vec<f32>,
    true_ids: Vec<i64>,
    false_ids: Vec<i64>,
    missing_true: Vec<i64>,
    leaf_tree_ids: Vec<i64>,
    /// The output (class) each leaf adds to.
    leaf_targets: Vec<i64>,
    leaf_node_ids: Vec<i64>,
    leaf_values: Vec<f32>,
}
