//! Collecting the training thread's events in worker tests (worker.rs,
//! worker_soak.rs); included with `#[path]`, so those crates skip kittest.

use std::time::{Duration, Instant};

use purchase_lab::worker::{Event, WorkerHandle};

/// Every event until `stop` says so (that event included), failing after
/// `patience` with the events that did arrive.
pub fn collect_until(
    worker: &WorkerHandle,
    patience: Duration,
    mut stop: impl FnMut(&Event) -> bool,
) -> Vec<Event> {
    let deadline = Instant::now() + patience;
    let mut events = Vec::new();
    while Instant::now() < deadline {
        if let Some(e) = worker.recv_timeout(Duration::from_millis(100)) {
            let done = stop(&e);
            events.push(e);
            if done {
                return events;
            }
        }
    }
    panic!("timed out after {patience:?}; events so far: {events:?}");
}
