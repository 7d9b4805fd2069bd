//! Preparation: a [`Recipe`] says what to predict and how to clean the
//! features; fitting it on the training rows gives a [`Pipeline`] that turns
//! any table with the same columns into the same dense `f32` layout.
//!
//! Everything learned from data (fill values, scaling, category levels) is
//! learned from the training rows only, so test metrics are honest, and is
//! stored in the pipeline, so new customers are transformed identically.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::duplicates::Duplicates;
use super::notes::{DataNote, format_lines};
use super::profile::TrainingProfile;
use super::screen::default_features;
use super::split::split_rows;
use super::table::{CellFormat, Column, ColumnData, ColumnKind, Table};

/// Fewest usable rows a recipe accepts: enough for a training and a test side.
pub const MIN_ROWS: usize = 5;

/// What the network predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Probability that the target equals `positive` (e.g. bought = `yes`).
    Classification { positive: String },
    /// The target's numeric value (e.g. spend).
    Regression,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    /// Leave out rows with any missing feature (new data to score is filled
    /// with the median / most frequent value instead, so no row is lost).
    DropRows,
    Mean,
    Median,
    /// Most frequent value, for numbers and categories alike.
    MostFrequent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Min-max to [0, 1] over the training rows.
    MinMax,
    /// Zero mean, unit standard deviation over the training rows.
    Standardize,
    None,
}

macro_rules! named_choices {
    ($ty:ty, $what:literal, $( $variant:path => $name:literal ),+ $(,)?) => {
        impl $ty {
            pub fn name(self) -> &'static str {
                match self { $( $variant => $name ),+ }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                    $( $name => Ok($variant), )+
                    _ => Err(format!(
                        concat!("unknown ", $what, " `{}`; choose one of {}"),
                        s,
                        [$( $name ),+].join(", ")
                    )),
                }
            }
        }
    };
}

named_choices!(Impute, "missing-value strategy",
    Impute::DropRows => "drop_rows",
    Impute::Mean => "mean",
    Impute::Median => "median",
    Impute::MostFrequent => "most_frequent",
);

named_choices!(Scale, "scaling",
    Scale::MinMax => "minmax",
    Scale::Standardize => "standardize",
    Scale::None => "none",
);

/// Everything needed to turn a table into training matrices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub target: String,
    pub problem: Problem,
    pub features: Vec<String>,
    pub impute: Impute,
    pub scale: Scale,
    /// Share of rows held out for testing, in (0, 1).
    pub test_fraction: f64,
    pub seed: u64,
    /// Classification: count target labels that differ from the positive
    /// label only in case or surrounding spaces (`yes`, `YES`) as positive.
    #[serde(default)]
    pub merge_label_variants: bool,
    /// Leave out rows that repeat an earlier row exactly (features and
    /// target) before the split, so no test row is a copy of a training row.
    #[serde(default)]
    pub drop_duplicates: bool,
    /// Regression: keep predictions at or above 0, for a target that is
    /// never negative (spend, counts). Refused when a training value is
    /// negative; saved with the model so scoring applies it too.
    #[serde(default)]
    pub non_negative_target: bool,
}

impl Recipe {
    /// Every other column fit to be a feature (identifiers, constants and
    /// nearly empty columns are left out: [`super::screen`]), median fill,
    /// min-max scaling, an 80/20 split with seed 42.
    pub fn new(table: &Table, target: &str, problem: Problem) -> Recipe {
        Recipe {
            target: target.to_owned(),
            problem,
            features: default_features(table, target).0,
            impute: Impute::Median,
            scale: Scale::MinMax,
            test_fraction: 0.2,
            seed: 42,
            merge_label_variants: false,
            drop_duplicates: false,
            non_negative_target: false,
        }
    }
}

#[derive(Debug, Clone, Error, PartialEq)]
pub enum PrepError {
    #[error("there is no column `{name}` to predict; the columns are: {available}")]
    TargetMissing { name: String, available: String },
    #[error("feature column `{name}` is not in the data{hint}")]
    FeatureMissing {
        name: String,
        /// `; did you mean `PriceDiff`?` when a column differs only in case.
        hint: String,
    },
    #[error("`{0}` is the target, so it cannot also be a feature; untick it")]
    TargetIsFeature(String),
    #[error("no feature columns are selected; tick at least one")]
    NoFeatures,
    #[error("the target `{target}` has values in no row")]
    TargetEmpty { target: String },
    #[error(
        "the target `{target}` has only one class (`{label}`); a classifier needs at least two"
    )]
    SingleClass { target: String, label: String },
    #[error(
        "the positive label `{positive}` does not occur in `{target}`; its values are: {labels}{hint}"
    )]
    PositiveAbsent {
        target: String,
        positive: String,
        labels: String,
        /// A pointer to the label that differs only in case, when one does.
        hint: String,
    },
    #[error(
        "the target `{0}` is not numeric, so it cannot be a regression target; choose classification"
    )]
    RegressionTargetNotNumeric(String),
    #[error(
        "the target `{target}` holds {value:e} in data row {row}, too large for the network's 32-bit numbers; rescale the column (e.g. thousands instead of units)"
    )]
    TargetTooLarge {
        target: String,
        /// 1-based data row (the header is not counted).
        row: usize,
        value: f64,
    },
    #[error(
        "the target `{target}` has the same value ({value}) in every training row; a regression needs it to vary"
    )]
    ConstantTarget { target: String, value: f64 },
    #[error(
        "the target `{target}` is {value} on line {line}, so predictions cannot be kept at or above 0; turn off the non-negative option"
    )]
    NegativeTarget {
        target: String,
        line: u64,
        value: f64,
    },
    #[error("the test share must be between 0 and 1 (exclusive), not {0}")]
    TestFraction(f64),
    #[error(
        "only {rows} usable rows ({dropped} dropped for missing values); at least {MIN_ROWS} are needed to split into training and test sets"
    )]
    TooFewRows { rows: usize, dropped: usize },
    #[error("feature `{0}` has no values in the training rows; untick it")]
    FeatureEmpty(String),
    #[error(
        "feature `{feature}` becomes too large for 32-bit numbers after scaling; choose min-max scaling or standardize"
    )]
    NotFinite { feature: String },
    #[error("the data lacks the column{} the model needs: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error(
        "column `{column}` was numeric when the model was trained but holds text here (e.g. `{example}`)"
    )]
    ExpectedNumeric { column: String, example: String },
}

