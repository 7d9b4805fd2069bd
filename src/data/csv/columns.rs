//! One column's cells while the file streams by, and the decisions made at
//! the end of the file: numbers or text, the decimal mark, dates, and a
//! note for everything that was reinterpreted.

use std::collections::BTreeMap;

use super::CsvError;
use crate::data::dates::{self, DateFormat};
use crate::data::notes::{DataNote, format_lines};
use crate::data::numbers::{DecimalMark, NumberColumn, Pushed};
use crate::data::table::{CategoricalBuilder, CellFormat, Column, ColumnData, MISSING_CODE};

/// Cell texts that mean "no value", compared case-insensitively after
/// trimming whitespace: R's and pandas' markers, database NULLs, Excel's
/// error values, and the dashes reports put in empty cells.
const MISSING_MARKERS: [&str; 24] = [
    "", "na", "n/a", "n.a.", "n.a", "nan", "-nan", "null", "none", "nil", "<na>", "<null>", "?",
    "-", "--", "#n/a", "#na", "#n/a n/a", "#div/0!", "#value!", "#null!", "#ref!", "#name?",
    "#num!",
];

/// Every missing-value marker, lower case (the empty cell first), for
/// readers outside this crate that must read cells as we do (the ONNX
/// file's metadata for scripts/onnx_cells.py).
pub fn missing_markers() -> &'static [&'static str] {
    &MISSING_MARKERS
}

/// Whether a trimmed cell text means "missing".
pub fn is_missing_marker(text: &str) -> bool {
    // Every marker starts with a letter, `?`, `<`, `#` or `-` (or is
    // empty), so a cell starting with a digit, i.e. nearly every cell of a
    // numeric column, skips the comparisons.
    // So does a signed number (`-45.1`): half the cells of some columns.
    match text.as_bytes() {
        [first, ..] if first.is_ascii_digit() => return false,
        [b'-' | b'+' | b'.', second, ..] if second.is_ascii_digit() => return false,
        _ => {}
    }
    MISSING_MARKERS.iter().any(|m| text.eq_ignore_ascii_case(m))
}

/// At most this many different missing markers are counted per column.
const TOKEN_KINDS_KEPT: usize = 16;

/// Text cells as categories.
#[derive(Default)]
struct TextColumn {
    cats: CategoricalBuilder,
}

enum Reading {
    Number(NumberColumn),
    Text(TextColumn),
}

/// One column being read.
pub(super) struct ColumnReader {
    reading: Reading,
    /// Non-empty missing markers as written, with their counts.
    tokens: BTreeMap<String, usize>,
    /// Values that had spaces around them (said for text columns, where
    /// trimming changes a label; a number reads the same either way).
    trimmed: usize,
    trimmed_example: Option<String>,
}

impl ColumnReader {
    pub(super) fn new(force_text: bool) -> ColumnReader {
        ColumnReader {
            reading: if force_text {
                Reading::Text(TextColumn::default())
            } else {
                Reading::Number(NumberColumn::new())
            },
            tokens: BTreeMap::new(),
            trimmed: 0,
            trimmed_example: None,
        }
    }

