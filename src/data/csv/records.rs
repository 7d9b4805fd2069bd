//! The streaming record parser under both readers: sniffs the layout, reads
//! the header, yields data rows with their line numbers, and turns the csv
//! crate's and the row guard's errors into [`CsvError`]s.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Cursor, Read};
use std::rc::Rc;

use super::CsvError;
use super::guard::{CrToLf, GuardError, RowGuard};
use super::sniff::{Layout, SNIFF_BYTES, sniff_layout};
use crate::data::notes::DataNote;

/// The parser over one file, positioned after its header.
pub(crate) struct Records<'a> {
    csv: csv::Reader<RowGuard<Box<dyn Read + 'a>>>,
    /// Each row's first line, filled by the row guard.
    row_lines: Rc<RefCell<VecDeque<u64>>>,
    pub(super) layout: Layout,
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

    pub(super) fn layout(&self) -> Layout {
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
