//! The link to the training thread: the worker handle, what the last
//! restart was built from, the live knobs last sent (pace, learning rate,
//! surface axes), and what the thread reported back as plain values
//! ([`RunView`]). Deciding *when* to restart is the app's logic; this file
//! knows how to talk to the thread.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use super::settings::{ProblemChoice, Settings};
use crate::data::prep::Part;
use crate::data::table::Table;
use crate::model::family::LayerWeights;
use crate::model::run::{EpochReport, RunOutcome};
use crate::model::surface::{Surface, SurfaceRequest};
use crate::model::{BackendChoice, Family, NetworkSpec, TrainSettings, TrainingUnit, TreeSettings};
use crate::tune::baseline::BaselineResult;
use crate::tune::device_choice::ChoiceStore;
use crate::worker::{Command, Event, Job, WorkerHandle};

use super::baselines::Baselines;

/// Most events handled per frame, so a flood never stalls drawing.
const EVENTS_PER_FRAME: usize = 200;

/// What the training thread last told us, as plain values.
#[derive(Debug, Default)]
pub struct RunView {
    /// The family of the run started last (what the curves count in).
    pub family: Family,
    pub device: String,
    pub fallback: Option<String>,
    pub history: Vec<EpochReport>,
    pub surface: Option<Arc<Surface>>,
    /// The network's weights when they come without a surface (the data
    /// has fewer than two numeric features to draw one over).
    pub weights: Option<Arc<Vec<LayerWeights>>>,
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
    /// The epoch this run trains up to (`None`: until paused). Play on a
    /// finished run moves it on by the run's epoch count, as the worker does.
    pub target_epoch: Option<usize>,
    /// The epochs each Play trains when started from a finished run.
    epochs_per_play: Option<usize>,
    /// Default boosted trees and logistic regression fitted on the
    /// network's split, as far as they have come (empty for a tree run's
    /// split until a network trains on it).
    pub baselines: Vec<BaselineResult>,
    /// Why a baseline could not be fitted.
    pub baseline_error: Option<String>,
    /// When recent epochs arrived (the rate shown is the real one, pacing
    /// and drawing included, not the time spent computing).
    arrivals: VecDeque<(Instant, usize)>,
    /// Epochs trained before the thread's network took its weights (a
    /// sweep run's): the thread counts from 0, the curves go on from here.
    epoch_offset: usize,
    /// The layer weights of recent surfaces, epoch by epoch (bounded):
    /// the diagram's link hover and the weights plot.
    pub weight_history: super::weight_history::WeightHistory,
}

/// How far back the shown rate looks.
const RATE_WINDOW: Duration = Duration::from_secs(2);
/// The shortest span a rate is worked out over (a burst of epochs read in
/// one frame has no meaningful rate).
const RATE_MIN_SPAN: Duration = Duration::from_millis(250);

impl RunView {
    /// Epochs per second as they arrived over the last two seconds; `None`
    /// until a quarter of a second's worth has arrived.
    ///
    /// Epochs are timed as the UI reads them, several per frame when frames
    /// are slow: the count starts after the oldest frame's batch (the
    /// epochs in it trained before its time), so a batch never inflates
    /// the rate.
    pub fn epochs_per_second(&self) -> Option<f64> {
        let front = self.arrivals.front()?.0;
        let first = self
            .arrivals
            .iter()
            .take_while(|(t, _)| *t == front)
            .last()?;
        let last = self.arrivals.back()?;
        let span = last.0.duration_since(first.0);
        (span >= RATE_MIN_SPAN).then(|| (last.1 - first.1) as f64 / span.as_secs_f64())
    }

    /// The latest weights of the network, hidden layers then the output:
    /// the surface's, or those sent without one; `None` before any came.
    pub fn layer_weights(&self) -> Option<&[LayerWeights]> {
        match &self.surface {
            Some(surface) if !surface.weights.is_empty() => Some(&surface.weights),
            _ => self.weights.as_deref().map(Vec::as_slice),
        }
    }

