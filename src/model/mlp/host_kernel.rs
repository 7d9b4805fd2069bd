//! Training small MLPs on the host: the forward pass, the backward pass and
//! the optimizer step of an [`Mlp`](super::mlp::Mlp), on plain `f32` slices.
//!
//! Why it exists: for the networks this app trains (a few dozen units,
//! batches of 32), Burn's autodiff path spends about 780,000 instructions per
//! optimizer step on graph bookkeeping, optimizer plumbing and per-operation
//! dispatch, for about 10,000 flops of arithmetic (docs/PERFORMANCE.md). This
//! kernel does the same maths with every buffer allocated up front, so a step
//! costs little more than its matrix products.
//!
//! The [`Trainer`](super::Trainer) uses it on Burn's CPU backend
//! (flex). The Burn module stays the model of record: the trainer copies its
//! weights in when the run starts (so initialization is Burn's) and writes
//! them back after every epoch (so prediction, saving and the diagram never
//! see this module).
//!
//! It must follow the Burn path's trajectory up to float rounding, which
//! `tests/host_kernel.rs` checks epoch by epoch. What that takes:
//! - the same layouts: a layer's weight is Burn's `[n_in, n_out]`, row-major;
//! - the same batches and dropout masks: the trainer draws both from the
//!   same seeded stream in the same order for either engine;
//! - the same derivatives as Burn's autodiff, including at the kinks (ReLU's
//!   gradient is 0 at 0, the clamp in the stable cross-entropy passes it at
//!   exactly 0, and `|z|` has gradient 0 there);
//! - Burn's optimizers to the letter (burn-optim 0.22.1, `adam.rs`,
//!   `sgd.rs`, `momentum.rs`, `decay.rs`): coupled L2 added to the gradient
//!   first, Adam's bias correction folded into the step and its epsilon
//!   scaled by `sqrt(1 - beta_2^t)`, SGD's first momentum step taking the
//!   gradient itself as the velocity.
//!
//! Matrix products go through the `gemm` crate (the one flex itself uses):
//! for these shapes it beat plain loops by 2–15× and was on par with
//! `matrixmultiply` (docs/PERFORMANCE.md). Small products run on the calling
//! thread; only products as large as those flex itself spreads over its
//! thread pool (big batches of wide layers) use the pool, so the kernel never
//! takes more cores than the Burn path would.

use rand_chacha::ChaCha8Rng;

use super::loss;
use super::plan::{EpochPlan, fill_dropout_mask};
use crate::model::spec::{Activation, NetworkSpec, OptimizerKind, Task, TrainSettings};

mod ops;

use ops::{Mat, activate, activation_backward, matmul};

/// Burn's `AdamConfig` defaults, which `build_optimizer` keeps.
const ADAM_BETA_1: f32 = 0.9;
const ADAM_BETA_2: f32 = 0.999;
const ADAM_EPSILON: f32 = 1e-5;

/// One layer's place in the flat parameter vector.
#[derive(Debug, Clone, Copy)]
struct Layer {
    n_in: usize,
    n_out: usize,
    /// Offset of the weight, `n_in × n_out` row-major (Burn's layout).
    weight: usize,
    /// Offset of the bias, `n_out` values.
    bias: usize,
}

impl Layer {
    fn weight_range(&self) -> std::ops::Range<usize> {
        self.weight..self.weight + self.n_in * self.n_out
    }

    fn bias_range(&self) -> std::ops::Range<usize> {
        self.bias..self.bias + self.n_out
    }
}

#[derive(Debug, Clone, Copy)]
enum Optimizer {
    Adam,
    /// `None`: plain SGD (momentum 0 configures no momentum in Burn either).
    Sgd {
        momentum: Option<f32>,
    },
}

/// The optimizer's state, kept apart so one copy can be set aside before an
/// epoch and put back when it diverges.
#[derive(Debug, Clone, Default)]
struct State {
    params: Vec<f32>,
    /// Adam's first moment, or SGD's velocity.
    moment_1: Vec<f32>,
    /// Adam's second moment (unused by SGD).
    moment_2: Vec<f32>,
    /// Optimizer steps taken: Adam's time step; 0 means SGD has no velocity yet.
    steps: usize,
}

impl State {
    fn reset(&mut self, params: &[f32]) {
        self.params.clear();
        self.params.extend_from_slice(params);
        self.moment_1.clear();
        self.moment_1.resize(params.len(), 0.0);
        self.moment_2.clear();
        self.moment_2.resize(params.len(), 0.0);
        self.steps = 0;
    }

