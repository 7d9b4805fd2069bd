//! The training thread: owns the device, the model and its optimizer;
//! takes [`Command`]s, sends back [`Event`]s made of plain values.
//!
//! The UI never blocks on it: commands go through a bounded channel with
//! `try_send`, events are drained with `try_recv`, and a callback (the app's
//! `request_repaint`) is called after each event. Dropping the
//! [`WorkerHandle`] disconnects both channels and joins the thread.
//!
//! - [`protocol`]: [`Job`], [`Command`], [`Event`], [`WorkerError`].
//! - `session`: the thread's loop and what each command does.
//! - `fault`: test-only fault injection (the `testing` feature).

mod fault;
pub mod protocol;
mod session;

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

#[cfg(feature = "testing")]
pub use fault::Fault;
pub use protocol::{Command, Event, Job, WhatIfModel, WorkerError};
use session::Session;

use crate::tune::device_choice::ChoiceStore;

const COMMAND_CAPACITY: usize = 64;
const EVENT_CAPACITY: usize = 256;

/// The UI's side of the worker.
pub struct WorkerHandle {
    commands: Option<SyncSender<Command>>,
    events: Option<Receiver<Event>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for WorkerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerHandle")
            .field("running", &self.thread.is_some())
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the training thread is busy; try again")]
    Busy,
    #[error("the training thread has stopped")]
    Gone,
}

impl WorkerHandle {
    /// Starts the named training thread; `notify` is called after every
    /// event. `Auto`'s device measurements are remembered in memory only
    /// ([`spawn_with`](Self::spawn_with) names a file).
    pub fn spawn(notify: impl Fn() + Send + 'static) -> std::io::Result<WorkerHandle> {
        Self::spawn_with(ChoiceStore::in_memory(), notify)
    }

    /// [`spawn`](Self::spawn), remembering `Auto`'s device measurements in
    /// `device_choices` (the app: the data directory's file).
    pub fn spawn_with(
        device_choices: ChoiceStore,
        notify: impl Fn() + Send + 'static,
    ) -> std::io::Result<WorkerHandle> {
        let (command_tx, command_rx) = sync_channel(COMMAND_CAPACITY);
        let (event_tx, event_rx) = sync_channel(EVENT_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("purchase-lab-training".into())
            .spawn(move || {
                Session::new(command_rx, event_tx, Box::new(notify), device_choices).run();
            })?;
        Ok(WorkerHandle {
            commands: Some(command_tx),
            events: Some(event_rx),
            thread: Some(thread),
        })
    }

    /// Sends without blocking.
    pub fn send(&self, command: Command) -> Result<(), SendError> {
        let tx = self.commands.as_ref().ok_or(SendError::Gone)?;
        tx.try_send(command).map_err(|e| match e {
            TrySendError::Full(_) => SendError::Busy,
            TrySendError::Disconnected(_) => SendError::Gone,
        })
    }

    /// The next event, if one is waiting.
    pub fn try_recv(&self) -> Option<Event> {
        self.events.as_ref()?.try_recv().ok()
    }

    /// Waits up to `timeout` for the next event (tests and the CLI).
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Event> {
        self.events.as_ref()?.recv_timeout(timeout).ok()
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        // Disconnect both ways: a worker waiting for a command or blocked on
        // a full event channel wakes up and returns.
        self.commands.take();
        self.events.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // A device probe the worker started may still be warming up the GPU.
        crate::model::probe::settle();
    }
}
