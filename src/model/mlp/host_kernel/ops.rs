//! The host kernel's element-wise and matrix arithmetic: activations and
//! their derivatives with flex's formulas, and matrix products through the
//! `gemm` crate on strided views (so a transpose costs nothing).

use crate::model::spec::{Activation, LEAKY_RELU_SLOPE};

/// Products of at least this many multiply-adds (`m·n·k`) use gemm's thread
/// pool: flex's own threshold (`burn-flex` 0.22.1, `ops/matmul.rs`).
const PARALLEL_PRODUCT: usize = 192 * 192 * 192;

/// The activation in place, with flex's formulas.
pub(super) fn activate(activation: Activation, values: &mut [f32]) {
    match activation {
        Activation::Relu => {
            for v in values {
                // NaN stays NaN, as in flex.
                *v = if *v > 0.0 || v.is_nan() { *v } else { 0.0 };
            }
        }
        Activation::LeakyRelu => {
            let slope = LEAKY_RELU_SLOPE as f32;
            for v in values {
                if *v < 0.0 {
                    *v *= slope;
                }
            }
        }
        Activation::Tanh => {
            for v in values {
                *v = v.tanh();
            }
        }
        Activation::Sigmoid => {
            for v in values {
                *v = if *v >= 0.0 {
                    1.0 / (1.0 + (-*v).exp())
                } else {
                    let e = v.exp();
                    e / (1.0 + e)
                };
            }
        }
    }
}

/// Multiplies `grad` (with respect to the activation's output) by the
/// activation's derivative, given that output (`out`), as Burn's autodiff
/// does.
pub(super) fn activation_backward(activation: Activation, out: &[f32], grad: &mut [f32]) {
    match activation {
        // The output is positive exactly where the input was.
        Activation::Relu => {
            for (g, &h) in grad.iter_mut().zip(out) {
                *g = if h > 0.0 || h.is_nan() { *g } else { 0.0 };
            }
        }
        // The slope is positive, so the output is negative exactly where the input was.
        Activation::LeakyRelu => {
            let slope = LEAKY_RELU_SLOPE as f32;
            for (g, &h) in grad.iter_mut().zip(out) {
                if h < 0.0 {
                    *g *= slope;
                }
            }
        }
        Activation::Tanh => {
            for (g, &h) in grad.iter_mut().zip(out) {
                *g *= 1.0 - h * h;
            }
        }
        Activation::Sigmoid => {
            for (g, &s) in grad.iter_mut().zip(out) {
                *g = *g * s * (1.0 - s);
            }
        }
    }
}

/// A matrix view into a slice: element `(r, c)` is `data[r * row_stride + c * col_stride]`.
#[derive(Clone, Copy)]
pub(super) struct Mat<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Mat<'a> {
    /// A row-major `rows × cols` matrix.
    pub(super) fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Mat {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    pub(super) fn transposed(self) -> Self {
        Mat {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every element lies inside `data`.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `dst = a · b` (or `dst += a · b` with `accumulate`), `dst` row-major
/// `a.rows × b.cols`; on the calling thread unless the product is large.
///
/// # Panics
///
/// If the shapes do not agree or a view reaches past its slice: the shapes
/// come from the network, so that is a bug here, never bad user data.
#[expect(
    unsafe_code,
    reason = "gemm's kernel takes raw pointers and strides; the shapes are checked first"
)]
pub(super) fn matmul(dst: &mut [f32], a: Mat<'_>, b: Mat<'_>, accumulate: bool) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        b.rows == k && dst.len() == m * n && a.fits() && b.fits(),
        "matrix shapes do not agree"
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst.fill(0.0);
        }
        return;
    }
    let parallelism = if m.saturating_mul(n).saturating_mul(k) >= PARALLEL_PRODUCT {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the assertion above keeps every element gemm reads or writes
    // inside its slice (`fits`, and `dst` is exactly m × n row-major); `dst`
    // is borrowed mutably, so it overlaps neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: Mat<'_>, b: Mat<'_>) -> Vec<f32> {
        let mut out = vec![0.0; a.rows * b.cols];
        for r in 0..a.rows {
            for c in 0..b.cols {
                for i in 0..a.cols {
                    out[r * b.cols + c] += a.data[r * a.row_stride + i * a.col_stride]
                        * b.data[i * b.row_stride + c * b.col_stride];
                }
            }
        }
        out
    }

    #[test]
    fn matmul_with_transposed_views_matches_the_definition() {
        let a: Vec<f32> = (0..15).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..20).map(|i| (i as f32).sin()).collect();
        // [3 × 5] · [5 × 4]
        let (ma, mb) = (Mat::rows(&a, 3, 5), Mat::rows(&b, 5, 4));
        let mut out = vec![0.0; 12];
        matmul(&mut out, ma, mb, false);
        for (x, y) in out.iter().zip(naive(ma, mb)) {
            assert!((x - y).abs() < 1e-5);
        }
        // [5 × 3]ᵀ view of a [3 × 5] matrix times a [3 × 4] one... via b's first 12.
        let at = Mat::rows(&a, 3, 5).transposed();
        let b3 = Mat::rows(&b[..12], 3, 4);
        let mut out = vec![1.0; 20];
        matmul(&mut out, at, b3, true);
        for (x, y) in out.iter().zip(naive(at, b3)) {
            assert!((x - (y + 1.0)).abs() < 1e-5);
        }
    }

    #[test]
    #[should_panic(expected = "matrix shapes do not agree")]
    fn matmul_refuses_views_past_the_slice() {
        let a = [1.0; 5];
        let mut out = [0.0; 4];
        matmul(&mut out, Mat::rows(&a, 2, 3), Mat::rows(&a, 3, 2), false);
    }
}
