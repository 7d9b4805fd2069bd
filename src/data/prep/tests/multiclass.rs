//! A multi-class target: class indices, the class list, stratification,
//! and the refusals (too few or too many classes, a class no training row
//! holds).

use super::*;

/// `rows` rows cycling through `labels`, with one numeric feature.
fn cycled(labels: &[&str], rows: usize) -> Table {
    let mut text = String::from("x,plan\n");
    for i in 0..rows {
        text.push_str(&format!("{i},{}\n", labels[i % labels.len()]));
    }
    table(&text)
}

#[test]
fn each_label_is_a_class_index_in_sorted_order_and_the_split_keeps_shares() {
    let t = cycled(&["premium", "basic", "plus", "basic"], 200);
    let p = prepare(&t, &Recipe::new(&t, "plan", Problem::Multiclass)).unwrap();
    assert_eq!(
        p.pipeline.encoding,
        TargetEncoding::Multiclass {
            classes: vec!["basic".into(), "plus".into(), "premium".into()]
        }
    );
    for side in [&p.train, &p.valid, &p.test] {
        for (&row, &y) in side.source_rows.iter().zip(&side.y) {
            let label = t.column("plan").unwrap().text(row).unwrap();
            assert_eq!(
                p.pipeline.encoding.class_index(&label, false),
                Some(y as usize)
            );
        }
    }
    // Stratified: basic is half of every part, as in the file.
    let basic = |d: &Dataset| d.y.iter().filter(|&&y| y == 0.0).count() as f64 / d.y.len() as f64;
    for side in [&p.train, &p.valid, &p.test] {
        assert!((basic(side) - 0.5).abs() < 0.06, "{}", basic(side));
    }
    // The encoding survives the model file's JSON.
    let json = serde_json::to_string(&p.pipeline).unwrap();
    let back: Pipeline = serde_json::from_str(&json).unwrap();
    assert_eq!(back.encoding, p.pipeline.encoding);
}

#[test]
fn merged_variants_are_one_class_named_by_their_first_spelling() {
    let t = cycled(&["Basic", "basic ", "plus", "premium"], 80);
    let mut recipe = Recipe::new(&t, "plan", Problem::Multiclass);
    recipe.merge_label_variants = true;
    let p = prepare(&t, &recipe).unwrap();
    assert_eq!(
        p.pipeline.encoding.classes().unwrap(),
        ["Basic", "plus", "premium"]
    );
    assert_eq!(p.pipeline.encoding.class_index(" BASIC", true), Some(0));
    recipe.merge_label_variants = false;
    let p = prepare(&t, &recipe).unwrap();
    assert_eq!(p.pipeline.encoding.classes().unwrap().len(), 4);
}

#[test]
fn two_or_more_than_twenty_classes_are_refused_with_what_to_do() {
    let t = cycled(&["yes", "no"], 40);
    let err = prepare(&t, &Recipe::new(&t, "plan", Problem::Multiclass)).unwrap_err();
    assert!(
        matches!(err, PrepError::TooFewClasses { count: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--positive"), "{err}");
    let labels: Vec<String> = (0..21).map(|i| format!("p{i:02}")).collect();
    let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
    let t = cycled(&refs, 210);
    let err = prepare(&t, &Recipe::new(&t, "plan", Problem::Multiclass)).unwrap_err();
    assert!(
        matches!(err, PrepError::TooManyClasses { count: 21, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("at most 20"), "{err}");
    // Twenty is accepted.
    let t = cycled(&refs[..20], 400);
    assert!(prepare(&t, &Recipe::new(&t, "plan", Problem::Multiclass)).is_ok());
}

#[test]
fn a_class_with_no_training_row_is_named() {
    // Two `gold` rows among 62: the stratified split keeps one in the
    // training rows and sends one to the test rows, but a cross-validation
    // fold that holds out the other leaves its training rows without gold.
    let mut text = String::from("x,plan\n");
    for i in 0..60 {
        text.push_str(&format!("{i},{}\n", ["basic", "plus"][i % 2]));
    }
    text.push_str("60,gold\n61,gold\n");
    let t = table(&text);
    let recipe = Recipe::new(&t, "plan", Problem::Multiclass);
    let p = prepare(&t, &recipe).unwrap();
    assert!(p.train.y.contains(&0.0), "gold is class 0 and trains");
    let err = prepare_folds(&t, &recipe, 5).unwrap_err();
    assert_eq!(
        err,
        PrepError::ClassNotInTraining {
            target: "plan".into(),
            label: "gold".into(),
            rows: 2
        }
    );
    assert!(err.to_string().contains("class `gold`"), "{err}");
}
