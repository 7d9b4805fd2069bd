use super::pipeline::{median, mode};
use super::*;

#[test]
fn mean_and_deviation_stay_finite_near_the_largest_double() {
    let xs = [1.5e308, 1.7e308, 1.6e308];
    let (m, s) = mean_std(&xs);
    assert!((m - 1.6e308).abs() < 1e294, "{m}");
    assert!(s.is_finite() && s > 0.0, "{s}");
    assert_eq!(mean_std(&[0.0, 0.0]), (0.0, 0.0));
    let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
    assert!((m - 2.5).abs() < 1e-12 && (s - 1.25f64.sqrt()).abs() < 1e-12);
}
use crate::data::csv::parse_csv;

mod multiclass;

fn table(text: &str) -> Table {
    parse_csv(text.as_bytes()).unwrap()
}

fn classify(positive: &str) -> Problem {
    Problem::Classification {
        positive: positive.to_owned(),
    }
}

const SMALL: &str = "\
x,c,y
1,a,yes
2,b,no
3,a,yes
4,,no
,b,yes
6,a,no
7,b,yes
8,a,no
9,b,yes
10,a,no
";

#[test]
fn median_mean_and_mode_fill() {
    let known = [1.0, 2.0, 2.0, 9.0];
    assert_eq!(median(&known), 2.0);
    assert_eq!(mode(&known), 2.0);
    assert_eq!(mean_std(&known).0, 3.5);
    assert_eq!(median(&[1.0, 5.0, 7.0]), 5.0);
}

#[test]
fn minmax_scales_training_rows_into_unit_range() {
    let t = table(SMALL);
    let mut r = Recipe::new(&t, "y", classify("yes"));
    r.features = vec!["x".into()];
    let p = prepare(&t, &r).unwrap();
    let xs = &p.train.x.data;
    let lo = xs.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = xs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert_eq!((lo, hi), (0.0, 1.0));
}

#[test]
fn standardize_gives_zero_mean_unit_std_on_training_rows() {
    let t = table(SMALL);
    let mut r = Recipe::new(&t, "y", classify("yes"));
    r.features = vec!["x".into()];
    r.scale = Scale::Standardize;
    let p = prepare(&t, &r).unwrap();
    let xs: Vec<f64> = p.train.x.data.iter().map(|&v| f64::from(v)).collect();
    let (m, s) = mean_std(&xs);
    assert!(m.abs() < 1e-6 && (s - 1.0).abs() < 1e-6, "{m} {s}");
}

#[test]
fn one_hot_levels_are_sorted_and_unseen_is_all_zero() {
    let t = table(SMALL);
    let mut r = Recipe::new(&t, "y", classify("yes"));
    r.features = vec!["c".into()];
    let p = prepare(&t, &r).unwrap();
    assert_eq!(p.pipeline.feature_names(), ["c=a", "c=b"]);
    let later = table("c,other\nb,1\nzzz,2\n,3\n");
    let m = p.pipeline.transform(&later).unwrap();
    assert_eq!(m.row(0), [0.0, 1.0]);
    assert_eq!(m.row(1), [0.0, 0.0], "unseen level must be all zero");
    // Missing takes the most frequent training level.
    let StepFill(fill) = fill_of(&p.pipeline, "c");
    let expected: [f32; 2] = if fill == "a" { [1.0, 0.0] } else { [0.0, 1.0] };
    assert_eq!(m.row(2), expected);
}

struct StepFill(String);
fn fill_of(p: &Pipeline, column: &str) -> StepFill {
    match p.step(column) {
        Some(FeatureStep::Categorical { fill, .. }) => StepFill(fill.clone()),
        Some(FeatureStep::Numeric { fill, .. }) => StepFill(fill.to_string()),
        None => panic!("no step for {column}"),
    }
}

#[test]
fn drop_rows_leaves_out_rows_with_missing_features() {
    let t = table(SMALL);
    let mut r = Recipe::new(&t, "y", classify("yes"));
    r.impute = Impute::DropRows;
    let p = prepare(&t, &r).unwrap();
    assert_eq!(p.dropped_rows, 2);
    assert_eq!(p.train.x.rows + p.valid.x.rows + p.test.x.rows, 8);
    for side in [&p.train, &p.valid, &p.test] {
        assert!(!side.source_rows.contains(&3));
    }
}

