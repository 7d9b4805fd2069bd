//! The decision surface: the model's output over a grid spanning two numeric
//! features, every other feature held at a typical value (median, or most
//! frequent level), all in the features' original units. Returns plain
//! values for the UI; the grid is evaluated in one batched forward pass.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::family::LayerWeights;
use super::run::{RunError, TrainingRun};
use crate::data::prep::{FeatureStep, Matrix, Pipeline, PrepError};

pub const DEFAULT_RESOLUTION: usize = 100;
/// Resolution of each hidden unit's thumbnail.
pub const UNIT_RESOLUTION: usize = 24;
/// Share of the data range added on each side so points are not on the edge.
const MARGIN: f64 = 0.05;

#[derive(Debug, Clone, PartialEq, Error)]
pub enum SurfaceError {
    #[error("`{0}` is not a feature of this model")]
    UnknownFeature(String),
    #[error("`{0}` is categorical; the surface needs two numeric features")]
    NotNumeric(String),
    #[error("choose two different features for the axes")]
    SameFeature,
    #[error("the grid must be between 2 and 1000 cells wide, not {0}")]
    Resolution(usize),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Prep(#[from] PrepError),
}

/// What to draw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurfaceRequest {
    pub x_feature: String,
    pub y_feature: String,
    pub resolution: usize,
    /// Also compute each hidden unit's activation over a coarser grid, and
    /// the layer weights, for the network diagram; for trees, each
    /// column's gain importance instead.
    pub with_units: bool,
}

impl SurfaceRequest {
    pub fn new(x_feature: impl Into<String>, y_feature: impl Into<String>) -> SurfaceRequest {
        SurfaceRequest {
            x_feature: x_feature.into(),
            y_feature: y_feature.into(),
            resolution: DEFAULT_RESOLUTION,
            with_units: false,
        }
    }
}

/// An axis of the grid, in the feature's original units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    pub feature: String,
    pub min: f64,
    pub max: f64,
}

impl Axis {
    /// Value at cell `i` of `n` (cell centres).
    pub fn value(&self, i: usize, n: usize) -> f64 {
        self.min + (self.max - self.min) * (i as f64 + 0.5) / n as f64
    }
}

/// The model's output on the grid, row-major with `y` rows from `y.min`
/// upwards and `x` columns from `x.min` rightwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Surface {
    pub x: Axis,
    pub y: Axis,
    pub resolution: usize,
    /// Probabilities (classification) or values in target units.
    pub values: Vec<f32>,
    /// Per hidden layer, per unit: a `UNIT_RESOLUTION²` grid of activations.
    pub units: Vec<Vec<Vec<f32>>>,
    /// Every layer's weights (hidden layers, then the output), when asked.
    pub weights: Vec<LayerWeights>,
    /// How the other features were held, e.g. `income = 48200`.
    pub held: Vec<(String, String)>,
    /// Families that measure importance (trees), when units were asked:
    /// each input column's share of the total gain (its one-hot columns
    /// summed), in pipeline order, summing to 1 once a split was made.
    pub importance: Vec<(String, f64)>,
}

impl Surface {
    /// A surface over features `x` and `y`, both from 0 to 1, with `values`
    /// on a `resolution`² grid and nothing else: the renderers' tests draw
    /// from it.
    #[cfg(test)]
    pub(crate) fn on_unit_square(values: Vec<f32>, resolution: usize) -> Surface {
        let axis = |feature: &str| Axis {
            feature: feature.to_owned(),
            min: 0.0,
            max: 1.0,
        };
        Surface {
            x: axis("x"),
            y: axis("y"),
            resolution,
            values,
            units: Vec::new(),
            weights: Vec::new(),
            held: Vec::new(),
            importance: Vec::new(),
        }
    }
}

/// Numeric features a surface can use as axes, in pipeline order.
pub fn numeric_features(pipeline: &Pipeline) -> Vec<String> {
    pipeline
        .steps
        .iter()
        .filter(|s| matches!(s, FeatureStep::Numeric { .. }))
        .map(|s| s.column().to_owned())
        .collect()
}

