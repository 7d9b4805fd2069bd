//! Classification and regression metrics on plain slices (no Burn).
//!
//! Degenerate inputs never divide by zero; the conventions are:
//! - a ratio whose denominator is zero is `0.0` (accuracy of no rows,
//!   precision when nothing is predicted positive, recall when no row is
//!   positive, F1 when precision + recall is zero);
//! - AUC is `None` (and the ROC curve empty) unless both classes occur: the
//!   ROC curve is undefined with no positives or no negatives;
//! - R² is `None` when the targets are constant (or there are none), since the
//!   total sum of squares is zero; MAE and RMSE of no rows are `0.0`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub mod multiclass;

pub use multiclass::MulticlassMetrics;

/// The inputs of a metric do not line up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetricsError {
    #[error("{predictions} predictions but {targets} targets; they must match one to one")]
    LengthMismatch { predictions: usize, targets: usize },
}

/// Binary classification quality at one decision threshold, plus the
/// threshold-free ROC curve and its AUC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationMetrics {
    /// A row is predicted positive when its probability is `>= threshold`.
    pub threshold: f64,
    /// `[[true negatives, false positives], [false negatives, true positives]]`:
    /// rows are the actual class, columns the predicted class.
    pub confusion: [[u64; 2]; 2],
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Area under the ROC curve; `None` when only one class is present.
    pub auc: Option<f64>,
    /// ROC points `(false positive rate, true positive rate)` from `(0, 0)` to
    /// `(1, 1)`, one per distinct score; empty when `auc` is `None`.
    pub roc: Vec<(f64, f64)>,
}

impl ClassificationMetrics {
    /// Whether precision is defined: some row was predicted positive. When
    /// none was, `precision` holds 0 but means "undefined" (0/0), and the
    /// user should look at the threshold rather than read it as a score.
    pub fn precision_defined(&self) -> bool {
        let [_, [_, tp]] = self.confusion;
        let [[_, fp], _] = self.confusion;
        tp + fp > 0
    }

    /// Precision, or `None` when nothing was predicted positive.
    pub fn precision_if_defined(&self) -> Option<f64> {
        self.precision_defined().then_some(self.precision)
    }

    /// Metrics for `probabilities` against `labels` (a label `>= 0.5` is the
    /// positive class, so both 0/1 floats and probabilities work).
    pub fn compute(
        probabilities: &[f32],
        labels: &[f32],
        threshold: f64,
    ) -> Result<Self, MetricsError> {
        check_lengths(probabilities.len(), labels.len())?;
        let mut confusion = [[0u64; 2]; 2];
        for (&p, &y) in probabilities.iter().zip(labels) {
            let actual = usize::from(is_positive(y));
            let predicted = usize::from(f64::from(p) >= threshold);
            confusion[actual][predicted] += 1;
        }
        let [[tn, fp], [fn_, tp]] = confusion;
        let precision = ratio(tp, tp + fp);
        let recall = ratio(tp, tp + fn_);
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        let (roc, auc) = match roc_curve(probabilities, labels) {
            Some(roc) => {
                let auc = trapezoid(&roc);
                (roc, Some(auc))
            }
            None => (Vec::new(), None),
        };
        Ok(Self {
            threshold,
            confusion,
            accuracy: ratio(tp + tn, tn + fp + fn_ + tp),
            precision,
            recall,
            f1,
            auc,
            roc,
        })
    }
}

/// Regression quality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    pub mae: f64,
    pub rmse: f64,
    /// Coefficient of determination; `None` for constant (or no) targets.
    pub r2: Option<f64>,
}

impl RegressionMetrics {
    /// Metrics for `predictions` against `targets`, accumulated in f64.
    pub fn compute(predictions: &[f32], targets: &[f32]) -> Result<Self, MetricsError> {
        check_lengths(predictions.len(), targets.len())?;
        let n = targets.len();
        if n == 0 {
            return Ok(Self {
                mae: 0.0,
                rmse: 0.0,
                r2: None,
            });
        }
        let count = n as f64;
        let mean = targets.iter().map(|&t| f64::from(t)).sum::<f64>() / count;
        let (mut abs_sum, mut sq_sum, mut total_sq) = (0.0, 0.0, 0.0);
        for (&p, &t) in predictions.iter().zip(targets) {
            let error = f64::from(p) - f64::from(t);
            abs_sum += error.abs();
            sq_sum += error * error;
            let spread = f64::from(t) - mean;
            total_sq += spread * spread;
        }
        Ok(Self {
            mae: abs_sum / count,
            rmse: (sq_sum / count).sqrt(),
            r2: (total_sq > 0.0).then(|| 1.0 - sq_sum / total_sq),
        })
    }
}

