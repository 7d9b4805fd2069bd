use super::*;
use crate::model::family::{Learner, Scorer};

/// `rows` rows of two features; the class is 1 when the first feature is
/// above 0.5 (the second is noise), so one split separates it.
fn step_data(rows: usize) -> (Matrix, Vec<f32>) {
    let mut data = Vec::with_capacity(rows * 2);
    let mut y = Vec::with_capacity(rows);
    for i in 0..rows {
        let a = i as f32 / rows as f32;
        let b = ((i * 7919) % rows) as f32 / rows as f32;
        data.extend([a, b]);
        y.push(if a > 0.5 { 1.0 } else { 0.0 });
    }
    (
        Matrix {
            data,
            rows,
            cols: 2,
        },
        y,
    )
}

/// A noisier two-feature problem where depth and rounds matter: the class
/// is 1 inside a ring, with every 5th label flipped.
fn ring_data(rows: usize) -> (Matrix, Vec<f32>) {
    let mut data = Vec::with_capacity(rows * 2);
    let mut y = Vec::with_capacity(rows);
    for i in 0..rows {
        let a = (i * 37 % 101) as f32 / 100.0;
        let b = (i * 61 % 103) as f32 / 102.0;
        let r = (a - 0.5).powi(2) + (b - 0.5).powi(2);
        let inside = r < 0.09;
        data.extend([a, b]);
        y.push(if inside != (i % 5 == 0) { 1.0 } else { 0.0 });
    }
    (
        Matrix {
            data,
            rows,
            cols: 2,
        },
        y,
    )
}

fn learner(settings: &TreeSettings) -> TreeLearner {
    TreeLearner::new(settings, Task::Classification, 2).unwrap()
}

fn train(settings: &TreeSettings, x: &Matrix, y: &[f32], rounds: usize) -> TreeLearner {
    let mut model = learner(settings);
    for _ in 0..rounds {
        model.train_unit(x, y).unwrap();
    }
    model
}

#[test]
fn defaults_are_valid_and_bad_values_are_named() {
    assert_eq!(TreeSettings::default().validate(), Ok(()));
    let bad = |f: fn(&mut TreeSettings)| {
        let mut s = TreeSettings::default();
        f(&mut s);
        s.validate().unwrap_err()
    };
    assert_eq!(bad(|s| s.trees = 0), TreeSettingsError::Trees(0));
    assert_eq!(bad(|s| s.max_depth = 0), TreeSettingsError::Depth(0));
    assert!(matches!(
        bad(|s| s.learning_rate = f64::NAN),
        TreeSettingsError::LearningRate(_)
    ));
    assert_eq!(
        bad(|s| s.subsample = 0.0),
        TreeSettingsError::Subsample(0.0)
    );
    assert_eq!(bad(|s| s.l2 = -1.0), TreeSettingsError::L2(-1.0));
    assert_eq!(
        bad(|s| s.min_child_weight = -1.0),
        TreeSettingsError::MinChildWeight(-1.0)
    );
    assert_eq!(
        bad(|s| s.early_stopping = Some(0)),
        TreeSettingsError::Patience
    );
    assert!(TreeLearner::new(&TreeSettings::default(), Task::Classification, 0).is_err());
}

