//! Fuzz entry points: the bodies of the targets in `fuzz/fuzz_targets/`,
//! kept in the library so `tests/fuzz_regressions.rs` replays every saved
//! crash input through exactly the same code on stable Rust.
//!
//! Each function takes arbitrary bytes, runs one reader end to end the way
//! the app and the command line use it, and checks what a user relies on:
//!
//! - it never panics, whatever the bytes;
//! - an error has a message, and one about a place in a CSV file names a
//!   line that exists;
//! - what loads is sound (every column as long as the table, no infinite
//!   number, no non-finite value in a prepared matrix) and survives being
//!   written out and read back unchanged (a CSV export, a saved model, a
//!   saved session or history).
//!
//! A broken expectation panics with a message saying which: that panic is
//! the fuzzer's finding. These functions are for fuzzing and tests only;
//! nothing else calls them.

use std::collections::HashSet;
use std::path::Path;

use crate::data::csv::is_missing_marker;
use crate::data::prep::{Cross, Dataset, Impute, Prepared, Problem, Recipe, Scale, prepare};
use crate::data::table::{Column, ColumnData, MISSING_CODE, Table};
use crate::data::write::write_table;
use crate::data::{CsvError, Source, parse_csv};
use crate::model::bundle::{Bundle, LoadedModel, fnv1a};
use crate::model::{BackendChoice, select_device};
use crate::tune::history::{MAX_CURVE_POINTS, MAX_RUNS};
use crate::tune::{
    History, Metric, RunRecord, Session, SessionError, differing_settings, fingerprint,
    history_table, runs_table,
};

/// The CSV reader and type inference: [`parse_csv`] on the bytes. A table
/// must be well formed and read back identical after
/// [`write_table`] (the app's and the CLI's CSV export).
pub fn csv_reader(data: &[u8]) {
    match parse_csv(data) {
        Ok(table) => {
            check_table(&table);
            check_csv_round_trip(&table);
        }
        Err(e) => check_csv_error(&e, data),
    }
}

/// The preparation pipeline on arbitrary tables: the first 8 bytes choose a
/// recipe (target, problem, positive label, features, imputation, scaling,
/// test share, seed), the rest is read as CSV. [`prepare`] must refuse with
/// a message or give finite matrices that agree with the table.
pub fn prep_pipeline(data: &[u8]) {
    let Some((choice, text)) = data.split_first_chunk::<8>() else {
        return;
    };
    let Ok(table) = parse_csv(text) else {
        return;
    };
    let recipe = recipe_from(choice, &table);
    match prepare(&table, &recipe) {
        Ok(prepared) => check_prepared(&table, &recipe, &prepared),
        Err(e) => assert_message(&e.to_string(), "prepare"),
    }
}

/// The model-file reader: [`Bundle::from_bytes`] on the bytes as they are,
/// and again with the trailing checksum recomputed so the fuzzer reaches
/// the description (JSON) and the weights (Burn's burnpack) behind it. A
/// model that loads is opened on the CPU ([`LoadedModel::new`]) and scores
/// its typical customer, as the app's Model panel does.
pub fn model_file(data: &[u8]) {
    check_model_bytes(data);
    if data.len() >= 8 {
        let mut fixed = data.to_vec();
        let body = fixed.len() - 8;
        let sum = fnv1a(&fixed[..body]);
        fixed[body..].copy_from_slice(&sum.to_le_bytes());
        check_model_bytes(&fixed);
    }
}

/// The session reader: [`Session::from_json`] (what [`Session::load`] does
/// after reading the file). A session that loads must save
/// ([`Session::to_json`]) and load back equal.
pub fn session_file(data: &[u8]) {
    // A file that is not UTF-8 is refused by `load` before parsing.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/lesson/session.json");
    match Session::from_json(text, path) {
        Ok(session) => {
            let _ = session.source.label();
            if let Source::Generated(settings) = &session.source {
                let _ = settings.validate();
            }
            let json = session
                .to_json(path)
                .unwrap_or_else(|e| panic!("a loaded session does not save: {e}"));
            match Session::from_json(&json, path) {
                Ok(back) => assert_eq!(back, session, "a saved session loads back different"),
                Err(e) => panic!("a saved session does not load: {e}\n{json}"),
            }
        }
        Err(e) => {
            let message = e.to_string();
            assert_message(&message, "session");
            assert!(message.contains("/fuzz/lesson/session.json"), "{message}");
            if let SessionError::NotJson { line, column, .. }
            | SessionError::Invalid { line, column, .. } = e
            {
                // Line 1 is the first; the end of a file that ends in a
                // line break is on the line after it.
                let lines = 1 + text.bytes().filter(|&b| b == b'\n').count();
                assert!((1..=lines).contains(&line), "{message}");
                let _ = column;
            }
        }
    }
}

