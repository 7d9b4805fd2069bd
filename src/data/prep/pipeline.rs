//! The fitted [`Pipeline`]: one [`FeatureStep`] per input column (fill,
//! scale, one-hot) and one [`CrossStep`] per feature cross, fitted on the
//! training rows, and the transform that turns any table with those
//! columns into the model's feature matrix.

use serde::{Deserialize, Serialize};

use super::cross::{CrossStep, write_crosses};
use super::*;

/// How a numeric value is scaled: `(x - offset) * factor`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    pub offset: f64,
    pub factor: f64,
}

impl Affine {
    const IDENTITY: Affine = Affine {
        offset: 0.0,
        factor: 1.0,
    };

    pub(super) fn apply(self, x: f64) -> f64 {
        (x - self.offset) * self.factor
    }
}

/// One input column's fitted transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureStep {
    Numeric {
        column: String,
        /// Replaces a missing value.
        fill: f64,
        scale: Affine,
        /// Median of the training rows: the value held fixed when the
        /// decision surface varies two other features.
        typical: f64,
        min: f64,
        max: f64,
        /// How the training file wrote the column (decimal mark, currency,
        /// a date format), so a scored file is read the same way.
        #[serde(default = "plain_number")]
        read_as: CellFormat,
    },
    Categorical {
        column: String,
        /// One output column per level, in this order; unseen levels give
        /// all zeros.
        levels: Vec<String>,
        /// Replaces a missing value (the most frequent training level).
        fill: String,
    },
}

pub(super) fn plain_number() -> CellFormat {
    CellFormat::Number(crate::data::numbers::NumberFormat::default())
}

impl FeatureStep {
    /// How the column's cells are read in a file to score.
    pub fn cell_format(&self) -> CellFormat {
        match self {
            FeatureStep::Numeric { read_as, .. } => read_as.clone(),
            FeatureStep::Categorical { .. } => CellFormat::Text,
        }
    }

    pub fn column(&self) -> &str {
        match self {
            FeatureStep::Numeric { column, .. } | FeatureStep::Categorical { column, .. } => column,
        }
    }

    pub fn width(&self) -> usize {
        match self {
            FeatureStep::Numeric { .. } => 1,
            FeatureStep::Categorical { levels, .. } => levels.len(),
        }
    }

    pub fn kind(&self) -> ColumnKind {
        match self {
            FeatureStep::Numeric { .. } => ColumnKind::Numeric,
            FeatureStep::Categorical { .. } => ColumnKind::Categorical,
        }
    }

    /// A raw numeric value as the network sees it (filled and scaled);
    /// `None` for a categorical step.
    pub fn encode_number(&self, x: f64) -> Option<f32> {
        match self {
            FeatureStep::Numeric { fill, scale, .. } => {
                let x = if x.is_nan() { *fill } else { x };
                Some(scale.apply(x) as f32)
            }
            FeatureStep::Categorical { .. } => None,
        }
    }

    /// The value a "typical customer" has: median or most frequent level.
    pub fn typical_text(&self) -> String {
        match self {
            FeatureStep::Numeric { typical, .. } => crate::data::table::format_number(*typical),
            FeatureStep::Categorical { fill, .. } => fill.clone(),
        }
    }
}

/// A fitted recipe: transforms any table with the input columns into the
/// exact feature layout the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub target: String,
    pub encoding: TargetEncoding,
    pub impute: Impute,
    pub scale: Scale,
    pub steps: Vec<FeatureStep>,
    /// Feature crosses, after the steps' features in the matrix (files
    /// saved before crosses existed have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crosses: Vec<CrossStep>,
}

