//! Sweeps in the window: a grid of learning rates, widths, depths, batch
//! sizes and dropouts trained one after another on the sweep thread, with a
//! progress bar and Cancel; each run lands in the history as it finishes.
//! Results show as a ranked table and, when two settings vary, a heatmap;
//! "Apply best" puts the winner's settings into the controls.

use std::sync::Arc;

use eframe::egui::{self, Color32};

use super::palette;
use super::settings::Settings;
use super::{AppCommand, PanelContext};
use crate::data::prep::Prepared;
use crate::tune::Metric;
use crate::tune::device_choice::ChoiceStore;
use crate::tune::history::RunRecord;
use crate::tune::sweep::{
    SweepEvent, SweepGrid, SweepHandle, SweepJob, SweepOutcome, heatmap, rank,
};

pub struct SweepState {
    /// The Sweep window is shown.
    pub open: bool,
    pub learning_rates: String,
    /// Explicit layouts, e.g. `0; 16; 64, 32` (instead of widths × depths).
    pub layouts: String,
    pub widths: String,
    pub depths: String,
    pub batch_sizes: String,
    pub dropouts: String,
    pub epochs: usize,
    pub early_stopping: bool,
    pub metric: Metric,
    pub handle: Option<SweepHandle>,
    pub progress: Option<SweepProgress>,
    pub outcomes: Vec<SweepOutcome>,
    pub error: Option<String>,
    pub finished: Option<bool>,
    /// When the sweep in progress started (for the time left).
    started: Option<std::time::Instant>,
    /// The best run's trained network on its way into the window.
    pub adoption: super::sweep_adopt::Adoption,
    /// Where `Auto`'s device measurement is remembered: the app's store,
    /// shared with the training thread.
    pub device_choices: ChoiceStore,
}

/// How far a sweep has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepProgress {
    /// Runs done.
    pub done: usize,
    /// Runs in all.
    pub total: usize,
    /// Epoch of the current run, and its epoch target.
    pub epoch: usize,
    pub epochs: usize,
}

impl Default for SweepState {
    fn default() -> Self {
        SweepState {
            open: false,
            learning_rates: "0.001, 0.01, 0.1".to_owned(),
            layouts: String::new(),
            widths: "8, 32, 64".to_owned(),
            depths: String::new(),
            batch_sizes: String::new(),
            dropouts: String::new(),
            epochs: 50,
            early_stopping: true,
            metric: Metric::ValidLoss,
            handle: None,
            progress: None,
            outcomes: Vec::new(),
            error: None,
            finished: None,
            started: None,
            adoption: Default::default(),
            device_choices: ChoiceStore::in_memory(),
        }
    }
}

/// Hidden-layer layouts separated by `;`, neurons within one by `,` or `-`
/// (as in the CLI's `--hidden '16;64;64,32'`); `0` or `none` is a network
/// without hidden layers (logistic or linear regression).
pub fn parse_layouts(text: &str) -> Result<Vec<Vec<usize>>, String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|layout| {
            if layout == "0" || layout.eq_ignore_ascii_case("none") {
                return Ok(Vec::new());
            }
            layout
                .split([',', '-', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|n| match n.parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!(
                        "layouts: `{n}` in `{layout}` is not a number of neurons \
                         (write layouts like 16; 64, 32)"
                    )),
                })
                .collect()
        })
        .collect()
}

/// A comma-separated list of numbers; `what` names the field in errors.
pub fn parse_list<T: std::str::FromStr>(text: &str, what: &str) -> Result<Vec<T>, String> {
    text.split([',', ';', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<T>()
                .map_err(|_| format!("{what}: `{s}` is not a number"))
        })
        .collect()
}

impl SweepState {
    /// The form's defaults, with `Auto`'s device measurement remembered in
    /// `device_choices` (the app's store).
    pub fn with_device_choices(device_choices: ChoiceStore) -> SweepState {
        SweepState {
            device_choices,
            ..SweepState::default()
        }
    }

    pub fn grid(&self) -> Result<SweepGrid, String> {
        Ok(SweepGrid {
            learning_rates: parse_list(&self.learning_rates, "learning rates")?,
            hidden: parse_layouts(&self.layouts)?,
            widths: parse_list(&self.widths, "widths")?,
            depths: parse_list(&self.depths, "depths")?,
            batch_sizes: parse_list(&self.batch_sizes, "batch sizes")?,
            dropouts: parse_list(&self.dropouts, "dropouts")?,
            // The window sweeps the network; trees sweep from the CLI.
            ..SweepGrid::default()
        })
    }

