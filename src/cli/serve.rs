//! `purchase-lab serve`: the model as a scoring endpoint under SageMaker's
//! inference contract ([`crate::serve`]), until SIGTERM or Ctrl-C.
//!
//! Without `--model` it serves the model in `/opt/ml/model/` and listens
//! on every interface (`0.0.0.0`), as SageMaker runs a bring-your-own
//! container: `docker run IMAGE serve`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::choices::BackendArg;
use crate::model::bundle::Bundle;
use crate::model::select_device;
use crate::serve::{Endpoint, ServeOptions};

/// Where SageMaker puts the model's files in a container.
pub const SAGEMAKER_MODEL_DIR: &str = "/opt/ml/model";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A model file, or a folder holding one `.plab` file; default
    /// /opt/ml/model/ (SageMaker's convention).
    #[arg(long, value_name = "model.plab")]
    pub model: Option<PathBuf>,
    /// Address to listen on; default 127.0.0.1, or 0.0.0.0 without --model
    /// (inside a SageMaker container).
    #[arg(long)]
    pub host: Option<String>,
    /// Port to listen on (0: a free one, printed when ready).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Worker threads scoring requests (default: one per CPU core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// The largest request body taken, in megabytes (SageMaker's limit is 6).
    #[arg(long, default_value_t = 6.0)]
    pub max_payload_mb: f64,
    /// Probability at or above which a JSON answer's label is positive
    /// (default: the threshold saved with the model, chosen on validation
    /// rows; 0.5 for older files).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Where to score; the CPU answers one customer fastest.
    #[arg(long, value_enum, ignore_case = true, default_value = "cpu")]
    pub backend: BackendArg,
}

/// The model file: `--model` itself, or the one `.plab` file in the folder
/// it names (default /opt/ml/model/).
fn model_file(args: &ServeArgs) -> Result<PathBuf> {
    let path = args
        .model
        .clone()
        .unwrap_or_else(|| PathBuf::from(SAGEMAKER_MODEL_DIR));
    if !path.is_dir() {
        return Ok(path);
    }
    let entries =
        std::fs::read_dir(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "plab"))
        .collect();
    found.sort();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!("`{}` holds no .plab model file", path.display()),
        many => bail!(
            "`{}` holds {} model files; name one with --model",
            path.display(),
            many.len()
        ),
    }
}

/// The endpoint's settings from the arguments; `threshold` is the one
/// [`super::predict::label_threshold`] chose for the model.
fn options(args: &ServeArgs, threshold: f64) -> Result<ServeOptions> {
    if !(args.max_payload_mb > 0.0 && args.max_payload_mb.is_finite()) {
        bail!(
            "--max-payload-mb must be a positive number, not {}",
            args.max_payload_mb
        );
    }
    let default_host = if args.model.is_some() {
        "127.0.0.1"
    } else {
        "0.0.0.0"
    };
    let host = args.host.as_deref().unwrap_or(default_host);
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    if threads == 0 {
        bail!("--threads must be at least 1");
    }
    Ok(ServeOptions {
        // An IPv6 literal needs brackets before the port.
        address: if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{}", args.port)
        } else {
            format!("{host}:{}", args.port)
        },
        threads,
        max_payload_bytes: (args.max_payload_mb * 1024.0 * 1024.0) as usize,
        threshold,
    })
}

/// A flag set by SIGTERM or SIGINT; a second one ends the process at once.
fn shutdown_flag() -> Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // Registered first, so it acts only once the flag is already set.
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&flag))
            .context("cannot install the signal handler")?;
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .context("cannot install the signal handler")?;
    }
    Ok(flag)
}

pub(super) fn serve(args: &ServeArgs) -> Result<()> {
    let path = model_file(args)?;
    let bundle = Bundle::load(&path).with_context(|| format!("{}", path.display()))?;
    // Label as `predict` does: at --threshold, else the model's own; a
    // regression model given one is refused as `predict` refuses it.
    let threshold = super::predict::label_threshold(
        args.threshold,
        &path,
        bundle.meta.pipeline.encoding.class_names().is_some(),
        bundle.meta.threshold,
    )?;
    let options = options(args, threshold)?;
    let device = select_device(args.backend.into())?;
    let stop = shutdown_flag()?;
    let endpoint = Endpoint::start(&bundle, &device, &options)?;
    let shown = endpoint
        .address()
        .map_or_else(|| options.address.clone(), |a| a.to_string());
    eprintln!(
        "serving {} on http://{shown} ({} worker{}, {}): GET /ping, POST /invocations",
        show(&path),
        options.threads,
        if options.threads == 1 { "" } else { "s" },
        device.description
    );
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("stopping: answering the requests already received");
    endpoint.stop();
    eprintln!("stopped");
    Ok(())
}

fn show(path: &Path) -> String {
    format!("`{}`", path.display())
}
