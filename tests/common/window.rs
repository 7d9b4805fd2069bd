//! Driving the window in tests (egui_kittest): opening it on a temporary
//! history, stepping frames until something holds, and changing settings
//! or loading a file as a user would. Used by ui.rs and runs_ui.rs; each
//! test binary uses only some of these.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use purchase_lab::app::settings::Settings;
use purchase_lab::app::{AppCommand, PurchaseLabApp};
use purchase_lab::tune::device_choice::{CACHE_FILE, ChoiceStore};

pub type Window = Harness<'static, PurchaseLabApp>;

/// The window at the usual size, its run history at `history` (`None`:
/// kept in memory, so tests never touch the user's), opening `file` as the
/// command line would; returns once the data is loaded and prepared.
pub fn open(history: Option<&Path>, file: Option<PathBuf>) -> Window {
    let history = history.map(Path::to_path_buf);
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            PurchaseLabApp::with_files(
                &cc.egui_ctx,
                None,
                file.clone(),
                history.clone(),
                device_choices(),
            )
        });
    wait_until(&mut h, "the data to load", |app| {
        app.data().table().is_some() && app.data().prepared().is_some()
    });
    h
}

/// Steps frames (the app polls its background threads each frame) until
/// `done` holds, failing after a generous timeout with what the app says.
pub fn wait_until(h: &mut Window, what: &str, mut done: impl FnMut(&PurchaseLabApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done(h.state()) {
        let app = h.state();
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; loading {:?}, data error {:?}, recipe error {:?}, \
             run error {:?}, runs notice {:?}, sweep error {:?}",
            app.data().loading(),
            app.data().data_error(),
            app.data().prep_error(),
            app.run().error,
            app.windows().runs.notice,
            app.windows().sweep.error
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.step();
}

/// Steps frames until the status line's notice contains `text`.
pub fn wait_for_notice(h: &mut Window, text: &str) {
    wait_until(h, text, |app| {
        app.run()
            .notice
            .as_deref()
            .is_some_and(|n| n.contains(text))
    });
}

/// Queues `command` and draws a frame, after which it has been applied.
pub fn command(h: &mut Window, command: AppCommand) {
    h.state_mut().push(command);
    h.step();
}

/// Saves the model being trained as `path`, as Save model… does, and
/// waits for the notice that it was written.
pub fn save_model(h: &mut Window, path: &Path) {
    command(h, AppCommand::SaveModel(path.to_path_buf()));
    wait_until(h, "the model file", |app| {
        app.run()
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("saved"))
    });
}

/// Changes settings the way the controls do (several at once, as a
/// session file would), then draws a frame.
pub fn edit_settings(h: &mut Window, edit: impl FnOnce(&mut Settings)) {
    let mut settings = h.state().settings().clone();
    edit(&mut settings);
    command(h, AppCommand::SetSettings(Box::new(settings)));
}

/// The data panel's caption, which labels its path field.
const PATH_FIELD: &str = "…or drop a file onto the window, or type its path:";

/// Opens "Open a CSV file", types `path` into its field and clicks Load.
pub fn type_and_load(h: &mut Window, path: &Path) {
    h.get_by_label("Open a CSV file").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, PATH_FIELD).click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::TextInput, PATH_FIELD)
        .type_text(&path.display().to_string());
    h.step();
    h.get_by_label("Load").click();
}

/// Replaces the text of the field labelled `label` (as a screen reader
/// would), then draws a frame.
pub fn set_text(h: &mut Window, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label)
        .set_text_value_accesskit(text);
    h.step();
}

/// An eframe settings store in memory: the window's storage between two
/// launches in a test.
#[derive(Default)]
pub struct MemoryStorage(HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// Saves the window's settings as eframe does on exit, and opens a new
/// window from them, as the next launch would.
pub fn relaunch(h: &mut Window) -> Window {
    let mut storage = MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| {
            PurchaseLabApp::with_files(&cc.egui_ctx, Some(&storage), None, None, device_choices())
        })
}

/// `Auto`'s device measurements, shared by the window tests in one file in
/// cargo's temporary folder (not the runner's data directory), so each
/// network shape is timed once per target directory, as a user's would be
/// once per machine.
pub fn device_choices() -> ChoiceStore {
    // Where the CLI tests' binaries keep it too (XDG_DATA_HOME there).
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-home");
    ChoiceStore::at(dir.join("purchase-lab").join(CACHE_FILE))
}

/// Steps frames for `span` of wall time (a tooltip waits for a resting
/// pointer; a paced run for its next epoch).
pub fn keep_drawing(h: &mut Window, span: Duration) {
    let start = Instant::now();
    while start.elapsed() < span {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Hovers the node `role` / `label` as a resting pointer would and returns
/// where the tooltip showing `tip` was drawn (a label whose text contains
/// it; a widget's own accessible description does not count), or `None`.
pub fn tooltip_of(
    h: &mut Window,
    role: Role,
    label: &str,
    tip: &str,
) -> Option<eframe::egui::Rect> {
    // Away first, so an earlier tooltip closes (one per layer at a time).
    h.get_by_label("Purchase Lab").hover();
    keep_drawing(h, Duration::from_millis(300));
    h.get_by_role_and_label(role, label).hover();
    keep_drawing(h, Duration::from_millis(800));
    h.query_all_by_role(Role::Label)
        .find(|n| n.accesskit_node().value().is_some_and(|v| v.contains(tip)))
        .map(|n| n.rect())
}