    /// What the run counts in: epochs, or boosting rounds for trees.
    pub fn unit(&self) -> TrainingUnit {
        self.family.unit()
    }

    /// The epoch reached (0 before the first).
    pub fn epoch(&self) -> usize {
        self.history.last().map_or(0, |r| r.epoch)
    }

    /// An epoch's report arrived from the training thread.
    pub fn push_epoch(&mut self, mut report: EpochReport) {
        report.epoch += self.epoch_offset;
        let now = Instant::now();
        self.arrivals.push_back((now, report.epoch));
        while self
            .arrivals
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.arrivals.pop_front();
        }
        self.history.push(report);
    }

    /// The curves begin again (a fresh network).
    pub fn clear_epochs(&mut self) {
        self.history.clear();
        self.weight_history.clear();
        self.epoch_offset = 0;
        self.arrivals.clear();
        self.predictions = None;
        self.outcome = None;
    }

    /// The network took a finished run's weights (`history`: that run's
    /// epochs): its curves are shown, the run counts as finished, and
    /// Play trains on from its last epoch.
    pub fn adopt(&mut self, history: Vec<EpochReport>) {
        self.clear_epochs();
        self.epoch_offset = history.last().map_or(0, |r| r.epoch);
        self.history = history;
        self.target_epoch = Some(self.epoch_offset);
        self.playing = false;
        self.finished = true;
    }

    /// Training goes on from here (Play, Step): a run at or past its target
    /// gets a new one, the worker's rule in `worker::session`.
    fn continue_training(&mut self, one_epoch: bool) {
        let epoch = self.epoch();
        if self.target_epoch.is_some_and(|t| epoch >= t) {
            self.target_epoch = if one_epoch {
                Some(epoch + 1)
            } else {
                self.epochs_per_play.map(|n| epoch + n)
            };
        }
        // Pauses and steps leave gaps that are not the training rate.
        self.arrivals.clear();
    }
}

/// What the last restart was built from; a difference means "restart".
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub problem: Option<ProblemChoice>,
    pub family: Family,
    pub spec: NetworkSpec,
    /// The training settings apart from the learning rate (sent live).
    pub train: TrainSettings,
    /// The trees' settings apart from the learning rate (sent live).
    pub trees: TreeSettings,
    pub until_paused: bool,
    pub backend: BackendChoice,
    pub data_version: u64,
}

