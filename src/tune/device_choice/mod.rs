//! The device a training job runs on: the one place the window's worker,
//! `train`, `sweep` and `bench` ask. An explicit choice (`cpu`, `gpu`) is
//! taken as it is; `Auto` for a network with a GPU adapter present times
//! the job on both backends ([`crate::model::probe`]) and trains on the
//! faster, remembering the answer per adapter and job shape
//! ([`ChoiceStore`]: the data directory's file for the app and the CLI,
//! this process's memory for tests and library callers that name no file),
//! so later runs of that shape start at once.
//!
//! Without an adapter (or for boosted trees, or a job the CPU cannot even
//! start) `Auto` is [`select_device`]'s: the CPU, saying why, or an error
//! where `PURCHASE_LAB_REQUIRE_WGPU` demands wgpu. That variable does not
//! change a measured choice: a software adapter such as lavapipe is timed
//! like any other, and loses to the CPU by measurement.

pub mod cache;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use cache::{CacheKey, DeviceCache};

use crate::data::prep::Prepared;
use crate::model::device::{
    BackendChoice, DeviceError, SelectedDevice, select_device, wgpu_adapter,
};
use crate::model::family::ModelSpec;
use crate::model::probe::timing::rounded;
use crate::model::probe::{self, GpuOutcome, Measurement, ProbeJob};

/// The cache's file name in the data directory.
pub const CACHE_FILE: &str = "device-choice.json";

/// The device for a job and anything the user should know about how it
/// was chosen.
#[derive(Debug, Clone)]
pub struct DeviceChoice {
    pub device: SelectedDevice,
    /// The cache could not be read or written, or the probe could not run:
    /// the choice stands, this says what went wrong.
    pub note: Option<String>,
    /// The probe's figures when `Auto` timed the job just now (not when
    /// the answer came from the cache).
    pub measured: Option<Measurement>,
}

impl DeviceChoice {
    /// The device, its description ending with the note if there is one
    /// (for callers that show only the description).
    pub fn noted(self) -> SelectedDevice {
        let mut device = self.device;
        if let Some(note) = self.note {
            device.description = format!("{} (note: {note})", device.description);
        }
        device
    }

    /// One line with the probe's figures, when the job was timed just now:
    /// e.g. `speed probe: CPU 0.041 ms a step, GPU 312 ms a step (1 step
    /// timed after a 2.3 s warm-up); 3.1 s in all`.
    pub fn probe_summary(&self) -> Option<String> {
        let m = self.measured.as_ref()?;
        let gpu = match &m.gpu {
            GpuOutcome::Timed(gpu) => format!(
                "GPU {} a step ({} timed after a {:.1} s warm-up)",
                step_time(gpu.seconds_per_step),
                steps(gpu.timed_steps),
                gpu.warmup_seconds
            ),
            GpuOutcome::Failed(reason) => format!("GPU failed ({reason})"),
            GpuOutcome::NotReady(waited) => format!(
                "GPU not past its warm-up after {:.1} s",
                waited.as_secs_f64()
            ),
        };
        Some(format!(
            "speed probe: CPU {} a step ({} timed), {gpu}; {:.1} s in all",
            step_time(m.cpu.seconds_per_step),
            steps(m.cpu.timed_steps),
            m.seconds
        ))
    }
}

/// Seconds per step in milliseconds, three significant digits or so.
fn step_time(seconds: f64) -> String {
    rounded(seconds * 1000.0, &[(100.0, 0), (1.0, 2)], 4, " ms")
}

fn steps(n: usize) -> String {
    if n == 1 {
        "1 step".to_string()
    } else {
        format!("{n} steps")
    }
}

/// `device-choice.json` in the app's data directory (beside the run
/// history, e.g. `~/.local/share/purchase-lab/`); `None` without a home
/// directory.
pub fn default_cache_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "purchase-lab")
        .map(|dirs| dirs.data_dir().join(CACHE_FILE))
}

/// Where `Auto`'s measured answers are remembered: in a file across runs
/// (the app and the CLI: the data directory's [`CACHE_FILE`]), or only in
/// this value's memory, shared by its clones, for as long as they live
/// (tests, benchmarks and library callers that name no file, so they
/// never write into a user's data directory). The default is memory only.
#[derive(Debug, Clone, Default)]
pub struct ChoiceStore {
    file: Option<PathBuf>,
    memory: Arc<Mutex<DeviceCache>>,
}

impl ChoiceStore {
    /// The data directory's cache file ([`default_cache_path`]); memory
    /// only on a system without a home directory.
    pub fn in_data_dir() -> ChoiceStore {
        default_cache_path().map_or_else(ChoiceStore::in_memory, ChoiceStore::at)
    }

