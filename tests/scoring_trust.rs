//! Scoring you can trust (issue 19): `predict` says what the model had
//! never seen, on files the test writes, through the command a user runs.

#![allow(
    clippy::unwrap_used,
    reason = "in a test, a failed unwrap is a failed test that names its line"
)]

#[path = "common/cli.rs"]
mod cli;
use cli::{Dir, fails, ok, predict_args, train_args};

const FEATURES: &str = "age,income,region,member,visits";

/// 80 customers: age, income, region, member (True/False), visits, and
/// `bought` (yes/no) and `spend` (a number).
fn training_file() -> String {
    let mut text = String::from("age,income,region,member,visits,bought,spend\n");
    for i in 0..80 {
        let age = 20 + (i * 7) % 50;
        let income = 20_000 + (i * 1_337) % 90_000;
        let region = ["north", "south", "east", "west"][i % 4];
        let member = if i % 3 == 0 { "True" } else { "False" };
        let visits = 1 + (i * 5) % 30;
        let bought = if visits > 15 { "yes" } else { "no" };
        let spend = 10 + visits * 4 + i % 7;
        text.push_str(&format!(
            "{age},{income},{region},{member},{visits},{bought},{spend}\n"
        ));
    }
    text
}

fn classifier(dir: &Dir) -> String {
    let data = dir.file("train.csv", training_file());
    let model = dir.path("c.plab");
    ok(&train_args(
        &data,
        &[
            "--target",
            "bought",
            "--positive",
            "yes",
            "--features",
            FEATURES,
            "--epochs",
            "5",
            "--out",
            &model,
        ],
    ));
    model
}

fn regressor(dir: &Dir) -> String {
    let data = dir.file("train.csv", training_file());
    let model = dir.path("r.plab");
    ok(&train_args(
        &data,
        &[
            "--target",
            "spend",
            "--regression",
            "--features",
            FEATURES,
            "--epochs",
            "5",
            "--out",
            &model,
        ],
    ));
    model
}

#[test]
fn unseen_categories_are_named_and_can_be_refused() {
    let dir = Dir::new();
    let model = classifier(&dir);
    let score = dir.file(
        "score.csv",
        "age,income,region,member,visits\n30,40000,north,True,3\n31,41000,central,True,20\n32,42000,online,False,9\n33,43000,central,False,9\n",
    );
    let out = dir.path("out.csv");
    let (_, err) = ok(&predict_args(&model, &score, &out, &[]));
    assert!(
        err.contains("region") && err.contains("central") && err.contains("online"),
        "{err}"
    );
    let err = fails(&predict_args(&model, &score, &out, &["--refuse-unseen"]));
    assert!(err.contains("line 3") && err.contains("central"), "{err}");
}

#[test]
fn spelling_variants_and_header_case_are_matched() {
    let dir = Dir::new();
    let model = classifier(&dir);
    let rows = "30,40000,north,{T},3\n45,90000,east,{F},20\n";
    let proper = dir.file(
        "proper.csv",
        format!(
            "age,income,region,member,visits\n{}",
            rows.replace("{T}", "True").replace("{F}", "False")
        ),
    );
    let shouted = dir.file(
        "shouted.csv",
        format!(
            "AGE,Income,region,member,visits\n{}",
            rows.replace("{T}", "TRUE").replace("{F}", "FALSE")
        ),
    );
    let (a, b) = (dir.path("a.csv"), dir.path("b.csv"));
    ok(&predict_args(&model, &proper, &a, &[]));
    let (_, err) = ok(&predict_args(&model, &shouted, &b, &[]));
    assert!(err.contains("TRUE") && err.contains("True"), "{err}");
    assert!(err.contains("AGE") || err.contains("renamed"), "{err}");
    let tail = |path: &str| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').skip(5).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(tail(&a), tail(&b), "TRUE must score as True");
}

