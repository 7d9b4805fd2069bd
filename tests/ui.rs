//! The window driven as a user would, through egui_kittest: widgets are
//! found by their labels and clicked; training runs on the real worker.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
mod common;
use common::window::{self, Window, command, edit_settings, type_and_load, wait_until};
use purchase_lab::app::AppCommand;
use purchase_lab::model::run::Metrics;

/// The window on generated data, its history kept in memory.
fn harness() -> Window {
    window::open(None, None)
}

#[test]
fn play_trains_and_the_curves_and_surface_update() {
    let mut h = harness();
    assert!(h.state().run().history.is_empty());
    h.get_by_label("Play").click();
    wait_until(&mut h, "three epochs", |app| app.run().history.len() >= 3);
    wait_until(&mut h, "a decision surface", |app| {
        app.run().surface.is_some()
    });
    let surface = h.state().run().surface.clone().unwrap();
    assert_eq!(surface.x.feature, "visit_minutes");
    assert_eq!(surface.y.feature, "pages_visited");
    assert!(surface.values.iter().all(|p| (0.0..=1.0).contains(p)));
    wait_until(&mut h, "test metrics", |app| app.metrics().is_some());
    // The evaluation panel shows what a user reads.
    assert!(h.query_by_label("accuracy").is_some());
    assert!(h.query_by_label("ROC AUC").is_some());
}

#[test]
fn step_trains_exactly_one_epoch_and_learning_rate_applies_live() {
    let mut h = harness();
    h.get_by_label("Step").click();
    wait_until(&mut h, "one epoch", |app| !app.run().history.is_empty());
    for _ in 0..20 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(h.state().run().history.len(), 1);

    // A new learning rate does not restart the network: history continues.
    edit_settings(&mut h, |s| s.train.learning_rate = 0.001);
    h.get_by_label("Step").click();
    wait_until(&mut h, "a second epoch", |app| app.run().history.len() >= 2);
    assert_eq!(h.state().run().history[1].epoch, 2);
    assert!(
        h.state().run().error.is_none(),
        "{:?}",
        h.state().run().error
    );
}

#[test]
fn a_bad_csv_shows_its_error_and_keeps_the_previous_data() {
    let mut h = harness();
    let before = h.state().data().table().cloned().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ragged.csv");
    std::fs::write(&bad, "age,spend\n31,10\n42\n").unwrap();

    type_and_load(&mut h, &bad);
    wait_until(&mut h, "the load to fail", |app| {
        app.data().data_error().is_some()
    });
    let error = h.state().data().data_error().unwrap().to_owned();
    assert_eq!(
        error,
        "ragged.csv: line 3: 1 field, but the header has 2 columns"
    );
    assert!(h.query_by_label_contains("line 3: 1 field,").is_some());
    assert_eq!(h.state().data().table().unwrap().n_rows(), before.n_rows());
    assert!(h.state().data().prepared().is_some());
}

#[test]
fn switching_to_a_regression_target_shows_regression_metrics() {
    let mut h = harness();
    // Generate the richer customers preset, whose `spend` is numeric.
    // (A frame is drawn after: the customers preset adds a slider, moving
    // the button.)
    edit_settings(&mut h, |s| {
        s.synth.preset = purchase_lab::data::Preset::Customers;
        s.synth.rows = 400;
    });
    h.get_by_label("Regenerate").click();
    wait_until(&mut h, "customers", |app| {
        app.data()
            .table()
            .is_some_and(|t| t.column("spend").is_some())
    });
    edit_settings(&mut h, |s| {
        let problem = s.problem.as_mut().unwrap();
        problem.target = "spend".into();
        problem.regression = true;
        problem.features.retain(|f| f != "spend");
        problem.features.push("purchased".into());
    });
    wait_until(&mut h, "the regression recipe", |app| {
        app.data().prepared().is_some_and(|p| {
            matches!(
                p.pipeline.encoding,
                purchase_lab::data::prep::TargetEncoding::Regression { .. }
            )
        })
    });
    h.get_by_label("Step").click();
    wait_until(&mut h, "a regression epoch", |app| {
        app.run()
            .history
            .last()
            .is_some_and(|r| matches!(r.metrics, Metrics::Regression(_)))
    });
    wait_until(&mut h, "predictions", |app| app.run().predictions.is_some());
    assert!(h.query_by_label("MAE").is_some());
    assert!(h.query_by_label("RMSE").is_some());
}

