//! Argument groups shared by several subcommands: the data and problem
//! (`train`, `sweep`), the network and optimizer choices that are the same
//! for every run, and the `--hidden` list parser.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::choices::{ActivationArg, ImputeArg, ModelArg, OptimizerArg, ScaleArg};
use crate::data::notes::DataNote;
use crate::data::prep::{Cross, Problem, Recipe};
use crate::data::{self, Table};
use crate::model::{Activation, ClassWeight, Family, LrSchedule, TrainSettings, TreeSettings};

/// The data and the problem: shared by `train` and `sweep`.
#[derive(Debug, Args)]
pub struct ProblemArgs {
    /// The training data (CSV).
    #[arg(long, value_name = "FILE.csv")]
    pub data: PathBuf,
    /// The column to predict.
    #[arg(long, value_name = "COLUMN")]
    pub target: String,
    /// Classification: the target value that counts as positive (e.g. `yes`).
    #[arg(
        long,
        value_name = "LABEL",
        required_unless_present_any = ["regression", "multiclass"],
        conflicts_with_all = ["regression", "multiclass"]
    )]
    pub positive: Option<String>,
    /// Regression: predict the numeric target's value.
    #[arg(long, conflicts_with = "multiclass")]
    pub regression: bool,
    /// Multi-class: predict which of the target's 3 to 20 labels a row
    /// has (softmax over the classes; each label its own class).
    #[arg(long)]
    pub multiclass: bool,
    /// Feature columns, comma-separated (default: every other column).
    #[arg(long, value_delimiter = ',', value_name = "a,b,c")]
    pub features: Option<Vec<String>>,
    /// Share of rows held out for testing (looked at only when a run ends).
    #[arg(long, default_value_t = 0.2)]
    pub test_fraction: f64,
    /// Share of the other rows used for validation: curves, early
    /// stopping, the threshold choice and sweep rankings.
    #[arg(long, default_value_t = crate::data::prep::DEFAULT_VALID_FRACTION)]
    pub valid_fraction: f64,
    /// Missing values: drop the rows, or fill them in.
    #[arg(long, value_enum, ignore_case = true, default_value = "median")]
    pub impute: ImputeArg,
    /// Numeric scaling.
    #[arg(long, value_enum, ignore_case = true, default_value = "minmax")]
    pub scale: ScaleArg,
    /// Classification: count target labels that differ from --positive only
    /// in case or surrounding spaces (`yes`, `YES`) as positive.
    #[arg(long)]
    pub merge_labels: bool,
    /// Leave out rows that repeat an earlier row exactly (features and
    /// target) before the split.
    #[arg(long)]
    pub drop_duplicates: bool,
    /// Regression: keep predictions at or above 0 (a target that is never
    /// negative, such as spend); saved with the model.
    #[arg(long, conflicts_with = "positive")]
    pub non_negative: bool,
    /// A feature cross, an input built from chosen numeric features:
    /// `a*b` (product), `sq:a` (square) or `sin:a` (sine, `a` in
    /// radians); repeat the flag for several. Computed on the filled raw
    /// values, then scaled like any feature; saved with the model.
    #[arg(long = "cross", value_name = "a*b|sq:a|sin:a")]
    pub crosses: Vec<Cross>,
}

impl ProblemArgs {
    /// The recipe for `table`: every other column as a feature unless
    /// `--features` names them; the split seeded with `seed`.
    pub fn recipe(&self, table: &Table, seed: u64) -> Recipe {
        let problem = match (&self.positive, self.regression, self.multiclass) {
            (Some(positive), false, false) => Problem::Classification {
                positive: positive.clone(),
            },
            (None, false, true) => Problem::Multiclass,
            _ => Problem::Regression,
        };
        let mut recipe = Recipe::new(table, &self.target, problem);
        if let Some(features) = self.chosen_features() {
            recipe.features = features;
        }
        recipe.impute = self.impute.into();
        recipe.scale = self.scale.into();
        recipe.test_fraction = self.test_fraction;
        recipe.valid_fraction = self.valid_fraction;
        recipe.seed = seed;
        recipe.merge_label_variants = self.merge_labels;
        recipe.drop_duplicates = self.drop_duplicates;
        recipe.non_negative_target = self.non_negative;
        recipe.crosses.clone_from(&self.crosses);
        recipe
    }

    /// Notes about the feature choice: the columns the default left out,
    /// or the chosen ones that look unfit.
    pub fn feature_notes(&self, table: &Table) -> Vec<DataNote> {
        match self.chosen_features() {
            None => data::screen::default_features(table, &self.target).1,
            Some(names) => data::screen::chosen_feature_notes(table, &names),
        }
    }

    /// `--features`, trimmed; `None` when not given.
    fn chosen_features(&self) -> Option<Vec<String>> {
        self.features
            .as_ref()
            .map(|features| features.iter().map(|f| f.trim().to_owned()).collect())
    }
}

/// `--model`: which family trains (`train`, `sweep`).
#[derive(Debug, Args)]
pub struct FamilyArgs {
    /// The model family: a neural network, or gbm (gradient-boosted trees).
    #[arg(
        long = "model",
        value_enum,
        ignore_case = true,
        default_value = "network"
    )]
    pub model_family: ModelArg,
}

impl FamilyArgs {
    pub fn family(&self) -> Family {
        self.model_family.into()
    }

