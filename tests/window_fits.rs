//! A screen that fits (issues 20 and 21): at 1280 × 800, at 1920 × 1080 and
//! at 150 % zoom every view keeps its room, the toolbar wraps instead of
//! dropping controls off the edge, a 20-column what-if form can be scrolled
//! to its last field, tooltips sit beside what they explain, and
//! presentation mode is one click and remembered.
//!
//! A zoomed window is simulated as egui-winit makes it: the zoom factor
//! set, and the screen that many times fewer points across.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use eframe::egui::accesskit::Role;
use eframe::egui::{self, Rect, Vec2};
use egui_kittest::kittest::{NodeT, Queryable};
mod common;
use common::window::{self, Window, wait_until};
use purchase_lab::app::layout::PRESENTATION_ZOOM;

/// The screen as the window sees it at `pixels` and the current zoom.
fn resize(h: &mut Window, pixels: [f32; 2]) -> Rect {
    let zoom = h.ctx.zoom_factor();
    let size = Vec2::new(pixels[0], pixels[1]) / zoom;
    h.set_size(size);
    h.run_steps(4);
    Rect::from_min_size(egui::Pos2::ZERO, size)
}

/// The window after one epoch, so the surface and its colour bar show.
fn trained_window(file: Option<std::path::PathBuf>) -> Window {
    let mut h = window::open(None, file);
    h.get_by_label("Step").click();
    wait_until(&mut h, "a decision surface", |app| {
        app.run().surface.is_some() && !app.run().history.is_empty()
    });
    h.run_steps(3);
    h
}

/// The surface keeps a fair share of the screen, its colour bar stays
/// above the network diagram, and the toolbar's last controls are on
/// screen.
fn check_layout(h: &Window, screen: Rect, what: &str) {
    let rects = h.state().view_rects();
    let surface = rects.surface.unwrap();
    let diagram = rects.diagram.unwrap();
    // A third of the width and more: at 150 % on 1280 x 800 the panels
    // keep their least widths (230 and 270 of 853 points).
    assert!(
        surface.width() >= 0.35 * screen.width(),
        "{what}: the surface is squeezed to {} of {} points",
        surface.width(),
        screen.width()
    );
    assert!(
        surface.bottom() <= diagram.top() + 1.0,
        "{what}: the surface's colour bar ({surface:?}) runs into the diagram ({diagram:?})"
    );
    // The results panel's widest lines wrap rather than running off the
    // screen. (Whether they stay clear of the surface is not checked here:
    // under kittest the surface's rect reaches into the results panel at
    // 1280 x 800 although the real window does not; see the report.)
    for control in [
        "watch test rows",
        "Cross-validate...",
        "log scale",
        "Sweep",
        "Session",
        "presentation",
        "Open model…",
    ] {
        let rect = h.get_by_label(control).rect();
        assert!(
            screen.contains_rect(rect),
            "{what}: `{control}` at {rect:?} is off the {screen:?} screen"
        );
    }
}

#[test]
fn the_views_fit_at_1280_by_800_at_1920_by_1080_and_at_a_projectors_zoom() {
    let mut h = trained_window(None);
    let screen = resize(&mut h, [1280.0, 800.0]);
    check_layout(&h, screen, "1280 x 800");
    let screen = resize(&mut h, [1920.0, 1080.0]);
    check_layout(&h, screen, "1920 x 1080");

    // Presentation mode: 150 %, on the small screen.
    h.get_by_label("presentation").click();
    h.run_steps(2);
    assert_eq!(h.ctx.zoom_factor(), PRESENTATION_ZOOM);
    let screen = resize(&mut h, [1280.0, 800.0]);
    check_layout(&h, screen, "1280 x 800 at 150 %");

    h.get_by_label("presentation").click();
    h.run_steps(2);
    assert_eq!(h.ctx.zoom_factor(), 1.0);
}

