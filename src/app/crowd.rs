//! Many customers on the decision surface without hiding it (issue 21):
//! past a few thousand, solid dots cover the heatmap they sit on. The user
//! chooses between dots that grow fainter as there are more of them, and a
//! density layer: the plot cut into cells, each shaded by how many
//! customers of each class it holds, empty cells left clear so the heatmap
//! shows through. Pure functions over plot points; the view keeps the
//! density texture and rebuilds it only when the points or axes change.

use eframe::egui::{self, Color32, ColorImage, TextureHandle, TextureId, TextureOptions};
use egui_plot::PlotPoint;
use serde::{Deserialize, Serialize};

/// How the surface draws its customers (a persisted setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PointStyle {
    /// Dots up to [`AUTO_DENSITY_FROM`] customers, the density layer past
    /// them.
    #[default]
    Auto,
    /// One dot per customer, fainter past [`FAINT_FROM`] customers.
    Dots,
    /// Cells shaded by the number of customers of each class in them.
    Density,
}

/// Customers past which `Auto` draws the density layer: a million dots
/// would be a grey fog, and even thinned to [`MAX_DOTS`] their mesh is
/// copied every frame (docs/PERFORMANCE.md, "A million customers").
pub const AUTO_DENSITY_FROM: usize = 100_000;

impl PointStyle {
    pub const ALL: [PointStyle; 3] = [PointStyle::Auto, PointStyle::Dots, PointStyle::Density];

    pub fn label(self) -> &'static str {
        match self {
            PointStyle::Auto => "auto",
            PointStyle::Dots => "dots",
            PointStyle::Density => "density",
        }
    }

    /// The style drawn for `customers` points: `Auto` becomes dots or
    /// the density layer; the others stay as chosen.
    pub fn for_customers(self, customers: usize) -> PointStyle {
        match self {
            PointStyle::Auto if customers > AUTO_DENSITY_FROM => PointStyle::Density,
            PointStyle::Auto => PointStyle::Dots,
            chosen => chosen,
        }
    }
}

/// Customers up to which dots are drawn solid.
pub const FAINT_FROM: usize = 2_000;

/// The faintest a dot gets (alpha, 0-1), so a lone customer stays visible.
const FAINTEST: f32 = 0.12;

/// The opacity (0-1) of each of `n` dots: 1 up to [`FAINT_FROM`], then
/// falling as `sqrt(FAINT_FROM / n)` (so the ink of a crowd grows with the
/// square root of its size, not linearly), never below 0.12.
pub fn dot_alpha(n: usize) -> f32 {
    if n <= FAINT_FROM {
        return 1.0;
    }
    ((FAINT_FROM as f32 / n as f32).sqrt()).max(FAINTEST)
}

/// The most dots drawn; past it every k-th customer is drawn (the density
/// layer counts them all). Each dot is a quad the tessellator and the
/// renderer copy every frame: with 100,000 (8 MB of vertices) a million-row
/// file cost the UI thread 30 ms a frame while training
/// (docs/PERFORMANCE.md), past the 16 ms budget.
pub const MAX_DOTS: usize = 30_000;

/// Draw every `stride(n)`-th of `n` customers as a dot: 1 up to
/// [`MAX_DOTS`].
pub fn stride(n: usize) -> usize {
    n.div_ceil(MAX_DOTS).max(1)
}

/// Every `stride`-th point, from the first.
pub fn thin(points: &[PlotPoint], stride: usize) -> Vec<PlotPoint> {
    points.iter().step_by(stride.max(1)).copied().collect()
}

/// Cells across each axis of the density layer.
pub const DENSITY_CELLS: usize = 96;

/// The most opaque a full cell gets, so the heatmap is seen even there.
const DENSEST: f32 = 0.85;

