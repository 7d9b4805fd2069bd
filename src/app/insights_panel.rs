//! The Insights window: the business questions of the model being trained,
//! on the customers the evaluation panel shows. Five views, one at a time
//! (gains and lift, profit, calibration, importance, dependence), each
//! exportable as PNG and CSV; computed off the UI thread
//! ([`super::insights_state`]) when training pauses or finishes, and on
//! demand (Refresh) while it runs.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::background::{Dialog, IoDone};
use super::command::AppCommand;
use super::export::{PngView, ViewRects};
use super::insights_state::{InsightsJob, InsightsState, Shown};
use super::insights_views;
use super::{PanelContext, PurchaseLabApp};
use crate::data::prep::Part;
use crate::insights::export::InsightView;
use crate::model::bundle::Bundle;
use crate::worker::Command;

impl PurchaseLabApp {
    /// Asks the training thread for the model as it stands; the views are
    /// computed when it arrives. Nothing to do before the first epoch.
    pub(super) fn refresh_insights(&mut self) {
        if self.training.run().history.is_empty() {
            return;
        }
        self.windows.insights.awaiting = true;
        self.training.send(Command::Snapshot);
    }

    /// Training paused or finished: fresh views if the window is open.
    pub(super) fn refresh_open_insights(&mut self) {
        if self.windows.insights.open {
            self.refresh_insights();
        }
    }

    /// Computes the views for `bundle` on the rows the evaluation panel
    /// shows: the test rows once the run ended (or while watched), the
    /// validation rows otherwise.
    pub(super) fn start_insights(&mut self, bundle: Arc<Bundle>) {
        let (Some(table), Some(prepared)) = (self.data.table(), self.data.prepared()) else {
            self.windows.insights.awaiting = false;
            return;
        };
        let run = self.training.run();
        let final_model = run.outcome.is_some();
        let part = if final_model || self.settings.watch_test_rows {
            Part::Test
        } else {
            Part::Validation
        };
        let job = InsightsJob {
            bundle,
            table: table.clone(),
            prepared: prepared.clone(),
            part,
            final_model,
            epoch: run.history.last().map_or(0, |r| r.epoch),
            settings: self.windows.insights.settings(),
        };
        let repaint = self.ctx.clone();
        self.windows
            .insights
            .start(job, move || repaint.request_repaint());
    }

    /// Writes one view's numbers off the UI thread.
    pub(super) fn export_insight_csv(&mut self, view: InsightView, path: PathBuf) {
        let Some(shown) = &self.windows.insights.shown else {
            return;
        };
        let mut report = shown.report.clone();
        // The profit file holds the curve at the window's current costs.
        if let Some(curve) = self.windows.insights.profit() {
            report.profit = Some(curve.clone());
        }
        let result = self.tasks.spawn_io(&self.ctx, move || {
            report
                .write_csv(view, &path)
                .map(|()| IoDone::Notice(format!("{} saved to {}", view.name(), path.display())))
                .map_err(|e| e.to_string())
        });
        if let Err(e) = result {
            self.training.run_mut().error = Some(e);
        }
    }
}

/// The window, when open; records where each view was drawn for PNG
/// export.
pub fn show(
    ctx: &egui::Context,
    cx: &mut PanelContext<'_>,
    state: &mut InsightsState,
    rects: &mut ViewRects,
) {
    let mut open = state.open;
    let screen = ctx.content_rect().size();
    egui::Window::new("Insights")
        .open(&mut open)
        .default_size(super::layout::window_size(screen, egui::vec2(560.0, 520.0)))
        .max_size(super::layout::window_size(screen, screen))
        .vscroll(true)
        .show(ctx, |ui| contents(ui, cx, state, rects));
    state.open = open;
}

fn contents(
    ui: &mut egui::Ui,
    cx: &mut PanelContext<'_>,
    state: &mut InsightsState,
    rects: &mut ViewRects,
) {
    ui.horizontal(|ui| {
        let trained = !cx.run.history.is_empty();
        if ui
            .add_enabled(trained, egui::Button::new("Refresh"))
            .on_hover_text("Compute the views again for the model as it stands now (they also refresh when training pauses or ends)")
            .clicked()
        {
            cx.commands.push(AppCommand::RefreshInsights);
        }
        if state.busy() {
            ui.spinner();
            ui.weak("computing...");
        }
    });
    if let Some(error) = &state.error {
        ui.colored_label(ui.visuals().error_fg_color, error.as_str());
    }
    let Some(shown) = &state.shown else {
        if cx.run.history.is_empty() {
            ui.weak("Untrained network: train for an epoch, then the views are computed when training pauses.");
        }
        return;
    };
    ui.label(rows_caption(shown));
    ui.horizontal_wrapped(|ui| {
        for view in InsightView::ALL {
            ui.selectable_value(&mut state.tab, view, tab_name(view));
        }
    });
    ui.separator();
    let view = state.tab;
    ui.horizontal(|ui| {
        if ui
            .small_button("PNG...")
            .on_hover_text("Save this view with its axes and legend as an image")
            .clicked()
        {
            cx.commands.push(AppCommand::OpenDialog(Dialog::SavePng(
                PngView::Insight(view),
            )));
        }
        if ui
            .small_button("CSV...")
            .on_hover_text("Save this view's numbers as a CSV file (the columns `purchase-lab evaluate --out-dir` writes)")
            .clicked()
        {
            cx.commands
                .push(AppCommand::OpenDialog(Dialog::SaveInsightCsv(view)));
        }
    });
    let rect = ui
        .scope(|ui| insights_views::show(ui, cx, state, view))
        .response
        .rect;
    rects.insights = [None; 5];
    rects.insights[view.index()] = Some(rect);
}

/// The tab's title.
pub fn tab_name(view: InsightView) -> &'static str {
    match view {
        InsightView::Gains => "Gains and lift",
        InsightView::Profit => "Profit",
        InsightView::Calibration => "Calibration",
        InsightView::Importance => "Importance",
        InsightView::Dependence => "Dependence",
    }
}

/// Which customers and which model the views are of.
pub fn rows_caption(shown: &Shown) -> String {
    let rows = shown.report.rows;
    match (shown.part, shown.final_model) {
        (Part::Test, true) => format!("On the {rows} test customers, final model"),
        (Part::Test, false) => {
            format!(
                "On the {rows} test customers (watched live), model at epoch {}",
                shown.epoch
            )
        }
        _ => format!(
            "On the {rows} validation customers, model at epoch {}",
            shown.epoch
        ),
    }
}
