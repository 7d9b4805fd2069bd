//! The five Insights views, drawn from an [`InsightsReport`]: every plot
//! with labelled axes and a legend, and the numbers beside it.

use eframe::egui::{self, Color32};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, Points, VLine, uniform_grid_spacer};

use super::PanelContext;
use super::command::AppCommand;
use super::format::short;
use super::insights_state::InsightsState;
use super::palette::{NEGATIVE, POSITIVE, VALID_CURVE};
use crate::insights::dependence::{Dependence, GridValue};
use crate::insights::export::InsightView;
use crate::insights::gains::Gains;
use crate::insights::importance::Importance;
use crate::insights::profit::ProfitCurve;

/// Height of each view's plot.
const PLOT_HEIGHT: f32 = 220.0;

/// Draws `view` of the state's report.
pub fn show(
    ui: &mut egui::Ui,
    cx: &mut PanelContext<'_>,
    state: &mut InsightsState,
    view: InsightView,
) {
    match view {
        InsightView::Gains => match state
            .shown
            .as_ref()
            .and_then(|s| Some((s.report.gains.as_ref()?, s.positive.as_str())))
        {
            Some((gains, positive)) => gains_view(ui, gains, positive),
            None => classification_only(ui),
        },
        InsightView::Profit => profit_view(ui, cx, state),
        InsightView::Calibration => calibration_view(ui, state),
        InsightView::Importance => {
            if let Some(shown) = &state.shown {
                importance_view(ui, &shown.report.importance, shown.report.metric);
            }
        }
        InsightView::Dependence => dependence_view(ui, cx, state),
    }
}

fn classification_only(ui: &mut egui::Ui) {
    ui.weak(
        "Gains, profit and calibration are for yes/no targets; this model predicts a quantity.",
    );
}

/// Cumulative gains with the random and perfect lines, and the decile
/// table with lift. `positive` names the positive class (`churn = Yes`).
fn gains_view(ui: &mut egui::Ui, gains: &Gains, positive: &str) {
    ui.label(format!(
        "Contacting customers from the highest score down: the share of the {} customers with {positive} (of {}) reached.",
        gains.buyers, gains.customers
    ));
    let reached = format!("share of {positive} reached");
    let model: Vec<[f64; 2]> = gains
        .curve
        .iter()
        .map(|p| [p.contacted, p.reached])
        .collect();
    let perfect: Vec<[f64; 2]> = gains.perfect_curve().iter().map(|&(x, y)| [x, y]).collect();
    unit_plot("insights_gains", "share of customers contacted", &reached).show(ui, |plot| {
        plot.line(Line::new("random", vec![[0.0, 0.0], [1.0, 1.0]]).color(Color32::GRAY));
        plot.line(
            Line::new("perfect", perfect)
                .color(NEGATIVE)
                .style(egui_plot::LineStyle::dashed_loose()),
        );
        plot.line(Line::new("model", model).color(POSITIVE).width(2.0));
    });
    egui::Grid::new("insights_deciles")
        .striped(true)
        .show(ui, |ui| {
            header_row(
                ui,
                &[
                    "decile",
                    "customers",
                    positive,
                    "response",
                    "lift",
                    "cum. gain",
                    "cum. lift",
                ],
            );
            for d in &gains.deciles {
                ui.label(d.decile.to_string());
                ui.monospace(d.customers.to_string());
                ui.monospace(format!("{:.1}", d.buyers));
                ui.monospace(format!("{:.3}", d.response_rate));
                ui.monospace(format!("{:.2}", d.lift));
                ui.monospace(format!("{:.3}", d.cumulative_gain));
                ui.monospace(format!("{:.2}", d.cumulative_lift));
                ui.end_row();
            }
        });
}

/// A plot over the unit square with fixed bounds.
fn unit_plot<'a>(id: &'a str, x: &'a str, y: &'a str) -> Plot<'a> {
    Plot::new(id)
        .height(PLOT_HEIGHT)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label(x)
        .y_axis_label(y)
        .default_x_bounds(-0.02, 1.02)
        .default_y_bounds(-0.02, 1.02)
        // Ticks every quarter: the default decimal spacing labels only 0
        // and 1 at this size.
        .x_grid_spacer(uniform_grid_spacer(|_| [0.05, 0.25, 0.5]))
        .y_grid_spacer(uniform_grid_spacer(|_| [0.05, 0.25, 0.5]))
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
}

