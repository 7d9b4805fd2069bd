//! `Table`: named, typed columns, the one shape every data source ends in.
//!
//! Numeric columns store `f64` with `NaN` as the missing marker (8 bytes a
//! cell, no `Option` overhead); categorical columns store a `u32` code per
//! cell into a list of levels, with [`MISSING_CODE`] for a missing cell.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::dates::DateFormat;
use super::notes::DataNote;
use super::numbers::NumberFormat;

/// Code of a missing cell in a categorical column.
pub const MISSING_CODE: u32 = u32::MAX;

/// How many categories a summary lists before folding the rest into "others".
pub const SUMMARY_CATEGORY_CAP: usize = 8;

#[derive(Debug, Error, PartialEq)]
pub enum TableError {
    #[error("column `{name}` has {found} rows, but the table has {expected}")]
    RaggedColumn {
        name: String,
        found: usize,
        expected: usize,
    },
    #[error("two columns are named `{0}`; column names must be unique")]
    DuplicateName(String),
    #[error("a column has an empty name")]
    EmptyName,
}

#[derive(Debug, Clone)]
pub enum ColumnData {
    /// `NaN` marks a missing cell.
    Numeric(Vec<f64>),
    /// `codes[i]` indexes `levels`, or is [`MISSING_CODE`].
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
}

/// Equality where two missing numeric cells are equal (`NaN` is the marker,
/// not a computed value).
impl PartialEq for ColumnData {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ColumnData::Numeric(a), ColumnData::Numeric(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
            }
            (
                ColumnData::Categorical { codes, levels },
                ColumnData::Categorical {
                    codes: c2,
                    levels: l2,
                },
            ) => codes == c2 && levels == l2,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

impl std::fmt::Display for ColumnKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
}

impl Column {
    pub fn numeric(name: impl Into<String>, values: Vec<f64>) -> Self {
        Column {
            name: name.into(),
            data: ColumnData::Numeric(values),
        }
    }

    /// Builds a categorical column from optional labels (`None` = missing);
    /// levels are numbered in order of first appearance.
    pub fn categorical<S: AsRef<str>>(name: impl Into<String>, labels: &[Option<S>]) -> Self {
        let mut builder = CategoricalBuilder::default();
        for label in labels {
            builder.push(label.as_ref().map(|s| s.as_ref()));
        }
        let (codes, levels) = builder.finish();
        Column {
            name: name.into(),
            data: ColumnData::Categorical { codes, levels },
        }
    }

    /// The cells at `rows` (each `< len()`), in that order; a categorical
    /// column keeps its whole list of levels.
    pub fn take(&self, rows: &[usize]) -> Column {
        Column {
            name: self.name.clone(),
            data: match &self.data {
                ColumnData::Numeric(v) => ColumnData::Numeric(rows.iter().map(|&r| v[r]).collect()),
                ColumnData::Categorical { codes, levels } => ColumnData::Categorical {
                    codes: rows.iter().map(|&r| codes[r]).collect(),
                    levels: levels.clone(),
                },
            },
        }
    }

    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn kind(&self) -> ColumnKind {
        match self.data {
            ColumnData::Numeric(_) => ColumnKind::Numeric,
            ColumnData::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    pub fn is_missing(&self, row: usize) -> bool {
        match &self.data {
            ColumnData::Numeric(v) => v[row].is_nan(),
            ColumnData::Categorical { codes, .. } => codes[row] == MISSING_CODE,
        }
    }

    pub fn missing_count(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.iter().filter(|x| x.is_nan()).count(),
            ColumnData::Categorical { codes, .. } => {
                codes.iter().filter(|&&c| c == MISSING_CODE).count()
            }
        }
    }

    /// The cell as text, as it would be written back to a CSV file; `None`
    /// when missing. Numbers use the shortest text that reads back exactly.
    pub fn text(&self, row: usize) -> Option<Cow<'_, str>> {
        match &self.data {
            ColumnData::Numeric(v) => {
                let x = v[row];
                (!x.is_nan()).then(|| Cow::Owned(format_number(x)))
            }
            ColumnData::Categorical { codes, levels } => {
                let code = codes[row];
                (code != MISSING_CODE).then(|| Cow::Borrowed(levels[code as usize].as_str()))
            }
        }
    }

