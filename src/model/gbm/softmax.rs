//! Softmax boosting: the trees for a multi-class target (XGBoost's
//! `multi:softprob`; Friedman 2001, "Greedy function approximation",
//! algorithm 6 in its second-order form).
//!
//! Each row has one margin per class; its probabilities are their softmax.
//! A round grows one tree per class `k` on the gradient and hessian of the
//! categorical cross-entropy with respect to that class's margin,
//! `g = p_k − [y = k]` and `h = 2 p_k (1 − p_k)` (XGBoost's
//! `src/objective/multiclass_obj.cu`: the diagonal of the softmax Hessian,
//! doubled, which damps the Newton step as it does there). All K trees of
//! a round see the same probabilities, from the margins before the round.

use crate::model::mlp::loss;

/// Hessians never fall below this, so a leaf of rows the model is already
/// sure of still has a finite weight (XGBoost clamps at 1e-16 too).
const MIN_HESSIAN: f64 = 1e-16;

/// The softmax of one row's class margins, computed with the row's
/// maximum subtracted first so `exp` never overflows.
pub(super) fn probabilities(margins: &[f64]) -> Vec<f64> {
    let max = margins.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = margins.iter().map(|&m| (m - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Each class's margin before any tree: the log of its share of the
/// training rows `y` (class indices), the best constant model under
/// cross-entropy (LightGBM's `boost_from_average` for multi-class). A
/// share is floored at 1e-6 so a class absent from `y` starts finite.
pub(super) fn base_margins(y: &[f32], classes: usize) -> Vec<f64> {
    let mut counts = vec![0usize; classes];
    for &v in y {
        if let Some(c) = counts.get_mut(v as usize) {
            *c += 1;
        }
    }
    let n = y.len().max(1) as f64;
    counts
        .iter()
        .map(|&c| (c as f64 / n).max(1e-6).ln())
        .collect()
}

/// The rows' probabilities (row-major `rows × classes`) from their margins.
pub(super) fn all_probabilities(margins: &[f64], classes: usize) -> Vec<f64> {
    margins
        .chunks_exact(classes.max(1))
        .flat_map(probabilities)
        .collect()
}

/// Gradient and hessian of the cross-entropy for class `k`'s margin of
/// every row: `(p_k − [y = k], max(2 p_k (1 − p_k), 1e-16))`, from the
/// rows' probabilities `probs` (row-major `rows × classes`) and class
/// indices `y`.
pub(super) fn class_gradients(
    probs: &[f64],
    classes: usize,
    y: &[f32],
    k: usize,
) -> (Vec<f64>, Vec<f64>) {
    probs
        .chunks_exact(classes.max(1))
        .zip(y)
        .map(|(row, &t)| {
            let p = row.get(k).copied().unwrap_or(0.0);
            let target = if t as usize == k { 1.0 } else { 0.0 };
            (p - target, (2.0 * p * (1.0 - p)).max(MIN_HESSIAN))
        })
        .unzip()
}

/// Mean categorical cross-entropy of the rows' class margins (row-major
/// `rows × classes`) against class indices `y`: the network's own
/// formula ([`loss::multiclass_row`]), so both families' curves share a
/// scale.
pub(super) fn mean_loss(margins: &[f64], classes: usize, y: &[f32]) -> f64 {
    let total: f64 = margins
        .chunks_exact(classes.max(1))
        .zip(y)
        .map(|(row, &t)| loss::multiclass_row(&[], row, t as usize))
        .sum();
    total / y.len().max(1) as f64
}

#[cfg(test)]
mod tests;
