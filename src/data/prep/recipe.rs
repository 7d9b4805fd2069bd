//! The [`Recipe`]: what to predict ([`Problem`]) and how to clean the
//! features ([`Impute`], [`Scale`], crosses), as saved in model files and
//! sessions.

use serde::{Deserialize, Serialize};

use super::Cross;
use crate::data::screen::default_features;
use crate::data::table::Table;

/// What the network predicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Probability that the target equals `positive` (e.g. bought = `yes`).
    Classification { positive: String },
    /// The target's numeric value (e.g. spend).
    Regression,
    /// Which of 3 to [`MAX_CLASSES`] labels the target holds (e.g. the plan
    /// a customer chose): a softmax over the classes, each label its own
    /// class (with `merge_label_variants`, labels that differ only in case
    /// or surrounding spaces are one class).
    Multiclass,
}

/// Most classes a multi-class target may have: past this a column is more
/// likely an identifier or free text than a choice among options, and the
/// confusion matrix and per-class tables stop being readable.
pub const MAX_CLASSES: usize = 20;

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
    /// Leave missing values missing: NaN in every prepared column they
    /// feed (a category's level columns all NaN), in training and scoring
    /// alike. For models that route missing values themselves (boosted
    /// trees learn a direction per split); a network refuses it.
    KeepMissing,
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
    Impute::KeepMissing => "keep_missing",
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
    /// Share of usable rows held out for testing, in (0, 1). Nothing
    /// looks at them until a run ends.
    pub test_fraction: f64,
    /// Share of the remaining (development) rows carved out as validation
    /// rows, in (0, 1): the curves, early stopping, the threshold choice
    /// and sweep rankings use them. Recipes saved before it existed read
    /// as the default.
    #[serde(default = "default_valid_fraction")]
    pub valid_fraction: f64,
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
    /// Inputs built from the chosen numeric features (x², x1·x2, sin x),
    /// after the features in the prepared matrix: [`Cross`]. Recipes saved
    /// before crosses existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crosses: Vec<Cross>,
}

impl Recipe {
    /// Every other column fit to be a feature (identifiers, constants and
    /// nearly empty columns are left out: [`crate::data::screen`]), median fill,
    /// min-max scaling, an 80/20 split with seed 42.
    pub fn new(table: &Table, target: &str, problem: Problem) -> Recipe {
        Recipe {
            target: target.to_owned(),
            problem,
            features: default_features(table, target).0,
            impute: Impute::Median,
            scale: Scale::MinMax,
            test_fraction: 0.2,
            valid_fraction: DEFAULT_VALID_FRACTION,
            seed: 42,
            merge_label_variants: false,
            drop_duplicates: false,
            non_negative_target: false,
            crosses: Vec::new(),
        }
    }
}

/// Default share of the development rows used for validation.
pub const DEFAULT_VALID_FRACTION: f64 = 0.15;

fn default_valid_fraction() -> f64 {
    DEFAULT_VALID_FRACTION
}