    pub fn summary(&self) -> ColumnSummary {
        let missing = self.missing_count();
        let stats = match &self.data {
            ColumnData::Numeric(v) => {
                let mut min = f64::INFINITY;
                let mut max = f64::NEG_INFINITY;
                let mut sum = 0.0;
                let mut n = 0usize;
                for &x in v.iter().filter(|x| !x.is_nan()) {
                    min = min.min(x);
                    max = max.max(x);
                    sum += x;
                    n += 1;
                }
                if n == 0 {
                    SummaryStats::Numeric {
                        min: None,
                        max: None,
                        mean: None,
                    }
                } else {
                    SummaryStats::Numeric {
                        min: Some(min),
                        max: Some(max),
                        mean: Some(sum / n as f64),
                    }
                }
            }
            ColumnData::Categorical { codes, levels } => {
                let mut counts = vec![0usize; levels.len()];
                for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                    counts[c as usize] += 1;
                }
                let mut ranked: Vec<(String, usize)> = levels
                    .iter()
                    .cloned()
                    .zip(counts)
                    .filter(|(_, n)| *n > 0)
                    .collect();
                // Most frequent first; ties alphabetical so output is stable.
                ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let distinct = ranked.len();
                let others: usize = ranked.iter().skip(SUMMARY_CATEGORY_CAP).map(|r| r.1).sum();
                ranked.truncate(SUMMARY_CATEGORY_CAP);
                SummaryStats::Categorical {
                    distinct,
                    top: ranked,
                    others,
                }
            }
        };
        ColumnSummary {
            name: self.name.clone(),
            kind: self.kind(),
            rows: self.len(),
            missing,
            stats,
        }
    }
}

/// Shortest decimal text that parses back to the same `f64` (`3` not `3.0`).
pub fn format_number(x: f64) -> String {
    format!("{x}")
}

/// Accumulates labels into codes, assigning new levels in order of first
/// appearance.
#[derive(Default)]
pub(crate) struct CategoricalBuilder {
    codes: Vec<u32>,
    levels: Vec<String>,
    index: HashMap<String, u32>,
}

impl CategoricalBuilder {
    pub(crate) fn push(&mut self, label: Option<&str>) {
        let code = match label {
            None => MISSING_CODE,
            Some(s) => match self.index.get(s) {
                Some(&c) => c,
                None => {
                    let c = self.levels.len() as u32;
                    self.levels.push(s.to_owned());
                    self.index.insert(s.to_owned(), c);
                    c
                }
            },
        };
        self.codes.push(code);
    }

    pub(crate) fn finish(self) -> (Vec<u32>, Vec<String>) {
        (self.codes, self.levels)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    pub name: String,
    pub kind: ColumnKind,
    pub rows: usize,
    pub missing: usize,
    pub stats: SummaryStats,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SummaryStats {
    /// `None` when every cell is missing.
    Numeric {
        min: Option<f64>,
        max: Option<f64>,
        mean: Option<f64>,
    },
    /// `top` holds at most [`SUMMARY_CATEGORY_CAP`] levels, most frequent
    /// first; `others` counts the cells of the levels left out.
    Categorical {
        distinct: usize,
        top: Vec<(String, usize)>,
        others: usize,
    },
}

impl ColumnSummary {
    /// One line describing the values: range and mean, or the categories.
    pub fn describe(&self) -> String {
        match &self.stats {
            SummaryStats::Numeric {
                min: Some(min),
                max: Some(max),
                mean: Some(mean),
            } => format!(
                "min {}  max {}  mean {}",
                short(*min),
                short(*max),
                short(*mean)
            ),
            SummaryStats::Numeric { .. } => "all missing".to_owned(),
            SummaryStats::Categorical {
                distinct,
                top,
                others,
            } => {
                let mut parts: Vec<String> =
                    top.iter().map(|(l, n)| format!("{l} ({n})")).collect();
                if *others > 0 {
                    parts.push(format!(
                        "… {} more ({others})",
                        distinct.saturating_sub(top.len())
                    ));
                }
                let noun = if *distinct == 1 {
                    "category"
                } else {
                    "categories"
                };
                format!("{distinct} {noun}: {}", parts.join(", "))
            }
        }
    }
}

/// Compact display of a number: up to 4 significant decimals.
fn short(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{x}")
    } else if x.abs() >= 1000.0 {
        format!("{x:.1}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// How a column's cells were read from its file; saved with a model so a
/// scored file is read the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellFormat {
    /// Categories, kept as written (trimmed).
    Text,
    /// Numbers, with the decimal mark and decorations recognised.
    Number(NumberFormat),
    /// Dates or date-times, held as days since 1970-01-01.
    Date(DateFormat),
}

/// What the reader learned about a file beyond its cells: the notes for
/// the user, each column's format, and the file line of every row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadInfo {
    pub notes: Vec<DataNote>,
    /// Formats of the columns that needed more than plain numbers or text
    /// (absent: plain, as the column's kind says).
    pub formats: BTreeMap<String, CellFormat>,
    /// 1-based file line of each row (empty for a generated table).
    pub row_lines: Vec<u64>,
}

/// Named, typed columns of equal length, with what the reader learned
/// about them ([`LoadInfo`]; not part of equality, which is about values).
#[derive(Debug, Clone, Default)]
pub struct Table {
    columns: Vec<Column>,
    n_rows: usize,
    info: LoadInfo,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.n_rows == other.n_rows && self.columns == other.columns
    }
}

impl Table {
    pub fn new(columns: Vec<Column>) -> Result<Table, TableError> {
        let n_rows = columns.first().map_or(0, Column::len);
        let mut seen = std::collections::HashSet::new();
        for c in &columns {
            if c.name.trim().is_empty() {
                return Err(TableError::EmptyName);
            }
            if !seen.insert(c.name.as_str()) {
                return Err(TableError::DuplicateName(c.name.clone()));
            }
            if c.len() != n_rows {
                return Err(TableError::RaggedColumn {
                    name: c.name.clone(),
                    found: c.len(),
                    expected: n_rows,
                });
            }
        }
        Ok(Table {
            columns,
            n_rows,
            info: LoadInfo::default(),
        })
    }

