//! The network diagram: inputs, hidden units and the output drawn from the
//! spec, each hidden unit showing what it has learned (its activation over
//! the same 2-D slice as the decision surface), links as thick as their
//! weight and coloured by sign. Wide layers show their strongest units.

use std::collections::HashMap;
use std::sync::Arc;

use eframe::egui::{self, Color32, ColorImage, Pos2, Rect, Stroke, TextureHandle, TextureOptions};

use super::PanelContext;
use super::palette::{INPUT_OFF_AXIS, NODE_OUTLINE, POSITIVE, signed_color};
use super::view_cache::ViewCache;
use crate::model::LayerWeights;
use crate::model::surface::{Surface, UNIT_RESOLUTION};

/// Side of a unit's thumbnail in the diagram (largest, smallest), and when
/// hovered: thumbnails shrink so up to [`WANTED`] units of a layer fit.
const NODE_MAX: f32 = 30.0;
const NODE_MIN: f32 = 14.0;
const WANTED: f32 = 8.0;
const HOVER_SIDE: f32 = 180.0;
const GAP: f32 = 4.0;
/// Room on the left for input names.
const LABEL_WIDTH: f32 = 120.0;
/// Room for a class's name right of a multi-class network's outputs.
const CLASS_LABEL_WIDTH: f32 = 70.0;
pub const HEIGHT: f32 = 250.0;

/// Thumbnails of the units on screen, rebuilt only when a new surface
/// arrives (never every frame).
#[derive(Default)]
pub struct UnitTextures {
    /// Each texture with the surface it was drawn from. Holding that `Arc`
    /// (rather than remembering its address) keeps a newer surface from
    /// being allocated at the same address and passing for the old one:
    /// surfaces arrive faster than frames, so addresses are reused quickly.
    textures: HashMap<(usize, usize), (Arc<Surface>, TextureHandle)>,
}

impl UnitTextures {
    fn get(
        &mut self,
        ctx: &egui::Context,
        surface: &Arc<Surface>,
        layer: usize,
        unit: usize,
    ) -> Option<egui::TextureId> {
        let values = surface.units.get(layer)?.get(unit)?;
        match self.textures.get_mut(&(layer, unit)) {
            Some((seen, _)) if Arc::ptr_eq(seen, surface) => {}
            Some((seen, handle)) => {
                handle.set(unit_image(values), TextureOptions::LINEAR);
                *seen = Arc::clone(surface);
            }
            None => {
                let handle = ctx.load_texture(
                    format!("unit-{layer}-{unit}"),
                    unit_image(values),
                    TextureOptions::LINEAR,
                );
                self.textures
                    .insert((layer, unit), (Arc::clone(surface), handle));
            }
        }
        self.textures.get(&(layer, unit)).map(|(_, h)| h.id())
    }
}

/// A unit's activation grid as an image: white where it is silent, orange
/// where it fires positively, blue negatively, scaled to its own range.
fn unit_image(values: &[f32]) -> ColorImage {
    let n = UNIT_RESOLUTION;
    let peak = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if peak > 0.0 { 1.0 / peak } else { 0.0 };
    let pixels = (0..n * n)
        .map(|i| {
            // Image row 0 is the top of the slice: the largest y.
            let (px, py) = (i % n, n - 1 - i / n);
            let v = values.get(py * n + px).copied().unwrap_or(0.0) * scale;
            if !v.is_finite() {
                Color32::GRAY
            } else {
                signed_color(v)
            }
        })
        .collect();
    ColorImage::new([n, n], pixels)
}

/// The units of one column of the diagram that are drawn.
pub struct Column {
    /// Indices of the drawn units, in their network order.
    pub shown: Vec<usize>,
    pub total: usize,
    /// Centre of each drawn unit.
    pub centres: Vec<Pos2>,
}

