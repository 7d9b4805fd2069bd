//! A long CSV read watched from another thread: the bytes read so far (for
//! a progress bar) and a cancel flag the reader checks on every read. A
//! million-row file takes seconds; the window shows how far it got and
//! lets the user give up without waiting for the end.

use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::{CsvError, check_file, open_file, read_table};
use crate::data::limits::CsvLimits;
use crate::data::table::Table;

/// How far a watched read has got, shared between the reading thread and
/// the one that shows it.
#[derive(Debug, Default)]
pub struct LoadWatch {
    /// Bytes read in the current pass (a file read twice, when a column
    /// turned out to be text, starts again from 0).
    read: AtomicU64,
    /// The file's size in bytes (0 until it is known).
    total: AtomicU64,
    cancel: AtomicBool,
}

impl LoadWatch {
    /// The share of the file read, 0 to 1; `None` before the size is known.
    pub fn progress(&self) -> Option<f32> {
        let total = self.total.load(Ordering::Relaxed);
        (total > 0).then(|| {
            let read = self.read.load(Ordering::Relaxed);
            (read as f64 / total as f64).min(1.0) as f32
        })
    }

    /// Bytes read so far and the file's size.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.read.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Asks the read to stop at its next block.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// A reader that counts what passes through it into a [`LoadWatch`] and
/// fails once the watch is cancelled.
struct Watched<R> {
    inner: R,
    watch: Arc<LoadWatch>,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.watch.cancelled() {
            // Not `Interrupted`: readers retry that one.
            return Err(io::Error::other("loading was cancelled"));
        }
        let n = self.inner.read(buf)?;
        self.watch.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// [`load_csv`](super::load_csv) with its progress in `watch` and
/// stopping when `watch` is cancelled (an error then; check
/// [`LoadWatch::cancelled`] to tell it from a bad file).
///
/// # Errors
/// As `load_csv`: the file's limits, reading it, or its contents (line and
/// column named).
pub fn load_csv_watched(path: &Path, watch: &Arc<LoadWatch>) -> Result<Table, CsvError> {
    let limits = CsvLimits::from_env()?;
    check_file(path, &limits)?;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    watch.total.store(size, Ordering::Relaxed);
    let label = path.display().to_string();
    read_table(&label, limits.max_row_bytes, || {
        watch.read.store(0, Ordering::Relaxed);
        Ok(Watched {
            inner: open_file(path)?,
            watch: Arc::clone(watch),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(rows: usize) -> tempfile::NamedTempFile {
        let mut text = String::from("a,b,label\n");
        for i in 0..rows {
            text.push_str(&format!(
                "{i},{},{}\n",
                i * 2,
                if i % 3 == 0 { "yes" } else { "no" }
            ));
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn a_watched_read_reports_every_byte_and_the_same_table() {
        let file = file_of(2_000);
        let watch = Arc::new(LoadWatch::default());
        assert_eq!(watch.progress(), None);
        let table = load_csv_watched(file.path(), &watch).unwrap();
        assert_eq!(table.n_rows(), 2_000);
        let size = std::fs::metadata(file.path()).unwrap().len();
        assert_eq!(watch.bytes(), (size, size));
        assert_eq!(watch.progress(), Some(1.0));
        let plain = super::super::load_csv(file.path()).unwrap();
        assert_eq!(plain.n_rows(), table.n_rows());
    }

    #[test]
    fn a_cancelled_read_stops_with_an_error() {
        let file = file_of(100);
        let watch = Arc::new(LoadWatch::default());
        watch.cancel();
        // Whatever error the reader's failure becomes, the table is not
        // returned and the watch says why.
        assert!(load_csv_watched(file.path(), &watch).is_err());
        assert!(watch.cancelled());
        assert_eq!(watch.bytes().0, 0, "not a byte read after the cancel");
    }
}
