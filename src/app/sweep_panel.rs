//! Sweeps in the window: a grid of learning rates, widths, depths, batch
//! sizes and dropouts trained one after another on the sweep thread, with a
//! progress bar and Cancel; each run lands in the history as it finishes.
//! Results show as a ranked table and, when two settings vary, a heatmap;
//! "Apply best" puts the winner's settings into the controls.

use eframe::egui::{self, Color32};

use super::PurchaseLabApp;
use crate::tune::Metric;
use crate::tune::sweep::{
    SweepEvent, SweepGrid, SweepHandle, SweepJob, SweepOutcome, best, heatmap, rank,
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
    /// Runs done, runs in all, epoch of the current run, its epoch target.
    pub progress: Option<(usize, usize, usize, usize)>,
    pub outcomes: Vec<SweepOutcome>,
    pub error: Option<String>,
    pub finished: Option<bool>,
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
    pub fn grid(&self) -> Result<SweepGrid, String> {
        Ok(SweepGrid {
            learning_rates: parse_list(&self.learning_rates, "learning rates")?,
            hidden: parse_layouts(&self.layouts)?,
            widths: parse_list(&self.widths, "widths")?,
            depths: parse_list(&self.depths, "depths")?,
            batch_sizes: parse_list(&self.batch_sizes, "batch sizes")?,
            dropouts: parse_list(&self.dropouts, "dropouts")?,
        })
    }

    pub fn running(&self) -> bool {
        self.handle.is_some()
    }
}

impl PurchaseLabApp {
    /// Starts a sweep over the form's grid on the current data and recipe.
    pub fn start_sweep(&mut self) {
        let sweep = &mut self.sweep;
        sweep.error = None;
        sweep.finished = None;
        let Some(prepared) = self.prepared.clone() else {
            sweep.error = Some("load data and choose a target first".to_owned());
            return;
        };
        let Some(problem) = self.settings.problem.clone() else {
            sweep.error = Some("choose a target first".to_owned());
            return;
        };
        let grid = match sweep.grid() {
            Ok(g) => g,
            Err(e) => {
                sweep.error = Some(e);
                return;
            }
        };
        let base_train = crate::model::TrainSettings {
            epochs: sweep.epochs,
            ..self.settings.train.clone()
        };
        let points = match grid.expand(&self.settings.spec, &base_train) {
            Ok(p) => p,
            Err(e) => {
                sweep.error = Some(e.to_string());
                return;
            }
        };
        let mut job = SweepJob::new(
            prepared,
            self.settings.source.clone(),
            problem.recipe(),
            self.fingerprint.clone(),
            points,
            self.settings.backend,
        );
        if !sweep.early_stopping {
            job.patience = None;
        }
        let repaint = self.ctx.clone();
        match SweepHandle::spawn(job, move || repaint.request_repaint()) {
            Ok(handle) => {
                sweep.progress = Some((0, handle.total(), 0, sweep.epochs));
                sweep.outcomes.clear();
                sweep.handle = Some(handle);
            }
            Err(e) => sweep.error = Some(format!("cannot start the sweep thread: {e}")),
        }
    }

    /// Sweep events: progress, finished runs (into the history), the end.
    pub fn poll_sweep(&mut self) {
        let mut events = Vec::new();
        if let Some(handle) = &self.sweep.handle {
            while events.len() < 100 {
                match handle.try_recv() {
                    Some(e) => events.push(e),
                    None => break,
                }
            }
        }
        let mut history_changed = false;
        for event in events {
            match event {
                SweepEvent::Started { .. } => {}
                SweepEvent::Progress {
                    done,
                    total,
                    current_epoch,
                    epochs,
                } => self.sweep.progress = Some((done, total, current_epoch, epochs)),
                SweepEvent::RunDone(outcome) => {
                    if let Some(record) = outcome.record() {
                        let mut record = record.clone();
                        record.name = format!("sweep: {}", outcome.point.label());
                        self.runs.history.add(record);
                        history_changed = true;
                    }
                    self.sweep.outcomes.push(*outcome);
                }
                SweepEvent::Finished { cancelled } => {
                    self.sweep.finished = Some(cancelled);
                    self.sweep.handle = None;
                }
                SweepEvent::Failed(e) => {
                    self.sweep.error = Some(e);
                    self.sweep.handle = None;
                }
            }
        }
        if history_changed {
            let repaint = self.ctx.clone();
            self.runs.save(move || repaint.request_repaint());
        }
    }

    /// Puts the best sweep run's network and training settings into the
    /// controls.
    pub fn apply_best(&mut self) {
        if let Some(winner) = best(&self.sweep.outcomes, self.sweep.metric) {
            self.settings.spec = winner.point.spec.clone();
            let mut train = winner.point.train.clone();
            train.early_stopping = self.settings.train.early_stopping;
            self.settings.train = train;
            self.run.notice = Some(format!(
                "applied the best sweep run: {}",
                winner.point.label()
            ));
        }
    }
}

