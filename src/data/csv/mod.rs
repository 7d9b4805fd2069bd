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
mod sniff;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;
use std::rc::Rc;

use thiserror::Error;

use self::columns::{ColumnReader, finish_columns};
use self::guard::{CrToLf, GuardError, RowGuard};
use self::sniff::{Layout, SNIFF_BYTES, sniff_layout};
use super::limits::{BadLimit, CsvLimits, LimitSource, format_bytes};
use super::notes::DataNote;
use super::table::{LoadInfo, Table};

pub use self::columns::is_missing_marker;
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

/// The parser over one file, positioned after its header.
pub(crate) struct Records<'a> {
    csv: csv::Reader<RowGuard<Box<dyn Read + 'a>>>,
    /// Each row's first line, filled by the row guard.
    row_lines: Rc<RefCell<VecDeque<u64>>>,
    layout: Layout,
    label: String,
    /// Column names, trimmed, without trailing unnamed columns.
    pub names: Vec<String>,
    /// Empty-named columns at the end of the header (a delimiter at the end
    /// of the header line), dropped.
    trailing_unnamed: usize,
    /// Data rows that carried empty fields after the last column.
    rows_with_extra_fields: usize,
    first_extra_line: Option<u64>,
    /// The header's fields as written (untrimmed), for output that keeps
    /// the file's own spelling.
    pub raw_header: Option<csv::ByteRecord>,
    /// Columns (0-based) whose header cell was empty, now `unnamed_N`.
    unnamed: Vec<usize>,
    /// Scoring reads files whose extra columns may repeat a name: only the
    /// model's columns must be unambiguous; and it keeps rows of empty
    /// cells, so every input row has its output row.
    allow_duplicate_names: bool,
    keep_empty_rows: bool,
}

