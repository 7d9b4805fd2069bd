//! Training on the CPU backend (flex): small, seeded problems with known answers.

use super::*;
use crate::model::metrics::{ClassificationMetrics, RegressionMetrics};
use crate::model::mlp::engine::{EngineKind, TrainingEngine};
use crate::model::spec::Activation;
use crate::model::spec::{OptimizerKind, SpecError};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn settings(optimizer: OptimizerKind, learning_rate: f64, batch_size: usize) -> TrainSettings {
    TrainSettings {
        optimizer,
        learning_rate,
        batch_size,
        seed: 7,
        ..TrainSettings::default()
    }
}

fn net(hidden: Vec<usize>, activation: Activation) -> NetworkSpec {
    NetworkSpec {
        hidden,
        activation,
        layer_activations: Vec::new(),
        dropout: 0.0,
    }
}

/// Deterministic uniform points in [-1, 1]².
fn points(n: usize) -> Vec<(f32, f32)> {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    (0..n)
        .map(|_| {
            (
                rng.random_range(-1.0f32..1.0),
                rng.random_range(-1.0f32..1.0),
            )
        })
        .collect()
}

/// Label 1 above the line x + y = 0.1.
fn separable(n: usize) -> (Vec<f32>, Vec<f32>) {
    let pts = points(n);
    let x = pts.iter().flat_map(|&(a, b)| [a, b]).collect();
    let y = pts
        .iter()
        .map(|&(a, b)| f32::from(u8::from(a + b > 0.1)))
        .collect();
    (x, y)
}

/// XOR of the signs, with points too close to an axis left out so the
/// classes have a margin.
fn xor(n: usize) -> (Vec<f32>, Vec<f32>) {
    let pts: Vec<_> = points(n * 2)
        .into_iter()
        .filter(|&(a, b)| a.abs() > 0.1 && b.abs() > 0.1)
        .take(n)
        .collect();
    let x = pts.iter().flat_map(|&(a, b)| [a, b]).collect();
    let y = pts
        .iter()
        .map(|&(a, b)| f32::from(u8::from((a > 0.0) != (b > 0.0))))
        .collect();
    (x, y)
}

fn accuracy(trainer: &Trainer, x: &[f32], y: &[f32]) -> f64 {
    let p = trainer.predict(x, y.len()).unwrap();
    ClassificationMetrics::compute(&p, y, 0.5).unwrap().accuracy
}

