//! Boosted trees in the window (issue 15), driven through egui_kittest as a
//! user would: the family switch, a tree run's rounds, its importance bars
//! where the network diagram was, its metrics, the what-if answer, saving
//! and opening the tree model, and the run in the history with its family.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
mod common;
use common::window::{self, Window, command, edit_settings, keep_drawing, wait_until};
use purchase_lab::app::AppCommand;
use purchase_lab::app::importance_view::{ranked, share_text};
use purchase_lab::app::settings::Settings;
use purchase_lab::app::{lessons, sweep_panel};
use purchase_lab::model::{Family, TrainingUnit};
use purchase_lab::worker::WhatIfModel;

/// The what-if answer from `by`, once there is one.
fn what_if_answer(h: &mut Window, by: WhatIfModel) -> f32 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let what_if = &h.state().windows().what_if;
        if what_if.answered_by() == Some(by)
            && let Some(Ok(p)) = what_if.answer
        {
            return p;
        }
        assert!(Instant::now() < deadline, "no answer: {:?}", what_if.answer);
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_window_switches_to_boosted_trees_trains_them_and_shows_their_importance() {
    let mut h = window::open(None, None);
    h.get_by_role_and_label(Role::RadioButton, "Boosted trees")
        .click_accesskit();
    h.run_steps(2);
    assert_eq!(h.state().settings().family, Family::Trees);
    // The trees' own sliders replace the network's.
    for label in [
        "trees",
        "depth",
        "min child weight",
        "subsample",
        "L2 (lambda)",
    ] {
        assert!(
            h.query_by_role_and_label(Role::Slider, label).is_some(),
            "no slider `{label}`"
        );
    }
    assert!(h.query_by_label("batch size").is_none());
    // The window's sweep trains networks, and says so while trees are chosen.
    h.get_by_label("Sweep").click();
    h.run_steps(3);
    assert!(h.query_by_label(sweep_panel::NETWORK_ONLY).is_some());
    edit_settings(&mut h, |s| s.trees.trees = 30);

    h.get_by_label("Play").click();
    wait_until(&mut h, "the trees to finish", |app| {
        app.run().finished && app.run().surface.is_some()
    });
    h.run_steps(3);
    let run = h.state().run();
    assert_eq!(run.family, Family::Trees);
    assert_eq!(run.unit(), TrainingUnit::Round);
    assert_eq!(run.history.len(), 30);
    // Rounds, not epochs, in the training bar and the messages.
    assert!(h.query_by_label("round 30 / 30").is_some());
    let notice = run.notice.clone().unwrap_or_default();
    assert!(notice.contains("round"), "{notice}");

    // The diagram area shows the gain per input, largest first, labelled.
    assert!(h.query_by_label("Feature importance (gain)").is_some());
    let surface = run.surface.clone().unwrap();
    let total: f64 = surface.importance.iter().map(|(_, s)| s).sum();
    assert!((total - 1.0).abs() < 1e-9, "{:?}", surface.importance);
    let bars = ranked(&surface.importance);
    assert!(
        h.query_all_by_label(&share_text(bars[0].1))
            .next()
            .is_some()
    );
    assert!(h.query_by_label("Network").is_some(), "the family switch");
    assert!(h.query_by_label_contains("hidden layers").is_none());

    // The evaluation panel judges the trees as it judges a network.
    let metrics = h.state().metrics().unwrap();
    assert!(metrics.accuracy > 0.7, "{metrics:?}");
    assert!(h.query_by_label("ROC AUC").is_some());

    // What-if asks the trees; a saved tree model opens and answers the same.
    let current = what_if_answer(&mut h, WhatIfModel::Current);
    assert!(
        h.query_by_label_contains("asking the boosted trees in training (round 30)")
            .is_some()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trees.plab");
    window::save_model(&mut h, &path);
    command(&mut h, AppCommand::OpenModel(path));
    wait_until(&mut h, "the model to open", |app| {
        app.windows().what_if.opened.is_some()
    });
    let notice = h.state().run().notice.clone().unwrap_or_default();
    assert!(
        notice.contains("boosted trees") && notice.contains("30 rounds"),
        "{notice}"
    );
    let opened = what_if_answer(&mut h, WhatIfModel::Opened);
    assert_eq!(opened, current);

    // The run is in the history with its family and settings.
    let records = &h.state().windows().runs.history.records;
    let record = records.last().unwrap();
    assert_eq!(record.setup.model_spec().family(), Family::Trees);
    assert_eq!(record.setup.trees.as_ref().unwrap().trees, 30);
}

#[test]
fn while_a_network_trains_the_baselines_fit_once_and_are_shown() {
    let mut h = window::open(None, None);
    assert_eq!(h.state().settings().family, Family::Network);
    h.get_by_label("Step").click();
    wait_until(&mut h, "the baselines", |app| {
        app.run().baselines.len() == 2 && !app.run().history.is_empty()
    });
    h.run_steps(2);
    let run = h.state().run();
    let names: Vec<&str> = run.baselines.iter().map(|b| b.name).collect();
    assert_eq!(names, ["boosted trees (defaults)", "logistic regression"]);
    assert_eq!(run.baselines[0].family, Family::Trees);
    assert!(run.baseline_error.is_none(), "{:?}", run.baseline_error);
    // Rows in the evaluation panel, and the answer to the question.
    assert!(
        h.query_by_label_contains("Does the network beat simple models?")
            .is_some()
    );
    assert!(
        h.query_by_label_contains("on validation accuracy.")
            .is_some()
    );
    for name in names {
        assert!(h.query_by_label(name).is_some(), "no row `{name}`");
    }
    // A new network on the same split does not fit them again.
    let before = h.state().run().baselines.clone();
    edit_settings(&mut h, |s| s.spec.dropout = 0.1);
    wait_until(&mut h, "the new network", |app| {
        app.run().history.is_empty()
    });
    assert_eq!(h.state().run().baselines, before);
    h.get_by_label("Step").click();
    wait_until(&mut h, "its first epoch", |app| {
        app.run().history.len() == 1
    });
    assert_eq!(h.state().run().baselines, before);

    // Trees are the run now: no baseline rows beside them. The run starts
    // once the trees' preparation is back from its thread, and a click can
    // be lost in a frame that lays the panel out anew (seen under load), so
    // the click is tried again until the trees run.
    for _ in 0..5 {
        if h.state().run().family == Family::Trees {
            break;
        }
        h.get_by_role_and_label(Role::RadioButton, "Boosted trees")
            .click_accesskit();
        keep_drawing(&mut h, Duration::from_secs(2));
    }
    wait_until(&mut h, "the trees run", |app| {
        app.run().family == Family::Trees
    });
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("Does the network beat simple models?")
            .is_none()
    );
}

#[test]
fn a_lesson_brings_the_network_back() {
    let mut settings = Settings {
        family: Family::Trees,
        ..Settings::default()
    };
    for lesson in lessons::all() {
        lesson.apply(&mut settings);
        assert_eq!(settings.family, Family::Network, "{}", lesson.title);
        settings.family = Family::Trees;
    }
}
