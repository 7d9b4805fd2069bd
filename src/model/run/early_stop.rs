//! [`EarlyStop`]: why a run stopped before its epoch target, as the
//! drivers report it.

use serde::{Deserialize, Serialize};

use crate::model::family::TrainingUnit;

/// Why a run stopped before its epoch target: its validation loss had not
/// improved for `patience` epochs (rounds, for trees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EarlyStop {
    /// What `epoch` and `best_epoch` count: epochs or boosting rounds.
    #[serde(default)]
    pub unit: TrainingUnit,
    /// The last epoch trained.
    pub epoch: usize,
    /// The epoch with the lowest validation loss.
    pub best_epoch: usize,
    pub best_valid_loss: f64,
}

impl std::fmt::Display for EarlyStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = self.unit.name();
        write!(
            f,
            "stopped early at {unit} {} (best validation loss {:.4} at {unit} {})",
            self.epoch, self.best_valid_loss, self.best_epoch
        )
    }
}