#[test]
fn keep_missing_writes_nan_where_a_value_is_missing_and_says_so() {
    let t = table(SMALL);
    let mut r = Recipe::new(&t, "y", classify("yes"));
    r.impute = Impute::KeepMissing;
    r.scale = Scale::None;
    let p = prepare(&t, &r).unwrap();
    // Row 4 (0-based 3) has no `c`, row 5 (4) no `x`: NaN in `x`'s column,
    // in both of `c`'s level columns; every other cell as read.
    let x = p.pipeline.transform(&t).unwrap();
    let row = |r: usize| &x.data[r * x.cols..(r + 1) * x.cols];
    assert!(row(4)[0].is_nan() && !row(4)[1].is_nan());
    assert!(row(3)[0] == 4.0 && row(3)[1].is_nan() && row(3)[2].is_nan());
    assert_eq!(row(0), [1.0, 1.0, 0.0]);
    let nan_cells = x.data.iter().filter(|v| v.is_nan()).count();
    assert_eq!(nan_cells, 3);
    let texts: Vec<&str> = p.notes.iter().map(|n| n.text.as_str()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Prepared for boosted trees")
                && t.contains("keep their own units")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("kept as missing")),
        "{texts:?}"
    );
    assert!(
        texts.iter().all(|t| !t.contains("filled with")),
        "{texts:?}"
    );
}

#[test]
fn fill_values_are_learned_from_training_rows_only() {
    // The test side holds the huge value; the fill must not see it.
    let mut text = String::from("x,y\n");
    for i in 0..40 {
        text.push_str(&format!(
            "{},{}\n",
            i % 4,
            if i % 2 == 0 { "a" } else { "b" }
        ));
    }
    let t = table(&text);
    let mut r = Recipe::new(&t, "y", classify("a"));
    r.impute = Impute::Mean;
    r.scale = Scale::None;
    let p = prepare(&t, &r).unwrap();
    let train_mean: f64 = p
        .train
        .source_rows
        .iter()
        .map(|&row| (row % 4) as f64)
        .sum::<f64>()
        / p.train.source_rows.len() as f64;
    match p.pipeline.step("x") {
        Some(FeatureStep::Numeric { fill, .. }) => assert!((fill - train_mean).abs() < 1e-9),
        other => panic!("{other:?}"),
    }
}

#[test]
fn classification_targets_are_one_for_the_positive_label() {
    let t = table(SMALL);
    let p = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap();
    for (side, y) in [
        (&p.train, &p.train.y),
        (&p.valid, &p.valid.y),
        (&p.test, &p.test.y),
    ] {
        for (&row, &v) in side.source_rows.iter().zip(y) {
            let label = t.column("y").unwrap().text(row).unwrap();
            assert_eq!(v, if label == "yes" { 1.0 } else { 0.0 });
        }
    }
}

#[test]
fn numeric_target_matches_positive_numerically() {
    let t = table("x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n6,1\n");
    let p = prepare(&t, &Recipe::new(&t, "y", classify("1.0"))).unwrap();
    let total: f32 = p.train.y.iter().chain(&p.valid.y).chain(&p.test.y).sum();
    assert_eq!(total, 3.0);
}

#[test]
fn regression_keeps_raw_target_and_its_training_stats() {
    let t = table("x,y\n1,10\n2,20\n3,30\n4,40\n5,50\n6,60\n");
    let p = prepare(&t, &Recipe::new(&t, "y", Problem::Regression)).unwrap();
    for (&row, &v) in p.train.source_rows.iter().zip(&p.train.y) {
        assert_eq!(v, 10.0 * (row + 1) as f32);
    }
    assert!(matches!(
        p.pipeline.encoding,
        TargetEncoding::Regression { mean, .. } if mean > 0.0
    ));
}

