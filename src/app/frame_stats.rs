//! What each frame costs the UI thread, for the 16 ms budget.
//!
//! Two figures per frame:
//! - eframe's `cpu_usage`: wall time of the frame's update, which a busy
//!   machine inflates (the thread waits for a core);
//! - the thread's own CPU time between the starts of two frames
//!   (`CLOCK_THREAD_CPUTIME_ID`), which counts only work this thread did:
//!   our panels, egui's layout and tessellation, and handing the frame to
//!   the renderer. This is what the app costs, whatever else runs; the part
//!   spent in our update (logic and ui) is recorded on its own, because with
//!   a software renderer (llvmpipe) handing the frame over costs CPU time
//!   that a GPU would not.
//!
//! `PURCHASE_LAB_FRAME_STATS=1` prints both every 30 frames.

/// Frames kept for the percentiles.
const WINDOW: usize = 600;

#[derive(Debug, Default)]
pub struct FrameStats {
    /// eframe's per-frame wall time, seconds.
    wall: Ring,
    /// The UI thread's own CPU time per frame, seconds.
    thread_cpu: Ring,
    /// The UI thread's CPU time in our update (logic and ui: panels and
    /// egui's layout), seconds; the rest of a frame is tessellation and
    /// handing the frame to the renderer.
    update_cpu: Ring,
    /// Thread CPU time at the start of the previous frame.
    last_thread_cpu: Option<f64>,
    /// Thread CPU time at the start of this frame's update.
    update_start: Option<f64>,
    frames: u64,
    /// Whether the frames before the first epoch were dropped already.
    training_seen: bool,
}

impl FrameStats {
    /// Call once at the start of every frame with eframe's figure for the
    /// previous one.
    pub fn record(&mut self, eframe_cpu_usage: Option<f32>) {
        if let Some(seconds) = eframe_cpu_usage {
            self.wall.push(f64::from(seconds));
        }
        let now = thread_cpu_seconds();
        if let (Some(last), Some(now)) = (self.last_thread_cpu, now) {
            self.thread_cpu.push((now - last).max(0.0));
        }
        self.last_thread_cpu = now;
        self.update_start = now;
        self.frames += 1;
    }

    /// Call at the end of the frame's `ui`.
    pub fn end_update(&mut self) {
        if let (Some(start), Some(now)) = (self.update_start.take(), thread_cpu_seconds()) {
            self.update_cpu.push((now - start).max(0.0));
        }
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Call every frame with the run's last epoch (0 before any): at the
    /// first epoch the frames before it (start-up, loading, preparing) are
    /// dropped once, so the figures cover training from then on.
    pub fn count_from_first_epoch(&mut self, epoch: usize) {
        if epoch == 0 || self.training_seen {
            return;
        }
        self.training_seen = true;
        self.wall = Ring::default();
        self.thread_cpu = Ring::default();
        self.update_cpu = Ring::default();
        self.frames = 0;
    }

    /// A percentile (50 = median) of eframe's wall time per frame, ms.
    pub fn wall_ms(&self, percent: usize) -> Option<f64> {
        self.wall.percentile(percent).map(|s| s * 1000.0)
    }

    /// A percentile of the UI thread's own CPU time per frame, ms.
    pub fn thread_cpu_ms(&self, percent: usize) -> Option<f64> {
        self.thread_cpu.percentile(percent).map(|s| s * 1000.0)
    }

    /// A percentile of the UI thread's CPU time in our update, ms.
    pub fn update_cpu_ms(&self, percent: usize) -> Option<f64> {
        self.update_cpu.percentile(percent).map(|s| s * 1000.0)
    }

    /// One line for the log, or `None` before two frames were seen.
    pub fn report(&self) -> Option<String> {
        let wall = (self.wall_ms(50)?, self.wall_ms(95)?);
        let mut line = format!(
            "frames {}: eframe frame time median {:.2} ms, 95th percentile {:.2} ms",
            self.frames, wall.0, wall.1
        );
        if let (Some(median), Some(p95), Some(max)) = (
            self.thread_cpu_ms(50),
            self.thread_cpu_ms(95),
            self.thread_cpu_ms(100),
        ) {
            line.push_str(&format!(
                "; UI thread CPU median {median:.2} ms, 95th percentile {p95:.2} ms, max {max:.2} ms"
            ));
        }
        if let (Some(median), Some(p95)) = (self.update_cpu_ms(50), self.update_cpu_ms(95)) {
            line.push_str(&format!(
                " (of which our update: median {median:.2} ms, 95th percentile {p95:.2} ms)"
            ));
        }
        Some(line)
    }
}

/// The last [`WINDOW`] values.
#[derive(Debug, Default)]
struct Ring {
    values: std::collections::VecDeque<f64>,
}

impl Ring {
    fn push(&mut self, value: f64) {
        if self.values.len() == WINDOW {
            self.values.pop_front();
        }
        self.values.push_back(value);
    }