/// The density layer of two classes' points (each class given as one or
/// more slices: training and test customers) over the plot range
/// `x` × `y` (the surface's, in the features' units) as an image of
/// `cells` × `cells` pixels, row 0 at the top (the largest `y`). A cell's
/// colour mixes `colors[0]` and `colors[1]` by the classes' shares in it;
/// its opacity grows with `ln(1 + count)` up to 0.85 at the fullest cell.
/// Empty cells, and points outside the range, stay clear.
pub fn density_image(
    classes: [&[&[PlotPoint]]; 2],
    x: (f64, f64),
    y: (f64, f64),
    cells: usize,
    colors: [Color32; 2],
) -> ColorImage {
    let mut counts = vec![[0u32; 2]; cells * cells];
    let (w, h) = (x.1 - x.0, y.1 - y.0);
    if w > 0.0 && h > 0.0 && cells > 0 {
        for (class, parts) in classes.iter().enumerate() {
            for p in parts.iter().flat_map(|part| part.iter()) {
                let u = (p.x - x.0) / w;
                let v = (y.1 - p.y) / h;
                if !(0.0..=1.0).contains(&u) || !(0.0..=1.0).contains(&v) {
                    continue;
                }
                let col = ((u * cells as f64) as usize).min(cells - 1);
                let row = ((v * cells as f64) as usize).min(cells - 1);
                counts[row * cells + col][class] += 1;
            }
        }
    }
    let fullest = counts.iter().map(|c| c[0] + c[1]).max().unwrap_or(0);
    let scale = (1.0 + fullest as f32).ln().max(f32::EPSILON);
    let pixels = counts
        .iter()
        .map(|&[a, b]| {
            let n = a + b;
            if n == 0 {
                return Color32::TRANSPARENT;
            }
            let share = b as f32 / n as f32;
            let alpha = DENSEST * (1.0 + n as f32).ln() / scale;
            let mix = |c0: u8, c1: u8| {
                (f32::from(c0) * (1.0 - share) + f32::from(c1) * share).round() as u8
            };
            let [r0, g0, b0, _] = colors[0].to_array();
            let [r1, g1, b1, _] = colors[1].to_array();
            Color32::from_rgba_unmultiplied(
                mix(r0, r1),
                mix(g0, g1),
                mix(b0, b1),
                (alpha * 255.0).round() as u8,
            )
        })
        .collect();
    ColorImage::new([cells, cells], pixels)
}

/// What a density texture was drawn from: the x and y ranges and whether
/// the test customers were in it.
type DrawnFor = ((f64, f64), (f64, f64), bool);

/// The density layer's texture, rebuilt only when the points, the plot
/// range or the classes shown change (never every frame).
#[derive(Default)]
pub struct DensityLayer {
    texture: Option<TextureHandle>,
    /// What the texture was drawn from: the range and whether the test
    /// customers were in it; `None` after the points changed.
    drawn_for: Option<DrawnFor>,
}

impl DensityLayer {
    /// The points changed (other data, axes or split).
    pub fn invalidate(&mut self) {
        self.drawn_for = None;
    }