    fn copy_from(&mut self, other: &State) {
        self.params.clone_from(&other.params);
        self.moment_1.clone_from(&other.moment_1);
        self.moment_2.clone_from(&other.moment_2);
        self.steps = other.steps;
    }
}

/// Per-batch working memory, sized for the largest batch and chunk seen.
#[derive(Debug, Default)]
struct Scratch {
    /// Rows the batch buffers hold.
    rows: usize,
    /// The batch's inputs and targets, gathered in shuffled order.
    x: Vec<f32>,
    y: Vec<f32>,
    /// Each hidden layer's activations (before dropout), `rows × n_out`.
    hidden: Vec<Vec<f32>>,
    /// Each hidden layer's activations after dropout (only with dropout).
    dropped: Vec<Vec<f32>>,
    /// The output layer's values, one per row (one per class and row for
    /// a multi-class network, row-major).
    output: Vec<f32>,
    /// The loss's gradient with respect to each layer's pre-activation
    /// (hidden layers, then the output layer), `rows × n_out`.
    delta: Vec<Vec<f32>>,
    /// The current chunk's dropout masks, layer after layer, each
    /// `chunk rows × n_out` (the order in which the trainer draws them).
    masks: Vec<f32>,
}

/// Forward, backward and optimizer for one network on the host.
#[derive(Debug)]
pub(super) struct HostKernel {
    layers: Vec<Layer>,
    n_features: usize,
    /// One per hidden layer, input side first.
    activations: Vec<Activation>,
    task: Task,
    dropout: f64,
    optimizer: Optimizer,
    /// Coupled L2 penalty (`grad + l2 * w`); `None` when 0, as in Burn.
    weight_decay: Option<f32>,
    /// Loss weights per class ([`loss::UNWEIGHTED`] unless set).
    class_weights: loss::ClassWeights,
    /// A multi-class target's loss weight per class (empty: unweighted).
    multiclass_weights: loss::MulticlassWeights,
    state: State,
    /// The state before the current epoch, for [`restore`](Self::restore).
    saved: State,
    grads: Vec<f32>,
    scratch: Scratch,
}

impl HostKernel {
    /// A kernel for `spec` with parameters `params`: for each layer, input
    /// side first (hidden layers, then the single output unit), its weight
    /// (`n_in × n_out`, row-major as Burn stores it) then its bias.
    ///
    /// # Panics
    ///
    /// If `params` does not have the spec's length (a bug in the caller, who
    /// reads them from a network built for the same spec).
    pub(crate) fn new(
        spec: &NetworkSpec,
        settings: &TrainSettings,
        task: Task,
        n_features: usize,
        params: &[f32],
    ) -> Self {
        let mut layers = Vec::with_capacity(spec.hidden.len() + 1);
        let mut offset = 0;
        let mut n_in = n_features;
        let outputs = task.outputs();
        for n_out in spec.hidden.iter().copied().chain(std::iter::once(outputs)) {
            let layer = Layer {
                n_in,
                n_out,
                weight: offset,
                bias: offset + n_in * n_out,
            };
            offset = layer.bias + n_out;
            layers.push(layer);
            n_in = n_out;
        }
        assert_eq!(params.len(), offset, "parameters do not fit the network");
        let optimizer = match settings.optimizer {
            OptimizerKind::Adam => Optimizer::Adam,
            OptimizerKind::Sgd => Optimizer::Sgd {
                momentum: (settings.momentum > 0.0).then_some(settings.momentum as f32),
            },
        };
        let mut state = State::default();
        state.reset(params);
        let hidden_count = spec.hidden.len();
        Self {
            layers,
            n_features,
            activations: spec.activations(),
            task,
            dropout: spec.dropout,
            optimizer,
            weight_decay: (settings.l2 > 0.0).then_some(settings.l2 as f32),
            class_weights: loss::UNWEIGHTED,
            multiclass_weights: Vec::new(),
            saved: state.clone(),
            state,
            grads: vec![0.0; offset],
            scratch: Scratch {
                hidden: vec![Vec::new(); hidden_count],
                dropped: vec![Vec::new(); hidden_count],
                delta: vec![Vec::new(); hidden_count + 1],
                ..Scratch::default()
            },
        }
    }