    /// The same table with what its reader learned attached.
    pub fn with_load_info(mut self, info: LoadInfo) -> Table {
        self.info = info;
        self
    }

    pub fn load_info(&self) -> &LoadInfo {
        &self.info
    }

    /// Notes from reading the file (empty for generated data).
    pub fn notes(&self) -> &[DataNote] {
        &self.info.notes
    }

    /// How `name`'s cells were written: its recorded format, else plain
    /// numbers or text by its kind.
    pub fn cell_format(&self, name: &str) -> CellFormat {
        match self.info.formats.get(name) {
            Some(f) => f.clone(),
            None => match self.column(name).map(Column::kind) {
                Some(ColumnKind::Numeric) => CellFormat::Number(NumberFormat::default()),
                _ => CellFormat::Text,
            },
        }
    }

    /// The file line of row `row` (0-based): as read, or `row + 2` (after a
    /// header line) for a table that was not read from a file.
    pub fn line_of_row(&self, row: usize) -> u64 {
        self.info
            .row_lines
            .get(row)
            .copied()
            .unwrap_or(row as u64 + 2)
    }

    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn summary(&self) -> Vec<ColumnSummary> {
        self.columns.iter().map(Column::summary).collect()
    }

    /// Adds a column at the end (e.g. predictions next to the inputs).
    pub fn push_column(&mut self, column: Column) -> Result<(), TableError> {
        if column.name.trim().is_empty() {
            return Err(TableError::EmptyName);
        }
        if self.column(&column.name).is_some() {
            return Err(TableError::DuplicateName(column.name));
        }
        if !self.columns.is_empty() && column.len() != self.n_rows {
            let found = column.len();
            return Err(TableError::RaggedColumn {
                name: column.name,
                found,
                expected: self.n_rows,
            });
        }
        self.n_rows = column.len();
        self.columns.push(column);
        Ok(())
    }

    /// A copy with the column of `column`'s name replaced by it (same
    /// length), load information kept: a feature permuted or set to one
    /// value, for importance and partial dependence.
    ///
    /// # Errors
    /// [`TableError::RaggedColumn`] for a column of another length; a name
    /// not in the table is added at the end.
    pub fn with_column(&self, column: Column) -> Result<Table, TableError> {
        if column.len() != self.n_rows {
            let found = column.len();
            return Err(TableError::RaggedColumn {
                name: column.name,
                found,
                expected: self.n_rows,
            });
        }
        let mut table = self.clone();
        match table.column_index(&column.name) {
            Some(i) => table.columns[i] = column,
            None => table.push_column(column)?,
        }
        Ok(table)
    }

    /// Rows `rows` of every column, in that order.
    pub fn select_rows(&self, rows: &[usize]) -> Table {
        let columns = self.columns.iter().map(|c| c.take(rows)).collect();
        let info = LoadInfo {
            notes: self.info.notes.clone(),
            formats: self.info.formats.clone(),
            row_lines: rows.iter().map(|&r| self.line_of_row(r)).collect(),
        };
        Table {
            columns,
            n_rows: rows.len(),
            info,
        }
    }
}

#[cfg(test)]
mod tests;
