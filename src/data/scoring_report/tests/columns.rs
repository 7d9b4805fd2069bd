//! Header and category-spelling matching.

use super::*;

#[test]
fn header_case_variants_are_renamed_with_a_note() {
    // Case 04: the file's names are lower case where training had `Age`.
    let train = Table::new(vec![
        Column::numeric("Age", vec![20.0, 30.0]),
        cat("Region", &["east", "west"]),
    ])
    .unwrap();
    let p = TrainingProfile::fit(&train, &["Age", "Region"], &[0, 1], None).unwrap();
    let (t, lines) = scoring(vec![
        cat("customerid", &["C1", "C2"]),
        Column::numeric(" age ", vec![25.0, 28.0]),
        cat("REGION", &["west", "east"]),
    ]);
    let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
    assert_eq!(
        c.report.renamed_columns,
        [
            ColumnRename {
                from: " age ".into(),
                to: "Age".into()
            },
            ColumnRename {
                from: "REGION".into(),
                to: "Region".into()
            },
        ]
    );
    let names: Vec<&str> = c.table.column_names().collect();
    assert_eq!(names, ["customerid", "Age", "Region"]);
    assert_eq!(
        c.report.summary_lines(),
        [
            "column names matched to the model's apart from case or spaces:  age  → Age, REGION → Region"
        ]
    );
}

#[test]
fn header_case_is_refused_with_a_hint_when_matching_is_off() {
    let (t, lines) = scoring(vec![
        Column::numeric("AGE", vec![20.0]),
        Column::numeric("income", vec![50.0]),
        cat("region", &["east"]),
    ]);
    let options = ScoringOptions {
        match_header_case: false,
        ..defaults()
    };
    let e = check(t, &lines, &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the data lacks the columns the model needs: age, member (`AGE` here differs from the model's `age` only in case or spaces; rename it, or allow such names to match)"
    );
}

#[test]
fn ambiguous_headers_are_refused_not_guessed() {
    let (t, lines) = scoring(vec![
        Column::numeric("Age", vec![20.0]),
        Column::numeric("AGE", vec![21.0]),
        Column::numeric("income", vec![50.0]),
        cat("region", &["east"]),
        cat("member", &["True"]),
    ]);
    let e = check(t, &lines, &defaults()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the model's column `age` matches several columns here apart from case or spaces: `Age`, `AGE`; rename or remove all but one"
    );

    // Two model columns that differ only in case, one column here.
    let train = Table::new(vec![
        Column::numeric("Age", vec![1.0]),
        Column::numeric("AGE", vec![2.0]),
    ])
    .unwrap();
    let p = TrainingProfile::fit(&train, &["Age", "AGE"], &[0], None).unwrap();
    let (t, lines) = scoring(vec![Column::numeric("age", vec![1.0])]);
    let e = check_table(t, &lines, &p, &[], &defaults()).unwrap_err();
    assert_eq!(
        e,
        ScoringError::SharedHeader {
            found: "age".into(),
            columns: vec!["Age".into(), "AGE".into()],
        }
    );
}

#[test]
fn an_exact_name_is_never_taken_for_another_column() {
    // `Age` is an extra column here; the model's `age` is present as is.
    let (mut t, lines) = clean();
    t.push_column(Column::numeric("Age", vec![1.0; 4])).unwrap();
    let c = check(t, &lines, &defaults()).unwrap();
    assert!(c.report.renamed_columns.is_empty());
}

#[test]
fn absent_columns_are_listed() {
    let (t, lines) = scoring(vec![Column::numeric("age", vec![20.0])]);
    let e = check(t, &lines, &defaults()).unwrap_err();
    assert_eq!(
        e,
        ScoringError::MissingColumns {
            columns: vec!["income".into(), "region".into(), "member".into()],
            hint: None,
        }
    );
}

#[test]
fn category_case_variants_score_like_the_training_spelling() {
    // Case 03: `TRUE`/`FALSE` where training had `True`/`False`.
    let (t, lines) = scoring(vec![
        Column::numeric("age", vec![20.0, 33.0, 48.0, 70.0]),
        Column::numeric("income", vec![25.0, 90.0, 120.0, 149.0]),
        cat("region", &["east", "West ", "north", "south"]),
        cat("member", &["TRUE", "FALSE", "FALSE", "True"]),
    ]);
    let c = check(t, &lines, &defaults()).unwrap();
    assert_eq!(
        c.report.spelling_matches,
        [
            SpellingMatch {
                column: "region".into(),
                from: "West ".into(),
                to: "west".into(),
                rows: 1
            },
            SpellingMatch {
                column: "member".into(),
                from: "TRUE".into(),
                to: "True".into(),
                rows: 1
            },
            SpellingMatch {
                column: "member".into(),
                from: "FALSE".into(),
                to: "False".into(),
                rows: 2
            },
        ]
    );
    assert!(c.report.unseen_categories.is_empty());
    assert!(!c.report.has_warnings());
    // `TRUE` merged into the existing `True` level: one level each.
    match &c.table.column("member").unwrap().data {
        ColumnData::Categorical { codes, levels } => {
            assert_eq!(levels, &["True", "False"]);
            assert_eq!(codes, &[0, 1, 1, 0]);
        }
        other => panic!("{other:?}"),
    }
    // The pipeline now encodes exactly what the training spelling gives.
    let recipe = Recipe {
        features: FEATURES.iter().map(|s| (*s).to_owned()).collect(),
        ..Recipe::new(
            &training(),
            "bought",
            Problem::Classification {
                positive: "yes".into(),
            },
        )
    };
    let pipeline = prepare(&training(), &recipe).unwrap().pipeline;
    let (expected, _) = clean();
    assert_eq!(
        pipeline.transform(&c.table).unwrap(),
        pipeline.transform(&expected).unwrap()
    );
    assert_eq!(
        c.report.summary_lines(),
        [
            "region: values matched to the training spelling apart from case or spaces: West  → west (1 row)",
            "member: values matched to the training spelling apart from case or spaces: TRUE → True (1 row), FALSE → False (2 rows)",
        ]
    );
}

#[test]
fn a_spelling_matching_two_training_levels_stays_unseen() {
    let train = Table::new(vec![cat("answer", &["yes", "Yes", "no"])]).unwrap();
    let p = TrainingProfile::fit(&train, &["answer"], &[0, 1, 2], None).unwrap();
    let (t, lines) = scoring(vec![cat("answer", &["YES", "NO"])]);
    let c = check_table(t, &lines, &p, &[], &defaults()).unwrap();
    assert_eq!(c.report.spelling_matches.len(), 1);
    assert_eq!(c.report.spelling_matches[0].to, "no");
    assert_eq!(c.report.unseen_categories.len(), 1);
    assert_eq!(c.report.unseen_categories[0].values[0].value, "YES");
}
