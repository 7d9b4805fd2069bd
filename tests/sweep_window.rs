//! The Sweep window after a sweep (issue 20): the ranked list shows every
//! run, however many (scrolled, never cut off), and the best run's trained
//! network can be taken into the window, its surface, evaluation and
//! curves with it, without training it again.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
mod common;
use common::window::{self, Window, set_text, wait_until};
use purchase_lab::model::run::Metrics;

/// Sets the Sweep window's epochs per run (the last "epochs" field: the
/// window is drawn over the panels).
fn sweep_epochs(h: &mut Window, epochs: usize) {
    h.get_all_by_role_and_label(Role::SpinButton, "epochs")
        .last()
        .unwrap()
        .set_value_accesskit(epochs as f64);
    h.step();
}

/// A finished 12-run sweep, ranked by validation loss.
fn swept() -> Window {
    let mut h = window::open(None, None);
    h.get_by_label("Sweep").click();
    h.run_steps(2);
    set_text(&mut h, "learning rates", "0.003, 0.03, 0.3");
    set_text(&mut h, "widths", "2, 4, 8, 16");
    sweep_epochs(&mut h, 6);
    h.get_by_label("Start sweep (12 runs)").click();
    wait_until(&mut h, "the sweep to finish", |app| {
        app.windows().sweep.finished.is_some()
    });
    assert_eq!(h.state().windows().sweep.outcomes.len(), 12);
    h.run_steps(2);
    h
}

#[test]
fn the_ranked_list_shows_every_run_of_a_long_sweep() {
    let mut h = swept();
    let window = h.get_by_role_and_label(Role::Window, "Sweep").rect();
    for rank in 1..=12 {
        let label = format!("{rank}.");
        h.get_by_label(&label).scroll_to_me();
        h.run_steps(3);
        let row = h.get_by_label(&label).rect();
        assert!(
            window.contains_rect(row),
            "row {label} at {row:?} cannot be brought into the Sweep window {window:?}"
        );
    }
}

/// The validation AUC a set of metrics reports.
fn auc(metrics: &Metrics) -> f64 {
    match metrics {
        Metrics::Classification(m) => m.auc.unwrap(),
        Metrics::Regression(_) | Metrics::Multiclass(_) => panic!("a classification sweep"),
    }
}

#[test]
fn the_best_runs_trained_network_comes_into_the_window() {
    let mut h = swept();
    let best = h.state().windows().sweep.best_outcome().unwrap().clone();
    let record = best.record().unwrap().clone();
    let best_auc = auc(record.valid_metrics.as_ref().unwrap());
    let epochs = record.history.last().unwrap().epoch;

    h.get_by_label("Restore its network").click();
    wait_until(&mut h, "the best run's network in the window", |app| {
        app.run()
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("best sweep run's trained network"))
            && app.metrics().is_some()
    });
    // Its settings are the controls'.
    let app = h.state();
    assert_eq!(app.settings().spec.hidden, best.point.spec.hidden);
    assert_eq!(
        app.settings().train.learning_rate,
        best.point.train.learning_rate
    );
    // Its curves, its epoch count, finished.
    assert_eq!(app.run().history, record.history);
    assert_eq!(app.run().epoch(), epochs);
    assert!(app.run().finished && !app.run().playing);
    // Its evaluation: the validation rows scored by that very network (the
    // ROC area does not depend on the threshold).
    let shown = app.metrics().unwrap().auc.unwrap();
    assert!(
        (shown - best_auc).abs() < 1e-6,
        "the window's AUC {shown} is not the sweep run's {best_auc}"
    );
    wait_until(&mut h, "its surface", |app| app.run().surface.is_some());

    // Training goes on from it, counting on from its last epoch.
    h.get_by_label("Step").click();
    wait_until(&mut h, "one more epoch", |app| {
        app.run().epoch() == epochs + 1
    });
}
