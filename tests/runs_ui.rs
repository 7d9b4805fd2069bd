//! Compare and tune in the window (egui_kittest on the real app state):
//! runs land in the history with their settings, overlay, restore, survive
//! a restart, a corrupt history is set aside; sweeps run in the background,
//! can be cancelled and "Apply best" sets the controls; PNG exports and
//! session files work.

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
mod common;
use common::wait_until;
use purchase_lab::app::PurchaseLabApp;
use purchase_lab::app::export::PngView;

fn harness_at(history: &Path, file: Option<PathBuf>) -> Harness<'static, PurchaseLabApp> {
    let history = history.to_path_buf();
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            PurchaseLabApp::with_history(&cc.egui_ctx, None, file.clone(), Some(history.clone()))
        });
    wait_until(&mut h, "the data to load", |app| {
        app.table.is_some() && app.prepared.is_some()
    });
    h
}

/// Plays the current network to its epoch target.
fn train_to_the_end(h: &mut Harness<'static, PurchaseLabApp>, epochs: usize) {
    h.state_mut().settings.train.epochs = epochs;
    h.step();
    h.get_by_label("Reset").click();
    h.run_steps(2);
    h.get_by_label("Play").click();
    wait_until(h, "the run to finish", |app| {
        app.run.finished && app.run.history.len() == epochs
    });
}

#[test]
fn runs_are_recorded_overlaid_restored_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    let mut h = harness_at(&history, None);
    train_to_the_end(&mut h, 20);
    h.state_mut().settings.train.learning_rate = 0.05;
    train_to_the_end(&mut h, 20);
    let app = h.state();
    let records = &app.runs.history.records;
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].setup.train.learning_rate, 0.01);
    assert_eq!(records[1].setup.train.learning_rate, 0.05);
    assert_eq!(records[0].setup.spec.hidden, vec![8, 8]);
    assert_eq!(records[0].history.len(), 20);
    assert_eq!(records[0].setup.fingerprint, app.fingerprint);
    assert!(records[0].final_metrics.is_some());

    // The Runs window lists both; ticking them overlays their curves.
    h.get_by_label("Runs (2)").click();
    h.run_steps(2);
    assert!(h.query_by_label("run 1").is_some());
    assert!(h.query_by_label("validation loss").is_none());
    let ids: Vec<u64> = h
        .state()
        .runs
        .history
        .records
        .iter()
        .map(|r| r.id)
        .collect();
    h.state_mut().runs.selected.extend(ids);
    h.run_steps(2);
    assert!(h.query_by_label("validation loss").is_some());
    // The learning rate differs, so it is highlighted as a column.
    assert!(h.query_by_label("learning_rate").is_some());

    // Restore the first run (newest first: it is the second row).
    let restore = h.get_all_by_label("Restore").nth(1).unwrap();
    restore.click();
    h.run_steps(2);
    assert_eq!(h.state().settings.train.learning_rate, 0.01);

    // Wait for the history file, then start the app again: still there.
    wait_until(&mut h, "the history file", |_| history.exists());
    drop(h);
    let h = harness_at(&history, None);
    assert_eq!(h.state().runs.history.records.len(), 2);
    assert!(h.state().runs.notice.is_none());
}

#[test]
fn a_corrupt_history_is_reported_and_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    std::fs::write(&history, "{ this is not json").unwrap();
    let h = harness_at(&history, None);
    let notice = h.state().runs.notice.clone().expect("a notice");
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
    assert!(h.state().runs.history.records.is_empty());
}

#[test]
fn a_sweep_runs_in_the_background_lands_in_history_and_applies_the_best() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(&dir.path().join("history.json"), None);
    h.get_by_label("Sweep").click();
    h.run_steps(2);
    {
        let sweep = &mut h.state_mut().sweep;
        sweep.learning_rates = "0.001, 0.1".into();
        sweep.widths = "2, 16".into();
        sweep.epochs = 15;
        sweep.metric = purchase_lab::tune::Metric::Accuracy;
    }
    h.run_steps(2);
    h.get_by_label("Start sweep (4 runs)").click();
    h.step();
    assert!(h.state().sweep.running());
    // The window keeps drawing while it runs.
    let mut frames = 0;
    wait_until(&mut h, "the sweep to finish", |app| {
        frames += 1;
        app.sweep.finished.is_some()
    });
    assert!(frames > 1);
    let app = h.state();
    assert_eq!(app.sweep.finished, Some(false));
    assert_eq!(app.sweep.outcomes.len(), 4);
    assert_eq!(app.runs.history.records.len(), 4);
    assert!(h.query_by_label_contains("(rows) x").is_some(), "a heatmap");

    let best = purchase_lab::tune::sweep::best(
        &h.state().sweep.outcomes,
        purchase_lab::tune::Metric::Accuracy,
    )
    .unwrap()
    .clone();
    h.get_by_label("Apply best").click();
    h.run_steps(2);
    assert_eq!(h.state().settings.spec.hidden, best.point.spec.hidden);
    assert_eq!(
        h.state().settings.train.learning_rate,
        best.point.train.learning_rate
    );

    // A long sweep can be cancelled.
    {
        let sweep = &mut h.state_mut().sweep;
        sweep.learning_rates = "0.001, 0.003, 0.01, 0.03".into();
        sweep.widths = "8, 16, 32".into();
        sweep.epochs = 200;
        sweep.early_stopping = false;
    }
    h.run_steps(2);
    h.get_by_label("Start sweep (12 runs)").click();
    wait_until(&mut h, "the sweep to start", |app| {
        app.sweep.running() && app.sweep.progress.is_some_and(|p| p.2 > 0)
    });
    h.get_by_label("Cancel sweep").click();
    wait_until(&mut h, "the sweep to stop", |app| {
        app.sweep.finished.is_some()
    });
    assert_eq!(h.state().sweep.finished, Some(true));
    assert!(h.state().sweep.outcomes.len() < 12);
}

#[test]
fn the_surface_and_curves_export_as_png_images_of_their_size_on_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness_at(&dir.path().join("history.json"), None);
    h.get_by_label("Step").click();
    wait_until(&mut h, "a surface", |app| app.run.surface.is_some());
    for view in [PngView::Surface, PngView::Curves] {
        let path = dir.path().join(view.file_name());
        // The view's place now; the notice that follows shifts the layout.
        h.run_steps(2);
        let rect = h.state().view_rects.get(view).unwrap();
        h.state_mut().export_png(view, path.clone());
        wait_until(&mut h, "the image", |app| {
            app.run
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
        h.state_mut().run.notice = None;
    }
}

#[test]
fn a_saved_session_opens_the_same_setup() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.json");
    let session = dir.path().join("lesson.json");
    let mut h = harness_at(&history, None);
    {
        let s = &mut h.state_mut().settings;
        s.spec.hidden = vec![5, 3];
        s.train.learning_rate = 0.02;
        s.train.seed = 9;
        s.synth.rows = 300;
    }
    h.state_mut().settings.source =
        purchase_lab::data::Source::Generated(h.state().settings.synth.clone());
    h.state_mut().save_session(session.clone());
    wait_until(&mut h, "the session file", |app| {
        app.run
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("session saved"))
    });
    let saved = h.state().settings.clone();
    drop(h);

    // `purchase-lab lesson.json` opens it.
    let h = harness_at(&history, Some(session));
    let s = &h.state().settings;
    assert_eq!(s.spec, saved.spec);
    assert_eq!(s.train, saved.train);
    assert_eq!(s.source, saved.source);
    assert_eq!(s.problem, saved.problem);
    assert_eq!(h.state().table.as_ref().unwrap().n_rows(), 300);
}
