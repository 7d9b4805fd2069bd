//! The training thread's loop: waits for commands (or trains while
//! playing), runs each one with panics caught, and reports through events.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::time::{Duration, Instant};

use super::fault::FaultSlot;
use super::protocol::{Command, Event, Job, WhatIfModel, WorkerError};
use crate::data::prep::{Part, Recipe};
use crate::data::table::Table;
use crate::model::TrainError;
use crate::model::bundle::{Bundle, LoadedModel};
use crate::model::device::{
    BackendChoice, ComputeKind, DeviceError, SelectedDevice, select_device,
};
use crate::model::family::LayerWeights;
use crate::model::run::{RunError, TrainingRun};
use crate::model::surface::{Surface, SurfaceRequest, compute_surface};
use crate::tune::device_choice::{ChoiceStore, DeviceChoice, training_device};

/// Surfaces are sent at most this often while training (and always after
/// the last epoch), so the heatmap moves smoothly without costing epochs.
const SURFACE_INTERVAL: Duration = Duration::from_millis(150);

struct Active {
    run: TrainingRun,
    /// What the run was started with, to restart it on the CPU when the
    /// GPU fails.
    job: Job,
    kind: ComputeKind,
    recipe: Recipe,
    playing: bool,
    /// Stop after this epoch (`None`: until paused).
    target: Option<usize>,
    /// Epochs per press of Play once the target is reached.
    epochs: Option<usize>,
    last_surface: Option<Instant>,
    /// The network changed since the last surface was sent.
    surface_stale: bool,
}

/// The training thread's state.
pub(super) struct Session {
    commands: Receiver<Command>,
    events: SyncSender<Event>,
    notify: Box<dyn Fn() + Send>,
    active: Option<Active>,
    surface: Option<SurfaceRequest>,
    /// The model file last opened, for what-if questions.
    opened: Option<LoadedModel>,
    /// The user watches the test rows every epoch.
    watch_test: bool,
    /// A test's failure, armed and not yet triggered (empty unless built
    /// with the `testing` feature).
    faults: FaultSlot,
    /// Why the GPU failed in this session; later runs go to the CPU.
    gpu_failed: Option<String>,
    /// Where `Auto`'s device measurements are remembered.
    device_choices: ChoiceStore,
    /// Least time from one played epoch to the next (`None`: no pause).
    pace: Option<Duration>,
    /// When the next played epoch may start, under a pace.
    next_epoch: Option<Instant>,
}

/// Longest wait for a command while a paced run waits for its next epoch,
/// so surfaces still go out on time.
const PACE_POLL: Duration = Duration::from_millis(50);

/// The UI went away; stop working.
struct Disconnected;

impl Session {
    pub(super) fn new(
        commands: Receiver<Command>,
        events: SyncSender<Event>,
        notify: Box<dyn Fn() + Send>,
        device_choices: ChoiceStore,
    ) -> Session {
        Session {
            commands,
            events,
            notify,
            active: None,
            surface: None,
            opened: None,
            watch_test: false,
            faults: FaultSlot::default(),
            gpu_failed: None,
            device_choices,
            pace: None,
            next_epoch: None,
        }
    }

    pub(super) fn run(mut self) {
        let _ = self.serve();
    }

