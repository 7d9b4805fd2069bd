//! The model family API: what the rest of the app (run, worker, bundle,
//! history, CLI) knows about a model, whatever kind it is.
//!
//! - [`ModelSpec`]: what the user asked for, per family (the network's
//!   shape and training settings, or the boosted trees' settings).
//! - [`Learner`]: a model being trained. It trains one [`TrainingUnit`] at a
//!   time (an epoch of the network, a boosting round of trees), predicts a
//!   batch, evaluates a loss, and saves itself as bytes for the model file.
//! - [`Scorer`]: a model opened from those bytes, inference-only (no
//!   optimizer, no autodiff), or the scoring side of a [`Learner`].
//!
//! A second family adds a [`ModelSpec`] variant, a [`Family`] tag, its own
//! `Learner` and `Scorer` in a module beside `mlp`, and one arm in each
//! match of `model/build.rs`; nothing outside `model` changes.
//! Scores are row-major `rows × outputs()`: one per row today
//! (probabilities of the positive class, or regression values on the
//! model's standardized scale), several per row once targets have more
//! than two classes.

use serde::{Deserialize, Serialize};

use super::error::TrainError;
use super::gbm::TreeSettings;
use super::spec::{ClassWeight, NetworkSpec, Task, TrainSettings};
use crate::data::prep::{Impute, Matrix, Recipe, Scale};

/// Which kind of model; written in model files (files from before the tag
/// existed are networks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// A multilayer perceptron ([`super::mlp`]).
    #[default]
    Network,
    /// Gradient-boosted decision trees ([`super::gbm`]).
    Trees,
}

impl Family {
    /// The family's name in messages and tables.
    pub fn label(self) -> &'static str {
        match self {
            Family::Network => "network",
            Family::Trees => "boosted trees",
        }
    }

    /// What the family's learned parameters are called in messages
    /// ("restored the weights of epoch 12", "the trees of round 80").
    pub fn parameters(self) -> &'static str {
        match self {
            Family::Network => "weights",
            Family::Trees => "trees",
        }
    }

    /// The preparation this family reads, from the user's `recipe`: which
    /// steps apply to which family. A network takes the recipe as it is
    /// (missing values filled, features scaled). Trees take the features
    /// unscaled (scaling is monotone, so it moves every split with its
    /// feature and changes no prediction) and missing values as missing
    /// ([`Impute::KeepMissing`]: each split learns where they go, as in
    /// XGBoost), unless the user drops rows with missing values; split,
    /// features, target and one-hot encoding are the same for both.
    pub fn recipe_for(self, recipe: &Recipe) -> Recipe {
        match self {
            Family::Network => recipe.clone(),
            Family::Trees => Recipe {
                scale: Scale::None,
                impute: match recipe.impute {
                    Impute::DropRows => Impute::DropRows,
                    _ => Impute::KeepMissing,
                },
                ..recipe.clone()
            },
        }
    }

    /// What one training step of this family is.
    pub fn unit(self) -> TrainingUnit {
        match self {
            Family::Network => TrainingUnit::Epoch,
            Family::Trees => TrainingUnit::Round,
        }
    }
}

/// What a family trains in one step, the x axis of the curves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainingUnit {
    /// One pass over the training rows in mini-batches.
    #[default]
    Epoch,
    /// One boosting round (one more tree per output).
    Round,
}

impl TrainingUnit {
    /// The unit's name in messages: "epoch" or "round".
    pub fn name(self) -> &'static str {
        match self {
            TrainingUnit::Epoch => "epoch",
            TrainingUnit::Round => "round",
        }
    }
}

/// What to train: the family and its own settings. Serialized (model
/// files, sessions) as `{"family": "network" | "trees", …settings}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "lowercase")]
pub enum ModelSpec {
    /// A network of this shape, trained with these settings.
    Network {
        spec: NetworkSpec,
        settings: TrainSettings,
    },
    /// Gradient-boosted trees with these settings.
    Trees { settings: TreeSettings },
}

impl ModelSpec {
    /// Trees when `trees` holds their settings, else the network of
    /// `spec` and `settings`: how run records and sweep points keep either
    /// family (the network's fields unused defaults beside trees).
    pub fn from_parts(
        spec: &NetworkSpec,
        settings: &TrainSettings,
        trees: Option<&TreeSettings>,
    ) -> ModelSpec {
        match trees {
            Some(settings) => ModelSpec::Trees {
                settings: settings.clone(),
            },
            None => ModelSpec::Network {
                spec: spec.clone(),
                settings: settings.clone(),
            },
        }
    }

    pub fn family(&self) -> Family {
        match self {
            ModelSpec::Network { .. } => Family::Network,
            ModelSpec::Trees { .. } => Family::Trees,
        }
    }

    /// What one training step of this model is (epoch, round).
    pub fn unit(&self) -> TrainingUnit {
        self.family().unit()
    }

    /// The learning rate as it stands (the network's step size, the trees'
    /// shrinkage `eta`): the one setting a run takes live.
    pub fn learning_rate(&self) -> f64 {
        match self {
            ModelSpec::Network { settings, .. } => settings.learning_rate,
            ModelSpec::Trees { settings } => settings.learning_rate,
        }
    }

