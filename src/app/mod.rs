//! The desktop window (eframe + egui_plot). It holds only plain values:
//! tables and prepared matrices on the data side, and curves, grids and
//! metrics received from the training thread. No tensor ever lives here.
//!
//! Each frame runs in three steps, as in egui's demo app and rerun's
//! viewer: `logic.rs` collects what the background threads sent and keeps
//! the training thread in step with the settings; the panels draw, edit the
//! plain [`Settings`] they show and push an [`AppCommand`] for anything
//! else (Play, Load, Restore…); the commands are then applied
//! ([`command`]). The app's state is split by job:
//!
//! - [`data_side`]: the table, its notes, the prepared matrices, the loader;
//! - [`training_link`]: the training thread, what was sent to it, and what
//!   it reported ([`RunView`]);
//! - [`view_cache`]: textures, point sprites and metrics kept between frames;
//! - [`background`]: file dialogs, file reads and writes, PNG exports;
//! - [`Windows`]: the Runs and Sweep windows', the what-if form's and the
//!   lesson banner's own state.
//!
//! One file per view: [`data_panel`], [`network_panel`] (with
//! [`tree_panel`] for boosted trees), [`training_bar`], [`surface_view`],
//! [`network_view`] (or [`importance_view`] for trees), [`curves`],
//! [`evaluation`] (with [`baseline_view`]), [`model_panel`], [`runs`],
//! [`sweep_panel`]; their colours come from [`palette`].

pub mod background;
pub mod baseline_view;
mod baselines;
pub mod class_evaluation;
pub mod class_render;
pub mod class_surface_view;
pub mod command;
pub mod crowd;
pub mod curves;
pub mod cv_panel;
pub mod data_panel;
pub mod data_side;
pub mod evaluation;
pub mod export;
pub mod format;
pub mod frame_stats;
pub mod importance_view;
pub mod insights_panel;
pub mod insights_state;
mod insights_views;
pub mod layout;
pub mod lessons;
mod logic;
pub mod model_panel;
pub mod network_links;
pub mod network_panel;
pub mod network_view;
pub mod palette;
pub mod path_prompt;
pub mod point_cloud;
pub mod preparer;
pub mod runs;
mod schedule_view;
pub mod settings;
pub mod shortcuts;
pub mod surface_render;
pub mod surface_view;
pub mod sweep_adopt;
pub mod sweep_panel;
pub mod tips;
pub mod training_bar;
pub mod training_link;
pub mod tree_panel;
pub mod view_cache;
pub mod weight_history;
mod weights_plot;

use std::path::PathBuf;

use eframe::egui;

pub use background::{IoDone, IoResult};
pub use command::{AppCommand, CommandQueue};
use data_side::DataSide;
use settings::{Settings, Source};
pub use training_link::RunView;
use training_link::TrainingLink;
use view_cache::ViewCache;

use crate::tune::device_choice::ChoiceStore;

const STORAGE_KEY: &str = "purchase-lab-settings";

/// The state of the window's secondary views: each is edited only by its
/// own panel (and by commands).
pub struct Windows {
    pub runs: runs::RunsState,
    pub sweep: sweep_panel::SweepState,
    pub what_if: model_panel::WhatIf,
    pub cv: cv_panel::CvState,
    pub insights: insights_state::InsightsState,
    /// The classroom lesson being shown, with its explanation in a banner.
    pub lesson: Option<lessons::Lesson>,
    /// The data panel's "type its path" field.
    pub path_field: String,
    /// A file action waiting for a typed path (no file-dialog service).
    pub path_prompt: Option<path_prompt::PathPrompt>,
}

/// What a panel gets for one frame: the plain settings it may edit, the
/// data side and the run to read, and the queue for anything it wants
/// done (applied after the frame is drawn).
pub struct PanelContext<'a> {
    pub settings: &'a mut Settings,
    pub data: &'a DataSide,
    pub run: &'a RunView,
    pub commands: &'a mut CommandQueue,
}

