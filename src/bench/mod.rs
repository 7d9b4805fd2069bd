//! `purchase-lab bench`: fixed workloads timed on the chosen backend, so
//! speed is measured, not guessed. Every figure is the median of several
//! runs after one warm-up run (discarded).
//!
//! - W1 classroom: `visits`, 1,000 rows, 2 → 16 → 16 → 1 ReLU, Adam 0.01,
//!   batch 32, 50 epochs.
//! - W2 telco: a telco-churn-shaped table (7,000 rows, 46 encoded features),
//!   64 → 32, batch 32, 50 epochs.
//! - W3 scale: a 1,000,000 × 20 CSV written to a temporary folder: load
//!   time, MB/s, peak memory; one epoch at batch 4,096 (64 → 64).
//! - Surface: one decision-surface evaluation at 100 × 100 and 200 × 200.
//! - First epoch: from `Start` sent to the worker to the first `Epoch` event.
//!
//! Training figures say which engine ran them: on the CPU backend the host
//! kernel by default, Burn's autodiff with `--engine burn` (the "before").
//!
//! Training figures time the [`Trainer`] alone (no per-epoch test metrics),
//! which is what scikit-learn's `MLPClassifier.fit` does, so the two can be
//! compared (`scripts/compare_sklearn.sh`). Speed targets live here and in
//! `docs/PERFORMANCE.md`, never in timed tests.

pub mod data;
mod report;
mod workloads;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use thiserror::Error;

use crate::data::prep::{Prepared, Problem, Recipe, prepare};
use crate::data::synth::{Preset, SynthSettings, generate};
use crate::data::table::{ColumnData, Table};
use crate::data::{CsvError, PrepError, SynthError};
use crate::model::device::{BackendChoice, ComputeKind, DeviceError, select_device};
use crate::model::run::{RunError, TrainingRun};
use crate::model::surface::{SurfaceError, SurfaceRequest, compute_surface};
use crate::model::{
    Activation, EngineKind, ModelSpec, NetworkSpec, OptimizerKind, Task, TrainError, TrainSettings,
    TrainingEngine,
};
use crate::model::{SelectedDevice, Trainer};
use crate::tune::device_choice::{ChoiceStore, training_device};
use crate::worker::{Command, Event, Job, WorkerHandle};

pub use self::report::{
    BenchReport, FirstEpoch, ScaleFigure, SurfaceFigure, TrainFigure, format_report,
};
pub use self::workloads::{
    TrainedOnce, table_bytes, train_once, w1_prepared, w2_prepared, workload_settings,
    workload_trainer,
};
use self::workloads::{export, first_epoch, scale, surfaces, train_workload, w1_table};

/// Seed for every generated data set and network.
pub const SEED: u64 = 42;

#[derive(Debug, Error)]
pub enum BenchError {
    #[error("unknown workload `{0}`; choose w1, w2, w3, surface or first-epoch")]
    UnknownWorkload(String),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error(transparent)]
    Synth(#[from] SynthError),
    #[error(transparent)]
    Prep(#[from] PrepError),
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Surface(#[from] SurfaceError),
    #[error("benchmark data: {0}")]
    Table(#[from] crate::data::table::TableError),
    #[error("benchmark files: {0}")]
    Io(#[from] std::io::Error),
    #[error("the training worker: {0}")]
    Worker(String),
}

/// One workload, for `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    FirstEpoch,
    W1,
    W2,
    W3,
    Surface,
}

impl Workload {
    pub const ALL: [Workload; 5] = [
        Workload::FirstEpoch,
        Workload::W1,
        Workload::W2,
        Workload::W3,
        Workload::Surface,
    ];
}

impl std::str::FromStr for Workload {
    type Err = BenchError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "first-epoch" | "first_epoch" => Ok(Workload::FirstEpoch),
            "w1" => Ok(Workload::W1),
            "w2" => Ok(Workload::W2),
            "w3" => Ok(Workload::W3),
            "surface" => Ok(Workload::Surface),
            _ => Err(BenchError::UnknownWorkload(s.to_owned())),
        }
    }
}

/// Sizes and repetitions; [`Sizes::full`] is the workloads,
/// [`Sizes::quick`] a seconds-long smoke run for tests.
#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    pub w1_rows: usize,
    pub w2_rows: usize,
    pub w3_rows: usize,
    pub w3_cols: usize,
    pub epochs: usize,
    /// Measured runs per training workload (after one warm-up run).
    pub repeats: usize,
    pub surfaces: Vec<usize>,
    pub surface_repeats: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            w1_rows: 1000,
            w2_rows: 7000,
            w3_rows: 1_000_000,
            w3_cols: 20,
            epochs: 50,
            repeats: 5,
            surfaces: vec![100, 200],
            surface_repeats: 21,
        }
    }

    pub fn quick() -> Sizes {
        Sizes {
            w1_rows: 100,
            w2_rows: 200,
            w3_rows: 2_000,
            w3_cols: 20,
            epochs: 2,
            repeats: 1,
            surfaces: vec![20],
            surface_repeats: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub backend: BackendChoice,
    /// Which engine trains W1, W2 and W3's epoch (`Auto`: the host kernel on
    /// the CPU backend; `Burn`: Burn's autodiff everywhere).
    pub engine: TrainingEngine,
    pub sizes: Sizes,
    /// Workloads to run; empty runs all.
    pub only: Vec<Workload>,
    /// Also write each training workload's data and prepared training
    /// matrix here (for `scripts/sklearn_bench.py`).
    pub export_dir: Option<PathBuf>,
    /// This program, to measure a first epoch with cold shader caches in a
    /// fresh process (GPU backend only); `None` skips that figure.
    pub cold_cache_exe: Option<PathBuf>,
}

impl BenchOptions {
    fn runs(&self, workload: Workload) -> bool {
        self.only.is_empty() || self.only.contains(&workload)
    }
}

/// Median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    }
}

