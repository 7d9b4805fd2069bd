//! Shared by the tests of runs, histories, sweeps and sessions (history.rs,
//! sweep.rs, session.rs): small generated data sets, their classification
//! recipe, and training runs on the CPU (the same on every machine).
//!
//! Included with `#[path = "common/runs.rs"] mod runs;`, apart from the
//! window's helpers in `common/mod.rs`.

// Each test crate uses the helpers it needs.
#![allow(dead_code)]

use std::sync::Arc;

use purchase_lab::data::{Prepared, Preset, Problem, Recipe, SynthSettings, Table, prepare};
use purchase_lab::model::run::TrainingRun;
use purchase_lab::model::{BackendChoice, NetworkSpec, TrainSettings, select_device};

/// `rows` rows of `preset` from `seed`, with a little noise (0.1).
pub fn synth(preset: Preset, rows: usize, seed: u64) -> SynthSettings {
    SynthSettings {
        preset,
        rows,
        seed,
        noise: 0.1,
        ..SynthSettings::default()
    }
}

/// The preset's own target and positive class, every other column a feature.
pub fn classification(table: &Table, preset: Preset) -> Recipe {
    let (target, positive) = preset.target();
    Recipe::new(
        table,
        target,
        Problem::Classification {
            positive: positive.to_owned(),
        },
    )
}

/// `table` prepared by `recipe`, shared as the engine takes it.
pub fn prepared(table: &Table, recipe: &Recipe) -> Arc<Prepared> {
    Arc::new(prepare(table, recipe).expect("prepare the test data"))
}

/// Trains on the CPU for `train.epochs` epochs, or until early stopping
/// ends the run.
pub fn train_on_cpu(
    prepared: Arc<Prepared>,
    spec: &NetworkSpec,
    train: &TrainSettings,
) -> TrainingRun {
    let device = select_device(BackendChoice::Cpu).expect("the CPU device");
    let mut run = TrainingRun::new(prepared, spec, train, &device).expect("a training run");
    while !run.stopped_early() && run.epoch() < train.epochs {
        run.run_epoch().expect("an epoch");
    }
    run
}

/// Adam at 0.5 on a tiny noisy set, patience 3: the validation loss soon
/// stops improving, so the run stops early well before its 300 epochs.
pub fn jumpy_settings() -> (NetworkSpec, TrainSettings) {
    let spec = NetworkSpec {
        hidden: vec![16],
        dropout: 0.0,
        ..NetworkSpec::default()
    };
    let train = TrainSettings {
        learning_rate: 0.5,
        epochs: 300,
        early_stopping: Some(3),
        ..TrainSettings::default()
    };
    (spec, train)
}
