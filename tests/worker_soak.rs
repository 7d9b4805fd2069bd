//! The training thread under abuse: thousands of commands in every order a
//! restless user could send them, a panic inside training, a device that
//! dies mid-run, and handles dropped at awkward moments. Nothing may
//! deadlock, lose its final event, or leave a thread behind.
//!
//! Tests here run one at a time (a shared lock) so the count of training
//! threads in this process is theirs alone.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/events.rs"]
mod events;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use purchase_lab::data::{Preset, Problem, Recipe, SynthSettings, generate, prepare};
use purchase_lab::model::surface::SurfaceRequest;
use purchase_lab::model::{
    BackendChoice, DeviceError, ModelSpec, NetworkSpec, TrainSettings, select_device,
};
use purchase_lab::worker::{Command, Event, Fault, Job, WorkerError, WorkerHandle};

/// Longest wait for any one expected event: far beyond what a tiny network
/// needs, so a timeout means a deadlock or a lost event, not a slow machine.
const PATIENCE: Duration = Duration::from_secs(60);

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    // A failed test poisons the lock; the others should still run.
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Threads of this process named like the worker (Linux truncates thread
/// names to 15 bytes). `None` where /proc is not available.
fn training_threads() -> Option<usize> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    Some(
        tasks
            .filter_map(Result::ok)
            .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
            .filter(|name| "purchase-lab-training".starts_with(name.trim()))
            .count(),
    )
}

/// The training-thread count with no worker alive. Thread pools that the
/// backend starts lazily from inside the worker inherit its name on Linux,
/// so one warm-up run creates them first and they count as the baseline.
fn baseline_threads() -> Option<usize> {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let worker = WorkerHandle::spawn(|| {}).expect("spawn the worker");
        let mut job = tiny_job(Some(2), false);
        job.surface = Some(small_surface());
        worker
            .send(Command::Start(Box::new(job)))
            .expect("send the warm-up job");
        collect(&worker, is_end);
    });
    training_threads()
}

/// Waits (briefly) for the thread count to settle, since a joined thread's
/// /proc entry can linger for a moment.
fn assert_threads(expected: usize) {
    let Some(mut now) = training_threads() else {
        return;
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while now != expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
        now = training_threads().unwrap_or(expected);
    }
    assert_eq!(now, expected, "training threads alive");
}

fn tiny_job(epochs: Option<usize>, paused: bool) -> Job {
    let table = generate(&SynthSettings {
        preset: Preset::Visits,
        rows: 60,
        ..SynthSettings::default()
    })
    .expect("generate");
    let recipe = Recipe::new(
        &table,
        "purchased",
        Problem::Classification {
            positive: "yes".into(),
        },
    );
    Job {
        prepared: Arc::new(prepare(&table, &recipe).expect("prepare")),
        recipe,
        model: ModelSpec::Network {
            spec: NetworkSpec {
                hidden: vec![4],
                ..NetworkSpec::default()
            },
            settings: TrainSettings {
                learning_rate: 0.01,
                batch_size: 16,
                ..TrainSettings::default()
            },
        },
        backend: BackendChoice::Cpu,
        epochs,
        surface: None,
        paused,
    }
}

fn small_surface() -> SurfaceRequest {
    SurfaceRequest {
        resolution: 6,
        ..SurfaceRequest::new("visit_minutes", "pages_visited")
    }
}

/// A worker with counters: every command sent and event received.
struct Driver {
    worker: WorkerHandle,
    commands: usize,
    events: usize,
}

impl Driver {
    fn new() -> Driver {
        Driver {
            worker: WorkerHandle::spawn(|| {}).expect("spawn the worker"),
            commands: 0,
            events: 0,
        }
    }

    fn send(&mut self, command: Command) {
        // The driver waits for answers, so at most a handful of commands are
        // ever queued: a full channel (`Busy`) would itself be a bug.
        if let Err(e) = self.worker.send(command) {
            panic!("send failed: {e}");
        }
        self.commands += 1;
    }

