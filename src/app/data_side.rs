//! The data side of the window: the table loaded (or generated), what the
//! reader and the recipe noted about it, the columns unfit to be features,
//! and the matrices prepared from it for the training thread. Loading and
//! preparing run on background threads (a million rows take seconds); the
//! previous table stays usable until a new one arrives, and no frame does
//! work that grows with the rows.

use std::sync::Arc;

use eframe::egui;

use super::background::{self, Loaded, LoadedTable, Task};
use super::preparer::{PrepKey, Preparation, Preparer};
use super::settings::{Settings, Source};
use crate::data::csv::watch::LoadWatch;
use crate::data::prep::Prepared;
use crate::data::screen::Unsuitable;
use crate::data::table::{ColumnKind, ColumnSummary, Table};
use crate::data::{DataNote, Recipe};

#[derive(Default)]
pub struct DataSide {
    pub(super) table: Option<Arc<Table>>,
    /// Problems with the data source (a bad file), shown in the data panel.
    pub(super) data_error: Option<String>,
    /// Problems with the recipe (single-class target…), shown in the panel.
    pub(super) prep_error: Option<String>,
    pub(super) prepared: Option<Arc<Prepared>>,
    /// What `prepared` was made from (a restart with the same table and
    /// recipe reuses it).
    prepared_for: Option<PrepKey>,
    /// The preparation thread.
    preparer: Preparer,
    /// The target's labels, most frequent first, as the last preparation
    /// counted them: (target, labels).
    target_labels: Option<(String, Vec<String>)>,
    /// Each column's summary, worked out on the loader thread.
    summary: Vec<ColumnSummary>,
    /// Everything the reader and the recipe reinterpreted, dropped or
    /// merged (the data panel's "Data notes").
    pub(super) data_notes: Vec<DataNote>,
    /// Columns unfit to be features (identifiers, constants, nearly
    /// empty), worked out when the recipe is applied, not every frame.
    pub(super) unfit_columns: Vec<(String, Unsuitable)>,
    /// The source being loaded, for the spinner.
    pub(super) loading: Option<String>,
    loader: Option<Task<Loaded>>,
    /// Loads replaced by a newer one, kept until their threads end (joining
    /// them would hold up the frame); their results are dropped.
    replaced: Vec<Task<Loaded>>,
    /// The load in progress: bytes read, and its cancel flag.
    load_watch: Option<Arc<LoadWatch>>,
    /// Fingerprint of the loaded table, recorded with each run.
    pub(super) fingerprint: String,
    /// Bumped with every table accepted; a change restarts the network.
    pub(super) version: u64,
}

impl DataSide {
    pub fn table(&self) -> Option<&Arc<Table>> {
        self.table.as_ref()
    }

    pub fn prepared(&self) -> Option<&Arc<Prepared>> {
        self.prepared.as_ref()
    }

    /// Whether the matrices for the current settings are being prepared
    /// (on the preparation thread; the data panel says so).
    pub fn preparing(&self) -> bool {
        self.preparer.busy()
    }

    /// The distinct labels of `target` (most frequent first) once a
    /// preparation for it has counted them.
    pub fn target_labels(&self, target: &str) -> Option<&[String]> {
        self.target_labels
            .as_ref()
            .filter(|(t, _)| t == target)
            .map(|(_, l)| l.as_slice())
    }

    /// Each column's summary (the data panel's "Columns").
    pub fn summary(&self) -> &[ColumnSummary] {
        &self.summary
    }

    pub fn data_error(&self) -> Option<&str> {
        self.data_error.as_deref()
    }

    pub fn prep_error(&self) -> Option<&str> {
        self.prep_error.as_deref()
    }

    pub fn data_notes(&self) -> &[DataNote] {
        &self.data_notes
    }