    fn serve(&mut self) -> Result<(), Disconnected> {
        loop {
            let playing = self.active.as_ref().is_some_and(|a| a.playing);
            // While playing, only look for commands between epochs; idle
            // (or waiting for a paced epoch), wait for one, with a timeout
            // so stale surfaces still go out.
            let wait = if playing {
                self.pace_wait()
            } else {
                Some(Duration::from_millis(200))
            };
            let command = match wait {
                None => match self.commands.try_recv() {
                    Ok(c) => Some(c),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => return Err(Disconnected),
                },
                Some(wait) => match self.commands.recv_timeout(wait) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return Err(Disconnected),
                },
            };
            if let Some(command) = command {
                self.handle(command)?;
            }
            if self.active.as_ref().is_some_and(|a| a.playing) && self.pace_wait().is_none() {
                self.next_epoch = self.pace.map(|pace| Instant::now() + pace);
                self.train_one_epoch()?;
            }
            self.maybe_send_surface()?;
        }
    }

    /// How long to wait before the next played epoch, at most
    /// [`PACE_POLL`]; `None` when it is due.
    fn pace_wait(&self) -> Option<Duration> {
        let left = self.next_epoch?.checked_duration_since(Instant::now())?;
        (!left.is_zero()).then(|| left.min(PACE_POLL))
    }

    fn emit(&self, event: Event) -> Result<(), Disconnected> {
        self.events.send(event).map_err(|_| Disconnected)?;
        (self.notify)();
        Ok(())
    }

    fn handle(&mut self, command: Command) -> Result<(), Disconnected> {
        match command {
            Command::Start(job) => {
                self.surface = job.surface.clone();
                // A new network shows its first epoch at once.
                self.next_epoch = None;
                self.start(*job)?;
            }
            Command::Pause | Command::Stop => self.pause()?,
            Command::WatchTestRows(watch) => {
                self.watch_test = watch;
                if let Some(a) = &mut self.active {
                    a.run.watch_test_rows(watch);
                    // The evaluation switches rows at once.
                    a.surface_stale = true;
                    a.last_surface = None;
                }
                self.maybe_send_surface()?;
            }
            Command::Resume => {
                if let Some(a) = &mut self.active {
                    // Play after an early stop trains on for another
                    // `patience` epochs rather than stopping at once.
                    a.run.continue_after_early_stop();
                    let epoch = a.run.epoch();
                    if a.target.is_some_and(|t| epoch >= t) {
                        a.target = a.epochs.map(|n| epoch + n);
                    }
                    a.playing = true;
                }
            }
            Command::Step => {
                if let Some(a) = &mut self.active {
                    a.playing = false;
                }
                if self.active.is_some() {
                    self.train_one_epoch()?;
                    let epoch = self.epoch();
                    self.emit(Event::Paused { epoch })?;
                }
            }
            Command::SetLearningRate(lr) => {
                if let Some(a) = &mut self.active
                    && let Err(e) = a.run.set_learning_rate(lr)
                {
                    self.emit(Event::Failed(e.into()))?;
                }
            }
            Command::SetPace(pace) => match pace {
                None => {
                    self.pace = None;
                    self.next_epoch = None;
                }
                Some(rate) if rate.is_finite() && rate > 0.0 => {
                    let pace = Duration::from_secs_f64((1.0 / rate).min(3600.0));
                    // A slower pace holds the next epoch back at once; a
                    // faster one may bring it forward.
                    self.next_epoch = Some(Instant::now() + pace);
                    self.pace = Some(pace);
                }
                Some(rate) => self.emit(Event::Failed(WorkerError::Pace(rate)))?,
            },
            Command::SetSurface(request) => {
                self.surface = request;
                if let Some(a) = &mut self.active {
                    a.surface_stale = true;
                    a.last_surface = None;
                }
            }
            #[cfg(feature = "testing")]
            Command::InjectFault(fault) => self.faults.arm(fault),
            Command::Save(path) => {
                let result = match &self.active {
                    None => Err(WorkerError::NothingToSave),
                    Some(a) => Bundle::from_run(&a.run, &a.recipe)
                        .and_then(|b| b.save(&path))
                        .map_err(WorkerError::from),
                };
                match result {
                    Ok(()) => self.emit(Event::Saved(path))?,
                    Err(e) => self.emit(Event::Failed(e))?,
                }
            }
            Command::Snapshot => {
                let snapshot = match &self.active {
                    None => Err(WorkerError::NoNetwork),
                    Some(a) => guarded(|| Bundle::from_run(&a.run, &a.recipe)),
                };
                match snapshot {
                    Ok(bundle) => self.emit(Event::Snapshot(Arc::new(bundle)))?,
                    Err(e) => self.emit(Event::Failed(e))?,
                }
            }
            Command::OpenModel(path) => match guarded(|| open_model(&path)) {
                Ok(model) => {
                    let meta = Box::new(model.meta.clone());
                    self.opened = Some(model);
                    self.emit(Event::ModelOpened { path, meta })?;
                }
                Err(e) => self.emit(Event::Failed(e))?,
            },
            Command::Adopt(weights) => self.adopt(&weights)?,
            Command::WhatIf {
                id,
                customer,
                model,
            } => {
                let scores = guarded(|| self.what_if(&customer, model));
                // One score (binary, regression) or one per class.
                let result = scores
                    .clone()
                    .map(|s| s.iter().copied().fold(f32::NEG_INFINITY, f32::max));
                let probabilities = match scores {
                    Ok(s) if s.len() > 1 => s,
                    _ => Vec::new(),
                };
                self.emit(Event::WhatIf {
                    id,
                    result,
                    probabilities,
                })?;
            }
        }
        Ok(())
    }

    /// The scores of the one-row `customer`: one, or one per class.
    fn what_if(&self, customer: &Table, model: WhatIfModel) -> Result<Vec<f32>, WorkerError> {
        let scores = match model {
            WhatIfModel::Current => {
                let a = self.active.as_ref().ok_or(WorkerError::NoNetwork)?;
                let x = a.run.prepared().pipeline.transform(customer)?;
                a.run.predict(&x)?
            }
            WhatIfModel::Opened => self
                .opened
                .as_ref()
                .ok_or(WorkerError::NoModelOpen)?
                .predict_table(customer)?,
        };
        if scores.is_empty() {
            return Err(WorkerError::NoRow);
        }
        Ok(scores)
    }

    /// The current network takes `weights` and pauses; its surface and
    /// predictions go out at once.
    fn adopt(&mut self, weights: &[u8]) -> Result<(), Disconnected> {
        let adopted = match &mut self.active {
            None => Err(WorkerError::NoNetwork),
            Some(a) => {
                a.playing = false;
                a.surface_stale = true;
                a.last_surface = None;
                guarded(|| a.run.adopt_weights(weights))
            }
        };
        match adopted {
            Ok(()) => {
                self.emit(Event::Adopted)?;
                self.maybe_send_surface()
            }
            Err(e) => self.emit(Event::Failed(e)),
        }
    }

    fn epoch(&self) -> usize {
        self.active.as_ref().map_or(0, |a| a.run.epoch())
    }

    fn pause(&mut self) -> Result<(), Disconnected> {
        if let Some(a) = &mut self.active
            && a.playing
        {
            a.playing = false;
            let epoch = a.run.epoch();
            self.emit(Event::Paused { epoch })?;
        }
        Ok(())
    }

    fn start(&mut self, job: Job) -> Result<(), Disconnected> {
        let device = match self.choose_device(&job) {
            Ok(d) => d,
            Err(e) => return self.emit(Event::Failed(e.into())),
        };
        let playing = !job.paused;
        self.launch(job, &device, playing)
    }

    /// Builds a fresh network for `job` on `device`, makes it the active run
    /// and announces it with `Started` (a failure is reported instead).
    fn launch(
        &mut self,
        job: Job,
        device: &SelectedDevice,
        playing: bool,
    ) -> Result<(), Disconnected> {
        let built = guarded(|| TrainingRun::with_model(job.prepared.clone(), &job.model, device));
        let mut run = match built {
            Ok(run) => run,
            Err(e) => return self.emit(Event::Failed(e)),
        };
        run.watch_test_rows(self.watch_test);
        self.active = Some(Active {
            run,
            job: job.clone(),
            kind: device.kind,
            recipe: job.recipe,
            playing,
            target: job.epochs,
            epochs: job.epochs,
            last_surface: None,
            surface_stale: true,
        });
        self.emit(Event::Started {
            device: device.description.clone(),
            fallback: device.fallback_reason.clone(),
        })
    }

    fn train_one_epoch(&mut self) -> Result<(), Disconnected> {
        let Some(a) = &mut self.active else {
            return Ok(());
        };
        // An armed fault fires when its epoch is about to be trained.
        let next_epoch = a.run.epoch() + 1;
        let fault = self.faults.take(next_epoch);
        let result = guarded(|| {
            fault.fire();
            a.run.run_epoch()
        });
        a.surface_stale = true;
        match result {
            Ok(report) => {
                let early_stop = a.run.early_stop();
                let done = a.target.is_some_and(|t| report.epoch >= t) || early_stop.is_some();
                let epoch = report.epoch;
                // Best weights back, threshold chosen, test rows scored: the
                // surface and predictions sent below show that model.
                let finished = done.then(|| {
                    a.playing = false;
                    // The last epoch's surface goes out before Finished.
                    a.last_surface = None;
                    guarded(|| a.run.finish())
                });
                self.emit(Event::Epoch(report))?;
                if let Some(finished) = finished {
                    match finished {
                        Ok(outcome) => self.emit(Event::Outcome(Box::new(outcome)))?,
                        Err(e) => self.emit(Event::Failed(e))?,
                    }
                    self.maybe_send_surface()?;
                    if let Some(stop) = early_stop {
                        self.emit(Event::StoppedEarly(stop))?;
                    }
                    self.emit(Event::Finished { epoch })?;
                }
                Ok(())
            }
            Err(WorkerError::Panic(detail)) => {
                // On the GPU a panic is almost always the device or its
                // driver (cubecl panics on a lost device); the simulated
                // device fault stands in for one on machines without a GPU.
                if a.kind == ComputeKind::Gpu || fault.simulates_device_loss() {
                    return self.fall_back_to_cpu(next_epoch, &detail);
                }
                // The network stays as it was after the last finished batch
                // (each update replaces it whole), so it can be resumed or
                // reset.
                a.playing = false;
                self.emit(Event::Failed(WorkerError::Panic(detail)))
            }
            Err(e) => {
                if a.kind == ComputeKind::Gpu
                    && matches!(e, WorkerError::Run(RunError::Train(TrainError::Backend(_))))
                {
                    return self.fall_back_to_cpu(next_epoch, &e.to_string());
                }
                a.playing = false;
                self.emit(Event::Failed(e))
            }
        }
    }

    /// The device for a new run. After a GPU failure in this session the CPU
    /// is used straight away; `Auto` times the job on both backends (or
    /// reuses the cached answer: `tune::device_choice`); an explicit GPU
    /// request without an adapter trains on the CPU with the reason shown,
    /// unless `PURCHASE_LAB_REQUIRE_WGPU` makes that an error (CI).
    fn choose_device(&self, job: &Job) -> Result<SelectedDevice, DeviceError> {
        if job.backend != BackendChoice::Cpu
            && let Some(reason) = &self.gpu_failed
        {
            return cpu_with_reason(format!(
                "the GPU failed earlier ({reason}), so training stays on the CPU"
            ));
        }
        match training_device(job.backend, &job.model, &job.prepared, &self.device_choices) {
            Err(DeviceError::NoWgpu { reason }) => cpu_with_reason(format!(
                "no GPU adapter ({reason}), so training uses the CPU"
            )),
            other => other.map(DeviceChoice::noted),
        }
    }

    /// The GPU failed while training epoch `epoch`: start the same job again
    /// on the CPU, from the beginning (the GPU's weights cannot be trusted
    /// or read back), keep playing as before, and say why in `Started`.
    fn fall_back_to_cpu(&mut self, epoch: usize, detail: &str) -> Result<(), Disconnected> {
        let Some(old) = self.active.take() else {
            return Ok(());
        };
        self.gpu_failed = Some(format!("at epoch {epoch}: {detail}"));
        let notice = format!(
            "the GPU failed at epoch {epoch} ({detail}); the run restarted from the beginning on the CPU"
        );
        let device = match cpu_with_reason(notice) {
            Ok(d) => d,
            Err(e) => return self.emit(Event::Failed(e.into())),
        };
        self.launch(old.job, &device, old.playing)
    }

    /// Sends a fresh surface and predictions when the network changed and
    /// the last ones are old enough (or were reset to force them): on the
    /// validation rows while training, on the test rows once the run
    /// finished or while the user watches them.
    fn maybe_send_surface(&mut self) -> Result<(), Disconnected> {
        let Some(a) = &mut self.active else {
            return Ok(());
        };
        let due = a
            .last_surface
            .is_none_or(|t| t.elapsed() >= SURFACE_INTERVAL);
        if !a.surface_stale || !due {
            return Ok(());
        }
        a.surface_stale = false;
        a.last_surface = Some(Instant::now());
        let run = &a.run;
        let part = if self.watch_test || run.outcome().is_some() {
            Part::Test
        } else {
            Part::Validation
        };
        let predictions = guarded(|| run.predict(&run.prepared().part(part).x));
        let drawn = match &self.surface {
            Some(request) => {
                guarded(|| compute_surface(run, request)).map(|s| Some(Drawn::Surface(s)))
            }
            None => guarded(|| run.learner().layer_weights().map_err(RunError::from))
                .map(|weights| weights.map(Drawn::Weights)),
        };
        match predictions {
            Ok(p) => self.emit(Event::Predictions {
                part,
                values: Arc::new(p),
            })?,
            Err(e) => self.emit(Event::Failed(e))?,
        }
        match drawn {
            Ok(None) => Ok(()),
            Ok(Some(Drawn::Surface(surface))) => self.emit(Event::Surface(Arc::new(surface))),
            Ok(Some(Drawn::Weights(weights))) => self.emit(Event::Weights(Arc::new(weights))),
            Err(e) => self.emit(Event::Failed(e)),
        }
    }
}

