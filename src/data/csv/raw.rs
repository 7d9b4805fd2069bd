//! A file to score: every cell kept exactly as written, for the output,
//! and the model's columns typed by the model rather than by their looks.
//!
//! Training decides a column's type from its cells; scoring must not. A
//! customer reference `00e12345` looks like a number (0 × 10¹²³⁴⁵), and a
//! zip code `02134` that was a category in training looks like 2134. So the
//! scoring reader keeps cells as text ([`RawTable`]), writes them back byte
//! for byte, and reads only the model's input columns, each the way the
//! model file says ([`RawTable::typed`]).

use std::io::{Cursor, Write};
use std::path::Path;

use super::{CsvError, Records, check_file, is_missing_marker, open_file};
use crate::data::limits::CsvLimits;
use crate::data::notes::{DataNote, format_lines};
use crate::data::numbers::{DecimalMark, NumberFormat};
use crate::data::table::{CellFormat, Column, Table};

fn mark_name(mark: DecimalMark) -> &'static str {
    match mark {
        DecimalMark::Point => "point",
        DecimalMark::Comma => "comma",
    }
}

/// The model's columns of a scored file, typed by the model
/// ([`RawTable::typed`]).
#[derive(Debug, Clone)]
pub struct TypedTable {
    /// The model's input columns found in the file, under the model's names.
    pub table: Table,
    /// Cells that did not fit the model's format, names matched by case.
    pub notes: Vec<DataNote>,
    /// `(name in the file, the model's name)` for names matched apart from
    /// case or surrounding spaces.
    pub renamed: Vec<(String, String)>,
    /// `(the model's name, 0-based column in the file)` for each column
    /// found, for messages that name the file's own column.
    pub file_columns: Vec<(String, usize)>,
}

/// The cells of a file as written (after CSV unquoting), one record per
/// data row.
#[derive(Debug, Clone)]
pub struct RawTable {
    /// The header as written (trailing unnamed columns dropped).
    pub header: csv::ByteRecord,
    /// The header's names, trimmed.
    pub names: Vec<String>,
    pub delimiter: u8,
    /// One record per data row, `names.len()` fields each (rows of empty
    /// cells included, so output lines up with input).
    pub records: Vec<csv::ByteRecord>,
    /// 1-based file line of each record.
    pub lines: Vec<u64>,
    /// The records that hold a value (rows of empty cells are written back
    /// without a prediction): the rows [`RawTable::typed`] reads.
    pub scored: Vec<usize>,
    /// The file started with a UTF-8 byte-order mark, Excel's `sep=` line,
    /// or used CRLF line ends: the output does the same.
    bom: bool,
    sep_line: bool,
    crlf: bool,
    /// What the reader noticed about the layout (`sep=` line, CR line ends,
    /// trailing delimiters).
    pub notes: Vec<DataNote>,
}

/// Reads a file to score within the limits for this computer. A header
/// without rows is a table of no rows, not an error (a nightly batch on an
/// empty day).
pub fn read_raw(path: &Path) -> Result<RawTable, CsvError> {
    read_raw_with(path, &CsvLimits::from_env()?)
}

/// [`read_raw`] within explicit limits.
pub fn read_raw_with(path: &Path, limits: &CsvLimits) -> Result<RawTable, CsvError> {
    check_file(path, limits)?;
    read_raw_from(
        &path.display().to_string(),
        open_file(path)?,
        limits.max_row_bytes,
    )
}

/// [`read_raw`] of text held in memory.
pub fn parse_raw(bytes: &[u8]) -> Result<RawTable, CsvError> {
    let limits = CsvLimits::unlimited_file();
    read_raw_from("the text", Cursor::new(bytes), limits.max_row_bytes)
}

fn read_raw_from<R: std::io::Read>(
    label: &str,
    source: R,
    max_row_bytes: u64,
) -> Result<RawTable, CsvError> {
    let mut records = Records::open_with(label, source, max_row_bytes, true)?;
    let names = records.names.clone();
    let header = csv::ByteRecord::from(names.iter().map(String::as_str).collect::<Vec<_>>());
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    let mut record = csv::ByteRecord::new();
    // Cells are not checked here: a column the model does not use must
    // never make scoring fail. The model's columns are decoded in `typed`.
    let mut scored = Vec::new();
    let mut empty_lines = Vec::new();
    while let Some(line) = records.next_row(&mut record)? {
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            empty_lines.push(line);
        } else {
            scored.push(rows.len());
        }
        rows.push(record.clone());
        lines.push(line);
    }
    let mut notes = records.notes();
    if !empty_lines.is_empty() {
        notes.push(DataNote::warning(
            None,
            format!(
                "{} row{} of empty cells {} written back without a prediction ({})",
                empty_lines.len(),
                if empty_lines.len() == 1 { "" } else { "s" },
                if empty_lines.len() == 1 { "is" } else { "are" },
                format_lines(&empty_lines, empty_lines.len())
            ),
        ));
    }
    let layout = records.layout();
    Ok(RawTable {
        header: records.raw_header.clone().unwrap_or(header),
        names,
        delimiter: records.delimiter(),
        records: rows,
        lines,
        scored,
        bom: layout.bom,
        sep_line: layout.sep_line,
        crlf: layout.crlf,
        notes,
    })
}

