//! CSV text → [`Table`], with type inference, local number formats and
//! errors that say where.
//!
//! Real customer exports are messy: `;` or tab delimiters, Excel's `sep=;`
//! first line, a UTF-8 BOM, CRLF or old-Mac CR line ends, quoted fields
//! with embedded delimiters or newlines, a delimiter at the end of every
//! line, `#N/A`/`NULL`/`-` markers, `$2,310.75` and `1.234,50`. The reader
//! streams records (the file's text is never held whole) and decides each
//! column's type and number format from all its cells
//! (the `columns` module); everything it reinterpreted is listed in
//! the table's notes ([`Table::notes`]).
//!
//! A column that turns out to be text after numbers were already stored has
//! lost its original spelling (`007` stored as `7`), so in that rare case the
//! file is read a second time with that column read as text from the start.
//!
//! Scoring reads a file differently ([`raw`]): every cell is kept as
//! written, for the output, and the model's columns are typed by the model.

mod columns;
mod guard;
pub mod raw;
mod records;
mod sniff;
pub mod watch;

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;

use thiserror::Error;

use self::columns::{ColumnReader, finish_columns};
pub(crate) use self::records::{Records, utf8_text};
use super::limits::{BadLimit, CsvLimits, LimitSource, format_bytes};
use super::table::{LoadInfo, Table};

pub use self::columns::{is_missing_marker, missing_markers};
pub use self::raw::{RawTable, TypedTable, read_raw, read_raw_with};

#[derive(Debug, Error)]
pub enum CsvError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(
        "`{path}` is {}, more than the limit of {} for a CSV file ({set_by}); set PURCHASE_LAB_MAX_CSV_BYTES to a larger size (e.g. 8G) to open it anyway",
        format_bytes(*.size), format_bytes(*.limit)
    )]
    TooLarge {
        path: String,
        size: u64,
        limit: u64,
        /// Where the limit came from (said in the message).
        set_by: LimitSource,
    },
    #[error(transparent)]
    BadLimit(#[from] BadLimit),
    #[error("the file is empty")]
    Empty,
    #[error("line 1 holds the column names, but there are no data rows")]
    HeaderOnly,
    #[error("line 1, column {column}: the column name is empty")]
    EmptyColumnName { column: usize },
    #[error(
        "line 1, column {column}: the column name `{name}` is used twice (first in column {first})"
    )]
    DuplicateColumnName {
        name: String,
        column: usize,
        first: usize,
    },
    #[error(
        "line {line}: {found} field{}, but the header has {expected} columns",
        if *.found == 1 { "" } else { "s" }
    )]
    FieldCount {
        line: u64,
        found: usize,
        expected: usize,
    },
    #[error(
        "line {line}, column {column}: the text is not valid UTF-8 (perhaps Latin-1 or Windows-1252); save the file as UTF-8"
    )]
    InvalidUtf8 { line: u64, column: usize },
    #[error(
        "line {line}: the row is longer than {}, so this does not look like a table of customers (one row per line); is it the right file?",
        format_bytes(*.limit)
    )]
    RowTooLong { line: u64, limit: u64 },
    #[error(
        "line {line}, column {column}: a quoted value starts here but its closing `\"` is missing (it runs to the end of the file)"
    )]
    UnclosedQuote { line: u64, column: usize },
    #[error("this is not a CSV text file: it contains a NUL byte (line {line})")]
    Binary { line: u64 },
    #[error("the file is UTF-16 encoded; save it as UTF-8 and open it again")]
    Utf16,
    #[error(
        "line {line}, column {column} (`{name}`): `{value}` is not a finite number; \
         replace it with a number or leave the cell empty"
    )]
    NonFinite {
        line: u64,
        column: usize,
        name: String,
        value: String,
    },
    #[error(
        "line {line}, column {column}: `{value}` stands under no column name (the header has {columns} columns); name the column or remove the value"
    )]
    UnnamedValue {
        line: u64,
        column: usize,
        columns: usize,
        value: String,
    },
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
}

impl CsvError {
    /// The line the problem is on, when it is about one place in the file.
    pub fn line(&self) -> Option<u64> {
        match self {
            CsvError::HeaderOnly
            | CsvError::EmptyColumnName { .. }
            | CsvError::DuplicateColumnName { .. } => Some(1),
            CsvError::FieldCount { line, .. }
            | CsvError::InvalidUtf8 { line, .. }
            | CsvError::Binary { line }
            | CsvError::NonFinite { line, .. }
            | CsvError::UnnamedValue { line, .. }
            | CsvError::RowTooLong { line, .. }
            | CsvError::UnclosedQuote { line, .. }
            | CsvError::Malformed { line, .. } => Some(*line),
            CsvError::Io { .. }
            | CsvError::TooLarge { .. }
            | CsvError::BadLimit(_)
            | CsvError::Empty
            | CsvError::Utf16 => None,
        }
    }
}

