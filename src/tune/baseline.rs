//! Baselines at a glance: while a network trains, two simple models with
//! default settings are fitted once on the same prepared split, so the
//! user sees whether the network beats them. Boosted trees with their
//! defaults (the analysts' usual XGBoost model), and a network without a
//! hidden layer: logistic regression for a class, linear regression for a
//! quantity (a sigmoid, or nothing, on one weighted sum: the same model,
//! fitted by the same optimizer).
//!
//! [`fit`] trains one on the caller's thread; the window runs them on a
//! background thread of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use thiserror::Error;

use crate::data::prep::Prepared;
use crate::model::device::{BackendChoice, DeviceError, select_device};
use crate::model::run::{DEFAULT_THRESHOLD, Metrics, RunError, TrainingRun};
use crate::model::spec::{NetworkSpec, Task, TrainSettings};
use crate::model::{Family, ModelSpec, TreeSettings};

/// Units without a better validation loss before a baseline stops (and
/// keeps its best unit's model).
const BASELINE_PATIENCE: usize = 20;

/// One reference model: its name as shown, and what it trains.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub name: &'static str,
    pub model: ModelSpec,
}

/// A fitted baseline's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineResult {
    pub name: &'static str,
    pub family: Family,
    /// Units (rounds, epochs) trained.
    pub units: usize,
    /// Its validation metrics at threshold 0.5, as the network's curve is
    /// drawn, after its best unit was put back.
    pub valid: Metrics,
}

#[derive(Debug, Error)]
pub enum BaselineError {
    #[error("{name}: {source}")]
    Run {
        name: &'static str,
        source: RunError,
    },
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// The baselines for `task`: default boosted trees, then a network with no
/// hidden layer (logistic, linear or softmax regression), both with early
/// stopping.
pub fn baselines(task: Task) -> Vec<Baseline> {
    let linear = match task {
        Task::Classification => "logistic regression",
        Task::Regression => "linear regression",
        // Multinomial logistic regression, by its short name.
        Task::Multiclass { .. } => "softmax regression",
    };
    vec![
        Baseline {
            name: "boosted trees (defaults)",
            model: ModelSpec::Trees {
                settings: TreeSettings {
                    early_stopping: Some(BASELINE_PATIENCE),
                    ..TreeSettings::default()
                },
            },
        },
        Baseline {
            name: linear,
            model: ModelSpec::Network {
                spec: NetworkSpec {
                    hidden: Vec::new(),
                    dropout: 0.0,
                    ..NetworkSpec::default()
                },
                settings: TrainSettings {
                    learning_rate: 0.01,
                    epochs: 200,
                    early_stopping: Some(BASELINE_PATIENCE),
                    ..TrainSettings::default()
                },
            },
        },
    ]
}

/// Trains `baseline` on `prepared`'s training rows on the CPU (it must not
/// compete with the network for the GPU) until its unit cap or early stop,
/// then puts back its best unit and measures the validation rows. `None`
/// when `cancel` was set between units. Errors: no CPU device, a failed
/// unit (named).
pub fn fit(
    prepared: Arc<Prepared>,
    baseline: &Baseline,
    cancel: &AtomicBool,
) -> Result<Option<BaselineResult>, BaselineError> {
    let name = baseline.name;
    let named = |source: RunError| BaselineError::Run { name, source };
    let device = select_device(BackendChoice::Cpu)?;
    let mut run = TrainingRun::with_model(prepared, &baseline.model, &device).map_err(named)?;
    for _ in 0..baseline.model.epoch_cap() {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        run.run_epoch().map_err(named)?;
        if run.stopped_early() {
            break;
        }
    }
    run.finish().map_err(named)?;
    Ok(Some(BaselineResult {
        name,
        family: baseline.model.family(),
        units: run.epoch(),
        valid: run.valid_metrics(DEFAULT_THRESHOLD).map_err(named)?,
    }))
}
