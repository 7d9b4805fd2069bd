//! Softmax boosting: the formulas against hand computations, and a
//! multi-class tree model trained, saved, opened and checked.

use super::*;
use crate::data::prep::Matrix;
use crate::model::family::{Learner, Scorer};
use crate::model::gbm::{Ensemble, TreeLearner, TreeScorer, TreeSettings};
use crate::model::spec::Task;

const THREE: Task = Task::Multiclass { classes: 3 };

#[test]
fn probabilities_are_the_softmax_of_the_margins() {
    let p = probabilities(&[0.0, 2f64.ln(), 0.0]);
    for (got, want) in p.iter().zip([0.25, 0.5, 0.25]) {
        assert!((got - want).abs() < 1e-12, "{p:?}");
    }
    // Large margins do not overflow.
    let p = probabilities(&[1000.0, 1000.0, -1000.0]);
    assert!((p[0] - 0.5).abs() < 1e-12 && p[2] == 0.0, "{p:?}");
}

#[test]
fn gradients_and_hessians_are_xgboosts_softprob() {
    // One row, p = (0.25, 0.5, 0.25), true class 1:
    // g = p - onehot = (0.25, -0.5, 0.25), h = 2 p (1 - p) = (0.375, 0.5, 0.375).
    let probs = probabilities(&[0.0, 2f64.ln(), 0.0]);
    let want = [(0.25, 0.375), (-0.5, 0.5), (0.25, 0.375)];
    for (k, (g, h)) in want.into_iter().enumerate() {
        let (grad, hess) = class_gradients(&probs, 3, &[1.0], k);
        assert!((grad[0] - g).abs() < 1e-12, "class {k}: {grad:?}");
        assert!((hess[0] - h).abs() < 1e-12, "class {k}: {hess:?}");
    }
    // A sure prediction keeps a positive hessian.
    let sure = probabilities(&[0.0, 800.0, 0.0]);
    let (_, hess) = class_gradients(&sure, 3, &[1.0], 0);
    assert!(hess[0] > 0.0);
}

#[test]
fn base_margins_are_the_log_class_shares() {
    let base = base_margins(&[0.0, 0.0, 1.0, 2.0], 3);
    for (got, want) in base.iter().zip([0.5f64, 0.25, 0.25]) {
        assert!((got - want.ln()).abs() < 1e-12, "{base:?}");
    }
    // A class no row holds starts finite, far below the others.
    let base = base_margins(&[0.0, 1.0], 3);
    assert!(base[2].is_finite() && base[2] < base[0] - 10.0, "{base:?}");
}

#[test]
fn mean_loss_is_the_cross_entropy() {
    // Uniform margins: ln 3 per row whatever the class.
    let loss = mean_loss(&[0.0; 6], 3, &[0.0, 2.0]);
    assert!((loss - 3f64.ln()).abs() < 1e-12, "{loss}");
}

