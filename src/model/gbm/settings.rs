//! What the user asks of a boosted-tree model: XGBoost's knobs under their
//! usual names, validated before any tree is grown so a bad slider value or
//! a hand-edited file reads as a message, not a panic inside the booster.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Most boosting rounds a model may have.
pub const MAX_TREES: usize = 10_000;
/// Deepest tree accepted. Depth 4–6 is usual for tabular data; 12 already
/// gives up to 4096 leaves per tree.
pub const MAX_DEPTH: usize = 12;
/// Largest accepted learning rate (XGBoost's `eta`).
pub const MAX_TREE_LEARNING_RATE: f64 = 1.0;
/// Largest accepted L2 penalty on leaf weights (XGBoost's `lambda`).
pub const MAX_TREE_L2: f64 = 1000.0;
/// Largest accepted minimum child weight (sum of hessians in a leaf).
pub const MAX_MIN_CHILD_WEIGHT: f64 = 1000.0;

/// Gradient-boosted trees' settings (XGBoost's algorithm and names: Chen &
/// Guestrin 2016, "XGBoost: A Scalable Tree Boosting System").
///
/// The defaults (200 rounds of depth-4 trees at learning rate 0.1) score at
/// least as well as XGBoost's own defaults on the shared customer files
/// (docs/PERFORMANCE.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TreeSettings {
    /// Boosting rounds (one tree per round): the run's unit target.
    pub trees: usize,
    /// Depth of each tree; 1 grows stumps (one split).
    pub max_depth: usize,
    /// Shrinkage of each tree's leaf values (`eta`), in (0, 1].
    pub learning_rate: f64,
    /// Least sum of hessians (for log loss `p(1 − p)` per row) a leaf may
    /// hold; larger values make more conservative trees.
    pub min_child_weight: f64,
    /// Share of training rows drawn (without replacement) for each tree,
    /// in (0, 1]; 1 uses every row.
    pub subsample: f64,
    /// L2 penalty on leaf weights (`lambda`).
    pub l2: f64,
    /// Seeds the row sampling.
    pub seed: u64,
    /// Rounds without a better validation loss before the run stops;
    /// `None`: never stop early.
    pub early_stopping: Option<usize>,
}

impl Default for TreeSettings {
    fn default() -> Self {
        TreeSettings {
            trees: 200,
            max_depth: 4,
            learning_rate: 0.1,
            min_child_weight: 1.0,
            subsample: 1.0,
            l2: 1.0,
            seed: 42,
            early_stopping: None,
        }
    }
}

/// Why tree settings were refused.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TreeSettingsError {
    #[error("{0} trees requested; choose 1 to {MAX_TREES}")]
    Trees(usize),
    #[error("tree depth {0} is outside 1..={MAX_DEPTH}")]
    Depth(usize),
    #[error("tree learning rate {0} is outside 0 (exclusive) to {MAX_TREE_LEARNING_RATE}")]
    LearningRate(f64),
    #[error("minimum child weight {0} is outside 0..={MAX_MIN_CHILD_WEIGHT}")]
    MinChildWeight(f64),
    #[error("subsample {0} is outside 0 (exclusive) to 1")]
    Subsample(f64),
    #[error("tree L2 penalty {0} is outside 0..={MAX_TREE_L2}")]
    L2(f64),
    #[error("early-stopping patience must be at least 1 round (or early stopping off)")]
    Patience,
}

impl TreeSettings {
    /// Checks every field against its range. Errors: the first field out
    /// of range (NaN is out of every range).
    pub fn validate(&self) -> Result<(), TreeSettingsError> {
        let within = |v: f64, low: f64, high: f64| v >= low && v <= high;
        if !(1..=MAX_TREES).contains(&self.trees) {
            return Err(TreeSettingsError::Trees(self.trees));
        }
        if !(1..=MAX_DEPTH).contains(&self.max_depth) {
            return Err(TreeSettingsError::Depth(self.max_depth));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= MAX_TREE_LEARNING_RATE) {
            return Err(TreeSettingsError::LearningRate(self.learning_rate));
        }
        if !within(self.min_child_weight, 0.0, MAX_MIN_CHILD_WEIGHT) {
            return Err(TreeSettingsError::MinChildWeight(self.min_child_weight));
        }
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return Err(TreeSettingsError::Subsample(self.subsample));
        }
        if !within(self.l2, 0.0, MAX_TREE_L2) {
            return Err(TreeSettingsError::L2(self.l2));
        }
        if self.early_stopping == Some(0) {
            return Err(TreeSettingsError::Patience);
        }
        Ok(())
    }
}
