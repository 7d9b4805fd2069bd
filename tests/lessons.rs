//! Every classroom lesson shows what its explanation says: each is trained
//! on the CPU backend exactly as the app would set it up, and its claim is
//! checked on the resulting curves and metrics.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::sync::Arc;

use purchase_lab::app::lessons::{self, Lesson};
use purchase_lab::app::settings::{ProblemChoice, Settings};
use purchase_lab::data::{generate, prepare};
use purchase_lab::model::run::{EpochReport, Metrics, RunError, TrainingRun};
use purchase_lab::model::{BackendChoice, TrainError, select_device};

/// What training a lesson produced.
struct Outcome {
    history: Vec<EpochReport>,
    diverged: bool,
}

impl Outcome {
    fn final_accuracy(&self) -> f64 {
        match self.history.last().map(|r| &r.metrics) {
            Some(Metrics::Classification(m)) => m.accuracy,
            _ => panic!("expected classification metrics"),
        }
    }
    fn min_valid_loss(&self) -> (usize, f64) {
        self.history
            .iter()
            .map(|r| (r.epoch, r.valid_loss))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
    }
    fn last_valid_loss(&self) -> f64 {
        // Mean of the last ten epochs: one noisy epoch proves nothing.
        let tail: Vec<f64> = self
            .history
            .iter()
            .rev()
            .take(10)
            .map(|r| r.valid_loss)
            .collect();
        tail.iter().sum::<f64>() / tail.len() as f64
    }
    fn last_train_loss(&self) -> f64 {
        self.history.last().unwrap().train_loss
    }
}

fn train(lesson: &Lesson, edit: impl FnOnce(&mut Settings)) -> Outcome {
    train_with(lesson, edit, None)
}

/// Trains `lesson` as the window does; with `switch` `(epoch, rate)` the
/// learning rate changes after that epoch, as a student dragging the
/// slider while it plays (the window sends it live, no restart).
fn train_with(
    lesson: &Lesson,
    edit: impl FnOnce(&mut Settings),
    switch: Option<(usize, f64)>,
) -> Outcome {
    let mut settings = Settings::default();
    lesson.apply(&mut settings);
    edit(&mut settings);
    let table = generate(&settings.synth).unwrap();
    let problem = ProblemChoice::for_table(&table, Some(settings.synth.preset.target()));
    let prepared = Arc::new(prepare(&table, &problem.recipe()).unwrap());
    let device = select_device(BackendChoice::Cpu).unwrap();
    let mut run = TrainingRun::new(prepared, &settings.spec, &settings.train, &device).unwrap();
    let mut diverged = false;
    for epoch in 0..settings.train.epochs {
        if let Some((at, rate)) = switch
            && epoch == at
        {
            run.set_learning_rate(rate).unwrap();
        }
        match run.run_epoch() {
            Ok(_) => {}
            Err(RunError::Train(TrainError::Diverged { .. })) => {
                diverged = true;
                break;
            }
            Err(e) => panic!("{}: {e}", lesson.title),
        }
    }
    Outcome {
        history: run.history().to_vec(),
        diverged,
    }
}

fn lesson(word: &str) -> Lesson {
    lessons::all()
        .into_iter()
        .find(|l| l.title.contains(word))
        .unwrap_or_else(|| panic!("no lesson about {word}"))
}

#[test]
fn five_lessons_each_with_an_explanation() {
    let all = lessons::all();
    assert_eq!(all.len(), 5);
    for l in &all {
        assert!(l.explanation.len() > 40, "{}", l.title);
        l.spec.validate().unwrap();
        l.train.validate().unwrap();
    }
}

#[test]
fn a_linear_model_cannot_separate_xor_but_a_hidden_layer_can() {
    let xor = lesson("XOR");
    assert!(xor.spec.hidden.is_empty());
    let linear = train(&xor, |_| {});
    assert!(linear.final_accuracy() < 0.7, "{}", linear.final_accuracy());
    // The fix the explanation suggests: add a hidden layer.
    let hidden = train(&xor, |s| s.spec.hidden = vec![8]);
    assert!(hidden.final_accuracy() > 0.9, "{}", hidden.final_accuracy());
}