/// Every widget drawn in a panel lies within that panel: a side panel's
/// content wraps, elides or shrinks to the panel's width instead of running
/// under the surface or off the screen, and the centre's stays between the
/// side panels. A widget belongs to the panel its centre is in; one
/// scrolled out of sight (above or below its panel) is not looked at.
fn check_panels_hold_their_content(h: &Window, screen: Rect, what: &str) {
    let rects = h.state().view_rects();
    let panels = [
        ("data panel", rects.controls.unwrap()),
        ("results panel", rects.results.unwrap()),
        ("centre", rects.centre.unwrap()),
    ];
    let mut faults = Vec::new();
    for (name, panel) in panels {
        if !screen.expand(1.0).contains_rect(panel) {
            faults.push(format!(
                "the {name} at {panel:?} is not all on the {screen:?} screen"
            ));
        }
    }
    let ppp = h.ctx.pixels_per_point();
    for node in h.query_all_by(|_| true) {
        // In points, as `Node::rect` gives it (which panics on a node
        // without bounds, such as an empty container).
        let Some(b) = node.accesskit_node().bounding_box() else {
            continue;
        };
        let r = Rect::from_min_max(
            egui::pos2(b.x0 as f32, b.y0 as f32) / ppp,
            egui::pos2(b.x1 as f32, b.y1 as f32) / ppp,
        );
        // A panel's resize handle sits on its edge by design.
        let splitter = node.accesskit_node().role() == Role::Splitter;
        if splitter || r.width() <= 0.0 || r.height() <= 0.0 {
            continue;
        }
        let node = node.accesskit_node();
        let text = node.label().or_else(|| node.value()).unwrap_or_default();
        let widget = format!(
            "{:?} `{text}` at x {:.0}..{:.0}, y {:.0}..{:.0}",
            node.role(),
            r.left(),
            r.right(),
            r.top(),
            r.bottom()
        );
        if r.left() < screen.left() - 1.0 || r.right() > screen.right() + 1.0 {
            faults.push(format!("{widget} runs off the screen"));
        }
        for (name, panel) in panels {
            let in_sight = r.top() >= panel.top() - 1.0 && r.bottom() <= panel.bottom() + 1.0;
            if !in_sight || !panel.contains(r.center()) {
                continue;
            }
            if r.left() < panel.left() - 1.0 || r.right() > panel.right() + 1.0 {
                faults.push(format!("{widget} runs out of the {name} at {panel:?}"));
            }
        }
    }
    assert!(
        faults.is_empty(),
        "{what}, panels {panels:?}:\n{}",
        faults.join("\n")
    );
}

/// `label`'s widget is wholly inside the side panel `panel` (not cut by
/// its edge or the screen's).
fn check_fully_shown(h: &Window, label: &str, panel: Rect, what: &str) {
    let rect = h.get_by_label(label).rect();
    assert!(
        panel.expand(1.0).contains_rect(rect),
        "{what}: `{label}` at {rect:?} is cut by its panel at {panel:?}"
    );
}

#[test]
fn each_panel_holds_its_content_at_1280_by_800_at_1920_by_1080_and_at_150_percent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("telco.csv");
    let table = purchase_lab::bench::data::telco_table(1500, 7).unwrap();
    purchase_lab::data::write::write_csv(&table, &file).unwrap();
    let mut h = trained_window(Some(file));
    for (pixels, zoomed) in [
        ([1280.0, 800.0], false),
        ([1920.0, 1080.0], false),
        ([1280.0, 800.0], true),
        ([1920.0, 1080.0], true),
    ] {
        if zoomed != h.state().settings().presentation {
            h.get_by_label("presentation").click();
            h.run_steps(2);
        }
        let screen = resize(&mut h, pixels);
        let what = format!(
            "{} x {}{}",
            pixels[0],
            pixels[1],
            if zoomed { " at 150 %" } else { "" }
        );
        check_panels_hold_their_content(&h, screen, &what);
        let controls = h.state().view_rects().controls.unwrap();
        let results = h.state().view_rects().results.unwrap();
        for label in ["Open CSV…", "Load"] {
            check_fully_shown(&h, label, controls, &what);
        }
        for label in ["Cross-validate...", "Insights...", "log scale"] {
            check_fully_shown(&h, label, results, &what);
        }
    }
}