#[test]
fn missing_features_and_out_of_range_values_are_reported_with_lines() {
    let dir = Dir::new();
    let model = regressor(&dir);
    let empty_income = dir.file(
        "empty.csv",
        "age,income,region,member,visits\n30,,north,True,3\n31,,south,False,20\n",
    );
    let out = dir.path("out.csv");
    let (_, err) = ok(&predict_args(&model, &empty_income, &out, &[]));
    assert!(err.contains("income") && err.contains("missing"), "{err}");
    let err = fails(&predict_args(
        &model,
        &empty_income,
        &out,
        &["--refuse-missing"],
    ));
    assert!(err.contains("income"), "{err}");

    let sentinel = dir.file(
        "sentinel.csv",
        "age,income,region,member,visits\n30,40000,north,True,3\n-1,9999999,south,False,20\n",
    );
    let (_, err) = ok(&predict_args(&model, &sentinel, &out, &["--flags"]));
    assert!(err.contains("9999999") && err.contains("line 3"), "{err}");
    let scored = std::fs::read_to_string(&out).unwrap();
    let last = scored.lines().nth(2).unwrap();
    assert!(
        last.contains("out_of_range:age") && last.contains("out_of_range:income"),
        "{last}"
    );
    let err = fails(&predict_args(
        &model,
        &sentinel,
        &out,
        &["--out-of-range", "refuse"],
    ));
    assert!(err.contains("line 3"), "{err}");
    // Clipped: the sentinel row scores as a customer at the training edge.
    ok(&predict_args(
        &model,
        &sentinel,
        &out,
        &["--out-of-range", "clip"],
    ));

    // A value too large to scale at all: named by its file line and
    // column with what to do, and clipping scores it.
    let huge = dir.file(
        "huge.csv",
        "age,income,region,member,visits\n30,40000,north,True,3\n31,1e300,south,False,20\n",
    );
    let err = fails(&predict_args(&model, &huge, &out, &[]));
    assert!(
        err.contains("line 3, column `income`") && err.contains("--out-of-range clip"),
        "{err}"
    );
    ok(&predict_args(
        &model,
        &huge,
        &out,
        &["--out-of-range", "clip"],
    ));
}

#[test]
fn json_report_has_a_stable_shape() {
    let dir = Dir::new();
    let model = classifier(&dir);
    let score = dir.file(
        "score.csv",
        "age,income,region,member,visits\n30,40000,central,TRUE,3\n",
    );
    let out = dir.path("out.csv");
    let (stdout, _) = ok(&predict_args(&model, &score, &out, &["--json"]));
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(json["rows"], 1);
    let report = &json["report"];
    for key in [
        "rows",
        "range_margin",
        "mostly_missing_share",
        "out_of_range_policy",
        "renamed_columns",
        "spelling_matches",
        "unseen_categories",
        "missing_features",
        "out_of_range",
        "predictions",
        "flagged_rows",
    ] {
        assert!(report.get(key).is_some(), "{key} missing in {report}");
    }
    assert_eq!(report["unseen_categories"][0]["column"], "region");
    assert_eq!(report["spelling_matches"][0]["from"], "TRUE");
    // The scored CSV cannot share standard output with the report.
    let err = fails(&[
        "predict",
        "--model",
        &model,
        "--data",
        &score,
        "--json",
        "--backend",
        "cpu",
    ]);
    assert!(err.contains("-o"), "{err}");
}

