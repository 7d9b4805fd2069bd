//! The scoring report (issue 19): a table about to be scored, compared with
//! what training saw ([`TrainingProfile`]), so that `predict`, `serve` and
//! the window say what the model never saw instead of answering silently.
//!
//! # Where it runs
//!
//! On the raw table, before [`Pipeline::transform`]:
//!
//! 1. [`check_table`] (or its parts, [`match_headers`] + [`rename_columns`]
//!    and [`match_spellings`]) renames columns that differ from the model's
//!    only in case or surrounding spaces, maps category spellings
//!    (`TRUE` → `True`), reports unseen categories, mostly-missing features
//!    and out-of-range numbers, clips them when asked, and refuses the file
//!    when asked. It returns the table to transform ([`Checked::table`]).
//! 2. After the model has answered, [`Checked::check_predictions`] compares
//!    regression predictions (raw model output, target units, before any
//!    rounding or clamping) with the training target's range.
//! 3. [`ScoringReport::summary_lines`] for stderr and the window,
//!    `serde_json` of [`ScoringReport`] for `--json` and `serve`, and
//!    [`RowFlags::texts`] for an optional `flags` output column.
//!
//! # Rules
//!
//! - **Names and spellings** match when equal after trimming surrounding
//!   whitespace and lower-casing (Unicode). A column or value that matches
//!   more than one training name is never guessed: a column is refused with
//!   a hint, a value stays unseen.
//! - **Unseen category**: a non-missing cell whose text (after spelling
//!   matching) is not a level of the training rows. The pipeline encodes it
//!   as all zeros ("no known category").
//! - **Mostly missing**: a feature whose missing share in the scored rows
//!   is at least `mostly_missing_share` (default 0.5) and above its
//!   training missing share. Missing cells are filled with the pipeline's
//!   fill value (training median / mean / most frequent level).
//! - **Out of range**: a number outside
//!   `[min - m·(max - min), max + m·(max - min)]` of the training rows,
//!   `m = range_margin` (default 0.1). A constant training column allows
//!   only its value. Clipping sets such a value to the training `min` or
//!   `max` (not to the margin's edge). Predictions use the same rule
//!   against the training target's range.
//! - **Lines** are the caller's 1-based file lines, one per table row;
//!   **column numbers** are 1-based positions in the table, the file's own
//!   when the table came straight from the CSV reader.
//!
//! # JSON shape of [`ScoringReport`]
//!
//! Stable: fields are only ever added. Counts are row counts; `lines` lists
//! at most `max_lines` (default 5) first lines; numbers are in the column's
//! units.
//!
//! ```json
//! {
//!   "rows": 20,
//!   "range_margin": 0.1,
//!   "mostly_missing_share": 0.5,
//!   "out_of_range_policy": "report",
//!   "renamed_columns": [{"from": "age", "to": "Age"}],
//!   "spelling_matches": [{"column": "member", "from": "TRUE", "to": "True", "rows": 7}],
//!   "unseen_categories": [
//!     {"column": "region", "rows": 6,
//!      "values": [{"value": "central", "rows": 3, "lines": [2, 4, 6]}],
//!      "values_not_listed": 0}
//!   ],
//!   "missing_features": [
//!     {"column": "income", "missing_rows": 20, "share": 1.0, "training_share": 0.0,
//!      "all_rows": true, "filled_with": 87.0}
//!   ],
//!   "out_of_range": [
//!     {"column": "income", "training_min": 18.0, "training_max": 150.0,
//!      "allowed_min": 4.8, "allowed_max": 163.2, "rows": 2, "rows_below": 0,
//!      "rows_above": 2, "lines": [5, 13], "lowest": null, "highest": 9999999.0,
//!      "clipped": false}
//!   ],
//!   "predictions": {"target": "spend", "training_min": 0.0, "training_max": 300.0,
//!      "allowed_min": -30.0, "allowed_max": 330.0, "rows": 2, "rows_below": 0,
//!      "rows_above": 2, "lines": [5, 13], "lowest": null, "highest": 39400.0,
//!      "never_negative": true, "negative_rows": 0, "negative_lines": []},
//!   "flagged_rows": 4
//! }
//! ```
//!
//! `filled_with` is a number for a numeric feature, a string for a
//! categorical one, `null` when the caller gave no fill value. `lowest` is
//! the smallest value below `allowed_min` (`null` if none), `highest` the
//! largest above `allowed_max`. `values` is sorted by rows (most first) and
//! cut at `max_values` (default 10); `values_not_listed` counts the distinct
//! values left out. `predictions` is `null` until
//! [`Checked::check_predictions`] ran on a regression; `negative_rows` and
//! `negative_lines` count predictions below zero only when the training
//! target was never negative. `flagged_rows` counts rows with any flag.
//!
//! # Row flags
//!
//! One text per row, empty when nothing is wrong, else `;`-joined flags in
//! this order: `unseen:<column>`, `out_of_range:<column>`,
//! `missing:<column>` (any missing input cell: the model saw a fill value),
//! `prediction_out_of_range`, `negative_prediction`; columns in model
//! order. Example: `unseen:region;out_of_range:income`.

