//! The baselines where the network is judged: their validation metric as
//! labelled horizontal reference lines on the metric curve, and rows in
//! the evaluation panel with a one-line answer to "does the network beat
//! them?". Shown only while a network is the run (trees are a baseline).

use eframe::egui;
use egui_plot::{HLine, LineStyle, PlotUi};

use super::RunView;
use super::format::short;
use super::palette::BASELINES;
use crate::model::Family;
use crate::model::run::Metrics;
use crate::tune::baseline::BaselineResult;

/// The baselines worth drawing beside this run: a network's, once any
/// arrived.
fn shown(run: &RunView) -> &[BaselineResult] {
    if run.family == Family::Network {
        &run.baselines
    } else {
        &[]
    }
}

/// A baseline's line label: `boosted trees (defaults): 0.8731`.
pub fn line_label(result: &BaselineResult) -> String {
    format!("{}: {}", result.name, short(result.valid.headline().1))
}

/// Below this width (points) the comparison is a list, not a grid.
const NARROW: f32 = 320.0;

/// One dashed horizontal line per baseline at its validation headline
/// (accuracy, or RMSE), in the legend under [`line_label`].
pub fn reference_lines(plot: &mut PlotUi<'_>, run: &RunView) {
    for (result, color) in shown(run).iter().zip(BASELINES.iter().cycle()) {
        plot.hline(
            HLine::new(line_label(result), result.valid.headline().1)
                .color(*color)
                .style(LineStyle::dashed_loose())
                .width(1.5),
        );
    }
}

/// Whether `network` beats `baseline` on their shared headline (accuracy
/// higher, RMSE lower).
fn beats(network: &Metrics, baseline: &Metrics) -> bool {
    let (name, mine) = network.headline();
    let theirs = baseline.headline().1;
    if name == "accuracy" {
        mine > theirs
    } else {
        mine < theirs
    }
}

/// The answer in words, for the network's latest validation metrics.
pub fn verdict(network: &Metrics, baselines: &[BaselineResult]) -> String {
    let (name, _) = network.headline();
    let beaten: Vec<&str> = baselines
        .iter()
        .filter(|b| beats(network, &b.valid))
        .map(|b| b.name)
        .collect();
    let unbeaten: Vec<&str> = baselines
        .iter()
        .filter(|b| !beats(network, &b.valid))
        .map(|b| b.name)
        .collect();
    match (beaten.is_empty(), unbeaten.is_empty()) {
        (_, true) => format!("The network beats every baseline on validation {name}."),
        (true, false) => format!("Not yet: every baseline beats the network on validation {name}."),
        (false, false) => format!(
            "The network beats {} but not {} on validation {name}.",
            beaten.join(" and "),
            unbeaten.join(" and ")
        ),
    }
}

/// The evaluation panel's baseline rows: each baseline's validation
/// headline and AUC (or MAE) beside the network's latest, and the verdict.
pub fn rows(ui: &mut egui::Ui, run: &RunView) {
    let baselines = shown(run);
    if run.family != Family::Network {
        return;
    }
    if let Some(error) = &run.baseline_error {
        ui.weak(format!("baselines: {error}"));
    }
    if baselines.is_empty() {
        return;
    }
    let network = run.history.last().map(|r| &r.metrics);
    // Accuracy at 0.5 for a yes/no target; a multi-class one predicts the
    // most probable class, with no threshold to name.
    let basis = match network {
        Some(Metrics::Multiclass(_)) => "validation rows, most probable class",
        _ => "validation rows, threshold 0.5",
    };
    ui.label(format!("Does the network beat simple models? ({basis})"));
    let mut rows: Vec<(String, &Metrics)> = baselines
        .iter()
        .map(|b| (b.name.to_owned(), &b.valid))
        .collect();
    if let Some(m) = network {
        let name = format!("this network ({} {})", run.unit().name(), run.epoch());
        rows.push((name, m));
    }
    if ui.available_width() < NARROW {
        // A narrow panel (150 % zoom on a small screen): a line per model
        // that wraps, since a grid's three columns would run past its edge.
        for (name, m) in &rows {
            let [a, b] = figures(m);
            ui.label(format!("{name}: {a}, {b}"));
        }
    } else {
        egui::Grid::new("baselines").striped(true).show(ui, |ui| {
            for (name, m) in &rows {
                ui.label(name.as_str());
                for figure in figures(m) {
                    ui.label(figure);
                }
                ui.end_row();
            }
        });
    }
    if let Some(m) = network {
        ui.strong(verdict(m, baselines));
    }
}

/// A model's two headline figures as the comparison shows them
/// (`accuracy 0.7893`, `auc n/a`).
fn figures(m: &Metrics) -> [String; 2] {
    let [(a, av), (b, bv)] = m.history_columns();
    [
        format!("{a} {}", short(av.unwrap_or(f64::NAN))),
        format!("{b} {}", bv.map_or_else(|| "n/a".to_owned(), short)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::ClassificationMetrics;

    fn accuracy(value: f64) -> Metrics {
        // A third of the rows right, or all: accuracy 1/3, 2/3 or 1.
        let (scores, labels): (Vec<f32>, Vec<f32>) = match value {
            v if v < 0.5 => (vec![0.9, 0.9, 0.9], vec![0.0, 0.0, 1.0]),
            v if v < 0.9 => (vec![0.9, 0.9, 0.1], vec![1.0, 0.0, 0.0]),
            _ => (vec![0.9, 0.1, 0.1], vec![1.0, 0.0, 0.0]),
        };
        Metrics::Classification(ClassificationMetrics::compute(&scores, &labels, 0.5).unwrap())
    }

    fn baseline(name: &'static str, value: f64) -> BaselineResult {
        BaselineResult {
            name,
            family: Family::Trees,
            units: 1,
            valid: accuracy(value),
        }
    }

    #[test]
    fn the_verdict_names_the_baselines_the_network_beats() {
        let both = [baseline("trees", 1.0), baseline("logistic", 0.3)];
        assert_eq!(
            verdict(&accuracy(0.6), &both),
            "The network beats logistic but not trees on validation accuracy."
        );
        assert!(verdict(&accuracy(1.0), &both[1..]).starts_with("The network beats every"));
        assert!(verdict(&accuracy(0.3), &both[..1]).starts_with("Not yet"));
        assert_eq!(
            line_label(&both[1]),
            format!("logistic: {}", short(1.0 / 3.0))
        );
    }
}