    /// The layer's texture for `classes` over `x` × `y` (see
    /// [`density_image`]); `with_test` says whether the classes include
    /// the test customers (a change redraws it).
    pub fn texture(
        &mut self,
        ctx: &egui::Context,
        classes: [&[&[PlotPoint]]; 2],
        range: ((f64, f64), (f64, f64)),
        with_test: bool,
        colors: [Color32; 2],
    ) -> TextureId {
        let key = (range.0, range.1, with_test);
        let image = || density_image(classes, range.0, range.1, DENSITY_CELLS, colors);
        match &mut self.texture {
            Some(handle) if self.drawn_for != Some(key) => {
                handle.set(image(), TextureOptions::NEAREST);
            }
            Some(_) => {}
            None => {
                self.texture =
                    Some(ctx.load_texture("customer-density", image(), TextureOptions::NEAREST));
            }
        }
        self.drawn_for = Some(key);
        self.texture
            .get_or_insert_with(|| {
                ctx.load_texture("customer-density", image(), TextureOptions::NEAREST)
            })
            .id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_fade_past_a_few_thousand_but_never_vanish() {
        assert_eq!(dot_alpha(500), 1.0);
        assert_eq!(dot_alpha(FAINT_FROM), 1.0);
        let seven_thousand = dot_alpha(7_000);
        assert!((0.4..0.6).contains(&seven_thousand), "{seven_thousand}");
        assert!(dot_alpha(7_000) > dot_alpha(70_000));
        assert_eq!(dot_alpha(1_000_000), FAINTEST);
    }

    #[test]
    fn past_thirty_thousand_every_kth_customer_is_drawn() {
        assert_eq!(stride(0), 1);
        assert_eq!(stride(MAX_DOTS), 1);
        assert_eq!(stride(MAX_DOTS + 1), 2);
        // A million customers: every 34th, about 29,400 dots.
        assert_eq!(stride(1_000_000), 34);
        let points: Vec<PlotPoint> = (0..25).map(|i| PlotPoint::new(f64::from(i), 0.0)).collect();
        let kept = thin(&points, 10);
        assert_eq!(
            kept.iter().map(|p| p.x).collect::<Vec<_>>(),
            [0.0, 10.0, 20.0]
        );
        assert_eq!(thin(&points, 1).len(), 25);
    }

    #[test]
    fn auto_draws_dots_for_a_few_customers_and_density_for_very_many() {
        assert_eq!(PointStyle::default(), PointStyle::Auto);
        assert_eq!(PointStyle::Auto.for_customers(7_000), PointStyle::Dots);
        assert_eq!(
            PointStyle::Auto.for_customers(AUTO_DENSITY_FROM),
            PointStyle::Dots
        );
        assert_eq!(
            PointStyle::Auto.for_customers(AUTO_DENSITY_FROM + 1),
            PointStyle::Density
        );
        // A choice of the user's stays whatever the count.
        assert_eq!(PointStyle::Dots.for_customers(1_000_000), PointStyle::Dots);
        assert_eq!(PointStyle::Density.for_customers(10), PointStyle::Density);
    }

    #[test]
    fn the_density_layer_counts_each_cell_and_leaves_empty_ones_clear() {
        let blue = Color32::from_rgb(0, 0, 255);
        let orange = Color32::from_rgb(255, 128, 0);
        // Four class-0 points in the bottom-left cell, one class-1 point in
        // the top-right cell, one outside the range.
        let zeros = vec![PlotPoint::new(0.1, 0.1); 4];
        let ones = vec![PlotPoint::new(0.9, 0.9), PlotPoint::new(5.0, 5.0)];
        let image = density_image(
            [&[&zeros], &[&ones]],
            (0.0, 1.0),
            (0.0, 1.0),
            2,
            [blue, orange],
        );
        assert_eq!(image.size, [2, 2]);
        // Row 0 is the top: top-right holds the class-1 point.
        let top_right = image.pixels[1];
        let bottom_left = image.pixels[2];
        assert_eq!(image.pixels[0], Color32::TRANSPARENT);
        assert_eq!(image.pixels[3], Color32::TRANSPARENT);
        // The fullest cell is the most opaque, at 0.85.
        assert_eq!(bottom_left.a(), (0.85_f32 * 255.0).round() as u8);
        assert!(top_right.a() < bottom_left.a() && top_right.a() > 0);
        // Colours by class (premultiplied: compare hue, not bytes).
        assert!(bottom_left.b() > bottom_left.r(), "{bottom_left:?}");
        assert!(top_right.r() > top_right.b(), "{top_right:?}");
    }

    #[test]
    fn a_degenerate_range_draws_nothing() {
        let points = vec![PlotPoint::new(1.0, 1.0)];
        let image = density_image(
            [&[&points], &[]],
            (1.0, 1.0),
            (0.0, 2.0),
            4,
            [Color32::RED, Color32::BLUE],
        );
        assert!(image.pixels.iter().all(|&p| p == Color32::TRANSPARENT));
    }
}