    fn percentile(&self, percent: usize) -> Option<f64> {
        let mut sorted: Vec<f64> = self.values.iter().copied().collect();
        sorted.sort_by(f64::total_cmp);
        let index = (sorted.len() * percent / 100).min(sorted.len().checked_sub(1)?);
        sorted.get(index).copied()
    }
}

/// CPU time the calling thread has used, in seconds.
#[cfg(unix)]
#[expect(
    unsafe_code,
    reason = "libc's clock_gettime is the only way to read this thread's CPU time"
)]
fn thread_cpu_seconds() -> Option<f64> {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid, writable timespec for the call's duration.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    (status == 0).then_some(time.tv_sec as f64 + time.tv_nsec as f64 * 1e-9)
}

#[cfg(not(unix))]
fn thread_cpu_seconds() -> Option<f64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_the_recorded_frames() {
        let mut stats = FrameStats::default();
        for ms in 1..=100 {
            stats.record(Some(ms as f32 / 1000.0));
        }
        assert_eq!(stats.frames(), 100);
        let median = stats.wall_ms(50).unwrap();
        let p95 = stats.wall_ms(95).unwrap();
        assert!((median - 51.0).abs() < 1e-3, "{median}");
        assert!((p95 - 96.0).abs() < 1e-3, "{p95}");
        assert!(stats.report().unwrap().contains("95th percentile 96.00 ms"));
    }

    #[test]
    fn the_frames_before_the_first_epoch_are_dropped_once() {
        let mut stats = FrameStats::default();
        stats.record(Some(0.5));
        stats.count_from_first_epoch(0);
        stats.record(Some(0.4));
        stats.count_from_first_epoch(1);
        assert_eq!(stats.frames(), 0);
        assert!(stats.wall_ms(50).is_none());
        stats.record(Some(0.001));
        stats.record(Some(0.002));
        stats.count_from_first_epoch(2);
        assert_eq!(stats.frames(), 2);
        assert!((stats.wall_ms(100).unwrap() - 2.0).abs() < 1e-6);
    }

    #[test]
    fn keeps_only_the_recent_window() {
        let mut stats = FrameStats::default();
        for _ in 0..WINDOW {
            stats.record(Some(1.0));
        }
        for _ in 0..WINDOW {
            stats.record(Some(0.001));
        }
        assert!((stats.wall_ms(95).unwrap() - 1.0).abs() < 1e-6);
    }

    #[cfg(unix)]
    #[test]
    fn thread_cpu_time_grows_with_work() {
        let mut stats = FrameStats::default();
        stats.record(None);
        // Busy work the optimizer cannot remove.
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        stats.end_update();
        stats.record(None);
        let spent = stats.thread_cpu_ms(50).unwrap();
        assert!(stats.update_cpu_ms(50).unwrap() > 0.0);
        assert!(spent > 0.0, "busy frame used no CPU time: {spent} ({x})");
    }
}
