//! The host training kernel against Burn's autodiff on the CPU backend.
//!
//! `model::mlp::host_kernel` is a second implementation of the forward pass,
//! backprop and Burn's optimizers; these tests keep it honest. Each case
//! trains the same seeded network twice, once per engine, and requires the
//! same per-epoch losses and final weights, so any slip in a derivative, the
//! optimizer, the batch order or the dropout masks fails here. No timing is
//! asserted.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use burn::tensor::Device;
use purchase_lab::model::{
    Activation, EngineKind, LrSchedule, NetworkSpec, OptimizerKind, Task, TrainError,
    TrainSettings, Trainer, TrainingEngine,
};

/// Largest relative difference allowed between the engines' epoch losses.
/// Measured: at most 2.2e-7 (f32 rounding; many cases agree exactly), so
/// this leaves a margin for other CPUs' SIMD paths in both engines' matrix
/// products while any real slip (epsilon, a slope, a mask) is far above it.
const LOSS_TOLERANCE: f64 = 1e-5;
/// The same for final weights (relative, or absolute below 1). Measured: at
/// most 2.2e-7.
const WEIGHT_TOLERANCE: f32 = 1e-5;

/// Deterministic rows of 3 features in about [-1, 1].
fn features(rows: usize) -> Vec<f32> {
    (0..rows * 3)
        .map(|i| {
            let i = i as f32;
            (i * 0.618_034).fract() * 2.0 - 1.0 + 0.1 * (i * 1.7).sin()
        })
        .collect()
}

/// A curved class boundary, with a few labels flipped so the loss stays
/// informative for many epochs.
fn classes(x: &[f32]) -> Vec<f32> {
    x.chunks(3)
        .enumerate()
        .map(|(row, f)| {
            let positive = f[0] * f[0] + f[1] - 0.5 * f[2] > 0.2;
            f32::from(u8::from(positive != (row % 11 == 0)))
        })
        .collect()
}

/// Three classes by a curved partition of the plane, with a few rows
/// moved to the next class so the loss stays informative.
fn three_classes(x: &[f32]) -> Vec<f32> {
    x.chunks(3)
        .enumerate()
        .map(|(row, f)| {
            let score = f[0] * f[0] + f[1] - 0.5 * f[2];
            let class = if score < -0.2 {
                0
            } else if score < 0.4 {
                1
            } else {
                2
            };
            let class = if row % 13 == 0 {
                (class + 1) % 3
            } else {
                class
            };
            class as f32
        })
        .collect()
}

/// A smooth non-linear target.
fn values(x: &[f32]) -> Vec<f32> {
    x.chunks(3)
        .map(|f| (2.0 * f[0]).sin() + f[1] * f[2] - 0.3)
        .collect()
}

#[derive(Debug, Clone)]
struct Case {
    name: &'static str,
    spec: NetworkSpec,
    settings: TrainSettings,
    task: Task,
    rows: usize,
    epochs: usize,
    /// `(after epoch, new rate)`: the learning rate changes mid-run.
    rate_change: Option<(usize, f64)>,
    /// A multi-class network's loss weight per class (empty: unweighted).
    class_weights: Vec<f32>,
}

fn case(name: &'static str, hidden: Vec<usize>, activation: Activation) -> Case {
    Case {
        name,
        spec: NetworkSpec {
            hidden,
            activation,
            layer_activations: Vec::new(),
            dropout: 0.0,
        },
        settings: TrainSettings {
            optimizer: OptimizerKind::Adam,
            learning_rate: 0.01,
            // 100 rows at batch 16: six full batches and one of 4.
            batch_size: 16,
            l2: 0.0,
            seed: 5,
            ..TrainSettings::default()
        },
        task: Task::Classification,
        rows: 100,
        epochs: 6,
        rate_change: None,
        class_weights: Vec::new(),
    }
}

struct Trajectory {
    engine: EngineKind,
    losses: Vec<f64>,
    /// Every weight and bias after the last epoch, layer by layer.
    weights: Vec<f32>,
}

