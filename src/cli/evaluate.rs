//! `purchase-lab evaluate`: the business views of a saved model on a file
//! of customers whose outcomes are known (a hold-out file, never the rows
//! it was trained on): cumulative gains and lift by decile, the profit
//! curve and its best threshold, calibration, permutation importance of the
//! original columns, and partial dependence of the most important numeric
//! one. Text, one JSON object, or CSV files.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;

use super::choices::BackendArg;
use super::output::{aligned, print_notes, write_json_line};
use crate::data::Table;
use crate::data::csv::read_raw;
use crate::data::notes::DataNote;
use crate::data::numbers::NumberFormat;
use crate::data::outcomes::read_outcomes;
use crate::data::prep::TargetEncoding;
use crate::data::table::CellFormat;
use crate::insights::dependence::GridValue;
use crate::insights::profit::CampaignEconomics;
use crate::insights::report::{InsightsReport, ReportSettings};
use crate::model::bundle::{Bundle, LoadedModel};
use crate::model::{MulticlassMetrics, select_device};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A model file saved by `train` or the app.
    #[arg(long, value_name = "model.plab")]
    pub model: PathBuf,
    /// Customers with known outcomes: the model's feature columns and its
    /// target column.
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write deciles.csv, gains.csv, profit.csv, calibration.csv,
    /// importance.csv and dependence.csv here.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Earned for each buyer contacted (profit curve).
    #[arg(long, default_value_t = 100.0)]
    pub value: f64,
    /// Paid for each customer contacted.
    #[arg(long, default_value_t = 10.0)]
    pub contact_cost: f64,
    /// Lost for each buyer not contacted.
    #[arg(long, default_value_t = 0.0)]
    pub missed_cost: f64,
    /// Bins of the calibration plot.
    #[arg(long, default_value_t = 10)]
    pub bins: usize,
    /// Shuffles per column for permutation importance.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// The feature for partial dependence (default: the most important
    /// numeric one).
    #[arg(long)]
    pub feature: Option<String>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    pub backend: BackendArg,
}

/// Everything `evaluate` computed, as `--json` prints it: the views, then
/// the notes on what was read.
#[derive(Debug, Serialize)]
struct Evaluation {
    #[serde(flatten)]
    report: InsightsReport,
    notes: Vec<DataNote>,
}

/// The file's customers with a known outcome, their outcomes (1/0 or the
/// target's value), and the notes on what was read or left out.
fn read_labelled(args: &EvaluateArgs, bundle: &Bundle) -> Result<(Table, Vec<f32>, Vec<DataNote>)> {
    let meta = &bundle.meta;
    let target = meta.pipeline.target.clone();
    let classification = matches!(
        meta.pipeline.encoding,
        TargetEncoding::Classification { .. } | TargetEncoding::Multiclass { .. }
    );
    let mut schema = meta.pipeline.schema();
    schema.push((
        target.clone(),
        if classification {
            CellFormat::Text
        } else {
            CellFormat::Number(NumberFormat::default())
        },
    ));
    let raw = read_raw(&args.data).with_context(|| format!("{}", args.data.display()))?;
    let typed = raw.typed(&schema);
    let mut notes: Vec<DataNote> = raw.notes.clone();
    notes.extend(typed.notes);
    let Some(column) = typed.table.column(&target) else {
        bail!(
            "{}: no `{target}` column; evaluate compares the model's scores with the true outcomes, so the file needs the target column",
            args.data.display()
        );
    };
    let outcomes = read_outcomes(
        &meta.pipeline.encoding,
        column,
        meta.recipe.merge_label_variants,
    );
    if outcomes.missing > 0 {
        notes.push(DataNote::info(
            Some(target.as_str()),
            format!(
                "{} rows without a `{target}` value are left out",
                outcomes.missing
            ),
        ));
    }
    if !outcomes.unseen_labels.is_empty() {
        notes.push(DataNote::warning(
            Some(target.as_str()),
            format!(
                "{}: {}",
                if classification && meta.pipeline.encoding.classes().is_some() {
                    "labels never seen in training are left out (the model knows no such class)"
                } else {
                    "labels never seen in training are counted as not the positive label"
                },
                outcomes.unseen_labels.join(", ")
            ),
        ));
    }
    if outcomes.rows.is_empty() {
        bail!(
            "{}: no row has a `{target}` value to compare with",
            args.data.display()
        );
    }
    Ok((
        typed.table.select_rows(&outcomes.rows),
        outcomes.values,
        notes,
    ))
}

