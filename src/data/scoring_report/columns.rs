//! Matching the scored table's columns to the model's: header spellings,
//! category spellings, and the kinds (number or category) the model expects.

use super::*;

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
pub(super) fn respell_column(
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
pub(super) fn merge_levels(codes: &[u32], texts: &[&str]) -> (Vec<u32>, Vec<String>) {
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
pub(super) fn level_counts(codes: &[u32], n_levels: usize) -> Vec<usize> {
    let mut counts = vec![0usize; n_levels];
    for &c in codes {
        if let Some(n) = counts.get_mut(c as usize) {
            *n += 1;
        }
    }
    counts
}

/// The comparison key of names and category values: trimmed, lower case.
pub(super) fn name_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Refuses text in a model column that was numeric in training (quoting
/// the first cell that is not a number); a column with no value at all is
/// turned into an all-missing numeric one, which the pipeline fills.
pub(super) fn coerce_kinds(
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
pub(super) fn first_non_number(column: &Column) -> Option<usize> {
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
pub(super) fn category_codes(column: &Column) -> (Cow<'_, [u32]>, Cow<'_, [String]>) {
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