impl RawTable {
    /// Cells that did not come from a file (a request body of `serve`),
    /// under `names`, one record per row with its 1-based `lines`: every
    /// row is scored, and [`RawTable::typed`] reads them exactly as it
    /// reads a file's. Written back, it is a plain comma-separated file.
    pub fn from_cells(names: Vec<String>, records: Vec<csv::ByteRecord>, lines: Vec<u64>) -> Self {
        let header = csv::ByteRecord::from(names.iter().map(String::as_str).collect::<Vec<_>>());
        RawTable {
            header,
            names,
            delimiter: b',',
            scored: (0..records.len()).collect(),
            records,
            lines,
            bom: false,
            sep_line: false,
            crlf: false,
            notes: Vec::new(),
        }
    }

    pub fn n_rows(&self) -> usize {
        self.records.len()
    }

    /// The file lines of the rows [`RawTable::typed`] reads.
    pub fn scored_lines(&self) -> Vec<u64> {
        self.scored.iter().map(|&r| self.lines[r]).collect()
    }

    /// Index of the file's column for the model's column `name`: the same
    /// name, or the one name that differs from it only in case or
    /// surrounding spaces (with a note). `None` when absent or ambiguous
    /// (then a warning says which names compete).
    pub fn find_column(&self, name: &str, notes: &mut Vec<DataNote>) -> Option<usize> {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return Some(i);
        }
        let key = name.trim().to_lowercase();
        let close: Vec<usize> = (0..self.names.len())
            .filter(|&i| self.names[i].trim().to_lowercase() == key)
            .collect();
        match close.as_slice() {
            [i] => Some(*i),
            [] => None,
            several => {
                let listed: Vec<String> = several
                    .iter()
                    .map(|&i| format!("`{}`", self.names[i]))
                    .collect();
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "the model's column `{name}` matches {} apart from case; rename the one to use to `{name}`",
                        listed.join(" and ")
                    ),
                ));
                None
            }
        }
    }

    /// A typed table of the model's input columns, each read the way the
    /// model file says: a categorical column as text whatever its cells
    /// look like, a numeric one in the training number format, a date
    /// column in the training date format. A cell that does not fit is
    /// read as missing, with a warning naming its line and column; columns
    /// the file lacks are left out (the pipeline names them).
    pub fn typed(&self, schema: &[(String, CellFormat)]) -> TypedTable {
        let mut notes = Vec::new();
        let mut renamed = Vec::new();
        let mut file_columns = Vec::with_capacity(schema.len());
        let mut columns = Vec::with_capacity(schema.len());
        for (name, format) in schema {
            let Some(index) = self.find_column(name, &mut notes) else {
                continue;
            };
            if self.names[index] != *name {
                renamed.push((self.names[index].clone(), name.clone()));
            }
            file_columns.push((name.clone(), index));
            // Text that is not UTF-8 is decoded with replacement
            // characters, so it shows up as an unknown value, not a crash.
            let decoded: Vec<std::borrow::Cow<'_, str>> = self
                .scored
                .iter()
                .map(|&r| String::from_utf8_lossy(self.records[r].get(index).unwrap_or_default()))
                .collect();
            let cells = decoded.iter().map(|c| c.trim());
            let here = match format {
                CellFormat::Number(f) => self.number_format_here(name, f, &decoded, &mut notes),
                _ => NumberFormat::default(),
            };
            let column = match format {
                CellFormat::Text => {
                    let labels: Vec<Option<&str>> = cells
                        .map(|c| (!is_missing_marker(c)).then_some(c))
                        .collect();
                    Column::categorical(name.clone(), &labels)
                }
                CellFormat::Number(_) => self.numbers(
                    name,
                    cells,
                    |c| here.parse(c),
                    "a number in the model's format",
                    &mut notes,
                ),
                CellFormat::Date(f) => self.numbers(
                    name,
                    cells,
                    |c| f.parse(c),
                    "a date in the model's format",
                    &mut notes,
                ),
            };
            columns.push(column);
        }
        // Names are the model's (unique) and every column has one cell per
        // record, so this cannot fail; an empty table is the safe fallback.
        let table = Table::new(columns).unwrap_or_default();
        TypedTable {
            table,
            notes,
            renamed,
            file_columns,
        }
    }

    /// The model's number format, or the other decimal mark when the cells
    /// here plainly use it (a decimal-point file scored with a model from a
    /// decimal-comma file): more cells read, and a warning says so.
    fn number_format_here(
        &self,
        name: &str,
        trained: &NumberFormat,
        cells: &[std::borrow::Cow<'_, str>],
        notes: &mut Vec<DataNote>,
    ) -> NumberFormat {
        let other = NumberFormat {
            decimal: match trained.decimal {
                DecimalMark::Point => DecimalMark::Comma,
                DecimalMark::Comma => DecimalMark::Point,
            },
            ..trained.clone()
        };
        let count = |f: &NumberFormat| {
            cells
                .iter()
                .map(|c| c.trim())
                .filter(|c| !is_missing_marker(c) && f.parse(c).is_some())
                .count()
        };
        let (as_trained, as_other) = (count(trained), count(&other));
        if as_other <= as_trained {
            return trained.clone();
        }
        notes.push(DataNote::warning(
            Some(name),
            format!(
                "`{name}` is written with a decimal {} here but with a decimal {} in the training file; read with a decimal {} ({as_other} cells read, {as_trained} would have)",
                mark_name(other.decimal),
                mark_name(trained.decimal),
                mark_name(other.decimal)
            ),
        ));
        other
    }

    fn numbers<'a>(
        &self,
        name: &str,
        cells: impl Iterator<Item = &'a str>,
        parse: impl Fn(&str) -> Option<f64>,
        what: &str,
        notes: &mut Vec<DataNote>,
    ) -> Column {
        let mut values = Vec::with_capacity(self.scored.len());
        let mut bad = 0usize;
        let mut shown: Vec<(u64, String)> = Vec::new();
        for (row, cell) in cells.enumerate() {
            if is_missing_marker(cell) {
                values.push(f64::NAN);
                continue;
            }
            match parse(cell).filter(|v| v.is_finite()) {
                Some(v) => values.push(v),
                None => {
                    bad += 1;
                    if shown.len() < 5 {
                        shown.push((self.lines.get(row).copied().unwrap_or(0), cell.to_owned()));
                    }
                    values.push(f64::NAN);
                }
            }
        }
        if bad > 0 {
            let lines: Vec<u64> = shown.iter().map(|(l, _)| *l).collect();
            let examples: Vec<String> = shown.iter().map(|(_, c)| format!("`{c}`")).collect();
            notes.push(DataNote::warning(
                Some(name),
                format!(
                    "`{name}`: {bad} cell{} not {what} ({}) and {} scored as missing: {}",
                    if bad == 1 { " is" } else { "s are" },
                    examples.join(", "),
                    if bad == 1 { "is" } else { "are" },
                    format_lines(&lines, bad)
                ),
            ));
        }
        Column::numeric(name, values)
    }

    /// Writes the file back, every cell as it was read, with `extra`
    /// columns (name, one text per scored row, in the order of
    /// [`RawTable::scored`]) appended; rows of empty cells get empty extra
    /// cells. The file's delimiter, byte-order mark, `sep=` line and line
    /// ends are kept.
    pub fn write_with<W: Write>(
        &self,
        extra: &[(String, Vec<String>)],
        mut out: W,
    ) -> Result<(), csv::Error> {
        let ending: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        if self.bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        if self.sep_line {
            out.write_all(b"sep=")?;
            out.write_all(&[self.delimiter])?;
            out.write_all(ending)?;
        }
        let terminator = if self.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(self.delimiter)
            .terminator(terminator)
            .from_writer(out);
        let mut header = self.header.clone();
        for (name, _) in extra {
            header.push_field(name.as_bytes());
        }
        writer.write_byte_record(&header)?;
        let mut row = csv::ByteRecord::new();
        let mut scored = self.scored.iter().enumerate().peekable();
        for (r, record) in self.records.iter().enumerate() {
            row.clear();
            for field in record {
                row.push_field(field);
            }
            let k = scored.next_if(|(_, s)| **s == r).map(|(k, _)| k);
            for (_, values) in extra {
                let value = k.and_then(|k| values.get(k)).map_or("", String::as_str);
                row.push_field(value.as_bytes());
            }
            writer.write_byte_record(&row)?;
        }
        writer.flush()?;
        Ok(())
    }

    /// A column name not in the file: `base`, else `base_predicted`, …
    pub fn free_name(&self, base: &str, taken: &[String]) -> String {
        let mut name = base.to_owned();
        while self.names.contains(&name) || taken.contains(&name) {
            name.push_str("_predicted");
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::ColumnData;

    fn rewrite(raw: &RawTable) -> String {
        let mut out = Vec::new();
        raw.write_with(
            &[("p".to_owned(), vec!["1".to_owned(); raw.n_rows()])],
            &mut out,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn cells_are_written_back_as_written() {
        let text = "ref,visits,amount\n00e12345,17,1.50\n7e000400, 3 ,\"1,234\"\n0012,4,NA\n";
        let raw = parse_raw(text.as_bytes()).unwrap();
        assert_eq!(
            rewrite(&raw),
            "ref,visits,amount,p\n00e12345,17,1.50,1\n7e000400, 3 ,\"1,234\",1\n0012,4,NA,1\n"
        );
    }

    #[test]
    fn the_model_decides_each_columns_type() {
        let raw = parse_raw(b"zip;spend;when\n02134;1.234,5;2024-03-15\n2134;abc;x\n").unwrap();
        let comma = NumberFormat {
            decimal: DecimalMark::Comma,
            ..NumberFormat::default()
        };
        let schema = vec![
            ("zip".to_owned(), CellFormat::Text),
            ("spend".to_owned(), CellFormat::Number(comma)),
        ];
        let typed = raw.typed(&schema);
        let (table, notes) = (typed.table, typed.notes);
        let zip = table.column("zip").unwrap();
        assert_eq!(zip.text(0).as_deref(), Some("02134"));
        assert_eq!(zip.text(1).as_deref(), Some("2134"));
        match &table.column("spend").unwrap().data {
            ColumnData::Numeric(v) => {
                assert_eq!(v[0], 1234.5);
                assert!(v[1].is_nan());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(notes.len(), 1);
        assert!(notes[0].text.contains("line 3"), "{}", notes[0].text);
        assert!(notes[0].text.contains("`abc`"), "{}", notes[0].text);
    }

    #[test]
    fn empty_rows_stay_in_place_and_the_layout_is_kept() {
        let raw = parse_raw(b"\xEF\xBB\xBFsep=;\r\na;b\r\n1;x\r\n;\r\n2;y\r\n").unwrap();
        assert_eq!(raw.scored, [0, 2]);
        assert_eq!(raw.scored_lines(), [3, 5]);
        let mut out = Vec::new();
        raw.write_with(
            &[("p".to_owned(), vec!["0.1".to_owned(), "0.2".to_owned()])],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\u{feff}sep=;\r\na;b;p\r\n1;x;0.1\r\n;;\r\n2;y;0.2\r\n"
        );
        assert!(raw.notes.iter().any(|n| n.text.contains("line 4")));
    }

    #[test]
    fn a_decimal_point_file_scored_by_a_decimal_comma_model_is_read_as_written() {
        let raw = parse_raw(b"spend\n29.71\n3.5\n").unwrap();
        let comma = NumberFormat {
            decimal: DecimalMark::Comma,
            ..NumberFormat::default()
        };
        let typed = raw.typed(&[("spend".to_owned(), CellFormat::Number(comma))]);
        match &typed.table.column("spend").unwrap().data {
            ColumnData::Numeric(v) => assert_eq!(v, &vec![29.71, 3.5]),
            other => panic!("{other:?}"),
        }
        assert!(typed.notes[0].text.contains("decimal point here"));
    }

    #[test]
    fn a_header_without_rows_is_an_empty_table() {
        let raw = parse_raw(b"a,b\n").unwrap();
        assert_eq!(raw.n_rows(), 0);
        assert_eq!(rewrite(&raw), "a,b,p\n");
    }

    #[test]
    fn names_that_differ_only_in_case_are_matched() {
        let raw = parse_raw(b"age,Income\n1,2\n").unwrap();
        let mut notes = Vec::new();
        assert_eq!(raw.find_column("Age", &mut notes), Some(0));
        assert!(notes.is_empty());
        let typed = raw.typed(&[("Age".to_owned(), CellFormat::Text)]);
        assert_eq!(typed.renamed, [("age".to_owned(), "Age".to_owned())]);
        assert_eq!(typed.table.column_names().collect::<Vec<_>>(), ["Age"]);
        let raw = parse_raw(b"age,AGE\n1,2\n").unwrap();
        let mut notes = Vec::new();
        assert_eq!(raw.find_column("Age", &mut notes), None);
        assert!(notes[0].text.contains("`age` and `AGE`"));
    }
}