#[test]
fn logistic_regression_without_hidden_layers() {
    let (x, y) = separable(300);
    let spec = net(vec![], Activation::Relu);
    let mut trainer = Trainer::new(
        &spec,
        &settings(OptimizerKind::Adam, 0.05, 32),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    let first = trainer.run_epoch(&x, &y, 300).unwrap();
    let mut last = first;
    for _ in 0..40 {
        last = trainer.run_epoch(&x, &y, 300).unwrap();
    }
    assert_eq!(trainer.epoch(), 41);
    assert!(last < first, "loss {first} -> {last}");
    assert!(accuracy(&trainer, &x, &y) > 0.95);

    // One layer, 2 inputs -> 1 output: a logistic regression whose weights
    // both point along the true normal (1, 1).
    let layers = trainer.layer_weights().unwrap();
    assert_eq!(layers.len(), 1);
    let layer = &layers[0];
    assert_eq!((layer.n_in, layer.n_out), (2, 1));
    let (w0, w1) = (layer.weights[0], layer.weights[1]);
    assert!(w0 > 1.0 && w1 > 1.0, "weights {w0} {w1}");
    assert!((w0 / w1 - 1.0).abs() < 0.3, "weights {w0} {w1}");
    assert!(trainer.hidden_activations(&x, 300).unwrap().is_empty());

    // Probabilities are the sigmoid of the linear score.
    let p = trainer.predict(&x[..2], 1).unwrap()[0];
    let z = w0 * x[0] + w1 * x[1] + layer.bias[0];
    assert!((p - 1.0 / (1.0 + (-z).exp())).abs() < 1e-5);
}

#[test]
fn mlp_learns_xor() {
    let (x, y) = xor(400);
    let n = y.len();
    let mut trainer = Trainer::new(
        &net(vec![16, 8], Activation::Tanh),
        &settings(OptimizerKind::Adam, 0.02, 32),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    for _ in 0..60 {
        trainer.run_epoch(&x, &y, n).unwrap();
    }
    let acc = accuracy(&trainer, &x, &y);
    assert!(acc > 0.95, "XOR accuracy {acc}");
    let loss = trainer.evaluate_loss(&x, &y, n).unwrap();
    assert!(loss < 0.2, "XOR loss {loss}");
}

#[test]
fn sgd_with_momentum_and_l2_learns_too() {
    let (x, y) = separable(300);
    let mut train = settings(OptimizerKind::Sgd, 0.1, 16);
    train.l2 = 1e-4;
    let mut trainer = Trainer::new(
        &net(vec![8], Activation::LeakyRelu),
        &train,
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    for _ in 0..30 {
        trainer.run_epoch(&x, &y, 300).unwrap();
    }
    assert!(accuracy(&trainer, &x, &y) > 0.95);
}

#[test]
fn regression_fits_a_line() {
    let pts = points(200);
    let x: Vec<f32> = pts.iter().map(|p| p.0).collect();
    let y: Vec<f32> = x.iter().map(|v| 2.0 * v + 1.0).collect();
    let mut trainer = Trainer::new(
        &net(vec![], Activation::Relu),
        &settings(OptimizerKind::Adam, 0.05, 16),
        Task::Regression,
        1,
        &Device::flex(),
    )
    .unwrap();
    for _ in 0..40 {
        trainer.run_epoch(&x, &y, 200).unwrap();
    }
    // Adam hovers about lr around the optimum; a smaller rate settles it.
    trainer.set_learning_rate(0.002).unwrap();
    for _ in 0..20 {
        trainer.run_epoch(&x, &y, 200).unwrap();
    }
    let predictions = trainer.predict(&x, 200).unwrap();
    let metrics = RegressionMetrics::compute(&predictions, &y).unwrap();
    assert!(metrics.rmse < 0.05, "{metrics:?}");
    let weights = &trainer.layer_weights().unwrap()[0];
    assert!((weights.weights[0] - 2.0).abs() < 0.1);
    assert!((weights.bias[0] - 1.0).abs() < 0.1);
}

fn history(seed: u64, dropout: f64) -> Vec<f64> {
    let (x, y) = separable(100);
    let spec = NetworkSpec {
        dropout,
        ..net(vec![8, 4], Activation::Relu)
    };
    let train = TrainSettings {
        seed,
        ..settings(OptimizerKind::Adam, 0.01, 16)
    };
    let mut trainer =
        Trainer::new(&spec, &train, Task::Classification, 2, &Device::flex()).unwrap();
    (0..5)
        .map(|_| trainer.run_epoch(&x, &y, 100).unwrap())
        .collect()
}

#[test]
fn same_seed_same_history() {
    assert_eq!(history(3, 0.0), history(3, 0.0));
    assert_eq!(history(3, 0.3), history(3, 0.3));
    assert_ne!(history(3, 0.0), history(4, 0.0));
    assert_ne!(history(3, 0.0), history(3, 0.3));
}

#[test]
fn dropout_network_still_learns() {
    let (x, y) = separable(300);
    let spec = NetworkSpec {
        dropout: 0.2,
        ..net(vec![16], Activation::Relu)
    };
    let mut trainer = Trainer::new(
        &spec,
        &settings(OptimizerKind::Adam, 0.02, 32),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    for _ in 0..30 {
        trainer.run_epoch(&x, &y, 300).unwrap();
    }
    assert!(accuracy(&trainer, &x, &y) > 0.93);
}

#[test]
fn absurd_learning_rate_diverges_and_keeps_the_last_good_state() {
    // Unscaled inputs in the thousands with SGD at the largest allowed rate:
    // each step multiplies the error by about lr * 2x² ≈ 10⁸, so a linear
    // model overflows f32 within the first epoch's eight steps.
    let x: Vec<f32> = (0..64).map(|i| 1000.0 + 50.0 * i as f32).collect();
    let y: Vec<f32> = x.iter().map(|v| 3.0 * v).collect();
    let mut trainer = Trainer::new(
        &net(vec![], Activation::Relu),
        &TrainSettings {
            optimizer: OptimizerKind::Sgd,
            learning_rate: 10.0,
            batch_size: 8,
            ..TrainSettings::default()
        },
        Task::Regression,
        1,
        &Device::flex(),
    )
    .unwrap();
    let before = trainer.predict(&x, 64).unwrap();
    let err = trainer.run_epoch(&x, &y, 64).unwrap_err();
    match &err {
        TrainError::Diverged { epoch, loss } => {
            assert_eq!(*epoch, 1);
            assert!(!loss.is_finite());
        }
        other => panic!("expected divergence, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("diverged"), "{message}");
    assert!(message.contains("smaller learning rate"), "{message}");
    assert_eq!(trainer.epoch(), 0);
    // The network is back to its state before the failed epoch, so the same
    // epoch fails the same way again.
    assert_eq!(trainer.predict(&x, 64).unwrap(), before);
    assert!(matches!(
        trainer.run_epoch(&x, &y, 64),
        Err(TrainError::Diverged { epoch: 1, .. })
    ));
}

#[test]
fn the_cpu_backend_trains_on_the_host_kernel_unless_burn_is_asked_for() {
    let build = |engine| {
        Trainer::with_engine(
            &net(vec![3], Activation::Relu),
            &TrainSettings::default(),
            Task::Classification,
            2,
            &Device::flex(),
            engine,
        )
        .unwrap()
    };
    assert_eq!(build(TrainingEngine::Auto).engine(), EngineKind::HostKernel);
    assert_eq!(
        build(TrainingEngine::Burn).engine(),
        EngineKind::BurnAutodiff
    );
    for engine in TrainingEngine::ALL {
        assert_eq!(engine.to_string().parse::<TrainingEngine>(), Ok(engine));
    }
    assert_eq!(" BURN ".parse::<TrainingEngine>(), Ok(TrainingEngine::Burn));
    assert!("fast".parse::<TrainingEngine>().is_err());
    assert_eq!(
        serde_json::to_string(&EngineKind::HostKernel).unwrap(),
        "\"host-kernel\""
    );
}

#[test]
fn learning_rate_changes_are_validated() {
    let mut trainer = Trainer::new(
        &net(vec![2], Activation::Sigmoid),
        &TrainSettings::default(),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    assert_eq!(
        trainer.learning_rate(),
        TrainSettings::default().learning_rate
    );
    trainer.set_learning_rate(0.1).unwrap();
    assert_eq!(trainer.learning_rate(), 0.1);
    assert!(matches!(
        trainer.set_learning_rate(f64::NAN),
        Err(TrainError::Spec(SpecError::LearningRateNan))
    ));
    assert_eq!(trainer.learning_rate(), 0.1);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let device = Device::flex();
    let spec = net(vec![3], Activation::Relu);
    let train = TrainSettings::default();
    assert_eq!(
        Trainer::new(&spec, &train, Task::Classification, 0, &device).unwrap_err(),
        TrainError::NoFeatures
    );
    let bad_spec = net(vec![0], Activation::Relu);
    assert!(matches!(
        Trainer::new(&bad_spec, &train, Task::Classification, 2, &device),
        Err(TrainError::Spec(SpecError::LayerWidth { .. }))
    ));

    let mut trainer = Trainer::new(&spec, &train, Task::Classification, 2, &device).unwrap();
    assert_eq!(
        trainer.run_epoch(&[], &[], 0).unwrap_err(),
        TrainError::NoRows
    );
    assert_eq!(
        trainer
            .run_epoch(&[1.0, 2.0, 3.0], &[1.0, 0.0], 2)
            .unwrap_err()
            .to_string(),
        "expected 4 feature values for 2 rows × 2 features, got 3"
    );
    assert!(matches!(
        trainer.run_epoch(&[1.0, 2.0, 3.0, 4.0], &[1.0], 2),
        Err(TrainError::TargetCount {
            expected: 2,
            actual: 1
        })
    ));
    assert_eq!(
        trainer
            .run_epoch(&[1.0, 2.0, f32::NAN, 4.0], &[1.0, 0.0], 2)
            .unwrap_err(),
        TrainError::NonFiniteInput { row: 1 }
    );
    assert!(trainer.predict(&[1.0], 1).is_err());
    assert_eq!(trainer.epoch(), 0);
}

#[test]
fn batch_larger_than_data_is_one_batch() {
    let (x, y) = separable(10);
    let mut trainer = Trainer::new(
        &net(vec![4], Activation::Relu),
        &settings(OptimizerKind::Adam, 0.01, 1000),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    assert!(trainer.run_epoch(&x, &y, 10).unwrap().is_finite());
}

#[test]
fn evaluate_loss_matches_the_predictions() {
    let (x, y) = separable(50);
    let trainer = Trainer::new(
        &net(vec![5], Activation::Tanh),
        &TrainSettings::default(),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    let p = trainer.predict(&x, 50).unwrap();
    let expected: f64 = p
        .iter()
        .zip(&y)
        .map(|(&p, &t)| {
            let (p, t) = (f64::from(p), f64::from(t));
            -(t * p.ln() + (1.0 - t) * (1.0 - p).ln())
        })
        .sum::<f64>()
        / 50.0;
    let loss = trainer.evaluate_loss(&x, &y, 50).unwrap();
    assert!((loss - expected).abs() < 1e-5, "{loss} vs {expected}");
    // Stable even for huge logits, where the naive formula gives ln(0).
    assert!(loss::row(Task::Classification, loss::UNWEIGHTED, 1e4, 0.0).is_finite());
    assert!((loss::row(Task::Classification, loss::UNWEIGHTED, -1e4, 0.0)).abs() < 1e-12);
}

#[test]
fn diagram_data_has_the_right_shapes() {
    let (x, _) = separable(6);
    let trainer = Trainer::new(
        &net(vec![5, 3], Activation::Relu),
        &TrainSettings::default(),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    let layers = trainer.layer_weights().unwrap();
    let shapes: Vec<_> = layers.iter().map(|l| (l.n_in, l.n_out)).collect();
    assert_eq!(shapes, vec![(2, 5), (5, 3), (3, 1)]);
    assert!(layers.iter().all(|l| l.weights.len() == l.n_in * l.n_out));
    assert!(layers.iter().all(|l| l.bias.len() == l.n_out));

    let activations = trainer.hidden_activations(&x, 6).unwrap();
    assert_eq!(activations.len(), 2);
    assert_eq!(activations[0].len(), 6 * 5);
    assert_eq!(activations[1].len(), 6 * 3);
    // ReLU outputs are never negative.
    assert!(activations.iter().flatten().all(|&a| a >= 0.0));

    // Transposition: unit o of layer 1 sees input i through weights[o * 2 + i].
    let first = &layers[0];
    let (a, b) = (x[0], x[1]);
    for (o, &activation) in activations[0][..5].iter().enumerate() {
        let pre = first.weights[o * 2] * a + first.weights[o * 2 + 1] * b + first.bias[o];
        assert!((pre.max(0.0) - activation).abs() < 1e-5);
    }
}

#[test]
fn weights_round_trip_through_bytes() {
    let (x, y) = separable(100);
    let spec = net(vec![6], Activation::Relu);
    let mut trained = Trainer::new(
        &spec,
        &settings(OptimizerKind::Adam, 0.02, 16),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    for _ in 0..3 {
        trained.run_epoch(&x, &y, 100).unwrap();
    }
    let bytes = trained.weights_to_bytes().unwrap();

    let other_seed = TrainSettings {
        seed: 1234,
        ..TrainSettings::default()
    };
    let mut loaded =
        Trainer::new(&spec, &other_seed, Task::Classification, 2, &Device::flex()).unwrap();
    assert_ne!(
        loaded.predict(&x, 100).unwrap(),
        trained.predict(&x, 100).unwrap()
    );
    loaded.load_weights(&bytes).unwrap();
    assert_eq!(
        loaded.predict(&x, 100).unwrap(),
        trained.predict(&x, 100).unwrap()
    );
    // Still trainable after loading.
    assert!(loaded.run_epoch(&x, &y, 100).unwrap().is_finite());

    let mut wrong_shape = Trainer::new(
        &net(vec![7], Activation::Relu),
        &TrainSettings::default(),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    assert!(matches!(
        wrong_shape.load_weights(&bytes),
        Err(TrainError::Weights(_))
    ));
    assert!(matches!(
        wrong_shape.load_weights(b"not a burnpack file"),
        Err(TrainError::Weights(_))
    ));
}

/// The wgpu path end to end. Host-side init and shuffling make a run on wgpu
/// follow the same trajectory as on flex, up to float rounding. Without an
/// adapter it says so on stderr, and fails where CI requires wgpu.
#[test]
fn wgpu_follows_the_flex_trajectory() {
    use crate::model::device::{BackendChoice, ComputeKind, REQUIRE_WGPU_ENV, select_device};
    let gpu = match select_device(BackendChoice::Gpu) {
        Ok(gpu) => gpu,
        Err(e) => {
            let required = std::env::var(REQUIRE_WGPU_ENV).is_ok_and(|v| v == "1");
            assert!(!required, "wgpu is required but unavailable: {e}");
            eprintln!("NOTE: wgpu trajectory not checked on this machine: {e}");
            return;
        }
    };
    assert_eq!(gpu.kind, ComputeKind::Gpu);
    let (x, y) = separable(200);
    let run = |device: &Device| {
        let mut trainer = Trainer::new(
            &net(vec![16, 8], Activation::Relu),
            &settings(OptimizerKind::Adam, 0.01, 32),
            Task::Classification,
            2,
            device,
        )
        .unwrap();
        let losses: Vec<f64> = (0..4)
            .map(|_| trainer.run_epoch(&x, &y, 200).unwrap())
            .collect();
        (losses, trainer.weights_to_bytes().unwrap())
    };
    let (on_gpu, gpu_weights) = run(&gpu.device);
    let (on_cpu, _) = run(&Device::flex());
    for (g, c) in on_gpu.iter().zip(&on_cpu) {
        assert!(
            (g - c).abs() < 1e-3 * c.abs().max(1.0),
            "{on_gpu:?} vs {on_cpu:?}"
        );
    }
    // Weights trained on the GPU load into a CPU network.
    let mut cpu = Trainer::new(
        &net(vec![16, 8], Activation::Relu),
        &TrainSettings::default(),
        Task::Classification,
        2,
        &Device::flex(),
    )
    .unwrap();
    cpu.load_weights(&gpu_weights).unwrap();
    assert!(accuracy(&cpu, &x, &y) > 0.9);
}

/// Weights of an input that is always 0 get no gradient: Adam's step for
/// them is exactly 0, so `w - 0` keeps a subnormal weight subnormal in
/// IEEE arithmetic. Training flushes subnormals (`float_env`), so after
/// one epoch on either engine that weight is exactly 0; a regression to
/// unflushed training leaves it at 1e-40.
#[test]
fn both_engines_train_with_subnormals_flushed_to_zero() {
    use crate::model::float_env::FlushSubnormals;
    if !FlushSubnormals::is_supported() {
        return;
    }
    let subnormal = 1e-40f32;
    assert!(subnormal.is_subnormal());
    let pts = points(64);
    let x: Vec<f32> = pts.iter().flat_map(|&(a, _)| [a, 0.0]).collect();
    let y: Vec<f32> = pts
        .iter()
        .map(|&(a, _)| f32::from(u8::from(a > 0.0)))
        .collect();
    for engine in [TrainingEngine::Auto, TrainingEngine::Burn] {
        let train = TrainSettings {
            l2: 0.0,
            ..settings(OptimizerKind::Adam, 0.01, 8)
        };
        let spec = net(vec![], Activation::Relu);
        let mut trainer = Trainer::with_engine(
            &spec,
            &train,
            Task::Classification,
            2,
            &Device::flex(),
            engine,
        )
        .unwrap();
        // The output layer's weights are `[n_in = 2, n_out = 1]`: the
        // second input's weight becomes subnormal.
        for layer in trainer.model.layers_mut() {
            let mut w = crate::model::mlp::network::read(layer.weight.val()).unwrap();
            w[1] = subnormal;
            let device = layer.weight.val().device();
            let tensor: burn::tensor::Tensor<2> =
                burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(w, [2, 1]), &device);
            layer.weight = layer.weight.clone().map(|_| tensor.require_grad());
        }
        let bytes = trainer.weights_to_bytes().unwrap();
        trainer.load_weights(&bytes).unwrap();
        assert_eq!(trainer.layer_weights().unwrap()[0].weights[1], subnormal);
        trainer.run_epoch(&x, &y, 64).unwrap();
        let after = trainer.layer_weights().unwrap()[0].weights[1];
        assert_eq!(after, 0.0, "{engine}: the weight stayed {after:e}");
        // The first input's weight learned as usual.
        assert!(trainer.layer_weights().unwrap()[0].weights[0].abs() > 1e-3);
    }
}
