//! Columns that should not be features, decided on the whole table before
//! any split (so the outcome never depends on the seed): identifiers,
//! constants, and columns with values in only a handful of rows. The
//! default recipe leaves them out with a note saying why; the user can tick
//! them back.

use std::collections::HashSet;

use super::notes::DataNote;
use super::table::{CellFormat, Column, ColumnData, Table};

/// Why a column is left out of the default features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsuitable {
    /// A different value in (nearly) every row: a customer number, a name,
    /// free text. One-hot encoding it would give a feature per customer.
    Identifier,
    /// One value (or none) in every row: nothing to learn from.
    Constant,
    /// Values in only `values` of the rows: whether any reach the training
    /// rows would depend on the split.
    Sparse { values: usize },
}

/// A text column is an identifier when at least this share of its values
/// is distinct (and it has at least [`IDENTIFIER_MIN_ROWS`] values).
const IDENTIFIER_DISTINCT_SHARE: f64 = 0.95;
const IDENTIFIER_MIN_ROWS: usize = 10;
/// Fewer values than this, in less than half the rows (or in under 1% of
/// them), is too sparse to be a default feature.
const SPARSE_MAX_VALUES: usize = 5;

/// Last name parts that mark a column as a key, not a quantity
/// (`customer_id`, `RowNumber`, `order no`).
const IDENTIFIER_WORDS: [&str; 10] = [
    "id", "key", "ref", "number", "no", "num", "index", "idx", "uuid", "guid",
];

/// First parts of run-together names (`customerid`, `rowid`, `userkey`).
const ENTITY_WORDS: [&str; 16] = [
    "customer",
    "cust",
    "client",
    "user",
    "account",
    "member",
    "row",
    "order",
    "transaction",
    "session",
    "record",
    "person",
    "household",
    "subscriber",
    "employee",
    "invoice",
];

/// A text column named like a key is an identifier once it has this many
/// distinct values and at least one per ten rows (`store_id` with 10
/// stores stays a feature; `customer_id` with a customer per 4 rows does
/// not).
const NAMED_IDENTIFIER_MIN_DISTINCT: usize = 20;

/// Whether `column` should be left out of the default features, and why.
pub fn unsuitable(table: &Table, column: &Column) -> Option<Unsuitable> {
    let rows = table.n_rows();
    let values = rows - column.missing_count();
    if values < SPARSE_MAX_VALUES && values * 2 < rows || values * 100 < rows {
        return Some(Unsuitable::Sparse { values });
    }
    let is_date = matches!(table.cell_format(&column.name), CellFormat::Date(_));
    let named = named_like_identifier(&column.name);
    // Cheap checks first: a numeric column is constant when its least and
    // greatest values agree, and only one named like a key needs its
    // distinct values counted (a hash set over a million rows is not free).
    if let ColumnData::Numeric(v) = &column.data {
        let (lo, hi) = v
            .iter()
            .filter(|x| !x.is_nan())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        if lo >= hi {
            return Some(Unsuitable::Constant);
        }
        if !named || is_date {
            return None;
        }
    }
    let distinct = distinct_values(column);
    if distinct <= 1 {
        return Some(Unsuitable::Constant);
    }
    match &column.data {
        ColumnData::Categorical { .. } => {
            let nearly_unique = values >= IDENTIFIER_MIN_ROWS
                && distinct as f64 >= IDENTIFIER_DISTINCT_SHARE * values as f64;
            let named_key =
                named && distinct >= NAMED_IDENTIFIER_MIN_DISTINCT && distinct * 10 >= values;
            (nearly_unique || named_key).then_some(Unsuitable::Identifier)
        }
        ColumnData::Numeric(v) => {
            // A quantity can be distinct in every row too (income), and a
            // feature can be sorted, so a number is a key only when whole,
            // distinct and named like one (`CustomerId`, pandas' index
            // `Unnamed: 0`).
            let whole = v.iter().all(|x| x.is_nan() || x.fract() == 0.0);
            (!is_date && whole && values >= IDENTIFIER_MIN_ROWS && named && distinct == values)
                .then_some(Unsuitable::Identifier)
        }
    }
}

fn distinct_values(column: &Column) -> usize {
    match &column.data {
        ColumnData::Categorical { codes, levels } => {
            let mut seen = vec![false; levels.len()];
            for &c in codes {
                if let Some(s) = seen.get_mut(c as usize) {
                    *s = true;
                }
            }
            seen.iter().filter(|&&s| s).count()
        }
        ColumnData::Numeric(v) => {
            let seen: HashSet<u64> = v
                .iter()
                .filter(|x| !x.is_nan())
                .map(|x| (x + 0.0).to_bits())
                .collect();
            seen.len()
        }
    }
}

