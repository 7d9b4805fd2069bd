//! [`Table`] → CSV text: `,`-delimited, quoted where needed, missing cells
//! empty (`NA` in a row with no value at all, so it keeps its place),
//! numbers in their shortest exact form. What it writes reads back as the
//! same table (`purchase_lab::fuzzing::csv_reader` checks this).

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
pub fn write_table<W: Write>(table: &Table, mut out: W) -> Result<(), csv::Error> {
    let names: Vec<String> = table
        .column_names()
        .enumerate()
        .map(|(i, name)| header_field(name, i == 0))
        .collect();
    out.write_all(names.join(",").as_bytes())?;
    out.write_all(b"\n")?;
    let mut w = csv::Writer::from_writer(out);
    let mut record: Vec<String> = Vec::with_capacity(table.n_cols());
    for row in 0..table.n_rows() {
        record.clear();
        // A row with no value at all is written as `NA`s: empty cells alone
        // (`,,` or `""`) read back as a blank line, which the reader skips,
        // and every later row would move up one.
        let all_missing = table.columns().iter().all(|c| c.is_missing(row));
        let missing = if all_missing { "NA" } else { "" };
        record.extend(table.columns().iter().map(|c| {
            c.text(row)
                .map_or_else(|| missing.to_owned(), |t| t.into_owned())
        }));
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

/// A column name as the header writes it: quoted when it holds a `,`, a
/// quote or a line break (as the CSV writer quotes cells), and also when it
/// holds `;`, a tab or `|`, which the reader would otherwise count when it
/// sniffs the delimiter from the header line, or when the first name starts
/// with U+FEFF, which would read as a byte-order mark.
fn header_field(name: &str, first: bool) -> String {
    let quote = name.contains([',', '"', '\r', '\n', ';', '\t', '|'])
        || (first && name.starts_with('\u{feff}'));
    if quote {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_owned()
    }
}

/// Writes `table` to a file at `path`, replacing it.
pub fn write_csv(table: &Table, path: &Path) -> Result<(), WriteError> {
    let err = |message: String| WriteError::Io {
        path: path.display().to_string(),
        message,
    };
    crate::save::save_with(path, |w| {
        write_table(table, w).map_err(std::io::Error::other)
    })
    .map_err(|e| err(e.to_string()))
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

    #[test]
    fn column_names_never_change_the_sniffed_delimiter() {
        let t = Table::new(vec![
            Column::numeric("\u{feff}a;b;c", vec![1.0]),
            Column::numeric("|", vec![2.0]),
            Column::numeric("x\ty", vec![3.0]),
            Column::numeric("say \"hi\", then", vec![4.0]),
        ])
        .unwrap();
        let mut buf = Vec::new();
        write_table(&t, &mut buf).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&buf),
            "\"\u{feff}a;b;c\",\"|\",\"x\ty\",\"say \"\"hi\"\", then\"\n1,2,3,4\n"
        );
        assert_eq!(parse_csv(&buf).unwrap(), t);
    }

    #[test]
    fn a_row_without_values_keeps_its_place() {
        let t = Table::new(vec![
            Column::numeric("v", vec![1.0, f64::NAN, 3.0]),
            Column::categorical("s", &[Some("a"), None, None]),
        ])
        .unwrap();
        let mut buf = Vec::new();
        write_table(&t, &mut buf).unwrap();
        assert_eq!(String::from_utf8_lossy(&buf), "v,s\n1,a\nNA,NA\n3,\n");
        assert_eq!(parse_csv(&buf).unwrap(), t);
        let one = Table::new(vec![Column::numeric("v", vec![f64::NAN, 2.0])]).unwrap();
        buf.clear();
        write_table(&one, &mut buf).unwrap();
        assert_eq!(parse_csv(&buf).unwrap(), one);
    }
}