#[test]
fn recipe_errors_name_the_problem() {
    let t = table(SMALL);
    let err = |r: Recipe| prepare(&t, &r).unwrap_err().to_string();
    let base = Recipe::new(&t, "y", classify("yes"));
    assert_eq!(
        err(Recipe {
            target: "nope".into(),
            ..base.clone()
        }),
        "there is no column `nope` to predict; the columns are: x, c, y"
    );
    assert_eq!(
        err(Recipe {
            problem: classify("maybe"),
            ..base.clone()
        }),
        "the positive label `maybe` does not occur in `y`; its values are: no, yes"
    );
    assert_eq!(
        err(Recipe {
            features: vec![],
            ..base.clone()
        }),
        "no feature columns are selected; tick at least one"
    );
    assert_eq!(
        err(Recipe {
            features: vec!["y".into()],
            ..base.clone()
        }),
        "`y` is the target, so it cannot also be a feature; untick it"
    );
    assert_eq!(
        err(Recipe {
            problem: Problem::Regression,
            ..base.clone()
        }),
        "the target `y` is not numeric, so it cannot be a regression target; choose classification"
    );
    for bad in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(
            err(Recipe {
                test_fraction: bad,
                ..base.clone()
            })
            .starts_with("the test share must be between 0 and 1")
        );
    }
}

#[test]
fn single_class_target_is_refused() {
    let t = table("x,y\n1,yes\n2,yes\n3,yes\n4,yes\n5,yes\n");
    let e = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the target `y` has only one class (`yes`); a classifier needs at least two"
    );
    let e = prepare(&t, &Recipe::new(&t, "y", classify("no"))).unwrap_err();
    assert!(matches!(e, PrepError::SingleClass { .. }));
}

#[test]
fn too_few_rows_is_refused() {
    let t = table("x,y\n1,a\n2,b\n3,a\n,b\n");
    let e = prepare(&t, &Recipe::new(&t, "y", classify("a"))).unwrap_err();
    assert_eq!(
        e,
        PrepError::TooFewRows {
            rows: 4,
            dropped: 0
        }
    );
}

#[test]
fn transform_names_missing_columns_and_type_changes() {
    let t = table(SMALL);
    let p = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap();
    let e = p.pipeline.transform(&table("z\n1\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the data lacks the columns the model needs: x, c"
    );
    let e = p.pipeline.transform(&table("x,c\nlots,a\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "column `x` was numeric when the model was trained but holds text here (e.g. `lots`)"
    );
}

#[test]
fn pipeline_survives_a_serde_round_trip() {
    let t = table(SMALL);
    let p = prepare(&t, &Recipe::new(&t, "y", classify("yes"))).unwrap();
    let json = serde_json::to_string(&p.pipeline).unwrap();
    let back: Pipeline = serde_json::from_str(&json).unwrap();
    assert_eq!(back, p.pipeline);
    assert_eq!(
        back.transform(&t).unwrap(),
        p.pipeline.transform(&t).unwrap()
    );
}

#[test]
fn choices_parse_from_text() {
    assert_eq!("most-frequent".parse::<Impute>(), Ok(Impute::MostFrequent));
    assert_eq!("MinMax".parse::<Scale>(), Ok(Scale::MinMax));
    assert!(
        "loud"
            .parse::<Scale>()
            .unwrap_err()
            .contains("minmax, standardize, none")
    );
}

/// 200 rows, 20% positive, with a feature that tells the classes apart.
fn imbalanced_table() -> Table {
    let mut text = String::from("x,plan,y\n");
    for i in 0..200 {
        let positive = i % 5 == 0;
        text.push_str(&format!(
            "{},{},{}\n",
            i,
            if i % 3 == 0 { "a" } else { "b" },
            if positive { "yes" } else { "no" }
        ));
    }
    table(&text)
}

#[test]
fn three_way_split_is_disjoint_covering_stratified_and_seeded() {
    let t = imbalanced_table();
    let r = Recipe::new(&t, "y", classify("yes"));
    let p = prepare(&t, &r).unwrap();
    let mut all: Vec<usize> = [&p.train, &p.valid, &p.test]
        .iter()
        .flat_map(|d| d.source_rows.iter().copied())
        .collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..200).collect::<Vec<_>>(),
        "no row in two parts, none lost"
    );
    // 20% test (40 rows), then 15% of the other 160 (24 rows) validation.
    assert_eq!(
        (p.test.x.rows, p.valid.x.rows, p.train.x.rows),
        (40, 24, 136)
    );
    let positives = |d: &Dataset| d.y.iter().filter(|&&y| y > 0.5).count();
    assert_eq!(positives(&p.test), 8);
    assert_eq!(
        positives(&p.valid),
        5,
        "stratified: 15% of 32 development positives"
    );
    assert_eq!(positives(&p.train), 27);
    assert_eq!(prepare(&t, &r).unwrap(), p, "same recipe, same parts");
    let mut other = r.clone();
    other.seed = 7;
    assert_ne!(
        prepare(&t, &other).unwrap().valid.source_rows,
        p.valid.source_rows
    );
}

