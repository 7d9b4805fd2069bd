//! The desktop window (eframe + egui_plot). It holds only plain values:
//! tables and prepared matrices on the data side, and curves, grids and
//! metrics received from the training thread. No tensor ever lives here.
//!
//! One file per view: [`data_panel`], [`network_panel`], [`training_bar`],
//! [`surface_view`], [`curves`], [`evaluation`].

mod background;
pub mod curves;
pub mod data_panel;
pub mod evaluation;
pub mod export;
pub mod frame_stats;
pub mod lessons;
pub mod model_panel;
pub mod network_panel;
pub mod network_view;
pub mod point_cloud;
pub mod runs;
pub mod settings;
pub mod surface_view;
pub mod sweep_panel;
pub mod training_bar;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use crate::data::prep::{Prepared, prepare};
use crate::data::table::{ColumnKind, Table};
use crate::model::metrics::ClassificationMetrics;
use crate::model::run::EpochReport;
use crate::model::surface::{Surface, SurfaceRequest};
use crate::worker::{Command, Event, Job, WorkerHandle};
use background::{Dialog, Loaded, Task};
use settings::{ProblemChoice, Settings, Source};

const STORAGE_KEY: &str = "purchase-lab-settings";
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
}

/// What the last restart was built from; a difference means "restart".
#[derive(Debug, Clone, PartialEq)]
struct Applied {
    problem: Option<ProblemChoice>,
    spec: crate::model::NetworkSpec,
    train: crate::model::TrainSettings,
    until_paused: bool,
    backend: crate::model::BackendChoice,
    data_version: u64,
}

pub struct PurchaseLabApp {
    pub settings: Settings,
    pub table: Option<Arc<Table>>,
    /// Problems with the data source (a bad file), shown in the data panel.
    pub data_error: Option<String>,
    /// Problems with the recipe (single-class target…), shown in the panel.
    pub prep_error: Option<String>,
    pub prepared: Option<Arc<Prepared>>,
    /// Everything the reader and the recipe reinterpreted, dropped or
    /// merged (the data panel's "Data notes").
    pub data_notes: Vec<crate::data::DataNote>,
    /// Columns unfit to be features (identifiers, constants, nearly
    /// empty), worked out when the recipe is applied, not every frame.
    pub unfit_columns: Vec<(String, crate::data::screen::Unsuitable)>,
    pub run: RunView,
    pub path_field: String,
    pub loading: Option<String>,
    /// Test metrics at the chosen threshold, recomputed when inputs change.
    pub metrics: Option<ClassificationMetrics>,
    metrics_key: Option<(usize, u64)>,
    loader: Option<Task<Loaded>>,
    dialog: Option<Task<(Dialog, Option<PathBuf>)>>,
    worker: Option<WorkerHandle>,
    applied: Option<Applied>,
    data_version: u64,
    surface_sent: Option<Option<SurfaceRequest>>,
    learning_rate_sent: f64,
    /// The pace last sent to the worker (`None`: not yet).
    pace_sent: Option<Option<f64>>,
    pub surface_texture: surface_view::SurfaceTexture,
    /// The customers drawn on the surface, per data and axis choice.
    scatter: surface_view::Scatter,
    /// Marker sprites for the surface's customers.
    sprites: point_cloud::Sprites,
    pub unit_textures: network_view::UnitTextures,
    pub what_if: model_panel::WhatIf,
    /// The classroom lesson being shown, with its explanation in a banner.
    pub lesson: Option<lessons::Lesson>,
    pub runs: runs::RunsState,
    pub sweep: sweep_panel::SweepState,
    /// Fingerprint of the loaded table, recorded with each run.
    pub fingerprint: String,
    /// Where the exportable views were drawn last frame.
    pub view_rects: export::ViewRects,
    /// A PNG export waiting for its screenshot.
    png_export: Option<(
        export::PngView,
        PathBuf,
        std::sync::mpsc::Receiver<Arc<egui::ColorImage>>,
    )>,
    /// File writes and reads off the UI thread; each reports a notice.
    io_tasks: Vec<Task<IoResult>>,
    /// What recent frames cost the UI thread.
    pub frame_stats: frame_stats::FrameStats,
    report_frame_times: bool,
    ctx: egui::Context,
}

