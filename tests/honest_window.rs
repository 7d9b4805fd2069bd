//! Honest evaluation in the window (issue 14), driven as a user would:
//! validation customers while training, the test customers once the run
//! ends with the threshold moved to the best validation F1, test rows
//! watched live only when ticked, and the Cross-validation window.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

mod common;
use common::window::{self, Window, edit_settings, wait_until};
use egui_kittest::kittest::Queryable;
use purchase_lab::data::prep::Part;

/// The window on generated data with a short epoch target.
fn harness(epochs: usize) -> Window {
    let mut h = window::open(None, None);
    edit_settings(&mut h, |s| {
        s.train.epochs = epochs;
        s.until_paused = false;
        s.pace = None;
    });
    h
}

#[test]
fn evaluation_shows_validation_rows_while_training_and_test_rows_at_the_end() {
    let mut h = harness(6);
    h.get_by_label("Step").click();
    wait_until(&mut h, "an epoch", |app| app.run().predictions.is_some());
    assert_eq!(h.state().run().predictions_part, Part::Validation);
    assert!(
        h.query_by_label("Evaluation on validation customers")
            .is_some()
    );

    h.get_by_label("Play").click();
    wait_until(&mut h, "the run to end", |app| app.run().outcome.is_some());
    wait_until(&mut h, "test predictions", |app| {
        app.run().predictions_part == Part::Test
    });
    let outcome = h.state().run().outcome.clone().unwrap();
    assert_eq!(outcome.epochs, 6);
    // The slider moved to the threshold chosen on the validation rows.
    let threshold = outcome.threshold.unwrap();
    assert_eq!(h.state().settings().threshold, threshold);
    assert!(
        h.query_by_label("Evaluation on test customers (final model)")
            .is_some()
    );
    let n_test = h.state().data().prepared().unwrap().test.x.rows;
    assert_eq!(h.state().run().predictions.as_ref().unwrap().len(), n_test);
}

#[test]
fn ticking_watch_test_rows_shows_test_customers_live_labelled_so() {
    let mut h = harness(50);
    h.get_by_label("watch test rows").click();
    h.run_steps(2);
    assert!(h.state().settings().watch_test_rows);
    h.get_by_label("Step").click();
    wait_until(&mut h, "test predictions", |app| {
        app.run().predictions_part == Part::Test && !app.run().history.is_empty()
    });
    assert!(h.state().run().outcome.is_none(), "the run goes on");
    assert!(
        h.query_by_label("Evaluation on test customers (watched live)")
            .is_some()
    );
    assert!(h.state().run().history[0].test_metrics.is_some());
}

#[test]
fn cross_validation_runs_in_the_background_and_reports_every_fold() {
    let mut h = harness(4);
    h.get_by_label("Cross-validate...").click();
    h.run_steps(2);
    assert!(h.state().windows().cv.open);
    h.get_by_label("Cross-validate").click();
    wait_until(&mut h, "cross-validation", |app| {
        app.windows().cv.report.is_some() || app.windows().cv.error.is_some()
    });
    let cv = &h.state().windows().cv;
    assert_eq!(cv.error, None);
    let report = cv.report.as_ref().unwrap();
    assert_eq!(report.folds.len(), 5);
    assert!(report.folds.iter().all(|f| f.history.len() == 4));
    assert_eq!(report.summary.metrics["roc_auc"].per_fold.len(), 5);
    h.run_steps(2);
    assert!(h.query_by_label("roc_auc").is_some(), "the table shows it");
}
