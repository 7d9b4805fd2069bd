//! The run history: every finished training run with its data source,
//! settings, curves and final metrics, kept across restarts in one JSON file.
//!
//! # File and size cap
//!
//! `history.json` holds `{"version": 1, "next_id": n, "runs": [...]}`. It is
//! written atomically (a temporary file in the same folder, then a rename),
//! so a crash mid-save leaves the previous file intact. To keep the file
//! small enough to load instantly:
//!
//! - at most [`MAX_RUNS`] runs: beyond that the oldest *unpinned* runs are
//!   dropped first (pinned ones only once nothing else is left to drop);
//! - each run's per-epoch curve keeps at most [`MAX_CURVE_POINTS`] epochs
//!   (evenly spaced, always the first and the last);
//! - per-epoch metrics carry no ROC curve; the final metrics keep one of at
//!   most [`MAX_ROC_POINTS`] points.
//!
//! # A file that cannot be read
//!
//! [`History::load`] never deletes and never fails on a bad file: one that is
//! unreadable, not JSON, from another format version, or holding runs that
//! cannot be decoded is renamed to `<name>.corrupt-<unix time>.json` next to
//! it, and the runs that could be read (often none) come back with a notice
//! saying what was wrong and where the file went. Only when even that rename
//! fails is an error returned; the caller should then not save over the file.
//!
//! Files: [`record`] (one run: [`RunRecord`], [`RunSetup`]), this file
//! (the [`History`] and its file), [`export`] (the CSV tables).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::names::Metric;
use crate::data::table::TableError;
use crate::data::write::WriteError;

pub mod export;
pub mod record;

pub use export::{history_table, runs_table, write_history_csv, write_runs_csv};
pub use record::{RunRecord, RunSetup, differing_settings, layers_label};

/// Version of the history file format this build reads and writes.
pub const HISTORY_VERSION: u64 = 1;
/// Largest run id a history file may hold (2^53, exact in any JSON reader);
/// a run with a larger id counts as damaged. Ids count up from 1, so only an
/// edited or corrupted file comes near it, and above it the next id would
/// overflow (found by fuzzing: `u64::MAX` panicked on the next save).
pub const MAX_RUN_ID: u64 = 1 << 53;
/// Most runs kept; see the module documentation for which ones go.
pub const MAX_RUNS: usize = 200;
/// Most epochs kept per run curve.
pub const MAX_CURVE_POINTS: usize = 1000;
/// Most points kept of a run's final ROC curve.
pub const MAX_ROC_POINTS: usize = 200;

#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("cannot save the run history to `{path}`: {message}")]
    Save { path: String, message: String },
    #[error(
        "the run history `{path}` cannot be used ({problem}) and could not be set aside \
         ({message}); it was left untouched, and runs of this session will not be saved over it"
    )]
    SetAside {
        path: String,
        problem: String,
        message: String,
    },
    #[error("cannot build the table to export: {0}")]
    Table(#[from] TableError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// What [`History::load`] found.
#[derive(Debug, Default)]
pub struct LoadedHistory {
    pub history: History,
    /// Set when the file could not be (fully) read: what was wrong and where
    /// the file was moved. Show it to the user.
    pub notice: Option<String>,
}

/// All recorded runs, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub records: Vec<RunRecord>,
    /// The id the next run gets; never reused, even after a delete (unless
    /// every id up to [`MAX_RUN_ID`] is taken).
    next_id: u64,
}

#[derive(Serialize)]
struct FileOut<'a> {
    version: u64,
    next_id: u64,
    runs: &'a [RunRecord],
}