mod columns;
mod flags;
mod report;
mod scan;

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::prep::{FeatureStep, Pipeline};
use super::profile::{ColumnProfile, NumericRange, TrainingProfile};
use super::table::{Column, ColumnData, MISSING_CODE, Table, TableError};

use self::columns::{category_codes, coerce_kinds};
pub use self::columns::{match_headers, match_spellings, rename_columns};
pub use self::flags::{FlagKind, RowFlags};
pub use self::report::{
    ColumnRename, MissingFeature, OutOfRange, PredictionCheck, ScoringReport, SpellingMatch,
    UnseenCategories, UnseenValue,
};
use self::scan::{Scan, allowed_bounds, clip_table, push_line, quoted, rebuilt, refuse, short};

/// Default out-of-range margin, as a share of the training range.
pub const DEFAULT_RANGE_MARGIN: f64 = 0.1;
/// Default missing share from which a feature counts as mostly missing.
pub const DEFAULT_MOSTLY_MISSING_SHARE: f64 = 0.5;
/// Default number of lines listed per finding.
pub const DEFAULT_MAX_LINES: usize = 5;
/// Default number of unseen values listed per column.
pub const DEFAULT_MAX_VALUES: usize = 10;

/// Why a table cannot be scored. Messages name the line and column (or
/// column) at fault.
#[derive(Debug, Error, PartialEq)]
pub enum ScoringError {
    #[error("{lines} line numbers were given for {rows} rows")]
    LineCount { lines: usize, rows: usize },
    #[error("{predictions} predictions were given for {rows} rows")]
    PredictionCount { predictions: usize, rows: usize },
    #[error("invalid scoring option: {0}")]
    BadOption(String),
    #[error("the data lacks the column{} the model needs: {}{}",
        if .columns.len() == 1 { "" } else { "s" }, .columns.join(", "),
        .hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    MissingColumns {
        /// The model's names of the absent columns.
        columns: Vec<String>,
        /// Set when a column here differs from one of them only in case or
        /// spaces but matching such names is switched off.
        hint: Option<String>,
    },
    #[error(
        "the model's column `{column}` matches several columns here apart from case or spaces: {}; rename or remove all but one",
        quoted(.candidates)
    )]
    AmbiguousHeader {
        column: String,
        candidates: Vec<String>,
    },
    #[error(
        "column `{found}` here matches several of the model's columns apart from case or spaces: {}; rename it to the one meant",
        quoted(.columns)
    )]
    SharedHeader { found: String, columns: Vec<String> },
    #[error(
        "line {line}, column {column_number} (`{column}`): `{value}` is not a number, but the model was trained on numbers in this column"
    )]
    ExpectedNumeric {
        line: u64,
        column_number: usize,
        column: String,
        value: String,
    },
    #[error(
        "line {line}, column {column_number} (`{column}`): `{value}` never occurs in the training data ({rows} row{} here hold{} values the model has not seen); score without --refuse-unseen (or --strict) to treat them as no known category",
        if *.rows == 1 { "" } else { "s" }, if *.rows == 1 { "s" } else { "" }
    )]
    UnseenCategory {
        line: u64,
        column_number: usize,
        column: String,
        value: String,
        rows: usize,
    },
    #[error(
        "column {column_number} (`{column}`) is empty in {missing} of {rows} rows (first on line {first_line}); the model would fill {}; score without --refuse-missing (or --strict) to do so",
        .filled_with.as_ref().map_or_else(|| "them".to_owned(), |f| format!("them with {}", f.describe()))
    )]
    MissingFeature {
        column_number: usize,
        column: String,
        missing: usize,
        rows: usize,
        first_line: u64,
        filled_with: Option<FillValue>,
    },
    #[error(
        "line {line}, column {column_number} (`{column}`): {} is outside the training range {} to {} (by more than the {}% margin); use --out-of-range clip or report to score anyway",
        short(*.value), short(*.training_min), short(*.training_max), short(*.margin * 100.0)
    )]
    OutOfRange {
        line: u64,
        column_number: usize,
        column: String,
        value: f64,
        training_min: f64,
        training_max: f64,
        margin: f64,
    },
    #[error("cannot rebuild the table: {0}")]
    Table(#[from] TableError),
}

