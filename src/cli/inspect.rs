//! `purchase-lab inspect`: what is in a CSV file, column by column.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::load;
use super::output::aligned;
use crate::data::{self, CellFormat, ColumnSummary, Table};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The CSV file (`,` `;` tab or `|` delimited, or as Excel's `sep=` line says; header row first).
    pub file: PathBuf,
    /// Also print the first N rows.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub head: usize,
}

pub(super) fn inspect(args: &InspectArgs) -> Result<()> {
    let table = load(&args.file)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} rows, {} columns",
        args.file.display(),
        table.n_rows(),
        table.n_cols()
    )?;
    writeln!(out)?;
    write!(out, "{}", format_summary(&table))?;
    if !table.notes().is_empty() {
        writeln!(out)?;
        for note in table.notes() {
            writeln!(out, "{note}")?;
        }
    }
    if args.head > 0 {
        writeln!(out)?;
        write!(out, "{}", format_head(&table, args.head))?;
    }
    Ok(())
}

/// The per-column summary as an aligned text table, with what was
/// recognised in each column (dates, currency, decimal comma).
pub fn format_summary(table: &Table) -> String {
    let summary = table.summary();
    let recognised: Vec<String> = summary
        .iter()
        .map(|s| match table.cell_format(&s.name) {
            CellFormat::Number(f) if !f.describe().is_empty() => format!("; {}", f.describe()),
            _ => String::new(),
        })
        .collect();
    format_summary_rows(&summary, table, &recognised)
}

fn format_summary_rows(summary: &[ColumnSummary], table: &Table, recognised: &[String]) -> String {
    let name_w = summary
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .max("column".len());
    let mut text = format!(
        "{:>3}  {:<name_w$}  {:<11}  {:>7}  values\n",
        "#", "column", "type", "missing"
    );
    for (i, s) in summary.iter().enumerate() {
        let values = match table.cell_format(&s.name) {
            CellFormat::Date(f) => describe_dates(table, &s.name, &f.describe()),
            _ => s.describe(),
        };
        text.push_str(&format!(
            "{:>3}  {:<name_w$}  {:<11}  {:>7}  {values}{}\n",
            i + 1,
            s.name,
            s.kind.to_string(),
            s.missing,
            recognised.get(i).map_or("", String::as_str)
        ));
    }
    text
}

/// `dates 2023-01-04 to 2024-12-30 (ISO date)` for a date column.
fn describe_dates(table: &Table, name: &str, format: &str) -> String {
    let Some(data::ColumnData::Numeric(days)) = table.column(name).map(|c| &c.data) else {
        return String::new();
    };
    let known = days.iter().filter(|d| !d.is_nan());
    let (lo, hi) = known.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &d| {
        (lo.min(d), hi.max(d))
    });
    if lo > hi {
        return "all missing".to_owned();
    }
    format!(
        "dates {} to {} ({format}, as days since 1970-01-01)",
        data::dates::format_day(lo),
        data::dates::format_day(hi)
    )
}

/// The first `n` rows, missing cells shown as `·`.
pub fn format_head(table: &Table, n: usize) -> String {
    let n = n.min(table.n_rows());
    let header = table.columns().iter().map(|c| c.name.clone()).collect();
    let rows = (0..n).map(|r| {
        table
            .columns()
            .iter()
            .map(|c| c.text(r).map_or_else(|| "·".to_owned(), |t| t.into_owned()))
            .collect()
    });
    let rows: Vec<Vec<String>> = std::iter::once(header).chain(rows).collect();
    aligned(&rows)
}
