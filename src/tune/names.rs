//! The names of what a run is measured by ([`Metric`]) and set up with
//! ([`Setting`]): one enum each, so a misspelt name is a compile error
//! rather than a blank cell. Their [`name`](Metric::name)s are the spellings
//! of the CSV exports, the sweep's JSON and the CLI's `--metric`; changing
//! one changes those formats.

use serde::{Deserialize, Serialize};

use super::history::{RunRecord, layers_label};
use crate::data::prep::Problem;
use crate::data::table::format_number;
use crate::model::ModelSpec;
use crate::model::run::Metrics;

/// A number a finished run is judged by: a validation metric (what runs
/// are ranked by), a test metric of the final model, a loss, its time or
/// length. Ordered as a table shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// ROC AUC on the validation rows (classification; undefined with one
    /// class). Accuracy to R² are validation metrics too.
    Auc,
    Accuracy,
    /// Undefined (no value) when nothing was predicted positive.
    Precision,
    Recall,
    F1,
    /// Root mean squared error on the validation rows (regression).
    Rmse,
    Mae,
    /// R² (regression; undefined for a constant target).
    R2,
    /// ROC AUC of the final model on the test rows: reported, never ranked
    /// by in a sweep.
    TestAuc,
    /// RMSE of the final model on the test rows.
    TestRmse,
    /// The last epoch's validation loss.
    ValidLoss,
    /// The lowest validation loss of any epoch.
    BestValidLoss,
    /// The last epoch's training loss.
    TrainLoss,
    /// Epochs trained (not the target: see [`Setting::Epochs`]).
    Epochs,
    /// Seconds the run took, as the user waited.
    WallSeconds,
}

impl Metric {
    /// Whether runs may be ranked (and settings chosen) by this metric:
    /// every one but the test-row metrics, which would tune to the test
    /// rows.
    pub fn is_rankable(self) -> bool {
        !matches!(self, Metric::TestAuc | Metric::TestRmse)
    }

    /// Every metric, in display order.
    pub const ALL: [Metric; 15] = [
        Metric::Auc,
        Metric::Accuracy,
        Metric::Precision,
        Metric::Recall,
        Metric::F1,
        Metric::Rmse,
        Metric::Mae,
        Metric::R2,
        Metric::TestAuc,
        Metric::TestRmse,
        Metric::ValidLoss,
        Metric::BestValidLoss,
        Metric::TrainLoss,
        Metric::Epochs,
        Metric::WallSeconds,
    ];

