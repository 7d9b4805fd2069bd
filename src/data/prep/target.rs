//! The target: how it is encoded for the network ([`TargetEncoding`]),
//! fitting that encoding on the training rows, and matching labels to the
//! positive class (optionally merging case/space variants).

use super::*;

/// How the target was encoded for the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetEncoding {
    /// `y = 1` for `positive`, `0` for any other label (`negatives` lists
    /// those seen in training, for display).
    Classification {
        positive: String,
        negatives: Vec<String>,
    },
    /// Training-row mean and standard deviation of the raw target, so the
    /// engine can train on a standardized target and report raw units;
    /// `non_negative` keeps predictions at or above 0.
    Regression {
        mean: f64,
        std: f64,
        #[serde(default)]
        non_negative: bool,
    },
}

impl TargetEncoding {
    /// The two class names to show: the positive label and the one other
    /// label seen in training (or `not <positive>` when there were several).
    /// `None` for regression.
    pub fn class_names(&self) -> Option<(&str, String)> {
        match self {
            TargetEncoding::Classification {
                positive,
                negatives,
            } => Some((
                positive.as_str(),
                match negatives.as_slice() {
                    [only] => only.clone(),
                    _ => format!("not {positive}"),
                },
            )),
            TargetEncoding::Regression { .. } => None,
        }
    }
}

/// How the target is encoded: the positive label and the labels read as
/// negative, or a regression target's training mean and standard deviation
/// (`train_targets`: the training rows' target values, in `train_rows`
/// order).
pub(super) fn fit_target_encoding(
    table: &Table,
    recipe: &Recipe,
    target: &Column,
    usable: &[usize],
    train_rows: &[usize],
    train_targets: &[f64],
) -> Result<TargetEncoding, PrepError> {
    match &recipe.problem {
        Problem::Classification { positive } => {
            let merge = recipe.merge_label_variants;
            let mut negatives: Vec<String> = usable
                .iter()
                .filter_map(|&r| target.text(r).map(|t| t.into_owned()))
                .filter(|t| !label_matches(target, t, positive, merge))
                .collect();
            negatives.sort();
            negatives.dedup();
            Ok(TargetEncoding::Classification {
                positive: positive.clone(),
                negatives,
            })
        }
        Problem::Regression => {
            let (mean, std) = mean_std(train_targets);
            if std == 0.0 {
                return Err(PrepError::ConstantTarget {
                    target: recipe.target.clone(),
                    value: train_targets.first().copied().unwrap_or(mean),
                });
            }
            let non_negative = recipe.non_negative_target;
            if non_negative
                && let Some((i, &y)) = train_targets.iter().enumerate().find(|(_, y)| **y < 0.0)
            {
                return Err(PrepError::NegativeTarget {
                    target: recipe.target.clone(),
                    line: table.line_of_row(train_rows[i]),
                    value: y,
                });
            }
            Ok(TargetEncoding::Regression {
                mean,
                std,
                non_negative,
            })
        }
    }
}

/// Position of source row `r` in the ascending `usable` list.
pub(super) fn usable_index(usable: &[usize], r: usize) -> usize {
    usable.binary_search(&r).unwrap_or_else(|i| i)
}

/// Target values for the usable rows, and the class of each (for a
/// stratified split) when classifying.
pub(super) fn encode_target(
    target: &Column,
    name: &str,
    problem: &Problem,
    usable: &[usize],
    merge: bool,
) -> Result<(Vec<f32>, Option<Vec<usize>>), PrepError> {
    match problem {
        Problem::Regression => {
            let ColumnData::Numeric(values) = &target.data else {
                return Err(PrepError::RegressionTargetNotNumeric(name.to_owned()));
            };
            // A finite f64 beyond f32's range would reach the network as
            // infinity; say which value instead.
            if let Some(&r) = usable.iter().find(|&&r| !(values[r] as f32).is_finite()) {
                return Err(PrepError::TargetTooLarge {
                    target: name.to_owned(),
                    row: r + 1,
                    value: values[r],
                });
            }
            Ok((usable.iter().map(|&r| values[r] as f32).collect(), None))
        }
        Problem::Classification { positive } => {
            let labels: Vec<bool> = usable
                .iter()
                .map(|&r| {
                    target
                        .text(r)
                        .is_some_and(|t| label_matches(target, &t, positive, merge))
                })
                .collect();
            let n_pos = labels.iter().filter(|&&b| b).count();
            if n_pos == 0 {
                let summary = target.summary();
                let labels = match summary.stats {
                    crate::data::table::SummaryStats::Categorical { top, distinct, .. } => {
                        let shown = top.len();
                        let mut labels: Vec<String> = top.into_iter().map(|(l, _)| l).collect();
                        // Say the list is cut short, or a 1,000-class target
                        // looks like it has eight.
                        if distinct > shown {
                            labels.push(format!("… and {} more", distinct - shown));
                        }
                        labels
                    }
                    crate::data::table::SummaryStats::Numeric { .. } => {
                        let mut seen: Vec<String> = usable
                            .iter()
                            .filter_map(|&r| target.text(r).map(|t| t.into_owned()))
                            .take(1000)
                            .collect();
                        seen.sort();
                        seen.dedup();
                        seen.truncate(8);
                        seen
                    }
                };
                if labels.len() == 1 {
                    return Err(PrepError::SingleClass {
                        target: name.to_owned(),
                        label: labels[0].clone(),
                    });
                }
                let hint = usable
                    .iter()
                    .filter_map(|&r| target.text(r))
                    .find(|t| t.trim().eq_ignore_ascii_case(positive.trim()))
                    .map_or_else(String::new, |t| {
                        format!("; did you mean `{t}`? (--merge-labels also counts case variants)")
                    });
                return Err(PrepError::PositiveAbsent {
                    target: name.to_owned(),
                    positive: positive.clone(),
                    labels: labels.join(", "),
                    hint,
                });
            }
            if n_pos == labels.len() {
                return Err(PrepError::SingleClass {
                    target: name.to_owned(),
                    label: positive.clone(),
                });
            }
            let y = labels.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
            let classes = labels.iter().map(|&b| usize::from(b)).collect();
            Ok((y, Some(classes)))
        }
    }
}

/// Whether a target cell's text is the positive label. A numeric target
/// compares as numbers, so `1` matches `1.0`; with `merge`, labels that
/// differ only in case or surrounding spaces match too.
pub(super) fn label_matches(target: &Column, text: &str, positive: &str, merge: bool) -> bool {
    if target.kind() == ColumnKind::Numeric
        && let (Ok(a), Ok(b)) = (text.parse::<f64>(), positive.trim().parse::<f64>())
    {
        return a == b;
    }
    let positive = positive.trim();
    text == positive || (merge && text.trim().eq_ignore_ascii_case(positive))
}
