//! Partial dependence with individual conditional expectation (ICE) curves:
//! a sample of real customers, each scored again with one feature set to
//! every value of a grid; each customer's scores form an ICE curve and
//! their mean is the partial dependence (Friedman 2001, section 8.2;
//! Goldstein et al. 2015 for ICE). The grid follows scikit-learn's
//! `partial_dependence`: the distinct values when there are few, otherwise
//! evenly spaced between the 5th and 95th percentiles; every level of a
//! categorical feature.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::{InsightError, score_table};
use crate::data::Table;
use crate::data::table::{Column, ColumnData, MISSING_CODE};

/// How finely, and over how many customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependenceSettings {
    /// Grid values of a numeric feature (at least 2).
    pub grid_points: usize,
    /// Customers drawn for the individual curves (all when fewer).
    pub sample: usize,
    pub seed: u64,
}

impl Default for DependenceSettings {
    fn default() -> Self {
        DependenceSettings {
            grid_points: 20,
            sample: 50,
            seed: 0,
        }
    }
}

/// A value the feature is set to.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum GridValue {
    Number(f64),
    Level(String),
}

impl std::fmt::Display for GridValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GridValue::Number(v) => write!(f, "{v}"),
            GridValue::Level(l) => f.write_str(l),
        }
    }
}

/// The partial dependence of the score on one feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dependence {
    pub feature: String,
    pub grid: Vec<GridValue>,
    /// Mean score at each grid value (`grid.len()` values).
    pub average: Vec<f64>,
    /// One curve per sampled customer, `grid.len()` scores each.
    pub individual: Vec<Vec<f64>>,
    /// The table rows of the sampled customers, ascending.
    pub rows: Vec<usize>,
}

/// Computes the partial dependence of `predict`'s score on `feature`, with
/// one batched call of `predict` (grid × sample rows).
///
/// # Errors
/// [`InsightError::MissingColumn`], [`InsightError::NoValues`] for a
/// feature without any value, [`InsightError::Empty`] for an empty table,
/// [`InsightError::Model`] / [`InsightError::ScoreCount`] when `predict`
/// fails.
pub fn partial_dependence<P, E>(
    table: &Table,
    feature: &str,
    predict: P,
    settings: DependenceSettings,
) -> Result<Dependence, InsightError>
where
    P: Fn(&Table) -> Result<Vec<f32>, E>,
    E: std::fmt::Display,
{
    let column = table
        .column(feature)
        .ok_or_else(|| InsightError::MissingColumn(feature.to_string()))?;
    if table.n_rows() == 0 {
        return Err(InsightError::Empty);
    }
    let grid = grid_of(column, settings.grid_points.max(2));
    if grid.is_empty() {
        return Err(InsightError::NoValues(feature.to_string()));
    }
    let rows = sample_rows(table.n_rows(), settings.sample.max(1), settings.seed);
    let s = rows.len();
    // Grid value g occupies rows [g·s, (g+1)·s) of the batch.
    let repeated: Vec<usize> = grid.iter().flat_map(|_| rows.iter().copied()).collect();
    let varied = varied_column(column, &grid, s);
    let batch = table
        .select_rows(&repeated)
        .with_column(varied)
        .map_err(|e| InsightError::Model(e.to_string()))?;
    let scores = score_table(&predict, &batch)?;
    let individual: Vec<Vec<f64>> = (0..s)
        .map(|c| {
            (0..grid.len())
                .map(|g| f64::from(scores[g * s + c]))
                .collect()
        })
        .collect();
    let average = (0..grid.len())
        .map(|g| {
            scores[g * s..(g + 1) * s]
                .iter()
                .map(|&v| f64::from(v))
                .sum::<f64>()
                / s as f64
        })
        .collect();
    Ok(Dependence {
        feature: feature.to_string(),
        grid,
        average,
        individual,
        rows,
    })
}

/// The grid of a column (see the module docs).
fn grid_of(column: &Column, points: usize) -> Vec<GridValue> {
    match &column.data {
        ColumnData::Numeric(values) => {
            let mut known: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            known.sort_by(f64::total_cmp);
            let mut distinct = known.clone();
            distinct.dedup();
            if distinct.len() <= points {
                return distinct.into_iter().map(GridValue::Number).collect();
            }
            let (lo, hi) = (percentile(&known, 0.05), percentile(&known, 0.95));
            (0..points)
                .map(|i| GridValue::Number(lo + (hi - lo) * i as f64 / (points - 1) as f64))
                .collect()
        }
        ColumnData::Categorical { codes, levels } => {
            let mut used = vec![false; levels.len()];
            for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                used[c as usize] = true;
            }
            levels
                .iter()
                .zip(used)
                .filter(|(_, u)| *u)
                .map(|(l, _)| GridValue::Level(l.clone()))
                .collect()
        }
    }
}

/// Linear-interpolation percentile (numpy's default) of sorted values.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    match sorted.get(i + 1) {
        Some(&next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted[i],
    }
}

