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

use std::borrow::Cow;
use std::collections::HashMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::prep::{FeatureStep, Pipeline};
use super::profile::{ColumnProfile, NumericRange, TrainingProfile};
use super::table::{Column, ColumnData, MISSING_CODE, Table, TableError};

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

/// A column renamed to the model's spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRename {
    /// The name in the scored table.
    pub from: String,
    /// The model's name.
    pub to: String,
}

/// A category spelling mapped to a training level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpellingMatch {
    /// The model's column name.
    pub column: String,
    /// The value as written in the scored table.
    pub from: String,
    /// The training level it was matched to.
    pub to: String,
    /// Rows that held `from`.
    pub rows: usize,
}

/// One category value training never saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnseenValue {
    pub value: String,
    pub rows: usize,
    /// First lines holding it (at most `max_lines`).
    pub lines: Vec<u64>,
}

/// The unseen values of one categorical column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnseenCategories {
    pub column: String,
    /// Rows holding any unseen value.
    pub rows: usize,
    /// Most rows first, then by value; at most `max_values`.
    pub values: Vec<UnseenValue>,
    /// Distinct unseen values not listed in `values`.
    pub values_not_listed: usize,
}

/// A feature missing in all or most scored rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingFeature {
    pub column: String,
    pub missing_rows: usize,
    /// `missing_rows / rows`, in [0, 1].
    pub share: f64,
    /// The column's missing share in the training rows.
    pub training_share: f64,
    /// Missing in every scored row.
    pub all_rows: bool,
    /// What the model sees instead; `None` when the caller gave no fill.
    pub filled_with: Option<FillValue>,
}

/// Numbers of one column outside the training range beyond the margin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutOfRange {
    pub column: String,
    pub training_min: f64,
    pub training_max: f64,
    /// `training_min - margin · (training_max - training_min)`.
    pub allowed_min: f64,
    /// `training_max + margin · (training_max - training_min)`.
    pub allowed_max: f64,
    pub rows: usize,
    pub rows_below: usize,
    pub rows_above: usize,
    /// First lines (at most `max_lines`).
    pub lines: Vec<u64>,
    /// Smallest value below `allowed_min`.
    pub lowest: Option<f64>,
    /// Largest value above `allowed_max`.
    pub highest: Option<f64>,
    /// The values were set to `training_min` / `training_max`.
    pub clipped: bool,
}

/// Regression predictions compared with the training target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionCheck {
    pub target: String,
    pub training_min: f64,
    pub training_max: f64,
    pub allowed_min: f64,
    pub allowed_max: f64,
    /// Predictions outside `[allowed_min, allowed_max]`.
    pub rows: usize,
    pub rows_below: usize,
    pub rows_above: usize,
    pub lines: Vec<u64>,
    pub lowest: Option<f64>,
    pub highest: Option<f64>,
    /// No training target value was below zero.
    pub never_negative: bool,
    /// Predictions below zero; counted only when `never_negative`.
    pub negative_rows: usize,
    pub negative_lines: Vec<u64>,
}

/// Everything scoring noticed about one table (JSON shape in the module
/// docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringReport {
    /// Rows scored.
    pub rows: usize,
    pub range_margin: f64,
    pub mostly_missing_share: f64,
    pub out_of_range_policy: OutOfRangePolicy,
    pub renamed_columns: Vec<ColumnRename>,
    pub spelling_matches: Vec<SpellingMatch>,
    pub unseen_categories: Vec<UnseenCategories>,
    pub missing_features: Vec<MissingFeature>,
    pub out_of_range: Vec<OutOfRange>,
    pub predictions: Option<PredictionCheck>,
    /// Rows with at least one flag.
    pub flagged_rows: usize,
}

/// One reason a row is not to be trusted, in text order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlagKind {
    Unseen,
    OutOfRange,
    Missing,
    PredictionOutOfRange,
    NegativePrediction,
}

impl FlagKind {
    /// The flag's text (before `:<column>` where it has one).
    pub fn name(self) -> &'static str {
        match self {
            FlagKind::Unseen => "unseen",
            FlagKind::OutOfRange => "out_of_range",
            FlagKind::Missing => "missing",
            FlagKind::PredictionOutOfRange => "prediction_out_of_range",
            FlagKind::NegativePrediction => "negative_prediction",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RowFlag {
    kind: FlagKind,
    /// Index into `RowFlags::columns`; unused by prediction flags.
    column: usize,
}

/// Per-row flags for an optional `flags` output column (format in the
/// module docs). An unflagged row costs one empty `Vec` (24 bytes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowFlags {
    /// The model's input column names, in order.
    columns: Vec<String>,
    rows: Vec<Vec<RowFlag>>,
}

impl RowFlags {
    fn new(columns: Vec<String>, rows: usize) -> RowFlags {
        RowFlags {
            columns,
            rows: vec![Vec::new(); rows],
        }
    }

    fn push(&mut self, row: usize, kind: FlagKind, column: usize) {
        if let Some(flags) = self.rows.get_mut(row) {
            flags.push(RowFlag { kind, column });
        }
    }

    /// Rows covered.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether `row` has any flag.
    pub fn is_flagged(&self, row: usize) -> bool {
        self.rows.get(row).is_some_and(|f| !f.is_empty())
    }

    /// Rows with at least one flag.
    pub fn flagged_rows(&self) -> usize {
        self.rows.iter().filter(|f| !f.is_empty()).count()
    }

    /// The flags of `row` (kind and model column name, `None` for a
    /// prediction flag), in text order.
    pub fn flags(&self, row: usize) -> Vec<(FlagKind, Option<&str>)> {
        let mut flags: Vec<RowFlag> = self.rows.get(row).cloned().unwrap_or_default();
        flags.sort_by_key(|f| (f.kind, f.column));
        flags.iter().map(|f| (f.kind, self.column_of(f))).collect()
    }