    /// Epochs (units) without a better validation loss before the run
    /// stops early; `None`: never stop early.
    pub fn patience(&self) -> Option<usize> {
        match self {
            ModelSpec::Network { settings, .. } => settings.early_stopping,
            ModelSpec::Trees { settings } => settings.early_stopping,
        }
    }

    /// The most units (epochs, rounds) a run of this model trains: the
    /// network's epochs, the number of trees (boosting rounds).
    pub fn epoch_cap(&self) -> usize {
        match self {
            ModelSpec::Network { settings, .. } => settings.epochs,
            ModelSpec::Trees { settings } => settings.trees,
        }
    }

    /// How classes are weighted in the loss; `None` for families without
    /// class weights.
    /// The calibration map fitted when a run finishes; trees take theirs
    /// from [`TrainingRun::set_calibration`](super::run::TrainingRun::set_calibration).
    pub fn calibration(&self) -> Option<crate::model::calibration::CalibrationMethod> {
        match self {
            ModelSpec::Network { settings, .. } => settings.calibration,
            ModelSpec::Trees { .. } => None,
        }
    }

    pub fn class_weight(&self) -> Option<ClassWeight> {
        match self {
            ModelSpec::Network { settings, .. } => Some(settings.class_weight),
            ModelSpec::Trees { .. } => None,
        }
    }
}

/// One layer's parameters, for drawing the network.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerWeights {
    /// Row-major `n_out × n_in`: `weights[o * n_in + i]` connects input `i`
    /// to unit `o`.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    pub n_in: usize,
    pub n_out: usize,
}

/// What a network diagram shows for a batch of rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diagram {
    /// Per hidden layer, row-major `rows × units` activations.
    pub activations: Vec<Vec<f32>>,
    /// Every layer's weights (hidden layers, then the output).
    pub weights: Vec<LayerWeights>,
}

/// A model that scores prepared rows.
pub trait Scorer: std::fmt::Debug {
    fn family(&self) -> Family;

    fn task(&self) -> Task;

    /// Prepared feature columns the model reads.
    fn n_features(&self) -> usize;

    /// Scores per row: one, or one per class of a multi-class target.
    fn outputs(&self) -> usize {
        self.task().outputs()
    }

    /// Row-major `x.rows × outputs()` scores for prepared rows `x`
    /// (`x.cols == n_features()`): probabilities for classification, values
    /// on the model's scale for regression (the run maps them to the
    /// target's units). Errors: a wrong number of values, a device failure.
    fn predict(&self, x: &Matrix) -> Result<Vec<f32>, TrainError>;

    /// The diagram's activations and weights for `x`; `None` for families
    /// without one.
    fn diagram(&self, _x: &Matrix) -> Result<Option<Diagram>, TrainError> {
        Ok(None)
    }

    /// Every layer's weights (hidden layers, then the output) without
    /// scoring any rows: the diagram's links when there is no surface to
    /// draw activations on. `None` for families without a diagram.
    fn layer_weights(&self) -> Result<Option<Vec<LayerWeights>>, TrainError> {
        Ok(None)
    }

    /// Each prepared feature's share of the model's importance (summing to
    /// 1, or all zeros before anything was learned); `None` for families
    /// that do not measure it (the network draws its diagram instead).
    fn feature_importance(&self) -> Option<Vec<f64>> {
        None
    }
}

/// A model in training.
pub trait Learner: Scorer {
    /// What [`train_unit`](Self::train_unit) trains.
    fn unit(&self) -> TrainingUnit;

    /// Units trained so far.
    fn completed(&self) -> usize;

    /// Trains one more unit on prepared rows `x` with targets `y` (one per
    /// row, standardized for regression); returns its mean training loss.
    /// Errors: bad data, divergence (the model is put back as it was).
    fn train_unit(&mut self, x: &Matrix, y: &[f32]) -> Result<f64, TrainError>;

    /// Mean loss on `x`/`y` as the model stands.
    fn evaluate_loss(&self, x: &Matrix, y: &[f32]) -> Result<f64, TrainError>;

    /// Changes the learning rate from the next step on.
    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), TrainError>;

    /// The settings as they stand (with the learning rate now in use).
    fn model_spec(&self) -> ModelSpec;

    /// The trained parameters, for the model file; [`ModelSpec::open`] reads
    /// them back.
    fn save(&self) -> Result<Vec<u8>, TrainError>;

    /// Puts back parameters from [`save`](Self::save) of this same learner:
    /// early stopping restores the best unit's weights with it. The count
    /// of completed units is kept (the curves go on from there); optimizer
    /// state may start afresh. Errors: bytes of another model.
    fn restore(&mut self, bytes: &[u8]) -> Result<(), TrainError>;

    /// Weights each class's loss from the next unit on (classification:
    /// `[negative, positive]`, both finite and positive; see
    /// [`ClassWeight`]). Families that cannot
    /// weight classes refuse.
    fn set_class_weights(&mut self, _weights: [f32; 2]) -> Result<(), TrainError> {
        Err(TrainError::Unsupported {
            family: self.unit().name(),
            what: "class weights",
        })
    }

    /// Weights each class's loss of a multi-class target (one weight per
    /// class, finite and positive). Families that cannot refuse.
    fn set_multiclass_weights(&mut self, _weights: &[f32]) -> Result<(), TrainError> {
        Err(TrainError::Unsupported {
            family: self.unit().name(),
            what: "class weights",
        })
    }
}