    /// Events until one satisfies `done` (returned); panics after
    /// [`PATIENCE`] with what did arrive. A `Failed` is never expected here.
    fn wait(&mut self, what: &str, mut done: impl FnMut(&Event) -> bool) -> Event {
        let deadline = Instant::now() + PATIENCE;
        let mut skipped = 0;
        while Instant::now() < deadline {
            if let Some(e) = self.worker.recv_timeout(Duration::from_millis(200)) {
                self.events += 1;
                if let Event::Failed(m) = &e {
                    panic!("unexpected failure while waiting for {what}: {m}");
                }
                if done(&e) {
                    return e;
                }
                skipped += 1;
            }
        }
        panic!("no {what} within {PATIENCE:?} ({skipped} other events): deadlock or lost event");
    }

    fn drain(&mut self) {
        while let Some(e) = self.worker.try_recv() {
            self.events += 1;
            if let Event::Failed(m) = e {
                panic!("unexpected failure: {m}");
            }
        }
    }
}

/// xorshift64*: a seeded sequence without pulling a crate into the test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn is_started(e: &Event) -> bool {
    matches!(e, Event::Started { .. })
}

fn is_paused_or_finished(e: &Event) -> bool {
    matches!(e, Event::Paused { .. } | Event::Finished { .. })
}

/// One restless user session on one run: start, step, change knobs, play,
/// pause, resume, stop, and sometimes start over while it plays.
fn session(d: &mut Driver, rng: &mut Rng) {
    let epochs = 1 + rng.below(3) as usize;
    let until_paused = rng.below(8) == 0;
    let target = (!until_paused).then_some(epochs);
    d.send(Command::Start(Box::new(tiny_job(target, true))));
    d.wait("Started", is_started);

    for _ in 0..rng.below(3) {
        match rng.below(3) {
            0 => {
                d.send(Command::Step);
                d.wait("Paused after Step", |e| matches!(e, Event::Paused { .. }));
            }
            1 => d.send(Command::SetLearningRate(
                [0.001, 0.01, 0.05][rng.below(3) as usize],
            )),
            _ => d.send(Command::SetSurface((rng.below(2) == 0).then(small_surface))),
        }
    }

    d.send(Command::Resume);
    match (until_paused, rng.below(4)) {
        // Plays until paused: only Pause or Stop ends it.
        (true, _) => {
            d.wait("an epoch", |e| matches!(e, Event::Epoch(_)));
            let stop = if rng.below(2) == 0 {
                Command::Pause
            } else {
                Command::Stop
            };
            d.send(stop);
            d.wait("Paused after Pause/Stop", |e| {
                matches!(e, Event::Paused { .. })
            });
        }
        // Let it finish.
        (false, 0) => {
            d.wait("Finished", |e| matches!(e, Event::Finished { .. }));
        }
        // Pause at once: it pauses, or had already finished.
        (false, 1) => {
            d.send(Command::Pause);
            if let Event::Paused { .. } = d.wait("Paused or Finished", is_paused_or_finished) {
                d.send(Command::Resume);
                d.wait("Finished after Resume", |e| {
                    matches!(e, Event::Finished { .. })
                });
            }
        }
        // Finish, then Play again (a further `epochs`), then Stop.
        (false, 2) => {
            d.wait("Finished", |e| matches!(e, Event::Finished { .. }));
            d.send(Command::Resume);
            d.send(Command::Stop);
            d.wait("Paused or Finished after Stop", is_paused_or_finished);
        }
        // Start over while playing; the old run's events may still arrive
        // before the new Started.
        _ => {
            d.send(Command::SetLearningRate(0.02));
            d.send(Command::Start(Box::new(tiny_job(Some(1), false))));
            d.wait("Started of the replacement", is_started);
            d.wait("Finished of the replacement", |e| {
                matches!(e, Event::Finished { .. })
            });
        }
    }
    d.drain();
}

