//! A request body of `POST /invocations` to the customers it holds: pure
//! bytes in, a table typed by the model (or the first bad record) out. No
//! HTTP here, so the fuzz target `serve_request` can reach every branch.
//!
//! Two bodies are read:
//!
//! - **`text/csv`**: one customer per line, no header, the model's input
//!   columns in training order ([`Pipeline::input_columns`]), comma
//!   separated with the usual CSV quoting; an empty cell (or a missing
//!   marker such as `NA`) is a missing value. Lines are the body's own,
//!   1-based.
//! - **`application/json`**: an array of objects keyed by column name, or
//!   `{"instances": [...]}` (SageMaker's JSON shape). A value is a string,
//!   a number, a boolean or `null` (missing); keys the model does not use
//!   are ignored; a key matches the model's column apart from case and
//!   surrounding spaces, as `predict` matches a header. Records are
//!   numbered from 1 in place of lines.
//!
//! Each cell is then read exactly as `predict` reads a file's
//! ([`RawTable::typed`](crate::data::csv::RawTable::typed)): a category as text, a number or date in the
//! training file's format. Where `predict` reads a cell that does not fit
//! as missing (with a warning for the file), a request is refused instead,
//! naming the first bad record's line and column: an endpoint has no one
//! to read warnings, and one bad cell must never turn into a quiet answer.

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;

use super::csv_body::{Cells, csv_records, looks_like_header};
use crate::data::csv::is_missing_marker;
use crate::data::numbers::DecimalMark;
use crate::data::prep::{FeatureStep, Pipeline};
use crate::data::table::{CellFormat, Column, Table};

/// How a request body is written, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Csv,
    Json,
}

impl BodyFormat {
    /// The format of a `Content-Type` value (`text/csv; charset=utf-8`
    /// → CSV); `None` for any other media type.
    pub fn from_media_type(value: &str) -> Option<BodyFormat> {
        let media = value.split(';').next().unwrap_or_default().trim();
        if media.eq_ignore_ascii_case("text/csv") {
            Some(BodyFormat::Csv)
        } else if media.eq_ignore_ascii_case("application/json") {
            Some(BodyFormat::Json)
        } else {
            None
        }
    }
}

/// Where in the body a problem is: a CSV line or a JSON record, and the
/// model's column when one cell is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub format: BodyFormat,
    /// 1-based line (CSV) or record (JSON).
    pub record: u64,
    /// 1-based column in training order and its name.
    pub column: Option<(usize, String)>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.format {
            BodyFormat::Csv => "line",
            BodyFormat::Json => "record",
        };
        write!(f, "{what} {}", self.record)?;
        if let Some((index, name)) = &self.column {
            write!(f, ", column {index} (`{name}`)")?;
        }
        Ok(())
    }
}

/// Why a body was refused (HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    #[error("{place}: {message}")]
    Record { place: Place, message: String },
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    #[error("a JSON body is an array of objects keyed by column name, or {{\"instances\": [...]}}")]
    JsonShape,
    #[error("the body holds no customers")]
    Empty,
}

/// The customers of one request, typed by the model.
#[derive(Debug, Clone)]
pub struct Customers {
    /// The model's input columns, one row per customer, in body order.
    pub table: Table,
    /// The line (CSV) or record number (JSON) of each row.
    pub lines: Vec<u64>,
}

/// Reads `body` as `format` into the model's input columns.
///
/// # Errors
/// The first bad record with its line (or record number) and column: a
/// wrong number of values, a number or date the model's format does not
/// read, a value too large to scale, a missing JSON key; or a body that is
/// not CSV / JSON of that shape, or holds no customers.
pub fn parse_body(
    body: &[u8],
    format: BodyFormat,
    pipeline: &Pipeline,
) -> Result<Customers, RequestError> {
    let names: Vec<String> = pipeline.input_columns().map(str::to_owned).collect();
    let (cells, lines) = match format {
        BodyFormat::Csv => csv_records(body, &names)?,
        BodyFormat::Json => json_records(body, pipeline)?,
    };
    if cells.is_empty() {
        return Err(RequestError::Empty);
    }
    if format == BodyFormat::Csv && looks_like_header(&cells, &names) {
        return Err(RequestError::Record {
            place: Place {
                format,
                record: lines[0],
                column: None,
            },
            message: "this is a header line (the model's column names); send customers only, one per line, without a header"
                .to_owned(),
        });
    }
    let table = typed_table(&cells, &lines, pipeline, format)?;
    Ok(Customers { table, lines })
}

/// The JSON body's records as cells in the model's column order, numbered
/// from 1.
fn json_records(body: &[u8], pipeline: &Pipeline) -> Result<(Cells, Vec<u64>), RequestError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| RequestError::Json(e.to_string()))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut object) => match object.remove("instances") {
            Some(serde_json::Value::Array(items)) => items,
            _ => return Err(RequestError::JsonShape),
        },
        _ => return Err(RequestError::JsonShape),
    };
    let mut cells = Cells::new(pipeline.steps.len());
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let number = i as u64 + 1;
        let place = |column: Option<(usize, String)>| Place {
            format: BodyFormat::Json,
            record: number,
            column,
        };
        let serde_json::Value::Object(object) = item else {
            return Err(RequestError::Record {
                place: place(None),
                message: "not an object keyed by column name".to_owned(),
            });
        };
        for (index, step) in pipeline.steps.iter().enumerate() {
            let name = step.column();
            let at = || place(Some((index + 1, name.to_owned())));
            let value = field(object, name).map_err(|message| RequestError::Record {
                place: at(),
                message,
            })?;
            let cell = json_cell(step, value).map_err(|message| RequestError::Record {
                place: at(),
                message,
            })?;
            cells.push_cell(cell.as_bytes());
        }
        lines.push(number);
    }
    Ok((cells, lines))
}

