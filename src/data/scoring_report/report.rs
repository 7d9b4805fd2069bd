//! What checking found ([`ColumnRename`], [`UnseenCategories`],
//! [`MissingFeature`], [`OutOfRange`], [`PredictionCheck`]) gathered in the
//! [`ScoringReport`], and the report's text lines.

use super::*;

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

pub(super) fn unseen_line(u: &UnseenCategories) -> String {
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

pub(super) fn missing_line(m: &MissingFeature, rows: usize) -> String {
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

pub(super) fn range_line(r: &OutOfRange) -> String {
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

pub(super) fn prediction_lines(p: &PredictionCheck) -> Vec<String> {
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
pub(super) fn extremes(lowest: Option<f64>, highest: Option<f64>, min: f64, max: f64) -> String {
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
pub(super) fn lines_text(lines: &[u64], rows: usize) -> String {
    let listed: Vec<String> = lines.iter().map(u64::to_string).collect();
    let more = if rows > lines.len() { ", …" } else { "" };
    let word = if rows == 1 { "line" } else { "lines" };
    format!("{word} {}{more}", listed.join(", "))
}

/// `1 row`, `3 rows`.
pub(super) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// A share as a whole percentage; `<1%` rather than a misleading `0%`.
pub(super) fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 1.0 {
        "<1%".to_owned()
    } else {
        format!("{p:.0}%")
    }
}
