//! `purchase-lab`: parse the command line and hand over to the engine.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use purchase_lab::cli::{self, Cli};

// Training small networks is dominated by allocation; mimalloc halves the
// per-step cost against the system allocator (see DESIGN.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(command) => cli::run(command),
        None => {
            // The desktop window arrives with the app; until then, show what
            // the command line offers.
            let _ = Cli::command().print_help();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes joined by `: `.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
