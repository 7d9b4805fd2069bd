//! Work the UI thread must not wait for: loading or generating a table,
//! native file dialogs, file reads and writes, and PNG exports. Each runs
//! on a named thread whose result arrives through a channel; the thread is
//! joined when its result is collected, and a load also when the task is
//! dropped. [`BackgroundTasks`] holds the dialog, the reads and writes and
//! the export in flight; the loader belongs to the data side.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::Instant;

use eframe::egui;

use crate::data::csv::watch::{LoadWatch, load_csv_watched};
use crate::data::synth;
use crate::data::table::{ColumnSummary, Table};

use super::command::AppCommand;
use super::export::{self, PngView, ViewRects};
use super::path_prompt::{self, PathPrompt};
use super::settings::{ProblemChoice, Source};

/// A result being computed on its own thread.
pub struct Task<T> {
    result: Receiver<T>,
    thread: Option<JoinHandle<()>>,
    /// Loads are joined on drop; a native dialog is not, since it may wait
    /// for the user indefinitely (it closes with the process).
    join_on_drop: bool,
}

impl<T: Send + 'static> Task<T> {
    pub fn spawn(
        name: &str,
        join_on_drop: bool,
        notify: impl Fn() + Send + 'static,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Task<T>, String> {
        let (tx, rx) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _ = tx.send(work());
                notify();
            })
            .map_err(|e| format!("cannot start a background thread: {e}"))?;
        Ok(Task {
            result: rx,
            thread: Some(thread),
            join_on_drop,
        })
    }

    /// The result once it is ready (then the thread is joined).
    pub fn poll(&mut self) -> Option<T> {
        match self.result.try_recv() {
            Ok(value) => {
                self.join();
                Some(value)
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.join();
                None
            }
        }
    }

    /// Whether the thread ended without a result (it panicked).
    pub fn is_lost(&self) -> bool {
        self.thread.is_none()
    }

    fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take()
            && self.join_on_drop
        {
            let _ = thread.join();
        }
    }
}

/// A table loaded (or generated) from a source, or a readable error.
pub struct Loaded {
    pub source: Source,
    pub result: Result<LoadedTable, String>,
}

/// A table read from its source, with what the window works out over all
/// its rows once (on the loader thread, not in a frame).
pub struct LoadedTable {
    pub table: Table,
    /// Hash of every cell, recorded with each run in the history.
    pub fingerprint: String,
    /// The problem chosen by default for it (target, positive label,
    /// features, task); taken unless the user's problem still fits.
    pub problem: ProblemChoice,
    /// Each column's summary, for the data panel.
    pub summary: Vec<ColumnSummary>,
}

impl LoadedTable {
    /// Everything worked out over `table`'s rows for `source`.
    pub fn new(table: Table, source: &Source) -> LoadedTable {
        let preferred = match source {
            Source::Generated(s) => Some(s.preset.target()),
            Source::File(_) => None,
        };
        LoadedTable {
            fingerprint: crate::tune::fingerprint(&table),
            problem: ProblemChoice::for_table(&table, preferred),
            summary: table.summary(),
            table,
        }
    }
}

/// Loads or generates `source` on a named thread; a file's progress and
/// its cancel flag are in `watch`.
pub fn load(
    source: Source,
    watch: Arc<LoadWatch>,
    notify: impl Fn() + Send + 'static,
) -> Result<Task<Loaded>, String> {
    Task::spawn("purchase-lab-loader", true, notify, move || {
        let result = match &source {
            Source::Generated(s) => synth::generate(s).map_err(|e| e.to_string()),
            Source::File(path) => load_csv_watched(path, &watch).map_err(|e| {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                format!("{name}: {e}")
            }),
        };
        // Hashing every cell and choosing the problem are done here, off
        // the UI thread.
        let result = result.map(|table| LoadedTable::new(table, &source));
        Loaded { source, result }
    })
}

