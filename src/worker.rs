//! The training thread: owns the device, the network and the optimizer;
//! takes [`Command`]s, sends back [`Event`]s made of plain values.
//!
//! The UI never blocks on it: commands go through a bounded channel with
//! `try_send`, events are drained with `try_recv`, and a callback (the app's
//! `request_repaint`) is called after each event. Dropping the
//! [`WorkerHandle`] disconnects both channels and joins the thread.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{
    Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel,
};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::data::prep::{Prepared, Recipe};
use crate::data::table::Table;
use crate::model::bundle::{Bundle, BundleMeta, LoadedModel};
use crate::model::device::{
    BackendChoice, ComputeKind, DeviceError, SelectedDevice, select_device,
};
use crate::model::run::{EpochReport, RunError, TrainingRun};
use crate::model::spec::{NetworkSpec, TrainSettings};
use crate::model::surface::{Surface, SurfaceRequest, compute_surface};

/// Surfaces are sent at most this often while training (and always after
/// the last epoch), so the heatmap moves smoothly without costing epochs.
const SURFACE_INTERVAL: Duration = Duration::from_millis(150);
const COMMAND_CAPACITY: usize = 64;
const EVENT_CAPACITY: usize = 256;

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Job {
    pub prepared: Arc<Prepared>,
    pub recipe: Recipe,
    pub spec: NetworkSpec,
    pub settings: TrainSettings,
    pub backend: BackendChoice,
    /// Train until this many epochs; `None` trains until paused.
    pub epochs: Option<usize>,
    pub surface: Option<SurfaceRequest>,
    /// Start paused (the user pressed Step or only changed settings).
    pub paused: bool,
}

#[derive(Debug)]
pub enum Command {
    /// Replace any current run with a fresh network for this job.
    Start(Box<Job>),
    Pause,
    Resume,
    /// Train exactly one epoch, then pause.
    Step,
    /// End the current run; its network is kept for saving and surfaces.
    Stop,
    /// Applies from the next batch on.
    SetLearningRate(f64),
    /// At most this many epochs per second while playing (a classroom pace,
    /// so the boundary can be watched forming); `None` trains flat out.
    /// Applies to every run from now on; Step is never held back.
    SetPace(Option<f64>),
    /// Which features the surface shows (and whether with unit thumbnails).
    SetSurface(Option<SurfaceRequest>),
    /// Write the current network and its pipeline as a model file.
    Save(PathBuf),
    /// Test hook: fail on purpose in the current run (or the next one).
    #[doc(hidden)]
    InjectFault(Fault),
    /// Read a model file; it answers what-if questions until another is
    /// opened (training is not affected).
    OpenModel(PathBuf),
    /// Score one customer (a one-row table of original columns) with the
    /// current network or the opened model.
    WhatIf {
        id: u64,
        customer: Box<Table>,
        model: WhatIfModel,
    },
}

/// Which network answers a what-if question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhatIfModel {
    /// The network being trained.
    Current,
    /// The model file last opened with [`Command::OpenModel`].
    Opened,
}

#[derive(Debug, Clone)]
pub enum Event {
    Started {
        device: String,
        /// Why the GPU was not used, when it was not.
        fallback: Option<String>,
    },
    Epoch(EpochReport),
    Surface(Arc<Surface>),
    /// The current network's predictions on the test split (probabilities,
    /// or values in target units), sent with each surface: the app computes
    /// metrics at any threshold from them without touching a tensor.
    TestPredictions(Arc<Vec<f32>>),
    /// Playing stopped: the epoch target was reached, or Pause/Stop/Step.
    Paused {
        epoch: usize,
    },
    Finished {
        epoch: usize,
    },
    /// Early stopping ended the run before its epoch target (validation
    /// loss stopped improving); sent right before `Finished`.
    StoppedEarly(crate::model::run::EarlyStop),
    Saved(PathBuf),
    /// A model file was read: what it was trained on, for the what-if form.
    ModelOpened {
        path: PathBuf,
        meta: Box<BundleMeta>,
    },
    /// The answer to [`Command::WhatIf`] `id`: a probability of the
    /// positive class, or a value in target units.
    WhatIf {
        id: u64,
        result: Result<f32, String>,
    },
    /// A readable error; the previous network (if any) is kept.
    Failed(String),
}

/// The UI's side of the worker.
pub struct WorkerHandle {
    commands: Option<SyncSender<Command>>,
    events: Option<Receiver<Event>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WorkerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerHandle")
            .field("running", &self.thread.is_some())
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the training thread is busy; try again")]
    Busy,
    #[error("the training thread has stopped")]
    Gone,
}

