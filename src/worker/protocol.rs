//! What crosses the channel between the UI and the training thread: the
//! [`Job`] a run is started with, the [`Command`]s the UI sends, the
//! [`Event`]s it gets back, and the [`WorkerError`] that failed ones carry.

use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

#[cfg(feature = "testing")]
use super::fault::Fault;
use crate::data::prep::{Part, PrepError, Prepared, Recipe};
use crate::data::table::Table;
use crate::model::bundle::{Bundle, BundleError, BundleMeta};
use crate::model::device::{BackendChoice, DeviceError};
use crate::model::family::{LayerWeights, ModelSpec};
use crate::model::run::{EarlyStop, EpochReport, RunError, RunOutcome};
use crate::model::surface::{Surface, SurfaceError, SurfaceRequest};

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Job {
    pub prepared: Arc<Prepared>,
    pub recipe: Recipe,
    /// What to train: a network or boosted trees, with its settings.
    pub model: ModelSpec,
    pub backend: BackendChoice,
    /// Train until this many epochs (rounds, for trees); `None` trains
    /// until paused.
    pub epochs: Option<usize>,
    pub surface: Option<SurfaceRequest>,
    /// Start paused (the user pressed Step or only changed settings).
    pub paused: bool,
}

#[derive(Debug)]
pub enum Command {
    /// Replace any current run with a fresh network for this job.
    Start(Box<Job>),
    Pause,
    Resume,
    /// Train exactly one epoch, then pause.
    Step,
    /// End the current run; its network is kept for saving and surfaces.
    Stop,
    /// Applies from the next batch on.
    SetLearningRate(f64),
    /// At most this many epochs per second while playing (a classroom pace,
    /// so the boundary can be watched forming); `None` trains flat out.
    /// Applies to every run from now on; Step is never held back.
    SetPace(Option<f64>),
    /// Send test-row predictions and test metrics every epoch (`true`), or
    /// keep the test rows unseen until the run ends (`false`, the default).
    WatchTestRows(bool),
    /// Which features the surface shows (and whether with unit thumbnails).
    SetSurface(Option<SurfaceRequest>),
    /// Write the current network and its pipeline as a model file.
    Save(PathBuf),
    /// Send the current model as it stands, in memory
    /// ([`Event::Snapshot`]), for the views that score changed tables
    /// (the Insights window) on their own thread.
    Snapshot,
    /// Test hook: fail on purpose in the current run (or the next one).
    #[cfg(feature = "testing")]
    InjectFault(Fault),
    /// Read a model file; it answers what-if questions until another is
    /// opened (training is not affected).
    OpenModel(PathBuf),
    /// Put a finished run's trained weights ([`crate::model::Learner::save`]'s
    /// bytes from a run of the same network on the same prepared data, such
    /// as a sweep's best) into the current network, which stays paused;
    /// answered with [`Event::Adopted`], then its surface and predictions.
    Adopt(Arc<Vec<u8>>),
    /// Score one customer (a one-row table of original columns) with the
    /// current network or the opened model.
    WhatIf {
        id: u64,
        customer: Box<Table>,
        model: WhatIfModel,
    },
}

/// Which network answers a what-if question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhatIfModel {
    /// The network being trained.
    Current,
    /// The model file last opened with [`Command::OpenModel`].
    Opened,
}

#[derive(Debug, Clone)]
pub enum Event {
    Started {
        device: String,
        /// Why the GPU was not used, when it was not.
        fallback: Option<String>,
    },
    Epoch(EpochReport),
    Surface(Arc<Surface>),
    /// Every layer's weights (hidden layers, then the output), sent in
    /// place of a surface while none is requested (the data has fewer than
    /// two numeric features): the diagram's links and the weight history
    /// follow training without one. Not sent for families without a diagram.
    Weights(Arc<Vec<LayerWeights>>),
    /// The current network's predictions on one part of the split
    /// (probabilities, or values in target units), sent with each surface:
    /// the app computes metrics at any threshold from them without touching
    /// a tensor. The validation rows while a run trains; the test rows once
    /// it finished, or while the user watches them
    /// ([`Command::WatchTestRows`]).
    Predictions {
        part: Part,
        values: Arc<Vec<f32>>,
    },
    /// The run ended (epoch target or early stop): the best weights are
    /// back, the threshold chosen on validation rows, the test metrics
    /// computed. Sent right before `Finished`.
    Outcome(Box<RunOutcome>),
    /// Playing stopped: the epoch target was reached, or Pause/Stop/Step.
    Paused {
        epoch: usize,
    },
    Finished {
        epoch: usize,
    },
    /// Early stopping ended the run before its epoch target (validation
    /// loss stopped improving); sent right before `Finished`.
    StoppedEarly(EarlyStop),
    Saved(PathBuf),
    /// The answer to [`Command::Snapshot`]: the model file's contents
    /// (plain bytes and metadata, no tensor).
    Snapshot(Arc<Bundle>),
    /// The current network took the weights of [`Command::Adopt`].
    Adopted,
    /// A model file was read: what it was trained on, for the what-if form.
    ModelOpened {
        path: PathBuf,
        meta: Box<BundleMeta>,
    },
    /// The answer to [`Command::WhatIf`] `id`: a probability of the
    /// positive class, or a value in target units (for a multi-class model
    /// the most probable class's probability).
    WhatIf {
        id: u64,
        result: Result<f32, WorkerError>,
        /// A multi-class model's probability of every class, in class
        /// order; empty for other models.
        probabilities: Vec<f32>,
    },
    /// What went wrong; the previous network (if any) is kept. Its
    /// `Display` is the message the user reads.
    Failed(WorkerError),
}

/// Why a command failed on the training thread. Cheap to clone, so events
/// stay `Clone`.
#[derive(Debug, Clone, Error)]
pub enum WorkerError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Surface(#[from] SurfaceError),
    #[error(transparent)]
    Prep(#[from] PrepError),
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// Reading or writing a model file (not `Clone` itself, hence the `Arc`).
    #[error(transparent)]
    Bundle(Arc<BundleError>),
    /// A panic inside training or scoring, with its message; the thread
    /// caught it and goes on.
    #[error("training stopped on an internal error: {0}")]
    Panic(String),
    #[error("there is no trained network to save yet")]
    NothingToSave,
    #[error("there is no network yet: press Play or Step")]
    NoNetwork,
    #[error("no model file is open")]
    NoModelOpen,
    #[error("the customer has no row to score")]
    NoRow,
    #[error("the pace must be a positive number of epochs per second, not {0}")]
    Pace(f64),
}

impl From<BundleError> for WorkerError {
    fn from(error: BundleError) -> Self {
        WorkerError::Bundle(Arc::new(error))
    }
}