pub struct PurchaseLabApp {
    /// What the user chose (persisted between launches).
    settings: Settings,
    data: DataSide,
    training: TrainingLink,
    views: ViewCache,
    tasks: background::BackgroundTasks,
    windows: Windows,
    /// What the panels asked for this frame, applied after `ui`.
    commands: CommandQueue,
    /// What recent frames cost the UI thread.
    frame_stats: frame_stats::FrameStats,
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
    /// temporary one; `None` keeps it in memory), and `Auto`'s device
    /// measurements in the same folder ([`CACHE_FILE`](crate::tune::device_choice::CACHE_FILE);
    /// in memory with `None`). `file` is a CSV to open or a session file
    /// (`.json`).
    pub fn with_history(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        file: Option<PathBuf>,
        history_path: Option<PathBuf>,
    ) -> PurchaseLabApp {
        let device_choices = history_path
            .as_deref()
            .and_then(std::path::Path::parent)
            .map_or_else(ChoiceStore::in_memory, |dir| {
                ChoiceStore::at(dir.join(crate::tune::device_choice::CACHE_FILE))
            });
        Self::with_files(ctx, storage, file, history_path, device_choices)
    }

    /// [`with_history`](Self::with_history) with `Auto`'s device
    /// measurements remembered in `device_choices` wherever it keeps them
    /// (the window tests share one file, so each shape is timed once).
    pub fn with_files(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        file: Option<PathBuf>,
        history_path: Option<PathBuf>,
        device_choices: ChoiceStore,
    ) -> PurchaseLabApp {
        let mut settings: Settings = storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default();
        // Dark or light as the system says (egui's default; set here so a
        // restored egui memory or a test harness cannot pin one).
        ctx.options_mut(|o| o.theme_preference = egui::ThemePreference::System);
        if settings.presentation {
            ctx.set_zoom_factor(layout::PRESENTATION_ZOOM);
        }
        let mut data = DataSide::default();
        if let Some(file) = file {
            if crate::tune::session::Session::is_session_file(&file) {
                match crate::tune::session::Session::load(&file) {
                    Ok(session) => logic::apply_session(&mut settings, session),
                    Err(e) => data.data_error = Some(e.to_string()),
                }
            } else {
                settings.source = Source::File(file);
                settings.problem = None;
            }
        }
        let mut app = PurchaseLabApp {
            training: TrainingLink::spawn(ctx, &settings, device_choices.clone()),
            settings,
            data,
            views: ViewCache::default(),
            tasks: background::BackgroundTasks::default(),
            windows: Windows {
                runs: runs::RunsState::open(history_path),
                sweep: sweep_panel::SweepState::with_device_choices(device_choices),
                what_if: model_panel::WhatIf::default(),
                cv: cv_panel::CvState::default(),
                insights: insights_state::InsightsState::default(),
                lesson: None,
                path_field: String::new(),
                path_prompt: None,
            },
            commands: CommandQueue::default(),
            frame_stats: frame_stats::FrameStats::default(),
            report_frame_times: std::env::var("PURCHASE_LAB_FRAME_STATS").is_ok_and(|v| v == "1"),
            ctx: ctx.clone(),
        };
        app.data.load(app.settings.source.clone(), &app.ctx);
        app
    }

    /// Queues `command`; it is applied after the next frame is drawn, as a
    /// click on the matching control would be.
    pub fn push(&mut self, command: AppCommand) {
        self.commands.push(command);
    }

    /// What the user chose.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The table, its notes and the prepared matrices.
    pub fn data(&self) -> &DataSide {
        &self.data
    }

    /// What the training thread last reported.
    pub fn run(&self) -> &RunView {
        self.training.run()
    }

    /// Test metrics at the chosen threshold (classification only).
    pub fn metrics(&self) -> Option<&crate::model::metrics::ClassificationMetrics> {
        self.views.metrics.get()
    }

    /// The Runs and Sweep windows', the what-if form's and the lesson's state.
    pub fn windows(&self) -> &Windows {
        &self.windows
    }

    /// Where the exportable views were drawn last frame.
    pub fn view_rects(&self) -> &export::ViewRects {
        &self.views.rects
    }

    /// The network diagram's links as drawn last frame.
    pub fn diagram_links(&self) -> &[network_links::Link] {
        &self.views.links
    }

    /// What recent frames cost the UI thread.
    pub fn frame_stats(&self) -> &frame_stats::FrameStats {
        &self.frame_stats
    }
}

