//! `purchase-lab sweep`: one run per combination of settings, ranked by a
//! metric on the validation rows (test metrics shown beside, never ranked); a table (best first) or one JSON object per run. Networks
//! sweep learning rate, layers, batch size and dropout; boosted trees
//! (`--model gbm`) learning rate, tree depth and rounds.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;

use super::args::{FamilyArgs, ModelArgs, ProblemArgs, parse_hidden};
use super::choices::{BackendArg, MetricArg};
use super::load;
use super::output::{aligned, describe_prepared, progress_bar, write_json_line};
use crate::data;
use crate::model::run::Metrics;
use crate::model::{Family, NetworkSpec, TrainSettings, TrainingUnit, TreeSettings};
use crate::tune::sweep::{
    DEFAULT_SWEEP_PATIENCE, ParamValue, SweepEvent, SweepGrid, SweepJob, SweepOutcome, SweepPoint,
    rank, run_sweep,
};
use crate::tune::{self, Metric, SweepParam};

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub problem: ProblemArgs,
    /// Every run's family (gbm: swept over --lr, --depth and --trees).
    #[command(flatten)]
    pub family: FamilyArgs,
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
    /// Boosted trees: numbers of rounds to try [default: 200].
    #[arg(long, value_delimiter = ',', value_name = "100,300")]
    pub trees: Vec<usize>,
    /// Boosted trees: tree depths to try [default: 4].
    #[arg(long, value_delimiter = ',', value_name = "3,4,6")]
    pub depth: Vec<usize>,
    /// Epochs per network run (fewer when early stopping ends a run);
    /// boosted trees train --trees rounds.
    #[arg(long, default_value_t = TrainSettings::default().epochs)]
    pub epochs: usize,
    /// Early stopping: end a run once validation loss has not improved for N epochs.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SWEEP_PATIENCE)]
    pub patience: usize,
    /// Train every run for all its epochs.
    #[arg(long, conflicts_with = "patience")]
    pub no_early_stop: bool,
    /// Rank by this metric on the validation rows (default: auc, or rmse for regression); test_auc and test_rmse are reported, never ranked by.
    #[arg(long, value_enum, ignore_case = true)]
    pub metric: Option<MetricArg>,
    /// The same for every run.
    #[command(flatten)]
    pub model: ModelArgs,
    #[arg(long, value_enum, ignore_case = true, default_value = "auto")]
    pub backend: BackendArg,
    /// Print one JSON object per run, best first, instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl SweepArgs {
    /// `--metric`, or the task's usual one.
    /// The metric runs are ranked by; a test-row metric is refused:
    /// choosing settings by the test rows would make their figure a
    /// tuned one (test metrics are reported beside, never ranked by).
    fn metric(&self) -> Result<Metric> {
        match self.metric {
            Some(MetricArg(metric)) if !metric.is_rankable() => bail!(
                "--metric {}: a sweep ranks on the validation rows, never the test rows (ranking on them would tune to them); rank by {} and read {} in the table",
                metric.name(),
                if metric == Metric::TestAuc {
                    "auc"
                } else {
                    "rmse"
                },
                metric.name()
            ),
            Some(MetricArg(metric)) => Ok(metric),
            None if self.problem.regression => Ok(Metric::Rmse),
            None => Ok(Metric::Auc),
        }
    }

    fn grid(&self) -> Result<SweepGrid> {
        Ok(SweepGrid {
            learning_rates: self.lr.clone(),
            hidden: match &self.hidden {
                Some(text) => text.split(';').map(parse_hidden).collect::<Result<_>>()?,
                None => Vec::new(),
            },
            widths: self.widths.clone(),
            depths: self.depths.clone(),
            batch_sizes: self.batch.clone(),
            dropouts: self.dropout.clone(),
            trees: self.trees.clone(),
            tree_depths: self.depth.clone(),
        })
    }

    /// Every run's settings: the grid over the chosen family's base.
    fn points(&self) -> Result<Vec<SweepPoint>> {
        let grid = self.grid()?;
        self.family.check(&self.model)?;
        Ok(match self.family.family() {
            Family::Network => {
                let (spec, train) = self.base();
                grid.expand(&spec, &train)?
            }
            Family::Trees => {
                let base = TreeSettings {
                    l2: self.model.l2.unwrap_or(TreeSettings::default().l2),
                    seed: self.model.seed,
                    ..TreeSettings::default()
                };
                grid.expand_trees(&base)?
            }
        })
    }

    /// The settings every run starts from.
    fn base(&self) -> (NetworkSpec, TrainSettings) {
        let spec = NetworkSpec {
            activation: self.model.activation.into(),
            ..NetworkSpec::default()
        };
        let train = TrainSettings {
            optimizer: self.model.optimizer.into(),
            epochs: self.epochs,
            l2: self.model.network_l2(),
            seed: self.model.seed,
            schedule: self.model.lr_schedule,
            ..TrainSettings::default()
        };
        (spec, train)
    }
}

pub(super) fn sweep(args: &SweepArgs) -> Result<()> {
    let table = load(&args.problem.data)?;
    let recipe = args.family.recipe(&args.problem, &table, args.model.seed);
    let metric = args.metric()?;
    let (_, base_train) = args.base();
    let points = args.points()?;
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
        args.backend.into(),
    );
    job.patience = (!args.no_early_stop).then_some(args.patience);
    job.device_choices = tune::device_choice::ChoiceStore::in_data_dir();
    if let Some(p) = job.patience {
        // Checked here so the message names the flag.
        TrainSettings {
            early_stopping: Some(p),
            ..base_train
        }
        .validate()
        .context("--patience")?;
    }

    let outcomes = run_with_progress(&job, args, metric)?;
    let ranked = rank(&outcomes, metric);
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
            write_json_line(&mut out, &SweepRow::new(i + 1, o, metric))?;
        }
    } else {
        write!(out, "{}", format_sweep(&ranked, metric))?;
    }
    Ok(())
}

