//! How the window shares its room between the views, in points (egui's
//! logical pixels: a window of 1280 × 800 pixels at 150 % zoom is 853 ×
//! 533 points). The side panels take at most a share of the width and the
//! network diagram a share of the centre's height, so on a small screen or
//! at a projector's zoom the decision surface, the point of the app, keeps
//! a usable size rather than being squeezed to a sliver.

use std::ops::RangeInclusive;

use eframe::egui;

/// The most of the window's width either side panel may take.
pub const SIDE_SHARE: f32 = 0.27;

/// The most of the centre's height the network diagram may take.
pub const DIAGRAM_SHARE: f32 = 0.4;

/// The zoom of presentation mode: type half as large again, for a
/// projector at the back of a room.
pub const PRESENTATION_ZOOM: f32 = 1.5;

/// The widths (points) a side panel may be given in a window `width`
/// points wide: from `least` up to `most`, but never past
/// [`SIDE_SHARE`] of the window (and never below `least`).
pub fn side_panel(width: f32, least: f32, most: f32) -> RangeInclusive<f32> {
    let cap = (width * SIDE_SHARE).clamp(least, most.max(least));
    least..=cap
}

/// The heights (points) the network diagram may be given when the centre
/// is `height` points tall: from `least` up to `most`, but never past
/// [`DIAGRAM_SHARE`] of the centre.
pub fn diagram(height: f32, least: f32, most: f32) -> RangeInclusive<f32> {
    let cap = (height * DIAGRAM_SHARE).clamp(least, most.max(least));
    least..=cap
}

/// The most of the screen a floating window (Insights, Runs, Sweep,
/// Cross-validation) may cover, so its title bar and close button stay
/// on screen and its content scrolls rather than running off the bottom.
pub const WINDOW_SHARE: f32 = 0.92;

/// A floating window's size on a screen of `screen` points: what it asks
/// for, `want`, but at most [`WINDOW_SHARE`] of the screen each way (150 %
/// zoom on 1280 × 800 leaves 853 × 533 points).
pub fn window_size(screen: egui::Vec2, want: egui::Vec2) -> egui::Vec2 {
    want.min(screen * WINDOW_SHARE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_panels_leave_the_centre_room_at_a_projectors_zoom() {
        // 1280 × 800 at 150 %: 853 points wide.
        let width = 1280.0 / PRESENTATION_ZOOM;
        let left = side_panel(width, 180.0, 480.0);
        let right = side_panel(width, 270.0, 520.0);
        let centre = width - left.end() - right.end();
        assert!(centre >= 0.4 * width, "{centre} of {width}");
        // At 1920 points the panels may grow to their own maximum.
        assert_eq!(*side_panel(1920.0, 180.0, 480.0).end(), 480.0);
        // A tiny window never inverts the range.
        let tiny = side_panel(300.0, 180.0, 480.0);
        assert!(tiny.start() <= tiny.end());
    }

    #[test]
    fn a_window_fits_a_zoomed_small_screen() {
        let screen = egui::vec2(1280.0, 800.0) / PRESENTATION_ZOOM;
        let size = window_size(screen, egui::vec2(900.0, 560.0));
        assert!(size.x <= screen.x && size.y <= screen.y, "{size:?}");
        let roomy = egui::vec2(1920.0, 1080.0);
        assert_eq!(
            window_size(roomy, egui::vec2(900.0, 560.0)),
            egui::vec2(900.0, 560.0)
        );
    }

    #[test]
    fn the_diagram_takes_at_most_its_share_of_the_centre() {
        let range = diagram(400.0, 140.0, 520.0);
        assert_eq!(*range.end(), 160.0);
        assert_eq!(*diagram(2000.0, 140.0, 520.0).end(), 520.0);
        assert_eq!(*diagram(100.0, 140.0, 520.0).end(), 140.0);
    }
}
