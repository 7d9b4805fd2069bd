//! `purchase-lab train`: train one model (a network, or boosted trees with
//! `--model gbm`) on a CSV file, print its test metrics (or one JSON
//! object), save the model and the per-epoch (per-round) history.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::args::{ModelArgs, ProblemArgs, TreeArgs, parse_hidden};
use super::choices::{BackendArg, ModelArg};
use super::load;
use super::output::{describe_prepared, print_notes, progress_bar, write_json_line};
use crate::data::notes::DataNote;
use crate::data::prep::Recipe;
use crate::data::{self, Table};
use crate::model::bundle::Bundle;
use crate::model::run::{DEFAULT_THRESHOLD, Metrics, TrainingRun};
use crate::model::{
    ComputeKind, Family, ModelSpec, NetworkSpec, Task, TrainSettings, select_device,
};
use crate::tune;

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// The model family: a neural network, or gradient-boosted trees.
    #[arg(
        long = "model",
        value_enum,
        ignore_case = true,
        default_value = "network"
    )]
    pub model_family: ModelArg,
    /// Neurons per hidden layer, comma-separated; `0` or `none` for no hidden layer.
    #[arg(long, default_value = "32,16", value_name = "32,16")]
    pub hidden: String,
    #[arg(long, default_value_t = NetworkSpec::default().dropout)]
    pub dropout: f64,
    /// Learning rate [default: 0.001 for a network, 0.1 for trees].
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long, default_value_t = TrainSettings::default().batch_size)]
    pub batch: usize,
    #[arg(long, default_value_t = TrainSettings::default().epochs)]
    pub epochs: usize,
    /// Early stopping: stop once validation loss has not improved for N
    /// epochs (rounds).
    #[arg(long, value_name = "N")]
    pub patience: Option<usize>,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub trees: TreeArgs,
    /// auto (GPU when a real one exists), gpu or cpu.
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    pub backend: BackendArg,
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

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct TrainSummary<'a> {
    task: &'static str,
    /// `network` or `trees`.
    family: Family,
    backend: ComputeKind,
    device: &'a str,
    epochs: usize,
    train_seconds: f64,
    train_rows: usize,
    test_rows: usize,
    features: usize,
    train_loss: Option<f64>,
    valid_loss: Option<f64>,
    stopped_early: bool,
    best_epoch: Option<usize>,
    test: TestMetrics,
    model: Option<&'a Path>,
    feature_columns: Vec<&'a str>,
    notes: &'a [DataNote],
}

/// The test metrics of `--json`, by task.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum TestMetrics {
    Classification {
        accuracy: f64,
        /// `null` when nothing was predicted positive (0/0).
        precision: Option<f64>,
        recall: f64,
        f1: f64,
        auc: Option<f64>,
        confusion: [[u64; 2]; 2],
    },
    Regression {
        mae: f64,
        rmse: f64,
        r2: Option<f64>,
    },
}

impl From<&Metrics> for TestMetrics {
    fn from(metrics: &Metrics) -> TestMetrics {
        match metrics {
            Metrics::Classification(m) => TestMetrics::Classification {
                accuracy: m.accuracy,
                precision: m.precision_if_defined(),
                recall: m.recall,
                f1: m.f1,
                auc: m.auc,
                confusion: m.confusion,
            },
            Metrics::Regression(m) => TestMetrics::Regression {
                mae: m.mae,
                rmse: m.rmse,
                r2: m.r2,
            },
        }
    }
}

impl TrainArgs {
    fn spec(&self) -> Result<NetworkSpec> {
        let spec = NetworkSpec {
            hidden: parse_hidden(&self.hidden)?,
            activation: self.model.activation.into(),
            dropout: self.dropout,
        };
        spec.validate()?;
        Ok(spec)
    }

    fn settings(&self) -> Result<TrainSettings> {
        let settings = TrainSettings {
            optimizer: self.model.optimizer.into(),
            learning_rate: self.lr.unwrap_or(TrainSettings::default().learning_rate),
            batch_size: self.batch,
            epochs: self.epochs,
            l2: self.model.network_l2(),
            seed: self.model.seed,
            early_stopping: self.patience,
            ..TrainSettings::default()
        };
        settings.validate()?;
        Ok(settings)
    }

    /// What `--model` asks to train, with its settings. Errors: a value
    /// out of range, named.
    fn model_spec(&self) -> Result<ModelSpec> {
        Ok(match self.model_family {
            ModelArg::Network => ModelSpec::Network {
                spec: self.spec()?,
                settings: self.settings()?,
            },
            ModelArg::Gbm => ModelSpec::Trees {
                settings: self.trees.settings(self.lr, &self.model, self.patience)?,
            },
        })
    }

