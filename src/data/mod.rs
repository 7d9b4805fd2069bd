//! Tables and everything before tensors: CSV reading, synthetic customers,
//! preparation and splitting. Knows nothing of Burn or egui.

pub mod csv;
pub mod prep;
pub mod split;
pub mod synth;
pub mod table;
pub mod write;

pub use self::csv::{CsvError, load_csv, parse_csv};
pub use prep::{
    Dataset, Impute, Matrix, Pipeline, PrepError, Prepared, Problem, Recipe, Scale, prepare,
};
pub use synth::{Preset, SynthError, SynthSettings, generate};
pub use table::{Column, ColumnData, ColumnKind, ColumnSummary, Table};
pub use write::{WriteError, write_csv};