/// The campaign's inputs, the profit over the threshold with its best
/// point, and the button that moves the threshold slider there.
fn profit_view(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, state: &mut InsightsState) {
    let positive = state_positive(state).to_owned();
    let e = &mut state.economics;
    egui::Grid::new("insights_economics").show(ui, |ui| {
        let input = |ui: &mut egui::Ui, name: &str, tip: String, v: &mut f64| {
            ui.label(name).on_hover_text(tip);
            ui.add(egui::DragValue::new(v).speed(1.0).range(0.0..=1e9));
            ui.end_row();
        };
        input(
            ui,
            "value of a positive reached",
            format!(
                "earned for each customer with {positive} contacted, e.g. a sale's or a retained customer's margin"
            ),
            &mut e.value_per_buyer,
        );
        input(
            ui,
            "cost of contacting",
            "paid for each customer contacted, whatever the outcome".to_owned(),
            &mut e.cost_per_contact,
        );
        input(
            ui,
            "cost of a missed positive",
            format!("lost for each customer with {positive} not contacted"),
            &mut e.cost_per_missed_buyer,
        );
    });
    let current = cx.settings.threshold;
    let Some(curve) = state.profit() else {
        classification_only(ui);
        return;
    };
    let best = curve.best_point();
    let threshold = curve.best_threshold();
    ui.label(format!(
        "best threshold {threshold:.3}: contact {} of {} customers, reach {} of the {} with {positive}, profit {}",
        best.contacted,
        curve.customers,
        best.reached,
        curve.buyers,
        short(best.profit)
    ));
    if ui
        .button(format!("Move the threshold slider to {threshold:.3}"))
        .on_hover_text(
            "Set the evaluation's threshold to the one that earns most on these customers",
        )
        .clicked()
    {
        cx.commands.push(AppCommand::SetThreshold(threshold));
    }
    profit_plot(ui, curve, current);
}

fn profit_plot(ui: &mut egui::Ui, curve: &ProfitCurve, current: f64) {
    // Contacting nobody sits at the right edge, above every score.
    let x = |t: Option<f32>| t.map_or(1.0, f64::from);
    let line: Vec<[f64; 2]> = curve
        .points
        .iter()
        .map(|p| [x(p.threshold), p.profit])
        .collect();
    let best = curve.best_point();
    Plot::new("insights_profit")
        .height(PLOT_HEIGHT)
        .legend(Legend::default().position(egui_plot::Corner::LeftBottom))
        .x_axis_label("threshold (contact customers scored at or above)")
        .y_axis_label("expected profit")
        .y_axis_min_width(48.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new("profit", line).color(POSITIVE).width(2.0));
            plot.vline(VLine::new("threshold slider", current).color(Color32::GRAY));
            plot.points(
                Points::new("best threshold", vec![[x(best.threshold), best.profit]])
                    .color(NEGATIVE)
                    .radius(5.0),
            );
        });
}

/// The reliability plot, the Brier score and the bins.
fn calibration_view(ui: &mut egui::Ui, state: &InsightsState) {
    let Some(r) = state
        .shown
        .as_ref()
        .and_then(|s| s.report.calibration.as_ref())
    else {
        classification_only(ui);
        return;
    };
    ui.label(format!(
        "Brier score {:.4} (0 is perfect, 0.25 a constant 0.5); expected calibration error {:.4}",
        r.brier, r.expected_calibration_error
    ));
    let points: Vec<[f64; 2]> = r
        .bins
        .iter()
        .map(|b| [b.mean_predicted, b.observed_rate])
        .collect();
    let observed = format!("observed share of {}", state_positive(state));
    unit_plot(
        "insights_calibration",
        "mean predicted probability",
        &observed,
    )
    .show(ui, |plot| {
        plot.line(
            Line::new("perfectly calibrated", vec![[0.0, 0.0], [1.0, 1.0]]).color(Color32::GRAY),
        );
        plot.line(
            Line::new("model", points.clone())
                .color(POSITIVE)
                .width(2.0),
        );
        plot.points(Points::new("model", points).color(POSITIVE).radius(3.5));
    });
    egui::Grid::new("insights_bins")
        .striped(true)
        .show(ui, |ui| {
            header_row(ui, &["scores", "customers", "predicted", "observed"]);
            for b in &r.bins {
                ui.label(format!("{:.1} to {:.1}", b.lower, b.upper));
                ui.monospace(b.customers.to_string());
                ui.monospace(format!("{:.3}", b.mean_predicted));
                ui.monospace(format!("{:.3}", b.observed_rate));
                ui.end_row();
            }
        });
}

