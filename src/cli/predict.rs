//! `purchase-lab predict`: score a CSV of customers with a saved model.
//!
//! The output is the input file with prediction columns appended: every
//! input cell is written back exactly as it was read (IDs such as
//! `00e12345` or `0012` stay as written), columns the model does not use
//! are carried along untouched, and the model's columns are read the way
//! the model file says (a category as text, a number in the training file's
//! number format), never by how their cells look.
//!
//! Before answering, the file is compared with what training saw
//! ([`crate::data::scoring_report`]): unseen categories, spelling variants,
//! mostly-missing features, values outside the training range, regression
//! predictions outside the target's range. The summary goes to standard
//! error, the whole report to `--json`, a per-row flag column to `--flags`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;

use super::choices::{BackendArg, OutOfRangeArg};
use super::output::{print_notes, write_json_line};
use crate::data::Table;
use crate::data::csv::read_raw;
use crate::data::notes::DataNote;
use crate::data::prep::{Pipeline, PrepError};
use crate::data::profile::TrainingProfile;
use crate::data::scoring_report::{
    Checked, ColumnRename, OutOfRangePolicy, ScoringError, ScoringOptions, ScoringReport,
    check_table, fills_from_pipeline,
};
use crate::model::bundle::{Bundle, BundleError, LoadedModel};
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
    /// positive (default: the threshold saved with the model, chosen on
    /// validation rows for the best F1; 0.5 for older files). An error for
    /// a regression model.
    #[arg(long)]
    pub threshold: Option<f64>,
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    pub backend: BackendArg,
    /// Refuse the file when a category value was never seen in training.
    #[arg(long)]
    pub refuse_unseen: bool,
    /// Refuse the file when a feature is missing in most rows.
    #[arg(long)]
    pub refuse_missing: bool,
    /// Values outside the training range: report, refuse or clip (to the
    /// training minimum or maximum).
    #[arg(long, value_enum, ignore_case = true, default_value = "report")]
    pub out_of_range: OutOfRangeArg,
    /// All of --refuse-unseen, --refuse-missing and --out-of-range refuse.
    #[arg(long)]
    pub strict: bool,
    /// Add a `flags` column: what the model had never seen in each row
    /// (`unseen:region;out_of_range:income`), empty when nothing.
    #[arg(long)]
    pub flags: bool,
    /// Print the scoring report as one JSON object on standard output
    /// (needs -o FILE: the scored CSV cannot share standard output).
    #[arg(long)]
    pub json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct PredictSummary<'a> {
    rows: usize,
    output: Option<&'a PathBuf>,
    notes: &'a [DataNote],
    /// `null` for a model file saved before the report existed.
    report: Option<&'a ScoringReport>,
}

/// The classification threshold: `given` (`--threshold`, a probability),
/// else the one the model file at `model` carries (chosen on validation
/// rows), else 0.5; an error for a regression model given one. `predict`
/// and `serve` label with it.
pub(super) fn label_threshold(
    given: Option<f64>,
    model: &std::path::Path,
    classification: bool,
    saved: Option<f64>,
) -> Result<f64> {
    match (given, classification) {
        (Some(_), false) => bail!(
            "--threshold applies to classification, but `{}` is a regression model (it predicts a value)",
            model.display()
        ),
        (Some(t), true) if !(0.0..=1.0).contains(&t) => {
            bail!("--threshold must be a probability between 0 and 1, not {t}")
        }
        (t, _) => Ok(t.or(saved).unwrap_or(DEFAULT_THRESHOLD)),
    }
}

/// A multi-class model's classes (`None` for another model); with
/// `--threshold` an error that says the model predicts the most probable
/// class instead.
fn multiclass_of(args: &PredictArgs, bundle: &Bundle) -> Result<Option<Vec<String>>> {
    let classes = bundle
        .meta
        .pipeline
        .encoding
        .classes()
        .map(<[String]>::to_vec);
    if classes.is_some() && args.threshold.is_some() {
        bail!(
            "--threshold applies to yes/no classification; `{}` is a multi-class model, which predicts the most probable class",
            args.model.display()
        );
    }
    Ok(classes)
}

/// A value too large to scale, named by its file line and column with what
/// the user can do (the pipeline only knows the data row); other errors as
/// they are.
fn at_file_line(e: BundleError, scored_lines: &[u64]) -> anyhow::Error {
    match e {
        BundleError::Prep(PrepError::NotFinite {
            feature,
            row,
            value,
        }) => {
            let line = row
                .checked_sub(1)
                .and_then(|r| scored_lines.get(r))
                .map_or_else(|| format!("data row {row}"), |l| format!("line {l}"));
            anyhow::anyhow!(
                "{line}, column `{feature}`: {value:e} is too far outside the training range to be scaled; fix the cell, or score with --out-of-range clip (values beyond the training range scored at its edge)"
            )
        }
        other => other.into(),
    }
}