impl Applied {
    pub fn new(settings: &Settings, data_version: u64) -> Applied {
        Applied {
            problem: settings.problem.clone(),
            family: settings.family,
            // Only the chosen family's settings restart its run.
            spec: match settings.family {
                Family::Network => settings.spec.clone(),
                Family::Trees => NetworkSpec::default(),
            },
            train: match settings.family {
                Family::Network => TrainSettings {
                    learning_rate: 0.0,
                    ..settings.train.clone()
                },
                Family::Trees => TrainSettings::default(),
            },
            trees: match settings.family {
                Family::Network => TreeSettings::default(),
                Family::Trees => TreeSettings {
                    learning_rate: 0.0,
                    ..settings.trees.clone()
                },
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

/// What the decision threshold was chosen for: the data and the question
/// asked of it. A new one starts the threshold afresh.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdFor {
    pub data_version: u64,
    pub target: String,
    pub positive: String,
}

pub struct TrainingLink {
    worker: Option<WorkerHandle>,
    /// The baselines' own thread, started with each network's split.
    baselines: Baselines,
    /// For the baselines' repaint requests.
    ctx: egui::Context,
    /// What the threshold was last set for (`None` before any data).
    threshold_for: Option<ThresholdFor>,
    applied: Option<Applied>,
    /// Step was pressed before the network it was meant for started.
    step_pending: bool,
    pace: LastSent<Option<f64>>,
    watch_test: LastSent<bool>,
    learning_rate: LastSent<f64>,
    surface: LastSent<Option<SurfaceRequest>>,
    run: RunView,
}

impl TrainingLink {
    /// Starts the training thread, which remembers `Auto`'s device
    /// measurements in `device_choices`; the error, if it cannot start, is
    /// shown as the run's error.
    pub fn spawn(
        ctx: &egui::Context,
        settings: &Settings,
        device_choices: ChoiceStore,
    ) -> TrainingLink {
        let repaint = ctx.clone();
        let spawned = WorkerHandle::spawn_with(device_choices, move || repaint.request_repaint());
        let (worker, error) = match spawned {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(format!("cannot start the training thread: {e}"))),
        };
        let mut learning_rate = LastSent::default();
        learning_rate.update(&settings.learning_rate());
        TrainingLink {
            worker,
            baselines: Baselines::default(),
            ctx: ctx.clone(),
            threshold_for: None,
            applied: None,
            step_pending: false,
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
        self.run.continue_training(false);
        self.send(Command::Resume);
    }

    pub fn pause(&mut self) {
        self.run.playing = false;
        self.send(Command::Pause);
    }

    pub fn step(&mut self) {
        self.run.playing = false;
        self.run.continue_training(true);
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

    /// The next network takes one step as soon as it starts (Step pressed
    /// while its data was being prepared).
    pub fn step_when_ready(&mut self) {
        self.run.playing = false;
        self.step_pending = true;
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

    /// Whether the threshold was chosen for other data or another target
    /// or positive label (`for_now` is then remembered: the caller resets
    /// the threshold).
    pub fn threshold_stale(&mut self, for_now: ThresholdFor) -> bool {
        if self.threshold_for.as_ref() == Some(&for_now) {
            return false;
        }
        self.threshold_for = Some(for_now);
        true
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
    /// if the previous one was playing. `table` is the data `job` was
    /// prepared from: the baselines of another family prepare it their way.
    pub fn start(&mut self, mut job: Job, table: Option<Arc<Table>>) {
        self.surface.update(&job.surface);
        self.learning_rate.update(&job.model.learning_rate());
        self.run.family = job.model.family();
        self.run.clear_epochs();
        self.run.target_epoch = job.epochs;
        self.run.epochs_per_play = job.epochs;
        self.run.surface = None;
        self.run.weights = None;
        self.run.finished = false;
        self.run.error = None;
        job.paused = !self.run.playing;
        if job.model.family() == Family::Network {
            let repaint = self.ctx.clone();
            self.baselines
                .start(&job.prepared, &job.recipe, table, move || {
                    repaint.request_repaint();
                });
            self.take_baselines();
        }
        self.send(Command::Start(Box::new(job)));
        if std::mem::take(&mut self.step_pending) {
            self.step();
        }
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
        if self.baselines.poll() {
            self.take_baselines();
        }
        events
    }

    /// Mirrors the baselines' results into the run's view.
    fn take_baselines(&mut self) {
        self.run.baselines.clone_from(&self.baselines.results);
        self.run.baseline_error.clone_from(&self.baselines.error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(value: f32) -> LayerWeights {
        LayerWeights {
            weights: vec![value; 2],
            bias: vec![0.0],
            n_in: 2,
            n_out: 1,
        }
    }

    #[test]
    fn the_diagram_takes_the_surface_weights_or_those_sent_alone() {
        let mut run = RunView::default();
        assert!(run.layer_weights().is_none());
        // Data without two numeric features: the weights come alone.
        run.weights = Some(Arc::new(vec![layer(1.0)]));
        assert_eq!(run.layer_weights(), Some(&[layer(1.0)][..]));
        // A surface carrying weights is the newer word.
        let mut surface = Surface::on_unit_square(vec![0.5; 4], 2);
        surface.weights = vec![layer(2.0)];
        run.surface = Some(Arc::new(surface));
        assert_eq!(run.layer_weights(), Some(&[layer(2.0)][..]));
        // One without weights (not asked for units) leaves the others.
        run.surface = Some(Arc::new(Surface::on_unit_square(vec![0.5; 4], 2)));
        assert_eq!(run.layer_weights(), Some(&[layer(1.0)][..]));
    }
}
