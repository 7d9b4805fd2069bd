//! CSV text → [`Table`], with type inference and errors that say where.
//!
//! Real customer exports are messy: `;` or tab delimiters, a UTF-8 BOM, CRLF
//! line ends, quoted fields with embedded delimiters or newlines, `NA`/`?`
//! markers. The reader streams records (the file's text is never held whole)
//! and infers each column's type on the way: numeric while every non-missing
//! value parses as a finite number, categorical otherwise.
//!
//! A column that turns out to be text after numbers were already stored has
//! lost its original spelling (`007` stored as `7`), so in that rare case the
//! file is read a second time with that column read as text from the start.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;

use thiserror::Error;

use super::table::{CategoricalBuilder, Column, ColumnData, Table};

/// How much of the file is inspected up front for the delimiter, a BOM, a
/// UTF-16 encoding or binary content.
const SNIFF_BYTES: usize = 64 * 1024;

/// Cell texts that mean "no value", compared case-insensitively after
/// trimming whitespace.
const MISSING_MARKERS: [&str; 6] = ["", "na", "n/a", "nan", "null", "?"];

#[derive(Debug, Error)]
pub enum CsvError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
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
    #[error("line {line}: {found} fields, but the header has {expected} columns")]
    FieldCount {
        line: u64,
        found: usize,
        expected: usize,
    },
    #[error("line {line}, column {column}: the text is not valid UTF-8; save the file as UTF-8")]
    InvalidUtf8 { line: u64, column: usize },
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
            | CsvError::Malformed { line, .. } => Some(*line),
            CsvError::Io { .. } | CsvError::Empty | CsvError::Utf16 => None,
        }
    }
}

/// Reads a CSV file from disk.
pub fn load_csv(path: &Path) -> Result<Table, CsvError> {
    let io_err = |source| CsvError::Io {
        path: path.display().to_string(),
        source,
    };
    if path.is_dir() {
        return Err(io_err(io::Error::other("it is a folder, not a file")));
    }
    let label = path.display().to_string();
    read_table(&label, || {
        File::open(path).map(BufReader::new).map_err(io_err)
    })
}

/// Reads CSV text held in memory.
pub fn parse_csv(bytes: &[u8]) -> Result<Table, CsvError> {
    read_table("the text", || Ok(Cursor::new(bytes)))
}

/// Whether a trimmed cell text means "missing".
pub fn is_missing_marker(text: &str) -> bool {
    MISSING_MARKERS.iter().any(|m| text.eq_ignore_ascii_case(m))
}

fn read_table<R: Read>(
    label: &str,
    mut open: impl FnMut() -> Result<R, CsvError>,
) -> Result<Table, CsvError> {
    let first = read_pass(label, open()?, None)?;
    match first {
        PassOutcome::Done(table) => Ok(table),
        PassOutcome::Retry(force_text) => match read_pass(label, open()?, Some(&force_text))? {
            PassOutcome::Done(table) => Ok(table),
            // A forced-text column never demotes, and the others see the same
            // values as in the first pass, so a second retry cannot happen.
            PassOutcome::Retry(_) => Err(CsvError::Malformed {
                line: 0,
                message: "the file changed while it was being read".to_owned(),
            }),
        },
    }
}

enum PassOutcome {
    Done(Table),
    /// Columns that must be read as text from the first row on.
    Retry(Vec<bool>),
}

/// One column being filled while the file streams by.
enum ColumnBuilder {
    Numeric {
        values: Vec<f64>,
        /// Whether a number was stored (then demoting it loses its spelling).
        any_value: bool,
        /// First value that parsed but is not finite (`inf`, `1e400`).
        first_non_finite: Option<(u64, String)>,
    },
    Text(CategoricalBuilder),
}

