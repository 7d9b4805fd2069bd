//! Which model family trains, then shape the network and how it trains
//! (the trees' settings are in `tree_panel`). Changing the shape restarts
//! the network (and keeps playing if it was); the learning rate applies
//! live.

use eframe::egui;

use super::PanelContext;
use super::settings::Settings;
use crate::model::spec::{MAX_HIDDEN_LAYERS, MAX_NEURONS};
use crate::model::{
    Activation, BackendChoice, Family, NetworkSpec, OptimizerKind, TrainSettings, TrainingUnit,
};

pub fn show(ui: &mut egui::Ui, cx: &mut PanelContext<'_>) {
    family_switch(ui, &mut cx.settings.family);
    if cx.settings.family == Family::Trees {
        super::tree_panel::show(ui, cx.settings);
        return;
    }
    ui.heading("Network");
    layer_controls(ui, &mut cx.settings.spec);
    neuron_controls(ui, &mut cx.settings.spec);

    ui.heading("Training");
    let epoch = (!cx.run.history.is_empty()).then(|| cx.run.epoch());
    optimizer_controls(ui, &mut cx.settings.train, epoch);
    epoch_controls(ui, cx.settings);
    regularization_controls(ui, &mut cx.settings.train);
    ui.add(egui::DragValue::new(&mut cx.settings.train.seed).prefix("seed "))
        .on_hover_text(
            "Seeds the starting weights, the batch order and dropout: same seed, same run",
        );
    egui::ComboBox::from_label("device")
        .selected_text(backend_label(cx.settings.backend))
        .show_ui(ui, |ui| {
            for b in BackendChoice::ALL {
                ui.selectable_value(&mut cx.settings.backend, b, backend_label(b));
            }
        })
        .response
        .on_hover_text("Auto uses a real GPU when there is one and the CPU otherwise (faster for small networks without a GPU)");
}

/// Network | Boosted trees: switching starts a fresh model of that family
/// on the same split (each family keeps its own settings).
fn family_switch(ui: &mut egui::Ui, family: &mut Family) {
    ui.horizontal(|ui| {
        ui.strong("Model");
        ui.radio_value(family, Family::Network, "Network")
            .on_hover_text("A neural network: smooth, curved boundaries learned by gradient descent");
        ui.radio_value(family, Family::Trees, "Boosted trees")
            .on_hover_text("Gradient-boosted decision trees (XGBoost's algorithm): each round adds a small tree that corrects the ones before; boundaries are made of axis-aligned steps");
    });
}

/// The number of hidden layers with + and −, and each layer's width and
/// activation.
fn layer_controls(ui: &mut egui::Ui, spec: &mut NetworkSpec) {
    ui.horizontal(|ui| {
        ui.label(format!("{} hidden layers", spec.hidden.len()));
        if ui
            .add_enabled(spec.hidden.len() < MAX_HIDDEN_LAYERS, egui::Button::new("+"))
            .on_hover_text("Add a hidden layer: deeper networks can bend the boundary in more ways")
            .clicked()
        {
            add_layer(spec);
        }
        if ui
            .add_enabled(!spec.hidden.is_empty(), egui::Button::new("−"))
            .on_hover_text("Remove the last hidden layer; with none, the network is logistic regression (a straight boundary)")
            .clicked()
        {
            remove_layer(spec);
        }
    });
    for layer in 0..spec.hidden.len() {
        ui.horizontal(|ui| {
            ui.add(
                egui::Slider::new(&mut spec.hidden[layer], 1..=MAX_NEURONS)
                    .logarithmic(true)
                    .text(format!("layer {} neurons", layer + 1)),
            )
            .on_hover_text("More neurons let a layer learn more shapes, but can memorise noise");
            let mut chosen = spec.activation_of(layer);
            egui::ComboBox::from_id_salt(("layer activation", layer))
                .width(76.0)
                .selected_text(chosen.label())
                .show_ui(ui, |ui| {
                    for a in Activation::ALL {
                        ui.selectable_value(&mut chosen, a, a.label());
                    }
                })
                .response
                .on_hover_text(format!(
                    "Layer {}'s activation; the activation below sets every layer at once",
                    layer + 1
                ));
            set_layer_activation(spec, layer, chosen);
        });
    }
}

/// Adds a hidden layer as wide as the last one, with the quick activation.
fn add_layer(spec: &mut NetworkSpec) {
    let width = spec.hidden.last().copied().unwrap_or(8);
    spec.hidden.push(width);
    if !spec.layer_activations.is_empty() {
        spec.layer_activations.push(spec.activation);
    }
}

/// Removes the last hidden layer (and its activation).
fn remove_layer(spec: &mut NetworkSpec) {
    spec.hidden.pop();
    spec.layer_activations.truncate(spec.hidden.len());
    normalize_activations(spec);
}

