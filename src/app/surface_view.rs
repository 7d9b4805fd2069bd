//! The decision surface view: the network's output over two features as a
//! shaded heatmap (blue = class 0, white = undecided, orange = class 1, or a
//! sequential scale for regression), the 0.5 contour, and the customers on
//! top coloured by their true class. The pixels come from
//! [`super::surface_render`]; this file keeps the texture and draws the plot.

use std::sync::Arc;

use eframe::egui::{self, TextureHandle, TextureOptions};
use egui_plot::{Plot, PlotImage, PlotPoint};

use super::class_surface_view::ClassScene;
use super::crowd::{DensityLayer, PointStyle, dot_alpha, stride, thin};
use super::palette::{NEGATIVE, POSITIVE, REGRESSION_POINTS, probability_color, value_color};
use super::point_cloud::{Marker, MeshCache, PointCloud, Series};
use super::surface_render::render;
use super::view_cache::ViewCache;
use super::{AppCommand, PanelContext};
use crate::data::prep::{Dataset, Prepared};
use crate::data::table::{ColumnData, Table};
use crate::model::surface::Surface;

/// The least height the plot takes: small, so at 150 % zoom on a small
/// screen it shrinks rather than running over the network diagram below.
const MIN_PLOT_HEIGHT: f32 = 80.0;

/// The colour bar's width with its two end numbers (points).
const BAR_AND_ENDS: f32 = 230.0;

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
    /// The customers as a density layer, when the user chose it.
    density: DensityLayer,
    /// The dots drawn, [training, test] by class: every `stride`-th
    /// customer past [`super::crowd::MAX_DOTS`].
    dots: [[Series; 2]; 2],
    stride: usize,
}

struct ScatterKey {
    table: Arc<Table>,
    prepared: Arc<Prepared>,
    x: String,
    y: String,
}

impl Scatter {
    /// Customers on the plot: the training rows, and the test rows when
    /// shown (all of them, not only the dots drawn).
    fn customers(&self, with_test: bool) -> usize {
        let count = |side: &[Series; 2]| side.iter().map(Series::len).sum::<usize>();
        count(&self.train) + if with_test { count(&self.test) } else { 0 }
    }

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
        self.density.invalidate();
        self.train = by_class(table, x, y, &prepared.train, regression);
        self.test = by_class(table, x, y, &prepared.test, regression);
        let total: usize = self.train.iter().chain(&self.test).map(Series::len).sum();
        self.stride = stride(total);
        let every = self.stride;
        self.dots = [&self.train, &self.test].map(|side| {
            side.clone().map(|series| {
                if every > 1 {
                    Series::new(thin(series.points(), every))
                } else {
                    series
                }
            })
        });
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

pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, views: &mut ViewCache) {
    let numeric = cx.data.numeric_features(cx.settings);
    toolbar(ui, cx, &numeric);
    let regression = cx.settings.problem.as_ref().is_some_and(|p| p.regression);
    let (Some(surface), Some(table), Some(prepared)) = (
        cx.run.surface.clone(),
        cx.data.table().cloned(),
        cx.data.prepared().cloned(),
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
    let caption = held_caption(&surface);
    // The caption takes one line (the full list on hover), so the plot
    // keeps its size however many features are held.
    // The colour bar takes one line too.
    let line = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
    // One line to spare: the plot's axis labels may take a little more
    // than their share when zoomed.
    let lines = if caption.is_empty() { 2.0 } else { 3.0 };
    let plot_height = (ui.available_height() - lines * line).max(MIN_PLOT_HEIGHT);
    let show_test = cx.settings.show_test_points;
    if let Some(scene) = ClassScene::of(&surface, &table, &prepared, show_test, plot_height) {
        views.rects.surface_plot = Some(views.class_surface.show(ui, &scene));
        return caption_line(ui, caption);
    }
    let texture = views
        .surface_texture
        .get(ui.ctx(), &surface, regression, cx.settings.discretize)
        .id();
    let (x, y) = (&surface.x, &surface.y);
    views
        .scatter
        .update(&table, &prepared, &x.feature, &y.feature);
    let density = density_layer(
        ui.ctx(),
        cx.settings.points,
        views,
        &surface,
        regression,
        show_test,
    );
    let scatter = &views.scatter;
    let [train_dots, test_dots] = &scatter.dots;
    let (alpha, sampled) = dot_style(scatter, show_test);
    let sprites = views.sprites.texture(ui.ctx());
    let class_names = prepared
        .pipeline
        .encoding
        .class_names()
        .map(|(p, n)| (p.to_owned(), n))
        .unwrap_or_default();
    let plot = surface_plot("surface_plot", plot_height, &surface).show(ui, |plot| {
        let (center, size) = image_placement(&surface);
        plot.image(PlotImage::new("", texture, center, size));
        if let Some(density) = density {
            plot.image(PlotImage::new("customers (density)", density, center, size));
            return;
        }
        if regression {
            plot.add(
                PointCloud::new(
                    format!("training customers{sampled}"),
                    train_dots[0].clone(),
                    Marker::Disc,
                    sprites,
                    &scatter.meshes,
                )
                .color(REGRESSION_POINTS.gamma_multiply(alpha))
                .radius(2.0),
            );
            return;
        }
        for (class, name, color) in [(0, &class_names.0, POSITIVE), (1, &class_names.1, NEGATIVE)] {
            plot.add(
                PointCloud::new(
                    format!("{name} (training{sampled})"),
                    train_dots[class].clone(),
                    Marker::Disc,
                    sprites,
                    &scatter.meshes,
                )
                .color(color.gamma_multiply(0.95 * alpha))
                .radius(2.5),
            );
            if show_test {
                plot.add(
                    PointCloud::new(
                        format!("{name} (test{sampled})"),
                        test_dots[class].clone(),
                        Marker::Ring,
                        sprites,
                        &scatter.meshes,
                    )
                    .color(color.gamma_multiply(alpha))
                    .radius(3.5),
                );
            }
        }
    });
    views.rects.surface_plot = Some(plot.response.rect);
    colour_bar(
        ui,
        &surface,
        regression,
        &class_names.0,
        cx.settings.discretize,
    );
    caption_line(ui, caption);
}

/// The plot a surface is drawn in (yes/no, regression and multi-class
/// alike): axes named after the two features, the legend in the top right
/// corner, no scroll zoom (the panel scrolls). `height` in points.
pub(super) fn surface_plot(id: &str, height: f32, surface: &Surface) -> Plot<'static> {
    Plot::new(id)
        .height(height)
        .x_axis_label(surface.x.feature.clone())
        .y_axis_label(surface.y.feature.clone())
        .legend(super::curves::small_legend(egui_plot::Corner::RightTop))
        .allow_scroll(false)
}