    /// Each layer's `(weight, bias)`, input side first, in Burn's layout.
    pub(crate) fn layer_parameters(&self) -> impl Iterator<Item = (&[f32], &[f32])> {
        self.layers.iter().map(|layer| {
            (
                &self.state.params[layer.weight_range()],
                &self.state.params[layer.bias_range()],
            )
        })
    }

    /// New parameters (same layout as [`new`](Self::new)) and a fresh
    /// optimizer, as after loading weights.
    pub(crate) fn reset(&mut self, params: &[f32]) {
        assert_eq!(
            params.len(),
            self.state.params.len(),
            "parameters do not fit the network"
        );
        self.state.reset(params);
    }

    /// Sets the current state aside (before an epoch).
    pub(crate) fn save(&mut self) {
        self.saved.copy_from(&self.state);
    }

    /// Puts back the state set aside by [`save`](Self::save): parameters and
    /// optimizer state alike.
    pub(crate) fn restore(&mut self) {
        self.state.copy_from(&self.saved);
    }

    /// Whether every parameter is finite.
    pub(crate) fn parameters_finite(&self) -> bool {
        self.state.params.iter().all(|v| v.is_finite())
    }

    /// One pass over `plan`: for each chunk its dropout masks from `rng`
    /// (hidden layer after hidden layer, as the Burn path draws them), then
    /// for each batch a forward pass, the loss, a backward pass and an
    /// optimizer step at its rate in `plan.rates`. Returns the sum of the per-row
    /// losses, each measured before its batch's update, accumulated in `f32`
    /// batch by batch as the Burn path does.
    pub(crate) fn run_epoch(&mut self, plan: &EpochPlan<'_>, rng: &mut ChaCha8Rng) -> f32 {
        let batch = plan.batch.min(plan.chunk_rows).max(1);
        self.reserve(batch, plan.chunk_rows.min(plan.order.len()));
        let widths: Vec<usize> = self.layers[..self.layers.len() - 1]
            .iter()
            .map(|l| l.n_out)
            .collect();
        let mut loss_sum = 0.0f32;
        let mut batch_index = 0;
        for chunk in plan.order.chunks(plan.chunk_rows.max(1)) {
            if self.dropout > 0.0 {
                let mut offset = 0;
                for &units in &widths {
                    let len = chunk.len() * units;
                    fill_dropout_mask(
                        rng,
                        self.dropout,
                        &mut self.scratch.masks[offset..offset + len],
                    );
                    offset += len;
                }
            }
            let mut start = 0;
            while start < chunk.len() {
                let len = batch.min(chunk.len() - start);
                self.gather(plan, &chunk[start..start + len]);
                self.forward(len, chunk.len(), start);
                loss_sum += self.output_gradient(len);
                self.backward(len, chunk.len(), start);
                self.optimizer_step(plan.rate(batch_index) as f32);
                batch_index += 1;
                start += len;
            }
        }
        loss_sum
    }

    /// Grows the working memory to `rows` per batch and `chunk_rows` per
    /// chunk of masks; never shrinks, so steady training allocates nothing.
    fn reserve(&mut self, rows: usize, chunk_rows: usize) {
        let s = &mut self.scratch;
        if rows > s.rows {
            s.rows = rows;
            s.x.resize(rows * self.n_features, 0.0);
            s.y.resize(rows, 0.0);
            s.output.resize(rows * self.task.outputs(), 0.0);
            for (index, layer) in self.layers.iter().enumerate() {
                s.delta[index].resize(rows * layer.n_out, 0.0);
                if index + 1 < self.layers.len() {
                    s.hidden[index].resize(rows * layer.n_out, 0.0);
                    if self.dropout > 0.0 {
                        s.dropped[index].resize(rows * layer.n_out, 0.0);
                    }
                }
            }
        }
        if self.dropout > 0.0 {
            let units: usize = self.layers[..self.layers.len() - 1]
                .iter()
                .map(|l| l.n_out)
                .sum();
            let needed = chunk_rows * units;
            if s.masks.len() < needed {
                s.masks.resize(needed, 0.0);
            }
        }
    }

    /// Copies the batch's rows (in shuffled order) into contiguous buffers.
    fn gather(&mut self, plan: &EpochPlan<'_>, rows: &[usize]) {
        let f = self.n_features;
        for (slot, &row) in rows.iter().enumerate() {
            self.scratch.x[slot * f..(slot + 1) * f]
                .copy_from_slice(&plan.x[row * f..(row + 1) * f]);
            self.scratch.y[slot] = plan.y[row];
        }
    }

