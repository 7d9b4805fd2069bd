//! A multi-class decision surface as pixels, apart from egui's widgets so
//! it can be tested on its own: each pixel takes the colour of its most
//! probable class from a categorical palette, faded towards white as that
//! class's probability falls towards a coin toss among the classes (`1/K`),
//! with the class boundaries (where the most probable class changes) drawn
//! in.

use eframe::egui::{Color32, ColorImage};

use super::palette::{CONTOUR, mix};
use super::surface_render::TEXTURE_SIDE;
use crate::model::surface::Surface;

/// Categorical colours for up to 20 classes (d3's `category10`, then its
/// lighter pairs from `category20`), cycled past 20.
pub const CLASS_COLORS: [Color32; 20] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(255, 127, 14),
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(140, 86, 75),
    Color32::from_rgb(227, 119, 194),
    Color32::from_rgb(127, 127, 127),
    Color32::from_rgb(188, 189, 34),
    Color32::from_rgb(23, 190, 207),
    Color32::from_rgb(174, 199, 232),
    Color32::from_rgb(255, 187, 120),
    Color32::from_rgb(152, 223, 138),
    Color32::from_rgb(255, 152, 150),
    Color32::from_rgb(197, 176, 213),
    Color32::from_rgb(196, 156, 148),
    Color32::from_rgb(247, 182, 210),
    Color32::from_rgb(199, 199, 199),
    Color32::from_rgb(219, 219, 141),
    Color32::from_rgb(158, 218, 229),
];

/// Class `k`'s colour.
pub fn class_color(k: usize) -> Color32 {
    CLASS_COLORS[k % CLASS_COLORS.len()]
}

/// How strongly a region shows its class: 0 at probability `1/classes`
/// (no better than a guess), up to 0.8 at certainty (kept light so the
/// customers on top stay visible).
pub fn class_strength(p: f32, classes: usize) -> f32 {
    let chance = 1.0 / classes.max(2) as f32;
    ((p - chance) / (1.0 - chance)).clamp(0.0, 1.0) * 0.8
}

/// The `TEXTURE_SIDE`² image of a surface of `classes` probabilities per
/// cell (row-major cells, each cell's classes together): row 0 is the
/// largest y. A grid of the wrong size draws blank (white).
pub fn render_classes(surface: &Surface, classes: usize) -> ColorImage {
    let side = TEXTURE_SIDE;
    let grid = surface.resolution;
    if grid < 2 || classes < 2 || surface.values.len() != grid * grid * classes {
        return ColorImage::new([side, side], vec![Color32::WHITE; side * side]);
    }
    let n = grid as f32;
    let last = (grid - 1) as f32;
    // Bilinear weights per texture column and row, as the binary surface.
    let axis = |flip: bool| -> Vec<(usize, usize, f32)> {
        (0..side)
            .map(|p| {
                let p = if flip { side - 1 - p } else { p };
                let f = ((p as f32 + 0.5) / side as f32 * n - 0.5).clamp(0.0, last);
                let lo = f.floor() as usize;
                (lo, (lo + 1).min(grid - 1), f - lo as f32)
            })
            .collect()
    };
    let (columns, rows) = (axis(false), axis(true));
    let cell = |x: usize, y: usize| &surface.values[(y * grid + x) * classes..][..classes];
    let mut best = vec![0usize; side * side];
    let mut pixels = Vec::with_capacity(side * side);
    for (py, &(y0, y1, ty)) in rows.iter().enumerate() {
        for (px, &(x0, x1, tx)) in columns.iter().enumerate() {
            let (a, b, c, d) = (cell(x0, y0), cell(x1, y0), cell(x0, y1), cell(x1, y1));
            let mut top = (0, f32::NEG_INFINITY);
            for k in 0..classes {
                let upper = a[k] * (1.0 - tx) + b[k] * tx;
                let lower = c[k] * (1.0 - tx) + d[k] * tx;
                let p = upper * (1.0 - ty) + lower * ty;
                if p > top.1 {
                    top = (k, p);
                }
            }
            best[py * side + px] = top.0;
            pixels.push(mix(
                Color32::WHITE,
                class_color(top.0),
                class_strength(top.1, classes),
            ));
        }
    }
    // Boundaries: a pixel whose right or lower neighbour is another class.
    for py in 0..side {
        for px in 0..side {
            let here = best[py * side + px];
            let right = px + 1 < side && best[py * side + px + 1] != here;
            let below = py + 1 < side && best[(py + 1) * side + px] != here;
            if right || below {
                pixels[py * side + px] = CONTOUR;
            }
        }
    }
    ColorImage::new([side, side], pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3-class surface on a 10×10 grid: class 0 on the left third, 2 on
    /// the right third, 1 between, certain at the edges and unsure (all
    /// three at 1/3) along the top row.
    fn three_bands() -> Surface {
        let grid = 10;
        let mut values = Vec::new();
        for y in 0..grid {
            for x in 0..grid {
                let k = x * 3 / grid;
                let mut p = [0.05f32; 3];
                p[k] = 0.9;
                if y == grid - 1 {
                    p = [1.0 / 3.0; 3];
                }
                values.extend(p);
            }
        }
        Surface::on_unit_square(values, grid)
    }

    #[test]
    fn regions_take_their_class_colour_with_boundaries_and_unsure_regions_fade() {
        let image = render_classes(&three_bands(), 3);
        let side = TEXTURE_SIDE;
        let at = |x: usize, y: usize| image.pixels[y * side + x];
        let bottom = side - 5;
        let strong = |k: usize| mix(Color32::WHITE, class_color(k), class_strength(0.9, 3));
        assert_eq!(at(5, bottom), strong(0));
        assert_eq!(at(side / 2, bottom), strong(1));
        assert_eq!(at(side - 5, bottom), strong(2));
        // Two boundaries cross the bottom row, drawn in the contour colour.
        let row: Vec<Color32> = (0..side).map(|x| at(x, bottom)).collect();
        let lines = row
            .windows(2)
            .filter(|w| w[0] != CONTOUR && w[1] == CONTOUR)
            .count();
        assert_eq!(lines, 2, "{row:?}");
        // The top row: a three-way tie, faded to white.
        assert_eq!(at(5, 0), Color32::WHITE);
        assert!(class_strength(1.0 / 3.0, 3) == 0.0 && class_strength(1.0, 3) == 0.8);
        // A surface of the wrong size draws blank, not a panic.
        let mut short = three_bands();
        short.values.truncate(10);
        assert!(
            render_classes(&short, 3)
                .pixels
                .iter()
                .all(|&p| p == Color32::WHITE)
        );
    }
}
