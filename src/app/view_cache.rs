//! What the views keep between frames so a frame does not redo work: the
//! surface texture, the customers' positions and marker sprites, the hidden
//! units' thumbnails, the test metrics at the chosen threshold, and where
//! the exportable views were drawn. Each is rebuilt only when its inputs
//! change.

use std::sync::Arc;

use super::background::Task;
use super::export::ViewRects;
use super::network_view::UnitTextures;
use super::point_cloud::Sprites;
use super::settings::Settings;
use super::surface_view::{Scatter, SurfaceTexture};
use super::training_link::RunView;
use crate::data::prep::{Part, Prepared};
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

/// Rows past which the metrics are computed on a background thread: the
/// ROC curve sorts every row's score, about 10 ms for the 120,000
/// validation rows of a million-row file, which made every epoch's frame
/// miss the 16 ms budget. Below it the sort takes well under a
/// millisecond and the figures are ready in the frame that asked.
pub const BACKGROUND_METRICS_ROWS: usize = 20_000;

/// Metrics at the chosen threshold on the rows the predictions are for
/// (validation while training, test once finished), recomputed when the
/// predictions or the threshold change: in the frame for small sets, on the
/// thread "purchase-lab-metrics" past [`BACKGROUND_METRICS_ROWS`], showing
/// the previous figures until the new ones arrive (one computation at a
/// time; only the newest request waits behind it).
#[derive(Default)]
pub struct MetricsCache {
    key: Option<MetricsKey>,
    metrics: Option<ClassificationMetrics>,
    /// A multi-class network's figures (no threshold).
    multiclass: Option<MulticlassMetrics>,
    /// The computation in flight and what it is for.
    running: Option<(MetricsKey, Task<Computed>)>,
    /// The newest request made while one was running.
    queued: Option<MetricsJob>,
    /// The view was cleared (new data, a regression target, a reset)
    /// while a computation ran: its result is dropped when it arrives.
    discard_running: bool,
}

/// What the cached metrics were computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MetricsKey {
    predictions_version: u64,
    threshold: f64,
}

/// Everything one computation needs, shared with the window.
struct MetricsJob {
    key: MetricsKey,
    predictions: Arc<Vec<f32>>,
    prepared: Arc<Prepared>,
    part: Part,
}

/// A finished computation.
enum Computed {
    Binary(Option<ClassificationMetrics>),
    Multiclass(Option<MulticlassMetrics>),
}

impl MetricsJob {
    fn compute(&self) -> Computed {
        let actual = &self.prepared.part(self.part).y;
        match self.prepared.pipeline.encoding.classes() {
            Some(classes) => Computed::Multiclass(
                MulticlassMetrics::compute(&self.predictions, actual, classes).ok(),
            ),
            None => Computed::Binary(
                ClassificationMetrics::compute(&self.predictions, actual, self.key.threshold).ok(),
            ),
        }
    }
}

impl MetricsCache {
    pub fn get(&self) -> Option<&ClassificationMetrics> {
        self.metrics.as_ref()
    }

    /// A multi-class network's figures on the same rows.
    pub fn multiclass(&self) -> Option<&MulticlassMetrics> {
        self.multiclass.as_ref()
    }

    /// Whether newer figures are being computed (the shown ones are for
    /// an earlier epoch or threshold).
    pub fn computing(&self) -> bool {
        self.running.is_some() || self.queued.is_some()
    }

    fn clear(&mut self) {
        self.key = None;
        self.metrics = None;
        self.multiclass = None;
        self.queued = None;
        // A running computation is left to finish (joining it here would
        // make this frame wait); its result is dropped when it arrives.
        self.discard_running = self.running.is_some();
    }

    fn show(&mut self, computed: Computed) {
        match computed {
            Computed::Binary(m) => {
                self.metrics = m;
                self.multiclass = None;
            }
            Computed::Multiclass(m) => {
                self.metrics = None;
                self.multiclass = m;
            }
        }
    }

    /// Brings the figures up to date with `run`'s predictions and the
    /// threshold, collecting a finished background computation; `notify`
    /// (a repaint) is called when one finishes.
    pub fn refresh(
        &mut self,
        prepared: Option<&Arc<Prepared>>,
        run: &RunView,
        settings: &Settings,
        notify: impl Fn() + Send + Clone + 'static,
    ) {
        self.collect(notify.clone());
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
        // The newest figures asked for: waiting, being computed, or shown.
        let running = self
            .running
            .as_ref()
            .filter(|_| !self.discard_running)
            .map(|(k, _)| *k);
        let wanted = self.queued.as_ref().map(|q| q.key).or(running).or(self.key);
        if wanted == Some(key) {
            return;
        }
        let job = MetricsJob {
            key,
            predictions: Arc::clone(predictions),
            prepared: Arc::clone(prepared),
            part: run.predictions_part,
        };
        if predictions.len() < BACKGROUND_METRICS_ROWS {
            self.queued = None;
            self.key = Some(key);
            self.show(job.compute());
            return;
        }
        self.start(job, notify);
    }

