//! A three-class file in the window, driven as a user would (egui_kittest):
//! choosing "multi-class" trains a softmax network; the surface holds every
//! class's probability per cell, the evaluation shows the N×N confusion,
//! the per-class table and the one-vs-rest ROC, and the what-if form gives
//! every class's probability.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use egui_kittest::kittest::{NodeT, Queryable};
mod common;
use common::window::{self, edit_settings, wait_until};
use purchase_lab::data::prep::TargetEncoding;
use purchase_lab::model::run::Metrics;

#[path = "common/cli.rs"]
mod cli;

#[test]
fn a_three_class_file_trains_with_its_surface_confusion_roc_and_what_if() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("segments.csv");
    std::fs::write(&path, cli::segments_csv(600, 5)).unwrap();
    let mut h = window::open(None, Some(path));
    edit_settings(&mut h, |s| {
        let problem = s.problem.as_mut().unwrap();
        problem.target = "plan".into();
        problem.regression = false;
        problem.features = vec!["age".into(), "income".into(), "usage".into()];
    });
    // The user's choice: the data panel's "multi-class" button.
    h.get_by_label("multi-class").click();
    wait_until(&mut h, "the multi-class recipe", |app| {
        app.data()
            .prepared()
            .is_some_and(|p| matches!(p.pipeline.encoding, TargetEncoding::Multiclass { .. }))
    });
    h.get_by_label("Play").click();
    wait_until(&mut h, "multi-class epochs", |app| {
        app.run().history.len() >= 3
            && app
                .run()
                .history
                .last()
                .is_some_and(|r| matches!(r.metrics, Metrics::Multiclass(_)))
    });
    wait_until(&mut h, "a surface and predictions", |app| {
        app.run().surface.is_some() && app.run().predictions.is_some()
    });
    let surface = h.state().run().surface.clone().unwrap();
    let cells = surface.resolution * surface.resolution;
    assert_eq!(surface.values.len(), 3 * cells);
    for cell in surface.values.chunks(3) {
        assert!((cell.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{cell:?}");
    }
    // The evaluation panel: confusion, per-class table, ROC per class.
    wait_until(&mut h, "the per-class table", |app| {
        app.data().prepared().is_some() && app.run().predictions.is_some()
    });
    h.run_steps(3);
    for label in [
        "confusion (rows actual, columns predicted)",
        "macro avg",
        "weighted avg",
    ] {
        assert!(h.query_by_label(label).is_some(), "{label} missing");
    }
    assert!(h.query_by_label_contains("macro AUC").is_some());
    // The diagram has one output per class.
    assert!(
        h.query_by_label_contains("3 outputs (one per class, softmax)")
            .is_some()
    );
    // The what-if form: one bar per class, the probabilities summing to 1.
    wait_until(&mut h, "a what-if answer", |app| {
        app.windows().what_if.probabilities.len() == 3
    });
    let p = h.state().windows().what_if.probabilities.clone();
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-4, "{p:?}");
    assert!(h.query_by_label_contains("predicted `").is_some());
    // The tables, the bars and the baseline's row stay inside the results
    // panel: none widens it over the surface or off the screen.
    let panel = h.state().view_rects().results.unwrap();
    for label in [
        "macro avg",
        "weighted avg",
        "softmax regression",
        "boosted trees (defaults)",
    ] {
        // The baseline's row once it has trained (its own thread).
        let Some(node) = h.query_by_label(label) else {
            continue;
        };
        let r = node.rect();
        assert!(
            r.left() >= panel.left() - 1.0 && r.right() <= panel.right() + 1.0,
            "`{label}` at {r:?} runs out of the results panel {panel:?}"
        );
    }
    for node in h.query_all_by(|_| true) {
        if node.accesskit_node().role() != eframe::egui::accesskit::Role::ProgressIndicator {
            continue;
        }
        let r = node.rect();
        if panel.contains(r.center()) {
            assert!(
                r.right() <= panel.right() + 1.0,
                "a bar at {r:?} runs out of {panel:?}"
            );
        }
    }
    h.get_by_label("Pause").click();
}