/// A dense row-major `f32` matrix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    pub data: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
}

impl Matrix {
    pub fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// One side of the split: features, targets (1/0 or the value), and which
/// rows of the source table they came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    pub x: Matrix,
    pub y: Vec<f32>,
    pub source_rows: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub pipeline: Pipeline,
    pub train: Dataset,
    pub test: Dataset,
    /// Rows left out because the target (or, with `DropRows`, a feature) was
    /// missing.
    pub dropped_rows: usize,
    /// What preparing did that the user should know: rows dropped, label
    /// variants, duplicate rows, class imbalance, hints about the task.
    pub notes: Vec<DataNote>,
    /// What the training rows looked like, saved with the model so scoring
    /// can say what the model never saw (`None` only if it could not be
    /// fitted, which the pipeline's own checks rule out).
    pub profile: Option<TrainingProfile>,
}

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

    fn apply(self, x: f64) -> f64 {
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

fn plain_number() -> CellFormat {
    CellFormat::Number(super::numbers::NumberFormat::default())
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
            FeatureStep::Numeric { typical, .. } => super::table::format_number(*typical),
            FeatureStep::Categorical { fill, .. } => fill.clone(),
        }
    }
}

/// How the target was encoded for the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetEncoding {
    /// `y = 1` for `positive`, `0` for any other label (`negatives` lists
    /// those seen in training, for display).
    Classification {
        positive: String,
        negatives: Vec<String>,
    },
    /// Training-row mean and standard deviation of the raw target, so the
    /// engine can train on a standardized target and report raw units;
    /// `non_negative` keeps predictions at or above 0.
    Regression {
        mean: f64,
        std: f64,
        #[serde(default)]
        non_negative: bool,
    },
}

impl TargetEncoding {
    /// The two class names to show: the positive label and the one other
    /// label seen in training (or `not <positive>` when there were several).
    /// `None` for regression.
    pub fn class_names(&self) -> Option<(&str, String)> {
        match self {
            TargetEncoding::Classification {
                positive,
                negatives,
            } => Some((
                positive.as_str(),
                match negatives.as_slice() {
                    [only] => only.clone(),
                    _ => format!("not {positive}"),
                },
            )),
            TargetEncoding::Regression { .. } => None,
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
    /// Names of the encoded features: `age`, `region=north`, …
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
        names
    }

    pub fn n_features(&self) -> usize {
        self.steps.iter().map(FeatureStep::width).sum()
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
            write_step(step, column, rows, &mut m, offset)?;
            offset += step.width();
        }
        Ok(m)
    }
}

/// Writes one step's output columns, starting at column `offset` of `m`.
fn write_step(
    step: &FeatureStep,
    column: &Column,
    rows: &[usize],
    m: &mut Matrix,
    offset: usize,
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
                let x = if values[r].is_nan() { *fill } else { values[r] };
                let v = scale.apply(x) as f32;
                if !v.is_finite() {
                    return Err(PrepError::NotFinite {
                        feature: name.clone(),
                    });
                }
                m.data[i * cols + offset] = v;
            }
        }
        FeatureStep::Categorical { levels, fill, .. } => {
            for (i, &r) in rows.iter().enumerate() {
                let text = column.text(r);
                let label = text.as_deref().unwrap_or(fill);
                if let Ok(k) = levels.binary_search_by(|l| l.as_str().cmp(label)) {
                    m.data[i * cols + offset + k] = 1.0;
                }
            }
        }
    }
    Ok(())
}