impl PurchaseLabApp {
    /// The app, its settings restored from `storage` when there are any;
    /// `file` (from the command line) replaces the remembered source.
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        file: Option<PathBuf>,
    ) -> PurchaseLabApp {
        Self::with_history(
            ctx,
            storage,
            file,
            crate::tune::history::History::default_path(),
        )
    }

    /// The app with its run history kept at `history_path` (tests use a
    /// temporary one; `None` keeps it in memory). `file` is a CSV to open
    /// or a session file (`.json`).
    pub fn with_history(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        file: Option<PathBuf>,
        history_path: Option<PathBuf>,
    ) -> PurchaseLabApp {
        let mut settings: Settings = storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default();
        // Dark or light as the system says (egui's default; set here so a
        // restored egui memory or a test harness cannot pin one).
        ctx.options_mut(|o| o.theme_preference = egui::ThemePreference::System);
        let mut session_error = None;
        if let Some(file) = file {
            if crate::tune::session::Session::is_session_file(&file) {
                match crate::tune::session::Session::load(&file) {
                    Ok(session) => apply_session(&mut settings, session),
                    Err(e) => session_error = Some(e.to_string()),
                }
            } else {
                settings.source = Source::File(file);
                settings.problem = None;
            }
        }
        let repaint = ctx.clone();
        let (worker, worker_error) = match WorkerHandle::spawn(move || repaint.request_repaint()) {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(format!("cannot start the training thread: {e}"))),
        };
        let mut app = PurchaseLabApp {
            learning_rate_sent: settings.train.learning_rate,
            pace_sent: None,
            settings,
            table: None,
            data_error: None,
            prep_error: None,
            prepared: None,
            data_notes: Vec::new(),
            unfit_columns: Vec::new(),
            run: RunView {
                error: worker_error,
                ..RunView::default()
            },
            path_field: String::new(),
            loading: None,
            metrics: None,
            metrics_key: None,
            loader: None,
            dialog: None,
            worker,
            applied: None,
            data_version: 0,
            surface_sent: None,
            surface_texture: surface_view::SurfaceTexture::default(),
            scatter: surface_view::Scatter::default(),
            sprites: point_cloud::Sprites::default(),
            unit_textures: network_view::UnitTextures::default(),
            what_if: model_panel::WhatIf::default(),
            lesson: None,
            runs: runs::RunsState::open(history_path),
            sweep: sweep_panel::SweepState::default(),
            fingerprint: String::new(),
            view_rects: export::ViewRects::default(),
            png_export: None,
            io_tasks: Vec::new(),
            frame_stats: frame_stats::FrameStats::default(),
            report_frame_times: std::env::var("PURCHASE_LAB_FRAME_STATS").is_ok_and(|v| v == "1"),
            ctx: ctx.clone(),
        };
        app.data_error = session_error;
        app.load(app.settings.source.clone());
        app
    }

    /// Runs `work` (a file write or read) on a background thread; its
    /// result becomes a notice or an error when it arrives.
    pub fn in_background(&mut self, work: impl FnOnce() -> IoResult + Send + 'static) {
        let repaint = self.ctx.clone();
        match Task::spawn(
            "purchase-lab-io",
            true,
            move || repaint.request_repaint(),
            work,
        ) {
            Ok(task) => self.io_tasks.push(task),
            Err(e) => self.run.error = Some(e),
        }
    }

    /// Saves the current data source, recipe, network and training
    /// settings as a session file.
    pub fn save_session(&mut self, path: PathBuf) {
        let Some(problem) = &self.settings.problem else {
            self.run.error = Some("load data and choose a target before saving a session".into());
            return;
        };
        let session = crate::tune::session::Session::new(
            self.settings.source.clone(),
            problem.recipe(),
            self.settings.spec.clone(),
            self.settings.train.clone(),
            (!self.settings.until_paused).then_some(self.settings.train.epochs),
            self.settings.backend,
        );
        self.in_background(move || {
            session
                .save(&path)
                .map(|()| IoDone::Notice(format!("session saved to {}", path.display())))
                .map_err(|e| e.to_string())
        });
    }

    /// Reads a session file in the background and applies it when it arrives.
    pub fn open_session(&mut self, path: PathBuf) {
        self.in_background(move || {
            crate::tune::session::Session::load(&path)
                .map(|s| IoDone::Session(Box::new(s)))
                .map_err(|e| e.to_string())
        });
    }

    /// Exports a view as PNG: the next frame is captured and cropped.
    pub fn export_png(&mut self, view: export::PngView, path: PathBuf) {
        let rx = export::request_screenshot(&self.ctx);
        self.png_export = Some((view, path, rx));
    }

    fn poll_io(&mut self) {
        if let Some((view, path, rx)) = &self.png_export
            && let Ok(image) = rx.try_recv()
        {
            let (view, path) = (*view, path.clone());
            self.png_export = None;
            let rect = self.view_rects.get(view);
            let ppp = self.ctx.pixels_per_point();
            self.in_background(move || {
                let part = rect
                    .and_then(|r| export::crop(&image, r, ppp))
                    .ok_or("that view is not on screen")?;
                export::write_png(&part, &path)?;
                Ok(IoDone::Notice(format!(
                    "image saved to {} ({} x {} pixels)",
                    path.display(),
                    part.size[0],
                    part.size[1]
                )))
            });
        }
        let mut done = Vec::new();
        self.io_tasks.retain_mut(|task| match task.poll() {
            Some(result) => {
                done.push(result);
                false
            }
            None => !task.is_lost(),
        });
        for result in done {
            match result {
                Ok(IoDone::Notice(n)) => self.run.notice = Some(n),
                Ok(IoDone::Session(session)) => {
                    apply_session(&mut self.settings, *session);
                    self.load(self.settings.source.clone());
                    self.run.notice = Some("session opened".to_owned());
                }
                Err(e) => self.run.error = Some(e),
            }
        }
        if self.runs.poll() {
            let repaint = self.ctx.clone();
            self.runs.save(move || repaint.request_repaint());
        }
    }

    /// Starts loading `source` in the background; the current data stays
    /// usable until it succeeds.
    pub fn load(&mut self, source: Source) {
        let repaint = self.ctx.clone();
        self.loading = Some(source.label());
        match background::load(source, move || repaint.request_repaint()) {
            Ok(task) => self.loader = Some(task),
            Err(e) => {
                self.loading = None;
                self.data_error = Some(e);
            }
        }
    }

    pub fn open_dialog(&mut self, kind: Dialog) {
        if self.dialog.is_some() {
            return;
        }
        let repaint = self.ctx.clone();
        match background::file_dialog(kind, move || repaint.request_repaint()) {
            Ok(task) => self.dialog = Some(task),
            Err(e) => self.data_error = Some(e),
        }
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

    /// Sets up a classroom lesson (its data and network) and plays it as
    /// soon as the data is ready.
    pub fn start_lesson(&mut self, lesson: lessons::Lesson) {
        lesson.apply(&mut self.settings);
        self.load(self.settings.source.clone());
        self.run.playing = true;
        self.lesson = Some(lesson);
    }

    /// A fresh network with the current settings, paused.
    pub fn reset(&mut self) {
        self.run.playing = false;
        self.applied = None;
    }

    /// Numeric input features, the candidates for the surface's axes.
    pub fn numeric_features(&self) -> Vec<String> {
        let (Some(table), Some(problem)) = (&self.table, &self.settings.problem) else {
            return Vec::new();
        };
        problem
            .features
            .iter()
            .filter(|f| {
                table
                    .column(f)
                    .is_some_and(|c| c.kind() == ColumnKind::Numeric)
            })
            .cloned()
            .collect()
    }

    fn surface_request(&self) -> Option<SurfaceRequest> {
        let numeric = self.numeric_features();
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
        let numeric = self.numeric_features();
        let ok = |f: &String| numeric.contains(f);
        if ok(&self.settings.x_feature)
            && ok(&self.settings.y_feature)
            && self.settings.x_feature != self.settings.y_feature
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
                self.settings.x_feature = x.to_owned();
                self.settings.y_feature = y.to_owned();
                return;
            }
        }
        if numeric.len() >= 2 {
            self.settings.x_feature = numeric[0].clone();
            self.settings.y_feature = numeric[1].clone();
        }
    }

    /// Background results and training events; non-drawing work only.
    fn poll(&mut self) {
        if let Some(task) = &mut self.loader {
            if let Some((source, result)) = task.poll() {
                self.loader = None;
                self.loading = None;
                match result {
                    Ok((table, fingerprint)) => {
                        self.fingerprint = fingerprint;
                        self.accept_table(source, table);
                    }
                    Err(e) => self.data_error = Some(e),
                }
            } else if task.is_lost() {
                self.loader = None;
                self.loading = None;
                self.data_error = Some("loading stopped on an internal error".to_owned());
            }
        }
        if let Some(task) = &mut self.dialog
            && let Some((kind, path)) = task.poll()
        {
            self.dialog = None;
            match (kind, path) {
                (Dialog::OpenCsv, Some(path)) => self.load(Source::File(path)),
                (Dialog::SaveModel, Some(path)) => self.send(Command::Save(path)),
                (Dialog::OpenModel, Some(path)) => self.send(Command::OpenModel(path)),
                (Dialog::SaveRunsCsv, Some(path)) => {
                    let records: Vec<crate::tune::history::RunRecord> =
                        self.runs.history.records.clone();
                    self.in_background(move || {
                        let refs: Vec<&crate::tune::history::RunRecord> = records.iter().collect();
                        crate::tune::history::write_runs_csv(&refs, &path)
                            .map(|()| {
                                IoDone::Notice(format!("runs table saved to {}", path.display()))
                            })
                            .map_err(|e| e.to_string())
                    });
                }
                (Dialog::SaveHistoryCsv(id), Some(path)) => {
                    if let Some(record) = self.runs.history.get(id) {
                        let history = record.history.clone();
                        self.in_background(move || {
                            crate::tune::history::write_history_csv(&history, &path)
                                .map(|()| {
                                    IoDone::Notice(format!("epochs saved to {}", path.display()))
                                })
                                .map_err(|e| e.to_string())
                        });
                    }
                }
                (Dialog::SavePng(view), Some(path)) => self.export_png(view, path),
                (Dialog::SaveSession, Some(path)) => self.save_session(path),
                (Dialog::OpenSession, Some(path)) => self.open_session(path),
                (_, None) => {}
            }
        }
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
            self.ctx.request_repaint();
        }
        for event in events {
            self.on_event(event);
        }
    }

    fn accept_table(&mut self, source: Source, table: Table) {
        let preferred = match &source {
            Source::Generated(s) => Some(s.preset.target()),
            Source::File(_) => None,
        };
        // Keep the problem when the new table still has its columns (a
        // regenerated data set); otherwise choose afresh.
        let keep = self.settings.problem.as_ref().is_some_and(|p| {
            table.column(&p.target).is_some()
                && p.features.iter().all(|f| table.column(f).is_some())
        }) && same_kind(&self.settings.source, &source);
        if !keep {
            self.settings.problem = Some(ProblemChoice::for_table(&table, preferred));
        }
        self.settings.source = source;
        self.table = Some(Arc::new(table));
        self.data_error = None;
        self.data_version += 1;
        self.fix_axes();
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Started { device, fallback } => {
                self.run.device = device;
                self.run.fallback = fallback;
                self.run.error = None;
                // A fresh network: also after a GPU failure restarted the
                // run on the CPU, whose curves begin again at epoch 1.
                self.run.history.clear();
                self.run.predictions = None;
            }
            Event::Epoch(report) => self.run.history.push(report),
            Event::Surface(surface) => {
                self.surface_texture.invalidate();
                self.run.surface = Some(surface);
            }
            Event::TestPredictions(p) => self.run.predictions = Some(p),
            Event::Paused { .. } => self.run.playing = false,
            Event::StoppedEarly(stop) => self.run.notice = Some(stop.to_string()),
            Event::Finished { .. } => {
                self.run.playing = false;
                self.run.finished = true;
                self.record_run();
            }
            Event::Saved(path) => {
                self.run.notice = Some(format!("model saved to {}", path.display()));
            }
            Event::ModelOpened { path, meta } => {
                self.run.notice = Some(format!(
                    "opened model {}: predicts `{}` from {} features, trained {} epochs; ask it in What if…",
                    path.display(),
                    meta.recipe.target,
                    meta.pipeline.steps.len(),
                    meta.epochs_trained
                ));
                self.what_if.model_opened(path, meta);
            }
            Event::WhatIf { id, result } => {
                self.what_if.receive(id, result.map_err(|e| e.to_string()));
            }
            Event::Failed(error) => {
                self.run.playing = false;
                self.run.error = Some(error.to_string());
            }
        }
    }

    /// Restarts the network when data, recipe or architecture changed, and
    /// forwards live knobs (pace, learning rate, surface axes) without a
    /// restart.
    fn apply(&mut self) {
        // The pace belongs to the worker, not to a run: send it first, so a
        // run started below is paced from its first epoch.
        let pace = self.settings.pace;
        if self.pace_sent != Some(pace) {
            self.pace_sent = Some(pace);
            self.send(Command::SetPace(pace));
        }
        let Some(table) = self.table.clone() else {
            return;
        };
        let applied = Applied {
            problem: self.settings.problem.clone(),
            spec: self.settings.spec.clone(),
            train: crate::model::TrainSettings {
                learning_rate: 0.0,
                ..self.settings.train.clone()
            },
            until_paused: self.settings.until_paused,
            backend: self.settings.backend,
            data_version: self.data_version,
        };
        if self.applied.as_ref() != Some(&applied) {
            self.applied = Some(applied);
            self.restart(&table);
            return;
        }
        let lr = self.settings.train.learning_rate;
        if lr != self.learning_rate_sent {
            self.learning_rate_sent = lr;
            self.send(Command::SetLearningRate(lr));
        }
        let request = self.surface_request();
        if self.surface_sent.as_ref() != Some(&request) {
            self.surface_sent = Some(request.clone());
            self.send(Command::SetSurface(request));
        }
    }

    fn restart(&mut self, table: &Table) {
        let Some(problem) = self.settings.problem.clone() else {
            return;
        };
        let recipe = problem.recipe();
        self.unfit_columns = crate::data::screen::unfit_columns(table, &recipe.target);
        self.data_notes = table.notes().to_vec();
        self.data_notes
            .extend(crate::data::screen::recipe_feature_notes(
                &self.unfit_columns,
                &recipe.features,
            ));
        let prepared = match prepare(table, &recipe) {
            Ok(p) => {
                self.data_notes.extend(p.notes.iter().cloned());
                Arc::new(p)
            }
            Err(e) => {
                self.prep_error = Some(e.to_string());
                self.run.playing = false;
                self.send(Command::Stop);
                return;
            }
        };
        if let Err(e) = self
            .settings
            .spec
            .validate()
            .and(self.settings.train.validate())
        {
            self.prep_error = Some(e.to_string());
            return;
        }
        self.prep_error = None;
        // The network being replaced goes into the history first.
        self.record_run();
        self.runs.current = Some(runs::CurrentRun {
            setup: crate::tune::history::RunSetup {
                source: self.settings.source.clone(),
                fingerprint: self.fingerprint.clone(),
                recipe: recipe.clone(),
                spec: self.settings.spec.clone(),
                train: self.settings.train.clone(),
                epochs: (!self.settings.until_paused).then_some(self.settings.train.epochs),
            },
            recorded_as: None,
            recorded_epochs: 0,
        });
        self.fix_axes();
        let surface = self.surface_request();
        self.surface_sent = Some(surface.clone());
        self.learning_rate_sent = self.settings.train.learning_rate;
        self.prepared = Some(prepared.clone());
        self.run.history.clear();
        self.run.predictions = None;
        self.run.surface = None;
        self.run.finished = false;
        self.run.error = None;
        self.metrics_key = None;
        let job = Job {
            prepared,
            recipe,
            spec: self.settings.spec.clone(),
            settings: self.settings.train.clone(),
            backend: self.settings.backend,
            epochs: (!self.settings.until_paused).then_some(self.settings.train.epochs),
            surface,
            paused: !self.run.playing,
        };
        self.send(Command::Start(Box::new(job)));
    }

    fn refresh_metrics(&mut self) {
        let (Some(prepared), Some(predictions)) = (&self.prepared, &self.run.predictions) else {
            self.metrics = None;
            return;
        };
        if self.settings.problem.as_ref().is_some_and(|p| p.regression) {
            self.metrics = None;
            return;
        }
        let key = (
            Arc::as_ptr(predictions) as usize,
            self.settings.threshold.to_bits(),
        );
        if self.metrics_key == Some(key) {
            return;
        }
        self.metrics_key = Some(key);
        self.metrics =
            ClassificationMetrics::compute(predictions, &prepared.test.y, self.settings.threshold)
                .ok();
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
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
                self.send(Command::OpenModel(path));
            } else {
                self.load(Source::File(path));
            }
        }
    }
}

