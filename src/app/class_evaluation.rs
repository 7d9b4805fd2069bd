//! The evaluation of a multi-class network: the headline figures, the N×N
//! confusion matrix (counts and each row's share), precision, recall and F1
//! per class with the macro and weighted averages, and one one-vs-rest ROC
//! curve per class with its AUC and the macro AUC. There is no threshold:
//! each customer is predicted the most probable class.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Legend, Line, Plot, PlotBounds};

use super::class_render::class_color;
use crate::model::MulticlassMetrics;

/// Most points drawn per ROC curve (every k-th past it, ends kept).
const MAX_ROC_POINTS: usize = 500;

/// The view; returns the ROC plot's bounds.
pub fn show(ui: &mut egui::Ui, m: &MulticlassMetrics) -> PlotBounds {
    let auc = |a: Option<f64>| a.map_or_else(|| "n/a".to_owned(), |a| format!("{a:.3}"));
    ui.label(format!(
        "accuracy {:.3}   log loss {:.3}   macro F1 {:.3}   macro AUC {}",
        m.accuracy,
        m.log_loss,
        m.macro_avg.f1,
        auc(m.macro_auc)
    ))
    .on_hover_text("Each customer is predicted the class with the highest probability; macro figures are the plain mean over classes, so a small class counts as much as a large one");
    // The tables scroll sideways in a narrow panel (with many classes)
    // rather than widen it past the window's edge.
    egui::ScrollArea::horizontal()
        .id_salt("class_tables")
        .show(ui, |ui| {
            confusion(ui, m);
            per_class(ui, m);
        });
    roc_plot(ui, m)
}

/// The what-if answer of a multi-class model: every class's probability as
/// a bar in the class's colour, the most probable class named first.
pub fn probability_bars(ui: &mut egui::Ui, classes: &[String], probabilities: &[f32]) {
    let best = crate::model::metrics::multiclass::argmax(probabilities);
    if let (Some(name), Some(p)) = (classes.get(best), probabilities.get(best)) {
        ui.horizontal(|ui| {
            ui.heading(format!("{:.0}%", p * 100.0));
            ui.label(format!("predicted `{name}`"));
        });
    }
    egui::Grid::new("what_if_classes")
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            for (c, (name, &p)) in classes.iter().zip(probabilities).enumerate() {
                ui.label(RichText::new(name).color(class_color(c)));
                ui.add(
                    egui::ProgressBar::new(p.clamp(0.0, 1.0))
                        .fill(class_color(c))
                        .desired_height(8.0)
                        // Narrow: name, bar and share fit the results
                        // panel's narrowest width (270 points).
                        .desired_width(110.0),
                );
                ui.label(format!("{:.1}%", p * 100.0));
                ui.end_row();
            }
        });
}

/// Rows are the true class, columns the predicted one; each cell its count
/// and its share of the row (the row's recall on the diagonal).
fn confusion(ui: &mut egui::Ui, m: &MulticlassMetrics) {
    ui.label(RichText::new("confusion (rows actual, columns predicted)").small());
    let shares = m.row_shares();
    egui::Grid::new("class_confusion")
        .striped(true)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            for (c, name) in m.classes.iter().enumerate() {
                ui.label(RichText::new(name).color(class_color(c)).strong());
            }
            ui.end_row();
            for (r, (name, row)) in m.classes.iter().zip(&m.confusion).enumerate() {
                ui.label(RichText::new(name).color(class_color(r)).strong());
                for (c, &count) in row.iter().enumerate() {
                    let text = format!("{count} ({:.0}%)", 100.0 * shares[r][c]);
                    let text = if r == c {
                        RichText::new(text).strong()
                    } else {
                        RichText::new(text)
                    };
                    ui.label(text);
                }
                ui.end_row();
            }
        });
}

/// Precision, recall, F1, support and one-vs-rest AUC per class, then the
/// macro and weighted averages.
fn per_class(ui: &mut egui::Ui, m: &MulticlassMetrics) {
    egui::Grid::new("class_figures")
        .striped(true)
        .spacing([8.0, 2.0])
        .show(ui, |ui| {
            for head in ["class", "precision", "recall", "F1", "support", "AUC"] {
                ui.label(RichText::new(head).small());
            }
            ui.end_row();
            for (c, (name, f)) in m.classes.iter().zip(&m.per_class).enumerate() {
                ui.label(RichText::new(name).color(class_color(c)));
                ui.label(format!("{:.3}", f.precision));
                ui.label(format!("{:.3}", f.recall));
                ui.label(format!("{:.3}", f.f1));
                ui.label(f.support.to_string());
                ui.label(
                    f.auc
                        .map_or_else(|| "n/a".to_owned(), |a| format!("{a:.3}")),
                );
                ui.end_row();
            }
            let support: u64 = m.per_class.iter().map(|f| f.support).sum();
            for (name, avg, auc) in [
                ("macro avg", m.macro_avg, m.macro_auc),
                ("weighted avg", m.weighted_avg, None),
            ] {
                ui.label(RichText::new(name).strong());
                ui.label(format!("{:.3}", avg.precision));
                ui.label(format!("{:.3}", avg.recall));
                ui.label(format!("{:.3}", avg.f1));
                ui.label(support.to_string());
                ui.label(auc.map_or_else(String::new, |a| format!("{a:.3}")));
                ui.end_row();
            }
        });
}

/// One ROC curve per class (that class against all others), in the
/// class's colour, with the diagonal of guessing.
fn roc_plot(ui: &mut egui::Ui, m: &MulticlassMetrics) -> PlotBounds {
    *Plot::new("class_roc_plot")
        .height(170.0)
        .legend(Legend::default().position(egui_plot::Corner::RightBottom))
        .x_axis_label("false positive rate (one-vs-rest)")
        .y_axis_label("true positive rate")
        .default_x_bounds(-0.02, 1.02)
        .default_y_bounds(-0.02, 1.02)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .show(ui, |plot| {
            plot.line(Line::new("guessing", vec![[0.0, 0.0], [1.0, 1.0]]).color(Color32::GRAY));
            for (c, (name, f)) in m.classes.iter().zip(&m.per_class).enumerate() {
                let Some(auc) = f.auc else {
                    continue;
                };
                let step = f.roc.len().div_ceil(MAX_ROC_POINTS).max(1);
                let mut points: Vec<[f64; 2]> =
                    f.roc.iter().step_by(step).map(|&(x, y)| [x, y]).collect();
                if let Some(&(x, y)) = f.roc.last() {
                    points.push([x, y]);
                }
                plot.line(
                    Line::new(format!("{name} (AUC {auc:.3})"), points)
                        .color(class_color(c))
                        .width(2.0),
                );
            }
        })
        .transform
        .bounds()
}
