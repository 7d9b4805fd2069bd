//! Run history in the window: every training run is recorded when it
//! finishes or is replaced; a Runs window lists them (sortable by any
//! metric, settings that differ highlighted), overlays the selected runs'
//! curves, and restores, renames, pins, deletes and exports them. The
//! history is saved in the app's data directory on a background thread.

use std::collections::BTreeSet;
use std::path::PathBuf;

use eframe::egui::{self, Color32};
use egui_plot::{Legend, Line, Plot};

use super::PurchaseLabApp;
use super::background::{Dialog, Task};
use super::settings::ProblemChoice;
use crate::model::run::EpochReport;
use crate::tune::history::{History, RunRecord, RunSetup, differing_settings};
use crate::tune::{Metric, Setting};

/// Colours for overlaid runs, distinct on dark and light backgrounds.
const PALETTE: [Color32; 8] = [
    Color32::from_rgb(245, 147, 34),
    Color32::from_rgb(8, 119, 189),
    Color32::from_rgb(60, 170, 90),
    Color32::from_rgb(200, 70, 160),
    Color32::from_rgb(150, 110, 220),
    Color32::from_rgb(210, 60, 60),
    Color32::from_rgb(30, 180, 190),
    Color32::from_rgb(160, 140, 60),
];

/// Metrics offered as table columns, by task.
const CLASSIFICATION_COLUMNS: [Metric; 5] = [
    Metric::Auc,
    Metric::Accuracy,
    Metric::F1,
    Metric::ValidLoss,
    Metric::WallSeconds,
];
const REGRESSION_COLUMNS: [Metric; 5] = [
    Metric::Rmse,
    Metric::Mae,
    Metric::R2,
    Metric::ValidLoss,
    Metric::WallSeconds,
];

pub struct RunsState {
    pub history: History,
    /// Where the history lives; `None` keeps it in memory only.
    pub path: Option<PathBuf>,
    /// A problem reading or writing the history file, shown in the window.
    pub notice: Option<String>,
    pub open: bool,
    /// Runs whose curves are overlaid.
    pub selected: BTreeSet<u64>,
    /// The column the table is sorted by; `None`: the order runs were
    /// created in.
    pub sort_metric: Option<Metric>,
    pub descending: bool,
    renaming: Option<(u64, String)>,
    saver: Option<Task<Result<(), String>>>,
    /// The history changed while a save was running: save again after it.
    dirty: bool,
    /// The run being trained now: what it was set up with, and the history
    /// id it was recorded under (to update it when training continues).
    pub current: Option<CurrentRun>,
}

#[derive(Debug, Clone)]
pub struct CurrentRun {
    pub setup: RunSetup,
    pub recorded_as: Option<u64>,
    pub recorded_epochs: usize,
}

impl RunsState {
    /// The history at `path` (or an empty one kept in memory).
    pub fn open(path: Option<PathBuf>) -> RunsState {
        let (history, notice) = match path.as_deref().map(History::load) {
            None => (History::default(), None),
            Some(Ok(loaded)) => (loaded.history, loaded.notice),
            // The file could not even be set aside: keep it untouched and
            // do not save over it this session.
            Some(Err(e)) => (History::default(), Some(e.to_string())),
        };
        let keep_path = notice.is_none() || !history.records.is_empty() || path.is_some();
        RunsState {
            history,
            path: if keep_path { path } else { None },
            notice,
            open: false,
            selected: BTreeSet::new(),
            sort_metric: None,
            descending: true,
            renaming: None,
            saver: None,
            dirty: false,
            current: None,
        }
    }

    /// Saves the history in the background (one save at a time).
    pub fn save(&mut self, notify: impl Fn() + Send + 'static) {
        let Some(path) = self.path.clone() else {
            return;
        };
        if self.saver.is_some() {
            self.dirty = true;
            return;
        }
        let history = self.history.clone();
        match Task::spawn("purchase-lab-history", true, notify, move || {
            history.save(&path).map_err(|e| e.to_string())
        }) {
            Ok(task) => self.saver = Some(task),
            Err(e) => self.notice = Some(e),
        }
    }

    /// Collects a finished save; returns whether another is due.
    pub fn poll(&mut self) -> bool {
        if let Some(task) = &mut self.saver
            && let Some(result) = task.poll()
        {
            self.saver = None;
            if let Err(e) = result {
                self.notice = Some(format!("the run history was not saved: {e}"));
            }
            return std::mem::take(&mut self.dirty);
        }
        false
    }

