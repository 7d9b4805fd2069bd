//! Training a sweep's points one after the other: on the caller's thread
//! ([`run_sweep`]) or a named background one ([`SweepHandle`]), each run
//! becoming a [`SweepOutcome`] with its [`RunRecord`].

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{DEFAULT_SWEEP_PATIENCE, SweepError, SweepPoint};
use crate::data::prep::{Prepared, Recipe};
use crate::data::source::Source;
use crate::model::device::{BackendChoice, select_device};
use crate::model::family::ModelSpec;
use crate::model::run::TrainingRun;
use crate::tune::device_choice::{ChoiceStore, training_device};
use crate::tune::history::RunRecord;
use crate::tune::names::Metric;

const EVENT_CAPACITY: usize = 256;
/// Progress events are sent at most this often (run results always go out),
/// so fast epochs cannot flood the UI.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// What a sweep trains: prepared data (shared by all runs, prepared once),
/// where it came from (recorded in each [`RunRecord`]) and the points.
/// Each run trains `point.train.epochs` epochs unless it stops early.
#[derive(Debug, Clone)]
pub struct SweepJob {
    pub prepared: Arc<Prepared>,
    pub source: Source,
    pub recipe: Recipe,
    /// [`fingerprint`](crate::tune::fingerprint) of the table behind `prepared`.
    pub fingerprint: String,
    pub points: Vec<SweepPoint>,
    pub backend: BackendChoice,
    /// Early-stopping patience for every run (overriding the points'
    /// settings); `None` trains every run for all its epochs.
    pub patience: Option<usize>,
    /// Where `Auto`'s device measurement is remembered (memory only unless
    /// the caller names the data directory's file).
    pub device_choices: ChoiceStore,
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
            device_choices: ChoiceStore::in_memory(),
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
    /// The trained network's weights as the run ended (its best epoch's,
    /// when early stopping restored them), so the window can take this
    /// run's model instead of training it again; `None` for a failed run.
    pub weights: Option<TrainedWeights>,
}

/// A finished run's weights ([`crate::model::Learner::save`]'s bytes:
/// a network of the point's shape on the job's prepared data). Shared,
/// as every outcome is cloned on its way to the window; its `Debug`
/// gives the size only.
#[derive(Clone, PartialEq)]
pub struct TrainedWeights(pub Arc<Vec<u8>>);

impl std::fmt::Debug for TrainedWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrainedWeights({} bytes)", self.0.len())
    }
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
    // `Auto` times the grid's network with the most weights: its runs take
    // the most time, so their device matters most.
    let inputs = job.prepared.train.x.cols;
    let largest = job
        .points
        .iter()
        .map(SweepPoint::model_spec)
        .max_by_key(|model| match model {
            ModelSpec::Network { spec, .. } => std::iter::once(inputs)
                .chain(spec.hidden.iter().copied())
                .zip(spec.hidden.iter().copied().chain([1]))
                .map(|(n_in, n_out)| n_in * n_out)
                .sum::<usize>(),
            ModelSpec::Trees { .. } => 0,
        });
    let device = match &largest {
        Some(model) => {
            training_device(job.backend, model, &job.prepared, &job.device_choices)?.noted()
        }
        None => select_device(job.backend)?,
    };
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
        let point = point.with_patience(job.patience);
        let model = point.model_spec();
        let epochs = model.epoch_cap();
        on_event(SweepEvent::Progress {
            done: index,
            total,
            current_epoch: 0,
            epochs,
        });
        let start = Instant::now();
        let trained = std::panic::catch_unwind(AssertUnwindSafe(
            || -> Result<Option<(TrainingRun, Vec<u8>)>, String> {
                let mut run = TrainingRun::with_model(job.prepared.clone(), &model, &device)
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
                // Best weights back and the threshold chosen on validation
                // rows; the record ranks by those validation metrics.
                run.finish().map_err(|e| e.to_string())?;
                let weights = run.learner().save().map_err(|e| e.to_string())?;
                Ok(Some((run, weights)))
            },
        ));
        let mut kept = None;
        let result = match trained {
            Ok(Ok(Some((run, weights)))) => {
                kept = Some(TrainedWeights(Arc::new(weights)));
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
            weights: kept,
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
