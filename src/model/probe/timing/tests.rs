use super::*;

/// A backend whose epochs take made-up times: `warmup` for the first one,
/// then `per_epoch + steps * per_step`; it remembers the steps it was asked
/// for and can fail at a given call.
struct Fake {
    warmup: Duration,
    per_step: Duration,
    per_epoch: Duration,
    calls: Vec<usize>,
    fail_at: Option<usize>,
}

impl Fake {
    fn new(warmup_ms: f64, per_step_ms: f64) -> Fake {
        Fake {
            warmup: Duration::from_secs_f64(warmup_ms / 1000.0),
            per_step: Duration::from_secs_f64(per_step_ms / 1000.0),
            per_epoch: Duration::ZERO,
            calls: Vec::new(),
            fail_at: None,
        }
    }
}

impl EpochTimer for Fake {
    fn epoch(&mut self, steps: usize) -> Result<Duration, String> {
        self.calls.push(steps);
        if self.fail_at == Some(self.calls.len()) {
            return Err("device lost".to_string());
        }
        if self.calls.len() == 1 {
            return Ok(self.warmup);
        }
        let steps = u32::try_from(steps).unwrap();
        Ok(self.per_epoch + self.per_step * steps)
    }
}

fn plan() -> ProbePlan {
    ProbePlan::for_job(150)
}

/// 200 epochs of 150 steps.
const JOB_STEPS: usize = 30_000;

/// [`compare`] with the GPU timed on this thread, always in time.
fn both(cpu: &mut Fake, gpu: &mut Fake) -> Result<(Verdict, Speed, Option<Speed>), String> {
    let (verdict, cpu_speed, outcome) = compare(cpu, &plan(), JOB_STEPS, |rival, _| {
        match time_backend(gpu, &plan(), Some(rival)) {
            Ok(speed) => GpuOutcome::Timed(speed),
            Err(e) => GpuOutcome::Failed(e),
        }
    })?;
    let gpu_speed = match outcome {
        GpuOutcome::Timed(speed) => Some(speed),
        _ => None,
    };
    Ok((verdict, cpu_speed, gpu_speed))
}

#[test]
fn a_gpu_still_warming_up_when_the_cpu_would_be_done_loses() {
    // 0.1 ms a step: the whole job takes the CPU 3 s, so the GPU gets 3 s.
    let mut cpu = Fake::new(2.0, 0.1);
    let (verdict, _, outcome) = compare(&mut cpu, &plan(), JOB_STEPS, |rival, wait| {
        assert!((rival - 1e-4).abs() < 1e-12);
        GpuOutcome::NotReady(wait)
    })
    .unwrap();
    assert_eq!(outcome, GpuOutcome::NotReady(Duration::from_secs(3)));
    assert_eq!(verdict.winner(), ComputeKind::Cpu);
    assert_eq!(verdict.ratio(), None);
    assert_eq!(
        verdict.reason("llvmpipe", false),
        "the GPU (llvmpipe) had not trained a timed step after 3.0 s; \
         the CPU trains the whole job in about 3.0 s, measured"
    );
}

#[test]
fn the_wait_for_the_gpu_is_the_cpus_whole_job_within_bounds() {
    assert_eq!(gpu_deadline(1e-5, 100), GPU_WAIT_MIN);
    assert_eq!(gpu_deadline(1e-3, 10_000), Duration::from_secs(10));
    assert_eq!(gpu_deadline(1.0, 1_000_000), GPU_WAIT_MAX);
}

#[test]
fn a_slow_software_gpu_loses_by_measurement_and_is_cut_short() {
    // lavapipe here: seconds of shader compilation, then ~0.3 s a step,
    // against the host kernel's ~0.1 ms.
    let mut cpu = Fake::new(2.0, 0.1);
    let mut gpu = Fake::new(8000.0, 300.0);
    let (verdict, cpu_speed, gpu_speed) = both(&mut cpu, &mut gpu).unwrap();
    assert_eq!(verdict.winner(), ComputeKind::Cpu);
    assert!((verdict.ratio().unwrap() - 3000.0).abs() < 1e-6);
    // The CPU ran the whole plan; the GPU one timed step after its warm-up.
    assert_eq!(cpu.calls, [1, 1, 4, 16, 32, 32]);
    assert!(!cpu_speed.cut_short);
    assert_eq!(gpu.calls, [1, 1]);
    let gpu_speed = gpu_speed.unwrap();
    assert!(gpu_speed.cut_short);
    assert_eq!(gpu_speed.timed_steps, 1);
    assert!((gpu_speed.warmup_seconds - 8.0).abs() < 1e-9);
    assert_eq!(
        verdict.reason("llvmpipe", false),
        "3000x faster than the GPU (llvmpipe) for this network, measured"
    );
}

