//! The speed probe behind `Auto`: a few optimizer steps of the actual job
//! (its network shape, batch size and feature count) timed on the CPU
//! backend and on the wgpu GPU, the warm-up excluded, so training runs on
//! the faster. [`timing`] holds the policy (what is timed, when timing stops,
//! the [`Verdict`]) apart from real backends; this file runs it on Burn's.
//!
//! The probe trains a throw-away [`Trainer`] on generated rows of the job's
//! shape: the speed of a step depends on the shapes, not on the values
//! (subnormal values, the one exception, are flushed while training). Where
//! the choice is remembered (per adapter and job shape) is the caller's
//! business: `tune::device_choice`.

pub mod timing;

use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use burn::tensor::Device;

pub use timing::{EpochTimer, ProbePlan, Speed, Verdict, compare, time_backend};

use crate::data::prep::Prepared;
use crate::model::TrainError;
use crate::model::family::ModelSpec;
use crate::model::mlp::Trainer;
use crate::model::spec::{NetworkSpec, Task, TrainSettings};

/// The shape of a network's training job: what the probe times.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeJob {
    pub spec: NetworkSpec,
    pub settings: TrainSettings,
    pub task: Task,
    /// Columns of the prepared matrix.
    pub n_features: usize,
    /// Training rows (an epoch's size).
    pub n_rows: usize,
}

impl ProbeJob {
    /// The job of training `model` on `prepared`'s training rows; `None`
    /// for boosted trees, which train on the CPU whatever the device.
    pub fn of(model: &ModelSpec, prepared: &Prepared) -> Option<ProbeJob> {
        match model {
            ModelSpec::Network { spec, settings } => Some(ProbeJob {
                spec: spec.clone(),
                settings: settings.clone(),
                task: if prepared.pipeline.encoding.class_names().is_some() {
                    Task::Classification
                } else {
                    Task::Regression
                },
                n_features: prepared.train.x.cols,
                n_rows: prepared.train.x.rows,
            }),
            ModelSpec::Trees { .. } => None,
        }
    }

    /// Rows per optimizer step, as training uses it (never more than the rows).
    pub fn batch(&self) -> usize {
        self.settings.batch_size.min(self.n_rows).max(1)
    }

    /// Optimizer steps in one epoch of the job.
    pub fn steps_per_epoch(&self) -> usize {
        self.n_rows.div_ceil(self.batch())
    }
}

/// What a probe measured: the verdict and each backend's speed.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub verdict: Verdict,
    pub cpu: Speed,
    /// `None` when the GPU failed.
    pub gpu: Option<Speed>,
    /// Wall time of the whole probe (both backends, warm-ups included).
    pub seconds: f64,
}

/// Times `job` on the CPU backend (flex, the host kernel) and on `gpu`
/// (a wgpu device) by [`ProbePlan::for_job`], and compares them. A panic
/// in the GPU's driver counts as its failure. Errors: the CPU could not
/// train the job (an invalid spec: training would fail the same way).
pub fn measure(job: &ProbeJob, gpu: &Device) -> Result<Measurement, String> {
    let start = Instant::now();
    let plan = ProbePlan::for_job(job.steps_per_epoch());
    let data = ProbeData::new(job, plan.largest_epoch());
    let mut cpu = TrainerTimer::new(job, &Device::flex(), &data)?;
    let mut gpu_timer = TrainerTimer::new(job, gpu, &data);
    let gpu_timer = match &mut gpu_timer {
        Ok(timer) => Ok(timer as &mut dyn EpochTimer),
        Err(reason) => Err(reason.clone()),
    };
    let (verdict, cpu, gpu) = compare(&mut cpu, gpu_timer, &plan)?;
    Ok(Measurement {
        verdict,
        cpu,
        gpu,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Generated rows of the job's shape: features spread over `[0, 1)` as
/// min-max scaling leaves them, targets alternating 0 and 1 (a value for
/// regression). Row-major, `rows × n_features`.
struct ProbeData {
    x: Vec<f32>,
    y: Vec<f32>,
    n_features: usize,
}

impl ProbeData {
    fn new(job: &ProbeJob, steps: usize) -> ProbeData {
        let rows = job.batch() * steps;
        // A golden-ratio sequence: spread out, deterministic, no RNG.
        let x = (0..rows * job.n_features)
            .map(|i| (i as f64 * 0.618_033_988_749_895).fract() as f32)
            .collect();
        let y = (0..rows).map(|r| (r % 2) as f32).collect();
        ProbeData {
            x,
            y,
            n_features: job.n_features,
        }
    }
}

/// A real backend: a fresh [`Trainer`] of the job on one device, trained on
/// the first rows of the probe data (whole batches, so no new shapes).
struct TrainerTimer<'a> {
    trainer: Trainer,
    data: &'a ProbeData,
    batch: usize,
}

impl<'a> TrainerTimer<'a> {
    fn new(job: &ProbeJob, device: &Device, data: &'a ProbeData) -> Result<Self, String> {
        let built = caught(|| {
            Trainer::new(&job.spec, &job.settings, job.task, job.n_features, device)
                .map_err(|e| e.to_string())
        })?;
        Ok(TrainerTimer {
            trainer: built,
            data,
            batch: job.batch(),
        })
    }
}

impl EpochTimer for TrainerTimer<'_> {
    fn epoch(&mut self, steps: usize) -> Result<Duration, String> {
        let rows = (steps * self.batch).min(self.data.y.len());
        let x = self
            .data
            .x
            .get(..rows * self.data.n_features)
            .unwrap_or(&[]);
        let y = self.data.y.get(..rows).unwrap_or(&[]);
        let trainer = &mut self.trainer;
        let start = Instant::now();
        caught(|| match trainer.run_epoch(x, y, rows) {
            // Generated targets can push a large learning rate over the
            // edge; the epoch's work was done all the same.
            Ok(_) | Err(TrainError::Diverged { .. }) => Ok(()),
            Err(e) => Err(e.to_string()),
        })?;
        Ok(start.elapsed())
    }
}

/// `work` with a panic turned into an error: a GPU driver can panic.
fn caught<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_owned());
        Err(format!("panicked: {detail}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::spec::Activation;

    fn job(rows: usize) -> ProbeJob {
        ProbeJob {
            spec: NetworkSpec {
                hidden: vec![8],
                activation: Activation::Relu,
                dropout: 0.0,
            },
            settings: TrainSettings {
                batch_size: 16,
                ..TrainSettings::default()
            },
            task: Task::Classification,
            n_features: 3,
            n_rows: rows,
        }
    }

    #[test]
    fn the_job_shape_gives_batch_and_steps() {
        assert_eq!(job(100).batch(), 16);
        assert_eq!(job(100).steps_per_epoch(), 7);
        assert_eq!(job(5).batch(), 5);
        assert_eq!(job(5).steps_per_epoch(), 1);
    }

    #[test]
    fn the_cpu_backend_trains_probe_epochs_of_whole_batches() {
        let job = job(100);
        let data = ProbeData::new(&job, 4);
        assert_eq!(data.x.len(), 64 * 3);
        assert!(data.x.iter().all(|v| (0.0..1.0).contains(v)));
        let mut timer = TrainerTimer::new(&job, &Device::flex(), &data).unwrap();
        timer.epoch(1).unwrap();
        timer.epoch(4).unwrap();
        assert_eq!(timer.trainer.epoch(), 2);
    }

    #[test]
    fn a_panic_is_an_error() {
        let result: Result<(), String> = caught(|| panic!("driver lost"));
        assert_eq!(result, Err("panicked: driver lost".to_string()));
    }
}
