//! The decision surface: the network's output over two features as a
//! shaded heatmap (blue = class 0, white = undecided, orange = class 1, or a
//! sequential scale for regression), the 0.5 contour, and the customers on
//! top coloured by their true class.

use std::sync::Arc;

use eframe::egui::{self, Color32, ColorImage, TextureHandle, TextureOptions};
use egui_plot::{Legend, Plot, PlotImage, PlotPoint};

use super::PurchaseLabApp;
use super::point_cloud::{Marker, MeshCache, PointCloud, Series};
use crate::data::prep::{Dataset, Prepared};
use crate::data::table::{ColumnData, Table};
use crate::model::surface::Surface;

/// Colours of the two classes (TensorFlow Playground's, known to students).
pub const POSITIVE: Color32 = Color32::from_rgb(245, 147, 34);
pub const NEGATIVE: Color32 = Color32::from_rgb(8, 119, 189);
/// Texture side: the 100×100 grid upsampled so the contour line is smooth.
const TEXTURE_SIDE: usize = 300;

/// The heatmap texture, rebuilt only when a new surface arrives or the
/// display mode changes (never every frame).
#[derive(Default)]
pub struct SurfaceTexture {
    handle: Option<TextureHandle>,
    dirty: bool,
    discretized: bool,
}

impl SurfaceTexture {
    pub fn invalidate(&mut self) {
        self.dirty = true;
    }

    /// The texture last drawn, for the output node of the network diagram.
    pub fn id(&self) -> Option<egui::TextureId> {
        self.handle.as_ref().map(TextureHandle::id)
    }

    fn get(
        &mut self,
        ctx: &egui::Context,
        surface: &Surface,
        regression: bool,
        discretize: bool,
    ) -> &TextureHandle {
        if self.discretized != discretize {
            self.dirty = true;
            self.discretized = discretize;
        }
        let image = || render(surface, regression, discretize);
        match &mut self.handle {
            Some(handle) => {
                if self.dirty {
                    handle.set(image(), TextureOptions::LINEAR);
                }
            }
            None => {
                self.handle =
                    Some(ctx.load_texture("decision-surface", image(), TextureOptions::LINEAR));
            }
        }
        self.dirty = false;
        // Just set above when it was missing.
        self.handle.get_or_insert_with(|| {
            ctx.load_texture("decision-surface", image(), TextureOptions::LINEAR)
        })
    }
}

pub fn mix(a: Color32, b: Color32, t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    let l = |x: u8, y: u8| (f32::from(x) * (1.0 - t) + f32::from(y) * t).round() as u8;
    Color32::from_rgb(l(a.r(), b.r()), l(a.g(), b.g()), l(a.b(), b.b()))
}

/// Probability → colour: white at 0.5, towards the class colour with
/// confidence (kept light so the points on top stay visible).
pub fn probability_color(p: f32, discretize: bool) -> Color32 {
    let strength = if discretize {
        0.55
    } else {
        (p - 0.5).abs() * 2.0 * 0.75
    };
    let class = if p >= 0.5 { POSITIVE } else { NEGATIVE };
    mix(Color32::WHITE, class, strength)
}

fn value_color(t: f32) -> Color32 {
    // A light-to-dark sequential scale (cream → teal → deep blue).
    let stops = [
        Color32::from_rgb(255, 247, 220),
        Color32::from_rgb(94, 189, 170),
        Color32::from_rgb(37, 52, 148),
    ];
    let t = t.clamp(0.0, 1.0) * 2.0;
    if t <= 1.0 {
        mix(stops[0], stops[1], t)
    } else {
        mix(stops[1], stops[2], t - 1.0)
    }
}

