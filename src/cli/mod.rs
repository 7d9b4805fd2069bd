//! The headless face of the engine: subcommands that inspect, generate,
//! train, sweep, score and benchmark without a window.
//!
//! One file per subcommand (its arguments, its run, its output format);
//! [`args`] holds the argument groups several share, [`choices`] every
//! choice a flag offers (clap `ValueEnum`s, case-insensitive) and
//! [`output`] the printing helpers. This file holds the command line's
//! shape ([`Cli`], [`Command`]) and the dispatch ([`run`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

pub mod args;
mod bench;
pub mod choices;
mod cross_validate;
mod evaluate;
mod export;
mod generate;
mod inspect;
mod multiclass;
pub mod output;
mod predict;
#[cfg(feature = "serve")]
mod serve;
mod sweep;
mod train;

pub use args::parse_hidden;
pub use bench::BenchArgs;
pub use evaluate::EvaluateArgs;
pub use export::ExportArgs;
pub use generate::GenerateArgs;
pub use inspect::{InspectArgs, format_head, format_summary};
pub use predict::PredictArgs;
#[cfg(feature = "serve")]
pub use serve::ServeArgs;
pub use sweep::{SweepArgs, format_sweep};
pub use train::{TrainArgs, format_metrics};

use crate::data::{self, Table};

#[derive(Debug, Parser)]
#[command(
    name = "purchase-lab",
    version,
    about = "See a neural network learn which customers will buy.",
    long_about = "Purchase Lab loads or generates customer data, prepares it, and trains a small \
                  neural network on it. These subcommands run the same engine without a window."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Without a subcommand: open the window, with this CSV file loaded.
    #[arg(value_name = "FILE.csv")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Summarize each column of a CSV file: type, missing cells, range or categories.
    Inspect(InspectArgs),
    /// Write synthetic customers (or a classroom shape) to a CSV file.
    Generate(GenerateArgs),
    /// Train a network or boosted trees on a CSV file, print test metrics, save the model.
    Train(Box<TrainArgs>),
    /// Train one model per combination of settings and rank them on the validation rows.
    Sweep(Box<SweepArgs>),
    /// Score a CSV file of customers with a saved model.
    Predict(PredictArgs),
    /// Gains and lift, profit, calibration, importance and partial dependence of a saved model on customers with known outcomes.
    Evaluate(Box<EvaluateArgs>),
    /// Write a saved model (pipeline and network or trees) in another runtime's format: ONNX.
    Export(ExportArgs),
    /// Serve a saved model over HTTP under SageMaker's inference contract (GET /ping, POST /invocations).
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
    /// Time the fixed workloads (training, surface, CSV load) and print the figures.
    Bench(BenchArgs),
}

/// Runs a parsed command line. `None` (no subcommand) is the window's job
/// and handled by `main`.
///
/// # Errors
/// Whatever stopped the command, with its causes; a closed standard output
/// shows as an [`std::io::ErrorKind::BrokenPipe`] somewhere in the chain.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Inspect(args) => inspect::inspect(&args),
        Command::Generate(args) => generate::generate(&args),
        Command::Train(args) => train::train(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Predict(args) => predict::predict(&args),
        Command::Evaluate(args) => evaluate::evaluate(&args),
        Command::Export(args) => export::export(&args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::serve(&args),
        Command::Bench(args) => bench::bench(&args),
    }
}

/// Reads a CSV file, naming it in the error.
fn load(path: &Path) -> Result<Table> {
    data::load_csv(path).with_context(|| format!("{}", path.display()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn choices_ignore_case_and_take_old_spellings() {
        let cli = Cli::try_parse_from([
            "purchase-lab",
            "train",
            "--data",
            "d.csv",
            "--target",
            "t",
            "--regression",
            "--activation",
            "Leaky-ReLU",
            "--optimizer",
            "SGD",
            "--backend",
            "flex",
            "--impute",
            "most-frequent",
        ]);
        let Ok(Cli {
            command: Some(Command::Train(args)),
            ..
        }) = cli
        else {
            panic!("not parsed: {cli:?}");
        };
        assert_eq!(
            crate::model::Activation::from(args.model.activation),
            crate::model::Activation::LeakyRelu
        );
        assert_eq!(
            crate::model::BackendChoice::from(args.backend),
            crate::model::BackendChoice::Cpu
        );
        assert_eq!(
            crate::data::prep::Impute::from(args.problem.impute),
            crate::data::prep::Impute::MostFrequent
        );
    }
}
