//! Preparation: a [`Recipe`] says what to predict and how to clean the
//! features; fitting it on the training rows gives a [`Pipeline`] that turns
//! any table with the same columns into the same dense `f32` layout.
//!
//! Everything learned from data (fill values, scaling, category levels) is
//! learned from the training rows only, so test metrics are honest, and is
//! stored in the pipeline, so new customers are transformed identically.

mod cross;
mod error;
mod notes;
mod pipeline;
mod recipe;
mod target;

use serde::{Deserialize, Serialize};

use super::duplicates::Duplicates;
use super::notes::{DataNote, format_lines};
use super::profile::TrainingProfile;
use super::split::{Split, split_rows, stratified_folds};
use super::table::{CellFormat, Column, ColumnData, ColumnKind, Table};

pub use self::cross::{Cross, CrossError, CrossStep};
use self::cross::{check_crosses, fit_crosses};
pub use self::error::PrepError;
use self::notes::{duplicate_note, imputation_notes, preparation_notes};
pub use self::pipeline::{Affine, FeatureStep, Pipeline};
use self::pipeline::{fit_step, mean_std};
pub use self::recipe::{DEFAULT_VALID_FRACTION, Impute, MAX_CLASSES, Problem, Recipe, Scale};
pub use self::target::TargetEncoding;
use self::target::{encode_target, fit_target_encoding, usable_index};

/// Fewest usable rows a recipe accepts: enough for a training and a test side.
pub const MIN_ROWS: usize = 5;

/// A dense row-major `f32` matrix.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Matrix {
    pub data: Vec<f32>,
    pub rows: usize,
    pub cols: usize,
}

impl Prepared {
    /// The rows of `part`.
    pub fn part(&self, part: Part) -> &Dataset {
        match part {
            Part::Train => &self.train,
            Part::Validation => &self.valid,
            Part::Test => &self.test,
        }
    }
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
    /// Rows the model learns from (the pipeline is fitted on them).
    pub train: Dataset,
    /// Rows carved from the training side for the curves, early stopping,
    /// the threshold choice and rankings.
    pub valid: Dataset,
    /// Held-out rows, looked at only once a run ends.
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

/// Checks the recipe, drops unusable rows, splits them three ways
/// (training, validation carved from the training side, test), fits the
/// pipeline on the training rows and transforms every part.
///
/// The test rows are [`Recipe::test_fraction`] of the usable rows; the
/// validation rows are [`Recipe::valid_fraction`] of the rest. Both splits
/// are stratified by class when classifying and seeded by
/// [`Recipe::seed`], so a recipe always gives the same parts.
///
/// # Errors
/// [`PrepError`] for a recipe the table cannot satisfy (missing target or
/// feature, too few rows, a constant or negative target, …), each naming the
/// column and, where one row is at fault, its file line.
pub fn prepare(table: &Table, recipe: &Recipe) -> Result<Prepared, PrepError> {
    let plan = SplitPlan::new(table, recipe, None)?;
    plan.prepare_part(table, recipe, &plan.outer.train, &plan.outer.test)
}

/// One [`Prepared`] per fold of k-fold cross-validation on the
/// development rows (training and validation rows of [`prepare`]'s
/// split; its test rows are left out of every fold). Fold `i` is the held
/// out side (`test` of its `Prepared`); validation rows for early stopping
/// are carved from the other folds, and the pipeline is fitted on each
/// fold's own training rows. `k` must be 2 to the number of development
/// rows. Errors: as [`prepare`], and [`PrepError::Folds`].
pub fn prepare_folds(table: &Table, recipe: &Recipe, k: usize) -> Result<Vec<Prepared>, PrepError> {
    let plan = SplitPlan::new(table, recipe, Some(k))?;
    let folds = plan.folds.as_deref().unwrap_or_default();
    folds
        .iter()
        .enumerate()
        .map(|(i, held_out)| {
            let rest: Vec<usize> = folds
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .flat_map(|(_, f)| f.iter().copied())
                .collect();
            let mut rest = rest;
            rest.sort_unstable();
            plan.prepare_part(table, recipe, &rest, held_out)
        })
        .collect()
}

/// Which part of the split a usable row is in ([`split_assignment`]), or
/// which rows a set of predictions is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    Train,
    #[default]
    Validation,
    Test,
}