/// Sets hidden layer `layer`'s activation: the per-layer list is filled
/// from the quick setting the first time a layer differs, and emptied again
/// when every layer has the quick one (so the spec, and a restart, only
/// change when the network does).
fn set_layer_activation(spec: &mut NetworkSpec, layer: usize, activation: Activation) {
    if spec.activation_of(layer) == activation || layer >= spec.hidden.len() {
        return;
    }
    if spec.layer_activations.len() != spec.hidden.len() {
        spec.layer_activations = spec.activations();
    }
    spec.layer_activations[layer] = activation;
    normalize_activations(spec);
}

/// Empties the per-layer list when it says nothing the quick setting does not.
fn normalize_activations(spec: &mut NetworkSpec) {
    if spec.layer_activations.iter().all(|&a| a == spec.activation) {
        spec.layer_activations.clear();
    }
}

/// The quick activation (every layer at once) and the dropout.
fn neuron_controls(ui: &mut egui::Ui, spec: &mut NetworkSpec) {
    let mut quick = spec.activation;
    egui::ComboBox::from_label("activation")
        .selected_text(if spec.layer_activations.is_empty() {
            quick.label()
        } else {
            "mixed"
        })
        .show_ui(ui, |ui| {
            for a in Activation::ALL {
                if ui.selectable_label(spec.layer_activations.is_empty() && quick == a, a.label()).clicked() {
                    quick = a;
                    // Choosing here sets every layer, mixed or not.
                    spec.layer_activations.clear();
                }
            }
        })
        .response
        .on_hover_text("The bend each neuron applies to its input (every hidden layer; each layer's own is beside its width); without it, layers stack into a straight line");
    spec.activation = quick;
    ui.add(egui::Slider::new(&mut spec.dropout, 0.0..=0.8).text("dropout"))
        .on_hover_text("Randomly silence this share of neurons while training, so no single neuron is relied on (fights overfitting)");
}

/// The optimizer, the learning rate with its schedule, and the batch size.
/// `epoch`: epochs the current run has trained, if any.
fn optimizer_controls(ui: &mut egui::Ui, train: &mut TrainSettings, epoch: Option<usize>) {
    egui::ComboBox::from_label("optimizer")
        .selected_text(train.optimizer.label())
        .show_ui(ui, |ui| {
            for o in [OptimizerKind::Adam, OptimizerKind::Sgd] {
                ui.selectable_value(&mut train.optimizer, o, o.label());
            }
        })
        .response
        .on_hover_text("How weights are nudged: Adam adapts its step per weight; SGD with momentum rolls downhill");
    ui.add(
        egui::Slider::new(&mut train.learning_rate, 1e-5..=10.0)
            .logarithmic(true)
            .custom_formatter(|v, _| format!("{v:.1e}"))
            .text("learning rate"),
    )
    .on_hover_text("Step size of each update; applies at once (the schedule scales it). Too small: slow. Too large: the loss jumps around or explodes");
    super::schedule_view::controls(ui, train, epoch);
    ui.add(
        egui::Slider::new(&mut train.batch_size, 1..=1024)
            .logarithmic(true)
            .text("batch size"),
    )
    .on_hover_text(
        "Customers per update: small batches are noisy but quick, large ones smooth but slow",
    );
}

/// How many epochs to train, or until paused.
fn epoch_controls(ui: &mut egui::Ui, settings: &mut Settings) {
    let train = &mut settings.train;
    ui.horizontal(|ui| {
        ui.add_enabled(
            !settings.until_paused,
            egui::Slider::new(&mut train.epochs, 1..=5000)
                .logarithmic(true)
                .text("epochs"),
        )
        .on_hover_text("Passes over the training rows before training stops");
        ui.checkbox(&mut settings.until_paused, "until paused")
            .on_hover_text("Keep training until you press Pause");
    });
}

/// L2 weight decay and early stopping, each with its strength.
fn regularization_controls(ui: &mut egui::Ui, train: &mut TrainSettings) {
    let mut l2_on = train.l2 > 0.0;
    ui.horizontal(|ui| {
        if ui
            .checkbox(&mut l2_on, "L2")
            .on_hover_text("Weight decay: pulls weights towards zero, for smoother boundaries that overfit less")
            .changed()
        {
            train.l2 = if l2_on { 1e-3 } else { 0.0 };
        }
        if l2_on {
            ui.add(
                egui::Slider::new(&mut train.l2, 1e-6..=1.0)
                    .logarithmic(true)
                    .custom_formatter(|v, _| format!("{v:.0e}")),
            )
            .on_hover_text("How hard weights are pulled towards zero: more gives a smoother, simpler boundary; too much and the network learns nothing");
        }
    });
    class_weight_control(ui, train);
    calibration_control(ui, train);
    patience_control(ui, &mut train.early_stopping, TrainingUnit::Epoch);
}