    /// `problem`'s recipe with the steps this family reads
    /// ([`Family::recipe_for`]: trees unscaled, missing values kept).
    pub fn recipe(&self, problem: &ProblemArgs, table: &Table, seed: u64) -> Recipe {
        self.family().recipe_for(&problem.recipe(table, seed))
    }

    /// Refuses what trees cannot do: `--class-weight`, `--lr-schedule`.
    pub fn check(&self, model: &ModelArgs) -> Result<()> {
        if self.family() == Family::Trees && model.class_weight != ClassWeight::None {
            anyhow::bail!("--class-weight: boosted trees do not weight classes");
        }
        if self.family() == Family::Trees && model.lr_schedule != LrSchedule::Constant {
            anyhow::bail!("--lr-schedule: boosted trees keep one learning rate");
        }
        Ok(())
    }
}

/// What every run of a command shares whatever else varies: activation,
/// optimizer, weight decay and seed (`train`, and each run of `sweep`).
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Activation of the hidden layers.
    #[arg(long, value_enum, ignore_case = true, default_value = "relu")]
    pub activation: ActivationArg,
    /// adam, or sgd (with momentum 0.9).
    #[arg(long, value_enum, ignore_case = true, default_value = "adam")]
    pub optimizer: OptimizerArg,
    /// L2 penalty: the network's weight decay (default 0.001), or the
    /// trees' penalty on leaf weights (`lambda`, default 1).
    #[arg(long)]
    pub l2: Option<f64>,
    /// Seeds the split, the weights and the shuffling.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Classification: weight each class's loss: none, balanced
    /// (n / (2 · rows of the class)) or NEG:POS such as 1:3.
    #[arg(long, default_value = "none", value_name = "none|balanced|NEG:POS")]
    pub class_weight: ClassWeight,
    /// Network: the learning rate over training, as a factor of --lr
    /// applied batch by batch: constant; step:EVERY:FACTOR (times FACTOR
    /// every EVERY epochs, e.g. step:10:0.5); cosine, cosine:FLOOR or
    /// cosine:FLOOR:WARMUP (cosine annealing to FLOOR times the rate at the
    /// last epoch, after WARMUP epochs of linear warm-up, e.g.
    /// cosine:0.01:5).
    #[arg(
        long,
        default_value = "constant",
        value_name = "constant|step:EVERY:FACTOR|cosine[:FLOOR[:WARMUP]]"
    )]
    pub lr_schedule: LrSchedule,
}

impl ModelArgs {
    /// `--l2` for a network, its default when not given.
    pub fn network_l2(&self) -> f64 {
        self.l2.unwrap_or(TrainSettings::default().l2)
    }
}

/// The boosted trees' own knobs (`train --model gbm`); the learning rate,
/// L2 penalty, patience and seed are the flags both families share.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Boosted trees: boosting rounds (one tree each).
    #[arg(long, default_value_t = TreeSettings::default().trees)]
    pub trees: usize,
    /// Boosted trees: depth of each tree (1 grows stumps).
    #[arg(long, default_value_t = TreeSettings::default().max_depth)]
    pub depth: usize,
    /// Boosted trees: least hessian sum in a leaf (XGBoost's min_child_weight).
    #[arg(long, default_value_t = TreeSettings::default().min_child_weight)]
    pub min_child_weight: f64,
    /// Boosted trees: share of training rows drawn for each tree, in (0, 1].
    #[arg(long, default_value_t = TreeSettings::default().subsample)]
    pub subsample: f64,
}

impl TreeArgs {
    /// The tree settings with the shared flags: `learning_rate` (the
    /// trees' default when `None`), `--l2`, `--seed` and `patience`.
    /// Errors: a value out of range, named.
    pub fn settings(
        &self,
        learning_rate: Option<f64>,
        model: &ModelArgs,
        patience: Option<usize>,
    ) -> Result<TreeSettings> {
        let defaults = TreeSettings::default();
        let settings = TreeSettings {
            trees: self.trees,
            max_depth: self.depth,
            learning_rate: learning_rate.unwrap_or(defaults.learning_rate),
            min_child_weight: self.min_child_weight,
            subsample: self.subsample,
            l2: model.l2.unwrap_or(defaults.l2),
            seed: model.seed,
            early_stopping: patience,
        };
        settings.validate()?;
        Ok(settings)
    }
}

/// `relu,tanh` → one activation per hidden layer (names as `--activation`
/// takes them, any case).
///
/// # Errors
/// A name that is no activation, named with the flag (`--activations`).
pub fn parse_activations(text: &str) -> Result<Vec<Activation>> {
    use clap::ValueEnum;
    text.split(',')
        .map(|part| {
            <ActivationArg as ValueEnum>::from_str(part.trim(), true)
                .map(Activation::from)
                .map_err(|_| {
                    anyhow::anyhow!(
                        "--activations: `{}` is not an activation (use relu, tanh, sigmoid or leaky-relu)",
                        part.trim()
                    )
                })
        })
        .collect()
}

/// `64,32` → `[64, 32]`; `0`, `none` or empty → no hidden layer.
///
/// # Errors
/// A part that is not a whole number, named with the flag (`--hidden`).
pub fn parse_hidden(text: &str) -> Result<Vec<usize>> {
    let text = text.trim();
    if text.is_empty() || text == "0" || text.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|part| {
            part.trim().parse::<usize>().map_err(|_| {
                anyhow::anyhow!(
                    "--hidden: `{}` is not a number of neurons (use e.g. 64,32)",
                    part.trim()
                )
            })
        })
        .collect()
}