impl ColumnBuilder {
    fn push(&mut self, cell: &str, line: u64) -> Demotion {
        let cell = cell.trim();
        let missing = is_missing_marker(cell);
        match self {
            ColumnBuilder::Text(b) => {
                b.push((!missing).then_some(cell));
                Demotion::None
            }
            ColumnBuilder::Numeric {
                values,
                any_value,
                first_non_finite,
            } => {
                if missing {
                    values.push(f64::NAN);
                    return Demotion::None;
                }
                match cell.parse::<f64>() {
                    Ok(x) => {
                        if !x.is_finite() && first_non_finite.is_none() {
                            *first_non_finite = Some((line, cell.to_owned()));
                        }
                        values.push(x);
                        *any_value = true;
                        Demotion::None
                    }
                    Err(_) => {
                        let lossy = *any_value;
                        // Earlier cells were all missing (or are re-read in a
                        // second pass), so they become missing labels.
                        let mut b = CategoricalBuilder::default();
                        for _ in 0..values.len() {
                            b.push(None);
                        }
                        b.push(Some(cell));
                        *self = ColumnBuilder::Text(b);
                        if lossy {
                            Demotion::Lossy
                        } else {
                            Demotion::None
                        }
                    }
                }
            }
        }
    }
}

#[derive(PartialEq)]
enum Demotion {
    None,
    Lossy,
}

fn read_pass<R: Read>(
    label: &str,
    mut source: R,
    force_text: Option<&[bool]>,
) -> Result<PassOutcome, CsvError> {
    let mut sniff = Vec::with_capacity(SNIFF_BYTES);
    (&mut source)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut sniff)
        .map_err(|e| CsvError::Io {
            path: label.to_owned(),
            source: e,
        })?;
    check_encoding(&sniff)?;
    let body_start = if sniff.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    if sniff[body_start..].iter().all(u8::is_ascii_whitespace) {
        return Err(CsvError::Empty);
    }
    let delimiter = detect_delimiter(&sniff[body_start..]);
    let mut sniffed = Cursor::new(sniff);
    sniffed.set_position(body_start as u64);
    let reader = sniffed.chain(source);
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);

    let mut record = csv::ByteRecord::new();
    let names = read_header(label, &mut csv, &mut record)?;
    let n_cols = names.len();
    let mut builders: Vec<ColumnBuilder> = (0..n_cols)
        .map(|i| {
            if force_text.is_some_and(|f| f.get(i).copied().unwrap_or(false)) {
                ColumnBuilder::Text(CategoricalBuilder::default())
            } else {
                ColumnBuilder::Numeric {
                    values: Vec::new(),
                    any_value: false,
                    first_non_finite: None,
                }
            }
        })
        .collect();
    let mut lossy = vec![false; n_cols];
    let mut n_rows = 0usize;

    loop {
        let more = csv
            .read_byte_record(&mut record)
            .map_err(|e| malformed(label, &e))?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            // Blank lines and rows of empty cells (a spreadsheet's trailing
            // `,,,`) carry nothing.
            continue;
        }
        if record.len() != n_cols {
            return Err(CsvError::FieldCount {
                line,
                found: record.len(),
                expected: n_cols,
            });
        }
        for (i, field) in record.iter().enumerate() {
            let text = cell_text(field, line, i)?;
            if builders[i].push(text, line) == Demotion::Lossy {
                lossy[i] = true;
            }
        }
        n_rows += 1;
    }
    if n_rows == 0 {
        return Err(CsvError::HeaderOnly);
    }
    if lossy.iter().any(|&l| l) {
        let mut force: Vec<bool> = force_text.map_or_else(|| vec![false; n_cols], <[bool]>::to_vec);
        for (f, l) in force.iter_mut().zip(&lossy) {
            *f |= *l;
        }
        return Ok(PassOutcome::Retry(force));
    }

    let mut columns = Vec::with_capacity(n_cols);
    for (i, (name, builder)) in names.into_iter().zip(builders).enumerate() {
        let data = match builder {
            ColumnBuilder::Numeric {
                first_non_finite: Some((line, value)),
                ..
            } => {
                return Err(CsvError::NonFinite {
                    line,
                    column: i + 1,
                    name,
                    value,
                });
            }
            ColumnBuilder::Numeric { values, .. } => ColumnData::Numeric(values),
            ColumnBuilder::Text(b) => {
                let (codes, levels) = b.finish();
                ColumnData::Categorical { codes, levels }
            }
        };
        columns.push(Column { name, data });
    }
    Table::new(columns)
        .map(PassOutcome::Done)
        .map_err(|e| CsvError::Malformed {
            line: 1,
            message: e.to_string(),
        })
}

