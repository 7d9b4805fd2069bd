//! `Auto` on this machine: with a GPU adapter it times the job on the CPU
//! and the GPU and says so; on a software adapter (Mesa's lavapipe in CI)
//! the CPU wins by measurement, not by the adapter's name. The answer is
//! cached per adapter and shape, and a cached answer says so.
//!
//! Without an adapter these tests say why on stderr, and fail where CI
//! requires wgpu (`PURCHASE_LAB_REQUIRE_WGPU=1`).

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use purchase_lab::model::device::{REQUIRE_WGPU_ENV, wgpu_adapter};
use purchase_lab::model::probe::timing::GPU_WAIT_MIN;
use purchase_lab::model::probe::{self, GpuOutcome, ProbeJob};
use purchase_lab::model::{BackendChoice, ComputeKind, NetworkSpec, Task, TrainSettings};
use purchase_lab::tune::device_choice::{CACHE_FILE, ChoiceStore, choose};

use std::time::Duration;

#[path = "common/cli.rs"]
mod cli;
#[path = "common/threads.rs"]
mod threads;

/// The tests that probe in this process take turns: one slows the GPU's
/// warm-up for every probe and counts the probe's threads.
fn one_probe_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The adapter's name and whether it is a software one; `None` (said on
/// stderr) where this machine has none and CI does not require one.
fn adapter() -> Option<(String, bool)> {
    match wgpu_adapter() {
        Ok((_, adapter)) => Some((adapter.name, adapter.software)),
        Err(reason) => {
            let required = std::env::var(REQUIRE_WGPU_ENV).is_ok_and(|v| v == "1");
            assert!(!required, "wgpu is required here but unavailable: {reason}");
            eprintln!("NOTE: no wgpu adapter, Auto has nothing to measure: {reason}");
            None
        }
    }
}

/// The classroom network (W1's shape: 2 inputs, 16-16, batch 32).
fn classroom() -> ProbeJob {
    ProbeJob {
        spec: NetworkSpec {
            hidden: vec![16, 16],
            ..NetworkSpec::default()
        },
        settings: TrainSettings {
            batch_size: 32,
            ..TrainSettings::default()
        },
        task: Task::Classification,
        n_features: 2,
        n_rows: 600,
    }
}

#[test]
fn auto_times_the_job_then_reuses_the_cached_answer() {
    let _turn = one_probe_at_a_time();
    let Some((name, software)) = adapter() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(CACHE_FILE);
    let job = classroom();

    let first = choose(BackendChoice::Auto, Some(&job), &ChoiceStore::at(&cache)).unwrap();
    let measured = first.measured.as_ref().expect("timed, not cached");
    let description = &first.device.description;
    assert!(description.ends_with(", measured"), "{description}");
    assert_eq!(first.note, None);
    assert!(measured.cpu.timed_steps > 0);
    eprintln!("{description}\n{}", first.probe_summary().unwrap());
    if software {
        // Chosen by the figures, not by the name: the CPU's step was the
        // faster, or the GPU was still warming up when the CPU would have
        // finished the whole job.
        assert_eq!(first.device.kind, ComputeKind::Cpu);
        match &measured.gpu {
            GpuOutcome::Timed(gpu) => {
                assert!(measured.cpu.seconds_per_step < gpu.seconds_per_step);
                let why = format!("faster than the GPU ({name}) for this network");
                assert!(description.contains(&why), "{description}");
            }
            GpuOutcome::NotReady(waited) => {
                assert!(*waited >= GPU_WAIT_MIN, "{waited:?}");
                let why = format!("the GPU ({name}) had not trained a timed step after");
                assert!(description.contains(&why), "{description}");
            }
            GpuOutcome::Failed(reason) => panic!("the software adapter failed: {reason}"),
        }
        assert_eq!(
            first.device.fallback_reason.as_deref(),
            description.strip_prefix("CPU (flex): ")
        );
    }

    // Same adapter and shape: the cached answer, no timing.
    let second = choose(BackendChoice::Auto, Some(&job), &ChoiceStore::at(&cache)).unwrap();
    assert!(second.measured.is_none());
    assert_eq!(second.device.kind, first.device.kind);
    assert!(
        second
            .device
            .description
            .ends_with("measured earlier (cached)"),
        "{}",
        second.device.description
    );

    // An explicit choice skips the probe and the cache.
    let cpu = choose(BackendChoice::Cpu, Some(&job), &ChoiceStore::at(&cache)).unwrap();
    assert!(cpu.measured.is_none());
    assert_eq!(cpu.device.description, "CPU (flex)");
}

