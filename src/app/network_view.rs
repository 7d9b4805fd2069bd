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

/// Weights that match the drawn architecture (a surface from a previous
/// network is ignored until the new one sends its own).
fn matching_weights<'a>(
    surface: Option<&'a Surface>,
    sizes: &[usize],
) -> Option<&'a [LayerWeights]> {
    let weights = &surface?.weights;
    let fits = weights.len() + 1 == sizes.len()
        && weights
            .iter()
            .zip(sizes.windows(2))
            .all(|(w, pair)| w.n_in == pair[0] && w.n_out == pair[1]);
    fits.then_some(weights.as_slice())
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
    let hidden = cx.settings.spec.hidden.clone();
    let mut sizes = vec![inputs.len()];
    sizes.extend(&hidden);
    sizes.push(1);
    let surface = cx.run.surface.clone();
    let weights = matching_weights(surface.as_deref(), &sizes);
    let units_ready = surface
        .as_ref()
        .is_some_and(|s| weights.is_some() && s.units.len() == hidden.len());

    header(ui, inputs.len(), &cx.settings.spec);

    let (rect, _) = ui.allocate_exact_size(
        // The panel starts at its default height and the user may drag it.
        // No more than the panel gives: a diagram taller than its panel
        // (capped at a share of the centre) would run over the surface.
        egui::vec2(ui.available_width(), ui.available_height().max(80.0)),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let n_columns = sizes.len();
    let geometry = Geometry::new(rect, n_columns);
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
            painter.rect_stroke(
                r,
                2.0,
                Stroke::new(1.0, NODE_OUTLINE),
                egui::StrokeKind::Outside,
            );
            if hover.is_some_and(|p| r.contains(p)) {
                hovered = Some((c, unit, r));
            }
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
        let output = hit.0 == n_columns - 1;
        unit_tooltip(ui, hit, output, views, surface.as_ref(), weights);
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
fn header(ui: &mut egui::Ui, n_inputs: usize, spec: &crate::model::NetworkSpec) {
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
        ui.weak(format!(
            "{} inputs, {}, 1 output{activations}",
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
}

impl Geometry {
    /// Thumbnails as large as lets [`WANTED`] units of a column fit in `rect`.
    fn new(rect: Rect, n_columns: usize) -> Self {
        let usable = rect.height() - 18.0;
        let node = (usable / WANTED - GAP).clamp(NODE_MIN, NODE_MAX);
        let keep = ((usable / (node + GAP)).floor() as usize).max(2);
        Self {
            rect,
            usable,
            node,
            keep,
            n_columns,
        }
    }

    /// The x of the centres of column `c`'s units.
    fn column_x(&self, c: usize) -> f32 {
        let left = self.rect.left() + LABEL_WIDTH;
        let right = self.rect.right() - self.node;
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
    let font = egui::FontId::proportional(11.0);
    let width = |text: &str| {
        painter
            .layout_no_wrap(text.to_owned(), font.clone(), text_color)
            .size()
            .x
    };
    painter.text(
        centre - egui::vec2(10.0, 0.0),
        egui::Align2::RIGHT_CENTER,
        fit_label(name, LABEL_WIDTH - 16.0, width),
        font.clone(),
        text_color,
    );
}

/// The hovered unit (`column`, `unit`, its thumbnail's rectangle) large,
/// with its title, the surface's axes and its bias.
fn unit_tooltip(
    ui: &egui::Ui,
    (c, unit, r): (usize, usize, Rect),
    output: bool,
    views: &mut ViewCache,
    surface: Option<&Arc<Surface>>,
    weights: Option<&[LayerWeights]>,
) {
    let texture = if output {
        views.surface_texture.id()
    } else {
        surface.and_then(|s| views.unit_textures.get(ui.ctx(), s, c - 1, unit))
    };
    let bias = weights
        .and_then(|w| w.get(c - 1))
        .and_then(|w| w.bias.get(unit).copied());
    let title = if output {
        "Output: the network's prediction".to_owned()
    } else {
        format!("Layer {c}, neuron {}", unit + 1)
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
        } else {
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
mod tests {
    use super::*;

    #[test]
    fn an_input_name_is_cut_in_the_middle_to_fit_its_room() {
        // 6 points a character: 15 characters fit in 90 points.
        let width = |t: &str| t.chars().count() as f32 * 6.0;
        assert_eq!(fit_label("tenure", 90.0, width), "tenure");
        let cut = fit_label("payment_method=Bank transfer (automatic)", 90.0, width);
        assert_eq!(cut, "payment…omatic)");
        assert!(width(&cut) <= 90.0);
        assert_eq!(fit_label("abc", 3.0, width), "…");
    }

    #[test]
    fn strongest_units_by_outgoing_weight_in_network_order() {
        // 4 units feeding 1 output: weights 0.1, -3, 0.5, 2.
        let w = LayerWeights {
            weights: vec![0.1, -3.0, 0.5, 2.0],
            bias: vec![0.0],
            n_in: 4,
            n_out: 1,
        };
        assert_eq!(strongest(4, 2, Some(&w), None), vec![1, 3]);
        assert_eq!(strongest(4, 8, Some(&w), None), vec![0, 1, 2, 3]);
        assert_eq!(strongest(4, 2, None, None), vec![0, 1]);
    }

    #[test]
    fn units_silent_on_the_slice_give_way_to_active_ones() {
        let w = LayerWeights {
            weights: vec![0.1, -3.0, 0.5, 2.0],
            bias: vec![0.0],
            n_in: 4,
            n_out: 1,
        };
        // Unit 1 has the largest weight but never fires on this slice.
        let activity = vec![
            vec![0.0, 1.0],
            vec![0.0, 0.0],
            vec![0.5, 0.2],
            vec![0.0, 0.1],
        ];
        assert_eq!(strongest(4, 2, Some(&w), Some(&activity)), vec![2, 3]);
        // Activity of another layer's size is ignored, not misread.
        assert_eq!(strongest(4, 2, Some(&w), Some(&activity[..3])), vec![1, 3]);
    }

    #[test]
    fn stale_weights_are_ignored() {
        let surface = Surface {
            x: crate::model::surface::Axis {
                feature: "a".into(),
                min: 0.0,
                max: 1.0,
            },
            y: crate::model::surface::Axis {
                feature: "b".into(),
                min: 0.0,
                max: 1.0,
            },
            resolution: 2,
            values: vec![0.5; 4],
            units: Vec::new(),
            weights: vec![LayerWeights {
                weights: vec![0.0; 2],
                bias: vec![0.0],
                n_in: 2,
                n_out: 1,
            }],
            held: Vec::new(),
            importance: Vec::new(),
        };
        assert!(matching_weights(Some(&surface), &[2, 1]).is_some());
        assert!(matching_weights(Some(&surface), &[2, 4, 1]).is_none());
        assert!(matching_weights(None, &[2, 1]).is_none());
    }

    #[test]
    fn unit_image_is_white_when_silent_and_orange_at_its_peak() {
        let mut values = vec![0.0; UNIT_RESOLUTION * UNIT_RESOLUTION];
        // Bottom-left cell of the slice fires most: the image's last row.
        values[0] = 2.0;
        let image = unit_image(&values);
        assert_eq!(
            image.pixels[(UNIT_RESOLUTION - 1) * UNIT_RESOLUTION],
            POSITIVE
        );
        assert_eq!(image.pixels[0], Color32::WHITE);
        // A dead unit (all zeros) is all white, not NaN-coloured.
        let dead = unit_image(&vec![0.0; UNIT_RESOLUTION * UNIT_RESOLUTION]);
        assert!(dead.pixels.iter().all(|&p| p == Color32::WHITE));
    }
}
