//! The app's work between frames, apart from drawing: collecting what the
//! background threads sent, keeping the training thread in step with the
//! settings (restart or live update), and the actions that cross the app's
//! parts (recording a run, restoring one, sessions, sweeps).

use std::path::PathBuf;

use eframe::egui;

use super::PurchaseLabApp;
use super::background::IoDone;
use super::path_prompt::PathPrompt;
use super::runs::RunAction;
use super::settings::{ProblemChoice, Settings, Source};
use super::training_link::{Applied, ThresholdFor};
use crate::model::surface::SurfaceRequest;
use crate::tune::history::{RunRecord, RunSetup};
use crate::tune::session::Session;
use crate::worker::{Command, Event, Job};

impl PurchaseLabApp {
    /// Background results and training events; non-drawing work only.
    pub(super) fn poll(&mut self) {
        if self.data.poll(&mut self.settings) {
            self.fix_axes();
        }
        self.take_preparation();
        if let Some(dialog) = self.tasks.poll_dialog() {
            if dialog.unanswered {
                self.windows.path_prompt = Some(PathPrompt::new(dialog.kind));
            } else if let Some(command) = dialog.command() {
                self.push(command);
            }
        }
        if let Err(e) = self.tasks.poll_png(&self.views.rects, &self.ctx) {
            self.training.run_mut().error = Some(e);
        }
        for result in self.tasks.poll_io() {
            match result {
                Ok(IoDone::Notice(n)) => self.training.run_mut().notice = Some(n),
                Ok(IoDone::Session(session)) => {
                    apply_session(&mut self.settings, *session);
                    self.data.load(self.settings.source.clone(), &self.ctx);
                    self.training.run_mut().notice = Some("session opened".to_owned());
                }
                Err(e) => self.training.run_mut().error = Some(e),
            }
        }
        if self.windows.runs.poll() {
            self.save_history();
        }
        for event in self.training.poll_events(&self.ctx) {
            self.on_event(event);
        }
        self.windows.cv.poll();
        if let Some(next) = self.windows.insights.poll() {
            let repaint = self.ctx.clone();
            self.windows
                .insights
                .start(next, move || repaint.request_repaint());
        }
        let finished = self.windows.sweep.poll();
        if !finished.is_empty() {
            for record in finished {
                self.windows.runs.history.add(record);
            }
            self.save_history();
        }
    }

    fn on_event(&mut self, event: Event) {
        let run = self.training.run_mut();
        match event {
            Event::Started { device, fallback } => {
                run.device = device;
                run.fallback = fallback;
                run.error = None;
                // A fresh network: also after a GPU failure restarted the
                // run on the CPU, whose curves begin again at epoch 1.
                run.clear_epochs();
                // The insights were of the network before.
                self.windows.insights.shown = None;
            }
            Event::Epoch(report) => run.push_epoch(report),
            Event::Surface(surface) => {
                self.views.surface_texture.invalidate();
                let epoch = run.epoch();
                run.weight_history.record(epoch, &surface.weights);
                run.surface = Some(surface);
            }
            Event::Weights(weights) => {
                let epoch = run.epoch();
                run.weight_history.record(epoch, &weights);
                run.weights = Some(weights);
            }
            Event::Predictions { part, values } => {
                run.predictions = Some(values);
                run.predictions_part = part;
                run.predictions_version += 1;
            }
            Event::Outcome(outcome) => {
                if let Some(threshold) = outcome.threshold {
                    // The slider starts where the validation rows say F1 is best.
                    self.settings.threshold = threshold;
                }
                run.notice = Some(outcome_notice(&outcome, run.family));
                run.outcome = Some(outcome);
            }
            Event::Paused { .. } => {
                run.playing = false;
                self.refresh_open_insights();
            }
            Event::StoppedEarly(stop) => run.notice = Some(stop.to_string()),
            Event::Finished { .. } => {
                run.playing = false;
                run.finished = true;
                self.record_run();
                self.refresh_open_insights();
            }
            Event::Snapshot(bundle) => self.start_insights(bundle),
            Event::Adopted => self.on_adopted(),
            Event::Saved(path) => {
                run.notice = Some(format!("model saved to {}", path.display()));
            }
            Event::ModelOpened { path, meta } => {
                run.notice = Some(format!(
                    "opened model {} ({}): predicts `{}` from {} features, trained {} {}s; ask it in What if…",
                    path.display(),
                    meta.model.family().label(),
                    meta.recipe.target,
                    meta.pipeline.steps.len(),
                    meta.epochs_trained,
                    meta.model.unit().name()
                ));
                self.windows.what_if.model_opened(path, meta);
            }
            Event::WhatIf {
                id,
                result,
                probabilities,
            } => {
                self.windows
                    .what_if
                    .receive(id, result.map_err(|e| e.to_string()), probabilities);
            }
            Event::Failed(error) => {
                run.playing = false;
                run.error = Some(error.to_string());
            }
        }
    }

