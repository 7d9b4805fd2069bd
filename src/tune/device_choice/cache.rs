//! The probe's answers kept between runs: `device-choice.json` in the app's
//! data directory, one entry per adapter and job shape, so `Auto` times a
//! job once and later runs of the same shape reuse the answer.
//!
//! `{"version": 1, "build": "<crate version>", "entries": [...]}`: an entry
//! is its [`CacheKey`] (adapter name, graphics API, driver; inputs, hidden
//! widths and batch size rounded up to powers of two, rows rounded down to
//! a power of ten) and the
//! [`Verdict`]. Answers of another build are dropped (a faster kernel can
//! change the winner); at most [`MAX_ENTRIES`] are kept, the oldest
//! dropped first. It is a cache: a file that cannot be read is ignored with
//! a note and rewritten on the next save, never an error.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::device::AdapterSummary;
use crate::model::probe::{ProbeJob, Verdict};

/// Version of the cache file this build reads and writes.
pub const CACHE_VERSION: u64 = 1;
/// Most answers kept.
pub const MAX_ENTRIES: usize = 64;

/// What an answer is valid for: the adapter and the job's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheKey {
    pub adapter: String,
    pub api: String,
    pub driver: String,
    /// Prepared feature columns, rounded up to a power of two: a step's
    /// cost changes smoothly with the sizes, and the window's sliders would
    /// otherwise start a probe at every new width.
    pub inputs: usize,
    /// Hidden layer widths, input side first, each rounded up to a power
    /// of two.
    pub hidden: Vec<usize>,
    /// Rows per optimizer step, rounded up to a power of two.
    pub batch: usize,
    /// Training rows rounded down to a power of ten (1,000 for 4,789): how
    /// many steps an epoch has changes how the probe times it.
    pub rows: usize,
}

impl CacheKey {
    pub fn new(adapter: &AdapterSummary, job: &ProbeJob) -> CacheKey {
        CacheKey {
            adapter: adapter.name.clone(),
            api: adapter.api.clone(),
            driver: adapter.driver.clone(),
            inputs: job.n_features.next_power_of_two(),
            hidden: job
                .spec
                .hidden
                .iter()
                .map(|w| w.next_power_of_two())
                .collect(),
            batch: job.batch().next_power_of_two(),
            rows: power_of_ten_below(job.n_rows),
        }
    }
}

/// The largest power of ten not above `n` (0 for 0).
fn power_of_ten_below(n: usize) -> usize {
    let mut p = 1;
    while p <= n / 10 {
        p *= 10;
    }
    if n == 0 { 0 } else { p }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    key: CacheKey,
    #[serde(flatten)]
    verdict: Verdict,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    version: u64,
    build: String,
    entries: Vec<Entry>,
}

/// The cached answers, as read from (and written to) the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceCache {
    entries: Vec<Entry>,
}

impl DeviceCache {
    /// Reads the cache at `path`: empty when it does not exist; empty with
    /// a note saying why when it cannot be read or decoded (it is then
    /// rewritten by the next [`save`](Self::save)). Answers of another
    /// build are left out.
    pub fn load(path: &Path) -> (DeviceCache, Option<String>) {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return (DeviceCache::default(), None);
            }
            Err(e) => return (DeviceCache::default(), Some(ignored(path, &e.to_string()))),
        };
        match serde_json::from_slice::<File>(&bytes) {
            Ok(file) if file.version != CACHE_VERSION => (
                DeviceCache::default(),
                Some(ignored(path, &format!("format version {}", file.version))),
            ),
            Ok(file) if file.build != env!("CARGO_PKG_VERSION") => (DeviceCache::default(), None),
            Ok(file) => (
                DeviceCache {
                    entries: file.entries,
                },
                None,
            ),
            Err(e) => (DeviceCache::default(), Some(ignored(path, &e.to_string()))),
        }
    }

    /// The answer for `key`, if one was kept.
    pub fn get(&self, key: &CacheKey) -> Option<&Verdict> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == *key)
            .map(|e| &e.verdict)
    }

    /// Keeps `verdict` for `key`, replacing an older answer; over
    /// [`MAX_ENTRIES`] the oldest goes.
    pub fn insert(&mut self, key: CacheKey, verdict: Verdict) {
        self.entries.retain(|e| e.key != key);
        self.entries.push(Entry { key, verdict });
        let over = self.entries.len().saturating_sub(MAX_ENTRIES);
        self.entries.drain(..over);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the cache to `path` atomically, creating its folder.
    /// Errors: the file or folder could not be written (as text).
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let file = File {
            version: CACHE_VERSION,
            build: env!("CARGO_PKG_VERSION").to_string(),
            entries: self.entries.clone(),
        };
        let json = serde_json::to_vec_pretty(&file).map_err(|e| e.to_string())?;
        crate::save::save(path, &json).map_err(|e| e.to_string())
    }
}

fn ignored(path: &Path, problem: &str) -> String {
    format!(
        "the device-choice cache `{}` could not be read ({problem}); it was ignored and will be rewritten",
        path.display()
    )
}

#[cfg(test)]
mod tests;