/// The run-history reader: [`History::from_json`] (what [`History::load`]
/// does after reading the file), then what the Runs page does with it
/// (sort by every metric, compare settings, export) and a save that must
/// read back without a problem.
pub fn history_file(data: &[u8]) {
    let (mut history, problem) = History::from_json(data);
    if let Some(problem) = &problem {
        assert_message(problem, "history");
    }
    let mut ids = HashSet::new();
    for record in &history.records {
        assert!(ids.insert(record.id), "run id {} twice", record.id);
        let _ = record.settings();
        let _ = record.epochs_trained();
        for metric in Metric::ALL {
            if let Some(v) = metric.value(record) {
                assert!(v.is_finite(), "{metric} = {v}");
            }
        }
        let _ = history_table(&record.history);
    }
    for metric in Metric::ALL {
        for descending in [false, true] {
            assert_eq!(
                history.sorted_by(metric, descending).len(),
                history.records.len()
            );
        }
    }
    let all: Vec<&RunRecord> = history.records.iter().collect();
    let _ = differing_settings(&all);
    let _ = runs_table(&all);

    let bytes = history
        .to_json()
        .unwrap_or_else(|e| panic!("a loaded history does not save: {e}"));
    let (back, problem) = History::from_json(&bytes);
    assert_eq!(problem, None, "a saved history reads back with a problem");
    let within_cap = history.records.len() <= MAX_RUNS
        && history
            .records
            .iter()
            .all(|r| r.history.len() <= MAX_CURVE_POINTS);
    if within_cap {
        assert_eq!(
            back.records, history.records,
            "a saved history reads back different"
        );
    } else {
        assert!(back.records.len() <= MAX_RUNS);
    }

    // A new run after the loaded ones gets an id of its own.
    if let Some(first) = history.records.first().cloned() {
        let id = history.add(first);
        assert!(history.get(id).is_some(), "the added run is not there");
        let mut ids = HashSet::new();
        assert!(
            history.records.iter().all(|r| ids.insert(r.id)),
            "ids repeat"
        );
    }
}

/// The body of a `serve` request (`POST /invocations`): the first byte
/// chooses CSV (even) or JSON (odd), the rest is the body, read for a
/// model of a number, a category and a date column. An answer holds one
/// row per line, in order, each line one that exists; a refusal names a
/// line that exists.
pub fn serve_request(data: &[u8]) {
    use crate::serve::{BodyFormat, RequestError, parse_body};
    static PIPELINE: std::sync::OnceLock<Option<crate::data::prep::Pipeline>> =
        std::sync::OnceLock::new();
    let Some((choice, body)) = data.split_first() else {
        return;
    };
    let Some(pipeline) = PIPELINE.get_or_init(|| {
        let table = parse_csv(
            b"n,c,d,y\n20,a,2024-01-05,p\n30,b,2024-02-05,q\n40,a,2024-03-05,p\n\
              50,c,2024-04-05,q\n60,b,2024-05-05,p\n70,c,2024-06-05,q\n",
        )
        .ok()?;
        let problem = Problem::Classification {
            positive: "p".into(),
        };
        prepare(&table, &Recipe::new(&table, "y", problem))
            .ok()
            .map(|p| p.pipeline)
    }) else {
        panic!("the serve_request pipeline does not prepare");
    };
    let format = if choice % 2 == 0 {
        BodyFormat::Csv
    } else {
        BodyFormat::Json
    };
    let body_lines = 1 + body.iter().filter(|&&b| b == b'\n').count() as u64;
    match parse_body(body, format, pipeline) {
        Ok(customers) => {
            let table = &customers.table;
            assert_eq!(
                table.n_cols(),
                pipeline.steps.len(),
                "a model column is lost"
            );
            assert_eq!(
                table.n_rows(),
                customers.lines.len(),
                "rows and lines differ"
            );
            assert!(
                customers.lines.windows(2).all(|w| w[0] < w[1]),
                "lines out of order: {:?}",
                customers.lines
            );
            if format == BodyFormat::Csv {
                assert!(
                    customers.lines.iter().all(|&l| l <= body_lines),
                    "a line past the body"
                );
            }
            check_table(table);
            let x = pipeline.transform(table);
            assert!(
                x.is_ok_and(|m| m.data.iter().all(|v| v.is_finite())),
                "an accepted body does not transform to finite features"
            );
        }
        Err(e) => {
            assert_message(&e.to_string(), "serve request");
            if let (RequestError::Record { place, .. }, BodyFormat::Csv) = (&e, format) {
                assert!(
                    place.record <= body_lines,
                    "{e}: past the body's {body_lines} lines"
                );
            }
        }
    }
}

