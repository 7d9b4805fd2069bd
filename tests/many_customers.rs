//! Many customers on the decision surface (issue 21): the user chooses
//! between dots (fainter past a few thousand, so the heatmap shows), a
//! density layer, and `auto` (the default: dots up to 100,000 customers,
//! density past them), and the choice is a remembered setting.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
mod common;
use common::window::{self, Window, edit_settings, wait_until};
use purchase_lab::app::AppCommand;
use purchase_lab::app::crowd::PointStyle;
use purchase_lab::app::settings::Source;

/// Chooses `style` in the surface's "customers" box, as a user does.
fn choose(h: &mut Window, style: &str) {
    h.get_by_role_and_label(Role::ComboBox, "customers").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, style).click();
    h.run_steps(2);
}

#[test]
fn the_customers_are_drawn_as_dots_or_as_a_density_layer_as_the_user_chooses() {
    let mut h = window::open(None, None);
    // Five thousand customers: past the point where solid dots hide the
    // heatmap.
    edit_settings(&mut h, |s| s.synth.rows = 5_000);
    h.get_by_label("Regenerate").click();
    wait_until(&mut h, "5,000 customers", |app| {
        app.data().table().is_some_and(|t| t.n_rows() == 5_000) && app.data().prepared().is_some()
    });
    h.get_by_label("Step").click();
    wait_until(&mut h, "a surface", |app| app.run().surface.is_some());
    // Auto by default: dots for 5,000 customers, the density layer only
    // past 100,000 (crowd.rs's unit test holds the cut).
    assert_eq!(h.state().settings().points, PointStyle::Auto);

    choose(&mut h, "density");
    assert_eq!(h.state().settings().points, PointStyle::Density);
    h.run_steps(3);
    // The surface is still drawn, with its colour bar.
    assert!(
        h.query_by_label_contains("colour: probability of")
            .is_some()
    );

    choose(&mut h, "dots");
    assert_eq!(h.state().settings().points, PointStyle::Dots);
}

/// A file that arrives slowly: a named pipe the test writes into, so the
/// load is caught half-way every time (no race with a fast disk).
#[cfg(unix)]
#[test]
fn a_load_in_progress_shows_how_far_it_got_and_can_be_cancelled() {
    use std::io::Write;
    use std::sync::mpsc::sync_channel;

    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("slow.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let (go_on, rest) = sync_channel::<()>(1);
    let writer = {
        let pipe = pipe.clone();
        std::thread::Builder::new()
            .name("slow-file".into())
            .spawn(move || {
                // Opening blocks until the window opens it to read.
                let mut out = std::fs::OpenOptions::new().write(true).open(&pipe).unwrap();
                let mut text = String::from("a,b,label\n");
                for i in 0..20_000 {
                    text.push_str(&format!("{i},{},{}\n", i % 7, i % 2));
                }
                out.write_all(text.as_bytes()).unwrap();
                out.flush().unwrap();
                // The rest only once the test has looked (and cancelled);
                // the reader may be gone by then.
                let _ = rest.recv();
                let _ = out.write_all(text.as_bytes());
            })
            .unwrap()
    };

    let mut h = window::open(None, None);
    common::window::type_and_load(&mut h, &pipe);
    wait_until(&mut h, "the first bytes", |app| {
        app.data().load_progress().is_some_and(|(read, _)| read > 0)
    });
    h.run_steps(2);
    // A pipe has no size: the panel says how much it has read.
    assert!(h.query_by_label_contains("MB read").is_some());
    h.get_by_label("Cancel loading").click();
    h.run_steps(2);
    go_on.send(()).unwrap();
    wait_until(&mut h, "the load to stop", |app| {
        app.data().loading().is_none()
    });
    writer.join().unwrap();

    let app = h.state();
    assert!(
        app.data()
            .data_error()
            .is_some_and(|e| e.contains("cancelled")),
        "{:?}",
        app.data().data_error()
    );
    // The data from before is still there.
    assert!(
        app.data()
            .table()
            .is_some_and(|t| t.column("visit_minutes").is_some())
    );
}

/// A large table is prepared (split, missing values, scaling) on the
/// preparation thread while the window keeps drawing: the data panel says
/// so, the matrices of the table before are never shown with the new one,
/// and a preparation overtaken by a newer recipe is dropped when it
/// arrives.
#[test]
fn a_large_table_is_prepared_off_the_ui_thread_and_a_stale_preparation_is_dropped() {
    let rows = 300_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("customers.csv");
    let settings = purchase_lab::data::synth::SynthSettings {
        preset: purchase_lab::data::synth::Preset::Customers,
        rows,
        ..Default::default()
    };
    let table = purchase_lab::data::synth::generate(&settings).unwrap();
    purchase_lab::data::write::write_csv(&table, &file).unwrap();
    let mut h = window::open(None, None);
    window::command(&mut h, AppCommand::LoadSource(Source::File(file)));
    wait_until(&mut h, "300,000 customers", |app| {
        app.data().table().is_some_and(|t| t.n_rows() == rows)
    });
    assert!(
        h.state().data().preparing(),
        "the table is in, its matrices are being made"
    );
    assert!(
        h.state().data().prepared().is_none(),
        "the matrices of the table before were kept with the new table"
    );
    assert!(
        h.query_by_label_contains("preparing the data").is_some(),
        "the data panel does not say it is preparing"
    );
    // A new test share while it works: the preparation under way is for
    // the old one and must never be taken.
    edit_settings(&mut h, |s| s.problem.as_mut().unwrap().test_fraction = 0.3);
    wait_until(&mut h, "the matrices", |app| {
        app.data().prepared().is_some()
    });
    let prepared = h.state().data().prepared().unwrap().clone();
    let total = prepared.train.x.rows + prepared.valid.x.rows + prepared.test.x.rows;
    assert_eq!(total, rows);
    let share = prepared.test.x.rows as f64 / rows as f64;
    assert!(
        (share - 0.3).abs() < 0.01,
        "test share {share}: the stale preparation (20 %) was taken"
    );
    assert!(!h.state().data().preparing());
    assert!(h.query_by_label_contains("preparing the data").is_none());
    // The run starts on them.
    h.get_by_label("Step").click();
    wait_until(&mut h, "an epoch", |app| !app.run().history.is_empty());
}