#[test]
fn soak_thousands_of_commands_without_deadlock_or_leak() {
    let _serial = serial();
    let before = baseline_threads();
    let started = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut commands, mut events, mut sessions, mut workers) = (0, 0, 0, 0);
    let mut slowest_drop = Duration::ZERO;
    // Each worker lives for a batch of sessions, then is dropped (sometimes
    // mid-run) and replaced, so spawn and join are soaked too.
    const WORKERS: usize = 20;
    const SESSIONS_PER_WORKER: usize = 250;
    for w in 0..WORKERS {
        let mut d = Driver::new();
        workers += 1;
        if let Some(b) = before {
            // Exactly one training thread per handle (named once it runs).
            assert_threads(b + 1);
        }
        for _ in 0..SESSIONS_PER_WORKER {
            session(&mut d, &mut rng);
            sessions += 1;
        }
        if w % 2 == 0 {
            // Leave it playing with no epoch target and nobody draining.
            d.send(Command::Start(Box::new(tiny_job(None, false))));
        }
        commands += d.commands;
        events += d.events;
        let t = Instant::now();
        drop(d);
        let took = t.elapsed();
        slowest_drop = slowest_drop.max(took);
        assert!(took < Duration::from_secs(10), "drop took {took:?}");
        if let Some(b) = before {
            assert_threads(b);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    // The figures docs/RELIABILITY.md quotes (run with --nocapture).
    println!(
        "soak: {workers} workers, {sessions} sessions, {commands} commands, {events} events \
         in {seconds:.1} s; slowest drop {slowest_drop:?}"
    );
    assert!(commands >= 10_000, "only {commands} commands");
}

#[test]
fn dropping_a_worker_blocked_on_a_full_event_channel_returns_promptly() {
    let _serial = serial();
    let before = baseline_threads();
    let mut d = Driver::new();
    let mut job = tiny_job(None, false);
    job.surface = Some(small_surface());
    d.send(Command::Start(Box::new(job)));
    // Nobody drains: the worker fills the bounded event channel and blocks.
    std::thread::sleep(Duration::from_millis(1500));
    let t = Instant::now();
    drop(d);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    if let Some(b) = before {
        assert_threads(b);
    }
}

/// Every event until `done`, panicking after [`PATIENCE`].
fn collect(worker: &WorkerHandle, done: impl Fn(&Event) -> bool) -> Vec<Event> {
    events::collect_until(worker, PATIENCE, done)
}

fn epochs(events: &[Event]) -> Vec<usize> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Epoch(r) => Some(r.epoch),
            _ => None,
        })
        .collect()
}

fn is_end(e: &Event) -> bool {
    matches!(e, Event::Finished { .. } | Event::Failed(_))
}