fn render(surface: &Surface, regression: bool, discretize: bool) -> ColorImage {
    let side = TEXTURE_SIDE;
    let n = surface.resolution as f32;
    let (lo, hi) = surface
        .values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    // Bilinear upsampling, separable: each texture column (row) has fixed
    // neighbouring grid cells and weights, worked out once. Image row 0 is
    // the top of the plot, i.e. the largest y.
    let axis = |flip: bool| -> Vec<(usize, usize, f32)> {
        let last = (surface.resolution - 1) as f32;
        (0..side)
            .map(|p| {
                let p = if flip { side - 1 - p } else { p };
                let f = ((p as f32 + 0.5) / side as f32 * n - 0.5).clamp(0.0, last);
                let lo = f.floor() as usize;
                (lo, (lo + 1).min(surface.resolution - 1), f - lo as f32)
            })
            .collect()
    };
    let grid = surface.resolution;
    if grid < 2 || surface.values.len() != grid * grid {
        // Not a grid this view can draw (the engine never sends one).
        return ColorImage::new([side, side], vec![Color32::WHITE; side * side]);
    }
    let columns = axis(false);
    let rows = axis(true);
    let mut values: Vec<f32> = Vec::with_capacity(side * side);
    for &(y0, y1, ty) in &rows {
        let (top, bottom) = (&surface.values[y0 * grid..], &surface.values[y1 * grid..]);
        for &(x0, x1, tx) in &columns {
            let upper = top[x0] * (1.0 - tx) + top[x1] * tx;
            let lower = bottom[x0] * (1.0 - tx) + bottom[x1] * tx;
            values.push(upper * (1.0 - ty) + lower * ty);
        }
    }
    // A new surface arrives with nearly every epoch, so this runs often on
    // the UI thread: colours come from a table rather than being mixed per
    // pixel (1,024 steps are finer than the eye or 8-bit colour resolves).
    const STEPS: usize = 1024;
    let palette: Vec<Color32> = (0..STEPS)
        .map(|i| {
            let t = i as f32 / (STEPS - 1) as f32;
            if regression {
                value_color(t)
            } else {
                probability_color(t, discretize)
            }
        })
        .collect();
    let mut pixels: Vec<Color32> = values
        .iter()
        .map(|&v| {
            let t = if regression { (v - lo) / span } else { v };
            let step = t.clamp(0.0, 1.0) * (STEPS - 1) as f32;
            // Round away from 0.5, so a pixel's colour is always on the side
            // of the class it predicts (what "discretize" shows).
            let step = if regression {
                step.round()
            } else if v >= 0.5 {
                step.ceil()
            } else {
                step.floor()
            };
            // NaN casts to 0; out-of-range values were clamped.
            palette[(step as usize).min(STEPS - 1)]
        })
        .collect();
    if !regression {
        // The 0.5 contour: where a pixel and its right or lower neighbour
        // fall on different sides.
        let line = Color32::from_gray(60);
        for py in 0..side {
            for px in 0..side {
                let here = values[py * side + px] >= 0.5;
                let right = px + 1 < side && (values[py * side + px + 1] >= 0.5) != here;
                let below = py + 1 < side && (values[(py + 1) * side + px] >= 0.5) != here;
                if right || below {
                    pixels[py * side + px] = line;
                }
            }
        }
    }
    ColorImage::new([side, side], pixels)
}

/// The customers' positions, split by class, worked out once per data and
/// axis choice rather than every frame.
#[derive(Default)]
pub struct Scatter {
    key: Option<ScatterKey>,
    /// Training rows: (positive class, other class). For regression every
    /// row is in the first.
    train: [Series; 2],
    test: [Series; 2],
    meshes: MeshCache,
}

struct ScatterKey {
    table: Arc<Table>,
    prepared: Arc<Prepared>,
    x: String,
    y: String,
}

impl Scatter {
    fn update(&mut self, table: &Arc<Table>, prepared: &Arc<Prepared>, x: &str, y: &str) {
        let fresh = self.key.as_ref().is_some_and(|k| {
            Arc::ptr_eq(&k.table, table)
                && Arc::ptr_eq(&k.prepared, prepared)
                && k.x == x
                && k.y == y
        });
        if fresh {
            return;
        }
        let regression = prepared.pipeline.encoding.class_names().is_none();
        self.train = by_class(table, x, y, &prepared.train, regression);
        self.test = by_class(table, x, y, &prepared.test, regression);
        self.key = Some(ScatterKey {
            table: Arc::clone(table),
            prepared: Arc::clone(prepared),
            x: x.to_owned(),
            y: y.to_owned(),
        });
    }
}