    /// Restarts the network when data, recipe or architecture changed, and
    /// forwards live knobs (pace, learning rate, surface axes) without a
    /// restart.
    pub(super) fn sync_training(&mut self) {
        // The pace belongs to the worker, not to a run: send it first, so a
        // run started below is paced from its first epoch.
        self.training.send_pace(self.settings.pace);
        self.training.send_watch_test(self.settings.watch_test_rows);
        if self.data.table.is_none() {
            return;
        }
        if let Some(problem) = &self.settings.problem {
            let for_now = ThresholdFor {
                data_version: self.data.version,
                target: problem.target.clone(),
                positive: problem.positive.clone(),
            };
            // Not carried across data sets, targets, lessons or launches.
            if self.training.threshold_stale(for_now) {
                self.settings.threshold = super::settings::DEFAULT_THRESHOLD;
            }
        }
        if self
            .training
            .needs_restart(Applied::new(&self.settings, self.data.version))
        {
            self.restart();
            return;
        }
        let surface = self.surface_request();
        self.training
            .send_live(self.settings.learning_rate(), surface);
    }

    /// A fresh network for the current settings: at once when the data
    /// is prepared for its recipe, else when the preparation thread is
    /// done ([`PurchaseLabApp::take_preparation`]).
    fn restart(&mut self) {
        let Some(problem) = self.settings.problem.clone() else {
            return;
        };
        // The steps the chosen family reads (trees: unscaled, missing kept).
        let recipe = self.settings.family.recipe_for(&problem.recipe());
        if let Some(prepared) = self.data.prepare(&recipe, &self.ctx) {
            self.start_run(recipe, prepared);
        }
    }

    /// The preparation asked for last, once it arrived: the run starts on
    /// it, or stops when the recipe cannot be prepared.
    pub(super) fn take_preparation(&mut self) {
        match self.data.poll_prepared() {
            Some((recipe, Some(prepared))) => self.start_run(recipe, prepared),
            Some((_, None)) => self.training.stop(),
            None => {}
        }
    }

    /// Starts the network on `prepared` (made from `recipe`).
    fn start_run(
        &mut self,
        recipe: crate::data::Recipe,
        prepared: std::sync::Arc<crate::data::Prepared>,
    ) {
        let model = self.settings.model_spec();
        let valid = match &model {
            crate::model::ModelSpec::Network { spec, settings } => spec
                .validate()
                .and(settings.validate())
                .map_err(|e| e.to_string()),
            crate::model::ModelSpec::Trees { settings } => {
                settings.validate().map_err(|e| e.to_string())
            }
        };
        if let Err(e) = valid {
            self.data.prep_error = Some(e);
            return;
        }
        self.data.prep_error = None;
        // The network being replaced goes into the history first.
        self.record_run();
        self.windows.what_if.follow_training();
        let epochs = self.settings.unit_target();
        let trees = match &model {
            crate::model::ModelSpec::Trees { settings } => Some(settings.clone()),
            crate::model::ModelSpec::Network { .. } => None,
        };
        self.windows.runs.current = Some(super::runs::CurrentRun {
            setup: RunSetup {
                source: self.settings.source.clone(),
                fingerprint: self.data.fingerprint.clone(),
                recipe: recipe.clone(),
                spec: self.settings.spec.clone(),
                train: self.settings.train.clone(),
                epochs,
                trees,
            },
            recorded_as: None,
            recorded_epochs: 0,
        });
        self.fix_axes();
        self.data.prepared = Some(prepared.clone());
        let table = self.data.table().cloned();
        self.training.start(
            Job {
                prepared,
                recipe,
                model,
                backend: self.settings.backend,
                epochs,
                surface: self.surface_request(),
                paused: true,
            },
            table,
        );
        // A sweep run's trained network chosen for these settings.
        self.send_adoption();
    }

