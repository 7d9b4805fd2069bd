//! The decision surface as pixels, apart from egui's widgets so it can be
//! tested on its own: a surface grid (the network's output over two
//! features) upsampled to a square image, shaded with the palette's colour
//! scale (probability for classification, a sequential scale for
//! regression) with the 0.5 contour drawn in.

use eframe::egui::{Color32, ColorImage};

use super::palette::{CONTOUR, probability_color, value_color};
use crate::model::surface::Surface;

/// Texture side: the 100×100 grid upsampled so the contour line is smooth.
pub const TEXTURE_SIDE: usize = 300;

/// The `TEXTURE_SIDE`² image of `surface`: row 0 is the largest y. With
/// `regression` values are scaled to their own range; otherwise they are
/// probabilities, one flat shade per class when `discretize`. A grid of the
/// wrong size draws blank (white).
pub fn render(surface: &Surface, regression: bool, discretize: bool) -> ColorImage {
    let side = TEXTURE_SIDE;
    let n = surface.resolution as f32;
    let (lo, hi) = surface
        .values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let span = if hi > lo { hi - lo } else { 1.0 };
    // Bilinear upsampling, separable: each texture column (row) has fixed
    // neighbouring grid cells and weights, worked out once. Image row 0 is
    // the top of the plot, i.e. the largest y.
    let axis = |flip: bool| -> Vec<(usize, usize, f32)> {
        let last = (surface.resolution - 1) as f32;
        (0..side)
            .map(|p| {
                let p = if flip { side - 1 - p } else { p };
                let f = ((p as f32 + 0.5) / side as f32 * n - 0.5).clamp(0.0, last);
                let lo = f.floor() as usize;
                (lo, (lo + 1).min(surface.resolution - 1), f - lo as f32)
            })
            .collect()
    };
    let grid = surface.resolution;
    if grid < 2 || surface.values.len() != grid * grid {
        // Not a grid this view can draw (the engine never sends one).
        return ColorImage::new([side, side], vec![Color32::WHITE; side * side]);
    }
    let columns = axis(false);
    let rows = axis(true);
    let mut values: Vec<f32> = Vec::with_capacity(side * side);
    for &(y0, y1, ty) in &rows {
        let (top, bottom) = (&surface.values[y0 * grid..], &surface.values[y1 * grid..]);
        for &(x0, x1, tx) in &columns {
            let upper = top[x0] * (1.0 - tx) + top[x1] * tx;
            let lower = bottom[x0] * (1.0 - tx) + bottom[x1] * tx;
            values.push(upper * (1.0 - ty) + lower * ty);
        }
    }
    // A new surface arrives with nearly every epoch, so this runs often on
    // the UI thread: colours come from a table rather than being mixed per
    // pixel (1,024 steps are finer than the eye or 8-bit colour resolves).
    const STEPS: usize = 1024;
    let palette: Vec<Color32> = (0..STEPS)
        .map(|i| {
            let t = i as f32 / (STEPS - 1) as f32;
            if regression {
                value_color(t)
            } else {
                probability_color(t, discretize)
            }
        })
        .collect();
    let mut pixels: Vec<Color32> = values
        .iter()
        .map(|&v| {
            let t = if regression { (v - lo) / span } else { v };
            let step = t.clamp(0.0, 1.0) * (STEPS - 1) as f32;
            // Round away from 0.5, so a pixel's colour is always on the side
            // of the class it predicts (what "discretize" shows).
            let step = if regression {
                step.round()
            } else if v >= 0.5 {
                step.ceil()
            } else {
                step.floor()
            };
            // NaN casts to 0; out-of-range values were clamped.
            palette[(step as usize).min(STEPS - 1)]
        })
        .collect();
    if !regression {
        // The 0.5 contour: where a pixel and its right or lower neighbour
        // fall on different sides.
        let line = CONTOUR;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn surface(values: Vec<f32>, resolution: usize) -> Surface {
        Surface::on_unit_square(values, resolution)
    }

    #[test]
    fn discretized_colours_follow_the_predicted_class() {
        // Left column just below 0.5, right column exactly 0.5: the
        // boundary runs down the middle.
        let s = surface(vec![0.4999, 0.5, 0.4999, 0.5], 2);
        let image = render(&s, false, true);
        let side = TEXTURE_SIDE;
        let (left, right) = (
            image.pixels[side * 10 + 2],
            image.pixels[side * 10 + side - 3],
        );
        assert_eq!(left, probability_color(0.0, true));
        assert_eq!(right, probability_color(1.0, true));
    }

    #[test]
    fn contour_marks_the_half_way_line_and_rows_run_top_down() {
        // Bottom row (y = 0) confident "no", top row confident "yes".
        let s = surface(vec![0.0, 0.0, 1.0, 1.0], 2);
        let image = render(&s, false, false);
        let side = TEXTURE_SIDE;
        let top = image.pixels[side + side / 2];
        let bottom = image.pixels[(side - 2) * side + side / 2];
        assert_eq!(
            top,
            probability_color(1.0, false),
            "image row 0 is the largest y"
        );
        assert_eq!(bottom, probability_color(0.0, false));
        let line = CONTOUR;
        let column: Vec<Color32> = (0..side)
            .map(|r| image.pixels[r * side + side / 2])
            .collect();
        let marked = column.iter().filter(|&&c| c == line).count();
        assert_eq!(marked, 1, "one contour pixel per column");
        let row = column.iter().position(|&c| c == line).unwrap();
        assert!(
            row.abs_diff(side / 2) <= 1,
            "the contour is half way up: row {row}"
        );
    }

    #[test]
    fn a_grid_of_the_wrong_size_draws_blank_instead_of_panicking() {
        let image = render(&surface(vec![0.2; 3], 2), false, false);
        assert!(image.pixels.iter().all(|&p| p == Color32::WHITE));
    }
}
