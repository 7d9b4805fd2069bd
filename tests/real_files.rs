//! Real customer files as analysts bring them (issue 13): each kind of
//! file that tools commonly get wrong, written here by the test, read
//! through the same commands a user runs (`inspect`, `train`, `predict`),
//! checked for the values the user meant and for a note saying what was
//! reinterpreted.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

use std::path::Path;

use purchase_lab::cli::format_metrics;
use purchase_lab::data::{CellFormat, ColumnData, ColumnKind, Table, load_csv};
use purchase_lab::model::metrics::ClassificationMetrics;
use purchase_lab::model::run::Metrics;

#[path = "common/cli.rs"]
mod cli;
use cli::{Dir, ok, predict_args, run, train_args};

fn numeric(t: &Table, name: &str) -> Vec<f64> {
    match t.column(name).map(|c| &c.data) {
        Some(ColumnData::Numeric(v)) => v.clone(),
        other => panic!("`{name}` is not numeric: {other:?}"),
    }
}

/// The `inspect` line of one column.
fn inspect_line(out: &str, column: &str) -> String {
    out.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(column))
        .unwrap_or_else(|| panic!("no line for `{column}` in\n{out}"))
        .to_owned()
}

/// A training file of `n` customers: a reference that sometimes looks
/// like a number, visits, spend, a zip that is a category, and the label.
fn customers(n: usize, delimiter: char, decimal: char) -> String {
    let d = delimiter;
    let mut text = format!("customer_ref{d}visits{d}spend{d}zip{d}bought\n");
    for i in 0..n {
        let visits = (i * 7) % 40 + 1;
        let spend =
            format!("{}.{:02}", 10 + (i * 13) % 300, i % 100).replace('.', &decimal.to_string());
        let zip = ["02134", "10001", "AB123", "00501"][i % 4];
        let bought = if visits > 20 { "yes" } else { "no" };
        text.push_str(&format!(
            "{:02}e{:05}{d}{visits}{d}{spend}{d}{zip}{d}{bought}\n",
            i % 100,
            i
        ));
    }
    text
}

fn train_model(dir: &Dir, data: &str, extra: &[&str]) -> String {
    let model = dir.path("m.plab");
    let mut args = vec![
        "--target",
        "bought",
        "--positive",
        "yes",
        "--epochs",
        "5",
        "--out",
        &model,
    ];
    args.extend_from_slice(extra);
    let args = train_args(data, &args);
    ok(&args);
    model
}

/// Kind 1 and 2: scored output keeps every input cell byte for byte, and
/// the model's schema (not the cells' looks) decides how columns are read.
#[test]
fn scoring_writes_cells_back_as_written_and_reads_them_as_the_model_says() {
    let dir = Dir::new();
    let train = dir.file("train.csv", customers(120, ',', '.'));
    let model = train_model(&dir, &train, &["--features", "visits,spend,zip"]);
    let score_text = "customer_ref,visits,spend,zip,note\n\
                      00e12345,17,67.71,02134,x\n\
                      7e000400,40,1.50,02134,\"a, b\"\n\
                      0012, 3 ,1.50,10001,1e999\n\
                      1.50,25,99.00,00501,\n";
    let score = dir.file("score.csv", score_text);
    let out = dir.path("scored.csv");
    let (_, err) = ok(&predict_args(&model, &score, &out, &[]));
    assert!(!err.contains("warning"), "{err}");
    let written = std::fs::read_to_string(&out).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(written.as_bytes());
    let mut input = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(score_text.as_bytes());
    for (a, b) in input.byte_records().zip(reader.byte_records()) {
        let (a, b) = (a.unwrap(), b.unwrap());
        for (i, field) in a.iter().enumerate() {
            assert_eq!(field, &b[i], "cell {i} rewritten: {written}");
        }
        assert_eq!(b.len(), a.len() + 2);
    }
    let probabilities: Vec<f64> = written
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(probabilities.len(), 4);
    assert!(
        probabilities.iter().all(|p| (0.0..=1.0).contains(p)),
        "{probabilities:?}"
    );
    // `02134` in the scored file is the training category `02134`, not the
    // number 2134 (which would be an unseen category, and reported).
    assert!(!err.contains("never saw"), "{err}");

    // A numeric cell that is no number in the model's format is named.
    let bad = dir.file("bad.csv", "visits,spend,zip\n3,12.5,02134\n4,abc,10001\n");
    let (_, err) = ok(&predict_args(&model, &bad, &dir.path("b.csv"), &[]));
    assert!(
        err.contains("`spend`") && err.contains("line 3") && err.contains("`abc`"),
        "{err}"
    );
}

