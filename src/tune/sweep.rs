//! Hyperparameter sweeps: a grid of settings, trained one run after the
//! other on the same prepared data, each run becoming a [`RunRecord`].
//!
//! - [`SweepGrid::expand`] turns lists of values into validated
//!   [`SweepPoint`]s (at most [`MAX_SWEEP_POINTS`]).
//! - [`run_sweep`] trains them on the caller's thread (the CLI);
//!   [`SweepHandle::spawn`] on a named background thread (the app), with
//!   [`SweepEvent`]s through a bounded channel and a cancel flag honoured
//!   between epochs.
//! - [`rank`], [`best`] and [`heatmap`] read the results.
//!
//! Runs are sequential on purpose: the networks are small, one run already
//! keeps the device busy, and sequential runs on the same seed are
//! reproducible. Early stopping is on by default ([`DEFAULT_SWEEP_PATIENCE`])
//! so hopeless settings do not use up their full epoch budget.

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::history::{RunRecord, layers_label};
use super::names::Metric;
use crate::data::prep::{Prepared, Recipe};
use crate::data::source::Source;
use crate::data::table::format_number;
use crate::model::device::{BackendChoice, DeviceError, select_device};
use crate::model::run::TrainingRun;
use crate::model::spec::{NetworkSpec, SpecError, TrainSettings};

/// Most runs one sweep may have: 400 small runs already take minutes, and a
/// typo such as `--lr` with 1000 values should be refused, not started.
pub const MAX_SWEEP_POINTS: usize = 400;
/// Early-stopping patience of sweep runs unless the caller says otherwise.
pub const DEFAULT_SWEEP_PATIENCE: usize = 10;
const EVENT_CAPACITY: usize = 256;
/// Progress events are sent at most this often (run results always go out),
/// so fast epochs cannot flood the UI.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// A setting a sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepParam {
    LearningRate,
    /// An explicit hidden-layer layout.
    Hidden,
    /// Neurons in every hidden layer.
    Width,
    /// Number of hidden layers.
    Depth,
    BatchSize,
    Dropout,
}

impl SweepParam {
    /// Human name for tables and axes.
    pub fn label(self) -> &'static str {
        match self {
            SweepParam::LearningRate => "learning rate",
            SweepParam::Hidden => "hidden layers",
            SweepParam::Width => "width",
            SweepParam::Depth => "depth",
            SweepParam::BatchSize => "batch size",
            SweepParam::Dropout => "dropout",
        }
    }

    /// Short machine name (JSON output, CSV headers).
    pub fn key(self) -> &'static str {
        match self {
            SweepParam::LearningRate => "lr",
            SweepParam::Hidden => "hidden",
            SweepParam::Width => "width",
            SweepParam::Depth => "depth",
            SweepParam::BatchSize => "batch",
            SweepParam::Dropout => "dropout",
        }
    }
}

/// A swept setting and its value.
type Swept = (SweepParam, ParamValue);

/// The value a [`SweepPoint`] takes for one swept setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Number(f64),
    Layers(Vec<usize>),
}

impl ParamValue {
    /// The number, for numeric settings (not for a layer layout).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Number(x) => Some(*x),
            ParamValue::Layers(_) => None,
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Number(x) => f.write_str(&format_number(*x)),
            ParamValue::Layers(layers) => f.write_str(&layers_label(layers)),
        }
    }
}

/// Values to try for each setting; an empty list keeps the base value.
///
/// Hidden layouts come either from `hidden` (explicit layouts, e.g. `[16]`,
/// `[64, 32]`) or from `widths` × `depths` (`vec![width; depth]`, depth 0 =
/// no hidden layer), not both. With only `widths`, the base depth is kept
/// (at least 1); with only `depths`, the base's first layer width (or 32).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SweepGrid {
    pub learning_rates: Vec<f64>,
    pub hidden: Vec<Vec<usize>>,
    pub widths: Vec<usize>,
    pub depths: Vec<usize>,
    pub batch_sizes: Vec<usize>,
    pub dropouts: Vec<f64>,
}

/// One set of settings in a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    pub spec: NetworkSpec,
    pub train: TrainSettings,
    /// The swept settings and their values here, in grid order.
    pub params: Vec<(SweepParam, ParamValue)>,
}