/// The native file dialogs, by what their path is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialog {
    OpenCsv,
    SaveModel,
    OpenModel,
    SaveRunsCsv,
    SaveHistoryCsv(u64),
    SavePng(super::export::PngView),
    /// One Insights view's numbers.
    SaveInsightCsv(crate::insights::export::InsightView),
    SaveSession,
    OpenSession,
}

pub fn file_dialog(
    kind: Dialog,
    notify: impl Fn() + Send + 'static,
) -> Result<Task<DialogResult>, String> {
    Task::spawn("purchase-lab-dialog", false, notify, move || {
        let path = match kind {
            Dialog::OpenCsv => rfd::FileDialog::new()
                .set_title("Open customer data")
                .add_filter("CSV", &["csv", "txt", "tsv"])
                .pick_file(),
            Dialog::SaveModel => rfd::FileDialog::new()
                .set_title("Save model")
                .add_filter("Purchase Lab model", &["plab"])
                .set_file_name("model.plab")
                .save_file(),
            Dialog::OpenModel => rfd::FileDialog::new()
                .set_title("Open model")
                .add_filter("Purchase Lab model", &["plab"])
                .pick_file(),
            Dialog::SaveRunsCsv => rfd::FileDialog::new()
                .set_title("Export the runs table")
                .add_filter("CSV", &["csv"])
                .set_file_name("runs.csv")
                .save_file(),
            Dialog::SaveHistoryCsv(_) => rfd::FileDialog::new()
                .set_title("Export a run's epochs")
                .add_filter("CSV", &["csv"])
                .set_file_name("epochs.csv")
                .save_file(),
            Dialog::SavePng(view) => rfd::FileDialog::new()
                .set_title("Export image")
                .add_filter("PNG image", &["png"])
                .set_file_name(view.file_name())
                .save_file(),
            Dialog::SaveInsightCsv(view) => rfd::FileDialog::new()
                .set_title("Export the view's numbers")
                .add_filter("CSV", &["csv"])
                .set_file_name(view.csv_name())
                .save_file(),
            Dialog::SaveSession => rfd::FileDialog::new()
                .set_title("Save session")
                .add_filter("Purchase Lab session", &["json"])
                .set_file_name("session.json")
                .save_file(),
            Dialog::OpenSession => rfd::FileDialog::new()
                .set_title("Open session")
                .add_filter("Purchase Lab session", &["json"])
                .pick_file(),
        };
        DialogResult {
            kind,
            path,
            unanswered: false,
        }
    })
}

/// A dialog closed: the path chosen, or `None` when it was cancelled.
pub struct DialogResult {
    pub kind: Dialog,
    pub path: Option<PathBuf>,
    /// It closed with nothing before a person could have answered: there
    /// is no dialog service (see [`super::path_prompt`]).
    pub unanswered: bool,
}

impl DialogResult {
    /// What to do with the chosen path.
    pub fn command(self) -> Option<AppCommand> {
        let path = self.path?;
        Some(match self.kind {
            Dialog::OpenCsv => AppCommand::LoadSource(Source::File(path)),
            Dialog::SaveModel => AppCommand::SaveModel(path),
            Dialog::OpenModel => AppCommand::OpenModel(path),
            Dialog::SaveRunsCsv => AppCommand::SaveRunsCsv(path),
            Dialog::SaveHistoryCsv(run) => AppCommand::SaveHistoryCsv { run, path },
            Dialog::SavePng(view) => AppCommand::ExportPng(view, path),
            Dialog::SaveInsightCsv(view) => AppCommand::ExportInsightCsv(view, path),
            Dialog::SaveSession => AppCommand::SaveSession(path),
            Dialog::OpenSession => AppCommand::OpenSession(path),
        })
    }
}

/// What a background read or write produced.
pub enum IoDone {
    Notice(String),
    Session(Box<crate::tune::session::Session>),
}

pub type IoResult = Result<IoDone, String>;

