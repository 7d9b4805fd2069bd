//! The measurement itself, apart from any real backend: how one backend's
//! probe epochs are timed ([`time_backend`]) and how two backends' speeds
//! become a [`Verdict`]. A backend is an [`EpochTimer`], so tests drive
//! the policy with fake slow and fast backends and no real clock.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::device::ComputeKind;

/// One backend, ready to train probe epochs of the job.
pub trait EpochTimer {
    /// Trains one epoch of `steps` optimizer steps (full batches of the
    /// job's batch size) and returns its wall time, loss read back
    /// included. Errors: the backend failed (as text; it then loses).
    fn epoch(&mut self, steps: usize) -> Result<Duration, String>;
}

/// How much of a backend's time the probe may take.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbePlan {
    /// Steps of the untimed first epoch: shader compilation, autotuning and
    /// first allocations happen here, once per process, not per step.
    pub warmup_steps: usize,
    /// Steps of each timed epoch, in order. Small first, so a slow backend
    /// is found out cheaply; larger later, so a fast one's per-epoch
    /// overhead (the loss read back once per epoch) weighs less.
    pub timed_steps: Vec<usize>,
    /// Timed epochs stop before one that would (at the speed seen so far)
    /// take the backend's timed total past this.
    pub budget: Duration,
    /// Timed epochs stop once the backend is at least this many times
    /// slower per step than its rival: more epochs could not make it win.
    pub clearly_slower: f64,
}

/// Most steps of one timed epoch.
const LARGEST_EPOCH: usize = 32;

impl ProbePlan {
    /// The plan for a job of `steps_per_epoch` optimizer steps per epoch:
    /// a one-step warm-up, then epochs of 1, 4, 16 and twice 32 steps, none
    /// longer than the job's own epoch; at most ~1.5 s of timed epochs per
    /// backend; a backend 4 times slower than its rival is stopped.
    pub fn for_job(steps_per_epoch: usize) -> ProbePlan {
        let cap = steps_per_epoch.clamp(1, LARGEST_EPOCH);
        ProbePlan {
            warmup_steps: 1,
            timed_steps: [1, 4, 16, LARGEST_EPOCH, LARGEST_EPOCH]
                .iter()
                .map(|&s| s.min(cap))
                .collect(),
            budget: Duration::from_millis(1500),
            clearly_slower: 4.0,
        }
    }

    /// The most steps one epoch of this plan trains (the probe's data size).
    pub fn largest_epoch(&self) -> usize {
        self.timed_steps
            .iter()
            .copied()
            .chain([self.warmup_steps])
            .max()
            .unwrap_or(1)
    }
}

/// How fast one backend trained the job's probe epochs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Speed {
    /// Seconds per optimizer step: the fastest timed epoch's time divided
    /// by its steps (the warm-up excluded).
    pub seconds_per_step: f64,
    /// Steps timed after the warm-up.
    pub timed_steps: usize,
    /// Seconds of the warm-up epoch (compilation, autotuning), not counted
    /// in the speed.
    pub warmup_seconds: f64,
    /// Timing stopped before the plan's last epoch: over budget, or
    /// clearly slower than the rival.
    pub cut_short: bool,
}

/// The shortest time per step a [`Speed`] reports (1 ns), so a timer that
/// reads zero cannot make a ratio infinite.
const MIN_STEP_SECONDS: f64 = 1e-9;

/// Times one backend by `plan`: the warm-up epoch, then the timed epochs
/// until the plan ends, the next epoch would overrun the budget, or the
/// backend is clearly slower than `rival` (seconds per step of the backend
/// timed before it, if any). Errors: the backend's own, at any epoch.
pub fn time_backend(
    timer: &mut dyn EpochTimer,
    plan: &ProbePlan,
    rival: Option<f64>,
) -> Result<Speed, String> {
    let warmup = timer.epoch(plan.warmup_steps)?;
    let mut best: Option<f64> = None;
    let mut used = 0.0;
    let mut timed = 0;
    let mut cut_short = false;
    for &steps in &plan.timed_steps {
        if let Some(per_step) = best {
            let over_budget = used + per_step * steps as f64 > plan.budget.as_secs_f64();
            let clearly_slower = rival.is_some_and(|r| per_step >= plan.clearly_slower * r);
            if over_budget || clearly_slower {
                cut_short = true;
                break;
            }
        }
        let seconds = timer.epoch(steps)?.as_secs_f64();
        used += seconds;
        timed += steps;
        let per_step = (seconds / steps.max(1) as f64).max(MIN_STEP_SECONDS);
        best = Some(best.map_or(per_step, |b: f64| b.min(per_step)));
    }
    Ok(Speed {
        seconds_per_step: best.unwrap_or(f64::INFINITY),
        timed_steps: timed,
        warmup_seconds: warmup.as_secs_f64(),
        cut_short,
    })
}

