//! [`TrainingProfile`]: what the training rows looked like, kept in the model
//! file so that scoring can say what the model never saw (issue 19).
//!
//! Fitted on the training rows only, like the [`Pipeline`](super::prep::Pipeline):
//! a test row is as new to the model as a row scored next year. The profile
//! is compact (a few numbers per numeric column, one count per category
//! level) and holds no per-row data.
//!
//! JSON shape (serde, as stored in the model file):
//!
//! ```json
//! {
//!   "rows": 800,
//!   "columns": [
//!     {"kind": "numeric", "column": "income", "missing_share": 0.0,
//!      "range": {"min": 18.0, "max": 150.0, "p01": 19.0, "p99": 149.0}},
//!     {"kind": "categorical", "column": "region", "missing_share": 0.01,
//!      "levels": [{"level": "east", "count": 190}, {"level": "north", "count": 210}]}
//!   ],
//!   "target": {"column": "spend", "min": 0.0, "max": 310.5, "never_negative": true}
//! }
//! ```
//!
//! `range` is `null` when a numeric column has no value in the training rows;
//! `target` is `null` for a classifier.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::table::{Column, ColumnData, MISSING_CODE, Table};

/// Why a profile cannot be fitted. Each names the column or row at fault.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum ProfileError {
    #[error("input column `{0}` is not in the data")]
    ColumnMissing(String),
    #[error("input column `{0}` is listed twice")]
    DuplicateColumn(String),
    #[error("training row {row} does not exist; the table has {rows} rows")]
    RowOutOfRange {
        /// 0-based table row.
        row: usize,
        rows: usize,
    },
    #[error("the target `{0}` is not in the data")]
    TargetMissing(String),
    #[error("the regression target `{0}` is not numeric")]
    TargetNotNumeric(String),
    #[error("the regression target `{0}` has no value in the training rows")]
    TargetEmpty(String),
}

/// The training rows' shape, per model input column, and the regression
/// target's range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingProfile {
    /// Number of training rows the profile was fitted on.
    pub rows: usize,
    /// One entry per model input column, in the order given to
    /// [`TrainingProfile::fit`].
    pub columns: Vec<ColumnProfile>,
    /// The regression target's training range; `None` for a classifier.
    pub target: Option<TargetProfile>,
}

/// One input column as the training rows had it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnProfile {
    Numeric {
        column: String,
        /// Missing cells / training rows, in [0, 1]; 0 with no training rows.
        missing_share: f64,
        /// `None` when every training cell is missing.
        range: Option<NumericRange>,
    },
    Categorical {
        column: String,
        /// Missing cells / training rows, in [0, 1]; 0 with no training rows.
        missing_share: f64,
        /// Levels seen in the training rows with their row counts, sorted
        /// alphabetically (byte order, as the pipeline's one-hot levels).
        levels: Vec<LevelCount>,
    },
}

/// Range and outer percentiles of a numeric column's known training values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NumericRange {
    pub min: f64,
    pub max: f64,
    /// 1st percentile, linear interpolation between closest ranks (numpy's
    /// default): the value at rank `0.01 * (n - 1)` of the sorted values.
    pub p01: f64,
    /// 99th percentile, same rule as `p01`.
    pub p99: f64,
}

/// A category level and how many training rows hold it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelCount {
    pub level: String,
    pub count: usize,
}

/// A regression target over the training rows (missing cells skipped).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetProfile {
    pub column: String,
    pub min: f64,
    pub max: f64,
    /// No training value was below zero (spend, counts), so a negative
    /// prediction is outside what the model learned.
    pub never_negative: bool,
}

impl ColumnProfile {
    /// The input column's name (as in training).
    pub fn column(&self) -> &str {
        match self {
            ColumnProfile::Numeric { column, .. } | ColumnProfile::Categorical { column, .. } => {
                column
            }
        }
    }

    /// Missing cells / training rows, in [0, 1].
    pub fn missing_share(&self) -> f64 {
        match self {
            ColumnProfile::Numeric { missing_share, .. }
            | ColumnProfile::Categorical { missing_share, .. } => *missing_share,
        }
    }

    /// Whether the column was numeric in training.
    pub fn is_numeric(&self) -> bool {
        matches!(self, ColumnProfile::Numeric { .. })
    }