/// The rows of a split as plot points in the features' own units,
/// (positive class, other class); all in the first for regression. Rows
/// missing either feature are left out.
fn by_class(table: &Table, x: &str, y: &str, side: &Dataset, regression: bool) -> [Series; 2] {
    let values = |name: &str| match table.column(name).map(|c| &c.data) {
        Some(ColumnData::Numeric(v)) => Some(v),
        _ => None,
    };
    let (Some(xs), Some(ys)) = (values(x), values(y)) else {
        return [Series::default(), Series::default()];
    };
    let mut classes: [Vec<PlotPoint>; 2] = [Vec::new(), Vec::new()];
    for (&row, &label) in side.source_rows.iter().zip(&side.y) {
        let (Some(&px), Some(&py)) = (xs.get(row), ys.get(row)) else {
            continue;
        };
        if px.is_nan() || py.is_nan() {
            continue;
        }
        let class = usize::from(!regression && label < 0.5);
        classes[class].push(PlotPoint::new(px, py));
    }
    classes.map(Series::new)
}

pub fn show(app: &mut PurchaseLabApp, ui: &mut egui::Ui) {
    let numeric = app.numeric_features();
    ui.horizontal(|ui| {
        ui.strong("Decision surface");
        if numeric.len() >= 2 {
            for (label, value) in [
                ("x", &mut app.settings.x_feature),
                ("y", &mut app.settings.y_feature),
            ] {
                egui::ComboBox::from_label(label)
                    .selected_text(value.as_str())
                    .show_ui(ui, |ui| {
                        for f in &numeric {
                            ui.selectable_value(value, f.clone(), f);
                        }
                    })
                    .response
                    .on_hover_text("Which feature runs along this axis");
            }
        }
        ui.checkbox(&mut app.settings.show_test_points, "test points")
            .on_hover_text("Also show the held-back test customers (hollow circles)");
        ui.checkbox(&mut app.settings.discretize, "discretize")
            .on_hover_text("Show only the predicted class, not how sure the network is");
        if ui
            .small_button("PNG…")
            .on_hover_text("Save the surface with its axes and legend as an image")
            .clicked()
        {
            app.open_dialog(super::background::Dialog::SavePng(
                super::export::PngView::Surface,
            ));
        }
    });
    let regression = app.settings.problem.as_ref().is_some_and(|p| p.regression);
    let (Some(surface), Some(table), Some(prepared)) = (
        app.run.surface.clone(),
        app.table.clone(),
        app.prepared.clone(),
    ) else {
        ui.centered_and_justified(|ui| {
            ui.weak(if numeric.len() < 2 {
                "The surface needs two numeric features: tick them in the data panel."
            } else {
                "Press Play (or Step) to train; the network's decisions appear here."
            });
        });
        return;
    };
    let texture = app
        .surface_texture
        .get(ui.ctx(), &surface, regression, app.settings.discretize)
        .id();
    let (x, y) = (&surface.x, &surface.y);
    let caption = if surface.held.is_empty() {
        String::new()
    } else {
        let held: Vec<String> = surface
            .held
            .iter()
            .map(|(c, v)| format!("{c} = {v}"))
            .collect();
        format!(
            "Other features held at their median / most frequent value: {}",
            held.join(", ")
        )
    };
    // The caption takes one line (the full list on hover), so the plot
    // keeps its size however many features are held.
    let plot_height =
        (ui.available_height() - if caption.is_empty() { 0.0 } else { 24.0 }).max(200.0);
    app.scatter
        .update(&table, &prepared, &x.feature, &y.feature);
    let scatter = &app.scatter;
    let show_test = app.settings.show_test_points;
    let sprites = app.sprites.texture(ui.ctx());
    let class_names = prepared
        .pipeline
        .encoding
        .class_names()
        .map(|(p, n)| (p.to_owned(), n))
        .unwrap_or_default();
    Plot::new("surface_plot")
        .height(plot_height)
        .x_axis_label(x.feature.clone())
        .y_axis_label(y.feature.clone())
        .legend(Legend::default())
        .allow_scroll(false)
        .show(ui, |plot| {
            let size = egui::vec2((x.max - x.min) as f32, (y.max - y.min) as f32);
            let center = PlotPoint::new((x.min + x.max) / 2.0, (y.min + y.max) / 2.0);
            plot.image(PlotImage::new("", texture, center, size));
            if regression {
                plot.add(
                    PointCloud::new(
                        "training customers",
                        scatter.train[0].clone(),
                        Marker::Disc,
                        sprites,
                        &scatter.meshes,
                    )
                    .color(Color32::from_gray(70))
                    .radius(2.0),
                );
                return;
            }
            for (class, name, color) in
                [(0, &class_names.0, POSITIVE), (1, &class_names.1, NEGATIVE)]
            {
                plot.add(
                    PointCloud::new(
                        format!("{name} (training)"),
                        scatter.train[class].clone(),
                        Marker::Disc,
                        sprites,
                        &scatter.meshes,
                    )
                    .color(color.gamma_multiply(0.95))
                    .radius(2.5),
                );
                if show_test {
                    plot.add(
                        PointCloud::new(
                            format!("{name} (test)"),
                            scatter.test[class].clone(),
                            Marker::Ring,
                            sprites,
                            &scatter.meshes,
                        )
                        .color(color)
                        .radius(3.5),
                    );
                }
            }
        });
    if !caption.is_empty() {
        let full = caption.replace(", ", "\n");
        ui.add(
            egui::Label::new(egui::RichText::new(caption).weak())
                .truncate()
                .show_tooltip_when_elided(false),
        )
        .on_hover_text(full);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::surface::Axis;

    fn surface(values: Vec<f32>, resolution: usize) -> Surface {
        let axis = |feature: &str| Axis {
            feature: feature.to_owned(),
            min: 0.0,
            max: 1.0,
        };
        Surface {
            x: axis("x"),
            y: axis("y"),
            resolution,
            values,
            units: Vec::new(),
            weights: Vec::new(),
            held: Vec::new(),
        }
    }

    #[test]
    fn discretized_colours_follow_the_predicted_class() {
        // Left column just below 0.5, right column exactly 0.5: the
        // boundary runs down the middle.
        let s = surface(vec![0.4999, 0.5, 0.4999, 0.5], 2);
        let image = render(&s, false, true);
        let side = TEXTURE_SIDE;
        let (left, right) = (
            image.pixels[side * 10 + 2],
            image.pixels[side * 10 + side - 3],
        );
        assert_eq!(left, probability_color(0.0, true));
        assert_eq!(right, probability_color(1.0, true));
    }

    #[test]
    fn contour_marks_the_half_way_line_and_rows_run_top_down() {
        // Bottom row (y = 0) confident "no", top row confident "yes".
        let s = surface(vec![0.0, 0.0, 1.0, 1.0], 2);
        let image = render(&s, false, false);
        let side = TEXTURE_SIDE;
        let top = image.pixels[side + side / 2];
        let bottom = image.pixels[(side - 2) * side + side / 2];
        assert_eq!(
            top,
            probability_color(1.0, false),
            "image row 0 is the largest y"
        );
        assert_eq!(bottom, probability_color(0.0, false));
        let line = Color32::from_gray(60);
        let column: Vec<Color32> = (0..side)
            .map(|r| image.pixels[r * side + side / 2])
            .collect();
        let marked = column.iter().filter(|&&c| c == line).count();
        assert_eq!(marked, 1, "one contour pixel per column");
        let row = column.iter().position(|&c| c == line).unwrap();
        assert!(
            row.abs_diff(side / 2) <= 1,
            "the contour is half way up: row {row}"
        );
    }

    #[test]
    fn a_grid_of_the_wrong_size_draws_blank_instead_of_panicking() {
        let image = render(&surface(vec![0.2; 3], 2), false, false);
        assert!(image.pixels.iter().all(|&p| p == Color32::WHITE));
    }
}