    /// `row`'s flag text, e.g. `unseen:region;out_of_range:income`; empty
    /// when unflagged or past the end.
    pub fn text(&self, row: usize) -> String {
        self.flags(row)
            .into_iter()
            .map(|(kind, column)| match column {
                Some(c) => format!("{}:{c}", kind.name()),
                None => kind.name().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Every row's flag text, in row order.
    pub fn texts(&self) -> Vec<String> {
        (0..self.rows.len()).map(|r| self.text(r)).collect()
    }

    /// The flags as a categorical column named `name` (empty text for an
    /// unflagged row), to push onto the output table.
    pub fn to_column(&self, name: &str) -> Column {
        let texts = self.texts();
        let labels: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
        Column::categorical(name, &labels)
    }

    fn column_of(&self, flag: &RowFlag) -> Option<&str> {
        match flag.kind {
            FlagKind::PredictionOutOfRange | FlagKind::NegativePrediction => None,
            _ => self.columns.get(flag.column).map(String::as_str),
        }
    }
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

impl ScoringReport {
    /// Whether anything calls for the user's attention: unseen values,
    /// mostly-missing features, out-of-range inputs or predictions. Renames
    /// and spelling matches are notes, not warnings.
    pub fn has_warnings(&self) -> bool {
        !self.unseen_categories.is_empty()
            || !self.missing_features.is_empty()
            || !self.out_of_range.is_empty()
            || self
                .predictions
                .as_ref()
                .is_some_and(|p| p.rows > 0 || p.negative_rows > 0)
    }

    /// Short human lines for stderr and the window, notes first, then one
    /// line per finding; empty when there is nothing to say.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = self.note_lines();
        out.extend(self.warning_lines());
        out
    }

    /// What was matched for the user (column names, category spellings):
    /// notes, not warnings.
    pub fn note_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.renamed_columns.is_empty() {
            let pairs: Vec<String> = self
                .renamed_columns
                .iter()
                .map(|r| format!("{} → {}", r.from, r.to))
                .collect();
            out.push(format!(
                "column names matched to the model's apart from case or spaces: {}",
                pairs.join(", ")
            ));
        }
        out.extend(self.spelling_lines());
        out
    }

    /// One line per finding the user should look at: unseen categories,
    /// missing features, values and predictions out of range.
    pub fn warning_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.unseen_categories.iter().map(unseen_line).collect();
        out.extend(
            self.missing_features
                .iter()
                .map(|m| missing_line(m, self.rows)),
        );
        out.extend(self.out_of_range.iter().map(range_line));
        if let Some(p) = &self.predictions {
            out.extend(prediction_lines(p));
        }
        out
    }

    /// One line per column with matched spellings, columns in order of
    /// their first note.
    fn spelling_lines(&self) -> Vec<String> {
        let mut columns: Vec<&str> = Vec::new();
        for m in &self.spelling_matches {
            if !columns.contains(&m.column.as_str()) {
                columns.push(&m.column);
            }
        }
        columns
            .into_iter()
            .map(|column| {
                let pairs: Vec<String> = self
                    .spelling_matches
                    .iter()
                    .filter(|m| m.column == column)
                    .map(|m| format!("{} → {} ({})", m.from, m.to, count(m.rows, "row")))
                    .collect();
                format!(
                    "{column}: values matched to the training spelling apart from case or spaces: {}",
                    pairs.join(", ")
                )
            })
            .collect()
    }
}

fn unseen_line(u: &UnseenCategories) -> String {
    let mut values: Vec<String> = u
        .values
        .iter()
        .map(|v| format!("{} ({})", v.value, count(v.rows, "row")))
        .collect();
    if u.values_not_listed > 0 {
        values.push(format!("{} more", u.values_not_listed));
    }
    format!(
        "{}: {} hold{} values training never saw: {}; scored as no known category",
        u.column,
        count(u.rows, "row"),
        if u.rows == 1 { "s" } else { "" },
        values.join(", ")
    )
}

fn missing_line(m: &MissingFeature, rows: usize) -> String {
    let filled = m.filled_with.as_ref().map_or_else(
        || "filled from training".to_owned(),
        |f| format!("filled with the training value {}", f.describe()),
    );
    if m.all_rows {
        format!("{}: missing in all {} rows; {filled}", m.column, rows)
    } else {
        format!(
            "{}: missing in {} of {} rows ({}; training {}); {filled}",
            m.column,
            m.missing_rows,
            rows,
            percent(m.share),
            percent(m.training_share)
        )
    }
}

fn range_line(r: &OutOfRange) -> String {
    let mut line = format!(
        "{}: outside the training range in {} ({}): {}",
        r.column,
        count(r.rows, "row"),
        lines_text(&r.lines, r.rows),
        extremes(r.lowest, r.highest, r.training_min, r.training_max)
    );
    if r.clipped {
        line += &format!(
            "; clipped to the training range {} to {}",
            short(r.training_min),
            short(r.training_max)
        );
    }
    line
}

fn prediction_lines(p: &PredictionCheck) -> Vec<String> {
    let mut out = Vec::new();
    if p.rows > 0 {
        let mut line = format!(
            "{} predictions outside the training range in {} ({})",
            p.target,
            count(p.rows, "row"),
            lines_text(&p.lines, p.rows)
        );
        if p.lowest.is_some() || p.highest.is_some() {
            line.push_str(": ");
            line.push_str(&extremes(
                p.lowest,
                p.highest,
                p.training_min,
                p.training_max,
            ));
        }
        out.push(line);
    }
    if p.negative_rows > 0 {
        out.push(format!(
            "{}: {} below zero ({}), though training never had a negative value",
            p.target,
            count(p.negative_rows, "prediction"),
            lines_text(&p.negative_lines, p.negative_rows)
        ));
    }
    out
}

/// `9999999 > training max 150, -1 < training min 18`.
fn extremes(lowest: Option<f64>, highest: Option<f64>, min: f64, max: f64) -> String {
    let mut parts = Vec::new();
    if let Some(h) = highest {
        parts.push(format!("{} > training max {}", short(h), short(max)));
    }
    if let Some(l) = lowest {
        parts.push(format!("{} < training min {}", short(l), short(min)));
    }
    parts.join(", ")
}

/// `line 4`, `lines 4, 9, 17`, or `lines 4, 9, 17, …` when more rows than
/// lines listed.
fn lines_text(lines: &[u64], rows: usize) -> String {
    let listed: Vec<String> = lines.iter().map(u64::to_string).collect();
    let more = if rows > lines.len() { ", …" } else { "" };
    let word = if rows == 1 { "line" } else { "lines" };
    format!("{word} {}{more}", listed.join(", "))
}

/// `1 row`, `3 rows`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A share as a whole percentage; `<1%` rather than a misleading `0%`.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        "<1%".to_owned()
    } else {
        format!("{p:.0}%")
    }
}

/// Renames needed so every model column is found by its exact name: a
/// model column absent here is matched to the one column whose name equals
/// it after trimming and lower-casing. A column here that exactly names a
/// model column is never taken for another.
pub fn match_headers(
    table: &Table,
    profile: &TrainingProfile,
    match_case: bool,
) -> Result<Vec<ColumnRename>, ScoringError> {
    let model: Vec<&str> = profile.input_columns().collect();
    let free: Vec<&str> = table
        .column_names()
        .filter(|name| !model.contains(name))
        .collect();
    let mut renames: Vec<ColumnRename> = Vec::new();
    let mut absent = Vec::new();
    let mut hint = None;
    for &wanted in model.iter().filter(|m| table.column(m).is_none()) {
        let key = name_key(wanted);
        let candidates: Vec<&str> = free
            .iter()
            .copied()
            .filter(|f| name_key(f) == key)
            .collect();
        match candidates.as_slice() {
            [] => absent.push(wanted.to_owned()),
            [found] if !match_case => {
                hint.get_or_insert_with(|| {
                    format!("`{found}` here differs from the model's `{wanted}` only in case or spaces; rename it, or allow such names to match")
                });
                absent.push(wanted.to_owned());
            }
            [found] => {
                if let Some(taken) = renames.iter().find(|r| r.from == *found) {
                    return Err(ScoringError::SharedHeader {
                        found: (*found).to_owned(),
                        columns: vec![taken.to.clone(), wanted.to_owned()],
                    });
                }
                renames.push(ColumnRename {
                    from: (*found).to_owned(),
                    to: wanted.to_owned(),
                });
            }
            _ => {
                return Err(ScoringError::AmbiguousHeader {
                    column: wanted.to_owned(),
                    candidates: candidates.iter().map(|c| (*c).to_owned()).collect(),
                });
            }
        }
    }
    if absent.is_empty() {
        Ok(renames)
    } else {
        Err(ScoringError::MissingColumns {
            columns: absent,
            hint,
        })
    }
}

/// `table` with columns renamed (order and data kept).
pub fn rename_columns(table: Table, renames: &[ColumnRename]) -> Result<Table, ScoringError> {
    if renames.is_empty() {
        return Ok(table);
    }
    let columns = table
        .columns()
        .iter()
        .map(|c| match renames.iter().find(|r| r.from == c.name) {
            Some(r) => Column {
                name: r.to.clone(),
                data: c.data.clone(),
            },
            None => c.clone(),
        })
        .collect();
    rebuilt(&table, columns)
}

/// Maps category values that equal exactly one training level after
/// trimming and lower-casing (`TRUE` → `True`) to that level, in the
/// model's categorical columns. Returns the table (unchanged when nothing
/// matched) and one note per mapped spelling.
pub fn match_spellings(
    table: Table,
    profile: &TrainingProfile,
) -> Result<(Table, Vec<SpellingMatch>), ScoringError> {
    let mut matches = Vec::new();
    let mut replaced: Vec<(usize, Column)> = Vec::new();
    for column_profile in &profile.columns {
        let ColumnProfile::Categorical { column, levels, .. } = column_profile else {
            continue;
        };
        let Some(index) = table.column_index(column) else {
            continue;
        };
        let training: Vec<&str> = levels.iter().map(|l| l.level.as_str()).collect();
        if let Some((fixed, notes)) = respell_column(&table.columns()[index], column, &training) {
            matches.extend(notes);
            replaced.push((index, fixed));
        }
    }
    if replaced.is_empty() {
        return Ok((table, matches));
    }
    let mut columns = table.columns().to_vec();
    for (index, column) in replaced {
        columns[index] = column;
    }
    Ok((rebuilt(&table, columns)?, matches))
}