#[test]
fn a_panic_in_training_is_a_failed_run_and_the_worker_trains_again() {
    let _serial = serial();
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    worker
        .send(Command::InjectFault(Fault::PanicAtEpoch(2)))
        .unwrap();
    worker
        .send(Command::Start(Box::new(tiny_job(Some(4), false))))
        .unwrap();
    let events = collect(&worker, is_end);
    assert_eq!(epochs(&events), [1]);
    let Some(Event::Failed(error)) = events.last() else {
        panic!("expected a failure: {events:?}");
    };
    assert!(matches!(error, WorkerError::Panic(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "training stopped on an internal error: injected fault: panic at epoch 2"
    );

    // The network survived as it was after epoch 1: Play goes on from there.
    worker.send(Command::Resume).unwrap();
    let events = collect(&worker, is_end);
    assert_eq!(epochs(&events), [2, 3, 4], "{events:?}");
    assert!(matches!(events.last(), Some(Event::Finished { epoch: 4 })));

    // And a new run trains from scratch.
    worker
        .send(Command::Start(Box::new(tiny_job(Some(3), false))))
        .unwrap();
    let events = collect(&worker, is_end);
    assert!(matches!(events[0], Event::Started { .. }), "{events:?}");
    assert_eq!(epochs(&events), [1, 2, 3]);
    assert!(matches!(events.last(), Some(Event::Finished { epoch: 3 })));
}

#[test]
fn a_panic_while_stepping_still_answers_the_step() {
    let _serial = serial();
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    worker
        .send(Command::Start(Box::new(tiny_job(Some(5), true))))
        .unwrap();
    collect(&worker, is_started);
    worker
        .send(Command::InjectFault(Fault::PanicAtEpoch(1)))
        .unwrap();
    worker.send(Command::Step).unwrap();
    let events = collect(&worker, |e| matches!(e, Event::Paused { .. }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Failed(m) if m.to_string().ends_with("panic at epoch 1"))),
        "{events:?}"
    );
    assert!(matches!(events.last(), Some(Event::Paused { epoch: 0 })));
    worker.send(Command::Step).unwrap();
    let events = collect(&worker, |e| matches!(e, Event::Paused { .. }));
    assert!(matches!(events.last(), Some(Event::Paused { epoch: 1 })));
}

#[test]
fn a_device_failure_mid_run_restarts_the_run_on_the_cpu_with_a_notice() {
    let _serial = serial();
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    worker
        .send(Command::InjectFault(Fault::DeviceErrorAtEpoch(2)))
        .unwrap();
    worker
        .send(Command::Start(Box::new(tiny_job(Some(3), false))))
        .unwrap();
    let events = collect(&worker, is_end);
    assert!(
        !events.iter().any(|e| matches!(e, Event::Failed(_))),
        "{events:?}"
    );
    let started: Vec<(&String, &Option<String>)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Started { device, fallback } => Some((device, fallback)),
            _ => None,
        })
        .collect();
    let notice = "the GPU failed at epoch 2 (injected fault: the device was lost at epoch 2); \
                  the run restarted from the beginning on the CPU";
    assert_eq!(started.len(), 2, "{events:?}");
    assert_eq!(started[0], (&"CPU (flex)".to_owned(), &None));
    assert_eq!(started[1].0, &format!("CPU (flex): {notice}"));
    assert_eq!(started[1].1.as_deref(), Some(notice));
    // Epoch 1 on the "GPU", then the whole run again on the CPU.
    assert_eq!(epochs(&events), [1, 1, 2, 3]);
    assert!(matches!(events.last(), Some(Event::Finished { epoch: 3 })));

    // Later runs that would use the GPU stay on the CPU and say why.
    let mut job = tiny_job(Some(1), false);
    job.backend = BackendChoice::Auto;
    worker.send(Command::Start(Box::new(job))).unwrap();
    let events = collect(&worker, is_end);
    let Event::Started { fallback, .. } = &events[0] else {
        panic!("{events:?}");
    };
    assert_eq!(
        fallback.as_deref(),
        Some(
            "the GPU failed earlier (at epoch 2: injected fault: the device was lost at epoch 2), \
             so training stays on the CPU"
        )
    );
    assert!(matches!(events.last(), Some(Event::Finished { epoch: 1 })));
}

#[test]
fn asking_for_the_gpu_without_one_trains_on_the_cpu_unless_ci_requires_wgpu() {
    let _serial = serial();
    let worker = WorkerHandle::spawn(|| {}).unwrap();
    let mut job = tiny_job(Some(1), false);
    job.backend = BackendChoice::Gpu;
    worker.send(Command::Start(Box::new(job))).unwrap();
    let events = collect(&worker, is_end);
    // What this machine has decides what the worker must do.
    match select_device(BackendChoice::Gpu) {
        Ok(gpu) => {
            assert!(
                matches!(&events[0], Event::Started { device, .. } if *device == gpu.description),
                "{events:?}"
            );
        }
        Err(DeviceError::NoWgpu { reason }) => {
            let expected = format!("no GPU adapter ({reason}), so training uses the CPU");
            assert!(
                matches!(&events[0], Event::Started { fallback: Some(f), .. } if *f == expected),
                "{events:?}"
            );
            assert!(matches!(events.last(), Some(Event::Finished { epoch: 1 })));
        }
        // CI (PURCHASE_LAB_REQUIRE_WGPU=1) without an adapter: still an error.
        Err(e) => {
            assert!(
                matches!(events.last(), Some(Event::Failed(WorkerError::Device(d))) if *d == e),
                "{events:?}"
            );
        }
    }
}
