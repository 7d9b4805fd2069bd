//! Tooltips placed beside what they explain. egui puts a widget's tooltip
//! under it, which for the surface's checkboxes, the curves' log scale or
//! the threshold slider is right over the plot or numbers the tip is
//! about. These put the tip on the side away from its subject.

use eframe::egui::{self, RectAlign, Response};

/// Where the tip goes, relative to its widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Above: for a control whose subject (a plot, a table) is below it.
    Above,
    /// Left: for a name in the right-hand panel whose value is right of it.
    Left,
}

impl Side {
    fn align(self) -> RectAlign {
        match self {
            Side::Above => RectAlign::TOP_START,
            Side::Left => RectAlign::LEFT_START,
        }
    }

    /// Where to go when there is no room on the chosen side: the other
    /// side of the same axis first, under the widget last.
    fn alternatives(self) -> &'static [RectAlign] {
        match self {
            Side::Above => &[RectAlign::RIGHT_START, RectAlign::BOTTOM_START],
            Side::Left => &[RectAlign::TOP_START, RectAlign::BOTTOM_START],
        }
    }
}

/// Shows `text` as `response`'s tooltip on `side` while it is hovered,
/// and gives it to screen readers as the widget's description, as
/// `on_hover_text` does.
pub fn beside(response: Response, side: Side, text: impl Into<String>) -> Response {
    let text: String = text.into();
    response
        .ctx
        .accesskit_node_builder(response.id, |node| node.set_description(text.as_str()));
    let mut tip = egui::Tooltip::for_enabled(&response);
    tip.popup = tip
        .popup
        .align(side.align())
        .align_alternatives(side.alternatives());
    tip.show(|ui| {
        ui.set_max_width(ui.spacing().tooltip_width);
        ui.label(text);
    });
    response
}
