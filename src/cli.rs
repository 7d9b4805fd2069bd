//! The headless face of the engine: subcommands that load, generate and
//! (later) train and score without a window.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::data::{self, ColumnSummary, Preset, SynthSettings, Table};

#[derive(Debug, Parser)]
#[command(
    name = "purchase-lab",
    version,
    about = "See a neural network learn which customers will buy.",
    long_about = "Purchase Lab loads or generates customer data, prepares it, and trains a small \
                  neural network on it. These subcommands run the same engine without a window."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarize each column of a CSV file: type, missing cells, range or categories.
    Inspect(InspectArgs),
    /// Write synthetic customers (or a classroom shape) to a CSV file.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The CSV file (`,` `;` or tab delimited, header row first).
    pub file: PathBuf,
    /// Also print the first N rows.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub head: usize,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// visits, customers, circle, xor, spiral or gaussians.
    #[arg(long, default_value = "visits")]
    pub preset: Preset,
    #[arg(long, default_value_t = 1000)]
    pub rows: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// 0 (clean) to 1 (very noisy): label noise for customers, jitter for shapes.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,
    /// Share of rows in the positive class (0.05 to 0.95).
    #[arg(long, default_value_t = 0.5)]
    pub balance: f64,
    /// Share of feature cells left empty (customers preset only).
    #[arg(long, default_value_t = 0.05)]
    pub missing: f64,
    /// Output file; `-` or nothing writes to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs a parsed command line. `None` (no subcommand) is the window's job
/// and handled by `main`.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Inspect(args) => inspect(&args),
        Command::Generate(args) => generate(&args),
    }
}

fn load(path: &Path) -> Result<Table> {
    data::load_csv(path).with_context(|| format!("{}", path.display()))
}

fn inspect(args: &InspectArgs) -> Result<()> {
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
    write!(out, "{}", format_summary(&table.summary()))?;
    if args.head > 0 {
        writeln!(out)?;
        write!(out, "{}", format_head(&table, args.head))?;
    }
    Ok(())
}

/// The per-column summary as an aligned text table.
pub fn format_summary(summary: &[ColumnSummary]) -> String {
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
        text.push_str(&format!(
            "{:>3}  {:<name_w$}  {:<11}  {:>7}  {}\n",
            i + 1,
            s.name,
            s.kind.to_string(),
            s.missing,
            s.describe()
        ));
    }
    text
}

/// The first `n` rows, missing cells shown as `·`.
pub fn format_head(table: &Table, n: usize) -> String {
    let n = n.min(table.n_rows());
    let cells: Vec<Vec<String>> = table
        .columns()
        .iter()
        .map(|c| {
            std::iter::once(c.name.clone())
                .chain((0..n).map(|r| c.text(r).map_or_else(|| "·".to_owned(), |t| t.into_owned())))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = cells
        .iter()
        .map(|col| col.iter().map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for r in 0..=n {
        let line: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(col, w)| format!("{:<w$}", col[r]))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}

fn generate(args: &GenerateArgs) -> Result<()> {
    let settings = SynthSettings {
        preset: args.preset,
        rows: args.rows,
        seed: args.seed,
        noise: args.noise,
        balance: args.balance,
        missing: args.missing,
    };
    let table = data::generate(&settings)?;
    match &args.output {
        Some(path) if path.as_os_str() != "-" => {
            data::write_csv(&table, path)?;
            eprintln!(
                "wrote {} rows of `{}` to {}",
                table.n_rows(),
                args.preset,
                path.display()
            );
        }
        _ => data::write::write_table(&table, std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    Ok(())
}