/// Runs the chosen workloads; `progress` hears a line before each one.
pub fn run_bench(
    options: &BenchOptions,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, BenchError> {
    let sizes = &options.sizes;
    // `Auto` chooses as training does, by timing a job: W2's (64-32, batch
    // 32), the typical network on a telco-sized file.
    let w2 = (options.runs(Workload::W2) || options.backend == BackendChoice::Auto)
        .then(|| w2_prepared(sizes.w2_rows))
        .transpose()?;
    let device = match &w2 {
        Some((prepared, _)) => {
            let (settings, activation) = workload_settings(32, sizes.epochs);
            let model = ModelSpec::Network {
                spec: NetworkSpec {
                    hidden: vec![64, 32],
                    activation,
                    layer_activations: Vec::new(),
                    dropout: 0.0,
                },
                settings,
            };
            training_device(
                options.backend,
                &model,
                prepared,
                &ChoiceStore::in_data_dir(),
            )?
            .noted()
        }
        None => select_device(options.backend)?,
    };
    let mut report = BenchReport {
        device: device.description.clone(),
        backend: device.kind,
        release_build: !cfg!(debug_assertions),
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        sizes: sizes.clone(),
        first_epoch: None,
        w1: None,
        w2: None,
        w3: None,
        surface: Vec::new(),
    };
    let w1 = w1_prepared(sizes.w1_rows)?;
    // First, while nothing has touched the device's kernels yet.
    if options.runs(Workload::FirstEpoch) {
        progress("time to first epoch");
        report.first_epoch = Some(first_epoch(options, &w1)?);
    }
    if options.runs(Workload::W1) {
        progress("W1 classroom");
        let figure = train_workload("W1", &w1, &[16, 16], 32, options, &device)?;
        report.w1 = Some(figure);
    }
    if let Some(w2) = w2.filter(|_| options.runs(Workload::W2)) {
        progress("W2 telco");
        if let Some(dir) = &options.export_dir {
            export(dir, "w2", &w2.1, &w2.0)?;
        }
        report.w2 = Some(train_workload(
            "W2",
            &w2.0,
            &[64, 32],
            32,
            options,
            &device,
        )?);
    }
    if let Some(dir) = &options.export_dir {
        export(dir, "w1", &w1_table(sizes.w1_rows)?, &w1)?;
    }
    if options.runs(Workload::Surface) {
        progress("decision surface");
        report.surface = surfaces(&w1, sizes, &device)?;
    }
    if options.runs(Workload::W3) {
        progress("W3 scale (writing the CSV)");
        report.w3 = Some(scale(options, &device, &mut progress)?);
    }
    Ok(report)
}

/// Resident-set figures from `/proc/self/status` (Linux); `None` elsewhere.
pub mod memory {
    fn status_kib(key: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        status.lines().find_map(|line| {
            let rest = line.strip_prefix(key)?.strip_prefix(':')?;
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
    }

    /// Resident memory now, bytes.
    pub fn current_rss() -> Option<u64> {
        status_kib("VmRSS").map(|k| k * 1024)
    }

    /// Peak resident memory since start or the last [`reset_peak`], bytes.
    pub fn peak_rss() -> Option<u64> {
        status_kib("VmHWM").map(|k| k * 1024)
    }

    /// Resets the peak to the current resident size (Linux 4.0+: writing `5`
    /// to `clear_refs`); false where that is not possible.
    pub fn reset_peak() -> bool {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_non_finite() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[f64::NAN, 5.0]), 5.0);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn workload_names_parse() {
        for (text, w) in [
            ("w1", Workload::W1),
            ("First-Epoch", Workload::FirstEpoch),
            ("surface", Workload::Surface),
        ] {
            assert_eq!(text.parse::<Workload>().unwrap(), w);
        }
        assert!("w9".parse::<Workload>().is_err());
    }

    #[test]
    fn memory_figures_are_plausible_on_linux() {
        if let (Some(rss), Some(peak)) = (memory::current_rss(), memory::peak_rss()) {
            assert!(rss > 0 && peak >= rss / 2);
        }
    }
}
