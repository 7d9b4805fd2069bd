//! Learning-rate schedules: the factor the base learning rate is multiplied
//! by at each mini-batch.
//!
//! The schedule gives a *factor*, never a rate: the rate of a batch is
//! `learning_rate × factor`, so changing the learning rate live (the
//! window's slider) scales the whole schedule. Both training engines take
//! their per-batch rates from [`LrSchedule::epoch_rates`], one call per
//! epoch, so they step with the same values.
//!
//! Positions are counted in epochs: batch `b` of `B` in epoch `e` (both
//! 0-based) sits at `p = e + b / B`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::spec::MAX_EPOCHS;

/// How the learning rate changes over training.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// The same rate for every batch.
    #[default]
    Constant,
    /// Step decay: the factor is `factor^⌊e / every⌋` in epoch `e`
    /// (0-based), so the rate drops at the start of every `every`-th epoch
    /// (Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §8.3.1;
    /// PyTorch's `StepLR`).
    Step { every: usize, factor: f64 },
    /// Cosine annealing from the base rate to `floor ×` the base rate at the
    /// last epoch, after `warmup` epochs of linear warm-up (0: none).
    ///
    /// Warm-up (Goyal et al. 2017, "Accurate, Large Minibatch SGD", §2.2):
    /// the `s`-th batch (1-based) of the `w · B` warm-up batches gets
    /// `s / (w · B)`, reaching 1 on the last one. Then SGDR's annealing
    /// without restarts (Loshchilov & Hutter 2017, eq. 5):
    /// `floor + (1 − floor) · (1 + cos(π · (p − w) / (T − w))) / 2` over the
    /// `T` epochs of the run; past `T` (or when `T ≤ w`) it stays at `floor`.
    Cosine { floor: f64, warmup: usize },
}

/// Where a mini-batch falls in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchAt {
    /// Epochs completed before this batch's epoch (0 for the first).
    pub epoch: usize,
    /// The batch within its epoch, 0-based.
    pub batch: usize,
    /// Batches per epoch (at least 1).
    pub batches: usize,
}

impl BatchAt {
    /// The position in epochs: `epoch + batch / batches`.
    pub fn position(self) -> f64 {
        self.epoch as f64 + self.batch as f64 / self.batches.max(1) as f64
    }
}

/// A schedule's parameter outside what it accepts.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScheduleError {
    #[error("step decay every {0} epochs: choose 1 to {MAX_EPOCHS}")]
    StepEvery(usize),
    #[error("step decay factor {0} is outside 0 (exclusive) to 1 (inclusive)")]
    StepFactor(f64),
    #[error("cosine floor {0} is outside 0 (inclusive) to 1 (exclusive)")]
    CosineFloor(f64),
    #[error("{0} warm-up epochs: choose 0 to {MAX_EPOCHS}")]
    Warmup(usize),
    #[error(
        "learning-rate schedule `{0}` not understood; use constant, step:EVERY:FACTOR (e.g. step:10:0.5) or cosine[:FLOOR[:WARMUP]] (e.g. cosine:0.01:5)"
    )]
    Text(String),
}

impl LrSchedule {
    /// Check the parameters; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Step { every, factor } => {
                if !(1..=MAX_EPOCHS).contains(&every) {
                    return Err(ScheduleError::StepEvery(every));
                }
                if !(factor.is_finite() && factor > 0.0 && factor <= 1.0) {
                    return Err(ScheduleError::StepFactor(factor));
                }
                Ok(())
            }
            LrSchedule::Cosine { floor, warmup } => {
                if !(floor.is_finite() && (0.0..1.0).contains(&floor)) {
                    return Err(ScheduleError::CosineFloor(floor));
                }
                if warmup > MAX_EPOCHS {
                    return Err(ScheduleError::Warmup(warmup));
                }
                Ok(())
            }
        }
    }

    /// The factor of the base rate at batch `at` of a run of
    /// `total_epochs` epochs, in `[0, 1]` for valid parameters.
    pub fn factor(&self, at: BatchAt, total_epochs: usize) -> f64 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::Step { every, factor } => {
                let drops = at.epoch / every.max(1);
                factor.powi(i32::try_from(drops).unwrap_or(i32::MAX))
            }
            LrSchedule::Cosine { floor, warmup } => {
                let batches = at.batches.max(1);
                let warmup_batches = warmup.saturating_mul(batches);
                let step = at.epoch.saturating_mul(batches) + at.batch;
                if step < warmup_batches {
                    return (step + 1) as f64 / warmup_batches as f64;
                }
                let span = total_epochs as f64 - warmup as f64;
                let done = if span > 0.0 {
                    ((at.position() - warmup as f64) / span).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * done).cos())
            }
        }
    }

    /// The rates of the `batches` batches of epoch `epoch` (0-based):
    /// `base × factor` each, what both training engines step with.
    pub fn epoch_rates(
        &self,
        base: f64,
        epoch: usize,
        batches: usize,
        total_epochs: usize,
    ) -> Vec<f64> {
        (0..batches)
            .map(|batch| {
                base * self.factor(
                    BatchAt {
                        epoch,
                        batch,
                        batches,
                    },
                    total_epochs,
                )
            })
            .collect()
    }

    /// `(epoch position, factor)` points for drawing the schedule over
    /// `total_epochs` epochs, `per_epoch` points an epoch (at least one).
    pub fn curve(&self, total_epochs: usize, per_epoch: usize) -> Vec<[f64; 2]> {
        let batches = per_epoch.max(1);
        let mut points = Vec::with_capacity(total_epochs * batches + 1);
        for epoch in 0..total_epochs.max(1) {
            for batch in 0..batches {
                let at = BatchAt {
                    epoch,
                    batch,
                    batches,
                };
                points.push([at.position(), self.factor(at, total_epochs)]);
            }
        }
        points
    }

    /// Short name for tables: `constant`, `step:10:0.5`,
    /// `cosine:0.01:5`; what [`FromStr`](std::str::FromStr) reads back.
    pub fn label(&self) -> String {
        match *self {
            LrSchedule::Constant => "constant".into(),
            LrSchedule::Step { every, factor } => format!("step:{every}:{factor}"),
            LrSchedule::Cosine { floor, warmup } => format!("cosine:{floor}:{warmup}"),
        }
    }
}

impl std::str::FromStr for LrSchedule {
    type Err = ScheduleError;

    /// `constant`, `step:EVERY:FACTOR`, or `cosine[:FLOOR[:WARMUP]]`
    /// (floor 0 and no warm-up by default); validated.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let parts: Vec<&str> = text.split(':').map(str::trim).collect();
        let bad = || ScheduleError::Text(text.to_owned());
        let schedule = match parts.as_slice() {
            [name] if name.eq_ignore_ascii_case("constant") => LrSchedule::Constant,
            [name, every, factor] if name.eq_ignore_ascii_case("step") => LrSchedule::Step {
                every: every.parse().map_err(|_| bad())?,
                factor: factor.parse().map_err(|_| bad())?,
            },
            [name, rest @ ..] if name.eq_ignore_ascii_case("cosine") && rest.len() <= 2 => {
                LrSchedule::Cosine {
                    floor: rest
                        .first()
                        .map_or(Ok(0.0), |f| f.parse())
                        .map_err(|_| bad())?,
                    warmup: rest
                        .get(1)
                        .map_or(Ok(0), |w| w.parse())
                        .map_err(|_| bad())?,
                }
            }
            _ => return Err(bad()),
        };
        schedule.validate()?;
        Ok(schedule)
    }
}

#[cfg(test)]
mod tests;