/// `sample` distinct rows of `0..n` (all when `n <= sample`), ascending.
fn sample_rows(n: usize, sample: usize, seed: u64) -> Vec<usize> {
    if n <= sample {
        return (0..n).collect();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows = rand::seq::index::sample(&mut rng, n, sample).into_vec();
    rows.sort_unstable();
    rows
}

/// The feature's column for the batch: grid value g on rows [g·s, (g+1)·s).
fn varied_column(column: &Column, grid: &[GridValue], s: usize) -> Column {
    let data = match &column.data {
        ColumnData::Numeric(_) => ColumnData::Numeric(
            grid.iter()
                .flat_map(|g| {
                    let v = match g {
                        GridValue::Number(v) => *v,
                        GridValue::Level(_) => f64::NAN,
                    };
                    std::iter::repeat_n(v, s)
                })
                .collect(),
        ),
        ColumnData::Categorical { levels, .. } => ColumnData::Categorical {
            codes: grid
                .iter()
                .flat_map(|g| {
                    let code = levels
                        .iter()
                        .position(|l| matches!(g, GridValue::Level(x) if x == l))
                        .map_or(MISSING_CODE, |i| i as u32);
                    std::iter::repeat_n(code, s)
                })
                .collect(),
            levels: levels.clone(),
        },
    };
    Column {
        name: column.name.clone(),
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let age: Vec<f64> = (0..300).map(|i| 18.0 + f64::from(i % 60)).collect();
        let income: Vec<f64> = (0..300).map(|i| f64::from((i * 37) % 100)).collect();
        let plan: Vec<Option<&str>> = (0..300)
            .map(|i| Some(["basic", "gold", "plus"][i % 3]))
            .collect();
        Table::new(vec![
            Column::numeric("age", age),
            Column::numeric("income", income),
            Column::categorical("plan", &plan),
        ])
        .unwrap()
    }

    fn numeric(t: &Table, name: &str) -> Result<Vec<f64>, String> {
        match t.column(name).map(|c| &c.data) {
            Some(ColumnData::Numeric(v)) => Ok(v.clone()),
            _ => Err(format!("no numeric {name}")),
        }
    }

    /// Linear in age, plus income and a plan effect.
    fn model(t: &Table) -> Result<Vec<f32>, String> {
        let (age, income) = (numeric(t, "age")?, numeric(t, "income")?);
        let plan = t.column("plan").ok_or("no plan")?;
        Ok((0..t.n_rows())
            .map(|r| {
                let gold = plan.text(r).is_some_and(|p| p == "gold");
                (0.01 * age[r] + 0.002 * income[r] + if gold { 0.2 } else { 0.0 }) as f32
            })
            .collect())
    }

    #[test]
    fn a_model_linear_in_the_feature_has_a_straight_partial_dependence() {
        let d = partial_dependence(&table(), "age", model, DependenceSettings::default()).unwrap();
        assert_eq!(d.grid.len(), 20);
        assert_eq!(d.individual.len(), 50);
        let xs: Vec<f64> = d
            .grid
            .iter()
            .map(|g| match g {
                GridValue::Number(v) => *v,
                GridValue::Level(_) => f64::NAN,
            })
            .collect();
        // Grid from the 5th to the 95th percentile of age (18..=77).
        assert!(
            (xs[0] - 20.95).abs() < 1e-9 && (xs[19] - 74.05).abs() < 1e-9,
            "{xs:?}"
        );
        // Slope 0.01 everywhere, for the average and every customer.
        for w in 0..19 {
            let slope = (d.average[w + 1] - d.average[w]) / (xs[w + 1] - xs[w]);
            assert!((slope - 0.01).abs() < 1e-5, "slope {slope}");
            for curve in &d.individual {
                let s = (curve[w + 1] - curve[w]) / (xs[w + 1] - xs[w]);
                assert!((s - 0.01).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn a_categorical_feature_varies_over_its_levels() {
        let d = partial_dependence(
            &table(),
            "plan",
            model,
            DependenceSettings {
                sample: 10,
                ..Default::default()
            },
        )
        .unwrap();
        let levels: Vec<String> = d.grid.iter().map(ToString::to_string).collect();
        assert_eq!(levels, ["basic", "gold", "plus"]);
        assert!((d.average[1] - d.average[0] - 0.2).abs() < 1e-5);
        assert!((d.average[2] - d.average[0]).abs() < 1e-6);
        assert_eq!(d.rows.len(), 10);
    }

    #[test]
    fn few_distinct_values_are_the_grid_and_errors_are_named() {
        let t = Table::new(vec![Column::numeric(
            "visits",
            vec![1.0, 3.0, f64::NAN, 3.0],
        )])
        .unwrap();
        let flat = |t: &Table| -> Result<Vec<f32>, String> { Ok(vec![0.5; t.n_rows()]) };
        let d = partial_dependence(&t, "visits", flat, DependenceSettings::default()).unwrap();
        assert_eq!(d.grid, vec![GridValue::Number(1.0), GridValue::Number(3.0)]);
        assert_eq!(
            partial_dependence(&t, "age", flat, DependenceSettings::default()),
            Err(InsightError::MissingColumn("age".into()))
        );
        let empty = Table::new(vec![Column::numeric("visits", vec![f64::NAN; 3])]).unwrap();
        assert_eq!(
            partial_dependence(&empty, "visits", flat, DependenceSettings::default()),
            Err(InsightError::NoValues("visits".into()))
        );
    }
}
