//! Builds a model of any family from its [`ModelSpec`]: the one place that
//! names every family's implementation, so the family API
//! ([`super::family`]) does not depend on the families.

use burn::tensor::Device;

use super::error::TrainError;
use super::family::{Learner, ModelSpec, Scorer};
use super::gbm::{TreeLearner, TreeScorer};
use super::mlp::{MlpScorer, Trainer};
use super::spec::Task;

impl ModelSpec {
    /// A fresh, seeded model for `n_features` prepared features on
    /// `device`. Errors: invalid settings, no features.
    pub fn learner(
        &self,
        task: Task,
        n_features: usize,
        device: &Device,
    ) -> Result<Box<dyn Learner>, TrainError> {
        match self {
            ModelSpec::Network { spec, settings } => Ok(Box::new(Trainer::new(
                spec, settings, task, n_features, device,
            )?)),
            ModelSpec::Trees { settings } => {
                Ok(Box::new(TreeLearner::new(settings, task, n_features)?))
            }
        }
    }

    /// The model saved as `bytes` (by [`Learner::save`] of a model of this
    /// spec), opened for scoring only on `device`. Errors: bytes that do not
    /// fit this spec.
    pub fn open(
        &self,
        task: Task,
        n_features: usize,
        bytes: &[u8],
        device: &Device,
    ) -> Result<Box<dyn Scorer>, TrainError> {
        match self {
            ModelSpec::Network { spec, settings } => Ok(Box::new(MlpScorer::open(
                spec, settings, task, n_features, bytes, device,
            )?)),
            ModelSpec::Trees { settings } => Ok(Box::new(TreeScorer::open(
                settings, task, n_features, bytes,
            )?)),
        }
    }
}
