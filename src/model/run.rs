//! A training run on prepared data: a [`Learner`] of any family plus what
//! turns its raw numbers into what a user reads (metrics on the test split, regression
//! values in the target's own units). The worker thread and the `train`
//! command both drive this, so the app and the CLI train identically.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::device::SelectedDevice;
use super::error::TrainError;
use super::family::{Learner, ModelSpec};
use super::metrics::{ClassificationMetrics, MetricsError, RegressionMetrics};
use super::spec::{NetworkSpec, Task, TrainSettings};
use crate::data::prep::{Matrix, Prepared, TargetEncoding};

/// Default decision threshold for classification metrics.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum RunError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("cannot compute metrics: {0}")]
    Metrics(#[from] MetricsError),
}

/// Test-split quality after an epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "lowercase")]
pub enum Metrics {
    Classification(ClassificationMetrics),
    Regression(RegressionMetrics),
}

impl Metrics {
    /// The per-epoch figures a history file records: accuracy and AUC, or
    /// MAE and RMSE (`None` where undefined, e.g. AUC with one class).
    pub fn history_columns(&self) -> [(&'static str, Option<f64>); 2] {
        match self {
            Metrics::Classification(m) => [("accuracy", Some(m.accuracy)), ("auc", m.auc)],
            Metrics::Regression(m) => [("mae", Some(m.mae)), ("rmse", Some(m.rmse))],
        }
    }

    /// The headline number: accuracy, or RMSE for regression.
    pub fn headline(&self) -> (&'static str, f64) {
        match self {
            Metrics::Classification(m) => ("accuracy", m.accuracy),
            Metrics::Regression(m) => ("RMSE", m.rmse),
        }
    }
}

/// What one epoch produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    /// Mean loss over the epoch's training batches (BCE, or MSE on the
    /// standardized target for regression).
    pub train_loss: f64,
    /// The same loss on the test split, after the epoch.
    pub valid_loss: f64,
    pub metrics: Metrics,
    /// Seconds this epoch took, training and evaluation.
    pub seconds: f64,
}

/// Maps network outputs for a standardized regression target back to the
/// target's units (`scale` is its training `(mean, std)`); classification
/// (`None`) is left as probabilities.
pub fn to_target_units(values: &mut [f32], scale: Option<(f64, f64)>) {
    if let Some((mean, std)) = scale {
        for v in values {
            *v = (f64::from(*v) * std + mean) as f32;
        }
    }
}

/// Why a run stopped before its epoch target: its validation loss had not
/// improved for `patience` epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStop {
    /// The last epoch trained.
    pub epoch: usize,
    /// The epoch with the lowest validation loss.
    pub best_epoch: usize,
    pub best_valid_loss: f64,
}

impl std::fmt::Display for EarlyStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped early at epoch {} (best validation loss {:.4} at epoch {})",
            self.epoch, self.best_valid_loss, self.best_epoch
        )
    }
}

/// One model learning one prepared data set.
///
/// With early stopping ([`TrainSettings::early_stopping`]) the run tracks
/// its best validation loss; once `patience` epochs in a row brought no new
/// best, [`stopped_early`](Self::stopped_early) turns true and the driver
/// (worker, CLI, sweep) stops calling [`run_epoch`](Self::run_epoch). The
/// network keeps the weights of the *last* epoch, not the best one: they
/// match the last point of the curves and the metrics the user saw, and no
/// weight snapshot is taken on every improvement. The best epoch is
/// recorded so the user can retrain to exactly that many epochs.
///
/// "Epoch" here is the family's [training unit](super::TrainingUnit): a
/// boosting round for trees.
#[derive(Debug)]
pub struct TrainingRun {
    learner: Box<dyn Learner>,
    prepared: Arc<Prepared>,
    /// Training targets as the network sees them (regression standardized).
    train_y: Vec<f32>,
    test_y: Vec<f32>,
    /// `(mean, std)` mapping network outputs back to target units.
    target_scale: Option<(f64, f64)>,
    device_description: String,
    history: Vec<EpochReport>,
    /// Epochs without improvement before stopping; `None`: never stop early.
    patience: Option<usize>,
    /// `(epoch, validation loss)` of the lowest validation loss so far.
    best: Option<(usize, f64)>,
    /// Epochs trained since `best`.
    since_best: usize,
}

impl TrainingRun {
    /// A network run: [`with_model`](Self::with_model) for
    /// [`ModelSpec::Network`].
    pub fn new(
        prepared: Arc<Prepared>,
        spec: &NetworkSpec,
        settings: &TrainSettings,
        device: &SelectedDevice,
    ) -> Result<TrainingRun, RunError> {
        let model = ModelSpec::Network {
            spec: spec.clone(),
            settings: settings.clone(),
        };
        Self::with_model(prepared, &model, device)
    }

