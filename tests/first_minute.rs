//! The window's first minute (issue 21): Play shows the boundary forming at
//! a pace the eye can follow, full speed is one click away and remembered,
//! and the keyboard drives Play / Pause, Step and Reset.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::time::Duration;

use eframe::egui::Key;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
mod common;
use common::window::{self, keep_drawing, wait_until};
use purchase_lab::app::settings::{DEFAULT_PACE, Settings};

#[test]
fn a_fresh_window_plays_at_a_pace_the_eye_can_follow() {
    let fresh = Settings::default();
    let pace = fresh.pace.expect("a fresh window is paced");
    assert_eq!(fresh.pace, DEFAULT_PACE);
    // The default run lasts several seconds at that pace.
    let seconds = fresh.train.epochs as f64 / pace;
    assert!((4.0..=20.0).contains(&seconds), "{seconds} s");

    let mut h = window::open(None, None);
    assert_eq!(h.state().settings().pace, DEFAULT_PACE);
    h.get_by_label("Play").click();
    wait_until(&mut h, "the first epoch", |app| {
        !app.run().history.is_empty()
    });
    keep_drawing(&mut h, Duration::from_secs(1));
    // Unpaced, the 200 epochs are done in about a second; paced, a second
    // shows at most the pace's worth (and a frame's slack).
    let run = h.state().run();
    assert!(!run.finished, "the run must still be forming");
    let cap = (pace * 1.5).ceil() as usize + 2;
    assert!(
        run.history.len() <= cap,
        "{} epochs in one second at {pace} a second",
        run.history.len()
    );
}

#[test]
fn full_speed_is_one_click_and_survives_a_restart() {
    let mut h = window::open(None, None);
    h.get_by_label("full speed").click();
    h.run_steps(2);
    assert_eq!(h.state().settings().pace, None);
    // The next launch reads the settings back.
    let relaunched = window::relaunch(&mut h);
    assert_eq!(relaunched.state().settings().pace, None);

    // And one more click goes back to the watchable pace.
    h.get_by_label("full speed").click();
    h.run_steps(2);
    assert_eq!(h.state().settings().pace, DEFAULT_PACE);
}

#[test]
fn space_plays_and_pauses_s_and_the_right_arrow_step_r_resets() {
    let mut h = window::open(None, None);
    h.key_press(Key::Space);
    h.run_steps(2);
    assert!(h.state().run().playing, "Space plays");
    wait_until(&mut h, "an epoch", |app| !app.run().history.is_empty());
    h.key_press(Key::Space);
    h.run_steps(2);
    assert!(!h.state().run().playing, "Space again pauses");
    let paused_at = {
        wait_until(&mut h, "the pause to settle", |app| !app.run().playing);
        keep_drawing(&mut h, Duration::from_millis(200));
        h.state().run().epoch()
    };

    h.key_press(Key::S);
    wait_until(&mut h, "a step", |app| app.run().epoch() == paused_at + 1);
    h.key_press(Key::ArrowRight);
    wait_until(&mut h, "another step", |app| {
        app.run().epoch() == paused_at + 2
    });
    assert!(!h.state().run().playing, "a step leaves the run paused");

    h.key_press(Key::R);
    wait_until(&mut h, "a fresh network", |app| {
        app.run().history.is_empty()
    });
    keep_drawing(&mut h, Duration::from_millis(200));
    assert!(h.state().run().history.is_empty(), "reset, and paused");
}

#[test]
fn the_buttons_tooltips_name_their_keys() {
    let mut h = window::open(None, None);
    for (button, key) in [
        ("Play", "shortcut: Space"),
        ("Step", "shortcut: S or Right arrow"),
        ("Reset", "shortcut: R"),
    ] {
        assert!(
            window::tooltip_of(&mut h, Role::Button, button, key).is_some(),
            "{button}'s tooltip should say `{key}`"
        );
    }
}

#[test]
fn typing_in_a_text_field_does_not_train() {
    let mut h = window::open(None, None);
    // The path field of "Open a CSV file", focused as a user clicks in it.
    h.get_by_label("Open a CSV file").click();
    h.run_steps(2);
    let field = "…or drop a file onto the window, or type its path:";
    h.get_by_role_and_label(Role::TextInput, field).click();
    h.run_steps(2);
    assert!(h.ctx.text_edit_focused(), "the path field has focus");
    for key in [Key::Space, Key::S, Key::R, Key::ArrowRight] {
        h.key_press(key);
        h.run_steps(2);
    }
    keep_drawing(&mut h, Duration::from_millis(300));
    let run = h.state().run();
    assert!(!run.playing, "Space typed into a field must not play");
    assert!(run.history.is_empty(), "S typed into a field must not step");
}
