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
    Activation, EngineKind, NetworkSpec, OptimizerKind, Task, TrainError, TrainSettings,
    TrainingEngine,
};
use crate::model::{SelectedDevice, Trainer};
use crate::worker::{Command, Event, Job, WorkerHandle};

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

/// Everything measured, as printed by `bench --json`.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub device: String,
    pub backend: ComputeKind,
    /// Whether this binary was built with optimizations for our own code.
    pub release_build: bool,
    pub cpus: usize,
    pub sizes: Sizes,
    pub first_epoch: Option<FirstEpoch>,
    pub w1: Option<TrainFigure>,
    pub w2: Option<TrainFigure>,
    pub w3: Option<ScaleFigure>,
    pub surface: Vec<SurfaceFigure>,
}

/// A training workload: the [`Trainer`] for `epochs` epochs from a fresh
/// network (what scikit-learn's `fit` times).
#[derive(Debug, Clone, Serialize)]
pub struct TrainFigure {
    pub name: String,
    /// The engine that trained (host kernel or Burn autodiff).
    pub engine: EngineKind,
    pub train_rows: usize,
    pub features: usize,
    pub hidden: Vec<usize>,
    pub batch: usize,
    pub epochs: usize,
    pub steps: usize,
    /// Every measured run, seconds.
    pub runs: Vec<f64>,
    pub median_seconds: f64,
    pub seconds_per_step: f64,
    /// Mean training loss of the last epoch (the same in every run).
    pub final_loss: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleFigure {
    pub rows: usize,
    pub cols: usize,
    pub file_bytes: u64,
    pub load_runs: Vec<f64>,
    pub load_seconds: f64,
    pub load_mb_per_s: f64,
    /// Bytes of the loaded table's columns (8 per number, 4 per category code).
    pub table_bytes: u64,
    /// Growth of the resident set during the first load (peak minus before),
    /// from `/proc/self/status`; `None` where that cannot be read.
    pub load_peak_bytes: Option<u64>,
    /// `load_peak_bytes / table_bytes`; the target is under 2.
    pub memory_ratio: Option<f64>,
    pub prepare_seconds: f64,
    pub epoch_rows: usize,
    pub epoch_batch: usize,
    pub epoch_runs: Vec<f64>,
    pub epoch_seconds: f64,
    pub epoch_engine: EngineKind,
}

#[derive(Debug, Clone, Serialize)]
pub struct SurfaceFigure {
    pub resolution: usize,
    pub runs_ms: Vec<f64>,
    pub median_ms: f64,
}

/// Seconds from sending `Start` to the worker to receiving the first epoch.
#[derive(Debug, Clone, Serialize)]
pub struct FirstEpoch {
    /// The first run in this process (kernels compiled now on the GPU; disk
    /// caches as they are).
    pub first_in_process_seconds: f64,
    /// Median of later runs (everything warm).
    pub warm_seconds: f64,
    /// A fresh process with Mesa's shader cache and CubeCL's autotune cache
    /// off (GPU backend only).
    pub cold_cache_seconds: Option<f64>,
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
    let device = select_device(options.backend)?;
    let sizes = &options.sizes;
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
    if options.runs(Workload::W2) {
        progress("W2 telco");
        let w2 = w2_prepared(sizes.w2_rows)?;
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

fn classification(table: &Table, target: &str) -> Recipe {
    let mut recipe = Recipe::new(
        table,
        target,
        Problem::Classification {
            positive: "yes".into(),
        },
    );
    recipe.seed = SEED;
    recipe
}

fn w1_table(rows: usize) -> Result<Table, BenchError> {
    Ok(generate(&SynthSettings {
        preset: Preset::Visits,
        rows,
        seed: SEED,
        ..SynthSettings::default()
    })?)
}

/// W1's data, exactly what `purchase-lab generate --preset visits --rows N`
/// writes, prepared the app's default way (median fill, min-max).
pub fn w1_prepared(rows: usize) -> Result<Prepared, BenchError> {
    let table = w1_table(rows)?;
    Ok(prepare(&table, &classification(&table, "purchased"))?)
}

/// W2's data and its raw table.
pub fn w2_prepared(rows: usize) -> Result<(Prepared, Table), BenchError> {
    let table = data::telco_table(rows, SEED)?;
    let prepared = prepare(&table, &classification(&table, "churn"))?;
    Ok((prepared, table))
}

/// The workloads' network settings: Adam at 0.01, no L2 (scikit-learn's
/// `alpha=0`), no dropout.
pub fn workload_settings(batch: usize, epochs: usize) -> (TrainSettings, Activation) {
    let settings = TrainSettings {
        optimizer: OptimizerKind::Adam,
        learning_rate: 0.01,
        batch_size: batch,
        epochs,
        l2: 0.0,
        seed: SEED,
        ..TrainSettings::default()
    };
    (settings, Activation::Relu)
}

/// A fresh trainer for a training workload: the workloads' settings (Adam
/// 0.01, ReLU, no dropout or L2) with this layout and batch.
pub fn workload_trainer(
    prepared: &Prepared,
    hidden: &[usize],
    batch: usize,
    epochs: usize,
    device: &SelectedDevice,
    engine: TrainingEngine,
) -> Result<Trainer, TrainError> {
    let (settings, activation) = workload_settings(batch, epochs);
    let spec = NetworkSpec {
        hidden: hidden.to_vec(),
        activation,
        dropout: 0.0,
    };
    Trainer::with_engine(
        &spec,
        &settings,
        Task::Classification,
        prepared.train.x.cols,
        &device.device,
        engine,
    )
}

/// Trains a fresh network for `epochs` epochs on `engine`; returns the last
/// epoch's loss and the engine that ran.
pub fn train_once(
    prepared: &Prepared,
    hidden: &[usize],
    batch: usize,
    epochs: usize,
    device: &SelectedDevice,
    engine: TrainingEngine,
) -> Result<(f64, EngineKind), BenchError> {
    let train = &prepared.train;
    let mut trainer = workload_trainer(prepared, hidden, batch, epochs, device, engine)?;
    let mut loss = f64::NAN;
    for _ in 0..epochs {
        loss = trainer.run_epoch(&train.x.data, &train.y, train.x.rows)?;
    }
    Ok((loss, trainer.engine()))
}

fn train_workload(
    name: &str,
    prepared: &Prepared,
    hidden: &[usize],
    batch: usize,
    options: &BenchOptions,
    device: &SelectedDevice,
) -> Result<TrainFigure, BenchError> {
    let sizes = &options.sizes;
    // Warm-up: kernels, allocator pools and caches.
    let (_, engine) = train_once(
        prepared,
        hidden,
        batch,
        sizes.epochs,
        device,
        options.engine,
    )?;
    let mut runs = Vec::with_capacity(sizes.repeats);
    let mut final_loss = f64::NAN;
    for _ in 0..sizes.repeats.max(1) {
        let start = Instant::now();
        (final_loss, _) = train_once(
            prepared,
            hidden,
            batch,
            sizes.epochs,
            device,
            options.engine,
        )?;
        runs.push(start.elapsed().as_secs_f64());
    }
    let rows = prepared.train.x.rows;
    let steps = sizes.epochs * rows.div_ceil(batch.min(rows).max(1));
    let median_seconds = median(&runs);
    Ok(TrainFigure {
        name: name.to_owned(),
        engine,
        train_rows: rows,
        features: prepared.train.x.cols,
        hidden: hidden.to_vec(),
        batch,
        epochs: sizes.epochs,
        steps,
        runs,
        median_seconds,
        seconds_per_step: median_seconds / steps.max(1) as f64,
        final_loss,
    })
}

fn first_epoch(options: &BenchOptions, w1: &Prepared) -> Result<FirstEpoch, BenchError> {
    let prepared = Arc::new(w1.clone());
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(one_first_epoch(&prepared, options.backend)?);
    }
    let cold_cache_seconds = match (&options.cold_cache_exe, select_device(options.backend)) {
        (Some(exe), Ok(device)) if device.kind == ComputeKind::Gpu => {
            Some(cold_first_epoch(exe, options.backend)?)
        }
        _ => None,
    };
    Ok(FirstEpoch {
        first_in_process_seconds: runs[0],
        warm_seconds: median(&runs[1..]),
        cold_cache_seconds,
    })
}

fn one_first_epoch(prepared: &Arc<Prepared>, backend: BackendChoice) -> Result<f64, BenchError> {
    let worker = WorkerHandle::spawn(|| {}).map_err(|e| BenchError::Worker(e.to_string()))?;
    let table = generate(&SynthSettings {
        rows: 20,
        ..SynthSettings::default()
    })?;
    let (settings, activation) = workload_settings(32, 1);
    let job = Job {
        prepared: Arc::clone(prepared),
        recipe: classification(&table, "purchased"),
        spec: NetworkSpec {
            hidden: vec![16, 16],
            activation,
            dropout: 0.0,
        },
        settings,
        backend,
        epochs: Some(1),
        surface: None,
        paused: false,
    };
    let start = Instant::now();
    worker
        .send(Command::Start(Box::new(job)))
        .map_err(|e| BenchError::Worker(format!("{e:?}")))?;
    // Shader compilation on a software adapter can take minutes.
    let deadline = start + Duration::from_secs(600);
    while Instant::now() < deadline {
        match worker.recv_timeout(Duration::from_millis(200)) {
            Some(Event::Epoch(_)) => return Ok(start.elapsed().as_secs_f64()),
            Some(Event::Failed(error)) => return Err(BenchError::Worker(error.to_string())),
            _ => {}
        }
    }
    Err(BenchError::Worker("no epoch within 10 minutes".into()))
}

/// Runs `exe bench --only first-epoch` with the disk caches off and reads
/// its first-in-process figure.
fn cold_first_epoch(exe: &Path, backend: BackendChoice) -> Result<f64, BenchError> {
    let output = std::process::Command::new(exe)
        .args(["bench", "--quick", "--json", "--only", "first-epoch"])
        .args(["--backend", backend.as_str()])
        .env("MESA_SHADER_CACHE_DISABLE", "true")
        .env("CUBECL_AUTOTUNE_CACHE", "false")
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let value: serde_json::Value = serde_json::from_str(text.trim()).map_err(|e| {
        BenchError::Worker(format!(
            "the cold-cache run printed no report ({e}): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    })?;
    value["first_epoch"]["first_in_process_seconds"]
        .as_f64()
        .ok_or_else(|| BenchError::Worker("the cold-cache run has no first epoch".into()))
}

fn surfaces(
    w1: &Prepared,
    sizes: &Sizes,
    device: &SelectedDevice,
) -> Result<Vec<SurfaceFigure>, BenchError> {
    let (settings, activation) = workload_settings(32, 1);
    let spec = NetworkSpec {
        hidden: vec![16, 16],
        activation,
        dropout: 0.0,
    };
    let mut run = TrainingRun::new(Arc::new(w1.clone()), &spec, &settings, device)?;
    run.run_epoch()?;
    let mut figures = Vec::new();
    for &resolution in &sizes.surfaces {
        let request = SurfaceRequest {
            resolution,
            ..SurfaceRequest::new("visit_minutes", "pages_visited")
        };
        compute_surface(&run, &request)?;
        let mut runs_ms = Vec::with_capacity(sizes.surface_repeats);
        for _ in 0..sizes.surface_repeats.max(1) {
            let start = Instant::now();
            compute_surface(&run, &request)?;
            runs_ms.push(start.elapsed().as_secs_f64() * 1e3);
        }
        figures.push(SurfaceFigure {
            resolution,
            median_ms: median(&runs_ms),
            runs_ms,
        });
    }
    Ok(figures)
}

fn scale(
    options: &BenchOptions,
    device: &SelectedDevice,
    progress: &mut impl FnMut(&str),
) -> Result<ScaleFigure, BenchError> {
    let sizes = &options.sizes;
    let dir = TempDir::new()?;
    let path = dir.0.join("w3.csv");
    let file_bytes = data::write_scale_csv(&path, sizes.w3_rows, sizes.w3_cols, SEED)?;
    progress("W3 scale (loading the CSV)");

    // The first load doubles as the warm-up (page cache) and the memory
    // measurement: the peak is reset first so it covers this load alone.
    let peak_reset = memory::reset_peak();
    let before = memory::current_rss();
    let start = Instant::now();
    let mut table = crate::data::load_csv(&path)?;
    let first_seconds = start.elapsed().as_secs_f64();
    let load_peak_bytes = match (peak_reset, before, memory::peak_rss()) {
        (true, Some(before), Some(peak)) => Some(peak.saturating_sub(before)),
        _ => None,
    };
    let table_bytes = table_bytes(&table);
    let mut load_runs = Vec::new();
    for _ in 0..sizes.repeats.clamp(1, 3) {
        drop(table);
        let start = Instant::now();
        table = crate::data::load_csv(&path)?;
        load_runs.push(start.elapsed().as_secs_f64());
    }
    if load_runs.is_empty() {
        load_runs.push(first_seconds);
    }
    let load_seconds = median(&load_runs);

    progress("W3 scale (one epoch)");
    let start = Instant::now();
    let prepared = prepare(&table, &classification(&table, "label"))?;
    let prepare_seconds = start.elapsed().as_secs_f64();
    drop(table);
    let batch = 4096;
    let mut epoch_runs = Vec::new();
    let mut epoch_engine = EngineKind::BurnAutodiff;
    for _ in 0..sizes.repeats.clamp(1, 3) {
        let start = Instant::now();
        (_, epoch_engine) = train_once(&prepared, &[64, 64], batch, 1, device, options.engine)?;
        epoch_runs.push(start.elapsed().as_secs_f64());
    }
    Ok(ScaleFigure {
        rows: sizes.w3_rows,
        cols: sizes.w3_cols,
        file_bytes,
        load_mb_per_s: file_bytes as f64 / 1e6 / load_seconds,
        load_runs,
        load_seconds,
        table_bytes,
        load_peak_bytes,
        memory_ratio: load_peak_bytes.map(|p| p as f64 / table_bytes.max(1) as f64),
        prepare_seconds,
        epoch_rows: prepared.train.x.rows,
        epoch_batch: batch,
        epoch_seconds: median(&epoch_runs),
        epoch_runs,
        epoch_engine,
    })
}

/// A private folder under the system's temporary directory, removed on drop
/// (the W3 file is a few hundred MB).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path =
            std::env::temp_dir().join(format!("purchase-lab-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover file in the temp folder is not worth a panic.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a table's values take in memory (labels of categories not counted).
pub fn table_bytes(table: &Table) -> u64 {
    table
        .columns()
        .iter()
        .map(|c| match &c.data {
            ColumnData::Numeric(v) => std::mem::size_of_val(v.as_slice()) as u64,
            ColumnData::Categorical { codes, .. } => std::mem::size_of_val(codes.as_slice()) as u64,
        })
        .sum()
}

/// Writes `<name>.csv` (the raw table) and `<name>_train.csv` (the prepared
/// training matrix, columns `f1…fn,y`) for the scikit-learn script, so it
/// trains on exactly the rows and encoding Purchase Lab trains on.
fn export(dir: &Path, name: &str, table: &Table, prepared: &Prepared) -> Result<(), BenchError> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    crate::data::write_csv(table, &dir.join(format!("{name}.csv")))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let file = std::fs::File::create(dir.join(format!("{name}_train.csv")))?;
    let mut out = std::io::BufWriter::new(file);
    let x = &prepared.train.x;
    let header: Vec<String> = (1..=x.cols).map(|c| format!("f{c}")).collect();
    writeln!(out, "{},y", header.join(","))?;
    for (r, y) in prepared.train.y.iter().enumerate() {
        for v in x.row(r) {
            write!(out, "{v},")?;
        }
        writeln!(out, "{y}")?;
    }
    out.flush()?;
    Ok(())
}

/// The targets from issue 6, for the text report.
pub fn format_report(report: &BenchReport) -> String {
    let mut text = format!(
        "device: {}\nbuild: {}, {} CPUs\n\n",
        report.device,
        if report.release_build {
            "release"
        } else {
            "debug (figures are slower than a release build)"
        },
        report.cpus
    );
    let mut line = |figure: &str, value: String, target: &str| {
        text.push_str(&format!("{figure:<34} {value:>16}   {target}\n"));
    };
    if let Some(f) = &report.first_epoch {
        line(
            "first epoch, first in process",
            format!("{:.3} s", f.first_in_process_seconds),
            "",
        );
        line("first epoch, warm", format!("{:.3} s", f.warm_seconds), "");
        if let Some(cold) = f.cold_cache_seconds {
            line("first epoch, cold shader cache", format!("{cold:.3} s"), "");
        }
    }
    for (label, figure, target) in [
        ("W1", &report.w1, "target ≤ 0.15× scikit-learn"),
        ("W2", &report.w2, "target ≤ 0.2× scikit-learn"),
    ] {
        if let Some(f) = figure {
            line(
                &format!("{label} train ({} steps)", f.steps),
                format!("{:.3} s", f.median_seconds),
                target,
            );
            line(&format!("{label} engine"), f.engine.label().to_owned(), "");
            line(
                &format!("{label} per optimizer step"),
                format!("{:.1} µs", f.seconds_per_step * 1e6),
                "",
            );
        }
    }
    for s in &report.surface {
        line(
            &format!("surface {0} × {0}", s.resolution),
            format!("{:.2} ms", s.median_ms),
            if s.resolution == 100 {
                "target < 5 ms"
            } else {
                ""
            },
        );
    }
    if let Some(w) = &report.w3 {
        line(
            &format!("W3 load ({:.0} MB)", w.file_bytes as f64 / 1e6),
            format!("{:.2} s", w.load_seconds),
            "",
        );
        line(
            "W3 load speed",
            format!("{:.0} MB/s", w.load_mb_per_s),
            "target ≥ 100 MB/s",
        );
        if let (Some(peak), Some(ratio)) = (w.load_peak_bytes, w.memory_ratio) {
            line(
                "W3 load peak memory",
                format!("{:.0} MB ({ratio:.2}×)", peak as f64 / 1e6),
                &format!(
                    "target < 2× the table's {:.0} MB",
                    w.table_bytes as f64 / 1e6
                ),
            );
        }
        line("W3 prepare", format!("{:.2} s", w.prepare_seconds), "");
        line(
            &format!("W3 one epoch (batch {})", w.epoch_batch),
            format!("{:.2} s", w.epoch_seconds),
            w.epoch_engine.label(),
        );
    }
    text
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
