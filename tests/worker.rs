//! The training thread driven as the app drives it: start, play, pause,
//! step, change the learning rate, save; events arrive in order and the
//! thread is joined when the handle is dropped.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/events.rs"]
mod events;
#[path = "common/threads.rs"]
mod threads;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use purchase_lab::data::prep::Part;
use purchase_lab::data::{Preset, Problem, Recipe, SynthSettings, generate, prepare};
use purchase_lab::model::probe;
use purchase_lab::model::probe::timing::GPU_WAIT_MIN;
use purchase_lab::model::surface::SurfaceRequest;
use purchase_lab::model::{BackendChoice, ModelSpec, NetworkSpec, TrainSettings};
use purchase_lab::worker::{Command, Event, Job, WorkerError, WorkerHandle};

fn job(epochs: Option<usize>, paused: bool) -> Job {
    let table = generate(&SynthSettings {
        preset: Preset::Visits,
        rows: 300,
        ..SynthSettings::default()
    })
    .unwrap();
    let recipe = Recipe::new(
        &table,
        "purchased",
        Problem::Classification {
            positive: "yes".into(),
        },
    );
    Job {
        prepared: Arc::new(prepare(&table, &recipe).unwrap()),
        recipe,
        model: ModelSpec::Network {
            spec: NetworkSpec {
                hidden: vec![8, 8],
                ..NetworkSpec::default()
            },
            settings: TrainSettings {
                learning_rate: 0.01,
                ..TrainSettings::default()
            },
        },
        backend: BackendChoice::Cpu,
        epochs,
        surface: Some(SurfaceRequest {
            resolution: 30,
            with_units: true,
            ..SurfaceRequest::new("visit_minutes", "pages_visited")
        }),
        paused,
    }
}

#[test]
fn without_a_surface_the_weights_come_alone_and_move_with_training() {
    // Data with fewer than two numeric features has no surface to draw:
    // the diagram's links and the weight history still need the weights.
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    let mut no_surface = job(Some(6), false);
    no_surface.surface = None;
    worker.send(Command::Start(Box::new(no_surface))).unwrap();
    let events = collect_until(&worker, |e| {
        matches!(e, Event::Finished { .. } | Event::Failed(_))
    });
    assert!(
        matches!(events.last(), Some(Event::Finished { epoch: 6 })),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Surface(_))));
    let sent: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Weights(w) => Some(w.clone()),
            _ => None,
        })
        .collect();
    let (first, last) = (sent.first().unwrap(), sent.last().unwrap());
    // Hidden 8-8 on two inputs, one output.
    let shapes: Vec<(usize, usize)> = last.iter().map(|l| (l.n_in, l.n_out)).collect();
    assert_eq!(shapes, [(2, 8), (8, 8), (8, 1)]);
    assert!(
        sent.len() >= 2,
        "the final weights follow the first: {}",
        sent.len()
    );
    assert_ne!(first, last, "training moved the weights");
}

#[test]
fn dropping_the_worker_waits_for_a_device_probe_still_warming_the_gpu_up() {
    // Auto times the job on the GPU; on a software adapter (lavapipe) the
    // GPU is still compiling its shaders when the wait ends, and the probe
    // goes on in the background. Exiting with it inside the driver crashed
    // a test binary on its way out: the worker's drop waits for it.
    let _slow = probe::testing::SlowGpuWarmup::new(GPU_WAIT_MIN + Duration::from_secs(1));
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    let mut auto = job(Some(1), true);
    auto.backend = BackendChoice::Auto;
    worker.send(Command::Start(Box::new(auto))).unwrap();
    let events = collect_until(&worker, |e| {
        matches!(e, Event::Started { .. } | Event::Failed(_))
    });
    let Some(Event::Started { device, .. }) = events.last() else {
        panic!("{events:?}");
    };
    if !device.contains("measured") {
        // No adapter to time (CI requires one and always has it).
        eprintln!("NOTE: nothing was measured: {device}");
        return;
    }
    assert!(device.contains("had not trained a timed step"), "{device}");
    assert_eq!(threads::named(threads::DEVICE_PROBE), 1, "still warming up");
    drop(worker);
    assert_eq!(threads::named(threads::DEVICE_PROBE), 0);
}

