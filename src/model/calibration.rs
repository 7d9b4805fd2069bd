//! Calibration maps from a model's score to a probability, fitted on the
//! validation rows when a run finishes and saved with the model
//! ([`super::bundle::BundleMeta::calibration`]):
//!
//! - **Platt scaling**: `p' = 1 / (1 + exp(a·logit(p) + b))`, fitted by
//!   Newton's method on the log loss with Platt's smoothed targets
//!   (Platt 1999; the algorithm of Lin, Lin & Weng, "A note on Platt's
//!   probabilistic outputs for support vector machines", 2007).
//! - **Isotonic regression**: the best non-decreasing step map by the pool
//!   adjacent violators algorithm (Zadrozny & Elkan 2002), predicted by
//!   linear interpolation between its steps and clipped at the ends, as
//!   scikit-learn's `IsotonicRegression` does. Written here because the one
//!   isotonic crate (`pav_regression`) is LGPL-licensed.
//!
//! Here, below the insights, so the model and its file apply a map without
//! depending on them; [`crate::insights::calibration`] re-exports it beside
//! the reliability plot and holds the tests against hand computations.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a map cannot be fitted.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CalibrationError {
    #[error("{scores} scores for {labels} labels: one score per customer is needed")]
    LengthMismatch { scores: usize, labels: usize },
    #[error("the score of customer {row} is not a number")]
    NonFiniteScore { row: usize },
    #[error("calibration needs both buyers and non-buyers among the rows it is fitted on")]
    OneClass,
}

/// A label `>= 0.5` is a positive (the metrics' rule).
fn is_positive(label: f32) -> bool {
    label >= 0.5
}

/// Which calibration map to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalibrationMethod {
    Platt,
    Isotonic,
}

impl CalibrationMethod {
    /// The name in settings, messages and the command line.
    pub fn name(self) -> &'static str {
        match self {
            CalibrationMethod::Platt => "platt",
            CalibrationMethod::Isotonic => "isotonic",
        }
    }
}

/// A fitted map from a model's score to a calibrated probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Calibrator {
    /// `1 / (1 + exp(a·logit(p) + b))`.
    Platt { a: f64, b: f64 },
    /// Non-decreasing; `x` ascending, interpolated linearly, clipped.
    Isotonic { x: Vec<f64>, y: Vec<f64> },
}

/// Scores are kept this far from 0 and 1 before `logit`.
const LOGIT_EPS: f64 = 1e-7;

fn logit(p: f64) -> f64 {
    let p = p.clamp(LOGIT_EPS, 1.0 - LOGIT_EPS);
    (p / (1.0 - p)).ln()
}

impl Calibrator {
    /// Fits `method` on `scores` against `labels` (validation rows, never
    /// the test rows).
    ///
    /// # Errors
    /// [`CalibrationError`] for scores and labels that do not pair up, a
    /// score that is not finite, or rows without both buyers and
    /// non-buyers.
    pub fn fit(
        method: CalibrationMethod,
        scores: &[f32],
        labels: &[f32],
    ) -> Result<Calibrator, CalibrationError> {
        if scores.len() != labels.len() {
            return Err(CalibrationError::LengthMismatch {
                scores: scores.len(),
                labels: labels.len(),
            });
        }
        if let Some(row) = scores.iter().position(|s| !s.is_finite()) {
            return Err(CalibrationError::NonFiniteScore { row });
        }
        let buyers = labels.iter().filter(|&&y| is_positive(y)).count();
        if buyers == 0 || buyers == labels.len() {
            return Err(CalibrationError::OneClass);
        }
        Ok(match method {
            CalibrationMethod::Platt => fit_platt(scores, labels, buyers),
            CalibrationMethod::Isotonic => fit_isotonic(scores, labels),
        })
    }

    /// Which map this is.
    pub fn method(&self) -> CalibrationMethod {
        match self {
            Calibrator::Platt { .. } => CalibrationMethod::Platt,
            Calibrator::Isotonic { .. } => CalibrationMethod::Isotonic,
        }
    }

    /// The calibrated probability of a score.
    pub fn apply(&self, score: f64) -> f64 {
        match self {
            Calibrator::Platt { a, b } => 1.0 / (1.0 + (a * logit(score) + b).exp()),
            Calibrator::Isotonic { x, y } => interpolate(x, y, score),
        }
    }

