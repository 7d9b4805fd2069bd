//! Sweeps and early stopping: a small grid ranks by the chosen metric (via
//! the library and the CLI), a background sweep can be cancelled, absurd
//! grids are refused, and early stopping stops where it should (in a run,
//! the worker and `train --patience`).

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use purchase_lab::data::{Preset, Source, SynthSettings, generate, write_csv};
use purchase_lab::model::{
    Activation, BackendChoice, LrSchedule, ModelSpec, NetworkSpec, TrainSettings,
};
use purchase_lab::tune::sweep::{MAX_SWEEP_POINTS, heatmap_for, varying_params};
use purchase_lab::tune::{
    Metric, SweepError, SweepEvent, SweepGrid, SweepHandle, SweepJob, SweepOutcome, SweepParam,
    SweepPoint, best, fingerprint, heatmap, rank, run_sweep,
};
use purchase_lab::worker::{Command as WorkerCommand, Event, Job, WorkerHandle};

#[path = "common/cli.rs"]
mod cli;
use cli::{classify, run as purchase_lab};

#[path = "common/runs.rs"]
mod runs;
use runs::{classification, jumpy_settings, prepared, train_on_cpu};

/// `rows` rows of `preset`, always from the same seed.
fn synth(preset: Preset, rows: usize) -> SynthSettings {
    runs::synth(preset, rows, 4)
}

fn job(preset: Preset, rows: usize, points: Vec<SweepPoint>) -> SweepJob {
    let source = Source::Generated(synth(preset, rows));
    let table = source.load().unwrap();
    let recipe = classification(&table, preset);
    SweepJob::new(
        prepared(&table, &recipe),
        source,
        recipe,
        fingerprint(&table),
        points,
        BackendChoice::Cpu,
    )
}

fn base_train(epochs: usize) -> TrainSettings {
    TrainSettings {
        epochs,
        ..TrainSettings::default()
    }
}

#[test]
fn a_two_by_two_sweep_ranks_by_the_metric() {
    let grid = SweepGrid {
        learning_rates: vec![0.001, 0.05],
        widths: vec![2, 16],
        ..SweepGrid::default()
    };
    assert_eq!(grid.len(), 4);
    let points = grid
        .expand(&NetworkSpec::default(), &base_train(15))
        .unwrap();
    assert_eq!(points.len(), 4);
    // Base depth (2) is kept for swept widths.
    assert_eq!(points[1].spec.hidden, vec![16, 16]);
    assert_eq!(points[1].label(), "lr 0.001 · width 16");

    let job = job(Preset::Xor, 300, points);
    let mut events = Vec::new();
    let cancelled = run_sweep(&job, &AtomicBool::new(false), |e| events.push(e)).unwrap();
    assert!(!cancelled);
    assert!(matches!(
        events.first(),
        Some(SweepEvent::Started { total: 4, .. })
    ));
    let outcomes: Vec<SweepOutcome> = events
        .into_iter()
        .filter_map(|e| match e {
            SweepEvent::RunDone(o) => Some(*o),
            _ => None,
        })
        .collect();
    assert_eq!(outcomes.len(), 4);
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(o.index, i);
        let record = o.record().expect("every run trains");
        assert_eq!(
            record.setup.train.learning_rate,
            o.point.train.learning_rate
        );
        assert_eq!(record.setup.spec.hidden, o.point.spec.hidden);
        assert_eq!(record.setup.train.early_stopping, Some(10), "on by default");
        assert!(record.name.starts_with("sweep: lr "), "{}", record.name);
        assert_eq!(record.setup.fingerprint, job.fingerprint);
    }

    let ranked = rank(&outcomes, Metric::Auc);
    let aucs: Vec<f64> = ranked
        .iter()
        .map(|o| o.metric(Metric::Auc).unwrap())
        .collect();
    assert!(aucs.windows(2).all(|w| w[0] >= w[1]), "{aucs:?}");
    assert_eq!(best(&outcomes, Metric::Auc), Some(ranked[0]));
    let by_loss = rank(&outcomes, Metric::ValidLoss);
    let losses: Vec<f64> = by_loss
        .iter()
        .map(|o| o.metric(Metric::ValidLoss).unwrap())
        .collect();
    assert!(losses.windows(2).all(|w| w[0] <= w[1]), "{losses:?}");

    let points: Vec<&SweepPoint> = outcomes.iter().map(|o| &o.point).collect();
    assert_eq!(
        varying_params(&points),
        [SweepParam::LearningRate, SweepParam::Width]
    );
    let map = heatmap(&outcomes, Metric::Auc).expect("two swept settings");
    assert_eq!(map.rows, SweepParam::LearningRate);
    assert_eq!(map.cols, SweepParam::Width);
    assert_eq!(map.row_labels, ["0.001", "0.05"]);
    assert_eq!(map.col_labels, ["2", "16"]);
    assert!(map.higher_is_better);
    for o in &outcomes {
        let (r, c) = (o.index / 2, o.index % 2);
        assert_eq!(map.values[r][c], o.metric(Metric::Auc));
    }
    let flipped = heatmap_for(
        &outcomes,
        SweepParam::Width,
        SweepParam::LearningRate,
        Metric::Auc,
    );
    assert_eq!(flipped.values[1][0], map.values[0][1]);
}

