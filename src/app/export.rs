//! Exports for slides and reports: the decision surface and the curves as
//! PNG images, rendered by the app itself (a screenshot of the frame,
//! cropped to the view with its axes and legend), and the writers the file
//! dialogs hand their paths to. Encoding and writing run off the UI thread.

use std::path::Path;

use eframe::egui::{self, ColorImage, Rect};

use crate::insights::export::InsightView;

/// Views that can be exported as images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PngView {
    Surface,
    Curves,
    /// One view of the Insights window.
    Insight(InsightView),
}

impl PngView {
    pub fn file_name(self) -> &'static str {
        match self {
            PngView::Surface => "decision-surface.png",
            PngView::Curves => "curves.png",
            PngView::Insight(view) => match view {
                InsightView::Gains => "gains.png",
                InsightView::Profit => "profit.png",
                InsightView::Calibration => "calibration.png",
                InsightView::Importance => "importance.png",
                InsightView::Dependence => "dependence.png",
            },
        }
    }
}

/// Where each exportable view was drawn in the last frame (points).
#[derive(Debug, Clone, Copy, Default)]
pub struct ViewRects {
    pub surface: Option<Rect>,
    pub curves: Option<Rect>,
    /// The surface's plot area alone (what its tooltips must not cover).
    pub surface_plot: Option<Rect>,
    /// The network diagram under the surface (not exported; the layout's
    /// tests check that the surface's colour bar stays above it).
    pub diagram: Option<Rect>,
    /// The ROC plot's data range last frame (what its axes show).
    pub roc_bounds: Option<egui_plot::PlotBounds>,
    /// The side panels (data and results) and the centre between them, as
    /// laid out last frame (the layout's tests check that each holds its
    /// content).
    pub controls: Option<Rect>,
    pub results: Option<Rect>,
    pub centre: Option<Rect>,
    /// The Insights window's views, by [`InsightView::index`].
    pub insights: [Option<Rect>; 5],
}

impl ViewRects {
    pub fn get(&self, view: PngView) -> Option<Rect> {
        match view {
            PngView::Surface => self.surface,
            PngView::Curves => self.curves,
            PngView::Insight(view) => self.insights[view.index()],
        }
    }
}

/// The part of a screenshot under `rect` (in points; the image is in
/// physical pixels at `pixels_per_point`); `None` when nothing overlaps.
pub fn crop(image: &ColorImage, rect: Rect, pixels_per_point: f32) -> Option<ColorImage> {
    let [w, h] = image.size;
    let px = |v: f32, max: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(max);
    let (x0, x1) = (px(rect.min.x, w), px(rect.max.x, w));
    let (y0, y1) = (px(rect.min.y, h), px(rect.max.y, h));
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let mut pixels = Vec::with_capacity((x1 - x0) * (y1 - y0));
    for y in y0..y1 {
        pixels.extend_from_slice(&image.pixels[y * w + x0..y * w + x1]);
    }
    Some(ColorImage::new([x1 - x0, y1 - y0], pixels))
}

/// Writes `image` as an 8-bit RGBA PNG.
pub fn write_png(image: &ColorImage, path: &Path) -> Result<(), String> {
    let [w, h] = image.size;
    let bytes: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    crate::save::save_with(path, |file| {
        let mut encoder = png::Encoder::new(file, w as u32, h as u32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .and_then(|mut writer| writer.write_image_data(&bytes))
            .map_err(std::io::Error::other)
    })
    .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// Asks the renderer for a screenshot of the next frame; it arrives on the
/// returned channel.
pub fn request_screenshot(
    ctx: &egui::Context,
) -> std::sync::mpsc::Receiver<std::sync::Arc<ColorImage>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let repaint = ctx.clone();
    ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
        egui::ScreenshotCallback::new(move |image| {
            let _ = tx.send(image);
            repaint.request_repaint();
        }),
    ));
    ctx.request_repaint();
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use eframe::egui::{Color32, pos2};

    #[test]
    fn crops_in_physical_pixels_and_writes_a_png_of_that_size() {
        let mut image = ColorImage::new([40, 30], vec![Color32::WHITE; 40 * 30]);
        image.pixels[10 * 40 + 8] = Color32::RED;
        // Points at 2 pixels per point: (4,5)-(14,15) is pixels (8,10)-(28,30).
        let part = crop(
            &image,
            Rect::from_min_max(pos2(4.0, 5.0), pos2(14.0, 15.0)),
            2.0,
        )
        .unwrap();
        assert_eq!(part.size, [20, 20]);
        assert_eq!(part.pixels[0], Color32::RED);
        assert!(
            crop(
                &image,
                Rect::from_min_max(pos2(50.0, 50.0), pos2(60.0, 60.0)),
                1.0
            )
            .is_none()
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.png");
        write_png(&part, &path).unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (20, 20));
    }
}
