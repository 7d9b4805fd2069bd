//! The window's side of issue 18's crosses and generators: the new
//! presets chosen from the generator menu (levels, counts, the same data
//! for the same seed), and feature crosses ticked in the data panel
//! reaching the prepared inputs and a decision surface.
//!
//! Multi-class training is not checked here: until it lands a three-level
//! target trains one level against the rest.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::collections::BTreeMap;

use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
mod common;
use common::window::{self, Window, edit_settings, wait_until};
use purchase_lab::data::Table;
use purchase_lab::data::prep::Cross;

/// Each label of `column` with its count.
fn counts(table: &Table, column: &str) -> BTreeMap<String, usize> {
    let c = table.column(column).unwrap();
    let mut counts = BTreeMap::new();
    for r in 0..table.n_rows() {
        *counts.entry(c.text(r).unwrap().into_owned()).or_insert(0) += 1;
    }
    counts
}

/// Picks `preset` in the generator's menu as a user does (choosing a
/// preset generates it) and waits for the table whose target is
/// `target`, prepared.
fn choose_preset(h: &mut Window, preset: &str, target: &str) {
    // A click on the box toggles its menu: a second try if the first
    // closed it (the box's popup state survives the last choice).
    for _ in 0..3 {
        h.get_by_label("preset").click_accesskit();
        h.run_steps(3);
        if let Some(entry) = h.query_by_role_and_label(Role::Button, preset) {
            entry.click_accesskit();
            break;
        }
    }
    h.run_steps(2);
    wait_until(h, preset, |app| {
        app.settings().synth.preset.name() == preset
            && app
                .data()
                .table()
                .is_some_and(|t| t.column(target).is_some())
            && app.data().prepared().is_some()
    });
}

fn table(h: &Window) -> Table {
    h.state().data().table().unwrap().as_ref().clone()
}

#[test]
fn the_new_presets_come_from_the_generator_menu_with_their_levels_and_seed() {
    let mut h = window::open(None, None);
    choose_preset(&mut h, "blobs3", "class");
    let rows = h.state().settings().synth.rows;
    let blobs = table(&h);
    let levels = counts(&blobs, "class");
    assert_eq!(
        levels.keys().collect::<Vec<_>>(),
        ["blue", "green", "orange"]
    );
    assert_eq!(levels.values().sum::<usize>(), rows);
    let orange = (rows as f64 * h.state().settings().synth.balance).round() as usize;
    assert_eq!(levels["orange"], orange);
    assert!(levels["blue"].abs_diff(levels["green"]) <= 1, "{levels:?}");

    choose_preset(&mut h, "segments", "plan");
    assert!(
        h.query_by_label("share positive").is_none(),
        "segments' plan shares follow from its customers"
    );
    let segments = table(&h);
    let plans = counts(&segments, "plan");
    assert_eq!(
        plans.keys().collect::<Vec<_>>(),
        ["basic", "family", "plus", "premium"]
    );
    assert_eq!(plans.values().sum::<usize>(), rows);
    assert_eq!(
        h.state().settings().problem.as_ref().unwrap().target,
        "plan"
    );

    // The same seed gives the same customers; another seed others.
    regenerate(&mut h);
    assert_eq!(table(&h), segments);
    edit_settings(&mut h, |s| s.synth.seed += 1);
    regenerate(&mut h);
    let other = table(&h);
    assert_ne!(other, segments);
    assert_eq!(counts(&other, "plan").len(), 4);
}

/// Clicks Regenerate and waits until that load has finished.
fn regenerate(h: &mut Window) {
    h.get_by_label("Regenerate").click_accesskit();
    h.run_steps(2);
    wait_until(h, "the regenerated data", |app| {
        app.data().loading().is_none()
            && app.data().table().is_some()
            && app.data().prepared().is_some()
    });
}

#[test]
fn ticked_crosses_become_inputs_and_the_surface_still_draws() {
    let mut h = window::open(None, None);
    choose_preset(&mut h, "circle", "class");
    h.get_by_label("x1²").click_accesskit();
    h.run_steps(2);
    h.get_by_label("x2²").click_accesskit();
    h.run_steps(2);
    assert_eq!(
        h.state().settings().problem.as_ref().unwrap().crosses,
        [
            Cross::Square {
                column: "x1".into()
            },
            Cross::Square {
                column: "x2".into()
            }
        ]
    );
    wait_until(&mut h, "the crossed inputs", |app| {
        app.data()
            .prepared()
            .is_some_and(|p| p.pipeline.feature_names() == ["x1", "x2", "x1²", "x2²"])
    });
    h.get_by_label("Step").click();
    wait_until(&mut h, "a surface over the crossed inputs", |app| {
        app.run().surface.as_ref().is_some_and(|s| {
            s.values.len() == s.resolution * s.resolution && s.values.iter().all(|v| v.is_finite())
        })
    });
    assert!(
        h.state().run().error.is_none(),
        "{:?}",
        h.state().run().error
    );

    // Unticking x1 as a feature drops its cross with it.
    h.get_by_role_and_label(Role::CheckBox, "x1")
        .click_accesskit();
    h.run_steps(2);
    let problem = h.state().settings().problem.clone().unwrap();
    assert_eq!(problem.features, ["x2"]);
    assert_eq!(
        problem.crosses,
        [Cross::Square {
            column: "x2".into()
        }]
    );
    wait_until(&mut h, "x2 and its square", |app| {
        app.data()
            .prepared()
            .is_some_and(|p| p.pipeline.feature_names() == ["x2", "x2²"])
    });
}