    /// The metric's machine name (`auc`, `valid_loss`, …): column headers,
    /// JSON keys, `--metric` values.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Auc => "auc",
            Metric::Accuracy => "accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1",
            Metric::Rmse => "rmse",
            Metric::Mae => "mae",
            Metric::R2 => "r2",
            Metric::TestAuc => "test_auc",
            Metric::TestRmse => "test_rmse",
            Metric::ValidLoss => "valid_loss",
            Metric::BestValidLoss => "best_valid_loss",
            Metric::TrainLoss => "train_loss",
            Metric::Epochs => "epochs",
            Metric::WallSeconds => "wall_seconds",
        }
    }

    /// The metric named `name` (exact spelling), if any.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether a larger value is better (AUC, accuracy, precision, recall,
    /// F1, R²); losses, errors, time and epochs are better small.
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            Metric::Auc
                | Metric::Accuracy
                | Metric::Precision
                | Metric::Recall
                | Metric::F1
                | Metric::R2
                | Metric::TestAuc
        )
    }

    /// The metric's value for `record`; `None` when the run's task has no
    /// such metric (AUC of a regression run), it is undefined (AUC with one
    /// class, precision with nothing predicted positive) or not finite.
    /// Validation and test metrics are the final model's at its chosen
    /// threshold (records from before the split: the last epoch's); the
    /// losses are the last epoch's.
    pub fn value(self, record: &RunRecord) -> Option<f64> {
        let last = record.history.last();
        let validation = record
            .valid_metrics
            .as_ref()
            .or_else(|| last.map(|r| &r.metrics));
        let value = match (self, validation) {
            (Metric::TestAuc, _) => match &record.final_metrics {
                Some(Metrics::Classification(m)) => m.auc,
                Some(Metrics::Multiclass(m)) => m.macro_auc,
                _ => None,
            },
            (Metric::TestRmse, _) => match &record.final_metrics {
                Some(Metrics::Regression(m)) => Some(m.rmse),
                _ => None,
            },
            (Metric::ValidLoss, _) => last.map(|r| r.valid_loss),
            (Metric::BestValidLoss, _) => record
                .history
                .iter()
                .map(|r| r.valid_loss)
                .filter(|l| l.is_finite())
                .min_by(f64::total_cmp),
            (Metric::TrainLoss, _) => last.map(|r| r.train_loss),
            (Metric::WallSeconds, _) => Some(record.wall_seconds),
            (Metric::Epochs, _) => Some(record.epochs_trained() as f64),
            (Metric::Auc, Some(Metrics::Classification(m))) => m.auc,
            (Metric::Accuracy, Some(Metrics::Classification(m))) => Some(m.accuracy),
            // Undefined (nothing predicted positive) is no value, not 0.
            (Metric::Precision, Some(Metrics::Classification(m))) => m.precision_if_defined(),
            (Metric::Recall, Some(Metrics::Classification(m))) => Some(m.recall),
            (Metric::F1, Some(Metrics::Classification(m))) => Some(m.f1),
            (Metric::Rmse, Some(Metrics::Regression(m))) => Some(m.rmse),
            (Metric::Mae, Some(Metrics::Regression(m))) => Some(m.mae),
            (Metric::R2, Some(Metrics::Regression(m))) => m.r2,
            // A multi-class run: the macro AUC and macro averages.
            (Metric::Auc, Some(Metrics::Multiclass(m))) => m.macro_auc,
            (Metric::Accuracy, Some(Metrics::Multiclass(m))) => Some(m.accuracy),
            (Metric::Precision, Some(Metrics::Multiclass(m))) => Some(m.macro_avg.precision),
            (Metric::Recall, Some(Metrics::Multiclass(m))) => Some(m.macro_avg.recall),
            (Metric::F1, Some(Metrics::Multiclass(m))) => Some(m.macro_avg.f1),
            _ => None,
        };
        value.filter(|v| v.is_finite())
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Something a run was set up with: its data, recipe, network and training
/// settings, and the device. Ordered as a table shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// The data source's label (file name or generator settings).
    Data,
    Fingerprint,
    Target,
    /// `classification (yes)` or `regression`.
    Problem,
    Features,
    Impute,
    Scale,
    TestFraction,
    SplitSeed,
    /// The model family: `network` or `boosted trees`.
    Model,
    /// `64,32`, or `none`; `-` for trees (so are the other network-only
    /// settings).
    Hidden,
    Activation,
    Dropout,
    Optimizer,
    /// The learning rate the run ended with (it can change live).
    LearningRate,
    /// The learning-rate schedule (`constant`, `step:10:0.5`, `cosine:0.01:5`).
    LrSchedule,
    Momentum,
    BatchSize,
    /// The epoch target, or `until paused`.
    Epochs,
    L2,
    Seed,
    /// Patience in epochs, or `off`.
    EarlyStopping,
    /// Boosted trees: the depth of each tree; `-` for networks (so are the
    /// other tree-only settings).
    MaxDepth,
    MinChildWeight,
    Subsample,
    Device,
}

impl Setting {
    /// Every setting, in display order.
    pub const ALL: [Setting; 26] = [
        Setting::Data,
        Setting::Fingerprint,
        Setting::Target,
        Setting::Problem,
        Setting::Features,
        Setting::Impute,
        Setting::Scale,
        Setting::TestFraction,
        Setting::SplitSeed,
        Setting::Model,
        Setting::Hidden,
        Setting::Activation,
        Setting::Dropout,
        Setting::Optimizer,
        Setting::LearningRate,
        Setting::LrSchedule,
        Setting::Momentum,
        Setting::BatchSize,
        Setting::Epochs,
        Setting::L2,
        Setting::Seed,
        Setting::EarlyStopping,
        Setting::MaxDepth,
        Setting::MinChildWeight,
        Setting::Subsample,
        Setting::Device,
    ];