impl SweepPoint {
    /// `lr 0.01 · width 32`: the swept values, or `base settings`.
    pub fn label(&self) -> String {
        if self.params.is_empty() {
            return "base settings".to_owned();
        }
        self.params
            .iter()
            .map(|(p, v)| format!("{} {v}", p.key()))
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// The value of a swept setting here.
    pub fn param(&self, param: SweepParam) -> Option<&ParamValue> {
        self.params
            .iter()
            .find(|(p, _)| *p == param)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Error)]
pub enum SweepError {
    #[error(
        "the sweep has {points} runs; at most {MAX_SWEEP_POINTS} are allowed (use fewer values)"
    )]
    TooLarge { points: usize },
    #[error("give hidden layouts or widths and depths, not both")]
    HiddenAndWidths,
    #[error("{param} {value} is listed twice")]
    Duplicate { param: &'static str, value: String },
    #[error("{param} {value}: {source}")]
    Invalid {
        param: &'static str,
        value: String,
        source: SpecError,
    },
    #[error("the sweep has no runs to train")]
    NoPoints,
    #[error(transparent)]
    Device(#[from] DeviceError),
}

impl SweepGrid {
    /// How many runs [`expand`](Self::expand) makes (saturating).
    pub fn len(&self) -> usize {
        let n = |len: usize| len.max(1);
        let layouts = if self.hidden.is_empty() {
            n(self.widths.len()).saturating_mul(n(self.depths.len()))
        } else {
            self.hidden.len()
        };
        n(self.learning_rates.len())
            .saturating_mul(layouts)
            .saturating_mul(n(self.batch_sizes.len()))
            .saturating_mul(n(self.dropouts.len()))
    }

    /// Whether every list is empty (the sweep would be the base alone).
    pub fn is_empty(&self) -> bool {
        self.learning_rates.is_empty()
            && self.hidden.is_empty()
            && self.widths.is_empty()
            && self.depths.is_empty()
            && self.batch_sizes.is_empty()
            && self.dropouts.is_empty()
    }

    /// Every combination, learning rate outermost, then layout, batch size
    /// and dropout. Each value is checked on its own first, so the error
    /// names the bad value (`learning rate 50: …`).
    pub fn expand(
        &self,
        base_spec: &NetworkSpec,
        base_train: &TrainSettings,
    ) -> Result<Vec<SweepPoint>, SweepError> {
        let by_width_and_depth = !self.widths.is_empty() || !self.depths.is_empty();
        if !self.hidden.is_empty() && by_width_and_depth {
            return Err(SweepError::HiddenAndWidths);
        }
        let total = self.len();
        if total > MAX_SWEEP_POINTS {
            return Err(SweepError::TooLarge { points: total });
        }
        self.check_values(base_spec, base_train)?;

        let learning_rates: Vec<(Option<Swept>, f64)> = if self.learning_rates.is_empty() {
            vec![(None, base_train.learning_rate)]
        } else {
            self.learning_rates
                .iter()
                .map(|&lr| (Some((SweepParam::LearningRate, ParamValue::Number(lr))), lr))
                .collect()
        };
        let batches: Vec<(Option<Swept>, usize)> = if self.batch_sizes.is_empty() {
            vec![(None, base_train.batch_size)]
        } else {
            self.batch_sizes
                .iter()
                .map(|&b| {
                    (
                        Some((SweepParam::BatchSize, ParamValue::Number(b as f64))),
                        b,
                    )
                })
                .collect()
        };
        let dropouts: Vec<(Option<Swept>, f64)> = if self.dropouts.is_empty() {
            vec![(None, base_spec.dropout)]
        } else {
            self.dropouts
                .iter()
                .map(|&d| (Some((SweepParam::Dropout, ParamValue::Number(d))), d))
                .collect()
        };
        let layouts = self.layouts(base_spec);

        let mut points = Vec::with_capacity(total);
        for (lr_param, lr) in &learning_rates {
            for (layout_params, hidden) in &layouts {
                for (batch_param, batch) in &batches {
                    for (dropout_param, dropout) in &dropouts {
                        let params = lr_param
                            .iter()
                            .chain(layout_params)
                            .chain(batch_param)
                            .chain(dropout_param)
                            .cloned()
                            .collect();
                        points.push(SweepPoint {
                            spec: NetworkSpec {
                                hidden: hidden.clone(),
                                dropout: *dropout,
                                ..base_spec.clone()
                            },
                            train: TrainSettings {
                                learning_rate: *lr,
                                batch_size: *batch,
                                ..base_train.clone()
                            },
                            params,
                        });
                    }
                }
            }
        }
        Ok(points)
    }

    /// Hidden layouts with the params that name them.
    fn layouts(&self, base: &NetworkSpec) -> Vec<(Vec<Swept>, Vec<usize>)> {
        if !self.hidden.is_empty() {
            return self
                .hidden
                .iter()
                .map(|h| {
                    (
                        vec![(SweepParam::Hidden, ParamValue::Layers(h.clone()))],
                        h.clone(),
                    )
                })
                .collect();
        }
        if self.widths.is_empty() && self.depths.is_empty() {
            return vec![(Vec::new(), base.hidden.clone())];
        }
        let widths: Vec<(bool, usize)> = if self.widths.is_empty() {
            vec![(false, base.hidden.first().copied().unwrap_or(32))]
        } else {
            self.widths.iter().map(|&w| (true, w)).collect()
        };
        let depths: Vec<(bool, usize)> = if self.depths.is_empty() {
            vec![(false, base.hidden.len().max(1))]
        } else {
            self.depths.iter().map(|&d| (true, d)).collect()
        };
        let mut layouts = Vec::with_capacity(widths.len() * depths.len());
        for &(swept_w, width) in &widths {
            for &(swept_d, depth) in &depths {
                let mut params = Vec::new();
                if swept_w {
                    params.push((SweepParam::Width, ParamValue::Number(width as f64)));
                }
                if swept_d {
                    params.push((SweepParam::Depth, ParamValue::Number(depth as f64)));
                }
                layouts.push((params, vec![width; depth]));
            }
        }
        layouts
    }

    /// Each listed value on its own against the base settings.
    fn check_values(&self, spec: &NetworkSpec, train: &TrainSettings) -> Result<(), SweepError> {
        let invalid = |param: &'static str, value: String| {
            move |source: SpecError| SweepError::Invalid {
                param,
                value,
                source,
            }
        };
        no_duplicates("learning rate", &self.learning_rates, |x| format_number(*x))?;
        no_duplicates("hidden layers", &self.hidden, |h| layers_label(h))?;
        no_duplicates("width", &self.widths, ToString::to_string)?;
        no_duplicates("depth", &self.depths, ToString::to_string)?;
        no_duplicates("batch size", &self.batch_sizes, ToString::to_string)?;
        no_duplicates("dropout", &self.dropouts, |x| format_number(*x))?;
        for &lr in &self.learning_rates {
            let t = TrainSettings {
                learning_rate: lr,
                ..train.clone()
            };
            t.validate()
                .map_err(invalid("learning rate", format_number(lr)))?;
        }
        for &batch_size in &self.batch_sizes {
            let t = TrainSettings {
                batch_size,
                ..train.clone()
            };
            t.validate()
                .map_err(invalid("batch size", batch_size.to_string()))?;
        }
        for &dropout in &self.dropouts {
            let s = NetworkSpec {
                dropout,
                ..spec.clone()
            };
            s.validate()
                .map_err(invalid("dropout", format_number(dropout)))?;
        }
        for hidden in &self.hidden {
            let s = NetworkSpec {
                hidden: hidden.clone(),
                ..spec.clone()
            };
            s.validate()
                .map_err(invalid("hidden layers", layers_label(hidden)))?;
        }
        for &width in &self.widths {
            let s = NetworkSpec {
                hidden: vec![width],
                ..spec.clone()
            };
            s.validate().map_err(invalid("width", width.to_string()))?;
        }
        for &depth in &self.depths {
            let s = NetworkSpec {
                hidden: vec![1; depth],
                ..spec.clone()
            };
            s.validate().map_err(invalid("depth", depth.to_string()))?;
        }
        // The base itself (epochs, L2, momentum…) must be valid too.
        spec.validate()
            .map_err(invalid("base network", layers_label(&spec.hidden)))?;
        train
            .validate()
            .map_err(invalid("base training", "settings".to_owned()))?;
        Ok(())
    }
}

