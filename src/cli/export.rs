//! `purchase-lab export`: a saved model in a format other runtimes read.
//! ONNX holds the whole pipeline (imputation, scaling, one-hot encoding)
//! and the network in one graph ([`crate::model::onnx`]).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::choices::ExportFormatArg;
use crate::model::bundle::{Bundle, LoadedModel};
use crate::model::onnx::export_onnx;
use crate::model::{BackendChoice, select_device};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A model file saved by `train` or the app.
    #[arg(long, value_name = "model.plab")]
    pub model: PathBuf,
    /// The format to write.
    #[arg(long, value_enum, ignore_case = true, default_value = "onnx")]
    pub format: ExportFormatArg,
    /// The file to write.
    #[arg(short, long, value_name = "model.onnx")]
    pub output: PathBuf,
}

pub(super) fn export(args: &ExportArgs) -> Result<()> {
    let bundle = Bundle::load(&args.model).with_context(|| format!("{}", args.model.display()))?;
    // The weights are only read, never computed with: the CPU backend.
    let device = select_device(BackendChoice::Cpu)?;
    let model = LoadedModel::new(bundle, &device)?;
    let bytes = match args.format {
        ExportFormatArg::Onnx => export_onnx(&model)?,
    };
    crate::save::save(&args.output, &bytes)
        .with_context(|| format!("cannot write `{}`", args.output.display()))?;
    let inputs: Vec<&str> = model.meta.pipeline.input_columns().collect();
    eprintln!(
        "wrote {} ({} bytes): inputs {}",
        args.output.display(),
        bytes.len(),
        inputs.join(", ")
    );
    Ok(())
}