/// Kind 2 with a decimal-comma training file: the scored file is read
/// with the training format, where `1.234` is one thousand two hundred
/// thirty-four.
#[test]
fn a_decimal_comma_model_reads_scored_numbers_the_same_way() {
    let dir = Dir::new();
    let train = dir.file("train.csv", customers(120, ';', ','));
    let model = train_model(&dir, &train, &["--features", "visits,spend"]);
    let score = dir.file("score.csv", "visits;spend\n20;1.234\n20;1234\n");
    let out = dir.path("scored.csv");
    ok(&predict_args(&model, &score, &out, &[]));
    let scored = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = scored.lines().collect();
    let p1 = lines[1].split(';').nth(2).unwrap();
    let p2 = lines[2].split(';').nth(2).unwrap();
    assert_eq!(
        p1, p2,
        "`1.234` and `1234` are the same spend here:\n{scored}"
    );
}

/// Kind 3: number formats decided per column from all its cells.
#[test]
fn number_formats_are_recognised_per_column_and_said() {
    let dir = Dir::new();
    let tab = dir.file(
        "tab.csv",
        "customer\tincome\tlifetime_value\tchurned\nu1\t48,000\t3,400\tno\nu2\t125,500\t1,250,000\tyes\nu3\t9,750\t980\tno\n",
    );
    let (out, _) = ok(&["inspect", &tab]);
    assert!(inspect_line(&out, "income").contains("max 125500"), "{out}");
    assert!(
        inspect_line(&out, "lifetime_value").contains("max 1250000"),
        "{out}"
    );
    assert!(out.contains("`income`: cells such as `48,000`"), "{out}");

    let money = dir.file(
        "money.csv",
        "age,avg_order,discount_rate,bought\n35,\"$2,310.75\",15%,yes\n41,$45.00,7.5%,no\n29,\"$1,000\",0%,no\n",
    );
    let (out, _) = ok(&["inspect", &money]);
    let avg = inspect_line(&out, "avg_order");
    assert!(
        avg.contains("numeric")
            && avg.contains("max 2310.8")
            && avg.contains("currency $ stripped"),
        "{avg}"
    );
    let rate = inspect_line(&out, "discount_rate");
    assert!(
        rate.contains("numeric") && rate.contains("percent"),
        "{rate}"
    );

    // `12.500` in a `;` file next to `3.000,50`: one reading per column.
    let euro = dir.file("euro.csv", "a;b\n12.500;3.000,50\n7.250;12,5\n1.000;2\n");
    let t = load_csv(Path::new(&euro)).unwrap();
    assert_eq!(numeric(&t, "a"), [12500.0, 7250.0, 1000.0]);
    assert_eq!(numeric(&t, "b"), [3000.5, 12.5, 2.0]);
    assert!(
        matches!(t.cell_format("b"), CellFormat::Number(f) if f.decimal == purchase_lab::data::numbers::DecimalMark::Comma)
    );
}

