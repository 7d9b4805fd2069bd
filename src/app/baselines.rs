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

use crate::data::prep::{Pipeline, Prepared, Recipe, prepare};
use crate::data::table::Table;
use crate::model::{Family, Task};
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

/// The preparation `family` reads for the split `prepared` was made on
/// from `recipe` (the network's): that one when the family takes the
/// recipe as it is, else `table` prepared again with the family's steps
/// ([`Family::recipe_for`]: trees see unscaled features and missing values
/// as missing, as the trees the user trains do). The split follows the
/// recipe's seed and fractions, so the rows are the same. Without the
/// table, the network's preparation.
///
/// # Errors
/// The family's recipe cannot be prepared (its message).
fn preparation_for(
    family: Family,
    prepared: &Arc<Prepared>,
    recipe: &Recipe,
    table: Option<&Table>,
) -> Result<Arc<Prepared>, String> {
    let wanted = family.recipe_for(recipe);
    match table {
        Some(table) if wanted != *recipe => prepare(table, &wanted)
            .map(Arc::new)
            .map_err(|e| format!("cannot prepare the data for {}: {e}", family.label())),
        _ => Ok(Arc::clone(prepared)),
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
        table: Option<Arc<Table>>,
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
        let task = Task::for_encoding(&prepared.pipeline.encoding);
        let cancel = Arc::new(AtomicBool::new(false));
        let (tx, rx) = sync_channel(CAPACITY);
        let prepared = Arc::clone(prepared);
        let recipe = recipe.clone();
        let stop = Arc::clone(&cancel);
        let spawned = std::thread::Builder::new()
            .name("purchase-lab-baselines".into())
            .spawn(move || {
                for baseline in baselines(task) {
                    let family = baseline.model.family();
                    let fitted = match preparation_for(family, &prepared, &recipe, table.as_deref())
                        .and_then(|p| fit(p, &baseline, &stop).map_err(|e| e.to_string()))
                    {
                        Ok(Some(result)) => Ok(result),
                        Ok(None) => return,
                        Err(e) => Err(e),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::parse_csv;
    use crate::data::prep::{Impute, Problem, Scale};

    /// A table with missing `income` cells, and the network's recipe for
    /// it (median fill, standard scaling).
    fn table_and_recipe() -> (Table, Recipe) {
        let mut csv = String::from("age,income,bought\n");
        for i in 0..60u32 {
            let income = if i % 7 == 0 {
                String::new()
            } else {
                (20_000 + 900 * i).to_string()
            };
            let bought = if i % 3 == 0 { "yes" } else { "no" };
            csv.push_str(&format!("{},{income},{bought}\n", 20 + i % 40));
        }
        let table = parse_csv(csv.as_bytes()).unwrap();
        let recipe = Recipe::new(
            &table,
            "bought",
            Problem::Classification {
                positive: "yes".into(),
            },
        );
        (table, recipe)
    }

    /// The trees baseline reads the data as the trees the user trains
    /// do (unscaled, missing kept) on the same rows; the logistic
    /// regression reads the network's own preparation.
    #[test]
    fn each_baseline_reads_its_familys_preparation_of_the_same_split() {
        let (table, recipe) = table_and_recipe();
        assert_ne!(recipe.impute, Impute::KeepMissing);
        let network = Arc::new(prepare(&table, &recipe).unwrap());
        let same = preparation_for(Family::Network, &network, &recipe, Some(&table)).unwrap();
        assert!(Arc::ptr_eq(&same, &network));
        let trees = preparation_for(Family::Trees, &network, &recipe, Some(&table)).unwrap();
        assert_eq!(trees.pipeline.impute, Impute::KeepMissing);
        assert_eq!(trees.pipeline.scale, Scale::None);
        assert_eq!(trees.train.source_rows, network.train.source_rows);
        assert_eq!(trees.valid.source_rows, network.valid.source_rows);
        assert!(
            trees.train.x.data.iter().any(|v| v.is_nan()),
            "a missing income stays missing for the trees"
        );
        assert!(network.train.x.data.iter().all(|v| v.is_finite()));
    }
}
