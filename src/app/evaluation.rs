//! How good the network is: confusion matrix, accuracy, precision, recall,
//! F1, ROC with AUC and a threshold; for regression MAE, RMSE, R² and
//! predicted versus actual. On the validation customers while a run
//! trains, on the held-back test customers once it finished (or while the
//! user ticks "watch test rows"), and the heading says which.

use eframe::egui::{self, Color32};
use egui_plot::{Legend, Line, Plot, PlotBounds, Points, uniform_grid_spacer};

use super::PanelContext;
use super::command::AppCommand;
use super::palette::{CORRECT, NEGATIVE, POSITIVE, WRONG};
use super::tips::Side;
use crate::data::prep::Part;
use crate::model::metrics::{ClassificationMetrics, RegressionMetrics};

/// The threshold slider's range.
pub const THRESHOLD_RANGE: (f64, f64) = (0.01, 0.99);

/// The view; returns the ROC plot's bounds (x and y ranges) when it drew
/// one, so a test can see what a user sees.
pub fn show(
    ui: &mut egui::Ui,
    cx: &mut PanelContext<'_>,
    cache: &super::view_cache::MetricsCache,
) -> Option<PlotBounds> {
    let metrics = cache.get();
    // Wraps, so the panel never needs more than its width (at 150 % zoom
    // it is narrower than this line).
    ui.horizontal_wrapped(|ui| {
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
        if ui
            .button("Insights...")
            .on_hover_text("Whom to contact and what it earns, whether the scores are real probabilities, and which columns drive them, on the same customers")
            .clicked()
        {
            cx.commands.push(AppCommand::OpenInsights);
        }
    });
    super::baseline_view::rows(ui, cx.run);
    if cx
        .data
        .prepared()
        .is_some_and(|p| p.pipeline.encoding.classes().is_some())
    {
        // No threshold: the most probable class is the prediction.
        return match cache.multiclass() {
            Some(m) => Some(super::class_evaluation::show(ui, m)),
            None => {
                ui.weak(untrained(cx.run));
                None
            }
        };
    }
    let regression = cx.settings.problem.as_ref().is_some_and(|p| p.regression);
    if regression {
        regression_view(ui, cx);
        return None;
    }
    // The words of the chosen labels (churn data says `Yes`, not "buyers").
    let (positive, negative) = cx
        .data
        .prepared()
        .and_then(|p| {
            p.pipeline
                .encoding
                .class_names()
                .map(|(p, n)| (p.to_owned(), n))
        })
        .unwrap_or_else(|| {
            let positive = cx
                .settings
                .problem
                .as_ref()
                .map_or_else(String::new, |p| p.positive.clone());
            let negative = format!("not {positive}");
            (positive, negative)
        });
    let (lo, hi) = THRESHOLD_RANGE;
    // The tip above the slider: under it are the numbers it explains.
    let slider = ui
        .scope(|ui| {
            // Shorter in a narrow panel, so its value and name stay in it.
            ui.spacing_mut().slider_width = (ui.available_width() - 130.0).clamp(50.0, 100.0);
            ui.add(egui::Slider::new(&mut cx.settings.threshold, lo..=hi).text("threshold"))
        })
        .inner;
    super::tips::beside(slider, Side::Above, threshold_tip(&positive));
    let Some(m) = metrics else {
        ui.weak(untrained(cx.run));
        return None;
    };
    // Matrix and figures side by side, so the what-if form stays in view;
    // one under the other in a narrow panel (a wrapping layout cannot know
    // a grid's width before drawing it, and let the pair run past the edge).
    if ui.available_width() >= SIDE_BY_SIDE {
        ui.horizontal_top(|ui| {
            confusion_matrix(ui, m, &positive, &negative);
            ui.add_space(14.0);
            metric_grid(ui, m, &positive);
        });
    } else {
        confusion_matrix(ui, m, &positive, &negative);
        metric_grid(ui, m, &positive);
    }
    Some(roc_plot(ui, m, cx.settings.threshold))
}