    pub fn running(&self) -> bool {
        self.handle.is_some()
    }
}

impl SweepState {
    /// Starts a sweep over the form's grid on `prepared` with the current
    /// settings as its base; a problem is shown in the form.
    pub fn start(
        &mut self,
        prepared: Option<Arc<Prepared>>,
        settings: &Settings,
        fingerprint: String,
        notify: impl Fn() + Send + 'static,
    ) {
        self.error = None;
        self.finished = None;
        let Some(prepared) = prepared else {
            self.error = Some("load data and choose a target first".to_owned());
            return;
        };
        let Some(problem) = settings.problem.clone() else {
            self.error = Some("choose a target first".to_owned());
            return;
        };
        let grid = match self.grid() {
            Ok(g) => g,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let base_train = crate::model::TrainSettings {
            epochs: self.epochs,
            ..settings.train.clone()
        };
        let points = match grid.expand(&settings.spec, &base_train) {
            Ok(p) => p,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        self.adoption
            .sweep_started(fingerprint.clone(), problem.recipe());
        let mut job = SweepJob::new(
            prepared,
            settings.source.clone(),
            problem.recipe(),
            fingerprint,
            points,
            settings.backend,
        );
        if !self.early_stopping {
            job.patience = None;
        }
        job.device_choices = self.device_choices.clone();
        match SweepHandle::spawn(job, notify) {
            Ok(handle) => {
                self.progress = Some(SweepProgress {
                    done: 0,
                    total: handle.total(),
                    epoch: 0,
                    epochs: self.epochs,
                });
                self.outcomes.clear();
                self.started = Some(std::time::Instant::now());
                self.handle = Some(handle);
            }
            Err(e) => self.error = Some(format!("cannot start the sweep thread: {e}")),
        }
    }

    pub fn cancel(&self) {
        if let Some(h) = &self.handle {
            h.cancel();
        }
    }

    /// Sweep events: progress, finished runs, the end. Returns the runs
    /// that finished, for the history.
    pub fn poll(&mut self) -> Vec<RunRecord> {
        let mut events = Vec::new();
        if let Some(handle) = &self.handle {
            while events.len() < 100 {
                match handle.try_recv() {
                    Some(e) => events.push(e),
                    None => break,
                }
            }
        }
        let mut finished = Vec::new();
        for event in events {
            match event {
                SweepEvent::Started { .. } => {}
                SweepEvent::Progress {
                    done,
                    total,
                    current_epoch,
                    epochs,
                } => {
                    self.progress = Some(SweepProgress {
                        done,
                        total,
                        epoch: current_epoch,
                        epochs,
                    });
                }
                SweepEvent::RunDone(outcome) => {
                    if let Some(record) = outcome.record() {
                        let mut record = record.clone();
                        record.name = format!("sweep: {}", outcome.point.label());
                        finished.push(record);
                    }
                    self.outcomes.push(*outcome);
                }
                SweepEvent::Finished { cancelled } => {
                    self.finished = Some(cancelled);
                    self.handle = None;
                }
                SweepEvent::Failed(e) => {
                    self.error = Some(e);
                    self.handle = None;
                }
            }
        }
        finished
    }
}

/// What the window says while boosted trees are chosen: its sweeps train
/// networks (tree sweeps are the command line's).
pub const NETWORK_ONLY: &str = "This window sweeps the network's settings, with the network panel's \
     as the base; to sweep boosted trees use `purchase-lab sweep --model gbm --lr ... \
     --depth ... --trees ...`.";

/// What a sweep does; while trees are chosen, that it sweeps the network.
fn intro(ui: &mut egui::Ui, family: crate::model::Family) {
    ui.weak(
        "Train one network per combination of the values below (empty = keep the current \
         setting); each lands in the runs table.",
    );
    if family == crate::model::Family::Trees {
        ui.label(NETWORK_ONLY);
    }
}

pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, sweep: &mut SweepState) {
    intro(ui, cx.settings.family);
    let running = sweep.running();
    egui::Grid::new("sweep_form").num_columns(2).show(ui, |ui| {
        for (label, text, tip) in [
            (
                "learning rates",
                &mut sweep.learning_rates,
                "e.g. 0.001, 0.01, 0.1",
            ),
            (
                "layouts",
                &mut sweep.layouts,
                "whole hidden-layer layouts, separated by ;  e.g. 0; 16; 64, 32 \
                 (0 = no hidden layer). Leave widths and depths empty when you use this",
            ),
            (
                "widths",
                &mut sweep.widths,
                "neurons per hidden layer, e.g. 8, 32, 64",
            ),
            (
                "depths",
                &mut sweep.depths,
                "number of hidden layers, e.g. 1, 2, 3",
            ),
            ("batch sizes", &mut sweep.batch_sizes, "e.g. 16, 64, 256"),
            ("dropouts", &mut sweep.dropouts, "e.g. 0, 0.2, 0.5"),
        ] {
            let name = ui.label(label);
            ui.add_enabled(
                !running,
                egui::TextEdit::singleline(text).desired_width(220.0),
            )
            .labelled_by(name.id)
            .on_hover_text(tip);
            ui.end_row();
        }
        let name = ui.label("epochs");
        ui.add_enabled(
            !running,
            egui::DragValue::new(&mut sweep.epochs).range(1..=5000),
        )
        .labelled_by(name.id)
        .on_hover_text("Epochs per run (fewer when early stopping ends a run)");
        ui.end_row();
        ui.label("");
        ui.add_enabled(
            !running,
            egui::Checkbox::new(&mut sweep.early_stopping, "stop early (patience 10)"),
        )
        .on_hover_text("End each run once its validation loss has not improved for 10 epochs");
        ui.end_row();
        let name = ui.label("rank by");
        egui::ComboBox::from_id_salt("sweep_metric")
            .selected_text(sweep.metric.name())
            .show_ui(ui, |ui| {
                // Test-row metrics are shown in the table, never ranked by.
                for m in Metric::ALL.into_iter().filter(|m| m.is_rankable()) {
                    ui.selectable_value(&mut sweep.metric, m, m.name());
                }
            })
            .response
            .labelled_by(name.id)
            .on_hover_text("Which result decides the best run");
        ui.end_row();
    });
    buttons(ui, cx, sweep, running);
    if let Some(SweepProgress {
        done,
        total,
        epoch,
        epochs,
    }) = sweep.progress
        && (running || sweep.finished.is_some())
    {
        let share = if total == 0 {
            1.0
        } else {
            (done as f32 + epoch as f32 / epochs.max(1) as f32) / total as f32
        };
        let text = match sweep.finished {
            Some(true) => format!("cancelled after {done} of {total} runs"),
            Some(false) => format!("finished {total} runs"),
            None => format!(
                "run {} of {total}, epoch {epoch}{}",
                (done + 1).min(total),
                time_left(sweep.started, share)
            ),
        };
        ui.add(egui::ProgressBar::new(share.clamp(0.0, 1.0)).text(text));
    }
    if let Some(e) = &sweep.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    results(sweep, ui);
}

/// Start or Cancel, Apply best and Restore its network.
fn buttons(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, sweep: &SweepState, running: bool) {
    let total = sweep.grid().ok().map_or(0, |g| g.len());
    ui.horizontal(|ui| {
        if running {
            if ui.button("Cancel sweep").clicked() {
                cx.commands.push(AppCommand::CancelSweep);
            }
        } else if ui
            .add_enabled(
                cx.data.prepared().is_some(),
                egui::Button::new(format!("Start sweep ({total} runs)")),
            )
            .on_hover_text("Train every combination in the background; the window stays usable")
            .clicked()
        {
            cx.commands.push(AppCommand::StartSweep);
        }
        if ui
            .add_enabled(!sweep.outcomes.is_empty(), egui::Button::new("Apply best"))
            .on_hover_text("Put the best run's network and training settings into the controls")
            .clicked()
        {
            cx.commands.push(AppCommand::ApplyBestSweep);
        }
        let trained = sweep.best_outcome().is_some_and(|o| o.weights.is_some());
        if ui
            .add_enabled(
                trained && !sweep.adoption.pending(),
                egui::Button::new("Restore its network"),
            )
            .on_hover_text(
                "Apply the best run's settings and put its trained network into the window \
                 (surface, evaluation and curves), without training it again",
            )
            .clicked()
        {
            cx.commands.push(AppCommand::RestoreBestSweepModel);
        }
    });
}

fn results(sweep: &SweepState, ui: &mut egui::Ui) {
    let outcomes = &sweep.outcomes;
    if outcomes.is_empty() {
        return;
    }
    let metric = sweep.metric;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.strong(format!("Ranked by {metric}"));
            // Room between a run's settings and its value ("batch 32"
            // and "0.3995" must not read as one number).
            egui::Grid::new("sweep_ranked")
                .striped(true)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    for (i, o) in rank(outcomes, metric).into_iter().enumerate() {
                        ui.label(format!("{}.", i + 1));
                        ui.label(o.point.label());
                        match (&o.result, o.metric(metric)) {
                            (Ok(_), Some(v)) => ui.monospace(format!("{v:.4}")),
                            (Ok(_), None) => ui.weak("-"),
                            (Err(e), _) => ui.colored_label(ui.visuals().error_fg_color, e),
                        };
                        ui.end_row();
                    }
                });
        });
        if let Some(map) = heatmap(outcomes, metric) {
            ui.add_space(16.0);
            ui.vertical(|ui| {
                ui.strong(format!(
                    "{metric}: {} (rows) x {} (columns)",
                    map.rows.label(),
                    map.cols.label()
                ));
                let values: Vec<f64> = map.values.iter().flatten().flatten().copied().collect();
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                egui::Grid::new("sweep_heatmap")
                    .spacing([3.0, 3.0])
                    .show(ui, |ui| {
                        ui.label("");
                        for c in &map.col_labels {
                            ui.weak(c);
                        }
                        ui.end_row();
                        for (r, label) in map.row_labels.iter().enumerate() {
                            ui.weak(label);
                            for (c, v) in map.values[r].iter().enumerate() {
                                let cell = match v {
                                    Some(v) => Cell::Value(*v),
                                    None if failed_at(outcomes, &map, r, c) => Cell::Failed,
                                    None => Cell::NotYet,
                                };
                                heat_cell(ui, cell, lo, hi, metric.higher_is_better());
                            }
                            ui.end_row();
                        }
                    });
            });
        }
    });
}