fn assert_message(message: &str, what: &str) {
    assert!(
        !message.trim().is_empty(),
        "{what}: an error without a message"
    );
}

fn check_csv_error(e: &CsvError, data: &[u8]) {
    let message = e.to_string();
    assert_message(&message, "csv");
    assert!(
        !matches!(
            e,
            CsvError::Io { .. } | CsvError::TooLarge { .. } | CsvError::BadLimit(_)
        ),
        "text in memory gave a file error: {message}"
    );
    if let Some(line) = e.line() {
        // Old-Mac files (CR and no LF) count CRs as line ends.
        let ends = if data.contains(&b'\n') { b'\n' } else { b'\r' };
        let lines = 1 + data.iter().filter(|&&b| b == ends).count() as u64;
        assert!(
            (1..=lines).contains(&line),
            "line {line} of {lines}: {message}"
        );
        assert!(message.contains(&format!("line {line}")), "{message}");
    }
}

/// What every table from the reader must be.
fn check_table(table: &Table) {
    assert!(table.n_cols() >= 1 && table.n_rows() >= 1, "an empty table");
    let mut names = HashSet::new();
    for column in table.columns() {
        let name = &column.name;
        assert!(
            !name.is_empty() && name.trim() == name,
            "column name {name:?}"
        );
        assert!(names.insert(name.as_str()), "column name {name:?} twice");
        assert_eq!(column.len(), table.n_rows(), "column {name:?} is ragged");
        match &column.data {
            ColumnData::Numeric(values) => {
                // NaN is the missing marker; nothing else may be non-finite.
                assert!(
                    values.iter().all(|x| x.is_finite() || x.is_nan()),
                    "column {name:?} holds an infinity"
                );
            }
            ColumnData::Categorical { codes, levels } => {
                let mut used = vec![false; levels.len()];
                for &code in codes {
                    if code != MISSING_CODE {
                        let slot = used.get_mut(code as usize);
                        assert!(slot.is_some(), "column {name:?}: code {code} has no level");
                        if let Some(slot) = slot {
                            *slot = true;
                        }
                    }
                }
                assert!(used.iter().all(|&u| u), "column {name:?}: unused level");
                let mut seen = HashSet::new();
                for level in levels {
                    assert!(seen.insert(level), "column {name:?}: level {level:?} twice");
                    assert!(
                        level.trim() == level && !is_missing_marker(level),
                        "column {name:?}: level {level:?}"
                    );
                }
            }
        }
        let _ = column.summary();
    }
    let _ = fingerprint(table);
}

