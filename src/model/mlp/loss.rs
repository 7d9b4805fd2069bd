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

use burn::tensor::Tensor;

use crate::model::spec::Task;

/// Per-row loss `[rows, 1]` for outputs and targets `[rows, 1]`.
pub(super) fn per_row(task: Task, output: Tensor<2>, target: Tensor<2>) -> Tensor<2> {
    match task {
        Task::Classification => {
            let softplus_tail = output.clone().abs().neg().exp().log1p();
            output.clone().clamp_min(0.0) - output * target + softplus_tail
        }
        Task::Regression => (output - target).square(),
    }
}

/// The loss of one row in `f64` (output `z`, target `y`).
pub(crate) fn row(task: Task, z: f64, y: f64) -> f64 {
    match task {
        Task::Classification => z.max(0.0) - z * y + (-z.abs()).exp().ln_1p(),
        Task::Regression => (z - y) * (z - y),
    }
}

/// The loss of one row in `f32` and its derivative with respect to `z`
/// scaled by `share` (the row's share of a batch mean). For cross-entropy
/// the derivative is taken term by term as Burn's autodiff takes it, so
/// also at `z = 0`, where the clamp passes the gradient and `|z|` has none.
#[inline]
pub(super) fn row_with_gradient(task: Task, z: f32, t: f32, share: f32) -> (f32, f32) {
    match task {
        Task::Classification => bce_with_logits(z, t, share),
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
        for task in [Task::Classification, Task::Regression] {
            let tensor = per_row(
                task,
                Tensor::from_data(TensorData::new(zs.to_vec(), [zs.len(), 1]), &device),
                Tensor::from_data(TensorData::new(ts.to_vec(), [ts.len(), 1]), &device),
            )
            .try_into_vec_as::<f32>()
            .unwrap();
            for ((&z, &t), &from_tensor) in zs.iter().zip(&ts).zip(&tensor) {
                let exact = row(task, f64::from(z), f64::from(t));
                let (host, _) = row_with_gradient(task, z, t, 1.0);
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
                let (loss, grad) = row_with_gradient(Task::Classification, z, t, 1.0);
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
            row_with_gradient(Task::Classification, 0.0, 0.0, 0.5).1,
            0.5
        );
    }

    #[test]
    fn squared_error_gradient_is_twice_the_difference() {
        assert_eq!(
            row_with_gradient(Task::Regression, 3.0, 1.0, 0.5),
            (4.0, 2.0)
        );
    }
}
