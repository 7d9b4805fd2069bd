//! Unseen categories, missing features, out-of-range values and predictions.

use super::*;

/// Case 02: `central` and `online`, which training never saw.
fn unseen_regions() -> (Table, Vec<u64>) {
    scoring(vec![
        Column::numeric("age", vec![30.0; 8]),
        Column::numeric("income", vec![80.0; 8]),
        cat(
            "region",
            &[
                "central", "online", "east", "central", "", "online", "central", "west",
            ],
        ),
        cat("member", &["True"; 8]),
    ])
}

#[test]
fn unseen_categories_are_counted_with_their_lines() {
    let (t, lines) = unseen_regions();
    let c = check(t.clone(), &lines, &defaults()).unwrap();
    assert_eq!(c.table, t, "unseen values are scored as they are");
    assert_eq!(
        c.report.unseen_categories,
        [UnseenCategories {
            column: "region".into(),
            rows: 5,
            values: vec![
                UnseenValue {
                    value: "central".into(),
                    rows: 3,
                    lines: vec![2, 5, 8]
                },
                UnseenValue {
                    value: "online".into(),
                    rows: 2,
                    lines: vec![3, 7]
                },
            ],
            values_not_listed: 0,
        }]
    );
    assert_eq!(
        c.report.summary_lines(),
        [
            "region: 5 rows hold values training never saw: central (3 rows), online (2 rows); scored as no known category"
        ]
    );
    assert!(c.report.has_warnings());
    assert_eq!(c.flags.text(0), "unseen:region");
    assert_eq!(c.flags.text(2), "");
    // The missing region is flagged as filled, not as unseen.
    assert_eq!(c.flags.text(4), "missing:region");
}

#[test]
fn long_unseen_lists_are_cut() {
    let (t, lines) = unseen_regions();
    let options = ScoringOptions {
        max_values: 1,
        max_lines: 2,
        ..defaults()
    };
    let c = check(t, &lines, &options).unwrap();
    let u = &c.report.unseen_categories[0];
    assert_eq!(u.values.len(), 1);
    assert_eq!(u.values[0].lines, [2, 5]);
    assert_eq!(u.values_not_listed, 1);
    assert!(
        c.report.summary_lines()[0]
            .ends_with("central (3 rows), 1 more; scored as no known category"),
        "{:?}",
        c.report.summary_lines()
    );
}

#[test]
fn numbers_in_a_categorical_column_compare_as_text() {
    // Training stored plan codes as text; the file here holds numbers.
    let train = Table::new(vec![cat("plan", &["1", "2", "x"])]).unwrap();
    let p = TrainingProfile::fit(&train, &["plan"], &[0, 1, 2], None).unwrap();
    let (t, lines) = scoring(vec![Column::numeric("plan", vec![1.0, 3.0, f64::NAN, 3.0])]);
    let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
    let u = &c.report.unseen_categories[0];
    assert_eq!((u.rows, u.values[0].value.as_str()), (2, "3"));
    assert_eq!(u.values[0].lines, [3, 5]);
}

#[test]
fn refusing_unseen_names_the_first_line_and_column() {
    let (t, lines) = unseen_regions();
    let options = ScoringOptions {
        refuse_unseen: true,
        ..defaults()
    };
    let e = check(t, &lines, &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2, column 3 (`region`): `central` never occurs in the training data (5 rows here hold values the model has not seen); score without --refuse-unseen (or --strict) to treat them as no known category"
    );
}

#[test]
fn a_feature_missing_everywhere_is_reported_with_its_fill() {
    let (t, lines) = income_missing();
    let c = check(t, &lines, &defaults()).unwrap();
    assert_eq!(
        c.report.missing_features,
        [MissingFeature {
            column: "income".into(),
            missing_rows: 3,
            share: 1.0,
            training_share: 0.0,
            all_rows: true,
            filled_with: Some(FillValue::Number(105.0)),
        }]
    );
    assert_eq!(
        c.report.summary_lines(),
        ["income: missing in all 3 rows; filled with the training value 105"]
    );
    assert_eq!(c.flags.texts(), ["missing:income"; 3]);
    assert_eq!(c.report.flagged_rows, 3);
}

#[test]
fn refusing_missing_features_names_the_column_and_fill() {
    let (t, lines) = income_missing();
    let options = ScoringOptions {
        refuse_missing: true,
        ..defaults()
    };
    let e = check(t, &lines, &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column 2 (`income`) is empty in 3 of 3 rows (first on line 2); the model would fill them with 105; score without --refuse-missing (or --strict) to do so"
    );
}

