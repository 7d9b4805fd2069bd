//! Exact duplicate rows over chosen columns (features + target), for the
//! training warning of issue 19: a file where every customer appears four
//! times puts copies of most test rows in the training rows, so test
//! metrics look far better than the model is.
//!
//! Two rows are duplicates when every chosen cell is equal: the same number
//! (`0` and `-0` equal), the same category text, or both missing. Rows are
//! grouped in one pass with a hash table keyed by a 64-bit hash of the row,
//! and each hash hit is confirmed cell by cell, so a hash collision never
//! merges two different rows: O(n · columns) expected time, four bytes of
//! group id per row (fine for 1,000,000 rows).

use std::collections::HashMap;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::table::{Column, ColumnData, MISSING_CODE, Table};

#[derive(Debug, Clone, Error, PartialEq)]
pub enum DuplicateError {
    #[error("column `{0}` is not in the data")]
    ColumnMissing(String),
    #[error("no columns were given to compare rows on")]
    NoColumns,
    #[error("row {row} does not exist; the table has {rows} rows")]
    RowOutOfRange {
        /// 0-based table row.
        row: usize,
        rows: usize,
    },
    #[error("the table has more than {} rows, too many to group", u32::MAX)]
    TooManyRows,
}

/// Rows grouped by their values over the chosen columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Duplicates {
    /// Group of each table row; groups are numbered 0, 1, … in order of
    /// their first row.
    group_of: Vec<u32>,
    /// Rows in each group.
    group_size: Vec<u32>,
}

/// How much the rows repeat, and how much of the test side the training
/// side already holds. JSON: `{"rows", "copies", "repeated_groups",
/// "test_rows", "test_rows_in_train"}`, all counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateReport {
    /// Rows compared (the whole table).
    pub rows: usize,
    /// Rows that repeat an earlier row: `rows - distinct rows`.
    pub copies: usize,
    /// Distinct rows that occur more than once.
    pub repeated_groups: usize,
    /// Rows on the test side.
    pub test_rows: usize,
    /// Test rows whose values (chosen columns) also occur in a training row.
    pub test_rows_in_train: usize,
}

