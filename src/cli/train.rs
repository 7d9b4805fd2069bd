//! `purchase-lab train`: train one model (a network, or boosted trees with
//! `--model gbm`) on a CSV file's training rows, judge each epoch (round)
//! on the validation rows, stop early and restore the best weights (trees),
//! choose the threshold on validation rows, then print the test metrics (or
//! one JSON object), save the model and the per-epoch (per-round) history.
//! `--cv K` adds k-fold cross-validation; `--export-split` writes the rows'
//! parts and folds for the same-folds comparison script.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::args::{FamilyArgs, ModelArgs, ProblemArgs, TreeArgs, parse_activations, parse_hidden};
use super::choices::{BackendArg, CalibrateArg};
use super::load;
use super::output::{describe_prepared, print_notes, progress_bar, write_json_line};
use crate::data::notes::DataNote;
use crate::data::prep::Recipe;
use crate::data::{self, Table};
use crate::model::bundle::Bundle;
use crate::model::calibration::{CalibrationMethod, Calibrator};
use crate::model::run::{Metrics, RunOutcome, TrainingRun};
use crate::model::spec::FittedKeep;
use crate::model::{ComputeKind, Family, ModelSpec, NetworkSpec, Task, TrainSettings};
use crate::tune;

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    #[command(flatten)]
    pub family: FamilyArgs,
    /// Neurons per hidden layer, comma-separated; `0` or `none` for no hidden layer.
    #[arg(long, default_value = "64,32", value_name = "64,32")]
    pub hidden: String,
    /// Activation of each hidden layer, comma-separated, one per layer of
    /// --hidden (e.g. relu,tanh); overrides --activation.
    #[arg(long, value_name = "relu,tanh")]
    pub activations: Option<String>,
    #[arg(long, default_value_t = NetworkSpec::default().dropout)]
    pub dropout: f64,
    /// Learning rate [default: 0.001 for a network, 0.1 for trees].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Rows per mini-batch (default: 32, smaller for small files so an
    /// epoch has at least 16 steps).
    #[arg(long)]
    pub batch: Option<usize>,
    /// The most epochs to train (default: at least 200, and enough for
    /// 6,000 optimizer steps); early stopping usually ends the run first.
    /// Boosted trees train --trees rounds instead.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Early stopping: stop once validation loss has not improved for N
    /// epochs (rounds) and restore the best epoch's weights (round's
    /// trees). Default for a network: on, with N covering 600 optimizer
    /// steps, 10 to 100 epochs; for trees: off.
    #[arg(long, value_name = "N", conflicts_with = "no_early_stop")]
    pub patience: Option<usize>,
    /// Train every epoch up to --epochs and keep the last weights.
    #[arg(long)]
    pub no_early_stop: bool,
    /// Also run K-fold cross-validation on the training and validation
    /// rows (the test rows stay out) and print each metric's mean and
    /// standard deviation over the folds.
    #[arg(long, value_name = "K")]
    pub cv: Option<usize>,
    /// Write every usable row's part (train, validation, test) and, with
    /// --cv, its fold, with the recipe, as JSON for scripts/compare_peers.py.
    #[arg(long, value_name = "split.json")]
    pub export_split: Option<PathBuf>,
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
    /// Classification: fit a calibration map on the validation rows when
    /// training ends (platt: a sigmoid of the logit; isotonic: a
    /// non-decreasing step map) and save it with the model; predict,
    /// serve and evaluate then give calibrated probabilities, and the
    /// threshold is chosen on them.
    #[arg(long, value_enum, ignore_case = true, default_value = "none")]
    pub calibrate: CalibrateArg,
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
    valid_rows: usize,
    test_rows: usize,
    features: usize,
    /// Batch size, epoch cap and patience as used (a network's fitted to
    /// the data unless given; trees: no batches, the cap is --trees).
    batch_size: Option<usize>,
    epoch_cap: usize,
    patience: Option<usize>,
    train_loss: Option<f64>,
    valid_loss: Option<f64>,
    stopped_early: bool,
    best_epoch: Option<usize>,
    /// Whether the best epoch's weights were put back.
    restored_best: bool,
    /// Classification: the threshold chosen on validation rows (best F1),
    /// at which `validation` and `test` are computed.
    threshold: Option<f64>,
    class_weights: Option<[f32; 2]>,
    /// The calibration map fitted on the validation rows and saved with
    /// the model (`platt` or `isotonic`), if any.
    calibration: Option<CalibrationMethod>,
    validation: TestMetrics,
    test: TestMetrics,
    /// With --cv: mean and standard deviation of each metric over folds.
    #[serde(skip_serializing_if = "Option::is_none")]
    cross_validation: Option<crate::tune::cv::CvSummary>,
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
    Multiclass(super::multiclass::MulticlassSummary),
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
            Metrics::Multiclass(m) => TestMetrics::Multiclass(m.as_ref().into()),
        }
    }
}

