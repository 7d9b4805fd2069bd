//! The decision surface: the network's output over two features as a
//! shaded heatmap (blue = class 0, white = undecided, orange = class 1, or a
//! sequential scale for regression), the 0.5 contour, and the customers on
//! top coloured by their true class.

use eframe::egui::{self, Color32, ColorImage, TextureHandle, TextureOptions};
use egui_plot::{Legend, MarkerShape, Plot, PlotImage, PlotPoint, Points};

use super::PurchaseLabApp;
use crate::data::prep::Dataset;
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

/// Bilinear sample of the grid at fractional cell coordinates.
fn sample(surface: &Surface, fx: f32, fy: f32) -> f32 {
    let n = surface.resolution;
    let clamp = |v: f32| v.clamp(0.0, (n - 1) as f32);
    let (fx, fy) = (clamp(fx), clamp(fy));
    let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(n - 1), (y0 + 1).min(n - 1));
    let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
    let v = |x: usize, y: usize| surface.values[y * n + x];
    let top = v(x0, y0) * (1.0 - tx) + v(x1, y0) * tx;
    let bottom = v(x0, y1) * (1.0 - tx) + v(x1, y1) * tx;
    top * (1.0 - ty) + bottom * ty
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
    // Cell-centre coordinates of each texture pixel; image row 0 is the top
    // of the plot, i.e. the largest y.
    let values: Vec<f32> = (0..side * side)
        .map(|i| {
            let (px, py) = (i % side, i / side);
            let fx = (px as f32 + 0.5) / side as f32 * n - 0.5;
            let fy = (side - 1 - py) as f32 / side as f32 * n + 0.5 / side as f32 * n - 0.5;
            sample(surface, fx, fy)
        })
        .collect();
    let mut pixels: Vec<Color32> = values
        .iter()
        .map(|&v| {
            if regression {
                value_color((v - lo) / span)
            } else {
                probability_color(v, discretize)
            }
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

/// `(x, y, positive)` of each row of a split, in the features' own units.
fn points(table: &Table, x: &str, y: &str, side: &Dataset) -> Vec<(f64, f64, f32)> {
    let values = |name: &str| match table.column(name).map(|c| &c.data) {
        Some(ColumnData::Numeric(v)) => Some(v),
        _ => None,
    };
    let (Some(xs), Some(ys)) = (values(x), values(y)) else {
        return Vec::new();
    };
    side.source_rows
        .iter()
        .zip(&side.y)
        .filter(|(r, _)| !xs[**r].is_nan() && !ys[**r].is_nan())
        .map(|(&r, &label)| (xs[r], ys[r], label))
        .collect()
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
    let train_points = points(&table, &x.feature, &y.feature, &prepared.train);
    let test_points = if app.settings.show_test_points {
        points(&table, &x.feature, &y.feature, &prepared.test)
    } else {
        Vec::new()
    };
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
            let series = |pts: &[(f64, f64, f32)], positive: bool| -> Vec<[f64; 2]> {
                pts.iter()
                    .filter(|p| regression || (p.2 >= 0.5) == positive)
                    .map(|p| [p.0, p.1])
                    .collect()
            };
            if regression {
                plot.points(
                    Points::new("training customers", series(&train_points, true))
                        .color(Color32::from_gray(70))
                        .radius(2.0),
                );
            } else {
                for (positive, name, color) in [
                    (true, &class_names.0, POSITIVE),
                    (false, &class_names.1, NEGATIVE),
                ] {
                    plot.points(
                        Points::new(
                            format!("{name} (training)"),
                            series(&train_points, positive),
                        )
                        .color(color.gamma_multiply(0.95))
                        .shape(MarkerShape::Circle)
                        .filled(true)
                        .radius(2.5),
                    );
                    if !test_points.is_empty() {
                        plot.points(
                            Points::new(format!("{name} (test)"), series(&test_points, positive))
                                .color(color)
                                .shape(MarkerShape::Circle)
                                .filled(false)
                                .radius(3.5),
                        );
                    }
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