#[test]
fn grids_are_checked_before_anything_trains() {
    let spec = NetworkSpec::default();
    let train = base_train(5);
    let message = |grid: SweepGrid| grid.expand(&spec, &train).unwrap_err().to_string();

    let m = message(SweepGrid {
        learning_rates: vec![0.01, 50.0],
        ..SweepGrid::default()
    });
    assert!(m.starts_with("learning rate 50: "), "{m}");
    let m = message(SweepGrid {
        widths: vec![8, 0],
        ..SweepGrid::default()
    });
    assert!(m.starts_with("width 0: "), "{m}");
    let m = message(SweepGrid {
        depths: vec![9],
        ..SweepGrid::default()
    });
    assert!(m.starts_with("depth 9: "), "{m}");
    let m = message(SweepGrid {
        dropouts: vec![1.0],
        ..SweepGrid::default()
    });
    assert!(m.starts_with("dropout 1: "), "{m}");
    let m = message(SweepGrid {
        batch_sizes: vec![0],
        ..SweepGrid::default()
    });
    assert!(m.starts_with("batch size 0: "), "{m}");
    let m = message(SweepGrid {
        learning_rates: vec![0.01, 0.01],
        ..SweepGrid::default()
    });
    assert_eq!(m, "learning rate 0.01 is listed twice");
    let m = message(SweepGrid {
        hidden: vec![vec![8]],
        widths: vec![4],
        ..SweepGrid::default()
    });
    assert_eq!(m, "give hidden layouts or widths and depths, not both");
    let too_big = SweepGrid {
        learning_rates: (1..=21).map(|i| f64::from(i) * 1e-3).collect(),
        widths: (1..=20).collect(),
        ..SweepGrid::default()
    };
    assert!(too_big.len() > MAX_SWEEP_POINTS);
    assert!(matches!(
        too_big.expand(&spec, &train),
        Err(SweepError::TooLarge { points: 420 })
    ));

    // Depth 0 is a linear model; explicit layouts are taken as given.
    let points = SweepGrid {
        depths: vec![0, 2],
        ..SweepGrid::default()
    }
    .expand(&spec, &train)
    .unwrap();
    assert_eq!(points[0].spec.hidden, Vec::<usize>::new());
    // Depth 2 at the spec's first width (the default network's 64).
    assert_eq!(points[1].spec.hidden, vec![64, 64]);
    let points = SweepGrid {
        hidden: vec![vec![], vec![64, 32]],
        batch_sizes: vec![16, 64],
        dropouts: vec![0.0],
        ..SweepGrid::default()
    }
    .expand(&spec, &train)
    .unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(points[3].spec.hidden, vec![64, 32]);
    assert_eq!(points[3].train.batch_size, 64);
    assert_eq!(points[3].spec.dropout, 0.0);
    assert_eq!(points[3].label(), "hidden 64,32 · batch 64 · dropout 0");
    // An empty grid is the base settings alone.
    let base = SweepGrid::default().expand(&spec, &train).unwrap();
    assert_eq!(base.len(), 1);
    assert_eq!(base[0].spec, spec);
}

/// The base's schedule reaches every point; its per-layer activations
/// only where the grid keeps its layers (other layouts take the quick one).
#[test]
fn the_schedule_and_per_layer_activations_reach_the_points() {
    let spec = NetworkSpec {
        hidden: vec![8, 4],
        activation: Activation::Tanh,
        layer_activations: vec![Activation::Relu, Activation::Sigmoid],
        ..NetworkSpec::default()
    };
    let train = TrainSettings {
        schedule: LrSchedule::Step {
            every: 5,
            factor: 0.5,
        },
        ..TrainSettings::default()
    };
    let same_layers = SweepGrid {
        learning_rates: vec![0.01, 0.1],
        ..SweepGrid::default()
    }
    .expand(&spec, &train)
    .unwrap();
    assert!(
        same_layers
            .iter()
            .all(|p| p.spec == spec && p.train.schedule == train.schedule)
    );
    let other_layers = SweepGrid {
        widths: vec![4, 16],
        depths: vec![1, 3],
        ..SweepGrid::default()
    }
    .expand(&spec, &train)
    .unwrap();
    assert_eq!(other_layers.len(), 4);
    for point in &other_layers {
        assert_eq!(point.spec.validate(), Ok(()));
        assert!(
            point
                .spec
                .activations()
                .iter()
                .all(|&a| a == Activation::Tanh)
        );
        assert_eq!(point.train.schedule, train.schedule);
    }
}

