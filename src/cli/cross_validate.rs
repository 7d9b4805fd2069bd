//! `train --cv K` and `train --export-split`: k-fold cross-validation on
//! the development rows (training + validation; the test rows stay out),
//! and the rows' parts and folds written for the same-folds comparison with
//! scikit-learn and XGBoost (`scripts/compare_peers.py`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

use super::train::{TrainArgs, train_epochs};
use crate::data::prep::{Part, Prepared, Recipe, prepare_folds, split_assignment};
use crate::data::table::ColumnData;
use crate::data::{self, Table};
use crate::model::run::{Metrics, RunOutcome, TrainingRun};
use crate::model::{NetworkSpec, SelectedDevice};

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
    fn of(values: Vec<Option<f64>>) -> Option<MeanStd> {
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

/// What `--cv K` reports: every metric of the held-out folds (each at the
/// threshold its own validation rows chose) and the epoch each fold kept.
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

/// Trains one model per fold with `args`' settings (fitted to each fold's
/// training rows) and summarises the held-out folds. Errors: too few rows
/// for `k` folds, a training failure (named with its fold).
pub(super) fn cross_validate(
    table: &Table,
    recipe: &Recipe,
    spec: &NetworkSpec,
    args: &TrainArgs,
    k: usize,
    device: &SelectedDevice,
) -> Result<CvSummary> {
    let folds = prepare_folds(table, recipe, k)?;
    let mut outcomes = Vec::with_capacity(folds.len());
    for (i, fold) in folds.into_iter().enumerate() {
        let outcome = train_fold(fold, spec, args, device, !args.json)
            .with_context(|| format!("cross-validation fold {} of {k}", i + 1))?;
        outcomes.push(outcome);
    }
    Ok(CvSummary::from_outcomes(&outcomes))
}

fn train_fold(
    fold: Prepared,
    spec: &NetworkSpec,
    args: &TrainArgs,
    device: &SelectedDevice,
    show_progress: bool,
) -> Result<RunOutcome> {
    let settings = args.settings(fold.train.x.rows)?;
    let mut run = TrainingRun::new(std::sync::Arc::new(fold), spec, &settings, device)?;
    if let Some(e) = train_epochs(&mut run, settings.epochs, show_progress) {
        return Err(e.into());
    }
    Ok(run.finish()?)
}

/// One usable row in the split file.
#[derive(Debug, Serialize)]
struct SplitRow {
    /// 0-based data row.
    row: usize,
    /// 1-based line in the file.
    line: u64,
    part: Part,
    fold: Option<usize>,
    /// The target as the model learns it (1/0, or the value).
    y: f32,
    /// The features as the loader read them (numbers parsed with the
    /// file's format, `null` for missing, text for categories), in
    /// `features` order.
    x: Vec<serde_json::Value>,
}

#[derive(Debug, Serialize)]
struct FeatureInfo<'a> {
    name: &'a str,
    kind: &'static str,
}

/// What `--export-split` writes.
#[derive(Debug, Serialize)]
struct SplitFile<'a> {
    recipe: &'a Recipe,
    folds: Option<usize>,
    features: Vec<FeatureInfo<'a>>,
    rows: Vec<SplitRow>,
}

/// Writes every usable row's part, fold, target and feature values as
/// JSON to `path`, exactly as `train` (and `--cv`) split them.
pub(super) fn export_split(
    table: &Table,
    recipe: &Recipe,
    folds: Option<usize>,
    path: &Path,
) -> Result<()> {
    let assignment = split_assignment(table, recipe, folds)?;
    let prepared = data::prepare(table, recipe)?;
    let mut y_of = BTreeMap::new();
    for part in [&prepared.train, &prepared.valid, &prepared.test] {
        for (&row, &y) in part.source_rows.iter().zip(&part.y) {
            y_of.insert(row, y);
        }
    }
    let columns: Vec<_> = recipe
        .features
        .iter()
        .filter_map(|name| table.column(name))
        .collect();
    let rows = assignment
        .iter()
        .map(|a| SplitRow {
            row: a.row,
            line: table.line_of_row(a.row),
            part: a.part,
            fold: a.fold,
            y: y_of.get(&a.row).copied().unwrap_or(f32::NAN),
            x: columns
                .iter()
                .map(|c| match &c.data {
                    ColumnData::Numeric(v) => serde_json::Number::from_f64(v[a.row])
                        .map_or(serde_json::Value::Null, serde_json::Value::Number),
                    ColumnData::Categorical { .. } => c
                        .text(a.row)
                        .map_or(serde_json::Value::Null, |t| t.into_owned().into()),
                })
                .collect(),
        })
        .collect();
    let file = SplitFile {
        recipe,
        folds,
        features: columns
            .iter()
            .map(|c| FeatureInfo {
                name: &c.name,
                kind: match c.data {
                    ColumnData::Numeric(_) => "numeric",
                    ColumnData::Categorical { .. } => "categorical",
                },
            })
            .collect(),
        rows,
    };
    let text = serde_json::to_vec(&file)?;
    std::fs::write(path, text).with_context(|| format!("--export-split {}", path.display()))
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