/// What the probe found, as kept in the cache: the faster backend and both
/// speeds, or why the GPU could not be timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Both backends timed; `winner` trained a step in less time (the CPU
    /// on a tie: it needs no transfers and leaves the GPU free).
    Measured {
        winner: ComputeKind,
        cpu_step_seconds: f64,
        gpu_step_seconds: f64,
    },
    /// The GPU failed while being timed (an error or a panic in its
    /// driver): the CPU wins.
    GpuFailed { reason: String },
    /// The GPU had not finished its warm-up and first timed epoch after
    /// `waited_seconds`, at least as long as the CPU needs for the whole
    /// job (`cpu_job_seconds`, its speed times the job's steps) or the
    /// longest wait: the CPU wins.
    GpuNotReady {
        waited_seconds: f64,
        cpu_job_seconds: f64,
    },
}

/// What became of the GPU's timing.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuOutcome {
    Timed(Speed),
    Failed(String),
    /// Still warming up when the wait ended (after this long).
    NotReady(Duration),
}

/// The shortest wait for the GPU's first figures: a backend that needs
/// more than this to show one timed step is slower for any job the CPU
/// finishes in less.
pub const GPU_WAIT_MIN: Duration = Duration::from_secs(2);
/// The longest wait: a minute of warm-up is not worth it for any job here.
pub const GPU_WAIT_MAX: Duration = Duration::from_secs(60);

/// How long to wait for the GPU's figures: the CPU's time for the whole job
/// (`cpu_step_seconds` × `job_steps`), kept between [`GPU_WAIT_MIN`] and
/// [`GPU_WAIT_MAX`]. A GPU not ready by then cannot finish the job first
/// (within the longest wait).
pub fn gpu_deadline(cpu_step_seconds: f64, job_steps: usize) -> Duration {
    let job = cpu_step_seconds * job_steps as f64;
    Duration::from_secs_f64(job.clamp(GPU_WAIT_MIN.as_secs_f64(), GPU_WAIT_MAX.as_secs_f64()))
}

impl Verdict {
    /// Compares the CPU's speed with what became of the GPU's timing, for
    /// a job of `job_steps` optimizer steps.
    pub fn from_speeds(cpu: &Speed, gpu: &GpuOutcome, job_steps: usize) -> Verdict {
        match gpu {
            GpuOutcome::Failed(reason) => Verdict::GpuFailed {
                reason: reason.clone(),
            },
            GpuOutcome::NotReady(waited) => Verdict::GpuNotReady {
                waited_seconds: waited.as_secs_f64(),
                cpu_job_seconds: cpu.seconds_per_step * job_steps as f64,
            },
            GpuOutcome::Timed(gpu) => Verdict::Measured {
                winner: if gpu.seconds_per_step < cpu.seconds_per_step {
                    ComputeKind::Gpu
                } else {
                    ComputeKind::Cpu
                },
                cpu_step_seconds: cpu.seconds_per_step,
                gpu_step_seconds: gpu.seconds_per_step,
            },
        }
    }

    /// The backend to train on.
    pub fn winner(&self) -> ComputeKind {
        match self {
            Verdict::Measured { winner, .. } => *winner,
            Verdict::GpuFailed { .. } | Verdict::GpuNotReady { .. } => ComputeKind::Cpu,
        }
    }