fn check_lengths(predictions: usize, targets: usize) -> Result<(), MetricsError> {
    if predictions == targets {
        Ok(())
    } else {
        Err(MetricsError::LengthMismatch {
            predictions,
            targets,
        })
    }
}

fn is_positive(label: f32) -> bool {
    label >= 0.5
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// ROC points sweeping the threshold from above the highest score down.
/// Rows with equal scores are crossed in one step, so ties give a diagonal
/// segment (half credit in the AUC) rather than an order-dependent staircase.
fn roc_curve(scores: &[f32], labels: &[f32]) -> Option<Vec<(f64, f64)>> {
    let positives = labels.iter().filter(|&&y| is_positive(y)).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    // (score, label) pairs sorted in place, highest first: no index
    // indirection, so a window's 200,000 test rows sort in a few
    // milliseconds. total_cmp: a NaN score sorts instead of panicking; the
    // order within ties does not matter (they are crossed in one step).
    let mut order: Vec<(f32, bool)> = scores
        .iter()
        .zip(labels)
        .map(|(&s, &y)| (s, is_positive(y)))
        .collect();
    order.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let mut roc = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut i = 0;
    while i < order.len() {
        let score = order[i].0;
        while i < order.len() && order[i].0.total_cmp(&score).is_eq() {
            if order[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        roc.push((fp as f64 / negatives as f64, tp as f64 / positives as f64));
    }
    Some(roc)
}

fn trapezoid(points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0)
        .sum()
}

/// The decision threshold that maximises F1 on `probabilities` against
/// `labels` (a label `>= 0.5` is positive), and that F1.
///
/// Every cut between two distinct scores is tried: rows scoring at or above
/// it are predicted positive. The threshold returned lies halfway between
/// the lowest score predicted positive and the next lower score (half the
/// lowest score when every row is predicted positive), so it separates the
/// same rows on these data while not sitting on a score. Ties in F1 keep
/// the higher threshold (fewer customers contacted). `None` when there is
/// no positive label or no row.
pub fn best_f1_threshold(probabilities: &[f32], labels: &[f32]) -> Option<(f64, f64)> {
    let positives = labels.iter().filter(|&&y| is_positive(y)).count();
    if positives == 0 || probabilities.len() != labels.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut best: Option<(f64, f64)> = None;
    let mut i = 0;
    while i < order.len() {
        let score = probabilities[order[i]];
        // Every row with this score goes to the positive side together.
        while i < order.len() && probabilities[order[i]] == score {
            if is_positive(labels[order[i]]) {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        let f1 = 2.0 * tp as f64 / (2 * tp + fp + (positives - tp)) as f64;
        let next = order.get(i).map_or(0.0, |&r| f64::from(probabilities[r]));
        let threshold = (f64::from(score) + next) / 2.0;
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((threshold, f1));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_classification() {
        // scores:  0.9 0.8 0.7 0.6 0.55 0.4 0.3 0.1
        // labels:  1   1   0   1   0    1   0   0
        let p = [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.3, 0.1];
        let y = [1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0];
        let m = ClassificationMetrics::compute(&p, &y, 0.5).unwrap();
        // predicted positive: first five -> tp 3, fp 2; negatives: fn 1, tn 2
        assert_eq!(m.confusion, [[2, 2], [1, 3]]);
        assert!(close(m.accuracy, 5.0 / 8.0));
        assert!(close(m.precision, 3.0 / 5.0));
        assert!(close(m.recall, 3.0 / 4.0));
        assert!(close(m.f1, 2.0 * 0.6 * 0.75 / 1.35));
        // Pairs (pos, neg) ranked correctly: pos 0.9 beats 4, 0.8 beats 4,
        // 0.6 beats 3, 0.4 beats 2 -> 13 of 16.
        assert!(close(m.auc.unwrap(), 13.0 / 16.0));
        assert_eq!(m.roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(m.roc.last(), Some(&(1.0, 1.0)));
        assert_eq!(m.roc.len(), 9);
    }

    #[test]
    fn ties_get_half_credit() {
        // One positive and one negative with the same score: AUC 0.5,
        // whatever order they arrive in.
        for (p, y) in [([0.5, 0.5], [1.0, 0.0]), ([0.5, 0.5], [0.0, 1.0])] {
            let m = ClassificationMetrics::compute(&p, &y, 0.5).unwrap();
            assert!(close(m.auc.unwrap(), 0.5));
            assert_eq!(m.roc, vec![(0.0, 0.0), (1.0, 1.0)]);
        }
        // Perfect separation with a tie inside one class is still 1.
        let m = ClassificationMetrics::compute(&[0.9, 0.9, 0.2], &[1.0, 1.0, 0.0], 0.5).unwrap();
        assert!(close(m.auc.unwrap(), 1.0));
    }

    #[test]
    fn nothing_predicted_positive() {
        let m = ClassificationMetrics::compute(&[0.1, 0.2, 0.3], &[0.0, 0.0, 1.0], 0.5).unwrap();
        assert_eq!(m.confusion, [[2, 0], [1, 0]]);
        // The ranking is still perfect even though the threshold misses it.
        assert_eq!(m.precision, 0.0);
        assert_eq!(m.recall, 0.0);
        assert_eq!(m.f1, 0.0);
        assert!(close(m.accuracy, 2.0 / 3.0));
        assert!(close(m.auc.unwrap(), 1.0));
    }

    #[test]
    fn one_class_only_has_no_auc() {
        let m = ClassificationMetrics::compute(&[0.8, 0.3], &[1.0, 1.0], 0.5).unwrap();
        assert_eq!(m.auc, None);
        assert!(m.roc.is_empty());
        assert_eq!(m.recall, 0.5);
        assert_eq!(m.precision, 1.0);
        let m = ClassificationMetrics::compute(&[0.8, 0.3], &[0.0, 0.0], 0.5).unwrap();
        assert_eq!(m.auc, None);
        assert_eq!(m.recall, 0.0);
    }

    #[test]
    fn empty_classification() {
        let m = ClassificationMetrics::compute(&[], &[], 0.5).unwrap();
        assert_eq!(m.confusion, [[0, 0], [0, 0]]);
        assert_eq!(m.accuracy, 0.0);
        assert_eq!(m.f1, 0.0);
        assert_eq!(m.auc, None);
    }

    #[test]
    fn nan_scores_do_not_panic() {
        let m = ClassificationMetrics::compute(&[f32::NAN, 0.2], &[1.0, 0.0], 0.5).unwrap();
        assert!(m.auc.is_some());
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let err = ClassificationMetrics::compute(&[0.1], &[], 0.5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "1 predictions but 0 targets; they must match one to one"
        );
        assert!(RegressionMetrics::compute(&[], &[1.0]).is_err());
    }

    #[test]
    fn hand_computed_regression() {
        let m = RegressionMetrics::compute(&[2.0, 3.0, 7.0], &[1.0, 3.0, 5.0]).unwrap();
        // errors 1, 0, 2 -> MAE 1, MSE 5/3; mean target 3, SS_tot 8, SS_res 5
        assert!(close(m.mae, 1.0));
        assert!(close(m.rmse, (5.0f64 / 3.0).sqrt()));
        assert!(close(m.r2.unwrap(), 1.0 - 5.0 / 8.0));
    }

    #[test]
    fn degenerate_regression() {
        let m = RegressionMetrics::compute(&[1.0, 3.0], &[2.0, 2.0]).unwrap();
        assert_eq!(m.r2, None);
        assert!(close(m.mae, 1.0));
        let m = RegressionMetrics::compute(&[], &[]).unwrap();
        assert_eq!((m.mae, m.rmse, m.r2), (0.0, 0.0, None));
    }

    #[test]
    fn best_f1_threshold_is_found_by_hand_and_separates_the_same_rows() {
        // Scores 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.4 (pos), 0.2 (neg).
        // Cuts: {0.9}: F1 = 2/(2+0+2) = 0.5; {0.9,0.8}: 2/(2+1+2) = 0.4;
        // {..0.7}: 4/(4+1+1) = 0.667; {..0.4}: 6/(6+1+0) = 0.857;
        // all: 6/(6+2) = 0.75. Best: cut below 0.4, halfway to 0.2.
        let p = [0.2f32, 0.9, 0.4, 0.8, 0.7];
        let y = [0.0f32, 1.0, 1.0, 0.0, 1.0];
        let (threshold, f1) = best_f1_threshold(&p, &y).unwrap();
        assert!((threshold - 0.3).abs() < 1e-6, "{threshold}");
        assert!((f1 - 6.0 / 7.0).abs() < 1e-12);
        let m = ClassificationMetrics::compute(&p, &y, threshold).unwrap();
        assert!(
            (m.f1 - f1).abs() < 1e-12,
            "the metrics at that threshold agree"
        );
        assert_eq!(best_f1_threshold(&p, &[0.0; 5]), None);
        // Tied scores move together; ties in F1 keep the higher threshold.
        let (t, _) = best_f1_threshold(&[0.6, 0.6, 0.1], &[1.0, 0.0, 0.0]).unwrap();
        assert!((t - 0.35).abs() < 1e-6, "{t}");
    }
}