fn train(case: &Case, engine: TrainingEngine) -> Trajectory {
    let x = features(case.rows);
    let y = match case.task {
        Task::Classification => classes(&x),
        Task::Regression => values(&x),
        Task::Multiclass { .. } => three_classes(&x),
    };
    let mut trainer = Trainer::with_engine(
        &case.spec,
        &case.settings,
        case.task,
        3,
        &Device::flex(),
        engine,
    )
    .unwrap();
    if !case.class_weights.is_empty() {
        trainer.set_multiclass_weights(&case.class_weights).unwrap();
    }
    let mut losses = Vec::new();
    for epoch in 1..=case.epochs {
        losses.push(trainer.run_epoch(&x, &y, case.rows).unwrap());
        if let Some((after, rate)) = case.rate_change
            && after == epoch
        {
            trainer.set_learning_rate(rate).unwrap();
        }
    }
    Trajectory {
        engine: trainer.engine(),
        losses,
        weights: all_weights(&trainer),
    }
}

fn all_weights(trainer: &Trainer) -> Vec<f32> {
    trainer
        .layer_weights()
        .unwrap()
        .into_iter()
        .flat_map(|layer| layer.weights.into_iter().chain(layer.bias))
        .collect()
}

fn assert_same_trajectory(case: &Case) {
    let host = train(case, TrainingEngine::Auto);
    let burn = train(case, TrainingEngine::Burn);
    assert_eq!(host.engine, EngineKind::HostKernel, "{}", case.name);
    assert_eq!(burn.engine, EngineKind::BurnAutodiff, "{}", case.name);
    for (epoch, (h, b)) in host.losses.iter().zip(&burn.losses).enumerate() {
        assert!(
            (h - b).abs() <= LOSS_TOLERANCE * b.abs(),
            "{}: epoch {} loss {h} (host kernel) vs {b} (Burn)\nhost {:?}\nburn {:?}",
            case.name,
            epoch + 1,
            host.losses,
            burn.losses
        );
    }
    assert_eq!(host.weights.len(), burn.weights.len());
    let worst = host
        .weights
        .iter()
        .zip(&burn.weights)
        .map(|(h, b)| (h - b).abs() / b.abs().max(1.0))
        .fold(0.0f32, f32::max);
    assert!(
        worst <= WEIGHT_TOLERANCE,
        "{}: final weights differ by up to {worst}",
        case.name
    );
    // The training really moved: a kernel that did nothing would fail above,
    // but only if Burn's losses change.
    assert_ne!(burn.losses.first(), burn.losses.last(), "{}", case.name);
}

#[test]
fn adam_with_l2_dropout_and_a_learning_rate_change() {
    let mut case = case("adam", vec![8, 4], Activation::Relu);
    case.spec.dropout = 0.3;
    case.settings.l2 = 1e-3;
    case.rate_change = Some((3, 0.003));
    assert_same_trajectory(&case);
}

#[test]
fn sgd_with_momentum_l2_and_dropout() {
    let mut case = case("sgd+momentum", vec![6, 5], Activation::Tanh);
    case.spec.dropout = 0.2;
    case.settings.optimizer = OptimizerKind::Sgd;
    case.settings.learning_rate = 0.05;
    case.settings.momentum = 0.9;
    case.settings.l2 = 0.01;
    case.settings.batch_size = 7;
    case.rate_change = Some((2, 0.02));
    assert_same_trajectory(&case);
}

#[test]
fn plain_sgd_regression() {
    let mut case = case("plain sgd regression", vec![5, 3], Activation::Sigmoid);
    case.settings.optimizer = OptimizerKind::Sgd;
    case.settings.momentum = 0.0;
    case.settings.learning_rate = 0.1;
    case.task = Task::Regression;
    assert_same_trajectory(&case);
}

#[test]
fn every_activation_for_both_tasks() {
    for activation in Activation::ALL {
        for task in [Task::Classification, Task::Regression] {
            let mut case = case("activation", vec![7, 5], activation);
            case.task = task;
            case.spec.dropout = 0.1;
            case.settings.l2 = 1e-4;
            assert_same_trajectory(&Case {
                name: match (activation, task) {
                    (Activation::Relu, Task::Classification) => "relu classification",
                    (Activation::Relu, Task::Regression) => "relu regression",
                    (Activation::Tanh, Task::Classification) => "tanh classification",
                    (Activation::Tanh, Task::Regression) => "tanh regression",
                    (Activation::Sigmoid, Task::Classification) => "sigmoid classification",
                    (Activation::Sigmoid, Task::Regression) => "sigmoid regression",
                    (Activation::LeakyRelu, Task::Classification) => "leaky classification",
                    (Activation::LeakyRelu, Task::Regression) => "leaky regression",
                    (_, Task::Multiclass { .. }) => "multi-class",
                },
                ..case
            });
        }
    }
}