#[test]
fn a_corrupt_cache_is_ignored_with_a_note() {
    let _turn = one_probe_at_a_time();
    let Some(_) = adapter() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(CACHE_FILE);
    std::fs::write(&cache, "{\"version\": 1, \"entries\": [").unwrap();
    let mut job = classroom();
    job.n_rows = 40;
    job.spec.hidden = vec![4];
    let chosen = choose(BackendChoice::Auto, Some(&job), &ChoiceStore::at(&cache)).unwrap();
    let note = chosen.note.expect("a note about the bad file");
    assert!(note.contains("could not be read"), "{note}");
    assert!(chosen.measured.is_some(), "measured afresh");
    // And rewritten: the next choice comes from it.
    let again = choose(BackendChoice::Auto, Some(&job), &ChoiceStore::at(&cache)).unwrap();
    assert_eq!(again.note, None);
    assert!(again.measured.is_none());
}

#[test]
fn train_with_auto_says_how_it_chose_and_caches_in_the_data_directory() {
    let Some((_, software)) = adapter() else {
        return;
    };
    let dir = cli::Dir::new();
    let data_home = dir.path("data-home");
    let train = |label: &str| {
        let output = cli::command()
            .args(["train", "--data", &cli::shipped("visits.csv")])
            .args(["--target", "purchased", "--positive", "yes"])
            .args(["--hidden", "8", "--epochs", "2", "--no-early-stop"])
            .args(["--backend", "auto"])
            .env("XDG_DATA_HOME", &data_home)
            .output()
            .unwrap();
        let err = cli::stderr(&output);
        assert!(output.status.success(), "{label}: {err}");
        err.lines()
            .filter(|l| l.starts_with("device:") || l.starts_with("speed probe:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let first = train("first run");
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first[0].ends_with(", measured"), "{first:?}");
    assert!(first[1].contains("a step"), "{first:?}");
    if software {
        assert!(first[0].starts_with("device: CPU (flex): "), "{first:?}");
    }
    let cache = std::path::Path::new(&data_home)
        .join("purchase-lab")
        .join(CACHE_FILE);
    assert!(cache.is_file(), "{}", cache.display());

    let second = train("second run");
    assert_eq!(second.len(), 1, "no probe the second time: {second:?}");
    assert!(
        second[0].ends_with("measured earlier (cached)"),
        "{second:?}"
    );
}

#[test]
fn a_store_without_a_file_remembers_for_its_clones_only() {
    let _turn = one_probe_at_a_time();
    let Some(_) = adapter() else {
        return;
    };
    let mut job = classroom();
    job.n_rows = 40;
    job.spec.hidden = vec![3];
    let store = ChoiceStore::in_memory();
    assert_eq!(store.file(), None);
    let first = choose(BackendChoice::Auto, Some(&job), &store).unwrap();
    assert!(first.measured.is_some(), "timed");
    let again = choose(BackendChoice::Auto, Some(&job), &store.clone()).unwrap();
    assert!(again.measured.is_none(), "remembered");
    assert!(
        again
            .device
            .description
            .ends_with("measured earlier (cached)"),
        "{}",
        again.device.description
    );
    // Another store has measured nothing.
    let other = choose(BackendChoice::Auto, Some(&job), &ChoiceStore::in_memory()).unwrap();
    assert!(other.measured.is_some());
}

#[test]
fn a_probe_still_warming_the_gpu_up_is_settled_before_the_process_exits() {
    let _turn = one_probe_at_a_time();
    let Some(_) = adapter() else {
        return;
    };
    // A GPU slower to warm up than the wait, as lavapipe is on a fresh
    // machine: the probe gives up waiting and the probe's thread goes on.
    let _slow = probe::testing::SlowGpuWarmup::new(GPU_WAIT_MIN + Duration::from_secs(1));
    let mut job = classroom();
    job.n_rows = 40;
    job.spec.hidden = vec![5];
    let chosen = choose(BackendChoice::Auto, Some(&job), &ChoiceStore::in_memory()).unwrap();
    let measured = chosen.measured.expect("timed");
    assert!(
        matches!(measured.gpu, GpuOutcome::NotReady(_)),
        "{:?}",
        measured.gpu
    );
    assert_eq!(threads::named(threads::DEVICE_PROBE), 1, "still warming up");
    // What the command line does before it exits, and the worker and a
    // sweep when they are dropped: no probe is left inside the driver,
    // whose exit handlers would pull its state away.
    probe::settle();
    assert_eq!(threads::named(threads::DEVICE_PROBE), 0);
}
