//! Taking the best sweep run's trained network into the window (issue 20):
//! "Apply best" puts its settings into the controls; "Restore its
//! network" also restarts the network with them and hands the training
//! thread that run's weights (kept by the sweep), so the surface, the
//! evaluation and the curves are that run's without training it again.
//!
//! The weights only fit the data and recipe the sweep trained on, so the
//! sweep's fingerprint and recipe are kept and checked first.

use super::PurchaseLabApp;
use crate::data::prep::Recipe;
use crate::model::run::EpochReport;
use crate::tune::sweep::{SweepOutcome, SweepPoint, TrainedWeights, best};
use crate::worker::Command;

/// One sweep run's trained network: what the window shows once it is in.
#[derive(Debug, Clone)]
pub struct SweepModel {
    /// The run's settings in words ("lr 0.01, hidden 32").
    pub label: String,
    pub weights: TrainedWeights,
    /// Its epochs, for the curves.
    pub history: Vec<EpochReport>,
}

impl SweepModel {
    /// The trained network of `outcome`; `None` for a failed run.
    pub fn of(outcome: &SweepOutcome) -> Option<SweepModel> {
        Some(SweepModel {
            label: outcome.point.label(),
            weights: outcome.weights.clone()?,
            history: outcome.record()?.history.clone(),
        })
    }
}

/// Where a chosen sweep model is on its way into the window.
#[derive(Debug, Default)]
pub struct Adoption {
    /// The table's fingerprint and the recipe the sweep trained on.
    trained_on: Option<(String, Recipe)>,
    /// Chosen; waits for the network restarted with its settings.
    waiting: Option<SweepModel>,
    /// Its weights went to the training thread; waits for `Adopted`.
    sent: Option<SweepModel>,
}

impl Adoption {
    /// A sweep started on the table with `fingerprint`, prepared by `recipe`.
    pub fn sweep_started(&mut self, fingerprint: String, recipe: Recipe) {
        self.trained_on = Some((fingerprint, recipe));
    }

    /// Chooses `model` for the window's data (`fingerprint`, `recipe`);
    /// an error in words when the data or recipe changed since the sweep.
    pub fn choose(
        &mut self,
        model: SweepModel,
        fingerprint: &str,
        recipe: &Recipe,
    ) -> Result<(), String> {
        match &self.trained_on {
            Some((f, r)) if f == fingerprint && r == recipe => {
                self.waiting = Some(model);
                Ok(())
            }
            _ => Err(
                "the data, target or features changed since the sweep, so its \
                      trained networks no longer fit; apply the settings and train instead"
                    .to_owned(),
            ),
        }
    }

    /// The weights to send to a network just restarted (the chosen model
    /// is then waiting for the thread's answer).
    pub fn take_waiting(&mut self) -> Option<TrainedWeights> {
        let model = self.waiting.take()?;
        let weights = model.weights.clone();
        self.sent = Some(model);
        Some(weights)
    }

    /// The model the training thread has just taken.
    pub fn adopted(&mut self) -> Option<SweepModel> {
        self.sent.take()
    }

    /// Whether a chosen model is on its way in.
    pub fn pending(&self) -> bool {
        self.waiting.is_some() || self.sent.is_some()
    }
}

impl super::sweep_panel::SweepState {
    /// The best run's settings by the chosen metric.
    pub fn best_point(&self) -> Option<&SweepPoint> {
        self.best_outcome().map(|winner| &winner.point)
    }

    /// The best run by the chosen metric.
    pub fn best_outcome(&self) -> Option<&SweepOutcome> {
        best(&self.outcomes, self.metric)
    }
}

impl PurchaseLabApp {
    /// Applies the best sweep run's settings and restarts the network with
    /// them, to take that run's trained weights.
    pub(super) fn restore_best_sweep_model(&mut self) {
        let sweep = &mut self.windows.sweep;
        let Some(model) = sweep.best_outcome().and_then(SweepModel::of) else {
            return;
        };
        let Some(recipe) = self.settings.problem.as_ref().map(|p| p.recipe()) else {
            return;
        };
        match sweep
            .adoption
            .choose(model, &self.data.fingerprint, &recipe)
        {
            Ok(()) => {
                self.apply_best_sweep();
                // A fresh network with those settings, even when they are
                // already the controls' (its weights are replaced).
                self.training.reset();
            }
            Err(e) => self.training.run_mut().error = Some(e),
        }
    }

    /// After a restart: hands the chosen sweep model's weights to the new
    /// network.
    pub(super) fn send_adoption(&mut self) {
        if let Some(weights) = self.windows.sweep.adoption.take_waiting() {
            self.training.send(Command::Adopt(weights.0));
        }
    }

    /// The training thread took the weights: the window shows that run's
    /// curves, and the run counts as finished (Play trains on from it).
    pub(super) fn on_adopted(&mut self) {
        if let Some(model) = self.windows.sweep.adoption.adopted() {
            let run = self.training.run_mut();
            run.adopt(model.history);
            run.notice = Some(format!(
                "the window now shows the best sweep run's trained network ({})",
                model.label
            ));
        }
    }
}