    /// The setting's machine name (`learning_rate`, …): column headers of
    /// the runs table and its CSV export.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Data => "data",
            Setting::Fingerprint => "fingerprint",
            Setting::Target => "target",
            Setting::Problem => "problem",
            Setting::Features => "features",
            Setting::Impute => "impute",
            Setting::Scale => "scale",
            Setting::TestFraction => "test_fraction",
            Setting::SplitSeed => "split_seed",
            Setting::Model => "model",
            Setting::Hidden => "hidden",
            Setting::Activation => "activation",
            Setting::Dropout => "dropout",
            Setting::Optimizer => "optimizer",
            Setting::LearningRate => "learning_rate",
            Setting::LrSchedule => "lr_schedule",
            Setting::Momentum => "momentum",
            Setting::BatchSize => "batch_size",
            Setting::Epochs => "epochs",
            Setting::L2 => "l2",
            Setting::Seed => "seed",
            Setting::EarlyStopping => "early_stopping",
            Setting::MaxDepth => "max_depth",
            Setting::MinChildWeight => "min_child_weight",
            Setting::Subsample => "subsample",
            Setting::Device => "device",
        }
    }

    /// The setting's value for `record` as readable text (numbers in their
    /// shortest form); what the runs table shows and exports, and what
    /// [`differing_settings`](super::differing_settings) compares.
    pub fn value(self, record: &RunRecord) -> String {
        let setup = &record.setup;
        let r = &setup.recipe;
        match self {
            Setting::Data => setup.source.label(),
            Setting::Fingerprint => setup.fingerprint.clone(),
            Setting::Target => r.target.clone(),
            Setting::Problem => match &r.problem {
                Problem::Classification { positive } => format!("classification ({positive})"),
                Problem::Regression => "regression".to_owned(),
                Problem::Multiclass => "multi-class".to_owned(),
            },
            Setting::Features => r.features.join(" "),
            Setting::Impute => r.impute.name().to_owned(),
            Setting::Scale => r.scale.name().to_owned(),
            Setting::TestFraction => format_number(r.test_fraction),
            Setting::SplitSeed => r.seed.to_string(),
            Setting::Epochs => setup
                .epochs
                .map_or_else(|| "until paused".to_owned(), |n| n.to_string()),
            Setting::Device => record.device.clone(),
            _ => self
                .model_value(&setup.model_spec())
                .unwrap_or_else(|| "-".to_owned()),
        }
    }

    /// A model setting's value; `None` where the run's family has no such
    /// setting (dropout of trees, depth of a network).
    fn model_value(self, model: &ModelSpec) -> Option<String> {
        let patience = |p: Option<usize>| p.map_or_else(|| "off".to_owned(), |p| p.to_string());
        if self == Setting::Model {
            return Some(model.family().label().to_owned());
        }
        Some(match model {
            ModelSpec::Network {
                spec: s,
                settings: t,
            } => match self {
                Setting::Hidden => layers_label(&s.hidden),
                Setting::Activation => s.activations_label(),
                Setting::Dropout => format_number(s.dropout),
                Setting::Optimizer => t.optimizer.label().to_owned(),
                Setting::LearningRate => format_number(t.learning_rate),
                Setting::LrSchedule => t.schedule.label(),
                Setting::Momentum => format_number(t.momentum),
                Setting::BatchSize => t.batch_size.to_string(),
                Setting::L2 => format_number(t.l2),
                Setting::Seed => t.seed.to_string(),
                Setting::EarlyStopping => patience(t.early_stopping),
                _ => return None,
            },
            ModelSpec::Trees { settings: t } => match self {
                Setting::LearningRate => format_number(t.learning_rate),
                Setting::L2 => format_number(t.l2),
                Setting::Seed => t.seed.to_string(),
                Setting::EarlyStopping => patience(t.early_stopping),
                Setting::MaxDepth => t.max_depth.to_string(),
                Setting::MinChildWeight => format_number(t.min_child_weight),
                Setting::Subsample => format_number(t.subsample),
                _ => return None,
            },
        })
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        for m in Metric::ALL {
            assert_eq!(Metric::from_name(m.name()), Some(m));
        }
        let mut names: Vec<&str> = Setting::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Setting::ALL.len());
    }

    #[test]
    fn metric_directions() {
        assert!(Metric::Auc.higher_is_better());
        assert!(Metric::R2.higher_is_better());
        assert!(!Metric::ValidLoss.higher_is_better());
        assert!(!Metric::Rmse.higher_is_better());
    }

    #[test]
    fn only_test_row_metrics_cannot_rank() {
        let refused: Vec<Metric> = Metric::ALL
            .into_iter()
            .filter(|m| !m.is_rankable())
            .collect();
        assert_eq!(refused, [Metric::TestAuc, Metric::TestRmse]);
    }
}