    /// How many times faster per step the winner was (at least 1); `None`
    /// when the GPU failed or gave no figure in time.
    pub fn ratio(&self) -> Option<f64> {
        match self {
            Verdict::Measured {
                cpu_step_seconds,
                gpu_step_seconds,
                ..
            } => {
                let (fast, slow) = if cpu_step_seconds <= gpu_step_seconds {
                    (cpu_step_seconds, gpu_step_seconds)
                } else {
                    (gpu_step_seconds, cpu_step_seconds)
                };
                Some(slow / fast.max(MIN_STEP_SECONDS))
            }
            Verdict::GpuFailed { .. } | Verdict::GpuNotReady { .. } => None,
        }
    }

    /// Why the winner trains, for the device label: e.g. `6.1x faster than
    /// the GPU (llvmpipe) for this network, measured`; `cached` says the
    /// figures come from an earlier probe.
    pub fn reason(&self, adapter: &str, cached: bool) -> String {
        let how = if cached {
            "measured earlier (cached)"
        } else {
            "measured"
        };
        match (self, self.ratio()) {
            (Verdict::GpuFailed { reason }, _) => format!(
                "the GPU ({adapter}) failed while its speed was measured ({reason}); the CPU trains"
            ),
            (
                Verdict::GpuNotReady {
                    waited_seconds,
                    cpu_job_seconds,
                },
                _,
            ) => format!(
                "the GPU ({adapter}) had not trained a timed step after {waited_seconds:.1} s; \
                 the CPU trains the whole job in about {}, {how}",
                seconds(*cpu_job_seconds)
            ),
            (_, Some(ratio)) => {
                let other = match self.winner() {
                    ComputeKind::Cpu => format!("the GPU ({adapter})"),
                    ComputeKind::Gpu => "the CPU".to_string(),
                };
                if ratio < NEAR_TIE {
                    format!("about as fast as {other} for this network, {how}")
                } else {
                    format!(
                        "{} faster than {other} for this network, {how}",
                        times(ratio)
                    )
                }
            }
            (_, None) => format!("chosen for this network, {how}"),
        }
    }
}

/// Below this ratio the label says "about as fast" rather than a figure
/// that timing noise could reverse.
const NEAR_TIE: f64 = 1.05;

/// A duration as the label shows it: `0.42 s`, `3.1 s`, `95 s`.
fn seconds(s: f64) -> String {
    rounded(s, &[(10.0, 0), (1.0, 1)], 2, " s")
}

/// A speed ratio as the label shows it: `6.1x`, `12x`, `1.03x` near a tie.
fn times(ratio: f64) -> String {
    rounded(ratio, &[(10.0, 0), (1.1, 1)], 2, "x")
}

/// `value` and `unit` with fewer decimals the larger it is: the decimals
/// of the first `(from, decimals)` tier it reaches, else `smallest`.
pub fn rounded(value: f64, tiers: &[(f64, usize)], smallest: usize, unit: &str) -> String {
    let decimals = tiers
        .iter()
        .find(|(from, _)| value >= *from)
        .map_or(smallest, |(_, d)| *d);
    format!("{value:.decimals$}{unit}")
}

/// Times the CPU, then hands its speed and the wait ([`gpu_deadline`]
/// for a job of `job_steps` steps) to `time_gpu`, which times the GPU
/// against it (cut short once it is clearly slower) or says it failed or
/// was not ready in time; then compares them. Errors: the CPU could not be
/// timed (nothing was measured; the caller decides without a measurement).
pub fn compare(
    cpu: &mut dyn EpochTimer,
    plan: &ProbePlan,
    job_steps: usize,
    time_gpu: impl FnOnce(f64, Duration) -> GpuOutcome,
) -> Result<(Verdict, Speed, GpuOutcome), String> {
    let cpu_speed = time_backend(cpu, plan, None)?;
    let wait = gpu_deadline(cpu_speed.seconds_per_step, job_steps);
    let gpu = time_gpu(cpu_speed.seconds_per_step, wait);
    let verdict = Verdict::from_speeds(&cpu_speed, &gpu, job_steps);
    Ok((verdict, cpu_speed, gpu))
}

#[cfg(test)]
mod tests;
