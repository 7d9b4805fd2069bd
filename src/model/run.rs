//! A training run on prepared data: a [`Learner`] of any family plus what
//! turns its raw numbers into what a user reads (metrics, regression values
//! in the target's own units). The worker thread, the `train` command and
//! sweeps all drive this, so they train identically.
//!
//! Honest evaluation: the model learns from the training rows; every epoch
//! is judged on the validation rows (curves, early stopping, rankings); the
//! test rows are looked at only by [`TrainingRun::finish`] (or every epoch
//! when a user asks to watch them, labelled as such), after the best
//! weights were restored and the threshold was chosen on validation rows.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::device::SelectedDevice;
use super::error::TrainError;
use super::family::{Learner, ModelSpec};
use super::metrics::{
    ClassificationMetrics, MetricsError, MulticlassMetrics, RegressionMetrics, best_f1_threshold,
};
use super::spec::{NetworkSpec, Task, TrainSettings};
use crate::data::prep::{Dataset, Matrix, Prepared, TargetEncoding};
use crate::model::calibration::{CalibrationMethod, Calibrator};

mod early_stop;

pub use early_stop::EarlyStop;

/// Default decision threshold for classification metrics.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum RunError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("cannot compute metrics: {0}")]
    Metrics(#[from] MetricsError),
    #[error("the run has not trained an epoch yet")]
    NotTrained,
    /// A network given data prepared with missing values kept missing.
    #[error(
        "a network cannot read missing values: choose an imputation (median, mean, most \
         frequent or drop rows); keeping them missing is for boosted trees"
    )]
    MissingForNetwork,
}

/// Quality on one part of the split (validation or test rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "lowercase")]
pub enum Metrics {
    Classification(ClassificationMetrics),
    Regression(RegressionMetrics),
    /// A multi-class target: the most probable class, no threshold (boxed:
    /// it is far larger than the others, and reports travel in events).
    Multiclass(Box<MulticlassMetrics>),
}

impl Metrics {
    /// The per-epoch figures a history file records: accuracy and AUC, or
    /// MAE and RMSE (`None` where undefined, e.g. AUC with one class).
    pub fn history_columns(&self) -> [(&'static str, Option<f64>); 2] {
        match self {
            Metrics::Classification(m) => [("accuracy", Some(m.accuracy)), ("auc", m.auc)],
            Metrics::Regression(m) => [("mae", Some(m.mae)), ("rmse", Some(m.rmse))],
            Metrics::Multiclass(m) => [("accuracy", Some(m.accuracy)), ("auc", m.macro_auc)],
        }
    }

    /// The headline number: accuracy, or RMSE for regression.
    pub fn headline(&self) -> (&'static str, f64) {
        match self {
            Metrics::Classification(m) => ("accuracy", m.accuracy),
            Metrics::Regression(m) => ("RMSE", m.rmse),
            Metrics::Multiclass(m) => ("accuracy", m.accuracy),
        }
    }
}

/// What one epoch produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    /// Mean loss over the epoch's training batches: binary cross-entropy,
    /// or for regression the mean squared error in the target's own units
    /// (squared), though the network trains on the standardized target.
    pub train_loss: f64,
    /// The same loss on the validation rows, after the epoch.
    pub valid_loss: f64,
    /// Validation metrics after the epoch (classification at threshold 0.5).
    pub metrics: Metrics,
    /// Test metrics after the epoch, only when the user asked to watch the
    /// test rows live ([`TrainingRun::watch_test_rows`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_metrics: Option<Metrics>,
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

/// How a run ended: what [`TrainingRun::finish`] reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOutcome {
    /// Epochs (units) trained.
    pub epochs: usize,
    /// The epoch with the lowest validation loss.
    pub best_epoch: Option<usize>,
    /// Whether the weights of `best_epoch` were put back (early stopping on
    /// and a later epoch was worse).
    pub restored_best: bool,
    /// Classification: the threshold with the best F1 on the validation
    /// rows, at which both metrics below are computed; `None` for
    /// regression.
    pub threshold: Option<f64>,
    /// `[negative, positive]` loss weights used in training, when weighted.
    pub class_weights: Option<[f32; 2]>,
    /// A multi-class target's loss weight per class, when weighted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiclass_weights: Option<Vec<f32>>,
    /// The calibration map fitted on the validation rows, when one was
    /// asked for and the validation rows hold both classes; the threshold
    /// and both metrics are of the calibrated scores.
    #[serde(default)]
    pub calibration: Option<Calibrator>,
    /// Validation metrics of the final model.
    pub valid_metrics: Metrics,
    /// Test metrics of the final model: the first time the run looks at
    /// the test rows (unless the user watched them live).
    pub test_metrics: Metrics,
}