    /// The source being loaded now, if any.
    pub fn loading(&self) -> Option<&str> {
        self.loading.as_deref()
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Whether the network can train: data prepared and the recipe sound.
    pub fn ready(&self) -> bool {
        self.prepared.is_some() && self.prep_error.is_none()
    }

    /// Starts loading `source` in the background; the current data stays
    /// usable until it succeeds.
    pub fn load(&mut self, source: Source, ctx: &egui::Context) {
        let repaint = ctx.clone();
        self.loading = Some(source.label());
        let watch = Arc::new(LoadWatch::default());
        // A load replaced by this one stops reading.
        if let Some(old) = self.load_watch.replace(Arc::clone(&watch)) {
            old.cancel();
        }
        match background::load(source, watch, move || repaint.request_repaint()) {
            Ok(task) => {
                if let Some(old) = self.loader.replace(task) {
                    self.replaced.push(old);
                }
            }
            Err(e) => {
                self.loading = None;
                self.data_error = Some(e);
            }
        }
    }

    /// How far the file being loaded has been read: (bytes read, file
    /// size, 0 when unknown); `None` when nothing is loading.
    pub fn load_progress(&self) -> Option<(u64, u64)> {
        self.loading.as_ref()?;
        self.load_watch.as_ref().map(|w| w.bytes())
    }

    /// Stops the load in progress (the data loaded before stays).
    pub fn cancel_load(&self) {
        if let Some(watch) = &self.load_watch {
            watch.cancel();
        }
    }

    /// Takes a finished load into `settings` (a new table keeps the user's
    /// problem when it still fits); returns whether a table was accepted.
    pub fn poll(&mut self, settings: &mut Settings) -> bool {
        self.replaced
            .retain_mut(|old| old.poll().is_none() && !old.is_lost());
        let Some(task) = &mut self.loader else {
            return false;
        };
        if let Some(Loaded { source, result }) = task.poll() {
            self.loader = None;
            self.loading = None;
            let cancelled = self.load_watch.take().is_some_and(|w| w.cancelled());
            match result {
                Ok(loaded) => {
                    self.accept(settings, source, loaded);
                    return true;
                }
                Err(_) if cancelled => {
                    self.data_error =
                        Some("loading cancelled: the data shown is the data you had".to_owned());
                }
                Err(e) => self.data_error = Some(e),
            }
        } else if task.is_lost() {
            self.loader = None;
            self.loading = None;
            self.data_error = Some("loading stopped on an internal error".to_owned());
        }
        false
    }

    fn accept(&mut self, settings: &mut Settings, source: Source, loaded: LoadedTable) {
        let LoadedTable {
            table,
            fingerprint,
            problem,
            summary,
        } = loaded;
        // Keep the problem when the new table still has its columns (a
        // regenerated data set); otherwise choose afresh.
        let keep = settings.problem.as_ref().is_some_and(|p| {
            table.column(&p.target).is_some()
                && p.features.iter().all(|f| table.column(f).is_some())
        }) && same_kind(&settings.source, &source);
        if !keep {
            if matches!(source, Source::File(_)) {
                // An analyst's file: batch, epoch cap and early stopping
                // fitted to its size, trained until it stops improving (the
                // generated classroom data keeps the classroom settings).
                let train_rows = (table.n_rows() as f64
                    * (1.0 - problem.test_fraction)
                    * (1.0 - problem.valid_fraction))
                    .round() as usize;
                settings.train = settings
                    .train
                    .fitted_to(train_rows, crate::model::spec::FittedKeep::default());
                settings.until_paused = false;
            }
            settings.problem = Some(problem);
        }
        settings.source = source;
        self.fingerprint = fingerprint;
        self.table = Some(Arc::new(table));
        self.summary = summary;
        self.data_error = None;
        self.version += 1;
        // The matrices of the table before are no longer this table's; a
        // preparation still running for it is dropped when it arrives.
        self.prepared = None;
        self.prepared_for = None;
        self.preparer.forget();
    }

    /// Numeric input features, the candidates for the surface's axes.
    pub fn numeric_features(&self, settings: &Settings) -> Vec<String> {
        let (Some(table), Some(problem)) = (&self.table, &settings.problem) else {
            return Vec::new();
        };
        problem
            .features
            .iter()
            .filter(|f| {
                table
                    .column(f)
                    .is_some_and(|c| c.kind() == ColumnKind::Numeric)
            })
            .cloned()
            .collect()
    }

    /// The matrices for `recipe` when they are ready for the current
    /// table: at once when they were prepared already, else `None` and
    /// they are asked of the preparation thread ([`DataSide::poll_prepared`]
    /// hands them over).
    pub fn prepare(&mut self, recipe: &Recipe, ctx: &egui::Context) -> Option<Arc<Prepared>> {
        let table = self.table.clone()?;
        let key = PrepKey {
            data_version: self.version,
            recipe: recipe.clone(),
        };
        if self.prepared_for.as_ref() == Some(&key) {
            // A preparation for other settings still running is not wanted.
            self.preparer.forget();
            return self.prepared.clone();
        }
        let repaint = ctx.clone();
        if let Err(e) = self
            .preparer
            .request(table, key, move || repaint.request_repaint())
        {
            self.prep_error = Some(e);
        }
        None
    }

    /// The preparation asked for last, once it arrived: its notes and
    /// labels are taken in; on failure the error is kept for the panel
    /// (the previous matrices stay). Returns the recipe and its matrices.
    pub fn poll_prepared(&mut self) -> Option<(Recipe, Option<Arc<Prepared>>)> {
        let Preparation {
            key,
            unfit_columns,
            notes,
            target_labels,
            result,
        } = self.preparer.poll()?;
        self.unfit_columns = unfit_columns;
        self.data_notes = notes;
        self.target_labels = Some((key.recipe.target.clone(), target_labels));
        match result {
            Ok(prepared) => {
                self.prepared_for = Some(key.clone());
                Some((key.recipe, Some(prepared)))
            }
            Err(e) => {
                self.prep_error = Some(e);
                Some((key.recipe, None))
            }
        }
    }
}

/// Whether two sources hold the same kind of data: the same file, or the
/// same generator preset (a regenerated data set keeps the user's choices).
fn same_kind(a: &Source, b: &Source) -> bool {
    match (a, b) {
        (Source::Generated(x), Source::Generated(y)) => x.preset == y.preset,
        _ => a == b,
    }
}
