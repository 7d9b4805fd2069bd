//! Everything about the network, on Burn; no UI types here.
//!
//! - [`spec`]: what the user asks for (architecture, training settings), validated.
//! - [`mlp`]: the Burn module.
//! - [`device`]: wgpu on a real GPU, else Burn's CPU backend (flex), with the reason.
//! - [`train`]: the [`Trainer`] that owns network and optimizer for a run.
//! - [`host_kernel`]: forward, backward and optimizer on host slices, which
//!   the trainer runs on the CPU backend instead of Burn's autodiff.
//! - [`metrics`]: classification and regression metrics on plain slices.
//! - [`run`]: a [`run::TrainingRun`]: trainer + prepared data + test metrics.
//! - [`surface`]: the decision surface over two features, as plain values.
//! - [`bundle`]: a trained model as one file.

pub mod bundle;
pub mod device;
mod host_kernel;
pub mod metrics;
pub mod mlp;
pub mod run;
pub mod spec;
pub mod surface;
pub mod train;

pub use device::{BackendChoice, ComputeKind, DeviceError, SelectedDevice, select_device};
pub use metrics::{ClassificationMetrics, MetricsError, RegressionMetrics};
pub use mlp::Mlp;
pub use spec::{Activation, NetworkSpec, OptimizerKind, SpecError, Task, TrainSettings};
pub use train::{EngineKind, LayerWeights, TrainError, Trainer, TrainingEngine};