impl WorkerHandle {
    /// Starts the named training thread; `notify` is called after every event.
    pub fn spawn(notify: impl Fn() + Send + 'static) -> std::io::Result<WorkerHandle> {
        let (command_tx, command_rx) = sync_channel(COMMAND_CAPACITY);
        let (event_tx, event_rx) = sync_channel(EVENT_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("purchase-lab-training".into())
            .spawn(move || {
                Worker {
                    commands: command_rx,
                    events: event_tx,
                    notify: Box::new(notify),
                    active: None,
                    surface: None,
                    opened: None,
                    fault: None,
                    gpu_failed: None,
                    pace: None,
                    next_epoch: None,
                }
                .run();
            })?;
        Ok(WorkerHandle {
            commands: Some(command_tx),
            events: Some(event_rx),
            thread: Some(thread),
        })
    }

    /// Sends without blocking.
    pub fn send(&self, command: Command) -> Result<(), SendError> {
        let tx = self.commands.as_ref().ok_or(SendError::Gone)?;
        tx.try_send(command).map_err(|e| match e {
            TrySendError::Full(_) => SendError::Busy,
            TrySendError::Disconnected(_) => SendError::Gone,
        })
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.events.as_ref()?.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event (tests and the CLI).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.events.as_ref()?.recv_timeout(timeout).ok()
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        // Disconnect both ways: a worker waiting for a command or blocked on
        // a full event channel wakes up and returns.
        self.commands.take();
        self.events.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

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

struct Worker {
    commands: Receiver<Command>,
    events: SyncSender<Event>,
    notify: Box<dyn Fn() + Send>,
    active: Option<Active>,
    surface: Option<SurfaceRequest>,
    /// The model file last opened, for what-if questions.
    opened: Option<LoadedModel>,
    /// A failure armed by [`Command::InjectFault`], not yet triggered.
    fault: Option<Fault>,
    /// Why the GPU failed in this session; later runs go to the CPU.
    gpu_failed: Option<String>,
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

impl Worker {
    fn run(mut self) {
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
                    self.emit(Event::Failed(e.to_string()))?;
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
                Some(rate) => self.emit(Event::Failed(format!(
                    "the pace must be a positive number of epochs per second, not {rate}"
                )))?,
            },
            Command::SetSurface(request) => {
                self.surface = request;
                if let Some(a) = &mut self.active {
                    a.surface_stale = true;
                    a.last_surface = None;
                }
            }
            Command::InjectFault(fault) => self.fault = Some(fault),
            Command::Save(path) => {
                let result = match &self.active {
                    None => Err("there is no trained network to save yet".to_owned()),
                    Some(a) => Bundle::from_run(&a.run, &a.recipe)
                        .and_then(|b| b.save(&path))
                        .map_err(|e| e.to_string()),
                };
                match result {
                    Ok(()) => self.emit(Event::Saved(path))?,
                    Err(e) => self.emit(Event::Failed(e))?,
                }
            }
            Command::OpenModel(path) => {
                let opened = std::panic::catch_unwind(AssertUnwindSafe(|| open_model(&path)));
                match opened {
                    Ok(Ok(model)) => {
                        let meta = Box::new(model.meta.clone());
                        self.opened = Some(model);
                        self.emit(Event::ModelOpened { path, meta })?;
                    }
                    Ok(Err(e)) => self.emit(Event::Failed(e))?,
                    Err(panic) => self.emit(Event::Failed(panic_message(&*panic)))?,
                }
            }
            Command::WhatIf {
                id,
                customer,
                model,
            } => {
                let result =
                    std::panic::catch_unwind(AssertUnwindSafe(|| self.what_if(&customer, model)))
                        .unwrap_or_else(|panic| Err(panic_message(&*panic)));
                self.emit(Event::WhatIf { id, result })?;
            }
        }
        Ok(())
    }

    fn what_if(&self, customer: &Table, model: WhatIfModel) -> Result<f32, String> {
        let scores = match model {
            WhatIfModel::Current => {
                let a = self
                    .active
                    .as_ref()
                    .ok_or("there is no network yet: press Play or Step")?;
                let x = a
                    .run
                    .prepared()
                    .pipeline
                    .transform(customer)
                    .map_err(|e| e.to_string())?;
                a.run.predict(&x).map_err(|e| e.to_string())?
            }
            WhatIfModel::Opened => self
                .opened
                .as_ref()
                .ok_or("no model file is open")?
                .predict_table(customer)
                .map_err(|e| e.to_string())?,
        };
        scores
            .first()
            .copied()
            .ok_or_else(|| "the customer has no row to score".to_owned())
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
        let device = match self.choose_device(job.backend) {
            Ok(d) => d,
            Err(e) => return self.emit(Event::Failed(e.to_string())),
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
        let built = std::panic::catch_unwind(AssertUnwindSafe(|| {
            TrainingRun::new(job.prepared.clone(), &job.spec, &job.settings, device)
        }));
        let run = match built {
            Ok(Ok(run)) => run,
            Ok(Err(e)) => return self.emit(Event::Failed(e.to_string())),
            Err(panic) => return self.emit(Event::Failed(panic_message(&*panic))),
        };
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
        let fault = self.fault.filter(|f| f.epoch() == next_epoch);
        if fault.is_some() {
            self.fault = None;
        }
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            match fault {
                Some(Fault::PanicAtEpoch(n)) => panic!("injected fault: panic at epoch {n}"),
                Some(Fault::DeviceErrorAtEpoch(n)) => {
                    panic!("injected fault: the device was lost at epoch {n}")
                }
                None => {}
            }
            a.run.run_epoch()
        }));
        a.surface_stale = true;
        match result {
            Ok(Ok(report)) => {
                let early_stop = a.run.early_stop();
                let done = a.target.is_some_and(|t| report.epoch >= t) || early_stop.is_some();
                let epoch = report.epoch;
                if done {
                    a.playing = false;
                    // The last epoch's surface goes out before Finished.
                    a.last_surface = None;
                }
                self.emit(Event::Epoch(report))?;
                if done {
                    self.maybe_send_surface()?;
                    if let Some(stop) = early_stop {
                        self.emit(Event::StoppedEarly(stop))?;
                    }
                    self.emit(Event::Finished { epoch })?;
                }
                Ok(())
            }
            Ok(Err(e)) => {
                if a.kind == ComputeKind::Gpu
                    && matches!(e, RunError::Train(crate::model::TrainError::Backend(_)))
                {
                    return self.fall_back_to_cpu(next_epoch, &e.to_string());
                }
                a.playing = false;
                self.emit(Event::Failed(e.to_string()))
            }
            Err(panic) => {
                // On the GPU a panic is almost always the device or its
                // driver (cubecl panics on a lost device); the simulated
                // device fault stands in for one on machines without a GPU.
                let simulated = matches!(fault, Some(Fault::DeviceErrorAtEpoch(_)));
                if a.kind == ComputeKind::Gpu || simulated {
                    return self.fall_back_to_cpu(next_epoch, &panic_detail(&*panic));
                }
                // The network stays as it was after the last finished batch
                // (each update replaces it whole), so it can be resumed or
                // reset.
                a.playing = false;
                self.emit(Event::Failed(panic_message(&*panic)))
            }
        }
    }

