//! `purchase-lab predict`: score a CSV of customers with a saved model.
//!
//! The output is the input file with prediction columns appended: every
//! input cell is written back exactly as it was read (IDs such as
//! `00e12345` or `0012` stay as written), columns the model does not use
//! are carried along untouched, and the model's columns are read the way
//! the model file says (a category as text, a number in the training file's
//! number format), never by how their cells look.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::print_notes;
use crate::data::csv::read_raw;
use crate::data::notes::DataNote;
use crate::model::BackendChoice;
use crate::model::bundle::{Bundle, LoadedModel};
use crate::model::select_device;

/// Probability at or above which a row is labelled positive, when
/// `--threshold` is not given.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A model file saved by `train` or the app.
    #[arg(long, value_name = "model.plab")]
    pub model: PathBuf,
    /// Customers to score (CSV with the model's feature columns; other
    /// columns are carried to the output unchanged).
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Output CSV; `-` or nothing writes to standard output.
    #[arg(short, long, value_name = "OUT.csv")]
    pub output: Option<PathBuf>,
    /// Classification: probability at or above which a row is labelled
    /// positive (default 0.5). An error for a regression model.
    #[arg(long)]
    pub threshold: Option<f64>,
    #[arg(long, default_value = "auto")]
    pub backend: BackendChoice,
}

pub(super) fn predict(args: &PredictArgs) -> Result<()> {
    let bundle = Bundle::load(&args.model).with_context(|| format!("{}", args.model.display()))?;
    let classes = bundle
        .meta
        .pipeline
        .encoding
        .class_names()
        .map(|(p, n)| (p.to_owned(), n));
    let threshold = match (args.threshold, &classes) {
        (Some(_), None) => bail!(
            "--threshold applies to classification, but `{}` is a regression model (it predicts a value)",
            args.model.display()
        ),
        (Some(t), Some(_)) if !(0.0..=1.0).contains(&t) => {
            bail!("--threshold must be a probability between 0 and 1, not {t}")
        }
        (t, _) => t.unwrap_or(DEFAULT_THRESHOLD),
    };
    let raw = read_raw(&args.data).with_context(|| format!("{}", args.data.display()))?;
    let (table, typed_notes) = raw.typed(&bundle.meta.pipeline.schema());
    let mut notes: Vec<DataNote> = raw.notes.clone();
    notes.extend(typed_notes);

    let scores = if raw.n_rows() == 0 {
        notes.push(DataNote::info(
            None,
            "the file has a header but no rows: the output holds the header only",
        ));
        Vec::new()
    } else {
        let device = select_device(args.backend)?;
        let model = LoadedModel::new(bundle, &device)?;
        print_notes(&notes);
        notes.clear();
        model
            .predict_table(&table)
            .with_context(|| format!("{}", args.data.display()))?
    };
    print_notes(&notes);

    let mut taken = Vec::new();
    let mut extra: Vec<(String, Vec<String>)> = Vec::new();
    match &classes {
        Some((positive, negative)) => {
            let name = raw.free_name("probability", &taken);
            taken.push(name.clone());
            // Six decimals: more would only show f32 rounding noise.
            extra.push((
                name,
                scores
                    .iter()
                    .map(|&p| format!("{:.6}", f64::from(p)))
                    .collect(),
            ));
            let name = raw.free_name("prediction", &taken);
            extra.push((
                name,
                scores
                    .iter()
                    .map(|&p| {
                        if f64::from(p) >= threshold {
                            positive.clone()
                        } else {
                            negative.clone()
                        }
                    })
                    .collect(),
            ));
        }
        None => {
            let name = raw.free_name("prediction", &taken);
            // The shortest text that reads back as the same f32: the
            // network's own precision, without f64 noise digits.
            extra.push((name, scores.iter().map(|p| format!("{p}")).collect()));
        }
    }
    match &args.output {
        Some(path) if path.as_os_str() != "-" => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            raw.write_with(&extra, std::io::BufWriter::new(file))
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            eprintln!("scored {} rows into {}", raw.n_rows(), path.display());
        }
        _ => raw
            .write_with(&extra, std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    Ok(())
}
