//! Feature crosses: inputs built from the chosen numeric features, x²
//! ([`Cross::Square`]), x1·x2 ([`Cross::Product`]) and sin x
//! ([`Cross::Sin`]), so a network without hidden layers can draw a circle
//! (x1² + x2²) or a saddle (x1·x2), as in the classroom explorers.
//!
//! A cross is computed on its columns' *imputed raw* values (a missing
//! cell takes its column's fill value first; kept missing, for trees, the
//! cross is missing too), before any scaling; the crossed value is then
//! scaled like any other numeric feature, with its own statistics fitted
//! on the training rows ([`CrossStep::scale`]). The crosses follow the
//! input columns' features in the prepared matrix, in the recipe's order.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::pipeline::{Affine, FeatureStep, Pipeline, fit_affine};
use super::{Impute, Matrix, PrepError, Recipe};
use crate::data::table::{ColumnData, ColumnKind, Table};

/// One input built from numeric feature columns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cross {
    /// `column²`.
    Square { column: String },
    /// `left · right`, two different columns.
    Product { left: String, right: String },
    /// `sin(column)`, the column's value taken as radians.
    Sin { column: String },
}

impl Cross {
    /// The columns it reads, in the order [`Cross::compute`] takes them.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Cross::Square { column } | Cross::Sin { column } => vec![column],
            Cross::Product { left, right } => vec![left, right],
        }
    }

    /// Its name in the diagram, importance and notes: `age²`, `x1·x2`,
    /// `sin(x1)`.
    pub fn name(&self) -> String {
        match self {
            Cross::Square { column } => format!("{column}²"),
            Cross::Product { left, right } => format!("{left}·{right}"),
            Cross::Sin { column } => format!("sin({column})"),
        }
    }

    /// The crossed value of one row's raw values of [`Cross::columns`]
    /// (NaN in, NaN out; a missing input gives NaN).
    pub fn compute(&self, inputs: &[f64]) -> f64 {
        let at = |i: usize| inputs.get(i).copied().unwrap_or(f64::NAN);
        match self {
            Cross::Square { .. } => at(0) * at(0),
            Cross::Product { .. } => at(0) * at(1),
            Cross::Sin { .. } => at(0).sin(),
        }
    }

    /// The same cross whatever the order of a product's columns.
    fn same_as(&self, other: &Cross) -> bool {
        match (self, other) {
            (
                Cross::Product { left, right },
                Cross::Product {
                    left: l2,
                    right: r2,
                },
            ) => (left == l2 && right == r2) || (left == r2 && right == l2),
            _ => self == other,
        }
    }
}

/// The command line's spelling, which [`Cross::from_str`] reads back:
/// `x1*x2`, `sq:age`, `sin:x1`.
impl fmt::Display for Cross {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cross::Square { column } => write!(f, "sq:{column}"),
            Cross::Product { left, right } => write!(f, "{left}*{right}"),
            Cross::Sin { column } => write!(f, "sin:{column}"),
        }
    }
}

/// `a*b` (or `a·b`) a product, `sq:a` (or `a^2`, `a²`) a square, `sin:a`
/// (or `sin(a)`) a sine; names trimmed; `a*a` is the square of `a`.
impl FromStr for Cross {
    type Err = CrossError;

    fn from_str(text: &str) -> Result<Cross, CrossError> {
        let syntax = || CrossError::Syntax(text.to_owned());
        let name = |s: &str| -> Result<String, CrossError> {
            let s = s.trim();
            if s.is_empty() {
                Err(syntax())
            } else {
                Ok(s.to_owned())
            }
        };
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("sq:") {
            return Ok(Cross::Square {
                column: name(&t[3..])?,
            });
        }
        if lower.starts_with("sin:") {
            return Ok(Cross::Sin {
                column: name(&t[4..])?,
            });
        }
        if lower.starts_with("sin(") && t.ends_with(')') {
            return Ok(Cross::Sin {
                column: name(&t[4..t.len() - 1])?,
            });
        }
        if let Some(base) = t.strip_suffix("^2").or_else(|| t.strip_suffix('²')) {
            return Ok(Cross::Square {
                column: name(base)?,
            });
        }
        if let Some((left, right)) = t.split_once('*').or_else(|| t.split_once('·')) {
            let (left, right) = (name(left)?, name(right)?);
            return Ok(if left == right {
                Cross::Square { column: left }
            } else {
                Cross::Product { left, right }
            });
        }
        Err(syntax())
    }
}

