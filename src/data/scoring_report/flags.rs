//! Per-row trust flags ([`RowFlags`], [`FlagKind`]) for the optional
//! `flags` output column.

use super::*;

/// One reason a row is not to be trusted, in text order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlagKind {
    Unseen,
    OutOfRange,
    Missing,
    PredictionOutOfRange,
    NegativePrediction,
}

impl FlagKind {
    /// The flag's text (before `:<column>` where it has one).
    pub fn name(self) -> &'static str {
        match self {
            FlagKind::Unseen => "unseen",
            FlagKind::OutOfRange => "out_of_range",
            FlagKind::Missing => "missing",
            FlagKind::PredictionOutOfRange => "prediction_out_of_range",
            FlagKind::NegativePrediction => "negative_prediction",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RowFlag {
    kind: FlagKind,
    /// Index into `RowFlags::columns`; unused by prediction flags.
    column: usize,
}

/// Per-row flags for an optional `flags` output column (format in the
/// [module docs](super)). An unflagged row costs one empty `Vec` (24 bytes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowFlags {
    /// The model's input column names, in order.
    columns: Vec<String>,
    rows: Vec<Vec<RowFlag>>,
}

impl RowFlags {
    pub(super) fn new(columns: Vec<String>, rows: usize) -> RowFlags {
        RowFlags {
            columns,
            rows: vec![Vec::new(); rows],
        }
    }

    pub(super) fn push(&mut self, row: usize, kind: FlagKind, column: usize) {
        if let Some(flags) = self.rows.get_mut(row) {
            flags.push(RowFlag { kind, column });
        }
    }

    /// Rows covered.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether `row` has any flag.
    pub fn is_flagged(&self, row: usize) -> bool {
        self.rows.get(row).is_some_and(|f| !f.is_empty())
    }

    /// Rows with at least one flag.
    pub fn flagged_rows(&self) -> usize {
        self.rows.iter().filter(|f| !f.is_empty()).count()
    }

    /// The flags of `row` (kind and model column name, `None` for a
    /// prediction flag), in text order.
    pub fn flags(&self, row: usize) -> Vec<(FlagKind, Option<&str>)> {
        let mut flags: Vec<RowFlag> = self.rows.get(row).cloned().unwrap_or_default();
        flags.sort_by_key(|f| (f.kind, f.column));
        flags.iter().map(|f| (f.kind, self.column_of(f))).collect()
    }

    /// `row`'s flag text, e.g. `unseen:region;out_of_range:income`; empty
    /// when unflagged or past the end.
    pub fn text(&self, row: usize) -> String {
        self.flags(row)
            .into_iter()
            .map(|(kind, column)| match column {
                Some(c) => format!("{}:{c}", kind.name()),
                None => kind.name().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Every row's flag text, in row order.
    pub fn texts(&self) -> Vec<String> {
        (0..self.rows.len()).map(|r| self.text(r)).collect()
    }

    /// The flags as a categorical column named `name` (empty text for an
    /// unflagged row), to push onto the output table.
    pub fn to_column(&self, name: &str) -> Column {
        let texts = self.texts();
        let labels: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
        Column::categorical(name, &labels)
    }

    fn column_of(&self, flag: &RowFlag) -> Option<&str> {
        match flag.kind {
            FlagKind::PredictionOutOfRange | FlagKind::NegativePrediction => None,
            _ => self.columns.get(flag.column).map(String::as_str),
        }
    }
}