#[test]
fn settings_read_back_and_fill_missing_fields_with_defaults() {
    let settings = TreeSettings {
        max_depth: 3,
        learning_rate: 0.05,
        early_stopping: Some(5),
        ..TreeSettings::default()
    };
    let json = serde_json::to_string(&settings).unwrap();
    assert_eq!(
        serde_json::from_str::<TreeSettings>(&json).unwrap(),
        settings
    );
    let partial: TreeSettings = serde_json::from_str(r#"{"max_depth": 2}"#).unwrap();
    assert_eq!(
        partial,
        TreeSettings {
            max_depth: 2,
            ..TreeSettings::default()
        }
    );
}

#[test]
fn rounds_lower_the_loss_and_learn_the_step() {
    let (x, y) = step_data(200);
    let mut model = learner(&TreeSettings::default());
    let first = model.train_unit(&x, &y).unwrap();
    let mut last = first;
    for _ in 0..29 {
        last = model.train_unit(&x, &y).unwrap();
    }
    assert_eq!(model.completed(), 30);
    assert_eq!(model.unit(), TrainingUnit::Round);
    assert!(last < first / 2.0, "loss {first} -> {last}");
    assert_eq!(model.evaluate_loss(&x, &y).unwrap(), last);
    let p = model.predict(&x).unwrap();
    for (p, t) in p.iter().zip(&y) {
        assert!((p - t).abs() < 0.5, "p {p} for class {t}");
    }
}

#[test]
fn a_subsampled_round_depends_only_on_its_seed_and_number() {
    let (x, y) = ring_data(300);
    let settings = TreeSettings {
        subsample: 0.7,
        ..TreeSettings::default()
    };
    let a = train(&settings, &x, &y, 15);
    let b = train(&settings, &x, &y, 15);
    assert_eq!(a.save().unwrap(), b.save().unwrap());
    let other_seed = train(
        &TreeSettings {
            seed: 7,
            ..settings.clone()
        },
        &x,
        &y,
        15,
    );
    assert_ne!(a.predict(&x).unwrap(), other_seed.predict(&x).unwrap());
    let full = train(&TreeSettings::default(), &x, &y, 15);
    assert_ne!(a.predict(&x).unwrap(), full.predict(&x).unwrap());
}

#[test]
fn a_new_learning_rate_applies_to_later_rounds() {
    let (x, y) = ring_data(200);
    let mut model = train(&TreeSettings::default(), &x, &y, 3);
    let before = model.save().unwrap();
    model.set_learning_rate(0.3).unwrap();
    assert!(model.set_learning_rate(2.0).is_err());
    assert_eq!(
        model.save().unwrap(),
        before,
        "grown trees stay as they were"
    );
    let total = |m: &TreeLearner| {
        let p = m.predict(&x).unwrap();
        p.iter().map(|v| f64::from(*v)).sum::<f64>()
    };
    let at_three = total(&model);
    let mut slow = train(&TreeSettings::default(), &x, &y, 3);
    model.train_unit(&x, &y).unwrap();
    slow.train_unit(&x, &y).unwrap();
    // The fourth tree moves the scores about three times as far.
    let fast_move = (total(&model) - at_three).abs();
    let slow_move = (total(&slow) - at_three).abs();
    assert!(fast_move > 2.0 * slow_move, "{fast_move} vs {slow_move}");
    let ModelSpec::Trees { settings } = model.model_spec() else {
        panic!("a tree model's spec")
    };
    assert_eq!(settings.learning_rate, 0.3);
}

#[test]
fn other_training_rows_rebuild_the_bins() {
    let (x, y) = step_data(100);
    let (x2, y2) = ring_data(150);
    let mut model = learner(&TreeSettings::default());
    model.train_unit(&x, &y).unwrap();
    let loss = model.train_unit(&x2, &y2).unwrap();
    assert_eq!(loss, model.evaluate_loss(&x2, &y2).unwrap());
}

#[test]
fn predictions_survive_save_and_open_exactly() {
    let (x, y) = ring_data(300);
    let settings = TreeSettings::default();
    let model = train(&settings, &x, &y, 25);
    let bytes = model.save().unwrap();
    let opened = TreeScorer::open(&settings, Task::Classification, 2, &bytes).unwrap();
    assert_eq!(opened.predict(&x).unwrap(), model.predict(&x).unwrap());
    assert_eq!(opened.feature_importance(), model.feature_importance());
    assert_eq!(opened.family(), Family::Trees);
    // Bytes of another kind, or trees splitting on a feature the model
    // does not have, are refused with a message.
    assert!(TreeScorer::open(&settings, Task::Classification, 2, b"\x00\x01").is_err());
    let err = TreeScorer::open(&settings, Task::Classification, 1, &bytes).unwrap_err();
    assert!(err.to_string().contains("1 features"), "{err}");
}

#[test]
fn gain_importance_sums_to_one_and_names_the_informative_feature() {
    let (x, y) = step_data(300);
    let untrained = learner(&TreeSettings::default());
    assert_eq!(untrained.feature_importance(), Some(vec![0.0, 0.0]));
    let model = train(&TreeSettings::default(), &x, &y, 10);
    let importance = model.feature_importance().unwrap();
    assert_eq!(importance.len(), 2);
    let sum: f64 = importance.iter().sum();
    assert!((sum - 1.0).abs() < 1e-9, "sum {sum}");
    assert!(importance[0] > 0.9, "{importance:?}");
}

#[test]
fn a_stump_is_a_single_step_along_its_feature() {
    let (x, y) = step_data(200);
    let stump = TreeSettings {
        trees: 1,
        max_depth: 1,
        learning_rate: 1.0,
        ..TreeSettings::default()
    };
    let model = train(&stump, &x, &y, 1);
    // Sweep the first feature with the second held still: the scores take
    // exactly two values, changing once, near 0.5.
    let rows = 101;
    let grid = Matrix {
        data: (0..rows).flat_map(|i| [i as f32 / 100.0, 0.3]).collect(),
        rows,
        cols: 2,
    };
    let p = model.predict(&grid).unwrap();
    let changes: Vec<usize> = (1..rows).filter(|&i| p[i] != p[i - 1]).collect();
    assert_eq!(changes.len(), 1, "{p:?}");
    let at = changes[0] as f32 / 100.0;
    assert!((at - 0.5).abs() <= 0.02, "step at {at}");
    assert!(p[0] < 0.5 && p[rows - 1] > 0.5);
}

#[test]
fn regression_loss_is_the_squared_error_of_the_standardized_target() {
    let (x, _) = step_data(200);
    let y: Vec<f32> = (0..200).map(|i| x.row(i)[0] * 2.0 - 1.0).collect();
    let mut model = TreeLearner::new(&TreeSettings::default(), Task::Regression, 2).unwrap();
    let mut loss = 0.0;
    for _ in 0..50 {
        loss = model.train_unit(&x, &y).unwrap();
    }
    let p = model.predict(&x).unwrap();
    let mse: f64 = p
        .iter()
        .zip(&y)
        .map(|(p, t)| f64::from(p - t).powi(2))
        .sum::<f64>()
        / 200.0;
    assert!((mse - loss).abs() < 1e-5, "{mse} vs {loss}");
    assert!(loss < 0.01, "loss {loss}");
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let (x, y) = step_data(20);
    let mut model = learner(&TreeSettings::default());
    assert!(model.train_unit(&x, &y[..5]).is_err());
    let mut bad_y = y.clone();
    bad_y[3] = f32::NAN;
    assert_eq!(
        model.train_unit(&x, &bad_y),
        Err(TrainError::NonFiniteInput { row: 3 })
    );
    let wrong = Matrix {
        data: vec![0.0; 6],
        rows: 2,
        cols: 3,
    };
    assert!(model.predict(&wrong).is_err());
}

#[test]
fn restore_puts_back_an_earlier_round_and_training_goes_on_from_it() {
    let (x, y) = ring_data(200);
    let settings = TreeSettings::default();
    let mut model = train(&settings, &x, &y, 5);
    let at_five = model.save().unwrap();
    let p_five = model.predict(&x).unwrap();
    for _ in 0..5 {
        model.train_unit(&x, &y).unwrap();
    }
    model.restore(&at_five).unwrap();
    // The rounds trained are counted on (Learner::restore keeps the count).
    assert_eq!(model.completed(), 10);
    assert_eq!(model.predict(&x).unwrap(), p_five);
    model.train_unit(&x, &y).unwrap();
    assert_eq!(model.completed(), 11);
    let straight = train(&settings, &x, &y, 6);
    assert_eq!(model.save().unwrap(), straight.save().unwrap());
    assert!(model.restore(b"not trees").is_err());
}