/// "stop early" and its patience in `unit`s (epochs, rounds).
pub(super) fn patience_control(
    ui: &mut egui::Ui,
    patience: &mut Option<usize>,
    unit: TrainingUnit,
) {
    let unit = unit.name();
    let mut early = patience.is_some();
    ui.horizontal(|ui| {
        if ui
            .checkbox(&mut early, "stop early")
            .on_hover_text(format!("Stop by itself once the validation loss has not improved for this many {unit}s, keeping the best {unit}'s model: it quits before it overfits"))
            .changed()
        {
            *patience = early.then_some(20);
        }
        if let Some(patience) = patience {
            ui.add(
                egui::DragValue::new(patience)
                    .range(1..=1000)
                    .suffix(format!(" {unit}s patience")),
            )
            .on_hover_text(format!("How many {unit}s without a new best validation loss to wait before stopping"));
        }
    });
}

/// How each class's loss is weighted: none, balanced, or a chosen weight
/// for the positive class (negative 1).
fn class_weight_control(ui: &mut egui::Ui, train: &mut TrainSettings) {
    use crate::model::ClassWeight;
    ui.horizontal(|ui| {
        let mut choice = match train.class_weight {
            ClassWeight::None => 0,
            ClassWeight::Balanced => 1,
            ClassWeight::Custom { .. } => 2,
        };
        let before = choice;
        egui::ComboBox::from_label("class weights")
            .selected_text(["none", "balanced", "custom"][choice])
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut choice, 0, "none");
                ui.selectable_value(&mut choice, 1, "balanced")
                    .on_hover_text("Each class weighs the same in total: n / (2 x rows of the class)");
                ui.selectable_value(&mut choice, 2, "custom");
            })
            .response
            .on_hover_text("For a rare positive class: weigh its rows more in the loss, so the network does not settle for predicting the common class (classification only)");
        if choice != before {
            train.class_weight = match choice {
                1 => ClassWeight::Balanced,
                2 => ClassWeight::Custom {
                    negative: 1.0,
                    positive: 2.0,
                },
                _ => ClassWeight::None,
            };
        }
        if let ClassWeight::Custom { positive, .. } = &mut train.class_weight {
            ui.add(
                egui::DragValue::new(positive)
                    .range(0.01..=crate::model::spec::MAX_CLASS_WEIGHT)
                    .speed(0.05)
                    .prefix("positive x"),
            )
            .on_hover_text("The positive class's weight; the negative class weighs 1");
        }
    });
}

/// The calibration map fitted on the validation rows when a run ends.
fn calibration_control(ui: &mut egui::Ui, train: &mut TrainSettings) {
    use crate::model::calibration::CalibrationMethod;
    let name = |m: Option<CalibrationMethod>| m.map_or("none", CalibrationMethod::name);
    egui::ComboBox::from_label("calibration")
        .selected_text(name(train.calibration))
        .show_ui(ui, |ui| {
            for m in [None, Some(CalibrationMethod::Platt), Some(CalibrationMethod::Isotonic)] {
                ui.selectable_value(&mut train.calibration, m, name(m));
            }
        })
        .response
        .on_hover_text("When the run ends, map the scores to real probabilities with a map fitted on the validation rows (platt: a sigmoid of the logit; isotonic: a non-decreasing step map), saved with the model; the threshold is then chosen on the calibrated scores (classification only)");
}

fn backend_label(b: BackendChoice) -> &'static str {
    match b {
        BackendChoice::Auto => "auto",
        BackendChoice::Gpu => "GPU (wgpu)",
        BackendChoice::Cpu => "CPU (flex)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_activations_fill_from_the_quick_setting_and_empty_again() {
        let mut spec = NetworkSpec {
            hidden: vec![8, 4],
            activation: Activation::Relu,
            ..NetworkSpec::default()
        };
        set_layer_activation(&mut spec, 1, Activation::Tanh);
        assert_eq!(spec.layer_activations, [Activation::Relu, Activation::Tanh]);
        add_layer(&mut spec);
        assert_eq!(spec.hidden, [8, 4, 4]);
        assert_eq!(
            spec.activations(),
            [Activation::Relu, Activation::Tanh, Activation::Relu]
        );
        assert_eq!(spec.validate(), Ok(()));
        set_layer_activation(&mut spec, 1, Activation::Relu);
        assert!(spec.layer_activations.is_empty(), "{spec:?}");
        set_layer_activation(&mut spec, 2, Activation::Sigmoid);
        remove_layer(&mut spec);
        assert!(spec.layer_activations.is_empty(), "{spec:?}");
        assert_eq!(spec.validate(), Ok(()));
        // Without the list, a new layer takes the quick setting.
        add_layer(&mut spec);
        assert_eq!(spec.activations(), [Activation::Relu; 3]);
    }
}
