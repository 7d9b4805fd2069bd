//! Are the scores real probabilities? The reliability (calibration) plot,
//! the Brier score, and two calibration maps fitted on validation rows and
//! saved with a model:
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

use serde::{Deserialize, Serialize};

use super::{InsightError, check_scores, is_positive};

/// Scores in one bin of the reliability plot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// The bin covers scores in `[lower, upper)` (the last one includes 1).
    pub lower: f64,
    pub upper: f64,
    pub customers: usize,
    /// Mean score of the bin's customers (x of the plot).
    pub mean_predicted: f64,
    /// Share of buyers among them (y of the plot).
    pub observed_rate: f64,
}

/// The reliability plot of probabilities against outcomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reliability {
    /// Equal-width bins over 0 to 1; empty bins are left out.
    pub bins: Vec<ReliabilityBin>,
    /// Mean squared difference of probability and outcome (0 is perfect,
    /// 0.25 is a constant 0.5); Brier (1950).
    pub brier: f64,
    /// Customer-weighted mean |observed − predicted| over the bins (ECE;
    /// Naeini, Cooper & Hauskrecht 2015).
    pub expected_calibration_error: f64,
}

impl Reliability {
    /// Bins `probabilities` (0 to 1; values outside are clamped into the end
    /// bins) into `bins` equal-width bins (at least 1).
    ///
    /// # Errors
    /// [`InsightError`] when lengths differ, there are no customers, or a
    /// probability is not finite.
    pub fn compute(
        probabilities: &[f32],
        labels: &[f32],
        bins: usize,
    ) -> Result<Reliability, InsightError> {
        check_scores(probabilities, labels)?;
        let k = bins.max(1);
        // Per bin: customers, sum of probabilities, buyers.
        let mut sums = vec![(0usize, 0.0f64, 0usize); k];
        for (&p, &y) in probabilities.iter().zip(labels) {
            let p = f64::from(p);
            let i = ((p * k as f64).floor().max(0.0) as usize).min(k - 1);
            sums[i].0 += 1;
            sums[i].1 += p;
            sums[i].2 += usize::from(is_positive(y));
        }
        let n = probabilities.len() as f64;
        let mut ece = 0.0;
        let mut out = Vec::new();
        for (i, &(count, sum, buyers)) in sums.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let mean_predicted = sum / count as f64;
            let observed_rate = buyers as f64 / count as f64;
            ece += count as f64 / n * (observed_rate - mean_predicted).abs();
            out.push(ReliabilityBin {
                lower: i as f64 / k as f64,
                upper: (i + 1) as f64 / k as f64,
                customers: count,
                mean_predicted,
                observed_rate,
            });
        }
        Ok(Reliability {
            bins: out,
            brier: brier_score(probabilities, labels)?,
            expected_calibration_error: ece,
        })
    }
}

