//! The network knobs on the command line: `train --activations` (one per
//! hidden layer) and `--lr-schedule`, recorded in the model file, with
//! readable refusals.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;

use std::path::Path;

use cli::{Dir, classify, fails, ok, shipped, train_args};
use purchase_lab::model::bundle::Bundle;
use purchase_lab::model::{Activation, LrSchedule, ModelSpec};

fn customers() -> String {
    shipped("customers.csv")
}

#[test]
fn per_layer_activations_and_the_schedule_survive_save_and_open() {
    let dir = Dir::new();
    let model = dir.path("model.plab");
    let data = customers();
    let knobs = [
        "--activations",
        "tanh,Leaky-ReLU",
        "--lr-schedule",
        "cosine:0.1:2",
    ];
    let mut args = classify("train", &data, ["purchased", "yes"], &knobs);
    args.extend_from_slice(&["--hidden", "6,4", "--epochs", "5", "--out", &model]);
    args.extend_from_slice(&["--backend", "cpu"]);
    ok(&args);
    let bundle = Bundle::load(Path::new(&model)).unwrap();
    let ModelSpec::Network { spec, settings } = &bundle.meta.model else {
        panic!("not a network: {:?}", bundle.meta.model);
    };
    assert_eq!(
        spec.activations(),
        [Activation::Tanh, Activation::LeakyRelu]
    );
    assert_eq!(
        settings.schedule,
        LrSchedule::Cosine {
            floor: 0.1,
            warmup: 2
        }
    );
}

#[test]
fn wrong_activation_lists_and_schedules_are_refused_by_name() {
    let data = customers();
    let train = |extra: &[&str]| {
        let mut args = vec!["--target", "purchased", "--positive", "yes"];
        args.extend_from_slice(extra);
        fails(&train_args(&data, &args))
    };
    let err = train(&["--hidden", "6,4", "--activations", "relu"]);
    assert!(
        err.contains(
            "--activations: 1 activations given for 2 hidden layers; give one per layer (--hidden 6,4)"
        ),
        "{err}"
    );
    let err = train(&["--hidden", "6,4", "--activations", "relu,softplus"]);
    assert!(
        err.contains("--activations: `softplus` is not an activation"),
        "{err}"
    );
    let err = train(&["--lr-schedule", "step:0:0.5"]);
    assert!(err.contains("step decay every 0 epochs"), "{err}");
    let err = train(&["--lr-schedule", "linear"]);
    assert!(
        err.contains("learning-rate schedule `linear` not understood"),
        "{err}"
    );
    let err = train(&["--model", "gbm", "--lr-schedule", "cosine"]);
    assert!(
        err.contains("--lr-schedule: boosted trees keep one learning rate"),
        "{err}"
    );
}