/// Checks the recipe, drops unusable rows, splits, fits the pipeline on the
/// training rows and transforms both sides.
///
/// # Errors
/// [`PrepError`] for a recipe the table cannot satisfy (missing target or
/// feature, too few rows, a constant or negative target, …), each naming the
/// column and, where one row is at fault, its file line.
pub fn prepare(table: &Table, recipe: &Recipe) -> Result<Prepared, PrepError> {
    if !(recipe.test_fraction > 0.0 && recipe.test_fraction < 1.0) {
        return Err(PrepError::TestFraction(recipe.test_fraction));
    }
    let (target, features) = resolve_columns(table, recipe)?;
    let rows = usable_rows(table, recipe, target, &features)?;
    let usable = rows.usable;
    let merge = recipe.merge_label_variants;
    let (y_all, classes) = encode_target(target, &recipe.target, &recipe.problem, &usable, merge)?;
    let split = split_rows(
        &usable,
        classes.as_deref(),
        recipe.test_fraction,
        recipe.seed,
    );

    let mut steps = Vec::with_capacity(features.len());
    for column in &features {
        let format = table.cell_format(&column.name);
        steps.push(fit_step(column, format, &split.train, recipe)?);
    }
    let train_targets: Vec<f64> = split
        .train
        .iter()
        .map(|r| f64::from(y_all[usable_index(&usable, *r)]))
        .collect();
    let encoding =
        fit_target_encoding(table, recipe, target, &usable, &split.train, &train_targets)?;
    let pipeline = Pipeline {
        target: recipe.target.clone(),
        encoding,
        impute: recipe.impute,
        scale: recipe.scale,
        steps,
    };

    let side = |rows: Vec<usize>| -> Result<Dataset, PrepError> {
        let x = pipeline.transform_rows(table, &rows)?;
        let y = rows
            .iter()
            .map(|r| y_all[usable_index(&usable, *r)])
            .collect();
        Ok(Dataset {
            x,
            y,
            source_rows: rows,
        })
    };
    let train = side(split.train)?;
    let test = side(split.test)?;
    let mut notes = preparation_notes(
        table,
        recipe,
        target,
        &usable,
        rows.dropped_copies,
        &train,
        &test,
    );
    notes.extend(imputation_notes(table, &pipeline, &usable));
    if let Some(d) = &rows.duplicates {
        // Without a customer identifier, identical rows may be different
        // customers who look alike rather than copies of one record.
        let has_identifier = table.columns().iter().any(|c| {
            c.name != recipe.target
                && super::screen::unsuitable(table, c)
                    == Some(super::screen::Unsuitable::Identifier)
        });
        notes.extend(duplicate_note(
            d,
            rows.dropped_copies,
            has_identifier,
            &train,
            &test,
        ));
    }
    let inputs: Vec<&str> = pipeline.input_columns().collect();
    let regression_target =
        matches!(recipe.problem, Problem::Regression).then_some(recipe.target.as_str());
    let profile = TrainingProfile::fit(table, &inputs, &train.source_rows, regression_target).ok();
    Ok(Prepared {
        pipeline,
        train,
        test,
        dropped_rows: rows.dropped,
        notes,
        profile,
    })
}

/// The recipe's target and feature columns, or why the table lacks them.
fn resolve_columns<'t>(
    table: &'t Table,
    recipe: &Recipe,
) -> Result<(&'t Column, Vec<&'t Column>), PrepError> {
    let target = table
        .column(&recipe.target)
        .ok_or_else(|| PrepError::TargetMissing {
            name: recipe.target.clone(),
            available: table.column_names().collect::<Vec<_>>().join(", "),
        })?;
    if recipe.features.is_empty() {
        return Err(PrepError::NoFeatures);
    }
    let mut features = Vec::with_capacity(recipe.features.len());
    for name in &recipe.features {
        if *name == recipe.target {
            return Err(PrepError::TargetIsFeature(name.clone()));
        }
        let column = table
            .column(name)
            .ok_or_else(|| PrepError::FeatureMissing {
                name: name.clone(),
                hint: table
                    .column_names()
                    .find(|c| c.trim().eq_ignore_ascii_case(name.trim()))
                    .map_or_else(String::new, |c| format!("; did you mean `{c}`?")),
            })?;
        features.push(column);
    }
    Ok((target, features))
}

/// The rows a model can learn from, and what was left out on the way.
struct UsableRows {
    /// Table rows with a known target (and, with `DropRows`, every feature),
    /// minus dropped duplicate copies; ascending.
    usable: Vec<usize>,
    /// Rows left out for a missing target or feature.
    dropped: usize,
    /// Exact copies dropped on request (`Recipe::drop_duplicates`).
    dropped_copies: usize,
    /// Duplicate groups over every column, found on the whole table.
    duplicates: Option<Duplicates>,
}