#[test]
fn a_lesson_sets_data_and_network_and_plays_with_its_explanation() {
    let mut h = harness();
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    h.get_by_label("A straight line cannot separate XOR")
        .click();
    wait_until(&mut h, "the XOR data to train", |app| {
        app.data().table().is_some_and(|t| t.column("x1").is_some()) && app.run().history.len() >= 2
    });
    let app = h.state();
    assert_eq!(
        app.settings().synth.preset,
        purchase_lab::data::Preset::Xor,
        "the lesson's data"
    );
    assert!(app.settings().spec.hidden.is_empty(), "a linear model");
    assert!(
        app.run().playing || app.run().finished,
        "it plays by itself"
    );
    // The one-line explanation is on screen.
    assert!(h.query_by_label_contains("no line splits XOR").is_some());
    h.get_by_label("end lesson").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("no line splits XOR").is_none());
}

#[test]
fn the_network_diagram_gets_unit_thumbnails_and_weights_while_training() {
    let mut h = harness();
    // The diagram's caption describes the architecture drawn.
    assert!(
        h.query_by_label_contains("2 inputs, hidden layers 8-8, 1 output")
            .is_some()
    );
    h.get_by_label("Step").click();
    wait_until(&mut h, "a surface with units", |app| {
        app.run()
            .surface
            .as_ref()
            .is_some_and(|s| !s.units.is_empty())
    });
    let surface = h.state().run().surface.clone().unwrap();
    // One thumbnail per hidden unit, and every layer's weights.
    assert_eq!(surface.units.len(), 2);
    assert!(surface.units.iter().all(|layer| layer.len() == 8));
    assert_eq!(surface.weights.len(), 3);
    assert_eq!((surface.weights[0].n_in, surface.weights[0].n_out), (2, 8));

    // Adding a layer redraws the caption from the new spec. (Clicked as a
    // screen reader does: at 1280x800 the button sits on the clipped bottom
    // edge of the controls, where a simulated pointer click lands only some
    // of the time; a real click there works.)
    h.get_by_label("+").click_accesskit();
    h.step();
    assert!(
        h.query_by_label_contains("2 inputs, hidden layers 8-8-8, 1 output")
            .is_some(),
        "layers {:?}",
        h.state().settings().spec.hidden
    );
}