/// Runs the sweep on this thread with a progress bar on a terminal's
/// standard error; the outcomes in grid order.
fn run_with_progress(
    job: &SweepJob,
    args: &SweepArgs,
    metric: Metric,
) -> Result<Vec<SweepOutcome>> {
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let total = job.points.len();
    let unit = job
        .points
        .first()
        .map_or(TrainingUnit::Epoch, |p| p.model_spec().unit())
        .name();
    let units: usize = job.points.iter().map(|p| p.model_spec().epoch_cap()).sum();
    let bar = progress_bar(
        units as u64,
        "{msg} {bar:30} [{elapsed} < {eta}]",
        show_progress,
    );
    let mut outcomes: Vec<SweepOutcome> = Vec::with_capacity(total);
    let never = std::sync::atomic::AtomicBool::new(false);
    run_sweep(job, &never, |event| match event {
        SweepEvent::Started { device, .. } if !args.json => {
            bar.suspend(|| eprintln!("device: {device}\nsweep: {total} runs, ranked by {metric}"));
        }
        SweepEvent::Progress {
            done,
            current_epoch,
            epochs,
            ..
        } => {
            let before: usize = job.points[..done.min(total)]
                .iter()
                .map(|p| p.model_spec().epoch_cap())
                .sum();
            bar.set_position((before + current_epoch) as u64);
            bar.set_message(format!(
                "run {}/{total} {unit} {current_epoch}/{epochs}",
                done + 1
            ));
        }
        SweepEvent::RunDone(outcome) => outcomes.push(*outcome),
        _ => {}
    })?;
    bar.finish_and_clear();
    Ok(outcomes)
}

/// One run of a sweep as `--json` prints it.
#[derive(Debug, Serialize)]
struct SweepRow<'a> {
    rank: usize,
    index: usize,
    /// The swept settings by key (`lr`, `hidden`, …).
    params: BTreeMap<&'static str, &'a ParamValue>,
    /// `network` or `trees`.
    family: Family,
    #[serde(skip_serializing_if = "Option::is_none")]
    hidden: Option<&'a [usize]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dropout: Option<f64>,
    learning_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch_size: Option<usize>,
    /// A tree run's settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    trees: Option<&'a TreeSettings>,
    metric: &'static str,
    value: Option<f64>,
    /// Every metric the run has, except epochs and seconds (fields of
    /// their own).
    metrics: BTreeMap<&'static str, f64>,
    epochs: Option<usize>,
    best_epoch: Option<usize>,
    stopped_early: Option<bool>,
    seconds: Option<f64>,
    device: Option<&'a str>,
    error: Option<&'a str>,
}

impl<'a> SweepRow<'a> {
    fn new(rank: usize, o: &'a SweepOutcome, metric: Metric) -> SweepRow<'a> {
        let record = o.record();
        let network = o.point.trees.is_none();
        let model = o.point.model_spec();
        SweepRow {
            rank,
            index: o.index,
            params: o.point.params.iter().map(|(p, v)| (p.key(), v)).collect(),
            family: model.family(),
            hidden: network.then_some(o.point.spec.hidden.as_slice()),
            dropout: network.then_some(o.point.spec.dropout),
            learning_rate: model.learning_rate(),
            batch_size: network.then_some(o.point.train.batch_size),
            trees: o.point.trees.as_ref(),
            metric: metric.name(),
            value: o.metric(metric),
            metrics: Metric::ALL
                .into_iter()
                .filter(|m| !matches!(m, Metric::Epochs | Metric::WallSeconds))
                .filter_map(|m| Some((m.name(), o.metric(m)?)))
                .collect(),
            epochs: record.map(|r| r.epochs_trained()),
            best_epoch: record.and_then(|r| r.best_epoch),
            stopped_early: record.map(|r| r.stopped_early),
            seconds: record.map(|r| r.wall_seconds),
            device: record.map(|r| r.device.as_str()),
            error: o.result.as_ref().err().map(String::as_str),
        }
    }
}

/// The ranked runs as an aligned text table, best first, then any failures
/// and the best settings.
pub fn format_sweep(ranked: &[&SweepOutcome], metric: Metric) -> String {
    let params: Vec<SweepParam> = ranked
        .first()
        .map(|o| o.point.params.iter().map(|(p, _)| *p).collect())
        .unwrap_or_default();
    let task_metrics: &[Metric] = match ranked
        .iter()
        .find_map(|o| o.record()?.final_metrics.as_ref())
    {
        Some(Metrics::Regression(_)) => &[Metric::Rmse, Metric::Mae, Metric::R2],
        _ => &[Metric::Auc, Metric::Accuracy, Metric::F1],
    };
    let mut shown: Vec<Metric> = vec![metric];
    shown.extend(task_metrics.iter().filter(|m| **m != metric));
    if metric != Metric::ValidLoss {
        shown.push(Metric::ValidLoss);
    }
    let mut header: Vec<String> = vec!["rank".to_owned()];
    header.extend(params.iter().map(|p| p.key().to_owned()));
    header.extend(shown.iter().map(|m| m.name().to_owned()));
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
                    m.value(record)
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
    let mut text = aligned(&rows);
    for failure in failures {
        text.push_str(&failure);
        text.push('\n');
    }
    if let Some(best) = ranked.first().filter(|o| o.metric(metric).is_some()) {
        let direction = if metric.higher_is_better() {
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
