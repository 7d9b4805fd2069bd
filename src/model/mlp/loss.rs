//! The network's loss, in every form the engines need, side by side so they
//! cannot drift apart:
//!
//! - [`per_row`]: the tensor form, on Burn's autodiff (the Burn engine);
//! - [`row_with_gradient`]: one row in `f32` with its derivative, term by
//!   term as Burn's autodiff takes it (the host kernel);
//! - [`row`]: one row in `f64`, for evaluation on the host.
//!
//! Classification is binary cross-entropy on a logit in the stable form
//! `max(z, 0) - z·y + ln(1 + e^(-|z|))`, which never takes the log of 0 or
//! exponentiates a large positive number; regression is the squared error.
//!
//! A multi-class target uses categorical cross-entropy on the row's class
//! logits, `logsumexp(z) - z_k` for class `k`, computed as Burn's
//! `log_softmax` does (the row's maximum subtracted first, so `exp` never
//! overflows); its gradient is `softmax(z) - onehot(k)`. The tensor form
//! takes the target as a one-hot row scaled by the class's weight, so one
//! product gives the weighted loss.
//!
//! With class weights `[w0, w1]` each classification row's loss is
//! multiplied by its class's weight (the batch mean stays a mean over rows,
//! as Keras' `class_weight` and scikit-learn's `sample_weight` do); weights
//! of `[1, 1]` leave every number bit for bit as unweighted.

use burn::tensor::{Tensor, activation};

use crate::model::spec::Task;

/// Loss weights of the negative and positive class; `[1, 1]` is unweighted.
pub(crate) type ClassWeights = [f32; 2];

/// No class weighting.
pub(crate) const UNWEIGHTED: ClassWeights = [1.0, 1.0];

/// Loss weight per class of a multi-class target, in class order; empty is
/// unweighted.
pub(crate) type MulticlassWeights = Vec<f32>;

/// The weight of class `k` (1 when unweighted).
pub(crate) fn class_weight(weights: &[f32], k: usize) -> f32 {
    weights.get(k).copied().unwrap_or(1.0)
}

/// The Burn engine's target row for class index `class` (`y` as the
/// prepared data holds it): one-hot over `out`'s classes, scaled by the
/// class's weight. A class index out of range leaves the row zero.
pub(super) fn weighted_one_hot(class: f32, weights: &[f32], out: &mut [f32]) {
    out.fill(0.0);
    let k = class as usize;
    if let Some(slot) = out.get_mut(k) {
        *slot = class_weight(weights, k);
    }
}

/// The softmax of one row of logits, in place, computed as Burn's
/// `softmax` is (the row's maximum subtracted first).
pub(crate) fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for z in row.iter_mut() {
        *z = (*z - max).exp();
        sum += *z;
    }
    for z in row.iter_mut() {
        *z /= sum;
    }
}

/// Categorical cross-entropy of one row in `f64`: class logits `z`, true
/// class `class`, times the class's weight: `w_k (logsumexp(z) - z_k)`.
pub(crate) fn multiclass_row(weights: &[f32], z: &[f64], class: usize) -> f64 {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = max + z.iter().map(|&v| (v - max).exp()).sum::<f64>().ln();
    let zk = z.get(class).copied().unwrap_or(f64::NAN);
    f64::from(class_weight(weights, class)) * (lse - zk)
}

/// Categorical cross-entropy of one row in `f32` (as Burn's
/// `log_softmax` computes it), and its gradient with respect to the logits
/// `z`, scaled by `share` and the class's weight, written into `grad`:
/// `share · w_k · (softmax(z) - onehot(k))`.
#[inline]
pub(super) fn multiclass_row_with_gradient(
    weights: &[f32],
    z: &[f32],
    class: usize,
    share: f32,
    grad: &mut [f32],
) -> f32 {
    let w = class_weight(weights, class);
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for (g, &v) in grad.iter_mut().zip(z) {
        *g = (v - max).exp();
        sum += *g;
    }
    let lse = sum.ln();
    let scale = share * w;
    for (j, g) in grad.iter_mut().enumerate() {
        let target = if j == class { 1.0 } else { 0.0 };
        *g = scale * (*g / sum - target);
    }
    let zk = z.get(class).copied().unwrap_or(f32::NAN);
    w * (lse - (zk - max))
}