/// Where a surface's texture goes on its plot: the centre of the grid and
/// its extent, in the features' units.
pub(super) fn image_placement(surface: &Surface) -> (PlotPoint, egui::Vec2) {
    let (x, y) = (&surface.x, &surface.y);
    let size = egui::vec2((x.max - x.min) as f32, (y.max - y.min) as f32);
    let center = PlotPoint::new((x.min + x.max) / 2.0, (y.min + y.max) / 2.0);
    (center, size)
}

/// The density layer's texture when `style` draws one for the customers
/// on the plot (`Auto` past 100,000 of them); `None` for dots.
fn density_layer(
    ctx: &egui::Context,
    style: PointStyle,
    views: &mut ViewCache,
    surface: &Surface,
    regression: bool,
    show_test: bool,
) -> Option<egui::TextureId> {
    let style = style.for_customers(views.scatter.customers(show_test));
    (style == PointStyle::Density)
        .then(|| density_texture(ctx, &mut views.scatter, surface, show_test, regression))
}

/// The dots' opacity (faint past a few thousand, so the heatmap shows)
/// and the legend's note when only every k-th customer is drawn.
fn dot_style(scatter: &Scatter, show_test: bool) -> (f32, String) {
    let [train_dots, test_dots] = &scatter.dots;
    let mut shown: usize = train_dots.iter().map(Series::len).sum();
    if show_test {
        shown += test_dots.iter().map(Series::len).sum::<usize>();
    }
    let sampled = if scatter.stride > 1 {
        format!(", 1 in {}", scatter.stride)
    } else {
        String::new()
    };
    (dot_alpha(shown), sampled)
}

/// The density layer's texture for the customers shown (training, and
/// test when ticked), over the surface's range, in the classes' colours.
fn density_texture(
    ctx: &egui::Context,
    scatter: &mut Scatter,
    surface: &Surface,
    with_test: bool,
    regression: bool,
) -> egui::TextureId {
    // Slices, not copies: this runs every frame (the texture is cached).
    let parts = |class: usize| -> Vec<&[PlotPoint]> {
        let mut parts = vec![scatter.train[class].points()];
        if with_test {
            parts.push(scatter.test[class].points());
        }
        parts
    };
    let (first, second) = (parts(0), parts(1));
    let colors = if regression {
        [REGRESSION_POINTS, REGRESSION_POINTS]
    } else {
        [POSITIVE, NEGATIVE]
    };
    let range = (
        (surface.x.min, surface.x.max),
        (surface.y.min, surface.y.max),
    );
    scatter
        .density
        .texture(ctx, [&first, &second], range, with_test, colors)
}

