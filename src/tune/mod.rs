//! Compare and tune: the run history, hyperparameter sweeps and session
//! files. Headless (no egui): the app shows these values, the CLI prints
//! them.
//!
//! - [`history`]: every finished run as a [`RunRecord`], a persisted
//!   [`History`] with a size cap, sorting by metric, the settings that differ
//!   between runs, CSV exports.
//! - [`names`]: the [`Metric`]s a run is judged by and the [`Setting`]s it
//!   was set up with, with their file and command-line spellings.
//! - [`sweep`]: a grid of settings ([`SweepGrid`]) trained one after the
//!   other, on the caller's thread ([`run_sweep`]) or a background one
//!   ([`SweepHandle`]); ranking, heatmap and best point.
//! - [`baseline`]: default boosted trees and logistic regression fitted
//!   once on a split, the reference a network is held against.
//! - [`device_choice`]: the device a training job runs on; `Auto` times
//!   the job on the CPU and the GPU and caches the answer.
//! - [`cv`]: k-fold cross-validation of one setup, with every metric's
//!   mean and standard deviation over the held-out folds.
//! - [`session`]: data source + recipe + network + training settings as a
//!   JSON file a teacher can hand out.
//! - [`fingerprint`]: a stable hash of a table's contents, so two runs can
//!   tell whether they saw the same data.

pub mod baseline;
pub mod cv;
pub mod device_choice;
pub mod history;
pub mod names;
pub mod session;
pub mod sweep;

pub use history::{
    History, HistoryError, LoadedHistory, RunRecord, RunSetup, differing_settings, history_table,
    runs_table, write_history_csv, write_runs_csv,
};
pub use names::{Metric, Setting};
pub use session::{Session, SessionError};
pub use sweep::{
    Heatmap, ParamValue, SweepError, SweepEvent, SweepGrid, SweepHandle, SweepJob, SweepOutcome,
    SweepParam, SweepPoint, best, heatmap, rank, run_sweep,
};

use crate::data::table::{ColumnData, Table};
use crate::model::bundle::Fnv1a;

/// A stable hex hash (64-bit FNV-1a) of a table: its row count, and each
/// column's name, kind and cells. The same file, or the same generator
/// settings, always give the same fingerprint on every machine; any edited
/// cell, renamed or reordered column gives another. Missing cells hash as
/// missing (every NaN alike), so `NA` and an empty cell agree, as they do
/// everywhere else in the app.
pub fn fingerprint(table: &Table) -> String {
    let mut h = Fnv1a::default();
    // Lengths go in before variable-size parts so that, e.g., columns `ab`
    // + `c` never hash like `a` + `bc`.
    h.write(&(table.n_rows() as u64).to_le_bytes());
    h.write(&(table.n_cols() as u64).to_le_bytes());
    for column in table.columns() {
        write_str(&mut h, &column.name);
        match &column.data {
            ColumnData::Numeric(values) => {
                h.write(b"n");
                for &x in values {
                    let bits = if x.is_nan() {
                        f64::NAN.to_bits()
                    } else {
                        x.to_bits()
                    };
                    h.write(&bits.to_le_bytes());
                }
            }
            ColumnData::Categorical { codes, levels } => {
                // Levels are numbered in order of first appearance, so the
                // same cells always give the same levels and codes; hashing
                // codes avoids rehashing each cell's text.
                h.write(b"c");
                h.write(&(levels.len() as u64).to_le_bytes());
                for level in levels {
                    write_str(&mut h, level);
                }
                for &code in codes {
                    h.write(&code.to_le_bytes());
                }
            }
        }
    }
    format!("{:016x}", h.finish())
}

fn write_str(h: &mut Fnv1a, text: &str) {
    h.write(&(text.len() as u64).to_le_bytes());
    h.write(text.as_bytes());
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::parse_csv;

    #[test]
    fn fingerprint_is_stable_and_sensitive() {
        let a = parse_csv(b"x,y\n1,a\n2,b\n").unwrap();
        let same = parse_csv(b"x;y\n1;a\n2;b\n").unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&same));
        assert_eq!(fingerprint(&a).len(), 16);
        for other in [
            &b"x,y\n1,a\n2,c\n"[..],
            b"x,z\n1,a\n2,b\n",
            b"y,x\na,1\nb,2\n",
            b"x,y\n1,a\n2,b\n3,a\n",
            b"x,y\n1,a\n,b\n",
        ] {
            let t = parse_csv(other).unwrap();
            assert_ne!(
                fingerprint(&a),
                fingerprint(&t),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
        let na = parse_csv(b"x,y\n1,a\nNA,b\n").unwrap();
        let empty = parse_csv(b"x,y\n1,a\n,b\n").unwrap();
        assert_eq!(fingerprint(&na), fingerprint(&empty));
    }
}
