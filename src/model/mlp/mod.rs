//! The network family: a multilayer perceptron on Burn, the first member of
//! the [family API](crate::model::family).
//!
//! - [`network`]: the Burn module and its inference helpers.
//! - [`train`]: the [`Trainer`] that owns a network and its engine for a run.
//! - [`engine`]: which implementation trains (host kernel or Burn's
//!   autodiff) and the Burn epoch.
//! - `host_kernel`: forward, backward and optimizer on host slices, used on
//!   the CPU backend instead of Burn's autodiff.
//! - `plan`: the epoch's shuffle, chunks and dropout draws, shared by both
//!   engines.
//! - `loss`: the loss in its tensor, host and per-row forms.
//! - [`MlpScorer`]: an opened network, inference-only.

pub mod engine;
mod host_kernel;
pub(crate) mod loss;
pub mod network;
mod plan;
pub mod train;

use burn::tensor::Device;

pub use engine::{EngineKind, TrainingEngine};
pub use network::Mlp;
pub use train::Trainer;

use super::error::TrainError;
use super::family::{Diagram, Family, LayerWeights, Learner, ModelSpec, Scorer, TrainingUnit};
use super::spec::{NetworkSpec, Task, TrainSettings};
use crate::data::prep::Matrix;

/// Checks what building a network needs: a valid spec and settings and at
/// least one feature.
fn validate(
    spec: &NetworkSpec,
    settings: &TrainSettings,
    n_features: usize,
) -> Result<(), TrainError> {
    spec.validate()?;
    settings.validate()?;
    if n_features == 0 {
        return Err(TrainError::NoFeatures);
    }
    Ok(())
}

/// Raw network outputs turned into scores: the sigmoid of each logit for
/// classification, the values themselves for regression, each row's
/// softmax over its class logits (row-major `rows × classes`) for a
/// multi-class target.
fn scores(task: Task, mut outputs: Vec<f32>) -> Vec<f32> {
    match task {
        Task::Classification => {
            for z in &mut outputs {
                *z = 1.0 / (1.0 + (-*z).exp());
            }
        }
        Task::Multiclass { classes } => {
            for row in outputs.chunks_exact_mut(classes.max(1)) {
                loss::softmax_in_place(row);
            }
        }
        Task::Regression => {}
    }
    outputs
}

impl Scorer for Trainer {
    fn family(&self) -> Family {
        Family::Network
    }

    fn task(&self) -> Task {
        Trainer::task(self)
    }

    fn n_features(&self) -> usize {
        Trainer::n_features(self)
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>, TrainError> {
        Trainer::predict(self, &x.data, x.rows)
    }

    fn diagram(&self, x: &Matrix) -> Result<Option<Diagram>, TrainError> {
        Ok(Some(Diagram {
            activations: self.hidden_activations(&x.data, x.rows)?,
            weights: self.layer_weights()?,
        }))
    }

    fn layer_weights(&self) -> Result<Option<Vec<LayerWeights>>, TrainError> {
        Trainer::layer_weights(self).map(Some)
    }
}

impl Learner for Trainer {
    fn unit(&self) -> TrainingUnit {
        TrainingUnit::Epoch
    }

    fn completed(&self) -> usize {
        self.epoch()
    }

    fn train_unit(&mut self, x: &Matrix, y: &[f32]) -> Result<f64, TrainError> {
        self.run_epoch(&x.data, y, x.rows)
    }

    fn evaluate_loss(&self, x: &Matrix, y: &[f32]) -> Result<f64, TrainError> {
        Trainer::evaluate_loss(self, &x.data, y, x.rows)
    }

    fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), TrainError> {
        Trainer::set_learning_rate(self, learning_rate)
    }

    fn model_spec(&self) -> ModelSpec {
        ModelSpec::Network {
            spec: self.spec().clone(),
            settings: TrainSettings {
                learning_rate: self.learning_rate(),
                ..self.settings().clone()
            },
        }
    }

    fn save(&self) -> Result<Vec<u8>, TrainError> {
        self.weights_to_bytes()
    }

    fn restore(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        self.load_weights(bytes)
    }

    fn set_class_weights(&mut self, weights: [f32; 2]) -> Result<(), TrainError> {
        Trainer::set_class_weights(self, weights)
    }

    fn set_multiclass_weights(&mut self, weights: &[f32]) -> Result<(), TrainError> {
        Trainer::set_multiclass_weights(self, weights)
    }
}

/// A saved network opened for scoring: built on the plain backend without
/// autodiff, so no optimizer, no gradient bookkeeping and no backward pass
/// are involved (a network built on autodiff only to score kept its graph
/// bookkeeping until the next backward pass; docs/RELIABILITY.md).
#[derive(Debug)]
pub struct MlpScorer {
    model: Mlp,
    device: Device,
    task: Task,
    n_features: usize,
}

impl MlpScorer {
    /// The network of `spec` for `n_features` features with the weights in
    /// `bytes` (from [`Trainer::weights_to_bytes`]), on `device` without
    /// autodiff. Errors: an invalid spec, no features, weights of another
    /// shape or type.
    pub fn open(
        spec: &NetworkSpec,
        settings: &TrainSettings,
        task: Task,
        n_features: usize,
        bytes: &[u8],
        device: &Device,
    ) -> Result<MlpScorer, TrainError> {
        validate(spec, settings, n_features)?;
        let device = device.clone().without_autodiff();
        // The seed only fills the weights the file then replaces.
        let model = Mlp::with_outputs(spec, n_features, task.outputs(), settings.seed, &device)
            .with_weights(bytes)?;
        Ok(MlpScorer {
            model,
            device,
            task,
            n_features,
        })
    }
}

impl Scorer for MlpScorer {
    fn family(&self) -> Family {
        Family::Network
    }

    fn task(&self) -> Task {
        self.task
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn predict(&self, x: &Matrix) -> Result<Vec<f32>, TrainError> {
        train::check_features(&x.data, x.rows, self.n_features)?;
        let outputs = self.model.outputs(&x.data, self.n_features, &self.device)?;
        Ok(scores(self.task, outputs))
    }

    fn diagram(&self, x: &Matrix) -> Result<Option<Diagram>, TrainError> {
        train::check_features(&x.data, x.rows, self.n_features)?;
        Ok(Some(Diagram {
            activations: self
                .model
                .activations(&x.data, self.n_features, &self.device)?,
            weights: self.model.layer_weights()?,
        }))
    }

    fn layer_weights(&self) -> Result<Option<Vec<LayerWeights>>, TrainError> {
        self.model.layer_weights().map(Some)
    }
}
