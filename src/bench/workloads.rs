//! The workloads themselves: building W1/W2/W3's tables and recipes,
//! timing training, the first epoch (in-process and cold), decision
//! surfaces, and the W3 scale run in a temporary folder.

use super::*;

pub(super) fn classification(table: &Table, target: &str) -> Recipe {
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

pub(super) fn w1_table(rows: usize) -> Result<Table, BenchError> {
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
        layer_activations: Vec::new(),
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

/// One training run of a workload, as [`train_once`] measured it.
#[derive(Debug, Clone)]
pub struct TrainedOnce {
    /// Mean training loss of the last epoch.
    pub final_loss: f64,
    /// The engine that ran.
    pub engine: EngineKind,
    /// Wall-clock seconds of each epoch, in order: a slowdown as training
    /// goes on (subnormal floats, growing buffers) shows as the last epoch
    /// taking longer than the first.
    pub epoch_seconds: Vec<f64>,
}

/// Trains a fresh network for `epochs` epochs on `engine`, timing each epoch.
pub fn train_once(
    prepared: &Prepared,
    hidden: &[usize],
    batch: usize,
    epochs: usize,
    device: &SelectedDevice,
    engine: TrainingEngine,
) -> Result<TrainedOnce, BenchError> {
    let train = &prepared.train;
    let mut trainer = workload_trainer(prepared, hidden, batch, epochs, device, engine)?;
    let mut final_loss = f64::NAN;
    let mut epoch_seconds = Vec::with_capacity(epochs);
    for _ in 0..epochs {
        let start = Instant::now();
        final_loss = trainer.run_epoch(&train.x.data, &train.y, train.x.rows)?;
        epoch_seconds.push(start.elapsed().as_secs_f64());
    }
    Ok(TrainedOnce {
        final_loss,
        engine: trainer.engine(),
        epoch_seconds,
    })
}

pub(super) fn train_workload(
    name: &str,
    prepared: &Prepared,
    hidden: &[usize],
    batch: usize,
    options: &BenchOptions,
    device: &SelectedDevice,
) -> Result<TrainFigure, BenchError> {
    let sizes = &options.sizes;
    // Warm-up: kernels, allocator pools and caches.
    let engine = train_once(
        prepared,
        hidden,
        batch,
        sizes.epochs,
        device,
        options.engine,
    )?
    .engine;
    let mut runs = Vec::with_capacity(sizes.repeats);
    let (mut first_epochs, mut last_epochs) = (Vec::new(), Vec::new());
    let mut final_loss = f64::NAN;
    for _ in 0..sizes.repeats.max(1) {
        let start = Instant::now();
        let run = train_once(
            prepared,
            hidden,
            batch,
            sizes.epochs,
            device,
            options.engine,
        )?;
        runs.push(start.elapsed().as_secs_f64());
        final_loss = run.final_loss;
        first_epochs.extend(run.epoch_seconds.first());
        last_epochs.extend(run.epoch_seconds.last());
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
        first_epoch_seconds: median(&first_epochs),
        last_epoch_seconds: median(&last_epochs),
        final_loss,
    })
}

pub(super) fn first_epoch(options: &BenchOptions, w1: &Prepared) -> Result<FirstEpoch, BenchError> {
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

pub(super) fn one_first_epoch(
    prepared: &Arc<Prepared>,
    backend: BackendChoice,
) -> Result<f64, BenchError> {
    let worker = WorkerHandle::spawn(|| {}).map_err(|e| BenchError::Worker(e.to_string()))?;
    let table = generate(&SynthSettings {
        rows: 20,
        ..SynthSettings::default()
    })?;
    let (settings, activation) = workload_settings(32, 1);
    let job = Job {
        prepared: Arc::clone(prepared),
        recipe: classification(&table, "purchased"),
        model: ModelSpec::Network {
            spec: NetworkSpec {
                hidden: vec![16, 16],
                activation,
                layer_activations: Vec::new(),
                dropout: 0.0,
            },
            settings,
        },
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
pub(super) fn cold_first_epoch(exe: &Path, backend: BackendChoice) -> Result<f64, BenchError> {
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

pub(super) fn surfaces(
    w1: &Prepared,
    sizes: &Sizes,
    device: &SelectedDevice,
) -> Result<Vec<SurfaceFigure>, BenchError> {
    let (settings, activation) = workload_settings(32, 1);
    let spec = NetworkSpec {
        hidden: vec![16, 16],
        activation,
        layer_activations: Vec::new(),
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

pub(super) fn scale(
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
        epoch_engine = train_once(&prepared, &[64, 64], batch, 1, device, options.engine)?.engine;
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
pub(super) struct TempDir(PathBuf);

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
pub(super) fn export(
    dir: &Path,
    name: &str,
    table: &Table,
    prepared: &Prepared,
) -> Result<(), BenchError> {
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