    /// The mask of hidden layer `index` for the batch's rows: the batch
    /// starts at row `start` of a chunk of `chunk_len` rows.
    fn mask_range(
        &self,
        index: usize,
        chunk_len: usize,
        start: usize,
        len: usize,
    ) -> std::ops::Range<usize> {
        let before: usize = self.layers[..index].iter().map(|l| l.n_out).sum();
        let units = self.layers[index].n_out;
        let begin = chunk_len * before + start * units;
        begin..begin + len * units
    }

    /// Hidden layers (affine, activation, dropout), then the output unit.
    fn forward(&mut self, len: usize, chunk_len: usize, start: usize) {
        let hidden_count = self.layers.len() - 1;
        for index in 0..=hidden_count {
            let layer = self.layers[index];
            let mask = (self.dropout > 0.0 && index < hidden_count)
                .then(|| self.mask_range(index, chunk_len, start, len));
            let s = &mut self.scratch;
            let params = &self.state.params;
            // Split the borrows: this layer's output buffer against the
            // previous layer's (or the batch's) input.
            let (before, rest) = s.hidden.split_at_mut(index);
            let input: &[f32] = match index {
                0 => &s.x[..len * layer.n_in],
                _ if self.dropout > 0.0 => &s.dropped[index - 1][..len * layer.n_in],
                _ => &before[index - 1][..len * layer.n_in],
            };
            let out: &mut [f32] = if index < hidden_count {
                &mut rest[0][..len * layer.n_out]
            } else {
                &mut s.output[..len * layer.n_out]
            };
            // Burn adds the bias after the product; so does gemm when the
            // destination starts as the bias (`dst = dst + lhs · rhs`).
            let bias = &params[layer.bias_range()];
            for row in out.chunks_exact_mut(layer.n_out) {
                row.copy_from_slice(bias);
            }
            matmul(
                out,
                Mat::rows(input, len, layer.n_in),
                Mat::rows(&params[layer.weight_range()], layer.n_in, layer.n_out),
                true,
            );
            if index == hidden_count {
                break;
            }
            activate(self.activations[index], out);
            if let Some(mask) = mask {
                let dropped = &mut s.dropped[index][..len * layer.n_out];
                for ((d, &h), &m) in dropped.iter_mut().zip(out.iter()).zip(&s.masks[mask]) {
                    *d = h * m;
                }
            }
        }
    }

    /// Weights the loss of each class from the next batch on.
    pub(super) fn set_class_weights(&mut self, weights: loss::ClassWeights) {
        self.class_weights = weights;
    }

    /// Weights each class of a multi-class target from the next batch on.
    pub(super) fn set_multiclass_weights(&mut self, weights: &[f32]) {
        self.multiclass_weights = weights.to_vec();
    }

    /// The batch's loss summed over its rows, and its gradient with respect
    /// to the output (for the batch mean) into the output layer's delta.
    fn output_gradient(&mut self, len: usize) -> f32 {
        if let Task::Multiclass { classes } = self.task {
            return self.softmax_gradient(len, classes);
        }
        let s = &mut self.scratch;
        let delta = &mut s.delta[self.layers.len() - 1][..len];
        // The gradient of `sum / len` reaching each row, as Burn computes it.
        let share = 1.0 / len as f32;
        let mut sum = 0.0f32;
        for ((d, &z), &t) in delta.iter_mut().zip(&s.output[..len]).zip(&s.y[..len]) {
            let (loss, grad) = loss::row_with_gradient(self.task, self.class_weights, z, t, share);
            sum += loss;
            *d = grad;
        }
        sum
    }

    /// [`output_gradient`](Self::output_gradient) for a softmax over
    /// `classes` logits per row (`y` holds class indices).
    fn softmax_gradient(&mut self, len: usize, classes: usize) -> f32 {
        let s = &mut self.scratch;
        let delta = &mut s.delta[self.layers.len() - 1][..len * classes];
        let share = 1.0 / len as f32;
        let mut sum = 0.0f32;
        for ((d, z), &t) in delta
            .chunks_exact_mut(classes)
            .zip(s.output[..len * classes].chunks_exact(classes))
            .zip(&s.y[..len])
        {
            let weights = &self.multiclass_weights;
            sum += loss::multiclass_row_with_gradient(weights, z, t as usize, share, d);
        }
        sum
    }

