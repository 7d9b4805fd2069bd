//! [`Table`] → CSV text: `,`-delimited, quoted where needed, missing cells
//! empty, numbers in their shortest exact form.

use std::io::Write;
use std::path::Path;

use thiserror::Error;

use super::table::Table;

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("cannot write `{path}`: {message}")]
    Io { path: String, message: String },
}

/// Writes `table` to any writer (a file, stdout, a buffer).
pub fn write_table<W: Write>(table: &Table, out: W) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(table.column_names())?;
    let mut record: Vec<String> = Vec::with_capacity(table.n_cols());
    for row in 0..table.n_rows() {
        record.clear();
        record.extend(
            table
                .columns()
                .iter()
                .map(|c| c.text(row).map_or_else(String::new, |t| t.into_owned())),
        );
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes `table` to a file at `path`, replacing it.
pub fn write_csv(table: &Table, path: &Path) -> Result<(), WriteError> {
    let err = |message: String| WriteError::Io {
        path: path.display().to_string(),
        message,
    };
    let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
    write_table(table, std::io::BufWriter::new(file)).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv::parse_csv;
    use crate::data::table::Column;

    #[test]
    fn round_trips_quotes_missing_and_numbers() {
        let t = Table::new(vec![
            Column::numeric("v", vec![1.5, f64::NAN, -3.0]),
            Column::categorical("s", &[Some("a, b"), Some("say \"x\""), None]),
        ])
        .unwrap();
        let mut buf = Vec::new();
        write_table(&t, &mut buf).unwrap();
        assert_eq!(parse_csv(&buf).unwrap(), t);
    }
}