/// Drops rows without a target (and, with `DropRows`, with a missing
/// feature) and, on request, exact copies of whole records.
fn usable_rows(
    table: &Table,
    recipe: &Recipe,
    target: &Column,
    features: &[&Column],
) -> Result<UsableRows, PrepError> {
    let mut usable: Vec<usize> = (0..table.n_rows())
        .filter(|&r| !target.is_missing(r))
        .filter(|&r| recipe.impute != Impute::DropRows || features.iter().all(|c| !c.is_missing(r)))
        .collect();
    if usable.is_empty() && target.missing_count() == table.n_rows() {
        return Err(PrepError::TargetEmpty {
            target: recipe.target.clone(),
        });
    }

    // Counted before the target is encoded: with every row dropped, the
    // target would otherwise seem to lack the positive label.
    let dropped = table.n_rows() - usable.len();
    if usable.len() < MIN_ROWS {
        return Err(PrepError::TooFewRows {
            rows: usable.len(),
            dropped,
        });
    }
    // Exact copies of whole records (every column), found on the whole
    // table before the split; dropped there on request, so none reaches
    // the test side. (Rows equal only in the chosen features may well be
    // different customers.)
    let all_columns: Vec<&str> = table.column_names().collect();
    let duplicates = Duplicates::find(table, &all_columns).ok();
    let mut dropped_copies = 0;
    if recipe.drop_duplicates
        && let Some(d) = &duplicates
        && let Ok(kept) = d.keep_first(&usable)
    {
        dropped_copies = usable.len() - kept.len();
        usable = kept;
        if usable.len() < MIN_ROWS {
            return Err(PrepError::TooFewRows {
                rows: usable.len(),
                dropped: table.n_rows() - usable.len(),
            });
        }
    }
    Ok(UsableRows {
        usable,
        dropped,
        dropped_copies,
        duplicates,
    })
}

/// How the target is encoded: the positive label and the labels read as
/// negative, or a regression target's training mean and standard deviation
/// (`train_targets`: the training rows' target values, in `train_rows`
/// order).
fn fit_target_encoding(
    table: &Table,
    recipe: &Recipe,
    target: &Column,
    usable: &[usize],
    train_rows: &[usize],
    train_targets: &[f64],
) -> Result<TargetEncoding, PrepError> {
    match &recipe.problem {
        Problem::Classification { positive } => {
            let merge = recipe.merge_label_variants;
            let mut negatives: Vec<String> = usable
                .iter()
                .filter_map(|&r| target.text(r).map(|t| t.into_owned()))
                .filter(|t| !label_matches(target, t, positive, merge))
                .collect();
            negatives.sort();
            negatives.dedup();
            Ok(TargetEncoding::Classification {
                positive: positive.clone(),
                negatives,
            })
        }
        Problem::Regression => {
            let (mean, std) = mean_std(train_targets);
            if std == 0.0 {
                return Err(PrepError::ConstantTarget {
                    target: recipe.target.clone(),
                    value: train_targets.first().copied().unwrap_or(mean),
                });
            }
            let non_negative = recipe.non_negative_target;
            if non_negative
                && let Some((i, &y)) = train_targets.iter().enumerate().find(|(_, y)| **y < 0.0)
            {
                return Err(PrepError::NegativeTarget {
                    target: recipe.target.clone(),
                    line: table.line_of_row(train_rows[i]),
                    value: y,
                });
            }
            Ok(TargetEncoding::Regression {
                mean,
                std,
                non_negative,
            })
        }
    }
}

/// A note per feature with missing cells in the rows the model sees: how
/// many, and what fills them (learned from the training rows).
fn imputation_notes(table: &Table, pipeline: &Pipeline, usable: &[usize]) -> Vec<DataNote> {
    if pipeline.impute == Impute::DropRows {
        return Vec::new();
    }
    let mut notes = Vec::new();
    for step in &pipeline.steps {
        let Some(column) = table.column(step.column()) else {
            continue;
        };
        let missing = usable.iter().filter(|&&r| column.is_missing(r)).count();
        if missing == 0 {
            continue;
        }
        let name = step.column();
        let fill = match step {
            FeatureStep::Numeric { fill, read_as, .. } => {
                let shown = match read_as {
                    CellFormat::Date(_) => super::dates::format_day(*fill),
                    _ => super::table::format_number(*fill),
                };
                let how = match pipeline.impute {
                    Impute::Mean => "training mean",
                    Impute::MostFrequent => "most frequent training value",
                    Impute::Median | Impute::DropRows => "training median",
                };
                format!("the {how} {shown}")
            }
            FeatureStep::Categorical { fill, .. } => {
                format!("the most frequent training value `{fill}`")
            }
        };
        notes.push(DataNote::info(
            Some(name),
            format!(
                "`{name}`: {missing} missing cell{} filled with {fill}",
                if missing == 1 { "" } else { "s" }
            ),
        ));
    }
    notes
}

/// The note about rows that repeat exactly: how many, how many test rows
/// also occur in training (test metrics would be optimistic), or how many
/// were dropped.
fn duplicate_note(
    duplicates: &Duplicates,
    dropped: usize,
    has_identifier: bool,
    train: &Dataset,
    test: &Dataset,
) -> Option<DataNote> {
    if dropped > 0 {
        return Some(DataNote::info(
            None,
            format!(
                "{dropped} row{} repeating an earlier row in every column {} left out before the split",
                if dropped == 1 { "" } else { "s" },
                if dropped == 1 { "was" } else { "were" }
            ),
        ));
    }
    let report = duplicates
        .report(&train.source_rows, &test.source_rows)
        .ok()?;
    if report.copies == 0 {
        return None;
    }
    let caveat = if has_identifier {
        ""
    } else {
        " (with no customer identifier in the file, they may also be different customers who look alike)"
    };
    Some(DataNote::warning(
        None,
        format!(
            "{} of {} rows are duplicate rows, repeating another in every column ({} distinct rows repeat); {} of the {} test rows also occur in the training rows, so test metrics would be optimistic; if they are copies of one record{caveat}, drop them (--drop-duplicates, or the data panel's tick)",
            report.copies,
            report.rows,
            report.repeated_groups,
            report.test_rows_in_train,
            report.test_rows,
        ),
    ))
}