    /// [`apply`](Self::apply) to every score.
    pub fn apply_all(&self, scores: &[f32]) -> Vec<f32> {
        scores
            .iter()
            .map(|&s| self.apply(f64::from(s)) as f32)
            .collect()
    }
}

/// Platt's method with the Newton iteration and backtracking line search of
/// Lin, Lin & Weng (2007), Algorithm 1, on `f = logit(score)`.
fn fit_platt(scores: &[f32], labels: &[f32], buyers: usize) -> Calibrator {
    let negatives = labels.len() - buyers;
    // Smoothed targets guard against overfitting a separable set.
    let hi = (buyers as f64 + 1.0) / (buyers as f64 + 2.0);
    let lo = 1.0 / (negatives as f64 + 2.0);
    let data: Vec<(f64, f64)> = scores
        .iter()
        .zip(labels)
        .map(|(&s, &y)| (logit(f64::from(s)), if is_positive(y) { hi } else { lo }))
        .collect();
    // The objective, written stably for either sign of a·f + b.
    let objective = |a: f64, b: f64| -> f64 {
        data.iter()
            .map(|&(f, t)| {
                let z = a * f + b;
                if z >= 0.0 {
                    t * z + (-z).exp().ln_1p()
                } else {
                    (t - 1.0) * z + z.exp().ln_1p()
                }
            })
            .sum()
    };
    let (mut a, mut b) = (0.0, ((negatives as f64 + 1.0) / (buyers as f64 + 1.0)).ln());
    let mut value = objective(a, b);
    const SIGMA: f64 = 1e-12;
    for _ in 0..100 {
        // Gradient and Hessian of the objective.
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (SIGMA, SIGMA, 0.0, 0.0, 0.0);
        for &(f, t) in &data {
            let z = a * f + b;
            let (p, q) = if z >= 0.0 {
                let e = (-z).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = z.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += f * f * d2;
            h22 += d2;
            h21 += f * d2;
            let d1 = t - p;
            g1 += f * d1;
            g2 += d1;
        }
        if g1.abs() < 1e-5 && g2.abs() < 1e-5 {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        let mut moved = false;
        while step >= 1e-10 {
            let (na, nb) = (a + step * da, b + step * db);
            let next = objective(na, nb);
            if next < value + 1e-4 * step * gd {
                (a, b, value) = (na, nb, next);
                moved = true;
                break;
            }
            step /= 2.0;
        }
        if !moved {
            break;
        }
    }
    Calibrator::Platt { a, b }
}

/// Pool adjacent violators over the scores sorted ascending, ties pooled
/// first; each block keeps its lowest and highest score as knots.
fn fit_isotonic(scores: &[f32], labels: &[f32]) -> Calibrator {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Blocks: (lowest score, highest score, sum of outcomes, weight).
    let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
    for i in order {
        let x = f64::from(scores[i]);
        let outcome = if is_positive(labels[i]) { 1.0 } else { 0.0 };
        match blocks.last_mut() {
            Some(last) if last.1 == x => {
                last.2 += outcome;
                last.3 += 1.0;
            }
            _ => blocks.push((x, x, outcome, 1.0)),
        }
        // Merge while the last block's mean is below the one before it.
        while blocks.len() >= 2 {
            let n = blocks.len();
            let (prev, last) = (blocks[n - 2], blocks[n - 1]);
            if prev.2 / prev.3 <= last.2 / last.3 {
                break;
            }
            blocks[n - 2] = (prev.0, last.1, prev.2 + last.2, prev.3 + last.3);
            blocks.pop();
        }
    }
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (lo, hi, sum, weight) in blocks {
        let mean = sum / weight;
        x.push(lo);
        y.push(mean);
        if hi > lo {
            x.push(hi);
            y.push(mean);
        }
    }
    Calibrator::Isotonic { x, y }
}

/// Piecewise-linear interpolation through `(x, y)` (x ascending), clipped.
fn interpolate(x: &[f64], y: &[f64], at: f64) -> f64 {
    let (Some(&first), Some(&last)) = (x.first(), x.last()) else {
        return at;
    };
    if at <= first {
        return y[0];
    }
    if at >= last {
        return y[y.len() - 1];
    }
    let i = x.partition_point(|&v| v <= at);
    let (x0, x1, y0, y1) = (x[i - 1], x[i], y[i - 1], y[i]);
    y0 + (at - x0) / (x1 - x0) * (y1 - y0)
}