fn no_duplicates<T>(
    param: &'static str,
    values: &[T],
    label: impl Fn(&T) -> String,
) -> Result<(), SweepError> {
    let mut seen = BTreeSet::new();
    for v in values {
        let text = label(v);
        if !seen.insert(text.clone()) {
            return Err(SweepError::Duplicate { param, value: text });
        }
    }
    Ok(())
}

/// What a sweep trains: prepared data (shared by all runs, prepared once),
/// where it came from (recorded in each [`RunRecord`]) and the points.
/// Each run trains `point.train.epochs` epochs unless it stops early.
#[derive(Debug, Clone)]
pub struct SweepJob {
    pub prepared: Arc<Prepared>,
    pub source: Source,
    pub recipe: Recipe,
    /// [`fingerprint`](super::fingerprint) of the table behind `prepared`.
    pub fingerprint: String,
    pub points: Vec<SweepPoint>,
    pub backend: BackendChoice,
    /// Early-stopping patience for every run (overriding the points'
    /// settings); `None` trains every run for all its epochs.
    pub patience: Option<usize>,
}

impl SweepJob {
    /// A job with early stopping at [`DEFAULT_SWEEP_PATIENCE`].
    pub fn new(
        prepared: Arc<Prepared>,
        source: Source,
        recipe: Recipe,
        fingerprint: String,
        points: Vec<SweepPoint>,
        backend: BackendChoice,
    ) -> SweepJob {
        SweepJob {
            prepared,
            source,
            recipe,
            fingerprint,
            points,
            backend,
            patience: Some(DEFAULT_SWEEP_PATIENCE),
        }
    }
}