    /// A fresh model of `model`'s family for `prepared` on `device`.
    /// Errors: invalid settings, no feature columns.
    pub fn with_model(
        prepared: Arc<Prepared>,
        model: &ModelSpec,
        device: &SelectedDevice,
    ) -> Result<TrainingRun, RunError> {
        let (task, target_scale) = match prepared.pipeline.encoding {
            TargetEncoding::Classification { .. } => (Task::Classification, None),
            TargetEncoding::Regression { mean, std, .. } => {
                // A constant target has std 0: train on the centred value.
                let std = if std > 0.0 && std.is_finite() {
                    std
                } else {
                    1.0
                };
                (Task::Regression, Some((mean, std)))
            }
        };
        let scale_y = |y: &[f32]| -> Vec<f32> {
            match target_scale {
                None => y.to_vec(),
                Some((mean, std)) => y
                    .iter()
                    .map(|&v| ((f64::from(v) - mean) / std) as f32)
                    .collect(),
            }
        };
        let learner = model.learner(task, prepared.pipeline.n_features(), &device.device)?;
        let patience = model.patience();
        Ok(TrainingRun {
            train_y: scale_y(&prepared.train.y),
            test_y: scale_y(&prepared.test.y),
            learner,
            prepared,
            target_scale,
            device_description: device.description.clone(),
            history: Vec::new(),
            patience,
            best: None,
            since_best: 0,
        })
    }

    /// The model being trained.
    pub fn learner(&self) -> &dyn Learner {
        &*self.learner
    }

    /// Epochs (training units) completed so far.
    pub fn epoch(&self) -> usize {
        self.learner.completed()
    }

    /// What is trained, with the settings as they stand now (the learning
    /// rate can change during the run).
    pub fn model_spec(&self) -> ModelSpec {
        self.learner.model_spec()
    }

    /// Changes the learning rate from the next step on.
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), RunError> {
        Ok(self.learner.set_learning_rate(learning_rate)?)
    }

    pub fn prepared(&self) -> &Arc<Prepared> {
        &self.prepared
    }

    pub fn history(&self) -> &[EpochReport] {
        &self.history
    }

    pub fn device_description(&self) -> &str {
        &self.device_description
    }

    pub fn task(&self) -> Task {
        self.learner.task()
    }

    /// Whether early stopping ran out of patience: the last `patience`
    /// epochs brought no new best validation loss. Always false without
    /// early stopping.
    pub fn stopped_early(&self) -> bool {
        self.patience.is_some_and(|p| self.since_best >= p)
    }

    /// The epoch with the lowest validation loss so far (tracked with or
    /// without early stopping); `None` before the first epoch.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best.map(|(epoch, _)| epoch)
    }

    /// The lowest validation loss so far.
    pub fn best_valid_loss(&self) -> Option<f64> {
        self.best.map(|(_, loss)| loss)
    }

    /// Details of the early stop, once [`stopped_early`](Self::stopped_early).
    pub fn early_stop(&self) -> Option<EarlyStop> {
        let (best_epoch, best_valid_loss) = self.best?;
        self.stopped_early().then(|| EarlyStop {
            epoch: self.learner.completed(),
            best_epoch,
            best_valid_loss,
        })
    }

    /// Lets a run that stopped early train on: the patience counter starts
    /// again, so it stops after another `patience` epochs without a new best
    /// (the user pressed Play after an early stop). Does nothing to a run
    /// that has not stopped, so a pause does not reset the count.
    pub fn continue_after_early_stop(&mut self) {
        if self.stopped_early() {
            self.since_best = 0;
        }
    }

    /// `(mean, std)` of the regression target; `None` when classifying.
    pub fn target_scale(&self) -> Option<(f64, f64)> {
        self.target_scale
    }

    /// Trains one more epoch and evaluates on the test split.
    pub fn run_epoch(&mut self) -> Result<EpochReport, RunError> {
        let start = Instant::now();
        let train_loss = self
            .learner
            .train_unit(&self.prepared.train.x, &self.train_y)?;
        let valid_loss = self
            .learner
            .evaluate_loss(&self.prepared.test.x, &self.test_y)?;
        let metrics = self.test_metrics(DEFAULT_THRESHOLD)?;
        let report = EpochReport {
            epoch: self.learner.completed(),
            train_loss,
            valid_loss,
            metrics,
            seconds: start.elapsed().as_secs_f64(),
        };
        // Strictly lower counts as progress; a NaN loss never does.
        if self.best.is_none_or(|(_, best)| valid_loss < best) && valid_loss.is_finite() {
            self.best = Some((report.epoch, valid_loss));
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        self.history.push(report.clone());
        Ok(report)
    }

    /// Predictions for an encoded matrix: probabilities of the positive
    /// class, or values in the target's units.
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f32>, RunError> {
        let mut out = self.learner.predict(x)?;
        to_target_units(&mut out, self.target_scale);
        self.prepared.pipeline.constrain_predictions(&mut out);
        Ok(out)
    }

    /// Metrics on the test split at `threshold` (ignored for regression).
    pub fn test_metrics(&self, threshold: f64) -> Result<Metrics, RunError> {
        let test = &self.prepared.test;
        let predictions = self.predict(&test.x)?;
        Ok(match self.task() {
            Task::Classification => Metrics::Classification(ClassificationMetrics::compute(
                &predictions,
                &test.y,
                threshold,
            )?),
            Task::Regression => {
                Metrics::Regression(RegressionMetrics::compute(&predictions, &test.y)?)
            }
        })
    }
}