/// Kinds 4 and 5: spreadsheet missing tokens, and a stray word in a
/// numeric column (missing, with a warning naming column and line).
#[test]
fn missing_tokens_and_stray_words() {
    let dir = Dir::new();
    let na = dir.file(
        "na.csv",
        "income,spend_per_visit,plan\n#N/A,3.5,a\n52000,#DIV/0!,b\nNone,<NA>,NULL\n61000,2.5,-\n70000,n.a.,a\n",
    );
    let (out, _) = ok(&["inspect", &na]);
    let income = inspect_line(&out, "income");
    assert!(
        income.contains("numeric") && income.split_whitespace().nth(3) == Some("2"),
        "{income}"
    );
    let spend = inspect_line(&out, "spend_per_visit");
    assert!(spend.split_whitespace().nth(3) == Some("3"), "{spend}");
    assert!(out.contains("`#N/A` (1)"), "{out}");

    let mut text = String::from("tenure_months,plan\n");
    for i in 0..60 {
        text.push_str(&if i == 45 {
            "unknown,a\n".to_owned()
        } else {
            format!("{},b\n", i + 1)
        });
    }
    let stray = dir.file("stray.csv", text);
    let (out, _) = ok(&["inspect", &stray]);
    let tenure = inspect_line(&out, "tenure_months");
    assert!(
        tenure.contains("numeric") && tenure.split_whitespace().nth(3) == Some("1"),
        "{tenure}"
    );
    assert!(
        out.contains("warning: `tenure_months`") && out.contains("line 47"),
        "{out}"
    );

    // Really text stays text.
    let text_col = dir.file("codes.csv", "code,n\nA1,1\n22,2\nB7,3\nC9,4\n31,5\nD2,6\n");
    let t = load_csv(Path::new(&text_col)).unwrap();
    assert_eq!(t.column("code").unwrap().kind(), ColumnKind::Categorical);
}

/// Kind 6: Excel's `sep=` line, trailing delimiters, old-Mac line ends.
#[test]
fn spreadsheet_exports_read_as_meant_and_errors_name_the_right_line() {
    let dir = Dir::new();
    let sep = dir.file(
        "sep.csv",
        "sep=;\r\ncustomer;monthly_spend;plan\r\nk1;29,71;plus\r\nk2;3,5;basic\r\n",
    );
    let (out, _) = ok(&["inspect", &sep]);
    assert!(out.contains("2 rows, 3 columns"), "{out}");
    assert!(
        inspect_line(&out, "monthly_spend").contains("max 29.71"),
        "{out}"
    );
    assert!(out.contains("sep=;"), "{out}");

    let trailing = dir.file("trailing.csv", "a,b,c,\n1,x,2,\n3,y,4,\n");
    let (out, _) = ok(&["inspect", &trailing]);
    assert!(
        out.contains("2 rows, 3 columns") && out.contains("dropped"),
        "{out}"
    );

    let cr = dir.file("cr.csv", "a,b,c\r1,x,2\r3,y,4\r");
    let (out, _) = ok(&["inspect", &cr]);
    assert!(out.contains("2 rows, 3 columns"), "{out}");
    let cr_ragged = dir.file("cr_ragged.csv", "a,b,c\r1,x,2\r3,y,4\r5,z\r6,w,7\r");
    let o = run(&["inspect", &cr_ragged]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 4"),
        "{o:?}"
    );
}

/// Kind 7: identifiers, constants, sparse columns and dates; the outcome
/// never depends on the seed.
#[test]
fn unfit_columns_are_left_out_and_dates_become_numbers() {
    let dir = Dir::new();
    let mut text = String::from("customerID,signup,country,referral_code,age,plan,renewed\n");
    for i in 0..60 {
        text.push_str(&format!(
            "{:04}-ABCDE,2024-{:02}-{:02},NL,{},{},{},{}\n",
            1000 + i,
            1 + i % 12,
            1 + i % 28,
            if i == 7 { "FRIEND10" } else { "" },
            20 + (i * 7) % 50,
            ["basic", "plus"][i % 2],
            match i % 10 {
                3 => "",
                6 => "?",
                _ if (i * 7) % 50 > 25 => "yes",
                _ => "no",
            }
        ));
    }
    let file = dir.file("unfit.csv", text);
    let mut features = None;
    for seed in 1..=6 {
        let seed = seed.to_string();
        let (out, _) = ok(&train_args(
            &file,
            &[
                "--target",
                "renewed",
                "--positive",
                "yes",
                "--epochs",
                "3",
                "--seed",
                &seed,
                "--json",
            ],
        ));
        let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let n = json["features"].as_u64().unwrap();
        // signup (days), age, plan (2 levels): 4 inputs, whatever the seed.
        assert_eq!(*features.get_or_insert(n), n, "seed {seed}");
        assert_eq!(n, 4, "{json}");
        let notes = json["notes"].to_string();
        for expected in [
            "`customerID` looks like an identifier",
            "`country` holds the same value",
            "`referral_code` has a value in only 1 row",
            "`signup`: dates",
            "12 rows without a value in the target",
        ] {
            assert!(notes.contains(expected), "{expected} not in {notes}");
        }
    }
    let t = load_csv(Path::new(&file)).unwrap();
    assert_eq!(numeric(&t, "signup")[0], 19723.0, "2024-01-01 is day 19723");
}

