//! The headless face of the engine: subcommands that load, generate and
//! (later) train and score without a window.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

mod predict;

pub use predict::PredictArgs;

use crate::data::notes::DataNote;
use crate::data::prep::{Impute, Prepared, Problem, Recipe, Scale};
use crate::data::{self, CellFormat, ColumnSummary, Preset, SynthSettings, Table};
use crate::model::bundle::Bundle;
use crate::model::run::{Metrics, TrainingRun};
use crate::model::{
    Activation, BackendChoice, NetworkSpec, OptimizerKind, TrainSettings, select_device,
};
use crate::tune::history::METRICS;
use crate::tune::sweep::{SweepEvent, SweepGrid, SweepJob, SweepOutcome, rank, run_sweep};
use crate::tune::{self, higher_is_better};

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
    /// Train a network on a CSV file, print test metrics, save the model.
    Train(Box<TrainArgs>),
    /// Train one network per combination of settings and rank them by a test metric.
    Sweep(Box<SweepArgs>),
    /// Score a CSV file of customers with a saved model.
    Predict(PredictArgs),
    /// Time the fixed workloads (training, surface, CSV load) and print the figures.
    Bench(BenchArgs),
}

/// The data and the problem: shared by `train` and `sweep`.
#[derive(Debug, Args)]
pub struct ProblemArgs {
    /// The training data (CSV).
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long, value_name = "COLUMN")]
    pub target: String,
    /// Classification: the target value that counts as positive (e.g. `yes`).
    #[arg(
        long,
        value_name = "LABEL",
        required_unless_present = "regression",
        conflicts_with = "regression"
    )]
    pub positive: Option<String>,
    /// Regression: predict the numeric target's value.
    #[arg(long)]
    pub regression: bool,
    /// Feature columns, comma-separated (default: every other column).
    #[arg(long, value_delimiter = ',', value_name = "a,b,c")]
    pub features: Option<Vec<String>>,
    /// Share of rows held out for testing.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Missing values: drop_rows, mean, median or most_frequent.
    #[arg(long, default_value = "median")]
    pub impute: Impute,
    /// Numeric scaling: minmax, standardize or none.
    #[arg(long, default_value = "minmax")]
    pub scale: Scale,
    /// Classification: count target labels that differ from --positive only
    /// in case or surrounding spaces (`yes`, `YES`) as positive.
    #[arg(long)]
    pub merge_labels: bool,
    /// Leave out rows that repeat an earlier row exactly (features and
    /// target) before the split.
    #[arg(long)]
    pub drop_duplicates: bool,
    /// Regression: keep predictions at or above 0 (a target that is never
    /// negative, such as spend); saved with the model.
    #[arg(long, conflicts_with = "positive")]
    pub non_negative: bool,
}

impl ProblemArgs {
    /// The recipe for `table`: every other column as a feature unless
    /// `--features` names them; the split seeded with `seed`.
    fn recipe(&self, table: &Table, seed: u64) -> Recipe {
        let problem = match (&self.positive, self.regression) {
            (Some(positive), false) => Problem::Classification {
                positive: positive.clone(),
            },
            _ => Problem::Regression,
        };
        let mut recipe = Recipe::new(table, &self.target, problem);
        if let Some(features) = &self.features {
            recipe.features = features.iter().map(|f| f.trim().to_owned()).collect();
        }
        recipe.impute = self.impute;
        recipe.scale = self.scale;
        recipe.test_fraction = self.test_fraction;
        recipe.seed = seed;
        recipe.merge_label_variants = self.merge_labels;
        recipe.drop_duplicates = self.drop_duplicates;
        recipe.non_negative_target = self.non_negative;
        recipe
    }