#[test]
fn mostly_missing_is_judged_against_training() {
    // Training: `region` missing in 6 of 10 rows.
    let train = Table::new(vec![cat(
        "region",
        &["east", "", "", "west", "", "", "east", "", "", "west"],
    )])
    .unwrap();
    let rows: Vec<usize> = (0..10).collect();
    let p = TrainingProfile::fit(&train, &["region"], &rows, None).unwrap();
    let run = |values: &[&str]| {
        let (t, lines) = scoring(vec![cat("region", values)]);
        check_table(t, &lines, &p, &[], &defaults())
            .unwrap()
            .report
            .missing_features
    };
    // 3 of 4 (75%) > 60% in training: reported, share and training share.
    let m = run(&["", "", "", "east"]);
    assert_eq!(m.len(), 1);
    assert_eq!((m[0].share, m[0].training_share), (0.75, 0.6));
    assert_eq!(m[0].filled_with, None);
    assert_eq!(
        missing_line(&m[0], 4),
        "region: missing in 3 of 4 rows (75%; training 60%); filled from training"
    );
    // 2 of 4 (50%): no more than in training.
    assert!(run(&["", "", "west", "east"]).is_empty());
    // 1 of 4: below the mostly-missing share.
    let p_clean = profile();
    let (t, lines) = scoring(vec![
        Column::numeric("age", vec![f64::NAN, 30.0, 40.0, 50.0]),
        Column::numeric("income", vec![50.0; 4]),
        cat("region", &["east"; 4]),
        cat("member", &["True"; 4]),
    ]);
    let c = check_table(t, &lines, &p_clean, &[], &defaults()).unwrap();
    assert!(c.report.missing_features.is_empty());
    assert_eq!(
        c.flags.text(0),
        "missing:age",
        "the filled cell is still flagged"
    );
}

#[test]
fn an_empty_column_of_either_kind_counts_as_missing() {
    // The CSV reader makes an all-empty column numeric: for a
    // categorical feature it is missing, not unseen.
    let (t, lines) = scoring(vec![
        Column::numeric("age", vec![30.0, 40.0]),
        Column::categorical::<&str>("income", &[None, None]),
        Column::numeric("region", vec![f64::NAN; 2]),
        cat("member", &["True", "False"]),
    ]);
    let c = check(t, &lines, &defaults()).unwrap();
    let missing: Vec<&str> = c
        .report
        .missing_features
        .iter()
        .map(|m| m.column.as_str())
        .collect();
    assert_eq!(missing, ["income", "region"]);
    assert!(c.report.unseen_categories.is_empty());
    // An empty text column under a numeric feature became numeric.
    assert_eq!(
        c.table.column("income").unwrap().data,
        ColumnData::Numeric(vec![f64::NAN; 2])
    );
    assert_eq!(
        c.report.missing_features[1].filled_with,
        Some(FillValue::Level("east".into()))
    );
}

#[test]
fn text_in_a_numeric_feature_quotes_the_cell() {
    let (t, lines) = scoring(vec![
        Column::numeric("age", vec![30.0, 40.0, 50.0]),
        cat("income", &["12", "", "lots"]),
        cat("region", &["east"; 3]),
        cat("member", &["True"; 3]),
    ]);
    let e = check(t, &lines, &defaults()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 4, column 2 (`income`): `lots` is not a number, but the model was trained on numbers in this column"
    );
}

#[test]
fn numbers_beyond_the_margin_are_reported_with_lines() {
    let (t, lines) = sentinels();
    let c = check(t.clone(), &lines, &defaults()).unwrap();
    assert_eq!(c.table, t, "reported, not changed");
    let age = &c.report.out_of_range[0];
    // Training age 18–75: margin 5.7 allows 12.3 to 80.7, so 80 is fine.
    assert_eq!(age.column, "age");
    assert_eq!((age.training_min, age.training_max), (18.0, 75.0));
    assert!((age.allowed_min - 12.3).abs() < 1e-9 && (age.allowed_max - 80.7).abs() < 1e-9);
    assert_eq!((age.rows, age.rows_below, age.rows_above), (2, 2, 0));
    assert_eq!(age.lines, [3, 6]);
    assert_eq!((age.lowest, age.highest), (Some(-1.0), None));
    // Income 20–150 allows up to 163: 155 is within the margin.
    let income = &c.report.out_of_range[1];
    assert_eq!((income.rows, income.rows_above), (2, 2));
    assert_eq!(income.lines, [3, 5]);
    assert!(!income.clipped);
    assert_eq!(
        c.report.summary_lines(),
        [
            "region: 1 row holds values training never saw: online (1 row); scored as no known category",
            "age: outside the training range in 2 rows (lines 3, 6): -1 < training min 18",
            "income: outside the training range in 2 rows (lines 3, 5): 9999999 > training max 150",
        ]
    );
    assert_eq!(
        c.flags.texts(),
        [
            "",
            "out_of_range:age;out_of_range:income",
            "",
            "out_of_range:income",
            "unseen:region;out_of_range:age",
        ]
    );
    assert_eq!(c.report.flagged_rows, 3);
}