/// One model learning one prepared data set.
///
/// With early stopping ([`TrainSettings::early_stopping`]) the run tracks
/// its best validation loss and keeps a copy of the weights that reached
/// it; once `patience` epochs in a row brought no new best,
/// [`stopped_early`](Self::stopped_early) turns true and the driver
/// (worker, CLI, sweep) stops calling [`run_epoch`](Self::run_epoch) and
/// calls [`finish`](Self::finish), which restores those best weights
/// (Keras' `restore_best_weights`). Without early stopping the last
/// epoch's weights stay (the classroom "until paused").
///
/// "Epoch" here is the family's [training unit](super::TrainingUnit): a
/// boosting round for trees.
#[derive(Debug)]
pub struct TrainingRun {
    learner: Box<dyn Learner>,
    prepared: Arc<Prepared>,
    /// Training targets as the network sees them (regression standardized).
    train_y: Vec<f32>,
    valid_y: Vec<f32>,
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
    /// The weights at `best` ([`Learner::save`]), kept with early stopping.
    best_weights: Option<Vec<u8>>,
    /// Resolved class weights, when the settings ask for any.
    class_weights: Option<[f32; 2]>,
    /// Resolved per-class weights of a multi-class target, when asked for.
    multiclass_weights: Option<Vec<f32>>,
    /// Compute test metrics every epoch (the user asked to watch them).
    watch_test: bool,
    /// What the last [`finish`](Self::finish) reported.
    outcome: Option<RunOutcome>,
    /// The calibration map [`finish`](Self::finish) fits, if any.
    calibration: Option<CalibrationMethod>,
    /// The fitted map and the epoch count of the model it was fitted for
    /// (training on makes it stale).
    calibrator: Option<(usize, Calibrator)>,
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
        let task = Task::for_encoding(&prepared.pipeline.encoding);
        let target_scale = match prepared.pipeline.encoding {
            TargetEncoding::Classification { .. } | TargetEncoding::Multiclass { .. } => None,
            TargetEncoding::Regression { mean, std, .. } => {
                // A constant target has std 0: train on the centred value.
                let std = if std > 0.0 && std.is_finite() {
                    std
                } else {
                    1.0
                };
                Some((mean, std))
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
        if model.family() == super::family::Family::Network
            && prepared.pipeline.impute == crate::data::prep::Impute::KeepMissing
        {
            return Err(RunError::MissingForNetwork);
        }
        let mut learner = model.learner(task, prepared.pipeline.n_features(), &device.device)?;
        let class_weights = match task {
            Task::Classification => model
                .class_weight()
                .and_then(|w| w.resolve(&prepared.train.y)),
            Task::Regression | Task::Multiclass { .. } => None,
        };
        if let Some(weights) = class_weights {
            learner.set_class_weights(weights)?;
        }
        let multiclass_weights = match (task, model.class_weight()) {
            (Task::Multiclass { classes }, Some(weight)) => weight
                .resolve_multiclass(&prepared.train.y, classes)
                .map_err(TrainError::from)?,
            _ => None,
        };
        if let Some(weights) = &multiclass_weights {
            learner.set_multiclass_weights(weights)?;
        }
        let patience = model.patience();
        // A calibration map is fitted to one probability; a multi-class
        // model's softmax stays as it is.
        let calibration = match task {
            Task::Classification => model.calibration(),
            Task::Regression | Task::Multiclass { .. } => None,
        };
        Ok(TrainingRun {
            train_y: scale_y(&prepared.train.y),
            valid_y: scale_y(&prepared.valid.y),
            learner,
            prepared,
            target_scale,
            device_description: device.description.clone(),
            history: Vec::new(),
            patience,
            best: None,
            since_best: 0,
            best_weights: None,
            class_weights,
            multiclass_weights,
            watch_test: false,
            outcome: None,
            calibration,
            calibrator: None,
        })
    }

    /// The model being trained.
    pub fn learner(&self) -> &dyn Learner {
        &*self.learner
    }

    /// Takes the weights of a finished run of the same model on the same
    /// prepared data ([`Learner::save`]'s bytes, e.g. a sweep's best run)
    /// in place of this one's. The epoch count and optimizer state stay
    /// this run's; an error if the bytes do not fit the model.
    pub fn adopt_weights(&mut self, weights: &[u8]) -> Result<(), RunError> {
        self.learner.restore(weights)?;
        Ok(())
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
            unit: self.learner.unit(),
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

    /// Computes test metrics every epoch from now on ([`EpochReport::test_metrics`]),
    /// for a user who ticked "watch test rows"; off by default, so nothing
    /// looks at the test rows before [`finish`](Self::finish).
    pub fn watch_test_rows(&mut self, watch: bool) {
        self.watch_test = watch;
    }

    /// `[negative, positive]` loss weights in use, when weighted.
    pub fn class_weights(&self) -> Option<[f32; 2]> {
        self.class_weights
    }

    /// `(mean, std)` of the regression target; `None` when classifying.
    pub fn target_scale(&self) -> Option<(f64, f64)> {
        self.target_scale
    }

    /// Trains one more epoch and evaluates it on the validation rows (and
    /// the test rows only when [watched](Self::watch_test_rows)).
    pub fn run_epoch(&mut self) -> Result<EpochReport, RunError> {
        let start = Instant::now();
        let train_loss = self
            .learner
            .train_unit(&self.prepared.train.x, &self.train_y)?;
        let valid_loss = self
            .learner
            .evaluate_loss(&self.prepared.valid.x, &self.valid_y)?;
        // A standardized target's MSE times std² is the MSE in the target's
        // units: the curves read in the units the user knows (a constant
        // factor, so the best epoch is the same).
        let to_units = self.target_scale.map_or(1.0, |(_, std)| std * std);
        let (train_loss, valid_loss) = (train_loss * to_units, valid_loss * to_units);
        let metrics = self.valid_metrics(DEFAULT_THRESHOLD)?;
        let test_metrics = if self.watch_test {
            Some(self.test_metrics(DEFAULT_THRESHOLD)?)
        } else {
            None
        };
        let report = EpochReport {
            epoch: self.learner.completed(),
            train_loss,
            valid_loss,
            metrics,
            test_metrics,
            seconds: start.elapsed().as_secs_f64(),
        };
        // Strictly lower counts as progress; a NaN loss never does.
        if self.best.is_none_or(|(_, best)| valid_loss < best) && valid_loss.is_finite() {
            self.best = Some((report.epoch, valid_loss));
            self.since_best = 0;
            if self.patience.is_some() {
                self.best_weights = Some(self.learner.save()?);
            }
        } else {
            self.since_best += 1;
        }
        self.history.push(report.clone());
        Ok(report)
    }

    /// Ends the run (it may still train on afterwards, from the weights it
    /// ends with): with early stopping, puts back the weights of the best
    /// validation epoch; chooses the classification threshold with the best
    /// F1 on the validation rows; and only then computes the test metrics.
    /// Errors: no epoch trained yet, a device failure.
    pub fn finish(&mut self) -> Result<RunOutcome, RunError> {
        let epochs = self.learner.completed();
        if epochs == 0 {
            return Err(RunError::NotTrained);
        }
        let best_epoch = self.best_epoch();
        let mut restored_best = false;
        if let (Some(bytes), Some(best)) = (&self.best_weights, best_epoch)
            && best < epochs
        {
            self.learner.restore(bytes)?;
            restored_best = true;
        }
        self.fit_calibration()?;
        let threshold = self.validation_threshold()?;
        let at = threshold.unwrap_or(DEFAULT_THRESHOLD);
        let outcome = RunOutcome {
            epochs,
            best_epoch,
            restored_best,
            threshold,
            class_weights: self.class_weights,
            multiclass_weights: self.multiclass_weights.clone(),
            calibration: self.calibrator().cloned(),
            valid_metrics: self.valid_metrics(at)?,
            test_metrics: self.test_metrics(at)?,
        };
        self.outcome = Some(outcome.clone());
        Ok(outcome)
    }

    /// What [`finish`](Self::finish) reported, if it ran and no epoch was
    /// trained since.
    pub fn outcome(&self) -> Option<&RunOutcome> {
        self.outcome
            .as_ref()
            .filter(|o| o.epochs == self.learner.completed())
    }

    /// Classification: the threshold with the best F1 on the validation rows
    /// as the model stands ([`best_f1_threshold`]); `None` for regression
    /// or validation rows without a positive.
    pub fn validation_threshold(&self) -> Result<Option<f64>, RunError> {
        if self.task() != Task::Classification {
            return Ok(None);
        }
        let valid = &self.prepared.valid;
        let scores = self.predict(&valid.x)?;
        Ok(best_f1_threshold(&scores, &valid.y).map(|(threshold, _)| threshold))
    }

    /// Predictions for an encoded matrix: probabilities of the positive
    /// class (calibrated once [`finish`](Self::finish) fitted a map),
    /// values in the target's units, or for a multi-class target each
    /// class's probability (row-major `rows × classes`, each row summing
    /// to 1).
    pub fn predict(&self, x: &Matrix) -> Result<Vec<f32>, RunError> {
        let out = self.raw_predict(x)?;
        Ok(match self.calibrator() {
            Some(c) => c.apply_all(&out),
            None => out,
        })
    }

    /// Predictions before any calibration.
    fn raw_predict(&self, x: &Matrix) -> Result<Vec<f32>, RunError> {
        let mut out = self.learner.predict(x)?;
        to_target_units(&mut out, self.target_scale);
        self.prepared.pipeline.constrain_predictions(&mut out);
        Ok(out)
    }

    /// Asks [`finish`](Self::finish) to fit `method` on the validation rows
    /// (classification only; `None`: the raw scores).
    pub fn set_calibration(&mut self, method: Option<CalibrationMethod>) {
        if self.task() == Task::Classification {
            self.calibration = method;
        }
    }

    /// The calibration map [`finish`](Self::finish) fits, if one was asked
    /// for.
    pub fn calibration_asked(&self) -> Option<CalibrationMethod> {
        self.calibration
    }

    /// The calibration map of the model as it stands: fitted by the last
    /// [`finish`](Self::finish), `None` once trained on since.
    pub fn calibrator(&self) -> Option<&Calibrator> {
        self.calibrator
            .as_ref()
            .filter(|(epochs, _)| *epochs == self.learner.completed())
            .map(|(_, c)| c)
    }

    /// Fits the asked-for calibration map on the validation rows' raw
    /// scores (never the test rows). Validation rows with one class only
    /// cannot be calibrated: the scores stay raw and the outcome says so
    /// by its empty `calibration`.
    fn fit_calibration(&mut self) -> Result<(), RunError> {
        self.calibrator = None;
        let Some(method) = self.calibration else {
            return Ok(());
        };
        let valid = &self.prepared.valid;
        let scores = self.raw_predict(&valid.x)?;
        if let Ok(c) = Calibrator::fit(method, &scores, &valid.y) {
            self.calibrator = Some((self.learner.completed(), c));
        }
        Ok(())
    }

    /// Metrics on the test rows at `threshold` (ignored for regression).
    /// Drivers call it through [`finish`](Self::finish); calling it during
    /// training is looking at the test rows, which only a user who asked
    /// to may do.
    pub fn test_metrics(&self, threshold: f64) -> Result<Metrics, RunError> {
        self.metrics_on(&self.prepared.test, threshold)
    }

    /// Metrics on the validation rows at `threshold`.
    pub fn valid_metrics(&self, threshold: f64) -> Result<Metrics, RunError> {
        self.metrics_on(&self.prepared.valid, threshold)
    }

    fn metrics_on(&self, part: &Dataset, threshold: f64) -> Result<Metrics, RunError> {
        let predictions = self.predict(&part.x)?;
        Ok(match self.task() {
            Task::Classification => Metrics::Classification(ClassificationMetrics::compute(
                &predictions,
                &part.y,
                threshold,
            )?),
            Task::Regression => {
                Metrics::Regression(RegressionMetrics::compute(&predictions, &part.y)?)
            }
            Task::Multiclass { .. } => {
                let classes = self.prepared.pipeline.encoding.classes().unwrap_or(&[]);
                Metrics::Multiclass(Box::new(MulticlassMetrics::compute(
                    &predictions,
                    &part.y,
                    classes,
                )?))
            }
        })
    }
}