    /// Waits for a save in flight (the app is closing).
    pub fn flush(&mut self) {
        self.saver.take();
    }
}

impl PurchaseLabApp {
    /// Records the current run's curves in the history (replacing its
    /// earlier record if training continued); nothing for an empty run.
    pub fn record_run(&mut self) {
        let Some(current) = &mut self.runs.current else {
            return;
        };
        let epochs = self.run.history.last().map_or(0, |r| r.epoch);
        if epochs == 0 || epochs == current.recorded_epochs {
            return;
        }
        let wall: f64 = self.run.history.iter().map(|r| r.seconds).sum();
        let mut record = RunRecord::from_history(
            current.setup.clone(),
            self.run.device.clone(),
            wall,
            self.run.history.clone(),
        );
        if let Some(old) = current
            .recorded_as
            .and_then(|id| self.runs.history.remove(id))
        {
            record.name = old.name;
            record.pinned = old.pinned;
        }
        let was_selected = current
            .recorded_as
            .is_some_and(|id| self.runs.selected.remove(&id));
        let id = self.runs.history.add(record);
        if was_selected {
            self.runs.selected.insert(id);
        }
        current.recorded_as = Some(id);
        current.recorded_epochs = epochs;
        let repaint = self.ctx.clone();
        self.runs.save(move || repaint.request_repaint());
    }

    /// Puts a run's data source, recipe, network and training settings back
    /// into the controls (the data is reloaded when it differs).
    pub fn restore_run(&mut self, id: u64) {
        let Some(record) = self.runs.history.get(id).cloned() else {
            return;
        };
        let setup = &record.setup;
        self.settings.spec = setup.spec.clone();
        self.settings.train = setup.train.clone();
        self.settings.until_paused = setup.epochs.is_none();
        if let Some(n) = setup.epochs {
            self.settings.train.epochs = n;
        }
        self.settings.problem = Some(ProblemChoice::from_recipe(&setup.recipe));
        if setup.source != self.settings.source {
            self.load(setup.source.clone());
        }
        self.run.notice = Some(format!("restored the settings of `{}`", record.name));
    }
}

fn headline_columns(records: &[&RunRecord]) -> [Metric; 5] {
    let regression = records.iter().any(|r| {
        matches!(
            r.setup.recipe.problem,
            crate::data::prep::Problem::Regression
        )
    });
    if regression {
        REGRESSION_COLUMNS
    } else {
        CLASSIFICATION_COLUMNS
    }
}

fn metric_text(record: &RunRecord, metric: Metric) -> String {
    match metric.value(record) {
        Some(v) if metric == Metric::WallSeconds => format!("{v:.1} s"),
        Some(v) => format!("{v:.3}"),
        None => "-".to_owned(),
    }
}

/// The runs in the table's order.
fn ordered(state: &RunsState) -> Vec<&RunRecord> {
    match state.sort_metric {
        None => {
            let mut runs: Vec<&RunRecord> = state.history.records.iter().collect();
            if state.descending {
                runs.reverse();
            }
            runs
        }
        Some(metric) => state.history.sorted_by(metric, state.descending),
    }
}

pub fn show_window(app: &mut PurchaseLabApp, ctx: &egui::Context) {
    let mut open = app.runs.open;
    egui::Window::new("Runs")
        .open(&mut open)
        .default_size([900.0, 560.0])
        .vscroll(true)
        .show(ctx, |ui| {
            show(app, ui);
        });
    app.runs.open = open;
    let mut open = app.sweep.open;
    egui::Window::new("Sweep")
        .open(&mut open)
        .default_size([620.0, 520.0])
        .default_pos([640.0, 140.0])
        .vscroll(true)
        .show(ctx, |ui| super::sweep_panel::show(app, ui));
    app.sweep.open = open;
}

