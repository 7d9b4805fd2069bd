//! `purchase-lab generate`: synthetic customers or a classroom shape as CSV.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::choices::PresetArg;
use crate::data::{self, Preset, SynthSettings};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to generate: customer data, or a two-feature shape.
    #[arg(long, value_enum, ignore_case = true, default_value = "visits")]
    pub preset: PresetArg,
    #[arg(long, default_value_t = 1000)]
    pub rows: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// 0 (clean) to 1 (very noisy): label noise for customers, jitter for shapes.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,
    /// Share of rows in the positive class (0.05 to 0.95); blobs3: the
    /// orange share; segments ignores it.
    #[arg(long, default_value_t = 0.5)]
    pub balance: f64,
    /// Share of feature cells left empty (customers preset only).
    #[arg(long, default_value_t = 0.05)]
    pub missing: f64,
    /// Output file; `-` or nothing writes to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub(super) fn generate(args: &GenerateArgs) -> Result<()> {
    let preset = Preset::from(args.preset);
    let settings = SynthSettings {
        preset,
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
                "wrote {} rows of `{preset}` to {}",
                table.n_rows(),
                path.display()
            );
        }
        _ => data::write::write_table(&table, std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    Ok(())
}
