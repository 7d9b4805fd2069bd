//! The boosted-trees family: gradient-boosted decision trees (XGBoost's
//! algorithm with histogram splits, Chen & Guestrin 2016), the second member
//! of the [family API](crate::model::family). Written here rather than
//! taken from a crate: docs/PERFORMANCE.md gives the measurements and the
//! reasons.
//!
//! - [`settings`]: [`TreeSettings`], XGBoost's knobs, validated.
//! - `bins`: each feature's histogram bins.
//! - `tree`: one tree, its growth (gain, leaf weights, missing values).
//! - `ensemble`: base score + trees as saved, scores, gain importance.
//! - `softmax`: softmax boosting for a multi-class target (one tree per
//!   class and round, XGBoost's `multi:softprob`).
//! - [`TreeLearner`]: a model in training, one boosting round per unit,
//!   holding the [`TreeScorer`] that scores its trees so far.
//! - [`TreeScorer`]: an opened tree model, inference-only.
//!
//! Trees read the prepared features as they are: the recipe's scaling is
//! monotone, so it moves every split threshold with its feature and changes
//! no prediction.

mod bins;
mod ensemble;
pub mod settings;
mod softmax;
#[cfg(test)]
mod tests;
mod tree;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use ensemble::Ensemble;
pub use settings::{TreeSettings, TreeSettingsError};
pub use tree::{Node, Tree};

use self::bins::Cuts;
use self::ensemble::{base_score, scores};
use self::tree::{Binned, GrowParams};
use super::error::TrainError;
use super::family::{Family, Learner, ModelSpec, Scorer, TrainingUnit};
use super::mlp::loss;
use super::spec::Task;
use crate::data::prep::Matrix;

/// Checks that `x` holds `rows × n_features` values.
fn check_features(x: &Matrix, n_features: usize) -> Result<(), TrainError> {
    let expected = x.rows.checked_mul(n_features);
    if x.cols != n_features || expected != Some(x.data.len()) {
        return Err(TrainError::FeatureCount {
            rows: x.rows,
            features: n_features,
            expected: expected.unwrap_or(usize::MAX),
            actual: x.data.len(),
        });
    }
    Ok(())
}

/// Mean loss of margins against targets in the network's terms: binary
/// cross-entropy of the logit for classification, squared error on the
/// standardized target for regression, categorical cross-entropy of the
/// class margins for a multi-class target (the network's own formulas, so
/// both families' curves share a scale).
fn mean_loss(task: Task, margins: &[f64], y: &[f32]) -> f64 {
    if let Task::Multiclass { classes } = task {
        return softmax::mean_loss(margins, classes, y);
    }
    let total: f64 = margins
        .iter()
        .zip(y)
        .map(|(&z, &t)| loss::row(task, loss::UNWEIGHTED, z, f64::from(t)))
        .sum();
    total / margins.len().max(1) as f64
}

/// What the learner keeps about its training rows between rounds.
#[derive(Debug)]
struct TrainState {
    /// [`fingerprint`] of the rows and targets these were made from.
    key: u64,
    cuts: Cuts,
    codes: Vec<u16>,
    /// The ensemble's margin for each training row so far.
    margins: Vec<f64>,
}

/// FNV-1a over the bits of the rows and targets, so a learner given other
/// training data rebuilds its bins instead of using stale ones.
fn fingerprint(x: &Matrix, y: &[f32]) -> u64 {
    x.data
        .iter()
        .chain(y)
        .fold(0xcbf2_9ce4_8422_2325, |h: u64, v| {
            (h ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3)
        })
}

/// Boosted trees in training: each [`TrainingUnit::Round`] fits one tree to
/// the gradients of the loss at the current margins and adds it.
#[derive(Debug)]
pub struct TreeLearner {
    settings: TreeSettings,
    /// The trees so far, scored as an opened model scores them.
    model: TreeScorer,
    /// Rounds trained, kept when [`restore`](Self::restore) puts back
    /// fewer trees (the curves go on from there).
    rounds: usize,
    state: Option<TrainState>,
}

impl TreeLearner {
    /// A model of `settings` for `n_features` prepared features. Errors:
    /// invalid settings, no features.
    pub fn new(settings: &TreeSettings, task: Task, n_features: usize) -> Result<Self, TrainError> {
        settings.validate()?;
        if n_features == 0 {
            return Err(TrainError::NoFeatures);
        }
        Ok(TreeLearner {
            settings: settings.clone(),
            model: TreeScorer {
                ensemble: Ensemble::default(),
                task,
                n_features,
            },
            rounds: 0,
            state: None,
        })
    }