/// What [`Session::maybe_send_surface`] sends beside the predictions.
enum Drawn {
    Surface(Surface),
    /// No surface was requested: the weights alone.
    Weights(Vec<LayerWeights>),
}

/// Reads a model file onto the CPU backend: scoring one customer at a time
/// is faster there than on any GPU, and it leaves the GPU to training.
fn open_model(path: &std::path::Path) -> Result<LoadedModel, WorkerError> {
    let bundle = Bundle::load(path)?;
    let device = select_device(BackendChoice::Cpu)?;
    Ok(LoadedModel::new(bundle, &device)?)
}

/// The CPU backend, described with why it is used.
fn cpu_with_reason(reason: String) -> Result<SelectedDevice, DeviceError> {
    let mut device = select_device(BackendChoice::Cpu)?;
    device.description = format!("{}: {reason}", device.description);
    device.fallback_reason = Some(reason);
    Ok(device)
}

/// Runs `work` with panics caught: the thread outlives a panic in training
/// or scoring, which comes back as [`WorkerError::Panic`] with its message;
/// `work`'s own error becomes a [`WorkerError`].
fn guarded<T, E: Into<WorkerError>>(work: impl FnOnce() -> Result<T, E>) -> Result<T, WorkerError> {
    match std::panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(Into::into),
        Err(panic) => Err(WorkerError::Panic(panic_detail(&*panic))),
    }
}

fn panic_detail(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned())
}