impl Pipeline {
    /// Applies the target's constraint to predictions in target units:
    /// values below 0 become 0 for a non-negative regression target.
    pub fn constrain_predictions(&self, values: &mut [f32]) {
        if let TargetEncoding::Regression {
            non_negative: true, ..
        } = self.encoding
        {
            for v in values {
                *v = v.max(0.0);
            }
        }
    }
    /// Names of the encoded features: `age`, `region=north`, …, then the
    /// crosses' (`age²`, `x1·x2`, `sin(x1)`).
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for step in &self.steps {
            match step {
                FeatureStep::Numeric { column, .. } => names.push(column.clone()),
                FeatureStep::Categorical { column, levels, .. } => {
                    names.extend(levels.iter().map(|l| format!("{column}={l}")));
                }
            }
        }
        names.extend(self.crosses.iter().map(|c| c.cross.name()));
        names
    }

    /// Columns of the prepared matrix: the steps' widths and one per cross.
    pub fn n_features(&self) -> usize {
        self.steps.iter().map(FeatureStep::width).sum::<usize>() + self.crosses.len()
    }

    /// The input columns with the way a scored file's cells are read:
    /// categories as text whatever they look like, numbers and dates in
    /// the training file's format.
    pub fn schema(&self) -> Vec<(String, CellFormat)> {
        self.steps
            .iter()
            .map(|s| (s.column().to_owned(), s.cell_format()))
            .collect()
    }

    /// The input columns the pipeline reads, in order.
    pub fn input_columns(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(FeatureStep::column)
    }

    pub fn step(&self, column: &str) -> Option<&FeatureStep> {
        self.steps.iter().find(|s| s.column() == column)
    }

    /// Index of the first encoded feature that `column` produces.
    pub fn feature_offset(&self, column: &str) -> Option<usize> {
        let mut offset = 0;
        for step in &self.steps {
            if step.column() == column {
                return Some(offset);
            }
            offset += step.width();
        }
        None
    }

    /// One row holding a typical customer: the training median of every
    /// numeric input and the most frequent level of every categorical one.
    pub fn typical_table(&self) -> Table {
        let columns = self
            .steps
            .iter()
            .map(|step| match step {
                FeatureStep::Numeric {
                    column, typical, ..
                } => Column::numeric(column.clone(), vec![*typical]),
                FeatureStep::Categorical { column, fill, .. } => {
                    Column::categorical(column.clone(), &[Some(fill.as_str())])
                }
            })
            .collect();
        // Step columns are unique (they come from a table) and each holds
        // one row, so this cannot fail; an empty table is the safe fallback.
        Table::new(columns).unwrap_or_default()
    }

    /// Transforms every row of `table` (missing cells filled, unseen
    /// categories all-zero); extra columns are ignored.
    pub fn transform(&self, table: &Table) -> Result<Matrix, PrepError> {
        let rows: Vec<usize> = (0..table.n_rows()).collect();
        self.transform_rows(table, &rows)
    }

    /// Transforms the given rows of `table`, in that order.
    pub fn transform_rows(&self, table: &Table, rows: &[usize]) -> Result<Matrix, PrepError> {
        let missing: Vec<String> = self
            .input_columns()
            .filter(|c| table.column(c).is_none())
            .map(str::to_owned)
            .collect();
        if !missing.is_empty() {
            return Err(PrepError::MissingColumns(missing));
        }
        let mut m = Matrix {
            data: vec![0.0; rows.len() * self.n_features()],
            rows: rows.len(),
            cols: self.n_features(),
        };
        let mut offset = 0;
        for step in &self.steps {
            // Checked above: every input column exists.
            let Some(column) = table.column(step.column()) else {
                continue;
            };
            let keep_missing = self.impute == Impute::KeepMissing;
            write_step(step, column, rows, &mut m, offset, keep_missing)?;
            offset += step.width();
        }
        write_crosses(self, table, rows, &mut m)?;
        Ok(m)
    }
}

/// Writes one step's output columns, starting at column `offset` of `m`;
/// a missing value is filled, or written as NaN when `keep_missing`
/// ([`Impute::KeepMissing`]).
pub(super) fn write_step(
    step: &FeatureStep,
    column: &Column,
    rows: &[usize],
    m: &mut Matrix,
    offset: usize,
    keep_missing: bool,
) -> Result<(), PrepError> {
    let cols = m.cols;
    match step {
        FeatureStep::Numeric {
            column: name,
            fill,
            scale,
            ..
        } => {
            let ColumnData::Numeric(values) = &column.data else {
                let example = rows
                    .iter()
                    .find_map(|&r| column.text(r))
                    .map_or_else(String::new, |t| t.into_owned());
                return Err(PrepError::ExpectedNumeric {
                    column: name.clone(),
                    example,
                });
            };
            for (i, &r) in rows.iter().enumerate() {
                if keep_missing && values[r].is_nan() {
                    m.data[i * cols + offset] = f32::NAN;
                    continue;
                }
                let x = if values[r].is_nan() { *fill } else { values[r] };
                let v = scale.apply(x) as f32;
                if !v.is_finite() {
                    return Err(PrepError::NotFinite {
                        feature: name.clone(),
                        row: r + 1,
                        value: x,
                    });
                }
                m.data[i * cols + offset] = v;
            }
        }
        FeatureStep::Categorical { levels, fill, .. } => {
            for (i, &r) in rows.iter().enumerate() {
                let text = column.text(r);
                if keep_missing && text.is_none() {
                    m.data[i * cols + offset..][..levels.len()].fill(f32::NAN);
                    continue;
                }
                let label = text.as_deref().unwrap_or(fill);
                if let Ok(k) = levels.binary_search_by(|l| l.as_str().cmp(label)) {
                    m.data[i * cols + offset + k] = 1.0;
                }
            }
        }
    }
    Ok(())
}

