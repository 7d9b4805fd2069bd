//! Preparing a table for training off the UI thread: screening its columns,
//! the split, fitting the pipeline and transforming every part are O(rows)
//! and take about a second on a million customers, so they run on the named
//! thread "purchase-lab-prepare" (a [`Task`]: bounded channel, joined on
//! drop). Each request gets a number; only the newest request's result is
//! taken, so a preparation that finishes after the user loaded other data
//! or changed the recipe is dropped unseen.

use std::sync::Arc;

use super::background::Task;
use super::settings::labels;
use crate::data::prep::{Prepared, prepare};
use crate::data::screen::Unsuitable;
use crate::data::table::Table;
use crate::data::{DataNote, Recipe};

/// What a table and a recipe came to.
pub struct Preparation {
    /// The table version and recipe it was made from.
    pub key: PrepKey,
    /// Columns unfit to be features (identifiers, constants, nearly empty).
    pub unfit_columns: Vec<(String, Unsuitable)>,
    /// The reader's notes, the screen's and the recipe's.
    pub notes: Vec<DataNote>,
    /// The target's distinct labels, most frequent first (the data panel's
    /// positive label box, which must not count a million cells a frame).
    pub target_labels: Vec<String>,
    /// The matrices, or why the recipe cannot be prepared.
    pub result: Result<Arc<Prepared>, String>,
}

/// Which table (by the data side's version) and which recipe.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepKey {
    pub data_version: u64,
    pub recipe: Recipe,
}

/// Screens `table` for the key's recipe and prepares its matrices (the
/// work [`Preparer`] runs on its thread; tests call it directly).
pub fn prepare_table(table: &Table, key: PrepKey) -> Preparation {
    let recipe = &key.recipe;
    let unfit_columns = crate::data::screen::unfit_columns(table, &recipe.target);
    let mut notes = table.notes().to_vec();
    notes.extend(crate::data::screen::recipe_feature_notes(
        &unfit_columns,
        &recipe.features,
    ));
    let result = match prepare(table, recipe) {
        Ok(p) => {
            notes.extend(p.notes.iter().cloned());
            Ok(Arc::new(p))
        }
        Err(e) => Err(e.to_string()),
    };
    Preparation {
        target_labels: labels(table, &recipe.target),
        key,
        unfit_columns,
        notes,
        result,
    }
}

/// The preparations in flight, the newest last.
#[derive(Default)]
pub struct Preparer {
    /// Every request still running, by number; older ones are kept until
    /// they finish (joining them would block the frame) and then dropped.
    in_flight: Vec<(u64, Task<Preparation>)>,
    /// The newest request's number and key.
    newest: Option<(u64, PrepKey)>,
    next: u64,
}

impl Preparer {
    /// Starts preparing `table` for `key` unless the newest request is
    /// for that already; `notify` is called when it is done.
    pub fn request(
        &mut self,
        table: Arc<Table>,
        key: PrepKey,
        notify: impl Fn() + Send + 'static,
    ) -> Result<(), String> {
        if self.busy() && self.newest.as_ref().is_some_and(|(_, k)| *k == key) {
            return Ok(());
        }
        self.next += 1;
        let number = self.next;
        let job = key.clone();
        let task = Task::spawn("purchase-lab-prepare", true, notify, move || {
            prepare_table(&table, job)
        })?;
        self.in_flight.push((number, task));
        self.newest = Some((number, key));
        Ok(())
    }

    /// Whether the newest request is still being prepared.
    pub fn busy(&self) -> bool {
        let newest = self.newest.as_ref().map(|(n, _)| *n);
        self.in_flight.iter().any(|(n, _)| Some(*n) == newest)
    }

    /// Forgets every request: results still to come are dropped (new
    /// data arrived, for which nothing was asked yet).
    pub fn forget(&mut self) {
        self.newest = None;
    }

    /// The newest request's result once it is ready; finished older ones
    /// are dropped. A thread that ended without a result (it panicked)
    /// reads as an error.
    pub fn poll(&mut self) -> Option<Preparation> {
        let newest = self.newest.as_ref().map(|(n, _)| *n);
        let mut taken = None;
        self.in_flight
            .retain_mut(|(number, task)| match task.poll() {
                Some(done) => {
                    if Some(*number) == newest {
                        taken = Some(Ok(done));
                    }
                    false
                }
                None if task.is_lost() => {
                    if Some(*number) == newest {
                        taken = Some(Err(()));
                    }
                    false
                }
                None => true,
            });
        match taken? {
            Ok(done) => {
                self.newest = None;
                Some(done)
            }
            Err(()) => {
                let (_, key) = self.newest.take()?;
                Some(Preparation {
                    key,
                    unfit_columns: Vec::new(),
                    notes: Vec::new(),
                    target_labels: Vec::new(),
                    result: Err("preparing the data stopped on an internal error".to_owned()),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::synth::SynthSettings;
    use std::time::{Duration, Instant};

    fn table(rows: usize) -> Arc<Table> {
        let settings = SynthSettings {
            rows,
            ..SynthSettings::default()
        };
        Arc::new(crate::data::synth::generate(&settings).unwrap())
    }

    fn key(table: &Table, version: u64, test_fraction: f64) -> PrepKey {
        let mut recipe = Recipe::new(
            table,
            "purchased",
            crate::data::Problem::Classification {
                positive: "yes".to_owned(),
            },
        );
        recipe.test_fraction = test_fraction;
        PrepKey {
            data_version: version,
            recipe,
        }
    }

    fn wait(preparer: &mut Preparer) -> Preparation {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(done) = preparer.poll() {
                return done;
            }
            assert!(Instant::now() < deadline, "no preparation arrived");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn the_newest_request_wins_and_older_results_are_dropped() {
        let big = table(20_000);
        let small = table(300);
        let mut preparer = Preparer::default();
        preparer
            .request(big.clone(), key(&big, 1, 0.2), || {})
            .unwrap();
        preparer
            .request(small.clone(), key(&small, 2, 0.3), || {})
            .unwrap();
        assert!(preparer.busy());
        let done = wait(&mut preparer);
        assert_eq!(done.key, key(&small, 2, 0.3));
        let prepared = done.result.unwrap();
        assert_eq!(
            prepared.train.x.rows + prepared.valid.x.rows + prepared.test.x.rows,
            300
        );
        assert_eq!(done.target_labels.len(), 2);
        // The older, larger preparation finishes later and is never handed out.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !preparer.in_flight.is_empty() {
            assert!(preparer.poll().is_none(), "a stale preparation was taken");
            assert!(Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!preparer.busy());
    }

    #[test]
    fn a_forgotten_request_is_never_taken() {
        let t = table(500);
        let mut preparer = Preparer::default();
        preparer.request(t.clone(), key(&t, 1, 0.2), || {}).unwrap();
        preparer.forget();
        assert!(!preparer.busy());
        std::thread::sleep(Duration::from_millis(200));
        for _ in 0..100 {
            assert!(preparer.poll().is_none());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn asking_again_for_the_same_preparation_starts_no_second_thread() {
        let t = table(2_000);
        let mut preparer = Preparer::default();
        preparer.request(t.clone(), key(&t, 1, 0.2), || {}).unwrap();
        preparer.request(t.clone(), key(&t, 1, 0.2), || {}).unwrap();
        assert!(preparer.in_flight.len() <= 1);
        assert_eq!(wait(&mut preparer).key, key(&t, 1, 0.2));
    }
}