    /// Notes about the feature choice: the columns the default left out,
    /// or the chosen ones that look unfit.
    fn feature_notes(&self, table: &Table) -> Vec<DataNote> {
        match &self.features {
            None => data::screen::default_features(table, &self.target).1,
            Some(features) => {
                let names: Vec<String> = features.iter().map(|f| f.trim().to_owned()).collect();
                data::screen::chosen_feature_notes(table, &names)
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Neurons per hidden layer, comma-separated; `0` or `none` for no hidden layer.
    #[arg(long, default_value = "32,16", value_name = "32,16")]
    pub hidden: String,
    /// relu, tanh, sigmoid or leaky_relu.
    #[arg(long, default_value = "relu", value_parser = parse_activation)]
    pub activation: Activation,
    #[arg(long, default_value_t = NetworkSpec::default().dropout)]
    pub dropout: f64,
    /// adam or sgd (with momentum 0.9).
    #[arg(long, default_value = "adam", value_parser = parse_optimizer)]
    pub optimizer: OptimizerKind,
    #[arg(long, default_value_t = TrainSettings::default().learning_rate)]
    pub lr: f64,
    #[arg(long, default_value_t = TrainSettings::default().batch_size)]
    pub batch: usize,
    #[arg(long, default_value_t = TrainSettings::default().epochs)]
    pub epochs: usize,
    /// L2 weight decay.
    #[arg(long, default_value_t = TrainSettings::default().l2)]
    pub l2: f64,
    /// Early stopping: stop once validation loss has not improved for N epochs.
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// auto (GPU when a real one exists), gpu or cpu.
    #[arg(long, default_value = "auto")]
    pub backend: BackendChoice,
    /// Save the trained model to this file.
    #[arg(long, value_name = "model.plab")]
    pub out: Option<PathBuf>,
    /// Write the per-epoch history as CSV.
    #[arg(long, value_name = "history.csv")]
    pub history: Option<PathBuf>,
    /// Print one JSON object with the results instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Learning rates to try, comma-separated (e.g. 1e-3,1e-2,1e-1).
    #[arg(long, value_delimiter = ',', value_name = "a,b,c")]
    pub lr: Vec<f64>,
    /// Hidden layouts to try, `;`-separated, each comma-separated (e.g. `16;64;64,32`; `0` = none).
    #[arg(long, value_name = "16;64,32", conflicts_with_all = ["widths", "depths"])]
    pub hidden: Option<String>,
    /// Neurons per hidden layer to try (with --depths: every width × depth).
    #[arg(long, value_delimiter = ',', value_name = "8,32")]
    pub widths: Vec<usize>,
    /// Numbers of hidden layers to try (0 = no hidden layer).
    #[arg(long, value_delimiter = ',', value_name = "1,2")]
    pub depths: Vec<usize>,
    /// Batch sizes to try.
    #[arg(long, value_delimiter = ',', value_name = "32,128")]
    pub batch: Vec<usize>,
    /// Dropout rates to try.
    #[arg(long, value_delimiter = ',', value_name = "0,0.2")]
    pub dropout: Vec<f64>,
    /// Epochs per run (fewer when early stopping ends a run).
    #[arg(long, default_value_t = TrainSettings::default().epochs)]
    pub epochs: usize,
    /// Early stopping: end a run once validation loss has not improved for N epochs.
    #[arg(long, value_name = "N", default_value_t = tune::sweep::DEFAULT_SWEEP_PATIENCE)]
    pub patience: usize,
    /// Train every run for all its epochs.
    #[arg(long, conflicts_with = "patience")]
    pub no_early_stop: bool,
    /// Rank by this test metric: auc, accuracy, precision, recall, f1, rmse, mae, r2,
    /// valid_loss… (default: auc, or rmse for regression).
    #[arg(long)]
    pub metric: Option<String>,
    /// relu, tanh, sigmoid or leaky_relu (for every run).
    #[arg(long, default_value = "relu", value_parser = parse_activation)]
    pub activation: Activation,
    /// adam or sgd (with momentum 0.9).
    #[arg(long, default_value = "adam", value_parser = parse_optimizer)]
    pub optimizer: OptimizerKind,
    /// L2 weight decay (for every run).
    #[arg(long, default_value_t = TrainSettings::default().l2)]
    pub l2: f64,
    #[arg(long, default_value = "auto")]
    pub backend: BackendChoice,
    /// Seeds the split, the weights and the shuffling (the same for every run).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print one JSON object per run, best first, instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_activation(s: &str) -> Result<Activation, String> {
    let key = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    Activation::ALL
        .into_iter()
        .find(|a| activation_key(*a) == key)
        .ok_or_else(|| {
            format!("unknown activation `{s}`; choose relu, tanh, sigmoid or leaky_relu")
        })
}

fn activation_key(a: Activation) -> &'static str {
    match a {
        Activation::Relu => "relu",
        Activation::Tanh => "tanh",
        Activation::Sigmoid => "sigmoid",
        Activation::LeakyRelu => "leaky_relu",
    }
}

fn parse_optimizer(s: &str) -> Result<OptimizerKind, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "adam" => Ok(OptimizerKind::Adam),
        "sgd" => Ok(OptimizerKind::Sgd),
        _ => Err(format!("unknown optimizer `{s}`; choose adam or sgd")),
    }
}