impl<'a> Records<'a> {
    /// Sniffs the layout, sets up the parser and reads the header.
    pub(crate) fn open<R: Read + 'a>(
        label: &str,
        source: R,
        max_row_bytes: u64,
    ) -> Result<Records<'a>, CsvError> {
        Records::open_with(label, source, max_row_bytes, false)
    }

    /// [`Records::open`]; `lenient` (for scoring) allows repeated column
    /// names and keeps rows of empty cells.
    pub(crate) fn open_with<R: Read + 'a>(
        label: &str,
        mut source: R,
        max_row_bytes: u64,
        lenient: bool,
    ) -> Result<Records<'a>, CsvError> {
        let mut sniff = Vec::with_capacity(SNIFF_BYTES);
        (&mut source)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut sniff)
            .map_err(|e| CsvError::Io {
                path: label.to_owned(),
                source: e,
            })?;
        let layout = sniff_layout(&sniff)?;
        let mut sniffed = Cursor::new(sniff);
        sniffed.set_position(layout.body_start as u64);
        let text: Box<dyn Read + 'a> = if layout.cr_only {
            Box::new(CrToLf::new(sniffed.chain(source)))
        } else {
            Box::new(sniffed.chain(source))
        };
        let reader = RowGuard::new(text, layout.delimiter, max_row_bytes);
        let row_lines = reader.row_lines();
        let csv = csv::ReaderBuilder::new()
            .delimiter(layout.delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut records = Records {
            csv,
            row_lines,
            layout,
            label: label.to_owned(),
            names: Vec::new(),
            trailing_unnamed: 0,
            rows_with_extra_fields: 0,
            first_extra_line: None,
            raw_header: None,
            unnamed: Vec::new(),
            allow_duplicate_names: lenient,
            keep_empty_rows: lenient,
        };
        let mut record = csv::ByteRecord::new();
        if layout.sep_line && records.read(&mut record)?.is_none() {
            return Err(CsvError::Empty);
        }
        records.read_header(&mut record)?;
        Ok(records)
    }

    pub(crate) fn delimiter(&self) -> u8 {
        self.layout.delimiter
    }

    fn layout(&self) -> Layout {
        self.layout
    }

    /// The next record and the line it starts on.
    fn read(&mut self, record: &mut csv::ByteRecord) -> Result<Option<u64>, CsvError> {
        let more = self
            .csv
            .read_byte_record(record)
            .map_err(|e| malformed(&self.label, &e))?;
        if !more {
            return Ok(None);
        }
        let guard_line = self.row_lines.borrow_mut().pop_front();
        Ok(Some(guard_line.unwrap_or_else(|| {
            record.position().map_or(0, |p| p.line())
        })))
    }

    fn read_header(&mut self, record: &mut csv::ByteRecord) -> Result<(), CsvError> {
        let Some(line) = self.read(record)? else {
            return Err(CsvError::Empty);
        };
        let mut names: Vec<String> = Vec::with_capacity(record.len());
        for (i, field) in record.iter().enumerate() {
            names.push(cell_text(field, line, i)?.trim().to_owned());
        }
        // A delimiter at the end of the header line names no column.
        while names.len() > 1 && names.last().is_some_and(String::is_empty) {
            names.pop();
            self.trailing_unnamed += 1;
        }
        // A column without a name (pandas writes its row index so) is
        // called `unnamed_N` after its place, with a note.
        for i in 0..names.len() {
            if names[i].is_empty() {
                let mut name = format!("unnamed_{}", i + 1);
                while names.contains(&name) {
                    name.push('_');
                }
                names[i] = name;
                self.unnamed.push(i);
            }
        }
        for (i, name) in names.iter().enumerate() {
            if let Some(first) = names[..i].iter().position(|n| n == name)
                && !self.allow_duplicate_names
            {
                return Err(CsvError::DuplicateColumnName {
                    name: name.clone(),
                    column: i + 1,
                    first: first + 1,
                });
            }
        }
        let mut raw = record.clone();
        raw.truncate(names.len());
        self.raw_header = Some(raw);
        self.names = names;
        Ok(())
    }

    /// The next data row, with its line: blank rows skipped, empty fields
    /// after the last named column dropped, the field count and NUL bytes
    /// checked. `None` at the end of the file.
    pub(crate) fn next_row(
        &mut self,
        record: &mut csv::ByteRecord,
    ) -> Result<Option<u64>, CsvError> {
        let n_cols = self.names.len();
        loop {
            let Some(line) = self.read(record)? else {
                return Ok(None);
            };
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                // Rows of empty cells (a spreadsheet's trailing `,,,`) carry
                // nothing; scoring keeps them in place (as `n_cols` empty
                // cells) so its output lines up with its input.
                if !self.keep_empty_rows {
                    continue;
                }
                if record.len() != n_cols {
                    record.clear();
                    for _ in 0..n_cols {
                        record.push_field(b"");
                    }
                }
                return Ok(Some(line));
            }
            if record.len() > n_cols {
                // Fields beyond the header: allowed only when empty (a
                // delimiter at the end of the line), and then dropped.
                if let Some((k, value)) = record
                    .iter()
                    .enumerate()
                    .skip(n_cols)
                    .find(|(_, f)| !f.iter().all(u8::is_ascii_whitespace))
                {
                    if self.trailing_unnamed > 0 && k < n_cols + self.trailing_unnamed {
                        return Err(CsvError::UnnamedValue {
                            line,
                            column: k + 1,
                            columns: n_cols,
                            value: String::from_utf8_lossy(value).into_owned(),
                        });
                    }
                    return Err(CsvError::FieldCount {
                        line,
                        found: record.len(),
                        expected: n_cols,
                    });
                }
                if self.trailing_unnamed == 0 {
                    self.rows_with_extra_fields += 1;
                    self.first_extra_line.get_or_insert(line);
                }
                record.truncate(n_cols);
            }
            if record.len() != n_cols {
                return Err(CsvError::FieldCount {
                    line,
                    found: record.len(),
                    expected: n_cols,
                });
            }
            // One NUL search per row rather than per cell (measured: the
            // per-cell search cost 5% of a numeric file's load).
            if record.as_slice().contains(&0) {
                return Err(CsvError::Binary { line });
            }
            return Ok(Some(line));
        }
    }

    /// What the layout and the row checks changed, for the user.
    pub(crate) fn notes(&self) -> Vec<DataNote> {
        let mut notes = Vec::new();
        if self.layout.sep_line {
            notes.push(DataNote::info(
                None,
                format!(
                    "line 1 is Excel's delimiter hint `sep={}`: it set the delimiter and is not part of the table",
                    char::from(self.layout.delimiter).escape_default()
                ),
            ));
        }
        if self.layout.cr_only {
            notes.push(DataNote::info(
                None,
                "the file uses old Mac line ends (CR only); each CR was read as a line break",
            ));
        }
        for &i in &self.unnamed {
            let name = self.names.get(i).map_or("", String::as_str);
            notes.push(DataNote::warning(
                Some(name),
                format!(
                    "column {} has no name in the header (pandas writes its row index so); it is called `{name}`",
                    i + 1
                ),
            ));
        }
        if self.trailing_unnamed > 0 {
            notes.push(DataNote::info(
                None,
                format!(
                    "every line ends with a delimiter: the unnamed, empty column{} after `{}` {} dropped",
                    if self.trailing_unnamed == 1 { "" } else { "s" },
                    self.names.last().map_or("", String::as_str),
                    if self.trailing_unnamed == 1 { "was" } else { "were" },
                ),
            ));
        }
        if self.rows_with_extra_fields > 0 {
            notes.push(DataNote::info(
                None,
                format!(
                    "{} data row{} with a delimiter after the last column (first on line {}); the empty field{} ignored",
                    self.rows_with_extra_fields,
                    if self.rows_with_extra_fields == 1 { " ends" } else { "s end" },
                    self.first_extra_line.unwrap_or(0),
                    if self.rows_with_extra_fields == 1 { " was" } else { "s were" },
                ),
            ));
        }
        notes
    }
}