#[test]
fn a_background_sweep_reports_and_finishes() {
    let points = SweepGrid {
        learning_rates: vec![0.01, 0.1],
        ..SweepGrid::default()
    }
    .expand(&NetworkSpec::default(), &base_train(5))
    .unwrap();
    let handle = SweepHandle::spawn(job(Preset::Circle, 200, points), || {}).unwrap();
    assert_eq!(handle.total(), 2);
    let mut done = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let last = loop {
        assert!(Instant::now() < deadline, "sweep did not finish");
        match handle.recv_timeout(Duration::from_secs(5)) {
            Some(SweepEvent::RunDone(o)) => done.push(*o),
            Some(e @ (SweepEvent::Finished { .. } | SweepEvent::Failed(_))) => break e,
            _ => {}
        }
    };
    assert_eq!(last, SweepEvent::Finished { cancelled: false });
    assert_eq!(done.len(), 2);
    drop(handle);
}

#[test]
fn cancelling_a_sweep_stops_it_quickly() {
    // Many long runs without early stopping: minutes if not cancelled.
    let points = SweepGrid {
        learning_rates: (1..=20).map(|i| f64::from(i) * 1e-3).collect(),
        ..SweepGrid::default()
    }
    .expand(&NetworkSpec::default(), &base_train(100_000))
    .unwrap();
    let mut job = job(Preset::Visits, 400, points);
    job.patience = None;
    let handle = SweepHandle::spawn(job, || {}).unwrap();
    // Wait until it is training, then cancel.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "no progress");
        if let Some(SweepEvent::Progress { current_epoch, .. }) =
            handle.recv_timeout(Duration::from_secs(5))
            && current_epoch > 0
        {
            break;
        }
    }
    let cancelled_at = Instant::now();
    handle.cancel();
    let last = loop {
        assert!(
            cancelled_at.elapsed() < Duration::from_secs(10),
            "cancel took too long"
        );
        match handle.recv_timeout(Duration::from_secs(5)) {
            Some(SweepEvent::RunDone(o)) => panic!("an interrupted run was reported: {o:?}"),
            Some(e @ (SweepEvent::Finished { .. } | SweepEvent::Failed(_))) => break e,
            _ => {}
        }
    };
    assert_eq!(last, SweepEvent::Finished { cancelled: true });
    let joined = Instant::now();
    drop(handle);
    assert!(joined.elapsed() < Duration::from_secs(5));

    // Dropping a running sweep cancels and joins it too.
    let points = SweepGrid::default()
        .expand(&NetworkSpec::default(), &base_train(100_000))
        .unwrap();
    let mut job2 = self::job(Preset::Visits, 400, points);
    job2.patience = None;
    let handle = SweepHandle::spawn(job2, || {}).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let dropped = Instant::now();
    drop(handle);
    assert!(dropped.elapsed() < Duration::from_secs(10));
}

/// 0.5 Adam on a tiny noisy set: the validation loss soon stops improving.
fn jumpy() -> (
    Arc<purchase_lab::data::Prepared>,
    NetworkSpec,
    TrainSettings,
) {
    let table = generate(&synth(Preset::Xor, 200)).unwrap();
    let recipe = classification(&table, Preset::Xor);
    let (spec, train) = jumpy_settings();
    (prepared(&table, &recipe), spec, train)
}

#[test]
fn early_stopping_stops_patience_epochs_after_the_best() {
    let (prepared, spec, train) = jumpy();
    let mut run = train_on_cpu(prepared, &spec, &train);
    assert!(run.stopped_early(), "no early stop within 300 epochs");
    let history = run.history();
    let best = run.best_epoch().unwrap();
    let (best_i, best_loss) = history
        .iter()
        .map(|r| r.valid_loss)
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert_eq!(best, best_i + 1);
    assert_eq!(run.best_valid_loss(), Some(best_loss));
    assert_eq!(history.len(), best + 3);
    let stop = run.early_stop().unwrap();
    assert_eq!((stop.epoch, stop.best_epoch), (best + 3, best));
    assert!(stop.to_string().starts_with("stopped early at epoch"));

    // Play after the stop trains another `patience` epochs at most.
    run.continue_after_early_stop();
    assert!(!run.stopped_early());
    for _ in 0..3 {
        if run.stopped_early() {
            break;
        }
        run.run_epoch().unwrap();
    }
    assert!(run.stopped_early() || run.best_epoch() > Some(best));
}

