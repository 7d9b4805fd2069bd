//! Run history in the window: every training run is recorded when it
//! finishes or is replaced; a Runs window lists them (sortable by any
//! metric, settings that differ highlighted), overlays the selected runs'
//! curves, and restores, renames, pins, deletes and exports them. The
//! history is saved in the app's data directory on a background thread.

use std::collections::BTreeSet;
use std::path::PathBuf;

use eframe::egui::{self, Color32};
use egui_plot::{Legend, Line, Plot};

use super::background::{Dialog, Task};
use super::palette::RUNS as PALETTE;
use super::training_link::RunView;
use super::{AppCommand, PanelContext, Windows};
use crate::model::run::EpochReport;
use crate::tune::history::{History, RunRecord, RunSetup, differing_settings};
use crate::tune::{Metric, Setting};

/// Metrics offered as table columns, by task; a table holding both kinds
/// of run shows both sets, each run filling its own task's.
const CLASSIFICATION_COLUMNS: [Metric; 3] = [Metric::Auc, Metric::Accuracy, Metric::F1];
const REGRESSION_COLUMNS: [Metric; 3] = [Metric::Rmse, Metric::Mae, Metric::R2];
/// Shown for every run, whatever its task.
const COMMON_COLUMNS: [Metric; 2] = [Metric::ValidLoss, Metric::WallSeconds];

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

impl RunsState {
    /// Records the current run's curves in the history (replacing its
    /// earlier record if training continued); nothing for an empty run.
    /// Returns whether the history changed (and is due to be saved).
    pub fn record(&mut self, run: &RunView) -> bool {
        let Some(current) = &mut self.current else {
            return false;
        };
        let epochs = run.epoch();
        if epochs == 0 || epochs == current.recorded_epochs {
            return false;
        }
        let wall: f64 = run.history.iter().map(|r| r.seconds).sum();
        let mut record = RunRecord::from_history(
            current.setup.clone(),
            run.device.clone(),
            wall,
            run.history.clone(),
            run.outcome.as_deref(),
        );
        if let Some(old) = current.recorded_as.and_then(|id| self.history.remove(id)) {
            record.name = old.name;
            record.pinned = old.pinned;
        }
        let was_selected = current
            .recorded_as
            .is_some_and(|id| self.selected.remove(&id));
        let id = self.history.add(record);
        if was_selected {
            self.selected.insert(id);
        }
        current.recorded_as = Some(id);
        current.recorded_epochs = epochs;
        true
    }

    /// Applies a change to one run; returns whether the history changed
    /// (and is due to be saved). Restoring and exporting are the app's.
    pub fn apply(&mut self, id: u64, action: RunAction) -> bool {
        match action {
            RunAction::Select(on) => {
                if on {
                    self.selected.insert(id);
                } else {
                    self.selected.remove(&id);
                }
                false
            }
            RunAction::Pin(on) => {
                self.history.set_pinned(id, on);
                true
            }
            RunAction::Rename(name) => {
                self.history.rename(id, name.trim());
                true
            }
            RunAction::Restore | RunAction::ExportHistory => false,
            RunAction::Delete => {
                self.history.remove(id);
                self.selected.remove(&id);
                if let Some(current) = &mut self.current
                    && current.recorded_as == Some(id)
                {
                    current.recorded_as = None;
                }
                true
            }
        }
    }
}

