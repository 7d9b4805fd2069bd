//! Every colour the window chooses, in one place: the two classes (also the
//! sign of a weight or an activation), the loss curves, the runs overlaid in
//! the Runs window, good and bad cells, and the colour maps of the decision
//! surface. Panels take their colours from here, so a change of scheme is
//! one edit.

use eframe::egui::Color32;

/// The positive class (will buy), a positive weight or activation
/// (TensorFlow Playground's orange, known to students).
pub const POSITIVE: Color32 = Color32::from_rgb(245, 147, 34);
/// The other class, a negative weight or activation (Playground's blue).
pub const NEGATIVE: Color32 = Color32::from_rgb(8, 119, 189);

/// The training loss curve.
pub const TRAIN_CURVE: Color32 = Color32::from_rgb(8, 119, 189);
/// The validation loss and the headline metric's curve.
pub const VALID_CURVE: Color32 = Color32::from_rgb(230, 110, 20);

/// Colours for overlaid runs, distinct on dark and light backgrounds; run
/// `i` takes `RUNS[i % RUNS.len()]`, and a setting that differs between
/// runs is written in the first.
pub const RUNS: [Color32; 8] = [
    Color32::from_rgb(245, 147, 34),
    Color32::from_rgb(8, 119, 189),
    Color32::from_rgb(60, 170, 90),
    Color32::from_rgb(200, 70, 160),
    Color32::from_rgb(150, 110, 220),
    Color32::from_rgb(210, 60, 60),
    Color32::from_rgb(30, 180, 190),
    Color32::from_rgb(160, 140, 60),
];

/// Confusion-matrix cells: predictions that were right, and wrong.
pub const CORRECT: Color32 = Color32::from_rgb(60, 150, 80);
pub const WRONG: Color32 = Color32::from_rgb(200, 70, 60);

/// The sweep heatmap's best and worst cells, and a run that failed.
pub const HEAT_GOOD: Color32 = Color32::from_rgb(60, 160, 80);
pub const HEAT_BAD: Color32 = Color32::from_rgb(190, 70, 60);
pub const HEAT_FAILED: Color32 = Color32::from_gray(90);

/// The 0.5 contour drawn over a classification surface.
pub const CONTOUR: Color32 = Color32::from_gray(60);
/// Customers on a regression surface (no class to colour them by).
pub const REGRESSION_POINTS: Color32 = Color32::from_gray(70);

/// The network diagram: an input that is not on the surface's axes (those
/// are [`POSITIVE`]), the outline of a unit, a link whose weight is not
/// known yet.
pub const INPUT_OFF_AXIS: Color32 = Color32::from_gray(150);
pub const NODE_OUTLINE: Color32 = Color32::from_gray(110);
pub const LINK_UNKNOWN: Color32 = Color32::from_gray(128);
/// The baselines' reference lines on the metric curve (default trees,
/// then logistic regression).
pub const BASELINES: [Color32; 2] = [
    Color32::from_rgb(60, 150, 80),
    Color32::from_rgb(140, 90, 170),
];
/// The trees' importance bars (a feature on the surface's axes is drawn
/// in [`POSITIVE`], as in the network diagram).
pub const IMPORTANCE_BAR: Color32 = Color32::from_rgb(90, 130, 170);

/// `a` blended towards `b` by `t` (clamped to 0..=1), per channel in sRGB.
pub fn mix(a: Color32, b: Color32, t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    let l = |x: u8, y: u8| (f32::from(x) * (1.0 - t) + f32::from(y) * t).round() as u8;
    Color32::from_rgb(l(a.r(), b.r()), l(a.g(), b.g()), l(a.b(), b.b()))
}

/// A signed strength in -1..=1 (a unit's activation over its peak): white
/// at 0, towards [`POSITIVE`] or [`NEGATIVE`] with its size.
pub fn signed_color(v: f32) -> Color32 {
    if v >= 0.0 {
        mix(Color32::WHITE, POSITIVE, v)
    } else {
        mix(Color32::WHITE, NEGATIVE, -v)
    }
}

/// Probability → colour: white at 0.5, towards the class colour with
/// confidence (kept light so the points on top stay visible); one flat
/// shade per class when `discretize`.
pub fn probability_color(p: f32, discretize: bool) -> Color32 {
    let strength = if discretize {
        0.55
    } else {
        (p - 0.5).abs() * 2.0 * 0.75
    };
    let class = if p >= 0.5 { POSITIVE } else { NEGATIVE };
    mix(Color32::WHITE, class, strength)
}

/// A regression prediction scaled to 0..=1 → colour, on a light-to-dark
/// sequential scale (cream → teal → deep blue).
pub fn value_color(t: f32) -> Color32 {
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

/// Sweep heatmap cell: `good` in 0..=1, 1 the best result.
pub fn heat_color(good: f32) -> Color32 {
    mix(HEAT_BAD, HEAT_GOOD, good)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixing_goes_from_one_colour_to_the_other() {
        assert_eq!(mix(Color32::BLACK, Color32::WHITE, 0.0), Color32::BLACK);
        assert_eq!(mix(Color32::BLACK, Color32::WHITE, 2.0), Color32::WHITE);
        assert_eq!(probability_color(0.5, false), Color32::WHITE);
        assert_eq!(signed_color(0.0), Color32::WHITE);
        assert_eq!(signed_color(1.0), POSITIVE);
    }
}
