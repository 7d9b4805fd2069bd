//! Where the network diagram goes for boosted trees: each input column's
//! gain importance (its share of the loss reduction of every split made on
//! it, XGBoost's `gain` summed as its `total_gain`) as labelled horizontal
//! bars, largest first. Columns on the surface's axes are coloured as in
//! the network diagram.

use eframe::egui::{self, Rect, Stroke};

use super::PanelContext;
use super::palette::{IMPORTANCE_BAR, NODE_OUTLINE, POSITIVE};

/// Room for a column's name on the left of its bar.
const NAME_WIDTH: f32 = 140.0;
/// Room for the percentage on the right of a bar.
const SHARE_WIDTH: f32 = 56.0;
const ROW_HEIGHT: f32 = 16.0;

/// Columns by importance, largest first (ties in pipeline order), as
/// `(name, share)`; shares as the model reported them (summing to 1 once a
/// split was made).
pub fn ranked(importance: &[(String, f64)]) -> Vec<(String, f64)> {
    let mut rows = importance.to_vec();
    // A stable sort keeps the pipeline's order among equal shares.
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    rows
}

/// A share as the bars label it: `34.5%`.
pub fn share_text(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

pub fn show(ui: &mut egui::Ui, cx: &PanelContext<'_>) {
    ui.horizontal(|ui| {
        ui.strong("Feature importance (gain)");
        ui.weak("each input's share of what the trees' splits gained");
    })
    .response
    .on_hover_text("How much each input column's splits lowered the loss, summed over all trees: the trees' answer to \"what matters?\" (one-hot levels count as their column)");
    let importance = cx
        .run
        .surface
        .as_ref()
        .map(|s| ranked(&s.importance))
        .filter(|rows| !rows.is_empty());
    let Some(rows) = importance else {
        ui.weak("The importance of each input appears once the trees have grown a round.");
        return;
    };
    if rows.iter().all(|(_, share)| *share <= 0.0) {
        ui.weak("No split gained anything yet: every tree is a single leaf.");
        return;
    }
    let axes = [&cx.settings.x_feature, &cx.settings.y_feature];
    let text_color = ui.visuals().text_color();
    egui::ScrollArea::vertical()
        .id_salt("importance_bars")
        .show(ui, |ui| {
            for (name, share) in &rows {
                ui.horizontal(|ui| {
                    ui.add_sized(
                        [NAME_WIDTH, ROW_HEIGHT],
                        egui::Label::new(name.as_str()).truncate(),
                    );
                    let width = (ui.available_width() - SHARE_WIDTH).max(40.0);
                    let (rect, _) = ui.allocate_exact_size(
                        egui::vec2(width, ROW_HEIGHT - 4.0),
                        egui::Sense::hover(),
                    );
                    let on_axis = axes.iter().any(|a| a.as_str() == name);
                    let fill = if on_axis { POSITIVE } else { IMPORTANCE_BAR };
                    let filled = Rect::from_min_size(
                        rect.min,
                        egui::vec2(rect.width() * share.clamp(0.0, 1.0) as f32, rect.height()),
                    );
                    let painter = ui.painter();
                    painter.rect_filled(filled, 2.0, fill);
                    painter.rect_stroke(
                        rect,
                        2.0,
                        Stroke::new(0.5, NODE_OUTLINE),
                        egui::StrokeKind::Inside,
                    );
                    ui.colored_label(text_color, share_text(*share));
                });
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_ranked_largest_first_and_ties_keep_their_order() {
        let importance = vec![
            ("a".to_owned(), 0.1),
            ("b".to_owned(), 0.6),
            ("c".to_owned(), 0.15),
            ("d".to_owned(), 0.15),
        ];
        let names: Vec<String> = ranked(&importance).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["b", "c", "d", "a"]);
        assert_eq!(share_text(0.345), "34.5%");
    }
}
