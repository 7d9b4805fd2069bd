//! The diagram's links: drawn by weight and sign, and the one under the
//! pointer named with its weight and how it changed over the last epochs
//! (from [`WeightHistory`]).

use eframe::egui::{self, Pos2, Stroke};

use super::network_view::Column;
use super::palette::{LINK_UNKNOWN, NEGATIVE, POSITIVE};
use super::weight_history::WeightHistory;
use crate::model::LayerWeights;

/// How near (in points) the pointer must come to a link to hover it.
const HOVER_REACH: f32 = 4.0;

/// A drawn link: from unit `from` of column `layer` to unit `to` of column
/// `layer + 1` (so `layer` is also the index of its [`LayerWeights`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Link {
    pub layer: usize,
    pub from: usize,
    pub to: usize,
    pub start: Pos2,
    pub end: Pos2,
}

/// Draws every link between the shown units (thicker and stronger for
/// larger weights, orange positive, blue negative, grey while unknown) and
/// returns where each went, for [`hovered`].
pub fn draw(
    painter: &egui::Painter,
    columns: &[Column],
    weights: Option<&[LayerWeights]>,
    node: f32,
) -> Vec<Link> {
    let mut links = Vec::new();
    for (c, pair) in columns.windows(2).enumerate() {
        let (from, to) = (&pair[0], &pair[1]);
        let layer = weights.and_then(|w| w.get(c));
        let weight = |i: usize, o: usize| -> Option<f32> { weight_of(layer?, i, o) };
        let peak = from
            .shown
            .iter()
            .flat_map(|&i| to.shown.iter().map(move |&o| (i, o)))
            .filter_map(|(i, o)| weight(i, o))
            .fold(0.0f32, |m, w| m.max(w.abs()));
        for (&i, &a) in from.shown.iter().zip(&from.centres) {
            for (&o, &b) in to.shown.iter().zip(&to.centres) {
                let start = a + egui::vec2(if c == 0 { 6.0 } else { node / 2.0 }, 0.0);
                let end = b - egui::vec2(node / 2.0, 0.0);
                let stroke = match weight(i, o) {
                    Some(w) if peak > 0.0 && w.is_finite() => {
                        let t = w.abs() / peak;
                        let colour = if w >= 0.0 { POSITIVE } else { NEGATIVE };
                        Stroke::new(0.4 + 3.6 * t, colour.gamma_multiply(0.25 + 0.75 * t))
                    }
                    _ => Stroke::new(0.5, LINK_UNKNOWN.gamma_multiply(0.4)),
                };
                painter.line_segment([start, end], stroke);
                links.push(Link {
                    layer: c,
                    from: i,
                    to: o,
                    start,
                    end,
                });
            }
        }
    }
    links
}

/// The weight of the link from input `from` into unit `to` of `layer`.
fn weight_of(layer: &LayerWeights, from: usize, to: usize) -> Option<f32> {
    layer.weights.get(to * layer.n_in + from).copied()
}

/// The link nearest `pointer`, if one passes within reach.
pub fn hovered(links: &[Link], pointer: Pos2) -> Option<Link> {
    links
        .iter()
        .map(|l| (l, distance_to_segment(pointer, l.start, l.end)))
        .filter(|(_, d)| *d <= HOVER_REACH)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(l, _)| *l)
}

fn distance_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let length = ab.length_sq();
    let t = if length > 0.0 {
        ((p - a).dot(ab) / length).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + ab * t).distance(p)
}

