//! The Cross-validation window: K stratified folds of the training and
//! validation rows, trained one after the other on a background thread with
//! the current network and settings; each fold's validation loss curve
//! overlaid, and every metric's mean and standard deviation over the
//! held-out folds. The test rows stay out of every fold.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use eframe::egui;
use egui_plot::{Legend, Line, Plot};

use super::PanelContext;
use super::background::Task;
use super::command::AppCommand;
use crate::data::prep::Recipe;
use crate::data::table::Table;
use crate::model::{BackendChoice, ModelSpec, TrainingUnit, select_device};
use crate::tune::cv::{CvReport, cross_validate};

/// Fewest and most folds the window offers.
const FOLDS: std::ops::RangeInclusive<usize> = 2..=10;

/// What the window shows and the cross-validation in flight.
pub struct CvState {
    pub open: bool,
    pub folds: usize,
    task: Option<Task<Result<CvReport, String>>>,
    /// `(fold, epoch)` reached by the running cross-validation.
    fold: Arc<AtomicUsize>,
    epoch: Arc<AtomicUsize>,
    cancel: Arc<AtomicBool>,
    /// What the folds' runs count in (epochs, rounds).
    unit: TrainingUnit,
    pub report: Option<CvReport>,
    pub error: Option<String>,
}

impl Default for CvState {
    fn default() -> Self {
        CvState {
            open: false,
            folds: 5,
            task: None,
            fold: Arc::default(),
            epoch: Arc::default(),
            cancel: Arc::default(),
            unit: TrainingUnit::Epoch,
            report: None,
            error: None,
        }
    }
}

impl CvState {
    pub fn running(&self) -> bool {
        self.task.is_some()
    }

    /// Starts cross-validating `model` on `table` with `recipe` (any run in
    /// flight is cancelled and joined first).
    pub fn start(
        &mut self,
        table: Arc<Table>,
        recipe: Recipe,
        model: ModelSpec,
        backend: BackendChoice,
        notify: impl Fn() + Send + Clone + 'static,
    ) {
        self.cancel();
        self.open = true;
        self.unit = model.unit();
        self.report = None;
        self.error = None;
        self.cancel = Arc::default();
        self.fold.store(0, Ordering::Relaxed);
        self.epoch.store(0, Ordering::Relaxed);
        let (cancel, fold, epoch, k) = (
            self.cancel.clone(),
            self.fold.clone(),
            self.epoch.clone(),
            self.folds,
        );
        let progress_notify = notify.clone();
        let task = Task::spawn("cross-validation", true, notify, move || {
            let device = select_device(backend).map_err(|e| e.to_string())?;
            let mut progress = |f: usize, e: usize| {
                fold.store(f, Ordering::Relaxed);
                epoch.store(e, Ordering::Relaxed);
                progress_notify();
            };
            cross_validate(
                &table,
                &recipe,
                k,
                &|_| model.clone(),
                &device,
                &cancel,
                &mut progress,
            )
            .map_err(|e| e.to_string())
        });
        match task {
            Ok(task) => self.task = Some(task),
            Err(e) => self.error = Some(e),
        }
    }

    /// Cancels the cross-validation in flight and waits for its thread.
    pub fn cancel(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.task = None;
    }

    /// Collects a finished cross-validation.
    pub fn poll(&mut self) {
        let Some(task) = &mut self.task else {
            return;
        };
        if let Some(result) = task.poll() {
            self.task = None;
            match result {
                Ok(report) => self.report = Some(report),
                Err(e) if self.cancel.load(Ordering::Relaxed) => drop(e),
                Err(e) => self.error = Some(e),
            }
        } else if task.is_lost() {
            self.task = None;
            self.error = Some("cross-validation stopped on an internal error".into());
        }
    }
}

/// The window, when open.
pub fn show(ctx: &egui::Context, cx: &mut PanelContext<'_>, state: &mut CvState) {
    let mut open = state.open;
    let screen = ctx.content_rect().size();
    egui::Window::new("Cross-validation")
        .open(&mut open)
        .default_width(460.0)
        .max_size(super::layout::window_size(screen, screen))
        .vscroll(true)
        .show(ctx, |ui| contents(ui, cx, state));
    state.open = open;
}

fn contents(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, state: &mut CvState) {
    ui.label("Trains the current model (network or boosted trees) once per fold of the training and validation rows and scores each on the fold it did not see. The test rows stay out.");
    ui.horizontal(|ui| {
        ui.add_enabled(
            !state.running(),
            egui::Slider::new(&mut state.folds, FOLDS).text("folds"),
        );
        if state.running() {
            if ui.button("Cancel").clicked() {
                cx.commands.push(AppCommand::CancelCrossValidation);
            }
            ui.spinner();
            ui.label(format!(
                "fold {} of {}, {} {}",
                state.fold.load(Ordering::Relaxed).max(1),
                state.folds,
                state.unit.name(),
                state.epoch.load(Ordering::Relaxed)
            ));
        } else if ui
            .add_enabled(
                cx.data.table().is_some(),
                egui::Button::new("Cross-validate"),
            )
            .clicked()
        {
            cx.commands.push(AppCommand::CrossValidate);
        }
    });
    if let Some(error) = &state.error {
        ui.colored_label(ui.visuals().error_fg_color, error.as_str());
    }
    let Some(report) = &state.report else {
        return;
    };
    egui::Grid::new("cv_metrics").striped(true).show(ui, |ui| {
        ui.strong("metric");
        ui.strong("mean");
        ui.strong("std");
        ui.strong("per fold");
        ui.end_row();
        for (name, m) in &report.summary.metrics {
            ui.label(*name);
            ui.monospace(format!("{:.4}", m.mean));
            ui.monospace(format!("{:.4}", m.std));
            let folds: Vec<String> = m
                .per_fold
                .iter()
                .map(|v| v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.3}")))
                .collect();
            ui.monospace(folds.join("  "));
            ui.end_row();
        }
    });
    Plot::new("cv_curves")
        .height(180.0)
        .legend(Legend::default())
        .x_axis_label(state.unit.name())
        .y_axis_label("validation loss")
        .allow_scroll(false)
        .show(ui, |plot| {
            for (i, fold) in report.folds.iter().enumerate() {
                let points: Vec<[f64; 2]> = fold
                    .history
                    .iter()
                    .map(|r| [r.epoch as f64, r.valid_loss])
                    .collect();
                plot.line(Line::new(format!("fold {}", i + 1), points).width(1.5));
            }
        });
}
