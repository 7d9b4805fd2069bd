//! The training loop: one [`Trainer`] owns the network and its optimizer for
//! a whole run, so optimizer state (Adam's moments, SGD's velocity) carries
//! across epochs and the learning rate can change between batches.
//!
//! Per-step overhead, not arithmetic, dominates for these small networks.
//! On the CPU backend the epochs therefore run on the host kernel
//! ([`super::host_kernel`]), which skips Burn's autodiff graph altogether.
//! On Burn's autodiff (wgpu, or [`TrainingEngine::Burn`]) an epoch uploads
//! its shuffled data (and dropout masks) in as few transfers as possible,
//! slices batches on the device, and reads the loss back once.

use burn::module::{Module, Param};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::host_kernel::{EpochPlan, HostKernel};
use super::mlp::Mlp;
use super::spec::{
    NetworkSpec, OptimizerKind, SpecError, Task, TrainSettings, validate_learning_rate,
};

/// Floats uploaded per transfer during an epoch (16 MiB). Typical data fits in
/// one chunk; huge data is cut into chunks of whole batches, which leaves the
/// batch boundaries, and so the results, unchanged.
const CHUNK_FLOATS: usize = 1 << 22;
/// Rows per forward pass when predicting, to bound device memory.
const PREDICT_ROWS: usize = 1 << 16;

/// Why training (or a prediction) could not proceed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrainError {
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error("the data has no feature columns; select at least one feature")]
    NoFeatures,
    #[error("there are no rows to train on")]
    NoRows,
    #[error(
        "expected {expected} feature values for {rows} rows × {features} features, got {actual}"
    )]
    FeatureCount {
        rows: usize,
        features: usize,
        expected: usize,
        actual: usize,
    },
    #[error("expected {expected} target values (one per row), got {actual}")]
    TargetCount { expected: usize, actual: usize },
    #[error(
        "the training data contains a missing or infinite value (row {row}); impute or drop it first"
    )]
    NonFiniteInput { row: usize },
    #[error(
        "training diverged at epoch {epoch} (loss {loss}); try a smaller learning rate. The network was reset to its state after the last good epoch"
    )]
    Diverged { epoch: usize, loss: f64 },
    #[error("the compute device failed: {0}")]
    Backend(String),
    #[error("the saved weights do not fit this network: {0}")]
    Weights(String),
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

/// Which implementation trains the network (asked for when building a
/// [`Trainer`]; [`Trainer::engine`] says which one runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainingEngine {
    /// The host kernel on the CPU backend (flex), Burn's autodiff elsewhere.
    #[default]
    Auto,
    /// Burn's autodiff and optimizers on every backend: the reference the
    /// host kernel is tested against, and the "before" of the benchmark.
    Burn,
}

impl TrainingEngine {
    pub const ALL: [TrainingEngine; 2] = [TrainingEngine::Auto, TrainingEngine::Burn];

    pub fn as_str(self) -> &'static str {
        match self {
            TrainingEngine::Auto => "auto",
            TrainingEngine::Burn => "burn",
        }
    }
}

impl std::fmt::Display for TrainingEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for TrainingEngine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(TrainingEngine::Auto),
            "burn" => Ok(TrainingEngine::Burn),
            _ => Err(format!("unknown training engine {s:?}; use auto or burn")),
        }
    }
}

/// The implementation a [`Trainer`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// Forward, backward and optimizer on host `f32` slices
    /// (`model::host_kernel`); CPU backend only.
    HostKernel,
    /// Burn's autodiff graph and optimizers.
    BurnAutodiff,
}

impl EngineKind {
    pub fn label(self) -> &'static str {
        match self {
            EngineKind::HostKernel => "host kernel",
            EngineKind::BurnAutodiff => "Burn autodiff",
        }
    }
}