/// The column with variant spellings replaced, and the notes; `None` when
/// no value needed it (or the column is numeric: numbers have no case).
fn respell_column(
    column: &Column,
    model_name: &str,
    training: &[&str],
) -> Option<(Column, Vec<SpellingMatch>)> {
    let ColumnData::Categorical { codes, levels } = &column.data else {
        return None;
    };
    // Key → the one training level with that key; `None` when two levels
    // share it (such a value is never guessed).
    let mut by_key: HashMap<String, Option<&str>> = HashMap::new();
    for &level in training {
        by_key
            .entry(name_key(level))
            .and_modify(|v| *v = None)
            .or_insert(Some(level));
    }
    let target: Vec<Option<&str>> = levels
        .iter()
        .map(|level| {
            if training.binary_search(&level.as_str()).is_ok() {
                return None;
            }
            by_key.get(&name_key(level)).copied().flatten()
        })
        .collect();
    if target.iter().all(Option::is_none) {
        return None;
    }
    let counts = level_counts(codes, levels.len());
    let notes: Vec<SpellingMatch> = levels
        .iter()
        .zip(&target)
        .zip(&counts)
        .filter_map(|((from, to), &rows)| {
            let to = (*to)?;
            (rows > 0).then(|| SpellingMatch {
                column: model_name.to_owned(),
                from: from.clone(),
                to: to.to_owned(),
                rows,
            })
        })
        .collect();
    let texts: Vec<&str> = levels
        .iter()
        .zip(&target)
        .map(|(level, to)| to.unwrap_or(level.as_str()))
        .collect();
    let (codes, levels) = merge_levels(codes, &texts);
    let fixed = Column {
        name: column.name.clone(),
        data: ColumnData::Categorical { codes, levels },
    };
    Some((fixed, notes))
}

/// Re-codes `codes` for level texts `texts` (index = old code), merging
/// levels that now share a text.
fn merge_levels(codes: &[u32], texts: &[&str]) -> (Vec<u32>, Vec<String>) {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut levels = Vec::new();
    let new_code: Vec<u32> = texts
        .iter()
        .map(|&t| {
            *index.entry(t).or_insert_with(|| {
                levels.push(t.to_owned());
                (levels.len() - 1) as u32
            })
        })
        .collect();
    let codes = codes
        .iter()
        .map(|&c| match new_code.get(c as usize) {
            Some(&n) if c != MISSING_CODE => n,
            _ => MISSING_CODE,
        })
        .collect();
    (codes, levels)
}

/// Rows per level code (missing cells not counted).
fn level_counts(codes: &[u32], n_levels: usize) -> Vec<usize> {
    let mut counts = vec![0usize; n_levels];
    for &c in codes {
        if let Some(n) = counts.get_mut(c as usize) {
            *n += 1;
        }
    }
    counts
}

/// The comparison key of names and category values: trimmed, lower case.
fn name_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Refuses text in a model column that was numeric in training (quoting
/// the first cell that is not a number); a column with no value at all is
/// turned into an all-missing numeric one, which the pipeline fills.
fn coerce_kinds(
    table: Table,
    lines: &[u64],
    profile: &TrainingProfile,
) -> Result<Table, ScoringError> {
    let mut emptied = Vec::new();
    for column_profile in profile.columns.iter().filter(|c| c.is_numeric()) {
        let Some(index) = table.column_index(column_profile.column()) else {
            continue;
        };
        let column = &table.columns()[index];
        if !matches!(column.data, ColumnData::Categorical { .. }) {
            continue;
        }
        match first_non_number(column) {
            Some(row) => {
                return Err(ScoringError::ExpectedNumeric {
                    line: lines[row],
                    column_number: index + 1,
                    column: column.name.clone(),
                    value: column.text(row).map(Cow::into_owned).unwrap_or_default(),
                });
            }
            None => emptied.push(index),
        }
    }
    if emptied.is_empty() {
        return Ok(table);
    }
    let mut columns = table.columns().to_vec();
    for index in emptied {
        let n = columns[index].len();
        columns[index].data = ColumnData::Numeric(vec![f64::NAN; n]);
    }
    rebuilt(&table, columns)
}

/// First row of a text column whose cell does not read as a plain number,
/// else its first non-missing row (numbers in a local format, which the
/// pipeline refuses as text all the same); `None` when every cell is
/// missing.
fn first_non_number(column: &Column) -> Option<usize> {
    let filled = || (0..column.len()).filter(|&r| !column.is_missing(r));
    filled()
        .find(|&r| {
            column
                .text(r)
                .is_some_and(|t| t.trim().parse::<f64>().is_err())
        })
        .or_else(|| filled().next())
}

/// A column's cells as level codes: its own for a categorical column, the
/// numbers' texts (as the pipeline reads them) for a numeric one.
fn category_codes(column: &Column) -> (Cow<'_, [u32]>, Cow<'_, [String]>) {
    match &column.data {
        ColumnData::Categorical { codes, levels } => (Cow::Borrowed(codes), Cow::Borrowed(levels)),
        ColumnData::Numeric(values) => {
            let mut index: HashMap<u64, u32> = HashMap::new();
            let mut levels = Vec::new();
            let codes = values
                .iter()
                .map(|&x| {
                    if x.is_nan() {
                        return MISSING_CODE;
                    }
                    *index.entry(x.to_bits()).or_insert_with(|| {
                        levels.push(format!("{x}"));
                        (levels.len() - 1) as u32
                    })
                })
                .collect();
            (Cow::Owned(codes), Cow::Owned(levels))
        }
    }
}

/// A finding plus where it first occurs, for a refusal.
struct Found<T> {
    entry: T,
    /// First offending row (0-based).
    first_row: usize,
    /// 1-based column position in the scored table.
    column_number: usize,
    /// The first offending value, as text or number.
    first_value: FirstValue,
}

enum FirstValue {
    Text(String),
    Number(f64),
    None,
}

/// The per-column passes over the scored table.
struct Scan<'a> {
    table: &'a Table,
    lines: &'a [u64],
    options: &'a ScoringOptions,
    flags: &'a mut RowFlags,
}