/// `64,32` → `[64, 32]`; `0`, `none` or empty → no hidden layer.
pub fn parse_hidden(text: &str) -> Result<Vec<usize>> {
    let text = text.trim();
    if text.is_empty() || text == "0" || text.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|part| {
            part.trim().parse::<usize>().map_err(|_| {
                anyhow::anyhow!(
                    "--hidden: `{}` is not a number of neurons (use e.g. 64,32)",
                    part.trim()
                )
            })
        })
        .collect()
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The CSV file (`,` `;` tab or `|` delimited, or as Excel's `sep=` line says; header row first).
    pub file: PathBuf,
    /// Also print the first N rows.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub head: usize,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// visits, customers, circle, xor, spiral or gaussians.
    #[arg(long, default_value = "visits")]
    pub preset: Preset,
    #[arg(long, default_value_t = 1000)]
    pub rows: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// 0 (clean) to 1 (very noisy): label noise for customers, jitter for shapes.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f64,
    /// Share of rows in the positive class (0.05 to 0.95).
    #[arg(long, default_value_t = 0.5)]
    pub balance: f64,
    /// Share of feature cells left empty (customers preset only).
    #[arg(long, default_value_t = 0.05)]
    pub missing: f64,
    /// Output file; `-` or nothing writes to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs a parsed command line. `None` (no subcommand) is the window's job
/// and handled by `main`.
pub fn run(command: Command) -> Result<()> {
    match command {
        Command::Inspect(args) => inspect(&args),
        Command::Generate(args) => generate(&args),
        Command::Train(args) => train(&args),
        Command::Sweep(args) => sweep(&args),
        Command::Predict(args) => predict::predict(&args),
        Command::Bench(args) => bench(&args),
    }
}

fn load(path: &Path) -> Result<Table> {
    data::load_csv(path).with_context(|| format!("{}", path.display()))
}

fn inspect(args: &InspectArgs) -> Result<()> {
    let table = load(&args.file)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} rows, {} columns",
        args.file.display(),
        table.n_rows(),
        table.n_cols()
    )?;
    writeln!(out)?;
    write!(out, "{}", format_summary(&table))?;
    if !table.notes().is_empty() {
        writeln!(out)?;
        for note in table.notes() {
            writeln!(out, "{note}")?;
        }
    }
    if args.head > 0 {
        writeln!(out)?;
        write!(out, "{}", format_head(&table, args.head))?;
    }
    Ok(())
}

/// The per-column summary as an aligned text table, with what was
/// recognised in each column (dates, currency, decimal comma).
pub fn format_summary(table: &Table) -> String {
    let summary = table.summary();
    let recognised: Vec<String> = summary
        .iter()
        .map(|s| match table.cell_format(&s.name) {
            CellFormat::Number(f) if !f.describe().is_empty() => format!("; {}", f.describe()),
            _ => String::new(),
        })
        .collect();
    format_summary_rows(&summary, table, &recognised)
}

fn format_summary_rows(summary: &[ColumnSummary], table: &Table, recognised: &[String]) -> String {
    let name_w = summary
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0)
        .max("column".len());
    let mut text = format!(
        "{:>3}  {:<name_w$}  {:<11}  {:>7}  values\n",
        "#", "column", "type", "missing"
    );
    for (i, s) in summary.iter().enumerate() {
        let values = match table.cell_format(&s.name) {
            CellFormat::Date(f) => describe_dates(table, &s.name, &f.describe()),
            _ => s.describe(),
        };
        text.push_str(&format!(
            "{:>3}  {:<name_w$}  {:<11}  {:>7}  {values}{}\n",
            i + 1,
            s.name,
            s.kind.to_string(),
            s.missing,
            recognised.get(i).map_or("", String::as_str)
        ));
    }
    text
}

