//! The boosted ensemble as saved: a base score plus trees, the model
//! file's bytes, scores from it, and gain importance. A multi-class
//! ensemble (softmax boosting, [`super::softmax`]) keeps one base margin
//! per class and grows one tree per class each round, stored round by
//! round: tree `i` adds to class `i mod K`, as XGBoost's `multi:softprob`
//! stores them.

use serde::{Deserialize, Serialize};

use super::tree::{Node, Tree};
use crate::data::prep::Matrix;
use crate::model::error::TrainError;
use crate::model::spec::Task;

/// A base score and the trees added to it, one per round (one per class
/// and round for a multi-class model).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Ensemble {
    /// The margin before any tree: the log-odds of the training positive
    /// share, or the (standardized) training target mean. Unused by a
    /// multi-class model.
    pub base_score: f64,
    pub trees: Vec<Tree>,
    /// A multi-class model's margin per class before any tree (the log of
    /// each class's training share); empty for one margin per row. Missing
    /// in files written before multi-class trees: empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_base_scores: Vec<f64>,
}

impl Ensemble {
    /// Margins per row: 1, or the number of classes of a multi-class model.
    pub fn outputs(&self) -> usize {
        self.class_base_scores.len().max(1)
    }

    /// Raw scores (margins: log-odds, the standardized regression value,
    /// or a multi-class model's class logits) of rows `x`, row-major
    /// `x.rows × outputs()`.
    pub fn margins(&self, x: &Matrix) -> Vec<f64> {
        if self.class_base_scores.is_empty() {
            return (0..x.rows)
                .map(|r| {
                    let row = x.row(r);
                    self.trees
                        .iter()
                        .fold(self.base_score, |m, t| m + t.predict_row(row))
                })
                .collect();
        }
        let k = self.class_base_scores.len();
        let mut margins = Vec::with_capacity(x.rows * k);
        for r in 0..x.rows {
            let row = x.row(r);
            let start = margins.len();
            margins.extend_from_slice(&self.class_base_scores);
            for (i, tree) in self.trees.iter().enumerate() {
                margins[start + i % k] += tree.predict_row(row);
            }
        }
        margins
    }

    /// JSON bytes for the model file (floats written to read back exactly).
    pub fn to_bytes(&self) -> Result<Vec<u8>, TrainError> {
        serde_json::to_vec(self).map_err(|e| TrainError::Weights(e.to_string()))
    }

    /// An ensemble from [`to_bytes`](Self::to_bytes). Errors: bytes that
    /// are not a tree model, or trees unsafe to walk for `n_features`
    /// features (a split on a feature the model lacks, a child out of
    /// place).
    pub fn from_bytes(bytes: &[u8], n_features: usize) -> Result<Ensemble, TrainError> {
        let ensemble: Ensemble = serde_json::from_slice(bytes)
            .map_err(|e| TrainError::Weights(format!("not a tree model: {e}")))?;
        if !ensemble.base_score.is_finite() {
            return Err(TrainError::Weights("the base score is not finite".into()));
        }
        let classes = ensemble.class_base_scores.len();
        if classes == 1 || classes == 2 {
            return Err(TrainError::Weights(format!(
                "a multi-class tree model needs 3 or more classes, not {classes}"
            )));
        }
        if ensemble.class_base_scores.iter().any(|b| !b.is_finite()) {
            return Err(TrainError::Weights(
                "a class's base score is not finite".into(),
            ));
        }
        if classes > 0 && !ensemble.trees.len().is_multiple_of(classes) {
            return Err(TrainError::Weights(format!(
                "{} trees do not make whole rounds of {classes} classes",
                ensemble.trees.len()
            )));
        }
        if let Some(i) = ensemble
            .trees
            .iter()
            .position(|t| !t.is_well_formed(n_features))
        {
            return Err(TrainError::Weights(format!(
                "tree {} does not fit a model of {n_features} features",
                i + 1
            )));
        }
        Ok(ensemble)
    }

    /// Each feature's share of the total split gain (the loss reduction
    /// its splits bring, summed over the trees: XGBoost's `total_gain`,
    /// LightGBM's `gain`), `n_features` values summing to 1; all zeros
    /// while no tree has split.
    pub fn gain_importance(&self, n_features: usize) -> Vec<f64> {
        let mut gain = vec![0.0; n_features];
        for node in self.trees.iter().flat_map(|t| &t.nodes) {
            if let Node::Split {
                feature, gain: g, ..
            } = node
                && let Some(slot) = gain.get_mut(*feature)
            {
                *slot += g.max(0.0);
            }
        }
        let sum: f64 = gain.iter().sum();
        if sum > 0.0 {
            gain.iter_mut().for_each(|g| *g /= sum);
        }
        gain
    }
}

/// Margins as scores: the logistic sigmoid for classification, the values
/// themselves for regression, each row's softmax over its class margins
/// (row-major `rows × classes`) for a multi-class model.
pub fn scores(task: Task, margins: &[f64]) -> Vec<f32> {
    match task {
        Task::Classification => margins
            .iter()
            .map(|&z| (1.0 / (1.0 + (-z).exp())) as f32)
            .collect(),
        Task::Regression => margins.iter().map(|&z| z as f32).collect(),
        Task::Multiclass { classes } => margins
            .chunks_exact(classes.max(1))
            .flat_map(super::softmax::probabilities)
            .map(|p| p as f32)
            .collect(),
    }
}

/// The margin before any tree for targets `y`: the log-odds of the
/// positive share (clamped away from 0 and 1), or the mean; XGBoost 2+
/// estimates its `base_score` the same way. (A multi-class model starts
/// from [`super::softmax::base_margins`] instead.)
pub fn base_score(task: Task, y: &[f32]) -> f64 {
    let mean = y.iter().map(|&v| f64::from(v)).sum::<f64>() / y.len().max(1) as f64;
    match task {
        Task::Classification => {
            let p = mean.clamp(1e-6, 1.0 - 1e-6);
            (p / (1.0 - p)).ln()
        }
        Task::Regression | Task::Multiclass { .. } => mean,
    }
}
