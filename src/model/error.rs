//! Why training, a prediction or loading weights could not proceed, for
//! every model family.

use thiserror::Error;

use super::gbm::TreeSettingsError;
use super::spec::SpecError;

/// Why training (or a prediction) could not proceed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrainError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    TreeSettings(#[from] TreeSettingsError),
    #[error("the data has no feature columns; select at least one feature")]
    NoFeatures,
    #[error("there are no rows to train on")]
    NoRows,
    #[error(
        "expected {expected} feature values for {rows} rows × {features} features, got {actual}"
    )]
    FeatureCount {
        rows: usize,
        features: usize,
        expected: usize,
        actual: usize,
    },
    #[error("expected {expected} target values (one per row), got {actual}")]
    TargetCount { expected: usize, actual: usize },
    #[error(
        "the training data contains a missing or infinite value (row {row}); impute or drop it first"
    )]
    NonFiniteInput { row: usize },
    #[error("row {row}'s target is not a class index from 0 to {classes} (exclusive)")]
    ClassIndex { row: usize, classes: usize },
    #[error(
        "training diverged at epoch {epoch} (loss {loss}); try a smaller learning rate. The network was reset to its state after the last good epoch"
    )]
    Diverged { epoch: usize, loss: f64 },
    #[error("the compute device failed: {0}")]
    Backend(String),
    #[error("the saved weights do not fit this network: {0}")]
    Weights(String),
    #[error("{family} models do not support {what}")]
    Unsupported {
        family: &'static str,
        what: &'static str,
    },
}