#[test]
fn the_pipeline_is_fitted_on_training_rows_only_not_validation_rows() {
    let t = imbalanced_table();
    let mut r = Recipe::new(&t, "y", classify("yes"));
    r.features = vec!["x".into()];
    r.scale = Scale::MinMax;
    let p = prepare(&t, &r).unwrap();
    let max_train = p.train.source_rows.iter().copied().max().unwrap() as f32;
    // Min-max over training rows: the largest training x maps to exactly 1.
    let scaled_max = p.train.x.data.iter().copied().fold(f32::MIN, f32::max);
    assert!((scaled_max - 1.0).abs() < 1e-6);
    let valid_max = p.valid.source_rows.iter().copied().max().unwrap() as f32;
    if valid_max > max_train {
        assert!(p.valid.x.data.iter().any(|&v| v > 1.0));
    }
}

#[test]
fn folds_are_disjoint_cover_the_development_rows_and_never_touch_test_rows() {
    let t = imbalanced_table();
    let r = Recipe::new(&t, "y", classify("yes"));
    let whole = prepare(&t, &r).unwrap();
    let folds = prepare_folds(&t, &r, 5).unwrap();
    assert_eq!(folds.len(), 5);
    let mut held: Vec<usize> = folds
        .iter()
        .flat_map(|f| f.test.source_rows.iter().copied())
        .collect();
    held.sort_unstable();
    let mut dev: Vec<usize> = whole
        .train
        .source_rows
        .iter()
        .chain(&whole.valid.source_rows)
        .copied()
        .collect();
    dev.sort_unstable();
    assert_eq!(held, dev, "held-out folds partition the development rows");
    for f in &folds {
        assert_eq!(f.test.x.rows, 32);
        let positives = f.test.y.iter().filter(|&&y| y > 0.5).count();
        assert!(
            (6..=7).contains(&positives),
            "stratified: 32 positives over 5 folds"
        );
        for row in f.train.source_rows.iter().chain(&f.valid.source_rows) {
            assert!(!f.test.source_rows.contains(row));
            assert!(!whole.test.source_rows.contains(row));
        }
        assert_eq!(f.train.x.rows + f.valid.x.rows, 128);
    }
    assert!(matches!(
        prepare_folds(&t, &r, 1),
        Err(PrepError::Folds {
            folds: 1,
            rows: 160
        })
    ));
}

#[test]
fn split_assignment_matches_prepare_and_prepare_folds() {
    let t = imbalanced_table();
    let r = Recipe::new(&t, "y", classify("yes"));
    let p = prepare(&t, &r).unwrap();
    let folds = prepare_folds(&t, &r, 4).unwrap();
    let assignment = split_assignment(&t, &r, Some(4)).unwrap();
    assert_eq!(assignment.len(), 200);
    for a in &assignment {
        let expected = if p.train.source_rows.contains(&a.row) {
            Part::Train
        } else if p.valid.source_rows.contains(&a.row) {
            Part::Validation
        } else {
            Part::Test
        };
        assert_eq!(a.part, expected, "row {}", a.row);
        match a.fold {
            Some(k) => assert!(folds[k].test.source_rows.contains(&a.row)),
            None => assert_eq!(a.part, Part::Test),
        }
    }
}

#[test]
fn a_validation_share_outside_zero_to_one_is_refused() {
    let t = imbalanced_table();
    for bad in [0.0, 1.0, -0.1, f64::NAN] {
        let r = Recipe {
            valid_fraction: bad,
            ..Recipe::new(&t, "y", classify("yes"))
        };
        assert!(matches!(prepare(&t, &r), Err(PrepError::ValidFraction(_))));
    }
}
