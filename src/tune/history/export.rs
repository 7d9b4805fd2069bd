//! The history as tables and CSV files: one run's per-epoch curve, and
//! every run's settings and final metrics.

use std::path::Path;

use super::{HistoryError, RunRecord};
use crate::data::table::{Column, Table, TableError};
use crate::data::write::write_csv;
use crate::model::run::EpochReport;
use crate::tune::names::{Metric, Setting};

/// A run's per-epoch history as a table: epoch, train_loss, valid_loss, the
/// task's metric columns (accuracy and AUC, or MAE and RMSE) and seconds.
/// Shared by `purchase-lab train --history` and the app's export.
pub fn history_table(history: &[EpochReport]) -> Result<Table, TableError> {
    let mut columns = vec![
        Column::numeric("epoch", history.iter().map(|r| r.epoch as f64).collect()),
        Column::numeric("train_loss", history.iter().map(|r| r.train_loss).collect()),
        Column::numeric("valid_loss", history.iter().map(|r| r.valid_loss).collect()),
    ];
    // The per-epoch metric columns of this task (named by the first epoch).
    if let Some(first) = history.first() {
        for (i, (name, _)) in first.metrics.history_columns().into_iter().enumerate() {
            let values = history
                .iter()
                .map(|r| r.metrics.history_columns()[i].1.unwrap_or(f64::NAN))
                .collect();
            columns.push(Column::numeric(name, values));
        }
    }
    columns.push(Column::numeric(
        "seconds",
        history.iter().map(|r| r.seconds).collect(),
    ));
    Table::new(columns)
}

/// Writes [`history_table`] as CSV.
pub fn write_history_csv(history: &[EpochReport], path: &Path) -> Result<(), HistoryError> {
    write_csv(&history_table(history)?, path)?;
    Ok(())
}

/// The runs table: one row per run with id, name, pinned, every setting
/// ([`Setting::ALL`], as text) and every metric ([`Metric::ALL`]) that at
/// least one of the runs has (empty cells where a run has none).
pub fn runs_table(records: &[&RunRecord]) -> Result<Table, TableError> {
    let mut columns = vec![
        Column::numeric("id", records.iter().map(|r| r.id as f64).collect()),
        Column::categorical(
            "name",
            &records
                .iter()
                .map(|r| Some(r.name.as_str()))
                .collect::<Vec<_>>(),
        ),
        Column::categorical(
            "pinned",
            &records
                .iter()
                .map(|r| Some(if r.pinned { "yes" } else { "no" }))
                .collect::<Vec<_>>(),
        ),
        Column::numeric(
            "created_unix",
            records.iter().map(|r| r.created_unix as f64).collect(),
        ),
    ];
    for setting in Setting::ALL {
        let values: Vec<Option<String>> = records
            .iter()
            .map(|r| Some(setting.value(r)).filter(|v| !v.is_empty()))
            .collect();
        columns.push(Column::categorical(setting.name(), &values));
    }
    for metric in Metric::ALL {
        let values: Vec<f64> = records
            .iter()
            .map(|r| metric.value(r).unwrap_or(f64::NAN))
            .collect();
        if values.iter().any(|v| !v.is_nan()) {
            // `epochs` is also a setting (the target); the metric is what
            // the run actually trained.
            let column = if metric == Metric::Epochs {
                "epochs_trained"
            } else {
                metric.name()
            };
            columns.push(Column::numeric(column, values));
        }
    }
    Table::new(columns)
}

/// Writes [`runs_table`] as CSV.
pub fn write_runs_csv(records: &[&RunRecord], path: &Path) -> Result<(), HistoryError> {
    write_csv(&runs_table(records)?, path)?;
    Ok(())
}