/// One finished (or failed) run of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOutcome {
    /// Position of the point in the job's list.
    pub index: usize,
    /// The settings as trained (with the job's early stopping applied).
    pub point: SweepPoint,
    /// The run, or why it failed (e.g. it diverged at a high learning rate).
    pub result: Result<RunRecord, String>,
}

impl SweepOutcome {
    pub fn record(&self) -> Option<&RunRecord> {
        self.result.as_ref().ok()
    }

    /// The run's value of `metric` ([`Metric::value`]); `None` for a failed
    /// run.
    pub fn metric(&self, metric: Metric) -> Option<f64> {
        self.record().and_then(|r| metric.value(r))
    }
}

/// What a sweep reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepEvent {
    /// The device was chosen; `total` runs follow.
    Started {
        device: String,
        /// Why the GPU was not used, when it was not.
        fallback: Option<String>,
        total: usize,
    },
    /// `done` runs are finished; the current one has trained
    /// `current_epoch` of at most `epochs` epochs.
    Progress {
        done: usize,
        total: usize,
        current_epoch: usize,
        epochs: usize,
    },
    /// A run finished; add its record to the history.
    RunDone(Box<SweepOutcome>),
    /// The last event of a sweep (from [`SweepHandle`]).
    Finished { cancelled: bool },
    /// The sweep could not run at all (e.g. no device), or crashed.
    Failed(String),
}

/// Trains every point of `job` in order on this thread, calling `on_event`
/// with `Started`, `Progress` (every epoch) and `RunDone` events. `cancel`
/// is checked between epochs; the run it interrupts is not reported.
/// Returns whether the sweep was cancelled. A run that fails or panics is
/// reported as a failed [`SweepOutcome`] and the sweep goes on.
pub fn run_sweep(
    job: &SweepJob,
    cancel: &AtomicBool,
    mut on_event: impl FnMut(SweepEvent),
) -> Result<bool, SweepError> {
    if job.points.is_empty() {
        return Err(SweepError::NoPoints);
    }
    let device = select_device(job.backend)?;
    let total = job.points.len();
    on_event(SweepEvent::Started {
        device: device.description.clone(),
        fallback: device.fallback_reason.clone(),
        total,
    });
    for (index, point) in job.points.iter().enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let point = SweepPoint {
            train: TrainSettings {
                early_stopping: job.patience,
                ..point.train.clone()
            },
            ..point.clone()
        };
        let epochs = point.train.epochs;
        on_event(SweepEvent::Progress {
            done: index,
            total,
            current_epoch: 0,
            epochs,
        });
        let start = Instant::now();
        let trained = std::panic::catch_unwind(AssertUnwindSafe(
            || -> Result<Option<TrainingRun>, String> {
                let mut run =
                    TrainingRun::new(job.prepared.clone(), &point.spec, &point.train, &device)
                        .map_err(|e| e.to_string())?;
                for epoch in 1..=epochs {
                    if cancel.load(Ordering::Relaxed) {
                        return Ok(None);
                    }
                    run.run_epoch().map_err(|e| e.to_string())?;
                    on_event(SweepEvent::Progress {
                        done: index,
                        total,
                        current_epoch: epoch,
                        epochs,
                    });
                    if run.stopped_early() {
                        break;
                    }
                }
                Ok(Some(run))
            },
        ));
        let result = match trained {
            Ok(Ok(Some(run))) => {
                let mut record = RunRecord::from_run(
                    &run,
                    job.source.clone(),
                    job.recipe.clone(),
                    job.fingerprint.clone(),
                    Some(epochs),
                    start.elapsed().as_secs_f64(),
                );
                record.name = format!("sweep: {}", point.label());
                Ok(record)
            }
            Ok(Ok(None)) => return Ok(true),
            Ok(Err(message)) => Err(message),
            Err(panic) => Err(panic_message(&*panic)),
        };
        on_event(SweepEvent::RunDone(Box::new(SweepOutcome {
            index,
            point,
            result,
        })));
    }
    Ok(false)
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned());
    format!("the run stopped on an internal error: {detail}")
}

