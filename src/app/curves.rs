//! Loss and quality per epoch, growing live.

use eframe::egui;
use egui_plot::{Corner, Legend, Line, Plot};

use super::palette::{TRAIN_CURVE as TRAIN_COLOR, VALID_CURVE as VALID_COLOR};
use super::{AppCommand, PanelContext};

pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    ui.horizontal_wrapped(|ui| {
        // Regression: the mean squared error in the target's units.
        match cx.settings.problem.as_ref().filter(|p| p.regression) {
            Some(p) => ui.strong(format!("Loss (MSE, {} squared)", p.target)),
            None => ui.strong("Loss (cross-entropy)"),
        };
        let log = ui.checkbox(&mut cx.settings.log_loss, "log scale");
        super::tips::beside(
            log,
            super::tips::Side::Above,
            "Show log10 of the loss, to see small improvements late in training",
        );
        if ui
            .small_button("PNG…")
            .on_hover_text("Save both curves with their axes and legends as an image")
            .clicked()
        {
            cx.commands
                .push(AppCommand::OpenDialog(super::background::Dialog::SavePng(
                    super::export::PngView::Curves,
                )));
        }
    });
    let history = &cx.run.history;
    let log = cx.settings.log_loss;
    let tf = |v: f64| if log { v.max(1e-12).log10() } else { v };
    let train: Vec<[f64; 2]> = history
        .iter()
        .map(|r| [r.epoch as f64, tf(r.train_loss)])
        .collect();
    let valid: Vec<[f64; 2]> = history
        .iter()
        .map(|r| [r.epoch as f64, tf(r.valid_loss)])
        .collect();
    Plot::new("loss_plot")
        .height(150.0)
        .legend(small_legend(Corner::RightTop))
        .x_axis_label(cx.run.unit().name())
        .y_axis_label(if log { "log10 loss" } else { "loss" })
        .y_axis_min_width(40.0)
        .allow_scroll(false)
        .show(ui, |plot| {
            plot.line(Line::new("training", train).color(TRAIN_COLOR).width(2.0));
            plot.line(Line::new("validation", valid).color(VALID_COLOR).width(2.0));
        })
        .response
        .on_hover_text("Training loss falls as the network fits its rows; when validation loss turns up while training loss still falls, the network is overfitting");

    // Accuracy, or RMSE for regression, on the validation rows (and on the
    // test rows for the epochs the user watched them).
    let headline = history
        .first()
        .map_or("accuracy", |r| r.metrics.headline().0);
    let name = format!("{headline} (validation rows)");
    let values: Vec<[f64; 2]> = history
        .iter()
        .map(|r| [r.epoch as f64, r.metrics.headline().1])
        .collect();
    let watched: Vec<[f64; 2]> = history
        .iter()
        .filter_map(|r| Some([r.epoch as f64, r.test_metrics.as_ref()?.headline().1]))
        .collect();
    // Errors are in the target's units (said in the title: the axis is
    // too short for it); room for their tick numbers.
    let regression = cx.settings.problem.as_ref().filter(|p| p.regression);
    ui.strong(regression.map_or_else(
        || name.clone(),
        |p| format!("{name}, in units of {}", p.target),
    ));
    let mut plot = Plot::new("quality_plot")
        .height(120.0)
        .x_axis_label(cx.run.unit().name())
        .y_axis_label(headline)
        .y_axis_min_width(40.0)
        .include_y(0.0)
        .allow_scroll(false);
    if headline == "accuracy" {
        plot = plot.include_y(1.0);
    }
    if !watched.is_empty() || !cx.run.baselines.is_empty() {
        // Bottom right: a rising metric leaves that corner empty.
        plot = plot.legend(small_legend(Corner::RightBottom));
    }
    plot.show(ui, |plot| {
        super::baseline_view::reference_lines(plot, cx.run);
        plot.line(
            Line::new(name.as_str(), values)
                .color(VALID_COLOR)
                .width(2.0),
        );
        if !watched.is_empty() {
            plot.line(
                Line::new("test rows (watched)", watched)
                    .color(TRAIN_COLOR)
                    .width(1.0),
            );
        }
    });
}

/// A legend in small type at `corner`: in a plot a hundred-odd points
/// tall (a side panel at 150 % zoom) the body-size legend covered most of
/// the curves.
pub fn small_legend(corner: Corner) -> Legend {
    Legend::default()
        .text_style(egui::TextStyle::Small)
        .position(corner)
}
