//! `purchase-lab bench` with tiny sizes: every figure is present and sane.
//! Speed itself is never asserted here (that lives in the benchmark).

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use purchase_lab::bench::{BenchOptions, Sizes, Workload, format_report, run_bench};
use purchase_lab::model::{BackendChoice, EngineKind, TrainingEngine};

#[path = "common/cli.rs"]
mod cli;

fn quick(only: Vec<Workload>, export_dir: Option<std::path::PathBuf>) -> BenchOptions {
    BenchOptions {
        backend: BackendChoice::Cpu,
        engine: TrainingEngine::Auto,
        sizes: Sizes::quick(),
        only,
        export_dir,
        cold_cache_exe: None,
    }
}

#[test]
fn quick_bench_reports_every_figure() {
    let mut steps = Vec::new();
    let report = run_bench(&quick(Vec::new(), None), |s| steps.push(s.to_owned())).unwrap();
    assert_eq!(steps.len(), 7, "{steps:?}");

    let first = report.first_epoch.as_ref().unwrap();
    assert!(first.first_in_process_seconds > 0.0 && first.warm_seconds > 0.0);
    assert_eq!(
        first.cold_cache_seconds, None,
        "CPU backend: no shader cache"
    );

    let w1 = report.w1.as_ref().unwrap();
    // 68 training rows of 100 (20 test, 12 validation) at batch 32: 3
    // steps per epoch, 2 epochs.
    assert_eq!((w1.train_rows, w1.features, w1.steps), (68, 2, 6));
    assert!(w1.median_seconds > 0.0 && w1.final_loss.is_finite());
    let w2 = report.w2.as_ref().unwrap();
    assert_eq!(w2.features, 46);
    // The CPU backend trains on the host kernel unless told otherwise.
    assert_eq!(w1.engine, EngineKind::HostKernel);
    assert_eq!(w2.engine, EngineKind::HostKernel);

    let w3 = report.w3.as_ref().unwrap();
    assert_eq!((w3.rows, w3.cols), (2_000, 20));
    // 2,000 rows: 400 test, 240 validation, 1,360 to train on.
    assert_eq!(w3.epoch_rows, 1_360);
    // 19 numeric columns at 8 bytes and one column of 4-byte codes.
    assert_eq!(w3.table_bytes, 2_000 * (19 * 8 + 4));
    assert!(w3.load_mb_per_s > 0.0 && w3.file_bytes > 100_000);

    assert_eq!(report.surface.len(), 1);
    assert_eq!(report.surface[0].resolution, 20);

    let text = format_report(&report);
    for figure in [
        "W1 train",
        "W2 per optimizer step",
        "surface 20 × 20",
        "W3 load speed",
    ] {
        assert!(text.contains(figure), "{figure} missing from\n{text}");
    }
    assert!(text.contains("host kernel"), "{text}");
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert!(json["w3"]["load_mb_per_s"].is_f64());
    assert!(json["w1"]["seconds_per_step"].is_f64());
    assert_eq!(json["w1"]["engine"], "host-kernel");
}

#[test]
fn burn_engine_gives_the_before_figures_and_the_same_loss() {
    let mut options = quick(vec![Workload::W1], None);
    let host = run_bench(&options, |_| {}).unwrap().w1.unwrap();
    options.engine = TrainingEngine::Burn;
    let burn = run_bench(&options, |_| {}).unwrap().w1.unwrap();
    assert_eq!(burn.engine, EngineKind::BurnAutodiff);
    assert_eq!(host.steps, burn.steps);
    // Both engines follow one trajectory (tests/host_kernel.rs has the details).
    assert!(
        (host.final_loss - burn.final_loss).abs() <= 1e-4 * burn.final_loss,
        "{} vs {}",
        host.final_loss,
        burn.final_loss
    );
}

#[test]
fn export_writes_the_matrices_scikit_learn_reads() {
    let dir = tempfile::tempdir().unwrap();
    let report = run_bench(
        &quick(vec![Workload::W1, Workload::W2], Some(dir.path().into())),
        |_| {},
    )
    .unwrap();
    assert!(report.w3.is_none() && report.surface.is_empty() && report.first_epoch.is_none());
    for (name, features, rows) in [("w1", 2, 68), ("w2", 46, 136)] {
        let text = std::fs::read_to_string(dir.path().join(format!("{name}_train.csv"))).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert_eq!(header.split(',').count(), features + 1);
        assert!(header.ends_with(",y"));
        assert_eq!(lines.count(), rows);
        assert!(dir.path().join(format!("{name}.csv")).is_file());
    }
}

#[test]
fn cli_bench_quick_json_prints_one_object() {
    let output = cli::run(&[
        "bench",
        "--quick",
        "--json",
        "--backend",
        "cpu",
        "--only",
        "w1,surface",
        "--engine",
        "burn",
    ]);
    assert!(output.status.success(), "{}", cli::stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["backend"], "cpu");
    assert!(json["w1"]["median_seconds"].is_f64());
    assert_eq!(json["w1"]["engine"], "burn-autodiff");
    assert!(json["w2"].is_null());
    assert_eq!(json["surface"][0]["resolution"], 20);

    let err = cli::fails(&["bench", "--quick", "--only", "w9"]);
    assert!(err.contains("unknown workload `w9`"), "{err}");
}