/// What a heatmap cell shows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Value(f64),
    /// Every run with these settings failed.
    Failed,
    /// No run with these settings has finished yet (still to come, or
    /// training now).
    NotYet,
}

/// Whether a run with the settings of heatmap cell (`row`, `col`) failed.
fn failed_at(
    outcomes: &[SweepOutcome],
    map: &crate::tune::sweep::Heatmap,
    row: usize,
    col: usize,
) -> bool {
    let is = |o: &SweepOutcome, param, label: &str| {
        o.point.param(param).is_some_and(|v| v.to_string() == label)
    };
    outcomes.iter().any(|o| {
        o.result.is_err()
            && is(o, map.rows, &map.row_labels[row])
            && is(o, map.cols, &map.col_labels[col])
    })
}

/// ", about 3 min left" from the time so far and the share done; empty
/// until a few percent are done (too early to say).
fn time_left(started: Option<std::time::Instant>, share: f32) -> String {
    let Some(started) = started else {
        return String::new();
    };
    if share < 0.02 {
        return String::new();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let left = elapsed * f64::from((1.0 - share) / share);
    if left < 90.0 {
        format!(", about {:.0} s left", left.max(1.0))
    } else {
        format!(", about {:.0} min left", left / 60.0)
    }
}

/// One heatmap cell: greener is better, red worse, grey for failed runs,
/// blank for runs still to come.
fn heat_cell(ui: &mut egui::Ui, cell: Cell, lo: f64, hi: f64, higher_better: bool) {
    let (fill, text) = match cell {
        Cell::Value(v) => {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
            let good = if higher_better { t } else { 1.0 - t } as f32;
            (palette::heat_color(good), format!("{v:.3}"))
        }
        Cell::Failed => (palette::HEAT_FAILED, "failed".to_owned()),
        Cell::NotYet => (Color32::TRANSPARENT, "…".to_owned()),
    };
    let text_colour = if cell == Cell::NotYet {
        ui.visuals().weak_text_color()
    } else {
        Color32::WHITE
    };
    egui::Frame::new()
        .fill(fill)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.label(egui::RichText::new(text).color(text_colour).monospace())
        });
}

#[cfg(test)]
mod tests;
