//! All five views of one scored set at once, as `purchase-lab evaluate`
//! prints them and the window's Insights area draws them: one function, so
//! the CLI and the window show the same numbers for the same model, rows
//! and settings.

use serde::Serialize;

use super::InsightError;
use super::calibration::Reliability;
use super::dependence::{Dependence, DependenceSettings, partial_dependence};
use super::gains::Gains;
use super::importance::{Importance, ImportanceSettings, permutation_importance};
use super::profit::{CampaignEconomics, ProfitCurve};
use crate::data::Table;
use crate::data::table::ColumnKind;
use crate::model::bundle::LoadedModel;
use crate::model::metrics::{ClassificationMetrics, RegressionMetrics};

/// What the views are computed with.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    /// The profit curve's values and costs.
    pub economics: CampaignEconomics,
    /// Equal-width bins of the reliability plot.
    pub bins: usize,
    /// Shuffles per column for permutation importance.
    pub repeats: usize,
    /// The partial dependence's feature; `None`: the most important
    /// numeric column (the first column when none is numeric).
    pub feature: Option<String>,
    /// Seeds the shuffles and the customers drawn for the ICE curves.
    pub seed: u64,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            economics: CampaignEconomics::default(),
            bins: 10,
            repeats: ImportanceSettings::default().repeats,
            feature: None,
            seed: 0,
        }
    }
}

/// The views of one model on one set of customers with known outcomes.
/// Gains, profit and calibration exist for classification only.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InsightsReport {
    pub rows: usize,
    /// The metric importance is measured in (`auc` or `rmse`).
    pub metric: &'static str,
    /// That metric on the customers (NaN when undefined, e.g. one class).
    pub score: f64,
    pub gains: Option<Gains>,
    pub profit: Option<ProfitCurve>,
    pub calibration: Option<Reliability>,
    pub importance: Importance,
    pub dependence: Option<Dependence>,
    /// The scores and outcomes the views were computed from, so a view can
    /// be recomputed with new inputs (the profit curve's costs) without
    /// scoring again; not part of the JSON.
    #[serde(skip)]
    pub scores: Vec<f32>,
    #[serde(skip)]
    pub labels: Vec<f32>,
}

impl InsightsReport {
    /// Scores `table` with `predict` and computes every view against
    /// `labels` (1/0 for classification, target values for regression).
    /// Importance is measured on `columns` (the model's original input
    /// columns), in ROC AUC for classification and RMSE for regression.
    ///
    /// # Errors
    /// [`InsightError`] when the model fails or returns the wrong number of
    /// scores, a score is not finite, or a column is missing.
    pub fn compute<P, E>(
        table: &Table,
        labels: &[f32],
        columns: &[String],
        classification: bool,
        predict: P,
        settings: &ReportSettings,
    ) -> Result<InsightsReport, InsightError>
    where
        P: Fn(&Table) -> Result<Vec<f32>, E>,
        E: std::fmt::Display,
    {
        let scores = super::score_table(&predict, table)?;
        super::check_scores(&scores, labels)?;
        let measure = |s: &[f32]| -> f64 {
            if classification {
                ClassificationMetrics::compute(s, labels, 0.5)
                    .ok()
                    .and_then(|m| m.auc)
                    .unwrap_or(f64::NAN)
            } else {
                RegressionMetrics::compute(s, labels).map_or(f64::NAN, |m| m.rmse)
            }
        };
        let importance = permutation_importance(
            table,
            columns,
            &predict,
            measure,
            classification,
            ImportanceSettings {
                repeats: settings.repeats,
                seed: settings.seed,
            },
        )?;
        let feature = settings
            .feature
            .clone()
            .or_else(|| default_feature(table, &importance));
        let dependence = match &feature {
            Some(f) => Some(partial_dependence(
                table,
                f,
                &predict,
                DependenceSettings {
                    seed: settings.seed,
                    ..DependenceSettings::default()
                },
            )?),
            None => None,
        };
        let (gains, profit, calibration) = if classification {
            (
                Gains::compute(&scores, labels).ok(),
                Some(ProfitCurve::compute(&scores, labels, settings.economics)?),
                Some(Reliability::compute(&scores, labels, settings.bins)?),
            )
        } else {
            (None, None, None)
        };
        Ok(InsightsReport {
            rows: labels.len(),
            metric: if classification { "auc" } else { "rmse" },
            score: measure(&scores),
            gains,
            profit,
            calibration,
            importance,
            dependence,
            scores,
            labels: labels.to_vec(),
        })
    }