fn read_header<R: Read>(
    label: &str,
    csv: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
) -> Result<Vec<String>, CsvError> {
    if !csv
        .read_byte_record(record)
        .map_err(|e| malformed(label, &e))?
    {
        return Err(CsvError::Empty);
    }
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        let name = cell_text(field, 1, i)?.trim().to_owned();
        if name.is_empty() {
            return Err(CsvError::EmptyColumnName { column: i + 1 });
        }
        if let Some(first) = names.iter().position(|n| *n == name) {
            return Err(CsvError::DuplicateColumnName {
                name,
                column: i + 1,
                first: first + 1,
            });
        }
        names.push(name);
    }
    Ok(names)
}

fn cell_text(field: &[u8], line: u64, index: usize) -> Result<&str, CsvError> {
    if field.contains(&0) {
        return Err(CsvError::Binary { line });
    }
    std::str::from_utf8(field).map_err(|_| CsvError::InvalidUtf8 {
        line,
        column: index + 1,
    })
}

fn malformed(label: &str, e: &csv::Error) -> CsvError {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Io(io) => CsvError::Io {
            path: label.to_owned(),
            source: io::Error::new(io.kind(), io.to_string()),
        },
        _ => CsvError::Malformed {
            line,
            message: e.to_string(),
        },
    }
}

/// Rejects UTF-16 text and binary files before the CSV parser sees them.
fn check_encoding(sniff: &[u8]) -> Result<(), CsvError> {
    if sniff.starts_with(b"\xFF\xFE") || sniff.starts_with(b"\xFE\xFF") {
        return Err(CsvError::Utf16);
    }
    if let Some(pos) = sniff.iter().position(|&b| b == 0) {
        // UTF-16 without a BOM: ASCII text with a NUL after (or before)
        // every character.
        let pairs = sniff.len() / 2;
        let odd_nuls = sniff.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let even_nuls = sniff.iter().step_by(2).filter(|&&b| b == 0).count();
        if pairs >= 2 && (odd_nuls * 10 >= pairs * 9 || even_nuls * 10 >= pairs * 9) {
            return Err(CsvError::Utf16);
        }
        let line = 1 + sniff[..pos].iter().filter(|&&b| b == b'\n').count() as u64;
        return Err(CsvError::Binary { line });
    }
    Ok(())
}

/// Picks `,`, `;` or tab: whichever occurs most often, outside quotes, in
/// the header line. A single-column file has none and reads as `,`.
fn detect_delimiter(text: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for &b in text {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(c) = counts.iter_mut().find(|c| c.0 == b) {
                    c.1 += 1;
                }
            }
            _ => {}
        }
    }
    // On a tie the earlier entry (`,`) wins.
    counts
        .iter()
        .fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best })
        .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{ColumnKind, MISSING_CODE};

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
        let t = parse_csv(b"a;b;c\n1,5;2;x\n").unwrap();
        assert_eq!(t.n_cols(), 3);
        assert_eq!(t.column("a").unwrap().text(0).as_deref(), Some("1,5"));
        let t = parse_csv(b"a\tb\n1\t2\n").unwrap();
        assert_eq!(numeric(&t, "b"), vec![2.0]);
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

    #[test]
    fn delimiter_inside_quotes_does_not_count() {
        assert_eq!(detect_delimiter(b"\"a;b;c\",d\n"), b',');
        assert_eq!(detect_delimiter(b"a;b,c;d\n"), b';');
    }
}