/// The weight of a row with target `t` (0 or 1): `w0 + (w1 - w0)·t`.
fn weight_of(weights: ClassWeights, t: f32) -> f32 {
    weights[0] + (weights[1] - weights[0]) * t
}

/// Per-row loss `[rows, 1]` for outputs and targets `[rows, 1]` (for a
/// multi-class network outputs `[rows, classes]` and targets the weighted
/// one-hot rows of [`weighted_one_hot`], which carry the class weights, so
/// `weights` is not read).
pub(super) fn per_row(
    task: Task,
    weights: ClassWeights,
    output: Tensor<2>,
    target: Tensor<2>,
) -> Tensor<2> {
    match task {
        Task::Classification => {
            let softplus_tail = output.clone().abs().neg().exp().log1p();
            let loss = output.clone().clamp_min(0.0) - output * target.clone() + softplus_tail;
            if weights == UNWEIGHTED {
                loss
            } else {
                let w = target
                    .mul_scalar(weights[1] - weights[0])
                    .add_scalar(weights[0]);
                loss * w
            }
        }
        Task::Regression => (output - target).square(),
        Task::Multiclass { .. } => (target * activation::log_softmax(output, 1))
            .sum_dim(1)
            .neg(),
    }
}

/// The loss of one row in `f64` (output `z`, target `y`); a multi-class
/// row goes through [`multiclass_row`] instead.
pub(crate) fn row(task: Task, weights: ClassWeights, z: f64, y: f64) -> f64 {
    match task {
        Task::Multiclass { .. } => multiclass_row(&[], &[z], y as usize),
        Task::Classification => {
            let w = f64::from(weight_of(weights, y as f32));
            w * (z.max(0.0) - z * y + (-z.abs()).exp().ln_1p())
        }
        Task::Regression => (z - y) * (z - y),
    }
}

/// The loss of one row in `f32` and its derivative with respect to `z`
/// scaled by `share` (the row's share of a batch mean). For cross-entropy
/// the derivative is taken term by term as Burn's autodiff takes it, so
/// also at `z = 0`, where the clamp passes the gradient and `|z|` has none.
#[inline]
pub(super) fn row_with_gradient(
    task: Task,
    weights: ClassWeights,
    z: f32,
    t: f32,
    share: f32,
) -> (f32, f32) {
    match task {
        Task::Multiclass { .. } => {
            let mut grad = [0.0];
            let loss = multiclass_row_with_gradient(&[], &[z], t as usize, share, &mut grad);
            (loss, grad[0])
        }
        Task::Classification if weights == UNWEIGHTED => bce_with_logits(z, t, share),
        Task::Classification => {
            let w = weight_of(weights, t);
            let (loss, grad) = bce_with_logits(z, t, share * w);
            (loss * w, grad)
        }
        Task::Regression => {
            let diff = z - t;
            (diff * diff, share * 2.0 * diff)
        }
    }
}

