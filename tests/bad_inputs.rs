//! The bad-file corpus: every file in `tests/bad_inputs/` (and a few too
//! large to commit, generated here) gets the exact message a user sees, with
//! its line and column where it has one, through the same readers the app
//! and the CLI use. A few odd-but-valid files must load, and must load
//! right. Nothing panics, and no number that is not finite reaches a tensor.
//!
//! `docs/RELIABILITY.md` lists the same cases with their messages.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use purchase_lab::data::limits::{CsvLimits, format_bytes};
use purchase_lab::data::{
    ColumnData, ColumnKind, CsvError, Impute, PrepError, Preset, Problem, Recipe, Scale,
    SynthSettings, Table, generate, load_csv, load_csv_with, prepare,
};
use purchase_lab::model::bundle::{Bundle, LoadedModel};
use purchase_lab::model::run::TrainingRun;
use purchase_lab::model::{BackendChoice, NetworkSpec, TrainSettings, select_device};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/bad_inputs")
        .join(name)
}

fn load(name: &str) -> Result<Table, CsvError> {
    load_csv(&corpus(name))
}

fn load_ok(name: &str) -> Table {
    load(name).unwrap_or_else(|e| panic!("{name} should load: {e}"))
}

fn numeric(t: &Table, column: &str) -> Vec<f64> {
    match t.column(column).map(|c| &c.data) {
        Some(ColumnData::Numeric(v)) => v.clone(),
        other => panic!("`{column}` is not numeric: {other:?}"),
    }
}

fn texts(t: &Table, column: &str) -> Vec<Option<String>> {
    let c = t.column(column).expect("column exists");
    (0..t.n_rows())
        .map(|r| c.text(r).map(|s| s.into_owned()))
        .collect()
}

/// Files the reader must refuse: (file, exact message, line).
const CSV_ERRORS: &[(&str, &str, Option<u64>)] = &[
    (
        "cr_only_ragged.csv",
        "line 4: 2 fields, but the header has 3 columns",
        Some(4),
    ),
    (
        "value_under_unnamed_column.csv",
        "line 3, column 3: `oops` stands under no column name (the header has 2 columns); name the column or remove the value",
        Some(3),
    ),
    (
        "ragged_too_many.csv",
        "line 3: 4 fields, but the header has 3 columns",
        Some(3),
    ),
    (
        "ragged_too_few.csv",
        "line 3: 1 field, but the header has 3 columns",
        Some(3),
    ),
    (
        "ragged_after_multiline_quote.csv",
        "line 4: 2 fields, but the header has 3 columns",
        Some(4),
    ),
    (
        "prose_not_csv.txt",
        "line 2: 1 field, but the header has 2 columns",
        Some(2),
    ),
    (
        "header_only.csv",
        "line 1 holds the column names, but there are no data rows",
        Some(1),
    ),
    ("empty.csv", "the file is empty", None),
    ("blank_lines_only.csv", "the file is empty", None),
    ("bom_only.csv", "the file is empty", None),
    (
        "nul_bytes.csv",
        "this is not a CSV text file: it contains a NUL byte (line 3)",
        Some(3),
    ),
    (
        "png_renamed.csv",
        "this is not a CSV text file: it contains a NUL byte (line 3)",
        Some(3),
    ),
    (
        "latin1.csv",
        "line 3, column 1: the text is not valid UTF-8 (perhaps Latin-1 or Windows-1252); save the file as UTF-8",
        Some(3),
    ),
    (
        "windows1252_quotes.csv",
        "line 2, column 2: the text is not valid UTF-8 (perhaps Latin-1 or Windows-1252); save the file as UTF-8",
        Some(2),
    ),
    (
        "utf16le_bom.csv",
        "the file is UTF-16 encoded; save it as UTF-8 and open it again",
        None,
    ),
    (
        "utf16be_no_bom.csv",
        "the file is UTF-16 encoded; save it as UTF-8 and open it again",
        None,
    ),
    (
        "inf.csv",
        "line 3, column 2 (`income`): `inf` is not a finite number; replace it with a number or leave the cell empty",
        Some(3),
    ),
    (
        "negative_inf.csv",
        "line 2, column 2 (`income`): `-inf` is not a finite number; replace it with a number or leave the cell empty",
        Some(2),
    ),
    (
        "overflow_1e400.csv",
        "line 4, column 2 (`income`): `1e400` is not a finite number; replace it with a number or leave the cell empty",
        Some(4),
    ),
    (
        "duplicate_headers.csv",
        "line 1, column 3: the column name `age` is used twice (first in column 1)",
        Some(1),
    ),
    (
        "unterminated_quote.csv",
        "line 2, column 2: a quoted value starts here but its closing `\"` is missing (it runs to the end of the file)",
        Some(2),
    ),
];

