//! The network: a multilayer perceptron as a Burn module.
//!
//! Weights are drawn on the host from a ChaCha stream seeded by the user's
//! seed, not by Burn's initializers: Burn draws lazily from a process-wide
//! RNG (`Device::seed` is global on flex and CubeCL), so two networks built at
//! once (a sweep beside a live run, or parallel tests) would steal each
//! other's random numbers. Host-side init is also identical on every backend.
//!
//! Dropout masks come from the trainer for the same reason, so the module
//! itself is deterministic: `forward` never drops anything.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Device, Tensor, TensorData, activation};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::LayerWeights;
use crate::model::error::TrainError;
use crate::model::spec::{Activation, LEAKY_RELU_SLOPE, NetworkSpec};

/// Rows per forward pass when predicting, to bound device memory.
const PREDICT_ROWS: usize = 1 << 16;

/// Hidden layers, each with its activation, then the output units (a logit
/// for classification, the prediction itself for regression, one logit per
/// class for a multi-class target).
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    output: Linear,
    /// One per hidden layer, input side first.
    #[module(skip)]
    activations: Vec<Activation>,
}

impl Mlp {
    /// A freshly initialized network on `device` for `n_features` inputs.
    ///
    /// Each hidden layer uses He (Kaiming) uniform bounds when its
    /// activation is of the ReLU family and Glorot (Xavier) uniform for tanh
    /// and sigmoid, the inits each family is known to train well from; the
    /// output layer uses Glorot. Biases start at zero. The caller validates
    /// `spec` and `n_features >= 1`.
    pub fn new(spec: &NetworkSpec, n_features: usize, seed: u64, device: &Device) -> Self {
        Self::with_outputs(spec, n_features, 1, seed, device)
    }

    /// Like [`new`](Self::new) with `n_outputs` output units (one logit per
    /// class for a multi-class target; Glorot's bound counts them).
    pub fn with_outputs(
        spec: &NetworkSpec,
        n_features: usize,
        n_outputs: usize,
        seed: u64,
        device: &Device,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let activations = spec.activations();
        let mut n_in = n_features;
        let mut hidden = Vec::with_capacity(spec.hidden.len());
        for (&n_out, &activation) in spec.hidden.iter().zip(&activations) {
            let he = matches!(activation, Activation::Relu | Activation::LeakyRelu);
            let bound = if he {
                (6.0 / n_in as f64).sqrt()
            } else {
                (6.0 / (n_in + n_out) as f64).sqrt()
            };
            hidden.push(linear(&mut rng, n_in, n_out, bound, device));
            n_in = n_out;
        }
        let bound = (6.0 / (n_in + n_outputs) as f64).sqrt();
        let output = linear(&mut rng, n_in, n_outputs, bound, device);
        Self {
            hidden,
            output,
            activations,
        }
    }