/// `dates 2023-01-04 to 2024-12-30 (ISO date)` for a date column.
fn describe_dates(table: &Table, name: &str, format: &str) -> String {
    let Some(data::ColumnData::Numeric(days)) = table.column(name).map(|c| &c.data) else {
        return String::new();
    };
    let known = days.iter().filter(|d| !d.is_nan());
    let (lo, hi) = known.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &d| {
        (lo.min(d), hi.max(d))
    });
    if lo > hi {
        return "all missing".to_owned();
    }
    format!(
        "dates {} to {} ({format}, as days since 1970-01-01)",
        data::dates::format_day(lo),
        data::dates::format_day(hi)
    )
}

/// Notes to standard error, one line each.
pub(crate) fn print_notes(notes: &[DataNote]) {
    for note in notes {
        eprintln!("{note}");
    }
}

/// The first `n` rows, missing cells shown as `·`.
pub fn format_head(table: &Table, n: usize) -> String {
    let n = n.min(table.n_rows());
    let cells: Vec<Vec<String>> = table
        .columns()
        .iter()
        .map(|c| {
            std::iter::once(c.name.clone())
                .chain((0..n).map(|r| c.text(r).map_or_else(|| "·".to_owned(), |t| t.into_owned())))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = cells
        .iter()
        .map(|col| col.iter().map(|s| s.chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for r in 0..=n {
        let line: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(col, w)| format!("{:<w$}", col[r]))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}

fn generate(args: &GenerateArgs) -> Result<()> {
    let settings = SynthSettings {
        preset: args.preset,
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
                "wrote {} rows of `{}` to {}",
                table.n_rows(),
                args.preset,
                path.display()
            );
        }
        _ => data::write::write_table(&table, std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    Ok(())
}

fn train(args: &TrainArgs) -> Result<()> {
    let table = load(&args.problem.data)?;
    let recipe = args.problem.recipe(&table, args.seed);
    let spec = NetworkSpec {
        hidden: parse_hidden(&args.hidden)?,
        activation: args.activation,
        dropout: args.dropout,
    };
    let settings = TrainSettings {
        optimizer: args.optimizer,
        learning_rate: args.lr,
        batch_size: args.batch,
        epochs: args.epochs,
        l2: args.l2,
        seed: args.seed,
        early_stopping: args.patience,
        ..TrainSettings::default()
    };
    spec.validate()?;
    settings.validate()?;
    if let Some(dir) = args.out.as_ref().and_then(|p| p.parent())
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        // Said now, not after the training it would waste.
        anyhow::bail!(
            "--out {}: the folder {} does not exist",
            args.out
                .as_ref()
                .map_or_else(String::new, |p| p.display().to_string()),
            dir.display()
        );
    }
    // The reader's notes about columns this run uses (and the file as a
    // whole); with --features, the others' notes would only be noise.
    let mut notes: Vec<DataNote> = table
        .notes()
        .iter()
        .filter(|n| match (&n.column, &recipe.features) {
            (Some(c), features) if args.problem.features.is_some() => {
                *c == recipe.target || features.contains(c)
            }
            _ => true,
        })
        .cloned()
        .collect();
    notes.extend(args.problem.feature_notes(&table));
    if !args.json {
        print_notes(&notes);
    }
    let prepared = std::sync::Arc::new(data::prepare(&table, &recipe)?);
    if !args.json {
        print_notes(&prepared.notes);
    }
    notes.extend(prepared.notes.iter().cloned());
    let device = select_device(args.backend)?;
    if !args.json {
        eprintln!("device: {}", device.description);
        eprintln!("data: {}", describe_prepared(&prepared));
    }
    let mut run = TrainingRun::new(prepared, &spec, &settings, &device)?;

    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(settings.epochs as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "epoch {pos}/{len} {bar:30} {msg} [{elapsed} < {eta}]",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let start = std::time::Instant::now();
    let mut failure = None;
    for _ in 0..settings.epochs {
        match run.run_epoch() {
            Ok(report) => {
                let (name, value) = report.metrics.headline();
                bar.set_message(format!(
                    "loss {:.4} / valid {:.4}  {name} {value:.3}",
                    report.train_loss, report.valid_loss
                ));
                bar.inc(1);
                if run.stopped_early() {
                    break;
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let train_seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();

    if let Some(path) = &args.history {
        tune::write_history_csv(run.history(), path)?;
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    if let Some(path) = &args.out {
        Bundle::from_run(&run, &recipe)?.save(path)?;
    }
    let metrics = run.test_metrics(crate::model::run::DEFAULT_THRESHOLD)?;
    if args.json {
        let test = match &metrics {
            Metrics::Classification(m) => serde_json::json!({
                "accuracy": m.accuracy,
                // null when nothing was predicted positive (0/0).
                "precision": m.precision_if_defined(),
                "recall": m.recall,
                "f1": m.f1,
                "auc": m.auc,
                "confusion": m.confusion,
            }),
            Metrics::Regression(m) => serde_json::json!({
                "mae": m.mae,
                "rmse": m.rmse,
                "r2": m.r2,
            }),
        };
        let last = run.history().last();
        let summary = serde_json::json!({
            "task": match run.task() {
                crate::model::Task::Classification => "classification",
                crate::model::Task::Regression => "regression",
            },
            "backend": device.kind,
            "device": device.description,
            "epochs": run.epoch(),
            "train_seconds": train_seconds,
            "train_rows": run.prepared().train.x.rows,
            "test_rows": run.prepared().test.x.rows,
            "features": run.prepared().pipeline.n_features(),
            "train_loss": last.map(|r| r.train_loss),
            "valid_loss": last.map(|r| r.valid_loss),
            "stopped_early": run.stopped_early(),
            "best_epoch": run.best_epoch(),
            "test": test,
            "model": args.out,
            "feature_columns": run.prepared().pipeline.input_columns().collect::<Vec<_>>(),
            "notes": notes,
        });
        println!("{summary}");
    } else {
        println!("trained {} epochs in {train_seconds:.2} s", run.epoch());
        if let Some(stop) = run.early_stop() {
            println!("{stop}");
        }
        print!("{}", format_metrics(&metrics));
        if let Some(path) = &args.out {
            println!("model saved to {}", path.display());
        }
    }
    Ok(())
}

/// Test metrics as readable lines.
pub fn format_metrics(metrics: &Metrics) -> String {
    match metrics {
        Metrics::Classification(m) => {
            let [[tn, fp], [fn_, tp]] = m.confusion;
            let auc = m.auc.map_or_else(
                || "n/a (one class in the test set)".to_owned(),
                |a| format!("{a:.3}"),
            );
            let precision = m
                .precision_if_defined()
                .map_or_else(|| "undefined".to_owned(), |p| format!("{p:.3}"));
            let mut text = format!(
                "test accuracy {:.3}  precision {precision}  recall {:.3}  F1 {:.3}  ROC AUC {auc}\n\
                 confusion (rows actual, columns predicted): [[{tn}, {fp}], [{fn_}, {tp}]]\n",
                m.accuracy, m.recall, m.f1
            );
            if !m.precision_defined() {
                text.push_str(&format!(
                    "no test row was predicted positive at threshold {:.2}, so precision is undefined (not 0); \
                     lower the threshold (the window's threshold slider, or predict --threshold)\n",
                    m.threshold
                ));
            }
            text
        }
        Metrics::Regression(m) => format!(
            "test MAE {:.4}  RMSE {:.4}  R² {}\n",
            m.mae,
            m.rmse,
            m.r2.map_or_else(|| "n/a (constant target)".to_owned(), |r| format!("{r:.3}"))
        ),
    }
}

/// `1234 training rows, 309 test rows, 12 features (3 rows dropped …)`.
fn describe_prepared(prepared: &Prepared) -> String {
    format!(
        "{} training rows, {} test rows, {} features{}",
        prepared.train.x.rows,
        prepared.test.x.rows,
        prepared.pipeline.n_features(),
        if prepared.dropped_rows > 0 {
            format!(
                " ({} rows dropped for missing values)",
                prepared.dropped_rows
            )
        } else {
            String::new()
        }
    )
}

fn sweep(args: &SweepArgs) -> Result<()> {
    let table = load(&args.problem.data)?;
    let recipe = args.problem.recipe(&table, args.seed);
    let metric = match &args.metric {
        Some(m) => {
            let m = m.trim().to_ascii_lowercase();
            if !METRICS.contains(&m.as_str()) {
                anyhow::bail!(
                    "--metric: unknown metric `{m}`; choose one of {}",
                    METRICS.join(", ")
                );
            }
            m
        }
        None if args.problem.regression => "rmse".to_owned(),
        None => "auc".to_owned(),
    };
    let grid = SweepGrid {
        learning_rates: args.lr.clone(),
        hidden: match &args.hidden {
            Some(text) => text.split(';').map(parse_hidden).collect::<Result<_>>()?,
            None => Vec::new(),
        },
        widths: args.widths.clone(),
        depths: args.depths.clone(),
        batch_sizes: args.batch.clone(),
        dropouts: args.dropout.clone(),
    };
    let base_spec = NetworkSpec {
        activation: args.activation,
        ..NetworkSpec::default()
    };
    let base_train = TrainSettings {
        optimizer: args.optimizer,
        epochs: args.epochs,
        l2: args.l2,
        seed: args.seed,
        ..TrainSettings::default()
    };
    let points = grid.expand(&base_spec, &base_train)?;
    let prepared = std::sync::Arc::new(data::prepare(&table, &recipe)?);
    if !args.json {
        eprintln!("data: {}", describe_prepared(&prepared));
    }
    let mut job = SweepJob::new(
        prepared,
        data::Source::File(args.problem.data.clone()),
        recipe,
        tune::fingerprint(&table),
        points,
        args.backend,
    );
    job.patience = (!args.no_early_stop).then_some(args.patience);
    if let Some(p) = job.patience {
        // Checked here so the message names the flag.
        TrainSettings {
            early_stopping: Some(p),
            ..base_train.clone()
        }
        .validate()
        .context("--patience")?;
    }

    use std::io::IsTerminal;
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let total = job.points.len();
    let bar = if show_progress {
        indicatif::ProgressBar::new((total * args.epochs) as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} [{elapsed} < {eta}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut outcomes: Vec<SweepOutcome> = Vec::with_capacity(total);
    let never = std::sync::atomic::AtomicBool::new(false);
    run_sweep(&job, &never, |event| match event {
        SweepEvent::Started { device, .. } if !args.json => {
            bar.suspend(|| eprintln!("device: {device}\nsweep: {total} runs, ranked by {metric}"));
        }
        SweepEvent::Progress {
            done,
            current_epoch,
            epochs,
            ..
        } => {
            bar.set_position((done * epochs + current_epoch) as u64);
            bar.set_message(format!(
                "run {}/{total} epoch {current_epoch}/{epochs}",
                done + 1
            ));
        }
        SweepEvent::RunDone(outcome) => outcomes.push(*outcome),
        _ => {}
    })?;
    bar.finish_and_clear();

    let ranked = rank(&outcomes, &metric);
    if ranked.iter().all(|o| o.result.is_err()) {
        let first = ranked
            .first()
            .and_then(|o| o.result.as_ref().err())
            .map_or("no runs", String::as_str);
        anyhow::bail!("every run of the sweep failed; the first: {first}");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        for (i, o) in ranked.iter().enumerate() {
            writeln!(out, "{}", sweep_json(i + 1, o, &metric))?;
        }
    } else {
        write!(out, "{}", format_sweep(&ranked, &metric))?;
    }
    Ok(())
}

/// One run of a sweep as a JSON object.
fn sweep_json(rank: usize, o: &SweepOutcome, metric: &str) -> serde_json::Value {
    let params: serde_json::Map<String, serde_json::Value> = o
        .point
        .params
        .iter()
        .map(|(p, v)| {
            (
                p.key().to_owned(),
                serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    let record = o.record();
    let metrics: serde_json::Map<String, serde_json::Value> = METRICS
        .iter()
        // Epochs and seconds have their own fields.
        .filter(|&&name| name != "epochs" && name != "wall_seconds")
        .filter_map(|&name| Some((name.to_owned(), serde_json::json!(o.metric(name)?))))
        .collect();
    serde_json::json!({
        "rank": rank,
        "index": o.index,
        "params": params,
        "hidden": o.point.spec.hidden,
        "dropout": o.point.spec.dropout,
        "learning_rate": o.point.train.learning_rate,
        "batch_size": o.point.train.batch_size,
        "metric": metric,
        "value": o.metric(metric),
        "metrics": metrics,
        "epochs": record.map(|r| r.epochs_trained()),
        "best_epoch": record.and_then(|r| r.best_epoch),
        "stopped_early": record.map(|r| r.stopped_early),
        "seconds": record.map(|r| r.wall_seconds),
        "device": record.map(|r| r.device.as_str()),
        "error": o.result.as_ref().err(),
    })
}

/// The ranked runs as an aligned text table, best first, then any failures
/// and the best settings.
pub fn format_sweep(ranked: &[&SweepOutcome], metric: &str) -> String {
    let params: Vec<tune::SweepParam> = ranked
        .first()
        .map(|o| o.point.params.iter().map(|(p, _)| *p).collect())
        .unwrap_or_default();
    let task_metrics: &[&str] = match ranked
        .iter()
        .find_map(|o| o.record()?.final_metrics.as_ref())
    {
        Some(Metrics::Regression(_)) => &["rmse", "mae", "r2"],
        _ => &["auc", "accuracy", "f1"],
    };
    let mut shown: Vec<&str> = vec![metric];
    shown.extend(task_metrics.iter().filter(|m| **m != metric));
    if metric != "valid_loss" {
        shown.push("valid_loss");
    }
    let mut header: Vec<String> = vec!["rank".to_owned()];
    header.extend(params.iter().map(|p| p.key().to_owned()));
    header.extend(shown.iter().map(|m| (*m).to_owned()));
    header.extend(["epochs".to_owned(), "seconds".to_owned()]);
    let mut rows = vec![header];
    let mut failures = Vec::new();
    for (i, o) in ranked.iter().enumerate() {
        let mut row = vec![(i + 1).to_string()];
        row.extend(params.iter().map(|p| {
            o.point
                .param(*p)
                .map_or_else(|| "-".to_owned(), ToString::to_string)
        }));
        match &o.result {
            Ok(record) => {
                row.extend(shown.iter().map(|m| {
                    tune::metric_value(record, m)
                        .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"))
                }));
                row.push(match (record.stopped_early, record.best_epoch) {
                    (true, Some(best)) => format!("{} (best {best})", record.epochs_trained()),
                    _ => record.epochs_trained().to_string(),
                });
                row.push(format!("{:.2}", record.wall_seconds));
            }
            Err(message) => {
                row.extend(shown.iter().map(|_| "failed".to_owned()));
                row.extend(["-".to_owned(), "-".to_owned()]);
                failures.push(format!("run {} ({}): {message}", i + 1, o.point.label()));
            }
        }
        rows.push(row);
    }
    let columns = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    for failure in failures {
        text.push_str(&failure);
        text.push('\n');
    }
    if let Some(best) = ranked.first().filter(|o| o.metric(metric).is_some()) {
        let direction = if higher_is_better(metric) {
            "highest"
        } else {
            "lowest"
        };
        text.push_str(&format!(
            "best ({direction} {metric}): {}\n",
            best.point.label()
        ));
    }
    text
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print one JSON object with every figure instead of a table.
    #[arg(long)]
    pub json: bool,
    /// auto, gpu (any wgpu adapter, even a software one) or cpu.
    #[arg(long, default_value = "auto")]
    pub backend: BackendChoice,
    /// Training engine for W1, W2 and W3's epoch: auto (the host kernel on
    /// the CPU backend) or burn (Burn's autodiff, for before/after figures).
    #[arg(long, default_value = "auto")]
    pub engine: crate::model::TrainingEngine,
    /// Tiny sizes and one run each: checks the benchmark works, measures nothing.
    #[arg(long)]
    pub quick: bool,
    /// Only these workloads: w1, w2, w3, surface, first-epoch (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "w1,w2")]
    pub only: Vec<crate::bench::Workload>,
    /// Measured runs per training workload (default 5; 1 with --quick).
    #[arg(long, value_name = "N")]
    pub repeats: Option<usize>,
    /// Also write W1/W2 data and prepared training matrices here, for
    /// scripts/sklearn_bench.py.
    #[arg(long, value_name = "DIR")]
    pub export_data: Option<PathBuf>,
}

fn bench(args: &BenchArgs) -> Result<()> {
    let mut sizes = if args.quick {
        crate::bench::Sizes::quick()
    } else {
        crate::bench::Sizes::full()
    };
    if let Some(repeats) = args.repeats {
        sizes.repeats = repeats.max(1);
    }
    let options = crate::bench::BenchOptions {
        backend: args.backend,
        engine: args.engine,
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
    let report = crate::bench::run_bench(&options, |step| {
        if !json {
            eprintln!("running {step}…");
        }
    })?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", crate::bench::format_report(&report));
    }
    Ok(())
}