/// The view's title: what the shading shows.
fn title(regression: bool, target: Option<&str>) -> String {
    match (regression, target) {
        (true, Some(target)) => format!("Predicted {target}"),
        (true, None) => "Predicted value".to_owned(),
        (false, _) => "Decision surface".to_owned(),
    }
}

/// The shading's key, one line under the plot: the regression scale from
/// the surface's lowest to its highest prediction (in the target's units),
/// or the chance of the positive label from 0 to 1.
fn colour_bar(
    ui: &mut egui::Ui,
    surface: &Surface,
    regression: bool,
    positive: &str,
    discretize: bool,
) {
    let (lo, hi) = if regression {
        surface
            .values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    } else {
        (0.0, 1.0)
    };
    if !(lo.is_finite() && hi.is_finite()) {
        return;
    }
    let colour = |t: f32| {
        if regression {
            value_color(t)
        } else {
            probability_color(t, discretize)
        }
    };
    ui.horizontal(|ui| {
        // One line whatever the width (the plot's height counts on it):
        // the words give way to the bar and its two numbers.
        let words = if regression {
            "colour: predicted value".to_owned()
        } else {
            format!("colour: probability of `{positive}`")
        };
        ui.scope(|ui| {
            ui.set_max_width((ui.available_width() - BAR_AND_ENDS).max(40.0));
            ui.add(egui::Label::new(egui::RichText::new(words).weak()).truncate());
        });
        ui.label(super::format::short(f64::from(lo)));
        let (rect, _) = ui.allocate_exact_size(egui::vec2(140.0, 12.0), egui::Sense::hover());
        const STEPS: usize = 28;
        let width = rect.width() / STEPS as f32;
        for i in 0..STEPS {
            let t = (i as f32 + 0.5) / STEPS as f32;
            let cell = egui::Rect::from_min_size(
                rect.min + egui::vec2(i as f32 * width, 0.0),
                egui::vec2(width + 0.5, rect.height()),
            );
            ui.painter().rect_filled(cell, 0.0, colour(t));
        }
        ui.label(super::format::short(f64::from(hi)));
    });
}

/// The title, the x and y feature boxes (with two numeric features), the
/// display checkboxes and PNG….
fn toolbar(ui: &mut egui::Ui, cx: &mut PanelContext<'_>, numeric: &[String]) {
    use super::tips::{Side::Above, beside};
    let regression = cx.settings.problem.as_ref().is_some_and(|p| p.regression);
    // Wraps rather than pushing "discretize" and "PNG…" out of a narrow view.
    ui.horizontal_wrapped(|ui| {
        ui.strong(title(
            regression,
            cx.settings.problem.as_ref().map(|p| p.target.as_str()),
        ));
        if numeric.len() >= 2 {
            for (label, value) in [
                ("x", &mut cx.settings.x_feature),
                ("y", &mut cx.settings.y_feature),
            ] {
                let axis = egui::ComboBox::from_label(label)
                    .selected_text(value.as_str())
                    .show_ui(ui, |ui| {
                        for f in numeric {
                            ui.selectable_value(value, f.clone(), f);
                        }
                    })
                    .response;
                beside(axis, Above, "Which feature runs along this axis");
            }
        }
        // Tips above: the plot they are about is below.
        let test = ui.checkbox(&mut cx.settings.show_test_points, "test points");
        beside(
            test,
            Above,
            "Also show the held-back test customers (hollow circles)",
        );
        let customers = egui::ComboBox::from_label("customers")
            .selected_text(cx.settings.points.label())
            .show_ui(ui, |ui| {
                for style in PointStyle::ALL {
                    ui.selectable_value(&mut cx.settings.points, style, style.label());
                }
            })
            .response;
        beside(
            customers,
            Above,
            "auto: dots up to 100,000 customers, density past them; \
             dots: one per customer (fainter past 2,000 so the shading shows); \
             density: cells shaded by how many customers of each class they hold",
        );
        let discrete = ui.checkbox(&mut cx.settings.discretize, "discretize");
        beside(
            discrete,
            Above,
            "Show only the predicted class, not how sure the network is",
        );
        let png = ui.small_button("PNG…");
        if beside(
            png,
            Above,
            "Save the surface with its axes and legend as an image",
        )
        .clicked()
        {
            cx.commands
                .push(AppCommand::OpenDialog(super::background::Dialog::SavePng(
                    super::export::PngView::Surface,
                )));
        }
    });
}

/// Which values the features off the plot's axes are held at; empty when
/// there are none.
fn held_caption(surface: &Surface) -> String {
    if surface.held.is_empty() {
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
    }
}

/// The held values on one line, the full list on hover.
fn caption_line(ui: &mut egui::Ui, caption: String) {
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