/// The outcomes best first by `metric` (in its natural direction, see
/// [`Metric::higher_is_better`]); runs without the metric, then failed runs,
/// last. Ties keep grid order.
pub fn rank(outcomes: &[SweepOutcome], metric: Metric) -> Vec<&SweepOutcome> {
    let higher = metric.higher_is_better();
    let mut ranked: Vec<&SweepOutcome> = outcomes.iter().collect();
    ranked.sort_by(|a, b| {
        let key = |o: &SweepOutcome| match (o.metric(metric), o.result.is_ok()) {
            (Some(_), _) => 0,
            (None, true) => 1,
            (None, false) => 2,
        };
        key(a).cmp(&key(b)).then_with(|| {
            match (a.metric(metric), b.metric(metric)) {
                (Some(x), Some(y)) if higher => y.total_cmp(&x),
                (Some(x), Some(y)) => x.total_cmp(&y),
                _ => std::cmp::Ordering::Equal,
            }
            .then(a.index.cmp(&b.index))
        })
    });
    ranked
}

/// The best outcome by `metric` (for "Apply best": use its `point.spec` and
/// `point.train`); `None` when no run has the metric.
pub fn best(outcomes: &[SweepOutcome], metric: Metric) -> Option<&SweepOutcome> {
    rank(outcomes, metric)
        .into_iter()
        .next()
        .filter(|o| o.metric(metric).is_some())
}

/// The swept settings that take more than one value among `points`, in the
/// order they appear in a point's params.
pub fn varying_params(points: &[&SweepPoint]) -> Vec<SweepParam> {
    let mut order = Vec::new();
    for point in points {
        for (param, _) in &point.params {
            if !order.contains(param) {
                order.push(*param);
            }
        }
    }
    order
        .into_iter()
        .filter(|&param| {
            let values: BTreeSet<String> = points
                .iter()
                .filter_map(|p| p.param(param).map(ToString::to_string))
                .collect();
            values.len() > 1
        })
        .collect()
}

/// A metric over two swept settings: `values[row][col]`, `None` where no
/// run (or only failed runs) had that combination. When other settings
/// vary too, a cell holds the best value over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    pub metric: Metric,
    pub higher_is_better: bool,
    pub rows: SweepParam,
    pub cols: SweepParam,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

/// The heatmap of `metric` when exactly two settings vary in the sweep
/// (rows: the first in grid order, e.g. learning rate; columns: the
/// second); `None` otherwise (use [`heatmap_for`] to choose).
pub fn heatmap(outcomes: &[SweepOutcome], metric: Metric) -> Option<Heatmap> {
    let points: Vec<&SweepPoint> = outcomes.iter().map(|o| &o.point).collect();
    match varying_params(&points)[..] {
        [rows, cols] => Some(heatmap_for(outcomes, rows, cols, metric)),
        _ => None,
    }
}

