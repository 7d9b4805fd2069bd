//! Permutation feature importance on the original columns (not their
//! one-hot pieces): how much a metric worsens when one column's values are
//! shuffled among the customers, breaking its link to the outcome
//! (Breiman 2001, section 10; Fisher, Rudin & Dominici 2019). Works for any
//! model: the model is a closure from a table to one score per row.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{InsightError, score_table};
use crate::data::Table;

/// How many shuffles per column, and the seed that makes them repeatable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportanceSettings {
    /// Shuffles per column (at least 1); the spread over them is reported.
    pub repeats: usize,
    pub seed: u64,
}

impl Default for ImportanceSettings {
    fn default() -> Self {
        ImportanceSettings {
            repeats: 5,
            seed: 0,
        }
    }
}

/// One column's importance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureImportance {
    pub column: String,
    /// Mean worsening of the metric over the shuffles (in the metric's
    /// units; positive: the model relies on the column; about 0: it
    /// ignores it; negative: shuffling happened to help).
    pub mean: f64,
    /// Standard deviation of the worsening over the shuffles (population).
    pub std: f64,
    /// The worsening of each shuffle.
    pub drops: Vec<f64>,
}

/// Importance of every requested column, most important first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Importance {
    /// The metric on the unshuffled table.
    pub baseline: f64,
    pub features: Vec<FeatureImportance>,
}

/// Shuffles each of `columns` in `table` `settings.repeats` times, scores
/// the table with `predict`, and measures the worsening of `metric`
/// (computed from the scores; `higher_is_better` says its direction: true
/// for ROC AUC or accuracy, false for RMSE or log loss).
///
/// # Errors
/// [`InsightError::MissingColumn`] for a column not in the table,
/// [`InsightError::Model`] when `predict` fails, and
/// [`InsightError::ScoreCount`] when it returns the wrong number of scores.
pub fn permutation_importance<P, E>(
    table: &Table,
    columns: &[String],
    predict: P,
    metric: impl Fn(&[f32]) -> f64,
    higher_is_better: bool,
    settings: ImportanceSettings,
) -> Result<Importance, InsightError>
where
    P: Fn(&Table) -> Result<Vec<f32>, E>,
    E: std::fmt::Display,
{
    let score = |t: &Table| -> Result<f64, InsightError> { Ok(metric(&score_table(&predict, t)?)) };
    let baseline = score(table)?;
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    let mut features = Vec::with_capacity(columns.len());
    for name in columns {
        let column = table
            .column(name)
            .ok_or_else(|| InsightError::MissingColumn(name.clone()))?;
        let mut drops = Vec::with_capacity(settings.repeats.max(1));
        for _ in 0..settings.repeats.max(1) {
            let mut order: Vec<usize> = (0..table.n_rows()).collect();
            order.shuffle(&mut rng);
            let shuffled = table
                .with_column(column.take(&order))
                .map_err(|e| InsightError::Model(e.to_string()))?;
            let value = score(&shuffled)?;
            drops.push(if higher_is_better {
                baseline - value
            } else {
                value - baseline
            });
        }
        let n = drops.len() as f64;
        let mean = drops.iter().sum::<f64>() / n;
        let std = (drops.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n).sqrt();
        features.push(FeatureImportance {
            column: name.clone(),
            mean,
            std,
            drops,
        });
    }
    features.sort_by(|a, b| b.mean.total_cmp(&a.mean));
    Ok(Importance { baseline, features })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{Column, ColumnData};

    /// 200 customers with `signal`, `noise` and a `plan` category.
    fn table() -> (Table, Vec<f32>) {
        let signal: Vec<f64> = (0..200).map(|i| f64::from(i % 17) / 16.0).collect();
        let noise: Vec<f64> = (0..200).map(|i| f64::from((i * 7) % 13)).collect();
        let plans: Vec<Option<&str>> = (0..200)
            .map(|i| Some(if i % 3 == 0 { "gold" } else { "basic" }))
            .collect();
        let t = Table::new(vec![
            Column::numeric("signal", signal),
            Column::numeric("noise", noise),
            Column::categorical("plan", &plans),
        ])
        .unwrap();
        // The outcome is what the model says: a baseline accuracy of 1.
        let labels = model(&t)
            .unwrap()
            .iter()
            .map(|&s| if s >= 0.5 { 1.0 } else { 0.0 })
            .collect();
        (t, labels)
    }

    /// A model that reads `signal` and, a little, `plan`; never `noise`.
    fn model(t: &Table) -> Result<Vec<f32>, String> {
        let Some(ColumnData::Numeric(signal)) = t.column("signal").map(|c| &c.data) else {
            return Err("no numeric signal".into());
        };
        let plan = t.column("plan").ok_or("no plan")?;
        Ok((0..t.n_rows())
            .map(|r| {
                let s = signal[r] as f32;
                let gold = plan.text(r).is_some_and(|p| p == "gold");
                s * 0.9 + if gold { 0.1 } else { 0.0 }
            })
            .collect())
    }

    fn accuracy(labels: &[f32]) -> impl Fn(&[f32]) -> f64 + '_ {
        move |scores: &[f32]| {
            let right = scores
                .iter()
                .zip(labels)
                .filter(|(s, y)| (**s >= 0.5) == (**y >= 0.5))
                .count();
            right as f64 / labels.len() as f64
        }
    }

    #[test]
    fn a_feature_the_model_ignores_has_no_importance() {
        let (t, labels) = table();
        let columns = vec![
            "noise".to_string(),
            "signal".to_string(),
            "plan".to_string(),
        ];
        let importance = || {
            permutation_importance(
                &t,
                &columns,
                model,
                accuracy(&labels),
                true,
                ImportanceSettings::default(),
            )
            .unwrap()
        };
        let imp = importance();
        assert_eq!(imp.baseline, 1.0);
        assert_eq!(imp.features[0].column, "signal", "{imp:?}");
        assert!(imp.features[0].mean > 0.2);
        let noise = imp.features.iter().find(|f| f.column == "noise").unwrap();
        assert_eq!((noise.mean, noise.std), (0.0, 0.0));
        assert_eq!(noise.drops.len(), 5);
        // Same seed, same numbers.
        let again = importance();
        assert_eq!(imp, again);
    }

    #[test]
    fn an_unknown_column_or_a_failing_model_is_an_error() {
        let (t, labels) = table();
        let importance_of = |column: &str, predict: fn(&Table) -> Result<Vec<f32>, String>| {
            let columns = [column.to_string()];
            permutation_importance(
                &t,
                &columns,
                predict,
                accuracy(&labels),
                true,
                ImportanceSettings::default(),
            )
        };
        assert_eq!(
            importance_of("age", model),
            Err(InsightError::MissingColumn("age".into()))
        );
        let failing = |_: &Table| -> Result<Vec<f32>, String> { Err("the device was lost".into()) };
        assert_eq!(
            importance_of("noise", failing),
            Err(InsightError::Model("the device was lost".into()))
        );
    }
}