pub(super) fn evaluate(args: &EvaluateArgs) -> Result<()> {
    let bundle = Bundle::load(&args.model).with_context(|| format!("{}", args.model.display()))?;
    let (table, outcomes, notes) = read_labelled(args, &bundle)?;
    let device = select_device(args.backend.into())?;
    let model = LoadedModel::new(bundle, &device)?;
    if let Some(classes) = model.meta.pipeline.encoding.classes() {
        // The insights views (gains, profit, a threshold) are a yes/no
        // model's; a multi-class model is judged by class.
        let scores = model
            .predict_table(&table)
            .with_context(|| format!("{}", args.data.display()))?;
        let metrics = MulticlassMetrics::compute(&scores, &outcomes, classes)?;
        return super::multiclass::print_evaluation(&metrics, &notes, args.json);
    }
    let settings = ReportSettings {
        economics: CampaignEconomics {
            value_per_buyer: args.value,
            cost_per_contact: args.contact_cost,
            cost_per_missed_buyer: args.missed_cost,
        },
        bins: args.bins,
        repeats: args.repeats,
        feature: args.feature.clone(),
        seed: args.seed,
    };
    let report = InsightsReport::of_model(&model, &table, &outcomes, &settings)
        .with_context(|| format!("{}", args.data.display()))?;
    let evaluation = Evaluation { report, notes };
    if let Some(dir) = &args.out_dir {
        evaluation.report.write_all_csv(dir)?;
    }
    if args.json {
        write_json_line(&mut std::io::stdout().lock(), &evaluation)
    } else {
        print_notes(&evaluation.notes);
        print_text(&evaluation.report)
    }
}

/// The views as text on standard output.
fn print_text(e: &InsightsReport) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{} customers; {} {:.4}", e.rows, e.metric, e.score)?;
    if let Some(g) = &e.gains {
        writeln!(out, "\ncumulative gains and lift ({} buyers)", g.buyers)?;
        let mut rows = vec![vec![
            "decile".into(),
            "customers".into(),
            "buyers".into(),
            "response".into(),
            "lift".into(),
            "cum. gain".into(),
            "cum. lift".into(),
        ]];
        for d in &g.deciles {
            rows.push(vec![
                d.decile.to_string(),
                d.customers.to_string(),
                format!("{:.1}", d.buyers),
                format!("{:.3}", d.response_rate),
                format!("{:.2}", d.lift),
                format!("{:.3}", d.cumulative_gain),
                format!("{:.2}", d.cumulative_lift),
            ]);
        }
        write!(out, "{}", aligned(&rows))?;
    }
    if let Some(p) = &e.profit {
        let best = p.best_point();
        writeln!(
            out,
            "\nbest threshold {:.4}: contact {} customers, reach {} of {} buyers, profit {:.2}",
            p.best_threshold(),
            best.contacted,
            best.reached,
            p.buyers,
            best.profit
        )?;
    }
    if let Some(c) = &e.calibration {
        writeln!(
            out,
            "\ncalibration: Brier score {:.4}, expected calibration error {:.4}",
            c.brier, c.expected_calibration_error
        )?;
    }
    writeln!(out, "\npermutation importance (drop in {})", e.metric)?;
    let mut rows = vec![vec!["column".into(), "mean".into(), "std".into()]];
    for f in &e.importance.features {
        rows.push(vec![
            f.column.clone(),
            format!("{:.4}", f.mean),
            format!("{:.4}", f.std),
        ]);
    }
    write!(out, "{}", aligned(&rows))?;
    if let Some(d) = &e.dependence {
        writeln!(out, "\npartial dependence on {}", d.feature)?;
        for (x, y) in d.grid.iter().zip(&d.average) {
            let x = match x {
                GridValue::Number(v) => crate::data::table::format_number(*v),
                GridValue::Level(l) => l.clone(),
            };
            writeln!(out, "  {x}\t{y:.4}")?;
        }
    }
    Ok(())
}
