//! Tables and everything before tensors: CSV reading, synthetic customers,
//! preparation and splitting. Knows nothing of Burn or egui.

pub mod csv;
pub mod dates;
pub mod duplicates;
pub mod limits;
pub mod notes;
pub mod numbers;
pub mod outcomes;
pub mod prep;
pub mod profile;
pub mod scoring_report;
pub mod screen;
pub mod source;
pub mod split;
pub mod synth;
pub mod table;
pub mod write;

pub use self::csv::{CsvError, load_csv, load_csv_with, parse_csv};
pub use limits::{CsvLimits, MAX_CSV_BYTES_ENV};
pub use notes::{DataNote, Severity};
pub use prep::{
    Dataset, Impute, Matrix, Pipeline, PrepError, Prepared, Problem, Recipe, Scale, prepare,
};
pub use source::{Source, SourceError};
pub use synth::{Preset, SynthError, SynthSettings, generate};
pub use table::{CellFormat, Column, ColumnData, ColumnKind, ColumnSummary, LoadInfo, Table};
pub use write::{WriteError, write_csv};