/// `customerID`, `Customer_Id`, `RowNumber`, `ref`: split at case changes
/// and non-letters, then look for a key word.
fn named_like_identifier(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = ch.is_lowercase();
        current.extend(ch.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    let Some(last) = words.last() else {
        return false;
    };
    if IDENTIFIER_WORDS.contains(&last.as_str()) || words[0] == "unnamed" {
        return true;
    }
    // `customerid`, `rowid`: one word made of an entity and a key word.
    ENTITY_WORDS.iter().any(|entity| {
        last.strip_prefix(entity)
            .is_some_and(|rest| IDENTIFIER_WORDS.contains(&rest))
    })
}

/// The note for a column left out by default.
pub fn left_out_note(column: &str, why: &Unsuitable) -> DataNote {
    let reason = match why {
        Unsuitable::Identifier => {
            "looks like an identifier (a different value in nearly every row)".to_owned()
        }
        Unsuitable::Constant => "holds the same value in every row".to_owned(),
        Unsuitable::Sparse { values: 0 } => "is empty in every row".to_owned(),
        Unsuitable::Sparse { values } => format!(
            "has a value in only {values} row{}",
            if *values == 1 { "" } else { "s" }
        ),
    };
    DataNote::warning(
        Some(column),
        format!(
            "`{column}` {reason}, so it is left out of the features; tick it (or name it in --features) to use it anyway"
        ),
    )
}

/// Every column but the target that is fit to be a feature, and a note for
/// each one left out.
pub fn default_features(table: &Table, target: &str) -> (Vec<String>, Vec<DataNote>) {
    let unfit = unfit_columns(table, target);
    let features: Vec<String> = table
        .column_names()
        .filter(|&n| n != target && !unfit.iter().any(|(u, _)| u == n))
        .map(str::to_owned)
        .collect();
    let notes = recipe_feature_notes(&unfit, &features);
    (features, notes)
}

/// Warnings for columns the user chose although they look unfit.
pub fn chosen_feature_notes(table: &Table, features: &[String]) -> Vec<DataNote> {
    features
        .iter()
        .filter_map(|name| {
            let column = table.column(name)?;
            let why = unsuitable(table, column)?;
            Some(chosen_note(name, &why))
        })
        .collect()
}

fn chosen_note(name: &str, why: &Unsuitable) -> DataNote {
    let what = match why {
        Unsuitable::Identifier => "looks like an identifier".to_owned(),
        Unsuitable::Constant => "holds one value in every row".to_owned(),
        Unsuitable::Sparse { values } => format!("has values in only {values} rows"),
    };
    DataNote::warning(
        Some(name),
        format!("`{name}` {what}; it is used because it was chosen"),
    )
}

/// Every column but the target that is unfit to be a feature, and why.
/// Costs a pass over each column: compute once per table and target.
pub fn unfit_columns(table: &Table, target: &str) -> Vec<(String, Unsuitable)> {
    table
        .columns()
        .iter()
        .filter(|c| c.name != target)
        .filter_map(|c| unsuitable(table, c).map(|why| (c.name.clone(), why)))
        .collect()
}

/// The notes for a recipe's feature choice, given [`unfit_columns`]: a
/// left-out note for each unfit column not ticked, a warning for each
/// unfit column ticked.
pub fn recipe_feature_notes(unfit: &[(String, Unsuitable)], features: &[String]) -> Vec<DataNote> {
    unfit
        .iter()
        .map(|(name, why)| {
            if features.contains(name) {
                chosen_note(name, why)
            } else {
                left_out_note(name, why)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv::parse_csv;

    fn table_of(header: &str, rows: impl Iterator<Item = String>) -> Table {
        let mut text = format!("{header}\n");
        for r in rows {
            text.push_str(&r);
            text.push('\n');
        }
        parse_csv(text.as_bytes()).unwrap()
    }

    #[test]
    fn identifiers_constants_and_sparse_columns_are_left_out_with_notes() {
        let t = table_of(
            "customerID,RowNumber,income,country,referral,plan,y",
            (0..40).map(|i| {
                format!(
                    "C{i:04}-X,{},{},NL,{},{},{}",
                    i + 1,
                    1000 + i * 37,
                    if i == 3 { "R7" } else { "" },
                    if i % 2 == 0 { "a" } else { "b" },
                    if i % 3 == 0 { "yes" } else { "no" }
                )
            }),
        );
        let (features, notes) = default_features(&t, "y");
        assert_eq!(features, ["income", "plan"]);
        let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
        assert!(
            texts[0].contains("`customerID` looks like an identifier"),
            "{texts:?}"
        );
        assert!(
            texts[1].contains("`RowNumber` looks like an identifier"),
            "{texts:?}"
        );
        assert!(
            texts[2].contains("`country` holds the same value"),
            "{texts:?}"
        );
        assert!(
            texts[3].contains("`referral` has a value in only 1 row"),
            "{texts:?}"
        );
        let chosen = chosen_feature_notes(&t, &["customerID".to_owned(), "plan".to_owned()]);
        assert_eq!(chosen.len(), 1);
    }

    #[test]
    fn key_words_are_found_in_names() {
        for name in [
            "customerID",
            "Customer_Id",
            "RowNumber",
            "ref",
            "order no",
            "id",
            "customerid",
            "rowid",
            "Unnamed: 0",
        ] {
            assert!(named_like_identifier(name), "{name}");
        }
        for name in [
            "income",
            "video",
            "idle_days",
            "tenure",
            "Android",
            "number_of_calls",
            "paid",
            "valid",
        ] {
            assert!(!named_like_identifier(name), "{name}");
        }
    }

    #[test]
    fn repeated_keys_and_row_counters_are_identifiers_but_small_codes_are_not() {
        let t = table_of(
            "customer_id,store_id,Unnamed: 0,calls,y",
            (0..120).map(|i| format!("C{:03},S{},{i},{},{}", i / 4, i % 10, (i * 7) % 13, i % 2)),
        );
        let unfit = unfit_columns(&t, "y");
        let names: Vec<&str> = unfit.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["customer_id", "Unnamed: 0"]);
    }

    #[test]
    fn small_tables_keep_their_columns() {
        let t = table_of("name,x,y", (0..6).map(|i| format!("n{i},{i},{}", i % 2)));
        let (features, notes) = default_features(&t, "y");
        assert_eq!(features, ["name", "x"]);
        assert!(notes.is_empty());
    }
}