/// The metric columns for `records`: each task's own metrics for the tasks
/// present, then the ones every run has.
fn headline_columns(records: &[&RunRecord]) -> Vec<Metric> {
    let is_regression = |r: &&RunRecord| {
        matches!(
            r.setup.recipe.problem,
            crate::data::prep::Problem::Regression
        )
    };
    let mut columns = Vec::new();
    if records.iter().any(|r| !is_regression(r)) {
        columns.extend(CLASSIFICATION_COLUMNS);
    }
    if records.iter().any(is_regression) {
        columns.extend(REGRESSION_COLUMNS);
    }
    columns.extend(COMMON_COLUMNS);
    columns
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

/// The Runs and Sweep windows, when open.
pub fn show_windows(ctx: &egui::Context, cx: &mut PanelContext<'_>, windows: &mut Windows) {
    let mut open = windows.runs.open;
    let screen = ctx.content_rect().size();
    let fit = |want: [f32; 2]| super::layout::window_size(screen, want.into());
    egui::Window::new("Runs")
        .open(&mut open)
        .default_size(fit([900.0, 560.0]))
        .max_size(fit(screen.into()))
        .vscroll(true)
        .show(ctx, |ui| {
            show(ui, cx, &mut windows.runs);
        });
    windows.runs.open = open;
    let mut open = windows.sweep.open;
    egui::Window::new("Sweep")
        .open(&mut open)
        .default_size(fit([620.0, 520.0]))
        .max_size(fit(screen.into()))
        .default_pos([640.0, 140.0])
        .vscroll(true)
        .show(ctx, |ui| {
            super::sweep_panel::show(ui, cx, &mut windows.sweep)
        });
    windows.sweep.open = open;
}

fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, runs: &mut RunsState) {
    notice_banner(ui, cx, runs);
    let n = runs.history.records.len();
    title_bar(ui, cx, n);
    if n == 0 {
        ui.weak("Each training run is recorded here when it finishes or is replaced.");
        return;
    }

    let rows: Vec<RunRecord> = ordered(runs).into_iter().cloned().collect();
    let refs: Vec<&RunRecord> = rows.iter().collect();
    let differing = differing_settings(&refs);
    let metrics = headline_columns(&refs);
    let setting_columns = setting_columns(&differing);

    let mut action: Option<(RunAction, u64)> = None;
    egui::ScrollArea::horizontal()
        .id_salt("runs_table")
        .show(ui, |ui| {
            egui::Grid::new("runs_grid")
                .striped(true)
                .min_col_width(20.0)
                .show(ui, |ui| {
                    column_headers(ui, runs, &metrics, &setting_columns, &differing);

                    for (i, record) in rows.iter().enumerate() {
                        let id = record.id;
                        let mut selected = runs.selected.contains(&id);
                        if ui
                            .checkbox(&mut selected, "")
                            .on_hover_text("Overlay this run's curves below")
                            .changed()
                        {
                            action = Some((RunAction::Select(selected), id));
                        }
                        let pin = if record.pinned { "pinned" } else { "pin" };
                        if ui
                            .selectable_label(record.pinned, pin)
                            .on_hover_text("Pinned runs are kept when the history is full")
                            .clicked()
                        {
                            action = Some((RunAction::Pin(!record.pinned), id));
                        }
                        name_cell(ui, runs, record, &mut action, i);
                        for &m in &metrics {
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
                        row_buttons(ui, id, &mut action);
                        ui.end_row();
                    }
                });
        });
    if let Some((action, id)) = action {
        cx.commands.push(AppCommand::Run { id, action });
    }
    overlay(runs, ui);
}

/// The runs' notice (a history that could not be loaded or saved), with
/// "dismiss".
fn notice_banner(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, runs: &RunsState) {
    if let Some(notice) = runs.notice.clone() {
        ui.horizontal_wrapped(|ui| {
            ui.colored_label(ui.visuals().warn_fg_color, notice);
            if ui.small_button("dismiss").clicked() {
                cx.commands.push(AppCommand::DismissRunsNotice);
            }
        });
    }
}

/// How many runs there are, how to use the table, and Export table CSV….
fn title_bar(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, n: usize) {
    ui.horizontal(|ui| {
        ui.strong(format!("{n} recorded runs"));
        ui.weak("tick runs to overlay their curves; click a column to sort");
        if ui
            .add_enabled(n > 0, egui::Button::new("Export table CSV…"))
            .on_hover_text("Save every run's settings and final metrics as one CSV row each")
            .clicked()
        {
            cx.commands
                .push(AppCommand::OpenDialog(Dialog::SaveRunsCsv));
        }
    });
}

/// Settings worth a column: those that differ between runs, plus the
/// learning rate and layers that people compare most; beside tree runs,
/// the family, the trees' depth and the rounds (epochs) first, so a
/// network and a tree run read side by side.
fn setting_columns(differing: &BTreeSet<Setting>) -> Vec<Setting> {
    let mut setting_columns: Vec<Setting> = if differing.contains(&Setting::Model) {
        vec![
            Setting::Model,
            Setting::Hidden,
            Setting::MaxDepth,
            Setting::LearningRate,
            Setting::Epochs,
        ]
    } else {
        vec![Setting::Hidden, Setting::LearningRate]
    };
    for &setting in differing {
        if !setting_columns.contains(&setting) && setting != Setting::Fingerprint {
            setting_columns.push(setting);
        }
    }
    setting_columns.truncate(8);
    setting_columns
}

/// The table's header row: sortable run and metric columns, then the
/// setting columns (bold where they differ between runs).
fn column_headers(
    ui: &mut egui::Ui,
    runs: &mut RunsState,
    metrics: &[Metric],
    setting_columns: &[Setting],
    differing: &BTreeSet<Setting>,
) {
    ui.label("");
    ui.label("");
    sort_header(ui, runs, "run", None);
    for &m in metrics {
        sort_header(ui, runs, m.name(), Some(m));
    }
    for s in setting_columns {
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
}

/// Restore, Epochs CSV… and Delete for the run `id`.
fn row_buttons(ui: &mut egui::Ui, id: u64, action: &mut Option<(RunAction, u64)>) {
    ui.horizontal(|ui| {
        if ui
            .small_button("Restore")
            .on_hover_text(
                "Put this run's data, network and training settings back into the controls",
            )
            .clicked()
        {
            *action = Some((RunAction::Restore, id));
        }
        if ui
            .small_button("Epochs CSV…")
            .on_hover_text("Save this run's per-epoch losses and metrics as CSV")
            .clicked()
        {
            *action = Some((RunAction::ExportHistory, id));
        }
        if ui
            .small_button("Delete")
            .on_hover_text("Remove this run from the history")
            .clicked()
        {
            *action = Some((RunAction::Delete, id));
        }
    });
}

/// Something done to one recorded run in the Runs window.
#[derive(Debug, Clone, PartialEq)]
pub enum RunAction {
    /// Tick or untick it to overlay its curves.
    Select(bool),
    Pin(bool),
    Rename(String),
    /// Put its settings back into the controls.
    Restore,
    /// Save its epochs as CSV (asks for a file first).
    ExportHistory,
    Delete,
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
    action: &mut Option<(RunAction, u64)>,
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
                *action = Some((RunAction::Rename(text.clone()), record.id));
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
fn overlay(runs: &RunsState, ui: &mut egui::Ui) {
    let selected: Vec<&RunRecord> = runs
        .history
        .records
        .iter()
        .filter(|r| runs.selected.contains(&r.id))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_and_tree_runs_show_family_depth_and_layers_side_by_side() {
        let mixed: BTreeSet<Setting> = [Setting::Model, Setting::Hidden, Setting::MaxDepth]
            .into_iter()
            .chain(Setting::ALL.into_iter().skip(11))
            .collect();
        let columns = setting_columns(&mixed);
        assert_eq!(
            &columns[..3],
            [Setting::Model, Setting::Hidden, Setting::MaxDepth]
        );
        assert_eq!(columns.len(), 8);
        let networks = setting_columns(&BTreeSet::from([Setting::Dropout]));
        assert_eq!(
            networks,
            [Setting::Hidden, Setting::LearningRate, Setting::Dropout]
        );
    }
}