impl TrainArgs {
    fn spec(&self) -> Result<NetworkSpec> {
        let spec = NetworkSpec {
            hidden: parse_hidden(&self.hidden)?,
            activation: self.model.activation.into(),
            layer_activations: match &self.activations {
                Some(text) => parse_activations(text)?,
                None => Vec::new(),
            },
            dropout: self.dropout,
        };
        spec.validate().map_err(|e| match e {
            crate::model::SpecError::ActivationCount { .. } => {
                anyhow::anyhow!("--activations: {e} (--hidden {})", self.hidden)
            }
            e => e.into(),
        })?;
        Ok(spec)
    }

    /// The settings for `n_train` training rows: the flags given, the
    /// rest fitted to the data ([`TrainSettings::fitted_to`]).
    pub(super) fn settings(&self, n_train: usize) -> Result<TrainSettings> {
        let (given, keep) = self.given_settings();
        let settings = given.fitted_to(n_train, keep);
        settings.validate()?;
        Ok(settings)
    }

    /// The settings the flags give (defaults where absent) and which of
    /// them the user chose, for [`TrainSettings::fitted_to`].
    pub(super) fn given_settings(&self) -> (TrainSettings, FittedKeep) {
        let defaults = TrainSettings::default();
        let given = TrainSettings {
            optimizer: self.model.optimizer.into(),
            learning_rate: self.lr.unwrap_or(defaults.learning_rate),
            batch_size: self.batch.unwrap_or(defaults.batch_size),
            epochs: self.epochs.unwrap_or(defaults.epochs),
            l2: self.model.network_l2(),
            seed: self.model.seed,
            early_stopping: self.patience,
            class_weight: self.model.class_weight,
            calibration: self.calibrate.into(),
            schedule: self.model.lr_schedule,
            ..defaults
        };
        let keep = FittedKeep {
            batch_size: self.batch.is_some(),
            epochs: self.epochs.is_some(),
            early_stopping: self.patience.is_some() || self.no_early_stop,
        };
        (given, keep)
    }