/// A cross the recipe or the data cannot give.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CrossError {
    #[error(
        "`{0}` is not a cross; write `a*b` for a product, `sq:a` for a square or `sin:a` for a sine"
    )]
    Syntax(String),
    #[error("cross `{cross}` uses `{column}`, which is not a column of the data{hint}")]
    UnknownColumn {
        cross: String,
        column: String,
        /// `; did you mean `Age`?` when a column differs only in case.
        hint: String,
    },
    #[error(
        "cross `{cross}` uses `{column}`, which is not among the chosen features; choose it as a feature or drop the cross"
    )]
    NotAFeature { cross: String, column: String },
    #[error(
        "cross `{cross}` uses `{column}`, which is categorical; crosses are built from numeric features"
    )]
    NotNumeric { cross: String, column: String },
    #[error("cross `{0}` is asked for twice")]
    Twice(String),
}

/// A fitted cross: its definition and the scaling of the crossed value
/// (`(cross - offset) * factor`, fitted on the training rows as a numeric
/// feature's is, with the recipe's [`super::Scale`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossStep {
    pub cross: Cross,
    pub scale: Affine,
}

/// Checks the recipe's crosses against `table`: every column exists, is a
/// chosen feature and numeric; no cross twice.
///
/// # Errors
/// [`CrossError`], naming the cross and the column.
pub(super) fn check_crosses(table: &Table, recipe: &Recipe) -> Result<(), CrossError> {
    for (i, cross) in recipe.crosses.iter().enumerate() {
        let spelled = cross.to_string();
        for column in cross.columns() {
            let Some(found) = table.column(column) else {
                return Err(CrossError::UnknownColumn {
                    cross: spelled,
                    column: column.to_owned(),
                    hint: table
                        .column_names()
                        .find(|c| c.trim().eq_ignore_ascii_case(column.trim()))
                        .map_or_else(String::new, |c| format!("; did you mean `{c}`?")),
                });
            };
            if found.kind() != ColumnKind::Numeric {
                return Err(CrossError::NotNumeric {
                    cross: spelled,
                    column: column.to_owned(),
                });
            }
            if !recipe.features.iter().any(|f| f == column) {
                return Err(CrossError::NotAFeature {
                    cross: spelled,
                    column: column.to_owned(),
                });
            }
        }
        if recipe.crosses[..i].iter().any(|c| c.same_as(cross)) {
            return Err(CrossError::Twice(spelled));
        }
    }
    Ok(())
}

/// One source column of a cross: its values and the fill for a missing one.
struct Source<'t> {
    values: &'t [f64],
    fill: f64,
}

/// The columns `cross` reads in `table`, with the pipeline's fill values.
fn sources<'t>(
    pipeline: &Pipeline,
    cross: &Cross,
    table: &'t Table,
) -> Result<Vec<Source<'t>>, PrepError> {
    cross
        .columns()
        .into_iter()
        .map(|name| {
            let not_numeric = || CrossError::NotNumeric {
                cross: cross.to_string(),
                column: name.to_owned(),
            };
            let Some(FeatureStep::Numeric { fill, .. }) = pipeline.step(name) else {
                return Err(match pipeline.step(name) {
                    None => CrossError::NotAFeature {
                        cross: cross.to_string(),
                        column: name.to_owned(),
                    },
                    Some(_) => not_numeric(),
                }
                .into());
            };
            let column = table
                .column(name)
                .ok_or_else(|| PrepError::MissingColumns(vec![name.to_owned()]))?;
            let ColumnData::Numeric(values) = &column.data else {
                return Err(not_numeric().into());
            };
            Ok(Source {
                values,
                fill: *fill,
            })
        })
        .collect()
}

