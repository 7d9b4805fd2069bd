//! The business questions asked of a scored set of customers, for any model
//! family: whom to contact (cumulative gains and lift), what a campaign
//! earns at each threshold (profit curve), whether the scores are real
//! probabilities (reliability plot, Brier score, Platt and isotonic
//! calibration), and which customer attributes drive the score and how
//! (permutation importance, partial dependence with individual curves).
//!
//! [`report`] computes all five views at once (the CLI and the window
//! share it); [`export`] writes each as CSV.
//!
//! Plain Rust over scores, labels and [`Table`](crate::data::Table)s: no
//! Burn, no egui. The table-based views take the model as a closure from a
//! table to one score per row, so every model family fits.
//!
//! Conventions shared with [`crate::model::metrics`]: a label `>= 0.5` is a
//! positive (a buyer), and a customer is contacted (predicted positive) when
//! the score is `>= threshold`. Rows with equal scores are always taken
//! together, so no result depends on the order of tied rows.

pub mod calibration;
pub mod dependence;
pub mod export;
pub mod gains;
pub mod importance;
pub mod profit;
mod ranking;
pub mod report;

use thiserror::Error;

/// Why scores and labels cannot be evaluated.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InsightError {
    #[error("{scores} scores for {labels} labels: one score per customer is needed")]
    LengthMismatch { scores: usize, labels: usize },
    #[error("no customers to evaluate")]
    Empty,
    #[error("the score of customer {row} is not a number ({value})")]
    NonFiniteScore { row: usize, value: f32 },
    #[error("no buyers (positive labels) among the customers: gains and lift need at least one")]
    NoPositives,
    #[error("column `{0}` is not in the table")]
    MissingColumn(String),
    #[error("column `{0}` has no values to vary")]
    NoValues(String),
    #[error("the model could not score the customers: {0}")]
    Model(String),
    #[error("the model returned {got} scores for {expected} customers")]
    ScoreCount { expected: usize, got: usize },
}

/// A label `>= 0.5` is a positive (the same rule as the metrics).
pub(crate) fn is_positive(label: f32) -> bool {
    label >= 0.5
}

/// Checks that scores and labels pair up, are not empty, and every score
/// is finite.
pub(crate) fn check_scores(scores: &[f32], labels: &[f32]) -> Result<(), InsightError> {
    if scores.len() != labels.len() {
        return Err(InsightError::LengthMismatch {
            scores: scores.len(),
            labels: labels.len(),
        });
    }
    if scores.is_empty() {
        return Err(InsightError::Empty);
    }
    match scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        Some((row, &value)) => Err(InsightError::NonFiniteScore { row, value }),
        None => Ok(()),
    }
}

/// Scores `table` with the model closure, checking it gave one score per
/// row.
pub(crate) fn score_table<P, E>(
    predict: &P,
    table: &crate::data::Table,
) -> Result<Vec<f32>, InsightError>
where
    P: Fn(&crate::data::Table) -> Result<Vec<f32>, E>,
    E: std::fmt::Display,
{
    let scores = predict(table).map_err(|e| InsightError::Model(e.to_string()))?;
    if scores.len() != table.n_rows() {
        return Err(InsightError::ScoreCount {
            expected: table.n_rows(),
            got: scores.len(),
        });
    }
    Ok(scores)
}