/// Share of positive rows under which a note warns about imbalance.
const IMBALANCED_SHARE: f64 = 0.10;
/// Fewer positive test rows than this make the test metrics noisy.
const FEW_TEST_POSITIVES: usize = 10;

/// What the user should know about the prepared rows: those left out, the
/// positive label's spelling variants, imbalance, a 0/1 regression target.
fn preparation_notes(
    table: &Table,
    recipe: &Recipe,
    target: &Column,
    usable: &[usize],
    dropped_copies: usize,
    train: &Dataset,
    test: &Dataset,
) -> Vec<DataNote> {
    let name = recipe.target.as_str();
    let mut notes = Vec::new();
    let no_target: Vec<usize> = (0..table.n_rows())
        .filter(|&r| target.is_missing(r))
        .collect();
    if !no_target.is_empty() {
        let lines: Vec<u64> = no_target
            .iter()
            .take(5)
            .map(|&r| table.line_of_row(r))
            .collect();
        notes.push(DataNote::warning(
            Some(name),
            format!(
                "{} row{} without a value in the target `{name}` {} left out: {}",
                no_target.len(),
                if no_target.len() == 1 { "" } else { "s" },
                if no_target.len() == 1 { "was" } else { "were" },
                format_lines(&lines, no_target.len())
            ),
        ));
    }
    let feature_gaps = table.n_rows() - no_target.len() - usable.len() - dropped_copies;
    if feature_gaps > 0 {
        notes.push(DataNote::warning(
            None,
            format!(
                "{feature_gaps} row{} with a missing feature {} left out (missing values: drop_rows)",
                if feature_gaps == 1 { "" } else { "s" },
                if feature_gaps == 1 { "was" } else { "were" },
            ),
        ));
    }
    match &recipe.problem {
        Problem::Classification { positive } => {
            if let Some(note) =
                label_variant_note(target, name, positive, usable, recipe.merge_label_variants)
            {
                notes.push(note);
            }
            let positives = |d: &Dataset| d.y.iter().filter(|&&y| y > 0.5).count();
            let total = train.y.len() + test.y.len();
            let pos = positives(train) + positives(test);
            if total > 0 && (pos as f64) < IMBALANCED_SHARE * total as f64 {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "only {pos} of {total} rows ({:.1}%) are `{positive}`: accuracy says little here (predicting nobody scores {:.1}%); judge by ROC AUC, recall and precision, and try the threshold slider",
                        100.0 * pos as f64 / total as f64,
                        100.0 * (total - pos) as f64 / total as f64,
                    ),
                ));
            }
            let test_pos = positives(test);
            if test_pos == 0 {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "the test rows hold no `{positive}` row, so test recall and ROC AUC cannot be measured; use a larger test share or more data"
                    ),
                ));
            } else if test_pos < FEW_TEST_POSITIVES {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "the test rows hold only {test_pos} `{positive}` row{}, so test precision, recall and AUC swing widely between seeds",
                        if test_pos == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
        Problem::Regression => {
            if let ColumnData::Numeric(values) = &target.data
                && !recipe.non_negative_target
                && usable.iter().all(|&r| values[r] >= 0.0)
                && usable.iter().any(|&r| values[r] > 0.0)
            {
                notes.push(DataNote::info(
                    Some(name),
                    format!(
                        "the target `{name}` is never negative here; keep predictions at or above 0 with --non-negative (the data panel's \"never below 0\")"
                    ),
                ));
            }
            if let ColumnData::Numeric(values) = &target.data
                && usable.iter().all(|&r| values[r] == 0.0 || values[r] == 1.0)
            {
                notes.push(DataNote::warning(
                    Some(name),
                    format!(
                        "the target `{name}` holds only 0 and 1, which looks like classification: choose classification with positive label 1 (--positive 1)"
                    ),
                ));
            }
        }
    }
    notes
}

/// A note when target labels differ from `positive` only in case or
/// spaces: the variants with their counts, and whether they were merged.
fn label_variant_note(
    target: &Column,
    name: &str,
    positive: &str,
    usable: &[usize],
    merged: bool,
) -> Option<DataNote> {
    let ColumnData::Categorical { codes, levels } = &target.data else {
        return None;
    };
    let wanted = positive.trim();
    let mut counts = vec![0usize; levels.len()];
    for &r in usable {
        if let Some(c) = counts.get_mut(codes[r] as usize) {
            *c += 1;
        }
    }
    let variants: Vec<(String, usize)> = levels
        .iter()
        .zip(&counts)
        .filter(|(l, n)| **n > 0 && l.as_str() != wanted && l.trim().eq_ignore_ascii_case(wanted))
        .map(|(l, n)| (l.clone(), *n))
        .collect();
    if variants.is_empty() {
        return None;
    }
    let exact: usize = levels
        .iter()
        .zip(&counts)
        .filter(|(l, _)| l.as_str() == wanted)
        .map(|(_, n)| *n)
        .sum();
    let listed: Vec<String> = variants
        .iter()
        .map(|(l, n)| format!("`{l}` ({n})"))
        .collect();
    let variant_rows: usize = variants.iter().map(|(_, n)| n).sum();
    let outcome = if merged {
        format!(
            "merged into `{wanted}`: {} positive rows",
            exact + variant_rows
        )
    } else {
        format!(
            "they count as NOT `{wanted}` ({exact} positive rows); merge them (--merge-labels, or the data panel's tick) to get {}",
            exact + variant_rows
        )
    };
    Some(DataNote::warning(
        Some(name),
        format!(
            "`{name}`: labels that differ from `{wanted}` only in case or spaces: {}; {outcome}",
            listed.join(", ")
        ),
    ))
}