impl Duplicates {
    /// Groups every row of `table` by its values in `columns` (pass the
    /// features and the target, so two customers with the same features
    /// but different outcomes are not copies).
    pub fn find(table: &Table, columns: &[&str]) -> Result<Duplicates, DuplicateError> {
        if columns.is_empty() {
            return Err(DuplicateError::NoColumns);
        }
        if u32::try_from(table.n_rows()).is_err() {
            return Err(DuplicateError::TooManyRows);
        }
        let keys = columns
            .iter()
            .map(|&name| {
                table
                    .column(name)
                    .map(CellKeys::new)
                    .ok_or_else(|| DuplicateError::ColumnMissing(name.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(group_rows(&keys, table.n_rows(), row_hash))
    }

    /// Rows grouped (the table's row count).
    pub fn rows(&self) -> usize {
        self.group_of.len()
    }

    /// Distinct rows.
    pub fn groups(&self) -> usize {
        self.group_size.len()
    }

    /// Rows that repeat an earlier row.
    pub fn copies(&self) -> usize {
        self.rows() - self.groups()
    }

    /// Distinct rows that occur more than once.
    pub fn repeated_groups(&self) -> usize {
        self.group_size.iter().filter(|&&n| n > 1).count()
    }

    /// Group id of `row` (rows with equal values share it); `None` past the
    /// end of the table.
    pub fn group(&self, row: usize) -> Option<u32> {
        self.group_of.get(row).copied()
    }

    /// How many of the `test` rows have the same values as some `train` row
    /// (0-based table rows, as in `Split`).
    pub fn test_rows_in_train(
        &self,
        train: &[usize],
        test: &[usize],
    ) -> Result<usize, DuplicateError> {
        let mut in_train = vec![false; self.groups()];
        for &r in train {
            in_train[self.group_index(r)?] = true;
        }
        let mut count = 0;
        for &r in test {
            count += usize::from(in_train[self.group_index(r)?]);
        }
        Ok(count)
    }

    /// The counts for the training warning, given the split.
    pub fn report(
        &self,
        train: &[usize],
        test: &[usize],
    ) -> Result<DuplicateReport, DuplicateError> {
        Ok(DuplicateReport {
            rows: self.rows(),
            copies: self.copies(),
            repeated_groups: self.repeated_groups(),
            test_rows: test.len(),
            test_rows_in_train: self.test_rows_in_train(train, test)?,
        })
    }

    /// `rows` with copies dropped: of each group only its first row in
    /// `rows` order is kept; order is preserved. Call it on the usable rows
    /// before the split so no copy can land on both sides.
    pub fn keep_first(&self, rows: &[usize]) -> Result<Vec<usize>, DuplicateError> {
        let mut seen = vec![false; self.groups()];
        let mut kept = Vec::with_capacity(rows.len().min(self.groups()));
        for &r in rows {
            let g = self.group_index(r)?;
            if !seen[g] {
                seen[g] = true;
                kept.push(r);
            }
        }
        Ok(kept)
    }

    /// Every table row with copies dropped (the first of each group).
    pub fn first_rows(&self) -> Vec<usize> {
        let mut seen = vec![false; self.groups()];
        let mut kept = Vec::with_capacity(self.groups());
        for (r, &g) in self.group_of.iter().enumerate() {
            if !std::mem::replace(&mut seen[g as usize], true) {
                kept.push(r);
            }
        }
        kept
    }

    fn group_index(&self, row: usize) -> Result<usize, DuplicateError> {
        self.group(row)
            .map(|g| g as usize)
            .ok_or(DuplicateError::RowOutOfRange {
                row,
                rows: self.rows(),
            })
    }
}

impl DuplicateReport {
    /// Short human lines for the training warning; empty when no row
    /// repeats and no test row occurs in training.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.copies > 0 {
            lines.push(format!(
                "{} of {} rows are exact copies of another row ({} distinct rows repeat)",
                self.copies, self.rows, self.repeated_groups
            ));
        }
        if self.test_rows_in_train > 0 {
            lines.push(format!(
                "{} of {} test rows also occur in the training rows, so test metrics are optimistic; drop the copies before the split for an honest test",
                self.test_rows_in_train, self.test_rows
            ));
        }
        lines
    }
}

/// One column's cells as comparable 64-bit keys.
enum CellKeys<'a> {
    Numeric(&'a [f64]),
    /// Codes mapped through `canonical`, so a level list that repeats a
    /// spelling still compares by text.
    Categorical {
        codes: &'a [u32],
        canonical: Vec<u32>,
    },
}

impl<'a> CellKeys<'a> {
    fn new(column: &'a Column) -> CellKeys<'a> {
        match &column.data {
            ColumnData::Numeric(values) => CellKeys::Numeric(values),
            ColumnData::Categorical { codes, levels } => {
                let mut first: HashMap<&str, u32> = HashMap::with_capacity(levels.len());
                let canonical = levels
                    .iter()
                    .enumerate()
                    .map(|(i, level)| *first.entry(level.as_str()).or_insert(i as u32))
                    .collect();
                CellKeys::Categorical { codes, canonical }
            }
        }
    }

    /// Equal keys ⇔ equal cells: every NaN is one key (missing equals
    /// missing) and `-0` is `0`.
    fn key(&self, row: usize) -> u64 {
        match self {
            CellKeys::Numeric(values) => {
                let x = values[row];
                if x.is_nan() {
                    f64::NAN.to_bits()
                } else if x == 0.0 {
                    0
                } else {
                    x.to_bits()
                }
            }
            CellKeys::Categorical { codes, canonical } => {
                let code = codes[row];
                let code = if code == MISSING_CODE {
                    code
                } else {
                    canonical.get(code as usize).copied().unwrap_or(code)
                };
                u64::from(code)
            }
        }
    }
}

fn row_hash(keys: &[CellKeys], row: usize) -> u64 {
    let mut h = DefaultHasher::new();
    for k in keys {
        k.key(row).hash(&mut h);
    }
    h.finish()
}

fn rows_equal(keys: &[CellKeys], a: usize, b: usize) -> bool {
    keys.iter().all(|k| k.key(a) == k.key(b))
}

/// Assigns group ids in one pass. `by_hash` holds the first group seen for
/// each hash; `collisions` only the (astronomically rare) further groups
/// whose rows share a hash but differ. `hash` is a parameter so a test can
/// force every row into one bucket.
fn group_rows(
    keys: &[CellKeys],
    n_rows: usize,
    hash: impl Fn(&[CellKeys], usize) -> u64,
) -> Duplicates {
    let mut by_hash: HashMap<u64, u32> = HashMap::with_capacity(n_rows);
    let mut collisions: HashMap<u64, Vec<u32>> = HashMap::new();
    let mut group_of = Vec::with_capacity(n_rows);
    // First row of each group, to confirm a hash hit cell by cell.
    let mut first_row: Vec<usize> = Vec::new();
    let mut group_size: Vec<u32> = Vec::new();
    for row in 0..n_rows {
        let h = hash(keys, row);
        let next = first_row.len() as u32;
        let group = match by_hash.entry(h) {
            Entry::Vacant(e) => *e.insert(next),
            Entry::Occupied(e) if rows_equal(keys, row, first_row[*e.get() as usize]) => *e.get(),
            Entry::Occupied(_) => {
                let others = collisions.entry(h).or_default();
                match others
                    .iter()
                    .find(|&&g| rows_equal(keys, row, first_row[g as usize]))
                {
                    Some(&g) => g,
                    None => {
                        others.push(next);
                        next
                    }
                }
            }
        };
        if group == next {
            first_row.push(row);
            group_size.push(0);
        }
        group_size[group as usize] += 1;
        group_of.push(group);
    }
    Duplicates {
        group_of,
        group_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(vec![
            Column::numeric("x", vec![1.0, 2.0, 1.0, f64::NAN, f64::NAN, 1.0, -0.0, 0.0]),
            Column::categorical(
                "c",
                &[
                    Some("a"),
                    Some("b"),
                    Some("a"),
                    None,
                    None,
                    Some("b"),
                    Some("a"),
                    Some("a"),
                ],
            ),
            Column::categorical("y", &[Some("yes"); 8]),
        ])
        .unwrap()
    }

    #[test]
    fn groups_equal_rows_including_missing_and_signed_zero() {
        let d = Duplicates::find(&table(), &["x", "c", "y"]).unwrap();
        // Groups: {0,2} (1,a), {1} (2,b), {3,4} (missing, missing), {5} (1,b),
        // {6,7} (0,a).
        assert_eq!(d.rows(), 8);
        assert_eq!(d.groups(), 5);
        assert_eq!(d.copies(), 3);
        assert_eq!(d.repeated_groups(), 3);
        assert_eq!(d.group(0), d.group(2));
        assert_eq!(d.group(3), d.group(4));
        assert_eq!(d.group(6), d.group(7));
        assert_ne!(d.group(0), d.group(5));
        assert_eq!(d.group(8), None);
        assert_eq!(d.first_rows(), [0, 1, 3, 5, 6]);
    }

    #[test]
    fn fewer_columns_make_more_copies() {
        let d = Duplicates::find(&table(), &["c"]).unwrap();
        // a, b, missing.
        assert_eq!(d.groups(), 3);
        assert_eq!(d.copies(), 5);
    }

    #[test]
    fn test_rows_found_in_training_rows() {
        let d = Duplicates::find(&table(), &["x", "c"]).unwrap();
        let r = d.report(&[0, 1, 3], &[2, 4, 5, 7]).unwrap();
        assert_eq!(
            r,
            DuplicateReport {
                rows: 8,
                copies: 3,
                repeated_groups: 3,
                test_rows: 4,
                // Row 2 copies 0 and row 4 copies 3; 5 and 7 are new.
                test_rows_in_train: 2,
            }
        );
        let lines = r.summary_lines();
        assert_eq!(
            lines[0],
            "3 of 8 rows are exact copies of another row (3 distinct rows repeat)"
        );
        assert!(lines[1].starts_with("2 of 4 test rows also occur in the training rows"));
    }

    #[test]
    fn keep_first_follows_the_given_order() {
        let d = Duplicates::find(&table(), &["x", "c"]).unwrap();
        assert_eq!(d.keep_first(&[2, 0, 7, 1, 6]).unwrap(), [2, 7, 1]);
        assert_eq!(d.keep_first(&[]).unwrap(), Vec::<usize>::new());
    }

    #[test]
    fn distinct_rows_give_no_warning() {
        let t = Table::new(vec![Column::numeric("x", vec![1.0, 2.0, 3.0])]).unwrap();
        let d = Duplicates::find(&t, &["x"]).unwrap();
        let r = d.report(&[0, 1], &[2]).unwrap();
        assert_eq!(
            (r.copies, r.repeated_groups, r.test_rows_in_train),
            (0, 0, 0)
        );
        assert!(r.summary_lines().is_empty());
    }

    #[test]
    fn repeated_level_spellings_compare_by_text() {
        let column = Column {
            name: "c".into(),
            data: ColumnData::Categorical {
                codes: vec![0, 1, MISSING_CODE],
                levels: vec!["x".into(), "x".into()],
            },
        };
        let t = Table::new(vec![column]).unwrap();
        let d = Duplicates::find(&t, &["c"]).unwrap();
        assert_eq!(d.group(0), d.group(1));
        assert_ne!(d.group(0), d.group(2));
    }

    #[test]
    fn hash_collisions_never_merge_different_rows() {
        // Every row hashes to the same bucket: grouping must still be exact.
        let t = table();
        let keys: Vec<CellKeys> = ["x", "c"]
            .iter()
            .map(|n| CellKeys::new(t.column(n).unwrap()))
            .collect();
        let forced = group_rows(&keys, t.n_rows(), |_, _| 7);
        let hashed = Duplicates::find(&t, &["x", "c"]).unwrap();
        assert_eq!(forced, hashed);
        assert_eq!(forced.groups(), 5);
    }

    #[test]
    fn errors_name_the_column_or_row() {
        let t = table();
        assert_eq!(
            Duplicates::find(&t, &["x", "nope"]),
            Err(DuplicateError::ColumnMissing("nope".into()))
        );
        assert_eq!(Duplicates::find(&t, &[]), Err(DuplicateError::NoColumns));
        let d = Duplicates::find(&t, &["x"]).unwrap();
        assert_eq!(
            d.keep_first(&[0, 8]),
            Err(DuplicateError::RowOutOfRange { row: 8, rows: 8 })
        );
        assert!(d.test_rows_in_train(&[9], &[0]).is_err());
        assert!(d.report(&[0], &[10]).is_err());
    }

    #[test]
    fn a_million_rows_group_in_one_pass() {
        // 4 copies of 250,000 customers, as in the scoring case 12.
        let n = 1_000_000;
        let ids: Vec<f64> = (0..n).map(|i| (i % 250_000) as f64).collect();
        let region: Vec<Option<&str>> = (0..n)
            .map(|i| Some(["north", "south", "east", "west"][(i % 250_000) % 4]))
            .collect();
        let t = Table::new(vec![
            Column::numeric("id", ids),
            Column::categorical("region", &region),
        ])
        .unwrap();
        let start = std::time::Instant::now();
        let d = Duplicates::find(&t, &["id", "region"]).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(d.groups(), 250_000);
        assert_eq!(d.copies(), 750_000);
        assert_eq!(d.first_rows(), (0..250_000).collect::<Vec<_>>());
        // Generous even for an unoptimized test build; a quadratic grouping
        // would take hours.
        assert!(elapsed.as_secs() < 20, "{elapsed:?}");
    }
}