/// The raw crossed value of table row `r`: the inputs filled unless
/// `keep_missing` (then a missing input gives NaN).
fn raw_value(cross: &Cross, sources: &[Source<'_>], r: usize, keep_missing: bool) -> f64 {
    let inputs: Vec<f64> = sources
        .iter()
        .map(|s| {
            let x = s.values.get(r).copied().unwrap_or(f64::NAN);
            if x.is_nan() && !keep_missing {
                s.fill
            } else {
                x
            }
        })
        .collect();
    cross.compute(&inputs)
}

/// Fits the recipe's crosses on the training rows of `table`, with the
/// fill values of `pipeline`'s (already fitted) numeric steps.
///
/// # Errors
/// [`CrossError`] for a cross the pipeline cannot read; [`PrepError::NotFinite`]
/// when a crossed value overflows (`1e200²`), with its data row.
pub(super) fn fit_crosses(
    pipeline: &Pipeline,
    table: &Table,
    train: &[usize],
    recipe: &Recipe,
) -> Result<Vec<CrossStep>, PrepError> {
    let keep_missing = recipe.impute == Impute::KeepMissing;
    recipe
        .crosses
        .iter()
        .map(|cross| {
            let sources = sources(pipeline, cross, table)?;
            let mut values = Vec::with_capacity(train.len());
            for &r in train {
                let v = raw_value(cross, &sources, r, keep_missing);
                if v.is_nan() && keep_missing {
                    continue;
                }
                if !v.is_finite() {
                    return Err(PrepError::NotFinite {
                        feature: cross.name(),
                        row: r + 1,
                        value: v,
                    });
                }
                values.push(v);
            }
            Ok(CrossStep {
                cross: cross.clone(),
                scale: fit_affine(&values, recipe.scale),
            })
        })
        .collect()
}

/// Writes the pipeline's crosses for `rows` of `table` into the last
/// `pipeline.crosses.len()` columns of `m`.
///
/// # Errors
/// As [`fit_crosses`], for a table whose values overflow after crossing
/// and scaling.
pub(super) fn write_crosses(
    pipeline: &Pipeline,
    table: &Table,
    rows: &[usize],
    m: &mut Matrix,
) -> Result<(), PrepError> {
    let keep_missing = pipeline.impute == Impute::KeepMissing;
    let first = m.cols - pipeline.crosses.len();
    for (k, step) in pipeline.crosses.iter().enumerate() {
        let sources = sources(pipeline, &step.cross, table)?;
        for (i, &r) in rows.iter().enumerate() {
            let raw = raw_value(&step.cross, &sources, r, keep_missing);
            let v = if raw.is_nan() && keep_missing {
                f32::NAN
            } else {
                let v = step.scale.apply(raw) as f32;
                if !v.is_finite() {
                    return Err(PrepError::NotFinite {
                        feature: step.cross.name(),
                        row: r + 1,
                        value: raw,
                    });
                }
                v
            };
            m.data[i * m.cols + first + k] = v;
        }
    }
    Ok(())
}

impl Pipeline {
    /// One customer's crosses, encoded (crossed, then scaled), from
    /// `raw(column)`, the raw value of an input column (NaN: missing, then
    /// filled). For the decision surface, whose grid varies two columns
    /// and holds the others. `out` holds one value per cross.
    pub fn encode_crosses(&self, raw: impl Fn(&str) -> f64, out: &mut [f32]) {
        for (step, slot) in self.crosses.iter().zip(out) {
            let inputs: Vec<f64> = step
                .cross
                .columns()
                .into_iter()
                .map(|c| {
                    let x = raw(c);
                    match self.step(c) {
                        Some(FeatureStep::Numeric { fill, .. }) if x.is_nan() => *fill,
                        _ => x,
                    }
                })
                .collect();
            *slot = step.scale.apply(step.cross.compute(&inputs)) as f32;
        }
    }
}

#[cfg(test)]
mod tests;
