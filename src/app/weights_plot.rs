//! The "Weights" window: how each layer's weights spread out over the
//! epochs, as quantile bands (5 to 95 and 25 to 75 percent, shaded) around
//! the median, one colour per layer, from the run's
//! [`WeightHistory`](super::weight_history::WeightHistory).
//! Opened from the network diagram's header; whether it is open is view
//! state kept in egui's memory.

use eframe::egui;
use egui_plot::{FilledArea, Line, Plot};

use super::curves::small_legend;
use super::palette;
use super::training_link::RunView;
use super::weight_history::BandRow;

fn open_id() -> egui::Id {
    egui::Id::unique("weights-plot-open")
}

/// The diagram header's button that opens (or closes) the window.
pub fn toggle(ui: &mut egui::Ui) {
    let id = open_id();
    let open = ui.ctx().data(|d| d.get_temp::<bool>(id).unwrap_or(false));
    if ui
        .selectable_label(open, "weights plot")
        .on_hover_text("Each layer's weights over the epochs: the median with the middle half and the middle 90 % shaded, so you see them spread out (or die out) as the network learns")
        .clicked()
    {
        ui.ctx().data_mut(|d| d.insert_temp(id, !open));
    }
}

/// The window, when open.
pub fn show(ctx: &egui::Context, run: &RunView) {
    let id = open_id();
    let mut open = ctx.data(|d| d.get_temp::<bool>(id).unwrap_or(false));
    if !open {
        return;
    }
    egui::Window::new("Weights")
        .open(&mut open)
        .default_size([420.0, 280.0])
        .show(ctx, |ui| {
            let bands = run.weight_history.bands();
            if bands.is_empty() {
                ui.weak("The weights appear once the network has trained an epoch with a decision surface shown.");
                return;
            }
            ui.weak("Per layer: median line; shaded, the middle 50 % and 90 % of its weights");
            Plot::new("weights_plot")
                .legend(small_legend(egui_plot::Corner::RightTop))
                .x_axis_label("epoch")
                .y_axis_label("weight")
                .show(ui, |plot| {
                    for layer in 0..run.weight_history.n_layers() {
                        let name = layer_name(layer, run.weight_history.n_layers());
                        let colour = palette::RUNS[layer % palette::RUNS.len()];
                        let series = band_series(bands, layer);
                        plot.add(
                            FilledArea::new(&name, &series.epochs, &series.q[0], &series.q[4])
                                .fill_color(colour.gamma_multiply(0.15)),
                        );
                        plot.add(
                            FilledArea::new(&name, &series.epochs, &series.q[1], &series.q[3])
                                .fill_color(colour.gamma_multiply(0.3)),
                        );
                        let median: Vec<[f64; 2]> = series
                            .epochs
                            .iter()
                            .zip(&series.q[2])
                            .map(|(&e, &m)| [e, m])
                            .collect();
                        plot.line(Line::new(name, median).color(colour).width(1.5));
                    }
                });
        });
    ctx.data_mut(|d| d.insert_temp(id, open));
}

/// `layer 1`, …, and `output` for the last.
fn layer_name(layer: usize, n_layers: usize) -> String {
    if layer + 1 == n_layers {
        "output layer".to_owned()
    } else {
        format!("layer {}", layer + 1)
    }
}

/// One layer's quantiles as columns against the epochs (rows where the
/// layer is missing or not finite are left out).
#[derive(Debug, PartialEq)]
struct BandSeries {
    epochs: Vec<f64>,
    q: [Vec<f64>; 5],
}

fn band_series(bands: &[BandRow], layer: usize) -> BandSeries {
    let mut series = BandSeries {
        epochs: Vec::with_capacity(bands.len()),
        q: Default::default(),
    };
    for row in bands {
        let Some(q) = row
            .layers
            .get(layer)
            .filter(|q| q.iter().all(|v| v.is_finite()))
        else {
            continue;
        };
        series.epochs.push(row.epoch as f64);
        for (column, &v) in series.q.iter_mut().zip(q) {
            column.push(f64::from(v));
        }
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_layer_becomes_its_quantile_columns() {
        let bands = [
            BandRow {
                epoch: 1,
                layers: vec![[1.0, 2.0, 3.0, 4.0, 5.0], [0.0; 5]],
            },
            BandRow {
                epoch: 2,
                layers: vec![[f32::NAN; 5], [1.0; 5]],
            },
        ];
        let first = band_series(&bands, 0);
        assert_eq!(first.epochs, [1.0]);
        assert_eq!(first.q[2], [3.0]);
        assert_eq!(first.q[4], [5.0]);
        let output = band_series(&bands, 1);
        assert_eq!(output.epochs, [1.0, 2.0]);
        assert_eq!(output.q[0], [0.0, 1.0]);
        assert!(band_series(&bands, 2).epochs.is_empty());
        assert_eq!(layer_name(0, 2), "layer 1");
        assert_eq!(layer_name(1, 2), "output layer");
    }
}
