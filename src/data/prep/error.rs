//! Why a recipe cannot be prepared, or a later table transformed: each
//! error names the column, label or count at fault.

use thiserror::Error;

use super::{CrossError, MAX_CLASSES, MIN_ROWS};

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
        "the target `{target}` has {count} classes ({labels}); multi-class needs 3 to {MAX_CLASSES}: with two, choose binary classification with a positive label (--positive)"
    )]
    TooFewClasses {
        target: String,
        count: usize,
        labels: String,
    },
    #[error(
        "the target `{target}` has {count} distinct labels (e.g. {labels}); multi-class takes at most {MAX_CLASSES}: group the rare ones into fewer classes, or choose a positive label for yes/no"
    )]
    TooManyClasses {
        target: String,
        count: usize,
        labels: String,
    },
    #[error(
        "class `{label}` of `{target}` has {rows} row{} and none fell in the training rows, so the model could never predict it; remove those rows or merge the class into another", if *.rows == 1 { "" } else { "s" }
    )]
    ClassNotInTraining {
        target: String,
        label: String,
        rows: usize,
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
    #[error("the validation share must be between 0 and 1 (exclusive), not {0}")]
    ValidFraction(f64),
    #[error(
        "{folds}-fold cross-validation needs 2 to {rows} folds here (the training and validation rows number {rows})"
    )]
    Folds { folds: usize, rows: usize },
    #[error(
        "only {rows} usable rows ({dropped} dropped for missing values); at least {MIN_ROWS} are needed to split into training and test sets"
    )]
    TooFewRows { rows: usize, dropped: usize },
    #[error("feature `{0}` has no values in the training rows; untick it")]
    FeatureEmpty(String),
    #[error(
        "feature `{feature}` holds {value:e} in data row {row}, too large for 32-bit numbers after scaling by the training rows' range; choose min-max scaling or standardize, or rescale the column"
    )]
    NotFinite {
        feature: String,
        /// 1-based data row (the header is not counted).
        row: usize,
        value: f64,
    },
    #[error("the data lacks the column{} the model needs: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    MissingColumns(Vec<String>),
    #[error(
        "column `{column}` was numeric when the model was trained but holds text here (e.g. `{example}`)"
    )]
    ExpectedNumeric { column: String, example: String },
    #[error(transparent)]
    Cross(#[from] CrossError),
}
