//! The network knobs in the window (issue 18), driven through
//! egui_kittest: a link of the diagram hovered as a user would shows its
//! weight and how it changed over the last epochs; the weights plot opens
//! from the diagram; a layer's own activation and the schedule reach the
//! network that trains.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::time::Duration;

use eframe::egui::{self, accesskit::Role};
use egui_kittest::kittest::{NodeT, Queryable};
mod common;
use common::window::{self, Window, edit_settings, keep_drawing, wait_until};
use purchase_lab::app::network_links::Link;
use purchase_lab::model::{Activation, LrSchedule};

/// Steps the network `epochs` epochs, one Step each, waiting for each
/// epoch's surface (whose weights the history keeps).
fn step_epochs(h: &mut Window, epochs: usize) {
    for n in 1..=epochs {
        h.get_by_label("Step").click();
        wait_until(h, "the epoch's surface", |app| {
            app.run().history.len() == n
                && app
                    .run()
                    .weight_history
                    .bands()
                    .last()
                    .is_some_and(|b| b.epoch == n)
        });
    }
    h.run_steps(2);
}

/// The text of the label containing `text`, if one is shown.
fn label_containing(h: &Window, text: &str) -> Option<String> {
    h.query_all_by_role(Role::Label)
        .filter_map(|n| n.accesskit_node().value())
        .find(|v| v.contains(text))
}

/// A network of one hidden layer of 3 neurons (default activation),
/// stepped 3 epochs.
fn train_three_neurons_three_epochs(h: &mut Window) {
    edit_settings(h, |s| {
        s.spec.hidden = vec![3];
        s.spec.layer_activations = Vec::new();
    });
    wait_until(h, "the new network", |app| {
        app.run().history.is_empty() && app.run().weight_history.n_layers() == 0
    });
    step_epochs(h, 3);
}

/// The first link the diagram draws from an input.
fn first_input_link(h: &Window) -> Link {
    *h.state()
        .diagram_links()
        .iter()
        .find(|l| l.layer == 0)
        .expect("the diagram draws the input links")
}

/// Rests the pointer on `link`, a third of the way along, and returns the
/// tooltip that shows.
fn hover(h: &mut Window, link: Link) -> String {
    let point = link.start + (link.end - link.start) * 0.3;
    h.event(egui::Event::PointerMoved(point));
    keep_drawing(h, Duration::from_millis(600));
    label_containing(h, "Weight from input").expect("a tooltip for the link")
}

#[test]
fn hovering_a_link_shows_its_weight_and_its_last_epochs() {
    let mut h = window::open(None, None);
    train_three_neurons_three_epochs(&mut h);

    let link = first_input_link(&h);
    let app = h.state();
    let inputs = app.data().prepared().unwrap().pipeline.feature_names();
    let layer = &app.run().surface.as_ref().unwrap().weights[0];
    let weight = layer.weights[link.to * layer.n_in + link.from];
    let head = format!(
        "Weight from input {} to layer 1 neuron {}: {weight:+.4}",
        inputs[link.from],
        link.to + 1
    );
    // One weight per epoch: 1 to 3, after the untrained network's (epoch
    // 0) when its first surface came in time.
    let kept = app.run().weight_history.link(0, link.from, link.to);
    let kept_epochs: Vec<usize> = kept.iter().map(|(e, _)| *e).collect();
    assert!(
        kept_epochs == [1, 2, 3] || kept_epochs == [0, 1, 2, 3],
        "{kept_epochs:?}"
    );
    let past: Vec<String> = kept.iter().map(|(_, w)| format!("{w:+.3}")).collect();
    let epochs = format!("epochs {} to 3: {}", kept_epochs[0], past.join(", "));

    let text = hover(&mut h, link);
    assert!(text.starts_with(&head), "{text:?} should start {head:?}");
    assert!(text.contains(&epochs), "{text:?} should hold {epochs:?}");
    assert!(text.contains("change "), "{text:?}");

    // Away from every link: no tooltip.
    h.event(egui::Event::PointerMoved(egui::pos2(5.0, 5.0)));
    keep_drawing(&mut h, Duration::from_millis(300));
    assert!(label_containing(&h, "Weight from input").is_none());
}

#[test]
fn the_weights_plot_opens_from_the_diagram_and_the_knobs_reach_the_network() {
    let mut h = window::open(None, None);
    edit_settings(&mut h, |s| {
        s.spec.hidden = vec![4, 3];
        s.spec.layer_activations = vec![Activation::Tanh, Activation::Relu];
        s.train.schedule = LrSchedule::Cosine {
            floor: 0.1,
            warmup: 1,
        };
    });
    wait_until(&mut h, "the new network", |app| {
        app.run().history.is_empty()
    });
    h.get_by_label("weights plot").click();
    h.run_steps(2);
    assert!(label_containing(&h, "The weights appear once the network has trained").is_some());
    step_epochs(&mut h, 2);
    assert!(label_containing(&h, "Per layer: median line").is_some());
    let bands = h.state().run().weight_history.bands();
    let epochs: Vec<usize> = bands.iter().map(|b| b.epoch).collect();
    assert!(epochs == [1, 2] || epochs == [0, 1, 2], "{epochs:?}");
    assert_eq!(bands[0].layers.len(), 3, "two hidden layers and the output");
    // Each layer trained with its own activation: the tanh layer's units
    // go negative somewhere on the surface, the ReLU layer's never do.
    let surface = h.state().run().surface.clone().unwrap();
    let values = |layer: usize| surface.units[layer].iter().flatten().copied();
    assert!(values(0).all(|v| (-1.0..=1.0).contains(&v)));
    assert!(values(0).any(|v| v < -1e-3), "tanh gives negative values");
    assert!(values(1).all(|v| v >= 0.0), "ReLU never does");
}

#[test]
fn without_two_numeric_features_the_links_still_show_their_weights() {
    // One numeric feature beside a categorical one: no decision surface to
    // draw, but the diagram's links and the weight history follow training.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one_numeric.csv");
    let mut csv = String::from("minutes,region,bought\n");
    for i in 0..200 {
        let minutes = (i * 37) % 60;
        let region = ["north", "south", "east"][i % 3];
        let bought = if minutes > 30 { "yes" } else { "no" };
        csv.push_str(&format!("{minutes},{region},{bought}\n"));
    }
    std::fs::write(&path, csv).unwrap();
    let mut h = window::open(None, Some(path));
    wait_until(&mut h, "the file's data", |app| {
        app.data().prepared().is_some_and(|p| {
            p.pipeline
                .feature_names()
                .iter()
                .any(|f| f.contains("region"))
        })
    });
    train_three_neurons_three_epochs(&mut h);

    let app = h.state();
    assert!(
        app.run().surface.is_none(),
        "one numeric feature: no surface"
    );
    let bands = app.run().weight_history.bands();
    assert_eq!(
        bands.last().map(|b| b.layers.len()),
        Some(2),
        "hidden and output"
    );
    let link = first_input_link(&h);
    let text = hover(&mut h, link);
    assert!(!text.contains("not trained yet"), "{text:?}");
    assert!(
        text.contains("epochs ") && text.contains(" to 3: "),
        "{text:?}"
    );
}
