//! One finished run as the history keeps it: what it was set up with
//! ([`RunSetup`]), its curves and final metrics ([`RunRecord`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{MAX_CURVE_POINTS, MAX_ROC_POINTS};
use crate::data::prep::Recipe;
use crate::data::source::Source;
use crate::model::run::{EpochReport, Metrics, RunOutcome, TrainingRun};
use crate::model::spec::{NetworkSpec, TrainSettings};
use crate::model::{ModelSpec, TreeSettings};
use crate::tune::names::Setting;

/// What a run was set up with: the inputs of [`RunRecord::from_history`],
/// and the part of a [`RunRecord`] that says what was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSetup {
    pub source: Source,
    /// [`fingerprint`](crate::tune::fingerprint) of the loaded table.
    pub fingerprint: String,
    pub recipe: Recipe,
    pub spec: NetworkSpec,
    pub train: TrainSettings,
    /// The epoch target; `None` when training until paused.
    pub epochs: Option<usize>,
    /// A boosted-trees run's settings (then `spec` and `train` are unused
    /// defaults); absent for a network run, as in files from before trees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trees: Option<TreeSettings>,
}

impl RunSetup {
    /// What the run trained: its family and that family's settings.
    pub fn model_spec(&self) -> ModelSpec {
        ModelSpec::from_parts(&self.spec, &self.train, self.trees.as_ref())
    }
}

/// One finished training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Unique within a history; assigned by [`History::add`](super::History::add).
    pub id: u64,
    pub name: String,
    /// Pinned runs are the last to go when the history is over its cap.
    #[serde(default)]
    pub pinned: bool,
    /// When the run finished, in seconds since the Unix epoch.
    pub created_unix: u64,
    /// Data, recipe, network and training settings. Flattened: the file
    /// keeps the fields at the run's top level, as before the split.
    #[serde(flatten)]
    pub setup: RunSetup,
    /// The compute device, as shown to the user.
    pub device: String,
    /// Seconds from the first epoch to the last, as the user waited.
    pub wall_seconds: f64,
    /// Per-epoch curves (downsampled beyond [`MAX_CURVE_POINTS`]).
    pub history: Vec<EpochReport>,
    /// Test metrics of the final model at `threshold` (0.5 in records
    /// written before the three-way split); `None` when the run did not
    /// finish (the test rows were not looked at).
    pub final_metrics: Option<Metrics>,
    /// Validation metrics of the final model at `threshold`: what sweeps
    /// and the runs table rank by. Absent in older records.
    #[serde(default)]
    pub valid_metrics: Option<Metrics>,
    /// Classification: the threshold chosen on the validation rows.
    #[serde(default)]
    pub threshold: Option<f64>,
    pub stopped_early: bool,
    /// The epoch with the lowest validation loss.
    #[serde(default)]
    pub best_epoch: Option<usize>,
    /// Whether the final model has `best_epoch`'s weights (early stopping
    /// restored them) rather than the last epoch's.
    #[serde(default)]
    pub restored_best: bool,
}

impl RunRecord {
    /// A record of `run` as it is now (call it when the run finished or was
    /// stopped). The network and training settings are the trainer's own,
    /// with the learning rate it ended with (it can change live). `id` and
    /// `name` are left for [`History::add`](super::History::add) to fill in when empty.
    pub fn from_run(
        run: &TrainingRun,
        source: Source,
        recipe: Recipe,
        fingerprint: String,
        epochs: Option<usize>,
        wall_seconds: f64,
    ) -> RunRecord {
        let (spec, train, trees) = match run.model_spec() {
            ModelSpec::Network { spec, settings } => (spec, settings, None),
            ModelSpec::Trees { settings } => (
                NetworkSpec::default(),
                TrainSettings::default(),
                Some(settings),
            ),
        };
        let mut record = RunRecord {
            id: 0,
            name: String::new(),
            pinned: false,
            created_unix: crate::tune::unix_now(),
            setup: RunSetup {
                source,
                fingerprint,
                recipe,
                spec,
                train,
                epochs,
                trees,
            },
            device: run.device_description().to_owned(),
            wall_seconds,
            history: run.history().to_vec(),
            final_metrics: None,
            valid_metrics: None,
            threshold: None,
            stopped_early: run.stopped_early(),
            best_epoch: run.best_epoch(),
            restored_best: false,
        };
        record.set_outcome(run.outcome());
        record.compact();
        record
    }