fn show(app: &mut PurchaseLabApp, ui: &mut egui::Ui) {
    if let Some(notice) = app.runs.notice.clone() {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(ui.visuals().warn_fg_color, notice);
            if ui.small_button("dismiss").clicked() {
                app.runs.notice = None;
            }
        });
    }
    let n = app.runs.history.records.len();
    ui.horizontal(|ui| {
        ui.strong(format!("{n} recorded runs"));
        ui.weak("tick runs to overlay their curves; click a column to sort");
        if ui
            .add_enabled(n > 0, egui::Button::new("Export table CSV…"))
            .on_hover_text("Save every run's settings and final metrics as one CSV row each")
            .clicked()
        {
            app.open_dialog(Dialog::SaveRunsCsv);
        }
    });
    if n == 0 {
        ui.weak("Each training run is recorded here when it finishes or is replaced.");
        return;
    }

    let rows: Vec<RunRecord> = ordered(&app.runs).into_iter().cloned().collect();
    let refs: Vec<&RunRecord> = rows.iter().collect();
    let differing = differing_settings(&refs);
    let metrics = headline_columns(&refs);
    // Settings worth a column: those that differ between runs, plus the
    // learning rate and layers that people compare most.
    let mut setting_columns: Vec<Setting> = vec![Setting::Hidden, Setting::LearningRate];
    for &setting in &differing {
        if !setting_columns.contains(&setting) && setting != Setting::Fingerprint {
            setting_columns.push(setting);
        }
    }
    setting_columns.truncate(8);

    let mut action: Option<(Action, u64)> = None;
    egui::ScrollArea::horizontal()
        .id_salt("runs_table")
        .show(ui, |ui| {
            egui::Grid::new("runs_grid")
                .striped(true)
                .min_col_width(20.0)
                .show(ui, |ui| {
                    ui.label("");
                    ui.label("");
                    sort_header(ui, &mut app.runs, "run", None);
                    for m in metrics {
                        sort_header(ui, &mut app.runs, m.name(), Some(m));
                    }
                    for s in &setting_columns {
                        let text = egui::RichText::new(s.name());
                        if differing.contains(s) {
                            ui.label(text.strong())
                                .on_hover_text("differs between runs");
                        } else {
                            ui.weak(s.name());
                        }
                    }
                    ui.label("");
                    ui.end_row();

                    for (i, record) in rows.iter().enumerate() {
                        let id = record.id;
                        let mut selected = app.runs.selected.contains(&id);
                        if ui
                            .checkbox(&mut selected, "")
                            .on_hover_text("Overlay this run's curves below")
                            .changed()
                        {
                            action = Some((Action::Select(selected), id));
                        }
                        let pin = if record.pinned { "pinned" } else { "pin" };
                        if ui
                            .selectable_label(record.pinned, pin)
                            .on_hover_text("Pinned runs are kept when the history is full")
                            .clicked()
                        {
                            action = Some((Action::Pin(!record.pinned), id));
                        }
                        name_cell(ui, &mut app.runs, record, &mut action, i);
                        for m in metrics {
                            ui.monospace(metric_text(record, m));
                        }
                        for s in &setting_columns {
                            let value = s.value(record);
                            if differing.contains(s) {
                                ui.label(egui::RichText::new(value).color(PALETTE[0]));
                            } else {
                                ui.weak(value);
                            }
                        }
                        ui.horizontal(|ui| {
                            if ui
                                .small_button("Restore")
                                .on_hover_text("Put this run's data, network and training settings back into the controls")
                                .clicked()
                            {
                                action = Some((Action::Restore, id));
                            }
                            if ui
                                .small_button("Epochs CSV…")
                                .on_hover_text("Save this run's per-epoch losses and metrics as CSV")
                                .clicked()
                            {
                                action = Some((Action::ExportHistory, id));
                            }
                            if ui
                                .small_button("Delete")
                                .on_hover_text("Remove this run from the history")
                                .clicked()
                            {
                                action = Some((Action::Delete, id));
                            }
                        });
                        ui.end_row();
                    }
                });
        });
    if let Some((action, id)) = action {
        apply_action(app, action, id);
    }
    overlay(app, ui);
}

#[derive(Debug, Clone)]
enum Action {
    Select(bool),
    Pin(bool),
    Rename(String),
    Restore,
    ExportHistory,
    Delete,
}

fn apply_action(app: &mut PurchaseLabApp, action: Action, id: u64) {
    let mut changed = true;
    match action {
        Action::Select(on) => {
            changed = false;
            if on {
                app.runs.selected.insert(id);
            } else {
                app.runs.selected.remove(&id);
            }
        }
        Action::Pin(on) => {
            app.runs.history.set_pinned(id, on);
        }
        Action::Rename(name) => {
            app.runs.history.rename(id, name.trim());
        }
        Action::Restore => {
            changed = false;
            app.restore_run(id);
        }
        Action::ExportHistory => {
            changed = false;
            app.open_dialog(Dialog::SaveHistoryCsv(id));
        }
        Action::Delete => {
            app.runs.history.remove(id);
            app.runs.selected.remove(&id);
            if let Some(current) = &mut app.runs.current
                && current.recorded_as == Some(id)
            {
                current.recorded_as = None;
            }
        }
    }
    if changed {
        let repaint = app.ctx.clone();
        app.runs.save(move || repaint.request_repaint());
    }
}

