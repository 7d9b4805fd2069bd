//! Which implementation trains a [`Trainer`](super::Trainer)'s network, and
//! the Burn side of it: the optimizer, one epoch on Burn's autodiff, and the
//! copies of the weights between the Burn network and the host kernel.

use burn::module::{Module, Param};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::host_kernel::HostKernel;
use super::loss;
use super::network::{Mlp, read};
use super::plan::{EpochPlan, fill_dropout_mask};
use crate::model::error::TrainError;
use crate::model::spec::{OptimizerKind, Task, TrainSettings};

/// Which implementation trains the network (asked for when building a
/// [`Trainer`](super::Trainer); [`Trainer::engine`](super::Trainer::engine)
/// says which one runs).
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

/// The implementation a [`Trainer`](super::Trainer) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// Forward, backward and optimizer on host `f32` slices
    /// (`model::mlp::host_kernel`); CPU backend only.
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

/// The running engine with its optimizer state: exactly one of them exists,
/// so no optimizer sits unused beside the one that trains.
pub(super) enum Engine {
    /// The host kernel, which holds its own copy of the weights and
    /// optimizer state.
    Host(Box<HostKernel>),
    /// Burn's optimizer, stepping the Burn network itself.
    Burn(ModuleOptimizer),
}

impl Engine {
    pub(super) fn kind(&self) -> EngineKind {
        match self {
            Engine::Host(_) => EngineKind::HostKernel,
            Engine::Burn(_) => EngineKind::BurnAutodiff,
        }
    }
}

pub(super) fn build_optimizer(settings: &TrainSettings) -> ModuleOptimizer {
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

/// What a Burn epoch needs besides the network and its optimizer.
pub(super) struct BurnStep<'a> {
    /// The autodiff device the network lives on.
    pub device: &'a Device,
    pub task: Task,
    pub dropout: f64,
    pub n_features: usize,
    pub class_weights: loss::ClassWeights,
    /// A multi-class target's weight per class (empty: unweighted).
    pub multiclass_weights: &'a [f32],
}

/// One epoch on Burn's autodiff: uploads each chunk of shuffled rows (and
/// its dropout masks) at once, slices batches on the device, and reads the
/// loss back once. Returns the summed per-row loss and whether every weight
/// is finite.
pub(super) fn burn_epoch(
    model: &mut Mlp,
    optimizer: &mut ModuleOptimizer,
    step: &BurnStep<'_>,
    plan: &EpochPlan<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<(f64, bool), TrainError> {
    let batch = plan.batch;
    let widths = model.hidden_widths();
    let mut loss_sum = Tensor::<1>::zeros([1], step.device);
    let mut batch_index = 0;
    for chunk in plan.order.chunks(plan.chunk_rows) {
        let (xs, ys) = upload_rows(plan.x, plan.y, chunk, step);
        let masks: Vec<Tensor<2>> = if step.dropout > 0.0 {
            widths
                .iter()
                .map(|&units| dropout_mask(rng, chunk.len(), units, step.dropout, step.device))
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
            let output = model.forward_masked(bx, &bmasks);
            let batch_sum = loss::per_row(step.task, step.class_weights, output, by).sum();
            let loss = batch_sum.clone().div_scalar(len as f64);
            loss_sum = loss_sum + batch_sum.detach();
            let grads = GradientsParams::from_grads(loss.backward(), &*model);
            *model = optimizer.step(plan.rate(batch_index), model.clone(), grads);
            batch_index += 1;
            start += len;
        }
    }

    // One read-back per epoch: the loss sum and the weight probe together.
    let probe = model.finiteness_probe();
    let values = read(Tensor::cat(vec![loss_sum, probe], 0))?;
    match values.as_slice() {
        [sum, probe] => Ok((f64::from(*sum), probe.is_finite())),
        _ => Err(TrainError::Backend("unexpected loss read-back".into())),
    }
}

/// The chunk's inputs `[rows, features]` and targets: `[rows, 1]`, or for
/// a multi-class network each row's weighted one-hot `[rows, classes]`
/// ([`loss::weighted_one_hot`]).
fn upload_rows(
    x: &[f32],
    y: &[f32],
    rows: &[usize],
    step: &BurnStep<'_>,
) -> (Tensor<2>, Tensor<2>) {
    let (f, device) = (step.n_features, step.device);
    let outputs = step.task.outputs();
    let mut xs = Vec::with_capacity(rows.len() * f);
    let mut ys = Vec::with_capacity(rows.len() * outputs);
    for &row in rows {
        xs.extend_from_slice(&x[row * f..(row + 1) * f]);
        match step.task {
            Task::Multiclass { .. } => {
                let start = ys.len();
                ys.resize(start + outputs, 0.0);
                loss::weighted_one_hot(y[row], step.multiclass_weights, &mut ys[start..]);
            }
            Task::Classification | Task::Regression => ys.push(y[row]),
        }
    }
    (
        Tensor::from_data(TensorData::new(xs, [rows.len(), f]), device),
        Tensor::from_data(TensorData::new(ys, [rows.len(), outputs]), device),
    )
}

/// An inverted-dropout mask `[rows, units]` drawn through
/// [`fill_dropout_mask`], as the host kernel draws it.
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

/// Every layer's weight and bias as one host vector, in the host kernel's
/// layout (per layer, input side first: weight `[n_in, n_out]`, then bias).
pub(super) fn host_parameters(model: &Mlp) -> Result<Vec<f32>, TrainError> {
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
pub(super) fn store_host_parameters(model: &mut Mlp, kernel: &HostKernel, device: &Device) {
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
