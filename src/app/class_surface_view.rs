//! The decision surface of a multi-class network: each region in the
//! colour of its most probable class, faded where the network is unsure,
//! the class boundaries drawn ([`super::class_render`]), and the customers
//! on top coloured by their true class (training as discs, test as rings
//! when shown). The texture and the points are rebuilt only when a new
//! surface, data or axis choice arrives.

use std::sync::Arc;

use eframe::egui::{self, TextureHandle, TextureOptions};
use egui_plot::{MarkerShape, PlotImage, Points};

use super::class_render::{class_color, render_classes};
use super::surface_view::{image_placement, surface_plot};
use crate::data::prep::{Dataset, Prepared};
use crate::data::table::{ColumnData, Table};
use crate::model::surface::Surface;

/// The texture and the customers' points by class, with what they were
/// made from.
#[derive(Default)]
pub struct ClassSurface {
    texture: Option<TextureHandle>,
    surface: Option<Arc<Surface>>,
    points: Option<ClassPoints>,
}

struct ClassPoints {
    table: Arc<Table>,
    prepared: Arc<Prepared>,
    axes: (String, String),
    /// `[training, test]`, each one list of points per class.
    sides: [Vec<Vec<[f64; 2]>>; 2],
}

/// What the view draws from: the surface, the table, the prepared rows,
/// the class names and whether the test customers are shown.
pub struct ClassScene<'a> {
    pub surface: &'a Arc<Surface>,
    pub table: &'a Arc<Table>,
    pub prepared: &'a Arc<Prepared>,
    pub classes: &'a [String],
    pub show_test: bool,
    pub height: f32,
}

impl<'a> ClassScene<'a> {
    /// The scene of a multi-class model's surface (plot `height` points,
    /// test customers when `show_test`); `None` for other models.
    pub fn of(
        surface: &'a Arc<Surface>,
        table: &'a Arc<Table>,
        prepared: &'a Arc<Prepared>,
        show_test: bool,
        height: f32,
    ) -> Option<ClassScene<'a>> {
        let classes = prepared.pipeline.encoding.classes()?;
        Some(ClassScene {
            surface,
            table,
            prepared,
            classes,
            show_test,
            height,
        })
    }
}

impl ClassSurface {
    /// Draws the plot; returns its response's rect (for PNG export).
    pub fn show(&mut self, ui: &mut egui::Ui, scene: &ClassScene<'_>) -> egui::Rect {
        let surface = scene.surface;
        let k = scene.classes.len();
        if !self
            .surface
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, surface))
        {
            let image = render_classes(surface, k);
            match &mut self.texture {
                Some(handle) => handle.set(image, TextureOptions::LINEAR),
                None => {
                    self.texture = Some(ui.ctx().load_texture(
                        "class-surface",
                        image,
                        TextureOptions::LINEAR,
                    ));
                }
            }
            self.surface = Some(Arc::clone(surface));
        }
        let axes = (surface.x.feature.clone(), surface.y.feature.clone());
        let fresh = self.points.as_ref().is_some_and(|p| {
            Arc::ptr_eq(&p.table, scene.table)
                && Arc::ptr_eq(&p.prepared, scene.prepared)
                && p.axes == axes
        });
        if !fresh {
            let side = |d: &Dataset| by_class(scene.table, &axes, d, k);
            let mut sides = [side(&scene.prepared.train), side(&scene.prepared.test)];
            // Past MAX_DOTS customers every k-th is drawn, as in the
            // yes/no surface: a million dots per frame would stall the UI.
            let total: usize = sides.iter().flatten().map(Vec::len).sum();
            let every = super::crowd::stride(total);
            if every > 1 {
                for list in sides.iter_mut().flatten() {
                    *list = list.iter().step_by(every).copied().collect();
                }
            }
            self.points = Some(ClassPoints {
                sides,
                table: Arc::clone(scene.table),
                prepared: Arc::clone(scene.prepared),
                axes,
            });
        }
        let texture = self.texture.as_ref().map(TextureHandle::id);
        let points = self.points.as_ref();
        surface_plot("class_surface_plot", scene.height, surface)
            .show(ui, |plot| {
                let (center, size) = image_placement(surface);
                if let Some(texture) = texture {
                    plot.image(PlotImage::new("", texture, center, size));
                }
                let Some(points) = points else {
                    return;
                };
                for (c, name) in scene.classes.iter().enumerate() {
                    let color = class_color(c);
                    let train = points.sides[0].get(c).cloned().unwrap_or_default();
                    plot.points(
                        Points::new(format!("{name} (training)"), train)
                            .color(color)
                            .radius(2.5)
                            .filled(true)
                            .shape(MarkerShape::Circle),
                    );
                    if scene.show_test {
                        let test = points.sides[1].get(c).cloned().unwrap_or_default();
                        plot.points(
                            Points::new(format!("{name} (test)"), test)
                                .color(color)
                                .radius(3.5)
                                .filled(false)
                                .shape(MarkerShape::Circle),
                        );
                    }
                }
            })
            .response
            .rect
    }
}

/// The rows of a split as plot points in the features' own units, one
/// list per class (`y` holds class indices); rows missing either feature
/// are left out.
fn by_class(
    table: &Table,
    (x, y): &(String, String),
    side: &Dataset,
    k: usize,
) -> Vec<Vec<[f64; 2]>> {
    let mut classes = vec![Vec::new(); k];
    let values = |name: &str| match table.column(name).map(|c| &c.data) {
        Some(ColumnData::Numeric(v)) => Some(v),
        _ => None,
    };
    let (Some(xs), Some(ys)) = (values(x), values(y)) else {
        return classes;
    };
    for (&row, &label) in side.source_rows.iter().zip(&side.y) {
        let (Some(&px), Some(&py)) = (xs.get(row), ys.get(row)) else {
            continue;
        };
        if px.is_nan() || py.is_nan() {
            continue;
        }
        if let Some(list) = classes.get_mut(label as usize) {
            list.push([px, py]);
        }
    }
    classes
}