impl eframe::App for PurchaseLabApp {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.frame_stats.record(frame.info().cpu_usage);
        if self.report_frame_times
            && self.frame_stats.frames().is_multiple_of(30)
            && let Some(line) = self.frame_stats.report()
        {
            let epoch = self.run.history.last().map_or(0, |r| r.epoch);
            eprintln!("UI thread per frame at epoch {epoch}, {line}");
        }
        self.handle_dropped_files(ctx);
        self.poll();
        self.poll_io();
        self.poll_sweep();
        self.apply();
        self.refresh_metrics();
        model_panel::ask(self);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("training_bar").show(ui, |ui| training_bar::show(self, ui));
        egui::Panel::left("controls")
            .resizable(true)
            .default_size(310.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    data_panel::show(self, ui);
                    ui.separator();
                    network_panel::show(self, ui);
                });
            });
        egui::Panel::right("results")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let curves = ui.scope(|ui| curves::show(self, ui)).response.rect;
                    self.view_rects.curves = Some(curves);
                    ui.separator();
                    evaluation::show(self, ui);
                    ui.separator();
                    model_panel::show(self, ui);
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::Panel::bottom("network_diagram")
                .resizable(true)
                .default_size(network_view::HEIGHT)
                .size_range(140.0..=520.0)
                .show(ui, |ui| network_view::show(self, ui));
            let surface = ui.scope(|ui| surface_view::show(self, ui)).response.rect;
            self.view_rects.surface = Some(surface);
        });
        if self.runs.open || self.sweep.open {
            runs::show_window(self, &ctx);
        }
        self.frame_stats.end_update();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.settings);
    }

    fn on_exit(&mut self) {
        // The run in progress is history too; wait for the file to be written.
        self.record_run();
        self.runs.flush();
        self.runs.save(|| {});
        self.runs.flush();
    }
}