impl History {
    /// `history.json` in the app's data directory (e.g.
    /// `~/.local/share/purchase-lab/` on Linux); `None` when the system has
    /// no home directory.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "purchase-lab")
            .map(|dirs| dirs.data_dir().join("history.json"))
    }

    /// Reads the history at `path`. A missing file is an empty history; a bad
    /// one is set aside with a notice (see the module documentation).
    pub fn load(path: &Path) -> Result<LoadedHistory, HistoryError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(LoadedHistory::default());
            }
            Err(e) => {
                return set_aside(path, format!("it cannot be read: {e}"), History::default());
            }
        };
        match History::from_json(&bytes) {
            (history, None) => Ok(LoadedHistory {
                history,
                notice: None,
            }),
            (history, Some(problem)) => set_aside(path, problem, history),
        }
    }

    /// Decodes the bytes of a history file: the runs that could be read,
    /// and what was wrong, if anything (a file that is unusable as a whole
    /// gives an empty history). [`load`](Self::load) is this after reading
    /// the file, plus setting a bad file aside.
    pub fn from_json(bytes: &[u8]) -> (History, Option<String>) {
        match parse(bytes) {
            Ok((history, problem)) => (history, problem),
            Err((history, problem)) => (history, Some(problem)),
        }
    }

    /// The bytes [`save`](Self::save) writes: over the cap, the oldest
    /// unpinned runs are left out and long curves thinned.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut capped;
        let mut runs = &self.records[..];
        if runs.len() > MAX_RUNS || runs.iter().any(|r| r.history.len() > MAX_CURVE_POINTS) {
            capped = self.clone();
            capped.enforce_cap();
            capped.records.iter_mut().for_each(RunRecord::compact);
            runs = &capped.records[..];
        }
        serde_json::to_vec(&FileOut {
            version: HISTORY_VERSION,
            next_id: self.next_id(),
            runs,
        })
    }

    /// Writes the history to `path` atomically, creating its folder. Over
    /// the cap, the oldest unpinned runs are left out of the file (and
    /// should be dropped in memory too: see [`add`](Self::add)).
    pub fn save(&self, path: &Path) -> Result<(), HistoryError> {
        let err = |message: String| HistoryError::Save {
            path: path.display().to_string(),
            message,
        };
        let json = self.to_json().map_err(|e| err(e.to_string()))?;
        crate::save::save(path, &json).map_err(|e| err(e.to_string()))
    }

    /// Adds a finished run and returns its id. An empty name becomes
    /// `run <id>`; long curves are thinned and, over [`MAX_RUNS`], the
    /// oldest unpinned run is dropped.
    pub fn add(&mut self, mut record: RunRecord) -> u64 {
        let id = self.next_id();
        self.next_id = id + 1;
        record.id = id;
        if record.name.trim().is_empty() {
            record.name = format!("run {id}");
        }
        record.compact();
        self.records.push(record);
        self.enforce_cap();
        id
    }

    pub fn get(&self, id: u64) -> Option<&RunRecord> {
        self.records.iter().find(|r| r.id == id)
    }

    /// Removes and returns a run.
    pub fn remove(&mut self, id: u64) -> Option<RunRecord> {
        let index = self.records.iter().position(|r| r.id == id)?;
        Some(self.records.remove(index))
    }

    /// Renames a run; false when there is no such run.
    pub fn rename(&mut self, id: u64, name: &str) -> bool {
        self.get_mut(id).map(|r| r.name = name.to_owned()).is_some()
    }

    /// Pins or unpins a run; false when there is no such run.
    pub fn set_pinned(&mut self, id: u64, pinned: bool) -> bool {
        self.get_mut(id).map(|r| r.pinned = pinned).is_some()
    }

    /// The runs ordered by `metric`; runs without a value for it come last,
    /// in history order. Use [`Metric::higher_is_better`] for the natural
    /// direction.
    pub fn sorted_by(&self, metric: Metric, descending: bool) -> Vec<&RunRecord> {
        let mut runs: Vec<&RunRecord> = self.records.iter().collect();
        runs.sort_by(|a, b| match (metric.value(a), metric.value(b)) {
            (Some(x), Some(y)) if descending => y.total_cmp(&x),
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        runs
    }

    fn get_mut(&mut self, id: u64) -> Option<&mut RunRecord> {
        self.records.iter_mut().find(|r| r.id == id)
    }

    fn next_id(&self) -> u64 {
        let after_max = self
            .records
            .iter()
            .map(|r| r.id.saturating_add(1))
            .max()
            .unwrap_or(1);
        let id = self.next_id.max(after_max).max(1);
        if id <= MAX_RUN_ID {
            return id;
        }
        // Ids used up (only an edited file gets here): the smallest free one.
        let used: BTreeSet<u64> = self.records.iter().map(|r| r.id).collect();
        (1..=MAX_RUN_ID).find(|i| !used.contains(i)).unwrap_or(1)
    }

    /// Drops the oldest unpinned runs (then the oldest pinned) until at most
    /// [`MAX_RUNS`] are left.
    fn enforce_cap(&mut self) {
        while self.records.len() > MAX_RUNS {
            let oldest = |pinned: bool| {
                self.records
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.pinned == pinned)
                    .min_by_key(|(_, r)| (r.created_unix, r.id))
                    .map(|(i, _)| i)
            };
            match oldest(false).or_else(|| oldest(true)) {
                Some(i) => {
                    self.records.remove(i);
                }
                None => break,
            }
        }
    }
}

