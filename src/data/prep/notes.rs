//! The notes [`prepare`](super::prepare) writes: missing cells and their
//! fills, duplicate rows, class balance and small test sets, and label
//! variants of the positive class.

use super::*;

/// A note per feature with missing cells in the rows the model sees: how
/// many, and what fills them (learned from the training rows).
pub(super) fn imputation_notes(
    table: &Table,
    pipeline: &Pipeline,
    scale: Scale,
    usable: &[usize],
) -> Vec<DataNote> {
    if pipeline.impute == Impute::DropRows {
        return Vec::new();
    }
    let mut notes = Vec::new();
    if pipeline.impute == Impute::KeepMissing {
        let units = if scale == Scale::None {
            " and features keep their own units (a split does not care about scaling)"
        } else {
            ""
        };
        notes.push(DataNote::info(
            None,
            format!(
                "Prepared for boosted trees: missing values stay missing (no imputation){units}; \
                 one-hot encoding still applies. A network needs missing values filled."
            ),
        ));
    }
    for step in &pipeline.steps {
        let Some(column) = table.column(step.column()) else {
            continue;
        };
        let missing = usable.iter().filter(|&&r| column.is_missing(r)).count();
        if missing == 0 {
            continue;
        }
        let name = step.column();
        let fill = match step {
            FeatureStep::Numeric { fill, read_as, .. } => {
                let shown = match read_as {
                    CellFormat::Date(_) => crate::data::dates::format_day(*fill),
                    _ => crate::data::table::format_number(*fill),
                };
                let how = match pipeline.impute {
                    Impute::Mean => "training mean",
                    Impute::MostFrequent => "most frequent training value",
                    Impute::Median | Impute::DropRows | Impute::KeepMissing => "training median",
                };
                format!("the {how} {shown}")
            }
            FeatureStep::Categorical { fill, .. } => {
                format!("the most frequent training value `{fill}`")
            }
        };
        let plural = if missing == 1 { "" } else { "s" };
        let text = if pipeline.impute == Impute::KeepMissing {
            format!(
                "`{name}`: {missing} missing cell{plural} kept as missing (the trees learn \
                 at each split which side they go)"
            )
        } else {
            format!("`{name}`: {missing} missing cell{plural} filled with {fill}")
        };
        notes.push(DataNote::info(Some(name), text));
    }
    notes
}

/// The note about rows that repeat exactly: how many, how many test rows
/// also occur in training (test metrics would be optimistic), or how many
/// were dropped.
pub(super) fn duplicate_note(
    duplicates: &Duplicates,
    dropped: usize,
    has_identifier: bool,
    train: &Dataset,
    test: &Dataset,
) -> Option<DataNote> {
    if dropped > 0 {
        return Some(DataNote::info(
            None,
            format!(
                "{dropped} row{} repeating an earlier row in every column {} left out before the split",
                if dropped == 1 { "" } else { "s" },
                if dropped == 1 { "was" } else { "were" }
            ),
        ));
    }
    let report = duplicates
        .report(&train.source_rows, &test.source_rows)
        .ok()?;
    if report.copies == 0 {
        return None;
    }
    let caveat = if has_identifier {
        ""
    } else {
        " (with no customer identifier in the file, they may also be different customers who look alike)"
    };
    Some(DataNote::warning(
        None,
        format!(
            "{} of {} rows are duplicate rows, repeating another in every column ({} distinct rows repeat); {} of the {} test rows also occur in the training rows, so test metrics would be optimistic; if they are copies of one record{caveat}, drop them (--drop-duplicates, or the data panel's tick)",
            report.copies,
            report.rows,
            report.repeated_groups,
            report.test_rows_in_train,
            report.test_rows,
        ),
    ))
}

/// Share of positive rows under which a note warns about imbalance.
pub(super) const IMBALANCED_SHARE: f64 = 0.10;
/// Fewer positive test rows than this make the test metrics noisy.
pub(super) const FEW_TEST_POSITIVES: usize = 10;