/// The what-if answer once it differs from `not` (or is the first one).
fn what_if_answer(h: &mut Window, not: Option<f32>) -> f32 {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !matches!(h.state().windows().what_if.answer, Some(Ok(p)) if Some(p) != not) {
        assert!(
            Instant::now() < deadline,
            "no new what-if answer: {:?}, by {:?}, run error {:?}",
            h.state().windows().what_if.answer,
            h.state().windows().what_if.answered_by(),
            h.state().run().error
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    match h.state().windows().what_if.answer.clone() {
        Some(Ok(p)) => p,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_what_if_form_predicts_as_fields_change_and_an_opened_model_answers() {
    let mut h = harness();
    // An analyst's one click past the classroom pace.
    h.get_by_label("full speed").click();
    h.get_by_label("Play").click();
    wait_until(&mut h, "the run to finish", |app| app.run().finished);
    // Prefilled with a typical customer; the answer is a probability.
    let typical = what_if_answer(&mut h, None);
    assert!((0.0..=1.0).contains(&typical));
    assert!(h.query_by_label_contains("chance of `yes`").is_some());

    // A customer who stays a long time and reads many pages buys.
    use purchase_lab::app::model_panel::FieldValue;
    // Both fields in one frame, so no answer comes for one alone.
    for column in ["visit_minutes", "pages_visited"] {
        h.state_mut().push(AppCommand::SetWhatIfField {
            column: column.into(),
            value: FieldValue::Number(20.0),
        });
    }
    let keen = what_if_answer(&mut h, Some(typical));
    assert!(keen > 0.8, "{keen}");

    // Save the network, open it again, and it gives the same answer.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("visits.plab");
    window::save_model(&mut h, &path);
    command(&mut h, AppCommand::OpenModel(path.clone()));
    wait_until(&mut h, "the model to open", |app| {
        app.windows().what_if.opened.is_some()
    });
    assert!(h.state().windows().what_if.use_opened);
    assert!(h.query_by_label_contains("model visits.plab").is_some());
    wait_until(&mut h, "the opened model's answer", |app| {
        app.windows().what_if.answered_by() == Some(purchase_lab::worker::WhatIfModel::Opened)
    });
    let opened = what_if_answer(&mut h, None);
    assert!((opened - keen).abs() < 1e-5, "{opened} vs {keen}");

    // A file that is not a model: a readable error, the opened model stays.
    let bogus = dir.path().join("bogus.plab");
    std::fs::write(&bogus, "age,spend\n1,2\n").unwrap();
    command(&mut h, AppCommand::OpenModel(bogus));
    wait_until(&mut h, "the error", |app| app.run().error.is_some());
    assert!(h.state().windows().what_if.opened.as_ref().unwrap().path == path);
}

#[test]
fn ctrl_plus_and_minus_scale_the_text_for_a_projector() {
    // (The theme follows the system: the app sets ThemePreference::System;
    // the test harness pins its own theme, so that is not checked here.)
    let mut h = harness();
    let before = h.ctx.zoom_factor();
    h.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::Plus);
    h.run_steps(2);
    let zoomed = h.ctx.zoom_factor();
    assert!(zoomed > before, "{zoomed} vs {before}");
    h.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::Minus);
    h.run_steps(2);
    assert!((h.ctx.zoom_factor() - before).abs() < 1e-3);
}

#[test]
fn the_pace_menu_slows_play_to_a_classroom_pace() {
    let mut h = harness();
    // Choose "3 epochs/s" in the training bar's pace menu, as a teacher would.
    h.get_by_label("pace").click();
    h.run();
    h.get_by_label("3 epochs/s").click();
    h.run();
    assert_eq!(h.state().settings().pace, Some(3.0));
    h.get_by_label("Play").click();
    wait_until(&mut h, "the first epoch", |app| {
        !app.run().history.is_empty()
    });
    let first = Instant::now();
    while first.elapsed() < Duration::from_secs(1) {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    // Epochs at 0, 1/3, 2/3 and (at the edge) 1 s; unpaced, the default
    // 200 epochs take about a second in all.
    let epochs = h.state().run().history.len();
    assert!(epochs <= 4, "{epochs} epochs in one second at 3 a second");
}

#[test]
fn a_messy_customer_file_shows_its_data_notes_and_leaves_the_identifier_out() {
    let mut h = harness();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("messy.csv");
    let mut text = String::from("customerID,avg_order,visits,bought\n");
    for i in 0..40 {
        let bought = ["yes", "no", "Yes", "no"][i % 4];
        text.push_str(&format!(
            "C{i:03}-X,\"${},{:03}.50\",{},{bought}\n",
            1 + i % 3,
            i * 7,
            i % 9
        ));
    }
    std::fs::write(&file, text).unwrap();
    type_and_load(&mut h, &file);
    wait_until(&mut h, "the messy file to load and prepare", |app| {
        app.data()
            .table()
            .is_some_and(|t| t.column("customerID").is_some())
            && app.data().prepared().is_some()
    });
    h.run_steps(3);
    let app = h.state();
    let features = &app.settings().problem.as_ref().unwrap().features;
    assert!(!features.contains(&"customerID".to_owned()), "{features:?}");
    assert!(features.contains(&"avg_order".to_owned()), "{features:?}");
    let notes: Vec<&str> = app
        .data()
        .data_notes()
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("`customerID` looks like an identifier")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|n| n.contains("currency $")), "{notes:?}");
    // Shown in the data panel, open because some notes are warnings.
    assert!(h.query_by_label_contains("Data notes").is_some());
    assert!(
        h.query_by_label_contains("looks like an identifier")
            .is_some()
    );
}