/// The threshold slider's tooltip, in the words of the positive label.
pub fn threshold_tip(positive: &str) -> String {
    format!(
        "Customers whose predicted chance of `{positive}` is at or above this are predicted \
         `{positive}`; lower it to find more of them at the cost of false alarms"
    )
}

/// What the view says before the network has trained an epoch: the
/// predictions of random weights are no evaluation.
fn untrained(run: &super::RunView) -> &'static str {
    match run.family {
        crate::model::Family::Network => {
            "Untrained network: train for an epoch to see how it does."
        }
        crate::model::Family::Trees => "Untrained trees: train a round to see how they do.",
    }
}

/// The confusion matrix, its rows and columns named by the labels.
fn confusion_matrix(ui: &mut egui::Ui, m: &ClassificationMetrics, positive: &str, negative: &str) {
    let [[tn, fp], [fn_, tp]] = m.confusion;
    let total = (tn + fp + fn_ + tp).max(1) as f32;
    egui::Grid::new("confusion")
        .spacing([6.0, 4.0])
        .show(ui, |ui| {
            let cell = |ui: &mut egui::Ui, n: u64, correct: bool, tip: String| {
                let strength = n as f32 / total;
                let base = if correct { CORRECT } else { WRONG };
                let fill = base.gamma_multiply(0.25 + 0.75 * strength);
                egui::Frame::new()
                    .fill(fill)
                    .inner_margin(egui::Margin::symmetric(12, 6))
                    .show(ui, |ui| ui.strong(n.to_string()))
                    .response
                    .on_hover_text(tip);
            };
            ui.label("");
            elided(ui, &format!("pred. {negative}"));
            elided(ui, &format!("pred. {positive}"));
            ui.end_row();
            elided(ui, &format!("real {negative}"));
            cell(
                ui,
                tn,
                true,
                format!("true negatives: `{negative}` predicted correctly"),
            );
            cell(
                ui,
                fp,
                false,
                format!("false positives: predicted `{positive}`, but were `{negative}`"),
            );
            ui.end_row();
            elided(ui, &format!("real {positive}"));
            cell(
                ui,
                fn_,
                false,
                format!("false negatives: `{positive}` the network missed"),
            );
            cell(
                ui,
                tp,
                true,
                format!("true positives: `{positive}` correctly found"),
            );
            ui.end_row();
        });
}

/// A weak label cut at a few characters (long labels would push the
/// matrix wide), the full text on hover.
fn elided(ui: &mut egui::Ui, text: &str) {
    ui.scope(|ui| {
        ui.set_max_width(90.0);
        ui.add(
            egui::Label::new(egui::RichText::new(text).weak())
                .truncate()
                .show_tooltip_when_elided(true),
        );
    });
}

/// Accuracy, precision, recall, F1 and AUC, with what each means.
fn metric_grid(ui: &mut egui::Ui, m: &ClassificationMetrics, positive: &str) {
    let undefined = format!(
        "Precision is undefined: nobody is predicted `{positive}` at this threshold; \
         lower the threshold slider."
    );
    // A column of its own, so the note under the grid wraps in the room
    // beside the confusion matrix (a grid cell never wraps, and a long one
    // ran past the panel's edge).
    ui.vertical(|ui| {
        egui::Grid::new("metrics").show(ui, |ui| {
            let row = |ui: &mut egui::Ui, name: &str, v: f64, tip: String| {
                ui.label(name).on_hover_text(tip);
                ui.monospace(format!("{v:.3}"));
                ui.end_row();
            };
            row(ui, "accuracy", m.accuracy, "share of these customers predicted correctly".to_owned());
            let precision_tip = format!("of those predicted `{positive}`, the share who were");
            if m.precision_defined() {
                row(ui, "precision", m.precision, precision_tip);
            } else {
                ui.label("precision").on_hover_text(precision_tip);
                ui.weak("undefined").on_hover_text(undefined.as_str());
                ui.end_row();
            }
            row(ui, "recall", m.recall, format!("of the `{positive}` customers, the share the network found"));
            row(ui, "F1", m.f1, "balance of precision and recall".to_owned());
            match m.auc {
                Some(auc) => row(ui, "ROC AUC", auc, format!("chance that a random `{positive}` customer scores above a random other one (1 = perfect, 0.5 = guessing)")),
                None => {
                    ui.label("ROC AUC");
                    ui.weak("n/a").on_hover_text("one class only in these rows");
                    ui.end_row();
                }
            }
        });
        if !m.precision_defined() {
            ui.add(egui::Label::new(egui::RichText::new(undefined.as_str()).weak()).wrap());
        }
    });
}