/// Kind 8: label spelling variants are named with counts and can be merged;
/// a 0/1 target asked for as regression gets a hint.
#[test]
fn label_variants_are_named_and_merged_on_request() {
    let dir = Dir::new();
    let mut text = String::from("visits,subscribed\n");
    let labels = ["Yes", "yes", "YES", " Yes ", "No", "no"];
    for i in 0..60 {
        text.push_str(&format!("{},{}\n", i, labels[i % 6]));
    }
    let file = dir.file("labels.csv", text);
    let args = train_args(
        &file,
        &[
            "--target",
            "subscribed",
            "--positive",
            "Yes",
            "--epochs",
            "2",
        ],
    );
    let (_, err) = ok(&args);
    assert!(
        err.contains("`yes` (10)")
            && err.contains("`YES` (10)")
            && err.contains("NOT `Yes` (20 positive rows)"),
        "{err}"
    );
    let mut merged = args.to_vec();
    merged.push("--merge-labels");
    let (_, err) = ok(&merged);
    assert!(err.contains("merged into `Yes`: 40 positive rows"), "{err}");

    // A positive label that differs only in case is pointed to.
    let yes_no = dir.file(
        "yes_no.csv",
        (0..20).fold(String::from("x,y\n"), |t, i| {
            t + &format!("{},{}\n", i % 7, if i % 2 == 0 { "Yes" } else { "No" })
        }),
    );
    let o = run(&train_args(
        &yes_no,
        &["--target", "y", "--positive", "yes"],
    ));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean `Yes`?"), "{err}");

    let zero_one = dir.file(
        "zero_one.csv",
        (0..30).fold(String::from("x,y\n"), |t, i| {
            t + &format!("{i},{}\n", i % 2)
        }),
    );
    let (_, err) = ok(&train_args(
        &zero_one,
        &["--target", "y", "--regression", "--epochs", "2"],
    ));
    assert!(err.contains("looks like classification"), "{err}");
}

/// Kind 9: imbalance is said, and precision with nothing predicted positive
/// is undefined, not 0.
#[test]
fn imbalance_and_undefined_precision_are_said() {
    let dir = Dir::new();
    let mut text = String::from("x,y\n");
    for i in 0..200 {
        text.push_str(&format!(
            "{},{}\n",
            i % 17,
            if i % 25 == 0 { "buy" } else { "skip" }
        ));
    }
    let file = dir.file("rare.csv", text);
    let (_, err) = ok(&train_args(
        &file,
        &["--target", "y", "--positive", "buy", "--epochs", "2"],
    ));
    assert!(err.contains("only 8 of 200 rows (4.0%) are `buy`"), "{err}");
    assert!(err.contains("the test rows hold only"), "{err}");

    let nobody =
        ClassificationMetrics::compute(&[0.1, 0.2, 0.3, 0.4], &[0.0, 1.0, 0.0, 1.0], 0.5).unwrap();
    assert_eq!(nobody.precision_if_defined(), None);
    let text = format_metrics(&Metrics::Classification(nobody));
    assert!(
        text.contains("precision undefined") && text.contains("lower the threshold"),
        "{text}"
    );
    let some = ClassificationMetrics::compute(&[0.9, 0.2], &[1.0, 0.0], 0.5).unwrap();
    assert_eq!(some.precision_if_defined(), Some(1.0));
}
