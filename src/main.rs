//! `purchase-lab`: parse the command line and hand over to the engine.

use std::process::ExitCode;

use clap::Parser;
use purchase_lab::cli::{self, Cli};

// Training small networks is dominated by allocation; mimalloc halves the
// per-step cost against the system allocator (see DESIGN.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ensure_runtime_dir();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(command) => cli::run(command),
        None => open_window(cli.file),
    };
    // No thread of ours may be inside the GPU driver while the process
    // exits (`Auto`'s probe may still be warming the GPU up).
    purchase_lab::model::probe::settle();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `purchase-lab inspect big.csv | head`: the reader went away,
        // which is what the user asked for, not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes joined by `: `.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether an error is (caused by) writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}

#[cfg(feature = "app")]
fn open_window(file: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    purchase_lab::app::run(file)
}

/// A build without the `app` feature has the command line only.
#[cfg(not(feature = "app"))]
fn open_window(_file: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no window (built without the `app` feature); use a subcommand, see --help"
    )
}

/// Mesa's Vulkan driver prints "XDG_RUNTIME_DIR is invalid or not set" on
/// every device probe when the variable is missing (headless machines, CI,
/// `sudo`). Point it at a private directory so the user sees only our output.
#[expect(
    unsafe_code,
    reason = "set_var is unsafe in edition 2024; this runs before any thread exists"
)]
fn ensure_runtime_dir() {
    let valid = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .is_some_and(|p| p.is_dir());
    if valid {
        return;
    }
    let user = std::env::var("USER").unwrap_or_else(|_| "user".to_owned());
    let dir = std::env::temp_dir().join(format!("purchase-lab-runtime-{user}"));
    if std::fs::create_dir_all(&dir).is_ok() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        }
        // SAFETY: called first thing in `main`, before any thread exists, so
        // nothing can read the environment concurrently.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}