/// Where one usable table row went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowAssignment {
    /// 0-based table row.
    pub row: usize,
    /// Its part in [`prepare`]'s three-way split.
    pub part: Part,
    /// With cross-validation: the fold (0-based) in which the row is held
    /// out; `None` for test rows and without folds.
    pub fold: Option<usize>,
}

/// Every usable row's part and fold, exactly as [`prepare`] and
/// [`prepare_folds`] use them, so other tools (the same-folds comparison
/// in `scripts/`) can train on the same rows. Ascending by row.
pub fn split_assignment(
    table: &Table,
    recipe: &Recipe,
    folds: Option<usize>,
) -> Result<Vec<RowAssignment>, PrepError> {
    let plan = SplitPlan::new(table, recipe, folds)?;
    let (train, valid) = plan.carve_validation(&plan.outer.train, recipe);
    let mut out: Vec<RowAssignment> = Vec::with_capacity(plan.usable.len());
    for (rows, part) in [
        (&train, Part::Train),
        (&valid, Part::Validation),
        (&plan.outer.test, Part::Test),
    ] {
        out.extend(rows.iter().map(|&row| RowAssignment {
            row,
            part,
            fold: None,
        }));
    }
    out.sort_unstable_by_key(|a| a.row);
    if let Some(folds) = &plan.folds {
        for (i, fold) in folds.iter().enumerate() {
            for row in fold {
                if let Ok(at) = out.binary_search_by_key(row, |a| a.row) {
                    out[at].fold = Some(i);
                }
            }
        }
    }
    Ok(out)
}

/// The usable rows, their encoded targets and how they are split: the
/// shared first half of [`prepare`], [`prepare_folds`] and
/// [`split_assignment`].
struct SplitPlan<'t> {
    target: &'t Column,
    features: Vec<&'t Column>,
    rows: UsableRows,
    usable: Vec<usize>,
    y_all: Vec<f32>,
    /// One class per usable row when classifying.
    classes: Option<Vec<usize>>,
    /// Development (training + validation) and test rows.
    outer: Split,
    /// K-fold partition of the development rows, when asked for.
    folds: Option<Vec<Vec<usize>>>,
}

impl<'t> SplitPlan<'t> {
    fn new(table: &'t Table, recipe: &Recipe, folds: Option<usize>) -> Result<Self, PrepError> {
        if !(recipe.test_fraction > 0.0 && recipe.test_fraction < 1.0) {
            return Err(PrepError::TestFraction(recipe.test_fraction));
        }
        if !(recipe.valid_fraction > 0.0 && recipe.valid_fraction < 1.0) {
            return Err(PrepError::ValidFraction(recipe.valid_fraction));
        }
        let (target, features) = resolve_columns(table, recipe)?;
        check_crosses(table, recipe)?;
        let rows = usable_rows(table, recipe, target, &features)?;
        let usable = rows.usable.clone();
        let merge = recipe.merge_label_variants;
        let (y_all, classes) =
            encode_target(target, &recipe.target, &recipe.problem, &usable, merge)?;
        let outer = split_rows(
            &usable,
            classes.as_deref(),
            recipe.test_fraction,
            recipe.seed,
        );
        let mut plan = SplitPlan {
            target,
            features,
            rows,
            usable,
            y_all,
            classes,
            outer,
            folds: None,
        };
        if let Some(k) = folds {
            let dev = &plan.outer.train;
            if !(2..=dev.len()).contains(&k) {
                return Err(PrepError::Folds {
                    folds: k,
                    rows: dev.len(),
                });
            }
            let dev_classes = plan.classes_of(dev);
            plan.folds = Some(stratified_folds(
                dev,
                dev_classes.as_deref(),
                k,
                recipe.seed,
            ));
        }
        Ok(plan)
    }

    /// The class of each of `rows` (usable rows), when classifying.
    fn classes_of(&self, rows: &[usize]) -> Option<Vec<usize>> {
        let classes = self.classes.as_ref()?;
        Some(
            rows.iter()
                .map(|&r| classes[usable_index(&self.usable, r)])
                .collect(),
        )
    }