/// Three classes in two features: class 0 left of 0.4, class 2 right of
/// 0.6, class 1 between; the second feature is noise.
fn bands(rows: usize) -> (Matrix, Vec<f32>) {
    let mut data = Vec::with_capacity(rows * 2);
    let mut y = Vec::with_capacity(rows);
    for i in 0..rows {
        let a = (i * 37 % 101) as f32 / 100.0;
        let b = (i * 61 % 103) as f32 / 102.0;
        data.extend([a, b]);
        y.push(if a < 0.4 {
            0.0
        } else if a < 0.6 {
            1.0
        } else {
            2.0
        });
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

fn settings() -> TreeSettings {
    TreeSettings {
        max_depth: 2,
        ..TreeSettings::default()
    }
}

#[test]
fn a_round_grows_one_tree_per_class_and_learns_the_bands() {
    let (x, y) = bands(300);
    let mut model = TreeLearner::new(&settings(), THREE, 2).unwrap();
    let mut losses = Vec::new();
    for _ in 0..40 {
        losses.push(model.train_unit(&x, &y).unwrap());
    }
    assert_eq!(model.completed(), 40);
    assert!(
        losses.windows(2).all(|w| w[1] <= w[0] + 1e-12),
        "training loss rose: {losses:?}"
    );
    assert!(losses[39] < 0.2 * 3f64.ln(), "{losses:?}");
    let scores = model.predict(&x).unwrap();
    assert_eq!(scores.len(), 300 * 3);
    let mut right = 0;
    for (row, &t) in scores.chunks_exact(3).zip(&y) {
        let sum: f32 = row.iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "{row:?}");
        let best = (0..3).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        right += usize::from(best == t as usize);
    }
    assert!(right >= 297, "{right} of 300 right");
    // The saved file holds 40 rounds of three trees and the class bases.
    let ensemble: Ensemble = serde_json::from_slice(&model.save().unwrap()).unwrap();
    assert_eq!(ensemble.trees.len(), 120);
    assert_eq!(ensemble.class_base_scores.len(), 3);
}

#[test]
fn a_saved_multiclass_model_opens_scores_alike_and_restores() {
    let (x, y) = bands(200);
    let mut model = TreeLearner::new(&settings(), THREE, 2).unwrap();
    for _ in 0..5 {
        model.train_unit(&x, &y).unwrap();
    }
    let bytes = model.save().unwrap();
    let opened = TreeScorer::open(&settings(), THREE, 2, &bytes).unwrap();
    assert_eq!(opened.predict(&x).unwrap(), model.predict(&x).unwrap());
    // Early stopping's restore: back to round 5 after round 8.
    let at_five = model.predict(&x).unwrap();
    for _ in 0..3 {
        model.train_unit(&x, &y).unwrap();
    }
    model.restore(&bytes).unwrap();
    assert_eq!(model.predict(&x).unwrap(), at_five);
    assert_eq!(model.completed(), 8);
    // The next round grows from the restored trees.
    model.train_unit(&x, &y).unwrap();
    let ensemble: Ensemble = serde_json::from_slice(&model.save().unwrap()).unwrap();
    assert_eq!(ensemble.trees.len(), 18);
}

#[test]
fn files_that_do_not_fit_the_target_are_refused() {
    let (x, y) = bands(100);
    let mut model = TreeLearner::new(&settings(), THREE, 2).unwrap();
    model.train_unit(&x, &y).unwrap();
    let bytes = model.save().unwrap();
    // A yes/no target cannot read three margins per row, nor the reverse.
    let err = TreeScorer::open(&settings(), Task::Classification, 2, &bytes).unwrap_err();
    assert!(err.to_string().contains("3 margins"), "{err}");
    let mut binary = TreeLearner::new(&settings(), Task::Classification, 2).unwrap();
    binary
        .train_unit(
            &x,
            &y.iter().map(|&v| f32::from(v > 1.0)).collect::<Vec<_>>(),
        )
        .unwrap();
    let err = TreeScorer::open(&settings(), THREE, 2, &binary.save().unwrap()).unwrap_err();
    assert!(err.to_string().contains("needs 3"), "{err}");
    // Trees that are not whole rounds, and a class count of 2.
    let mut ensemble: Ensemble = serde_json::from_slice(&bytes).unwrap();
    ensemble.trees.pop();
    let err = TreeScorer::open(&settings(), THREE, 2, &ensemble.to_bytes().unwrap()).unwrap_err();
    assert!(err.to_string().contains("whole rounds"), "{err}");
    let mut two: Ensemble = serde_json::from_slice(&bytes).unwrap();
    two.class_base_scores.pop();
    assert!(TreeScorer::open(&settings(), THREE, 2, &two.to_bytes().unwrap()).is_err());
}

#[test]
fn targets_that_are_not_class_indices_are_refused() {
    let (x, mut y) = bands(50);
    y[7] = 3.0;
    let mut model = TreeLearner::new(&settings(), THREE, 2).unwrap();
    let err = model.train_unit(&x, &y).unwrap_err();
    assert!(err.to_string().contains("row 7"), "{err}");
    y[7] = 0.5;
    assert!(model.train_unit(&x, &y).is_err());
}