    /// Training count of `level` (exact spelling); 0 when never seen.
    pub fn level_count(&self, level: &str) -> usize {
        match self {
            ColumnProfile::Categorical { levels, .. } => levels
                .binary_search_by(|l| l.level.as_str().cmp(level))
                .map_or(0, |i| levels[i].count),
            ColumnProfile::Numeric { .. } => 0,
        }
    }
}

impl TrainingProfile {
    /// Fits the profile on `train_rows` (0-based rows of `table`, e.g.
    /// `Prepared::train.source_rows`) for each of `input_columns` (the
    /// recipe's features, in pipeline order), and on `regression_target`
    /// when the model is a regression (`None` for a classifier).
    ///
    /// Cost: one pass per column plus a sort of each numeric column's known
    /// training values (O(n log n)).
    pub fn fit(
        table: &Table,
        input_columns: &[&str],
        train_rows: &[usize],
        regression_target: Option<&str>,
    ) -> Result<TrainingProfile, ProfileError> {
        if let Some(&row) = train_rows.iter().find(|&&r| r >= table.n_rows()) {
            return Err(ProfileError::RowOutOfRange {
                row,
                rows: table.n_rows(),
            });
        }
        let mut seen = HashSet::new();
        let mut columns = Vec::with_capacity(input_columns.len());
        for &name in input_columns {
            if !seen.insert(name) {
                return Err(ProfileError::DuplicateColumn(name.to_owned()));
            }
            let column = table
                .column(name)
                .ok_or_else(|| ProfileError::ColumnMissing(name.to_owned()))?;
            columns.push(profile_column(column, train_rows));
        }
        let target = regression_target
            .map(|name| profile_target(table, name, train_rows))
            .transpose()?;
        Ok(TrainingProfile {
            rows: train_rows.len(),
            columns,
            target,
        })
    }

    /// The profile of input column `name` (training spelling).
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.column() == name)
    }

    /// The model's input column names, in order.
    pub fn input_columns(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(ColumnProfile::column)
    }
}

fn profile_column(column: &Column, rows: &[usize]) -> ColumnProfile {
    let missing = rows.iter().filter(|&&r| column.is_missing(r)).count();
    let missing_share = share(missing, rows.len());
    let name = column.name.clone();
    match &column.data {
        ColumnData::Numeric(values) => {
            let mut known: Vec<f64> = rows
                .iter()
                .map(|&r| values[r])
                .filter(|x| !x.is_nan())
                .collect();
            ColumnProfile::Numeric {
                column: name,
                missing_share,
                range: numeric_range(&mut known),
            }
        }
        ColumnData::Categorical { codes, levels } => ColumnProfile::Categorical {
            column: name,
            missing_share,
            levels: level_counts(codes, levels, rows),
        },
    }
}