/// What the user should know about the prepared rows: those left out, the
/// positive label's spelling variants, imbalance, a 0/1 regression target.
pub(super) fn preparation_notes(
    table: &Table,
    recipe: &Recipe,
    target: &Column,
    usable: &[usize],
    dropped_copies: usize,
    train: &Dataset,
    test: &Dataset,
) -> Vec<DataNote> {
    let name = recipe.target.as_str();
    let mut notes = Vec::new();
    let no_target: Vec<usize> = (0..table.n_rows())
        .filter(|&r| target.is_missing(r))
        .collect();
    if !no_target.is_empty() {
        let lines: Vec<u64> = no_target
            .iter()
            .take(5)
            .map(|&r| table.line_of_row(r))
            .collect();
        notes.push(DataNote::warning(
            Some(name),
            format!(
                "{} row{} without a value in the target `{name}` {} left out: {}",
                no_target.len(),
                if no_target.len() == 1 { "" } else { "s" },
                if no_target.len() == 1 { "was" } else { "were" },
                format_lines(&lines, no_target.len())
            ),
        ));
    }
    let feature_gaps = table.n_rows() - no_target.len() - usable.len() - dropped_copies;
    if feature_gaps > 0 {
        notes.push(DataNote::warning(
            None,
            format!(
                "{feature_gaps} row{} with a missing feature {} left out (missing values: drop_rows)",
                if feature_gaps == 1 { "" } else { "s" },
                if feature_gaps == 1 { "was" } else { "were" },
            ),
        ));
    }
    match &recipe.problem {
        Problem::Classification { positive } => {
            if let Some(note) =
                label_variant_note(target, name, positive, usable, recipe.merge_label_variants)
            {
                notes.push(note);
            }
            let positives = |d: &Dataset| d.y.iter().filter(|&&y| y > 0.5).count();
            let total = train.y.len() + test.y.len();
            let pos = positives(train) + positives(test);
            if total > 0 && (pos as f64) < IMBALANCED_SHARE * total as f64 {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "only {pos} of {total} rows ({:.1}%) are `{positive}`: accuracy says little here (predicting nobody scores {:.1}%); judge by ROC AUC, recall and precision, and try the threshold slider",
                        100.0 * pos as f64 / total as f64,
                        100.0 * (total - pos) as f64 / total as f64,
                    ),
                ));
            }
            let test_pos = positives(test);
            if test_pos == 0 {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "the test rows hold no `{positive}` row, so test recall and ROC AUC cannot be measured; use a larger test share or more data"
                    ),
                ));
            } else if test_pos < FEW_TEST_POSITIVES {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "the test rows hold only {test_pos} `{positive}` row{}, so test precision, recall and AUC swing widely between seeds",
                        if test_pos == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
        Problem::Multiclass => {
            let merge = recipe.merge_label_variants;
            if let Ok((classes, _)) = super::target::multiclass_labels(target, name, usable, merge)
            {
                notes.extend(multiclass_notes(name, &classes, test));
            }
        }
        Problem::Regression => {
            if let ColumnData::Numeric(values) = &target.data
                && !recipe.non_negative_target
                && usable.iter().all(|&r| values[r] >= 0.0)
                && usable.iter().any(|&r| values[r] > 0.0)
            {
                notes.push(DataNote::info(
                    Some(name),
                    format!(
                        "the target `{name}` is never negative here; keep predictions at or above 0 with --non-negative (the data panel's \"never below 0\")"
                    ),
                ));
            }
            if let ColumnData::Numeric(values) = &target.data
                && usable.iter().all(|&r| values[r] == 0.0 || values[r] == 1.0)
            {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "the target `{name}` holds only 0 and 1, which looks like classification: choose classification with positive label 1 (--positive 1)"
                    ),
                ));
            }
        }
    }
    notes
}

/// A multi-class target's warning: the classes with fewer than
/// [`FEW_TEST_POSITIVES`] test rows, whose per-class test figures swing
/// between seeds (`y` holds indices into `classes`).
fn multiclass_notes(name: &str, classes: &[String], test: &Dataset) -> Option<DataNote> {
    let mut in_test = vec![0usize; classes.len()];
    for &y in &test.y {
        if let Some(n) = in_test.get_mut(y as usize) {
            *n += 1;
        }
    }
    let few: Vec<String> = in_test
        .iter()
        .enumerate()
        .filter(|(_, n)| **n < FEW_TEST_POSITIVES)
        .map(|(k, n)| format!("`{}` ({n})", classes[k]))
        .collect();
    (!few.is_empty()).then(|| {
        DataNote::warning(
            Some(name),
            format!(
                "few test rows for {}: those classes' test precision, recall and AUC swing widely between seeds; use a larger test share or more data",
                few.join(", ")
            ),
        )
    })
}

/// A note when target labels differ from `positive` only in case or
/// spaces: the variants with their counts, and whether they were merged.
pub(super) fn label_variant_note(
    target: &Column,
    name: &str,
    positive: &str,
    usable: &[usize],
    merged: bool,
) -> Option<DataNote> {
    let ColumnData::Categorical { codes, levels } = &target.data else {
        return None;
    };
    let wanted = positive.trim();
    let mut counts = vec![0usize; levels.len()];
    for &r in usable {
        if let Some(c) = counts.get_mut(codes[r] as usize) {
            *c += 1;
        }
    }
    let variants: Vec<(String, usize)> = levels
        .iter()
        .zip(&counts)
        .filter(|(l, n)| **n > 0 && l.as_str() != wanted && l.trim().eq_ignore_ascii_case(wanted))
        .map(|(l, n)| (l.clone(), *n))
        .collect();
    if variants.is_empty() {
        return None;
    }
    let exact: usize = levels
        .iter()
        .zip(&counts)
        .filter(|(l, _)| l.as_str() == wanted)
        .map(|(_, n)| *n)
        .sum();
    let listed: Vec<String> = variants
        .iter()
        .map(|(l, n)| format!("`{l}` ({n})"))
        .collect();
    let variant_rows: usize = variants.iter().map(|(_, n)| n).sum();
    let outcome = if merged {
        format!(
            "merged into `{wanted}`: {} positive rows",
            exact + variant_rows
        )
    } else {
        format!(
            "they count as NOT `{wanted}` ({exact} positive rows); merge them (--merge-labels, or the data panel's tick) to get {}",
            exact + variant_rows
        )
    };
    Some(DataNote::warning(
        Some(name),
        format!(
            "`{name}`: labels that differ from `{wanted}` only in case or spaces: {}; {outcome}",
            listed.join(", ")
        ),
    ))
}