/// Reads a CSV file from disk, within the limits for this computer
/// ([`CsvLimits::from_env`]: a quarter of memory unless
/// `PURCHASE_LAB_MAX_CSV_BYTES` says otherwise).
pub fn load_csv(path: &Path) -> Result<Table, CsvError> {
    load_csv_with(path, &CsvLimits::from_env()?)
}

/// Reads a CSV file from disk within explicit limits.
pub fn load_csv_with(path: &Path, limits: &CsvLimits) -> Result<Table, CsvError> {
    check_file(path, limits)?;
    let label = path.display().to_string();
    read_table(&label, limits.max_row_bytes, || open_file(path))
}

/// Refuses a folder, a missing file or one over the size limit before a
/// byte is read: the table would take several times the file's size in
/// memory. (A file that grows while being read is still bounded per row
/// by the row limit.)
pub(crate) fn check_file(path: &Path, limits: &CsvLimits) -> Result<(), CsvError> {
    let metadata = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if metadata.is_dir() {
        return Err(io_error(
            path,
            io::Error::other("it is a folder, not a file"),
        ));
    }
    if metadata.len() > limits.max_file_bytes {
        return Err(CsvError::TooLarge {
            path: path.display().to_string(),
            size: metadata.len(),
            limit: limits.max_file_bytes,
            set_by: limits.source.clone(),
        });
    }
    Ok(())
}

pub(crate) fn open_file(path: &Path) -> Result<BufReader<File>, CsvError> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, source: io::Error) -> CsvError {
    CsvError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Reads CSV text held in memory (no file-size limit: it is already read;
/// the row limit still applies).
pub fn parse_csv(bytes: &[u8]) -> Result<Table, CsvError> {
    let limits = CsvLimits::unlimited_file();
    read_table("the text", limits.max_row_bytes, || Ok(Cursor::new(bytes)))
}

fn read_table<R: Read>(
    label: &str,
    max_row_bytes: u64,
    mut open: impl FnMut() -> Result<R, CsvError>,
) -> Result<Table, CsvError> {
    let first = read_pass(label, open()?, max_row_bytes, None)?;
    match first {
        PassOutcome::Done(table) => Ok(table),
        PassOutcome::Retry(force_text) => {
            match read_pass(label, open()?, max_row_bytes, Some(&force_text))? {
                PassOutcome::Done(table) => Ok(table),
                // A forced-text column never demotes, and the others see the same
                // values as in the first pass, so a second retry cannot happen.
                PassOutcome::Retry(_) => Err(CsvError::Malformed {
                    line: 0,
                    message: "the file changed while it was being read".to_owned(),
                }),
            }
        }
    }
}

enum PassOutcome {
    Done(Table),
    /// Columns that must be read as text from the first row on.
    Retry(Vec<bool>),
}

fn read_pass<R: Read>(
    label: &str,
    source: R,
    max_row_bytes: u64,
    force_text: Option<&[bool]>,
) -> Result<PassOutcome, CsvError> {
    let mut records = Records::open(label, source, max_row_bytes)?;
    let n_cols = records.names.len();
    let mut readers: Vec<ColumnReader> = (0..n_cols)
        .map(|i| ColumnReader::new(force_text.is_some_and(|f| f.get(i).copied().unwrap_or(false))))
        .collect();
    let mut lossy = vec![false; n_cols];
    let mut row_lines = Vec::new();
    let mut record = csv::ByteRecord::new();
    while let Some(line) = records.next_row(&mut record)? {
        for (i, field) in record.iter().enumerate() {
            let text = utf8_text(field, line, i)?;
            if readers[i].push(text, line) {
                lossy[i] = true;
            }
        }
        row_lines.push(line);
    }
    if row_lines.is_empty() {
        return Err(CsvError::HeaderOnly);
    }
    for (reader, l) in readers.iter_mut().zip(&mut lossy) {
        *l |= reader.settle();
    }
    if lossy.iter().any(|&l| l) {
        let mut force: Vec<bool> = force_text.map_or_else(|| vec![false; n_cols], <[bool]>::to_vec);
        for (f, l) in force.iter_mut().zip(&lossy) {
            *f |= *l;
        }
        return Ok(PassOutcome::Retry(force));
    }
    let mut notes = records.notes();
    let (columns, formats) = finish_columns(
        records.names,
        readers,
        records.layout.delimiter,
        &row_lines,
        &mut notes,
    )?;
    let table = Table::new(columns).map_err(|e| CsvError::Malformed {
        line: 1,
        message: e.to_string(),
    })?;
    Ok(PassOutcome::Done(table.with_load_info(LoadInfo {
        notes,
        formats,
        row_lines,
    })))
}

#[cfg(test)]
mod tests;