/// `part / whole`, 0 when `whole` is 0 (no rows: nothing was missing).
fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Range and percentiles of the known values (reordered in place). Uses
/// selection rather than a sort: a million-row column costs linear time.
fn numeric_range(values: &mut [f64]) -> Option<NumericRange> {
    if values.is_empty() {
        return None;
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(NumericRange {
        min,
        max,
        p01: quantile(values, 0.01),
        p99: quantile(values, 0.99),
    })
}

/// The value of rank `k` (0-based) in sorted order, by selection.
fn rank(values: &mut [f64], k: usize) -> f64 {
    let (_, v, _) = values.select_nth_unstable_by(k, f64::total_cmp);
    *v
}

/// Quantile `p` of non-empty values: linear interpolation between the
/// values at ranks `floor(h)` and `ceil(h)`, `h = p * (n - 1)` (numpy's
/// default).
fn quantile(values: &mut [f64], p: f64) -> f64 {
    let h = p * (values.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (h.ceil() as usize).min(values.len() - 1);
    let (a, b) = (rank(values, lo), rank(values, hi));
    let t = h - lo as f64;
    if t == 0.0 || a == b {
        return a;
    }
    // `b - a` overflows to infinity for values of opposite sign near
    // f64::MAX; clamping keeps the result within the two values.
    (a + t * (b - a)).clamp(a, b)
}

/// Training counts of the levels that occur in `rows`, sorted by level.
/// Counted by text, so a table whose level list repeats a spelling still
/// gives one entry per spelling.
fn level_counts(codes: &[u32], levels: &[String], rows: &[usize]) -> Vec<LevelCount> {
    let mut counts = vec![0usize; levels.len()];
    for &r in rows {
        if codes[r] != MISSING_CODE
            && let Some(n) = counts.get_mut(codes[r] as usize)
        {
            *n += 1;
        }
    }
    let mut merged: Vec<LevelCount> = levels
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(level, count)| LevelCount {
            level: level.clone(),
            count,
        })
        .collect();
    merged.sort_by(|a, b| a.level.cmp(&b.level));
    merged.dedup_by(|later, kept| {
        let same = later.level == kept.level;
        if same {
            kept.count += later.count;
        }
        same
    });
    merged
}

fn profile_target(
    table: &Table,
    name: &str,
    rows: &[usize],
) -> Result<TargetProfile, ProfileError> {
    let column = table
        .column(name)
        .ok_or_else(|| ProfileError::TargetMissing(name.to_owned()))?;
    let ColumnData::Numeric(values) = &column.data else {
        return Err(ProfileError::TargetNotNumeric(name.to_owned()));
    };
    let mut range: Option<(f64, f64)> = None;
    for x in rows.iter().map(|&r| values[r]).filter(|x| !x.is_nan()) {
        range = Some(range.map_or((x, x), |(lo, hi)| (lo.min(x), hi.max(x))));
    }
    let (min, max) = range.ok_or_else(|| ProfileError::TargetEmpty(name.to_owned()))?;
    Ok(TargetProfile {
        column: name.to_owned(),
        min,
        max,
        never_negative: min >= 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new(vec![
            Column::numeric("age", vec![20.0, 30.0, f64::NAN, 40.0, 50.0, 99.0]),
            Column::categorical(
                "region",
                &[
                    Some("north"),
                    Some("east"),
                    Some("north"),
                    None,
                    Some("west"),
                    Some("south"),
                ],
            ),
            Column::numeric("spend", vec![0.0, 12.5, 3.0, f64::NAN, 7.0, -100.0]),
            Column::categorical("label", &[Some("a"); 6]),
        ])
        .unwrap()
    }

    #[test]
    fn numeric_profile_uses_training_rows_only() {
        // Row 5 (age 99) is a test row: the range must not see it.
        let p = TrainingProfile::fit(&sample(), &["age"], &[0, 1, 2, 3, 4], None).unwrap();
        assert_eq!(p.rows, 5);
        match &p.columns[0] {
            ColumnProfile::Numeric {
                column,
                missing_share,
                range: Some(r),
            } => {
                assert_eq!(column, "age");
                assert_eq!(*missing_share, 0.2);
                assert_eq!((r.min, r.max), (20.0, 50.0));
                // Ranks 0.03 and 2.97 of [20, 30, 40, 50].
                assert!((r.p01 - 20.3).abs() < 1e-12, "{}", r.p01);
                assert!((r.p99 - 49.7).abs() < 1e-12, "{}", r.p99);
            }
            other => panic!("expected numeric with a range, got {other:?}"),
        }
    }

    #[test]
    fn categorical_profile_counts_levels_sorted_and_skips_unused() {
        let p = TrainingProfile::fit(&sample(), &["region"], &[0, 1, 2, 3, 4], None).unwrap();
        let c = &p.columns[0];
        match c {
            ColumnProfile::Categorical {
                levels,
                missing_share,
                ..
            } => {
                let got: Vec<(&str, usize)> =
                    levels.iter().map(|l| (l.level.as_str(), l.count)).collect();
                // `south` occurs only in row 5, outside the training rows.
                assert_eq!(got, [("east", 1), ("north", 2), ("west", 1)]);
                assert_eq!(*missing_share, 0.2);
            }
            other => panic!("expected categorical, got {other:?}"),
        }
        assert_eq!(c.level_count("north"), 2);
        assert_eq!(c.level_count("south"), 0);
        assert_eq!(c.level_count("North"), 0);
    }

    #[test]
    fn regression_target_range_and_sign() {
        let t = sample();
        let p = TrainingProfile::fit(&t, &["age"], &[0, 1, 2, 3, 4], Some("spend")).unwrap();
        assert_eq!(
            p.target,
            Some(TargetProfile {
                column: "spend".into(),
                min: 0.0,
                max: 12.5,
                never_negative: true,
            })
        );
        let p = TrainingProfile::fit(&t, &["age"], &[0, 5], Some("spend")).unwrap();
        let target = p.target.unwrap();
        assert_eq!((target.min, target.max), (-100.0, 0.0));
        assert!(!target.never_negative);
    }

    #[test]
    fn quantiles_interpolate_between_ranks() {
        // Shuffled: selection must not rely on sorted input.
        let mut xs: Vec<f64> = (0..=100).map(|i| f64::from((i * 37) % 101)).collect();
        assert_eq!(quantile(&mut xs, 0.01), 1.0);
        assert_eq!(quantile(&mut xs, 0.99), 99.0);
        assert_eq!(quantile(&mut [5.0], 0.01), 5.0);
        assert_eq!(quantile(&mut [2.0, 1.0], 0.5), 1.5);
        // Opposite signs near the largest double: no overflow to infinity.
        let q = quantile(&mut [f64::MAX, -f64::MAX], 0.99);
        assert!(q.is_finite() && q > 0.0, "{q}");
    }

    #[test]
    fn all_missing_and_empty_training_rows_give_no_range() {
        let t = Table::new(vec![Column::numeric("x", vec![f64::NAN, 1.0])]).unwrap();
        let p = TrainingProfile::fit(&t, &["x"], &[0], None).unwrap();
        assert!(matches!(
            p.columns[0],
            ColumnProfile::Numeric {
                range: None,
                missing_share: 1.0,
                ..
            }
        ));
        let p = TrainingProfile::fit(&t, &["x"], &[], None).unwrap();
        assert!(matches!(
            p.columns[0],
            ColumnProfile::Numeric {
                range: None,
                missing_share: 0.0,
                ..
            }
        ));
    }

    #[test]
    fn repeated_level_spellings_are_counted_once() {
        // A hand-built column may list a spelling twice; count by text.
        let column = Column {
            name: "c".into(),
            data: ColumnData::Categorical {
                codes: vec![0, 1, 1, MISSING_CODE],
                levels: vec!["x".into(), "x".into()],
            },
        };
        let t = Table::new(vec![column]).unwrap();
        let p = TrainingProfile::fit(&t, &["c"], &[0, 1, 2, 3], None).unwrap();
        assert_eq!(
            p.columns[0],
            ColumnProfile::Categorical {
                column: "c".into(),
                missing_share: 0.25,
                levels: vec![LevelCount {
                    level: "x".into(),
                    count: 3
                }],
            }
        );
    }

    #[test]
    fn fit_errors_name_what_is_wrong() {
        let t = sample();
        let rows = [0, 1];
        let err = |cols: &[&str], rows: &[usize], target: Option<&str>| {
            TrainingProfile::fit(&t, cols, rows, target).unwrap_err()
        };
        assert_eq!(
            err(&["nope"], &rows, None),
            ProfileError::ColumnMissing("nope".into())
        );
        assert_eq!(
            err(&["age", "age"], &rows, None),
            ProfileError::DuplicateColumn("age".into())
        );
        assert_eq!(
            err(&["age"], &[0, 6], None),
            ProfileError::RowOutOfRange { row: 6, rows: 6 }
        );
        assert_eq!(
            err(&["age"], &rows, Some("gone")),
            ProfileError::TargetMissing("gone".into())
        );
        assert_eq!(
            err(&["age"], &rows, Some("label")),
            ProfileError::TargetNotNumeric("label".into())
        );
        assert_eq!(
            err(&["age"], &[3], Some("spend")),
            ProfileError::TargetEmpty("spend".into())
        );
        assert_eq!(
            err(&["age"], &[0, 6], None).to_string(),
            "training row 6 does not exist; the table has 6 rows"
        );
    }

    #[test]
    fn profile_survives_a_json_round_trip() {
        let p = TrainingProfile::fit(
            &sample(),
            &["age", "region"],
            &[0, 1, 2, 3, 4],
            Some("spend"),
        )
        .unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""kind":"numeric""#), "{json}");
        assert!(
            json.contains(r#""levels":[{"level":"east","count":1}"#),
            "{json}"
        );
        let back: TrainingProfile = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        assert_eq!(
            back.column("region").map(ColumnProfile::is_numeric),
            Some(false)
        );
        assert_eq!(back.input_columns().collect::<Vec<_>>(), ["age", "region"]);
    }
}