#[test]
fn softmax_cross_entropy_for_three_classes() {
    let three = Task::Multiclass { classes: 3 };
    let mut adam = case("softmax adam", vec![8, 4], Activation::Relu);
    adam.task = three;
    adam.spec.dropout = 0.2;
    adam.settings.l2 = 1e-3;
    adam.rate_change = Some((3, 0.003));
    assert_same_trajectory(&adam);
    // Balanced-style weights, SGD with momentum, a partial last batch.
    let mut weighted = case("softmax weighted sgd", vec![6], Activation::Tanh);
    weighted.task = three;
    weighted.settings.optimizer = OptimizerKind::Sgd;
    weighted.settings.learning_rate = 0.1;
    weighted.settings.momentum = 0.9;
    weighted.settings.batch_size = 7;
    weighted.class_weights = vec![0.6, 1.4, 2.5];
    assert_same_trajectory(&weighted);
    // No hidden layer: multinomial logistic regression, one batch (so
    // each epoch is one full-gradient step of plain SGD).
    let mut multinomial = case("multinomial logistic", vec![], Activation::Relu);
    multinomial.task = three;
    multinomial.settings.optimizer = OptimizerKind::Sgd;
    multinomial.settings.momentum = 0.0;
    multinomial.settings.learning_rate = 0.5;
    multinomial.settings.batch_size = 1000;
    multinomial.epochs = 8;
    assert_same_trajectory(&multinomial);
}

#[test]
fn softmax_probabilities_sum_to_one_and_weights_are_checked() {
    let x = features(50);
    let y = three_classes(&x);
    let spec = NetworkSpec {
        hidden: vec![5],
        activation: Activation::Relu,
        layer_activations: Vec::new(),
        dropout: 0.0,
    };
    let task = Task::Multiclass { classes: 3 };
    let mut trainer =
        Trainer::new(&spec, &TrainSettings::default(), task, 3, &Device::flex()).unwrap();
    trainer.run_epoch(&x, &y, 50).unwrap();
    let p = trainer.predict(&x, 50).unwrap();
    assert_eq!(p.len(), 150);
    for row in p.chunks(3) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
        assert!(row.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }
    // The validation loss is the mean cross-entropy of the true classes.
    let expected: f64 = p
        .chunks(3)
        .zip(&y)
        .map(|(row, &k)| -f64::from(row[k as usize]).ln())
        .sum::<f64>()
        / 50.0;
    let loss = trainer.evaluate_loss(&x, &y, 50).unwrap();
    assert!((loss - expected).abs() < 1e-4, "{loss} vs {expected}");
    assert!(trainer.set_multiclass_weights(&[1.0, 2.0]).is_err());
    assert!(trainer.set_multiclass_weights(&[1.0, 0.0, 2.0]).is_err());
    assert!(trainer.set_class_weights([1.0, 2.0]).is_err());
}

#[test]
fn a_different_activation_per_layer_for_both_tasks() {
    for (name, task) in [
        ("mixed classification", Task::Classification),
        ("mixed regression", Task::Regression),
    ] {
        let mut mixed = case(name, vec![7, 6, 5, 4], Activation::Relu);
        mixed.spec.layer_activations = vec![
            Activation::Sigmoid,
            Activation::LeakyRelu,
            Activation::Tanh,
            Activation::Relu,
        ];
        mixed.spec.dropout = 0.1;
        mixed.task = task;
        assert_same_trajectory(&mixed);
    }
}