/// Collects events until `stop` says so, or fails after a generous timeout.
fn collect_until(worker: &WorkerHandle, stop: impl FnMut(&Event) -> bool) -> Vec<Event> {
    events::collect_until(worker, Duration::from_secs(120), stop)
}

#[test]
fn a_run_reports_epochs_surfaces_and_finishes() {
    let repaints = Arc::new(AtomicUsize::new(0));
    let counter = repaints.clone();
    let worker = WorkerHandle::spawn(move || {
        counter.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    worker
        .send(Command::Start(Box::new(job(Some(5), false))))
        .unwrap();
    let events = collect_until(&worker, |e| {
        matches!(e, Event::Finished { .. } | Event::Failed(_))
    });

    assert!(
        matches!(events[0], Event::Started { .. }),
        "{:?}",
        events[0]
    );
    let epochs: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            Event::Epoch(r) => Some(r.epoch),
            _ => None,
        })
        .collect();
    assert_eq!(epochs, [1, 2, 3, 4, 5]);
    assert!(matches!(events.last(), Some(Event::Finished { epoch: 5 })));
    // The surface after the last epoch comes right before Finished, after
    // the test predictions, which follow the run's outcome: the test rows
    // are scored only once the run ended.
    let Event::Surface(surface) = &events[events.len() - 2] else {
        panic!("no surface before Finished: {events:?}");
    };
    let Event::Predictions { part, values } = &events[events.len() - 3] else {
        panic!("no predictions before the surface: {events:?}");
    };
    assert_eq!(*part, Part::Test);
    assert_eq!(values.len(), 60, "one per test row (20% of 300)");
    let Event::Outcome(outcome) = &events[events.len() - 4] else {
        panic!("no outcome before the final predictions: {events:?}");
    };
    assert_eq!(outcome.epochs, 5);
    // Every earlier set of predictions was for the validation rows (15%
    // of the other 240).
    for e in &events[..events.len() - 4] {
        if let Event::Predictions { part, values } = e {
            assert_eq!(*part, Part::Validation);
            assert_eq!(values.len(), 36);
        }
    }
    assert_eq!(surface.values.len(), 30 * 30);
    assert!(surface.values.iter().all(|p| (0.0..=1.0).contains(p)));
    assert_eq!(surface.units.len(), 2, "two hidden layers of thumbnails");
    assert_eq!(surface.units[0].len(), 8);
    assert_eq!(surface.weights.len(), 3);
    // The repaint callback runs right after each send; give the last one a
    // moment to land.
    let deadline = Instant::now() + Duration::from_secs(5);
    while repaints.load(Ordering::Relaxed) < events.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(repaints.load(Ordering::Relaxed), events.len());
}

#[test]
fn pause_step_resume_and_live_learning_rate() {
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    worker
        .send(Command::Start(Box::new(job(None, true))))
        .unwrap();
    collect_until(&worker, |e| matches!(e, Event::Started { .. }));

    worker.send(Command::Step).unwrap();
    let events = collect_until(&worker, |e| matches!(e, Event::Paused { .. }));
    let epochs: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, Event::Epoch(_)))
        .collect();
    assert_eq!(epochs.len(), 1, "Step trains exactly one epoch");
    assert!(matches!(events.last(), Some(Event::Paused { epoch: 1 })));

    worker.send(Command::SetLearningRate(0.001)).unwrap();
    worker.send(Command::Resume).unwrap();
    collect_until(&worker, |e| matches!(e, Event::Epoch(r) if r.epoch >= 4));
    worker.send(Command::Pause).unwrap();
    let events = collect_until(&worker, |e| matches!(e, Event::Paused { .. }));
    assert!(
        events.iter().all(|e| !matches!(e, Event::Failed(_))),
        "{events:?}"
    );

    // An absurd rate is refused with a message; training state is kept.
    worker.send(Command::SetLearningRate(f64::NAN)).unwrap();
    let events = collect_until(&worker, |e| matches!(e, Event::Failed(_)));
    let Some(Event::Failed(error)) = events.last() else {
        unreachable!()
    };
    assert!(matches!(error, WorkerError::Run(_)), "{error:?}");
    assert!(error.to_string().contains("learning rate"), "{error}");
}