#[test]
fn clipping_sets_out_of_range_values_to_the_training_limits() {
    let (t, lines) = sentinels();
    let options = ScoringOptions {
        out_of_range: OutOfRangePolicy::Clip,
        ..defaults()
    };
    let c = check(t, &lines, &options).unwrap();
    assert_eq!(
        c.table.column("age").unwrap().data,
        ColumnData::Numeric(vec![52.0, 18.0, 33.0, 80.0, 18.0])
    );
    assert_eq!(
        c.table.column("income").unwrap().data,
        ColumnData::Numeric(vec![89.0, 150.0, 21.0, 150.0, 155.0])
    );
    assert!(c.report.out_of_range.iter().all(|r| r.clipped));
    assert_eq!(c.report.out_of_range_policy, OutOfRangePolicy::Clip);
    assert!(
        c.report.summary_lines()[2]
            .ends_with("9999999 > training max 150; clipped to the training range 20 to 150")
    );
    // The flags still mark the rows: their true values were unusual.
    assert_eq!(c.flags.text(3), "out_of_range:income");
}

#[test]
fn refusing_out_of_range_names_the_earliest_cell() {
    let (t, lines) = sentinels();
    let options = ScoringOptions {
        out_of_range: OutOfRangePolicy::Refuse,
        ..defaults()
    };
    let e = check(t, &lines, &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3, column 1 (`age`): -1 is outside the training range 18 to 75 (by more than the 10% margin); use --out-of-range clip or report to score anyway"
    );
}

#[test]
fn refusals_come_in_a_fixed_order() {
    // Unseen before out-of-range, even on a later line.
    let (t, lines) = sentinels();
    let options = ScoringOptions {
        refuse_unseen: true,
        out_of_range: OutOfRangePolicy::Refuse,
        ..defaults()
    };
    let e = check(t, &lines, &options).unwrap_err();
    assert!(
        matches!(e, ScoringError::UnseenCategory { line: 6, .. }),
        "{e:?}"
    );
}

#[test]
fn a_constant_training_column_allows_only_its_value() {
    let train = Table::new(vec![Column::numeric("x", vec![5.0; 3])]).unwrap();
    let p = TrainingProfile::fit(&train, &["x"], &[0, 1, 2], None).unwrap();
    let (t, lines) = scoring(vec![Column::numeric("x", vec![5.0, 5.1, 4.0])]);
    let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
    let r = &c.report.out_of_range[0];
    assert_eq!((r.rows_above, r.rows_below), (1, 1));
    let zero_margin = ScoringOptions {
        range_margin: 0.0,
        ..defaults()
    };
    let (t, lines) = clean();
    let c = check(t, &lines, &zero_margin).unwrap();
    // Income 149 and age 70 are inside 20–150 / 18–75 even without margin.
    assert!(c.report.out_of_range.is_empty());
}

#[test]
fn regression_predictions_are_checked_against_the_target_range() {
    let (t, lines) = clean();
    let mut c = check(t, &lines, &defaults()).unwrap();
    // Training spend 0–300 allows -30 to 330.
    c.check_predictions(&[100.0, 39_400.0, -5.0, -50.0], &profile())
        .unwrap();
    let p = c.report.predictions.clone().unwrap();
    assert_eq!((p.allowed_min, p.allowed_max), (-30.0, 330.0));
    assert_eq!((p.rows, p.rows_below, p.rows_above), (2, 1, 1));
    assert_eq!(p.lines, [3, 5]);
    assert_eq!((p.lowest, p.highest), (Some(-50.0), Some(39_400.0)));
    assert!(p.never_negative);
    assert_eq!((p.negative_rows, p.negative_lines.clone()), (2, vec![4, 5]));
    assert_eq!(
        c.flags.texts(),
        [
            "",
            "prediction_out_of_range",
            "negative_prediction",
            "prediction_out_of_range;negative_prediction",
        ]
    );
    assert_eq!(c.report.flagged_rows, 3);
    assert!(c.report.has_warnings());
    assert_eq!(
        c.report.summary_lines(),
        [
            "spend predictions outside the training range in 2 rows (lines 3, 5): 39400 > training max 300, -50 < training min 0",
            "spend: 2 predictions below zero (lines 4, 5), though training never had a negative value",
        ]
    );
}

#[test]
fn classifier_predictions_are_not_range_checked() {
    let rows: Vec<usize> = (0..10).collect();
    let p = TrainingProfile::fit(&training(), &FEATURES, &rows, None).unwrap();
    let (t, lines) = clean();
    let mut c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
    c.check_predictions(&[0.1, 0.9, 0.5, 0.2], &p).unwrap();
    assert_eq!(c.report.predictions, None);
    assert_eq!(
        c.check_predictions(&[0.1], &p),
        Err(ScoringError::PredictionCount {
            predictions: 1,
            rows: 4
        })
    );
}