/// Both engines step with the schedule's per-batch rates: the warm-up
/// changes the rate on every batch and the live change scales the rest,
/// so an engine that read another rate anywhere would leave the path.
#[test]
fn learning_rate_schedules_step_both_engines_alike() {
    let mut cosine = case("cosine with warm-up", vec![6, 4], Activation::Tanh);
    cosine.settings.schedule = LrSchedule::Cosine {
        floor: 0.05,
        warmup: 2,
    };
    cosine.settings.epochs = 6;
    cosine.rate_change = Some((3, 0.02));
    assert_same_trajectory(&cosine);
    let mut step = case("step decay, sgd", vec![5], Activation::Relu);
    step.settings.optimizer = OptimizerKind::Sgd;
    step.settings.learning_rate = 0.1;
    step.settings.schedule = LrSchedule::Step {
        every: 2,
        factor: 0.5,
    };
    assert_same_trajectory(&step);
    // The schedule is applied at all: a constant rate takes another path.
    let mut constant = cosine.clone();
    constant.settings.schedule = LrSchedule::Constant;
    for engine in [TrainingEngine::Auto, TrainingEngine::Burn] {
        assert_ne!(
            train(&cosine, engine).weights,
            train(&constant, engine).weights
        );
    }
}

/// Step decay by epoch is the same as setting the rate by hand before each
/// epoch, on either engine: the factor `0.5^e` reaches every batch of
/// epoch `e`.
#[test]
fn step_decay_equals_the_rate_set_by_hand_each_epoch() {
    let x = features(100);
    let y = classes(&x);
    let spec = NetworkSpec {
        hidden: vec![5],
        ..NetworkSpec::default()
    };
    let scheduled = TrainSettings {
        learning_rate: 0.02,
        batch_size: 16,
        seed: 3,
        epochs: 4,
        schedule: LrSchedule::Step {
            every: 1,
            factor: 0.5,
        },
        ..TrainSettings::default()
    };
    let by_hand = TrainSettings {
        schedule: LrSchedule::Constant,
        ..scheduled.clone()
    };
    for engine in [TrainingEngine::Auto, TrainingEngine::Burn] {
        let build = |settings: &TrainSettings| {
            Trainer::with_engine(
                &spec,
                settings,
                Task::Classification,
                3,
                &Device::flex(),
                engine,
            )
            .unwrap()
        };
        let (mut a, mut b) = (build(&scheduled), build(&by_hand));
        for epoch in 0..4 {
            let rate = 0.02 * 0.5f64.powi(epoch);
            // 100 rows at batch 16: seven batches, each at this epoch's rate.
            assert_eq!(a.next_epoch_rates(100), vec![rate; 7]);
            b.set_learning_rate(rate).unwrap();
            assert_eq!(
                a.run_epoch(&x, &y, 100).unwrap(),
                b.run_epoch(&x, &y, 100).unwrap()
            );
        }
        assert_eq!(all_weights(&a), all_weights(&b), "{engine}");
    }
}

#[test]
fn no_hidden_layer_logistic_and_linear_regression() {
    let mut logistic = case("logistic regression", vec![], Activation::Relu);
    logistic.settings.l2 = 1e-3;
    assert_same_trajectory(&logistic);
    let mut linear = case("linear regression, sgd", vec![], Activation::Relu);
    linear.task = Task::Regression;
    linear.settings.optimizer = OptimizerKind::Sgd;
    linear.settings.learning_rate = 0.05;
    assert_same_trajectory(&linear);
}

#[test]
fn deeper_network_one_batch_and_batches_of_one() {
    let mut deep = case("deep", vec![9, 7, 5], Activation::LeakyRelu);
    deep.spec.dropout = 0.25;
    deep.epochs = 4;
    assert_same_trajectory(&deep);
    let mut whole = case("one batch", vec![6], Activation::Tanh);
    whole.settings.batch_size = 1000;
    whole.epochs = 10;
    assert_same_trajectory(&whole);
    let mut single = case("batch of one", vec![4], Activation::Relu);
    single.settings.batch_size = 1;
    single.rows = 30;
    single.epochs = 3;
    assert_same_trajectory(&single);
}