/// Parses a history file. `Ok((history, Some(problem)))`: some runs could
/// not be decoded (the others are kept); `Err`: nothing usable.
fn parse(bytes: &[u8]) -> Result<(History, Option<String>), (History, String)> {
    let fail = |problem: String| Err((History::default(), problem));
    let value: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return fail(format!(
                "it is not valid JSON: line {}, column {}: {e}",
                e.line(),
                e.column()
            ));
        }
    };
    match value.get("version").map(serde_json::Value::as_u64) {
        None => return fail("it is not a Purchase Lab run history (no version)".to_owned()),
        Some(Some(HISTORY_VERSION)) => {}
        Some(v) => {
            let found = v.map_or_else(|| "unknown".to_owned(), |v| v.to_string());
            return fail(format!(
                "it has format version {found}, and this Purchase Lab reads version \
                 {HISTORY_VERSION}"
            ));
        }
    }
    let Some(runs) = value.get("runs").and_then(serde_json::Value::as_array) else {
        return fail("it has no list of runs".to_owned());
    };
    let mut history = History {
        records: Vec::with_capacity(runs.len()),
        next_id: value
            .get("next_id")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(1)
            .min(MAX_RUN_ID + 1),
    };
    // Runs are decoded one by one so one damaged run costs only itself.
    let mut bad = 0;
    let mut first_problem = None;
    let mut ids = BTreeSet::new();
    for (i, run) in runs.iter().enumerate() {
        match RunRecord::deserialize(run) {
            Ok(record) if record.id > MAX_RUN_ID => {
                bad += 1;
                first_problem.get_or_insert_with(|| {
                    format!(
                        "run {}: id {} is larger than {MAX_RUN_ID}",
                        i + 1,
                        record.id
                    )
                });
            }
            Ok(record) if ids.insert(record.id) => history.records.push(record),
            Ok(record) => {
                bad += 1;
                first_problem
                    .get_or_insert_with(|| format!("run {}: id {} twice", i + 1, record.id));
            }
            Err(e) => {
                bad += 1;
                first_problem.get_or_insert_with(|| format!("run {}: {e}", i + 1));
            }
        }
    }
    let problem = first_problem.map(|first| {
        format!(
            "{bad} of its {} runs could not be read, the first because of {first}",
            runs.len()
        )
    });
    Ok((history, problem))
}

/// Renames the bad file at `path` aside and returns `kept` with a notice.
fn set_aside(path: &Path, problem: String, kept: History) -> Result<LoadedHistory, HistoryError> {
    let target = aside_path(path);
    match std::fs::rename(path, &target) {
        Ok(()) => {
            let outcome = if kept.records.is_empty() {
                "a new, empty history was started".to_owned()
            } else {
                format!("the {} readable runs were kept", kept.records.len())
            };
            Ok(LoadedHistory {
                history: kept,
                notice: Some(format!(
                    "The run history could not be read ({problem}). The file was moved to {} \
                     and {outcome}.",
                    target.display()
                )),
            })
        }
        Err(e) => Err(HistoryError::SetAside {
            path: path.display().to_string(),
            problem,
            message: e.to_string(),
        }),
    }
}

/// `<dir>/<stem>.corrupt-<unix>.json`, with `-2`, `-3`… if that exists.
fn aside_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "history".into(), |s| s.to_string_lossy().into_owned());
    let dir = path.parent().unwrap_or_else(|| Path::new(""));
    let now = super::unix_now();
    let mut candidate = dir.join(format!("{stem}.corrupt-{now}.json"));
    let mut n = 2;
    while candidate.exists() && n < 10_000 {
        candidate = dir.join(format!("{stem}.corrupt-{now}-{n}.json"));
        n += 1;
    }
    candidate
}