/// The `keep` most important of `n` units, in network order; all of them
/// when they fit. Importance is the summed magnitude of the weights leaving
/// a unit, times (for hidden units, when `activity` holds each unit's
/// activations over the surface's slice) its largest activation there: how
/// far it can move the next layer on this slice. A trained network leaves
/// most of a wide layer silent on any one slice (on telco 64-32, about 5 of
/// 64 units after 20 epochs), and those tell the user nothing.
fn strongest(
    n: usize,
    keep: usize,
    outgoing: Option<&LayerWeights>,
    activity: Option<&[Vec<f32>]>,
) -> Vec<usize> {
    if n <= keep {
        return (0..n).collect();
    }
    let activity = activity.filter(|a| a.len() == n);
    let importance = |u: usize| -> f32 {
        let weight: f32 = outgoing.map_or(0.0, |w| {
            (0..w.n_out)
                .map(|o| w.weights.get(o * w.n_in + u).map_or(0.0, |x| x.abs()))
                .sum()
        });
        let reach = activity.map_or(1.0, |a| {
            a[u].iter()
                .filter(|v| v.is_finite())
                .fold(0.0f32, |m, v| m.max(v.abs()))
        });
        weight * reach
    };
    let mut ranked: Vec<(usize, f32)> = (0..n).map(|u| (u, importance(u))).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut shown: Vec<usize> = ranked.into_iter().take(keep).map(|(u, _)| u).collect();
    shown.sort_unstable();
    shown
}

/// Weights that match the drawn architecture (those of a previous
/// network are ignored until the new one sends its own).
fn matching_weights<'a>(
    weights: Option<&'a [LayerWeights]>,
    sizes: &[usize],
) -> Option<&'a [LayerWeights]> {
    let weights = weights?;
    let fits = weights.len() + 1 == sizes.len()
        && weights
            .iter()
            .zip(sizes.windows(2))
            .all(|(w, pair)| w.n_in == pair[0] && w.n_out == pair[1]);
    fits.then_some(weights)
}