impl Scan<'_> {
    /// Unseen category values, per categorical model column.
    fn unseen(&mut self, profile: &TrainingProfile) -> Vec<Found<UnseenCategories>> {
        let mut found = Vec::new();
        for (model_index, column_profile) in profile.columns.iter().enumerate() {
            if column_profile.is_numeric() {
                continue;
            }
            let Some(index) = self.table.column_index(column_profile.column()) else {
                continue;
            };
            let column = &self.table.columns()[index];
            if let Some(mut f) = self.unseen_in(column, column_profile, model_index) {
                f.column_number = index + 1;
                found.push(f);
            }
        }
        found
    }

    fn unseen_in(
        &mut self,
        column: &Column,
        column_profile: &ColumnProfile,
        model_index: usize,
    ) -> Option<Found<UnseenCategories>> {
        let (codes, levels) = category_codes(column);
        let unseen: Vec<bool> = levels
            .iter()
            .map(|l| column_profile.level_count(l) == 0)
            .collect();
        let mut values: Vec<UnseenValue> = levels
            .iter()
            .map(|l| UnseenValue {
                value: l.clone(),
                rows: 0,
                lines: Vec::new(),
            })
            .collect();
        let mut first: Option<(usize, u32)> = None;
        let mut rows = 0;
        for (row, &code) in codes.iter().enumerate() {
            if code == MISSING_CODE || !unseen.get(code as usize).copied().unwrap_or(false) {
                continue;
            }
            let value = &mut values[code as usize];
            value.rows += 1;
            push_line(&mut value.lines, self.lines[row], self.options.max_lines);
            first.get_or_insert((row, code));
            rows += 1;
            self.flags.push(row, FlagKind::Unseen, model_index);
        }
        let (first_row, first_code) = first?;
        values.retain(|v| v.rows > 0);
        values.sort_by(|a, b| b.rows.cmp(&a.rows).then_with(|| a.value.cmp(&b.value)));
        let values_not_listed = values.len().saturating_sub(self.options.max_values);
        values.truncate(self.options.max_values);
        Some(Found {
            entry: UnseenCategories {
                column: column_profile.column().to_owned(),
                rows,
                values,
                values_not_listed,
            },
            first_row,
            column_number: 0,
            first_value: FirstValue::Text(levels[first_code as usize].clone()),
        })
    }

    /// Numbers beyond the margin, per numeric model column.
    fn out_of_range(&mut self, profile: &TrainingProfile) -> Vec<Found<OutOfRange>> {
        let mut found = Vec::new();
        for (model_index, column_profile) in profile.columns.iter().enumerate() {
            let ColumnProfile::Numeric {
                column: name,
                range: Some(range),
                ..
            } = column_profile
            else {
                continue;
            };
            let Some(index) = self.table.column_index(name) else {
                continue;
            };
            let ColumnData::Numeric(values) = &self.table.columns()[index].data else {
                continue;
            };
            if let Some(mut f) = self.out_of_range_in(values, name, range, model_index) {
                f.column_number = index + 1;
                found.push(f);
            }
        }
        found
    }

    fn out_of_range_in(
        &mut self,
        values: &[f64],
        name: &str,
        range: &NumericRange,
        model_index: usize,
    ) -> Option<Found<OutOfRange>> {
        let (allowed_min, allowed_max) =
            allowed_bounds(range.min, range.max, self.options.range_margin);
        // A column never negative in training (visits, age) has no margin
        // below zero: `-1` there is a placeholder, not a customer.
        let allowed_min = if range.min >= 0.0 {
            allowed_min.max(0.0)
        } else {
            allowed_min
        };
        let mut entry = OutOfRange {
            column: name.to_owned(),
            training_min: range.min,
            training_max: range.max,
            allowed_min,
            allowed_max,
            rows: 0,
            rows_below: 0,
            rows_above: 0,
            lines: Vec::new(),
            lowest: None,
            highest: None,
            clipped: false,
        };
        let mut first = None;
        for (row, &x) in values.iter().enumerate() {
            // NaN (missing) compares false both ways: never out of range.
            if x < allowed_min {
                entry.rows_below += 1;
                entry.lowest = Some(entry.lowest.map_or(x, |l: f64| l.min(x)));
            } else if x > allowed_max {
                entry.rows_above += 1;
                entry.highest = Some(entry.highest.map_or(x, |h: f64| h.max(x)));
            } else {
                continue;
            }
            entry.rows += 1;
            push_line(&mut entry.lines, self.lines[row], self.options.max_lines);
            first.get_or_insert((row, x));
            self.flags.push(row, FlagKind::OutOfRange, model_index);
        }
        let (first_row, value) = first?;
        Some(Found {
            entry,
            first_row,
            column_number: 0,
            first_value: FirstValue::Number(value),
        })
    }

    /// Mostly-missing features; flags every missing input cell.
    fn missing(&mut self, profile: &TrainingProfile, fills: &[Fill]) -> Vec<Found<MissingFeature>> {
        let n_rows = self.table.n_rows();
        let mut found = Vec::new();
        for (model_index, column_profile) in profile.columns.iter().enumerate() {
            let Some(index) = self.table.column_index(column_profile.column()) else {
                continue;
            };
            let column = &self.table.columns()[index];
            let mut first_row = None;
            let mut missing_rows = 0;
            for row in (0..n_rows).filter(|&r| column.is_missing(r)) {
                first_row.get_or_insert(row);
                missing_rows += 1;
                self.flags.push(row, FlagKind::Missing, model_index);
            }
            let (Some(first_row), true) = (first_row, n_rows > 0) else {
                continue;
            };
            let share = missing_rows as f64 / n_rows as f64;
            let training_share = column_profile.missing_share();
            if share < self.options.mostly_missing_share || share <= training_share {
                continue;
            }
            let filled_with = fills
                .iter()
                .find(|f| f.column == column_profile.column())
                .map(|f| f.value.clone());
            found.push(Found {
                entry: MissingFeature {
                    column: column_profile.column().to_owned(),
                    missing_rows,
                    share,
                    training_share,
                    all_rows: missing_rows == n_rows,
                    filled_with,
                },
                first_row,
                column_number: index + 1,
                first_value: FirstValue::None,
            });
        }
        found
    }
}

/// The refusal `options` ask for, naming the earliest offending line.
fn refuse(
    unseen: &[Found<UnseenCategories>],
    missing: &[Found<MissingFeature>],
    ranges: &[Found<OutOfRange>],
    lines: &[u64],
    options: &ScoringOptions,
) -> Result<(), ScoringError> {
    let line = |row: usize| lines.get(row).copied().unwrap_or(0);
    if options.refuse_unseen
        && let Some(f) = earliest(unseen)
    {
        return Err(ScoringError::UnseenCategory {
            line: line(f.first_row),
            column_number: f.column_number,
            column: f.entry.column.clone(),
            value: match &f.first_value {
                FirstValue::Text(t) => t.clone(),
                _ => String::new(),
            },
            rows: f.entry.rows,
        });
    }
    if options.refuse_missing
        && let Some(f) = earliest(missing)
    {
        return Err(ScoringError::MissingFeature {
            column_number: f.column_number,
            column: f.entry.column.clone(),
            missing: f.entry.missing_rows,
            rows: lines.len(),
            first_line: line(f.first_row),
            filled_with: f.entry.filled_with.clone(),
        });
    }
    if options.out_of_range == OutOfRangePolicy::Refuse
        && let Some(f) = earliest(ranges)
    {
        return Err(ScoringError::OutOfRange {
            line: line(f.first_row),
            column_number: f.column_number,
            column: f.entry.column.clone(),
            value: match f.first_value {
                FirstValue::Number(x) => x,
                _ => f64::NAN,
            },
            training_min: f.entry.training_min,
            training_max: f.entry.training_max,
            margin: options.range_margin,
        });
    }
    Ok(())
}

/// The finding whose first row comes first (ties: model column order).
fn earliest<T>(found: &[Found<T>]) -> Option<&Found<T>> {
    found.iter().min_by_key(|f| f.first_row)
}

/// `table` with the out-of-range numbers set to the training min / max.
fn clip_table(table: Table, ranges: &[Found<OutOfRange>]) -> Result<Table, ScoringError> {
    if ranges.is_empty() {
        return Ok(table);
    }
    let mut columns = table.columns().to_vec();
    for r in ranges {
        let Some(column) = columns.iter_mut().find(|c| c.name == r.entry.column) else {
            continue;
        };
        if let ColumnData::Numeric(values) = &mut column.data {
            for x in values.iter_mut() {
                if *x < r.entry.allowed_min {
                    *x = r.entry.training_min;
                } else if *x > r.entry.allowed_max {
                    *x = r.entry.training_max;
                }
            }
        }
    }
    rebuilt(&table, columns)
}

/// `original` with its columns replaced by `columns` (same order and row
/// count; names may differ after a rename). The one place a checked table
/// is rebuilt: whatever else a `Table` carries besides its columns (the
/// reader's notes, formats and row lines) is to be carried over here.
fn rebuilt(original: &Table, columns: Vec<Column>) -> Result<Table, ScoringError> {
    debug_assert_eq!(original.n_cols(), columns.len());
    // Keep what the reader learned (row lines, formats, notes): the
    // columns keep their order and their values' meaning.
    Ok(Table::new(columns)?.with_load_info(original.load_info().clone()))
}

/// `[min - m·(max - min), max + m·(max - min)]`. A range too wide for f64
/// gives infinite bounds (nothing is out of range), never NaN.
fn allowed_bounds(min: f64, max: f64, margin: f64) -> (f64, f64) {
    let width = if margin == 0.0 {
        0.0
    } else {
        (max - min) * margin
    };
    (min - width, max + width)
}

fn push_line(lines: &mut Vec<u64>, line: u64, max: usize) {
    if lines.len() < max {
        lines.push(line);
    }
}