    /// A record from plain values, for a driver that never holds the
    /// [`TrainingRun`] (the app receives the curves and the outcome as
    /// worker events). The best epoch is the first with the lowest
    /// validation loss; the run counts as stopped early when its patience
    /// ([`TrainSettings::early_stopping`]) ran out after that best.
    pub fn from_history(
        setup: RunSetup,
        device: String,
        wall_seconds: f64,
        history: Vec<EpochReport>,
        outcome: Option<&RunOutcome>,
    ) -> RunRecord {
        let mut best: Option<(usize, f64)> = None;
        for r in &history {
            if r.valid_loss.is_finite() && best.is_none_or(|(_, loss)| r.valid_loss < loss) {
                best = Some((r.epoch, r.valid_loss));
            }
        }
        let best_epoch = best.map(|(epoch, _)| epoch);
        let last = history.last().map_or(0, |r| r.epoch);
        let stopped_early = match (setup.model_spec().patience(), best_epoch) {
            (Some(patience), Some(best)) => last - best.min(last) >= patience,
            _ => false,
        };
        let mut record = RunRecord {
            id: 0,
            name: String::new(),
            pinned: false,
            created_unix: crate::tune::unix_now(),
            setup,
            device,
            wall_seconds,
            final_metrics: None,
            valid_metrics: None,
            threshold: None,
            history,
            stopped_early,
            best_epoch,
            restored_best: false,
        };
        record.set_outcome(outcome);
        record.compact();
        record
    }

    /// Final metrics from the run's outcome; without one (a run stopped
    /// before it ended), the last epoch's validation metrics and no test
    /// metrics.
    fn set_outcome(&mut self, outcome: Option<&RunOutcome>) {
        match outcome {
            Some(o) => {
                self.final_metrics = Some(o.test_metrics.clone());
                self.valid_metrics = Some(o.valid_metrics.clone());
                self.threshold = o.threshold;
                self.restored_best = o.restored_best;
                if o.best_epoch.is_some() {
                    self.best_epoch = o.best_epoch;
                }
            }
            None => {
                self.final_metrics = None;
                self.valid_metrics = self.history.last().map(|r| r.metrics.clone());
            }
        }
    }

    /// Epochs the run trained (its last epoch number).
    pub fn epochs_trained(&self) -> usize {
        self.history.last().map_or(0, |r| r.epoch)
    }

    /// Every setting as readable text, in [`Setting::ALL`] order: for the
    /// runs table, its CSV export and [`differing_settings`].
    pub fn settings(&self) -> Vec<(Setting, String)> {
        Setting::ALL.map(|s| (s, s.value(self))).to_vec()
    }

    /// Drops what the history does not need to keep (per-epoch ROC curves)
    /// and thins long curves; see the module documentation.
    pub(super) fn compact(&mut self) {
        for report in &mut self.history {
            match &mut report.metrics {
                Metrics::Classification(m) => m.roc = Vec::new(),
                // One curve per class: none kept per epoch either.
                Metrics::Multiclass(m) => m.per_class.iter_mut().for_each(|f| f.roc = Vec::new()),
                Metrics::Regression(_) => {}
            }
        }
        if self.history.len() > MAX_CURVE_POINTS {
            self.history = thin(&self.history, MAX_CURVE_POINTS);
        }
        for metrics in [&mut self.final_metrics, &mut self.valid_metrics] {
            if let Some(Metrics::Classification(m)) = metrics
                && m.roc.len() > MAX_ROC_POINTS
            {
                m.roc = thin(&m.roc, MAX_ROC_POINTS);
            }
            if let Some(Metrics::Multiclass(m)) = metrics {
                for f in m
                    .per_class
                    .iter_mut()
                    .filter(|f| f.roc.len() > MAX_ROC_POINTS)
                {
                    f.roc = thin(&f.roc, MAX_ROC_POINTS);
                }
            }
        }
    }
}

/// `64,32`, or `none` for no hidden layer.
pub fn layers_label(hidden: &[usize]) -> String {
    if hidden.is_empty() {
        "none".to_owned()
    } else {
        hidden
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// At most `max` (>= 2) evenly spaced items, always the first and the last.
fn thin<T: Clone>(items: &[T], max: usize) -> Vec<T> {
    let n = items.len();
    if n <= max || max < 2 {
        return items.to_vec();
    }
    (0..max)
        .map(|i| items[i * (n - 1) / (max - 1)].clone())
        .collect()
}

/// The settings whose values are not the same in all of `records`: what a
/// runs table should highlight. Empty for fewer than two runs.
pub fn differing_settings(records: &[&RunRecord]) -> BTreeSet<Setting> {
    let Some((first, rest)) = records.split_first() else {
        return BTreeSet::new();
    };
    Setting::ALL
        .into_iter()
        .filter(|setting| {
            let value = setting.value(first);
            rest.iter().any(|r| setting.value(r) != value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thin_keeps_ends_and_count() {
        let items: Vec<usize> = (0..2500).collect();
        let thinned = thin(&items, 1000);
        assert_eq!(thinned.len(), 1000);
        assert_eq!(thinned.first(), Some(&0));
        assert_eq!(thinned.last(), Some(&2499));
        assert!(thinned.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(thin(&items[..10], 1000).len(), 10);
    }
}
