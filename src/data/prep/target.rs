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
    /// `y` is the index of the row's label in `classes` (sorted, 3 to
    /// [`MAX_CLASSES`](super::MAX_CLASSES) of them); the network has one
    /// output per class and a softmax over them.
    Multiclass { classes: Vec<String> },
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
            TargetEncoding::Regression { .. } | TargetEncoding::Multiclass { .. } => None,
        }
    }

    /// The classes of a multi-class target, in output order; `None`
    /// otherwise.
    pub fn classes(&self) -> Option<&[String]> {
        match self {
            TargetEncoding::Multiclass { classes } => Some(classes),
            _ => None,
        }
    }

    /// The class index of a multi-class label as training read it (`merge`:
    /// the recipe merged case / space variants); `None` for a label not
    /// among the classes, or another encoding.
    pub fn class_index(&self, label: &str, merge: bool) -> Option<usize> {
        let classes = self.classes()?;
        let key = class_key(label, merge);
        classes.iter().position(|c| class_key(c, merge) == key)
    }
}

/// What makes two labels one class: the text itself, or with `merge` its
/// trimmed lower-case form.
fn class_key(label: &str, merge: bool) -> String {
    if merge {
        label.trim().to_lowercase()
    } else {
        label.to_owned()
    }
}

/// The classes of a multi-class target over `usable` rows: sorted labels
/// (with `merge`, each group of variants named by its first spelling in
/// sort order) and each row's class index. Errors: fewer than 3 or more than
/// [`MAX_CLASSES`](super::MAX_CLASSES) classes.
pub(super) fn multiclass_labels(
    target: &Column,
    name: &str,
    usable: &[usize],
    merge: bool,
) -> Result<(Vec<String>, Vec<usize>), PrepError> {
    let texts: Vec<Option<String>> = usable
        .iter()
        .map(|&r| target.text(r).map(|t| t.into_owned()))
        .collect();
    let mut spellings: Vec<&str> = texts.iter().flatten().map(String::as_str).collect();
    spellings.sort_unstable();
    spellings.dedup();
    let mut classes: Vec<String> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for spelling in spellings {
        let key = class_key(spelling, merge);
        if !keys.contains(&key) {
            keys.push(key);
            classes.push(spelling.to_owned());
        }
    }
    let shown = |classes: &[String]| {
        classes
            .iter()
            .take(8)
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match classes.len() {
        0 => {
            return Err(PrepError::TargetEmpty {
                target: name.to_owned(),
            });
        }
        1 => {
            return Err(PrepError::SingleClass {
                target: name.to_owned(),
                label: classes[0].clone(),
            });
        }
        2 => {
            return Err(PrepError::TooFewClasses {
                target: name.to_owned(),
                count: 2,
                labels: shown(&classes),
            });
        }
        n if n > super::MAX_CLASSES => {
            return Err(PrepError::TooManyClasses {
                target: name.to_owned(),
                count: n,
                labels: shown(&classes),
            });
        }
        _ => {}
    }
    let index = texts
        .iter()
        .map(|t| {
            t.as_deref()
                .and_then(|t| {
                    let key = class_key(t, merge);
                    keys.iter().position(|k| *k == key)
                })
                // Usable rows all have a target; 0 is never reached.
                .unwrap_or(0)
        })
        .collect();
    Ok((classes, index))
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
        Problem::Multiclass => {
            let (classes, index) =
                multiclass_labels(target, &recipe.target, usable, recipe.merge_label_variants)?;
            // The split is stratified, but a class with a row or two can
            // still land only in validation or test rows.
            for (k, label) in classes.iter().enumerate() {
                if !train_targets.iter().any(|&y| y as usize == k) {
                    return Err(PrepError::ClassNotInTraining {
                        target: recipe.target.clone(),
                        label: label.clone(),
                        rows: index.iter().filter(|&&i| i == k).count(),
                    });
                }
            }
            Ok(TargetEncoding::Multiclass { classes })
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
        Problem::Multiclass => {
            let (_, index) = multiclass_labels(target, name, usable, merge)?;
            Ok((index.iter().map(|&k| k as f32).collect(), Some(index)))
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
