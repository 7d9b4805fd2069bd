//! `train --cv K` and `train --export-split`: k-fold cross-validation on
//! the development rows (training + validation; the test rows stay out),
//! and the rows' parts and folds written for the same-folds comparison with
//! scikit-learn and XGBoost (`scripts/compare_peers.py`).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use serde::Serialize;

use super::output::progress_bar;
use super::train::TrainArgs;
use crate::data::prep::{Part, Recipe, split_assignment};
use crate::data::table::ColumnData;
use crate::data::{self, Table};
use crate::model::{ModelSpec, SelectedDevice};
use crate::tune;
use crate::tune::cv::CvSummary;

/// Trains one model per fold like `model` with `args`' settings (a
/// network's fitted to each fold's training rows, as `train` fits them;
/// trees' as they are) and summarises the held-out folds.
/// Errors: too few rows for `k` folds, a fold that fails to train.
pub(super) fn cross_validate(
    table: &Table,
    recipe: &Recipe,
    model: &ModelSpec,
    args: &TrainArgs,
    k: usize,
    device: &SelectedDevice,
) -> Result<CvSummary> {
    let (given, keep) = args.given_settings();
    let model_for = |n: usize| match model {
        ModelSpec::Network { spec, .. } => ModelSpec::Network {
            spec: spec.clone(),
            settings: given.fitted_to(n, keep),
        },
        trees @ ModelSpec::Trees { .. } => trees.clone(),
    };
    let bar = progress_bar(
        k as u64,
        "fold {pos}/{len} {bar:30} {msg} [{elapsed}]",
        !args.json,
    );
    let mut progress = |fold: usize, epoch: usize| {
        bar.set_position(fold.saturating_sub(1) as u64);
        bar.set_message(format!("epoch {epoch}"));
    };
    let report = tune::cv::cross_validate(
        table,
        recipe,
        k,
        &model_for,
        device,
        &AtomicBool::new(false),
        &mut progress,
    );
    bar.finish_and_clear();
    Ok(report?.summary)
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
    crate::save::save(path, &text).with_context(|| format!("--export-split {}", path.display()))
}