    /// Puts back the trees saved by [`Learner::save`] of this learner
    /// (early stopping's best round): the ensemble is replaced, and the
    /// training margins are recomputed at the next round, which grows the
    /// tree that follows the restored ones. The count of rounds trained is
    /// kept, as [`Learner::restore`] asks. Errors: bytes that are not a
    /// tree model of this learner's features.
    ///
    /// [`Learner::restore`] for trees is this.
    pub fn restore(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        self.model.ensemble = Ensemble::from_bytes(bytes, self.model.n_features)?;
        self.state = None;
        Ok(())
    }

    /// Bins and margins for these training rows, rebuilt when the rows
    /// differ from the last round's.
    fn state_for(&mut self, x: &Matrix, y: &[f32]) -> TrainState {
        let key = fingerprint(x, y);
        match self.state.take() {
            Some(state) if state.key == key => state,
            _ => {
                if self.model.ensemble.trees.is_empty() {
                    self.model.ensemble.base_score = base_score(self.model.task, y);
                    if let Task::Multiclass { classes } = self.model.task {
                        self.model.ensemble.class_base_scores = softmax::base_margins(y, classes);
                    }
                }
                let cuts = Cuts::fit(&x.data, x.rows, x.cols);
                TrainState {
                    key,
                    codes: cuts.codes(&x.data, x.rows, x.cols),
                    cuts,
                    margins: self.model.ensemble.margins(x),
                }
            }
        }
    }