pub(crate) fn cell_text(field: &[u8], line: u64, index: usize) -> Result<&str, CsvError> {
    if field.contains(&0) {
        return Err(CsvError::Binary { line });
    }
    utf8_text(field, line, index)
}

/// A cell as text; the caller has checked for NUL bytes.
pub(crate) fn utf8_text(field: &[u8], line: u64, index: usize) -> Result<&str, CsvError> {
    std::str::from_utf8(field).map_err(|_| CsvError::InvalidUtf8 {
        line,
        column: index + 1,
    })
}

fn malformed(label: &str, e: &csv::Error) -> CsvError {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Io(io) => match io.get_ref().and_then(|e| e.downcast_ref::<GuardError>()) {
            Some(GuardError::RowTooLong { line, limit }) => CsvError::RowTooLong {
                line: *line,
                limit: *limit,
            },
            Some(GuardError::UnclosedQuote { line, column }) => CsvError::UnclosedQuote {
                line: *line,
                column: *column,
            },
            None => CsvError::Io {
                path: label.to_owned(),
                source: io::Error::new(io.kind(), io.to_string()),
            },
        },
        _ => CsvError::Malformed {
            line,
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{CellFormat, ColumnData, ColumnKind, MISSING_CODE};

    fn numeric(t: &Table, name: &str) -> Vec<f64> {
        match &t.column(name).map(|c| &c.data) {
            Some(ColumnData::Numeric(v)) => v.clone(),
            other => panic!("`{name}` is not numeric: {other:?}"),
        }
    }

    #[test]
    fn infers_numeric_and_categorical_columns() {
        let t = parse_csv(b"age,region,spend\n34,north,12.5\n51,south,-3\n").unwrap();
        assert_eq!(t.n_rows(), 2);
        let kinds: Vec<_> = t.columns().iter().map(|c| c.kind()).collect();
        assert_eq!(
            kinds,
            [
                ColumnKind::Numeric,
                ColumnKind::Categorical,
                ColumnKind::Numeric
            ]
        );
        assert_eq!(numeric(&t, "spend"), vec![12.5, -3.0]);
    }

    #[test]
    fn missing_markers_are_case_insensitive_and_kept_in_place() {
        let t = parse_csv(b"x,c\n1,a\nNA,n/a\n ,NULL\nnan,?\n5,b\n").unwrap();
        let x = numeric(&t, "x");
        assert_eq!(x[0], 1.0);
        assert!(x[1].is_nan() && x[2].is_nan() && x[3].is_nan());
        assert_eq!(x[4], 5.0);
        let c = t.column("c").unwrap();
        assert_eq!(c.kind(), ColumnKind::Categorical);
        assert_eq!(c.missing_count(), 3);
        assert!(c.is_missing(1) && c.is_missing(2) && c.is_missing(3));
    }

    #[test]
    fn a_column_that_is_all_missing_then_text_is_categorical() {
        let t = parse_csv(b"x,c\n1,\n2,NA\n3,yes\n").unwrap();
        let c = t.column("c").unwrap();
        assert_eq!(c.kind(), ColumnKind::Categorical);
        if let ColumnData::Categorical { codes, levels } = &c.data {
            assert_eq!(codes, &vec![MISSING_CODE, MISSING_CODE, 0]);
            assert_eq!(levels, &vec!["yes".to_string()]);
        }
    }

    #[test]
    fn numbers_then_text_rereads_the_column_keeping_the_original_spelling() {
        let t = parse_csv(b"zip,n\n007,1\n0100,2\nAB12,3\n").unwrap();
        let zip = t.column("zip").unwrap();
        assert_eq!(zip.kind(), ColumnKind::Categorical);
        let texts: Vec<_> = (0..3).map(|r| zip.text(r).unwrap().into_owned()).collect();
        assert_eq!(texts, ["007", "0100", "AB12"]);
        assert_eq!(numeric(&t, "n"), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn detects_semicolon_and_tab_delimiters() {
        // In a `;` file a comma is a decimal comma.
        let t = parse_csv(b"a;b;c\n1,5;2;x\n").unwrap();
        assert_eq!(t.n_cols(), 3);
        assert_eq!(numeric(&t, "a"), vec![1.5]);
        let t = parse_csv(b"a|b\n1|2\n").unwrap();
        assert_eq!(numeric(&t, "b"), vec![2.0]);
        let t = parse_csv(b"a\tb\n1\t2\n").unwrap();
        assert_eq!(numeric(&t, "b"), vec![2.0]);
        // Empty lines before the header do not hide its delimiter (found by
        // fuzzing: the file read as one column named `a;b;c`).
        let t = parse_csv(b"\r\n\na;b;c\n1,5;2;x\n").unwrap();
        assert_eq!(t.n_cols(), 3);
        assert_eq!(numeric(&t, "a"), vec![1.5]);
    }

    #[test]
    fn handles_bom_crlf_quotes_and_trailing_blank_lines() {
        let text = b"\xEF\xBB\xBFname,note,v\r\n\"Smith, J\",\"two\r\nlines\",1\r\n\"x\",\"say \"\"hi\"\"\",\"2.5\"\r\n\r\n\r\n,,\r\n";
        let t = parse_csv(text).unwrap();
        assert_eq!(t.n_rows(), 2);
        assert_eq!(t.column_names().next(), Some("name"));
        let name = t.column("name").unwrap();
        assert_eq!(name.text(0).as_deref(), Some("Smith, J"));
        let note = t.column("note").unwrap();
        assert_eq!(note.text(0).as_deref(), Some("two\r\nlines"));
        assert_eq!(note.text(1).as_deref(), Some("say \"hi\""));
        assert_eq!(numeric(&t, "v"), vec![1.0, 2.5]);
    }

    #[test]
    fn single_column_file_reads() {
        let t = parse_csv(b"only\n3\n4\n").unwrap();
        assert_eq!(numeric(&t, "only"), vec![3.0, 4.0]);
    }

    #[test]
    fn infinite_values_in_numeric_columns_are_rejected_with_their_place() {
        let err = parse_csv(b"a,b\n1,2\n3,1e400\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3, column 2 (`b`): `1e400` is not a finite number; replace it with a number or leave the cell empty"
        );
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let text: Vec<u8> = "a,b\n1,2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(matches!(parse_csv(&text), Err(CsvError::Utf16)));
    }

    fn note_texts(t: &Table) -> Vec<String> {
        t.notes().iter().map(|n| n.text.clone()).collect()
    }

    #[test]
    fn number_formats_are_decided_per_column_from_all_cells() {
        // Tab file, US grouping: `48,000` alone fits both readings; the
        // other column's `1,250,000` decides, and the note says so.
        let t =
            parse_csv(b"id\tincome\tvalue\nu1\t48,000\t3,400\nu2\t125,500\t1,250,000\n").unwrap();
        assert_eq!(numeric(&t, "income"), vec![48000.0, 125500.0]);
        assert_eq!(numeric(&t, "value"), vec![3400.0, 1_250_000.0]);
        assert!(
            note_texts(&t)
                .iter()
                .any(|n| n.contains("`income`") && n.contains("`value`"))
        );
        // `;` file: `12.500` next to `3.000,50` is twelve thousand five hundred.
        let t = parse_csv(b"a;b\n12.500;3.000,50\n7.250;12,5\n").unwrap();
        assert_eq!(numeric(&t, "a"), vec![12500.0, 7250.0]);
        assert_eq!(numeric(&t, "b"), vec![3000.5, 12.5]);
        // Nothing decides: the delimiter's convention, said in a note.
        let t = parse_csv(b"a,b\n\"1,234\",x\n\"2,500\",y\n").unwrap();
        assert_eq!(numeric(&t, "a"), vec![1234.0, 2500.0]);
        assert!(
            note_texts(&t)
                .iter()
                .any(|n| n.contains("`a`") && n.contains("usual"))
        );
        // Spaces and no-break spaces group thousands with a decimal comma.
        let t = parse_csv("a;b\n1 234,5;x\n2\u{a0}000,25;y\n".as_bytes()).unwrap();
        assert_eq!(numeric(&t, "a"), vec![1234.5, 2000.25]);
    }

    #[test]
    fn currency_and_percent_are_stripped_with_a_note() {
        let t = parse_csv(
            "avg,rate,eur\n\"$2,310.75\",15%,\"12,50 €\"\n$45.00,7.5%,\"3,00 €\"\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(numeric(&t, "avg"), vec![2310.75, 45.0]);
        assert_eq!(numeric(&t, "rate"), vec![15.0, 7.5]);
        assert_eq!(numeric(&t, "eur"), vec![12.5, 3.0]);
        let notes = note_texts(&t);
        assert!(
            notes
                .iter()
                .any(|n| n.contains("`avg`") && n.contains("currency $"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("`rate`") && n.contains("percent"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("`eur`") && n.contains("decimal comma"))
        );
        assert!(matches!(t.cell_format("avg"), CellFormat::Number(f) if f.currency == ["$"]));
    }

    #[test]
    fn spreadsheet_missing_tokens_are_missing_and_counted() {
        let t = parse_csv(b"income,spend,c\n#N/A,1,a\n5,#DIV/0!,None\nNone,<NA>,b\n7,-,NULL\n")
            .unwrap();
        let income = numeric(&t, "income");
        assert!(income[0].is_nan() && income[2].is_nan());
        assert_eq!(t.column("income").unwrap().missing_count(), 2);
        assert_eq!(t.column("spend").unwrap().missing_count(), 3);
        assert_eq!(t.column("c").unwrap().missing_count(), 2);
        assert!(
            note_texts(&t)
                .iter()
                .any(|n| n.contains("`income`: 2 cells read as missing: `#N/A` (1), `None` (1)"))
        );
    }

    #[test]
    fn a_stray_word_in_a_numeric_column_is_missing_with_its_line() {
        let mut text = String::from("tenure,plan\n");
        for i in 0..60 {
            if i == 45 {
                text.push_str("unknown,a\n");
            } else {
                text.push_str(&format!("{i},b\n"));
            }
        }
        let t = parse_csv(text.as_bytes()).unwrap();
        let tenure = numeric(&t, "tenure");
        assert!(tenure[45].is_nan());
        assert_eq!(t.column("tenure").unwrap().missing_count(), 1);
        let warning = t
            .notes()
            .iter()
            .find(|n| n.column.as_deref() == Some("tenure"))
            .unwrap();
        assert_eq!(warning.severity, crate::data::notes::Severity::Warning);
        assert!(
            warning.text.contains("line 47") && warning.text.contains("`unknown`"),
            "{}",
            warning.text
        );
        // A column that is really text stays text, spelled as written.
        let t = parse_csv(b"code\n1\n2\nA7\nB9\nC1\nD4\n").unwrap();
        assert_eq!(t.column("code").unwrap().kind(), ColumnKind::Categorical);
        assert_eq!(t.column("code").unwrap().text(0).as_deref(), Some("1"));
    }

    #[test]
    fn long_text_columns_are_read_in_one_pass_without_loss() {
        let mut text = String::from("answer,n\n");
        for i in 0..200 {
            text.push_str(if i % 3 == 0 { "yes," } else { "no," });
            text.push_str(&format!("{i}\n"));
        }
        let t = parse_csv(text.as_bytes()).unwrap();
        let c = t.column("answer").unwrap();
        assert_eq!(c.kind(), ColumnKind::Categorical);
        assert_eq!(c.missing_count(), 0);
        assert_eq!(c.text(3).as_deref(), Some("yes"));
    }

    #[test]
    fn excel_sep_line_and_crlf() {
        let t = parse_csv(b"sep=;\r\nname;spend\r\nk001;29,71\r\nk002;3\r\n").unwrap();
        assert_eq!(t.column_names().collect::<Vec<_>>(), ["name", "spend"]);
        assert_eq!(numeric(&t, "spend"), vec![29.71, 3.0]);
        assert_eq!(t.line_of_row(0), 3);
        let err = parse_csv(b"sep=;\r\na;b\r\n1;2\r\n1;2;3\r\n").unwrap_err();
        assert_eq!(err.line(), Some(4), "{err}");
    }

    #[test]
    fn trailing_delimiters_drop_an_empty_unnamed_column() {
        let t = parse_csv(b"a,b,\n1,x,\n2,y,\n").unwrap();
        assert_eq!(t.n_cols(), 2);
        assert!(
            note_texts(&t)
                .iter()
                .any(|n| n.contains("ends with a delimiter"))
        );
        // Only the data rows end with one.
        let t = parse_csv(b"a,b\n1,x,\n2,y,\n").unwrap();
        assert_eq!(t.n_cols(), 2);
        assert!(note_texts(&t).iter().any(|n| n.contains("2 data rows")));
        // A value under no name is refused with its place.
        let err = parse_csv(b"a,b,\n1,x,\n2,y,oops\n").unwrap_err();
        assert!(
            matches!(
                err,
                CsvError::UnnamedValue {
                    line: 3,
                    column: 3,
                    ..
                }
            ),
            "{err}"
        );
        let err = parse_csv(b"a,b\n1,x\n2,y,oops\n").unwrap_err();
        assert!(matches!(err, CsvError::FieldCount { line: 3, .. }), "{err}");
    }

    #[test]
    fn cr_only_line_ends_read_and_errors_name_the_right_line() {
        let t = parse_csv(b"a,b\r1,x\r2,y\r").unwrap();
        assert_eq!(t.n_rows(), 2);
        assert!(note_texts(&t).iter().any(|n| n.contains("CR")));
        let err = parse_csv(b"a,b\r1,x\r2,y\r3\r4,z\r").unwrap_err();
        assert_eq!(err.line(), Some(4), "{err}");
    }

    #[test]
    fn date_columns_become_days_since_1970() {
        let t = parse_csv(b"signup,n\n2024-03-15,1\n2024-03-16,2\n2023-12-31,3\n").unwrap();
        assert_eq!(numeric(&t, "signup"), vec![19797.0, 19798.0, 19722.0]);
        assert!(matches!(t.cell_format("signup"), CellFormat::Date(_)));
        assert!(note_texts(&t).iter().any(|n| n.contains("`signup`: dates")));
    }

    #[test]
    fn spaces_around_text_are_removed_with_a_note() {
        let t = parse_csv(b"a,n\n Yes ,1\nYes,2\nno,3\n").unwrap();
        assert_eq!(t.column("a").unwrap().text(0).as_deref(), Some("Yes"));
        assert!(note_texts(&t).iter().any(|n| n.contains("` Yes `")));
    }
}
