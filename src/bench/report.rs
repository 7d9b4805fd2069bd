//! The bench's results ([`BenchReport`] and its figures, serialized for
//! `--json`) and their text form ([`format_report`]).

use super::*;

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
    /// Median over the measured runs of the first epoch's seconds.
    pub first_epoch_seconds: f64,
    /// Median over the measured runs of the last epoch's seconds; well above
    /// the first means training slows down as it goes (the same work every
    /// epoch).
    pub last_epoch_seconds: f64,
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
            line(
                &format!("{label} first / last epoch"),
                format!(
                    "{:.2} / {:.2} ms",
                    f.first_epoch_seconds * 1e3,
                    f.last_epoch_seconds * 1e3
                ),
                "last within 1.2x of first",
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