/// The value under `name`: that key, or the one key equal to it apart from
/// case and surrounding spaces.
fn field<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<&'a serde_json::Value, String> {
    if let Some(value) = object.get(name) {
        return Ok(value);
    }
    let key = name.trim().to_lowercase();
    let close: Vec<(&String, &serde_json::Value)> = object
        .iter()
        .filter(|(k, _)| k.trim().to_lowercase() == key)
        .collect();
    match close.as_slice() {
        [(_, value)] => Ok(value),
        [] => Err(format!(
            "no `{name}` in the record (send null for a missing value)"
        )),
        several => {
            let keys: Vec<String> = several.iter().map(|(k, _)| format!("`{k}`")).collect();
            Err(format!(
                "{} all match `{name}` apart from case; send one",
                keys.join(" and ")
            ))
        }
    }
}

/// A JSON value as the cell text a CSV file would hold. A JSON number for
/// a number column is written with the model's decimal mark, so a model
/// trained on `3,5` reads `3.5` sent as a number.
fn json_cell(step: &FeatureStep, value: &serde_json::Value) -> Result<String, String> {
    match value {
        serde_json::Value::Null => Ok(String::new()),
        serde_json::Value::String(text) => Ok(text.clone()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        serde_json::Value::Number(n) => {
            let text = n.to_string();
            Ok(match step.cell_format() {
                CellFormat::Number(f) if f.decimal == DecimalMark::Comma => text.replace('.', ","),
                _ => text,
            })
        }
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            Err("a list or object where one value belongs".to_owned())
        }
    }
}

/// The model's input columns from the body's records, each cell read once
/// in its column's format: as `predict` reads a file with the model
/// ([`RawTable::typed`](crate::data::csv::RawTable::typed)), except that a cell `predict` would score as
/// missing with a warning refuses the request here.
///
/// Columns are read one at a time (each keeps one format and one buffer),
/// stopping at their first bad cell; of those, the one on the earliest
/// record (then the leftmost column) is reported, so the answer names the
/// same cell a row-by-row reading would.
///
/// # Errors
/// The first bad cell's record, column and reason.
fn typed_table(
    cells: &Cells,
    lines: &[u64],
    pipeline: &Pipeline,
    format: BodyFormat,
) -> Result<Table, RequestError> {
    let mut columns = Vec::with_capacity(pipeline.steps.len());
    // (record index, column index, reason) of the earliest bad cell so far.
    let mut first_bad: Option<(usize, usize, String)> = None;
    for (index, step) in pipeline.steps.iter().enumerate() {
        let cells = cells.column(index).map(decode);
        let column = match step.cell_format() {
            CellFormat::Text => {
                let labels: Vec<Option<Cow<'_, str>>> = cells
                    .map(|cell| {
                        let trimmed = cell.trim();
                        (!is_missing_marker(trimmed)).then(|| match cell {
                            Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
                            Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
                        })
                    })
                    .collect();
                Ok(Column::categorical(step.column(), &labels))
            }
            CellFormat::Number(f) => read_numbers(step, cells, |c| f.parse(c), "a number"),
            CellFormat::Date(f) => read_numbers(step, cells, |c| f.parse(c), "a date"),
        };
        match column {
            Ok(column) => columns.push(column),
            Err((row, message)) => {
                if first_bad.as_ref().is_none_or(|(r, _, _)| row < *r) {
                    first_bad = Some((row, index, message));
                }
            }
        }
    }
    if let Some((row, index, message)) = first_bad {
        let column = pipeline.steps.get(index).map(|s| s.column().to_owned());
        return Err(RequestError::Record {
            place: Place {
                format,
                record: lines.get(row).copied().unwrap_or_default(),
                column: column.map(|name| (index + 1, name)),
            },
            message,
        });
    }
    // Names are the model's (unique) and every column has one cell per
    // record, so this cannot fail.
    Table::new(columns).map_err(|e| RequestError::Record {
        place: Place {
            format,
            record: lines.first().copied().unwrap_or_default(),
            column: None,
        },
        message: e.to_string(),
    })
}

/// A cell's text: borrowed when it is UTF-8 (nearly always), else decoded
/// with replacement characters so it shows as an unknown value.
fn decode(cell: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(cell) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(cell),
    }
}

/// One number (or date) column: each trimmed cell read by `parse`, a
/// missing marker as NaN. Stops at the first cell that does not read, or
/// reads but cannot be scaled, with its record index and the reason.
fn read_numbers<'a>(
    step: &FeatureStep,
    cells: impl Iterator<Item = Cow<'a, str>>,
    parse: impl Fn(&str) -> Option<f64>,
    what: &str,
) -> Result<Column, (usize, String)> {
    let mut values = Vec::with_capacity(cells.size_hint().0);
    for (row, cell) in cells.enumerate() {
        let cell = cell.trim();
        if is_missing_marker(cell) {
            values.push(f64::NAN);
            continue;
        }
        match parse(cell).filter(|v| v.is_finite()) {
            None => return Err((row, format!("`{cell}` is not {what} in the model's format"))),
            Some(v) if !step.encode_number(v).is_some_and(f32::is_finite) => {
                return Err((
                    row,
                    format!("`{cell}` is too far outside the training range to be scaled"),
                ));
            }
            Some(v) => values.push(v),
        }
    }
    Ok(Column::numeric(step.column(), values))
}
