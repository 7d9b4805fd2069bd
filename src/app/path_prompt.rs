//! The typed-path stand-in for a file dialog. Where the system has no
//! file-dialog service (on Linux, no desktop portal on the session bus),
//! `rfd` returns at once with nothing, which looks like a cancel: every
//! file action (Open CSV…, Save model…, PNG…, sessions, CSV exports) then
//! opens this small window instead, says why, and takes a path.

use std::path::PathBuf;
use std::time::Duration;

use eframe::egui;

use super::AppCommand;
use super::background::{Dialog, DialogResult};

/// A dialog that closes with nothing sooner than this was not answered by
/// a person: there is no dialog service.
pub const NO_SERVICE_WITHIN: Duration = Duration::from_millis(300);

/// Why the prompt is shown, in the user's words.
pub const NO_SERVICE: &str = "This system has no file-dialog service (no desktop portal), \
                              so type the file's path instead.";

/// Whether file dialogs certainly cannot open: on Linux and the BSDs the
/// dialog goes through the desktop portal on the D-Bus session bus, so
/// without a session bus there is none. Elsewhere the system dialog is
/// always there.
pub fn dialogs_unavailable() -> bool {
    cfg!(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    )) && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty())
}

/// A file action waiting for its typed path.
#[derive(Debug, Clone, PartialEq)]
pub struct PathPrompt {
    pub kind: Dialog,
    /// The path being typed (a save starts with a file name in the
    /// working directory).
    pub text: String,
}

impl PathPrompt {
    pub fn new(kind: Dialog) -> PathPrompt {
        let text = suggested_name(kind).map_or_else(String::new, |name| {
            std::env::current_dir()
                .map(|d| d.join(name))
                .unwrap_or_else(|_| PathBuf::from(name))
                .display()
                .to_string()
        });
        PathPrompt { kind, text }
    }
}

/// What the prompt asks for, and its button.
fn wording(kind: Dialog) -> (&'static str, &'static str) {
    match kind {
        Dialog::OpenCsv => ("Open customer data (CSV)", "Open"),
        Dialog::SaveModel => ("Save the model (.plab)", "Save"),
        Dialog::OpenModel => ("Open a model (.plab)", "Open"),
        Dialog::SaveRunsCsv => ("Export the runs table (CSV)", "Save"),
        Dialog::SaveHistoryCsv(_) => ("Export a run's epochs (CSV)", "Save"),
        Dialog::SavePng(_) => ("Export the image (PNG)", "Save"),
        Dialog::SaveInsightCsv(_) => ("Export the view's numbers (CSV)", "Save"),
        Dialog::SaveSession => ("Save the session (.json)", "Save"),
        Dialog::OpenSession => ("Open a session (.json)", "Open"),
    }
}

/// The file name a save suggests (the native dialog's default name).
fn suggested_name(kind: Dialog) -> Option<&'static str> {
    match kind {
        Dialog::SaveModel => Some("model.plab"),
        Dialog::SaveRunsCsv => Some("runs.csv"),
        Dialog::SaveHistoryCsv(_) => Some("epochs.csv"),
        Dialog::SavePng(view) => Some(view.file_name()),
        Dialog::SaveInsightCsv(view) => Some(view.csv_name()),
        Dialog::SaveSession => Some("session.json"),
        Dialog::OpenCsv | Dialog::OpenModel | Dialog::OpenSession => None,
    }
}

/// The prompt's window, while there is one; Enter or the button sends the
/// action with the typed path, Cancel closes it.
pub fn show(ctx: &egui::Context, prompt: &mut Option<PathPrompt>) -> Option<AppCommand> {
    let p = prompt.as_mut()?;
    let (title, button) = wording(p.kind);
    let mut done: Option<bool> = None;
    egui::Window::new(title)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.set_max_width(460.0);
            ui.label(NO_SERVICE);
            let hint = ui.weak("file path:");
            let field = ui
                .add(egui::TextEdit::singleline(&mut p.text).desired_width(440.0))
                .labelled_by(hint.id);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.horizontal(|ui| {
                let ready = !p.text.trim().is_empty();
                if ui.add_enabled(ready, egui::Button::new(button)).clicked() || (enter && ready) {
                    done = Some(true);
                }
                if ui.button("Cancel").clicked() {
                    done = Some(false);
                }
            });
        });
    let confirmed = done?;
    let taken = prompt.take()?;
    if !confirmed {
        return None;
    }
    DialogResult {
        kind: taken.kind,
        path: Some(PathBuf::from(taken.text.trim())),
        unanswered: false,
    }
    .command()
}
