//! Data notes: every value the reader or the recipe reinterpreted, dropped
//! or merged, said to the user in one list (the data panel in the window,
//! lines in `inspect`, the `train`/`predict` stderr, `notes` in `--json`).

use serde::{Deserialize, Serialize};

/// How much a note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something recognised and handled as the user most likely meant
    /// (`$` stripped, `#N/A` read as missing).
    Info,
    /// Something the user should look at (a word in a numeric column, an
    /// identifier left out, labels that differ only in case).
    Warning,
}

/// One note about the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataNote {
    pub severity: Severity,
    /// The column it is about, when it is about one.
    pub column: Option<String>,
    /// The whole sentence, naming the column, counts and lines.
    pub text: String,
}

impl DataNote {
    pub fn info(column: Option<&str>, text: impl Into<String>) -> DataNote {
        DataNote {
            severity: Severity::Info,
            column: column.map(str::to_owned),
            text: text.into(),
        }
    }

    pub fn warning(column: Option<&str>, text: impl Into<String>) -> DataNote {
        DataNote {
            severity: Severity::Warning,
            column: column.map(str::to_owned),
            text: text.into(),
        }
    }
}

impl std::fmt::Display for DataNote {
    /// `note: …` or `warning: …`, one line for a terminal.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let label = match self.severity {
            Severity::Info => "note",
            Severity::Warning => "warning",
        };
        write!(f, "{label}: {}", self.text)
    }
}

/// `lines 4, 9, 17` or `line 47`, the first few of many with `…`.
pub fn format_lines(lines: &[u64], total: usize) -> String {
    const SHOWN: usize = 5;
    let shown: Vec<String> = lines.iter().take(SHOWN).map(u64::to_string).collect();
    let more = if total > shown.len() { ", …" } else { "" };
    let word = if total == 1 { "line" } else { "lines" };
    format!("{word} {}{more}", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_listed_briefly() {
        assert_eq!(format_lines(&[47], 1), "line 47");
        assert_eq!(format_lines(&[2, 3], 2), "lines 2, 3");
        assert_eq!(
            format_lines(&[1, 2, 3, 4, 5, 6], 9),
            "lines 1, 2, 3, 4, 5, …"
        );
    }

    #[test]
    fn display_names_the_severity() {
        assert_eq!(
            DataNote::warning(Some("x"), "`x`: odd").to_string(),
            "warning: `x`: odd"
        );
    }
}