/// A PNG export waiting for its screenshot.
struct PendingPng {
    view: PngView,
    path: PathBuf,
    screenshot: Receiver<Arc<egui::ColorImage>>,
}

/// The dialog, file reads and writes, and PNG export in flight.
#[derive(Default)]
pub struct BackgroundTasks {
    /// At most one native dialog at a time, and when it opened.
    dialog: Option<(Task<DialogResult>, Instant)>,
    /// No dialog service: file actions take a typed path instead.
    no_dialog_service: bool,
    io: Vec<Task<IoResult>>,
    png: Option<PendingPng>,
}

impl BackgroundTasks {
    /// Opens a native dialog unless one is open already; where the system
    /// has none, the path prompt to show instead.
    pub fn open_dialog(
        &mut self,
        kind: Dialog,
        ctx: &egui::Context,
    ) -> Result<Option<PathPrompt>, String> {
        if self.no_dialog_service || path_prompt::dialogs_unavailable() {
            self.no_dialog_service = true;
            return Ok(Some(PathPrompt::new(kind)));
        }
        if self.dialog.is_some() {
            return Ok(None);
        }
        let repaint = ctx.clone();
        let task = file_dialog(kind, move || repaint.request_repaint())?;
        self.dialog = Some((task, Instant::now()));
        Ok(None)
    }

    /// Runs `work` (a file write or read) on a background thread; its
    /// result comes back from [`BackgroundTasks::poll_io`].
    pub fn spawn_io(
        &mut self,
        ctx: &egui::Context,
        work: impl FnOnce() -> IoResult + Send + 'static,
    ) -> Result<(), String> {
        let repaint = ctx.clone();
        let task = Task::spawn(
            "purchase-lab-io",
            true,
            move || repaint.request_repaint(),
            work,
        )?;
        self.io.push(task);
        Ok(())
    }

    /// Exports a view as PNG: the next frame is captured, then cropped.
    pub fn export_png(&mut self, view: PngView, path: PathBuf, ctx: &egui::Context) {
        let screenshot = export::request_screenshot(ctx);
        self.png = Some(PendingPng {
            view,
            path,
            screenshot,
        });
    }

    /// The dialog's answer once it is closed; one that closed with nothing
    /// at once is marked `unanswered`, and later file actions go straight
    /// to the path prompt.
    pub fn poll_dialog(&mut self) -> Option<DialogResult> {
        let (task, opened) = self.dialog.as_mut()?;
        let mut result = task.poll()?;
        result.unanswered =
            result.path.is_none() && opened.elapsed() < path_prompt::NO_SERVICE_WITHIN;
        self.no_dialog_service |= result.unanswered;
        self.dialog = None;
        Some(result)
    }

    /// Hands a screenshot that arrived to a background write of the view
    /// it was taken for.
    pub fn poll_png(&mut self, rects: &ViewRects, ctx: &egui::Context) -> Result<(), String> {
        let Some(image) = self.png.as_ref().and_then(|p| p.screenshot.try_recv().ok()) else {
            return Ok(());
        };
        let Some(PendingPng { view, path, .. }) = self.png.take() else {
            return Ok(());
        };
        let rect = rects.get(view);
        let ppp = ctx.pixels_per_point();
        self.spawn_io(ctx, move || {
            let part = rect
                .and_then(|r| export::crop(&image, r, ppp))
                .ok_or("that view is not on screen")?;
            export::write_png(&part, &path)?;
            Ok(IoDone::Notice(format!(
                "image saved to {} ({} x {} pixels)",
                path.display(),
                part.size[0],
                part.size[1]
            )))
        })
    }

    /// Reads and writes that finished since the last call.
    pub fn poll_io(&mut self) -> Vec<IoResult> {
        let mut done = Vec::new();
        self.io.retain_mut(|task| match task.poll() {
            Some(result) => {
                done.push(result);
                false
            }
            None => !task.is_lost(),
        });
        done
    }
}