/// Owns the autodiff network and its optimizer for one training run.
///
/// On the CPU backend the epochs run on the host kernel
/// ([`EngineKind::HostKernel`]) unless [`TrainingEngine::Burn`] was asked
/// for; the Burn network is still the model of record: it gives the kernel
/// its initial weights and gets the trained ones back after every epoch, so
/// everything else (prediction, saving, the diagram) reads it as before.
pub struct Trainer {
    model: Mlp,
    /// Burn's optimizer; unused (and stateless) while the host kernel trains.
    optimizer: ModuleOptimizer,
    /// The host kernel and its optimizer state, when it trains this network.
    host: Option<Box<HostKernel>>,
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
        spec.validate()?;
        settings.validate()?;
        if n_features == 0 {
            return Err(TrainError::NoFeatures);
        }
        let infer_device = device.clone().without_autodiff();
        let device = device.clone().autodiff();
        let model = Mlp::new(spec, n_features, settings.seed, &device);
        let host = if engine == TrainingEngine::Auto && infer_device == Device::flex() {
            let params = host_parameters(&model)?;
            Some(Box::new(HostKernel::new(
                spec, settings, task, n_features, &params,
            )))
        } else {
            None
        };
        Ok(Self {
            model,
            optimizer: build_optimizer(settings),
            host,
            device,
            infer_device,
            spec: spec.clone(),
            settings: settings.clone(),
            task,
            n_features,
            learning_rate: settings.learning_rate,
            epoch: 0,
        })
    }

    /// Which implementation trains this network.
    pub fn engine(&self) -> EngineKind {
        if self.host.is_some() {
            EngineKind::HostKernel
        } else {
            EngineKind::BurnAutodiff
        }
    }

    /// Epochs completed so far.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// Change the learning rate; it applies from the next batch on.
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
        let mut rng = ChaCha8Rng::seed_from_u64(epoch_seed(self.settings.seed, epoch));
        let mut order: Vec<usize> = (0..n_rows).collect();
        order.shuffle(&mut rng);
        let batch = self.settings.batch_size.min(n_rows);
        let plan = EpochPlan {
            x,
            y,
            order: &order,
            batch,
            chunk_rows: chunk_rows(n_rows, batch, self.n_features, &self.spec),
        };

        let (sum, weights_finite) = match self.host.as_deref_mut() {
            Some(kernel) => {
                kernel.save();
                let sum = kernel.run_epoch(&plan, &mut rng, self.learning_rate);
                (f64::from(sum), kernel.parameters_finite())
            }
            None => {
                // Tensors are immutable handles, so these clones are cheap snapshots.
                let last_model = self.model.clone();
                let last_optimizer = self.optimizer.clone();
                let (sum, finite) = self.burn_epoch(&plan, &mut rng)?;
                if !(sum.is_finite() && finite) {
                    self.model = last_model;
                    self.optimizer = last_optimizer;
                }
                (sum, finite)
            }
        };
        let mean = sum / n_rows as f64;
        if !mean.is_finite() || !weights_finite {
            // The Burn path has put its snapshot back above.
            if let Some(kernel) = self.host.as_deref_mut() {
                kernel.restore();
            }
            let loss = if mean.is_finite() { f64::NAN } else { mean };
            return Err(TrainError::Diverged { epoch, loss });
        }
        if let Some(kernel) = self.host.as_deref() {
            store_host_parameters(&mut self.model, kernel, &self.device);
        }
        self.epoch = epoch;
        Ok(mean)
    }

    /// One epoch on Burn's autodiff: uploads each chunk of shuffled rows (and
    /// its dropout masks) at once, slices batches on the device, and reads
    /// the loss back once. Returns the summed per-row loss and whether every
    /// weight is finite.
    fn burn_epoch(
        &mut self,
        plan: &EpochPlan<'_>,
        rng: &mut ChaCha8Rng,
    ) -> Result<(f64, bool), TrainError> {
        let batch = plan.batch;
        let widths = self.model.hidden_widths();
        let dropout = self.spec.dropout;
        let mut loss_sum = Tensor::<1>::zeros([1], &self.device);
        for chunk in plan.order.chunks(plan.chunk_rows) {
            let (xs, ys) = self.upload_rows(plan.x, plan.y, chunk);
            let masks: Vec<Tensor<2>> = if dropout > 0.0 {
                widths
                    .iter()
                    .map(|&units| dropout_mask(rng, chunk.len(), units, dropout, &self.device))
                    .collect()
            } else {
                Vec::new()
            };
            let mut start = 0;
            while start < chunk.len() {
                let len = batch.min(chunk.len() - start);
                let bx = xs.clone().narrow(0, start, len);
                let by = ys.clone().narrow(0, start, len);
                let bmasks: Vec<Tensor<2>> = masks
                    .iter()
                    .map(|m| m.clone().narrow(0, start, len))
                    .collect();
                let output = self.model.forward_masked(bx, &bmasks);
                let batch_sum = per_row_loss(self.task, output, by).sum();
                let loss = batch_sum.clone().div_scalar(len as f64);
                loss_sum = loss_sum + batch_sum.detach();
                let grads = GradientsParams::from_grads(loss.backward(), &self.model);
                self.model = self
                    .optimizer
                    .step(self.learning_rate, self.model.clone(), grads);
                start += len;
            }
        }

        // One read-back per epoch: the loss sum and the weight probe together.
        let probe = self.model.finiteness_probe();
        let values = Tensor::cat(vec![loss_sum, probe], 0)
            .try_into_vec_as::<f32>()
            .map_err(|e| TrainError::Backend(e.to_string()))?;
        match values.as_slice() {
            [sum, probe] => Ok((f64::from(*sum), probe.is_finite())),
            _ => Err(TrainError::Backend("unexpected loss read-back".into())),
        }
    }

    /// Mean loss on `x`/`y` with the current weights (dropout off).
    pub fn evaluate_loss(&self, x: &[f32], y: &[f32], n_rows: usize) -> Result<f64, TrainError> {
        self.check_data(x, y, n_rows)?;
        let outputs = self.predict_raw(x, n_rows)?;
        let total: f64 = outputs
            .iter()
            .zip(y)
            .map(|(&z, &t)| host_loss(self.task, f64::from(z), f64::from(t)))
            .sum();
        Ok(total / n_rows as f64)
    }

    /// Predictions for `n_rows` rows: probabilities of the positive class for
    /// classification, predicted values for regression.
    pub fn predict(&self, x: &[f32], n_rows: usize) -> Result<Vec<f32>, TrainError> {
        let mut outputs = self.predict_raw(x, n_rows)?;
        if self.task == Task::Classification {
            for z in &mut outputs {
                *z = sigmoid(*z);
            }
        }
        Ok(outputs)
    }

    /// Raw network outputs (logits for classification), one per row.
    pub fn predict_raw(&self, x: &[f32], n_rows: usize) -> Result<Vec<f32>, TrainError> {
        self.check_features(x, n_rows)?;
        let model = self.model.valid();
        let mut outputs = Vec::with_capacity(n_rows);
        for chunk in x.chunks(PREDICT_ROWS * self.n_features) {
            let rows = chunk.len() / self.n_features;
            let input = self.infer_input(chunk, rows);
            outputs.extend(read(model.forward(input))?);
        }
        Ok(outputs)
    }

    /// Each hidden layer's activations for `x` (dropout off), row-major
    /// `n_rows × units`, input side first. Empty without hidden layers.
    pub fn hidden_activations(
        &self,
        x: &[f32],
        n_rows: usize,
    ) -> Result<Vec<Vec<f32>>, TrainError> {
        self.check_features(x, n_rows)?;
        let model = self.model.valid();
        let mut layers: Vec<Vec<f32>> = vec![Vec::new(); self.spec.hidden.len()];
        for chunk in x.chunks(PREDICT_ROWS * self.n_features) {
            let rows = chunk.len() / self.n_features;
            for (layer, values) in layers
                .iter_mut()
                .zip(model.hidden_outputs(self.infer_input(chunk, rows)))
            {
                layer.extend(read(values)?);
            }
        }
        Ok(layers)
    }

    /// Every layer's weights and biases (hidden layers, then the output).
    pub fn layer_weights(&self) -> Result<Vec<LayerWeights>, TrainError> {
        self.model
            .layers()
            .map(|layer| {
                let [n_in, n_out] = layer.weight.val().dims();
                // Burn stores `[n_in, n_out]`; the diagram wants one row per unit.
                let stored = read(layer.weight.val())?;
                let mut weights = vec![0.0; stored.len()];
                for i in 0..n_in {
                    for o in 0..n_out {
                        weights[o * n_in + i] = stored[i * n_out + o];
                    }
                }
                let bias = match &layer.bias {
                    Some(bias) => read(bias.val())?,
                    None => vec![0.0; n_out],
                };
                Ok(LayerWeights {
                    weights,
                    bias,
                    n_in,
                    n_out,
                })
            })
            .collect()
    }

    /// The weights as an in-memory burnpack file (Burn's native format), for
    /// embedding in a model bundle.
    pub fn weights_to_bytes(&self) -> Result<Vec<u8>, TrainError> {
        let bytes = self
            .model
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| TrainError::Backend(e.to_string()))?;
        Ok(bytes.to_vec())
    }

    /// Replace the weights with ones from [`weights_to_bytes`](Self::weights_to_bytes).
    /// The file must come from a network of the same shape; the optimizer
    /// starts afresh and the epoch counter is kept.
    pub fn load_weights(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        // Burn panics when a float parameter meets a tensor of another type
        // (found by fuzzing the model-file reader); this build saves only
        // 32-bit floats, so anything else is refused with its name first.
        let tensors = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .and_then(burn_pack::Reader::into_tensors)
            .map_err(|e| TrainError::Weights(e.to_string()))?;
        if let Some(t) = tensors.iter().find(|t| t.dtype != DType::F32) {
            return Err(TrainError::Weights(format!(
                "`{}` holds {:?} values, not 32-bit floats",
                t.name, t.dtype
            )));
        }
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| TrainError::Weights(e.to_string()))?;
        self.model = self
            .model
            .clone()
            .try_load_record(record)
            .map_err(|e| TrainError::Weights(e.to_string()))?;
        self.optimizer = build_optimizer(&self.settings);
        if let Some(kernel) = self.host.as_deref_mut() {
            kernel.reset(&host_parameters(&self.model)?);
        }
        Ok(())
    }

    /// Lets Burn free the autodiff bookkeeping of networks that were built
    /// but never trained. Burn's autodiff releases it only during a
    /// backward pass, so a network made just to score (an opened model)
    /// kept about 5 KB per parameter set until the next training step in
    /// the process: opening many models grew memory without bound (found by
    /// fuzzing the model-file reader, docs/RELIABILITY.md). One backward pass
    /// over a one-element tensor runs that cleanup.
    pub fn release_unused_graphs(&self) {
        let probe = Tensor::<1>::zeros([1], &self.device).require_grad();
        let _ = probe.sum().backward();
    }

    fn check_features(&self, x: &[f32], n_rows: usize) -> Result<(), TrainError> {
        let expected = n_rows.checked_mul(self.n_features);
        if expected != Some(x.len()) {
            return Err(TrainError::FeatureCount {
                rows: n_rows,
                features: self.n_features,
                expected: expected.unwrap_or(usize::MAX),
                actual: x.len(),
            });
        }
        Ok(())
    }

    fn check_data(&self, x: &[f32], y: &[f32], n_rows: usize) -> Result<(), TrainError> {
        if n_rows == 0 {
            return Err(TrainError::NoRows);
        }
        self.check_features(x, n_rows)?;
        if y.len() != n_rows {
            return Err(TrainError::TargetCount {
                expected: n_rows,
                actual: y.len(),
            });
        }
        Ok(())
    }

    fn upload_rows(&self, x: &[f32], y: &[f32], rows: &[usize]) -> (Tensor<2>, Tensor<2>) {
        let f = self.n_features;
        let mut xs = Vec::with_capacity(rows.len() * f);
        let mut ys = Vec::with_capacity(rows.len());
        for &row in rows {
            xs.extend_from_slice(&x[row * f..(row + 1) * f]);
            ys.push(y[row]);
        }
        (
            Tensor::from_data(TensorData::new(xs, [rows.len(), f]), &self.device),
            Tensor::from_data(TensorData::new(ys, [rows.len(), 1]), &self.device),
        )
    }

    fn infer_input(&self, chunk: &[f32], rows: usize) -> Tensor<2> {
        Tensor::from_data(
            TensorData::new(chunk.to_vec(), [rows, self.n_features]),
            &self.infer_device,
        )
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

fn build_optimizer(settings: &TrainSettings) -> ModuleOptimizer {
    // Coupled L2: Burn adds `l2 * w` to the gradient, for Adam and SGD alike.
    let decay = (settings.l2 > 0.0).then(|| WeightDecayConfig::new(settings.l2 as f32));
    match settings.optimizer {
        OptimizerKind::Adam => AdamConfig::new().with_weight_decay(decay).init(),
        OptimizerKind::Sgd => {
            // Burn's momentum dampens by 0.1 by default; textbook (and
            // PyTorch) momentum does not, and the UI promises the textbook.
            let momentum = (settings.momentum > 0.0).then(|| {
                MomentumConfig::new()
                    .with_momentum(settings.momentum)
                    .with_dampening(0.0)
            });
            SgdConfig::new()
                .with_weight_decay(decay)
                .with_momentum(momentum)
                .init()
        }
    }
}

/// Per-row loss `[rows, 1]`. Classification uses binary cross-entropy on
/// logits in the stable form `max(z, 0) - z·y + ln(1 + e^(-|z|))`, which never
/// takes the log of 0 or exponentiates a large positive number.
fn per_row_loss(task: Task, output: Tensor<2>, target: Tensor<2>) -> Tensor<2> {
    match task {
        Task::Classification => {
            let softplus_tail = output.clone().abs().neg().exp().log1p();
            output.clone().clamp_min(0.0) - output * target + softplus_tail
        }
        Task::Regression => (output - target).square(),
    }
}

/// The same losses on the host, in f64, for evaluation.
fn host_loss(task: Task, z: f64, y: f64) -> f64 {
    match task {
        Task::Classification => z.max(0.0) - z * y + (-z.abs()).exp().ln_1p(),
        Task::Regression => (z - y) * (z - y),
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    tensor
        .try_into_vec_as::<f32>()
        .map_err(|e| TrainError::Backend(e.to_string()))
}

/// A different, reproducible stream per epoch, so epoch `n` shuffles the same
/// way whether or not earlier epochs ran in this process.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Inverted-dropout mask `[rows, units]`: `1 / keep` with probability `keep`,
/// else 0, so activations keep their expected value during training.
fn dropout_mask(
    rng: &mut ChaCha8Rng,
    rows: usize,
    units: usize,
    dropout: f64,
    device: &Device,
) -> Tensor<2> {
    let mut values = vec![0.0; rows * units];
    fill_dropout_mask(rng, dropout, &mut values);
    Tensor::from_data(TensorData::new(values, [rows, units]), device)
}

/// Fills `mask` with inverted-dropout factors, one draw each in order; both
/// engines draw through here, so they drop the same units.
pub(super) fn fill_dropout_mask(rng: &mut ChaCha8Rng, dropout: f64, mask: &mut [f32]) {
    let keep = 1.0 - dropout;
    let scale = (1.0 / keep) as f32;
    for value in mask {
        *value = if rng.random::<f64>() < keep {
            scale
        } else {
            0.0
        };
    }
}

/// Rows per upload (and per set of dropout masks): all of them when the
/// epoch's floats fit in [`CHUNK_FLOATS`], else a whole number of batches.
/// Both engines cut the same way, so they draw the same masks.
fn chunk_rows(n_rows: usize, batch: usize, n_features: usize, spec: &NetworkSpec) -> usize {
    let mask_floats = if spec.dropout > 0.0 {
        spec.hidden.iter().sum()
    } else {
        0
    };
    let per_row = n_features + 1 + mask_floats;
    let max_rows = (CHUNK_FLOATS / per_row).max(1);
    if max_rows >= n_rows {
        n_rows
    } else {
        (max_rows / batch).max(1) * batch
    }
}

/// Every layer's weight and bias as one host vector, in the host kernel's
/// layout (per layer, input side first: weight `[n_in, n_out]`, then bias).
fn host_parameters(model: &Mlp) -> Result<Vec<f32>, TrainError> {
    let mut params = Vec::with_capacity(model.num_params());
    for layer in model.layers() {
        params.extend(read(layer.weight.val())?);
        match &layer.bias {
            Some(bias) => params.extend(read(bias.val())?),
            // Never built without a bias; a zero bias is what no bias means.
            None => params.extend(std::iter::repeat_n(
                0.0,
                layer.weight.lazy_shape().dims::<2>()[1],
            )),
        }
    }
    Ok(params)
}

/// Writes the host kernel's weights into the Burn network, keeping each
/// parameter's id and its gradient requirement.
fn store_host_parameters(model: &mut Mlp, kernel: &HostKernel, device: &Device) {
    for (layer, (weight, bias)) in model.layers_mut().zip(kernel.layer_parameters()) {
        let [n_in, n_out] = layer.weight.lazy_shape().dims::<2>();
        let new_weight: Tensor<2> =
            Tensor::from_data(TensorData::new(weight.to_vec(), [n_in, n_out]), device);
        layer.weight = layer.weight.clone().map(|_| new_weight.require_grad());
        let new_bias: Tensor<1> =
            Tensor::from_data(TensorData::new(bias.to_vec(), [n_out]), device);
        layer.bias = Some(match layer.bias.take() {
            Some(old) => old.map(|_| new_bias.require_grad()),
            None => Param::from_tensor(new_bias),
        });
    }
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
