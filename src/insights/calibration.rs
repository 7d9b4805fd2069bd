//! Are the scores real probabilities? The reliability (calibration) plot,
//! the Brier score, and two calibration maps fitted on validation rows and
//! saved with a model.
//!
//! Platt scaling and isotonic regression, which the model file applies, live
//! in [`crate::model::calibration`] (below the insights) and are re-exported
//! here; the tests below hold them to hand computations.

use serde::Serialize;

use super::{InsightError, check_scores, is_positive};
pub use crate::model::calibration::{CalibrationError, CalibrationMethod, Calibrator};

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
            Err(CalibrationError::OneClass)
        );
    }
}