/// Mean drop per column as bars, most important on top, with the spread
/// over the shuffles as whiskers.
fn importance_view(ui: &mut egui::Ui, imp: &Importance, metric: &str) {
    let metric = if metric == "auc" { "ROC AUC" } else { "RMSE" };
    ui.label(format!(
        "How much {metric} worsens when one column is shuffled among these customers ({metric} unshuffled: {}); about 0: the model ignores the column.",
        short(imp.baseline)
    ));
    let n = imp.features.len();
    // Row i from the top sits at y = n - 1 - i.
    let y = |i: usize| (n - 1 - i) as f64;
    let bars: Vec<Bar> = imp
        .features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Bar::new(y(i), f.mean)
                .name(&f.column)
                .width(0.6)
                .horizontal()
        })
        .collect();
    let names: Vec<String> = imp.features.iter().map(|f| f.column.clone()).collect();
    Plot::new("insights_importance")
        .height((28.0 * n as f32 + 60.0).clamp(120.0, 420.0))
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label(format!("drop in {metric}"))
        .y_axis_label("column")
        .y_axis_min_width(90.0)
        .y_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            names
                .get(n.wrapping_sub(1 + i as usize))
                .cloned()
                .unwrap_or_default()
        })
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("mean drop", bars).color(POSITIVE));
            for (i, f) in imp.features.iter().enumerate() {
                plot.line(
                    Line::new(
                        "spread (mean ± 1 std)",
                        vec![[f.mean - f.std, y(i)], [f.mean + f.std, y(i)]],
                    )
                    .color(NEGATIVE)
                    .width(2.0),
                );
            }
        });
    egui::Grid::new("insights_importance_table")
        .striped(true)
        .show(ui, |ui| {
            header_row(ui, &["column", "mean drop", "std"]);
            for f in &imp.features {
                ui.label(f.column.as_str());
                ui.monospace(format!("{:.4}", f.mean));
                ui.monospace(format!("{:.4}", f.std));
                ui.end_row();
            }
        });
}

/// The feature's choice, then the average curve over the individual ones.
fn dependence_view(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, state: &mut InsightsState) {
    let Some(shown) = &state.shown else {
        return;
    };
    let columns: Vec<String> = shown
        .report
        .importance
        .features
        .iter()
        .map(|f| f.column.clone())
        .collect();
    let current = shown.report.dependence.as_ref().map(|d| d.feature.clone());
    let mut chosen = current.clone();
    egui::ComboBox::from_label("feature")
        .selected_text(chosen.clone().unwrap_or_default())
        .show_ui(ui, |ui| {
            for c in &columns {
                ui.selectable_value(&mut chosen, Some(c.clone()), c.as_str());
            }
        });
    if chosen != current {
        state.feature = chosen;
        cx.commands.push(AppCommand::RefreshInsights);
    }
    let Some(shown) = &state.shown else {
        return;
    };
    let Some(d) = &shown.report.dependence else {
        ui.weak("No column to vary.");
        return;
    };
    let probability = shown.report.metric == "auc";
    let y_label = if probability {
        "predicted probability".to_owned()
    } else {
        "predicted value".to_owned()
    };
    dependence_plot(ui, d, &y_label);
}

fn dependence_plot(ui: &mut egui::Ui, d: &Dependence, y_label: &str) {
    ui.label(format!(
        "The score as `{}` varies, everything else as it was: one thin curve per customer ({} drawn), their average in bold.",
        d.feature,
        d.individual.len()
    ));
    let levels: Vec<String> = d.grid.iter().map(ToString::to_string).collect();
    let numeric = d.grid.iter().all(|g| matches!(g, GridValue::Number(_)));
    let xs: Vec<f64> = d
        .grid
        .iter()
        .enumerate()
        .map(|(i, g)| match g {
            GridValue::Number(v) if numeric => *v,
            _ => i as f64,
        })
        .collect();
    let curve =
        |ys: &[f64]| -> Vec<[f64; 2]> { xs.iter().zip(ys).map(|(&x, &y)| [x, y]).collect() };
    let mut plot = Plot::new("insights_dependence")
        .height(PLOT_HEIGHT)
        .legend(Legend::default().position(egui_plot::Corner::LeftTop))
        .x_axis_label(d.feature.clone())
        .y_axis_label(y_label.to_owned())
        .y_axis_min_width(40.0)
        .allow_scroll(false);
    if !numeric {
        plot = plot.x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            levels.get(i as usize).cloned().unwrap_or_default()
        });
    }
    plot.show(ui, |plot| {
        let faint = Color32::from_gray(150).gamma_multiply(0.5);
        for ys in &d.individual {
            plot.line(
                Line::new("individual customers (ICE)", curve(ys))
                    .color(faint)
                    .width(1.0),
            );
        }
        plot.line(
            Line::new("partial dependence (average)", curve(&d.average))
                .color(VALID_CURVE)
                .width(3.0),
        );
    });
}

/// A table's header: bold column names, then the next row.
/// The shown report's positive class in the data's words.
fn state_positive(state: &InsightsState) -> &str {
    state
        .shown
        .as_ref()
        .map_or("the positive label", |s| s.positive.as_str())
}

fn header_row(ui: &mut egui::Ui, names: &[&str]) {
    for name in names {
        ui.strong(*name);
    }
    ui.end_row();
}