    /// Output `[rows, outputs]` for input `[rows, n_features]`, without dropout.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_masked(x, &[])
    }

    /// Like [`forward`](Self::forward), multiplying hidden layer `i`'s
    /// activations by `masks[i]` (already scaled by `1 / keep`) where given.
    pub fn forward_masked(&self, x: Tensor<2>, masks: &[Tensor<2>]) -> Tensor<2> {
        let mut x = x;
        for (index, layer) in self.hidden.iter().enumerate() {
            x = self.activate(index, layer.forward(x));
            if let Some(mask) = masks.get(index) {
                x = x * mask.clone();
            }
        }
        self.output.forward(x)
    }

    /// Every hidden layer's activations for `x`, input side first.
    pub fn hidden_outputs(&self, x: Tensor<2>) -> Vec<Tensor<2>> {
        let mut outputs = Vec::with_capacity(self.hidden.len());
        let mut x = x;
        for (index, layer) in self.hidden.iter().enumerate() {
            x = self.activate(index, layer.forward(x));
            outputs.push(x.clone());
        }
        outputs
    }

    /// Hidden layers then the output layer, input side first.
    pub fn layers(&self) -> impl Iterator<Item = &Linear> {
        self.hidden.iter().chain(std::iter::once(&self.output))
    }

    /// Hidden layers then the output layer, for the trainer's host kernel,
    /// which writes the trained weights back after every epoch.
    pub(crate) fn layers_mut(&mut self) -> impl Iterator<Item = &mut Linear> {
        self.hidden
            .iter_mut()
            .chain(std::iter::once(&mut self.output))
    }

    /// Widths of the hidden layers.
    pub fn hidden_widths(&self) -> Vec<usize> {
        self.hidden
            .iter()
            .map(|layer| layer.weight.lazy_shape().dims::<2>()[1])
            .collect()
    }

    /// A single-element tensor that is 0 when every parameter is finite and
    /// NaN otherwise (`x * 0` is NaN exactly for NaN and ±inf, and cannot
    /// overflow the way a plain sum of large weights could). It lets the
    /// trainer check the weights in the same read-back as the epoch loss.
    pub fn finiteness_probe(&self) -> Tensor<1> {
        let mut terms = Vec::new();
        for layer in self.layers() {
            terms.push(layer.weight.val().mul_scalar(0.0).sum());
            if let Some(bias) = &layer.bias {
                terms.push(bias.val().mul_scalar(0.0).sum());
            }
        }
        // Never empty: there is always an output layer with a weight.
        Tensor::cat(terms, 0).sum()
    }

    /// Raw outputs (logits for classification) for row-major
    /// `n_rows × n_features` inputs, one per row (row-major `n_rows ×
    /// classes` for a multi-class network), computed on `device` in
    /// chunks of [`PREDICT_ROWS`] rows. `self` is an inference network (on
    /// a device without autodiff, or `.valid()`), `device` its device; the
    /// caller checked the input's length.
    pub(crate) fn outputs(
        &self,
        x: &[f32],
        n_features: usize,
        device: &Device,
    ) -> Result<Vec<f32>, TrainError> {
        let mut outputs = Vec::with_capacity(x.len() / n_features.max(1));
        for chunk in x.chunks(PREDICT_ROWS * n_features) {
            outputs.extend(read(self.forward(input(chunk, n_features, device)))?);
        }
        Ok(outputs)
    }

    /// Each hidden layer's activations (row-major `n_rows × units`, input
    /// side first) for inputs as in [`outputs`](Self::outputs).
    pub(crate) fn activations(
        &self,
        x: &[f32],
        n_features: usize,
        device: &Device,
    ) -> Result<Vec<Vec<f32>>, TrainError> {
        let mut layers: Vec<Vec<f32>> = vec![Vec::new(); self.hidden.len()];
        for chunk in x.chunks(PREDICT_ROWS * n_features) {
            let outputs = self.hidden_outputs(input(chunk, n_features, device));
            for (layer, values) in layers.iter_mut().zip(outputs) {
                layer.extend(read(values)?);
            }
        }
        Ok(layers)
    }

    /// Every layer's weights and biases (hidden layers, then the output),
    /// one row per unit, for the diagram.
    pub(crate) fn layer_weights(&self) -> Result<Vec<LayerWeights>, TrainError> {
        self.layers()
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

    /// The weights as an in-memory burnpack file (Burn's native format).
    pub(crate) fn to_bytes(&self) -> Result<Vec<u8>, TrainError> {
        let bytes = self
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| TrainError::Backend(e.to_string()))?;
        Ok(bytes.to_vec())
    }

    /// This network with the weights of a burnpack file from
    /// [`to_bytes`](Self::to_bytes) of a network of the same shape.
    pub(crate) fn with_weights(self, bytes: &[u8]) -> Result<Mlp, TrainError> {
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
        self.try_load_record(record)
            .map_err(|e| TrainError::Weights(e.to_string()))
    }

    /// Hidden layer `index`'s activation applied to its pre-activation `x`.
    fn activate(&self, index: usize, x: Tensor<2>) -> Tensor<2> {
        let activation = self.activations.get(index).copied().unwrap_or_default();
        match activation {
            Activation::Relu => activation::relu(x),
            Activation::Tanh => activation::tanh(x),
            Activation::Sigmoid => activation::sigmoid(x),
            Activation::LeakyRelu => activation::leaky_relu(x, LEAKY_RELU_SLOPE),
        }
    }
}

/// A tensor's values on the host.
pub(crate) fn read<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    tensor
        .try_into_vec_as::<f32>()
        .map_err(|e| TrainError::Backend(e.to_string()))
}

fn input(chunk: &[f32], n_features: usize, device: &Device) -> Tensor<2> {
    let rows = chunk.len() / n_features;
    Tensor::from_data(TensorData::new(chunk.to_vec(), [rows, n_features]), device)
}

