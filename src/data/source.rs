//! Where a table comes from: a generator with its settings, or a CSV file.
//!
//! Kept as a plain serde value so the app's settings, the run history and
//! session files can all say which data a network saw, and load it again.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::csv::{CsvError, load_csv};
use super::synth::{SynthError, SynthSettings, generate};
use super::table::Table;

/// Where the data comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Source {
    Generated(SynthSettings),
    File(PathBuf),
}

/// A source that could not be turned into a table.
#[derive(Debug, Error)]
pub enum SourceError {
    #[error(transparent)]
    Generate(#[from] SynthError),
    /// The message names the file (not its whole path: the user knows which
    /// folder they picked) and the CSV problem with its line and column.
    #[error("{name}: {error}")]
    Read { name: String, error: CsvError },
}

impl Source {
    /// A short human description: `generated `visits`, 1000 rows, seed 42`
    /// or the file's name.
    pub fn label(&self) -> String {
        match self {
            Source::Generated(s) => {
                format!("generated `{}`, {} rows, seed {}", s.preset, s.rows, s.seed)
            }
            Source::File(path) => file_name(path),
        }
    }

    /// Generates or reads the table (blocking: call it off the UI thread).
    pub fn load(&self) -> Result<Table, SourceError> {
        match self {
            Source::Generated(settings) => Ok(generate(settings)?),
            Source::File(path) => load_csv(path).map_err(|error| SourceError::Read {
                name: file_name(path),
                error,
            }),
        }
    }
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_generated_and_names_missing_files() {
        let source = Source::Generated(SynthSettings {
            rows: 100,
            ..SynthSettings::default()
        });
        assert_eq!(source.load().unwrap().n_rows(), 100);
        assert!(source.label().contains("100 rows"), "{}", source.label());

        let missing = Source::File(PathBuf::from("/nonexistent/dir/customers.csv"));
        assert_eq!(missing.label(), "customers.csv");
        let message = missing.load().unwrap_err().to_string();
        assert!(message.starts_with("customers.csv: "), "{message}");
    }
}
