//! The training loop: one [`Trainer`] owns the network and its training
//! `Engine` for a whole run, so optimizer state (Adam's moments, SGD's
//! velocity) carries across epochs and the learning rate can change between
//! batches.
//!
//! Per-step overhead, not arithmetic, dominates for these small networks.
//! On the CPU backend the epochs therefore run on the host kernel
//! (`host_kernel`), which skips Burn's autodiff graph altogether.
//! On Burn's autodiff (wgpu, or [`TrainingEngine::Burn`]) an epoch uploads
//! its shuffled data (and dropout masks) in as few transfers as possible,
//! slices batches on the device, and reads the loss back once
//! ([`super::engine`]).

use burn::module::Module;
use burn::tensor::Device;

use super::engine::{
    BurnStep, Engine, EngineKind, TrainingEngine, build_optimizer, burn_epoch, host_parameters,
    store_host_parameters,
};
use super::host_kernel::HostKernel;
use super::network::Mlp;
use super::plan::{EpochPlan, chunk_rows, shuffled_epoch};
use super::{loss, scores, validate};
use crate::model::LayerWeights;
use crate::model::error::TrainError;
use crate::model::float_env::FlushSubnormals;
use crate::model::spec::{NetworkSpec, Task, TrainSettings, validate_learning_rate};

/// Owns the autodiff network and its training engine for one training run.
///
/// On the CPU backend the epochs run on the host kernel
/// ([`EngineKind::HostKernel`]) unless [`TrainingEngine::Burn`] was asked
/// for; the Burn network is still the model of record: it gives the kernel
/// its initial weights and gets the trained ones back after every epoch, so
/// everything else (prediction, saving, the diagram) reads it as before.
pub struct Trainer {
    model: Mlp,
    engine: Engine,
    /// Gradients flow only on this autodiff twin of the chosen device.
    device: Device,
    /// The same hardware without autodiff, for inference inputs.
    infer_device: Device,
    spec: NetworkSpec,
    settings: TrainSettings,
    task: Task,
    n_features: usize,
    learning_rate: f64,
    epoch: usize,
    /// Loss weights per class; [`loss::UNWEIGHTED`] unless set.
    class_weights: loss::ClassWeights,
    /// A multi-class target's loss weight per class; empty unless set.
    multiclass_weights: loss::MulticlassWeights,
}

impl Trainer {
    /// Validate the spec and settings and build a network (seeded from
    /// `settings.seed`) and optimizer on `device`, with the engine `Auto`
    /// picks (the host kernel on the CPU backend).
    pub fn new(
        spec: &NetworkSpec,
        settings: &TrainSettings,
        task: Task,
        n_features: usize,
        device: &Device,
    ) -> Result<Self, TrainError> {
        Self::with_engine(
            spec,
            settings,
            task,
            n_features,
            device,
            TrainingEngine::Auto,
        )
    }

    /// Like [`new`](Self::new), with the training engine chosen: `Burn`
    /// keeps Burn's autodiff even on the CPU backend.
    pub fn with_engine(
        spec: &NetworkSpec,
        settings: &TrainSettings,
        task: Task,
        n_features: usize,
        device: &Device,
        engine: TrainingEngine,
    ) -> Result<Self, TrainError> {
        validate(spec, settings, n_features)?;
        let infer_device = device.clone().without_autodiff();
        let device = device.clone().autodiff();
        let model = Mlp::with_outputs(spec, n_features, task.outputs(), settings.seed, &device);
        let engine = if engine == TrainingEngine::Auto && infer_device == Device::flex() {
            let params = host_parameters(&model)?;
            Engine::Host(Box::new(HostKernel::new(
                spec, settings, task, n_features, &params,
            )))
        } else {
            Engine::Burn(build_optimizer(settings))
        };
        Ok(Self {
            model,
            engine,
            device,
            infer_device,
            spec: spec.clone(),
            settings: settings.clone(),
            task,
            n_features,
            learning_rate: settings.learning_rate,
            epoch: 0,
            class_weights: loss::UNWEIGHTED,
            multiclass_weights: Vec::new(),
        })
    }