/// What hovering `link` says: which units it joins (inputs by name), its
/// weight now, and its weight in the last epochs the history kept.
pub fn hover_text(
    link: &Link,
    inputs: &[String],
    n_layers: usize,
    weights: Option<&[LayerWeights]>,
    history: &WeightHistory,
) -> String {
    let from = if link.layer == 0 {
        inputs.get(link.from).map_or_else(
            || format!("input {}", link.from + 1),
            |n| format!("input {n}"),
        )
    } else {
        format!("layer {} neuron {}", link.layer, link.from + 1)
    };
    let to = if link.layer + 1 == n_layers {
        "the output".to_owned()
    } else {
        format!("layer {} neuron {}", link.layer + 1, link.to + 1)
    };
    let mut text = format!("Weight from {from} to {to}");
    let now = weights
        .and_then(|w| w.get(link.layer))
        .and_then(|l| weight_of(l, link.from, link.to));
    match now {
        Some(w) => text.push_str(&format!(": {w:+.4}")),
        None => {
            text.push_str(": not trained yet");
            return text;
        }
    }
    let past = history.link(link.layer, link.from, link.to);
    if let [(first_epoch, first), .., (last_epoch, last)] = past.as_slice() {
        let values: Vec<String> = past.iter().map(|(_, w)| format!("{w:+.3}")).collect();
        text.push_str(&format!(
            "\nepochs {first_epoch} to {last_epoch}: {}\nchange {:+.4}",
            values.join(", "),
            last - first
        ));
    }
    text
}

/// Shows [`hover_text`] beside the pointer.
pub fn tooltip(ui: &egui::Ui, pointer: Pos2, text: String) {
    egui::Tooltip::always_open(
        ui.ctx().clone(),
        ui.layer_id(),
        ui.scope_id().with("link-hover"),
        egui::PopupAnchor::Position(pointer + egui::vec2(12.0, 12.0)),
    )
    .show(|ui| {
        ui.label(egui::RichText::new(text).color(ui.visuals().text_color()));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(layer: usize, from: usize, to: usize) -> Link {
        Link {
            layer,
            from,
            to,
            start: Pos2::new(0.0, 0.0),
            end: Pos2::new(100.0, 0.0),
        }
    }

    #[test]
    fn the_nearest_link_within_reach_is_hovered() {
        let links = [
            link(0, 0, 0),
            Link {
                start: Pos2::new(0.0, 10.0),
                end: Pos2::new(100.0, 10.0),
                ..link(0, 1, 0)
            },
        ];
        assert_eq!(
            hovered(&links, Pos2::new(50.0, 3.0)).map(|l| l.from),
            Some(0)
        );
        assert_eq!(
            hovered(&links, Pos2::new(50.0, 7.0)).map(|l| l.from),
            Some(1)
        );
        assert_eq!(hovered(&links, Pos2::new(50.0, 30.0)), None);
        // Past the end of a segment the distance is to its end point.
        assert_eq!(hovered(&links, Pos2::new(110.0, 0.0)), None);
    }

    #[test]
    fn the_hover_text_names_the_units_the_weight_and_its_change() {
        let layers = |e: f32| {
            vec![
                LayerWeights {
                    weights: vec![0.1, 0.2, 0.3 + e, 0.4],
                    bias: vec![0.0; 2],
                    n_in: 2,
                    n_out: 2,
                },
                LayerWeights {
                    weights: vec![-0.5 - e, 0.25],
                    bias: vec![0.0],
                    n_in: 2,
                    n_out: 1,
                },
            ]
        };
        let mut history = WeightHistory::default();
        for epoch in 1..=3 {
            history.record(epoch, &layers(epoch as f32 / 10.0));
        }
        let now = layers(0.3);
        let inputs = ["age".to_owned(), "income".to_owned()];
        assert_eq!(
            hover_text(&link(0, 0, 1), &inputs, 2, Some(&now), &history),
            "Weight from input age to layer 1 neuron 2: +0.6000\n\
             epochs 1 to 3: +0.400, +0.500, +0.600\nchange +0.2000"
        );
        assert_eq!(
            hover_text(&link(1, 0, 0), &inputs, 2, Some(&now), &history),
            "Weight from layer 1 neuron 1 to the output: -0.8000\n\
             epochs 1 to 3: -0.600, -0.700, -0.800\nchange -0.2000"
        );
        assert_eq!(
            hover_text(&link(0, 1, 0), &inputs, 2, None, &history),
            "Weight from input income to layer 1 neuron 1: not trained yet"
        );
    }
}
