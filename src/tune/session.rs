//! Session files: the whole setup of an experiment (data source, recipe,
//! network and training settings, backend) as readable JSON, so a teacher
//! can hand students the exact setup: `purchase-lab SESSION.json`.
//!
//! A data file inside the session's folder is stored relative to it and
//! resolved against the session's folder on load, so a folder holding a
//! session and its CSV can be zipped and opened anywhere.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::prep::Recipe;
use crate::data::source::Source;
use crate::model::device::BackendChoice;
use crate::model::spec::{NetworkSpec, SpecError, TrainSettings};
use crate::model::{Family, TreeSettings, TreeSettingsError};

/// Version of the session format this build reads and writes.
pub const SESSION_VERSION: u64 = 1;

/// An experiment's setup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// [`SESSION_VERSION`] when written by this build.
    pub version: u64,
    pub source: Source,
    pub recipe: Recipe,
    pub spec: NetworkSpec,
    pub train: TrainSettings,
    /// The model family the window trains; sessions from before boosted
    /// trees existed are networks.
    #[serde(default)]
    pub family: Family,
    /// The boosted trees' settings (kept whichever family is chosen, as the
    /// network's are).
    #[serde(default)]
    pub trees: TreeSettings,
    /// Epochs per press of Play; `None` trains until paused.
    pub epochs: Option<usize>,
    #[serde(default)]
    pub backend: BackendChoice,
}

/// A session file that cannot be read or written; the message names the
/// file and, for a malformed one, the line and column.
#[derive(Debug, Error)]
pub enum SessionError {
    #[error("cannot read `{path}`: {message}")]
    Read { path: String, message: String },
    #[error("cannot write `{path}`: {message}")]
    Write { path: String, message: String },
    #[error("`{path}` is not valid JSON: line {line}, column {column}: {message}")]
    NotJson {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("`{path}` is not a Purchase Lab session (it has no `version` field)")]
    NotSession { path: String },
    #[error(
        "`{path}` is a session of format version {found}; this Purchase Lab reads version \
         {SESSION_VERSION}"
    )]
    Version { path: String, found: String },
    #[error("`{path}`, line {line}, column {column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("`{path}`: {source}")]
    Setting { path: String, source: SpecError },
    #[error("`{path}`: {source}")]
    TreeSetting {
        path: String,
        source: TreeSettingsError,
    },
}

impl Session {
    /// A session of the current format version.
    pub fn new(
        source: Source,
        recipe: Recipe,
        spec: NetworkSpec,
        train: TrainSettings,
        epochs: Option<usize>,
        backend: BackendChoice,
    ) -> Session {
        Session {
            version: SESSION_VERSION,
            source,
            recipe,
            spec,
            train,
            family: Family::Network,
            trees: TreeSettings::default(),
            epochs,
            backend,
        }
    }

    /// Whether `path` looks like a session file rather than data (it ends in
    /// `.json`); the command line uses this to decide how to open a file.
    pub fn is_session_file(path: &Path) -> bool {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    }

    /// Writes the session as pretty JSON (atomically), with a data file
    /// inside the session's folder stored relative to it.
    pub fn save(&self, path: &Path) -> Result<(), SessionError> {
        let err = |message: String| SessionError::Write {
            path: path.display().to_string(),
            message,
        };
        let json = self.to_json(path).map_err(|e| err(e.to_string()))?;
        crate::save::save(path, json.as_bytes()).map_err(|e| err(e.to_string()))
    }

    /// The text [`save`](Self::save) writes to `path` (pretty JSON, a data
    /// file inside `path`'s folder stored relative to it).
    pub fn to_json(&self, path: &Path) -> Result<String, serde_json::Error> {
        let mut session = self.clone();
        session.version = SESSION_VERSION;
        if let Source::File(data) = &self.source
            && let Some(relative) = relative_to_folder(data, path)
        {
            session.source = Source::File(relative);
        }
        let mut json = serde_json::to_string_pretty(&session)?;
        json.push('\n');
        Ok(json)
    }

    /// Reads and checks a session file; a relative data path is resolved
    /// against the session's folder.
    pub fn load(path: &Path) -> Result<Session, SessionError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SessionError::Read {
            path: name.clone(),
            message: e.to_string(),
        })?;
        Session::from_json(&text, path)
    }

    /// Parses and checks the text of a session file that lives at `path`
    /// (named in errors; a relative data path is resolved against its
    /// folder). [`load`](Self::load) is this after reading the file.
    pub fn from_json(text: &str, path: &Path) -> Result<Session, SessionError> {
        let name = path.display().to_string();
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SessionError::NotJson {
                path: name.clone(),
                line: e.line(),
                column: e.column(),
                message: without_position(&e),
            })?;
        match value.get("version").map(serde_json::Value::as_u64) {
            None => return Err(SessionError::NotSession { path: name }),
            Some(Some(SESSION_VERSION)) => {}
            Some(found) => {
                return Err(SessionError::Version {
                    path: name,
                    found: found.map_or_else(|| value["version"].to_string(), |v| v.to_string()),
                });
            }
        }
        // Parsed again from the text (not the value) so a missing field or a
        // wrong type is reported with its line and column.
        let mut session: Session =
            serde_json::from_str(text).map_err(|e| SessionError::Invalid {
                path: name.clone(),
                line: e.line(),
                column: e.column(),
                message: without_position(&e),
            })?;
        let setting = |source: SpecError| SessionError::Setting {
            path: name.clone(),
            source,
        };
        session.spec.validate().map_err(setting)?;
        session.train.validate().map_err(setting)?;
        session
            .trees
            .validate()
            .map_err(|source| SessionError::TreeSetting {
                path: name.clone(),
                source,
            })?;
        if let Source::File(data) = &session.source
            && data.is_relative()
            && let Some(folder) = path.parent()
        {
            session.source = Source::File(folder.join(data));
        }
        Ok(session)
    }
}

/// serde_json's message without its trailing ` at line L column C` (the
/// error types carry them as fields).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// `data` relative to the folder of `session`, when it lies inside it.
fn relative_to_folder(data: &Path, session: &Path) -> Option<PathBuf> {
    let data = std::path::absolute(data).ok()?;
    let folder = std::path::absolute(session).ok()?.parent()?.to_path_buf();
    data.strip_prefix(&folder).ok().map(Path::to_path_buf)
}