pub fn compute_surface(
    run: &TrainingRun,
    request: &SurfaceRequest,
) -> Result<Surface, SurfaceError> {
    let pipeline = &run.prepared().pipeline;
    if !(2..=1000).contains(&request.resolution) {
        return Err(SurfaceError::Resolution(request.resolution));
    }
    if request.x_feature == request.y_feature {
        return Err(SurfaceError::SameFeature);
    }
    let x = axis(pipeline, &request.x_feature)?;
    let y = axis(pipeline, &request.y_feature)?;
    let values = run.predict(&grid(pipeline, &x, &y, request.resolution)?)?;

    let importance = if request.with_units {
        column_importance(pipeline, run.learner().feature_importance())
    } else {
        Vec::new()
    };
    let (units, weights) = if request.with_units {
        let coarse = grid(pipeline, &x, &y, UNIT_RESOLUTION)?;
        let diagram = run
            .learner()
            .diagram(&coarse)
            .map_err(RunError::from)?
            .unwrap_or_default();
        let units = diagram
            .activations
            .into_iter()
            .map(|layer| {
                let n_units = layer.len().checked_div(coarse.rows).unwrap_or(0);
                (0..n_units)
                    .map(|u| (0..coarse.rows).map(|r| layer[r * n_units + u]).collect())
                    .collect()
            })
            .collect();
        (units, diagram.weights)
    } else {
        (Vec::new(), Vec::new())
    };

    let held = pipeline
        .steps
        .iter()
        .filter(|s| s.column() != x.feature && s.column() != y.feature)
        .map(|s| (s.column().to_owned(), s.typical_text()))
        .collect();
    Ok(Surface {
        x,
        y,
        resolution: request.resolution,
        values,
        units,
        weights,
        held,
        importance,
    })
}

/// Per prepared feature shares (`None`: the family measures none) summed
/// over each input column's encoded features: a one-hot column's levels
/// count as one column, as the user chose them; each feature cross is its
/// own entry after them (`x1·x2`).
fn column_importance(pipeline: &Pipeline, shares: Option<Vec<f64>>) -> Vec<(String, f64)> {
    let Some(shares) = shares else {
        return Vec::new();
    };
    let mut offset = 0;
    let mut columns: Vec<(String, f64)> = pipeline
        .steps
        .iter()
        .map(|step| {
            let end = (offset + step.width()).min(shares.len());
            let share = shares.get(offset..end).map_or(0.0, |s| s.iter().sum());
            offset += step.width();
            (step.column().to_owned(), share)
        })
        .collect();
    columns.extend(pipeline.crosses.iter().enumerate().map(|(k, c)| {
        let share = shares.get(offset + k).copied().unwrap_or(0.0);
        (c.cross.name(), share)
    }));
    columns
}

fn axis(pipeline: &Pipeline, feature: &str) -> Result<Axis, SurfaceError> {
    match pipeline.step(feature) {
        None => Err(SurfaceError::UnknownFeature(feature.to_owned())),
        Some(FeatureStep::Categorical { .. }) => Err(SurfaceError::NotNumeric(feature.to_owned())),
        Some(FeatureStep::Numeric { min, max, .. }) => {
            let span = (max - min).abs();
            // A constant feature still gets a visible range around its value.
            let pad = if span > 0.0 {
                span * MARGIN
            } else {
                min.abs().max(1.0) * 0.5
            };
            Ok(Axis {
                feature: feature.to_owned(),
                min: min - pad,
                max: max + pad,
            })
        }
    }
}

/// The encoded grid: a typical row repeated, with the two axis features
/// replaced by the cell centres and the feature crosses (the last
/// columns) computed from the cell's two values and the held ones.
fn grid(pipeline: &Pipeline, x: &Axis, y: &Axis, n: usize) -> Result<Matrix, SurfaceError> {
    let base = pipeline.transform(&pipeline.typical_table())?;
    let cols = base.cols;
    let encoder = |axis: &Axis| -> Result<(usize, &FeatureStep), SurfaceError> {
        let unknown = || SurfaceError::UnknownFeature(axis.feature.clone());
        let offset = pipeline.feature_offset(&axis.feature).ok_or_else(unknown)?;
        let step = pipeline.step(&axis.feature).ok_or_else(unknown)?;
        Ok((offset, step))
    };
    let (x_col, x_step) = encoder(x)?;
    let (y_col, y_step) = encoder(y)?;
    let crosses = pipeline.crosses.len();
    let held = |column: &str| match pipeline.step(column) {
        Some(FeatureStep::Numeric { typical, .. }) => *typical,
        _ => f64::NAN,
    };
    let mut data = Vec::with_capacity(n * n * cols);
    for j in 0..n {
        let y_raw = y.value(j, n);
        let yv = y_step.encode_number(y_raw).unwrap_or(0.0);
        for i in 0..n {
            let x_raw = x.value(i, n);
            let xv = x_step.encode_number(x_raw).unwrap_or(0.0);
            let start = data.len();
            data.extend_from_slice(&base.data);
            data[start + x_col] = xv;
            data[start + y_col] = yv;
            if crosses > 0 {
                let raw = |column: &str| {
                    if column == x.feature {
                        x_raw
                    } else if column == y.feature {
                        y_raw
                    } else {
                        held(column)
                    }
                };
                pipeline.encode_crosses(raw, &mut data[start + cols - crosses..start + cols]);
            }
        }
    }
    Ok(Matrix {
        data,
        rows: n * n,
        cols,
    })
}