/// Mean of `(p − y)²` with `y` 1 for a buyer, 0 otherwise.
///
/// # Errors
/// As [`Reliability::compute`].
pub fn brier_score(probabilities: &[f32], labels: &[f32]) -> Result<f64, InsightError> {
    check_scores(probabilities, labels)?;
    let sum: f64 = probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let outcome = if is_positive(y) { 1.0 } else { 0.0 };
            (f64::from(p) - outcome).powi(2)
        })
        .sum();
    Ok(sum / probabilities.len() as f64)
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
    /// [`InsightError`] for unusable scores, or [`InsightError::OneClass`]
    /// without both buyers and non-buyers.
    pub fn fit(
        method: CalibrationMethod,
        scores: &[f32],
        labels: &[f32],
    ) -> Result<Calibrator, InsightError> {
        check_scores(scores, labels)?;
        let buyers = labels.iter().filter(|&&y| is_positive(y)).count();
        if buyers == 0 || buyers == labels.len() {
            return Err(InsightError::OneClass);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    /// Ten customers at each of 0.1, 0.3, …, 0.9 of whom exactly that share
    /// buys: perfectly calibrated.
    fn calibrated() -> (Vec<f32>, Vec<f32>) {
        let mut scores = Vec::new();
        let mut labels = Vec::new();
        for (k, p) in [0.1f32, 0.3, 0.5, 0.7, 0.9].into_iter().enumerate() {
            for i in 0..10 {
                scores.push(p);
                labels.push(if i < 2 * k + 1 { 1.0 } else { 0.0 });
            }
        }
        (scores, labels)
    }

    #[test]
    fn a_perfectly_calibrated_model_lies_on_the_diagonal() {
        let (s, y) = calibrated();
        let r = Reliability::compute(&s, &y, 10).unwrap();
        assert_eq!(r.bins.len(), 5);
        for bin in &r.bins {
            assert!(
                close(bin.mean_predicted, bin.observed_rate, 1e-6),
                "{bin:?}"
            );
            assert_eq!(bin.customers, 10);
        }
        assert!(r.expected_calibration_error < 1e-6);
        // Brier by hand: each group contributes p(1-p) on average.
        let expected = [0.1, 0.3, 0.5, 0.7, 0.9]
            .iter()
            .map(|p| p * (1.0 - p))
            .sum::<f64>()
            / 5.0;
        assert!(close(r.brier, expected, 1e-6));
    }

    #[test]
    fn brier_of_certain_answers() {
        assert_eq!(brier_score(&[1.0, 0.0], &[1.0, 0.0]).unwrap(), 0.0);
        assert_eq!(brier_score(&[0.0, 1.0], &[1.0, 0.0]).unwrap(), 1.0);
        assert_eq!(brier_score(&[0.5, 0.5], &[1.0, 0.0]).unwrap(), 0.25);
    }

    #[test]
    fn platt_leaves_calibrated_scores_nearly_alone_and_fixes_overconfident_ones() {
        let (s, y) = calibrated();
        let c = Calibrator::fit(CalibrationMethod::Platt, &s, &y).unwrap();
        for p in [0.1, 0.5, 0.9] {
            assert!(close(c.apply(p), p, 0.05), "{p} -> {}", c.apply(p));
        }
        // Overconfident: the same outcomes scored at 0.01 … 0.99.
        let over: Vec<f32> = s
            .iter()
            .map(|&p| {
                if p < 0.5 {
                    p / 10.0
                } else if p > 0.5 {
                    1.0 - (1.0 - p) / 10.0
                } else {
                    p
                }
            })
            .collect();
        let before = brier_score(&over, &y).unwrap();
        let c = Calibrator::fit(CalibrationMethod::Platt, &over, &y).unwrap();
        let after = brier_score(&c.apply_all(&over), &y).unwrap();
        assert!(after < before, "Brier {before} -> {after}");
        let Calibrator::Platt { a, .. } = c else {
            panic!("Platt expected")
        };
        assert!(a < 0.0, "a higher score still means a higher probability");
    }

    #[test]
    fn isotonic_pools_violators_by_hand() {
        // Sorted by score: outcomes 0, 1, 0, 1, 1 -> blocks 0 | (1, 0) -> 0.5 | 1.
        let s = [0.1, 0.2, 0.3, 0.4, 0.5];
        let y = [0.0, 1.0, 0.0, 1.0, 1.0];
        let c = Calibrator::fit(CalibrationMethod::Isotonic, &s, &y).unwrap();
        let Calibrator::Isotonic { x, y: fitted } = &c else {
            panic!("isotonic expected")
        };
        assert_eq!(fitted.len(), x.len());
        assert!(close(c.apply(0.1), 0.0, 1e-6));
        assert!(close(c.apply(0.2), 0.5, 1e-6));
        assert!(close(c.apply(0.3), 0.5, 1e-6));
        assert!(close(c.apply(0.25), 0.5, 1e-6));
        assert!(close(c.apply(0.45), 1.0, 1e-6));
        assert!(
            close(c.apply(0.15), 0.25, 1e-6),
            "interpolated between knots"
        );
        assert!(
            close(c.apply(0.0), 0.0, 1e-9) && close(c.apply(1.0), 1.0, 1e-9),
            "clipped"
        );
        assert!(fitted.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn one_class_cannot_be_calibrated() {
        assert_eq!(
            Calibrator::fit(CalibrationMethod::Isotonic, &[0.2, 0.4], &[1.0, 1.0]),
            Err(InsightError::OneClass)
        );
    }
}
