//! `purchase-lab bench`: time the fixed workloads and print the figures
//! (a table, or one JSON object).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::choices::{BackendArg, EngineArg};
use super::output::write_json_line;
use crate::bench::{BenchOptions, Sizes, Workload, format_report, run_bench};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print one JSON object with every figure instead of a table.
    #[arg(long)]
    pub json: bool,
    /// auto, gpu (any wgpu adapter, even a software one) or cpu.
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    pub backend: BackendArg,
    /// Training engine for W1, W2 and W3's epoch: auto (the host kernel on
    /// the CPU backend) or burn (Burn's autodiff, for before/after figures).
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    pub engine: EngineArg,
    /// Tiny sizes and one run each: checks the benchmark works, measures nothing.
    #[arg(long)]
    pub quick: bool,
    /// Only these workloads: w1, w2, w3, surface, first-epoch (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "w1,w2")]
    pub only: Vec<Workload>,
    /// Measured runs per training workload (default 5; 1 with --quick).
    #[arg(long, value_name = "N")]
    pub repeats: Option<usize>,
    /// Also write W1/W2 data and prepared training matrices here, for
    /// scripts/sklearn_bench.py.
    #[arg(long, value_name = "DIR")]
    pub export_data: Option<PathBuf>,
}

pub(super) fn bench(args: &BenchArgs) -> Result<()> {
    let mut sizes = if args.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    if let Some(repeats) = args.repeats {
        sizes.repeats = repeats.max(1);
    }
    let options = BenchOptions {
        backend: args.backend.into(),
        engine: args.engine.into(),
        sizes,
        only: args.only.clone(),
        export_dir: args.export_data.clone(),
        // A fresh process of this program measures the cold shader cache;
        // not from inside that process itself (`--quick --only first-epoch`).
        cold_cache_exe: if args.quick {
            None
        } else {
            std::env::current_exe().ok()
        },
    };
    let json = args.json;
    let report = run_bench(&options, |step| {
        if !json {
            eprintln!("running {step}…");
        }
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        write_json_line(&mut out, &report)?;
    } else {
        write!(out, "{}", format_report(&report))?;
    }
    Ok(())
}