/// Mean and population standard deviation of finite values. Computed on
/// the values divided by the largest magnitude, so columns near `f64::MAX`
/// (a sum of two of them overflows) still give finite statistics: the mean
/// lies within the values and the deviation within half their range.
pub(super) fn mean_std(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (0.0, 1.0);
    }
    let n = xs.len() as f64;
    let magnitude = xs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if magnitude == 0.0 || !magnitude.is_finite() {
        return (0.0, 0.0);
    }
    let mean = xs.iter().map(|x| x / magnitude).sum::<f64>() / n;
    let var = xs
        .iter()
        .map(|x| (x / magnitude - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean * magnitude, var.sqrt() * magnitude)
}

pub(super) fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Most frequent value of a sorted slice; ties go to the smallest.
pub(super) fn mode(sorted: &[f64]) -> f64 {
    let mut best = (sorted[0], 0usize);
    let mut i = 0;
    while i < sorted.len() {
        let j = sorted[i..].partition_point(|&x| x == sorted[i]) + i;
        if j - i > best.1 {
            best = (sorted[i], j - i);
        }
        i = j;
    }
    best.0
}

/// The scaling of a numeric feature fitted on its training values as the
/// network sees them (filled, finite): min-max to [0, 1] or zero mean and
/// unit standard deviation; a constant feature maps to 0.
pub(super) fn fit_affine(values: &[f64], scale: Scale) -> Affine {
    match scale {
        Scale::None => Affine::IDENTITY,
        Scale::MinMax => {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let range = hi - lo;
            Affine {
                offset: if lo.is_finite() { lo } else { 0.0 },
                // A constant column maps to 0 rather than dividing by 0.
                factor: if range > 0.0 { 1.0 / range } else { 0.0 },
            }
        }
        Scale::Standardize => {
            let (m, s) = mean_std(values);
            Affine {
                offset: m,
                factor: if s > 0.0 { 1.0 / s } else { 0.0 },
            }
        }
    }
}

pub(super) fn fit_step(
    column: &Column,
    read_as: CellFormat,
    train: &[usize],
    recipe: &Recipe,
) -> Result<FeatureStep, PrepError> {
    match &column.data {
        ColumnData::Numeric(values) => {
            let mut known: Vec<f64> = train
                .iter()
                .map(|&r| values[r])
                .filter(|x| !x.is_nan())
                .collect();
            if known.is_empty() {
                return Err(PrepError::FeatureEmpty(column.name.clone()));
            }
            known.sort_by(f64::total_cmp);
            let (mean, _) = mean_std(&known);
            let med = median(&known);
            let fill = match recipe.impute {
                Impute::Mean => mean,
                // Kept missing: the median only places the typical value
                // and the scaling range.
                Impute::Median | Impute::DropRows | Impute::KeepMissing => med,
                Impute::MostFrequent => mode(&known),
            };
            // Scaling statistics include the filled cells, as the network
            // will see them.
            let n_missing = train.len() - known.len();
            let filled: Vec<f64> = known
                .iter()
                .copied()
                .chain(std::iter::repeat_n(fill, n_missing))
                .collect();
            let (min, max) = (known[0], known[known.len() - 1]);
            let scale = fit_affine(&filled, recipe.scale);
            Ok(FeatureStep::Numeric {
                column: column.name.clone(),
                fill,
                scale,
                typical: med,
                min,
                max,
                read_as,
            })
        }
        ColumnData::Categorical { codes, levels } => {
            let mut counts = vec![0usize; levels.len()];
            for &r in train {
                if let Some(c) = counts.get_mut(codes[r] as usize) {
                    *c += 1;
                }
            }
            let mut seen: Vec<(String, usize)> = levels
                .iter()
                .cloned()
                .zip(counts)
                .filter(|(_, n)| *n > 0)
                .collect();
            if seen.is_empty() {
                return Err(PrepError::FeatureEmpty(column.name.clone()));
            }
            // The most frequent level fills gaps whatever the strategy: a
            // category has no mean or median.
            let fill = seen
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                .map(|(l, _)| l.clone())
                .unwrap_or_default();
            seen.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(FeatureStep::Categorical {
                column: column.name.clone(),
                levels: seen.into_iter().map(|(l, _)| l).collect(),
                fill,
            })
        }
    }
}
