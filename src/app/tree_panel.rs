//! The boosted trees' settings (XGBoost's knobs under their usual names):
//! changing one restarts the model, but the learning rate, which applies
//! live to the trees grown from then on.

use eframe::egui;

use super::settings::Settings;
use crate::model::TrainingUnit;
use crate::model::gbm::settings::{
    MAX_DEPTH, MAX_MIN_CHILD_WEIGHT, MAX_TREE_L2, MAX_TREE_LEARNING_RATE, MAX_TREES,
};

/// The trees' sliders, each with its accessible label.
pub fn show(ui: &mut egui::Ui, settings: &mut Settings) {
    ui.heading("Boosted trees");
    let until_paused = settings.until_paused;
    let trees = &mut settings.trees;
    ui.horizontal(|ui| {
        ui.add_enabled(
            !until_paused,
            egui::Slider::new(&mut trees.trees, 1..=MAX_TREES.min(2000))
                .logarithmic(true)
                .text("trees"),
        )
        .on_hover_text("Boosting rounds: one more tree per round, each correcting the ones before");
        ui.checkbox(&mut settings.until_paused, "until paused")
            .on_hover_text("Keep adding trees until you press Pause");
    });
    let trees = &mut settings.trees;
    ui.add(egui::Slider::new(&mut trees.max_depth, 1..=MAX_DEPTH).text("depth"))
        .on_hover_text("Splits from the root to a leaf: depth 1 grows stumps (one split, one feature); deeper trees combine features");
    ui.add(
        egui::Slider::new(&mut trees.learning_rate, 1e-3..=MAX_TREE_LEARNING_RATE)
            .logarithmic(true)
            .text("learning rate"),
    )
    .on_hover_text("Shrinks each tree's contribution (XGBoost's eta); applies to the trees grown from now on. Smaller needs more trees but overfits less");
    ui.add(
        egui::Slider::new(&mut trees.min_child_weight, 0.0..=MAX_MIN_CHILD_WEIGHT.min(100.0))
            .logarithmic(true)
            .text("min child weight"),
    )
    .on_hover_text("The least evidence (sum of hessians, about p(1-p) per customer) a leaf must hold: larger makes fewer, safer splits");
    ui.add(egui::Slider::new(&mut trees.subsample, 0.1..=1.0).text("subsample"))
        .on_hover_text("Share of training customers drawn for each tree: below 1 adds randomness that can fight overfitting");
    ui.add(
        egui::Slider::new(&mut trees.l2, 0.0..=MAX_TREE_L2.min(100.0))
            .logarithmic(true)
            .text("L2 (lambda)"),
    )
    .on_hover_text(
        "Penalty on leaf values (XGBoost's lambda): pulls each tree's answers towards zero",
    );
    super::network_panel::patience_control(ui, &mut trees.early_stopping, TrainingUnit::Round);
    ui.add(egui::DragValue::new(&mut trees.seed).prefix("seed "))
        .on_hover_text(
            "Seeds the rows each tree is grown on (with subsample below 1): same seed, same trees",
        );
    ui.weak("Trees train on the CPU; they read the prepared features as they are (scaling moves every split with its feature and changes no prediction).");
}
