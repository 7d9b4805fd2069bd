//! The link to the training thread: the worker handle, what the last
//! restart was built from, the live knobs last sent (pace, learning rate,
//! surface axes), and what the thread reported back as plain values
//! ([`RunView`]). Deciding *when* to restart is the app's logic; this file
//! knows how to talk to the thread.

use std::sync::Arc;

use eframe::egui;

use super::settings::{ProblemChoice, Settings};
use crate::data::prep::Part;
use crate::model::run::{EpochReport, RunOutcome};
use crate::model::surface::{Surface, SurfaceRequest};
use crate::model::{BackendChoice, NetworkSpec, TrainSettings};
use crate::worker::{Command, Event, Job, WorkerHandle};

/// Most events handled per frame, so a flood never stalls drawing.
const EVENTS_PER_FRAME: usize = 200;

/// What the training thread last told us, as plain values.
#[derive(Debug, Default)]
pub struct RunView {
    pub device: String,
    pub fallback: Option<String>,
    pub history: Vec<EpochReport>,
    pub surface: Option<Arc<Surface>>,
    pub predictions: Option<Arc<Vec<f32>>>,
    /// Which rows `predictions` are for: validation while training, test
    /// once the run finished or while the user watches them.
    pub predictions_part: Part,
    /// How the run ended (best epoch restored, threshold, test metrics);
    /// `None` while it trains.
    pub outcome: Option<Box<RunOutcome>>,
    /// Bumped with every new set of predictions: the network moved
    /// on (what the metrics and the what-if answer are keyed by).
    pub predictions_version: u64,
    pub playing: bool,
    pub finished: bool,
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl RunView {
    /// Epochs per second over the last few epochs.
    pub fn epochs_per_second(&self) -> Option<f64> {
        let recent: Vec<f64> = self
            .history
            .iter()
            .rev()
            .take(10)
            .map(|r| r.seconds)
            .collect();
        let total: f64 = recent.iter().sum();
        (total > 0.0).then(|| recent.len() as f64 / total)
    }

    /// The epoch reached (0 before the first).
    pub fn epoch(&self) -> usize {
        self.history.last().map_or(0, |r| r.epoch)
    }
}

/// What the last restart was built from; a difference means "restart".
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub problem: Option<ProblemChoice>,
    pub spec: NetworkSpec,
    /// The training settings apart from the learning rate (sent live).
    pub train: TrainSettings,
    pub until_paused: bool,
    pub backend: BackendChoice,
    pub data_version: u64,
}

impl Applied {
    pub fn new(settings: &Settings, data_version: u64) -> Applied {
        Applied {
            problem: settings.problem.clone(),
            spec: settings.spec.clone(),
            train: TrainSettings {
                learning_rate: 0.0,
                ..settings.train.clone()
            },
            until_paused: settings.until_paused,
            backend: settings.backend,
            data_version,
        }
    }
}

/// The value last sent to the worker for one live knob; nothing until the
/// first send.
#[derive(Debug)]
struct LastSent<T> {
    value: Option<T>,
}

impl<T> Default for LastSent<T> {
    fn default() -> Self {
        LastSent { value: None }
    }
}

impl<T: PartialEq + Clone> LastSent<T> {
    /// Records `value`; whether it differs from what was sent before.
    fn update(&mut self, value: &T) -> bool {
        if self.value.as_ref() == Some(value) {
            return false;
        }
        self.value = Some(value.clone());
        true
    }
}

pub struct TrainingLink {
    worker: Option<WorkerHandle>,
    applied: Option<Applied>,
    pace: LastSent<Option<f64>>,
    watch_test: LastSent<bool>,
    learning_rate: LastSent<f64>,
    surface: LastSent<Option<SurfaceRequest>>,
    run: RunView,
}