/// What a background read or write produced.
pub enum IoDone {
    Notice(String),
    Session(Box<crate::tune::session::Session>),
}

pub type IoResult = Result<IoDone, String>;

/// Puts a session's data source and settings into `settings`.
fn apply_session(settings: &mut Settings, session: crate::tune::session::Session) {
    if let Source::Generated(synth) = &session.source {
        settings.synth = synth.clone();
    }
    settings.source = session.source;
    settings.problem = Some(ProblemChoice::from_recipe(&session.recipe));
    settings.spec = session.spec;
    settings.train = session.train;
    settings.until_paused = session.epochs.is_none();
    if let Some(n) = session.epochs {
        settings.train.epochs = n;
    }
    settings.backend = session.backend;
}

/// Whether two sources hold the same kind of data: the same file, or the
/// same generator preset (a regenerated data set keeps the user's choices).
fn same_kind(a: &Source, b: &Source) -> bool {
    match (a, b) {
        (Source::Generated(x), Source::Generated(y)) => x.preset == y.preset,
        _ => a == b,
    }
}

/// Opens the window (blocking until it is closed).
pub fn run(file: Option<PathBuf>) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Purchase Lab")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([900.0, 600.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Purchase Lab",
        options,
        Box::new(move |cc| {
            Ok(Box::new(PurchaseLabApp::new(
                &cc.egui_ctx,
                cc.storage,
                file,
            )))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
