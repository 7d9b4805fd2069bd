//! How good the network is: confusion matrix, accuracy, precision, recall,
//! F1, ROC with AUC and a threshold; for regression MAE, RMSE, R² and
//! predicted versus actual. On the validation customers while a run
//! trains, on the held-back test customers once it finished (or while the
//! user ticks "watch test rows"), and the heading says which.

use eframe::egui::{self, Color32};
use egui_plot::{Line, Plot, Points};

use super::PanelContext;
use super::command::AppCommand;
use super::palette::{CORRECT, NEGATIVE, POSITIVE, WRONG};
use crate::data::prep::Part;
use crate::model::metrics::{ClassificationMetrics, RegressionMetrics};

pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, metrics: Option<&ClassificationMetrics>) {
    ui.horizontal(|ui| {
        ui.strong(heading(cx));
        ui.checkbox(&mut cx.settings.watch_test_rows, "watch test rows")
            .on_hover_text("Show the held-back test customers every epoch. Off, they stay unseen until the run ends, so choices made while watching cannot overfit them");
        if ui
            .button("Cross-validate...")
            .on_hover_text("Train the current setup on K folds of the training and validation rows and see how much its scores vary")
            .clicked()
        {
            cx.commands.push(AppCommand::OpenCrossValidation);
        }
    });
    let regression = cx.settings.problem.as_ref().is_some_and(|p| p.regression);
    if regression {
        regression_view(ui, cx);
        return;
    }
    ui.add(egui::Slider::new(&mut cx.settings.threshold, 0.01..=0.99).text("threshold"))
        .on_hover_text("Customers with a predicted probability at or above this count as buyers; lower it to catch more buyers at the cost of false alarms");
    let Some(m) = metrics else {
        ui.weak("Train for an epoch to see how the network does.");
        return;
    };
    let [[tn, fp], [fn_, tp]] = m.confusion;
    let total = (tn + fp + fn_ + tp).max(1) as f32;
    // Matrix and figures side by side, so the what-if form stays in view.
    ui.horizontal_top(|ui| {
    egui::Grid::new("confusion")
        .spacing([6.0, 4.0])
        .show(ui, |ui| {
            ui.label("");
            ui.weak("pred. no");
            ui.weak("pred. yes");
            ui.end_row();
            let cell = |ui: &mut egui::Ui, n: u64, correct: bool, tip: &str| {
                let strength = n as f32 / total;
                let base = if correct { CORRECT } else { WRONG };
                let fill = base.gamma_multiply(0.25 + 0.75 * strength);
                egui::Frame::new()
                    .fill(fill)
                    .inner_margin(egui::Margin::symmetric(12, 6))
                    .show(ui, |ui| ui.strong(n.to_string()))
                    .response
                    .on_hover_text(tip.to_owned());
            };
            ui.weak("real no");
            cell(
                ui,
                tn,
                true,
                "true negatives: correctly predicted not to buy",
            );
            cell(
                ui,
                fp,
                false,
                "false positives: predicted to buy, but did not",
            );
            ui.end_row();
            ui.weak("real yes");
            cell(ui, fn_, false, "false negatives: buyers the network missed");
            cell(ui, tp, true, "true positives: buyers correctly found");
            ui.end_row();
        });
    ui.add_space(14.0);
    egui::Grid::new("metrics").show(ui, |ui| {
        let row = |ui: &mut egui::Ui, name: &str, v: f64, tip: &str| {
            ui.label(name).on_hover_text(tip);
            ui.monospace(format!("{v:.3}"));
            ui.end_row();
        };
        row(ui, "accuracy", m.accuracy, "share of these customers predicted correctly");
        if m.precision_defined() {
            row(ui, "precision", m.precision, "of those predicted to buy, the share who did");
        } else {
            ui.label("precision")
                .on_hover_text("of those predicted to buy, the share who did");
            ui.weak("undefined: nobody is predicted to buy at this threshold; lower the threshold slider");
            ui.end_row();
        }
        row(ui, "recall", m.recall, "of those who bought, the share the network found");
        row(ui, "F1", m.f1, "balance of precision and recall");
        match m.auc {
            Some(auc) => row(ui, "ROC AUC", auc, "chance that a random buyer scores above a random non-buyer (1 = perfect, 0.5 = guessing)"),
            None => {
                ui.label("ROC AUC");
                ui.weak("n/a: one class only in these rows");
                ui.end_row();
            }
        }
    });
    });
    let roc: Vec<[f64; 2]> = m.roc.iter().map(|&(f, t)| [f, t]).collect();
    Plot::new("roc_plot")
        .height(140.0)
        .data_aspect(1.0)
        .x_axis_label("false positive rate")
        .y_axis_label("true positive rate")
        .include_x(0.0)
        .include_x(1.0)
        .include_y(0.0)
        .include_y(1.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new("guessing", vec![[0.0, 0.0], [1.0, 1.0]]).color(Color32::GRAY));
            plot.line(Line::new("ROC", roc).color(POSITIVE).width(2.0));
        });
}

fn regression_view(ui: &mut egui::Ui, cx: &PanelContext<'_>) {
    let (Some(prepared), Some(predictions)) = (cx.data.prepared(), &cx.run.predictions) else {
        ui.weak("Train for an epoch to see how the network does.");
        return;
    };
    let actual = &prepared.part(cx.run.predictions_part).y;
    if let Ok(m) = RegressionMetrics::compute(predictions, actual) {
        egui::Grid::new("regression_metrics").show(ui, |ui| {
            ui.label("MAE")
                .on_hover_text("mean absolute error, in the target's units");
            ui.monospace(format!("{:.3}", m.mae));
            ui.end_row();
            ui.label("RMSE")
                .on_hover_text("root mean squared error: punishes big misses more");
            ui.monospace(format!("{:.3}", m.rmse));
            ui.end_row();
            ui.label("R²").on_hover_text(
                "share of the target's variation explained (1 = perfect, 0 = predicting the mean)",
            );
            ui.monospace(m.r2.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.3}")));
            ui.end_row();
        });
    }
    let pts: Vec<[f64; 2]> = actual
        .iter()
        .zip(predictions.iter())
        .map(|(&a, &p)| [f64::from(a), f64::from(p)])
        .collect();
    let (lo, hi) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[0]).min(p[1]), hi.max(p[0]).max(p[1]))
        });
    Plot::new("pred_vs_actual")
        .height(200.0)
        .data_aspect(1.0)
        .x_axis_label("actual")
        .y_axis_label("predicted")
        .allow_scroll(false)
        .show(ui, |plot| {
            if lo.is_finite() && hi.is_finite() {
                plot.line(Line::new("perfect", vec![[lo, lo], [hi, hi]]).color(Color32::GRAY));
            }
            plot.points(
                Points::new(part_name(cx.run.predictions_part), pts)
                    .color(NEGATIVE)
                    .radius(2.0),
            );
        });
}

/// Which customers the figures are for, and why.
fn heading(cx: &PanelContext<'_>) -> &'static str {
    match (cx.run.predictions_part, cx.run.outcome.is_some()) {
        (Part::Test, true) => "Evaluation on test customers (final model)",
        (Part::Test, false) => "Evaluation on test customers (watched live)",
        _ => "Evaluation on validation customers",
    }
}

fn part_name(part: Part) -> &'static str {
    match part {
        Part::Train => "training customers",
        Part::Validation => "validation customers",
        Part::Test => "test customers",
    }
}