    /// What `--model` asks to train for `n_train` training rows, with its
    /// settings: a network's fitted to the data ([`Self::settings`]), the
    /// trees' as given (their own defaults). Errors: a value out of range,
    /// named; class weights for trees, which do not weight classes.
    pub(super) fn model_spec(&self, n_train: usize) -> Result<ModelSpec> {
        self.family.check(&self.model)?;
        Ok(match self.family.family() {
            Family::Network => ModelSpec::Network {
                spec: self.spec()?,
                settings: self.settings(n_train)?,
            },
            Family::Trees => {
                let patience = if self.no_early_stop {
                    None
                } else {
                    self.patience
                };
                ModelSpec::Trees {
                    settings: self.trees.settings(self.lr, &self.model, patience)?,
                }
            }
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
    // The steps the chosen family reads (trees: unscaled, missing kept).
    let recipe = args.family.recipe(&args.problem, &table, args.model.seed);
    // Checked before the data is read: a bad flag is said at once.
    args.model_spec(1)?;
    args.check_out()?;
    let mut notes = args.data_notes(&table, &recipe);
    if !args.json {
        print_notes(&notes);
    }
    let prepared = std::sync::Arc::new(data::prepare(&table, &recipe)?);
    if !args.json {
        print_notes(&prepared.notes);
    }
    if let Some(path) = &args.export_split {
        super::cross_validate::export_split(&table, &recipe, args.cv, path)?;
    }
    let model = args.model_spec(prepared.train.x.rows)?;
    notes.extend(prepared.notes.iter().cloned());
    // `Auto` times this network on the CPU and the GPU (once per shape).
    let chosen = tune::device_choice::training_device(
        args.backend.into(),
        &model,
        &prepared,
        &tune::device_choice::ChoiceStore::in_data_dir(),
    )?;
    let device = chosen.device.clone();
    if !args.json {
        eprintln!("device: {}", device.description);
        if let Some(probe) = chosen.probe_summary() {
            eprintln!("{probe}");
        }
        if let Some(note) = &chosen.note {
            eprintln!("note: {note}");
        }
        eprintln!("data: {}", describe_prepared(&prepared));
    }
    let cross_validation = match args.cv {
        Some(k) => Some(super::cross_validate::cross_validate(
            &table, &recipe, &model, args, k, &device,
        )?),
        None => None,
    };
    let calibration: Option<CalibrationMethod> = args.calibrate.into();
    if calibration.is_some() && prepared.pipeline.encoding.class_names().is_none() {
        anyhow::bail!(
            "--calibrate: calibration maps scores to probabilities; `{}` is a quantity (regression)",
            recipe.target
        );
    }
    let mut run = TrainingRun::with_model(prepared, &model, &device)?;
    // Trees take it here; a network's settings carry it already.
    run.set_calibration(calibration);

    let start = std::time::Instant::now();
    let failure = train_epochs(&mut run, model.epoch_cap(), !args.json);
    let train_seconds = start.elapsed().as_secs_f64();

    if let Some(path) = &args.history {
        tune::write_history_csv(run.history(), path)?;
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    let outcome = run.finish()?;
    if let Some(path) = &args.out {
        Bundle::from_run(&run, &recipe)?.save(path)?;
    }
    let metrics = &outcome.test_metrics;
    let mut out = std::io::stdout().lock();
    if args.json {
        let last = run.history().last();
        let summary = TrainSummary {
            task: match run.task() {
                Task::Classification => "classification",
                Task::Regression => "regression",
                Task::Multiclass { .. } => "multiclass",
            },
            family: model.family(),
            backend: device.kind,
            device: &device.description,
            epochs: run.epoch(),
            train_seconds,
            train_rows: run.prepared().train.x.rows,
            valid_rows: run.prepared().valid.x.rows,
            test_rows: run.prepared().test.x.rows,
            features: run.prepared().pipeline.n_features(),
            batch_size: match &model {
                ModelSpec::Network { settings, .. } => Some(settings.batch_size),
                ModelSpec::Trees { .. } => None,
            },
            epoch_cap: model.epoch_cap(),
            patience: model.patience(),
            train_loss: last.map(|r| r.train_loss),
            valid_loss: last.map(|r| r.valid_loss),
            stopped_early: run.stopped_early(),
            best_epoch: run.best_epoch(),
            restored_best: outcome.restored_best,
            threshold: outcome.threshold,
            class_weights: outcome.class_weights,
            calibration: outcome.calibration.as_ref().map(Calibrator::method),
            validation: TestMetrics::from(&outcome.valid_metrics),
            test: TestMetrics::from(metrics),
            cross_validation,
            model: args.out.as_deref(),
            feature_columns: run.prepared().pipeline.input_columns().collect(),
            notes: &notes,
        };
        write_json_line(&mut out, &summary)?;
    } else {
        write_text_summary(&mut out, &run, &model, &outcome, train_seconds)?;
        if let Some(cv) = &cross_validation {
            write!(out, "{cv}")?;
        }
        if let Some(path) = &args.out {
            writeln!(out, "model saved to {}", path.display())?;
        }
    }
    Ok(())
}

/// What `train` prints without --json: the budget used, the early stop and
/// restored epoch, class weights, the chosen threshold, then validation and
/// test metrics.
fn write_text_summary(
    out: &mut impl Write,
    run: &TrainingRun,
    model: &ModelSpec,
    outcome: &RunOutcome,
    train_seconds: f64,
) -> std::io::Result<()> {
    let unit = run.learner().unit().name();
    let batch = match model {
        ModelSpec::Network { settings, .. } => format!("batch {}, ", settings.batch_size),
        ModelSpec::Trees { .. } => String::new(),
    };
    writeln!(
        out,
        "trained {} {unit}s in {train_seconds:.2} s ({batch}cap {} {unit}s, {})",
        run.epoch(),
        model.epoch_cap(),
        model.patience().map_or_else(
            || "no early stopping".to_owned(),
            |p| format!("patience {p} {unit}s")
        )
    )?;
    if let Some(stop) = run.early_stop() {
        writeln!(out, "{stop}")?;
    }
    if let Some(best) = outcome.best_epoch.filter(|_| outcome.restored_best) {
        let what = model.family().parameters();
        writeln!(
            out,
            "restored the {what} of {unit} {best} (lowest validation loss)"
        )?;
    }
    if let Some(w) = outcome.class_weights {
        writeln!(
            out,
            "class weights: negative {:.3}, positive {:.3}",
            w[0], w[1]
        )?;
    }
    match (&outcome.calibration, run.calibration_asked()) {
        (Some(c), _) => writeln!(
            out,
            "calibrated ({}) on the validation rows; the threshold and metrics are of calibrated probabilities",
            c.method().name()
        )?,
        (None, Some(method)) => writeln!(
            out,
            "not calibrated ({}): the validation rows hold one class only",
            method.name()
        )?,
        (None, None) => {}
    }
    if let Some(t) = outcome.threshold {
        writeln!(out, "threshold {t:.3}: the best F1 on the validation rows")?;
    }
    write!(
        out,
        "{}",
        format_metrics_on("validation", &outcome.valid_metrics)
    )?;
    write!(out, "{}", format_metrics(&outcome.test_metrics))
}

/// Trains up to `epochs` epochs (fewer when early stopping ends the run)
/// with a progress bar on standard error when `show_progress`; the error
/// that ended training early, if any (the history so far is kept).
pub(super) fn train_epochs(
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
    format_metrics_on("test", metrics)
}

/// Metrics on the named part of the split as readable lines.
pub fn format_metrics_on(part: &str, metrics: &Metrics) -> String {
    match metrics {
        Metrics::Classification(m) => {
            let [[tn, fp], [fn_, tp]] = m.confusion;
            let auc = m.auc.map_or_else(
                || format!("n/a (one class in the {part} rows)"),
                |a| format!("{a:.3}"),
            );
            let precision = m
                .precision_if_defined()
                .map_or_else(|| "undefined".to_owned(), |p| format!("{p:.3}"));
            let mut text = format!(
                "{part} accuracy {:.3}  precision {precision}  recall {:.3}  F1 {:.3}  ROC AUC {auc}\n\
                 confusion (rows actual, columns predicted): [[{tn}, {fp}], [{fn_}, {tp}]]\n",
                m.accuracy, m.recall, m.f1
            );
            if !m.precision_defined() {
                text.push_str(&format!(
                    "no {part} row was predicted positive at threshold {:.2}, so precision is undefined (not 0); \
                     lower the threshold (the window's threshold slider, or predict --threshold)\n",
                    m.threshold
                ));
            }
            text
        }
        Metrics::Regression(m) => format!(
            "{part} MAE {:.4}  RMSE {:.4}  R² {}\n",
            m.mae,
            m.rmse,
            m.r2.map_or_else(|| "n/a (constant target)".to_owned(), |r| format!("{r:.3}"))
        ),
        Metrics::Multiclass(m) => super::multiclass::format_multiclass(part, m),
    }
}