#[test]
fn a_fast_gpu_wins_and_its_warmup_does_not_count() {
    // Twenty seconds of compilation and autotuning, then 8 times faster.
    let mut cpu = Fake::new(1.0, 4.0);
    let mut gpu = Fake::new(20_000.0, 0.5);
    let (verdict, _, gpu_speed) = both(&mut cpu, &mut gpu).unwrap();
    assert_eq!(verdict.winner(), ComputeKind::Gpu);
    assert!((verdict.ratio().unwrap() - 8.0).abs() < 1e-9);
    assert_eq!(gpu.calls, [1, 1, 4, 16, 32, 32]);
    assert!(!gpu_speed.unwrap().cut_short);
    assert_eq!(
        verdict.reason("NVIDIA H100", true),
        "8.0x faster than the CPU for this network, measured earlier (cached)"
    );
}

#[test]
fn a_tie_stays_on_the_cpu() {
    let mut cpu = Fake::new(1.0, 2.0);
    let mut gpu = Fake::new(1.0, 2.0);
    let (verdict, _, _) = both(&mut cpu, &mut gpu).unwrap();
    assert_eq!(verdict.winner(), ComputeKind::Cpu);
    assert_eq!(
        verdict.reason("x", false),
        "about as fast as the GPU (x) for this network, measured"
    );
}

#[test]
fn timing_stops_before_an_epoch_that_would_overrun_the_budget() {
    // 100 ms a step: 1 step (0.1 s) and 4 (0.4 s) fit in 1.5 s; 16 more
    // (1.6 s) would not.
    let mut slow = Fake::new(50.0, 100.0);
    let speed = time_backend(&mut slow, &plan(), None).unwrap();
    assert_eq!(slow.calls, [1, 1, 4]);
    assert!(speed.cut_short);
    assert_eq!(speed.timed_steps, 5);
    assert!((speed.seconds_per_step - 0.1).abs() < 1e-9);
}

#[test]
fn the_speed_is_the_best_epoch_so_per_epoch_overhead_weighs_least() {
    // 1 ms per epoch (the loss read back) and 10 µs per step: the 32-step
    // epochs give the closest figure.
    let mut gpu = Fake::new(5.0, 0.01);
    gpu.per_epoch = Duration::from_millis(1);
    let speed = time_backend(&mut gpu, &plan(), None).unwrap();
    let expected = (0.001 + 32.0 * 0.00001) / 32.0;
    assert!(
        (speed.seconds_per_step - expected).abs() < 1e-9,
        "{speed:?}"
    );
    assert_eq!(speed.timed_steps, 1 + 4 + 16 + 32 + 32);
}

#[test]
fn a_short_job_is_timed_in_epochs_of_its_own_size() {
    assert_eq!(ProbePlan::for_job(3).timed_steps, [1, 3, 3, 3, 3]);
    assert_eq!(ProbePlan::for_job(0).timed_steps, [1, 1, 1, 1, 1]);
    assert_eq!(ProbePlan::for_job(10_000).largest_epoch(), 32);
}

#[test]
fn a_failing_gpu_loses_and_a_failing_cpu_is_an_error() {
    let mut cpu = Fake::new(1.0, 1.0);
    let mut gpu = Fake::new(1.0, 0.1);
    gpu.fail_at = Some(3);
    let (verdict, _, gpu_speed) = both(&mut cpu, &mut gpu).unwrap();
    assert_eq!(
        verdict,
        Verdict::GpuFailed {
            reason: "device lost".into()
        }
    );
    assert_eq!(verdict.winner(), ComputeKind::Cpu);
    assert_eq!(verdict.ratio(), None);
    assert!(gpu_speed.is_none());
    assert!(
        verdict
            .reason("x", false)
            .contains("failed while its speed was measured")
    );

    let mut cpu = Fake::new(1.0, 1.0);
    let (verdict, _, _) = compare(&mut cpu, &plan(), JOB_STEPS, |_, _| {
        GpuOutcome::Failed("no device".into())
    })
    .unwrap();
    assert_eq!(
        verdict,
        Verdict::GpuFailed {
            reason: "no device".into()
        }
    );

    let mut cpu = Fake::new(1.0, 1.0);
    cpu.fail_at = Some(1);
    let mut gpu = Fake::new(1.0, 1.0);
    assert!(both(&mut cpu, &mut gpu).is_err());
    assert!(
        gpu.calls.is_empty(),
        "the GPU is not timed without a CPU figure"
    );
}

#[test]
fn a_timer_reading_zero_gives_a_finite_ratio() {
    let mut cpu = Fake::new(0.0, 0.0);
    let mut gpu = Fake::new(0.0, 1.0);
    let (verdict, _, _) = both(&mut cpu, &mut gpu).unwrap();
    assert_eq!(verdict.winner(), ComputeKind::Cpu);
    assert!(verdict.ratio().unwrap().is_finite());
}

#[test]
fn ratios_read_as_the_label_shows_them() {
    assert_eq!(times(6.14), "6.1x");
    assert_eq!(times(12.4), "12x");
    assert_eq!(times(1.034), "1.03x");
}
