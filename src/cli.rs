//! The headless face of the engine: subcommands that load, generate and
//! (later) train and score without a window.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::data::prep::{Impute, Problem, Recipe, Scale};
use crate::data::table::Column;
use crate::data::{self, ColumnSummary, Preset, SynthSettings, Table};
use crate::model::bundle::{Bundle, LoadedModel};
use crate::model::run::{EpochReport, Metrics, TrainingRun};
use crate::model::{
    Activation, BackendChoice, NetworkSpec, OptimizerKind, TrainSettings, select_device,
};

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
    /// Score a CSV file of customers with a saved model.
    Predict(PredictArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
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
    /// Share of rows held out for testing.
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Missing values: drop_rows, mean, median or most_frequent.
    #[arg(long, default_value = "median")]
    pub impute: Impute,
    /// Numeric scaling: minmax, standardize or none.
    #[arg(long, default_value = "minmax")]
    pub scale: Scale,
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
pub struct PredictArgs {
    /// A model file saved by `train` or the app.
    #[arg(long, value_name = "model.plab")]
    pub model: PathBuf,
    /// Customers to score (CSV with the model's feature columns).
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// Output CSV; `-` or nothing writes to standard output.
    #[arg(short, long, value_name = "OUT.csv")]
    pub output: Option<PathBuf>,
    /// Probability at or above which a row is labelled positive.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    #[arg(long, default_value = "auto")]
    pub backend: BackendChoice,
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
    /// The CSV file (`,` `;` or tab delimited, header row first).
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
        Command::Predict(args) => predict(&args),
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
    write!(out, "{}", format_summary(&table.summary()))?;
    if args.head > 0 {
        writeln!(out)?;
        write!(out, "{}", format_head(&table, args.head))?;
    }
    Ok(())
}

/// The per-column summary as an aligned text table.
pub fn format_summary(summary: &[ColumnSummary]) -> String {
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
        text.push_str(&format!(
            "{:>3}  {:<name_w$}  {:<11}  {:>7}  {}\n",
            i + 1,
            s.name,
            s.kind.to_string(),
            s.missing,
            s.describe()
        ));
    }
    text
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
    let table = load(&args.data)?;
    let problem = match (&args.positive, args.regression) {
        (Some(positive), false) => Problem::Classification {
            positive: positive.clone(),
        },
        _ => Problem::Regression,
    };
    let mut recipe = Recipe::new(&table, &args.target, problem);
    if let Some(features) = &args.features {
        recipe.features = features.iter().map(|f| f.trim().to_owned()).collect();
    }
    recipe.impute = args.impute;
    recipe.scale = args.scale;
    recipe.test_fraction = args.test_fraction;
    recipe.seed = args.seed;
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
        ..TrainSettings::default()
    };
    spec.validate()?;
    settings.validate()?;
    let prepared = std::sync::Arc::new(data::prepare(&table, &recipe)?);
    let device = select_device(args.backend)?;
    if !args.json {
        eprintln!("device: {}", device.description);
        eprintln!(
            "data: {} training rows, {} test rows, {} features{}",
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
        );
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
        write_history(run.history(), path)?;
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
                "precision": m.precision,
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
            "epochs": run.trainer().epoch(),
            "train_seconds": train_seconds,
            "train_rows": run.prepared().train.x.rows,
            "test_rows": run.prepared().test.x.rows,
            "features": run.prepared().pipeline.n_features(),
            "train_loss": last.map(|r| r.train_loss),
            "valid_loss": last.map(|r| r.valid_loss),
            "test": test,
            "model": args.out,
        });
        println!("{summary}");
    } else {
        println!(
            "trained {} epochs in {train_seconds:.2} s",
            run.trainer().epoch()
        );
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
            format!(
                "test accuracy {:.3}  precision {:.3}  recall {:.3}  F1 {:.3}  ROC AUC {auc}\n\
                 confusion (rows actual, columns predicted): [[{tn}, {fp}], [{fn_}, {tp}]]\n",
                m.accuracy, m.precision, m.recall, m.f1
            )
        }
        Metrics::Regression(m) => format!(
            "test MAE {:.4}  RMSE {:.4}  R² {}\n",
            m.mae,
            m.rmse,
            m.r2.map_or_else(|| "n/a (constant target)".to_owned(), |r| format!("{r:.3}"))
        ),
    }
}

fn write_history(history: &[EpochReport], path: &Path) -> Result<()> {
    let mut columns = vec![
        Column::numeric("epoch", history.iter().map(|r| r.epoch as f64).collect()),
        Column::numeric("train_loss", history.iter().map(|r| r.train_loss).collect()),
        Column::numeric("valid_loss", history.iter().map(|r| r.valid_loss).collect()),
    ];
    // The per-epoch metric columns of this task (named by the first epoch).
    if let Some(first) = history.first() {
        for (i, (name, _)) in first.metrics.history_columns().into_iter().enumerate() {
            let values = history
                .iter()
                .map(|r| r.metrics.history_columns()[i].1.unwrap_or(f64::NAN))
                .collect();
            columns.push(Column::numeric(name, values));
        }
    }
    columns.push(Column::numeric(
        "seconds",
        history.iter().map(|r| r.seconds).collect(),
    ));
    let table = Table::new(columns)?;
    data::write_csv(&table, path)?;
    Ok(())
}

fn predict(args: &PredictArgs) -> Result<()> {
    let bundle = Bundle::load(&args.model).with_context(|| format!("{}", args.model.display()))?;
    let mut table = load(&args.data)?;
    let device = select_device(args.backend)?;
    let model = LoadedModel::new(bundle, &device)?;
    let scores = model
        .predict_table(&table)
        .with_context(|| format!("{}", args.data.display()))?;
    let free_name = |table: &Table, base: &str| -> String {
        let mut name = base.to_owned();
        while table.column(&name).is_some() {
            name.push_str("_predicted");
        }
        name
    };
    match model.meta.pipeline.encoding.class_names() {
        Some((positive, negative)) => {
            let labels: Vec<Option<&str>> = scores
                .iter()
                .map(|&p| {
                    Some(if f64::from(p) >= args.threshold {
                        positive
                    } else {
                        negative.as_str()
                    })
                })
                .collect();
            let name = free_name(&table, "probability");
            // Six decimals: more would only show f32 rounding noise.
            table.push_column(Column::numeric(
                name,
                scores
                    .iter()
                    .map(|&p| (f64::from(p) * 1e6).round() / 1e6)
                    .collect(),
            ))?;
            let name = free_name(&table, "prediction");
            table.push_column(Column::categorical(name, &labels))?;
        }
        None => {
            let name = free_name(&table, "prediction");
            table.push_column(Column::numeric(
                name,
                scores.iter().map(|&p| f64::from(p)).collect(),
            ))?;
        }
    }
    match &args.output {
        Some(path) if path.as_os_str() != "-" => {
            data::write_csv(&table, path)?;
            eprintln!("scored {} rows into {}", table.n_rows(), path.display());
        }
        _ => data::write::write_table(&table, std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    Ok(())
}