/// The heatmap of `metric` over any two swept settings; labels in the order
/// values first appear (grid order).
pub fn heatmap_for(
    outcomes: &[SweepOutcome],
    rows: SweepParam,
    cols: SweepParam,
    metric: Metric,
) -> Heatmap {
    let mut row_labels: Vec<String> = Vec::new();
    let mut col_labels: Vec<String> = Vec::new();
    let label_of = |o: &SweepOutcome, p: SweepParam| o.point.param(p).map(ToString::to_string);
    for o in outcomes {
        if let Some(r) = label_of(o, rows)
            && !row_labels.contains(&r)
        {
            row_labels.push(r);
        }
        if let Some(c) = label_of(o, cols)
            && !col_labels.contains(&c)
        {
            col_labels.push(c);
        }
    }
    let higher = metric.higher_is_better();
    let mut values = vec![vec![None; col_labels.len()]; row_labels.len()];
    for o in outcomes {
        let (Some(r), Some(c), Some(v)) = (label_of(o, rows), label_of(o, cols), o.metric(metric))
        else {
            continue;
        };
        let (Some(ri), Some(ci)) = (
            row_labels.iter().position(|l| *l == r),
            col_labels.iter().position(|l| *l == c),
        ) else {
            continue;
        };
        let cell: &mut Option<f64> = &mut values[ri][ci];
        let better = cell.is_none_or(|old| if higher { v > old } else { v < old });
        if better {
            *cell = Some(v);
        }
    }
    Heatmap {
        metric,
        higher_is_better: higher,
        rows,
        cols,
        row_labels,
        col_labels,
        values,
    }
}

/// A sweep on its own named thread (`purchase-lab-sweep`). Events arrive
/// through a bounded channel ([`try_recv`](Self::try_recv)), `notify` (the
/// app's repaint request) is called after each, and the last one is
/// `Finished` or `Failed`. Dropping the handle cancels the sweep and joins
/// the thread (within one epoch).
pub struct SweepHandle {
    cancel: Arc<AtomicBool>,
    events: Option<Receiver<SweepEvent>>,
    thread: Option<JoinHandle<()>>,
    total: usize,
}

impl std::fmt::Debug for SweepHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepHandle")
            .field("total", &self.total)
            .field("cancelled", &self.cancel.load(Ordering::Relaxed))
            .finish()
    }
}

impl SweepHandle {
    /// Starts the sweep thread.
    pub fn spawn(
        job: SweepJob,
        notify: impl Fn() + Send + 'static,
    ) -> std::io::Result<SweepHandle> {
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(EVENT_CAPACITY);
        let total = job.points.len();
        let flag = cancel.clone();
        let thread = std::thread::Builder::new()
            .name("purchase-lab-sweep".into())
            .spawn(move || sweep_thread(&job, &flag, &tx, &notify))?;
        Ok(SweepHandle {
            cancel,
            events: Some(rx),
            thread: Some(thread),
            total,
        })
    }

    /// Asks the sweep to stop after the current epoch; `Finished {
    /// cancelled: true }` follows.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Number of runs in the sweep.
    pub fn total(&self) -> usize {
        self.total
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<SweepEvent> {
        self.events.as_ref()?.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event (tests and the CLI).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<SweepEvent> {
        self.events.as_ref()?.recv_timeout(timeout).ok()
    }

    /// Whether the thread has ended (its last events may still be queued).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for SweepHandle {
    fn drop(&mut self) {
        self.cancel();
        // Dropping the receiver wakes a thread blocked on a full channel.
        self.events.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn sweep_thread(
    job: &SweepJob,
    cancel: &AtomicBool,
    tx: &SyncSender<SweepEvent>,
    notify: &dyn Fn(),
) {
    let mut last_progress: Option<Instant> = None;
    let send = |event: SweepEvent| {
        if tx.send(event).is_err() {
            // Nobody listens any more: stop working.
            cancel.store(true, Ordering::Relaxed);
        } else {
            notify();
        }
    };
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        run_sweep(job, cancel, |event| {
            if let SweepEvent::Progress { current_epoch, .. } = &event {
                // The first epoch of each run always goes out (the progress
                // bar moves to the next run); later ones are throttled.
                let due = last_progress.is_none_or(|t| t.elapsed() >= PROGRESS_INTERVAL);
                if *current_epoch > 0 && !due {
                    return;
                }
                last_progress = Some(Instant::now());
            }
            send(event);
        })
    }));
    let last = match result {
        Ok(Ok(cancelled)) => SweepEvent::Finished { cancelled },
        Ok(Err(e)) => SweepEvent::Failed(e.to_string()),
        Err(panic) => SweepEvent::Failed(panic_message(&*panic)),
    };
    send(last);
}