/// Where the chosen threshold sits on the ROC curve: (false positive
/// rate, true positive rate) of the confusion matrix at that threshold.
pub fn threshold_point(m: &ClassificationMetrics) -> [f64; 2] {
    let [[tn, fp], [fn_, tp]] = m.confusion;
    let rate = |hit: u64, miss: u64| {
        if hit + miss == 0 {
            0.0
        } else {
            hit as f64 / (hit + miss) as f64
        }
    };
    [rate(fp, tn), rate(tp, fn_)]
}

/// A rate on the ROC's axes: 0, 0.25, 0.5, 0.75, 1 as written.
fn rate_label(value: f64) -> String {
    // Rounded to hundredths first, so float noise (0.7500000001) stays out.
    format!("{}", (value * 100.0).round() / 100.0)
}

/// The least width (points) that holds the confusion matrix and the
/// metrics side by side (two-word labels such as `pred. Yes`).
const SIDE_BY_SIDE: f32 = 280.0;

/// The most points a curve or scatter of the evaluation draws: a
/// million-row file has 200,000 test customers, and drawing (and collecting)
/// them all every frame would cost the UI thread far more than a frame.
const MAX_DRAWN: usize = 2_000;

/// Every k-th item of `items` (k chosen so at most about `most` remain),
/// always with the last: a curve's ends stay where they are. O(most), not
/// O(items).
fn thinned<T>(items: &[T], most: usize) -> impl Iterator<Item = &T> {
    let step = items.len().div_ceil(most.max(1)).max(1);
    let last = items.len().checked_sub(1).filter(|l| l % step != 0);
    items
        .iter()
        .step_by(step)
        .chain(last.and_then(|l| items.get(l)))
}

/// (actual, predicted) pairs, every k-th customer when there are more than
/// `most`.
fn thinned_pairs(actual: &[f32], predicted: &[f32], most: usize) -> Vec<(f32, f32)> {
    let n = actual.len().min(predicted.len());
    let step = n.div_ceil(most.max(1)).max(1);
    (0..n)
        .step_by(step)
        .map(|i| (actual[i], predicted[i]))
        .collect()
}

/// The ROC curve on the unit square (rates run from 0 to 1, nothing
/// beyond), with the diagonal of guessing and the threshold's point.
fn roc_plot(ui: &mut egui::Ui, m: &ClassificationMetrics, threshold: f64) -> PlotBounds {
    let roc: Vec<[f64; 2]> = thinned(&m.roc, MAX_DRAWN).map(|&(f, t)| [f, t]).collect();
    let marker = threshold_point(m);
    *Plot::new("roc_plot")
        .height(160.0)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label("false positive rate")
        .y_axis_label("true positive rate")
        // A hair beyond 0 and 1 so the end ticks are labelled, and ticks
        // every quarter (the default decimal spacing labels only 0 here).
        .default_x_bounds(-0.02, 1.02)
        .default_y_bounds(-0.02, 1.02)
        .x_grid_spacer(uniform_grid_spacer(|_| [0.05, 0.25, 0.5]))
        .y_grid_spacer(uniform_grid_spacer(|_| [0.05, 0.25, 0.5]))
        // The rates as they are (0.25, 0.5, 0.75): the default formatter
        // rounded them to one decimal, labelling 0.5 as "0".
        .x_axis_formatter(|mark, _| rate_label(mark.value))
        .y_axis_formatter(|mark, _| rate_label(mark.value))
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .show(ui, |plot| {
            plot.line(Line::new("guessing", vec![[0.0, 0.0], [1.0, 1.0]]).color(Color32::GRAY));
            plot.line(Line::new("ROC", roc).color(POSITIVE).width(2.0));
            plot.points(
                Points::new(format!("threshold {threshold:.2}"), vec![marker])
                    .color(NEGATIVE)
                    .radius(5.0),
            );
        })
        .transform
        .bounds()
}

