//! Thousands of customers on the decision surface, cheaply.
//!
//! egui_plot's `Points` draws each marker as an anti-aliased circle path that
//! egui tessellates anew every frame: with the 7,000 customers of a telco
//! file that was most of the UI thread's time per frame while training.
//! Here every marker is one textured quad (4 vertices) cut from a small
//! sprite sheet with a disc and a ring, tinted by the vertex colour, so the
//! whole cloud is a single mesh that egui only copies. The sprite's soft
//! edge keeps the markers anti-aliased at any size. The mesh is kept while
//! the plot's view, the points and the style stay the same (all of a
//! training run, unless the user pans or zooms), so most frames do not
//! even rebuild it.
//!
//! The cloud is a real plot item: it has a legend entry that hides it when
//! clicked, highlights on hover of that entry, and answers hover queries
//! with the nearest customer, as egui_plot's own points do.

use std::cell::RefCell;
use std::ops::RangeInclusive;
use std::sync::Arc;

use eframe::egui::{
    self, Color32, ColorImage, Mesh, Pos2, Rect, Shape, TextureHandle, TextureId, TextureOptions,
    Ui, pos2, vec2,
};
use egui_plot::{PlotBounds, PlotGeometry, PlotItem, PlotItemBase, PlotPoint, PlotTransform};

/// Pixels per sprite side in the sheet; markers are drawn far smaller, and
/// linear filtering turns the sheet's edge into a smooth one.
const SPRITE: usize = 32;

/// How a marker looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A filled disc (training customers).
    Disc,
    /// A hollow ring (test customers).
    Ring,
}

impl Marker {
    /// The marker's cell in the sprite sheet, in texture coordinates.
    fn uv(self) -> Rect {
        match self {
            Marker::Disc => Rect::from_min_max(pos2(0.0, 0.0), pos2(0.5, 1.0)),
            Marker::Ring => Rect::from_min_max(pos2(0.5, 0.0), pos2(1.0, 1.0)),
        }
    }
}

/// The sprite sheet's texture, made on first use.
#[derive(Default)]
pub struct Sprites {
    handle: Option<TextureHandle>,
}

impl Sprites {
    pub fn texture(&mut self, ctx: &egui::Context) -> TextureId {
        self.handle
            .get_or_insert_with(|| {
                ctx.load_texture("point-sprites", sprite_sheet(), TextureOptions::LINEAR)
            })
            .id()
    }
}

/// A disc and a ring side by side, white with coverage as alpha
/// (premultiplied, so tinting by a vertex colour gives that colour).
fn sprite_sheet() -> ColorImage {
    let mut pixels = vec![Color32::TRANSPARENT; 2 * SPRITE * SPRITE];
    let centre = SPRITE as f32 / 2.0;
    // Coverage of a pixel by a shape edge at `distance` from the edge
    // (positive inside), over one pixel of feathering.
    let coverage = |inside: f32| inside.clamp(-0.5, 0.5) + 0.5;
    for row in 0..SPRITE {
        for col in 0..SPRITE {
            let dx = col as f32 + 0.5 - centre;
            let dy = row as f32 + 0.5 - centre;
            let r = (dx * dx + dy * dy).sqrt();
            let outer = centre - 1.0;
            let disc = coverage(outer - r);
            // A ring about a fifth of the radius wide, like egui_plot's
            // hollow markers, but never thinner than the feathering.
            let inner = outer * 0.72;
            let ring = coverage(outer - r).min(coverage(r - inner));
            pixels[row * 2 * SPRITE + col] = Color32::from_white_alpha(alpha(disc));
            pixels[row * 2 * SPRITE + SPRITE + col] = Color32::from_white_alpha(alpha(ring));
        }
    }
    ColorImage::new([2 * SPRITE, SPRITE], pixels)
}

fn alpha(coverage: f32) -> u8 {
    (coverage * 255.0).round() as u8
}

/// Meshes of recently drawn series, reused while nothing they depend on
/// changed.
#[derive(Default)]
pub struct MeshCache {
    entries: RefCell<Vec<CachedMesh>>,
}

/// Series on one plot: two classes, training and test.
const CACHED_MESHES: usize = 4;