#[test]
fn loaded_weights_reset_the_host_state() {
    let x = features(100);
    let y = classes(&x);
    let spec = NetworkSpec {
        hidden: vec![6],
        activation: Activation::Relu,
        layer_activations: Vec::new(),
        dropout: 0.0,
    };
    let settings = TrainSettings {
        learning_rate: 0.02,
        batch_size: 16,
        ..TrainSettings::default()
    };
    let build = |seed: u64, engine: TrainingEngine| {
        let settings = TrainSettings {
            seed,
            ..settings.clone()
        };
        Trainer::with_engine(
            &spec,
            &settings,
            Task::Classification,
            3,
            &Device::flex(),
            engine,
        )
        .unwrap()
    };
    let mut source = build(1, TrainingEngine::Auto);
    for _ in 0..3 {
        source.run_epoch(&x, &y, 100).unwrap();
    }
    let bytes = source.weights_to_bytes().unwrap();
    let mut losses = Vec::new();
    for engine in TrainingEngine::ALL {
        // A half-trained network of another seed, then the loaded weights.
        let mut trainer = build(2, engine);
        trainer.run_epoch(&x, &y, 100).unwrap();
        trainer.load_weights(&bytes).unwrap();
        assert_eq!(
            trainer.predict(&x, 100).unwrap(),
            source.predict(&x, 100).unwrap()
        );
        let run: Vec<f64> = (0..3)
            .map(|_| trainer.run_epoch(&x, &y, 100).unwrap())
            .collect();
        losses.push(run);
    }
    for (h, b) in losses[0].iter().zip(&losses[1]) {
        assert!((h - b).abs() <= LOSS_TOLERANCE * b.abs(), "{losses:?}");
    }
}

/// Unscaled inputs and SGD with momentum: a small rate trains, the largest
/// allowed rate overflows within an epoch.
fn divergence_run(engine: TrainingEngine) -> (Vec<f64>, TrainError, bool) {
    let x: Vec<f32> = (0..64).map(|i| 1.0 + 0.05 * i as f32).collect();
    let y: Vec<f32> = x.iter().map(|v| 3.0 * v - 1.0).collect();
    let mut trainer = Trainer::with_engine(
        &NetworkSpec {
            hidden: vec![3],
            activation: Activation::Tanh,
            layer_activations: Vec::new(),
            dropout: 0.0,
        },
        &TrainSettings {
            optimizer: OptimizerKind::Sgd,
            learning_rate: 0.01,
            momentum: 0.9,
            batch_size: 4,
            l2: 0.0,
            ..TrainSettings::default()
        },
        Task::Regression,
        1,
        &Device::flex(),
        engine,
    )
    .unwrap();
    let mut losses = Vec::new();
    for _ in 0..2 {
        losses.push(trainer.run_epoch(&x, &y, 64).unwrap());
    }
    let before = trainer.predict(&x, 64).unwrap();
    trainer.set_learning_rate(10.0).unwrap();
    let error = trainer.run_epoch(&x, &y, 64).unwrap_err();
    assert_eq!(trainer.epoch(), 2);
    let restored = trainer.predict(&x, 64).unwrap() == before;
    // The same epoch again, at a sane rate: it continues from the restored
    // weights and optimizer state (momentum included).
    trainer.set_learning_rate(0.01).unwrap();
    for _ in 0..2 {
        losses.push(trainer.run_epoch(&x, &y, 64).unwrap());
    }
    (losses, error, restored)
}

#[test]
fn divergence_restores_the_same_state_on_both_engines() {
    let (host_losses, host_error, host_restored) = divergence_run(TrainingEngine::Auto);
    let (burn_losses, burn_error, burn_restored) = divergence_run(TrainingEngine::Burn);
    for error in [&host_error, &burn_error] {
        match error {
            TrainError::Diverged { epoch, loss } => {
                assert_eq!(*epoch, 3);
                assert!(!loss.is_finite());
            }
            other => panic!("expected divergence, got {other:?}"),
        }
    }
    assert!(host_restored && burn_restored);
    for (h, b) in host_losses.iter().zip(&burn_losses) {
        assert!(
            (h - b).abs() <= LOSS_TOLERANCE * b.abs(),
            "{host_losses:?} vs {burn_losses:?}"
        );
    }
}

#[test]
fn wgpu_never_uses_the_host_kernel() {
    // The choice is by device; without an adapter there is nothing to check.
    use purchase_lab::model::{BackendChoice, select_device};
    let Ok(gpu) = select_device(BackendChoice::Gpu) else {
        return;
    };
    let trainer = Trainer::new(
        &NetworkSpec::default(),
        &TrainSettings::default(),
        Task::Classification,
        3,
        &gpu.device,
    )
    .unwrap();
    assert_eq!(trainer.engine(), EngineKind::BurnAutodiff);
}
