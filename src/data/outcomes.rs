//! The true outcomes in a later file's target column, read the way the
//! model's training read them: what `evaluate` compares a model's scores
//! with.

use super::prep::TargetEncoding;
use super::table::{Column, ColumnData};

/// The rows with a known outcome and their values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcomes {
    /// Table rows with a known outcome, ascending.
    pub rows: Vec<usize>,
    /// One per entry of `rows`: 1 for the positive label and 0 otherwise
    /// (classification), the class index (multi-class), or the target's
    /// value (regression).
    pub values: Vec<f32>,
    /// Rows left out because the outcome is missing.
    pub missing: usize,
    /// Labels seen in no class during training (counted as not the
    /// positive label; a multi-class model leaves their rows out, as
    /// `missing` does not count them), distinct, in order of first
    /// appearance.
    pub unseen_labels: Vec<String>,
}

/// Reads `column` (the target) with the model's `encoding`. With
/// `merge_variants` (the recipe merged spelling variants), a label that
/// differs from the positive one only in case or surrounding spaces counts
/// as positive, as it did in training.
pub fn read_outcomes(encoding: &TargetEncoding, column: &Column, merge_variants: bool) -> Outcomes {
    let mut out = Outcomes::default();
    match encoding {
        TargetEncoding::Classification {
            positive,
            negatives,
        } => {
            let same = |a: &str, b: &str| label_eq(a, b, merge_variants);
            for r in 0..column.len() {
                let Some(text) = column.text(r) else {
                    out.missing += 1;
                    continue;
                };
                let is_positive = same(&text, positive);
                if !is_positive
                    && !negatives.iter().any(|n| same(&text, n))
                    && !out.unseen_labels.iter().any(|u| u == text.trim())
                {
                    out.unseen_labels.push(text.trim().to_owned());
                }
                out.rows.push(r);
                out.values.push(if is_positive { 1.0 } else { 0.0 });
            }
        }
        TargetEncoding::Multiclass { .. } => {
            for r in 0..column.len() {
                let Some(text) = column.text(r) else {
                    out.missing += 1;
                    continue;
                };
                match encoding.class_index(&text, merge_variants) {
                    Some(k) => {
                        out.rows.push(r);
                        out.values.push(k as f32);
                    }
                    None => {
                        if !out.unseen_labels.iter().any(|u| u == text.trim()) {
                            out.unseen_labels.push(text.trim().to_owned());
                        }
                    }
                }
            }
        }
        TargetEncoding::Regression { .. } => {
            for r in 0..column.len() {
                let value = match &column.data {
                    ColumnData::Numeric(v) => v[r],
                    ColumnData::Categorical { .. } => column
                        .text(r)
                        .and_then(|t| t.trim().parse::<f64>().ok())
                        .unwrap_or(f64::NAN),
                };
                if value.is_finite() {
                    out.rows.push(r);
                    out.values.push(value as f32);
                } else {
                    out.missing += 1;
                }
            }
        }
    }
    out
}

/// Whether a cell's label is `label`: the same text, the same number
/// (`1` and `1.0`), or with `merge` the same up to case and spaces.
fn label_eq(cell: &str, label: &str, merge: bool) -> bool {
    let (cell, label) = (cell.trim(), label.trim());
    if cell == label {
        return true;
    }
    if let (Ok(a), Ok(b)) = (cell.parse::<f64>(), label.parse::<f64>()) {
        return a == b;
    }
    merge && cell.eq_ignore_ascii_case(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes() -> TargetEncoding {
        TargetEncoding::Classification {
            positive: "yes".into(),
            negatives: vec!["no".into()],
        }
    }

    #[test]
    fn labels_are_read_as_in_training() {
        let column = Column::categorical(
            "bought",
            &[
                Some("yes"),
                Some("no"),
                None,
                Some("Yes "),
                Some("maybe"),
                Some("maybe"),
            ],
        );
        let strict = read_outcomes(&classes(), &column, false);
        assert_eq!(strict.rows, vec![0, 1, 3, 4, 5]);
        assert_eq!(strict.values, vec![1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(strict.missing, 1);
        assert_eq!(
            strict.unseen_labels,
            vec!["Yes".to_string(), "maybe".to_string()]
        );
        let merged = read_outcomes(&classes(), &column, true);
        assert_eq!(merged.values, vec![1.0, 0.0, 1.0, 0.0, 0.0]);
        assert_eq!(merged.unseen_labels, vec!["maybe".to_string()]);
    }

    #[test]
    fn numbers_and_regression_values() {
        let numeric_labels = TargetEncoding::Classification {
            positive: "1".into(),
            negatives: vec!["0".into()],
        };
        let column = Column::categorical("churn", &[Some("1.0"), Some("0")]);
        assert_eq!(
            read_outcomes(&numeric_labels, &column, false).values,
            vec![1.0, 0.0]
        );
        let regression = TargetEncoding::Regression {
            mean: 0.0,
            std: 1.0,
            non_negative: false,
        };
        let spend = Column::numeric("spend", vec![12.5, f64::NAN, 3.0]);
        let o = read_outcomes(&regression, &spend, false);
        assert_eq!(
            (o.rows, o.values, o.missing),
            (vec![0, 2], vec![12.5, 3.0], 1)
        );
    }
}