struct CachedMesh {
    points: Arc<[PlotPoint]>,
    frame: Rect,
    bounds: PlotBounds,
    marker: Marker,
    radius: f32,
    color: Color32,
    texture: TextureId,
    mesh: Arc<Mesh>,
}

impl MeshCache {
    fn get(&self, cloud: &PointCloud<'_>, radius: f32, transform: &PlotTransform) -> Arc<Mesh> {
        let mut entries = self.entries.borrow_mut();
        let matches = |e: &CachedMesh| {
            Arc::ptr_eq(&e.points, &cloud.series.points)
                && e.frame == *transform.frame()
                && e.bounds == *transform.bounds()
                && e.marker == cloud.marker
                && e.radius == radius
                && e.color == cloud.color
                && e.texture == cloud.texture
        };
        if let Some(entry) = entries.iter().find(|e| matches(e)) {
            return Arc::clone(&entry.mesh);
        }
        let mesh = Arc::new(marker_mesh(
            &cloud.series.points,
            transform,
            cloud.marker,
            radius,
            cloud.color,
            cloud.texture,
        ));
        // Replace this series' old mesh, else the oldest entry.
        entries.retain(|e| !Arc::ptr_eq(&e.points, &cloud.series.points));
        if entries.len() >= CACHED_MESHES {
            entries.remove(0);
        }
        entries.push(CachedMesh {
            points: Arc::clone(&cloud.series.points),
            frame: *transform.frame(),
            bounds: *transform.bounds(),
            marker: cloud.marker,
            radius,
            color: cloud.color,
            texture: cloud.texture,
            mesh: Arc::clone(&mesh),
        });
        mesh
    }
}

/// A series' points with their bounds, worked out once when the points are
/// (not every frame the plot asks for them).
#[derive(Clone)]
pub struct Series {
    points: Arc<[PlotPoint]>,
    bounds: PlotBounds,
}

impl Series {
    pub fn new(points: Vec<PlotPoint>) -> Self {
        let mut bounds = PlotBounds::NOTHING;
        for point in &points {
            bounds.extend_with(point);
        }
        Self {
            points: Arc::from(points),
            bounds,
        }
    }
}

impl Series {
    /// The points, in plot coordinates.
    pub fn points(&self) -> &[PlotPoint] {
        &self.points
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}

impl Default for Series {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

/// One named series of markers.
pub struct PointCloud<'a> {
    base: PlotItemBase,
    series: Series,
    color: Color32,
    marker: Marker,
    /// Marker radius in points.
    radius: f32,
    texture: TextureId,
    cache: &'a MeshCache,
}

impl<'a> PointCloud<'a> {
    pub fn new(
        name: impl Into<String>,
        series: Series,
        marker: Marker,
        texture: TextureId,
        cache: &'a MeshCache,
    ) -> Self {
        Self {
            base: PlotItemBase::new(name.into()),
            series,
            color: Color32::GRAY,
            marker,
            radius: 2.5,
            texture,
            cache,
        }
    }

    pub fn color(mut self, color: Color32) -> Self {
        self.color = color;
        self
    }

    pub fn radius(mut self, radius: f32) -> Self {
        self.radius = radius;
        self
    }
}

/// The markers of `points` as one textured mesh in screen coordinates;
/// points outside `clip` (plus the marker) are left out.
pub fn marker_mesh(
    points: &[PlotPoint],
    transform: &PlotTransform,
    marker: Marker,
    radius: f32,
    color: Color32,
    texture: TextureId,
) -> Mesh {
    let mut mesh = Mesh::with_texture(texture);
    let clip = transform.frame().expand(radius);
    let uv = marker.uv();
    // Draw the sprite a pixel larger than the marker: its outermost pixel
    // is the soft edge.
    let half = vec2(radius + 0.5, radius + 0.5);
    mesh.reserve_triangles(points.len() * 2);
    mesh.reserve_vertices(points.len() * 4);
    for point in points {
        let centre: Pos2 = transform.position_from_point(point);
        if !clip.contains(centre) {
            continue;
        }
        mesh.add_rect_with_uv(Rect::from_center_size(centre, half * 2.0), uv, color);
    }
    mesh
}

impl PlotItem for PointCloud<'_> {
    fn shapes(&self, _ui: &Ui, transform: &PlotTransform, shapes: &mut Vec<Shape>) {
        let radius = if self.highlighted() {
            self.radius * std::f32::consts::SQRT_2
        } else {
            self.radius
        };
        let mesh = self.cache.get(self, radius, transform);
        if !mesh.is_empty() {
            shapes.push(Shape::Mesh(mesh));
        }
    }