/// What the scoring report refuses, from the flags (`--strict` is all).
fn scoring_options(args: &PredictArgs) -> ScoringOptions {
    ScoringOptions {
        refuse_unseen: args.refuse_unseen || args.strict,
        refuse_missing: args.refuse_missing || args.strict,
        out_of_range: if args.strict {
            OutOfRangePolicy::Refuse
        } else {
            args.out_of_range.into()
        },
        ..ScoringOptions::default()
    }
}

/// The scoring report's notes and warnings on standard error.
fn print_report(report: &ScoringReport) {
    for line in report.note_lines() {
        eprintln!("note: {line}");
    }
    for line in report.warning_lines() {
        eprintln!("warning: {line}");
    }
}

/// The table to score: checked against the training profile (renamed,
/// respelled, clipped) with the file's column renames in the report, or as
/// read, with a note, for a model file saved before profiles existed.
fn table_to_score(
    table: Table,
    renamed: Vec<(String, String)>,
    scored_lines: &[u64],
    profile: Option<&TrainingProfile>,
    pipeline: &Pipeline,
    options: &ScoringOptions,
    notes: &mut Vec<DataNote>,
) -> Result<(Option<Checked>, Table), ScoringError> {
    let Some(profile) = profile else {
        notes.push(DataNote::info(
            None,
            "this model file was saved before scoring reports existed: nothing is compared with the training data (train it again to get the report)",
        ));
        return Ok((None, table));
    };
    // A table of no columns has no rows; let the check name every missing
    // column rather than count lines.
    let lines = if table.n_cols() == 0 {
        &[][..]
    } else {
        scored_lines
    };
    let mut checked = check_table(
        table,
        lines,
        profile,
        &fills_from_pipeline(pipeline),
        options,
    )?;
    checked.report.renamed_columns.extend(
        renamed
            .into_iter()
            .map(|(from, to)| ColumnRename { from, to }),
    );
    Ok((Some(checked), Table::default()))
}