    /// The views of a saved model on `table`: importance on the model's
    /// input columns, gains, profit and calibration when it classifies.
    ///
    /// # Errors
    /// As [`compute`](Self::compute).
    pub fn of_model(
        model: &LoadedModel,
        table: &Table,
        labels: &[f32],
        settings: &ReportSettings,
    ) -> Result<InsightsReport, InsightError> {
        let pipeline = &model.meta.pipeline;
        let columns: Vec<String> = pipeline.input_columns().map(str::to_owned).collect();
        let classification = pipeline.encoding.class_names().is_some();
        let predict = |t: &Table| model.predict_table(t);
        Self::compute(table, labels, &columns, classification, predict, settings)
    }

    /// The profit curve again with other values and costs (same scores).
    ///
    /// # Errors
    /// As [`ProfitCurve::compute`]; `None` for regression.
    pub fn profit_with(
        &self,
        economics: CampaignEconomics,
    ) -> Option<Result<ProfitCurve, InsightError>> {
        self.profit
            .as_ref()
            .map(|_| ProfitCurve::compute(&self.scores, &self.labels, economics))
    }
}

/// The most important numeric column, else the most important one.
fn default_feature(table: &Table, importance: &Importance) -> Option<String> {
    let numeric = importance.features.iter().find(|f| {
        table
            .column(&f.column)
            .is_some_and(|c| c.kind() == ColumnKind::Numeric)
    });
    numeric
        .or_else(|| importance.features.first())
        .map(|f| f.column.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{Column, ColumnData};

    /// 200 customers; `signal` decides, `noise` never matters.
    fn table() -> Table {
        let signal: Vec<f64> = (0..200).map(|i| f64::from(i % 20) / 19.0).collect();
        let noise: Vec<f64> = (0..200).map(|i| f64::from((i * 7) % 13)).collect();
        Table::new(vec![
            Column::numeric("noise", noise),
            Column::numeric("signal", signal),
        ])
        .unwrap()
    }

    fn model(t: &Table) -> Result<Vec<f32>, String> {
        match t.column("signal").map(|c| &c.data) {
            Some(ColumnData::Numeric(v)) => Ok(v.iter().map(|&s| s as f32).collect()),
            _ => Err("no signal".into()),
        }
    }

    #[test]
    fn the_report_holds_every_view_and_agrees_with_each_computed_alone() {
        let t = table();
        let scores = model(&t).unwrap();
        // Buyers: the upper half of signal, plus a few surprises.
        let labels: Vec<f32> = scores
            .iter()
            .enumerate()
            .map(|(i, &s)| if s >= 0.5 || i % 17 == 0 { 1.0 } else { 0.0 })
            .collect();
        let columns = vec!["noise".to_string(), "signal".to_string()];
        let settings = ReportSettings::default();
        let r = InsightsReport::compute(&t, &labels, &columns, true, model, &settings).unwrap();
        assert_eq!((r.rows, r.metric), (200, "auc"));
        assert_eq!(r.gains, Gains::compute(&scores, &labels).ok());
        assert_eq!(
            r.profit,
            Some(ProfitCurve::compute(&scores, &labels, settings.economics).unwrap())
        );
        assert_eq!(
            r.calibration,
            Some(Reliability::compute(&scores, &labels, 10).unwrap())
        );
        assert_eq!(r.importance.features[0].column, "signal");
        let noise = &r.importance.features[1];
        assert_eq!((noise.mean, noise.std), (0.0, 0.0));
        // The dependence defaults to the most important numeric column.
        assert_eq!(r.dependence.as_ref().unwrap().feature, "signal");
        // New costs: the same curve as computed from scratch.
        let dear = CampaignEconomics {
            cost_per_contact: 60.0,
            ..CampaignEconomics::default()
        };
        assert_eq!(
            r.profit_with(dear).unwrap().unwrap(),
            ProfitCurve::compute(&scores, &labels, dear).unwrap()
        );
    }

    #[test]
    fn regression_has_no_classification_views_and_errors_are_named() {
        let t = table();
        let values: Vec<f32> = model(&t).unwrap().iter().map(|s| s * 3.0).collect();
        let columns = vec!["signal".to_string()];
        let settings = ReportSettings {
            feature: Some("noise".into()),
            ..ReportSettings::default()
        };
        let r = InsightsReport::compute(&t, &values, &columns, false, model, &settings).unwrap();
        assert_eq!(r.metric, "rmse");
        assert!(r.gains.is_none() && r.profit.is_none() && r.calibration.is_none());
        assert!(r.profit_with(CampaignEconomics::default()).is_none());
        assert_eq!(r.dependence.unwrap().feature, "noise");
        let short = vec![1.0; 3];
        assert_eq!(
            InsightsReport::compute(&t, &short, &columns, true, model, &settings),
            Err(InsightError::LengthMismatch {
                scores: 200,
                labels: 3
            })
        );
    }
}