    /// Splits development rows into training and validation rows
    /// ([`Recipe::valid_fraction`] of them, stratified, seeded apart from
    /// the test split).
    fn carve_validation(&self, dev: &[usize], recipe: &Recipe) -> (Vec<usize>, Vec<usize>) {
        let classes = self.classes_of(dev);
        let inner = split_rows(
            dev,
            classes.as_deref(),
            recipe.valid_fraction,
            recipe.seed ^ VALIDATION_SEED_SALT,
        );
        (inner.train, inner.test)
    }

    /// Carves validation rows from `dev`, fits the pipeline on the rest and
    /// transforms training, validation and `test` rows.
    fn prepare_part(
        &self,
        table: &Table,
        recipe: &Recipe,
        dev: &[usize],
        test: &[usize],
    ) -> Result<Prepared, PrepError> {
        let (train_rows, valid_rows) = self.carve_validation(dev, recipe);
        let mut steps = Vec::with_capacity(self.features.len());
        for column in &self.features {
            let format = table.cell_format(&column.name);
            steps.push(fit_step(column, format, &train_rows, recipe)?);
        }
        let target_of = |r: usize| self.y_all[usable_index(&self.usable, r)];
        let train_targets: Vec<f64> = train_rows
            .iter()
            .map(|&r| f64::from(target_of(r)))
            .collect();
        let encoding = fit_target_encoding(
            table,
            recipe,
            self.target,
            &self.usable,
            &train_rows,
            &train_targets,
        )?;
        let mut pipeline = Pipeline {
            target: recipe.target.clone(),
            encoding,
            impute: recipe.impute,
            scale: recipe.scale,
            steps,
            crosses: Vec::new(),
        };
        pipeline.crosses = fit_crosses(&pipeline, table, &train_rows, recipe)?;
        let side = |rows: Vec<usize>| -> Result<Dataset, PrepError> {
            let x = pipeline.transform_rows(table, &rows)?;
            let y = rows.iter().map(|&r| target_of(r)).collect();
            Ok(Dataset {
                x,
                y,
                source_rows: rows,
            })
        };
        let train = side(train_rows)?;
        let valid = side(valid_rows)?;
        let test = side(test.to_vec())?;
        // The notes judge class shares and duplicates over every row the model
        // may learn from; they read targets and source rows only, so the
        // feature matrix is not copied.
        let development = Dataset {
            x: Matrix::default(),
            y: train.y.iter().chain(&valid.y).copied().collect(),
            source_rows: train
                .source_rows
                .iter()
                .chain(&valid.source_rows)
                .copied()
                .collect(),
        };
        let mut notes = preparation_notes(
            table,
            recipe,
            self.target,
            &self.usable,
            self.rows.dropped_copies,
            &development,
            &test,
        );
        notes.extend(imputation_notes(
            table,
            &pipeline,
            recipe.scale,
            &self.usable,
        ));
        if let Some(d) = &self.rows.duplicates {
            // Without a customer identifier, identical rows may be different
            // customers who look alike rather than copies of one record.
            let has_identifier = table.columns().iter().any(|c| {
                c.name != recipe.target
                    && super::screen::unsuitable(table, c)
                        == Some(super::screen::Unsuitable::Identifier)
            });
            notes.extend(duplicate_note(
                d,
                self.rows.dropped_copies,
                has_identifier,
                &development,
                &test,
            ));
        }
        let inputs: Vec<&str> = pipeline.input_columns().collect();
        let regression_target =
            matches!(recipe.problem, Problem::Regression).then_some(recipe.target.as_str());
        let profile =
            TrainingProfile::fit(table, &inputs, &train.source_rows, regression_target).ok();
        Ok(Prepared {
            pipeline,
            train,
            valid,
            test,
            dropped_rows: self.rows.dropped,
            notes,
            profile,
        })
    }
}

/// Mixed into the seed of the validation split so it is not the test
/// split's shuffle again.
const VALIDATION_SEED_SALT: u64 = 0x5641_4c49_4441_5445;

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

#[cfg(test)]
mod tests;