pub fn show(app: &mut PurchaseLabApp, ui: &mut egui::Ui) {
    ui.weak(
        "Train one network per combination of the values below (empty = keep the current \
         setting); each lands in the runs table.",
    );
    let running = app.sweep.running();
    egui::Grid::new("sweep_form").num_columns(2).show(ui, |ui| {
        let sweep = &mut app.sweep;
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
            ui.label(label);
            ui.add_enabled(
                !running,
                egui::TextEdit::singleline(text).desired_width(220.0),
            )
            .on_hover_text(tip);
            ui.end_row();
        }
        ui.label("epochs");
        ui.add_enabled(
            !running,
            egui::DragValue::new(&mut sweep.epochs).range(1..=5000),
        )
        .on_hover_text("Epochs per run (fewer when early stopping ends a run)");
        ui.end_row();
        ui.label("");
        ui.add_enabled(
            !running,
            egui::Checkbox::new(&mut sweep.early_stopping, "stop early (patience 10)"),
        )
        .on_hover_text("End each run once its validation loss has not improved for 10 epochs");
        ui.end_row();
        ui.label("rank by");
        egui::ComboBox::from_id_salt("sweep_metric")
            .selected_text(sweep.metric.name())
            .show_ui(ui, |ui| {
                for m in Metric::ALL {
                    ui.selectable_value(&mut sweep.metric, m, m.name());
                }
            })
            .response
            .on_hover_text("Which result decides the best run");
        ui.end_row();
    });
    let total = app.sweep.grid().ok().map_or(0, |g| g.len());
    ui.horizontal(|ui| {
        if running {
            if ui.button("Cancel sweep").clicked()
                && let Some(h) = &app.sweep.handle
            {
                h.cancel();
            }
        } else if ui
            .add_enabled(
                app.prepared.is_some(),
                egui::Button::new(format!("Start sweep ({total} runs)")),
            )
            .on_hover_text("Train every combination in the background; the window stays usable")
            .clicked()
        {
            app.start_sweep();
        }
        if ui
            .add_enabled(
                !app.sweep.outcomes.is_empty(),
                egui::Button::new("Apply best"),
            )
            .on_hover_text("Put the best run's network and training settings into the controls")
            .clicked()
        {
            app.apply_best();
        }
    });
    if let Some((done, total, epoch, epochs)) = app.sweep.progress
        && (running || app.sweep.finished.is_some())
    {
        let share = if total == 0 {
            1.0
        } else {
            (done as f32 + epoch as f32 / epochs.max(1) as f32) / total as f32
        };
        let text = match app.sweep.finished {
            Some(true) => format!("cancelled after {done} of {total} runs"),
            Some(false) => format!("finished {total} runs"),
            None => format!("run {} of {total}, epoch {epoch}", (done + 1).min(total)),
        };
        ui.add(egui::ProgressBar::new(share.clamp(0.0, 1.0)).text(text));
    }
    if let Some(e) = &app.sweep.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    results(app, ui);
}

fn results(app: &PurchaseLabApp, ui: &mut egui::Ui) {
    let outcomes = &app.sweep.outcomes;
    if outcomes.is_empty() {
        return;
    }
    let metric = app.sweep.metric;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.strong(format!("Ranked by {metric}"));
            egui::Grid::new("sweep_ranked")
                .striped(true)
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
                            for v in &map.values[r] {
                                heat_cell(ui, *v, lo, hi, metric.higher_is_better());
                            }
                            ui.end_row();
                        }
                    });
            });
        }
    });
}

/// One heatmap cell: greener is better, red worse, grey for no result.
fn heat_cell(ui: &mut egui::Ui, value: Option<f64>, lo: f64, hi: f64, higher_better: bool) {
    let (fill, text) = match value {
        Some(v) => {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
            let good = if higher_better { t } else { 1.0 - t } as f32;
            let bad = Color32::from_rgb(190, 70, 60);
            let fine = Color32::from_rgb(60, 160, 80);
            (super::surface_view::mix(bad, fine, good), format!("{v:.3}"))
        }
        None => (Color32::from_gray(90), "failed".to_owned()),
    };
    egui::Frame::new()
        .fill(fill)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.label(egui::RichText::new(text).color(Color32::WHITE).monospace())
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_are_read_as_the_cli_writes_them() {
        assert_eq!(
            parse_layouts("0; 16; 64, 32; 8-8-8").unwrap(),
            vec![vec![], vec![16], vec![64, 32], vec![8, 8, 8]]
        );
        assert_eq!(parse_layouts("  ").unwrap(), Vec::<Vec<usize>>::new());
        let err = parse_layouts("16; 64, x").unwrap_err();
        assert!(err.contains("`x` in `64, x`"), "{err}");
        assert!(parse_layouts("16, 0").is_err(), "a layer of 0 neurons");
    }

    #[test]
    fn the_form_sweeps_layouts_or_widths_but_says_so_when_given_both() {
        let mut form = SweepState {
            layouts: "0; 32".into(),
            widths: String::new(),
            ..SweepState::default()
        };
        let grid = form.grid().unwrap();
        assert_eq!(grid.hidden, vec![vec![], vec![32]]);
        let points = grid
            .expand(
                &crate::model::NetworkSpec::default(),
                &crate::model::TrainSettings::default(),
            )
            .unwrap();
        // 3 learning rates × 2 layouts.
        assert_eq!(points.len(), 6);
        form.widths = "8".into();
        let both = form
            .grid()
            .unwrap()
            .expand(
                &crate::model::NetworkSpec::default(),
                &crate::model::TrainSettings::default(),
            )
            .unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
    }
}