#[test]
fn the_worker_reports_an_early_stop() {
    let (prepared, spec, settings) = jumpy();
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    worker
        .send(WorkerCommand::Start(Box::new(Job {
            prepared,
            recipe: classification(&generate(&synth(Preset::Xor, 200)).unwrap(), Preset::Xor),
            model: ModelSpec::Network { spec, settings },
            backend: BackendChoice::Cpu,
            epochs: Some(300),
            surface: None,
            paused: false,
        })))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut events = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "no Finished: {events:?}");
        let Some(event) = worker.recv_timeout(Duration::from_secs(5)) else {
            continue;
        };
        let end = matches!(event, Event::Finished { .. } | Event::Failed(_));
        events.push(event);
        if end {
            break;
        }
    }
    let n = events.len();
    let Event::Finished { epoch } = events[n - 1] else {
        panic!("{:?}", events[n - 1]);
    };
    assert!(epoch < 300, "stopped at {epoch}");
    let Event::StoppedEarly(stop) = &events[n - 2] else {
        panic!("no StoppedEarly before Finished: {:?}", &events[n - 2]);
    };
    assert_eq!(stop.epoch, epoch);
    assert_eq!(stop.best_epoch + 3, epoch);
}

#[test]
fn the_sweep_command_prints_a_ranked_table_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("xor.csv");
    write_csv(&generate(&synth(Preset::Xor, 300)).unwrap(), &csv).unwrap();
    let csv = csv.to_str().unwrap();
    let xor = ["class", "orange"];
    let common = classify(
        "sweep",
        csv,
        xor,
        &[
            "--lr",
            "1e-3,5e-2",
            "--hidden",
            "4;16,8",
            "--epochs",
            "12",
            "--backend",
            "cpu",
        ],
    );

    let o = purchase_lab(&common);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(o.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(&header[..4], ["rank", "lr", "hidden", "auc"], "{stdout}");
    let aucs: Vec<f64> = lines[1..5]
        .iter()
        .map(|l| l.split_whitespace().nth(3).unwrap().parse().unwrap())
        .collect();
    assert!(aucs.windows(2).all(|w| w[0] >= w[1]), "{stdout}");
    assert!(lines[5].starts_with("best (highest auc): lr "), "{stdout}");

    let mut json_args = common.to_vec();
    json_args.extend(["--json", "--metric", "valid_loss", "--no-early-stop"]);
    let o = purchase_lab(&json_args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let runs: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 4);
    let mut losses = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run["rank"], i + 1);
        assert_eq!(run["metric"], "valid_loss");
        assert_eq!(run["epochs"], 12, "no early stop: {run}");
        assert!(run["error"].is_null());
        assert!(run["params"]["lr"].is_number());
        losses.push(run["value"].as_f64().unwrap());
    }
    assert!(losses.windows(2).all(|w| w[0] <= w[1]), "{losses:?}");

    // A bad value is refused before anything trains.
    let o = purchase_lab(&classify("sweep", csv, xor, &["--lr", "50"]));
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("learning rate 50"), "{stderr}");

    // Ranking on the test rows would tune to them: refused, naming the
    // validation metric to rank by.
    let o = purchase_lab(&classify("sweep", csv, xor, &["--metric", "test_auc"]));
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("never the test rows") && stderr.contains("rank by auc"),
        "{stderr}"
    );
}

#[test]
fn train_with_patience_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("xor.csv");
    write_csv(&generate(&synth(Preset::Xor, 200)).unwrap(), &csv).unwrap();
    let o = purchase_lab(&classify(
        "train",
        csv.to_str().unwrap(),
        ["class", "orange"],
        &[
            "--hidden",
            "16",
            "--dropout",
            "0",
            "--lr",
            "0.5",
            "--epochs",
            "300",
            "--patience",
            "3",
            "--backend",
            "cpu",
            "--json",
        ],
    ));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["stopped_early"], true, "{summary}");
    let epochs = summary["epochs"].as_u64().unwrap();
    assert_eq!(summary["best_epoch"].as_u64().unwrap() + 3, epochs);
    assert!(epochs < 300);
}
