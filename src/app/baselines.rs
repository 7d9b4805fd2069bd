//! The baselines' background thread (`purchase-lab-baselines`): when a
//! network starts on a new split, default boosted trees and logistic
//! regression ([`crate::tune::baseline`]) are fitted once on it, one after
//! the other, and their results come back through a bounded channel. A
//! new split cancels the old fit (checked between units); dropping the
//! state cancels and joins the thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use crate::data::prep::{Pipeline, Prepared, Recipe, TargetEncoding};
use crate::model::Task;
use crate::tune::baseline::{BaselineResult, baselines, fit};

/// Results in flight at most (there are two baselines).
const CAPACITY: usize = 4;

/// What the thread sends: a fitted baseline, or why one failed.
type Fitted = Result<BaselineResult, String>;

struct Fitting {
    cancel: Arc<AtomicBool>,
    results: Option<Receiver<Fitted>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Fitting {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        // A thread blocked on a full channel wakes up and returns.
        self.results.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What makes a split the same split: the recipe, the fitted pipeline and
/// which rows train and validate (a restart prepares the data again, so
/// the `Arc` itself is new each time).
#[derive(Debug, PartialEq)]
struct SplitKey {
    recipe: Recipe,
    pipeline: Pipeline,
    train: Vec<usize>,
    valid: Vec<usize>,
}

impl SplitKey {
    fn of(prepared: &Prepared, recipe: &Recipe) -> SplitKey {
        SplitKey {
            recipe: recipe.clone(),
            pipeline: prepared.pipeline.clone(),
            train: prepared.train.source_rows.clone(),
            valid: prepared.valid.source_rows.clone(),
        }
    }
}

/// The baselines of the current split, as far as they have come.
#[derive(Default)]
pub struct Baselines {
    task: Option<Fitting>,
    /// The split they were fitted on, so the same split is never fitted
    /// twice.
    split: Option<SplitKey>,
    pub results: Vec<BaselineResult>,
    pub error: Option<String>,
}

impl std::fmt::Debug for Baselines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Baselines")
            .field("running", &self.running())
            .field("results", &self.results)
            .finish()
    }
}

impl Baselines {
    /// Whether fits are still under way.
    pub fn running(&self) -> bool {
        self.task
            .as_ref()
            .is_some_and(|t| t.thread.as_ref().is_some_and(|h| !h.is_finished()))
    }

    /// Fits the baselines on `prepared` (made by `recipe`) unless they were
    /// fitted (or are being fitted) on this same split; `notify` (the app's
    /// repaint) is called after each result. An earlier fit is cancelled
    /// and joined.
    pub fn start(
        &mut self,
        prepared: &Arc<Prepared>,
        recipe: &Recipe,
        notify: impl Fn() + Send + 'static,
    ) {
        let key = SplitKey::of(prepared, recipe);
        if self.split.as_ref() == Some(&key) {
            return;
        }
        self.task = None;
        self.results.clear();
        self.error = None;
        self.split = Some(key);
        let task = match prepared.pipeline.encoding {
            TargetEncoding::Classification { .. } => Task::Classification,
            TargetEncoding::Regression { .. } => Task::Regression,
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(CAPACITY);
        let prepared = Arc::clone(prepared);
        let stop = Arc::clone(&cancel);
        let spawned = std::thread::Builder::new()
            .name("purchase-lab-baselines".into())
            .spawn(move || {
                for baseline in baselines(task) {
                    let fitted = match fit(Arc::clone(&prepared), &baseline, &stop) {
                        Ok(Some(result)) => Ok(result),
                        Ok(None) => return,
                        Err(e) => Err(e.to_string()),
                    };
                    if tx.send(fitted).is_err() {
                        return;
                    }
                    notify();
                }
            });
        match spawned {
            Ok(thread) => {
                self.task = Some(Fitting {
                    cancel,
                    results: Some(rx),
                    thread: Some(thread),
                })
            }
            Err(e) => self.error = Some(format!("cannot start the baselines: {e}")),
        }
    }

    /// Takes the results that arrived; whether any did.
    pub fn poll(&mut self) -> bool {
        let Some(rx) = self.task.as_ref().and_then(|t| t.results.as_ref()) else {
            return false;
        };
        let mut any = false;
        while let Ok(fitted) = rx.try_recv() {
            any = true;
            match fitted {
                Ok(result) => self.results.push(result),
                Err(e) => self.error = Some(e),
            }
        }
        any
    }
}
