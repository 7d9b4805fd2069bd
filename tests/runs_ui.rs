//! Compare and tune in the window (egui_kittest on the real app state):
//! runs land in the history with their settings, overlay, restore, survive
//! a restart, a corrupt history is set aside; sweeps run in the background,
//! can be cancelled and "Apply best" sets the controls; PNG exports and
//! session files work.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::path::{Path, PathBuf};

use egui_kittest::kittest::Queryable;
mod common;
use common::window::{self, Window, command, edit_settings, set_text, wait_until};
use purchase_lab::app::AppCommand;
use purchase_lab::app::export::PngView;
use purchase_lab::app::runs::RunAction;

/// The window with its run history at `history`, opening `file`.
fn harness_at(history: &Path, file: Option<PathBuf>) -> Window {
    window::open(Some(history), file)
}

/// Plays the current network to its epoch target.
fn train_to_the_end(h: &mut Window, epochs: usize) {
    edit_settings(h, |s| {
        s.train.epochs = epochs;
        s.pace = None;
    });
    h.get_by_label("Reset").click();
    h.run_steps(2);
    h.get_by_label("Play").click();
    wait_until(h, "the run to finish", |app| {
        app.run().finished && app.run().history.len() == epochs
    });
}

#[test]
fn runs_are_recorded_overlaid_restored_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    let mut h = harness_at(&history, None);
    train_to_the_end(&mut h, 20);
    edit_settings(&mut h, |s| s.train.learning_rate = 0.05);
    train_to_the_end(&mut h, 20);
    let app = h.state();
    let records = &app.windows().runs.history.records;
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].setup.train.learning_rate, 0.01);
    assert_eq!(records[1].setup.train.learning_rate, 0.05);
    assert_eq!(records[0].setup.spec.hidden, vec![8, 8]);
    assert_eq!(records[0].history.len(), 20);
    assert_eq!(records[0].setup.fingerprint, app.data().fingerprint());
    assert!(records[0].final_metrics.is_some());

    // The Runs window lists both; ticking them overlays their curves.
    h.get_by_label("Runs (2)").click();
    h.run_steps(2);
    assert!(h.query_by_label("run 1").is_some());
    assert!(h.query_by_label("validation loss").is_none());
    let ids: Vec<u64> = h
        .state()
        .windows()
        .runs
        .history
        .records
        .iter()
        .map(|r| r.id)
        .collect();
    for id in ids {
        command(
            &mut h,
            AppCommand::Run {
                id,
                action: RunAction::Select(true),
            },
        );
    }
    h.run_steps(2);
    assert!(h.query_by_label("validation loss").is_some());
    // The learning rate differs, so it is highlighted as a column.
    assert!(h.query_by_label("learning_rate").is_some());

    // Restore the first run (newest first: it is the second row).
    let restore = h.get_all_by_label("Restore").nth(1).unwrap();
    restore.click();
    h.run_steps(2);
    assert_eq!(h.state().settings().train.learning_rate, 0.01);

    // Wait for the history file, then start the app again: still there.
    wait_until(&mut h, "the history file", |_| history.exists());
    drop(h);
    let h = harness_at(&history, None);
    assert_eq!(h.state().windows().runs.history.records.len(), 2);
    assert!(h.state().windows().runs.notice.is_none());
}

#[test]
fn a_corrupt_history_is_reported_and_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    std::fs::write(&history, "{ this is not json").unwrap();
    let h = harness_at(&history, None);
    let notice = h.state().windows().runs.notice.clone().expect("a notice");
    assert!(notice.contains("could not be read"), "{notice}");
    assert!(notice.contains("history.corrupt-"), "{notice}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("corrupt"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    // The original bytes are kept in the file set aside.
    let kept = std::fs::read_to_string(dir.path().join(&aside[0])).unwrap();
    assert_eq!(kept, "{ this is not json");
    assert!(h.state().windows().runs.history.records.is_empty());
}

#[test]
fn a_sweep_runs_in_the_background_lands_in_history_and_applies_the_best() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(&dir.path().join("history.json"), None);
    h.get_by_label("Sweep").click();
    h.run_steps(2);
    set_text(&mut h, "learning rates", "0.001, 0.1");
    set_text(&mut h, "widths", "2, 16");
    sweep_epochs(&mut h, 15);
    choose_sweep_metric(&mut h, "accuracy");
    h.run_steps(2);
    h.get_by_label("Start sweep (4 runs)").click();
    h.step();
    assert!(h.state().windows().sweep.running());
    // The window keeps drawing while it runs.
    let mut frames = 0;
    wait_until(&mut h, "the sweep to finish", |app| {
        frames += 1;
        app.windows().sweep.finished.is_some()
    });
    assert!(frames > 1);
    let app = h.state();
    assert_eq!(app.windows().sweep.finished, Some(false));
    assert_eq!(app.windows().sweep.outcomes.len(), 4);
    assert_eq!(app.windows().runs.history.records.len(), 4);
    assert!(h.query_by_label_contains("(rows) x").is_some(), "a heatmap");

    let best = purchase_lab::tune::sweep::best(
        &h.state().windows().sweep.outcomes,
        purchase_lab::tune::Metric::Accuracy,
    )
    .unwrap()
    .clone();
    h.get_by_label("Apply best").click();
    h.run_steps(2);
    assert_eq!(h.state().settings().spec.hidden, best.point.spec.hidden);
    assert_eq!(
        h.state().settings().train.learning_rate,
        best.point.train.learning_rate
    );

    // A long sweep can be cancelled. Long enough that it cannot end before
    // the cancel: 12 runs of 200 epochs took a quarter of a second here
    // once gemm's AVX-512 kernels came in; 16 runs of 5,000 epochs (the
    // most the field takes) without early stopping take several seconds.
    set_text(&mut h, "learning rates", "0.001, 0.003, 0.01, 0.03");
    set_text(&mut h, "widths", "8, 16, 32, 64");
    sweep_epochs(&mut h, 5000);
    h.get_by_label("stop early (patience 10)").click();
    h.run_steps(2);
    h.get_by_label("Start sweep (16 runs)").click();
    wait_until(&mut h, "the sweep to start", |app| {
        app.windows().sweep.running() && app.windows().sweep.progress.is_some_and(|p| p.epoch > 0)
    });
    h.get_by_label("Cancel sweep").click();
    wait_until(&mut h, "the sweep to stop", |app| {
        app.windows().sweep.finished.is_some()
    });
    assert_eq!(h.state().windows().sweep.finished, Some(true));
    assert!(h.state().windows().sweep.outcomes.len() < 16);
}