pub fn show(ui: &mut egui::Ui, cx: &PanelContext<'_>, views: &mut ViewCache) {
    views.links.clear();
    // Trees have no units to draw: their diagram is the gain per feature.
    if cx.run.family == crate::model::Family::Trees {
        super::importance_view::show(ui, cx);
        return;
    }
    let Some(prepared) = cx.data.prepared().cloned() else {
        ui.weak("The network diagram appears once the data is ready.");
        return;
    };
    let inputs = prepared.pipeline.feature_names();
    // A multi-class network has one output unit per class (its logit).
    let classes = prepared.pipeline.encoding.classes().map(<[String]>::to_vec);
    let hidden = cx.settings.spec.hidden.clone();
    let mut sizes = vec![inputs.len()];
    sizes.extend(&hidden);
    sizes.push(classes.as_ref().map_or(1, Vec::len));
    let surface = cx.run.surface.clone();
    let weights = matching_weights(cx.run.layer_weights(), &sizes);
    let units_ready = surface
        .as_ref()
        .is_some_and(|s| weights.is_some() && s.units.len() == hidden.len());

    header(ui, inputs.len(), &cx.settings.spec, classes.as_deref());

    let (rect, _) = ui.allocate_exact_size(
        // The panel starts at its default height and the user may drag it.
        // No more than the panel gives: a diagram taller than its panel
        // (capped at a share of the centre) would run over the surface.
        egui::vec2(ui.available_width(), ui.available_height().max(80.0)),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let n_columns = sizes.len();
    let geometry = Geometry::new(rect, n_columns, classes.is_some());
    let node = geometry.node;
    let columns = layout_columns(&geometry, &sizes, surface.as_deref(), weights);

    let links = super::network_links::draw(&painter, &columns, weights, node);

    let axes = [&cx.settings.x_feature, &cx.settings.y_feature];
    let text_color = ui.visuals().text_color();
    let hover = ui.ctx().pointer_hover_pos();
    let mut hovered: Option<(usize, usize, Rect)> = None;
    for (c, column) in columns.iter().enumerate() {
        for (&unit, &centre) in column.shown.iter().zip(&column.centres) {
            if c == 0 {
                let name = inputs.get(unit).map_or("", String::as_str);
                let on_axis = axes.iter().any(|a| a.as_str() == name);
                draw_input(&painter, centre, name, on_axis, text_color);
                continue;
            }
            let r = Rect::from_center_size(centre, egui::vec2(node, node));
            let class = classes
                .as_ref()
                .filter(|_| c == n_columns - 1)
                .and_then(|names| names.get(unit));
            if hover.is_some_and(|p| r.contains(p)) {
                hovered = Some((c, unit, r));
            }
            if let Some(name) = class {
                draw_class_output(&painter, r, unit, name, text_color);
                outline(&painter, r);
                continue;
            }
            let texture = if c == n_columns - 1 {
                views.surface_texture.id()
            } else if units_ready {
                surface
                    .as_ref()
                    .and_then(|s| views.unit_textures.get(ui.ctx(), s, c - 1, unit))
            } else {
                None
            };
            match texture {
                Some(id) => {
                    painter.image(
                        id,
                        r,
                        Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
                        Color32::WHITE,
                    );
                }
                None => {
                    painter.rect_filled(r, 3.0, ui.visuals().faint_bg_color);
                }
            }
            outline(&painter, r);
        }
        if column.total > column.shown.len() {
            painter.text(
                Pos2::new(geometry.column_x(c), rect.bottom() - 8.0),
                egui::Align2::CENTER_CENTER,
                format!("+{} more", column.total - column.shown.len()),
                egui::FontId::proportional(11.0),
                ui.visuals().weak_text_color(),
            );
        }
    }

    if let Some(hit) = hovered {
        let unit = if hit.0 < n_columns - 1 {
            Unit::Hidden
        } else {
            classes
                .as_ref()
                .and_then(|names| names.get(hit.1))
                .map_or(Unit::Output, |name| Unit::ClassOutput(name))
        };
        unit_tooltip(ui, hit, unit, views, surface.as_ref(), weights);
    } else if let Some(pointer) = hover.filter(|p| rect.contains(*p)) {
        use super::network_links::{hover_text, hovered, tooltip};
        if let Some(link) = hovered(&links, pointer) {
            let history = &cx.run.weight_history;
            let text = hover_text(&link, &inputs, n_columns - 1, weights, history);
            tooltip(ui, pointer, text);
        }
    }
    views.links = links;
}

/// The "Network" title with the layer sizes, and how to read the diagram
/// on hover.
fn header(
    ui: &mut egui::Ui,
    n_inputs: usize,
    spec: &crate::model::NetworkSpec,
    classes: Option<&[String]>,
) {
    let hidden = &spec.hidden;
    // Wrapped: at 150 % zoom the caption takes a second line rather than
    // run past the centre's edge.
    ui.horizontal_wrapped(|ui| {
        ui.strong("Network");
        super::weights_plot::toggle(ui);
        // Plain ASCII: the bundled font has no arrow glyphs.
        let activations = match spec.activations_label() {
            _ if hidden.is_empty() => String::new(),
            label if label.contains(',') => format!("; activations {label}"),
            label => format!("; activation {label}"),
        };
        let outputs = classes.map_or_else(
            || "1 output".to_owned(),
            |c| format!("{} outputs (one per class, softmax)", c.len()),
        );
        ui.weak(format!(
            "{} inputs, {}, {outputs}{activations}",
            n_inputs,
            if hidden.is_empty() {
                "no hidden layer (a linear model)".to_owned()
            } else {
                let widths: Vec<String> = hidden.iter().map(usize::to_string).collect();
                format!("hidden layers {}", widths.join("-"))
            }
        ))
        .on_hover_text(
            "Each square is a hidden neuron showing where, on the surface's two axes, \
             it fires (orange) or stays silent (white). Lines are weights: thicker means \
             stronger, orange adds to the next neuron, blue subtracts.",
        );
    });
}

/// Where the diagram's columns and their units go inside its rectangle.
struct Geometry {
    rect: Rect,
    /// Height for the units, above the "+N more" labels.
    usable: f32,
    /// Side of a unit's thumbnail.
    node: f32,
    /// How many units of a column fit.
    keep: usize,
    n_columns: usize,
    /// Room right of the output column (class names of a multi-class
    /// network).
    right_margin: f32,
}

impl Geometry {
    /// Thumbnails as large as lets [`WANTED`] units of a column fit in `rect`.
    fn new(rect: Rect, n_columns: usize, class_names: bool) -> Self {
        let usable = rect.height() - 18.0;
        let node = (usable / WANTED - GAP).clamp(NODE_MIN, NODE_MAX);
        let keep = ((usable / (node + GAP)).floor() as usize).max(2);
        let right_margin = if class_names {
            node + CLASS_LABEL_WIDTH
        } else {
            node
        };
        Self {
            rect,
            usable,
            node,
            keep,
            n_columns,
            right_margin,
        }
    }

    /// The x of the centres of column `c`'s units.
    fn column_x(&self, c: usize) -> f32 {
        let left = self.rect.left() + LABEL_WIDTH;
        let right = self.rect.right() - self.right_margin;
        left + (right - left) * c as f32 / (self.n_columns.saturating_sub(1).max(1)) as f32
    }
}

/// Which units of each layer (of `sizes`) are drawn, and where.
fn layout_columns(
    geometry: &Geometry,
    sizes: &[usize],
    surface: Option<&Surface>,
    weights: Option<&[LayerWeights]>,
) -> Vec<Column> {
    let Geometry {
        rect,
        usable,
        node,
        keep,
        ..
    } = *geometry;
    sizes
        .iter()
        .enumerate()
        .map(|(c, &n)| {
            let activity = c
                .checked_sub(1)
                .and_then(|layer| surface?.units.get(layer))
                .map(Vec::as_slice);
            let shown = strongest(n, keep, weights.and_then(|w| w.get(c)), activity);
            let span = shown.len() as f32 * (node + GAP) - GAP;
            let top = rect.top() + (usable - span) / 2.0 + node / 2.0;
            let centres = (0..shown.len())
                .map(|i| Pos2::new(geometry.column_x(c), top + i as f32 * (node + GAP)))
                .collect();
            Column {
                shown,
                total: n,
                centres,
            }
        })
        .collect()
}

/// A multi-class network's output unit `k`: a square in the class's
/// colour on the surface, its name to the right.
fn draw_class_output(painter: &egui::Painter, r: Rect, k: usize, name: &str, text_color: Color32) {
    painter.rect_filled(r, 3.0, super::class_render::class_color(k));
    let anchor = (
        r.right_center() + egui::vec2(6.0, 0.0),
        egui::Align2::LEFT_CENTER,
    );
    draw_label(painter, anchor, name, CLASS_LABEL_WIDTH - 8.0, text_color);
}

/// The outline every unit's square gets.
fn outline(painter: &egui::Painter, r: Rect) {
    painter.rect_stroke(
        r,
        2.0,
        Stroke::new(1.0, NODE_OUTLINE),
        egui::StrokeKind::Outside,
    );
}

/// An input: a small square (orange when it is one of the surface's axes)
/// with its name on the left.
fn draw_input(
    painter: &egui::Painter,
    centre: Pos2,
    name: &str,
    on_axis: bool,
    text_color: Color32,
) {
    let r = Rect::from_center_size(centre, egui::vec2(10.0, 10.0));
    painter.rect_filled(r, 2.0, if on_axis { POSITIVE } else { INPUT_OFF_AXIS });
    let anchor = (centre - egui::vec2(10.0, 0.0), egui::Align2::RIGHT_CENTER);
    draw_label(painter, anchor, name, LABEL_WIDTH - 16.0, text_color);
}

/// `name` at `anchor` (a point and how the text sits on it), cut in the
/// middle to fit `max_width` points ([`fit_label`]).
fn draw_label(
    painter: &egui::Painter,
    (at, align): (Pos2, egui::Align2),
    name: &str,
    max_width: f32,
    text_color: Color32,
) {
    let font = egui::FontId::proportional(11.0);
    let width = |text: &str| {
        painter
            .layout_no_wrap(text.to_owned(), font.clone(), text_color)
            .size()
            .x
    };
    painter.text(
        at,
        align,
        fit_label(name, max_width, width),
        font.clone(),
        text_color,
    );
}

/// What a unit of the diagram is.
#[derive(Clone, Copy)]
enum Unit<'a> {
    Hidden,
    /// The one output of a yes/no or regression network.
    Output,
    /// A multi-class network's output for this class.
    ClassOutput(&'a str),
}

/// The hovered unit (`column`, `unit`, its thumbnail's rectangle) large,
/// with its title, the surface's axes and its bias.
fn unit_tooltip(
    ui: &egui::Ui,
    (c, unit, r): (usize, usize, Rect),
    kind: Unit<'_>,
    views: &mut ViewCache,
    surface: Option<&Arc<Surface>>,
    weights: Option<&[LayerWeights]>,
) {
    let texture = match kind {
        Unit::Output => views.surface_texture.id(),
        // A class's output has no picture of its own: the surface shows
        // all classes at once.
        Unit::ClassOutput(_) => None,
        Unit::Hidden => surface.and_then(|s| views.unit_textures.get(ui.ctx(), s, c - 1, unit)),
    };
    let bias = weights
        .and_then(|w| w.get(c - 1))
        .and_then(|w| w.bias.get(unit).copied());
    let title = match kind {
        Unit::Output => "Output: the network's prediction".to_owned(),
        Unit::ClassOutput(class) => format!(
            "Output for `{class}`: its logit; the softmax of all outputs gives each class's probability"
        ),
        Unit::Hidden => format!("Layer {c}, neuron {}", unit + 1),
    };
    let axes_text = surface.map(|s| format!("over {} (x) and {} (y)", s.x.feature, s.y.feature));
    egui::Tooltip::always_open(
        ui.ctx().clone(),
        ui.layer_id(),
        ui.scope_id().with("unit-hover"),
        egui::PopupAnchor::Position(r.right_top() + egui::vec2(8.0, 0.0)),
    )
    .show(|ui| {
        ui.strong(title);
        if let Some(id) = texture {
            ui.image((id, egui::vec2(HOVER_SIDE, HOVER_SIDE)));
        } else if !matches!(kind, Unit::ClassOutput(_)) {
            ui.weak("Train a little (Step) to see what it has learned.");
        }
        if let Some(text) = axes_text {
            ui.weak(text);
        }
        if let Some(b) = bias {
            ui.weak(format!("bias {b:+.3}"));
        }
    });
}

/// `name` as it fits in `max_width` points (`width` measures a text):
/// whole when it fits, else cut in the middle with an ellipsis, so both the
/// column and a one-hot level stay readable (`payment_m…(automatic)`), never
/// clipped at the panel's edge.
fn fit_label(name: &str, max_width: f32, width: impl Fn(&str) -> f32) -> String {
    let full = width(name);
    if full <= max_width {
        return name.to_owned();
    }
    let chars: Vec<char> = name.chars().collect();
    // Start from the share of characters that should fit, then shrink.
    let mut keep = ((chars.len() as f32 * max_width / full) as usize).min(chars.len() - 1);
    while keep > 0 {
        let head = keep.div_ceil(2);
        let tail = keep - head;
        let text: String = chars[..head]
            .iter()
            .chain(std::iter::once(&'…'))
            .chain(&chars[chars.len() - tail..])
            .collect();
        if width(&text) <= max_width {
            return text;
        }
        keep -= 1;
    }
    "…".to_owned()
}

#[cfg(test)]
mod tests;
