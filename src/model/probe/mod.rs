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

/// Test hook (`testing` feature only): a GPU that warms up slowly, as
/// Mesa's lavapipe does on a cold shader cache, so tests can make a probe
/// outlive its wait on any machine.
#[cfg(feature = "testing")]
pub mod testing {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    static GPU_WARMUP_DELAY_MS: AtomicU64 = AtomicU64::new(0);

    /// While alive, every GPU probe sleeps `delay` before it starts; the
    /// delay is process-wide, so tests that probe must take turns.
    #[derive(Debug)]
    pub struct SlowGpuWarmup(());

    impl SlowGpuWarmup {
        pub fn new(delay: Duration) -> SlowGpuWarmup {
            let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            GPU_WARMUP_DELAY_MS.store(ms, Ordering::Relaxed);
            SlowGpuWarmup(())
        }
    }

    impl Drop for SlowGpuWarmup {
        fn drop(&mut self) {
            GPU_WARMUP_DELAY_MS.store(0, Ordering::Relaxed);
        }
    }

    /// The delay the probe's thread sleeps first (zero unless a test set it).
    pub(super) fn delay() -> Duration {
        Duration::from_millis(GPU_WARMUP_DELAY_MS.load(Ordering::Relaxed))
    }
}

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use burn::tensor::Device;

pub use timing::{EpochTimer, GpuOutcome, ProbePlan, Speed, Verdict, compare, time_backend};

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
                task: Task::for_encoding(&prepared.pipeline.encoding),
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
    /// What became of the GPU's timing.
    pub gpu: GpuOutcome,
    /// Wall time of the whole probe (both backends, warm-ups included).
    pub seconds: f64,
}

