//! What the views keep between frames so a frame does not redo work: the
//! surface texture, the customers' positions and marker sprites, the hidden
//! units' thumbnails, the test metrics at the chosen threshold, and where
//! the exportable views were drawn. Each is rebuilt only when its inputs
//! change.

use std::sync::Arc;

use super::export::ViewRects;
use super::network_view::UnitTextures;
use super::point_cloud::Sprites;
use super::settings::Settings;
use super::surface_view::{Scatter, SurfaceTexture};
use super::training_link::RunView;
use crate::data::prep::Prepared;
use crate::model::metrics::{ClassificationMetrics, MulticlassMetrics};

#[derive(Default)]
pub struct ViewCache {
    pub surface_texture: SurfaceTexture,
    /// A multi-class network's surface and its customers by class.
    pub class_surface: super::class_surface_view::ClassSurface,
    /// The customers drawn on the surface, per data and axis choice.
    pub scatter: Scatter,
    /// Marker sprites for the surface's customers.
    pub sprites: Sprites,
    pub unit_textures: UnitTextures,
    pub metrics: MetricsCache,
    /// Where the exportable views were drawn last frame.
    pub rects: ViewRects,
    /// The network diagram's links as drawn last frame (hover, tests).
    pub links: Vec<super::network_links::Link>,
}

/// Metrics at the chosen threshold on the rows the predictions are for
/// (validation while training, test once finished), recomputed when the
/// predictions or the threshold change.
#[derive(Default)]
pub struct MetricsCache {
    key: Option<MetricsKey>,
    metrics: Option<ClassificationMetrics>,
    /// A multi-class network's figures (no threshold).
    multiclass: Option<MulticlassMetrics>,
}

/// What the cached metrics were computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MetricsKey {
    predictions_version: u64,
    threshold: f64,
}

impl MetricsCache {
    pub fn get(&self) -> Option<&ClassificationMetrics> {
        self.metrics.as_ref()
    }

    /// A multi-class network's figures on the same rows.
    pub fn multiclass(&self) -> Option<&MulticlassMetrics> {
        self.multiclass.as_ref()
    }

    fn clear(&mut self) {
        self.key = None;
        self.metrics = None;
        self.multiclass = None;
    }

    pub fn refresh(
        &mut self,
        prepared: Option<&Arc<Prepared>>,
        run: &RunView,
        settings: &Settings,
    ) {
        let (Some(prepared), Some(predictions)) = (prepared, &run.predictions) else {
            self.clear();
            return;
        };
        // An untrained network's predictions are no evaluation: nothing
        // until an epoch has run.
        if run.history.is_empty() || settings.problem.as_ref().is_some_and(|p| p.regression) {
            self.clear();
            return;
        }
        let key = MetricsKey {
            predictions_version: run.predictions_version,
            threshold: settings.threshold,
        };
        if self.key == Some(key) {
            return;
        }
        self.key = Some(key);
        let actual = &prepared.part(run.predictions_part).y;
        if let Some(classes) = prepared.pipeline.encoding.classes() {
            self.metrics = None;
            self.multiclass = MulticlassMetrics::compute(predictions, actual, classes).ok();
            return;
        }
        self.multiclass = None;
        self.metrics = ClassificationMetrics::compute(predictions, actual, settings.threshold).ok();
    }
}
