//! Hyperparameter sweeps: a grid of settings, trained one run after the
//! other on the same prepared data, each run becoming a
//! [`RunRecord`](crate::tune::RunRecord).
//!
//! - [`SweepGrid::expand`] turns lists of values into validated
//!   [`SweepPoint`]s (at most [`MAX_SWEEP_POINTS`]);
//!   [`SweepGrid::expand_trees`] does the same for boosted trees (learning
//!   rate × tree depth × rounds, in `tree_grid`).
//! - [`run_sweep`] trains them on the caller's thread (the CLI);
//!   [`SweepHandle::spawn`] on a named background thread (the app), with
//!   [`SweepEvent`]s through a bounded channel and a cancel flag honoured
//!   between epochs.
//! - [`rank`], [`best`] and [`heatmap`] read the results.
//!
//! Runs are sequential on purpose: the networks are small, one run already
//! keeps the device busy, and sequential runs on the same seed are
//! reproducible. Early stopping is on by default ([`DEFAULT_SWEEP_PATIENCE`])
//! so hopeless settings do not use up their full epoch budget.
//!
//! Files: [`grid`] (what to try), [`run`] (training the points, on this
//! thread or a background one), [`results`] (ranking, best, heatmap).

use thiserror::Error;

use crate::model::TreeSettingsError;
use crate::model::device::DeviceError;
use crate::model::spec::SpecError;

pub mod grid;
pub mod results;
pub mod run;
mod tree_grid;

pub use grid::{ParamValue, SweepGrid, SweepParam, SweepPoint};
pub use results::{Heatmap, best, heatmap, heatmap_for, rank, varying_params};
pub use run::{SweepEvent, SweepHandle, SweepJob, SweepOutcome, TrainedWeights, run_sweep};

/// Most runs one sweep may have: 400 small runs already take minutes, and a
/// typo such as `--lr` with 1000 values should be refused, not started.
pub const MAX_SWEEP_POINTS: usize = 400;
/// Early-stopping patience of sweep runs unless the caller says otherwise.
pub const DEFAULT_SWEEP_PATIENCE: usize = 10;

#[derive(Debug, Error)]
pub enum SweepError {
    #[error(
        "the sweep has {points} runs; at most {MAX_SWEEP_POINTS} are allowed (use fewer values)"
    )]
    TooLarge { points: usize },
    #[error("give hidden layouts or widths and depths, not both")]
    HiddenAndWidths,
    #[error("{param} {value} is listed twice")]
    Duplicate { param: &'static str, value: String },
    #[error("{param} {value}: {source}")]
    Invalid {
        param: &'static str,
        value: String,
        source: SpecError,
    },
    #[error("{param} {value}: {source}")]
    InvalidTrees {
        param: &'static str,
        value: String,
        source: TreeSettingsError,
    },
    /// A list given for the other family (tree depths for a network).
    #[error("{param} does not apply to {family}: leave it out of this sweep")]
    NotForFamily {
        param: &'static str,
        family: &'static str,
    },
    #[error("the sweep has no runs to train")]
    NoPoints,
    #[error(transparent)]
    Device(#[from] DeviceError),
}