impl TrainingLink {
    /// Starts the training thread; the error, if it cannot start, is shown
    /// as the run's error.
    pub fn spawn(ctx: &egui::Context, settings: &Settings) -> TrainingLink {
        let repaint = ctx.clone();
        let (worker, error) = match WorkerHandle::spawn(move || repaint.request_repaint()) {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(format!("cannot start the training thread: {e}"))),
        };
        let mut learning_rate = LastSent::default();
        learning_rate.update(&settings.train.learning_rate);
        TrainingLink {
            worker,
            applied: None,
            pace: LastSent::default(),
            watch_test: LastSent::default(),
            learning_rate,
            surface: LastSent::default(),
            run: RunView {
                error,
                ..RunView::default()
            },
        }
    }

    pub fn run(&self) -> &RunView {
        &self.run
    }

    pub fn run_mut(&mut self) -> &mut RunView {
        &mut self.run
    }

    pub fn send(&mut self, command: Command) {
        let result = match &self.worker {
            Some(w) => w.send(command).map_err(|e| e.to_string()),
            None => Err("the training thread is not running".to_owned()),
        };
        if let Err(e) = result {
            self.run.error = Some(e);
        }
    }

    pub fn play(&mut self) {
        self.run.playing = true;
        self.run.finished = false;
        self.send(Command::Resume);
    }

    pub fn pause(&mut self) {
        self.run.playing = false;
        self.send(Command::Pause);
    }

    pub fn step(&mut self) {
        self.run.playing = false;
        self.send(Command::Step);
    }

    /// A fresh network with the current settings, paused.
    pub fn reset(&mut self) {
        self.run.playing = false;
        self.applied = None;
    }

    /// The next network starts playing (a lesson plays by itself).
    pub fn play_when_ready(&mut self) {
        self.run.playing = true;
    }

    /// Sends the pace when it changed (it belongs to the worker, not to a
    /// run).
    pub fn send_pace(&mut self, pace: Option<f64>) {
        if self.pace.update(&pace) {
            self.send(Command::SetPace(pace));
        }
    }

    /// Sends whether the user watches the test rows, when it changed.
    pub fn send_watch_test(&mut self, watch: bool) {
        if self.watch_test.update(&watch) {
            self.send(Command::WatchTestRows(watch));
        }
    }

    /// Whether `applied` differs from what the network was built from (it
    /// is then remembered: the caller restarts).
    pub fn needs_restart(&mut self, applied: Applied) -> bool {
        if self.applied.as_ref() == Some(&applied) {
            return false;
        }
        self.applied = Some(applied);
        true
    }

    /// Sends the learning rate and the surface request when they changed;
    /// neither restarts the network.
    pub fn send_live(&mut self, learning_rate: f64, surface: Option<SurfaceRequest>) {
        if self.learning_rate.update(&learning_rate) {
            self.send(Command::SetLearningRate(learning_rate));
        }
        if self.surface.update(&surface) {
            self.send(Command::SetSurface(surface));
        }
    }

    /// The recipe failed: training stops.
    pub fn stop(&mut self) {
        self.run.playing = false;
        self.send(Command::Stop);
    }

    /// Starts a fresh network on `job` (its curves begin again); it plays
    /// if the previous one was playing.
    pub fn start(&mut self, mut job: Job) {
        self.surface.update(&job.surface);
        self.learning_rate.update(&job.settings.learning_rate);
        self.run.history.clear();
        self.run.predictions = None;
        self.run.surface = None;
        self.run.finished = false;
        self.run.error = None;
        job.paused = !self.run.playing;
        self.send(Command::Start(Box::new(job)));
    }

    /// Events that arrived since the last frame (at most 200, so a flood
    /// never stalls drawing; another frame is asked for when there are more).
    pub fn poll_events(&mut self, ctx: &egui::Context) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(worker) = &self.worker {
            while events.len() < EVENTS_PER_FRAME {
                match worker.try_recv() {
                    Some(e) => events.push(e),
                    None => break,
                }
            }
        }
        if events.len() == EVENTS_PER_FRAME {
            ctx.request_repaint();
        }
        events
    }
}