    /// The rows round `round` (0-based) grows its tree on: each row with
    /// probability `subsample`, drawn from a generator seeded by the seed
    /// and the round alone, so a round's sample never depends on what came
    /// before it.
    fn sample(&self, rows: usize, round: usize) -> Vec<usize> {
        if self.settings.subsample >= 1.0 {
            return (0..rows).collect();
        }
        let seed = self
            .settings
            .seed
            .wrapping_add((round as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let chosen: Vec<usize> = (0..rows)
            .filter(|_| rng.random::<f64>() < self.settings.subsample)
            .collect();
        if chosen.is_empty() {
            (0..rows).collect()
        } else {
            chosen
        }
    }
}

/// Gradient and hessian of the loss at margin `m` for target `t`: log loss
/// `(p − t, p(1 − p))` with `p = σ(m)`, squared error `(m − t, 1)` (the
/// ½-scaled form XGBoost uses, so the regularisation means the same).
fn gradients(task: Task, margins: &[f64], y: &[f32]) -> (Vec<f64>, Vec<f64>) {
    margins
        .iter()
        .zip(y)
        .map(|(&m, &t)| {
            let t = f64::from(t);
            match task {
                Task::Classification => {
                    let p = 1.0 / (1.0 + (-m).exp());
                    (p - t, (p * (1.0 - p)).max(1e-16))
                }
                // Multi-class grows its trees from softmax::class_gradients.
                Task::Regression | Task::Multiclass { .. } => (m - t, 1.0),
            }
        })
        .unzip()
}

impl Scorer for TreeLearner {
    fn family(&self) -> Family {
        Family::Trees
    }

    fn task(&self) -> Task {
        self.model.task()
    }

    fn n_features(&self) -> usize {
        self.model.n_features()
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>, TrainError> {
        self.model.predict(x)
    }

    fn feature_importance(&self) -> Option<Vec<f64>> {
        self.model.feature_importance()
    }
}

impl Learner for TreeLearner {
    fn unit(&self) -> TrainingUnit {
        TrainingUnit::Round
    }

    fn completed(&self) -> usize {
        self.rounds
    }

    fn train_unit(&mut self, x: &Matrix, y: &[f32]) -> Result<f64, TrainError> {
        check_features(x, self.model.n_features)?;
        if x.rows == 0 {
            return Err(TrainError::NoRows);
        }
        if y.len() != x.rows {
            return Err(TrainError::TargetCount {
                expected: x.rows,
                actual: y.len(),
            });
        }
        if let Some(row) = y.iter().position(|v| !v.is_finite()) {
            return Err(TrainError::NonFiniteInput { row });
        }
        if let Task::Multiclass { classes } = self.model.task
            && let Some(row) = y
                .iter()
                .position(|&v| v < 0.0 || v as usize >= classes || v.fract() != 0.0)
        {
            return Err(TrainError::ClassIndex { row, classes });
        }
        let mut state = self.state_for(x, y);
        let params = GrowParams {
            max_depth: self.settings.max_depth,
            min_child_weight: self.settings.min_child_weight,
            l2: self.settings.l2,
            learning_rate: self.settings.learning_rate,
        };
        let binned = Binned {
            codes: &state.codes,
            rows: x.rows,
            cuts: &state.cuts,
        };
        let outputs = self.model.ensemble.outputs();
        // One sample per round, shared by a multi-class round's trees.
        let sample = self.sample(x.rows, self.model.ensemble.trees.len() / outputs);
        let trees: Vec<Tree> = match self.model.task {
            Task::Multiclass { classes } => {
                let probs = softmax::all_probabilities(&state.margins, classes);
                (0..classes)
                    .map(|k| {
                        let (grad, hess) = softmax::class_gradients(&probs, classes, y, k);
                        Tree::grow(&binned, &grad, &hess, sample.clone(), &params)
                    })
                    .collect()
            }
            Task::Classification | Task::Regression => {
                let (grad, hess) = gradients(self.model.task, &state.margins, y);
                vec![Tree::grow(&binned, &grad, &hess, sample, &params)]
            }
        };
        for (k, tree) in trees.iter().enumerate() {
            for r in 0..x.rows {
                state.margins[r * outputs + k] += tree.predict_row(x.row(r));
            }
        }
        self.model.ensemble.trees.extend(trees);
        self.rounds += 1;
        let loss = mean_loss(self.model.task, &state.margins, y);
        self.state = Some(state);
        Ok(loss)
    }

    fn evaluate_loss(&self, x: &Matrix, y: &[f32]) -> Result<f64, TrainError> {
        check_features(x, self.model.n_features)?;
        if y.len() != x.rows {
            return Err(TrainError::TargetCount {
                expected: x.rows,
                actual: y.len(),
            });
        }
        Ok(mean_loss(
            self.model.task,
            &self.model.ensemble.margins(x),
            y,
        ))
    }

    /// Applies to the trees of later rounds; the trees grown so far keep
    /// the rate they were grown with (XGBoost's `eta` per round).
    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), TrainError> {
        let settings = TreeSettings {
            learning_rate,
            ..self.settings.clone()
        };
        settings.validate()?;
        self.settings = settings;
        Ok(())
    }

    fn model_spec(&self) -> ModelSpec {
        ModelSpec::Trees {
            settings: self.settings.clone(),
        }
    }

    fn save(&self) -> Result<Vec<u8>, TrainError> {
        self.model.ensemble.to_bytes()
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        TreeLearner::restore(self, bytes)
    }
}

/// A saved tree model opened for scoring.
#[derive(Debug)]
pub struct TreeScorer {
    ensemble: Ensemble,
    task: Task,
    n_features: usize,
}

impl TreeScorer {
    /// The model saved as `bytes` by [`TreeLearner::save`]. Errors: invalid
    /// settings, no features, bytes that are not a tree model of
    /// `n_features` features.
    pub fn open(
        settings: &TreeSettings,
        task: Task,
        n_features: usize,
        bytes: &[u8],
    ) -> Result<TreeScorer, TrainError> {
        settings.validate()?;
        if n_features == 0 {
            return Err(TrainError::NoFeatures);
        }
        let ensemble = Ensemble::from_bytes(bytes, n_features)?;
        if ensemble.outputs() != task.outputs() {
            return Err(TrainError::Weights(format!(
                "the trees give {} margins per row, the target needs {}",
                ensemble.outputs(),
                task.outputs()
            )));
        }
        Ok(TreeScorer {
            ensemble,
            task,
            n_features,
        })
    }
}

impl Scorer for TreeScorer {
    fn family(&self) -> Family {
        Family::Trees
    }

    fn task(&self) -> Task {
        self.task
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>, TrainError> {
        check_features(x, self.n_features)?;
        Ok(scores(self.task, &self.ensemble.margins(x)))
    }

    fn feature_importance(&self) -> Option<Vec<f64>> {
        Some(self.ensemble.gain_importance(self.n_features))
    }
}