#[test]
fn scoring_edge_cases_on_the_path() {
    let dir = Dir::new();
    let classifier = classifier(&dir);
    let regressor = regressor(&dir);
    // An empty day: header only, exit 0, header-only output.
    let empty = dir.file("empty.csv", "age,income,region,member,visits\n");
    let out = dir.path("out.csv");
    let (_, err) = ok(&predict_args(&classifier, &empty, &out, &[]));
    assert!(err.contains("no rows"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().trim(),
        "age,income,region,member,visits,probability,prediction"
    );
    // --threshold means nothing for a regression model.
    let one = dir.file(
        "one.csv",
        "age,income,region,member,visits\n30,40000,north,True,3\n",
    );
    let err = fails(&predict_args(
        &regressor,
        &one,
        &out,
        &["--threshold", "0.3"],
    ));
    assert!(err.contains("regression"), "{err}");
    // Regression values without float noise.
    ok(&predict_args(&regressor, &one, &out, &[]));
    let scored = std::fs::read_to_string(&out).unwrap();
    let value = scored
        .lines()
        .nth(1)
        .unwrap()
        .rsplit(',')
        .next()
        .unwrap()
        .to_owned();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    assert!(digits <= 9, "{value}");
    // A bad numeric cell: quoted, with line and column.
    let bad = dir.file(
        "bad.csv",
        "age,income,region,member,visits\n30,40000,north,True,3\n31,lots,south,False,4\n",
    );
    let (_, err) = ok(&predict_args(&classifier, &bad, &out, &[]));
    assert!(
        err.contains("`lots`") && err.contains("line 3") && err.contains("`income`"),
        "{err}"
    );
}

#[test]
fn training_reports_duplicate_rows_and_refuses_a_constant_regression_target() {
    let dir = Dir::new();
    let once = training_file();
    let mut four = String::from("age,income,region,member,visits,bought,spend\n");
    for line in once.lines().skip(1) {
        for _ in 0..4 {
            four.push_str(line);
            four.push('\n');
        }
    }
    let data = dir.file("four.csv", four);
    let args = train_args(
        &data,
        &[
            "--target",
            "bought",
            "--positive",
            "yes",
            "--features",
            FEATURES,
            "--epochs",
            "2",
        ],
    );
    let (_, err) = ok(&args);
    assert!(
        err.contains("240 of 320 rows are duplicate rows") && err.contains("test rows also occur"),
        "{err}"
    );
    let mut dropping = args.to_vec();
    dropping.push("--drop-duplicates");
    let (_, err) = ok(&dropping);
    assert!(
        err.contains("240 rows repeating an earlier row in every column"),
        "{err}"
    );
    assert!(
        !err.contains("missing feature") && !err.contains("dropped for missing values"),
        "copies are not missing values: {err}"
    );

    let constant = dir.file(
        "constant.csv",
        (0..20).fold(String::from("x,y\n"), |t, i| t + &format!("{i},7\n")),
    );
    let err = fails(&train_args(&constant, &["--target", "y", "--regression"]));
    assert!(
        err.contains("the same value (7) in every training row"),
        "{err}"
    );
}

#[test]
fn a_never_negative_target_can_be_kept_at_or_above_zero() {
    let dir = Dir::new();
    // Spend is 0 for most customers: a plain network predicts below 0.
    let mut text = String::from("visits,spend\n");
    for i in 0..60 {
        let spend = if i % 10 == 0 { 200 } else { 0 };
        text.push_str(&format!("{},{spend}\n", i % 12));
    }
    let data = dir.file("spend.csv", text);
    let model = dir.path("nn.plab");
    let (_, err) = ok(&train_args(
        &data,
        &[
            "--target",
            "spend",
            "--regression",
            "--epochs",
            "3",
            "--non-negative",
            "--out",
            &model,
        ],
    ));
    assert!(
        !err.contains("--non-negative"),
        "no hint once it is on: {err}"
    );
    let score = dir.file("score.csv", "visits\n-500\n0\n11\n500\n");
    let out = dir.path("out.csv");
    ok(&predict_args(&model, &score, &out, &[]));
    let scored = std::fs::read_to_string(&out).unwrap();
    for line in scored.lines().skip(1) {
        let value: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
        assert!(value >= 0.0, "{scored}");
    }
    // Without the option, the training notes suggest it.
    let (_, err) = ok(&train_args(
        &data,
        &["--target", "spend", "--regression", "--epochs", "1"],
    ));
    assert!(err.contains("--non-negative"), "{err}");
    // A target with a negative value cannot be kept at or above 0.
    let negative = dir.file(
        "neg.csv",
        (0..20).fold(String::from("x,y\n"), |t, i| {
            t + &format!("{i},{}\n", i - 3)
        }),
    );
    let err = fails(&train_args(
        &negative,
        &["--target", "y", "--regression", "--non-negative"],
    ));
    assert!(err.contains("turn off the non-negative option"), "{err}");
}

#[test]
fn refusals_name_the_files_own_column_and_the_output_keeps_its_layout() {
    let dir = Dir::new();
    let model = classifier(&dir);
    // `region` is the file's 6th column (the model's 3rd).
    let score = dir.file(
        "score.csv",
        "\u{feff}ref,note,age,income,member,region,visits\r\n7,a,30,40000,True,north,3\r\n8,b,31,41000,False,central,4\r\n,,,,,,\r\n",
    );
    let out = dir.path("out.csv");
    let err = fails(&predict_args(&model, &score, &out, &["--refuse-unseen"]));
    assert!(err.contains("line 3, column 6 (`region`)"), "{err}");
    // Scored: BOM, CRLF and the row of empty cells kept in place.
    let (_, err) = ok(&predict_args(&model, &score, &out, &[]));
    assert!(err.contains("line 4"), "{err}");
    let written = std::fs::read(&out).unwrap();
    assert!(written.starts_with(b"\xEF\xBB\xBFref,note,"), "{written:?}");
    let text = String::from_utf8(written).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 5, "{text:?}");
    assert_eq!(lines[3], ",,,,,,,,");
    // Writing the scores over the file being scored is refused.
    let err = fails(&predict_args(&model, &score, &score, &[]));
    assert!(err.contains("is the file being scored"), "{err}");
}

#[test]
fn a_negative_placeholder_in_a_never_negative_column_is_out_of_range() {
    let dir = Dir::new();
    let model = classifier(&dir);
    // Training visits run from 1 to 30: -1 is within 10% of the range, but
    // never negative in training, so it is a placeholder.
    let score = dir.file(
        "score.csv",
        "age,income,region,member,visits\n30,40000,north,True,-1\n",
    );
    let out = dir.path("out.csv");
    let (_, err) = ok(&predict_args(&model, &score, &out, &["--flags"]));
    assert!(err.contains("visits: outside the training range"), "{err}");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("out_of_range:visits")
    );
}