/// Compact number for messages: integers as is, else six significant
/// digits without trailing zeros (no float noise such as `57.52260589599`).
fn short(x: f64) -> String {
    if !x.is_finite() || x == x.trunc() && x.abs() < 1e15 {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor();
    if !(-6.0..15.0).contains(&magnitude) {
        return format!("{x:e}");
    }
    let decimals = (5.0 - magnitude).max(0.0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::prep::{Problem, Recipe, prepare};

    const FEATURES: [&str; 4] = ["age", "income", "region", "member"];

    /// Ten training customers: age 18–75, income 20–150, four regions,
    /// member `True`/`False`, spend 0–300 (never negative).
    fn training() -> Table {
        let regions = ["east", "north", "south", "west"];
        Table::new(vec![
            Column::numeric(
                "age",
                vec![18.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 60.0, 70.0, 75.0],
            ),
            Column::numeric(
                "income",
                vec![
                    20.0, 40.0, 60.0, 80.0, 100.0, 110.0, 120.0, 130.0, 140.0, 150.0,
                ],
            ),
            Column::categorical(
                "region",
                &(0..10).map(|i| Some(regions[i % 4])).collect::<Vec<_>>(),
            ),
            Column::categorical(
                "member",
                &(0..10)
                    .map(|i| Some(if i % 2 == 0 { "True" } else { "False" }))
                    .collect::<Vec<_>>(),
            ),
            Column::categorical(
                "bought",
                &(0..10)
                    .map(|i| Some(if i % 3 == 0 { "yes" } else { "no" }))
                    .collect::<Vec<_>>(),
            ),
            Column::numeric(
                "spend",
                vec![0.0, 10.0, 50.0, 0.0, 300.0, 20.0, 0.0, 80.0, 120.0, 5.0],
            ),
        ])
        .unwrap()
    }

    fn profile() -> TrainingProfile {
        let rows: Vec<usize> = (0..10).collect();
        TrainingProfile::fit(&training(), &FEATURES, &rows, Some("spend")).unwrap()
    }

    fn fills() -> Vec<Fill> {
        vec![
            Fill {
                column: "age".into(),
                value: FillValue::Number(42.5),
            },
            Fill {
                column: "income".into(),
                value: FillValue::Number(105.0),
            },
            Fill {
                column: "region".into(),
                value: FillValue::Level("east".into()),
            },
        ]
    }

    fn cat(name: &str, values: &[&str]) -> Column {
        let labels: Vec<Option<&str>> = values
            .iter()
            .map(|v| (!v.is_empty()).then_some(*v))
            .collect();
        Column::categorical(name, &labels)
    }

    /// A scoring table of `n` rows from the given columns.
    fn scoring(columns: Vec<Column>) -> (Table, Vec<u64>) {
        let t = Table::new(columns).unwrap();
        // Data starts on line 2, after the header.
        let lines = (2..2 + t.n_rows() as u64).collect();
        (t, lines)
    }

    /// Four ordinary customers, nothing to report.
    fn clean() -> (Table, Vec<u64>) {
        scoring(vec![
            Column::numeric("age", vec![20.0, 33.0, 48.0, 70.0]),
            Column::numeric("income", vec![25.0, 90.0, 120.0, 149.0]),
            cat("region", &["east", "west", "north", "south"]),
            cat("member", &["True", "False", "False", "True"]),
        ])
    }

    fn check(
        table: Table,
        lines: &[u64],
        options: &ScoringOptions,
    ) -> Result<Checked, ScoringError> {
        check_table(table, lines, &profile(), &fills(), options)
    }

    fn defaults() -> ScoringOptions {
        ScoringOptions::default()
    }

    #[test]
    fn a_clean_table_passes_unchanged_with_nothing_to_say() {
        let (t, lines) = clean();
        let c = check(t.clone(), &lines, &defaults()).unwrap();
        assert_eq!(c.table, t);
        assert!(!c.report.has_warnings());
        assert!(c.report.summary_lines().is_empty());
        assert_eq!(c.report.flagged_rows, 0);
        assert_eq!(c.flags.texts(), ["", "", "", ""]);
        assert_eq!(c.report.rows, 4);
    }

    #[test]
    fn header_case_variants_are_renamed_with_a_note() {
        // Case 04: the file's names are lower case where training had `Age`.
        let train = Table::new(vec![
            Column::numeric("Age", vec![20.0, 30.0]),
            cat("Region", &["east", "west"]),
        ])
        .unwrap();
        let p = TrainingProfile::fit(&train, &["Age", "Region"], &[0, 1], None).unwrap();
        let (t, lines) = scoring(vec![
            cat("customerid", &["C1", "C2"]),
            Column::numeric(" age ", vec![25.0, 28.0]),
            cat("REGION", &["west", "east"]),
        ]);
        let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
        assert_eq!(
            c.report.renamed_columns,
            [
                ColumnRename {
                    from: " age ".into(),
                    to: "Age".into()
                },
                ColumnRename {
                    from: "REGION".into(),
                    to: "Region".into()
                },
            ]
        );
        let names: Vec<&str> = c.table.column_names().collect();
        assert_eq!(names, ["customerid", "Age", "Region"]);
        assert_eq!(
            c.report.summary_lines(),
            [
                "column names matched to the model's apart from case or spaces:  age  → Age, REGION → Region"
            ]
        );
    }

    #[test]
    fn header_case_is_refused_with_a_hint_when_matching_is_off() {
        let (t, lines) = scoring(vec![
            Column::numeric("AGE", vec![20.0]),
            Column::numeric("income", vec![50.0]),
            cat("region", &["east"]),
        ]);
        let options = ScoringOptions {
            match_header_case: false,
            ..defaults()
        };
        let e = check(t, &lines, &options).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the data lacks the columns the model needs: age, member (`AGE` here differs from the model's `age` only in case or spaces; rename it, or allow such names to match)"
        );
    }

    #[test]
    fn ambiguous_headers_are_refused_not_guessed() {
        let (t, lines) = scoring(vec![
            Column::numeric("Age", vec![20.0]),
            Column::numeric("AGE", vec![21.0]),
            Column::numeric("income", vec![50.0]),
            cat("region", &["east"]),
            cat("member", &["True"]),
        ]);
        let e = check(t, &lines, &defaults()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the model's column `age` matches several columns here apart from case or spaces: `Age`, `AGE`; rename or remove all but one"
        );

        // Two model columns that differ only in case, one column here.
        let train = Table::new(vec![
            Column::numeric("Age", vec![1.0]),
            Column::numeric("AGE", vec![2.0]),
        ])
        .unwrap();
        let p = TrainingProfile::fit(&train, &["Age", "AGE"], &[0], None).unwrap();
        let (t, lines) = scoring(vec![Column::numeric("age", vec![1.0])]);
        let e = check_table(t, &lines, &p, &[], &defaults()).unwrap_err();
        assert_eq!(
            e,
            ScoringError::SharedHeader {
                found: "age".into(),
                columns: vec!["Age".into(), "AGE".into()],
            }
        );
    }

    #[test]
    fn an_exact_name_is_never_taken_for_another_column() {
        // `Age` is an extra column here; the model's `age` is present as is.
        let (mut t, lines) = clean();
        t.push_column(Column::numeric("Age", vec![1.0; 4])).unwrap();
        let c = check(t, &lines, &defaults()).unwrap();
        assert!(c.report.renamed_columns.is_empty());
    }

    #[test]
    fn absent_columns_are_listed() {
        let (t, lines) = scoring(vec![Column::numeric("age", vec![20.0])]);
        let e = check(t, &lines, &defaults()).unwrap_err();
        assert_eq!(
            e,
            ScoringError::MissingColumns {
                columns: vec!["income".into(), "region".into(), "member".into()],
                hint: None,
            }
        );
    }

    #[test]
    fn category_case_variants_score_like_the_training_spelling() {
        // Case 03: `TRUE`/`FALSE` where training had `True`/`False`.
        let (t, lines) = scoring(vec![
            Column::numeric("age", vec![20.0, 33.0, 48.0, 70.0]),
            Column::numeric("income", vec![25.0, 90.0, 120.0, 149.0]),
            cat("region", &["east", "West ", "north", "south"]),
            cat("member", &["TRUE", "FALSE", "FALSE", "True"]),
        ]);
        let c = check(t, &lines, &defaults()).unwrap();
        assert_eq!(
            c.report.spelling_matches,
            [
                SpellingMatch {
                    column: "region".into(),
                    from: "West ".into(),
                    to: "west".into(),
                    rows: 1
                },
                SpellingMatch {
                    column: "member".into(),
                    from: "TRUE".into(),
                    to: "True".into(),
                    rows: 1
                },
                SpellingMatch {
                    column: "member".into(),
                    from: "FALSE".into(),
                    to: "False".into(),
                    rows: 2
                },
            ]
        );
        assert!(c.report.unseen_categories.is_empty());
        assert!(!c.report.has_warnings());
        // `TRUE` merged into the existing `True` level: one level each.
        match &c.table.column("member").unwrap().data {
            ColumnData::Categorical { codes, levels } => {
                assert_eq!(levels, &["True", "False"]);
                assert_eq!(codes, &[0, 1, 1, 0]);
            }
            other => panic!("{other:?}"),
        }
        // The pipeline now encodes exactly what the training spelling gives.
        let recipe = Recipe {
            features: FEATURES.iter().map(|s| (*s).to_owned()).collect(),
            ..Recipe::new(
                &training(),
                "bought",
                Problem::Classification {
                    positive: "yes".into(),
                },
            )
        };
        let pipeline = prepare(&training(), &recipe).unwrap().pipeline;
        let (expected, _) = clean();
        assert_eq!(
            pipeline.transform(&c.table).unwrap(),
            pipeline.transform(&expected).unwrap()
        );
        assert_eq!(
            c.report.summary_lines(),
            [
                "region: values matched to the training spelling apart from case or spaces: West  → west (1 row)",
                "member: values matched to the training spelling apart from case or spaces: TRUE → True (1 row), FALSE → False (2 rows)",
            ]
        );
    }

    #[test]
    fn a_spelling_matching_two_training_levels_stays_unseen() {
        let train = Table::new(vec![cat("answer", &["yes", "Yes", "no"])]).unwrap();
        let p = TrainingProfile::fit(&train, &["answer"], &[0, 1, 2], None).unwrap();
        let (t, lines) = scoring(vec![cat("answer", &["YES", "NO"])]);
        let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
        assert_eq!(c.report.spelling_matches.len(), 1);
        assert_eq!(c.report.spelling_matches[0].to, "no");
        assert_eq!(c.report.unseen_categories.len(), 1);
        assert_eq!(c.report.unseen_categories[0].values[0].value, "YES");
    }

    /// Case 02: `central` and `online`, which training never saw.
    fn unseen_regions() -> (Table, Vec<u64>) {
        scoring(vec![
            Column::numeric("age", vec![30.0; 8]),
            Column::numeric("income", vec![80.0; 8]),
            cat(
                "region",
                &[
                    "central", "online", "east", "central", "", "online", "central", "west",
                ],
            ),
            cat("member", &["True"; 8]),
        ])
    }

    #[test]
    fn unseen_categories_are_counted_with_their_lines() {
        let (t, lines) = unseen_regions();
        let c = check(t.clone(), &lines, &defaults()).unwrap();
        assert_eq!(c.table, t, "unseen values are scored as they are");
        assert_eq!(
            c.report.unseen_categories,
            [UnseenCategories {
                column: "region".into(),
                rows: 5,
                values: vec![
                    UnseenValue {
                        value: "central".into(),
                        rows: 3,
                        lines: vec![2, 5, 8]
                    },
                    UnseenValue {
                        value: "online".into(),
                        rows: 2,
                        lines: vec![3, 7]
                    },
                ],
                values_not_listed: 0,
            }]
        );
        assert_eq!(
            c.report.summary_lines(),
            [
                "region: 5 rows hold values training never saw: central (3 rows), online (2 rows); scored as no known category"
            ]
        );
        assert!(c.report.has_warnings());
        assert_eq!(c.flags.text(0), "unseen:region");
        assert_eq!(c.flags.text(2), "");
        // The missing region is flagged as filled, not as unseen.
        assert_eq!(c.flags.text(4), "missing:region");
    }

    #[test]
    fn long_unseen_lists_are_cut() {
        let (t, lines) = unseen_regions();
        let options = ScoringOptions {
            max_values: 1,
            max_lines: 2,
            ..defaults()
        };
        let c = check(t, &lines, &options).unwrap();
        let u = &c.report.unseen_categories[0];
        assert_eq!(u.values.len(), 1);
        assert_eq!(u.values[0].lines, [2, 5]);
        assert_eq!(u.values_not_listed, 1);
        assert!(
            c.report.summary_lines()[0]
                .ends_with("central (3 rows), 1 more; scored as no known category"),
            "{:?}",
            c.report.summary_lines()
        );
    }

    #[test]
    fn numbers_in_a_categorical_column_compare_as_text() {
        // Training stored plan codes as text; the file here holds numbers.
        let train = Table::new(vec![cat("plan", &["1", "2", "x"])]).unwrap();
        let p = TrainingProfile::fit(&train, &["plan"], &[0, 1, 2], None).unwrap();
        let (t, lines) = scoring(vec![Column::numeric("plan", vec![1.0, 3.0, f64::NAN, 3.0])]);
        let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
        let u = &c.report.unseen_categories[0];
        assert_eq!((u.rows, u.values[0].value.as_str()), (2, "3"));
        assert_eq!(u.values[0].lines, [3, 5]);
    }

    #[test]
    fn refusing_unseen_names_the_first_line_and_column() {
        let (t, lines) = unseen_regions();
        let options = ScoringOptions {
            refuse_unseen: true,
            ..defaults()
        };
        let e = check(t, &lines, &options).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2, column 3 (`region`): `central` never occurs in the training data (5 rows here hold values the model has not seen); score without --refuse-unseen (or --strict) to treat them as no known category"
        );
    }

    /// Case 06: `income` empty in every row.
    fn income_missing() -> (Table, Vec<u64>) {
        scoring(vec![
            Column::numeric("age", vec![30.0, 40.0, 50.0]),
            Column::numeric("income", vec![f64::NAN; 3]),
            cat("region", &["east", "west", "north"]),
            cat("member", &["True", "False", "True"]),
        ])
    }

    #[test]
    fn a_feature_missing_everywhere_is_reported_with_its_fill() {
        let (t, lines) = income_missing();
        let c = check(t, &lines, &defaults()).unwrap();
        assert_eq!(
            c.report.missing_features,
            [MissingFeature {
                column: "income".into(),
                missing_rows: 3,
                share: 1.0,
                training_share: 0.0,
                all_rows: true,
                filled_with: Some(FillValue::Number(105.0)),
            }]
        );
        assert_eq!(
            c.report.summary_lines(),
            ["income: missing in all 3 rows; filled with the training value 105"]
        );
        assert_eq!(c.flags.texts(), ["missing:income"; 3]);
        assert_eq!(c.report.flagged_rows, 3);
    }

    #[test]
    fn refusing_missing_features_names_the_column_and_fill() {
        let (t, lines) = income_missing();
        let options = ScoringOptions {
            refuse_missing: true,
            ..defaults()
        };
        let e = check(t, &lines, &options).unwrap_err();
        assert_eq!(
            e.to_string(),
            "column 2 (`income`) is empty in 3 of 3 rows (first on line 2); the model would fill them with 105; score without --refuse-missing (or --strict) to do so"
        );
    }

    #[test]
    fn mostly_missing_is_judged_against_training() {
        // Training: `region` missing in 6 of 10 rows.
        let train = Table::new(vec![cat(
            "region",
            &["east", "", "", "west", "", "", "east", "", "", "west"],
        )])
        .unwrap();
        let rows: Vec<usize> = (0..10).collect();
        let p = TrainingProfile::fit(&train, &["region"], &rows, None).unwrap();
        let run = |values: &[&str]| {
            let (t, lines) = scoring(vec![cat("region", values)]);
            check_table(t, &lines, &p, &[], &defaults())
                .unwrap()
                .report
                .missing_features
        };
        // 3 of 4 (75%) > 60% in training: reported, share and training share.
        let m = run(&["", "", "", "east"]);
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].share, m[0].training_share), (0.75, 0.6));
        assert_eq!(m[0].filled_with, None);
        assert_eq!(
            missing_line(&m[0], 4),
            "region: missing in 3 of 4 rows (75%; training 60%); filled from training"
        );
        // 2 of 4 (50%): no more than in training.
        assert!(run(&["", "", "west", "east"]).is_empty());
        // 1 of 4: below the mostly-missing share.
        let p_clean = profile();
        let (t, lines) = scoring(vec![
            Column::numeric("age", vec![f64::NAN, 30.0, 40.0, 50.0]),
            Column::numeric("income", vec![50.0; 4]),
            cat("region", &["east"; 4]),
            cat("member", &["True"; 4]),
        ]);
        let c = check_table(t, &lines, &p_clean, &[], &defaults()).unwrap();
        assert!(c.report.missing_features.is_empty());
        assert_eq!(
            c.flags.text(0),
            "missing:age",
            "the filled cell is still flagged"
        );
    }

    #[test]
    fn an_empty_column_of_either_kind_counts_as_missing() {
        // The CSV reader makes an all-empty column numeric: for a
        // categorical feature it is missing, not unseen.
        let (t, lines) = scoring(vec![
            Column::numeric("age", vec![30.0, 40.0]),
            Column::categorical::<&str>("income", &[None, None]),
            Column::numeric("region", vec![f64::NAN; 2]),
            cat("member", &["True", "False"]),
        ]);
        let c = check(t, &lines, &defaults()).unwrap();
        let missing: Vec<&str> = c
            .report
            .missing_features
            .iter()
            .map(|m| m.column.as_str())
            .collect();
        assert_eq!(missing, ["income", "region"]);
        assert!(c.report.unseen_categories.is_empty());
        // An empty text column under a numeric feature became numeric.
        assert_eq!(
            c.table.column("income").unwrap().data,
            ColumnData::Numeric(vec![f64::NAN; 2])
        );
        assert_eq!(
            c.report.missing_features[1].filled_with,
            Some(FillValue::Level("east".into()))
        );
    }

    #[test]
    fn text_in_a_numeric_feature_quotes_the_cell() {
        let (t, lines) = scoring(vec![
            Column::numeric("age", vec![30.0, 40.0, 50.0]),
            cat("income", &["12", "", "lots"]),
            cat("region", &["east"; 3]),
            cat("member", &["True"; 3]),
        ]);
        let e = check(t, &lines, &defaults()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 4, column 2 (`income`): `lots` is not a number, but the model was trained on numbers in this column"
        );
    }

    /// Case 15: placeholder incomes of 9999999 and ages of -1.
    fn sentinels() -> (Table, Vec<u64>) {
        scoring(vec![
            Column::numeric("age", vec![52.0, -1.0, 33.0, 80.0, -1.0]),
            Column::numeric("income", vec![89.0, 9_999_999.0, 21.0, 9_999_999.0, 155.0]),
            cat("region", &["north", "south", "north", "east", "online"]),
            cat("member", &["False"; 5]),
        ])
    }

    #[test]
    fn numbers_beyond_the_margin_are_reported_with_lines() {
        let (t, lines) = sentinels();
        let c = check(t.clone(), &lines, &defaults()).unwrap();
        assert_eq!(c.table, t, "reported, not changed");
        let age = &c.report.out_of_range[0];
        // Training age 18–75: margin 5.7 allows 12.3 to 80.7, so 80 is fine.
        assert_eq!(age.column, "age");
        assert_eq!((age.training_min, age.training_max), (18.0, 75.0));
        assert!((age.allowed_min - 12.3).abs() < 1e-9 && (age.allowed_max - 80.7).abs() < 1e-9);
        assert_eq!((age.rows, age.rows_below, age.rows_above), (2, 2, 0));
        assert_eq!(age.lines, [3, 6]);
        assert_eq!((age.lowest, age.highest), (Some(-1.0), None));
        // Income 20–150 allows up to 163: 155 is within the margin.
        let income = &c.report.out_of_range[1];
        assert_eq!((income.rows, income.rows_above), (2, 2));
        assert_eq!(income.lines, [3, 5]);
        assert!(!income.clipped);
        assert_eq!(
            c.report.summary_lines(),
            [
                "region: 1 row holds values training never saw: online (1 row); scored as no known category",
                "age: outside the training range in 2 rows (lines 3, 6): -1 < training min 18",
                "income: outside the training range in 2 rows (lines 3, 5): 9999999 > training max 150",
            ]
        );
        assert_eq!(
            c.flags.texts(),
            [
                "",
                "out_of_range:age;out_of_range:income",
                "",
                "out_of_range:income",
                "unseen:region;out_of_range:age",
            ]
        );
        assert_eq!(c.report.flagged_rows, 3);
    }

    #[test]
    fn clipping_sets_out_of_range_values_to_the_training_limits() {
        let (t, lines) = sentinels();
        let options = ScoringOptions {
            out_of_range: OutOfRangePolicy::Clip,
            ..defaults()
        };
        let c = check(t, &lines, &options).unwrap();
        assert_eq!(
            c.table.column("age").unwrap().data,
            ColumnData::Numeric(vec![52.0, 18.0, 33.0, 80.0, 18.0])
        );
        assert_eq!(
            c.table.column("income").unwrap().data,
            ColumnData::Numeric(vec![89.0, 150.0, 21.0, 150.0, 155.0])
        );
        assert!(c.report.out_of_range.iter().all(|r| r.clipped));
        assert_eq!(c.report.out_of_range_policy, OutOfRangePolicy::Clip);
        assert!(
            c.report.summary_lines()[2]
                .ends_with("9999999 > training max 150; clipped to the training range 20 to 150")
        );
        // The flags still mark the rows: their true values were unusual.
        assert_eq!(c.flags.text(3), "out_of_range:income");
    }

    #[test]
    fn refusing_out_of_range_names_the_earliest_cell() {
        let (t, lines) = sentinels();
        let options = ScoringOptions {
            out_of_range: OutOfRangePolicy::Refuse,
            ..defaults()
        };
        let e = check(t, &lines, &options).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3, column 1 (`age`): -1 is outside the training range 18 to 75 (by more than the 10% margin); use --out-of-range clip or report to score anyway"
        );
    }

    #[test]
    fn refusals_come_in_a_fixed_order() {
        // Unseen before out-of-range, even on a later line.
        let (t, lines) = sentinels();
        let options = ScoringOptions {
            refuse_unseen: true,
            out_of_range: OutOfRangePolicy::Refuse,
            ..defaults()
        };
        let e = check(t, &lines, &options).unwrap_err();
        assert!(
            matches!(e, ScoringError::UnseenCategory { line: 6, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn a_constant_training_column_allows_only_its_value() {
        let train = Table::new(vec![Column::numeric("x", vec![5.0; 3])]).unwrap();
        let p = TrainingProfile::fit(&train, &["x"], &[0, 1, 2], None).unwrap();
        let (t, lines) = scoring(vec![Column::numeric("x", vec![5.0, 5.1, 4.0])]);
        let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
        let r = &c.report.out_of_range[0];
        assert_eq!((r.rows_above, r.rows_below), (1, 1));
        let zero_margin = ScoringOptions {
            range_margin: 0.0,
            ..defaults()
        };
        let (t, lines) = clean();
        let c = check(t, &lines, &zero_margin).unwrap();
        // Income 149 and age 70 are inside 20–150 / 18–75 even without margin.
        assert!(c.report.out_of_range.is_empty());
    }

    #[test]
    fn regression_predictions_are_checked_against_the_target_range() {
        let (t, lines) = clean();
        let mut c = check(t, &lines, &defaults()).unwrap();
        // Training spend 0–300 allows -30 to 330.
        c.check_predictions(&[100.0, 39_400.0, -5.0, -50.0], &profile())
            .unwrap();
        let p = c.report.predictions.clone().unwrap();
        assert_eq!((p.allowed_min, p.allowed_max), (-30.0, 330.0));
        assert_eq!((p.rows, p.rows_below, p.rows_above), (2, 1, 1));
        assert_eq!(p.lines, [3, 5]);
        assert_eq!((p.lowest, p.highest), (Some(-50.0), Some(39_400.0)));
        assert!(p.never_negative);
        assert_eq!((p.negative_rows, p.negative_lines.clone()), (2, vec![4, 5]));
        assert_eq!(
            c.flags.texts(),
            [
                "",
                "prediction_out_of_range",
                "negative_prediction",
                "prediction_out_of_range;negative_prediction",
            ]
        );
        assert_eq!(c.report.flagged_rows, 3);
        assert!(c.report.has_warnings());
        assert_eq!(
            c.report.summary_lines(),
            [
                "spend predictions outside the training range in 2 rows (lines 3, 5): 39400 > training max 300, -50 < training min 0",
                "spend: 2 predictions below zero (lines 4, 5), though training never had a negative value",
            ]
        );
    }

    #[test]
    fn classifier_predictions_are_not_range_checked() {
        let rows: Vec<usize> = (0..10).collect();
        let p = TrainingProfile::fit(&training(), &FEATURES, &rows, None).unwrap();
        let (t, lines) = clean();
        let mut c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
        c.check_predictions(&[0.1, 0.9, 0.5, 0.2], &p).unwrap();
        assert_eq!(c.report.predictions, None);
        assert_eq!(
            c.check_predictions(&[0.1], &p),
            Err(ScoringError::PredictionCount {
                predictions: 1,
                rows: 4
            })
        );
    }

    #[test]
    fn flags_become_an_output_column() {
        let (t, lines) = sentinels();
        let c = check(t, &lines, &defaults()).unwrap();
        let column = c.flags.to_column("flags");
        assert_eq!(column.name, "flags");
        assert_eq!(column.len(), 5);
        assert_eq!(column.text(3).as_deref(), Some("out_of_range:income"));
        assert_eq!(column.text(0).as_deref(), Some(""));
        assert!(c.flags.is_flagged(1) && !c.flags.is_flagged(0) && !c.flags.is_flagged(99));
        assert_eq!(
            c.flags.flags(4),
            [
                (FlagKind::Unseen, Some("region")),
                (FlagKind::OutOfRange, Some("age"))
            ]
        );
        assert_eq!(c.flags.text(99), "");
    }

    #[test]
    fn a_header_only_table_gives_an_empty_report() {
        let (t, lines) = scoring(vec![
            Column::numeric("age", vec![]),
            Column::numeric("income", vec![]),
            cat("region", &[]),
            cat("member", &[]),
        ]);
        let mut c = check(t, &lines, &defaults()).unwrap();
        c.check_predictions(&[], &profile()).unwrap();
        assert_eq!(c.report.rows, 0);
        assert!(!c.report.has_warnings());
        assert!(c.report.summary_lines().is_empty());
        assert!(c.flags.is_empty());
    }

    #[test]
    fn caller_mistakes_are_errors() {
        let (t, _) = clean();
        assert_eq!(
            check(t.clone(), &[2, 3], &defaults()).unwrap_err(),
            ScoringError::LineCount { lines: 2, rows: 4 }
        );
        let (_, lines) = clean();
        for bad in [
            ScoringOptions {
                range_margin: -0.1,
                ..defaults()
            },
            ScoringOptions {
                range_margin: f64::NAN,
                ..defaults()
            },
            ScoringOptions {
                mostly_missing_share: 0.0,
                ..defaults()
            },
            ScoringOptions {
                mostly_missing_share: 1.5,
                ..defaults()
            },
        ] {
            assert!(matches!(
                check(t.clone(), &lines, &bad),
                Err(ScoringError::BadOption(_))
            ));
        }
    }

    #[test]
    fn the_report_has_a_stable_json_shape() {
        let (t, lines) = sentinels();
        let mut c = check(t, &lines, &defaults()).unwrap();
        c.check_predictions(&[10.0; 5], &profile()).unwrap();
        let json = serde_json::to_value(&c.report).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = [
            "rows",
            "range_margin",
            "mostly_missing_share",
            "out_of_range_policy",
            "renamed_columns",
            "spelling_matches",
            "unseen_categories",
            "missing_features",
            "out_of_range",
            "predictions",
            "flagged_rows",
        ];
        expected.sort_unstable();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(json["out_of_range_policy"], "report");
        assert_eq!(
            json["out_of_range"][1],
            serde_json::json!({
                "column": "income", "training_min": 20.0, "training_max": 150.0,
                "allowed_min": 7.0, "allowed_max": 163.0, "rows": 2, "rows_below": 0,
                "rows_above": 2, "lines": [3, 5], "lowest": null, "highest": 9999999.0,
                "clipped": false
            })
        );
        assert_eq!(
            json["unseen_categories"][0],
            serde_json::json!({
                "column": "region", "rows": 1,
                "values": [{"value": "online", "rows": 1, "lines": [6]}],
                "values_not_listed": 0
            })
        );
        let prediction_keys = json["predictions"].as_object().unwrap().len();
        assert_eq!(prediction_keys, 14);
        let back: ScoringReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, c.report);
    }

    #[test]
    fn fill_values_serialize_as_number_or_text() {
        let (t, lines) = income_missing();
        let c = check(t, &lines, &defaults()).unwrap();
        let json = serde_json::to_value(&c.report.missing_features).unwrap();
        assert_eq!(json[0]["filled_with"], 105.0);
        let level = serde_json::to_value(FillValue::Level("east".into())).unwrap();
        assert_eq!(level, "east");
    }

    #[test]
    fn fills_come_from_the_pipeline_steps() {
        let recipe = Recipe {
            features: FEATURES.iter().map(|s| (*s).to_owned()).collect(),
            ..Recipe::new(&training(), "spend", Problem::Regression)
        };
        let pipeline = prepare(&training(), &recipe).unwrap().pipeline;
        let fills = fills_from_pipeline(&pipeline);
        let columns: Vec<&str> = fills.iter().map(|f| f.column.as_str()).collect();
        assert_eq!(columns, FEATURES);
        assert!(matches!(fills[0].value, FillValue::Number(x) if (18.0..=75.0).contains(&x)));
        assert!(matches!(&fills[3].value, FillValue::Level(l) if l == "True" || l == "False"));
    }

    #[test]
    fn policies_parse_and_print() {
        assert_eq!("Clip".parse(), Ok(OutOfRangePolicy::Clip));
        assert_eq!(" refuse ".parse(), Ok(OutOfRangePolicy::Refuse));
        assert_eq!(OutOfRangePolicy::default().to_string(), "report");
        assert!(
            "ignore"
                .parse::<OutOfRangePolicy>()
                .unwrap_err()
                .contains("report, refuse, clip")
        );
    }

    #[test]
    fn message_numbers_are_short() {
        assert_eq!(short(9_999_999.0), "9999999");
        assert_eq!(short(-1.0), "-1");
        assert_eq!(short(57.522605895996094), "57.5226");
        assert_eq!(short(0.001234), "0.001234");
        assert_eq!(short(163.20000000000002), "163.2");
        assert_eq!(short(1e300), "1e300");
        assert_eq!(short(f64::INFINITY), "inf");
        assert_eq!(lines_text(&[4], 1), "line 4");
        assert_eq!(lines_text(&[4, 9], 3), "lines 4, 9, …");
        assert_eq!(percent(0.004), "<1%");
        assert_eq!(percent(0.0), "0%");
    }

    #[test]
    fn bounds_never_become_nan() {
        assert_eq!(allowed_bounds(0.0, 10.0, 0.1), (-1.0, 11.0));
        let (lo, hi) = allowed_bounds(-f64::MAX, f64::MAX, 0.0);
        assert_eq!((lo, hi), (-f64::MAX, f64::MAX));
        let (lo, hi) = allowed_bounds(-f64::MAX, f64::MAX, 0.1);
        assert!(lo == f64::NEG_INFINITY && hi == f64::INFINITY);
    }
}