#[test]
fn too_few_neurons_underfit_the_spiral() {
    let spiral = lesson("spiral");
    let small = train(&spiral, |_| {});
    let big = train(&spiral, |s| s.spec.hidden = vec![32, 32]);
    eprintln!(
        "spiral: 2 neurons {:.3}, 32-32 {:.3}",
        small.final_accuracy(),
        big.final_accuracy()
    );
    assert!(small.final_accuracy() < 0.8, "{}", small.final_accuracy());
    assert!(
        big.final_accuracy() > small.final_accuracy() + 0.2,
        "{} vs {}",
        big.final_accuracy(),
        small.final_accuracy()
    );
}

#[test]
fn a_big_network_on_little_noisy_data_overfits_and_regularization_tames_it() {
    let overfit = train(&lesson("overfits"), |_| {});
    let (best_epoch, best) = overfit.min_valid_loss();
    eprintln!(
        "overfit: best valid {best:.3} at {best_epoch}, last {:.3}, train {:.3}",
        overfit.last_valid_loss(),
        overfit.last_train_loss()
    );
    // Validation loss turns up: its minimum is early and the end is well
    // above it, while the training loss has kept falling.
    assert!(
        best_epoch < overfit.history.len() / 2,
        "best at {best_epoch}"
    );
    assert!(overfit.last_valid_loss() > best * 1.3);
    assert!(overfit.last_train_loss() < best * 0.8);

    let tamed = train(&lesson("tame"), |_| {});
    eprintln!(
        "tamed: best valid {:.3}, last {:.3}",
        tamed.min_valid_loss().1,
        tamed.last_valid_loss()
    );
    // It stays low: near its own best, and far below the overfit network.
    assert!(tamed.last_valid_loss() < tamed.min_valid_loss().1 * 1.5);
    assert!(tamed.last_valid_loss() < overfit.last_valid_loss() * 0.5);
}

#[test]
fn a_learning_rate_too_high_makes_the_loss_jump_and_lowering_it_while_it_plays_settles_it() {
    let lesson = lesson("too high");
    // Slow enough to watch and act: at most 10 epochs a second, and at
    // least 20 seconds in all.
    let pace = lesson.pace.unwrap();
    assert!(pace <= 10.0);
    assert!(lesson.train.epochs as f64 / pace >= 20.0);

    // The student watches 4 seconds (40 epochs), then drags the rate to
    // 0.01, as the explanation says.
    const SWITCH: usize = 40;
    let run = train_with(&lesson, |_| {}, Some((SWITCH, 0.01)));
    assert!(!run.diverged);
    let (high, low) = run.history.split_at(SWITCH);
    // The training loss goes up and down at the lesson's rate.
    let jumps = high
        .windows(2)
        .filter(|w| w[1].train_loss > w[0].train_loss * 1.05)
        .count();
    let mean =
        |rows: &[EpochReport]| rows.iter().map(|r| r.train_loss).sum::<f64>() / rows.len() as f64;
    let jumpy = mean(&high[SWITCH / 2..]);
    let settled = mean(&low[low.len() - 10..]);
    eprintln!(
        "too high: {jumps} upward jumps in {SWITCH} epochs, mean loss {jumpy:.3}; \
         after lowering {settled:.3}, accuracy {:.3}",
        run.final_accuracy()
    );
    assert!(jumps >= 8, "{jumps} upward jumps");
    // Lowered, it settles: below the jumping loss, and a good model.
    assert!(settled < jumpy * 0.85, "{settled} vs {jumpy}");
    assert!(run.final_accuracy() > 0.85, "{}", run.final_accuracy());
    // The lesson's words match what is seen.
    assert!(lesson.explanation.contains("0.01"));
    assert!(lesson.explanation.contains("up and down"));
}