impl eframe::App for PurchaseLabApp {
    fn logic(&mut self, ctx: &egui::Context, frame: &mut eframe::Frame) {
        self.frame_stats.record(frame.info().cpu_usage);
        let epoch = self.training.run().history.last().map_or(0, |r| r.epoch);
        if self.report_frame_times {
            self.frame_stats.count_from_first_epoch(epoch);
        }
        if self.report_frame_times
            && self.frame_stats.frames().is_multiple_of(30)
            && let Some(line) = self.frame_stats.report()
        {
            eprintln!("UI thread per frame at epoch {epoch}, {line}");
        }
        self.handle_dropped_files(ctx);
        // Commands queued between frames (by a test) count as this frame's.
        self.run_commands();
        self.poll();
        self.sync_training();
        let repaint = self.ctx.clone();
        self.views.metrics.refresh(
            self.data.prepared(),
            self.training.run(),
            &self.settings,
            move || repaint.request_repaint(),
        );
        self.ask_what_if();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let PurchaseLabApp {
            settings,
            data,
            training,
            views,
            windows,
            commands,
            ..
        } = self;
        let mut cx = PanelContext {
            settings,
            data,
            run: training.run(),
            commands,
        };
        // The whole window, in points (smaller when zoomed).
        let window = ui.max_rect().size();
        egui::Panel::top("training_bar").show(ui, |ui| training_bar::show(ui, &mut cx, windows));
        egui::Panel::bottom("status_line")
            .resizable(false)
            .show(ui, |ui| training_bar::status_line(ui, &mut cx));
        let controls = egui::Panel::left("controls")
            .resizable(true)
            .default_size(310.0)
            // Bounded, so a long message wraps instead of widening the
            // panel over the surface's controls, and a share of the
            // window, so a zoomed window keeps room for the surface.
            .size_range(layout::side_panel(window.x, 180.0, 480.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    data_panel::show(ui, &mut cx, &mut windows.path_field);
                    ui.separator();
                    network_panel::show(ui, &mut cx);
                });
            });
        views.rects.controls = Some(controls.response.rect);
        let results = egui::Panel::right("results")
            .resizable(true)
            .default_size(340.0)
            // At least 270 points: the evaluation and what-if rows need
            // that much even wrapped, and a panel whose content is wider
            // than its range runs under the surface.
            .size_range(layout::side_panel(window.x, 270.0, 520.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let curves = ui.scope(|ui| curves::show(ui, &mut cx)).response.rect;
                    views.rects.curves = Some(curves);
                    ui.separator();
                    views.rects.roc_bounds = evaluation::show(ui, &mut cx, &views.metrics);
                    ui.separator();
                    model_panel::show(ui, &mut cx, &mut windows.what_if);
                });
            });
        views.rects.results = Some(results.response.rect);
        let centre = egui::CentralPanel::default().show(ui, |ui| {
            let centre = ui.available_height();
            let diagram = egui::Panel::bottom("network_diagram")
                .resizable(true)
                .default_size(network_view::HEIGHT)
                .size_range(layout::diagram(centre, 140.0, 520.0))
                .show(ui, |ui| network_view::show(ui, &cx, views));
            views.rects.diagram = Some(diagram.response.rect);
            let surface = ui
                .scope(|ui| surface_view::show(ui, &mut cx, views))
                .response
                .rect;
            views.rects.surface = Some(surface);
        });
        views.rects.centre = Some(centre.response.rect);
        if windows.runs.open || windows.sweep.open {
            runs::show_windows(&ctx, &mut cx, windows);
        }
        if windows.cv.open {
            cv_panel::show(&ctx, &mut cx, &mut windows.cv);
        }
        if windows.insights.open {
            insights_panel::show(&ctx, &mut cx, &mut windows.insights, &mut views.rects);
        }
        weights_plot::show(&ctx, cx.run);
        if let Some(command) = path_prompt::show(&ctx, &mut windows.path_prompt) {
            cx.commands.push(command);
        }
        self.frame_stats.end_update();
        self.run_commands();
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.settings);
    }

    fn on_exit(&mut self) {
        // The run in progress is history too; wait for the file to be written.
        self.record_run();
        self.windows.runs.flush();
        self.windows.runs.save(|| {});
        self.windows.runs.flush();
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