    /// Weights each class's loss (`[negative, positive]`) in training and
    /// in [`evaluate_loss`](Self::evaluate_loss) from the next epoch on.
    /// Errors: a weight that is not finite and positive, or a regression
    /// network.
    pub fn set_class_weights(&mut self, weights: [f32; 2]) -> Result<(), TrainError> {
        if self.task != Task::Classification {
            return Err(TrainError::Unsupported {
                family: "regression",
                what: "class weights",
            });
        }
        if let Some(&bad) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
            return Err(crate::model::spec::SpecError::ClassWeight(f64::from(bad)).into());
        }
        self.class_weights = weights;
        if let Engine::Host(kernel) = &mut self.engine {
            kernel.set_class_weights(weights);
        }
        Ok(())
    }

    /// Weights each class's loss of a multi-class network (one weight per
    /// class, in class order) in training and in
    /// [`evaluate_loss`](Self::evaluate_loss) from the next epoch on.
    /// Errors: a weight that is not finite and positive, a count that is not
    /// the number of classes, or a network that is not multi-class.
    pub fn set_multiclass_weights(&mut self, weights: &[f32]) -> Result<(), TrainError> {
        let Task::Multiclass { classes } = self.task else {
            return Err(TrainError::Unsupported {
                family: "binary and regression",
                what: "per-class weights of a multi-class target",
            });
        };
        if weights.len() != classes {
            return Err(TrainError::TargetCount {
                expected: classes,
                actual: weights.len(),
            });
        }
        if let Some(&bad) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
            return Err(crate::model::spec::SpecError::ClassWeight(f64::from(bad)).into());
        }
        self.multiclass_weights = weights.to_vec();
        if let Engine::Host(kernel) = &mut self.engine {
            kernel.set_multiclass_weights(weights);
        }
        Ok(())
    }

    /// Which implementation trains this network.
    pub fn engine(&self) -> EngineKind {
        self.engine.kind()
    }

    /// Epochs completed so far.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// The base learning rate, which the schedule scales batch by batch.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The rates the next epoch's batches will step with, for `n_rows`
    /// training rows: the schedule's factors times the base rate
    /// ([`LrSchedule::epoch_rates`](crate::model::schedule::LrSchedule::epoch_rates)).
    /// Both engines take exactly these.
    pub fn next_epoch_rates(&self, n_rows: usize) -> Vec<f64> {
        let batch = self.settings.batch_size.min(n_rows).max(1);
        self.settings.schedule.epoch_rates(
            self.learning_rate,
            self.epoch,
            n_rows.div_ceil(batch),
            self.settings.epochs,
        )
    }

    /// Change the base learning rate; it applies from the next batch on,
    /// still scaled by the schedule.
    pub fn set_learning_rate(&mut self, learning_rate: f64) -> Result<(), TrainError> {
        validate_learning_rate(learning_rate)?;
        self.learning_rate = learning_rate;
        Ok(())
    }

    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }

    pub fn settings(&self) -> &TrainSettings {
        &self.settings
    }

    pub fn task(&self) -> Task {
        self.task
    }

    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The network (autodiff device); use `.valid()` for inference.
    pub fn model(&self) -> &Mlp {
        &self.model
    }

    /// One pass over the data in seeded random mini-batches; returns the mean
    /// training loss (binary cross-entropy for classification, MSE for
    /// regression) over the epoch, measured before each batch's update.
    ///
    /// `x` is row-major `n_rows × n_features`. If the loss or any weight
    /// becomes NaN or infinite, the network and optimizer are put back to
    /// their state before this epoch and [`TrainError::Diverged`] is returned.
    pub fn run_epoch(&mut self, x: &[f32], y: &[f32], n_rows: usize) -> Result<f64, TrainError> {
        self.check_data(x, y, n_rows)?;
        if let Some(row) = first_non_finite_row(x, y, self.n_features) {
            return Err(TrainError::NonFiniteInput { row });
        }
        let epoch = self.epoch + 1;
        let (mut rng, order) = shuffled_epoch(self.settings.seed, epoch, n_rows);
        let batch = self.settings.batch_size.min(n_rows);
        let rates = self.next_epoch_rates(n_rows);
        let plan = EpochPlan {
            x,
            y,
            order: &order,
            batch,
            chunk_rows: chunk_rows(n_rows, batch, self.n_features, &self.spec),
            rates: &rates,
        };

        // Subnormal moments and gradients would slow the CPU down epoch
        // after epoch (see `float_env`); both engines train flushed.
        let _flush = FlushSubnormals::enable();
        let (sum, weights_finite) = match &mut self.engine {
            Engine::Host(kernel) => {
                kernel.save();
                let sum = kernel.run_epoch(&plan, &mut rng);
                (f64::from(sum), kernel.parameters_finite())
            }
            Engine::Burn(optimizer) => {
                // Tensors are immutable handles, so these clones are cheap snapshots.
                let last_model = self.model.clone();
                let last_optimizer = optimizer.clone();
                let step = BurnStep {
                    device: &self.device,
                    task: self.task,
                    dropout: self.spec.dropout,
                    n_features: self.n_features,
                    class_weights: self.class_weights,
                    multiclass_weights: &self.multiclass_weights,
                };
                let (sum, finite) = burn_epoch(&mut self.model, optimizer, &step, &plan, &mut rng)?;
                if !(sum.is_finite() && finite) {
                    self.model = last_model;
                    *optimizer = last_optimizer;
                }
                (sum, finite)
            }
        };
        let mean = sum / n_rows as f64;
        if !mean.is_finite() || !weights_finite {
            // The Burn path has put its snapshot back above.
            if let Engine::Host(kernel) = &mut self.engine {
                kernel.restore();
            }
            let loss = if mean.is_finite() { f64::NAN } else { mean };
            return Err(TrainError::Diverged { epoch, loss });
        }
        if let Engine::Host(kernel) = &self.engine {
            store_host_parameters(&mut self.model, kernel, &self.device);
        }
        self.epoch = epoch;
        Ok(mean)
    }

    /// Mean loss on `x`/`y` with the current weights (dropout off).
    pub fn evaluate_loss(&self, x: &[f32], y: &[f32], n_rows: usize) -> Result<f64, TrainError> {
        self.check_data(x, y, n_rows)?;
        let outputs = self.predict_raw(x, n_rows)?;
        if let Task::Multiclass { classes } = self.task {
            let total: f64 = outputs
                .chunks_exact(classes)
                .zip(y)
                .map(|(z, &t)| {
                    let z: Vec<f64> = z.iter().map(|&v| f64::from(v)).collect();
                    loss::multiclass_row(&self.multiclass_weights, &z, t as usize)
                })
                .sum();
            return Ok(total / n_rows as f64);
        }
        let total: f64 = outputs
            .iter()
            .zip(y)
            .map(|(&z, &t)| loss::row(self.task, self.class_weights, f64::from(z), f64::from(t)))
            .sum();
        Ok(total / n_rows as f64)
    }

    /// Predictions for `n_rows` rows: probabilities of the positive class for
    /// classification, predicted values for regression, each class's
    /// probability for a multi-class target (row-major `n_rows × classes`).
    pub fn predict(&self, x: &[f32], n_rows: usize) -> Result<Vec<f32>, TrainError> {
        Ok(scores(self.task, self.predict_raw(x, n_rows)?))
    }

    /// Raw network outputs (logits for classification), one per row (one
    /// per class and row for a multi-class network).
    pub fn predict_raw(&self, x: &[f32], n_rows: usize) -> Result<Vec<f32>, TrainError> {
        check_features(x, n_rows, self.n_features)?;
        self.model
            .valid()
            .outputs(x, self.n_features, &self.infer_device)
    }

    /// Each hidden layer's activations for `x` (dropout off), row-major
    /// `n_rows × units`, input side first. Empty without hidden layers.
    pub fn hidden_activations(
        &self,
        x: &[f32],
        n_rows: usize,
    ) -> Result<Vec<Vec<f32>>, TrainError> {
        check_features(x, n_rows, self.n_features)?;
        self.model
            .valid()
            .activations(x, self.n_features, &self.infer_device)
    }

    /// Every layer's weights and biases (hidden layers, then the output).
    pub fn layer_weights(&self) -> Result<Vec<LayerWeights>, TrainError> {
        self.model.layer_weights()
    }

    /// The weights as an in-memory burnpack file (Burn's native format), for
    /// embedding in a model bundle.
    pub fn weights_to_bytes(&self) -> Result<Vec<u8>, TrainError> {
        self.model.to_bytes()
    }

    /// Replace the weights with ones from [`weights_to_bytes`](Self::weights_to_bytes).
    /// The file must come from a network of the same shape; the optimizer
    /// starts afresh and the epoch counter is kept.
    pub fn load_weights(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        self.model = self.model.clone().with_weights(bytes)?;
        match &mut self.engine {
            Engine::Host(kernel) => kernel.reset(&host_parameters(&self.model)?),
            Engine::Burn(optimizer) => *optimizer = build_optimizer(&self.settings),
        }
        Ok(())
    }

    fn check_data(&self, x: &[f32], y: &[f32], n_rows: usize) -> Result<(), TrainError> {
        if n_rows == 0 {
            return Err(TrainError::NoRows);
        }
        check_features(x, n_rows, self.n_features)?;
        if y.len() != n_rows {
            return Err(TrainError::TargetCount {
                expected: n_rows,
                actual: y.len(),
            });
        }
        Ok(())
    }
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The optimizer has no Debug; its settings say what it is.
        f.debug_struct("Trainer")
            .field("spec", &self.spec)
            .field("settings", &self.settings)
            .field("task", &self.task)
            .field("n_features", &self.n_features)
            .field("learning_rate", &self.learning_rate)
            .field("epoch", &self.epoch)
            .field("engine", &self.engine())
            .finish_non_exhaustive()
    }
}

/// Checks that `x` holds `n_rows × n_features` values.
pub(super) fn check_features(
    x: &[f32],
    n_rows: usize,
    n_features: usize,
) -> Result<(), TrainError> {
    let expected = n_rows.checked_mul(n_features);
    if expected != Some(x.len()) {
        return Err(TrainError::FeatureCount {
            rows: n_rows,
            features: n_features,
            expected: expected.unwrap_or(usize::MAX),
            actual: x.len(),
        });
    }
    Ok(())
}

fn first_non_finite_row(x: &[f32], y: &[f32], n_features: usize) -> Option<usize> {
    let in_x = x
        .iter()
        .position(|v| !v.is_finite())
        .map(|i| i / n_features);
    let in_y = y.iter().position(|v| !v.is_finite());
    match (in_x, in_y) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests;