    /// Gradients of every parameter for the batch, output layer first.
    fn backward(&mut self, len: usize, chunk_len: usize, start: usize) {
        let hidden_count = self.layers.len() - 1;
        for index in (0..=hidden_count).rev() {
            let layer = self.layers[index];
            let mask = (self.dropout > 0.0 && index < hidden_count)
                .then(|| self.mask_range(index, chunk_len, start, len));
            let s = &mut self.scratch;
            let (lower, upper) = s.delta.split_at_mut(index);
            let delta = &mut upper[0][..len * layer.n_out];
            if index < hidden_count {
                // `delta` holds the gradient with respect to this layer's
                // output after dropout; take it back through the mask and
                // the activation.
                let hidden = &s.hidden[index][..len * layer.n_out];
                if let Some(mask) = mask {
                    for (d, &m) in delta.iter_mut().zip(&s.masks[mask]) {
                        *d *= m;
                    }
                }
                activation_backward(self.activations[index], hidden, delta);
            }
            let input: &[f32] = match index {
                0 => &s.x[..len * layer.n_in],
                _ if self.dropout > 0.0 => &s.dropped[index - 1][..len * layer.n_in],
                _ => &s.hidden[index - 1][..len * layer.n_in],
            };
            let (grad_weight, grad_bias) = self.grads[layer.weight..layer.bias + layer.n_out]
                .split_at_mut(layer.n_in * layer.n_out);
            // dW = inputᵀ · delta
            matmul(
                grad_weight,
                Mat::rows(input, len, layer.n_in).transposed(),
                Mat::rows(delta, len, layer.n_out),
                false,
            );
            // db = column sums of delta
            grad_bias.copy_from_slice(&delta[..layer.n_out]);
            for row in delta[layer.n_out..].chunks_exact(layer.n_out) {
                for (g, &d) in grad_bias.iter_mut().zip(row) {
                    *g += d;
                }
            }
            if index > 0 {
                // The gradient for the layer below: delta · Wᵀ.
                let below = &mut lower[index - 1][..len * layer.n_in];
                matmul(
                    below,
                    Mat::rows(delta, len, layer.n_out),
                    Mat::rows(
                        &self.state.params[layer.weight_range()],
                        layer.n_in,
                        layer.n_out,
                    )
                    .transposed(),
                    false,
                );
            }
        }
    }

    /// One step of Burn's Adam or SGD over every parameter at once (Burn
    /// keeps one state per parameter tensor, but every tensor is stepped on
    /// every batch, so one shared time step is the same).
    fn optimizer_step(&mut self, lr: f32) {
        let State {
            params,
            moment_1,
            moment_2,
            steps,
        } = &mut self.state;
        let decay = self.weight_decay;
        let grads = &self.grads;
        match self.optimizer {
            Optimizer::Adam => {
                *steps += 1;
                let time = *steps as i32;
                let (b1, b2) = (ADAM_BETA_1, ADAM_BETA_2);
                let bias_correction_2 = (1.0 - b2.powi(time)).sqrt();
                let factor = bias_correction_2 / (1.0 - b1.powi(time));
                let epsilon = ADAM_EPSILON * bias_correction_2;
                let (f1, f2) = (1.0 - b1, 1.0 - b2);
                for (((w, &g), m), v) in params
                    .iter_mut()
                    .zip(grads)
                    .zip(moment_1.iter_mut())
                    .zip(moment_2.iter_mut())
                {
                    let g = match decay {
                        Some(l2) => *w * l2 + g,
                        None => g,
                    };
                    // A zero moment makes the first step exactly Burn's
                    // `g * (1 - beta)` initialization.
                    *m = *m * b1 + g * f1;
                    *v = *v * b2 + g * g * f2;
                    let update = *m * factor / (v.sqrt() + epsilon);
                    *w -= update * lr;
                }
            }
            Optimizer::Sgd { momentum } => {
                let first = *steps == 0;
                *steps += 1;
                for ((w, &g), velocity) in params.iter_mut().zip(grads).zip(moment_1.iter_mut()) {
                    let mut g = match decay {
                        Some(l2) => *w * l2 + g,
                        None => g,
                    };
                    if let Some(mu) = momentum {
                        // Burn: the first step's velocity is the gradient;
                        // later ones `grad * (1 - dampening) + mu * velocity`
                        // with dampening 0.
                        *velocity = if first { g } else { g + *velocity * mu };
                        g = *velocity;
                    }
                    *w -= g * lr;
                }
            }
        }
    }
}