    fn initialize(&mut self, _x_range: RangeInclusive<f64>) {}

    fn color(&self) -> Color32 {
        self.color
    }

    fn geometry(&self) -> PlotGeometry<'_> {
        PlotGeometry::Points(&self.series.points)
    }

    fn bounds(&self) -> PlotBounds {
        self.series.bounds
    }

    fn base(&self) -> &PlotItemBase {
        &self.base
    }

    fn base_mut(&mut self) -> &mut PlotItemBase {
        &mut self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transform() -> PlotTransform {
        // 100 × 100 points of screen for data in [0, 10] × [0, 10].
        let frame = Rect::from_min_size(pos2(0.0, 0.0), vec2(100.0, 100.0));
        PlotTransform::new(
            frame,
            PlotBounds::from_min_max([0.0, 0.0], [10.0, 10.0]),
            false,
        )
    }

    #[test]
    fn one_quad_per_visible_point_centred_on_it() {
        let points = [
            PlotPoint::new(5.0, 5.0),
            PlotPoint::new(0.0, 10.0),
            PlotPoint::new(50.0, 5.0), // far outside the view
        ];
        let texture = TextureId::Managed(7);
        let mesh = marker_mesh(
            &points,
            &transform(),
            Marker::Ring,
            2.0,
            Color32::RED,
            texture,
        );
        assert_eq!(
            mesh.vertices.len(),
            8,
            "two visible points, four corners each"
        );
        assert_eq!(mesh.indices.len(), 12);
        assert_eq!(mesh.texture_id, texture);
        let first =
            Rect::from_points(&mesh.vertices[..4].iter().map(|v| v.pos).collect::<Vec<_>>());
        assert_eq!(first.center(), pos2(50.0, 50.0));
        assert_eq!(first.width(), 5.0, "radius 2 plus the half-pixel soft edge");
        // The data's top-left corner is the screen's top-left corner.
        let second =
            Rect::from_points(&mesh.vertices[4..].iter().map(|v| v.pos).collect::<Vec<_>>());
        assert_eq!(second.center(), pos2(0.0, 0.0));
        assert!(mesh.vertices.iter().all(|v| v.color == Color32::RED));
        assert!(
            mesh.vertices.iter().all(|v| v.uv.x >= 0.5),
            "rings use the right half"
        );
    }

    #[test]
    fn sprites_are_a_disc_and_a_ring() {
        let sheet = sprite_sheet();
        let at = |x: usize, y: usize| sheet.pixels[y * 2 * SPRITE + x].a();
        let c = SPRITE / 2;
        assert_eq!(at(c, c), 255, "disc centre is solid");
        assert_eq!(at(0, 0), 0, "disc corner is clear");
        assert_eq!(at(SPRITE + c, c), 0, "ring centre is clear");
        assert_eq!(at(SPRITE + 2, c), 255, "ring edge is solid");
        // The soft edge has partial coverage somewhere.
        assert!(sheet.pixels.iter().any(|p| p.a() > 0 && p.a() < 255));
    }

    #[test]
    fn meshes_are_reused_until_the_view_changes() {
        let cache = MeshCache::default();
        let series = Series::new(vec![PlotPoint::new(1.0, 1.0)]);
        let texture = TextureId::Managed(1);
        let cloud = PointCloud::new("a", series, Marker::Disc, texture, &cache);
        let first = cache.get(&cloud, 2.5, &transform());
        let again = cache.get(&cloud, 2.5, &transform());
        assert!(Arc::ptr_eq(&first, &again));
        let zoomed = PlotTransform::new(
            *transform().frame(),
            PlotBounds::from_min_max([0.0, 0.0], [5.0, 5.0]),
            false,
        );
        let moved = cache.get(&cloud, 2.5, &zoomed);
        assert!(!Arc::ptr_eq(&first, &moved));
        assert_ne!(first.vertices[0].pos, moved.vertices[0].pos);
        assert_eq!(cache.entries.borrow().len(), 1, "a series keeps one mesh");
    }
}