    /// The cache file at `path` (created with its folder when an answer is
    /// first kept).
    pub fn at(path: impl Into<PathBuf>) -> ChoiceStore {
        ChoiceStore {
            file: Some(path.into()),
            memory: Arc::default(),
        }
    }

    /// Nothing written: answers last as long as this store and its clones.
    pub fn in_memory() -> ChoiceStore {
        ChoiceStore::default()
    }

    /// The file the answers are kept in, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The answers kept so far, with a note when the file could not be
    /// read (it is then rewritten by the next [`keep`](Self::keep)).
    fn load(&self) -> (DeviceCache, Option<String>) {
        match &self.file {
            // Read afresh each time: another window or `train` may have
            // measured meanwhile.
            Some(path) => DeviceCache::load(path),
            None => (
                self.memory.lock().map(|m| m.clone()).unwrap_or_default(),
                None,
            ),
        }
    }

    /// Keeps `cache` (the loaded answers plus a new one). Errors: the file
    /// could not be written (as text).
    fn keep(&self, cache: DeviceCache) -> Result<(), String> {
        match &self.file {
            Some(path) => cache.save(path),
            None => {
                if let Ok(mut memory) = self.memory.lock() {
                    *memory = cache;
                }
                Ok(())
            }
        }
    }
}

/// The device to train `model` on `prepared`'s training rows, for
/// `choice`, with answers remembered in `store` ([`choose`]).
pub fn training_device(
    choice: BackendChoice,
    model: &ModelSpec,
    prepared: &Prepared,
    store: &ChoiceStore,
) -> Result<DeviceChoice, DeviceError> {
    let job = ProbeJob::of(model, prepared);
    choose(choice, job.as_ref(), store)
}

/// The device for `job` (`None`: nothing to time, e.g. trees). `Auto` with
/// a GPU adapter reuses the answer `store` kept for this adapter and
/// shape, else times the job on both backends, keeps the answer there and
/// trains on the faster; the description says which and why ("6.1x faster
/// than the GPU (llvmpipe) for this network, measured", or "measured
/// earlier (cached)"). Errors: as [`select_device`]'s.
pub fn choose(
    choice: BackendChoice,
    job: Option<&ProbeJob>,
    store: &ChoiceStore,
) -> Result<DeviceChoice, DeviceError> {
    let unmeasured = |note: Option<String>| {
        select_device(choice).map(|device| DeviceChoice {
            device,
            note,
            measured: None,
        })
    };
    let Some(job) = job.filter(|_| choice == BackendChoice::Auto) else {
        return unmeasured(None);
    };
    let Ok((gpu, adapter)) = wgpu_adapter() else {
        return unmeasured(None);
    };
    let key = CacheKey::new(&adapter, job);
    let (mut cached, mut note) = store.load();
    if let Some(verdict) = cached.get(&key) {
        let reason = verdict.reason(&adapter.name, true);
        return Ok(DeviceChoice {
            device: SelectedDevice::measured(verdict.winner(), (gpu, &adapter), reason),
            note,
            measured: None,
        });
    }
    let measurement = match probe::measure(job, &gpu) {
        Ok(m) => m,
        Err(reason) => {
            return unmeasured(Some(format!(
                "the CPU and GPU could not be timed for this network ({reason})"
            )));
        }
    };
    let reason = measurement.verdict.reason(&adapter.name, false);
    let winner = measurement.verdict.winner();
    cached.insert(key, measurement.verdict.clone());
    if let Err(e) = store.keep(cached) {
        // Only a file can fail to keep an answer.
        let path = store
            .file()
            .map_or_else(String::new, |p| p.display().to_string());
        note = Some(format!(
            "the device choice could not be saved to `{path}` ({e}); it will be measured again next time"
        ));
    }
    Ok(DeviceChoice {
        device: SelectedDevice::measured(winner, (gpu, &adapter), reason),
        note,
        measured: Some(measurement),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_times_read_in_milliseconds() {
        assert_eq!(step_time(0.3124), "312 ms");
        assert_eq!(step_time(0.0041), "4.10 ms");
        assert_eq!(step_time(0.000_014_1), "0.0141 ms");
    }

    #[test]
    fn a_note_ends_the_description_where_only_that_is_shown() {
        let choice = DeviceChoice {
            device: select_device(BackendChoice::Cpu).unwrap(),
            note: Some("the cache could not be read".into()),
            measured: None,
        };
        assert_eq!(choice.probe_summary(), None);
        assert_eq!(
            choice.noted().description,
            "CPU (flex) (note: the cache could not be read)"
        );
    }
}