#[test]
fn save_writes_a_model_file_and_reports_failure_without_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    worker
        .send(Command::Save(dir.path().join("early.plab")))
        .unwrap();
    let events = collect_until(&worker, |e| matches!(e, Event::Failed(_)));
    assert!(
        matches!(events.last(), Some(Event::Failed(e @ WorkerError::NothingToSave))
            if e.to_string().contains("no trained network"))
    );

    worker
        .send(Command::Start(Box::new(job(Some(2), false))))
        .unwrap();
    collect_until(&worker, |e| matches!(e, Event::Finished { .. }));
    let path = dir.path().join("model.plab");
    worker.send(Command::Save(path.clone())).unwrap();
    collect_until(&worker, |e| matches!(e, Event::Saved(_)));
    assert!(purchase_lab::model::bundle::Bundle::load(&path).is_ok());
}

#[test]
fn dropping_the_handle_mid_run_joins_the_thread() {
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    worker
        .send(Command::Start(Box::new(job(None, false))))
        .unwrap();
    collect_until(&worker, |e| matches!(e, Event::Epoch(_)));
    let start = Instant::now();
    drop(worker);
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_paced_run_trains_no_faster_than_its_pace_and_still_answers_at_once() {
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    // Four epochs a second. Unpaced, this run trains hundreds a second.
    worker.send(Command::SetPace(Some(4.0))).unwrap();
    worker
        .send(Command::Start(Box::new(job(None, false))))
        .unwrap();
    collect_until(&worker, |e| matches!(e, Event::Epoch(_)));
    let first = Instant::now();
    let mut epochs = 1;
    while first.elapsed() < Duration::from_secs(1) {
        if let Some(Event::Epoch(_)) = worker.recv_timeout(Duration::from_millis(20)) {
            epochs += 1;
        }
    }
    // Epochs at 0, 0.25, 0.5, 0.75 and (at the edge) 1 s after the first.
    assert!(epochs <= 5, "{epochs} epochs in one second at 4 a second");

    // A pace of one epoch per 100 s must not hold back commands.
    worker.send(Command::SetPace(Some(0.01))).unwrap();
    worker.send(Command::Pause).unwrap();
    let asked = Instant::now();
    loop {
        match worker.recv_timeout(Duration::from_millis(100)) {
            Some(Event::Paused { .. }) => break,
            _ => assert!(
                asked.elapsed() < Duration::from_secs(20),
                "Pause was not answered while waiting for a paced epoch"
            ),
        }
    }

    // Back to full speed: epochs flow again.
    worker.send(Command::SetPace(None)).unwrap();
    worker.send(Command::Resume).unwrap();
    let mut more = 0;
    collect_until(&worker, |e| {
        if matches!(e, Event::Epoch(_)) {
            more += 1;
        }
        more == 20
    });

    worker.send(Command::SetPace(Some(-1.0))).unwrap();
    let failed = collect_until(&worker, |e| matches!(e, Event::Failed(_)));
    match failed.last() {
        Some(Event::Failed(error)) => {
            assert!(matches!(error, WorkerError::Pace(_)), "{error:?}");
            assert!(
                error.to_string().contains("pace must be a positive number"),
                "{error}"
            )
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}