#[test]
fn the_surface_and_curves_export_as_png_images_of_their_size_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(&dir.path().join("history.json"), None);
    h.get_by_label("Step").click();
    wait_until(&mut h, "a surface", |app| app.run().surface.is_some());
    for view in [PngView::Surface, PngView::Curves] {
        let path = dir.path().join(view.file_name());
        // The view's place now; the notice that follows shifts the layout.
        h.run_steps(2);
        let rect = h.state().view_rects().get(view).unwrap();
        command(&mut h, AppCommand::ExportPng(view, path.clone()));
        wait_until(&mut h, "the image", |app| {
            app.run()
                .notice
                .as_deref()
                .is_some_and(|n| n.contains("image saved"))
        });
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let (w, hgt) = (reader.info().width, reader.info().height);
        let ppp = h.ctx.pixels_per_point();
        assert!(
            (w as f32 - rect.width() * ppp).abs() <= 2.0,
            "{w} vs {rect:?}"
        );
        assert!(
            (hgt as f32 - rect.height() * ppp).abs() <= 2.0,
            "{hgt} vs {rect:?}"
        );
        // Not blank: the surface and the curves have many colours.
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        let distinct: std::collections::HashSet<&[u8]> = pixels.chunks(4).collect();
        assert!(distinct.len() > 20, "{} colours", distinct.len());
        h.get_by_label("dismiss").click();
        h.run_steps(2);
    }
}

#[test]
fn a_saved_session_opens_the_same_setup() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    let session = dir.path().join("lesson.json");
    let mut h = harness_at(&history, None);
    edit_settings(&mut h, |s| {
        s.spec.hidden = vec![5, 3];
        s.train.learning_rate = 0.02;
        s.train.seed = 9;
        s.synth.rows = 300;
        s.source = purchase_lab::data::Source::Generated(s.synth.clone());
    });
    command(&mut h, AppCommand::SaveSession(session.clone()));
    wait_until(&mut h, "the session file", |app| {
        app.run()
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("session saved"))
    });
    let saved = h.state().settings().clone();
    drop(h);

    // `purchase-lab lesson.json` opens it.
    let h = harness_at(&history, Some(session));
    let s = h.state().settings();
    assert_eq!(s.spec, saved.spec);
    assert_eq!(s.train, saved.train);
    assert_eq!(s.source, saved.source);
    assert_eq!(s.problem, saved.problem);
    assert_eq!(h.state().data().table().unwrap().n_rows(), 300);
}

/// Sets the Sweep window's epochs per run, as a screen reader would.
fn sweep_epochs(h: &mut Window, epochs: usize) {
    // The last "epochs" field: the Sweep window is drawn over the panels.
    let field = h
        .get_all_by_role_and_label(eframe::egui::accesskit::Role::SpinButton, "epochs")
        .last()
        .expect("the Sweep window's epochs field");
    field.set_value_accesskit(epochs as f64);
    h.step();
}

/// Chooses what ranks the sweep's runs in its "rank by" menu.
fn choose_sweep_metric(h: &mut Window, metric: &str) {
    h.get_by_role_and_label(eframe::egui::accesskit::Role::ComboBox, "rank by")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(eframe::egui::accesskit::Role::Button, metric)
        .click();
    h.run_steps(2);
}

#[test]
fn the_window_keeps_its_device_choice_beside_its_history() {
    // `Auto` on this machine times the network on the CPU and the GPU when
    // wgpu has an adapter (CI's lavapipe); without one there is nothing to
    // remember.
    if purchase_lab::model::device::wgpu_adapter().is_err() {
        eprintln!("NOTE: no wgpu adapter, Auto measures nothing here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    let mut h = egui_kittest::Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            purchase_lab::app::PurchaseLabApp::with_history(
                &cc.egui_ctx,
                None,
                None,
                Some(history.clone()),
            )
        });
    wait_until(&mut h, "the data to load", |app| {
        app.data().prepared().is_some()
    });
    h.get_by_label("Step").click();
    wait_until(&mut h, "an epoch", |app| !app.run().history.is_empty());
    let kept = dir
        .path()
        .join(purchase_lab::tune::device_choice::CACHE_FILE);
    let text = std::fs::read_to_string(&kept).unwrap();
    assert!(text.contains("\"entries\""), "{text}");
}
