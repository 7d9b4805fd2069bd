//! Each view of an [`InsightsReport`] as a CSV file, written the same way by
//! `purchase-lab evaluate --out-dir` and by the window's CSV buttons. The
//! rows of gains, profit and calibration are their `Serialize` structs, so
//! each file's header is the JSON's field names.

use std::path::Path;

use serde::Serialize;
use thiserror::Error;

use super::report::InsightsReport;

/// The five views, in the order the window shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InsightView {
    /// Cumulative gains and lift (its CSV: the decile table).
    Gains,
    Profit,
    Calibration,
    Importance,
    Dependence,
}

impl InsightView {
    pub const ALL: [InsightView; 5] = [
        InsightView::Gains,
        InsightView::Profit,
        InsightView::Calibration,
        InsightView::Importance,
        InsightView::Dependence,
    ];

    /// The view's name in titles and file names.
    pub fn name(self) -> &'static str {
        match self {
            InsightView::Gains => "gains",
            InsightView::Profit => "profit",
            InsightView::Calibration => "calibration",
            InsightView::Importance => "importance",
            InsightView::Dependence => "dependence",
        }
    }

    /// The CSV file `evaluate --out-dir` writes for the view (and the
    /// window's suggested name).
    pub fn csv_name(self) -> &'static str {
        match self {
            InsightView::Gains => "deciles.csv",
            InsightView::Profit => "profit.csv",
            InsightView::Calibration => "calibration.csv",
            InsightView::Importance => "importance.csv",
            InsightView::Dependence => "dependence.csv",
        }
    }

    /// Its position in [`InsightView::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("cannot write `{path}`: {message}")]
    Write { path: String, message: String },
    /// Gains, profit and calibration need a classification model.
    #[error("there is no {0} view for this model")]
    NoView(&'static str),
}

impl InsightsReport {
    /// Writes `view` as CSV to `path`.
    ///
    /// # Errors
    /// [`ExportError::NoView`] for a classification view of a regression
    /// model; [`ExportError::Write`] when the file cannot be written.
    pub fn write_csv(&self, view: InsightView, path: &Path) -> Result<(), ExportError> {
        let none = || ExportError::NoView(view.name());
        match view {
            InsightView::Gains => write_rows(path, &self.gains.as_ref().ok_or_else(none)?.deciles),
            InsightView::Profit => write_rows(path, &self.profit.as_ref().ok_or_else(none)?.points),
            InsightView::Calibration => {
                write_rows(path, &self.calibration.as_ref().ok_or_else(none)?.bins)
            }
            InsightView::Importance => {
                // The per-shuffle drops (a list) stay out of the file.
                let rows: Vec<(&str, f64, f64)> = self
                    .importance
                    .features
                    .iter()
                    .map(|f| (f.column.as_str(), f.mean, f.std))
                    .collect();
                write_table(path, &["column", "mean", "std"], &rows)
            }
            InsightView::Dependence => {
                let d = self.dependence.as_ref().ok_or_else(none)?;
                let rows: Vec<(String, f64)> = d
                    .grid
                    .iter()
                    .zip(&d.average)
                    .map(|(x, &y)| (x.to_string(), y))
                    .collect();
                write_table(path, &[d.feature.as_str(), "average"], &rows)
            }
        }
    }

    /// Writes every view the report has into `dir` (created if needed),
    /// plus the gains curve as `gains.csv`.
    ///
    /// # Errors
    /// [`ExportError::Write`] when the folder or a file cannot be written.
    pub fn write_all_csv(&self, dir: &Path) -> Result<(), ExportError> {
        std::fs::create_dir_all(dir).map_err(|e| write_error(dir, &e))?;
        if let Some(g) = &self.gains {
            write_rows(&dir.join("gains.csv"), &g.curve)?;
        }
        for view in InsightView::ALL {
            match self.write_csv(view, &dir.join(view.csv_name())) {
                Ok(()) | Err(ExportError::NoView(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn write_error(path: &Path, e: &dyn std::fmt::Display) -> ExportError {
    ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Structs as CSV rows, the header from their field names.
fn write_rows<T: Serialize>(path: &Path, rows: &[T]) -> Result<(), ExportError> {
    let fail = |e: &dyn std::fmt::Display| write_error(path, e);
    let mut w = csv::Writer::from_path(path).map_err(|e| fail(&e))?;
    for row in rows {
        w.serialize(row).map_err(|e| fail(&e))?;
    }
    w.flush().map_err(|e| fail(&e))
}

/// Tuples as CSV rows under `header`.
fn write_table<T: Serialize>(path: &Path, header: &[&str], rows: &[T]) -> Result<(), ExportError> {
    let fail = |e: &dyn std::fmt::Display| write_error(path, e);
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_path(path)
        .map_err(|e| fail(&e))?;
    w.write_record(header).map_err(|e| fail(&e))?;
    for row in rows {
        w.serialize(row).map_err(|e| fail(&e))?;
    }
    w.flush().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::{Column, Table};
    use crate::insights::report::ReportSettings;

    #[test]
    fn each_view_is_written_with_its_numbers_and_regression_refuses_the_others() {
        let t = Table::new(vec![Column::numeric("x", (0..40).map(f64::from).collect())]).unwrap();
        let model = |t: &Table| -> Result<Vec<f32>, String> {
            Ok((0..t.n_rows()).map(|i| i as f32 / 40.0).collect())
        };
        let labels: Vec<f32> = (0..40)
            .map(|i| if i % 3 == 0 { 1.0 } else { 0.0 })
            .collect();
        let columns = vec!["x".to_string()];
        let settings = ReportSettings::default();
        let r = InsightsReport::compute(&t, &labels, &columns, true, model, &settings).unwrap();
        let dir = tempfile::tempdir().unwrap();
        r.write_all_csv(dir.path()).unwrap();
        let deciles = std::fs::read_to_string(dir.path().join("deciles.csv")).unwrap();
        assert!(deciles.starts_with("decile,customers,buyers,response_rate,lift,"));
        assert_eq!(deciles.lines().count(), 11);
        let first: Vec<&str> = deciles.lines().nth(1).unwrap().split(',').collect();
        let d = &r.gains.as_ref().unwrap().deciles[0];
        assert_eq!(first[2].parse::<f64>().unwrap(), d.buyers);
        for view in InsightView::ALL {
            assert!(dir.path().join(view.csv_name()).exists(), "{view:?}");
        }
        let profit = std::fs::read_to_string(dir.path().join("profit.csv")).unwrap();
        assert_eq!(
            profit.lines().count(),
            r.profit.as_ref().unwrap().points.len() + 1
        );

        let r = InsightsReport::compute(&t, &labels, &columns, false, model, &settings).unwrap();
        let path = dir.path().join("g.csv");
        assert!(matches!(
            r.write_csv(InsightView::Gains, &path),
            Err(ExportError::NoView("gains"))
        ));
        r.write_csv(InsightView::Importance, &path).unwrap();
        let bad = dir.path().join("no/such/dir/i.csv");
        assert!(matches!(
            r.write_csv(InsightView::Importance, &bad),
            Err(ExportError::Write { .. })
        ));
    }
}
