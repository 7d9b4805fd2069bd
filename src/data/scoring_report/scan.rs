//! The per-column passes over the scored table (unseen categories, missing
//! features, out-of-range values), the refusal they may call for, clipping,
//! and the short number and name formatting the messages use.

use super::*;

/// A finding plus where it first occurs, for a refusal.
pub(super) struct Found<T> {
    pub(super) entry: T,
    /// First offending row (0-based).
    first_row: usize,
    /// 1-based column position in the scored table.
    column_number: usize,
    /// The first offending value, as text or number.
    first_value: FirstValue,
}

pub(super) enum FirstValue {
    Text(String),
    Number(f64),
    None,
}

/// The per-column passes over the scored table.
pub(super) struct Scan<'a> {
    pub(super) table: &'a Table,
    pub(super) lines: &'a [u64],
    pub(super) options: &'a ScoringOptions,
    pub(super) flags: &'a mut RowFlags,
}

impl Scan<'_> {
    /// Unseen category values, per categorical model column.
    pub(super) fn unseen(&mut self, profile: &TrainingProfile) -> Vec<Found<UnseenCategories>> {
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
    pub(super) fn out_of_range(&mut self, profile: &TrainingProfile) -> Vec<Found<OutOfRange>> {
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
    pub(super) fn missing(
        &mut self,
        profile: &TrainingProfile,
        fills: &[Fill],
    ) -> Vec<Found<MissingFeature>> {
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
pub(super) fn refuse(
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
pub(super) fn earliest<T>(found: &[Found<T>]) -> Option<&Found<T>> {
    found.iter().min_by_key(|f| f.first_row)
}

/// `table` with the out-of-range numbers set to the training min / max.
pub(super) fn clip_table(
    table: Table,
    ranges: &[Found<OutOfRange>],
) -> Result<Table, ScoringError> {
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
pub(super) fn rebuilt(original: &Table, columns: Vec<Column>) -> Result<Table, ScoringError> {
    debug_assert_eq!(original.n_cols(), columns.len());
    // Keep what the reader learned (row lines, formats, notes): the
    // columns keep their order and their values' meaning.
    Ok(Table::new(columns)?.with_load_info(original.load_info().clone()))
}

/// `[min - m·(max - min), max + m·(max - min)]`. A range too wide for f64
/// gives infinite bounds (nothing is out of range), never NaN.
pub(super) fn allowed_bounds(min: f64, max: f64, margin: f64) -> (f64, f64) {
    let width = if margin == 0.0 {
        0.0
    } else {
        (max - min) * margin
    };
    (min - width, max + width)
}

pub(super) fn push_line(lines: &mut Vec<u64>, line: u64, max: usize) {
    if lines.len() < max {
        lines.push(line);
    }
}

/// Compact number for messages: integers as is, else six significant
/// digits without trailing zeros (no float noise such as `57.52260589599`).
pub(super) fn short(x: f64) -> String {
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

pub(super) fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
