//! Multi-class metrics on plain slices (no Burn), with scikit-learn's
//! definitions so the figures can be checked against it:
//!
//! - the predicted class is the most probable one, the first on a tie
//!   (`numpy.argmax`);
//! - `confusion[actual][predicted]` counts rows (`confusion_matrix`);
//! - per class, precision `TP / (TP + FP)`, recall `TP / (TP + FN)` and F1
//!   their harmonic mean, 0 where a denominator is 0
//!   (`precision_recall_fscore_support`, `zero_division=0`); the macro
//!   average is the plain mean over classes, the weighted one weights each
//!   class by its support (rows of that class), and macro F1 is the mean of
//!   the per-class F1s, not the F1 of the macro precision and recall;
//! - log loss is the mean of `-ln p(true class)`, each probability clipped
//!   to `[1e-15, 1 - 1e-15]` (`log_loss` with its former `eps=1e-15`);
//! - each class's ROC curve and AUC is one-vs-rest (the class against all
//!   others, scored by its probability); the macro AUC is their plain mean
//!   (`roc_auc_score(multi_class="ovr", average="macro")`), `None` when some
//!   class's AUC is undefined (no row of it, or only rows of it), where
//!   scikit-learn raises an error.

use serde::{Deserialize, Serialize};

use super::{MetricsError, check_lengths, roc_curve, trapezoid};

/// Smallest probability log loss takes the logarithm of.
const LOG_LOSS_CLIP: f64 = 1e-15;

/// One class's figures, one-vs-rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassFigures {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Rows whose true class this is.
    pub support: u64,
    /// One-vs-rest area under the ROC curve; `None` when the rows hold
    /// none of this class, or nothing else.
    pub auc: Option<f64>,
    /// One-vs-rest ROC points `(false positive rate, true positive rate)`;
    /// empty when `auc` is `None`.
    pub roc: Vec<(f64, f64)>,
}

/// Precision, recall and F1 averaged over classes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Averages {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Multi-class quality of class probabilities against true classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MulticlassMetrics {
    /// Class labels, in output order.
    pub classes: Vec<String>,
    /// `confusion[actual][predicted]`: rows counted by true class (row) and
    /// most probable class (column), `classes × classes`.
    pub confusion: Vec<Vec<u64>>,
    pub accuracy: f64,
    /// Mean cross-entropy of the true classes' probabilities.
    pub log_loss: f64,
    /// One entry per class, in `classes` order.
    pub per_class: Vec<ClassFigures>,
    /// The plain mean over classes.
    pub macro_avg: Averages,
    /// The mean over classes weighted by support.
    pub weighted_avg: Averages,
    /// The mean one-vs-rest AUC; `None` unless every class's is defined.
    pub macro_auc: Option<f64>,
}

impl MulticlassMetrics {
    /// Metrics for `probabilities` (row-major `rows × classes.len()`, each
    /// row a distribution) against `labels` (each row's class index).
    /// Errors: a probability count that is not `labels.len() × classes`.
    /// A label outside the classes counts as a row of no class: it is wrong
    /// whatever is predicted, and adds to no class's support.
    pub fn compute(
        probabilities: &[f32],
        labels: &[f32],
        classes: &[String],
    ) -> Result<Self, MetricsError> {
        let k = classes.len().max(1);
        check_lengths(probabilities.len(), labels.len() * k)?;
        let mut confusion = vec![vec![0u64; classes.len()]; classes.len()];
        let mut correct = 0u64;
        let mut log_loss = 0.0;
        for (row, &label) in probabilities.chunks_exact(k).zip(labels) {
            let predicted = argmax(row);
            let actual = label as usize;
            if let Some(cells) = confusion.get_mut(actual) {
                cells[predicted] += 1;
                correct += u64::from(actual == predicted);
            }
            let p = row
                .get(actual)
                .map_or(0.0, |&p| f64::from(p))
                .clamp(LOG_LOSS_CLIP, 1.0 - LOG_LOSS_CLIP);
            log_loss -= p.ln();
        }
        let n = labels.len();
        let per_class: Vec<ClassFigures> = (0..classes.len())
            .map(|c| class_figures(&confusion, probabilities, labels, k, c))
            .collect();
        let total_support: u64 = per_class.iter().map(|f| f.support).sum();
        let average = |weight: &dyn Fn(&ClassFigures) -> f64, total: f64| Averages {
            precision: mean_by(&per_class, |f| f.precision, weight, total),
            recall: mean_by(&per_class, |f| f.recall, weight, total),
            f1: mean_by(&per_class, |f| f.f1, weight, total),
        };
        let macro_avg = average(&|_| 1.0, per_class.len() as f64);
        let weighted_avg = average(&|f| f.support as f64, total_support as f64);
        let macro_auc = per_class
            .iter()
            .map(|f| f.auc)
            .collect::<Option<Vec<f64>>>()
            .filter(|aucs| !aucs.is_empty())
            .map(|aucs| aucs.iter().sum::<f64>() / aucs.len() as f64);
        Ok(Self {
            classes: classes.to_vec(),
            confusion,
            accuracy: if n == 0 {
                0.0
            } else {
                correct as f64 / n as f64
            },
            log_loss: if n == 0 { 0.0 } else { log_loss / n as f64 },
            per_class,
            macro_avg,
            weighted_avg,
            macro_auc,
        })
    }

    /// Each confusion row as shares of its true class's rows (a row of a
    /// class with no rows is all 0).
    pub fn row_shares(&self) -> Vec<Vec<f64>> {
        self.confusion
            .iter()
            .map(|row| {
                let total: u64 = row.iter().sum();
                row.iter()
                    .map(|&c| {
                        if total == 0 {
                            0.0
                        } else {
                            c as f64 / total as f64
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Index of the largest value, the first on a tie (NaN never wins).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] || row[best].is_nan() && !v.is_nan() {
            best = i;
        }
    }
    best
}

fn class_figures(
    confusion: &[Vec<u64>],
    probabilities: &[f32],
    labels: &[f32],
    k: usize,
    c: usize,
) -> ClassFigures {
    let tp = confusion[c][c];
    let support: u64 = confusion[c].iter().sum();
    let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
    let precision = ratio(tp, predicted);
    let recall = ratio(tp, support);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    // One-vs-rest: this class's probability against "is this class".
    let scores: Vec<f32> = probabilities.chunks_exact(k).map(|row| row[c]).collect();
    let is_class: Vec<f32> = labels
        .iter()
        .map(|&y| f32::from(u8::from(y as usize == c && y >= 0.0)))
        .collect();
    let (roc, auc) = match roc_curve(&scores, &is_class) {
        Some(roc) => {
            let auc = trapezoid(&roc);
            (roc, Some(auc))
        }
        None => (Vec::new(), None),
    };
    ClassFigures {
        precision,
        recall,
        f1,
        support,
        auc,
        roc,
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

/// `Σ weight·value / total` over the classes; 0 when `total` is 0.
fn mean_by(
    figures: &[ClassFigures],
    value: impl Fn(&ClassFigures) -> f64,
    weight: &dyn Fn(&ClassFigures) -> f64,
    total: f64,
) -> f64 {
    if total <= 0.0 {
        return 0.0;
    }
    figures.iter().map(|f| weight(f) * value(f)).sum::<f64>() / total
}

#[cfg(test)]
mod tests;