    /// Refuses `--out` into a folder that does not exist: said now, not
    /// after the training it would waste.
    fn check_out(&self) -> Result<()> {
        if let Some(out) = &self.out
            && let Some(dir) = out.parent()
            && !dir.as_os_str().is_empty()
            && !dir.is_dir()
        {
            anyhow::bail!(
                "--out {}: the folder {} does not exist",
                out.display(),
                dir.display()
            );
        }
        Ok(())
    }

    /// The reader's notes about columns this run uses (and the file as a
    /// whole; with --features, the others' notes would only be noise),
    /// then those about the feature choice.
    fn data_notes(&self, table: &Table, recipe: &Recipe) -> Vec<DataNote> {
        let mut notes: Vec<DataNote> = table
            .notes()
            .iter()
            .filter(|n| match &n.column {
                Some(c) if self.problem.features.is_some() => {
                    *c == recipe.target || recipe.features.contains(c)
                }
                _ => true,
            })
            .cloned()
            .collect();
        notes.extend(self.problem.feature_notes(table));
        notes
    }
}

pub(super) fn train(args: &TrainArgs) -> Result<()> {
    let table = load(&args.problem.data)?;
    let recipe = args.problem.recipe(&table, args.model.seed);
    let model = args.model_spec()?;
    args.check_out()?;
    let mut notes = args.data_notes(&table, &recipe);
    if !args.json {
        print_notes(&notes);
    }
    let prepared = std::sync::Arc::new(data::prepare(&table, &recipe)?);
    if !args.json {
        print_notes(&prepared.notes);
    }
    notes.extend(prepared.notes.iter().cloned());
    let device = select_device(args.backend.into())?;
    if !args.json {
        eprintln!("device: {}", device.description);
        eprintln!("data: {}", describe_prepared(&prepared));
    }
    let mut run = TrainingRun::with_model(prepared, &model, &device)?;

    let start = std::time::Instant::now();
    let failure = train_epochs(&mut run, model.units(), !args.json);
    let train_seconds = start.elapsed().as_secs_f64();

    if let Some(path) = &args.history {
        tune::write_history_csv(run.history(), path)?;
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    if let Some(path) = &args.out {
        Bundle::from_run(&run, &recipe)?.save(path)?;
    }
    let metrics = run.test_metrics(DEFAULT_THRESHOLD)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let last = run.history().last();
        let summary = TrainSummary {
            task: match run.task() {
                Task::Classification => "classification",
                Task::Regression => "regression",
            },
            family: model.family(),
            backend: device.kind,
            device: &device.description,
            epochs: run.epoch(),
            train_seconds,
            train_rows: run.prepared().train.x.rows,
            test_rows: run.prepared().test.x.rows,
            features: run.prepared().pipeline.n_features(),
            train_loss: last.map(|r| r.train_loss),
            valid_loss: last.map(|r| r.valid_loss),
            stopped_early: run.stopped_early(),
            best_epoch: run.best_epoch(),
            test: TestMetrics::from(&metrics),
            model: args.out.as_deref(),
            feature_columns: run.prepared().pipeline.input_columns().collect(),
            notes: &notes,
        };
        write_json_line(&mut out, &summary)?;
    } else {
        writeln!(
            out,
            "trained {} {}s in {train_seconds:.2} s",
            run.epoch(),
            run.learner().unit().name()
        )?;
        if let Some(stop) = run.early_stop() {
            writeln!(out, "{stop}")?;
        }
        write!(out, "{}", format_metrics(&metrics))?;
        if let Some(path) = &args.out {
            writeln!(out, "model saved to {}", path.display())?;
        }
    }
    Ok(())
}

/// Trains up to `epochs` epochs (fewer when early stopping ends the run)
/// with a progress bar on standard error when `show_progress`; the error
/// that ended training early, if any (the history so far is kept).
fn train_epochs(
    run: &mut TrainingRun,
    epochs: usize,
    show_progress: bool,
) -> Option<crate::model::run::RunError> {
    let template = format!(
        "{} {{pos}}/{{len}} {{bar:30}} {{msg}} [{{elapsed}} < {{eta}}]",
        run.learner().unit().name()
    );
    let bar = progress_bar(epochs as u64, &template, show_progress);
    let mut failure = None;
    for _ in 0..epochs {
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
    bar.finish_and_clear();
    failure
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
