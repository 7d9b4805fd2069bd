//! Classroom lessons: one click sets the data and the network to show one
//! idea, with a line saying what to watch. Each lesson's claim is checked
//! by training it in `tests/lessons.rs`, so the lesson shows what it says.

use crate::data::synth::{Preset, SynthSettings};
use crate::model::{Activation, NetworkSpec, OptimizerKind, TrainSettings};

use super::settings::{Settings, Source};

#[derive(Debug, Clone, PartialEq)]
pub struct Lesson {
    pub title: &'static str,
    /// What to watch, in one line.
    pub explanation: &'static str,
    pub data: SynthSettings,
    pub spec: NetworkSpec,
    pub train: TrainSettings,
    /// The pace (epochs a second) this lesson needs, slow enough for a
    /// lesson that asks the student to act while it plays; `None` keeps
    /// the window's own pace (watchable by default, or the full speed an
    /// analyst chose), never switching a class to full speed.
    pub pace: Option<f64>,
}

impl Lesson {
    /// Puts the lesson's data and network into the controls; the app loads
    /// the data and starts a fresh network from them.
    pub fn apply(&self, settings: &mut Settings) {
        settings.source = Source::Generated(self.data.clone());
        settings.synth = self.data.clone();
        // Chosen afresh for the new data (target, positive label, features).
        settings.problem = None;
        // Every lesson is about a network, whichever family was chosen.
        settings.family = crate::model::Family::Network;
        settings.spec = self.spec.clone();
        settings.train = self.train.clone();
        settings.until_paused = false;
        if let Some(pace) = self.pace {
            settings.pace = Some(pace);
        }
        settings.x_feature.clear();
        settings.y_feature.clear();
    }
}

fn data(preset: Preset, rows: usize, noise: f64) -> SynthSettings {
    SynthSettings {
        preset,
        rows,
        noise,
        seed: 7,
        ..SynthSettings::default()
    }
}

fn network(hidden: &[usize], activation: Activation, dropout: f64) -> NetworkSpec {
    NetworkSpec {
        hidden: hidden.to_vec(),
        activation,
        layer_activations: Vec::new(),
        dropout,
    }
}

fn training(learning_rate: f64, epochs: usize, l2: f64) -> TrainSettings {
    TrainSettings {
        optimizer: OptimizerKind::Adam,
        learning_rate,
        batch_size: 32,
        epochs,
        l2,
        seed: 42,
        ..TrainSettings::default()
    }
}

/// Plain stochastic gradient descent (with the default momentum): its step
/// is the learning rate times the gradient, so a rate that is too high
/// overshoots visibly, and lowering it takes effect at once. (Adam at a
/// huge rate instead drives ReLU units dead or tanh units into
/// saturation, where the loss sits flat at ln 2 and no lower rate revives
/// it.)
fn sgd(learning_rate: f64, epochs: usize) -> TrainSettings {
    TrainSettings {
        optimizer: OptimizerKind::Sgd,
        learning_rate,
        batch_size: 32,
        epochs,
        l2: 0.0,
        seed: 42,
        ..TrainSettings::default()
    }
}

/// The big network on little noisy data that the overfitting lessons share.
fn overfitting_data() -> SynthSettings {
    data(Preset::Circle, 200, 0.6)
}

pub fn all() -> Vec<Lesson> {
    vec![
        Lesson {
            title: "A straight line cannot separate XOR",
            explanation: "With no hidden layer the network can only draw a straight line, and no \
                          line splits XOR's four corners: accuracy stays near a coin flip. Add a \
                          hidden layer (+) and watch it bend.",
            data: data(Preset::Xor, 400, 0.1),
            spec: network(&[], Activation::Tanh, 0.0),
            train: training(0.03, 150, 0.0),
            pace: None,
        },
        Lesson {
            title: "Too few neurons underfit a spiral",
            explanation: "Two neurons can bend the boundary only a little, so the spiral's arms \
                          stay mixed. Give it two layers of 32 neurons and it winds.",
            data: data(Preset::Spiral, 600, 0.1),
            spec: network(&[2], Activation::Tanh, 0.0),
            // The 32-32 tanh network first sits on a plateau (loss near ln 2)
            // and leaves it at an epoch that float rounding decides: at 300
            // epochs 3 to 4 seeds in 25 were still stuck (on either training
            // engine), among them the default seed on the host kernel. 500
            // gives the suggested fix time to wind at the default seed.
            train: training(0.03, 500, 0.0),
            pace: None,
        },
        Lesson {
            title: "A big network on little noisy data overfits",
            explanation: "Watch the loss curves: training loss keeps falling while validation \
                          loss turns up. The network is memorising noise, and the boundary grows \
                          islands around single customers.",
            data: overfitting_data(),
            spec: network(&[128, 128, 128], Activation::Relu, 0.0),
            train: training(0.01, 300, 0.0),
            pace: None,
        },
        Lesson {
            title: "A learning rate that is too high makes the loss jump",
            explanation: "Each step jumps over the valley, so the training loss goes up and \
                          down instead of falling steadily. Drag the learning rate down to 0.01 \
                          while it plays and watch the loss settle lower.",
            data: data(Preset::Visits, 1000, 0.1),
            spec: network(&[8, 8], Activation::Tanh, 0.0),
            train: sgd(0.5, 200),
            // 20 seconds: time to watch it jump, then to act.
            pace: Some(10.0),
        },
        Lesson {
            title: "Dropout and L2 tame overfitting",
            explanation: "The same big network and little noisy data as the overfitting lesson, \
                          now with dropout 0.5 and L2 0.03: validation loss stays low and the \
                          boundary stays smooth.",
            data: overfitting_data(),
            spec: network(&[128, 128, 128], Activation::Relu, 0.5),
            train: training(0.01, 300, 0.03),
            pace: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lesson with its own pace sets it; one without keeps the window's
    /// (the watchable default or full speed, as the user chose).
    #[test]
    fn a_lesson_sets_its_own_pace_or_keeps_the_windows() {
        for window_pace in [super::super::settings::DEFAULT_PACE, None, Some(3.0)] {
            for lesson in all() {
                let mut settings = Settings {
                    pace: window_pace,
                    ..Settings::default()
                };
                lesson.apply(&mut settings);
                let expected = lesson.pace.or(window_pace);
                assert_eq!(settings.pace, expected, "{}", lesson.title);
            }
        }
    }
}