    fn surface_request(&self) -> Option<SurfaceRequest> {
        let numeric = self.data.numeric_features(&self.settings);
        let x = &self.settings.x_feature;
        let y = &self.settings.y_feature;
        (numeric.contains(x) && numeric.contains(y) && x != y).then(|| SurfaceRequest {
            resolution: 100,
            // The network diagram's thumbnails and links.
            with_units: true,
            ..SurfaceRequest::new(x.clone(), y.clone())
        })
    }

    /// Picks surface axes when the current ones are not usable: for known
    /// data the meaningful pair, else the first two numeric features.
    fn fix_axes(&mut self) {
        let numeric = self.data.numeric_features(&self.settings);
        let ok = |f: &String| numeric.contains(f);
        let settings = &mut self.settings;
        if ok(&settings.x_feature)
            && ok(&settings.y_feature)
            && settings.x_feature != settings.y_feature
        {
            return;
        }
        let preferred = [
            ("LoyalCH", "PriceDiff"),
            ("tenure", "monthly_charges"),
            ("visit_minutes", "pages_visited"),
            ("income", "visit_minutes"),
        ];
        for (x, y) in preferred {
            if numeric.iter().any(|f| f == x) && numeric.iter().any(|f| f == y) {
                settings.x_feature = x.to_owned();
                settings.y_feature = y.to_owned();
                return;
            }
        }
        if numeric.len() >= 2 {
            settings.x_feature = numeric[0].clone();
            settings.y_feature = numeric[1].clone();
        }
    }

    /// Sends the what-if form's question when it changed.
    pub(super) fn ask_what_if(&mut self) {
        let question = self
            .windows
            .what_if
            .question(self.data.prepared(), self.training.run());
        if let Some(command) = question {
            self.training.send(command);
        }
    }

    /// Records the current run's curves in the history (replacing its
    /// earlier record if training continued); nothing for an empty run.
    pub(super) fn record_run(&mut self) {
        if self.windows.runs.record(self.training.run()) {
            self.save_history();
        }
    }

    /// Saves the run history in the background.
    fn save_history(&mut self) {
        let repaint = self.ctx.clone();
        self.windows.runs.save(move || repaint.request_repaint());
    }

    /// Something done to a recorded run in the Runs window.
    pub(super) fn run_action(&mut self, id: u64, action: RunAction) {
        match action {
            RunAction::Restore => self.restore_run(id),
            RunAction::ExportHistory => {
                self.push(super::AppCommand::OpenDialog(
                    super::background::Dialog::SaveHistoryCsv(id),
                ));
            }
            action => {
                if self.windows.runs.apply(id, action) {
                    self.save_history();
                }
            }
        }
    }

    /// Puts a run's data source, recipe, network and training settings back
    /// into the controls (the data is reloaded when it differs).
    fn restore_run(&mut self, id: u64) {
        let Some(record) = self.windows.runs.history.get(id).cloned() else {
            return;
        };
        let settings = &mut self.settings;
        settings.set_model(record.setup.model_spec());
        settings.until_paused = record.setup.epochs.is_none();
        match (record.setup.epochs, settings.family) {
            (Some(n), crate::model::Family::Network) => settings.train.epochs = n,
            (Some(n), crate::model::Family::Trees) => settings.trees.trees = n,
            (None, _) => {}
        }
        settings.problem = Some(ProblemChoice::from_recipe(&record.setup.recipe));
        if record.setup.source != settings.source {
            self.data.load(record.setup.source.clone(), &self.ctx);
        }
        self.training.run_mut().notice =
            Some(format!("restored the settings of `{}`", record.name));
    }

    /// Runs `work` (a file write or read) on a background thread; its
    /// result becomes a notice or an error when it arrives.
    fn in_background(&mut self, work: impl FnOnce() -> super::IoResult + Send + 'static) {
        if let Err(e) = self.tasks.spawn_io(&self.ctx, work) {
            self.training.run_mut().error = Some(e);
        }
    }

    /// Saves the current data source, recipe, network and training
    /// settings as a session file.
    pub(super) fn save_session(&mut self, path: PathBuf) {
        let Some(problem) = &self.settings.problem else {
            self.training.run_mut().error =
                Some("load data and choose a target before saving a session".into());
            return;
        };
        let session = Session {
            family: self.settings.family,
            trees: self.settings.trees.clone(),
            ..Session::new(
                self.settings.source.clone(),
                problem.recipe(),
                self.settings.spec.clone(),
                self.settings.train.clone(),
                (!self.settings.until_paused).then_some(self.settings.train.epochs),
                self.settings.backend,
            )
        };
        self.in_background(move || {
            session
                .save(&path)
                .map(|()| IoDone::Notice(format!("session saved to {}", path.display())))
                .map_err(|e| e.to_string())
        });
    }