impl ScoringError {
    /// The same error with its column number taken from the file
    /// (`file_column(name)` is the 1-based place of the model's column
    /// `name` in the scored file), for callers that checked a table of the
    /// model's columns only.
    pub fn with_file_columns(mut self, file_column: impl Fn(&str) -> Option<usize>) -> Self {
        match &mut self {
            ScoringError::ExpectedNumeric {
                column,
                column_number,
                ..
            }
            | ScoringError::UnseenCategory {
                column,
                column_number,
                ..
            }
            | ScoringError::MissingFeature {
                column,
                column_number,
                ..
            }
            | ScoringError::OutOfRange {
                column,
                column_number,
                ..
            } => {
                if let Some(n) = file_column(column) {
                    *column_number = n;
                }
            }
            _ => {}
        }
        self
    }
}

/// What to do with a number outside the training range (beyond the
/// margin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfRangePolicy {
    /// Score it as it is and report it.
    #[default]
    Report,
    /// Refuse the table ([`ScoringError::OutOfRange`]).
    Refuse,
    /// Set it to the training minimum or maximum, and report it.
    Clip,
}

impl OutOfRangePolicy {
    pub fn name(self) -> &'static str {
        match self {
            OutOfRangePolicy::Report => "report",
            OutOfRangePolicy::Refuse => "refuse",
            OutOfRangePolicy::Clip => "clip",
        }
    }
}

impl std::fmt::Display for OutOfRangePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutOfRangePolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "report" => Ok(OutOfRangePolicy::Report),
            "refuse" => Ok(OutOfRangePolicy::Refuse),
            "clip" => Ok(OutOfRangePolicy::Clip),
            _ => Err(format!(
                "unknown out-of-range handling `{s}`; choose one of report, refuse, clip"
            )),
        }
    }
}

/// How strict scoring is, and how much the report lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringOptions {
    /// Rename a column that differs from the model's only in case or
    /// surrounding spaces (else refuse, with a hint). Default true.
    pub match_header_case: bool,
    /// Refuse a table with a category value training never saw.
    pub refuse_unseen: bool,
    /// Refuse a table with a mostly-missing feature.
    pub refuse_missing: bool,
    pub out_of_range: OutOfRangePolicy,
    /// Out-of-range margin as a share of the training range, ≥ 0.
    pub range_margin: f64,
    /// Missing share, in (0, 1], from which a feature is mostly missing.
    pub mostly_missing_share: f64,
    /// Lines listed per finding.
    pub max_lines: usize,
    /// Unseen values listed per column.
    pub max_values: usize,
}

impl Default for ScoringOptions {
    fn default() -> Self {
        ScoringOptions {
            match_header_case: true,
            refuse_unseen: false,
            refuse_missing: false,
            out_of_range: OutOfRangePolicy::Report,
            range_margin: DEFAULT_RANGE_MARGIN,
            mostly_missing_share: DEFAULT_MOSTLY_MISSING_SHARE,
            max_lines: DEFAULT_MAX_LINES,
            max_values: DEFAULT_MAX_VALUES,
        }
    }
}

impl ScoringOptions {
    fn validate(&self) -> Result<(), ScoringError> {
        if !(self.range_margin.is_finite() && self.range_margin >= 0.0) {
            return Err(ScoringError::BadOption(format!(
                "the range margin must be a number ≥ 0, not {}",
                self.range_margin
            )));
        }
        if !(self.mostly_missing_share > 0.0 && self.mostly_missing_share <= 1.0) {
            return Err(ScoringError::BadOption(format!(
                "the mostly-missing share must be in (0, 1], not {}",
                self.mostly_missing_share
            )));
        }
        Ok(())
    }
}

/// A value that replaces a missing cell: a number, or a category level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FillValue {
    Number(f64),
    Level(String),
}

impl FillValue {
    fn describe(&self) -> String {
        match self {
            FillValue::Number(x) => short(*x),
            FillValue::Level(l) => format!("`{l}`"),
        }
    }
}

/// The fill value of one input column (model spelling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fill {
    pub column: String,
    pub value: FillValue,
}

/// The pipeline's fill value per input column (`FeatureStep` `fill`).
pub fn fills_from_pipeline(pipeline: &Pipeline) -> Vec<Fill> {
    pipeline
        .steps
        .iter()
        .map(|step| match step {
            FeatureStep::Numeric { column, fill, .. } => Fill {
                column: column.clone(),
                value: FillValue::Number(*fill),
            },
            FeatureStep::Categorical { column, fill, .. } => Fill {
                column: column.clone(),
                value: FillValue::Level(fill.clone()),
            },
        })
        .collect()
}

/// A checked table: the one to transform, what was found, and the flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// Columns renamed, spellings matched and (with `Clip`) values clipped:
    /// pass this one to [`Pipeline::transform`].
    pub table: Table,
    pub report: ScoringReport,
    pub flags: RowFlags,
    lines: Vec<u64>,
    max_lines: usize,
}