/// Position of source row `r` in the ascending `usable` list.
fn usable_index(usable: &[usize], r: usize) -> usize {
    usable.binary_search(&r).unwrap_or_else(|i| i)
}

/// Target values for the usable rows, and the class of each (for a
/// stratified split) when classifying.
fn encode_target(
    target: &Column,
    name: &str,
    problem: &Problem,
    usable: &[usize],
    merge: bool,
) -> Result<(Vec<f32>, Option<Vec<usize>>), PrepError> {
    match problem {
        Problem::Regression => {
            let ColumnData::Numeric(values) = &target.data else {
                return Err(PrepError::RegressionTargetNotNumeric(name.to_owned()));
            };
            // A finite f64 beyond f32's range would reach the network as
            // infinity; say which value instead.
            if let Some(&r) = usable.iter().find(|&&r| !(values[r] as f32).is_finite()) {
                return Err(PrepError::TargetTooLarge {
                    target: name.to_owned(),
                    row: r + 1,
                    value: values[r],
                });
            }
            Ok((usable.iter().map(|&r| values[r] as f32).collect(), None))
        }
        Problem::Classification { positive } => {
            let labels: Vec<bool> = usable
                .iter()
                .map(|&r| {
                    target
                        .text(r)
                        .is_some_and(|t| label_matches(target, &t, positive, merge))
                })
                .collect();
            let n_pos = labels.iter().filter(|&&b| b).count();
            if n_pos == 0 {
                let summary = target.summary();
                let labels = match summary.stats {
                    super::table::SummaryStats::Categorical { top, distinct, .. } => {
                        let shown = top.len();
                        let mut labels: Vec<String> = top.into_iter().map(|(l, _)| l).collect();
                        // Say the list is cut short, or a 1,000-class target
                        // looks like it has eight.
                        if distinct > shown {
                            labels.push(format!("… and {} more", distinct - shown));
                        }
                        labels
                    }
                    super::table::SummaryStats::Numeric { .. } => {
                        let mut seen: Vec<String> = usable
                            .iter()
                            .filter_map(|&r| target.text(r).map(|t| t.into_owned()))
                            .take(1000)
                            .collect();
                        seen.sort();
                        seen.dedup();
                        seen.truncate(8);
                        seen
                    }
                };
                if labels.len() == 1 {
                    return Err(PrepError::SingleClass {
                        target: name.to_owned(),
                        label: labels[0].clone(),
                    });
                }
                let hint = usable
                    .iter()
                    .filter_map(|&r| target.text(r))
                    .find(|t| t.trim().eq_ignore_ascii_case(positive.trim()))
                    .map_or_else(String::new, |t| {
                        format!("; did you mean `{t}`? (--merge-labels also counts case variants)")
                    });
                return Err(PrepError::PositiveAbsent {
                    target: name.to_owned(),
                    positive: positive.clone(),
                    labels: labels.join(", "),
                    hint,
                });
            }
            if n_pos == labels.len() {
                return Err(PrepError::SingleClass {
                    target: name.to_owned(),
                    label: positive.clone(),
                });
            }
            let y = labels.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
            let classes = labels.iter().map(|&b| usize::from(b)).collect();
            Ok((y, Some(classes)))
        }
    }
}

/// Whether a target cell's text is the positive label. A numeric target
/// compares as numbers, so `1` matches `1.0`; with `merge`, labels that
/// differ only in case or surrounding spaces match too.
fn label_matches(target: &Column, text: &str, positive: &str, merge: bool) -> bool {
    if target.kind() == ColumnKind::Numeric
        && let (Ok(a), Ok(b)) = (text.parse::<f64>(), positive.trim().parse::<f64>())
    {
        return a == b;
    }
    let positive = positive.trim();
    text == positive || (merge && text.trim().eq_ignore_ascii_case(positive))
}