#[inline]
fn bce_with_logits(z: f32, t: f32, share: f32) -> (f32, f32) {
    let e = (-z.abs()).exp();
    let loss = z.max(0.0) - z * t + e.ln_1p();
    let clamp = if z >= 0.0 { share } else { 0.0 };
    let sign = if z > 0.0 {
        1.0
    } else if z < 0.0 {
        -1.0
    } else {
        0.0
    };
    let tail = share * (1.0 / (e + 1.0)) * e;
    (loss, clamp - share * t - sign * tail)
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    #[test]
    fn the_three_forms_agree_on_the_same_numbers() {
        let zs = [-30.0f32, -2.0, -0.1, 0.0, 0.3, 4.0, 25.0];
        let ts = [0.0f32, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
        let device = Device::flex();
        for (task, weights) in [
            (Task::Classification, UNWEIGHTED),
            (Task::Classification, [0.3, 2.5]),
            (Task::Regression, UNWEIGHTED),
        ] {
            let tensor = per_row(
                task,
                weights,
                Tensor::from_data(TensorData::new(zs.to_vec(), [zs.len(), 1]), &device),
                Tensor::from_data(TensorData::new(ts.to_vec(), [ts.len(), 1]), &device),
            )
            .try_into_vec_as::<f32>()
            .unwrap();
            for ((&z, &t), &from_tensor) in zs.iter().zip(&ts).zip(&tensor) {
                let exact = row(task, weights, f64::from(z), f64::from(t));
                let (host, _) = row_with_gradient(task, weights, z, t, 1.0);
                let tolerance = 1e-5 * exact.abs().max(1.0);
                assert!(
                    (f64::from(host) - exact).abs() < tolerance,
                    "{task:?} {z} {t}"
                );
                assert!(
                    (f64::from(from_tensor) - exact).abs() < tolerance,
                    "{task:?} {z} {t}: {from_tensor} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn cross_entropy_gradient_is_sigmoid_minus_target() {
        for z in [-30.0f32, -2.0, -0.1, 0.3, 4.0, 25.0] {
            for t in [0.0, 1.0] {
                let (loss, grad) = row_with_gradient(Task::Classification, UNWEIGHTED, z, t, 1.0);
                let p = 1.0 / (1.0 + (-f64::from(z)).exp());
                let expected = -(f64::from(t) * p.ln() + (1.0 - f64::from(t)) * (1.0 - p).ln());
                assert!((f64::from(loss) - expected).abs() < 1e-5, "{z} {t}");
                assert!(
                    (f64::from(grad) - (p - f64::from(t))).abs() < 1e-6,
                    "{z} {t}"
                );
            }
        }
        // At exactly 0 Burn's autodiff gives the clamp's 1 and |z|'s 0.
        assert_eq!(
            row_with_gradient(Task::Classification, UNWEIGHTED, 0.0, 0.0, 0.5).1,
            0.5
        );
    }

    #[test]
    fn squared_error_gradient_is_twice_the_difference() {
        assert_eq!(
            row_with_gradient(Task::Regression, UNWEIGHTED, 3.0, 1.0, 0.5),
            (4.0, 2.0)
        );
    }

    #[test]
    fn class_weights_scale_each_rows_loss_and_gradient_by_its_class_weight() {
        // By hand: p = sigmoid(0.3); a positive row weighted 2.5 has loss
        // -2.5 ln p and gradient 2.5 (p - 1) times its share; a negative row
        // weighted 0.4 has loss -0.4 ln(1 - p) and gradient 0.4 p.
        let weights = [0.4, 2.5];
        let p = 1.0 / (1.0 + (-0.3f64).exp());
        let (loss, grad) = row_with_gradient(Task::Classification, weights, 0.3, 1.0, 0.5);
        assert!((f64::from(loss) + 2.5 * p.ln()).abs() < 1e-5);
        assert!((f64::from(grad) - 0.5 * 2.5 * (p - 1.0)).abs() < 1e-6);
        let (loss, grad) = row_with_gradient(Task::Classification, weights, 0.3, 0.0, 0.5);
        assert!((f64::from(loss) + 0.4 * (1.0 - p).ln()).abs() < 1e-5);
        assert!((f64::from(grad) - 0.5 * 0.4 * p).abs() < 1e-6);
        assert!((row(Task::Classification, weights, 0.3, 1.0) + 2.5 * p.ln()).abs() < 1e-12);
        // Regression ignores class weights.
        assert_eq!(row(Task::Regression, weights, 3.0, 1.0), 4.0);
    }

    #[test]
    fn softmax_cross_entropy_forms_agree_with_a_hand_computation() {
        // Row logits (1, 2, 0.5), class 1: softmax = e^z / (e + e^2 + e^0.5)
        // = (0.2312, 0.6285, 0.1402); loss = -ln 0.6285 = 0.4644.
        let z = [1.0f32, 2.0, 0.5];
        let denominator = 1f64.exp() + 2f64.exp() + 0.5f64.exp();
        let p: Vec<f64> = z
            .iter()
            .map(|&v| f64::from(v).exp() / denominator)
            .collect();
        let expected = -p[1].ln();
        let z64: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
        assert!((multiclass_row(&[], &z64, 1) - expected).abs() < 1e-12);
        assert!((expected - 0.4644).abs() < 1e-4);
        let mut grad = [0.0f32; 3];
        let loss = multiclass_row_with_gradient(&[], &z, 1, 0.5, &mut grad);
        assert!((f64::from(loss) - expected).abs() < 1e-6);
        for (j, (&g, &pj)) in grad.iter().zip(&p).enumerate() {
            let onehot = if j == 1 { 1.0 } else { 0.0 };
            assert!((f64::from(g) - 0.5 * (pj - onehot)).abs() < 1e-7, "{j}");
        }
        // The gradient of a softmax cross-entropy sums to 0 over classes.
        assert!(grad.iter().sum::<f32>().abs() < 1e-7);
        // A class weight of 3 scales loss and gradient by 3.
        let mut weighted = [0.0f32; 3];
        let weights = [0.5, 3.0, 1.0];
        let loss3 = multiclass_row_with_gradient(&weights, &z, 1, 0.5, &mut weighted);
        assert!((f64::from(loss3) - 3.0 * expected).abs() < 1e-5);
        for (w, g) in weighted.iter().zip(&grad) {
            assert!((w - 3.0 * g).abs() < 1e-6);
        }
        assert!((multiclass_row(&weights, &z64, 1) - 3.0 * expected).abs() < 1e-12);
        let mut probabilities = z;
        softmax_in_place(&mut probabilities);
        for (&a, &b) in probabilities.iter().zip(&p) {
            assert!((f64::from(a) - b).abs() < 1e-7);
        }
    }

    #[test]
    fn softmax_tensor_form_matches_the_host_form_with_weights() {
        let device = Device::flex();
        // Three rows of 4 class logits, large ones included (the maximum is
        // subtracted, so nothing overflows).
        let z = [
            0.3f32, -1.0, 2.0, 0.0, //
            50.0, 49.0, -20.0, 3.0, //
            -0.5, -0.5, -0.5, -0.5,
        ];
        let classes = [2usize, 1, 3];
        let weights = [1.0f32, 0.5, 2.0, 4.0];
        let mut targets = vec![0.0f32; 12];
        for (row, &k) in targets.chunks_exact_mut(4).zip(&classes) {
            weighted_one_hot(k as f32, &weights, row);
        }
        let tensor = per_row(
            Task::Multiclass { classes: 4 },
            UNWEIGHTED,
            Tensor::from_data(TensorData::new(z.to_vec(), [3, 4]), &device),
            Tensor::from_data(TensorData::new(targets, [3, 4]), &device),
        )
        .try_into_vec_as::<f32>()
        .unwrap();
        assert_eq!(tensor.len(), 3);
        for ((row, &k), &from_tensor) in z.chunks_exact(4).zip(&classes).zip(&tensor) {
            let row64: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
            let exact = multiclass_row(&weights, &row64, k);
            let mut grad = [0.0f32; 4];
            let host = multiclass_row_with_gradient(&weights, row, k, 1.0, &mut grad);
            let tolerance = 1e-5 * exact.abs().max(1.0);
            assert!((f64::from(host) - exact).abs() < tolerance, "{k}");
            assert!((f64::from(from_tensor) - exact).abs() < tolerance, "{k}");
        }
        // Uniform logits over 4 classes: -ln(1/4) times class 3's weight.
        let uniform = multiclass_row(&weights, &[-0.5; 4], 3);
        assert!((uniform - 4.0 * 4f64.ln()).abs() < 1e-12);
    }
}
