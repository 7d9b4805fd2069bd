//! Everything about models, on Burn; no UI types here.
//!
//! The family API ([`family`]): a [`ModelSpec`] says what to train, a
//! [`Learner`] trains it one [`TrainingUnit`] at a time, a [`Scorer`] scores
//! prepared rows (an opened model file is one, inference-only). The run,
//! worker, bundle, history and CLI go through these, so a second family
//! joins here without touching them.
//!
//! - [`family`]: the family API.
//! - `build`: a model of any family from its [`ModelSpec`] (the one place naming every family).
//! - [`mlp`]: the network family (Burn module, trainer, host kernel).
//! - [`gbm`]: the boosted-trees family (gradient-boosted decision trees).
//! - [`spec`]: what the user asks for (architecture, training settings), validated.
//! - [`error`]: [`TrainError`], why training or scoring could not proceed.
//! - [`device`]: wgpu on a real GPU, else Burn's CPU backend (flex), with the reason.
//! - [`probe`]: a few optimizer steps of a job timed on the CPU and the GPU,
//!   the warm-up excluded: what `Auto` chooses by.
//! - [`float_env`]: subnormal floats flushed to zero while a network trains on the CPU.
//! - [`metrics`]: classification and regression metrics on plain slices.
//! - [`run`]: a [`run::TrainingRun`]: learner + prepared data + test metrics.
//! - [`surface`]: the decision surface over two features, as plain values.
//! - [`bundle`]: a trained model as one file.
//! - [`calibration`]: Platt and isotonic maps from score to probability,
//!   fitted when a run finishes and saved in the model file.
//! - [`onnx`]: a model file's pipeline and network as one ONNX graph.

mod build;
pub mod bundle;
pub mod calibration;
pub mod device;
pub mod error;
pub mod family;
pub mod float_env;
pub mod gbm;
pub mod metrics;
pub mod mlp;
pub mod onnx;
pub mod probe;
pub mod run;
pub mod schedule;
pub mod spec;
pub mod surface;

pub use device::{BackendChoice, ComputeKind, DeviceError, SelectedDevice, select_device};
pub use error::TrainError;
pub use family::{Diagram, Family, LayerWeights, Learner, ModelSpec, Scorer, TrainingUnit};
pub use gbm::{TreeSettings, TreeSettingsError};
pub use metrics::{ClassificationMetrics, MetricsError, MulticlassMetrics, RegressionMetrics};
pub use mlp::{EngineKind, Mlp, Trainer, TrainingEngine};
pub use schedule::LrSchedule;
pub use spec::{
    Activation, ClassWeight, NetworkSpec, OptimizerKind, SpecError, Task, TrainSettings,
};