    /// Reads a session file in the background and applies it when it arrives.
    pub(super) fn open_session(&mut self, path: PathBuf) {
        self.in_background(move || {
            Session::load(&path)
                .map(|s| IoDone::Session(Box::new(s)))
                .map_err(|e| e.to_string())
        });
    }

    pub(super) fn save_runs_csv(&mut self, path: PathBuf) {
        let records: Vec<RunRecord> = self.windows.runs.history.records.clone();
        self.in_background(move || {
            let refs: Vec<&RunRecord> = records.iter().collect();
            crate::tune::history::write_runs_csv(&refs, &path)
                .map(|()| IoDone::Notice(format!("runs table saved to {}", path.display())))
                .map_err(|e| e.to_string())
        });
    }

    pub(super) fn save_history_csv(&mut self, run: u64, path: PathBuf) {
        let Some(record) = self.windows.runs.history.get(run) else {
            return;
        };
        let history = record.history.clone();
        self.in_background(move || {
            crate::tune::history::write_history_csv(&history, &path)
                .map(|()| IoDone::Notice(format!("epochs saved to {}", path.display())))
                .map_err(|e| e.to_string())
        });
    }

    /// Starts a sweep over the Sweep window's grid on the current data.
    pub(super) fn start_sweep(&mut self) {
        let repaint = self.ctx.clone();
        self.windows.sweep.start(
            self.data.prepared.clone(),
            &self.settings,
            self.data.fingerprint.clone(),
            move || repaint.request_repaint(),
        );
    }

    /// Cross-validates the current network and training settings on the
    /// current data and recipe (the window's fold count).
    pub(super) fn start_cross_validation(&mut self) {
        let (Some(table), Some(problem)) = (self.data.table(), &self.settings.problem) else {
            return;
        };
        let repaint = self.ctx.clone();
        let model = self.settings.model_spec();
        self.windows.cv.start(
            table.clone(),
            self.settings.family.recipe_for(&problem.recipe()),
            model,
            self.settings.backend,
            move || repaint.request_repaint(),
        );
    }

    /// Puts the best sweep run's network and training settings into the
    /// controls.
    pub(super) fn apply_best_sweep(&mut self) {
        if let Some(winner) = self.windows.sweep.best_point() {
            self.settings.family = crate::model::Family::Network;
            self.settings.spec = winner.spec.clone();
            let mut train = winner.train.clone();
            train.early_stopping = self.settings.train.early_stopping;
            self.settings.train = train;
            self.training.run_mut().notice = Some(format!(
                "applied the best sweep run's settings: {}; \"Restore its network\" in the \
                 Sweep window also puts its trained network in",
                winner.label()
            ));
        }
    }

    /// A file dropped on the window: a model opens for the what-if form,
    /// anything else loads as data.
    pub(super) fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("plab"))
            {
                self.training.send(Command::OpenModel(path));
            } else {
                self.data.load(Source::File(path), ctx);
            }
        }
    }
}

/// Puts a session's data source and settings into `settings`.
pub(super) fn apply_session(settings: &mut Settings, session: Session) {
    if let Source::Generated(synth) = &session.source {
        settings.synth = synth.clone();
    }
    settings.source = session.source;
    settings.problem = Some(ProblemChoice::from_recipe(&session.recipe));
    settings.spec = session.spec;
    settings.train = session.train;
    settings.family = session.family;
    settings.trees = session.trees;
    settings.until_paused = session.epochs.is_none();
    if let Some(n) = session.epochs {
        settings.train.epochs = n;
    }
    settings.backend = session.backend;
}

/// What the user reads when a run ends: which weights were kept and the
/// threshold chosen on validation rows.
fn outcome_notice(outcome: &crate::model::run::RunOutcome, family: crate::model::Family) -> String {
    let unit = family.unit().name();
    let kept = family.parameters();
    let mut text = match (outcome.best_epoch, outcome.restored_best) {
        (Some(best), true) => {
            format!("finished: restored the {kept} of {unit} {best} (lowest validation loss)")
        }
        _ => format!("finished after {unit} {}", outcome.epochs),
    };
    if let Some(t) = outcome.threshold {
        text.push_str(&format!(
            "; threshold set to {t:.2} (best F1 on the validation rows); evaluation now shows the test rows"
        ));
    } else {
        text.push_str("; evaluation now shows the test rows");
    }
    text
}