/// A linear layer with weights uniform in `[-bound, bound)` and zero bias,
/// in Burn's row layout: weight `[n_in, n_out]`.
fn linear(rng: &mut ChaCha8Rng, n_in: usize, n_out: usize, bound: f64, device: &Device) -> Linear {
    let bound = bound as f32;
    let weights: Vec<f32> = (0..n_in * n_out)
        .map(|_| rng.random_range(-bound..bound))
        .collect();
    Linear {
        weight: Param::from_data(TensorData::new(weights, [n_in, n_out]), device),
        bias: Some(Param::from_data(
            TensorData::new(vec![0.0f32; n_out], [n_out]),
            device,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(hidden: Vec<usize>) -> NetworkSpec {
        NetworkSpec {
            hidden,
            ..NetworkSpec::default()
        }
    }

    fn weights(model: &Mlp) -> Vec<Vec<f32>> {
        model
            .layers()
            .map(|l| l.weight.val().try_into_vec_as::<f32>().unwrap())
            .collect()
    }

    #[test]
    fn shapes_and_widths() {
        let device = Device::flex();
        let model = Mlp::new(&spec(vec![5, 3]), 4, 1, &device);
        assert_eq!(model.hidden_widths(), vec![5, 3]);
        let x = Tensor::<2>::ones([7, 4], &device);
        assert_eq!(model.forward(x.clone()).dims(), [7, 1]);
        let hidden = model.hidden_outputs(x);
        assert_eq!(hidden.len(), 2);
        assert_eq!(hidden[0].dims(), [7, 5]);
        assert_eq!(hidden[1].dims(), [7, 3]);
        assert_eq!(model.num_params(), 4 * 5 + 5 + 5 * 3 + 3 + 3 + 1);
    }

    #[test]
    fn same_seed_same_weights_other_seed_other_weights() {
        let device = Device::flex();
        let a = weights(&Mlp::new(&spec(vec![6]), 3, 7, &device));
        let b = weights(&Mlp::new(&spec(vec![6]), 3, 7, &device));
        let c = weights(&Mlp::new(&spec(vec![6]), 3, 8, &device));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let bound = (6.0f32 / 3.0).sqrt();
        assert!(a[0].iter().all(|w| w.abs() <= bound));
    }

    #[test]
    fn each_hidden_layer_uses_its_own_activation() {
        let device = Device::flex();
        let spec = NetworkSpec {
            hidden: vec![4, 3],
            layer_activations: vec![Activation::Sigmoid, Activation::Tanh],
            ..NetworkSpec::default()
        };
        let model = Mlp::new(&spec, 2, 3, &device);
        let x = [3.0f32, -2.0, -5.0, 4.0];
        let input = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [2, 2]), &device);
        let hidden: Vec<Vec<f32>> = model
            .hidden_outputs(input)
            .into_iter()
            .map(|t| t.try_into_vec_as::<f32>().unwrap())
            .collect();
        // By hand from the weights (biases start at zero): sigmoid, then tanh.
        let w = weights(&model);
        let layer = |input: &[f32], w: &[f32], n_in: usize, n_out: usize, f: fn(f32) -> f32| {
            let mut out = Vec::new();
            for row in input.chunks(n_in) {
                for o in 0..n_out {
                    out.push(f((0..n_in).map(|i| row[i] * w[i * n_out + o]).sum()));
                }
            }
            out
        };
        let first = layer(&x, &w[0], 2, 4, |v| 1.0 / (1.0 + (-v).exp()));
        let second = layer(&first, &w[1], 4, 3, f32::tanh);
        for (got, want) in hidden[0]
            .iter()
            .zip(&first)
            .chain(hidden[1].iter().zip(&second))
        {
            assert!(
                (got - want).abs() < 1e-5,
                "{hidden:?} vs {first:?} {second:?}"
            );
        }
        // The sigmoid layer starts from Glorot bounds: sqrt(6 / (2 + 4)) = 1.
        assert!(w[0].iter().all(|v| v.abs() <= 1.0));
    }

    #[test]
    fn probe_detects_non_finite_weights() {
        let device = Device::flex();
        let model = Mlp::new(&spec(vec![2]), 2, 0, &device);
        let probe = model.finiteness_probe().try_into_vec_as::<f32>().unwrap();
        assert_eq!(probe, vec![0.0]);
        let mut broken = model.clone();
        broken.output.weight =
            Param::from_data(TensorData::new(vec![f32::INFINITY, 1.0], [2, 1]), &device);
        let probe = broken.finiteness_probe().try_into_vec_as::<f32>().unwrap();
        assert!(probe[0].is_nan());
    }
}