    /// The device for a new run. After a GPU failure in this session the CPU
    /// is used straight away; an explicit GPU request without an adapter
    /// trains on the CPU with the reason shown, unless
    /// `PURCHASE_LAB_REQUIRE_WGPU` makes that an error (CI).
    fn choose_device(&self, choice: BackendChoice) -> Result<SelectedDevice, DeviceError> {
        if choice != BackendChoice::Cpu
            && let Some(reason) = &self.gpu_failed
        {
            return cpu_with_reason(format!(
                "the GPU failed earlier ({reason}), so training stays on the CPU"
            ));
        }
        match select_device(choice) {
            Err(DeviceError::NoWgpu { reason }) => cpu_with_reason(format!(
                "no GPU adapter ({reason}), so training uses the CPU"
            )),
            other => other,
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
            Err(e) => return self.emit(Event::Failed(e.to_string())),
        };
        self.launch(old.job, &device, old.playing)
    }

    /// Sends a fresh surface and test predictions when the network changed
    /// and the last ones are old enough (or were reset to force them).
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
        let predictions =
            std::panic::catch_unwind(AssertUnwindSafe(|| run.predict(&run.prepared().test.x)));
        let surface = self.surface.as_ref().map(|request| {
            std::panic::catch_unwind(AssertUnwindSafe(|| compute_surface(run, request)))
        });
        match predictions {
            Ok(Ok(p)) => self.emit(Event::TestPredictions(Arc::new(p)))?,
            Ok(Err(e)) => self.emit(Event::Failed(e.to_string()))?,
            Err(panic) => self.emit(Event::Failed(panic_message(&*panic)))?,
        }
        match surface {
            None => Ok(()),
            Some(Ok(Ok(surface))) => self.emit(Event::Surface(Arc::new(surface))),
            Some(Ok(Err(e))) => self.emit(Event::Failed(e.to_string())),
            Some(Err(panic)) => self.emit(Event::Failed(panic_message(&*panic))),
        }
    }
}

/// Reads a model file onto the CPU backend: scoring one customer at a time
/// is faster there than on any GPU, and it leaves the GPU to training.
fn open_model(path: &std::path::Path) -> Result<LoadedModel, String> {
    let bundle = Bundle::load(path).map_err(|e| e.to_string())?;
    let device = select_device(BackendChoice::Cpu).map_err(|e| e.to_string())?;
    LoadedModel::new(bundle, &device).map_err(|e| e.to_string())
}

/// Deliberate failures, for tests of the worker's recovery
/// ([`Command::InjectFault`]); nothing in the app sends them.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Panic inside training when this epoch (1-based) is trained.
    PanicAtEpoch(usize),
    /// Fail as a lost GPU would while training this epoch, whatever the
    /// device: the worker restarts the run on the CPU.
    DeviceErrorAtEpoch(usize),
}

impl Fault {
    fn epoch(self) -> usize {
        match self {
            Fault::PanicAtEpoch(n) | Fault::DeviceErrorAtEpoch(n) => n,
        }
    }
}

/// The CPU backend, described with why it is used.
fn cpu_with_reason(reason: String) -> Result<SelectedDevice, DeviceError> {
    let mut device = select_device(BackendChoice::Cpu)?;
    device.description = format!("{}: {reason}", device.description);
    device.fallback_reason = Some(reason);
    Ok(device)
}

fn panic_detail(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned())
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    format!(
        "training stopped on an internal error: {}",
        panic_detail(panic)
    )
}