#[test]
fn presentation_mode_is_remembered_between_launches() {
    let mut h = window::open(None, None);
    h.get_by_label("presentation").click();
    h.run_steps(2);
    assert!(h.state().settings().presentation);
    let relaunched = window::relaunch(&mut h);
    assert!(relaunched.state().settings().presentation);
    assert_eq!(relaunched.ctx.zoom_factor(), PRESENTATION_ZOOM);
}

#[test]
fn a_twenty_column_what_if_form_scrolls_to_its_last_field_at_150_percent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("telco.csv");
    let table = purchase_lab::bench::data::telco_table(1500, 7).unwrap();
    purchase_lab::data::write::write_csv(&table, &file).unwrap();
    assert_eq!(table.columns().len(), 20);

    let mut h = trained_window(Some(file));
    h.get_by_label("presentation").click();
    h.run_steps(2);
    let screen = resize(&mut h, [1280.0, 800.0]);
    // The form's last field: the right-hand one of the labels of that name
    // (the data panel's feature tick box has it too).
    let last = "total_charges";
    let field = |h: &Window| {
        h.query_all_by_label(last)
            .map(|n| n.rect())
            .max_by(|a, b| a.left().total_cmp(&b.left()))
            .unwrap()
    };
    assert!(
        !screen.contains_rect(field(&h)),
        "at 150 % the 20-field form is longer than the screen (else this test shows nothing)"
    );
    let node = h
        .query_all_by_label(last)
        .max_by(|a, b| a.rect().left().total_cmp(&b.rect().left()))
        .unwrap();
    node.scroll_to_me();
    h.run_steps(4);
    let rect = field(&h);
    assert!(
        screen.contains_rect(rect),
        "the what-if form's last field at {rect:?} cannot be scrolled onto the {screen:?} screen"
    );
}

#[test]
fn the_surfaces_tooltips_do_not_cover_the_plot_they_explain() {
    let mut h = trained_window(None);
    let plot = h.state().view_rects().surface_plot.unwrap();
    for (role, control, tip) in [
        (
            Role::CheckBox,
            "discretize",
            "Show only the predicted class",
        ),
        (
            Role::CheckBox,
            "test points",
            "Also show the held-back test customers",
        ),
        (Role::ComboBox, "customers", "dots: one per customer"),
    ] {
        let shown = window::tooltip_of(&mut h, role, control, tip)
            .unwrap_or_else(|| panic!("no tooltip for `{control}`"));
        assert!(
            !shown.intersects(plot),
            "`{control}`'s tooltip at {shown:?} covers the plot at {plot:?}"
        );
    }
}

/// The Insights and Runs windows fit a zoomed small screen: their title
/// bars and close buttons stay on it and their content scrolls instead of
/// running off the bottom.
#[test]
fn the_insights_and_runs_windows_fit_the_screen_at_150_percent() {
    let mut h = trained_window(None);
    h.get_by_label("presentation").click();
    h.run_steps(2);
    let screen = resize(&mut h, [1280.0, 800.0]);
    h.get_by_label_contains("Runs (").click();
    h.run_steps(2);
    // As "Insights..." does (the Runs window may now cover that button).
    window::command(&mut h, purchase_lab::app::AppCommand::OpenInsights);
    h.run_steps(6);
    for title in ["Insights", "Runs"] {
        let rect = h.get_by_role_and_label(Role::Window, title).rect();
        assert!(
            screen.expand(1.0).contains_rect(rect),
            "the {title} window at {rect:?} runs off the {screen:?} screen"
        );
    }
}