/// A column header that sorts by `metric` (`None`: creation order).
fn sort_header(ui: &mut egui::Ui, state: &mut RunsState, label: &str, metric: Option<Metric>) {
    let active = state.sort_metric == metric;
    let arrow = match (active, state.descending) {
        (false, _) => "",
        (true, true) => " v",
        (true, false) => " ^",
    };
    if ui
        .selectable_label(active, format!("{label}{arrow}"))
        .on_hover_text(format!("Sort by {label}"))
        .clicked()
    {
        if active {
            state.descending = !state.descending;
        } else {
            state.sort_metric = metric;
            state.descending = metric.is_none_or(Metric::higher_is_better);
        }
    }
}

fn name_cell(
    ui: &mut egui::Ui,
    state: &mut RunsState,
    record: &RunRecord,
    action: &mut Option<(Action, u64)>,
    row: usize,
) {
    match &mut state.renaming {
        Some((id, text)) if *id == record.id => {
            let response = ui.add(
                egui::TextEdit::singleline(text)
                    .desired_width(120.0)
                    .id_salt(("rename", row)),
            );
            if response.lost_focus() {
                *action = Some((Action::Rename(text.clone()), record.id));
                state.renaming = None;
            } else {
                response.request_focus();
            }
        }
        _ => {
            let label = ui
                .add(egui::Label::new(record.name.as_str()).sense(egui::Sense::click()))
                .on_hover_text(format!(
                    "{}\ndouble-click to rename",
                    record.setup.source.label()
                ));
            if label.double_clicked() {
                state.renaming = Some((record.id, record.name.clone()));
            }
        }
    }
}

/// Validation loss and the headline metric of the selected runs, one line
/// per run, in one plot each.
fn overlay(app: &mut PurchaseLabApp, ui: &mut egui::Ui) {
    let selected: Vec<&RunRecord> = app
        .runs
        .history
        .records
        .iter()
        .filter(|r| app.runs.selected.contains(&r.id))
        .collect();
    if selected.is_empty() {
        return;
    }
    let series =
        |f: &dyn Fn(&EpochReport) -> Option<f64>| -> Vec<(String, Color32, Vec<[f64; 2]>)> {
            selected
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let points = r
                        .history
                        .iter()
                        .filter_map(|e| f(e).map(|v| [e.epoch as f64, v]))
                        .collect();
                    (r.name.clone(), PALETTE[i % PALETTE.len()], points)
                })
                .collect()
        };
    let losses = series(&|e| Some(e.valid_loss));
    let (metric_name, _) = selected[0]
        .history
        .first()
        .map_or(("accuracy", 0.0), |e| e.metrics.headline());
    let quality = series(&|e| Some(e.metrics.headline().1));
    ui.horizontal(|ui| {
        let width = (ui.available_width() / 2.0 - 8.0).max(200.0);
        for (title, id, lines) in [
            ("validation loss", "overlay_loss", losses),
            (metric_name, "overlay_metric", quality),
        ] {
            ui.vertical(|ui| {
                ui.strong(title);
                Plot::new(id)
                    .width(width)
                    .height(200.0)
                    .legend(Legend::default())
                    .x_axis_label("epoch")
                    .allow_scroll(false)
                    .show(ui, |plot| {
                        for (name, colour, points) in lines {
                            plot.line(Line::new(name, points).color(colour).width(2.0));
                        }
                    });
            });
        }
    });
}

impl ProblemChoice {
    /// The data panel's choices that produce `recipe`.
    pub fn from_recipe(recipe: &crate::data::prep::Recipe) -> ProblemChoice {
        let (regression, positive) = match &recipe.problem {
            crate::data::prep::Problem::Regression => (true, String::new()),
            crate::data::prep::Problem::Classification { positive } => (false, positive.clone()),
        };
        ProblemChoice {
            target: recipe.target.clone(),
            regression,
            positive,
            features: recipe.features.clone(),
            impute: recipe.impute,
            scale: recipe.scale,
            test_fraction: recipe.test_fraction,
            split_seed: recipe.seed,
            merge_label_variants: recipe.merge_label_variants,
            drop_duplicates: recipe.drop_duplicates,
            non_negative_target: recipe.non_negative_target,
        }
    }
}