/// Compares `table` (raw, as read) with `profile` and returns the table to
/// transform with the report and row flags. `lines[i]` is row `i`'s 1-based
/// file line; `fills` the pipeline's fill values ([`fills_from_pipeline`]).
///
/// Errors: a model column absent (or ambiguous) here, a numeric model
/// column holding text, and the refusals `options` asks for, checked in
/// this order: unseen categories, mostly-missing features, out-of-range
/// values; each names the first offending line.
pub fn check_table(
    table: Table,
    lines: &[u64],
    profile: &TrainingProfile,
    fills: &[Fill],
    options: &ScoringOptions,
) -> Result<Checked, ScoringError> {
    options.validate()?;
    if lines.len() != table.n_rows() {
        return Err(ScoringError::LineCount {
            lines: lines.len(),
            rows: table.n_rows(),
        });
    }
    let renames = match_headers(&table, profile, options.match_header_case)?;
    let table = rename_columns(table, &renames)?;
    let table = coerce_kinds(table, lines, profile)?;
    let (table, spelling_matches) = match_spellings(table, profile)?;

    let names: Vec<String> = profile.input_columns().map(str::to_owned).collect();
    let mut flags = RowFlags::new(names, table.n_rows());
    let mut scan = Scan {
        table: &table,
        lines,
        options,
        flags: &mut flags,
    };
    let unseen = scan.unseen(profile);
    let ranges = scan.out_of_range(profile);
    let missing = scan.missing(profile, fills);
    refuse(&unseen, &missing, &ranges, lines, options)?;

    let clip = options.out_of_range == OutOfRangePolicy::Clip;
    let table = if clip {
        clip_table(table, &ranges)?
    } else {
        table
    };
    let report = ScoringReport {
        rows: table.n_rows(),
        range_margin: options.range_margin,
        mostly_missing_share: options.mostly_missing_share,
        out_of_range_policy: options.out_of_range,
        renamed_columns: renames,
        spelling_matches,
        unseen_categories: unseen.into_iter().map(|u| u.entry).collect(),
        missing_features: missing.into_iter().map(|m| m.entry).collect(),
        out_of_range: ranges
            .into_iter()
            .map(|r| OutOfRange {
                clipped: clip,
                ..r.entry
            })
            .collect(),
        predictions: None,
        flagged_rows: flags.flagged_rows(),
    };
    Ok(Checked {
        table,
        report,
        flags,
        lines: lines.to_vec(),
        max_lines: options.max_lines,
    })
}

impl Checked {
    /// Compares regression predictions (one per row, target units, raw
    /// model output) with the training target's range, with the margin
    /// rule of the inputs; sets `report.predictions` and flags the rows.
    /// A no-op for a classifier (the profile has no target).
    pub fn check_predictions(
        &mut self,
        predictions: &[f64],
        profile: &TrainingProfile,
    ) -> Result<(), ScoringError> {
        if predictions.len() != self.lines.len() {
            return Err(ScoringError::PredictionCount {
                predictions: predictions.len(),
                rows: self.lines.len(),
            });
        }
        let Some(target) = &profile.target else {
            return Ok(());
        };
        let (allowed_min, allowed_max) =
            allowed_bounds(target.min, target.max, self.report.range_margin);
        let mut check = PredictionCheck {
            target: target.column.clone(),
            training_min: target.min,
            training_max: target.max,
            allowed_min,
            allowed_max,
            rows: 0,
            rows_below: 0,
            rows_above: 0,
            lines: Vec::new(),
            lowest: None,
            highest: None,
            never_negative: target.never_negative,
            negative_rows: 0,
            negative_lines: Vec::new(),
        };
        for (row, &y) in predictions.iter().enumerate() {
            let line = self.lines[row];
            if y < allowed_min || y > allowed_max || y.is_nan() {
                check.rows += 1;
                if y < allowed_min {
                    check.rows_below += 1;
                    check.lowest = Some(check.lowest.map_or(y, |l: f64| l.min(y)));
                } else if y > allowed_max {
                    check.rows_above += 1;
                    check.highest = Some(check.highest.map_or(y, |h: f64| h.max(y)));
                }
                push_line(&mut check.lines, line, self.max_lines);
                self.flags.push(row, FlagKind::PredictionOutOfRange, 0);
            }
            if target.never_negative && y < 0.0 {
                check.negative_rows += 1;
                push_line(&mut check.negative_lines, line, self.max_lines);
                self.flags.push(row, FlagKind::NegativePrediction, 0);
            }
        }
        self.report.predictions = Some(check);
        self.report.flagged_rows = self.flags.flagged_rows();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