fn regression_view(ui: &mut egui::Ui, cx: &PanelContext<'_>) {
    let (Some(prepared), Some(predictions)) = (cx.data.prepared(), &cx.run.predictions) else {
        ui.weak(untrained(cx.run));
        return;
    };
    if cx.run.history.is_empty() {
        ui.weak(untrained(cx.run));
        return;
    }
    let target = cx
        .settings
        .problem
        .as_ref()
        .map_or("target", |p| p.target.as_str());
    let short = super::format::short;
    let actual = &prepared.part(cx.run.predictions_part).y;
    if let Ok(m) = RegressionMetrics::compute(predictions, actual) {
        egui::Grid::new("regression_metrics").show(ui, |ui| {
            ui.label("MAE")
                .on_hover_text(format!("mean absolute error, in units of {target}"));
            ui.monospace(short(m.mae));
            ui.end_row();
            ui.label("RMSE").on_hover_text(format!(
                "root mean squared error, in units of {target}: punishes big misses more"
            ));
            ui.monospace(short(m.rmse));
            ui.end_row();
            ui.label("R²").on_hover_text(
                "share of the target's variation explained (1 = perfect, 0 = predicting the mean)",
            );
            ui.monospace(m.r2.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.3}")));
            ui.end_row();
        });
    }
    let pairs: Vec<(f32, f32)> = thinned_pairs(actual, predictions, MAX_DRAWN);
    let pts: Vec<[f64; 2]> = pairs
        .iter()
        .map(|&(a, p)| [f64::from(a), f64::from(p)])
        .collect();
    let (lo, hi) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[0]).min(p[1]), hi.max(p[0]).max(p[1]))
        });
    // Both axes over the same range, so the diagonal is the perfect line
    // (no fixed aspect: that squeezed one axis to a single tick).
    let mut plot = Plot::new("pred_vs_actual")
        .height(200.0)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .x_axis_label(format!("actual {target}"))
        .y_axis_label(format!("predicted {target}"))
        .y_axis_min_width(36.0)
        .allow_scroll(false);
    if lo.is_finite() && hi.is_finite() && hi > lo {
        plot = plot.include_x(lo).include_x(hi).include_y(lo).include_y(hi);
    }
    plot.show(ui, |plot| {
        if lo.is_finite() && hi.is_finite() {
            plot.line(
                Line::new("perfect prediction", vec![[lo, lo], [hi, hi]]).color(Color32::GRAY),
            );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rocs_axes_read_as_rates() {
        let labels: Vec<String> = [0.0, 0.25, 0.5, 0.75, 1.0, 0.750_000_000_1]
            .into_iter()
            .map(rate_label)
            .collect();
        assert_eq!(labels, ["0", "0.25", "0.5", "0.75", "1", "0.75"]);
    }

    #[test]
    fn a_long_curve_is_thinned_to_its_budget_with_both_ends_kept() {
        let curve: Vec<usize> = (0..200_001).collect();
        let kept: Vec<usize> = thinned(&curve, 2_000).copied().collect();
        assert!(kept.len() <= 2_001, "{}", kept.len());
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&200_000));
        let short = [1, 2, 3];
        assert_eq!(thinned(&short, 2_000).count(), 3);
        let pairs = thinned_pairs(&[1.0; 10_000], &[2.0; 10_000], 2_000);
        assert!(
            pairs.len() <= 2_000 && pairs.len() >= 1_000,
            "{}",
            pairs.len()
        );
    }
}