#[test]
fn every_bad_csv_gets_its_exact_message_and_line() {
    let mut wrong = Vec::new();
    for &(file, message, line) in CSV_ERRORS {
        match load(file) {
            Ok(t) => wrong.push(format!("{file}: loaded {} rows", t.n_rows())),
            Err(e) => {
                if e.to_string() != message || e.line() != line {
                    wrong.push(format!(
                        "{file}:\n  got      {e} (line {:?})\n  expected {message} (line {line:?})",
                        e.line()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn the_same_messages_from_text_in_memory() {
    // The app's paste/drop path and the fuzz-style callers use parse_csv.
    for &(file, message, _) in CSV_ERRORS {
        let bytes = std::fs::read(corpus(file)).unwrap();
        let err = purchase_lab::data::parse_csv(&bytes).unwrap_err();
        assert_eq!(err.to_string(), message, "{file}");
    }
}

#[test]
fn other_delimiters_are_sniffed_from_the_header() {
    // A `;` (or `|`, tab) file where a `,` file was expected reads as the
    // same three numeric-and-text columns, not as one column of text.
    for file in [
        "semicolon_delimited.csv",
        "pipe_delimited.csv",
        "tab_delimited.csv",
    ] {
        let t = load_ok(file);
        assert_eq!(
            t.column_names().collect::<Vec<_>>(),
            ["age", "income", "purchased"],
            "{file}"
        );
        assert_eq!(numeric(&t, "income")[..2], [52000.0, 61000.0], "{file}");
        assert_eq!(
            t.column("purchased").unwrap().kind(),
            ColumnKind::Categorical
        );
    }
}

#[test]
fn thousands_separators_and_decimal_commas_read_as_numbers() {
    // `"1,234"` in a comma file groups thousands...
    let t = load_ok("thousands_separators.csv");
    assert_eq!(numeric(&t, "spend"), [1234.0, 12345.5, 987.0]);
    // ...and `3,5` in a semicolon file is a decimal comma (`1.234,75` too).
    let t = load_ok("decimal_commas_semicolon.csv");
    assert_eq!(numeric(&t, "basket"), [3.5, 1234.75, -0.25]);
    // `"3,5"` and `"4,25"` in a comma file: no thousands groups, so the
    // column's cells show a decimal comma (said in a note).
    let t = load_ok("decimal_comma_in_comma_file.csv");
    assert_eq!(numeric(&t, "basket"), [3.5, 4.25]);
    assert!(
        t.notes()
            .iter()
            .any(|n| n.text.contains("`basket`") && n.text.contains("decimal comma"))
    );
}

#[test]
fn nan_is_missing_and_never_reaches_a_tensor() {
    let t = load_ok("nan_is_missing.csv");
    let income = numeric(&t, "income");
    assert!(income[0].is_nan() && income[3].is_nan());
    assert_eq!(t.column("income").unwrap().missing_count(), 2);
    let recipe = classify(&t, "purchased", "yes");
    let prepared = prepare(&t, &recipe).unwrap();
    for side in [&prepared.train, &prepared.test] {
        assert!(side.x.data.iter().all(|v| v.is_finite()));
        assert!(side.y.iter().all(|v| v.is_finite()));
    }
    // Text after `inf` makes the column categorical: `inf` is a label then,
    // never a number.
    let t = load_ok("inf_then_text.csv");
    assert_eq!(t.column("code").unwrap().kind(), ColumnKind::Categorical);
    assert_eq!(texts(&t, "code")[0].as_deref(), Some("inf"));
}

/// Files as spreadsheets and data tools export them (issue 13): each reads
/// as the user meant, with a note for what was reinterpreted.
#[test]
fn spreadsheet_exports_read_as_meant_with_notes() {
    let has_note = |t: &Table, words: &[&str]| {
        t.notes()
            .iter()
            .any(|n| words.iter().all(|w| n.text.contains(w)))
    };
    let t = load_ok("sep_line_semicolon.csv");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        ["customer", "monthly_spend", "plan"]
    );
    assert_eq!(numeric(&t, "monthly_spend"), [29.71, 3.5, 1204.1]);
    assert!(has_note(&t, &["sep=;"]));

    let t = load_ok("trailing_delimiter_every_line.csv");
    assert_eq!(t.n_cols(), 3);
    assert!(has_note(&t, &["`spend`", "dropped"]));

    let t = load_ok("cr_only.csv");
    assert_eq!((t.n_rows(), t.n_cols()), (3, 3));
    assert!(has_note(&t, &["CR"]));

    let t = load_ok("currency_percent.csv");
    assert_eq!(numeric(&t, "avg_order"), [2310.75, 45.0, -12.0]);
    assert_eq!(numeric(&t, "discount_rate"), [15.0, 7.5, 0.0]);
    assert!(has_note(&t, &["`avg_order`", "currency $"]));
    assert!(has_note(&t, &["`discount_rate`", "percent"]));

    let t = load_ok("excel_error_tokens.csv");
    assert_eq!(t.column("income").unwrap().missing_count(), 2);
    assert_eq!(t.column("spend_per_visit").unwrap().missing_count(), 3);
    assert_eq!(t.column("plan").unwrap().missing_count(), 2);
    assert!(has_note(
        &t,
        &["`spend_per_visit`", "`#DIV/0!` (1)", "`#VALUE!` (1)"]
    ));

    let t = load_ok("us_thousands_tab.csv");
    assert_eq!(numeric(&t, "income"), [48000.0, 125500.0, 9750.0]);
    assert_eq!(numeric(&t, "lifetime_value"), [3400.0, 1_250_000.0, 980.0]);

    let t = load_ok("euro_mixed_semicolon.csv");
    assert_eq!(numeric(&t, "a"), [12500.0, 7250.0]);
    assert_eq!(numeric(&t, "b"), [3000.5, 12.5]);

    let t = load_ok("stray_word_in_numbers.csv");
    let tenure = numeric(&t, "tenure_months");
    assert!(tenure[45].is_nan());
    assert_eq!(t.column("tenure_months").unwrap().missing_count(), 1);
    assert!(has_note(&t, &["`tenure_months`", "`unknown`", "line 47"]));

    let t = load_ok("empty_header_name.csv");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        ["age", "unnamed_2", "purchased"]
    );
    assert!(has_note(&t, &["column 2 has no name", "`unnamed_2`"]));

    let t = load_ok("dates.csv");
    assert_eq!(numeric(&t, "signup"), [19797.0, 19722.0, 19782.0]);
    assert_eq!(numeric(&t, "last_order"), numeric(&t, "signup"));
}

#[test]
fn odd_but_valid_files_load() {
    let t = load_ok("bom_crlf.csv");
    assert_eq!(t.column_names().next(), Some("age"), "BOM stripped");
    assert_eq!(numeric(&t, "income"), [52000.0, 61000.0]);
    assert_eq!(texts(&t, "purchased")[1].as_deref(), Some("no"), "no `\\r`");

    let t = load_ok("quoted_fields.csv");
    assert_eq!(
        texts(&t, "name"),
        [Some("Smith, J".to_owned()), Some("Ng".to_owned())]
    );
    assert_eq!(
        texts(&t, "note")[0].as_deref(),
        Some("said \"hi\"\nand left")
    );
    assert_eq!(texts(&t, "note")[1], None);
    assert_eq!(numeric(&t, "spend"), [12.5, 7.0]);

    let t = load_ok("trailing_empty_rows.csv");
    assert_eq!(t.n_rows(), 2);

    let t = load_ok("zip_codes_keep_spelling.csv");
    assert_eq!(
        texts(&t, "zip"),
        [
            Some("00501".to_owned()),
            Some("02134".to_owned()),
            Some("1000AB".to_owned())
        ]
    );

    let t = load_ok("missing_markers.csv");
    assert_eq!(t.column("age").unwrap().missing_count(), 2);
    assert_eq!(t.column("city").unwrap().missing_count(), 3);
}

#[test]
fn ten_thousand_columns_load_and_prepare() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wide.csv");
    let mut text = String::new();
    let names: Vec<String> = (0..9_999).map(|i| format!("c{i}")).collect();
    text.push_str(&names.join(","));
    text.push_str(",purchased\n");
    for r in 0..20 {
        let row: Vec<String> = (0..9_999).map(|i| ((r * 7 + i) % 13).to_string()).collect();
        text.push_str(&row.join(","));
        text.push_str(if r % 2 == 0 { ",yes\n" } else { ",no\n" });
    }
    std::fs::write(&path, text).unwrap();
    let t = load_csv(&path).unwrap();
    assert_eq!((t.n_rows(), t.n_cols()), (20, 10_000));
    let prepared = prepare(&t, &classify(&t, "purchased", "yes")).unwrap();
    assert_eq!(prepared.pipeline.n_features(), 9_999);
}

#[test]
fn a_200_mb_line_is_refused_after_a_few_mb() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one_line.csv");
    // Streamed to disk: a header, then 200 MB without a line break.
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    file.write_all(b"a,b\n").unwrap();
    let chunk = b"1234567,".repeat(128 * 1024);
    for _ in 0..(200 << 20) / chunk.len() {
        file.write_all(&chunk).unwrap();
    }
    file.flush().unwrap();
    drop(file);
    assert!(std::fs::metadata(&path).unwrap().len() >= 200 << 20);

    let started = std::time::Instant::now();
    let err = load_csv_with(&path, &CsvLimits::with_max_file_bytes(u64::MAX)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: the row is longer than 8.0 MiB, so this does not look like a table of customers (one row per line); is it the right file?"
    );
    assert_eq!(err.line(), Some(2));
    // It stopped at the row limit instead of reading all 200 MB.
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_csv_over_the_memory_limit_is_refused_before_reading() {
    let path = corpus("semicolon_delimited.csv");
    let size = std::fs::metadata(&path).unwrap().len();
    let err = load_csv_with(&path, &CsvLimits::with_max_file_bytes(32)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`{}` is {size} bytes, more than the limit of 32 bytes for a CSV file (set by the program); \
             set PURCHASE_LAB_MAX_CSV_BYTES to a larger size (e.g. 8G) to open it anyway",
            path.display()
        )
    );
    // At the limit exactly, it reads.
    assert!(load_csv_with(&path, &CsvLimits::with_max_file_bytes(size)).is_ok());
    // The default for this machine is a quarter of its memory (or 2 GiB).
    let limits = CsvLimits::from_env().unwrap();
    assert!(limits.max_file_bytes >= 64 << 20, "{limits:?}");
    assert_eq!(format_bytes(3 << 29), "1.5 GiB");
}

fn classify(t: &Table, target: &str, positive: &str) -> Recipe {
    Recipe::new(
        t,
        target,
        Problem::Classification {
            positive: positive.into(),
        },
    )
}

fn prep_error(file: &str, recipe: impl FnOnce(&Table) -> Recipe) -> PrepError {
    let t = load_ok(file);
    let r = recipe(&t);
    match prepare(&t, &r) {
        Ok(_) => panic!("{file}: prepared without complaint"),
        Err(e) => e,
    }
}

#[test]
fn preparation_refuses_unusable_targets_and_features() {
    let cases: Vec<(&str, PrepError, &str)> = vec![
        (
            "constant_target.csv",
            prep_error("constant_target.csv", |t| classify(t, "purchased", "yes")),
            "the target `purchased` has only one class (`yes`); a classifier needs at least two",
        ),
        (
            "all_missing_target.csv",
            prep_error("all_missing_target.csv", |t| {
                classify(t, "purchased", "yes")
            }),
            "the target `purchased` has values in no row",
        ),
        (
            // Left out by default (it has no values); ticked by hand it is
            // refused with the reason.
            "all_missing_column.csv (ticked)",
            prep_error("all_missing_column.csv", |t| {
                let mut r = classify(t, "purchased", "yes");
                r.features = vec!["age".into(), "notes".into()];
                r
            }),
            "feature `notes` has no values in the training rows; untick it",
        ),
        (
            "constant_regression_target.csv",
            prep_error("constant_regression_target.csv", |t| {
                Recipe::new(t, "spend", Problem::Regression)
            }),
            "the target `spend` has the same value (12.5) in every training row; a regression needs it to vary",
        ),
        (
            "all_missing_column.csv (drop rows)",
            prep_error("all_missing_column.csv", |t| {
                let mut r = classify(t, "purchased", "yes");
                r.features = vec!["age".into(), "notes".into()];
                r.impute = Impute::DropRows;
                r
            }),
            "only 0 usable rows (10 dropped for missing values); at least 5 are needed to split into training and test sets",
        ),
        (
            "too_few_rows.csv",
            prep_error("too_few_rows.csv", |t| classify(t, "purchased", "yes")),
            "only 3 usable rows (0 dropped for missing values); at least 5 are needed to split into training and test sets",
        ),
        (
            "target_too_large.csv",
            prep_error("target_too_large.csv", |t| {
                Recipe::new(t, "spend", Problem::Regression)
            }),
            "the target `spend` holds 1e300 in data row 7, too large for the network's 32-bit numbers; rescale the column (e.g. thousands instead of units)",
        ),
        (
            "feature_too_large.csv (no scaling)",
            prep_error("feature_too_large.csv", |t| {
                let mut r = classify(t, "purchased", "yes");
                r.scale = Scale::None;
                r
            }),
            "feature `income` holds 1e300 in data row 4, too large for 32-bit numbers after scaling by the training rows' range; choose min-max scaling or standardize, or rescale the column",
        ),
    ];
    for (case, err, expected) in cases {
        assert_eq!(err.to_string(), expected, "{case}");
    }
    // Min-max scaling brings the huge feature into range when it is a
    // training row; in a validation or test row it lies far outside the
    // training range, and the error names that row. Both happen for some
    // seed of the split.
    let t = load_ok("feature_too_large.csv");
    let mut r = classify(&t, "purchased", "yes");
    let mut trained = false;
    let mut refused = false;
    for seed in 0..40 {
        r.seed = seed;
        match prepare(&t, &r) {
            Ok(p) => {
                assert!(p.train.source_rows.contains(&3), "seed {seed}");
                assert!(p.train.x.data.iter().all(|v| v.is_finite()));
                trained = true;
            }
            Err(e) => {
                assert!(
                    matches!(e, PrepError::NotFinite { row: 4, .. }),
                    "seed {seed}: {e}"
                );
                refused = true;
            }
        }
    }
    assert!(trained && refused);
    // The default recipe leaves the empty column out, and trains.
    let t = load_ok("all_missing_column.csv");
    let r = classify(&t, "purchased", "yes");
    assert_eq!(r.features, ["age"]);
    assert!(prepare(&t, &r).is_ok());
}

#[test]
fn a_target_with_a_thousand_classes() {
    // Classification here is one label against all others; a thousand
    // labels are fine for that, and a label that is not there is named
    // with a short list of the most frequent ones.
    let mut text = String::from("x,label\n");
    for r in 0..2_000 {
        text.push_str(&format!("{r},class{:04}\n", r % 1_000));
    }
    let t = purchase_lab::data::parse_csv(text.as_bytes()).unwrap();
    let p = prepare(&t, &classify(&t, "label", "class0007")).unwrap();
    let positives = p
        .train
        .y
        .iter()
        .chain(&p.test.y)
        .filter(|&&y| y == 1.0)
        .count();
    assert_eq!(positives, 2);
    let err = prepare(&t, &classify(&t, "label", "nope")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the positive label `nope` does not occur in `label`; its values are: class0000, class0001, class0002, class0003, class0004, class0005, class0006, class0007, … and 992 more"
    );
}

// ---- model files ----

struct Trained {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    model: PathBuf,
    bytes: Vec<u8>,
    weights_len: usize,
}

/// A tiny model on the visits preset, trained for one epoch on the CPU.
fn trained() -> Trained {
    let table = generate(&SynthSettings {
        preset: Preset::Visits,
        rows: 100,
        ..SynthSettings::default()
    })
    .unwrap();
    let recipe = classify(&table, "purchased", "yes");
    let prepared = Arc::new(prepare(&table, &recipe).unwrap());
    let device = select_device(BackendChoice::Cpu).unwrap();
    let spec = NetworkSpec {
        hidden: vec![4],
        ..NetworkSpec::default()
    };
    let settings = TrainSettings {
        epochs: 1,
        ..TrainSettings::default()
    };
    let mut run = TrainingRun::new(prepared, &spec, &settings, &device).unwrap();
    run.run_epoch().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.plab");
    let bundle = Bundle::from_run(&run, &recipe).unwrap();
    bundle.save(&model).unwrap();
    Trained {
        dir: dir.path().to_owned(),
        bytes: std::fs::read(&model).unwrap(),
        weights_len: bundle.weights.len(),
        model,
        _dir: dir,
    }
}

impl Trained {
    fn variant(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn load_error(&self, name: &str, bytes: &[u8]) -> String {
        match Bundle::load(&self.variant(name, bytes)) {
            Ok(_) => panic!("{name} loaded"),
            Err(e) => e.to_string(),
        }
    }
}

#[test]
fn damaged_model_files_are_refused_with_a_reason() {
    let m = trained();
    let b = &m.bytes;

    assert_eq!(
        m.load_error("truncated.plab", &b[..b.len() - 10]),
        format!(
            "the model file is truncated: the weights should take {} bytes but only {} remain; \
             it was probably not saved or copied completely",
            m.weights_len,
            m.weights_len - 2
        )
    );
    let mut versioned = b.clone();
    versioned[8..12].copy_from_slice(&4u32.to_le_bytes());
    assert_eq!(
        m.load_error("version4.plab", &versioned),
        "this model file has format version 4, but this Purchase Lab reads versions 1 to 3; open it with the version that saved it"
    );
    let not_a_model =
        "this is not a Purchase Lab model file (it does not start with the model header)";
    let csv = std::fs::read(corpus("semicolon_delimited.csv")).unwrap();
    assert_eq!(m.load_error("csv.plab", &csv), not_a_model);
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(m.load_error("random.plab", &random), not_a_model);
    assert_eq!(
        m.load_error("empty.plab", b""),
        "the model file is empty; it was probably not saved or copied completely"
    );
    let mut flipped = b.clone();
    let mid = flipped.len() - 20;
    flipped[mid] ^= 0x40;
    assert_eq!(
        m.load_error("flipped.plab", &flipped),
        "the model file is damaged (its checksum does not match)"
    );
    // Every prefix is refused, never a panic.
    for cut in (0..b.len()).step_by(97) {
        assert!(Bundle::from_bytes(&b[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn scoring_data_without_the_model_s_columns_is_refused() {
    let m = trained();
    let device = select_device(BackendChoice::Cpu).unwrap();
    let model = LoadedModel::new(Bundle::load(&m.model).unwrap(), &device).unwrap();
    let err = model
        .predict_table(&load_ok("score_missing_columns.csv"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the data lacks the columns the model needs: visit_minutes, pages_visited"
    );
    let err = model
        .predict_table(&load_ok("score_text_in_numeric.csv"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `visit_minutes` was numeric when the model was trained but holds text here (e.g. `12.5`)"
    );
}

// ---- the command line: non-zero exit, exactly one line on stderr ----

fn purchase_lab(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_purchase-lab"));
    // Not the runner's data directory (as tests/common/cli.rs).
    let data_home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-home");
    command.env("XDG_DATA_HOME", data_home).args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run purchase-lab")
}

fn one_error_line(o: &Output) -> String {
    assert!(!o.status.success(), "succeeded: {o:?}");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "{err}");
    err.trim_end().to_owned()
}

#[test]
fn the_cli_reports_each_in_one_line() {
    let path = |f: &str| corpus(f).display().to_string();
    for file in [
        "ragged_too_many.csv",
        "latin1.csv",
        "unterminated_quote.csv",
        "utf16le_bom.csv",
        "overflow_1e400.csv",
        "empty.csv",
    ] {
        let expected = CSV_ERRORS
            .iter()
            .find(|c| c.0 == file)
            .map(|c| c.1)
            .unwrap();
        let o = purchase_lab(&["inspect", &path(file)], &[]);
        assert_eq!(
            one_error_line(&o),
            format!("error: {}: {expected}", path(file))
        );
    }

    let file = path("semicolon_delimited.csv");
    let o = purchase_lab(&["inspect", &file], &[("PURCHASE_LAB_MAX_CSV_BYTES", "32")]);
    let size = std::fs::metadata(&file).unwrap().len();
    assert_eq!(
        one_error_line(&o),
        format!(
            "error: {file}: `{file}` is {size} bytes, more than the limit of 32 bytes for a CSV file \
             (set by PURCHASE_LAB_MAX_CSV_BYTES); set PURCHASE_LAB_MAX_CSV_BYTES to a larger size \
             (e.g. 8G) to open it anyway"
        )
    );
    let o = purchase_lab(
        &["inspect", &file],
        &[("PURCHASE_LAB_MAX_CSV_BYTES", "lots")],
    );
    assert_eq!(
        one_error_line(&o),
        format!(
            "error: {file}: PURCHASE_LAB_MAX_CSV_BYTES is `lots`, which is not a size in bytes; \
             use a whole number, optionally with K, M, G or T (e.g. 8G)"
        )
    );

    let o = purchase_lab(
        &[
            "train",
            "--data",
            &path("constant_target.csv"),
            "--target",
            "purchased",
            "--positive",
            "yes",
        ],
        &[],
    );
    assert_eq!(
        one_error_line(&o),
        "error: the target `purchased` has only one class (`yes`); a classifier needs at least two"
    );

    let m = trained();
    let cut = m.variant("cut.plab", &m.bytes[..m.bytes.len() - 10]);
    let o = purchase_lab(
        &[
            "predict",
            "--model",
            &cut.display().to_string(),
            "--data",
            &path("semicolon_delimited.csv"),
        ],
        &[],
    );
    assert_eq!(
        one_error_line(&o),
        format!(
            "error: {}: the model file is truncated: the weights should take {} bytes but only {} \
             remain; it was probably not saved or copied completely",
            cut.display(),
            m.weights_len,
            m.weights_len - 2
        )
    );
}

#[test]
fn every_corpus_file_is_covered() {
    let covered: Vec<&str> = CSV_ERRORS
        .iter()
        .map(|c| c.0)
        .chain([
            "semicolon_delimited.csv",
            "pipe_delimited.csv",
            "tab_delimited.csv",
            "thousands_separators.csv",
            "decimal_commas_semicolon.csv",
            "decimal_comma_in_comma_file.csv",
            "nan_is_missing.csv",
            "inf_then_text.csv",
            "bom_crlf.csv",
            "quoted_fields.csv",
            "trailing_empty_rows.csv",
            "zip_codes_keep_spelling.csv",
            "missing_markers.csv",
            "constant_target.csv",
            "constant_regression_target.csv",
            "all_missing_target.csv",
            "all_missing_column.csv",
            "too_few_rows.csv",
            "target_too_large.csv",
            "feature_too_large.csv",
            "score_missing_columns.csv",
            "score_text_in_numeric.csv",
            // spreadsheet_exports_read_as_meant_with_notes
            "empty_header_name.csv",
            "cr_only.csv",
            "currency_percent.csv",
            "dates.csv",
            "euro_mixed_semicolon.csv",
            "excel_error_tokens.csv",
            "sep_line_semicolon.csv",
            "stray_word_in_numbers.csv",
            "trailing_delimiter_every_line.csv",
            "us_thousands_tab.csv",
        ])
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(corpus(""))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    files.sort();
    let uncovered: Vec<&String> = files
        .iter()
        .filter(|f| !covered.contains(&f.as_str()))
        .collect();
    assert!(uncovered.is_empty(), "no test for {uncovered:?}");
    assert!(files.len() >= 30, "{} files", files.len());
}