    /// Adds one cell. `true` when the column just turned out to be text
    /// after numbers were stored (their spelling is lost: read again).
    pub(super) fn push(&mut self, raw: &str, line: u64) -> bool {
        // Most cells have nothing to trim: skip the Unicode-aware trim
        // when both ends are visible ASCII.
        let bytes = raw.as_bytes();
        let cell = match (bytes.first(), bytes.last()) {
            (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => raw,
            _ => raw.trim(),
        };
        if is_missing_marker(cell) {
            if !cell.is_empty()
                && (self.tokens.len() < TOKEN_KINDS_KEPT || self.tokens.contains_key(cell))
            {
                *self.tokens.entry(cell.to_owned()).or_default() += 1;
            }
            match &mut self.reading {
                Reading::Number(n) => n.push_missing(),
                Reading::Text(t) => t.cats.push(None),
            }
            return false;
        }
        if cell.len() != raw.len() {
            self.trimmed += 1;
            self.trimmed_example.get_or_insert_with(|| raw.to_owned());
        }
        match &mut self.reading {
            Reading::Text(t) => {
                t.cats.push(Some(cell));
                false
            }
            Reading::Number(n) => {
                if n.push(cell, line) == Pushed::Stray && n.is_text() {
                    self.become_text()
                } else {
                    false
                }
            }
        }
    }

    /// The end-of-file decision for a numeric column: text if its words
    /// are too many. `true` when that loses stored numbers (read again).
    pub(super) fn settle(&mut self) -> bool {
        match &self.reading {
            Reading::Number(n) if n.is_text_at_end() => self.become_text(),
            _ => false,
        }
    }

    /// Turns a numeric column into text; `true` when that is lossy.
    fn become_text(&mut self) -> bool {
        let Reading::Number(n) = &self.reading else {
            return false;
        };
        let lossy = !n.can_become_text_losslessly();
        let mut text = TextColumn::default();
        if !lossy {
            // Every non-missing cell so far is a kept stray.
            let mut strays = n.stray_samples.iter().peekable();
            for row in 0..n.values.len() {
                match strays.next_if(|s| s.row == row) {
                    Some(s) => text.cats.push(Some(&s.text)),
                    None => text.cats.push(None),
                }
            }
        } else {
            // Placeholder codes; the file is read again with this column as
            // text from the first row.
            for _ in 0..n.values.len() {
                text.cats.push(None);
            }
        }
        self.reading = Reading::Text(text);
        lossy
    }
}

/// Builds the columns at the end of the file: decides each numeric
/// column's decimal mark (its own evidence, else the file's, else the
/// delimiter's convention), recognises date columns, and writes a note for
/// each reinterpretation. Errors for a number beyond `f64`.
pub(super) fn finish_columns(
    names: Vec<String>,
    readers: Vec<ColumnReader>,
    delimiter: u8,
    row_lines: &[u64],
    notes: &mut Vec<DataNote>,
) -> Result<(Vec<Column>, BTreeMap<String, CellFormat>), CsvError> {
    let file_mark = file_decimal_mark(&names, &readers, delimiter);
    let mut columns = Vec::with_capacity(names.len());
    let mut formats = BTreeMap::new();
    for (i, (name, reader)) in names.into_iter().zip(readers).enumerate() {
        let ColumnReader {
            reading,
            tokens,
            trimmed,
            trimmed_example,
        } = reader;
        let data = match reading {
            Reading::Number(n) => {
                if let Some((line, value)) = n.first_non_finite.clone() {
                    return Err(CsvError::NonFinite {
                        line,
                        column: i + 1,
                        name,
                        value,
                    });
                }
                finish_number(&name, n, &file_mark, notes, &mut formats)
            }
            Reading::Text(t) => {
                if trimmed > 0 {
                    notes.push(DataNote::info(
                        Some(&name),
                        format!(
                            "`{name}`: spaces around {trimmed} value{} removed (e.g. `{}`)",
                            plural(trimmed),
                            trimmed_example.as_deref().unwrap_or("")
                        ),
                    ));
                }
                finish_text(&name, t, row_lines, notes, &mut formats)
            }
        };
        if !tokens.is_empty() {
            let total: usize = tokens.values().sum();
            let listed: Vec<String> = tokens.iter().map(|(t, n)| format!("`{t}` ({n})")).collect();
            notes.push(DataNote::info(
                Some(&name),
                format!(
                    "`{name}`: {total} cell{} read as missing: {}",
                    plural(total),
                    listed.join(", ")
                ),
            ));
        }
        columns.push(Column { name, data });
    }
    Ok((columns, formats))
}

/// The mark for columns whose cells fit both (`48,000`): what the file's
/// other columns show, else the delimiter's convention (a decimal comma in
/// a `;` file, a decimal point otherwise), with the reason for the note.
struct FileMark {
    mark: DecimalMark,
    reason: String,
}

fn file_decimal_mark(names: &[String], readers: &[ColumnReader], delimiter: u8) -> FileMark {
    let mut shown: [(usize, Option<&str>); 2] = [(0, None), (0, None)];
    for (name, reader) in names.iter().zip(readers) {
        if let Reading::Number(n) = &reader.reading
            && let Some(mark) = n.evidence()
        {
            let slot = &mut shown[usize::from(mark == DecimalMark::Comma)];
            slot.0 += 1;
            slot.1.get_or_insert(name.as_str());
        }
    }
    let (points, commas) = (shown[0], shown[1]);
    if points.0 != commas.0 {
        let (mark, by) = if points.0 > commas.0 {
            (DecimalMark::Point, points.1)
        } else {
            (DecimalMark::Comma, commas.1)
        };
        return FileMark {
            mark,
            reason: format!("as column `{}` shows", by.unwrap_or("?")),
        };
    }
    match delimiter {
        b';' => FileMark {
            mark: DecimalMark::Comma,
            reason: "as is usual in a `;`-separated file".to_owned(),
        },
        b'\t' => FileMark {
            mark: DecimalMark::Point,
            reason: "as is usual in a tab-separated file".to_owned(),
        },
        d => FileMark {
            mark: DecimalMark::Point,
            reason: format!(
                "as is usual in a `{}`-separated file",
                char::from(d).escape_default()
            ),
        },
    }
}

fn finish_number(
    name: &str,
    n: NumberColumn,
    file_mark: &FileMark,
    notes: &mut Vec<DataNote>,
    formats: &mut BTreeMap<String, CellFormat>,
) -> ColumnData {
    let own = n.evidence();
    let mark = own.unwrap_or(file_mark.mark);
    if own.is_none()
        && let Some(example) = &n.ambiguous_example
    {
        let reading = crate::data::numbers::NumberFormat {
            decimal: mark,
            ..Default::default()
        }
        .parse(example)
        .map_or_else(String::new, |v| format!(" ({example} = {v})"));
        let sep = if example.contains(',') { ',' } else { '.' };
        let role = if sep == mark.symbol() {
            "the decimal mark"
        } else {
            "a thousands separator"
        };
        notes.push(DataNote::warning(
            Some(name),
            format!(
                "`{name}`: cells such as `{example}` fit two readings; `{sep}` was read as {role}{reading}, {}",
                file_mark.reason
            ),
        ));
    }
    let strays = n.strays;
    let samples: Vec<(u64, String)> = n
        .stray_samples
        .iter()
        .map(|s| (s.line, s.text.clone()))
        .collect();
    let words: Vec<String> = n.stray_words.clone();
    let (values, format) = n.finish(mark);
    if strays > 0 {
        let lines: Vec<u64> = samples.iter().map(|(l, _)| *l).collect();
        let words: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
        notes.push(DataNote::warning(
            Some(name),
            format!(
                "`{name}`: {strays} cell{} not a number ({}) and {} read as missing: {}",
                plural(strays),
                words.join(", "),
                if strays == 1 { "was" } else { "were" },
                format_lines(&lines, strays)
            ),
        ));
    }
    let described = format.describe();
    if !described.is_empty() {
        notes.push(DataNote::info(
            Some(name),
            format!("`{name}`: numbers read with {described}"),
        ));
    }
    if !format.is_plain() {
        formats.insert(name.to_owned(), CellFormat::Number(format));
    }
    ColumnData::Numeric(values)
}

fn finish_text(
    name: &str,
    t: TextColumn,
    row_lines: &[u64],
    notes: &mut Vec<DataNote>,
    formats: &mut BTreeMap<String, CellFormat>,
) -> ColumnData {
    let (codes, levels) = t.cats.finish();
    let refs: Vec<&str> = levels.iter().map(String::as_str).collect();
    let Some(found) = dates::detect(&refs) else {
        return ColumnData::Categorical { codes, levels };
    };
    dates_to_days(
        name,
        &codes,
        &levels,
        found.format,
        found.ambiguous_order,
        row_lines,
        notes,
        formats,
    )
}

/// A date column as days since 1970-01-01; cells that are no date in the
/// column's format become missing, with a warning.
#[allow(clippy::too_many_arguments)]
fn dates_to_days(
    name: &str,
    codes: &[u32],
    levels: &[String],
    format: DateFormat,
    ambiguous_order: bool,
    row_lines: &[u64],
    notes: &mut Vec<DataNote>,
    formats: &mut BTreeMap<String, CellFormat>,
) -> ColumnData {
    let days: Vec<Option<f64>> = levels.iter().map(|l| format.parse(l)).collect();
    let mut values = Vec::with_capacity(codes.len());
    let mut bad_lines = Vec::new();
    let mut bad = 0usize;
    for (row, &code) in codes.iter().enumerate() {
        let value = if code == MISSING_CODE {
            f64::NAN
        } else if let Some(d) = days.get(code as usize).copied().flatten() {
            d
        } else {
            bad += 1;
            if bad_lines.len() < 5 {
                bad_lines.push(row_lines.get(row).copied().unwrap_or(row as u64 + 2));
            }
            f64::NAN
        };
        values.push(value);
    }
    notes.push(DataNote::info(
        Some(name),
        format!(
            "`{name}`: dates ({}) read as days since 1970-01-01, so the model sees time as a number",
            format.describe()
        ),
    ));
    if ambiguous_order {
        notes.push(DataNote::warning(
            Some(name),
            format!(
                "`{name}`: every date fits both day/month and month/day order; read as day first"
            ),
        ));
    }
    if bad > 0 {
        notes.push(DataNote::warning(
            Some(name),
            format!(
                "`{name}`: {bad} cell{} not a date in that format and {} read as missing: {}",
                plural(bad),
                if bad == 1 { "was" } else { "were" },
                format_lines(&bad_lines, bad)
            ),
        ));
    }
    formats.insert(name.to_owned(), CellFormat::Date(format));
    ColumnData::Numeric(values)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_missing_marker_starts_with_a_digit() {
        // `is_missing_marker` relies on this to skip the comparisons.
        for marker in MISSING_MARKERS {
            assert!(
                !marker.as_bytes().first().is_some_and(u8::is_ascii_digit),
                "{marker}"
            );
            let signed_number = matches!(
                marker.as_bytes(),
                [b'-' | b'+' | b'.', second, ..] if second.is_ascii_digit()
            );
            assert!(!signed_number, "{marker}");
        }
    }

    #[test]
    fn spreadsheet_and_database_markers_are_missing_in_any_case() {
        for m in [
            "#N/A", "#DIV/0!", "#VALUE!", "#NULL!", "None", "<NA>", "NULL", "-", "n.a.", "N/A",
            "nan", "",
        ] {
            assert!(is_missing_marker(m), "{m}");
        }
        for m in ["-1", "0", "no", "unknown", "n"] {
            assert!(!is_missing_marker(m), "{m}");
        }
    }
}