/// Times `job` on the CPU backend (flex, the host kernel), then on `gpu` (a
/// wgpu device) on a named thread, waited for as long as the CPU needs for
/// the whole job ([`timing::gpu_deadline`]), and compares them. A panic in
/// the GPU's driver counts as its failure.
///
/// A GPU still warming up when the wait ends (Mesa's lavapipe compiles its
/// shaders for many seconds) cannot be interrupted inside wgpu: its thread
/// is told to stop at its next epoch and is joined before the next probe
/// starts (a probe that finds it still running counts the GPU as not
/// ready), so two probes never compete. Errors: the CPU could not train
/// the job (an invalid spec: training would fail the same way).
pub fn measure(job: &ProbeJob, gpu: &Device) -> Result<Measurement, String> {
    let start = Instant::now();
    let plan = ProbePlan::for_job(job.steps_per_epoch());
    let data = Arc::new(ProbeData::new(job, plan.largest_epoch()));
    let mut cpu = TrainerTimer::new(job, &Device::flex(), data.clone(), None)?;
    let job_steps = job.steps_per_epoch() * job.settings.epochs.max(1);
    let (verdict, cpu, gpu) = compare(&mut cpu, &plan, job_steps, |rival, wait| {
        time_gpu(job, gpu, data, &plan, rival, wait)
    })?;
    Ok(Measurement {
        verdict,
        cpu,
        gpu,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// A GPU probe whose wait ended before it did (already told to stop);
/// joined by the next probe, or by [`settle`] on the way out.
static LINGERING: Mutex<Option<JoinHandle<()>>> = Mutex::new(None);

/// Waits for a GPU probe that outlived its wait, so that no thread of ours
/// is inside the GPU driver when the process exits: the driver's exit
/// handlers (Mesa's) tear down state such a thread still uses, and the
/// process then crashes on its way out (seen in CI: a test binary whose
/// tests had all passed ended with SIGSEGV). The probe stops at its next
/// epoch, so this waits for its warm-up, at most [`SETTLE_LIMIT`] (a GPU
/// that hangs must not hang the exit); it returns at once when none
/// lingers. Called on the way out only, never on the UI thread while the
/// window is open: the training worker's drop (the window closing, a test's
/// window) and the command line's `main`.
pub fn settle() {
    let Some(probe) = LINGERING.lock().ok().and_then(|mut l| l.take()) else {
        return;
    };
    if ended_by(&probe, Instant::now() + SETTLE_LIMIT) {
        // A panic there was already reported as that probe's failure.
        let _ = probe.join();
    }
}

/// The longest [`settle`] waits for a probe to finish its warm-up.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// Waits until `probe`'s thread has ended or `deadline` has passed;
/// whether it ended (then joining it does not block).
fn ended_by(probe: &JoinHandle<()>, deadline: Instant) -> bool {
    while !probe.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    probe.is_finished()
}

/// Times the GPU on the thread "purchase-lab-device-probe", waiting at most
/// `wait` for its figures.
fn time_gpu(
    job: &ProbeJob,
    gpu: &Device,
    data: Arc<ProbeData>,
    plan: &ProbePlan,
    rival: f64,
    wait: Duration,
) -> GpuOutcome {
    let started = Instant::now();
    let deadline = started + wait;
    if let Some(earlier) = LINGERING.lock().ok().and_then(|mut l| l.take()) {
        // The GPU is still busy with an earlier probe's warm-up (it stops
        // at its next epoch): within this wait, it is not ready either.
        if !ended_by(&earlier, deadline) {
            if let Ok(mut lingering) = LINGERING.lock() {
                *lingering = Some(earlier);
            }
            return GpuOutcome::NotReady(started.elapsed());
        }
        // A panic there was already reported as that probe's failure.
        let _ = earlier.join();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let (sender, answer) = sync_channel(1);
    let (job, gpu, plan, thread_stop) = (job.clone(), gpu.clone(), plan.clone(), stop.clone());
    let spawned = std::thread::Builder::new()
        .name("purchase-lab-device-probe".into())
        .spawn(move || {
            #[cfg(feature = "testing")]
            std::thread::sleep(testing::delay());
            let speed = TrainerTimer::new(&job, &gpu, data, Some(thread_stop))
                .and_then(|mut timer| time_backend(&mut timer, &plan, Some(rival)));
            // The caller may have stopped waiting; then nobody needs it.
            let _ = sender.send(speed);
        });
    let handle = match spawned {
        Ok(handle) => handle,
        Err(e) => return GpuOutcome::Failed(format!("the probe's thread did not start: {e}")),
    };
    let outcome = match answer.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(Ok(speed)) => GpuOutcome::Timed(speed),
        Ok(Err(reason)) => GpuOutcome::Failed(reason),
        Err(RecvTimeoutError::Disconnected) => {
            GpuOutcome::Failed("the probe's thread ended without an answer".into())
        }
        Err(RecvTimeoutError::Timeout) => {
            stop.store(true, Ordering::Relaxed);
            if let Ok(mut lingering) = LINGERING.lock() {
                *lingering = Some(handle);
            }
            return GpuOutcome::NotReady(started.elapsed());
        }
    };
    let _ = handle.join();
    outcome
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
struct TrainerTimer {
    trainer: Trainer,
    data: Arc<ProbeData>,
    batch: usize,
    /// Set when nobody waits for this backend any more.
    stop: Option<Arc<AtomicBool>>,
}

impl TrainerTimer {
    fn new(
        job: &ProbeJob,
        device: &Device,
        data: Arc<ProbeData>,
        stop: Option<Arc<AtomicBool>>,
    ) -> Result<Self, String> {
        let built = caught(|| {
            Trainer::new(&job.spec, &job.settings, job.task, job.n_features, device)
                .map_err(|e| e.to_string())
        })?;
        Ok(TrainerTimer {
            trainer: built,
            data,
            batch: job.batch(),
            stop,
        })
    }
}

impl EpochTimer for TrainerTimer {
    fn epoch(&mut self, steps: usize) -> Result<Duration, String> {
        if self
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            return Err("no longer waited for".into());
        }
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
                layer_activations: Vec::new(),
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
        let stop = Arc::new(AtomicBool::new(false));
        let mut timer =
            TrainerTimer::new(&job, &Device::flex(), Arc::new(data), Some(stop.clone())).unwrap();
        timer.epoch(1).unwrap();
        timer.epoch(4).unwrap();
        assert_eq!(timer.trainer.epoch(), 2);
        // Told to stop: no more epochs.
        stop.store(true, Ordering::Relaxed);
        assert!(timer.epoch(1).is_err());
        assert_eq!(timer.trainer.epoch(), 2);
    }

    #[test]
    fn a_panic_is_an_error() {
        let result: Result<(), String> = caught(|| panic!("driver lost"));
        assert_eq!(result, Err("panicked: driver lost".to_string()));
    }
}
