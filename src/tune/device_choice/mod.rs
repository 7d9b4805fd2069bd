//! The device a training job runs on: the one place the window's worker,
//! `train`, `sweep` and `bench` ask. An explicit choice (`cpu`, `gpu`) is
//! taken as it is; `Auto` for a network with a GPU adapter present times
//! the job on both backends ([`crate::model::probe`]) and trains on the
//! faster, remembering the answer per adapter and job shape in the data
//! directory ([`cache`]), so later runs of that shape start at once.
//!
//! Without an adapter (or for boosted trees, or a job the CPU cannot even
//! start) `Auto` is [`select_device`]'s: the CPU, saying why, or an error
//! where `PURCHASE_LAB_REQUIRE_WGPU` demands wgpu. That variable does not
//! change a measured choice: a software adapter such as lavapipe is timed
//! like any other, and loses to the CPU by measurement.

pub mod cache;

use std::path::{Path, PathBuf};

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
/// directory, and the probe's answers are then not kept.
pub fn default_cache_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "purchase-lab")
        .map(|dirs| dirs.data_dir().join(CACHE_FILE))
}

/// The device to train `model` on `prepared`'s training rows, for
/// `choice`, with the cache in the data directory ([`choose`]).
pub fn training_device(
    choice: BackendChoice,
    model: &ModelSpec,
    prepared: &Prepared,
) -> Result<DeviceChoice, DeviceError> {
    let job = ProbeJob::of(model, prepared);
    choose(choice, job.as_ref(), default_cache_path().as_deref())
}

/// The device for `job` (`None`: nothing to time, e.g. trees). `Auto` with
/// a GPU adapter reuses the answer cached at `cache` for this adapter and
/// shape, else times the job on both backends, keeps the answer there and
/// trains on the faster; the description says which and why ("6.1x faster
/// than the GPU (llvmpipe) for this network, measured", or "measured
/// earlier (cached)"). Errors: as [`select_device`]'s.
pub fn choose(
    choice: BackendChoice,
    job: Option<&ProbeJob>,
    cache: Option<&Path>,
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
    let (mut cached, mut note) = match cache {
        Some(path) => DeviceCache::load(path),
        None => (DeviceCache::default(), None),
    };
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
    if let Some(path) = cache {
        cached.insert(key, measurement.verdict.clone());
        if let Err(e) = cached.save(path) {
            note = Some(format!(
                "the device choice could not be saved to `{}` ({e}); it will be measured again next time",
                path.display()
            ));
        }
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