pub(super) fn predict(args: &PredictArgs) -> Result<()> {
    let to_stdout = args.output.as_ref().is_none_or(|p| p.as_os_str() == "-");
    if args.json && to_stdout {
        bail!(
            "--json prints the report on standard output, so the scored CSV needs a file: add -o OUT.csv"
        );
    }
    let bundle = Bundle::load(&args.model).with_context(|| format!("{}", args.model.display()))?;
    let classes = bundle
        .meta
        .pipeline
        .encoding
        .class_names()
        .map(|(p, n)| (p.to_owned(), n));
    let multiclass = multiclass_of(args, &bundle)?;
    let threshold = label_threshold(
        args.threshold,
        &args.model,
        classes.is_some(),
        bundle.meta.threshold,
    )?;
    let options = scoring_options(args);

    if let Some(out) = args.output.as_ref().filter(|_| !to_stdout)
        && same_file(out, &args.data)
    {
        bail!(
            "-o {} is the file being scored; write the scores to another file so the input stays as it is",
            out.display()
        );
    }
    let raw = read_raw(&args.data).with_context(|| format!("{}", args.data.display()))?;
    let pipeline = bundle.meta.pipeline.clone();
    let profile = bundle.meta.profile.clone();
    let schema = pipeline.schema();
    let typed = raw.typed(&schema);
    let mut notes: Vec<DataNote> = raw.notes.clone();
    notes.extend(typed.notes);
    if !args.json {
        // Before any refusal below, so its reason (an ambiguous column
        // name, cells in another format) is on screen with it.
        print_notes(&notes);
        notes.clear();
    }
    // The file's own column numbers for the model's columns, for errors.
    let file_columns = typed.file_columns;
    let file_column = |name: &str| {
        file_columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| *i + 1)
    };
    let scored_lines = raw.scored_lines();
    let (mut checked, unchecked) = table_to_score(
        typed.table,
        typed.renamed,
        &scored_lines,
        profile.as_ref(),
        &pipeline,
        &options,
        &mut notes,
    )
    .map_err(|e| e.with_file_columns(file_column))
    .with_context(|| format!("{}", args.data.display()))?;

    let scores = if raw.scored.is_empty() {
        notes.push(DataNote::info(
            None,
            "the file has a header but no rows: the output holds the header only",
        ));
        Vec::new()
    } else {
        let device = select_device(args.backend.into())?;
        let model = LoadedModel::new(bundle, &device)?;
        let table = checked.as_ref().map_or(&unchecked, |c| &c.table);
        model
            .predict_table(table)
            .map_err(|e| at_file_line(e, &scored_lines))
            .with_context(|| format!("{}", args.data.display()))?
    };
    // A regression target's range check (class probabilities have none).
    if let (Some(c), Some(profile), None) = (&mut checked, &profile, &multiclass) {
        let values: Vec<f64> = scores.iter().map(|&p| f64::from(p)).collect();
        c.check_predictions(&values, profile)
            .map_err(|e| e.with_file_columns(file_column))?;
    }
    if !args.json {
        print_notes(&notes);
        if let Some(c) = &checked {
            print_report(&c.report);
        }
    }

    let extra = prediction_columns(
        &raw,
        &scores,
        classes.as_ref(),
        multiclass.as_deref(),
        threshold,
        args.flags,
        checked.as_ref(),
    );
    match &args.output {
        Some(path) if !to_stdout => {
            // Atomically: a failed write leaves an earlier output whole.
            crate::save::save_with(path, |w| {
                raw.write_with(&extra, w).map_err(std::io::Error::other)
            })
            .with_context(|| format!("cannot write `{}`", path.display()))?;
            if args.json {
                let summary = PredictSummary {
                    rows: raw.n_rows(),
                    output: Some(path),
                    notes: &notes,
                    report: checked.as_ref().map(|c| &c.report),
                };
                write_json_line(&mut std::io::stdout().lock(), &summary)?;
            } else {
                eprintln!("scored {} rows into {}", raw.n_rows(), path.display());
            }
        }
        _ => raw
            .write_with(&extra, std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    Ok(())
}

/// Whether two paths name the same existing file.
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The columns appended to the file: `probability` and `prediction` (or
/// `prediction` for regression; for a multi-class model (`multiclass`: its
/// classes, `scores` row-major `rows × classes`) one `p_<class>` column per
/// class and `prediction`, the most probable class), and `flags` on
/// request; names made free of the file's own (`prediction_predicted`…).
fn prediction_columns(
    raw: &crate::data::csv::RawTable,
    scores: &[f32],
    classes: Option<&(String, String)>,
    multiclass: Option<&[String]>,
    threshold: f64,
    flags: bool,
    checked: Option<&crate::data::scoring_report::Checked>,
) -> Vec<(String, Vec<String>)> {
    let mut taken = Vec::new();
    let mut extra: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |base: &str, values: Vec<String>, taken: &mut Vec<String>| {
        let name = raw.free_name(base, taken);
        taken.push(name.clone());
        extra.push((name, values));
    };
    if let Some(names) = multiclass {
        for (base, values) in multiclass_columns(scores, names) {
            add(&base, values, &mut taken);
        }
    }
    match classes {
        _ if multiclass.is_some() => {}
        Some((positive, negative)) => {
            // Six decimals: more would only show f32 rounding noise.
            let probabilities = scores
                .iter()
                .map(|&p| format!("{:.6}", f64::from(p)))
                .collect();
            add("probability", probabilities, &mut taken);
            let labels = scores
                .iter()
                .map(|&p| {
                    if f64::from(p) >= threshold {
                        positive.clone()
                    } else {
                        negative.clone()
                    }
                })
                .collect();
            add("prediction", labels, &mut taken);
        }
        None => {
            // The shortest text that reads back as the same f32: the
            // network's own precision, without f64 noise digits.
            add(
                "prediction",
                scores.iter().map(|p| format!("{p}")).collect(),
                &mut taken,
            );
        }
    }
    if flags {
        let texts = match checked {
            Some(c) => c.flags.texts(),
            None => vec![String::new(); raw.scored.len()],
        };
        add("flags", texts, &mut taken);
    }
    extra
}

/// A multi-class model's columns: `p_<class>` per class (six decimals, as
/// `probability`) and `prediction`, the most probable class (the first on
/// a tie). `scores` is row-major `rows × classes`.
fn multiclass_columns(scores: &[f32], classes: &[String]) -> Vec<(String, Vec<String>)> {
    let k = classes.len().max(1);
    let mut columns: Vec<(String, Vec<String>)> = classes
        .iter()
        .enumerate()
        .map(|(c, class)| {
            let values = scores
                .chunks_exact(k)
                .map(|row| format!("{:.6}", f64::from(row[c])))
                .collect();
            (format!("p_{class}"), values)
        })
        .collect();
    let predicted = scores
        .chunks_exact(k)
        .map(|row| classes[crate::model::metrics::multiclass::argmax(row)].clone())
        .collect();
    columns.push(("prediction".to_owned(), predicted));
    columns
}
