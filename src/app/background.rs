//! Work the UI thread must not wait for: loading or generating a table, and
//! native file dialogs. Each runs on a named thread whose result arrives
//! through a channel; the thread is joined when its result is collected, and
//! a load also when the task is dropped.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::thread::JoinHandle;

use crate::data::table::Table;
use crate::data::{load_csv, synth};

use super::settings::Source;

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

/// A table loaded (or generated) from a source with its fingerprint (for
/// the run history), or a readable error.
pub type Loaded = (Source, Result<(Table, String), String>);

pub fn load(source: Source, notify: impl Fn() + Send + 'static) -> Result<Task<Loaded>, String> {
    Task::spawn("purchase-lab-loader", true, notify, move || {
        let result = match &source {
            Source::Generated(s) => synth::generate(s).map_err(|e| e.to_string()),
            Source::File(path) => load_csv(path).map_err(|e| {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                format!("{name}: {e}")
            }),
        };
        // Hashing every cell is done here, off the UI thread.
        let result = result.map(|table| {
            let fingerprint = crate::tune::fingerprint(&table);
            (table, fingerprint)
        });
        (source, result)
    })
}

pub enum Dialog {
    OpenCsv,
    SaveModel,
    OpenModel,
    SaveRunsCsv,
    SaveHistoryCsv(u64),
    SavePng(super::export::PngView),
    SaveSession,
    OpenSession,
}

pub fn file_dialog(
    kind: Dialog,
    notify: impl Fn() + Send + 'static,
) -> Result<Task<(Dialog, Option<PathBuf>)>, String> {
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
        (kind, path)
    })
}