/// The table written by the CSV writer must read back identical, with one
/// exception inherent to CSV, which has no types: a text column whose
/// values read as numbers or dates by the reader's rules (`$5`, `1,234`,
/// `2024-03-15`, numbers with a stray word) comes back as a numeric column,
/// holding a value only where the text had one. If one of those numbers is
/// beyond `f64` (`46e4008`), the reader refuses the written file as it
/// refuses any such number, with its place.
fn check_csv_round_trip(table: &Table) {
    let mut text = Vec::new();
    if let Err(e) = write_table(table, &mut text) {
        panic!("writing a table to memory failed: {e}");
    }
    let shown = || String::from_utf8_lossy(&text).into_owned();
    let is_text = |column: &Column| matches!(column.data, ColumnData::Categorical { .. });
    let back = match parse_csv(&text) {
        Ok(back) => back,
        Err(CsvError::NonFinite { column, .. })
            if table
                .columns()
                .get(column.wrapping_sub(1))
                .is_some_and(is_text) =>
        {
            return;
        }
        Err(e) => panic!("a written table does not read back: {e}\n{}", shown()),
    };
    assert_eq!(
        back.n_cols(),
        table.n_cols(),
        "columns differ:\n{}",
        shown()
    );
    assert_eq!(back.n_rows(), table.n_rows(), "rows differ:\n{}", shown());
    for (a, b) in table.columns().iter().zip(back.columns()) {
        assert_eq!(a.name, b.name, "names differ:\n{}", shown());
        if a.data == b.data {
            continue;
        }
        let ColumnData::Numeric(numbers) = &b.data else {
            panic!("column {:?} reads back different:\n{}", a.name, shown());
        };
        assert!(
            is_text(a),
            "column {:?} reads back different:\n{}",
            a.name,
            shown()
        );
        for (row, &number) in numbers.iter().enumerate() {
            assert!(
                number.is_nan() || !a.is_missing(row),
                "column {:?} row {row} gained a value",
                a.name
            );
        }
    }
}

