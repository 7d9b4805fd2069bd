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
//! With class weights `[w0, w1]` each classification row's loss is
//! multiplied by its class's weight (the batch mean stays a mean over rows,
//! as Keras' `class_weight` and scikit-learn's `sample_weight` do); weights
//! of `[1, 1]` leave every number bit for bit as unweighted.

use burn::tensor::Tensor;

use crate::model::spec::Task;

/// Loss weights of the negative and positive class; `[1, 1]` is unweighted.
pub(crate) type ClassWeights = [f32; 2];

/// No class weighting.
pub(crate) const UNWEIGHTED: ClassWeights = [1.0, 1.0];

/// The weight of a row with target `t` (0 or 1): `w0 + (w1 - w0)·t`.
fn weight_of(weights: ClassWeights, t: f32) -> f32 {
    weights[0] + (weights[1] - weights[0]) * t
}

/// Per-row loss `[rows, 1]` for outputs and targets `[rows, 1]`.
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
    }
}

/// The loss of one row in `f64` (output `z`, target `y`).
pub(crate) fn row(task: Task, weights: ClassWeights, z: f64, y: f64) -> f64 {
    match task {
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
}