/// Mean and population standard deviation of finite values. Computed on
/// the values divided by the largest magnitude, so columns near `f64::MAX`
/// (a sum of two of them overflows) still give finite statistics: the mean
/// lies within the values and the deviation within half their range.
fn mean_std(xs: &[f64]) -> (f64, f64) {
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

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Most frequent value of a sorted slice; ties go to the smallest.
fn mode(sorted: &[f64]) -> f64 {
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

fn fit_step(
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
                Impute::Median | Impute::DropRows => med,
                Impute::MostFrequent => mode(&known),
            };
            // Scaling statistics include the filled cells, as the network
            // will see them.
            let n_missing = train.len() - known.len();
            let filled = known
                .iter()
                .copied()
                .chain(std::iter::repeat_n(fill, n_missing));
            let (min, max) = (known[0], known[known.len() - 1]);
            let scale = match recipe.scale {
                Scale::None => Affine::IDENTITY,
                Scale::MinMax => {
                    let (lo, hi) = (min.min(fill), max.max(fill));
                    let range = hi - lo;
                    Affine {
                        offset: lo,
                        // A constant column maps to 0 rather than dividing by 0.
                        factor: if range > 0.0 { 1.0 / range } else { 0.0 },
                    }
                }
                Scale::Standardize => {
                    let all: Vec<f64> = filled.collect();
                    let (m, s) = mean_std(&all);
                    Affine {
                        offset: m,
                        factor: if s > 0.0 { 1.0 / s } else { 0.0 },
                    }
                }
            };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_deviation_stay_finite_near_the_largest_double() {
        let xs = [1.5e308, 1.7e308, 1.6e308];
        let (m, s) = mean_std(&xs);
        assert!((m - 1.6e308).abs() < 1e294, "{m}");
        assert!(s.is_finite() && s > 0.0, "{s}");
        assert_eq!(mean_std(&[0.0, 0.0]), (0.0, 0.0));
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
        assert!((m - 2.5).abs() < 1e-12 && (s - 1.25f64.sqrt()).abs() < 1e-12);
    }
    use crate::data::csv::parse_csv;

    fn table(text: &str) -> Table {
        parse_csv(text.as_bytes()).unwrap()
    }

    fn classify(positive: &str) -> Problem {
        Problem::Classification {
            positive: positive.to_owned(),
        }
    }

    const SMALL: &str = "\
x,c,y
1,a,yes
2,b,no
3,a,yes
4,,no
,b,yes
6,a,no
7,b,yes
8,a,no
9,b,yes
10,a,no
";

    #[test]
    fn median_mean_and_mode_fill() {
        let known = [1.0, 2.0, 2.0, 9.0];
        assert_eq!(median(&known), 2.0);
        assert_eq!(mode(&known), 2.0);
        assert_eq!(mean_std(&known).0, 3.5);
        assert_eq!(median(&[1.0, 5.0, 7.0]), 5.0);
    }

    #[test]
    fn minmax_scales_training_rows_into_unit_range() {
        let t = table(SMALL);
        let mut r = Recipe::new(&t, "y", classify("yes"));
        r.features = vec!["x".into()];
        let p = prepare(&t, &r).unwrap();
        let xs = &p.train.x.data;
        let lo = xs.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!((lo, hi), (0.0, 1.0));
    }

    #[test]
    fn standardize_gives_zero_mean_unit_std_on_training_rows() {
        let t = table(SMALL);
        let mut r = Recipe::new(&t, "y", classify("yes"));
        r.features = vec!["x".into()];
        r.scale = Scale::Standardize;
        let p = prepare(&t, &r).unwrap();
        let xs: Vec<f64> = p.train.x.data.iter().map(|&v| f64::from(v)).collect();
        let (m, s) = mean_std(&xs);
        assert!(m.abs() < 1e-6 && (s - 1.0).abs() < 1e-6, "{m} {s}");
    }

    #[test]
    fn one_hot_levels_are_sorted_and_unseen_is_all_zero() {
        let t = table(SMALL);
        let mut r = Recipe::new(&t, "y", classify("yes"));
        r.features = vec!["c".into()];
        let p = prepare(&t, &r).unwrap();
        assert_eq!(p.pipeline.feature_names(), ["c=a", "c=b"]);
        let later = table("c,other\nb,1\nzzz,2\n,3\n");
        let m = p.pipeline.transform(&later).unwrap();
        assert_eq!(m.row(0), [0.0, 1.0]);
        assert_eq!(m.row(1), [0.0, 0.0], "unseen level must be all zero");
        // Missing takes the most frequent training level.
        let StepFill(fill) = fill_of(&p.pipeline, "c");
        let expected: [f32; 2] = if fill == "a" { [1.0, 0.0] } else { [0.0, 1.0] };
        assert_eq!(m.row(2), expected);
    }

    struct StepFill(String);
    fn fill_of(p: &Pipeline, column: &str) -> StepFill {
        match p.step(column) {
            Some(FeatureStep::Categorical { fill, .. }) => StepFill(fill.clone()),
            Some(FeatureStep::Numeric { fill, .. }) => StepFill(fill.to_string()),
            None => panic!("no step for {column}"),
        }
    }

    #[test]
    fn drop_rows_leaves_out_rows_with_missing_features() {
        let t = table(SMALL);
        let mut r = Recipe::new(&t, "y", classify("yes"));
        r.impute = Impute::DropRows;
        let p = prepare(&t, &r).unwrap();
        assert_eq!(p.dropped_rows, 2);
        assert_eq!(p.train.x.rows + p.test.x.rows, 8);
        assert!(!p.train.source_rows.contains(&3) && !p.test.source_rows.contains(&3));
    }

    #[test]
    fn fill_values_are_learned_from_training_rows_only() {
        // The test side holds the huge value; the fill must not see it.
        let mut text = String::from("x,y\n");
        for i in 0..40 {
            text.push_str(&format!(
                "{},{}\n",
                i % 4,
                if i % 2 == 0 { "a" } else { "b" }
            ));
        }
        let t = table(&text);
        let mut r = Recipe::new(&t, "y", classify("a"));
        r.impute = Impute::Mean;
        r.scale = Scale::None;
        let p = prepare(&t, &r).unwrap();
        let train_mean: f64 = p
            .train
            .source_rows
            .iter()
            .map(|&row| (row % 4) as f64)
            .sum::<f64>()
            / p.train.source_rows.len() as f64;
        match p.pipeline.step("x") {
            Some(FeatureStep::Numeric { fill, .. }) => assert!((fill - train_mean).abs() < 1e-9),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn classification_targets_are_one_for_the_positive_label() {
        let t = table(SMALL);
        let p = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap();
        for (side, y) in [(&p.train, &p.train.y), (&p.test, &p.test.y)] {
            for (&row, &v) in side.source_rows.iter().zip(y) {
                let label = t.column("y").unwrap().text(row).unwrap();
                assert_eq!(v, if label == "yes" { 1.0 } else { 0.0 });
            }
        }
    }

    #[test]
    fn numeric_target_matches_positive_numerically() {
        let t = table("x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n");
        let p = prepare(&t, &Recipe::new(&t, "y", classify("1.0"))).unwrap();
        let total: f32 = p.train.y.iter().chain(&p.test.y).sum();
        assert_eq!(total, 3.0);
    }

    #[test]
    fn regression_keeps_raw_target_and_its_training_stats() {
        let t = table("x,y\n1,10\n2,20\n3,30\n4,40\n5,50\n6,60\n");
        let p = prepare(&t, &Recipe::new(&t, "y", Problem::Regression)).unwrap();
        for (&row, &v) in p.train.source_rows.iter().zip(&p.train.y) {
            assert_eq!(v, 10.0 * (row + 1) as f32);
        }
        assert!(matches!(
            p.pipeline.encoding,
            TargetEncoding::Regression { mean, .. } if mean > 0.0
        ));
    }

    #[test]
    fn recipe_errors_name_the_problem() {
        let t = table(SMALL);
        let err = |r: Recipe| prepare(&t, &r).unwrap_err().to_string();
        let base = Recipe::new(&t, "y", classify("yes"));
        assert_eq!(
            err(Recipe {
                target: "nope".into(),
                ..base.clone()
            }),
            "there is no column `nope` to predict; the columns are: x, c, y"
        );
        assert_eq!(
            err(Recipe {
                problem: classify("maybe"),
                ..base.clone()
            }),
            "the positive label `maybe` does not occur in `y`; its values are: no, yes"
        );
        assert_eq!(
            err(Recipe {
                features: vec![],
                ..base.clone()
            }),
            "no feature columns are selected; tick at least one"
        );
        assert_eq!(
            err(Recipe {
                features: vec!["y".into()],
                ..base.clone()
            }),
            "`y` is the target, so it cannot also be a feature; untick it"
        );
        assert_eq!(
            err(Recipe {
                problem: Problem::Regression,
                ..base.clone()
            }),
            "the target `y` is not numeric, so it cannot be a regression target; choose classification"
        );
        for bad in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(
                err(Recipe {
                    test_fraction: bad,
                    ..base.clone()
                })
                .starts_with("the test share must be between 0 and 1")
            );
        }
    }

    #[test]
    fn single_class_target_is_refused() {
        let t = table("x,y\n1,yes\n2,yes\n3,yes\n4,yes\n5,yes\n");
        let e = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the target `y` has only one class (`yes`); a classifier needs at least two"
        );
        let e = prepare(&t, &Recipe::new(&t, "y", classify("no"))).unwrap_err();
        assert!(matches!(e, PrepError::SingleClass { .. }));
    }

    #[test]
    fn too_few_rows_is_refused() {
        let t = table("x,y\n1,a\n2,b\n3,a\n,b\n");
        let e = prepare(&t, &Recipe::new(&t, "y", classify("a"))).unwrap_err();
        assert_eq!(
            e,
            PrepError::TooFewRows {
                rows: 4,
                dropped: 0
            }
        );
    }

    #[test]
    fn transform_names_missing_columns_and_type_changes() {
        let t = table(SMALL);
        let p = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap();
        let e = p.pipeline.transform(&table("z\n1\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the data lacks the columns the model needs: x, c"
        );
        let e = p.pipeline.transform(&table("x,c\nlots,a\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "column `x` was numeric when the model was trained but holds text here (e.g. `lots`)"
        );
    }

    #[test]
    fn pipeline_survives_a_serde_round_trip() {
        let t = table(SMALL);
        let p = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap();
        let json = serde_json::to_string(&p.pipeline).unwrap();
        let back: Pipeline = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p.pipeline);
        assert_eq!(
            back.transform(&t).unwrap(),
            p.pipeline.transform(&t).unwrap()
        );
    }

    #[test]
    fn choices_parse_from_text() {
        assert_eq!("most-frequent".parse::<Impute>(), Ok(Impute::MostFrequent));
        assert_eq!("MinMax".parse::<Scale>(), Ok(Scale::MinMax));
        assert!(
            "loud"
                .parse::<Scale>()
                .unwrap_err()
                .contains("minmax, standardize, none")
        );
    }
}