/// A recipe for `table` from 8 fuzz bytes.
fn recipe_from(choice: &[u8; 8], table: &Table) -> Recipe {
    let names: Vec<&str> = table.column_names().collect();
    let target_index = usize::from(choice[0]) % names.len();
    let target = names[target_index];
    let problem = if choice[1] & 1 == 1 {
        Problem::Regression
    } else {
        // A label that occurs (most of the time) or one that does not.
        let labels: Vec<String> = table
            .column(target)
            .map(|c| {
                (0..c.len())
                    .filter_map(|r| c.text(r))
                    .map(|t| t.into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let positive = match labels.get(usize::from(choice[1] >> 1) % labels.len().max(1)) {
            Some(label) if choice[1] >> 6 != 3 => label.clone(),
            _ => "☃ absent".to_owned(),
        };
        Problem::Classification { positive }
    };
    let mask = u16::from_le_bytes([choice[2], choice[3]]);
    let mut features: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != target_index && mask & (1 << (i % 16)) != 0)
        .map(|(_, n)| (*n).to_owned())
        .collect();
    // Now and then a recipe the app would refuse: the target as a feature,
    // or a column the table lacks.
    match choice[4] >> 5 {
        6 => features.push(target.to_owned()),
        7 => features.push("not a column".to_owned()),
        _ => {}
    }
    let impute = [
        Impute::DropRows,
        Impute::Mean,
        Impute::Median,
        Impute::MostFrequent,
    ][usize::from(choice[4] & 3)];
    let scale = [
        Scale::MinMax,
        Scale::Standardize,
        Scale::None,
        Scale::MinMax,
    ][usize::from((choice[4] >> 2) & 3)];
    let test_fraction = match choice[5] {
        0 => 0.0,
        255 => 1.0,
        n => f64::from(n) / 255.0,
    };
    let crosses = cross_from(choice[6], &features);
    Recipe {
        target: target.to_owned(),
        problem,
        features,
        impute,
        scale,
        test_fraction,
        // The validation share follows the test share's byte, mirrored, so
        // both bounds (0 and 1) are reached.
        valid_fraction: match choice[5] {
            0 => 1.0,
            255 => 0.0,
            n => f64::from(255 - n) / 255.0,
        },
        seed: u64::from(choice[6]) | u64::from(choice[7]) << 8,
        merge_label_variants: choice[4] & 0x10 != 0,
        drop_duplicates: choice[4] & 0x20 != 0,
        non_negative_target: choice[4] & 0x40 != 0,
        crosses,
    }
}

/// A feature cross of the first features from a fuzz byte (none for
/// five in eight values); on a categorical column the recipe is refused.
fn cross_from(byte: u8, features: &[String]) -> Vec<Cross> {
    let (Some(a), b) = (features.first(), features.get(1)) else {
        return Vec::new();
    };
    match (byte % 8, b) {
        (1, _) => vec![Cross::Square { column: a.clone() }],
        (2, Some(b)) => vec![Cross::Product {
            left: a.clone(),
            right: b.clone(),
        }],
        (3, _) => vec![Cross::Sin { column: a.clone() }],
        _ => Vec::new(),
    }
}

fn check_prepared(table: &Table, recipe: &Recipe, prepared: &Prepared) {
    let pipeline = &prepared.pipeline;
    let n_features = pipeline.n_features();
    let classification = matches!(recipe.problem, Problem::Classification { .. });
    let mut rows_seen = HashSet::new();
    for (side, data) in [("train", &prepared.train), ("test", &prepared.test)] {
        check_dataset(side, data, n_features, classification);
        for &r in &data.source_rows {
            assert!(r < table.n_rows(), "{side}: source row {r} out of range");
            assert!(rows_seen.insert(r), "{side}: source row {r} on both sides");
        }
        // The pipeline alone reproduces the side (how new data is scored).
        match pipeline.transform_rows(table, &data.source_rows) {
            Ok(x) => assert!(x == data.x, "{side}: transform differs from prepare"),
            Err(e) => panic!("{side}: transform refuses rows prepare took: {e}"),
        }
    }
    assert!(!prepared.train.y.is_empty(), "no training rows");
    if classification {
        assert!(
            prepared.train.y.contains(&1.0) && prepared.train.y.contains(&0.0),
            "training rows lack a class"
        );
    }
    assert_eq!(
        prepared.train.y.len()
            + prepared.valid.y.len()
            + prepared.test.y.len()
            + prepared.dropped_rows,
        table.n_rows(),
        "rows lost"
    );
    // The typical customer (the decision surface's fixed point) transforms.
    let typical = pipeline.typical_table();
    match pipeline.transform(&typical) {
        Ok(x) => assert!(
            x.rows == 1 && x.data.iter().all(|v| v.is_finite()),
            "typical customer: {x:?}"
        ),
        Err(e) => panic!("the typical customer does not transform: {e}"),
    }
    // Every row of the table, as when scoring it: an error or finite values.
    if let Ok(x) = pipeline.transform(table) {
        assert!(x.data.iter().all(|v| v.is_finite()), "non-finite feature");
    }
    // A saved model stores the pipeline as JSON.
    let json = serde_json::to_string(pipeline)
        .unwrap_or_else(|e| panic!("the pipeline does not serialize: {e}"));
    match serde_json::from_str::<crate::data::Pipeline>(&json) {
        Ok(back) => assert!(back == *pipeline, "the pipeline reads back different"),
        Err(e) => panic!("the pipeline does not read back: {e}\n{json}"),
    }
}

fn check_dataset(side: &str, data: &Dataset, n_features: usize, classification: bool) {
    let x = &data.x;
    assert_eq!(x.cols, n_features, "{side}: width");
    assert_eq!(x.data.len(), x.rows * x.cols, "{side}: matrix size");
    assert_eq!(data.y.len(), x.rows, "{side}: targets");
    assert_eq!(data.source_rows.len(), x.rows, "{side}: source rows");
    assert!(
        x.data.iter().all(|v| v.is_finite()),
        "{side}: a non-finite feature"
    );
    assert!(
        data.y.iter().all(|v| v.is_finite()),
        "{side}: a non-finite target"
    );
    if classification {
        assert!(
            data.y.iter().all(|&v| v == 0.0 || v == 1.0),
            "{side}: a class other than 0/1"
        );
    }
}

fn check_model_bytes(bytes: &[u8]) {
    let bundle = match Bundle::from_bytes(bytes) {
        Ok(bundle) => bundle,
        Err(e) => return assert_message(&e.to_string(), "model"),
    };
    let again = bundle
        .to_bytes()
        .unwrap_or_else(|e| panic!("a loaded model does not save: {e}"));
    match Bundle::from_bytes(&again) {
        Ok(back) => assert!(back == bundle, "a saved model reads back different"),
        Err(e) => panic!("a saved model does not read back: {e}"),
    }
    let device = match select_device(BackendChoice::Cpu) {
        Ok(device) => device,
        Err(e) => panic!("no CPU device: {e}"),
    };
    let model = match LoadedModel::new(bundle, &device) {
        Ok(model) => model,
        Err(e) => return assert_message(&e.to_string(), "model"),
    };
    let typical = model.meta.pipeline.typical_table();
    match model.predict_table(&typical) {
        Ok(scores) => assert_eq!(scores.len(), typical.n_rows(), "one score per row"),
        Err(e) => assert_message(&e.to_string(), "model"),
    }
}
