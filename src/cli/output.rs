//! What the subcommands print, and how: notes to standard error, aligned
//! text tables, one JSON object per line, progress bars that only a
//! terminal sees. Standard output is written through `writeln!` on a locked
//! handle, never `println!` (which panics when the reader has gone away:
//! `purchase-lab generate | head`); `main` turns that broken pipe into a
//! quiet exit.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::data::notes::DataNote;
use crate::data::prep::Prepared;

/// Notes to standard error, one line each.
pub fn print_notes(notes: &[DataNote]) {
    for note in notes {
        eprintln!("{note}");
    }
}

/// `value` as one line of JSON on `out`.
///
/// # Errors
/// Writing failed (a closed pipe included), or `value` has no JSON form.
pub fn write_json_line(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Rows of cells as left-aligned columns two spaces apart, each line
/// without trailing spaces. Widths count characters, not bytes.
pub fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// `1234 training rows, 309 test rows, 12 features (3 rows dropped …)`.
pub fn describe_prepared(prepared: &Prepared) -> String {
    format!(
        "{} training rows, {} test rows, {} features{}",
        prepared.train.x.rows,
        prepared.test.x.rows,
        prepared.pipeline.n_features(),
        if prepared.dropped_rows > 0 {
            format!(
                " ({} rows dropped for missing values)",
                prepared.dropped_rows
            )
        } else {
            String::new()
        }
    )
}

/// A progress bar on standard error with `template`, or a hidden one when
/// `visible` is false (JSON output, or standard error not a terminal).
pub fn progress_bar(len: u64, template: &str, visible: bool) -> indicatif::ProgressBar {
    let bar = if visible {
        indicatif::ProgressBar::new(len)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_pads_by_characters_and_trims_line_ends() {
        let rows = vec![
            vec!["a".to_owned(), "R²".to_owned(), "x".to_owned()],
            vec!["long".to_owned(), "b".to_owned(), String::new()],
        ];
        assert_eq!(aligned(&rows), "a     R²  x\nlong  b\n");
    }
}