    /// Collects a finished computation (shown unless it was overtaken by a
    /// cleared view) and starts the queued one.
    fn collect(&mut self, notify: impl Fn() + Send + 'static) {
        let Some((key, task)) = self.running.as_mut() else {
            return;
        };
        let key = *key;
        let finished = match task.poll() {
            Some(computed) => Some(computed),
            None if task.is_lost() => None,
            None => return,
        };
        self.running = None;
        let discard = std::mem::take(&mut self.discard_running);
        if let Some(computed) = finished.filter(|_| !discard) {
            // Newer than what is shown, even when a newer request waits.
            self.key = Some(key);
            self.show(computed);
        }
        if let Some(job) = self.queued.take() {
            self.start(job, notify);
        }
    }

    fn start(&mut self, job: MetricsJob, notify: impl Fn() + Send + 'static) {
        if self.running.is_some() {
            self.queued = Some(job);
            return;
        }
        let key = job.key;
        let job = Arc::new(job);
        let work = Arc::clone(&job);
        match Task::spawn("purchase-lab-metrics", true, notify, move || work.compute()) {
            Ok(task) => self.running = Some((key, task)),
            // No thread: compute here rather than show nothing.
            Err(_) => {
                self.key = Some(key);
                self.show(job.compute());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::data::parse_csv;
    use crate::data::prep::{Problem, Recipe, prepare};
    use crate::model::run::{EpochReport, Metrics};

    /// `rows` customers (one feature, every third buys), prepared with the
    /// default split, and a run view with one epoch done and predictions
    /// for the validation rows.
    fn scene(rows: usize) -> (Arc<Prepared>, RunView) {
        let mut csv = String::from("x,bought\n");
        for i in 0..rows {
            let label = if i % 3 == 0 { "yes" } else { "no" };
            csv.push_str(&format!("{i},{label}\n"));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        let problem = Problem::Classification {
            positive: "yes".into(),
        };
        let prepared = Arc::new(prepare(&table, &Recipe::new(&table, "bought", problem)).unwrap());
        let n = prepared.valid.y.len();
        let mut run = RunView::default();
        run.predictions = Some(Arc::new((0..n).map(|i| (i % 10) as f32 / 10.0).collect()));
        run.predictions_part = Part::Validation;
        run.predictions_version = 1;
        let metrics = ClassificationMetrics::compute(&[0.5], &[1.0], 0.5).unwrap();
        run.history.push(EpochReport {
            epoch: 1,
            train_loss: 0.5,
            valid_loss: 0.5,
            metrics: Metrics::Classification(metrics),
            test_metrics: None,
            seconds: 0.1,
        });
        (prepared, run)
    }

    fn expected(prepared: &Prepared, run: &RunView, threshold: f64) -> ClassificationMetrics {
        let predictions = run.predictions.as_ref().unwrap();
        ClassificationMetrics::compute(predictions, &prepared.valid.y, threshold).unwrap()
    }

    /// Refreshes until no computation is in flight (at most 30 s).
    fn settle(cache: &mut MetricsCache, prepared: &Arc<Prepared>, run: &RunView, s: &Settings) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            cache.refresh(Some(prepared), run, s, || {});
            if !cache.computing() {
                return;
            }
            assert!(Instant::now() < deadline, "the metrics never arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_small_set_is_measured_in_the_frame_that_asks() {
        let (prepared, run) = scene(2_000);
        assert!(prepared.valid.y.len() < BACKGROUND_METRICS_ROWS);
        let settings = Settings::default();
        let mut cache = MetricsCache::default();
        cache.refresh(Some(&prepared), &run, &settings, || {});
        assert!(!cache.computing());
        assert_eq!(
            cache.get(),
            Some(&expected(&prepared, &run, settings.threshold))
        );
    }

    #[test]
    fn a_large_set_is_measured_on_a_thread_showing_the_last_figures_meanwhile() {
        let (prepared, mut run) = scene(200_000);
        assert!(prepared.valid.y.len() >= BACKGROUND_METRICS_ROWS);
        let mut settings = Settings::default();
        let mut cache = MetricsCache::default();
        cache.refresh(Some(&prepared), &run, &settings, || {});
        assert!(cache.computing(), "not computed in the frame");
        settle(&mut cache, &prepared, &run, &settings);
        let first = expected(&prepared, &run, settings.threshold);
        assert_eq!(cache.get(), Some(&first));

        // A new threshold: the old figures stay up until the new arrive.
        settings.threshold = 0.75;
        cache.refresh(Some(&prepared), &run, &settings, || {});
        assert!(cache.computing());
        assert_eq!(cache.get(), Some(&first));
        // Asked again while it runs: nothing more is started.
        cache.refresh(Some(&prepared), &run, &settings, || {});
        assert!(cache.queued.is_none());
        settle(&mut cache, &prepared, &run, &settings);
        assert_eq!(cache.get(), Some(&expected(&prepared, &run, 0.75)));

        // Cleared while computing (a reset): the late result is dropped.
        run.predictions_version = 2;
        cache.refresh(Some(&prepared), &run, &settings, || {});
        assert!(cache.computing());
        run.history.clear();
        cache.refresh(Some(&prepared), &run, &settings, || {});
        let deadline = Instant::now() + Duration::from_secs(30);
        while cache.running.is_some() {
            assert!(Instant::now() < deadline, "the computation never ended");
            std::thread::sleep(Duration::from_millis(5));
            cache.refresh(Some(&prepared), &run, &settings, || {});
        }
        assert_eq!(cache.get(), None);
    }
}
