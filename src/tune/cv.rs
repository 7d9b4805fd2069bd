//! K-fold cross-validation of one model setup: K stratified folds of the
//! development rows (training + validation; the test rows stay out), one
//! run per fold with early stopping on rows carved from the other folds,
//! and every metric's mean and standard deviation over the held-out folds.
//! The CLI (`train --cv K`) and the window's Cross-validate action both
//! call [`cross_validate`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use thiserror::Error;

use crate::data::prep::{PrepError, Recipe, prepare_folds};
use crate::data::table::Table;
use crate::model::ModelSpec;
use crate::model::device::SelectedDevice;
use crate::model::run::{EpochReport, Metrics, RunError, RunOutcome, TrainingRun};

#[derive(Debug, Clone, PartialEq, Error)]
pub enum CvError {
    #[error(transparent)]
    Prep(#[from] PrepError),
    #[error("cross-validation fold {fold} of {folds}: {source}")]
    Run {
        fold: usize,
        folds: usize,
        #[source]
        source: RunError,
    },
    #[error("cross-validation was cancelled")]
    Cancelled,
}

/// Mean and sample standard deviation of one metric over the folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeanStd {
    pub mean: f64,
    /// Sample standard deviation (`n - 1`); 0 for a single value.
    pub std: f64,
    /// The value on each fold, in fold order (`null` where undefined).
    pub per_fold: Vec<Option<f64>>,
}

impl MeanStd {
    /// Over the defined values; `None` when no fold defines the metric.
    pub fn of(values: Vec<Option<f64>>) -> Option<MeanStd> {
        let known: Vec<f64> = values.iter().flatten().copied().collect();
        if known.is_empty() {
            return None;
        }
        let n = known.len() as f64;
        let mean = known.iter().sum::<f64>() / n;
        let std = if known.len() > 1 {
            (known.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Some(MeanStd {
            mean,
            std,
            per_fold: values,
        })
    }
}

/// Every metric of the held-out folds (each at the threshold its own
/// validation rows chose) and the epoch each fold kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvSummary {
    pub folds: usize,
    /// Metric name (`roc_auc`, `accuracy`, `precision`, `recall`, `f1`;
    /// `rmse`, `mae`, `r2`) to its spread over the folds.
    pub metrics: BTreeMap<&'static str, MeanStd>,
    /// The epoch whose weights each fold kept.
    pub best_epochs: Vec<Option<usize>>,
}

impl CvSummary {
    /// Summarises the folds' outcomes (their `test_metrics` are the
    /// held-out folds').
    pub fn from_outcomes(outcomes: &[RunOutcome]) -> CvSummary {
        let mut columns: BTreeMap<&'static str, Vec<Option<f64>>> = BTreeMap::new();
        for outcome in outcomes {
            for (name, value) in metric_values(&outcome.test_metrics) {
                columns.entry(name).or_default().push(value);
            }
        }
        CvSummary {
            folds: outcomes.len(),
            metrics: columns
                .into_iter()
                .filter_map(|(name, values)| MeanStd::of(values).map(|m| (name, m)))
                .collect(),
            best_epochs: outcomes.iter().map(|o| o.best_epoch).collect(),
        }
    }
}

/// Each metric of `metrics` by its standard name.
fn metric_values(metrics: &Metrics) -> Vec<(&'static str, Option<f64>)> {
    match metrics {
        Metrics::Classification(m) => vec![
            ("roc_auc", m.auc),
            ("accuracy", Some(m.accuracy)),
            ("precision", m.precision_if_defined()),
            ("recall", Some(m.recall)),
            ("f1", Some(m.f1)),
        ],
        Metrics::Regression(m) => vec![("rmse", Some(m.rmse)), ("mae", Some(m.mae)), ("r2", m.r2)],
        Metrics::Multiclass(m) => vec![
            ("roc_auc_ovr_macro", m.macro_auc),
            ("accuracy", Some(m.accuracy)),
            ("precision_macro", Some(m.macro_avg.precision)),
            ("recall_macro", Some(m.macro_avg.recall)),
            ("f1_macro", Some(m.macro_avg.f1)),
            ("log_loss", Some(m.log_loss)),
        ],
    }
}

impl fmt::Display for CvSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}-fold cross-validation on the training and validation rows (mean ± standard deviation over the held-out folds):",
            self.folds
        )?;
        for (name, m) in &self.metrics {
            writeln!(f, "  {name:<9} {:.4} ± {:.4}", m.mean, m.std)?;
        }
        let epochs: Vec<String> = self
            .best_epochs
            .iter()
            .map(|e| e.map_or_else(|| "-".to_owned(), |e| e.to_string()))
            .collect();
        writeln!(f, "  best epoch per fold: {}", epochs.join(", "))
    }
}

/// One fold's run: its curves and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct CvFold {
    pub history: Vec<EpochReport>,
    pub outcome: RunOutcome,
}

/// What [`cross_validate`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct CvReport {
    pub summary: CvSummary,
    pub folds: Vec<CvFold>,
}

/// Where a cross-validation is: `(fold, epoch)`, both 1-based.
pub type CvProgress<'a> = &'a mut dyn FnMut(usize, usize);

/// Trains one model per fold: `model_for(n)` gives the model for a fold
/// with `n` training rows (so settings can be fitted to the data), each
/// trained up to its epoch cap or until early stopping ends it, then
/// finished (best weights restored, threshold chosen on the fold's
/// validation rows) and scored on the held-out fold. `cancel` is checked
/// between epochs. Errors: too few rows for `k` folds, a fold that fails to
/// train (named), cancellation.
pub fn cross_validate(
    table: &Table,
    recipe: &Recipe,
    k: usize,
    model_for: &dyn Fn(usize) -> ModelSpec,
    device: &SelectedDevice,
    cancel: &AtomicBool,
    progress: CvProgress<'_>,
) -> Result<CvReport, CvError> {
    let prepared = prepare_folds(table, recipe, k)?;
    let folds = prepared.len();
    let mut done = Vec::with_capacity(folds);
    for (i, fold) in prepared.into_iter().enumerate() {
        let fail = |source: RunError| CvError::Run {
            fold: i + 1,
            folds,
            source,
        };
        let model = model_for(fold.train.x.rows);
        let cap = model.epoch_cap();
        let mut run = TrainingRun::with_model(Arc::new(fold), &model, device).map_err(fail)?;
        for _ in 0..cap {
            if cancel.load(Ordering::Relaxed) {
                return Err(CvError::Cancelled);
            }
            let report = run.run_epoch().map_err(fail)?;
            progress(i + 1, report.epoch);
            if run.stopped_early() {
                break;
            }
        }
        let outcome = run.finish().map_err(fail)?;
        done.push(CvFold {
            history: run.history().to_vec(),
            outcome,
        });
    }
    let outcomes: Vec<RunOutcome> = done.iter().map(|f| f.outcome.clone()).collect();
    Ok(CvReport {
        summary: CvSummary::from_outcomes(&outcomes),
        folds: done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_standard_deviation_skip_undefined_folds() {
        let m = MeanStd::of(vec![Some(1.0), None, Some(3.0)]).unwrap();
        assert_eq!(m.mean, 2.0);
        assert!((m.std - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!(m.per_fold.len(), 3);
        assert_eq!(MeanStd::of(vec![None, None]), None);
        assert_eq!(MeanStd::of(vec![Some(0.5)]).unwrap().std, 0.0);
    }
}
